# Usage: python3 numpy_evaluate.py CHECKPOINT.safetensors DATA_DIR
# Independent reader: safetensors by its spec (struct + json), the model's eval-mode forward in NumPy
# as PyTorch defines it, Fashion-MNIST from the .gz files.
import gzip, json, struct, sys
import numpy as np
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
print('metadata:', meta)
print('tensors:', len(T), 'fc0.weight', T['fc0.weight'].shape, 'cls.weight', T['cls.weight'].shape,
      'bn0.num_batches_tracked', T['bn0.num_batches_tracked'])
def idx(p):
    b = gzip.open(p).read()
    dims = b[3]
    shape = struct.unpack('>' + 'I' * dims, b[4:4 + 4 * dims])
    return np.frombuffer(b[4 + 4 * dims:], dtype=np.uint8).reshape(shape)
x = idx(data + '/t10k-images-idx3-ubyte.gz').reshape(-1, 784).astype(np.float32) / 255
y = idx(data + '/t10k-labels-idx1-ubyte.gz')
mean, std = float(meta['input_mean']), float(meta['input_std'])
x = (x - mean) / std
def bn(h, p):
    return (h - T[p + '.running_mean']) / np.sqrt(T[p + '.running_var'] + 1e-5) * T[p + '.weight'] + T[p + '.bias']
relu = lambda v: np.maximum(v, 0)
h = relu(bn(x @ T['fc0.weight'].T, 'bn0'))
L = len([k for k in T if k.endswith('.fc1.weight')])
for i in range(L):
    f = relu(bn(h, f'blocks.{i}.bn1')) @ T[f'blocks.{i}.fc1.weight'].T
    f = relu(bn(f, f'blocks.{i}.bn2')) @ T[f'blocks.{i}.fc2.weight'].T
    h = h + f if meta.get('skips', 'true') == 'true' else f
logits = relu(bn(h, 'bnf')) @ T['cls.weight'].T + T['cls.bias']
logits = logits.astype(np.float64)
m = logits.max(1, keepdims=True)
lse = m[:, 0] + np.log(np.exp(logits - m).sum(1))
loss = (lse - logits[np.arange(len(y)), y]).mean()
print('numpy test accuracy %.4f loss %.6f' % ((logits.argmax(1) == y).mean(), loss))
