"""Time per step: ebdm dSB (preset sbpy2) against simulated-bifurcation 2.0.0 dSB (spec T4).

Both run 128 replicas for the same fixed number of steps (early stopping off) on one thread,
on the same files; calls alternate between the two, and the ratio is taken from the medians
of the wall times of the solve calls. Cuts are recounted from spins by both harnesses.

Usage: python sb_per_step.py --peer-python /path/to/venv/bin/python --ebdm target/release/ebdm
           [--steps 1000] [--seeds 1000 1001 1002] FILE... > out.jsonl
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("files", nargs="+")
ap.add_argument("--peer-python", required=True)
ap.add_argument("--ebdm", default="target/release/ebdm")
ap.add_argument("--steps", type=int, default=1000)
ap.add_argument("--agents", type=int, default=128)
ap.add_argument("--seeds", type=int, nargs="+", default=[1000, 1001, 1002])
a = ap.parse_args()
here = os.path.dirname(os.path.abspath(__file__))


def peer(path, seed):
    out = subprocess.run([a.peer_python, os.path.join(here, "sb_peer.py"), path, "--mode", "discrete",
                          "--agents", str(a.agents), "--max-steps", str(a.steps), "--no-early-stopping",
                          "--seeds", str(seed), "--threads", "1"],
                         check=True, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["wall_s"], r["cut"]


def ebdm(path, seed):
    out = subprocess.run([a.ebdm, "--quiet", "--threads", "1", "--seed", str(seed), "maxcut", path,
                          "--solver", "dsb", "--preset", "sbpy2", "--replicas", str(a.agents),
                          "--steps", str(a.steps), "--json", "-"], check=True, capture_output=True, text=True)
    r = json.loads(out.stdout)
    return r["wall_s"], r["cut"]


rows = []
for path in a.files:
    name = os.path.splitext(os.path.basename(path))[0]
    t = {"ebdm": [], "peer": []}
    c = {"ebdm": [], "peer": []}
    for seed in a.seeds:
        for who, f in (("peer", peer), ("ebdm", ebdm)):
            wall, cut = f(path, seed)
            t[who].append(wall)
            c[who].append(cut)
            print(json.dumps(dict(instance=name, solver=who, seed=seed, steps=a.steps, agents=a.agents,
                                  wall_s=wall, cut=cut)), flush=True)
    te, tp = statistics.median(t["ebdm"]), statistics.median(t["peer"])
    rows.append((name, 1e3 * tp / a.steps, 1e3 * te / a.steps, te / tp,
                 statistics.median(c["peer"]), statistics.median(c["ebdm"])))

print("| instance | peer ms/step | ebdm ms/step | ratio | peer median cut | ebdm median cut |", file=sys.stderr)
print("|---|---|---|---|---|---|", file=sys.stderr)
for r in rows:
    print(f"| {r[0]} | {r[1]:.3f} | {r[2]:.3f} | {r[3]:.3f} | {r[4]:g} | {r[5]:g} |", file=sys.stderr)
