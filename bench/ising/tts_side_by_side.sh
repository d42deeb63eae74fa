#!/usr/bin/env bash
# TTS(99 %) side by side, one thread each (spec T2, T3, T5).
#
#   ebdm dsb (default parameters, 8 replicas × S steps per call, S in STEPS_GRID): K calls
#   dwave-samplers SA (1 read × 1000 sweeps per call, default β range):            K calls
#   simulated-bifurcation 2.0.0 at its defaults (bSB, its default mode; 128 agents, ≤ 10 000 steps,
#   early stopping): K_SB calls (each takes seconds to a minute)
#
# Targets: T_99.9 = ceil(0.999 · best known) and, on G1 and G43, the best known itself.
# Usage: EBDM=target/release/ebdm DWAVE_PY=... SB_PY=... bench/ising/tts_side_by_side.sh GSET_DIR K K_SB
# (ONLY=ebdm runs the ebdm lines alone.)
set -euo pipefail
dir=${1:?gset dir}; K=${2:-50}; KSB=${3:-3}
EBDM=${EBDM:-target/release/ebdm}
here=$(cd "$(dirname "$0")" && pwd)
bk() { awk -v g="$1" '$1 == g { print $4 }' "$here/../../data/gset/best_known.tsv"; }
for g in G1 G2 G22 G43; do
  f=$dir/$g.txt; b=$(bk $g); t999=$(python3 -c "import math; print(math.ceil(0.999 * $b))")
  targets="$t999"; case $g in G1|G43) targets="$t999 $b";; esac
  for t in $targets; do
    [ "${ONLY:-}" = ebdm ] || OMP_NUM_THREADS=1 "$DWAVE_PY" "$here/dwave_tts.py" "$f" "$t" 1000 "$K" 1000
    # p from K calls that stop at the target; t_call = the median wall time of 3 full calls
    # of the same budget without a target (the spec's fixed-budget cost, charged in full).
    for S in ${STEPS_GRID:-4000}; do
    tcall=$(for s in 1 2 3; do "$EBDM" --quiet --threads 1 --seed $((100 + s)) maxcut "$f" --solver dsb \
        --replicas 8 --steps $S --no-spins --json - | python3 -c "import json,sys; print(json.load(sys.stdin)['wall_s'])"; done |
        sort -g | sed -n 2p)
    "$EBDM" --quiet --threads 1 --seed 1 maxcut "$f" --solver dsb --replicas 8 --steps $S \
      --target "$t" --repeat "$K" --json - |
      python3 -c "import json,sys,math; r=json.load(sys.stdin); t=r['tts']; tt=sorted(x['time_to_target_s'] for x in t['repeats'] if x['time_to_target_s'] is not None);
K=len(t['repeats']); p=len(tt)/K; tc=$tcall; tts=None if p == 0 else (tc if p >= 0.99 else tc*math.log(0.01)/math.log(1-p));
print(json.dumps(dict(solver='ebdm-dsb', file='$g.txt', target=$t, K=K, hits=len(tt), replica_steps=8*$S, t_call_s=tc, median_ttt_s=t['median_time_to_target_s'], max_ttt_s=tt[-1] if tt else None, tts99_s=tts)))"
    done
  done
  case $g in G2) continue;; esac
  [ "${ONLY:-}" = ebdm ] && continue
  OMP_NUM_THREADS=1 "$SB_PY" "$here/sb_peer.py" "$f" --seeds $(seq -s ' ' 1000 $((999 + KSB))) |
    python3 -c "import json,sys,math; rs=[json.loads(l) for l in sys.stdin]; hits=sum(r['cut'] >= $t999 for r in rs); tau=sum(r['wall_s'] for r in rs)/len(rs); p=hits/len(rs);
tts=None if p == 0 else (tau if p >= 0.99 else tau*math.log(0.01)/math.log(1-p));
print(json.dumps(dict(peer='simulated-bifurcation-defaults', file='$g.txt', target=$t999, K=len(rs), hits=hits, cuts=[r['cut'] for r in rs], t_call_s=tau, tts99_s=tts)))"
done
