# Usage: python3 numpy_compare_rows.py CHECKPOINT.safetensors DATA_DIR COMPARE.json [--tolerance 1e-6]
#
# An independent recomputation of `ujm compare`'s prediction rows (issue 22) for a fully-connected
# checkpoint, in NumPy float64, on the pairs that COMPARE.json (`ujm compare --json`) lists:
#   - the checkpoint read by the safetensors spec (struct + json), the evaluation-mode forward pass
#     written out from PyTorch's definitions (BatchNorm1d with eps 1e-5), inputs standardised as
#     ujm does (Float32 table v·1/(255·std) − mean/std);
#   - its own boundary search (first sign change of z = logit[b] − logit[a] on t = k/64, then
#     bisection to |z| ≤ 1e-12), dense Jacobians J = W2·diag(d2)·W1·diag(d1), dense SVDs,
#     A_iᵀw from the explicit products (I + J_L)ᵀ⋯(I + J_{i+1})ᵀw, its own least-squares lines;
#   - the rows' per-pair values, their medians, minima, maxima and the cyclic pair-mismatch nulls,
#     set against the JSON's `measured` and `null.median` (the bootstrap intervals are not
#     recomputed: they resample these same values with ujm's generator).
# Prints one line per number: numpy, ujm, |difference| and the tolerance; exits 1 on a
# disagreement. Needs only NumPy.
#
# Measured (issue 22): on a PyTorch-trained binary model (torch_binary_checkpoint.py --epochs 2
# --blocks 8 --width 128, torch 2.13 CPU), `ujm compare --pairs 30`: every t to 2.9e-11, every
# row's median, min, max and null median to 1.8e-11; on a ujm-trained Type 4a (60 steps, L = 8,
# D = 512, 10 pairs) to 9.1e-10; on a 3-class ujm checkpoint with --classes 0,6 to 4.6e-12.
import argparse, gzip, json, os, struct, sys
import numpy as np

p = argparse.ArgumentParser()
p.add_argument('checkpoint')
p.add_argument('data')
p.add_argument('report')
p.add_argument('--tolerance', type=float, default=1e-6)
a = p.parse_args()

raw = open(a.checkpoint, 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__', {})
T = {}
for name, info in header.items():
    b, e = info['data_offsets']
    dt = {'F32': '<f4', 'I64': '<i8', 'F64': '<f8'}[info['dtype']]
    T[name] = np.frombuffer(raw[8 + n + b: 8 + n + e], dtype=dt).reshape(info['shape'])
report = json.load(open(a.report))
skips = meta.get('skips', 'true') == 'true'
L = len([k for k in T if k.endswith('.fc1.weight')])
labels = [int(c) for c in meta['classes'].split(',')] if 'classes' in meta else [0, 1]
ia, ib = labels.index(report['classes'][0]), labels.index(report['classes'][1])


def idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    b = opener(path, 'rb').read()
    dims = b[3]
    shape = struct.unpack('>' + 'I' * dims, b[4:4 + 4 * dims])
    return np.frombuffer(b[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


images = os.path.join(a.data, 'train-images-idx3-ubyte')
images = images if os.path.exists(images) else images + '.gz'
pixels = idx(images).reshape(-1, T['fc0.weight'].shape[1])
mean, std = np.float32(float(meta['input_mean'])), np.float32(float(meta['input_std']))
scale = np.float32(1) / (np.float32(255) * std)
shift = -mean / std
table = (np.arange(256, dtype=np.float32) * scale + shift).astype(np.float32)
x_of = lambda position: table[pixels[position]].astype(np.float64)


def affine(prefix):
    s = T[prefix + '.weight'].astype(np.float64) / np.sqrt(T[prefix + '.running_var'].astype(np.float64) + 1e-5)
    return s, T[prefix + '.bias'].astype(np.float64) - T[prefix + '.running_mean'].astype(np.float64) * s


W0 = T['fc0.weight'].astype(np.float64)
s0, t0 = affine('bn0')
blocks = []
for i in range(L):
    s1, t1 = affine(f'blocks.{i}.bn1')
    s2, t2 = affine(f'blocks.{i}.bn2')
    blocks.append((T[f'blocks.{i}.fc1.weight'].astype(np.float64), s1, t1,
                   T[f'blocks.{i}.fc2.weight'].astype(np.float64), s2, t2))
sf, tf = affine('bnf')
C = T['cls.weight'].astype(np.float64)
cb = T['cls.bias'].astype(np.float64)
relu = lambda v: np.maximum(v, 0)


def trajectory(x):
    h = relu(s0 * (W0 @ x) + t0)
    hs = [h]
    for W1, s1, t1, W2, s2, t2 in blocks:
        f = W2 @ relu(s2 * (W1 @ relu(s1 * h + t1)) + t2)
        h = h + f if skips else f
        hs.append(h)
    return hs


def margin(x):
    h = trajectory(x)[-1]
    logits = C @ relu(sf * h + tf) + cb
    return logits[ib] - logits[ia]


def jacobian(i, h):
    W1, s1, t1, W2, s2, t2 = blocks[i]
    d1 = np.where(s1 * h + t1 > 0, s1, 0.0)
    d2 = np.where(s2 * (W1 @ relu(s1 * h + t1)) + t2 > 0, s2, 0.0)
    return W2 @ (d2[:, None] * W1 * d1[None, :])


def boundary(xa, xb):
    point = lambda t: (1 - t) * xa + t * xb
    z = [margin(point(k / 64)) for k in range(65)]
    for k in range(1, 65):
        if z[k - 1] == 0:
            return (k - 1) / 64
        if (z[k] > 0) != (z[k - 1] > 0):
            lo, hi, zlo = (k - 1) / 64, k / 64, z[k - 1]
            for _ in range(200):
                mid = (lo + hi) / 2
                zm = margin(point(mid))
                if abs(zm) <= 1e-12 or mid in (lo, hi):
                    return mid
                if (zm > 0) == (zlo > 0):
                    lo, zlo = mid, zm
                else:
                    hi = mid
            return (lo + hi) / 2
    return None


cos = lambda u, v: min(1.0, abs(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v)))
pairs = []
for entry in report['pairs']:
    xa, xb = x_of(entry['a']), x_of(entry['b'])
    t = boundary(xa, xb)
    if t is None:
        continue
    xm = (1 - t) * xa + t * xb
    hm = trajectory(xm)
    J = [jacobian(i, hm[i]) for i in range(L)]
    svd = [np.linalg.svd(j) for j in J]
    hL = hm[L]
    w = np.where(sf * hL + tf > 0, (C[ib] - C[ia]) * sf, 0.0)
    # g_k = (I + J_k)ᵀ⋯(I + J_{L−1})ᵀw (0-based), from the dense products.
    g = [None] * (L + 1)
    g[L] = w
    for k in range(L - 1, -1, -1):
        g[k] = ((np.eye(len(w)) + J[k]) if skips else J[k]).T @ g[k + 1]
    ends = []
    for x, y in ((xa, -1.0), (xb, 1.0)):
        hx = trajectory(x)
        d = [hx[0] - hm[0]]
        for k in range(L):
            d.append(d[-1] + J[k] @ d[-1] if skips else J[k] @ d[-1])
        sigma_x = [np.linalg.svd(jacobian(i, hx[i]), compute_uv=False)[0] for i in range(L)]
        ends.append(dict(y=y, d=d, z=margin(x), zhat=margin(xm) + w @ d[L], sigma=sigma_x))
    pairs.append(dict(t=t, J=J, svd=svd, w=w, g=g, ends=ends, json=entry))

P = len(pairs)
sig = np.array([[s[1][0] for s in q['svd']] for q in pairs])
med = np.median(sig, axis=0)
live = [i for i in range(L) if med[i] > 1e-6 * med.max() and med[i] > 1e-6]
mid = lambda v: float(np.median(v))
v1 = lambda q, i: q['svd'][i][2][0]
u1 = lambda q, i: q['svd'][i][0][:, 0]


def cross(p, q):
    return mid([cos(v1(p, i), v1(q, j)) for i in live for j in live if i != j])


def stationarity(p, q, e, i):
    a_ = p['g'][i + 1]
    d = q['ends'][e]['d'][i]
    return q['ends'][e]['y'] * a_ @ p['J'][i] @ d / (np.linalg.norm(p['J'][i]) * np.linalg.norm(a_) * np.linalg.norm(d))


def slope(sigma):
    i = np.array([k + 1 for k in live], dtype=float)
    y = np.array([1 / sigma[k] for k in live])
    return np.polyfit(i, y, 1)[0]


def growth(q, e, i):
    d = q['ends'][e]['d']
    return (np.linalg.norm(d[i + 1]) / np.linalg.norm(d[i]) - 1) / q['svd'][i][1][0]


nxt = lambda k: pairs[(k + 1) % P]
per_pair = lambda f: [f(q) for q in pairs]
per_end = lambda f: [f(q, e) for q in pairs for e in range(2)]
rows = {
    'rank_one@boundary': (per_pair(lambda q: mid([q['svd'][i][1][1] / q['svd'][i][1][0] for i in live])), None),
    'equal_sigma1@boundary': (per_pair(lambda q: (max(q['svd'][i][1][0] for i in live) - min(q['svd'][i][1][0] for i in live))
                                       / np.mean([q['svd'][i][1][0] for i in live])), None),
    'cross_block_alignment@boundary': (per_pair(lambda q: cross(q, q)),
                                       [cross(pairs[k], nxt(k)) for k in range(P)]),
    'delta_alignment@boundary': (per_end(lambda q, e: mid([cos(v1(q, i), q['ends'][e]['d'][i]) for i in live])),
                                 [mid([cos(v1(pairs[k], i), nxt(k)['ends'][e]['d'][i]) for i in live])
                                  for k in range(P) for e in range(2)]),
    'classifier_alignment@boundary': (per_end(lambda q, e: cos(q['w'], q['ends'][e]['d'][L])),
                                      [cos(pairs[k]['w'], nxt(k)['ends'][e]['d'][L]) for k in range(P) for e in range(2)]),
    'stationarity@boundary': (per_end(lambda q, e: mid([stationarity(q, q, e, i) for i in live])),
                              [mid([stationarity(pairs[k], nxt(k), e, i) for i in live]) for k in range(P) for e in range(2)]),
    'symmetry@boundary': (per_pair(lambda q: mid([u1(q, i) @ v1(q, i) for i in live])),
                          [mid([abs(u1(pairs[k], i) @ v1(nxt(k), i)) for i in live]) for k in range(P)]),
    'growth_rate@boundary': (per_end(lambda q, e: mid([growth(q, e, i) for i in live])), None),
    'linearisation@endpoints': (per_end(lambda q, e: abs(q['ends'][e]['zhat'] - q['ends'][e]['z']) / abs(q['ends'][e]['z'])), None),
    'inverse_depth@endpoints': (per_end(lambda q, e: slope(q['ends'][e]['sigma'])), None),
}

worst = 0.0
ok = True
print(f'{P} pairs with a boundary point, live blocks {[i + 1 for i in live]} (ujm: {report["live_blocks"]})')
ok &= [i + 1 for i in live] == report['live_blocks']
for q in pairs:
    diff = abs(q['t'] - q['json']['t'])
    print(f"pair {q['json']['a']}:{q['json']['b']}: t numpy {q['t']:.15f}, ujm {q['json']['t']:.15f}, |Δt| {diff:.2e}")
    ok &= diff <= a.tolerance
by_name = {r['name']: r for r in report['predictions']}
for name, (values, null) in rows.items():
    row = by_name[name]
    checks = [('median', np.median(values), row['measured']['median']),
              ('min', np.min(values), row['measured']['min']),
              ('max', np.max(values), row['measured']['max'])]
    if null is not None and row['null'] is not None and row['null']['median'] is not None:
        checks.append(('null median', np.median(null), row['null']['median']))
    for what, mine, theirs in checks:
        diff = abs(mine - theirs)
        worst = max(worst, diff)
        agree = diff <= a.tolerance * max(1.0, abs(theirs))
        ok &= bool(agree)
        print(f'{name} {what}: numpy {mine:.12g}, ujm {theirs:.12g}, |Δ| {diff:.2e} '
              f'(tolerance {a.tolerance:g}) — {"agree" if agree else "DISAGREE"}')
print(f'largest difference {worst:.2e}: {"all agree" if ok else "disagreement"}')
sys.exit(0 if ok else 1)
