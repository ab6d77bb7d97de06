# Usage: python3 torch_binary_checkpoint.py OUT.safetensors [DATA_DIR] [--epochs N] [--blocks L] [--width D]
#            [--wd λ] [--seed S] [--snapshot-epochs E1,E2,…]
#
# Trains a binary fully-connected pre-activation ResNet (the paper's Type 4a by default: 8 blocks
# of width 512 with skips) on two Fashion-MNIST classes (0 = T-shirt/top, 6 = Shirt, the most
# confused pair) with PyTorch, and saves its state_dict with safetensors in ujm's layout, so that
# `ujm compare --checkpoint OUT.safetensors` reads a checkpoint that PyTorch wrote:
#   fc0.weight [D, 784]; bn0.*; blocks.{i}.{bn1, fc1, bn2, fc2}; bnf.*; cls.weight [2, D], cls.bias;
#   metadata input_mean, input_std (the training subset's pixel mean and std), classes "0,6".
# Class index 1 is the second listed class (6), as in `ujm train --classes 0,6`.
# --snapshot-epochs also saves the model after each listed epoch (before the last) as
# checkpoint-epoch<E>.safetensors next to OUT, the names `ujm train` keeps, so that with OUT =
# DIR/checkpoint.safetensors `ujm compare --checkpoint DIR --snapshots` compares them all.
import argparse, gzip, os, struct
import numpy as np
import torch
from torch import nn
from safetensors.torch import save_file

p = argparse.ArgumentParser()
p.add_argument('out')
p.add_argument('data', nargs='?', default='/usr/share/datasets/fashion-mnist')
p.add_argument('--epochs', type=int, default=2)
p.add_argument('--blocks', type=int, default=8)
p.add_argument('--width', type=int, default=512)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--wd', type=float, default=5e-4)
p.add_argument('--snapshot-epochs', default='',
               help='comma-separated epochs after which to save checkpoint-epoch<E>.safetensors')
a = p.parse_args()
snapshot_epochs = sorted({int(e) for e in a.snapshot_epochs.split(',') if e.strip()})
if any(e < 1 or e > a.epochs for e in snapshot_epochs):
    p.error(f'--snapshot-epochs: every epoch must lie in 1…{a.epochs} (got {a.snapshot_epochs})')
torch.manual_seed(a.seed)
classes = [0, 6]


def idx(path):
    b = gzip.open(path).read()
    dims = b[3]
    shape = struct.unpack('>' + 'I' * dims, b[4:4 + 4 * dims])
    return np.frombuffer(b[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


def subset(prefix):
    x = idx(f'{a.data}/{prefix}-images-idx3-ubyte.gz').reshape(-1, 784)
    y = idx(f'{a.data}/{prefix}-labels-idx1-ubyte.gz')
    keep = np.isin(y, classes)
    return x[keep], (y[keep] == classes[1]).astype(np.int64)


xtr, ytr = subset('train')
xte, yte = subset('t10k')
pixels = xtr.astype(np.float64) / 255
mean, std = float(pixels.mean()), float(pixels.std())
to_input = lambda x: torch.tensor(((x.astype(np.float32) / 255) - mean) / std)
xtr_t, ytr_t, xte_t, yte_t = to_input(xtr), torch.tensor(ytr), to_input(xte), torch.tensor(yte)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.bn1, self.fc1 = nn.BatchNorm1d(d), nn.Linear(d, d, bias=False)
        self.bn2, self.fc2 = nn.BatchNorm1d(d), nn.Linear(d, d, bias=False)

    def forward(self, h):
        return self.fc2(torch.relu(self.bn2(self.fc1(torch.relu(self.bn1(h))))))


class ResNet(nn.Module):
    def __init__(self, blocks, d):
        super().__init__()
        self.fc0, self.bn0 = nn.Linear(784, d, bias=False), nn.BatchNorm1d(d)
        self.blocks = nn.ModuleList([Block(d) for _ in range(blocks)])
        self.bnf, self.cls = nn.BatchNorm1d(d), nn.Linear(d, 2)

    def forward(self, x):
        h = torch.relu(self.bn0(self.fc0(x)))
        for b in self.blocks:
            h = h + b(h)
        return self.cls(torch.relu(self.bnf(h)))


def save(path, epochs):
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, path, metadata={
        'arch': f'pytorch fc resnet, {a.blocks} blocks of width {a.width}, skips',
        'input_mean': repr(mean), 'input_std': repr(std), 'classes': ','.join(map(str, classes)),
        'epochs': str(epochs), 'seed': str(a.seed), 'wd': repr(a.wd), 'skips': 'true',
    })
    return len(state)


model = ResNet(a.blocks, a.width)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=a.wd)
steps = a.epochs * ((len(ytr) + 127) // 128)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
for epoch in range(a.epochs):
    model.train()
    perm = torch.randperm(len(ytr))
    for k in range(0, len(ytr), 128):
        i = perm[k:k + 128]
        loss = nn.functional.cross_entropy(model(xtr_t[i]), ytr_t[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        acc = (model(xte_t).argmax(1) == yte_t).float().mean().item()
    print(f'epoch {epoch + 1}/{a.epochs}: last batch loss {loss.item():.4f}, test accuracy {acc:.4f}')
    if epoch + 1 in snapshot_epochs and epoch + 1 < a.epochs:
        snapshot = os.path.join(os.path.dirname(a.out), f'checkpoint-epoch{epoch + 1}.safetensors')
        save(snapshot, epoch + 1)
        print(f'wrote {snapshot}')

count = save(a.out, a.epochs)
print(f'wrote {a.out}: {count} tensors, torch {torch.__version__}')

