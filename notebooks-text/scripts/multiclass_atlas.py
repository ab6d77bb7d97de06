#!/usr/bin/env python3
"""The multi-class UJM atlas of notebooks-text/08-multiclass-ujm.md (issue 17).

    python3 notebooks-text/scripts/multiclass_atlas.py [--ujm ./ujm] [--D 16] [--starts 3]
        [--jobs 2] [--json atlas.json]

Solves `ujm solve --classes C --examples-per-class N --D 16 --L L --lambda λ --seed s
--starts 3 --json` over C ∈ {2, 3, 4, 6, 10}, L ∈ {2, 4, 8, 16}, λ ∈ {1e-1, 1e-2, 1e-3},
N ∈ {1, 5} per class and seeds 0, 1, 2, and prints one row per (C, N, L, λ) with, over the three
seeds: how many converged and passed every proved check (rank ≤ C−1, 1ᵀW = 0, stationarity),
the smallest and largest numerical rank over blocks and seeds, how many passed each observed
check (equal spectra, aligned, symmetric), the largest relative spread of F over a seed's
starts, and seed 0's best F and its block-1 singular values above 1e-6·σ₁.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

CLASSES = [2, 3, 4, 6, 10]
DEPTHS = [2, 4, 8, 16]
LAMBDAS = ["1e-1", "1e-2", "1e-3"]
PER_CLASS = [1, 5]
SEEDS = [0, 1, 2]


def solve(ujm, c, n, d, l, lam, seed, starts):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run(
        [ujm, "solve", "--classes", str(c), "--examples-per-class", str(n), "--D", str(d),
         "--L", str(l), "--lambda", lam, "--seed", str(seed), "--starts", str(starts), "--json"],
        capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ujm", default="./ujm")
    p.add_argument("--D", type=int, default=16)
    p.add_argument("--starts", type=int, default=3)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--json")
    a = p.parse_args()
    cells = [(c, n, l, lam) for c in CLASSES for n in PER_CLASS for l in DEPTHS for lam in LAMBDAS]
    jobs = [(c, n, l, lam, s) for (c, n, l, lam) in cells for s in SEEDS]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        reports = dict(zip(jobs, pool.map(
            lambda j: solve(a.ujm, j[0], j[1], a.D, j[2], j[3], j[4], a.starts), jobs)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({" ".join(map(str, k)): v for k, v in reports.items()}, f)

    def passed(report, fragment, kind="observed"):
        return all(c["passed"] for c in report[kind] if fragment in c["name"])

    print(f"D = {a.D}, {a.starts} starts per solve, seeds {SEEDS}; counts are out of 3 seeds")
    print(f"{'C':>3} {'N/c':>3} {'L':>3} {'λ':>5}  {'proved':>6} {'rank':>5} {'equal':>5} "
          f"{'align':>5} {'sym':>5} {'F spread':>8}  {'best F (seed 0)':>17}  σ(J₁) (seed 0)")
    totals = {"proved": 0, "equal": 0, "align": 0, "sym": 0, "below": 0, "n": 0}
    for (c, n, l, lam) in cells:
        rs = [reports[(c, n, l, lam, s)] for s in SEEDS]
        proved = sum(r["stop_reason"] == "converged" and all(x["passed"] for x in r["checks"])
                     for r in rs)
        ranks = [b["rank"] for r in rs for b in r["multiclass"]["blocks"]]
        equal = sum(passed(r, "equal") for r in rs)
        align = sum(passed(r, "aligned") for r in rs)
        sym = sum(passed(r, "symmetric") for r in rs)
        spread = max((max(s["objective"] for s in r["starts"])
                      - min(s["objective"] for s in r["starts"])) / r["objective"] for r in rs)
        r0 = rs[0]
        sv = r0["multiclass"]["blocks"][0]["singular_values"]
        shown = ", ".join(f"{v:.4g}" for v in sv if v > 1e-6 * sv[0])
        totals["proved"] += proved
        totals["equal"] += equal
        totals["align"] += align
        totals["sym"] += sym
        totals["below"] += sum(min(b["rank"] for b in r["multiclass"]["blocks"]) < c - 1
                               for r in rs)
        totals["n"] += 3
        print(f"{c:>3} {n:>3} {l:>3} {lam:>5}  {proved:>6} {min(ranks):>2}–{max(ranks):<2} "
              f"{equal:>5} {align:>5} {sym:>5} {spread:>8.1e}  {r0['objective']:>17.12g}  {shown}")
    t = totals
    print(f"total over {t['n']} solves: proved checks {t['proved']}, equal spectra {t['equal']}, "
          f"aligned {t['align']}, symmetric {t['sym']}, rank below C−1 in some block {t['below']}")


if __name__ == "__main__":
    main()
