"""Usage: python3 torch_conv_jacobians.py CHECKPOINT.safetensors [DATA_DIR] --indices I,J
                 [--top K] [--compare MEASURE.json ...] [--t971 T ...] [--threads T]

The top singular values of every block's Residual Jacobian J_i = dF_i/dh at h_i of a
convolutional checkpoint (issue 12's layout, see torch_conv_checkpoint.py), computed with
PyTorch in Float64 from the stored Float32 weights, in evaluation mode, matrix-free: J.v by
forward mode (torch.func.linearize, i.e. jvp) and J^T.u by reverse mode (torch.func.vjp), fed to
ARPACK (scipy.sparse.linalg.svds on a LinearOperator, tol 1e-14), with each triplet's residual
max(|J v - s u|, |J^T u - s v|)/s_1 printed as proof of convergence.

Conventions, as `ujm measure --indices`: the indices are 0-based positions in the training IDX
file (each must be an example of one of the checkpoint's classes); the inputs are standardised
with the checkpoint's input_mean/input_std as ujm does (the Float32 table of
torch_conv_checkpoint.standardise) and padded to 32x32; h_1 is the stem's output
ReLU(bn0(conv0(x))), h_{i+1} = h_i + F_i(h_i) (Type 5b: F_i(h_i)), and J_i is the Jacobian of the
branch F_i alone (for Type 5b the whole block) at the block's input h_i.

--compare MEASURE.json ... reads `ujm measure --json` run on the same --indices and compares block by
block: its top_singular_values are the means over the inputs of sigma_1..sigma_20, its
sigma1_per_input sigma_1 per input. --t971 T runs Algorithm 971 (l = 30 columns, T power
iterations, LU normalisation, as ujm) in NumPy on the same operator to show how far T = 20 is
from converged on this spectrum.

Needs PyTorch (CPU wheel), safetensors, NumPy and SciPy:
    pip install torch --index-url https://download.pytorch.org/whl/cpu
    pip install safetensors numpy scipy
"""
import os
for _v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_v, '1')  # one BLAS thread unless told otherwise (a shared machine)
import argparse, json, sys, time, warnings
import numpy as np
import scipy.linalg
import scipy.sparse.linalg as sla
import torch
from torch.func import linearize, vjp, vmap

warnings.filterwarnings('ignore', message='Attempted to insert a get_attr Node')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_conv_checkpoint import DEFAULT_DATA, idx, load_checkpoint, standardise  # noqa: E402


def inputs_at(data, positions, classes, mean, std):
    """The standardised, padded training images at file `positions` (1 x 1 x 32 x 32 each)."""
    x = idx(f'{data}/train-images-idx3-ubyte.gz')
    y = idx(f'{data}/train-labels-idx1-ubyte.gz')
    for p in positions:
        if not 0 <= p < len(y):
            sys.exit(f'--indices: {p} is out of range 0..<{len(y)}')
        if int(y[p]) not in classes:
            sys.exit(f'--indices: {p} is an example of class {y[p]}, not of {classes}')
    return [standardise(x[p:p + 1], mean, std).double() for p in positions]


class Jacobian(sla.LinearOperator):
    """J = dF/dh at h as a LinearOperator on flattened (NCHW) vectors, Float64."""

    def __init__(self, branch, h):
        self.shape_in = h.shape
        out, self.jvp = linearize(branch, h)
        _, self.vjp = vjp(branch, h)
        self.shape_out = out.shape
        super().__init__(np.float64, (out.numel(), h.numel()))

    def _matvec(self, v):
        v = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64).reshape(self.shape_in))
        with torch.no_grad():
            return self.jvp(v).reshape(-1).numpy().copy()

    def _rmatvec(self, u):
        u = torch.from_numpy(np.ascontiguousarray(u, dtype=np.float64).reshape(self.shape_out))
        with torch.no_grad():
            return self.vjp(u)[0].reshape(-1).numpy().copy()

    def _matmat(self, v):  # the columns as one batch (vmap): a batch of perturbation images
        v = torch.from_numpy(np.ascontiguousarray(v.T, dtype=np.float64))
        with torch.no_grad():
            out = vmap(self.jvp)(v.reshape(-1, *self.shape_in))
        return out.reshape(v.shape[0], -1).numpy().T.copy()

    def _rmatmat(self, u):
        u = torch.from_numpy(np.ascontiguousarray(u.T, dtype=np.float64))
        with torch.no_grad():
            out = vmap(lambda w: self.vjp(w)[0])(u.reshape(-1, *self.shape_out))
        return out.reshape(u.shape[0], -1).numpy().T.copy()


def product_checks(branch, h, j, seed=0):
    """J.v against central differences of F (F is piecewise linear: exact unless a ReLU flips
    within +-eps) and the adjoint identity <J v, u> = <v, J^T u>, both relative."""
    rng = np.random.default_rng(seed)
    v, u = rng.standard_normal(j.shape[1]), rng.standard_normal(j.shape[0])
    jv = j.matvec(v)
    eps = 1e-6 * float(h.norm()) / np.linalg.norm(v)
    dv = torch.from_numpy(v.reshape(tuple(h.shape)))
    with torch.no_grad():
        fd = ((branch(h + eps * dv) - branch(h - eps * dv)) / (2 * eps)).reshape(-1).numpy()
    adjoint = abs(jv @ u - v @ j.rmatvec(u)) / (np.linalg.norm(jv) * np.linalg.norm(u))
    return np.linalg.norm(fd - jv) / np.linalg.norm(jv), adjoint


def top_triplets(j, k, seed=0):
    """The top k singular triplets by ARPACK (Lanczos on J^T J), converged to tol 1e-14; the
    residual max(|J v - s u|, |J^T u - s v|)/s_1 of each."""
    v0 = np.random.default_rng(seed).standard_normal(min(j.shape))
    u, s, vt = sla.svds(j, k=k, tol=1e-14, v0=v0, maxiter=100000)
    order = np.argsort(s)[::-1]
    u, s, v = u[:, order], s[order], vt[order].T
    jv, jtu = j.matmat(v), j.rmatmat(u)
    res = np.maximum(np.linalg.norm(jv - u * s, axis=0), np.linalg.norm(jtu - v * s, axis=0))
    return s, res / s[0]


def algorithm971(j, k, iterations, columns=30, seed=0):
    """Algorithm 971 as ujm runs it (RandomizedSVD.swift): Q = A G, T times Q = A lu(A^T lu(Q)),
    Q = qr(Q), then the SVD of A^T Q; A = J (m >= n here). Top k singular values."""
    rng = np.random.default_rng(seed)
    lu = lambda x: scipy.linalg.lu(x, permute_l=True)[0]
    q = j.matmat(rng.standard_normal((j.shape[1], columns)))
    for _ in range(iterations):
        q = j.matmat(lu(j.rmatmat(lu(q))))
    q, _ = np.linalg.qr(q)
    return np.linalg.svd(j.rmatmat(q), compute_uv=False)[:k]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('checkpoint')
    p.add_argument('data', nargs='?', default=DEFAULT_DATA)
    p.add_argument('--indices', required=True)
    p.add_argument('--top', type=int, default=20, help='singular values per Jacobian')
    p.add_argument('--compare', nargs='+', default=[], metavar='JSON',
                   help='ujm measure --json outputs on the same --indices')
    p.add_argument('--t971', type=int, nargs='*', default=[],
                   help='also run Algorithm 971 in NumPy with these T')
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model, metadata = load_checkpoint(a.checkpoint)
    model = model.double().eval()
    classes = [int(c) for c in metadata['classes'].split(',')]
    positions = [int(s) for s in a.indices.split(',')]
    xs = inputs_at(a.data, positions, classes, float(metadata['input_mean']),
                   float(metadata['input_std']))
    depth = len(model.blocks)
    print(f'{a.checkpoint}: Type {model.kind}, {depth} blocks, skips {model.skips}; '
          f'inputs {positions}; torch {torch.__version__}, {torch.get_num_threads()} thread(s)')
    sigma = np.zeros((len(xs), depth, a.top))
    residual = np.zeros((len(xs), depth))
    checks = np.zeros((len(xs), depth, 2))
    t971 = {t: np.zeros((len(xs), depth, a.top)) for t in a.t971}
    start, reference_seconds = time.time(), 0.0
    for n, x in enumerate(xs):
        with torch.no_grad():
            h = model.stem(x)
        for i, block in enumerate(model.blocks):
            j = Jacobian(block.branch, h)
            checks[n, i] = product_checks(block.branch, h, j, seed=n * depth + i)
            t0 = time.time()
            s, res = top_triplets(j, a.top, seed=n * depth + i)
            reference_seconds += time.time() - t0
            sigma[n, i], residual[n, i] = s, res.max()
            for t in a.t971:
                t971[t][n, i] = algorithm971(j, a.top, t, seed=n * depth + i)
            print(f'input {positions[n]} block {i + 1}: sigma_1 {s[0]:.15g}, sigma_{a.top} '
                  f'{s[-1]:.15g}, largest triplet residual / sigma_1 {res.max():.1e} '
                  f'({time.time() - start:.0f} s)', file=sys.stderr, flush=True)
            with torch.no_grad():
                h = block(h, model.skips)
    mean = sigma.mean(axis=0)
    print(f'reference (ARPACK, tol 1e-14): {len(xs)} inputs x {depth} Jacobians, top {a.top} '
          f'each, in {reference_seconds:.0f} s; triplet residuals at most {residual.max():.1e} '
          f'of sigma_1')
    print(f'products: |J.v - central difference of F|/|J.v| at most {checks[:, :, 0].max():.1e} '
          f'(eps = 1e-6 |h|), adjoint identity relative error at most {checks[:, :, 1].max():.1e}')
    for t in a.t971:
        err = np.abs(t971[t].mean(axis=0) - mean) / mean
        print(f'Algorithm 971 in NumPy, T = {t}, l = 30: max relative error of the input-mean '
              f'sigma_1 {err[:, 0].max():.2e}, sigma_1..5 {err[:, :5].max():.2e}, '
              f'sigma_1..{a.top} {err.max():.2e}')
    for path in a.compare:
        compare(path, positions, sigma, mean, residual, a.top)


def compare(path, positions, sigma, mean, residual, top):
    """The relative differences of `ujm measure --json` (file `path`) from the reference."""
    report = json.load(open(path))
    if report['inputs'] != positions:
        sys.exit(f'--compare: {path} measured inputs {report["inputs"]}, not {positions}')
    svd = report['svd']
    print(f'ujm measure ({svd["method"]}, T = {svd["power_iterations"]}, '
          f'{svd["triplets_per_jacobian"]} triplets, l = '
          f'{svd["triplets_per_jacobian"] + svd["oversampling"]}): |sigma_k(ujm) - sigma_k(torch)|'
          f' / sigma_k(torch), sigma_k the mean over the inputs (sigma_1 also per input)')
    print('block  sigma_1 torch        sigma_1 ujm          sigma_1   sigma_1..5  sigma_1..10  '
          'sigma_1..20')
    spans = [5, 10, top]
    worst = np.zeros(1 + len(spans))
    for i, b in enumerate(report['blocks']):
        ujm = np.array(b['top_singular_values'][:top])
        rel = np.abs(ujm - mean[i][:len(ujm)]) / mean[i][:len(ujm)]
        per_input = np.abs(np.array(b['sigma1_per_input']) - sigma[:, i, 0]) / sigma[:, i, 0]
        d = np.array([max(rel[0], per_input.max())] + [rel[:k].max() for k in spans])
        worst = np.maximum(worst, d)
        print(f'{b["index"]:5d}  {mean[i][0]:.15f}  {ujm[0]:.15f}  {d[0]:.1e}   {d[1]:.1e}'
              f'     {d[2]:.1e}      {d[3]:.1e}')
    print(f'all blocks: sigma_1 {worst[0]:.1e}, sigma_1..5 {worst[1]:.1e}, sigma_1..10 '
          f'{worst[2]:.1e}, sigma_1..{top} {worst[3]:.1e} (target 1e-6); triplet residuals: '
          f'torch at most {residual.max():.1e}, ujm {svd["largest_top_k_triplet_residual"]:.1e} '
          f'over the top {report["ra2"]["rank"]}, {svd["largest_triplet_residual"]:.1e} over all')

if __name__ == '__main__':
    main()
