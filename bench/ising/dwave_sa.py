"""dwave-samplers simulated annealing on a G-set file, one JSON line per call.

Usage: python dwave_sa.py FILE READS SWEEPS SEED0 CALLS
The cut of every read is recounted from the edge list and checked against (W - energy)/2.
"""
import json
import os
import sys
import time

import dimod
import numpy as np
from dwave.samplers import SimulatedAnnealingSampler

path = sys.argv[1]
reads, sweeps, seed0, calls = map(int, sys.argv[2:6])
tok = open(path).read().split()
n, m = int(tok[0]), int(tok[1])
e = np.array(tok[2:2 + 3 * m], dtype=np.int64).reshape(m, 3)
i, j, w = e[:, 0] - 1, e[:, 1] - 1, e[:, 2]
W = int(w.sum())
bqm = dimod.BinaryQuadraticModel.from_ising({v: 0.0 for v in range(n)},
                                            {(a, b): c for a, b, c in zip(i.tolist(), j.tolist(), w.tolist())})
sampler = SimulatedAnnealingSampler()
for k in range(calls):
    t0, c0 = time.perf_counter(), time.process_time()
    ss = sampler.sample(bqm, num_reads=reads, num_sweeps=sweeps, seed=seed0 + k)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    cuts = []
    for smp, en in ss.data(['sample', 'energy']):
        s = np.array([smp[v] for v in range(n)])
        cut = int((w * (1 - s[i] * s[j])).sum() // 2)
        assert 2 * cut == W - int(round(en)), "cut and energy disagree"
        cuts.append(cut)
    print(json.dumps(dict(peer="dwave-sa", file=os.path.basename(path), reads=reads, sweeps=sweeps,
                          seed=seed0 + k, best=max(cuts), mean=float(np.mean(cuts)), wall_s=wall, cpu_s=cpu)))
