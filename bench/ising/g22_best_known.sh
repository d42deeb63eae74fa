#!/usr/bin/env bash
# The best-known cut 13359 of G22: dSB and heated dSB, 16 replicas × 8000 steps per run, runs
# repeated until the target or 60 s, 2 threads, seeds 1 and 2. One line per call: solver, seed,
# cut, time to best (s), stop reason, runs done.
# Usage: EBDM=target/release/ebdm bench/ising/g22_best_known.sh GSET_DIR
set -euo pipefail
dir=${1:?gset dir}
EBDM=${EBDM:-target/release/ebdm}
for solver in hdsb dsb; do
  for seed in 1 2; do
    "$EBDM" --quiet --threads 2 --seed $seed maxcut "$dir/G22.txt" --solver $solver --replicas 16 --steps 8000 \
      --time-limit 60s --target 13359 --no-spins --json - |
      python3 -c "import json,sys; r=json.load(sys.stdin); print('$solver', $seed, r['cut'], r['time_to_best_s'], r['stop_reason'], r['runs_done'])"
  done
done
