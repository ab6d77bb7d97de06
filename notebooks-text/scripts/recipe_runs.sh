#!/usr/bin/env bash
# Page 09's runs (issue 18): Table 1's Type 1 cell — Fashion-MNIST, 10 classes, 16 blocks of width
# 512, SGD lr 0.1 cosine over 500 epochs, batch 128, weight decay 1e-2, seed 0 — once per
# weight-decay scope, in run directories outside the work tree. Every scope first to epoch 10
# (the early fate of the branches), then each to its end (`all` to 100: its branches are dead).
# Resumable: run it again after any interruption; a finished step says "nothing to do".
#   nohup notebooks-text/scripts/recipe_runs.sh &      (from the repository root)
set -u
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="${UJM_RUNS:-$HOME/ujm-runs}"
mkdir -p "$runs"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"
train() { # scope, last epoch
  "$root/ujm" train --type 1 --epochs 500 --lr 0.1 --batch-size 128 --weight-decay 1e-2 \
    --weight-decay-scope "$1" --seed 0 --snapshot-epochs 1,5,10,30,100,300,500 \
    --output "$runs/type1-wd1e-2-$1-500ep" --resume --max-steps $(($2 * 469)) \
    >> "$runs/type1-wd1e-2-$1-500ep.log" 2>&1 || echo "$1 to $2: exit $?" >> "$runs/chain.log"
  echo "$1 to epoch $2: done $(date -u +%FT%TZ)" >> "$runs/chain.log"
}
train all 10
train weights 10
train no-norm 500
train weights 500
train all 100
