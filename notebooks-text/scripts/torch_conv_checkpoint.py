"""Usage: python3 torch_conv_checkpoint.py OUT.safetensors [DATA_DIR] [--type 5a|5b|2|3]
                 [--width W] [--blocks B] [--classes 0,6] [--steps N] [--batch B] [--seed S]
                 [--threads T]
       python3 torch_conv_checkpoint.py [DATA_DIR] --epochs E --run-dir DIR [same options]
       python3 torch_conv_checkpoint.py --evaluate CHECKPOINT.safetensors [DATA_DIR]
                 [--compare UJM_EVALUATE.json]
       python3 torch_conv_checkpoint.py --write-subset DIR [DATA_DIR] --classes 0,1,6
                 [--train-per-class 200] [--test-per-class 20] [--side 14]
       python3 torch_conv_checkpoint.py --boundary CHECKPOINT.safetensors [DATA_DIR]
                 [--classes a,b] [--pairs 3] [--compare UJM_COMPARE.json]

--epochs E --run-dir DIR trains E passes of len // batch steps and writes, as a PyTorch user's
loop would, checkpoint-epoch<e>.safetensors after every epoch and checkpoint.safetensors (the last
epoch's tensors) into DIR: the layout `ujm compare --checkpoint DIR --snapshots` reads. --width and
--blocks make a smaller network of the same kind (ujm reads depth and width from the tensors);
--write-subset writes a small IDX data directory (optionally 2x2- or 4x4-averaged); --boundary
prints PyTorch's Float64 boundary values for `ujm compare` on the first --pairs correctly
classified pairs (t, margins, linearised margins, |delta_1|, sigma_1 and |J_i|_F from the dense
Jacobian) as JSON, or with --compare sets `ujm compare --json` on those pairs against them
(tolerance 1e-6). Tests/Fixtures/pytorch-conv/README.md lists the commands of its fixtures.

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
import argparse, gzip, json, struct, sys, time
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
    with mu, sigma rounded to Float32, then zero-padded 28 -> 32 (other sides unpadded, as ujm's
    ConvolutionalInput(image:)). Returns N x 1 x 32 x 32 Float32 for 28 x 28 images."""
    m, s = np.float32(mean), np.float32(std)
    scale = np.float32(1) / (np.float32(255) * s)
    shift = -m / s
    table = np.arange(256, dtype=np.float32) * scale + shift
    x = table[pixels]
    pad = 2 if pixels.shape[-1] == 28 else 0
    return torch.from_numpy(np.pad(x, ((0, 0), (pad, pad), (pad, pad)))[:, None].copy())


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
    """Type `kind` with `blocks` blocks (default: the Type's 8 or 16) of `width` channels (default
    64); Type 3: the second half of the blocks at 2 x width, its first block downsampling."""

    def __init__(self, kind='5a', classes=2, in_channels=1, width=64, blocks=None):
        super().__init__()
        self.kind, self.skips = kind, kind != '5b'
        count = blocks or BLOCKS[kind]
        half = count // 2
        self.conv0 = nn.Conv2d(in_channels, width, 3, stride=2, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(width)
        layers = []
        for i in range(count):
            if kind == '3' and i >= half:
                layers.append(Block(width if i == half else 2 * width, 2 * width,
                                    downsample=i == half))
            else:
                layers.append(Block(width, width))
        self.blocks = nn.ModuleList(layers)
        out = 2 * width if kind == '3' else width
        self.bnf, self.cls = nn.BatchNorm2d(out), nn.Linear(out, classes)

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
    if any(k.endswith('.shortcut.weight') for k in tensors):
        return '3'
    if blocks == 16 and tensors['conv0.weight'].shape[0] == 64:
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
                       in_channels=tensors['conv0.weight'].shape[1],
                       width=tensors['conv0.weight'].shape[0],
                       blocks=len([k for k in tensors if k.endswith('.conv1.weight')]))
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


def write_idx(path, array):
    """`array` (uint8) as a gzipped IDX file (magic 0x0000080N, big-endian sizes), written with a
    fixed gzip time stamp so that the bytes depend on the data only."""
    header = bytes([0, 0, 8, array.ndim]) + struct.pack('>' + 'I' * array.ndim, *array.shape)
    with open(path, 'wb') as raw, gzip.GzipFile(fileobj=raw, mode='wb', mtime=0) as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_subset(out, data, classes, train, test, side=28):
    """A small IDX data directory: the first `train` (`test`) examples of each of `classes` from
    DATA's training (test) file, in file order, with their original labels; `side` < 28 (a divisor
    of 28) averages k x k pixel squares, k = 28 / side, rounded to the nearest integer (such
    images are not padded, as in ujm)."""
    os.makedirs(out, exist_ok=True)
    k = 28 // side
    assert side * k == 28, '--side must divide 28'
    for prefix, count in (('train', train), ('t10k', test)):
        x = idx(f'{data}/{prefix}-images-idx3-ubyte.gz')
        y = idx(f'{data}/{prefix}-labels-idx1-ubyte.gz')
        keep = np.sort(np.concatenate([np.flatnonzero(y == c)[:count] for c in classes]))
        pixels = x[keep].reshape(len(keep), side, k, side, k).astype(np.float64).mean(axis=(2, 4))
        write_idx(f'{out}/{prefix}-images-idx3-ubyte.gz', np.rint(pixels).astype(np.uint8))
        write_idx(f'{out}/{prefix}-labels-idx1-ubyte.gz', y[keep])
        print(f'wrote {out}/{prefix}-*: {len(keep)} images of classes {classes}')


def save(model, path, a, classes, mean, std, steps):
    """The strict state_dict with safetensors and the metadata a user's script would write (no
    `skips`, no `epochs`: a snapshot's epoch is in its file name)."""
    from safetensors.torch import save_file
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    width, count = model.conv0.out_channels, len(model.blocks)
    side = 16 if a.side == 28 else (a.side + 1) // 2
    if a.type == '3':
        h = count // 2
        shape = (f'{h} blocks of {width} channels at {side}x{side}, {count - h} of {2 * width} '
                 f'at {(side + 1) // 2}x{(side + 1) // 2}, skips')
    else:
        shape = (f'{count} blocks of {width} channels at {side}x{side}, '
                 f'{"no skips" if a.type == "5b" else "skips"}')
    save_file(state, path, metadata={
        'arch': f'pytorch conv resnet type {a.type}, {shape}',
        'input_mean': repr(mean), 'input_std': repr(std),
        'classes': ','.join(map(str, classes)), 'steps': str(steps),
        'batch': str(a.batch), 'seed': str(a.seed), 'wd': repr(a.wd)})
    return len(state)


def train(a, classes):
    """Trains on DATA's classes (SGD, momentum 0.9, cosine schedule); `--epochs E` runs E passes
    of len // batch steps (each a fresh permutation) and, with --run-dir, writes
    checkpoint-epoch<e>.safetensors after each and checkpoint.safetensors (the last epoch's
    tensors) at the end. Returns (model, mean, std)."""
    pixels, labels, _ = split(a.data, 'train', classes)
    a.side = pixels.shape[-1]
    mean, std = pixel_statistics(pixels)
    x, y = standardise(pixels, mean, std), torch.from_numpy(labels)
    model = ConvResNet(a.type, classes=len(classes), width=a.width, blocks=a.blocks)
    per_epoch = len(y) // a.batch
    steps = a.epochs * per_epoch if a.epochs else a.steps
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    g = torch.Generator().manual_seed(a.seed)
    perm, at, start = torch.randperm(len(y), generator=g), 0, time.time()
    model.train()
    for step in range(1, steps + 1):
        if at + a.batch > len(y):
            perm, at = torch.randperm(len(y), generator=g), 0
        i = perm[at:at + a.batch]
        at += a.batch
        loss = nn.functional.cross_entropy(model(x[i]), y[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 25 == 0 or step == steps:
            print(f'step {step}/{steps}: batch loss {loss.item():.4f} '
                  f'({time.time() - start:.0f} s)', flush=True)
        if a.run_dir and step % per_epoch == 0:
            epoch = step // per_epoch
            name = f'{a.run_dir}/checkpoint-epoch{epoch}.safetensors'
            n = save(model, name, a, classes, mean, std, step)
            print(f'wrote {name}: {n} tensors', flush=True)
            model.train()
    return model, mean, std


def boundary_values(path, data, pair, count):
    """An independent recomputation, in PyTorch Float64, of the quantities of `ujm compare` that
    involve no randomised SVD: for the first `count` correctly classified training inputs of
    each of the classes a, b (file order; PyTorch's own argmax) paired in order, z = logit[b] -
    logit[a] at both inputs, the first sign change of z on x(t) = (1-t) x_a + t x_b (65-point
    grid, own bisection to |z| <= 1e-12), and at each input x the linearised margin
    z(x_mid) + w.delta_{L+1} = z(x_mid) + d(head o blocks)(h_1(x_mid))[h_1(x) - h_1(x_mid)] (one
    jvp, torch.func), and per block sigma_1(J_i) and ||J_i||_F at x_mid from the dense Jacobian
    (torch.func.jacfwd of the branch, numpy SVD)."""
    from torch.func import jacfwd, jvp
    model, metadata = load_checkpoint(path)
    model = model.double().eval()
    classes = [int(c) for c in metadata['classes'].split(',')]
    ia, ib = classes.index(pair[0]), classes.index(pair[1])
    pixels, labels, positions = split(data, 'train', classes)
    x = standardise(pixels, float(metadata['input_mean']), float(metadata['input_std'])).double()
    with torch.no_grad():
        predicted = torch.cat([model(x[k:k + 250]) for k in range(0, len(x), 250)]).argmax(1)
    correct = predicted.numpy() == labels
    first = [np.flatnonzero(correct & (labels == c))[:count] for c in (ia, ib)]

    def margin(logits):
        return logits[..., ib] - logits[..., ia]

    def z(v):
        return margin(model(v))

    def blocks(h):
        for b in model.blocks:
            h = b(h, model.skips)
        return h

    rows = []
    with torch.no_grad():
        for na, nb in zip(*first):
            xa, xb = x[na:na + 1], x[nb:nb + 1]
            point = lambda t: (1 - t) * xa + t * xb
            grid = [k / 64 for k in range(65)]
            zs = [float(z(point(t))) for t in grid]
            k = next(k for k in range(64) if zs[k] == 0 or (zs[k] < 0) != (zs[k + 1] < 0))
            lo, hi, zlo = grid[k], grid[k + 1], zs[k]
            t, zt = lo, zlo
            for _ in range(200):
                t = (lo + hi) / 2
                zt = float(z(point(t)))
                if abs(zt) <= 1e-12 or hi - lo < 1e-16:
                    break
                if (zt < 0) == (zlo < 0):
                    lo, zlo = t, zt
                else:
                    hi = t
            mid = point(t)
            h1 = model.stem(mid)
            linear = lambda h: margin(model.head(blocks(h)))
            endpoints = []
            for xe in (xa, xb):
                d1 = model.stem(xe) - h1
                _, dz = jvp(linear, (h1,), (d1,))
                endpoints.append({'z': float(z(xe)), 'linearised_z': zt + float(dz),
                                  'delta1_norm': float(d1.norm())})
            sigma1, frobenius, h = [], [], h1
            for b in model.blocks:
                j = jacfwd(lambda v: b.branch(v).flatten())(h).reshape(-1, h.numel())
                s = np.linalg.svd(j.numpy(), compute_uv=False)
                sigma1.append(float(s[0]))
                frobenius.append(float(np.sqrt((s ** 2).sum())))
                h = b(h, model.skips)
            rows.append({'a': int(positions[na]), 'b': int(positions[nb]), 't': t,
                         'z_a': float(z(xa)), 'z_b': float(z(xb)), 'z_at_t': zt,
                         'endpoints': endpoints, 'sigma1': sigma1, 'frobenius': frobenius})
    return {'checkpoint': os.path.basename(path), 'classes': list(pair),
            'pair_indices': ','.join(f'{r["a"]}:{r["b"]}' for r in rows),
            'torch': torch.__version__, 'pairs': rows}


def compare_boundary(torch_values, ujm):
    """Sets `ujm compare --json` (run with --pair-indices of the same pairs) against
    boundary_values: the largest |difference| of each quantity, tolerance 1e-6. Returns the exit
    status (1 on a disagreement or other pairs)."""
    pairs = [(p['a'], p['b']) for p in ujm['pairs']]
    if pairs != [(p['a'], p['b']) for p in torch_values['pairs']]:
        print(f'ujm compared the pairs {pairs}; run it with --pair-indices '
              f'{torch_values["pair_indices"]}')
        return 1
    worst = {}
    for u, t in zip(ujm['pairs'], torch_values['pairs']):
        found = [('t', u['t'], t['t']), ('z_a, z_b', u['z_a'], t['z_a']),
                 ('z_a, z_b', u['z_b'], t['z_b'])]
        for ue, te in zip(u['endpoints'], t['endpoints']):
            found += [('z at the inputs', ue['z'], te['z']),
                      ('z(x_mid) + w.delta_{L+1}', ue['linearised_z'], te['linearised_z']),
                      ('|delta_1|', ue['dx_norm'], te['delta1_norm'])]
        found += [('sigma_1(J_i) at x_mid', s[0], d)
                  for s, d in zip(u['boundary']['singular_values'], t['sigma1'])]
        for name, x, y in found:
            worst[name] = max(worst.get(name, 0.0), abs(x - y))
    ok = all(d <= 1e-6 for d in worst.values())
    print(f'{len(pairs)} pairs {torch_values["pair_indices"]}, classes {ujm["classes"]}, '
          f'torch {torch.__version__} float64 against ujm compare:')
    for name, d in worst.items():
        print(f'  {name}: largest |difference| measured {d:.1e}, tolerance 1e-6: '
              f'{"pass" if d <= 1e-6 else "FAIL"}')
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument('out', nargs='?')
    p.add_argument('data', nargs='?', default=DEFAULT_DATA)
    p.add_argument('--evaluate', metavar='CHECKPOINT', help='only evaluate this checkpoint')
    p.add_argument('--write-subset', metavar='DIR',
                   help='only write a small IDX data directory of --classes to DIR')
    p.add_argument('--train-per-class', type=int, default=200)
    p.add_argument('--test-per-class', type=int, default=20)
    p.add_argument('--side', type=int, default=28, help='--write-subset: image side (divides 28)')
    p.add_argument('--boundary', metavar='CHECKPOINT',
                   help='only print the independent boundary values of CHECKPOINT as JSON')
    p.add_argument('--pairs', type=int, default=3, help='pairs of --boundary')
    p.add_argument('--type', default='5a', choices=sorted(BLOCKS))
    p.add_argument('--width', type=int, default=64, help='channels of the blocks (Type 3: first '
                   'half; the Types of issue 12 have 64)')
    p.add_argument('--blocks', type=int, help='blocks (default: the Type\'s 8 or 16)')
    p.add_argument('--classes', default='0,6')
    p.add_argument('--steps', type=int, default=300)
    p.add_argument('--epochs', type=int, help='train E passes of len // batch steps instead')
    p.add_argument('--run-dir', metavar='DIR', help='with --epochs: write '
                   'checkpoint-epoch<e>.safetensors after every epoch and checkpoint.safetensors')
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--wd', type=float, default=5e-4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--json', action='store_true', help='print the evaluation as one JSON line')
    p.add_argument('--no-evaluate', action='store_true', help='train and save only')
    p.add_argument('--compare', metavar='JSON', help='ujm evaluate --json of the same checkpoint '
                   '(with --boundary: ujm compare --json on its pairs)')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.out and (a.write_subset or a.boundary or a.run_dir):
        a.data = a.out  # the one positional is the data directory
    if a.write_subset:
        write_subset(a.write_subset, a.data, [int(c) for c in a.classes.split(',')],
                     a.train_per_class, a.test_per_class, a.side)
        return
    if a.boundary:
        pair = [int(c) for c in a.classes.split(',')]
        if not a.compare:
            print(json.dumps(boundary_values(a.boundary, a.data, pair, a.pairs), indent=1))
            return
        ujm = json.load(open(a.compare))
        values = boundary_values(a.boundary, a.data, ujm['classes'], a.pairs)
        sys.exit(compare_boundary(values, ujm))
    if a.evaluate:
        model, metadata = load_checkpoint(a.evaluate)
        classes = [int(c) for c in metadata['classes'].split(',')]
        mean, std = float(metadata['input_mean']), float(metadata['input_std'])
        if a.out:  # `--evaluate FILE DATA`: the positional is the data directory
            a.data = a.out
    else:
        if a.run_dir:
            if not a.epochs:
                p.error('--run-dir needs --epochs')
            os.makedirs(a.run_dir, exist_ok=True)
        elif not a.out:
            p.error('OUT.safetensors is required unless --evaluate or --run-dir is given')
        classes = [int(c) for c in a.classes.split(',')]
        model, mean, std = train(a, classes)
        out = a.out if not a.run_dir else f'{a.run_dir}/checkpoint.safetensors'
        steps = a.epochs * (len(split(a.data, 'train', classes)[1]) // a.batch) \
            if a.epochs else a.steps
        n = save(model, out, a, classes, mean, std, steps)
        print(f'wrote {out}: {n} tensors (Type {a.type}), torch {torch.__version__}')
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
