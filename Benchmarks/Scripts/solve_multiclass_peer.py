#!/usr/bin/env python3
"""SolveBenchmark's SciPy peer: the multi-class UJM by L-BFGS-B from the benchmark's own starts.

F(J₁…J_L, W) = (1/N)·Σₙ CE(W·(I+J_L)⋯(I+J₁)Δxₙ, yₙ) + λ/2·Σᵢ‖Jᵢ‖²_F + λ/2·‖W‖²_F (issue 17).

    python3 solve_multiclass_peer.py --data DIR --L 3 --lambda 1e-2 --classes 3

DIR holds X.npy (N×D inputs), y.npy (N labels, as float64) and starts.npy (K×P, one flat start
per row in ujm's layout: J₁…J_L then W, each column-major), written by SolveBenchmark. Runs
scipy.optimize.minimize(method="L-BFGS-B", gtol=1e-12, ftol=1e-16, maxcor=10) from every start,
timing each with time.perf_counter and time.process_time (the interpreter's start-up and the imports are not timed),
and prints one line `start=k seconds=… cpu_seconds=… objective=… iterations=… gradient_norm=…` per start, then
`best_objective=…` and `singular_values=…` (the top C+1 singular values of each Jᵢ at the best
start, blocks separated by `;`). The gradient is value_and_gradient of
notebooks-text/scripts/scipy_multiclass_ujm.py (NumPy matrix products), copied here so that the
benchmark package does not reach into the notebooks.
"""
import argparse
import os
import time

import numpy as np
from scipy.optimize import minimize


def value_and_gradient(x, X, Y, lam, D, C, L):
    """F and ∇F (flat, ujm's layout); X is D×N, Y the C×N one-hot labels."""
    Js = [x[i * D * D:(i + 1) * D * D].reshape(D, D, order="F") for i in range(L)]
    W = x[L * D * D:].reshape(C, D, order="F")
    N = X.shape[1]
    A = [X]
    for J in Js:
        A.append(A[-1] + J @ A[-1])
    Z = W @ A[-1]
    m = Z.max(axis=0, keepdims=True)
    E = np.exp(Z - m)
    S = E.sum(axis=0, keepdims=True)
    loss = (m + np.log(S) - (Z * Y).sum(axis=0, keepdims=True)).sum() / N
    G = (E / S - Y) / N
    reg = sum((J * J).sum() for J in Js) + (W * W).sum()
    gW = G @ A[-1].T + lam * W
    B = W.T @ G
    gJ = [None] * L
    for i in range(L - 1, -1, -1):
        gJ[i] = B @ A[i].T + lam * Js[i]
        B = B + Js[i].T @ B
    g = np.concatenate([gj.reshape(-1, order="F") for gj in gJ] + [gW.reshape(-1, order="F")])
    return loss + lam / 2 * reg, g


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--L", type=int, required=True)
    p.add_argument("--lambda", dest="lam", type=float, required=True)
    p.add_argument("--classes", type=int, required=True)
    a = p.parse_args()
    X = np.load(os.path.join(a.data, "X.npy")).T
    y = np.load(os.path.join(a.data, "y.npy")).astype(np.int64)
    starts = np.load(os.path.join(a.data, "starts.npy"))
    if starts.ndim == 1:
        starts = starts[None, :]
    D, N = X.shape
    C, L, lam = a.classes, a.L, a.lam
    Y = np.zeros((C, N))
    Y[y, np.arange(N)] = 1

    def fg(x):
        return value_and_gradient(x, X, Y, lam, D, C, L)

    best = None
    for k, x0 in enumerate(starts):
        t0 = time.perf_counter()
        c0 = time.process_time()
        r = minimize(fg, x0.copy(), jac=True, method="L-BFGS-B",
                     options={"gtol": 1e-12, "ftol": 1e-16, "maxiter": 100000, "maxcor": 10})
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
        gnorm = np.linalg.norm(fg(r.x)[1])
        print(f"start={k} seconds={seconds!r} cpu_seconds={cpu!r} objective={float(r.fun)!r} iterations={r.nit} "
              f"gradient_norm={float(gnorm)!r}", flush=True)
        if best is None or r.fun < best.fun:
            best = r
    print(f"best_objective={float(best.fun)!r}")
    blocks = []
    for i in range(L):
        J = best.x[i * D * D:(i + 1) * D * D].reshape(D, D, order="F")
        blocks.append(",".join(repr(float(v)) for v in np.linalg.svd(J, compute_uv=False)[:C + 1]))
    print("singular_values=" + ";".join(blocks), flush=True)


if __name__ == "__main__":
    main()
