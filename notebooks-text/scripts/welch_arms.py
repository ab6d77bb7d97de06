#!/usr/bin/env python3
"""Welch's t-test between the two arms of a sweep, from the CSV that `ujm sweep report --csv`
wrote (one row per run), the seeds as replicates: the same test `ujm sweep report` now prints
(t, Welch–Satterthwaite df, two-sided p), here recomputed with SciPy for the pages whose run
directories are not kept.

    python3 notebooks-text/scripts/welch_arms.py CSV AXIS QUANTITY [QUANTITY ...]
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
    for q in quantities:
        xa = [float(r[q]) for r in arms[a] if r[q] != ""]
        xb = [float(r[q]) for r in arms[b] if r[q] != ""]
        t = stats.ttest_ind(xa, xb, equal_var=False)
        mean = lambda xs: sum(xs) / len(xs)
        print(f"  {q}: {mean(xa):.4f} (n {len(xa)}) vs {mean(xb):.4f} (n {len(xb)}): "
              f"t {t.statistic:.3f}, df {t.df:.2f}, p {t.pvalue:.3g}")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
