"""Usage: python3 fc_train_peer.py [--data DIR] [--threads T] [--steps N] [--warmup W]

The PyTorch peer of TrainBenchmark (issue 21): ujm's Type 1, the paper's fully-connected
pre-activation ResNet of 16 blocks of width 512 with skips (the Block and ResNet classes of
notebooks-text/scripts/torch_binary_checkpoint.py, read from that file, with a 10-class
classifier), on every Fashion-MNIST class standardised as ujm does, batch 128, train-mode
BatchNorm, SGD with lr 0.1, momentum 0.9 and weight decay 5e-4 on every parameter (ujm's
defaults), Float32, T intra-op threads. Times only the training steps (forward, loss, backward,
update) after W warm-up steps and prints `cpu_seconds_per_step=<median process CPU time of a
timed step>` and, last, `samples_per_second=<batch / median wall time of a timed step>`, which
TrainBenchmark --pytorch reads.
"""
import argparse
import ast
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
p.add_argument('--threads', type=int, default=1)
p.add_argument('--steps', type=int, default=60)
p.add_argument('--warmup', type=int, default=5)
p.add_argument('--batch', type=int, default=128)
p.add_argument('--blocks', type=int, default=16)
p.add_argument('--width', type=int, default=512)
a = p.parse_args()
for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
    os.environ[v] = str(a.threads)

here = os.path.dirname(os.path.abspath(__file__))
scripts = os.path.join(here, '..', '..', 'notebooks-text', 'scripts')
sys.path.insert(0, scripts)
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch_conv_checkpoint import pixel_statistics, split, standardise  # noqa: E402

# torch_binary_checkpoint.py trains when imported: take its two class definitions only.
with open(os.path.join(scripts, 'torch_binary_checkpoint.py')) as f:
    tree = ast.parse(f.read())
definitions = {'torch': torch, 'nn': nn}
exec(compile(ast.Module(body=[n for n in tree.body if isinstance(n, ast.ClassDef)
                              and n.name in ('Block', 'ResNet')], type_ignores=[]),
             'torch_binary_checkpoint.py', 'exec'), definitions)
ResNet = definitions['ResNet']

torch.set_num_threads(a.threads)
torch.manual_seed(0)
classes = list(range(10))
pixels, labels, _ = split(a.data, 'train', classes)
mean, std = pixel_statistics(pixels)
# standardise pads 28 x 28 images to 32 x 32; rows of 784 pixels stay unpadded.
x = standardise(pixels.reshape(len(pixels), 1, -1), mean, std).reshape(len(pixels), -1)
y = torch.from_numpy(labels)
model = ResNet(a.blocks, a.width)
model.cls = nn.Linear(a.width, len(classes))  # the binary script's classifier has 2 outputs
model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
order = torch.randperm(len(y))
times, cpu = [], []
for step in range(a.warmup + a.steps):
    k = step % (len(y) // a.batch)
    idx = order[k * a.batch:(k + 1) * a.batch]
    xb, yb = x[idx], y[idx]
    start, start_cpu = time.perf_counter(), time.process_time()
    opt.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()
    elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    if step >= a.warmup:
        times.append(elapsed)
        cpu.append(elapsed_cpu)
print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
      f'{torch.backends.cpu.get_cpu_capability()}, {sum(q.numel() for q in model.parameters())} '
      f'parameters, last loss {loss.item():.4f}, steps {[round(t, 4) for t in times]}')
print(f'cpu_seconds_per_step={float(np.median(cpu)):.4f}')
print(f'samples_per_second={a.batch / float(np.median(times)):.3f}')
