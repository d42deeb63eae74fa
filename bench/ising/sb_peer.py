"""simulated-bifurcation (PyPI, PyTorch CPU) on a G-set file, one JSON line per seed.

Usage: python sb_peer.py FILE [--mode ballistic|discrete] [--heated] [--agents 128]
           [--max-steps 10000] [--no-early-stopping] [--seeds 1000 1001 1002] [--threads 1]
MaxCut is solved as sb.minimize(W, domain="spin") with W the dense symmetric weight matrix
(the package minimises s^T W s, i.e. sum_{i<j} w_ij s_i s_j up to a factor 2). Each call is
seeded with torch.manual_seed(seed); only the solve is timed (process and wall time). The cut
is recounted from the edge list and checked against (sum w - s^T W s / 2) / 2. One untimed
1-step call on the same matrix warms torch up before the first timed call.
"""
import argparse
import json
import os
import time

import numpy as np
import simulated_bifurcation as sb
import torch

ap = argparse.ArgumentParser()
ap.add_argument("file")
ap.add_argument("--mode", choices=["ballistic", "discrete"], default="ballistic")
ap.add_argument("--heated", action="store_true")
ap.add_argument("--agents", type=int, default=128)
ap.add_argument("--max-steps", type=int, default=10000)
ap.add_argument("--no-early-stopping", action="store_true")
ap.add_argument("--seeds", type=int, nargs="+", default=[1000, 1001, 1002])
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads)
early = not a.no_early_stopping

tok = open(a.file).read().split()
n, m = int(tok[0]), int(tok[1])
e = np.array(tok[2:2 + 3 * m], dtype=np.int64).reshape(m, 3)
i, j, w = e[:, 0] - 1, e[:, 1] - 1, e[:, 2]
assert (i != j).all(), "self-loops are not MaxCut edges"
W_tot = int(w.sum())
ti, tj, tw = torch.from_numpy(i), torch.from_numpy(j), torch.from_numpy(w).to(torch.float32)
W = torch.zeros(n, n, dtype=torch.float32)
W.index_put_((ti, tj), tw, accumulate=True)
W.index_put_((tj, ti), tw, accumulate=True)

solve = dict(domain="spin", dtype=torch.float32, device="cpu", agents=a.agents,
             max_steps=a.max_steps, best_only=True, mode=a.mode, heated=a.heated,
             verbose=False, early_stopping=early)
sb.minimize(W, **{**solve, "max_steps": 1, "early_stopping": False})  # warm-up, untimed

for seed in a.seeds:
    torch.manual_seed(seed)
    t0, c0 = time.perf_counter(), time.process_time()
    spins, value = sb.minimize(W, **solve)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    s = spins.to(torch.int64).numpy()
    assert set(np.unique(s).tolist()) <= {-1, 1}, "spins outside {-1, 1}"
    cut = int((w * (1 - s[i] * s[j])).sum() // 2)
    assert abs(4 * cut - (2 * W_tot - float(value))) < 1e-3 * (1 + abs(float(value))), \
        "cut and package value disagree"
    print(json.dumps(dict(peer="simulated-bifurcation", version=sb.__version__,
                          instance=os.path.basename(a.file), n=n, mode=a.mode, heated=a.heated,
                          agents=a.agents, max_steps=a.max_steps, early_stopping=early, seed=seed,
                          cut=cut, cpu_s=cpu, wall_s=wall, threads=a.threads)), flush=True)
