#!/usr/bin/env python3
"""Prints a `ujm compare --json` report written by the compare *before* issue 22, one row a line.

    python3 notebooks-text/scripts/previous_compare.py REPORT.json ...

Page 05 keeps the reports of its five 500-epoch runs, whose checkpoints were not kept: they can
no longer be re-measured with today's rows. That compare had no intervals and no nulls, held a
row on its median alone, and had rows that issue 22 removed or demoted (`inverse_depth_r2`,
`exponential_growth`, `balance` as a verdict). So this prints each row's median [min, max] over
the pairs and the old verdict marked as superseded, and, from the per-pair endpoint fits that the
report keeps, the median slope b of 1/σ₁(J_i) = b·i + a at the inputs (today's
`inverse_depth@endpoints` measures that b against the theory's 1), without an interval.
"""
import json
import statistics
import sys


def number(x):
    return "n/a" if x is None else f"{x:.4g}"


def main(paths):
    for path in paths:
        r = json.load(open(path))
        live = r['live_blocks']
        print(f"{path.split('/')[-1]}: {r['blocks']} blocks, live "
              f"{','.join(map(str, live)) if live else 'none'}; previous compare, "
              f"{len(r['pairs'])} pairs, no interval, no null")
        for p in r['predictions']:
            m = p['measured']
            old = {True: 'held', False: 'did not hold', None: 'no verdict'}[p['holds']]
            print(f"  {p['name']}: median {number(m['median'])} [{number(m['min'])}, "
                  f"{number(m['max'])}] over {m['count']} (old verdict: {old}; superseded)")
        slopes = [e['ra4']['slope'] for q in r['pairs'] for e in q.get('endpoints', [])
                  if e.get('ra4') and e['ra4'].get('slope') is not None]
        if slopes:
            print(f"  endpoint slope b of 1/σ₁ on i: median {statistics.median(slopes):.4g} "
                  f"[{min(slopes):.4g}, {max(slopes):.4g}] over {len(slopes)} (theory 1)")
        fit = r['ujm_fit']
        print(f"  UJM fit: λ_eff {number(fit['lambda_effective'])}")


if __name__ == '__main__':
    main(sys.argv[1:])
