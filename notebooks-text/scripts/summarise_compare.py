#!/usr/bin/env python3
"""Prints the rows of a `ujm compare --json` report (issue 22's rows), and its snapshots.

    python3 notebooks-text/scripts/summarise_compare.py REPORT.json [--rows-only]

For notebook pages that commit the JSON and show what it says without comparing twice (a compare
of 30 pairs over several snapshots takes minutes). Each row: the theory's value, the median over
pairs (× endpoints where the row uses δ) with its 95% bootstrap interval, the null's median and
interval where the row is relational, the tolerance, and the verdict as ujm wrote it (which of
the two conditions failed: the interval's distance from the theory, or the null's median inside
the interval). Then the UJM fit, and with --snapshots one line per row and epoch:
median [95% CI], null median, and `holds`, `fails: tolerance`, `fails: null`, `fails: both`,
or why the row is no verdict. Numbers are printed with 4 significant digits.
"""
import json
import sys


def g(x):
    return "n/a" if x is None else f"{x:.4g}"


def interval(ci):
    return "[n/a]" if ci is None or ci[0] is None else f"[{g(ci[0])}, {g(ci[1])}]"


def failed(p):
    """holds / fails: tolerance / null / both (+ condition) / not identifiable / not applicable."""
    if p['holds'] is True:
        return "holds"
    v = p['verdict']
    if p['holds'] is None:
        return v.split(':')[0]
    why = []
    if "from the theory" in v or "no finite value" in v:
        why.append("tolerance")
    if "contains the null" in v or "no null" in v:
        why.append("null")
    if not why:
        why.append("condition")
    elif "R²" in v:
        why.append("R²")
    return "fails: " + ("both" if why[:2] == ["tolerance", "null"] else " + ".join(why))


def row_line(p):
    m = p['measured']
    s = (f"{p['name']}: theory {g(p['theory'])}, median {g(m['median'])} over {m['count']}, "
         f"95% CI {interval(p['ci'])}")
    if p.get('null'):
        s += f", null {g(p['null']['median'])} {interval(p['null']['ci'])}"
    return s + f", tolerance {g(p['tolerance'])} — {p['verdict']}"


def main(path, rows_only):
    r = json.load(open(path))
    live = r['live_blocks']
    reached = sum(1 for q in r['pairs'] if q.get('t') is not None)
    print(f"{path.split('/')[-1]}: {r['blocks']} blocks, live "
          f"{','.join(map(str, live)) if live else 'none'}; {len(r['pairs'])} pairs "
          f"({reached} reach the boundary), seed {r['seed']}")
    for p in r['predictions']:
        print("  " + row_line(p))
    if rows_only:
        return
    f = r['ujm_fit']
    if f['lambda_effective'] is None:
        print(f"UJM fit: λ_eff none — {f['note']}")
    else:
        print(f"UJM fit: λ_eff {g(f['lambda_effective'])}, s* {g(f['s_star'])}, "
              f"t* {g(f['t_star'])}, λ_eff/weight decay {g(f.get('lambda_over_weight_decay'))}; "
              f"margin predicted {g(f['predicted_margin'])}, measured {g(f['measured_margin'])}")
        s = f.get('full_solve')
        if s:
            print(f"  full UJM (D = {s['dimension']}): {s['stop_reason']} after {s['iterations']} "
                  f"iterations, F {g(s['objective'])} vs f* {g(s['reduced_objective'])}, "
                  f"{s['checks_passed']} of {s['checks']} Theorem 3.3 checks pass")
    if r.get('snapshots'):
        epochs = [s['epoch'] for s in r['snapshots']]
        print("over training (epochs " + ", ".join(map(str, epochs)) + "): median [95% CI]"
              ", null median — verdict")
        for k, p in enumerate(r['predictions']):
            cells = []
            for s in r['snapshots']:
                q = s['predictions'][k]
                assert q['name'] == p['name']
                null = f" null {g(q['null']['median'])}" if q.get('null') else ""
                cells.append(f"{s['epoch']}: {g(q['measured']['median'])} {interval(q['ci'])}"
                             f"{null} {failed(q)}")
            print(f"  {p['name']}:")
            for c in cells:
                print(f"      epoch {c}")


if __name__ == '__main__':
    main(sys.argv[1], "--rows-only" in sys.argv[2:])
