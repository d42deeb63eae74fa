"""TTS(99 %) of dwave-samplers SA to a target cut: K single-read calls of S sweeps.

Usage: python dwave_tts.py FILE TARGET_CUT SWEEPS K SEED0
"""
import json
import math
import os
import sys
import time

import dimod
import numpy as np
from dwave.samplers import SimulatedAnnealingSampler

path, target = sys.argv[1], int(sys.argv[2])
sweeps, K, seed0 = map(int, sys.argv[3:6])
tok = open(path).read().split()
n, m = int(tok[0]), int(tok[1])
e = np.array(tok[2:2 + 3 * m], dtype=np.int64).reshape(m, 3)
i, j, w = e[:, 0] - 1, e[:, 1] - 1, e[:, 2]
bqm = dimod.BinaryQuadraticModel.from_ising({v: 0.0 for v in range(n)},
                                            {(a, b): c for a, b, c in zip(i.tolist(), j.tolist(), w.tolist())})
sampler = SimulatedAnnealingSampler()
hits, cpu = 0, 0.0
for k in range(K):
    c0 = time.process_time()
    ss = sampler.sample(bqm, num_reads=1, num_sweeps=sweeps, seed=seed0 + k)
    cpu += time.process_time() - c0
    s = np.array([ss.first.sample[v] for v in range(n)])
    hits += int((w * (1 - s[i] * s[j])).sum() // 2) >= target
p, t_call = hits / K, cpu / K
tts = None if p == 0 else (t_call if p >= 0.99 else t_call * math.log(0.01) / math.log(1 - p))
print(json.dumps(dict(peer="dwave-sa", file=os.path.basename(path), target=target, sweeps=sweeps, K=K,
                      hits=hits, t_call_cpu_s=t_call, tts99_s=tts)))
