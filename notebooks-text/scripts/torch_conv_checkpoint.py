"""Usage: python3 torch_conv_checkpoint.py OUT.safetensors [DATA_DIR] [--type 5a|5b|2|3]
                 [--classes 0,6] [--steps N] [--batch B] [--seed S] [--threads T]
       python3 torch_conv_checkpoint.py --evaluate CHECKPOINT.safetensors [DATA_DIR]
                 [--compare UJM_EVALUATE.json]

Trains one of issue 12's convolutional pre-activation ResNets (Type 5a by default) briefly on a
Fashion-MNIST class subset with PyTorch, saves its strict state_dict with safetensors in ujm's
layout, and evaluates it with PyTorch in evaluation mode in Float64 on the subset's test images,
so that `ujm evaluate --checkpoint OUT.safetensors` can be compared with PyTorch's own numbers:
--compare reads `ujm evaluate --json` of the same checkpoint and prints the differences against
issue 12's tolerances (accuracy 0.002, loss 0.01).

Needs PyTorch (CPU wheel), safetensors and NumPy:
    pip install torch --index-url https://download.pytorch.org/whl/cpu
    pip install safetensors numpy

The network, exactly as issue 12 specifies (PyTorch's semantics, NCHW):
  input   28x28 images standardised (p/255 - mu)/sigma with the scalar training-subset statistics
          (computed in Float32 by ujm's table, so the inputs are bit-identical to ujm's), then
          zero-padded to 32x32 with 0.0 in standardised units (2 pixels each side);
  stem    conv0 3x3 stride 2 padding 1 no bias (1 -> 64) -> bn0 -> ReLU: 64 x 16 x 16;
  blocks  pre-activation basic blocks h + conv2(ReLU(bn2(conv1(ReLU(bn1(h)))))), 3x3, padding 1,
          no bias; Type 5a: 8 blocks, Type 5b: the same without the skip (h_{i+1} = F_i(h_i)),
          Type 2: 16 blocks, Type 3: blocks 9-16 at 128 channels and 8x8, block 9 downsampling
          (conv1 stride 2, skip = shortcut, a 1x1 stride-2 conv of ReLU(bn1(h)));
  head    ReLU(bnf(h)) -> global average pool -> cls (linear with bias).
The file: conv0.weight, bn0.*, blocks.{i}.{bn1, conv1, bn2, conv2}[, blocks.8.shortcut.weight],
bnf.*, cls.weight, cls.bias (a strict state_dict: num_batches_tracked included) and the metadata
classes, input_mean, input_std, arch. Like a genuine PyTorch file it has no `skips` entry: ujm
tells Type 5b by the `arch` string containing "5b".
Class index k is the k-th listed class, as in `ujm train --classes 0,6`.
"""
import os
for _v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_v, '1')  # one BLAS thread unless told otherwise (a shared machine)
import argparse, gzip, json, struct, time
import numpy as np
import torch
from torch import nn

DEFAULT_DATA = '/usr/share/datasets/fashion-mnist'
BLOCKS = {'5a': 8, '5b': 8, '2': 16, '3': 16}


def idx(path):
    b = gzip.open(path).read()
    dims = b[3]
    shape = struct.unpack('>' + 'I' * dims, b[4:4 + 4 * dims])
    return np.frombuffer(b[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


def split(data, prefix, classes):
    """Pixels (uint8, N x 28 x 28), labels 0..C-1 (index in `classes`) and the positions in the
    IDX file of the examples of `classes`."""
    x = idx(f'{data}/{prefix}-images-idx3-ubyte.gz')
    y = idx(f'{data}/{prefix}-labels-idx1-ubyte.gz')
    positions = np.flatnonzero(np.isin(y, classes))
    labels = np.array([classes.index(int(c)) for c in y[positions]], dtype=np.int64)
    return x[positions], labels, positions


def pixel_statistics(pixels):
    """mu and sigma (population) of p/255 over every pixel, in Float64 (as ujm)."""
    v = pixels.astype(np.float64) / 255
    return float(v.mean()), float(v.std())


def standardise(pixels, mean, std):
    """(p/255 - mu)/sigma exactly as ujm computes it: a Float32 table p * (1/(255 sigma)) - mu/sigma
    with mu, sigma rounded to Float32, then zero-padded 28 -> 32. Returns N x 1 x 32 x 32 Float32."""
    m, s = np.float32(mean), np.float32(std)
    scale = np.float32(1) / (np.float32(255) * s)
    shift = -m / s
    table = np.arange(256, dtype=np.float32) * scale + shift
    x = table[pixels]
    return torch.from_numpy(np.pad(x, ((0, 0), (2, 2), (2, 2)))[:, None].copy())


class Block(nn.Module):
    def __init__(self, cin, cout, downsample=False):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=2 if downsample else 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        if downsample:
            self.shortcut = nn.Conv2d(cin, cout, 1, stride=2, bias=False)

    def branch(self, h):
        """F(h) = conv2(ReLU(bn2(conv1(ReLU(bn1(h)))))): the residual branch."""
        return self.conv2(torch.relu(self.bn2(self.conv1(torch.relu(self.bn1(h))))))

    def forward(self, h, skips=True):
        if hasattr(self, 'shortcut'):
            return self.shortcut(torch.relu(self.bn1(h))) + self.branch(h)
        return h + self.branch(h) if skips else self.branch(h)


class ConvResNet(nn.Module):
    def __init__(self, kind='5a', classes=2, in_channels=1):
        super().__init__()
        self.kind, self.skips = kind, kind != '5b'
        self.conv0 = nn.Conv2d(in_channels, 64, 3, stride=2, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(64)
        blocks = []
        for i in range(BLOCKS[kind]):
            if kind == '3' and i >= 8:
                blocks.append(Block(64 if i == 8 else 128, 128, downsample=i == 8))
            else:
                blocks.append(Block(64, 64))
        self.blocks = nn.ModuleList(blocks)
        width = 128 if kind == '3' else 64
        self.bnf, self.cls = nn.BatchNorm2d(width), nn.Linear(width, classes)

    def stem(self, x):
        return torch.relu(self.bn0(self.conv0(x)))

    def head(self, h):
        return self.cls(torch.relu(self.bnf(h)).mean(dim=(2, 3)))

    def forward(self, x):
        h = self.stem(x)
        for b in self.blocks:
            h = b(h, self.skips)
        return self.head(h)


def kind_from_tensors(tensors, metadata):
    """The Type from the tensors (block count, a shortcut), skips from `skips`/`arch` as ujm."""
    blocks = len([k for k in tensors if k.endswith('.conv1.weight')])
    if 'blocks.8.shortcut.weight' in tensors:
        return '3'
    if blocks == 16:
        return '2'
    skips = metadata.get('skips')
    no_skips = skips == 'false' if skips is not None else '5b' in metadata.get('arch', '').lower()
    return '5b' if no_skips else '5a'


def load_checkpoint(path):
    """(model in eval mode, Float32 weights as stored; metadata dict)."""
    from safetensors import safe_open
    with safe_open(path, framework='pt') as f:
        metadata = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    kind = kind_from_tensors(tensors, metadata)
    model = ConvResNet(kind, classes=tensors['cls.weight'].shape[0],
                       in_channels=tensors['conv0.weight'].shape[1])
    model.load_state_dict(tensors, strict=True)
    return model.eval(), metadata


def evaluate(model, x, y, batch=250, dtype=torch.float64):
    """Accuracy and mean cross-entropy in evaluation mode, in `dtype` (weights converted)."""
    model = model.to(dtype).eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for k in range(0, len(y), batch):
            logits = model(x[k:k + batch].to(dtype))
            t = torch.from_numpy(y[k:k + batch])
            correct += int((logits.argmax(1) == t).sum())
            loss += float(nn.functional.cross_entropy(logits, t, reduction='sum'))
    return correct / len(y), loss / len(y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('out', nargs='?')
    p.add_argument('data', nargs='?', default=DEFAULT_DATA)
    p.add_argument('--evaluate', metavar='CHECKPOINT', help='only evaluate this checkpoint')
    p.add_argument('--type', default='5a', choices=sorted(BLOCKS))
    p.add_argument('--classes', default='0,6')
    p.add_argument('--steps', type=int, default=300)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--wd', type=float, default=5e-4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--json', action='store_true', help='print the evaluation as one JSON line')
    p.add_argument('--no-evaluate', action='store_true', help='train and save only')
    p.add_argument('--compare', metavar='JSON', help='ujm evaluate --json of the same checkpoint')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.evaluate:
        model, metadata = load_checkpoint(a.evaluate)
        classes = [int(c) for c in metadata['classes'].split(',')]
        mean, std = float(metadata['input_mean']), float(metadata['input_std'])
        if a.out:  # `--evaluate FILE DATA`: the positional is the data directory
            a.data = a.out
    else:
        if not a.out:
            p.error('OUT.safetensors is required unless --evaluate is given')
        classes = [int(c) for c in a.classes.split(',')]
        pixels, labels, _ = split(a.data, 'train', classes)
        mean, std = pixel_statistics(pixels)
        x, y = standardise(pixels, mean, std), torch.from_numpy(labels)
        model = ConvResNet(a.type, classes=len(classes))
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.steps)
        g = torch.Generator().manual_seed(a.seed)
        perm, at, start = torch.randperm(len(y), generator=g), 0, time.time()
        model.train()
        for step in range(1, a.steps + 1):
            if at + a.batch > len(y):
                perm, at = torch.randperm(len(y), generator=g), 0
            i = perm[at:at + a.batch]
            at += a.batch
            loss = nn.functional.cross_entropy(model(x[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if step % 25 == 0 or step == a.steps:
                print(f'step {step}/{a.steps}: batch loss {loss.item():.4f} '
                      f'({time.time() - start:.0f} s)', flush=True)
        from safetensors.torch import save_file
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
        shape = {'5a': '8 blocks of 64 channels at 16x16, skips',
                 '5b': '8 blocks of 64 channels at 16x16, no skips',
                 '2': '16 blocks of 64 channels at 16x16, skips',
                 '3': '8 blocks of 64 channels at 16x16, 8 of 128 at 8x8, skips'}[a.type]
        save_file(state, a.out, metadata={
            'arch': f'pytorch conv resnet type {a.type}, {shape}',
            'input_mean': repr(mean), 'input_std': repr(std),
            'classes': ','.join(map(str, classes)), 'steps': str(a.steps),
            'batch': str(a.batch), 'seed': str(a.seed), 'wd': repr(a.wd)})
        print(f'wrote {a.out}: {len(state)} tensors (Type {a.type}), torch {torch.__version__}')
        if a.no_evaluate:
            return
    pixels, labels, _ = split(a.data, 't10k', classes)
    start = time.time()
    acc, loss = evaluate(model, standardise(pixels, mean, std), labels)
    if a.json:
        print(json.dumps({'test_accuracy': acc, 'test_loss': loss, 'examples': len(labels)}))
    else:
        print(f'pytorch float64 eval: test accuracy {acc:.6f}, loss {loss:.6f} '
              f'({len(labels)} images, {time.time() - start:.0f} s)')
    if a.compare:
        ujm = json.load(open(a.compare))
        da, dl = abs(ujm['test_accuracy'] - acc), abs(ujm['test_loss'] - loss)
        ok = da <= 0.002 and dl <= 0.01
        print(f'ujm evaluate:         test accuracy {ujm["test_accuracy"]:.6f}, loss '
              f'{ujm["test_loss"]:.6f}\n'
              f'|accuracy difference| measured {da:.1e}, tolerance 0.002; |loss difference| '
              f'measured {dl:.1e}, tolerance 0.01: {"pass" if ok else "FAIL"}')


if __name__ == '__main__':
    main()
