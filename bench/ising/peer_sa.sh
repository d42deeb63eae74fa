#!/usr/bin/env bash
# ebdm sa against dwave-samplers SA, same schedule (1000 sweeps, default β range), 10 reads per
# call, one thread each; then ebdm dsb time-to-target. Writes bench/ising/peer_sa.jsonl.
# Usage: bench/ising/peer_sa.sh [GSET_DIR] [PYTHON with dwave-samplers]
set -euo pipefail
DIR=${1:-../shared/data/gset}
PY=${2:-python3}
EBDM=${EBDM:-target/release/ebdm}
OUT=bench/ising/peer_sa.jsonl
: > "$OUT"
for g in G1 G22 G43; do
  "$PY" bench/ising/dwave_sa.py "$DIR/$g.txt" 10 1000 1000 3 >> "$OUT"
  for seed in 1000 1001 1002; do
    "$EBDM" maxcut "$DIR/$g.txt" --solver sa --replicas 10 --steps 1000 --runs 1 --threads 1 --seed "$seed" \
      --best-known "$DIR/best_known.tsv" --json - --no-spins >> "$OUT"
  done
  for seed in 1 2 3 4 5; do
    "$EBDM" maxcut "$DIR/$g.txt" --solver dsb --replicas 8 --steps 4000 --time-limit 20s --threads 1 --seed "$seed" \
      --target 99.9% --best-known "$DIR/best_known.tsv" --json - --no-spins >> "$OUT"
  done
done
