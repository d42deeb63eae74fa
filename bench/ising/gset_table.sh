#!/usr/bin/env bash
# G-set table: best and median cut per solver at a fixed wall-clock budget per instance.
# Usage: bench/ising/gset_table.sh [GSET_DIR] [BUDGET] [SEEDS] [THREADS]  (writes bench/ising/gset.jsonl)
set -euo pipefail
DIR=${1:-../shared/data/gset}
BUDGET=${2:-2s}
SEEDS=${3:-3}
THREADS=${4:-2}
EBDM=${EBDM:-target/release/ebdm}
OUT=bench/ising/gset.jsonl
: > "$OUT"
for g in G1 G2 G11 G14 G22 G32 G35 G43 G48 G51 G55 G57 G58 G60 G70; do
  for solver in sa dsb; do
    if [ "$solver" = sa ]; then steps=1000; else steps=4000; fi
    for seed in $(seq 1 "$SEEDS"); do
      "$EBDM" maxcut "$DIR/$g.txt" --solver "$solver" --replicas 8 --steps "$steps" \
        --time-limit "$BUDGET" --seed "$seed" --threads "$THREADS" \
        --best-known "$DIR/best_known.tsv" --json - --no-spins >> "$OUT"
    done
  done
done
python3 bench/ising/table.py "$OUT"
