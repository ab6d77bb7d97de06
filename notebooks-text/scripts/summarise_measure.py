#!/usr/bin/env python3
"""Prints the headline numbers of a `ujm measure --json` report, one per line.

    python3 notebooks-text/scripts/summarise_measure.py REPORT.json

For notebook pages that keep the JSON and show a summary without measuring twice. Medians over
the inputs, with [min, max]; RA4's fit of the mean 1/σ₁ over the live blocks; NC at the
classifier's input and NC1 per layer when the report has Neural Collapse.
"""
import json
import statistics
import sys


def spread(s):
    if s['median'] is None:  # nothing measured (e.g. RA3's gap with every block dead)
        return "n/a"
    return f"{s['median']:.4f} [{s['min']:.4f}, {s['max']:.4f}]"


def main(path):
    m = json.load(open(path))
    print(f"inputs {len(m['inputs'])}, blocks {len(m['blocks'])}, "
          f"SVD T = {m['svd']['power_iterations']}, largest top-k triplet residual "
          f"{m['svd']['largest_top_k_triplet_residual']:.1e}")
    print(f"RA1 PC1 variance fraction      {spread(m['ra1']['pc1_variance_fraction'])}")
    ra2 = m['ra2']
    print(f"RA2 diagonal fraction (k = {ra2['rank']})  {spread(ra2['diag_fraction'])}, "
          f"baseline {spread(ra2['random_baseline'])}")
    print(f"RA2 principal cosines U_i, U_j {spread(ra2['left_subspace_cosine'])}")
    ra3 = m['ra3']
    print(f"RA3 σ_C/σ_(C+1) (C = {ra3['classes']})    {spread(ra3['gap'])}")
    ra4 = m['ra4']
    if ra4.get('slope') is None:
        print("RA4 no fit")
    else:
        ci = ra4.get('ci95')
        ci = f" [{ci[0]:.4f}, {ci[1]:.4f}]" if ci else ""
        print(f"RA4 slope {ra4['slope']:.4f}{ci}, R² {ra4['r2']:.4f}, live blocks "
              f"{len(ra4['live_blocks'])}")
    print("σ₁ by block (median over inputs): " + " ".join(
        f"{statistics.median(b['sigma1_per_input']):.3f}"
        for b in m['blocks']))
    nc = m.get('nc')
    if nc:
        c = nc['classifier']
        print(f"NC over {nc['samples']} examples: classifier input NC1 {c['nc1']:.4f}, "
              f"NC2 means {c['nc2_means']:.2e}, NC4 {c['nc4']:.4f}")
        print("layer-wise NC1: " + " ".join(f"{l['nc1']:.4f}" for l in nc['layers']))


if __name__ == '__main__':
    main(sys.argv[1])
