# Usage: python3 numpy_evaluate_conv.py CHECKPOINT.safetensors DATA_DIR
# Independent check of a convolutional checkpoint (issue 12's Types 2, 3, 5a, 5b): safetensors read
# by its spec (struct + json), the eval-mode forward in NumPy as PyTorch defines it (NCHW,
# Conv2d = cross-correlation with zero padding, BatchNorm2d with running statistics, eps 1e-5),
# Fashion-MNIST from the .gz files: standardised by the checkpoint's input_mean/input_std, then
# zero-padded 28x28 -> 32x32; the checkpoint's class subset relabelled 0..C-1 in its order.
import gzip, json, struct, sys
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
path, data = sys.argv[1], sys.argv[2]
raw = open(path, 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__', {})
base = 8 + n
T = {}
for name, info in header.items():
    b, e = info['data_offsets']
    dt = {'F32': '<f4', 'I64': '<i8'}[info['dtype']]
    T[name] = np.frombuffer(raw[base + b: base + e], dtype=dt).reshape(info['shape'])
L = len([k for k in T if k.endswith('.conv1.weight')])
skips = meta.get('skips', 'false' if '5b' in meta.get('arch', '') else 'true') == 'true'
print('tensors:', len(T), 'conv0.weight', T['conv0.weight'].shape, 'blocks', L, 'skips', skips,
      'shortcuts', [k for k in T if 'shortcut' in k])
def idx(p):
    b = gzip.open(p).read()
    dims = b[3]
    shape = struct.unpack('>' + 'I' * dims, b[4:4 + 4 * dims])
    return np.frombuffer(b[4 + 4 * dims:], dtype=np.uint8).reshape(shape)
x = idx(data + '/t10k-images-idx3-ubyte.gz').astype(np.float32) / 255
y = idx(data + '/t10k-labels-idx1-ubyte.gz').astype(np.int64)
classes = [int(c) for c in meta['classes'].split(',')] if 'classes' in meta else list(range(10))
keep = np.isin(y, classes)
x, y = x[keep], np.array([classes.index(int(c)) for c in y[keep]])
x = (x - float(meta['input_mean'])) / float(meta['input_std'])
x = np.pad(x, ((0, 0), (2, 2), (2, 2)))[:, None]  # N, 1, 32, 32; zeros in standardised units
def conv(h, w, stride, pad):
    # y[n,o,p,q] = sum_{c,a,b} w[o,c,a,b] h[n,c,s p - pad + a, s q - pad + b]
    h = np.pad(h, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = w.shape[2]
    win = sliding_window_view(h, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum('ncpqab,ocab->nopq', win, w, optimize=True)
def bn(h, p):
    s = T[p + '.weight'] / np.sqrt(T[p + '.running_var'] + 1e-5)
    t = T[p + '.bias'] - T[p + '.running_mean'] * s
    return h * s[None, :, None, None] + t[None, :, None, None]
relu = lambda v: np.maximum(v, 0)
def forward(h):
    h = relu(bn(conv(h, T['conv0.weight'], 2, 1), 'bn0'))
    for i in range(L):
        p = f'blocks.{i}'
        a = relu(bn(h, p + '.bn1'))
        stride = 2 if p + '.shortcut.weight' in T else 1
        f = conv(relu(bn(conv(a, T[p + '.conv1.weight'], stride, 1), p + '.bn2')),
                 T[p + '.conv2.weight'], 1, 1)
        if p + '.shortcut.weight' in T:
            h = conv(a, T[p + '.shortcut.weight'], 2, 0) + f
        else:
            h = h + f if skips else f
    pooled = relu(bn(h, 'bnf')).mean(axis=(2, 3))
    return pooled @ T['cls.weight'].T + T['cls.bias']
logits = np.concatenate([forward(x[s:s + 200]) for s in range(0, len(x), 200)]).astype(np.float64)
m = logits.max(1, keepdims=True)
lse = m[:, 0] + np.log(np.exp(logits - m).sum(1))
loss = (lse - logits[np.arange(len(y)), y]).mean()
print('numpy test accuracy %.4f loss %.6f (%d images)' % ((logits.argmax(1) == y).mean(), loss,
                                                          len(y)))
