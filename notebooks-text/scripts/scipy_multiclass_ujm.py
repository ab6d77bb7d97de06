#!/usr/bin/env python3
"""The multi-class UJM solved by SciPy's L-BFGS-B, against `ujm solve --inputs --labels`.

F(J₁…J_L, W) = (1/N)·Σₙ CE(W·(I+J_L)⋯(I+J₁)Δxₙ, yₙ) + λ/2·Σᵢ‖Jᵢ‖²_F + λ/2·‖W‖²_F (issue 17;
Definition 3.2 of Li & Papyan 2023 with N inputs and C classes).

    python3 notebooks-text/scripts/scipy_multiclass_ujm.py --ujm .build/release/ujm \
        [--classes 3 --per-class 2 --D 12 --L 3 --lambda 1e-2 --seed 0 --starts 4]

1. Draws an instance with NumPy (class means N(0, I/D), inputs mean + N(0, 0.1²I/D)), writes
   X.npy (N×D float64) and y.npy (int64) to --work.
2. Minimises F with scipy.optimize.minimize(method="L-BFGS-B", gtol=1e-12) from --starts
   starts (Jᵢ ~ N(0, 0.01/D), W ~ N(0, 1/D)), timing each; keeps the best F.
3. Runs `ujm solve --inputs X.npy --labels y.npy --json --hessian --save-optimum x.npy` on the
   same instance (its own seeded starts).
4. At ujm's optimum, builds the dense Hessian by the complex step on NumPy's analytic gradient,
   H·e_k = Im ∇F(x + i·h·e_k)/h with h = 1e-30 (no subtraction, so exact to rounding), and
   compares its extreme eigenvalues with ujm's.
Prints each comparison with its measured value and tolerance; exits 1 when one fails.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import minimize


def unpack(x, D, C, L):
    Js = [x[i * D * D:(i + 1) * D * D].reshape(D, D, order="F") for i in range(L)]
    W = x[L * D * D:].reshape(C, D, order="F")
    return Js, W


def value_and_gradient(x, X, Y, lam, D, C, L):
    """F and ∇F (flat, ujm's layout); X is D×N, Y the C×N one-hot labels. Complex-safe."""
    Js, W = unpack(x, D, C, L)
    N = X.shape[1]
    A = [X]
    for J in Js:
        A.append(A[-1] + J @ A[-1])
    Z = W @ A[-1]
    m = Z.real.max(axis=0, keepdims=True)
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
    p.add_argument("--ujm", default=".build/release/ujm")
    p.add_argument("--work", default="/tmp/ujm-scipy-multiclass")
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--per-class", type=int, default=2)
    p.add_argument("--D", type=int, default=12)
    p.add_argument("--L", type=int, default=3)
    p.add_argument("--lambda", dest="lam", type=float, default=1e-2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--starts", type=int, default=4)
    a = p.parse_args()
    D, C, L, lam = a.D, a.classes, a.L, a.lam
    os.makedirs(a.work, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    means = rng.normal(0, 1 / np.sqrt(D), size=(C, D))
    rows, labels = [], []
    for c in range(C):
        for _ in range(a.per_class):
            rows.append(means[c] + rng.normal(0, 0.1 / np.sqrt(D), size=D))
            labels.append(c)
    Xrows = np.array(rows)
    y = np.array(labels, dtype=np.int64)
    np.save(os.path.join(a.work, "X.npy"), Xrows)
    np.save(os.path.join(a.work, "y.npy"), y)
    X = Xrows.T
    N = X.shape[1]
    Y = np.zeros((C, N))
    Y[y, np.arange(N)] = 1
    n = L * D * D + C * D

    def fg(x):
        return value_and_gradient(x, X, Y, lam, D, C, L)

    best = None
    times = []
    for s in range(a.starts):
        x0 = np.concatenate([rng.normal(0, np.sqrt(0.01 / D), L * D * D),
                             rng.normal(0, 1 / np.sqrt(D), C * D)])
        t0 = time.perf_counter()
        r = minimize(fg, x0, jac=True, method="L-BFGS-B",
                     options={"gtol": 1e-12, "ftol": 1e-16, "maxiter": 100000, "maxcor": 10})
        times.append(time.perf_counter() - t0)
        gnorm = np.linalg.norm(fg(r.x)[1])
        print(f"SciPy start {s}: F = {r.fun:.15g}, ‖∇F‖ = {gnorm:.1e}, {r.nit} iterations, "
              f"{times[-1]:.3f} s")
        if best is None or r.fun < best.fun:
            best = r
    Js, _ = unpack(best.x, D, C, L)
    scipy_sv = [np.linalg.svd(J, compute_uv=False)[:C + 1] for J in Js]

    out = subprocess.run(
        [a.ujm, "solve", "--inputs", os.path.join(a.work, "X.npy"), "--labels",
         os.path.join(a.work, "y.npy"), "--L", str(L), "--lambda", repr(lam), "--seed",
         str(a.seed), "--starts", str(a.starts), "--json", "--hessian", "--save-optimum",
         os.path.join(a.work, "x.npy")], capture_output=True, text=True)
    report = json.loads(out.stdout)
    xu = np.load(os.path.join(a.work, "x.npy"))
    failures = 0

    def check(name, measured, tolerance):
        nonlocal failures
        ok = measured <= tolerance
        failures += 0 if ok else 1
        print(f"{name}: measured {measured:.1e}, tolerance {tolerance:.0e} — "
              f"{'pass' if ok else 'FAIL'}")

    print(f"ujm: F = {report['objective']:.15g}, ‖∇F‖ = {report['gradient_norm']:.1e}, "
          f"{len(report['starts'])} starts in {report['seconds']:.4f} s")
    check("|F_ujm − F_SciPy|/F_SciPy (best over starts)",
          abs(report["objective"] - best.fun) / abs(best.fun), 1e-9)
    worst = 0.0
    for i, block in enumerate(report["multiclass"]["blocks"]):
        su = np.array(block["singular_values"][:C - 1])
        ss = scipy_sv[i][:C - 1]
        worst = max(worst, float(np.max(np.abs(su - ss) / ss[0])))
    print("top singular values, ujm:  ", [round(v, 6) for v in
                                          report["multiclass"]["blocks"][0]["singular_values"]])
    print("top singular values, SciPy:", [round(float(v), 6) for v in scipy_sv[0]])
    check("top C−1 singular values, max |σ_ujm − σ_SciPy|/σ₁", worst, 1e-6)
    # The dense Hessian at ujm's point by the complex step on the analytic gradient.
    h = 1e-30
    H = np.empty((n, n))
    for k in range(n):
        z = xu.astype(complex)
        z[k] += 1j * h
        H[:, k] = fg(z)[1].imag / h
    ev = np.linalg.eigvalsh((H + H.T) / 2)
    hs = report["hessian"]
    scale = max(abs(ev[0]), abs(ev[-1]))
    print(f"Hessian (n = {n}): NumPy complex step μ_min = {ev[0]:.12g}, μ_max = {ev[-1]:.12g}; "
          f"ujm μ_min = {hs['min_eigenvalue']:.12g}, μ_max = {hs['max_eigenvalue']:.12g}, "
          f"{hs['verdict']}")
    check("Hessian extremes, max |μ_ujm − μ_NumPy|/|μ|_max",
          max(abs(hs["min_eigenvalue"] - ev[0]), abs(hs["max_eigenvalue"] - ev[-1])) / scale,
          1e-8)
    one = min(times)
    print(f"speed: ujm's {len(report['starts'])} starts {report['seconds']:.4f} s, "
          f"the fastest SciPy start {one:.4f} s, ratio {one / report['seconds']:.1f}×")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
