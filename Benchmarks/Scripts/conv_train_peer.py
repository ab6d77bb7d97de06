"""Usage: python3 conv_train_peer.py [--data DIR] [--type 5a] [--threads T] [--steps N] [--warmup W]

The PyTorch peer of ConvTrainBenchmark (issue 21): the same network (torch_conv_checkpoint.py's
ConvResNet, Type 5a by default, every Fashion-MNIST class), batch 128, train-mode BatchNorm,
SGD with lr 0.1, momentum 0.9 and weight decay 5e-4, Float32, channels-last, T intra-op
threads. Times only the training steps (forward, loss, backward, update) after W warm-up
steps and prints `cpu_seconds_per_step=<median process CPU time of a timed step>` and, last,
`samples_per_second=<batch / median wall time of a timed step>`, which ConvTrainBenchmark
--pytorch reads.
"""
import argparse
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
p.add_argument('--type', default='5a')
p.add_argument('--threads', type=int, default=1)
p.add_argument('--steps', type=int, default=5)
p.add_argument('--warmup', type=int, default=1)
p.add_argument('--batch', type=int, default=128)
a = p.parse_args()
for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
    os.environ[v] = str(a.threads)

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', '..', 'notebooks-text', 'scripts'))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch_conv_checkpoint import ConvResNet, pixel_statistics, split, standardise  # noqa: E402

torch.set_num_threads(a.threads)
torch.manual_seed(0)
classes = list(range(10))
pixels, labels, _ = split(a.data, 'train', classes)
mean, std = pixel_statistics(pixels)
x = standardise(pixels, mean, std).contiguous(memory_format=torch.channels_last)
y = torch.from_numpy(labels)
model = ConvResNet(a.type, classes=10).to(memory_format=torch.channels_last).train()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
order = torch.randperm(len(y))
times, cpu = [], []
for step in range(a.warmup + a.steps):
    idx = order[step * a.batch:(step + 1) * a.batch]
    xb, yb = x[idx].contiguous(memory_format=torch.channels_last), y[idx]
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
      f'{torch.backends.cpu.get_cpu_capability()}, steps {[round(t, 3) for t in times]}')
print(f'cpu_seconds_per_step={float(np.median(cpu)):.4f}')
print(f'samples_per_second={a.batch / float(np.median(times)):.3f}')
