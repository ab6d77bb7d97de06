#!/usr/bin/env python3
"""The paper's recipe, per weight-decay scope: test accuracy over training from each run's
`metrics.jsonl`, and Residual Alignment and Neural Collapse at the kept snapshots from `ujm
measure --json` reports.

    python3 notebooks-text/scripts/recipe_table.py accuracy SCOPE=METRICS.jsonl ...
    python3 notebooks-text/scripts/recipe_table.py measure LABEL=MEASURE.json ...
    python3 notebooks-text/scripts/recipe_table.py compare LABEL=COMPARE.json ...
    python3 notebooks-text/scripts/recipe_table.py snapshots LABEL=COMPARE.json ...

accuracy: per run, the test accuracy at epochs 1, 5, 10, 30, 100, 300, 500 (those reached), the
best epoch, and the difference from Table 1's 90.9% (Type 1 on Fashion-MNIST).
measure: per report, live blocks (σ₁ not below the dead threshold), RA1 PC1 fraction, RA2
diagonal fraction against its random baseline, RA3 gap σ_C/σ_(C+1), RA4's slope and R² with
its 95% bootstrap interval of the slope, NC1 at the classifier's input; medians over inputs.
compare: for `ujm compare --json` reports side by side, one line per prediction row with the
theory's value: the median over pairs in each report and whether the row holds (✓: its 95%
bootstrap interval within tolerance of the theory and excluding the null), fails (✗) or is not
identifiable (–); under a relational row, the null's median (pairs mismatched cyclically).
snapshots: for `ujm compare --snapshots --json` reports (one per class pair), the same table with
one column per kept snapshot (the same pairs at every epoch), a report after another.
"""
import json
import sys

TABLE_1 = 0.909
EPOCHS = [1, 5, 10, 30, 100, 300, 500]


def accuracy(pairs):
    print(f"{'scope':<10} {'epochs':>6}  " + "  ".join(f"{'ep ' + str(e):>8}" for e in EPOCHS)
          + f"  {'best (epoch)':>14}  {'best − 90.9%':>12}")
    for label, path in pairs:
        lines = [json.loads(l) for l in open(path) if l.strip()]
        by_epoch = {l["epoch"]: l["test_accuracy"] for l in lines}
        best = max(lines, key=lambda l: l["test_accuracy"])
        cells = [f"{100 * by_epoch[e]:7.2f}%" if e in by_epoch else f"{'–':>8}" for e in EPOCHS]
        print(f"{label:<10} {lines[-1]['epoch']:>6}  " + "  ".join(cells)
              + f"  {100 * best['test_accuracy']:7.2f}% ({best['epoch']:>3})"
              + f"  {100 * (best['test_accuracy'] - TABLE_1):+11.2f}")


def median(spread):
    value = spread.get("median") if spread is not None else None
    return value if value is not None else float("nan")


def measure(pairs):
    print(f"{'run':<22} {'live':>7}  {'RA1 PC1':>7}  {'RA2 (base)':>15}  {'RA3 gap':>7}  "
          f"{'RA4 slope [95% CI]':>26}  {'R²':>5}  {'NC1':>7}")
    for label, path in pairs:
        m = json.load(open(path))
        blocks = m["blocks"]
        live = sum(1 for b in blocks if not b["dead"])
        ra4 = m["ra4"]
        ci = ra4.get("ci95")
        slope = "no fit" if ra4.get("slope") is None else (
            f"{ra4['slope']:.3g}" + (f" [{ci[0]:.3g}, {ci[1]:.3g}]" if ci else ""))
        r2 = "–" if ra4.get("r2") is None else f"{ra4['r2']:.3f}"
        nc = m.get("nc")
        nc1 = f"{nc['classifier']['nc1']:.4f}" if nc else "–"
        print(f"{label:<22} {live:>3} of {len(blocks):<2} {median(m['ra1']['pc1_variance_fraction']):7.3f}  "
              f"{median(m['ra2']['diag_fraction']):6.3f} ({median(m['ra2']['random_baseline']):.3f})  "
              f"{median(m['ra3']['gap']):7.3f}  {slope:>26}  {r2:>5}  {nc1:>7}")


def number(x):
    return "–" if x is None else f"{x:.3g}"


def compare(pairs):
    table([(label, json.load(open(path))) for label, path in pairs])


def snapshots(pairs):
    for label, path in pairs:
        m = json.load(open(path))
        a, b = m["classes"]
        print(f"{label}: classes {a},{b}, the same {len(m['pairs'])} pairs at every snapshot "
              f"(seed {m['seed']}); the final is the last snapshot")
        table([(f"epoch {s['epoch']}", s) for s in m["snapshots"]], header=False)


def table(reports, header=True):
    for label, m in reports if header else []:
        fit = m["ujm_fit"]
        print(f"{label}: {len(m['pairs'])} pairs of classes {m['classes'][0]},{m['classes'][1]}, "
              f"{len(m['live_blocks'])} of {m['blocks']} blocks live; UJM fit: λ_eff "
              f"{number(fit['lambda_effective'])}, margin predicted "
              f"{number(fit['predicted_margin'])} against {number(fit['measured_margin'])} measured")
    names = [row["name"] for row in reports[0][1]["predictions"]]
    print(f"{'row (theory)':<36}" + "".join(f"{label:>15}" for label, _ in reports))
    for name in names:
        rows = [next(r for r in m["predictions"] if r["name"] == name) for _, m in reports]
        mark = {True: "✓", False: "✗", None: "–"}
        print(f"{name + ' (' + number(rows[0]['theory']) + ')':<36}" + "".join(
            f"{number(r['measured']['median']) + ' ' + mark[r.get('holds')]:>15}" for r in rows))
        if any(r.get("null") for r in rows):
            print(f"{'  null':<36}" + "".join(
                f"{number(r['null']['median']) if r.get('null') else '–':>13}  " for r in rows))


if __name__ == "__main__":
    modes = {"accuracy": accuracy, "measure": measure, "compare": compare, "snapshots": snapshots}
    if len(sys.argv) < 3 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    modes[sys.argv[1]]([a.split("=", 1) for a in sys.argv[2:]])
