"""MaxCut time to solution, symmetric (spec ising-machines.md, T2/T3/T5): ebdm's default solver
against dwave-samplers' simulated annealing, both making fixed-budget calls over the same grid of
budgets, one thread each.

A call is `ebdm.maxcut(edges, n, replicas=R, steps=S, threads=1, seed=s)` on one side and
`SimulatedAnnealingSampler().sample(bqm, num_reads=R, num_sweeps=S, seed=s)` on the other, the
BQM built from the edge arrays inside the call (`BinaryQuadraticModel.from_numpy_vectors`, the
fast path; each side's set-up is charged to it). A call
succeeds when the best cut it returns reaches the target, ⌈0.999 · best known⌉. For every grid
point (R, S) both sides make K calls, interleaved call by call in one process with the order
alternating; p̂ = hits / K, t̄ = the mean wall time of a call (its CPU time is recorded too), and

    TTS(99 %) = t̄ · ln(0.01) / ln(1 − p̂)     (t̄ when p̂ ≥ 0.99, unbounded when p̂ = 0),

with the 95 % interval from the Wilson interval of p̂. Each side's TTS is the minimum over the
grid. A grid point whose first call shows that K calls would take more than `point_cap_s` is
skipped, by the same rule on both sides.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import ROOT, Target, busy_seconds  # noqa: E402

GRID = [(1, 1000), (1, 2000), (1, 4000), (1, 8000), (1, 16000), (4, 4000)]
CALLS = 20
POINT_CAP_S = 240.0


def best_known(name: str, data: str) -> float:
    for path, col in ((os.path.join(ROOT, "data", "gset", "best_known.tsv"), 3),
                      (os.path.join(ROOT, "bench", "ising", "reference_cuts.tsv"), 1)):
        with open(path) as f:
            for line in f:
                cells = line.rstrip("\n").split("\t")
                if cells[0] == name:
                    return float(cells[col])
    raise SystemExit(f"error: no best-known cut for {name}")


def graph_file(name: str, data: str, tmp: str) -> str:
    if name.startswith("K2000like"):
        exe = os.path.join(ROOT, "target", "release", "ebdm")
        if not os.path.exists(exe):
            raise SystemExit("error: target/release/ebdm is needed to generate the K2000-like graph (cargo build --release)")
        path = os.path.join(tmp, f"{name}.txt")
        seed = name.rsplit("s", 1)[1]
        subprocess.run([exe, "-q", "gen", "k2000-like", "--n", "2000", "--seed", seed, "--out", path], check=True)
        return path
    for folder in (os.path.join(data, "gset"), os.path.join(ROOT, "data", "gset")):
        path = os.path.join(folder, f"{name}.txt")
        if os.path.exists(path):
            return path
    raise SystemExit(f"error: {name}.txt not found under {data}/gset or data/gset; pass --data")


def tts_setup(name: str, fraction: float):
    def setup(size, data):
        import ebdm

        with tempfile.TemporaryDirectory() as tmp:
            n, edges = ebdm.read_gset(graph_file(name if size == "full" else "G43", data, tmp))
        best = best_known(name if size == "full" else "G43", data)
        if size == "smoke":
            return {"n": n, "edges": edges, "target": math.ceil(0.99 * best), "best": best,
                    "grid": [(1, 50), (2, 100)], "calls": 2, "cap": 60.0}
        return {"n": n, "edges": edges, "target": math.ceil(fraction * best), "best": best, "grid": GRID,
                "calls": CALLS, "cap": POINT_CAP_S}

    return setup


def ebdm_call(inp, threads):
    import ebdm

    edges, n = inp["edges"], inp["n"]

    def call(replicas, steps, seed):
        return float(ebdm.maxcut(edges, n, replicas=replicas, steps=steps, seed=seed, threads=1)["cut"])

    return call


def dwave_call(inp, threads):
    import dimod
    import numpy as np
    from dwave.samplers import SimulatedAnnealingSampler

    e = inp["edges"]
    i, j, w = e[:, 0].astype(np.int64), e[:, 1].astype(np.int64), e[:, 2]
    n = inp["n"]
    sampler = SimulatedAnnealingSampler()

    def call(replicas, steps, seed):
        # MaxCut as an Ising model: J_ij = w_ij (H = Σ w s_i s_j, minimised by the largest cut).
        bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(np.zeros(n), (i, j, w), 0.0, dimod.SPIN)
        ss = sampler.sample(bqm, num_reads=replicas, num_sweeps=steps, seed=seed)
        order = np.argsort(np.asarray(ss.variables))
        s = np.asarray(ss.record.sample)[:, order]
        cuts = (w * (1 - s[:, i] * s[:, j])).sum(axis=1) / 2
        return float(cuts.max()) if n else 0.0

    return call


def wilson(hits: int, k: int, z: float = 1.96) -> tuple[float, float]:
    if k == 0:
        return 0.0, 1.0
    p = hits / k
    centre = (p + z * z / (2 * k)) / (1 + z * z / k)
    half = z * math.sqrt(p * (1 - p) / k + z * z / (4 * k * k)) / (1 + z * z / k)
    return max(0.0, centre - half), min(1.0, centre + half)


def tts99(t_call: float, p: float) -> float:
    if p >= 0.99:
        return t_call
    if p <= 0.0:
        return math.inf
    return t_call * math.log(0.01) / math.log(1.0 - p)


def study(inp, calls: dict, smoke: bool, max_foreign: float, retries: int) -> dict:
    """Both sides over the grid, call by call; returns per side the grid table and the minimum."""
    names = list(calls)
    raw = {nm: {} for nm in names}
    skipped = {nm: [] for nm in names}
    for (reps, steps) in inp["grid"]:
        active = list(names)
        for k in range(inp["calls"]):
            order = active if k % 2 == 0 else active[::-1]
            for nm in order:
                for attempt in range(retries + 1):
                    b0, w0, c0 = busy_seconds(), time.perf_counter(), time.process_time()
                    cut = calls[nm](reps, steps, 1000 + k)
                    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
                    foreign = max(0.0, (busy_seconds() - b0 - cpu) / wall) if wall > 0 else 0.0
                    rec = [round(wall, 6), round(cpu, 6), cut, round(foreign, 3)]
                    if foreign <= max_foreign or smoke or attempt == retries:
                        break
                    raw[nm].setdefault(f"{reps}x{steps}-discarded", []).append(rec)
                raw[nm].setdefault(f"{reps}x{steps}", []).append(rec)
            if k == 0:
                for nm in list(active):
                    if raw[nm][f"{reps}x{steps}"][0][0] * inp["calls"] > inp["cap"]:
                        active.remove(nm)
                        skipped[nm].append(f"{reps}x{steps}")
            if not active:
                break
    out = {}
    for nm in names:
        grid = []
        for key, recs in raw[nm].items():
            if key.endswith("discarded") or key in skipped[nm]:
                continue
            hits = sum(r[2] >= inp["target"] for r in recs)
            t_wall = sum(r[0] for r in recs) / len(recs)
            t_cpu = sum(r[1] for r in recs) / len(recs)
            lo, hi = wilson(hits, len(recs))
            grid.append({"budget": key, "calls": len(recs), "hits": hits, "t_call_s": t_wall, "t_call_cpu_s": t_cpu,
                         "best_cut": max(r[2] for r in recs), "tts99_s": tts99(t_wall, hits / len(recs)),
                         "tts99_cpu_s": tts99(t_cpu, hits / len(recs)),
                         "tts99_ci_s": [tts99(t_wall, hi), tts99(t_wall, lo)]})
        best = min(grid, key=lambda g: g["tts99_s"]) if grid else None
        out[nm] = {"wall_s": best["tts99_s"] if best else math.inf, "cpu_s": best["tts99_cpu_s"] if best else math.inf,
                   "summary": {"target": inp["target"], "best_known": inp["best"], "best": best, "grid": grid,
                               "skipped": skipped[nm], "raw": raw[nm]}}
    return out


def tts_target(name: str, fraction: float = 0.999) -> Target:
    return Target(f"ising/tts-{name}", f"MaxCut {name}, TTS(99 %) to {fraction * 100:g} % of the best known, 1 thread",
                  0.5, "dwave-sa", tts_setup(name, fraction), {"ebdm": ebdm_call, "dwave-sa": dwave_call},
                  mode="paired", reps=1, needs=("dwave.samplers",), study=study)


TARGETS = [tts_target(g) for g in ("G1", "G22", "G43", "K2000like-s1")]
