#!/usr/bin/env bash
# Time for ebdm dsb to reach the best-known cut (T_opt), 3 seeds, 10 s limit, 2 threads.
set -euo pipefail
DIR=${1:-../shared/data/gset}
EBDM=${EBDM:-target/release/ebdm}
for g in G1 G43 G22; do
  for seed in 1 2 3; do
    "$EBDM" maxcut "$DIR/$g.txt" --solver dsb --replicas 8 --steps 4000 --time-limit 10s --threads 2 --seed "$seed" \
      --target best-known --best-known "$DIR/best_known.tsv" --json - --no-spins
  done
done
