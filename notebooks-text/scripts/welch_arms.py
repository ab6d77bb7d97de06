#!/usr/bin/env python3
"""Welch's t-test between the two arms of a sweep, from the CSV that `ujm sweep report --csv`
wrote (one row per run), the seeds as replicates: the same test `ujm sweep report` now prints
(t, Welch–Satterthwaite df, two-sided p), here recomputed with SciPy for the pages whose run
directories are not kept.

    python3 notebooks-text/scripts/welch_arms.py CSV AXIS QUANTITY [QUANTITY ...]
    python3 notebooks-text/scripts/welch_arms.py --arms CSV[:COLUMN=VALUE] CSV[:COLUMN=VALUE] QUANTITY ...

The second form takes the two arms from two CSVs (two sweeps), each optionally restricted to the
rows where COLUMN equals VALUE.
"""
import csv
import sys
from collections import defaultdict

from scipy import stats


def main(path, axis, quantities):
    arms = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["status"] == "complete":
                arms[row[axis]].append(row)
    values = sorted(arms)
    if len(values) != 2:
        sys.exit(f"{path}: {axis} has {len(values)} values ({', '.join(values)}); need two")
    a, b = values
    print(f"{path.split('/')[-1]}: {axis} = {a} (seeds {', '.join(r['seed'] for r in arms[a])}) "
          f"against {axis} = {b} (seeds {', '.join(r['seed'] for r in arms[b])})")
    test(arms[a], arms[b], quantities)


def arm(spec):
    path, _, condition = spec.partition(":")
    column, _, value = condition.partition("=")
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f)
                if r["status"] == "complete" and (not column or r[column] == value)]


def between(spec_a, spec_b, quantities):
    rows_a, rows_b = arm(spec_a), arm(spec_b)
    name = lambda spec: spec.split("/")[-1]
    print(f"{name(spec_a)} (seeds {', '.join(r['seed'] for r in rows_a)}) against "
          f"{name(spec_b)} (seeds {', '.join(r['seed'] for r in rows_b)})")
    test(rows_a, rows_b, quantities)


def test(arm_a, arm_b, quantities):
    for q in quantities:
        xa = [float(r[q]) for r in arm_a if r[q] != ""]
        xb = [float(r[q]) for r in arm_b if r[q] != ""]
        t = stats.ttest_ind(xa, xb, equal_var=False)
        mean = lambda xs: sum(xs) / len(xs)
        print(f"  {q}: {mean(xa):.4f} (n {len(xa)}) vs {mean(xb):.4f} (n {len(xb)}): "
              f"t {t.statistic:.3f}, df {t.df:.2f}, p {t.pvalue:.3g}")


if __name__ == "__main__":
    if len(sys.argv) < 4 or (sys.argv[1] == "--arms" and len(sys.argv) < 5):
        sys.exit(__doc__)
    if sys.argv[1] == "--arms":
        between(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        main(sys.argv[1], sys.argv[2], sys.argv[3:])
