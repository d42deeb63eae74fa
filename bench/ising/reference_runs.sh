#!/usr/bin/env bash
# Logged reference runs for an instance without a published best cut (spec §1.9: for K2000-like,
# the target is the best cut found by any solver in the logged reference runs).
#
# Every solver of ebdm runs SEEDS calls of LIMIT seconds on THREADS threads; one JSON line per call
# (solver, seed, cut, time to best, steps) goes to standard output, and the best cut with the
# solver that found it to standard error.
# Usage: EBDM=target/release/ebdm bench/ising/reference_runs.sh FILE [LIMIT_S] [SEEDS] [THREADS]
set -euo pipefail
f=${1:?instance file}; limit=${2:-30}; seeds=${3:-2}; threads=${4:-2}
EBDM=${EBDM:-target/release/ebdm}
best=0; by=""
for solver in ${SOLVERS:-sa dsb hdsb bsb hbsb cac}; do
  for seed in $(seq 1 "$seeds"); do
    line=$("$EBDM" --quiet --threads "$threads" --seed "$seed" maxcut "$f" --solver "$solver" --replicas 16 \
      --time-limit "${limit}s" --no-spins --json - |
      python3 -c "import json,sys,os; r=json.load(sys.stdin); print(json.dumps(dict(file=os.path.basename('$f'), solver='$solver', seed=$seed,
threads=$threads, replicas=16, steps=1000, time_limit_s=$limit, cut=r['cut'], time_to_best_s=r['time_to_best_s'], steps_done=r.get('steps_done'), runs_done=r.get('runs_done'))))")
    echo "$line"
    cut=$(python3 -c "import json; print(int(json.loads('''$line''')['cut']))")
    if [ "$cut" -gt "$best" ]; then best=$cut; by="$solver seed $seed"; fi
  done
done
echo "best cut $best ($by)" >&2
