"""Sweeps on two workers against one: the speed-up of running a sweep's tasks side by side.

The sweep is 16 MaxCut solves of the bundled G1 graph (`ising/maxcut`, simulated annealing,
one replica of 16000 sweeps, each task on one thread), independent tasks of about 0.3 s each. Two ways of spreading it are measured, each against itself on one
worker, so the ratio is the time on two workers over the time on one (ideal 0.5):

- `sweep/dask-2-workers`: `ebdm.sweep.run(..., client=...)` on a Dask `LocalCluster` of worker
  processes (one thread each), two workers against one. The cluster is started before the
  timed call on both sides; the call includes submitting the tasks, running them, appending
  the records and merging.
- `sweep/shards-2-processes`: two `ebdm sweep run --shard I/2 --threads 1` processes at once
  (as two jobs of a Slurm array would run) against one `--shard 1/1` process, then `merge`.

Both sides merge into byte-identical files, which the harness checks through their SHA-256.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import ROOT, Target  # noqa: E402


def sweep_text(size: str, data: str) -> str:
    tasks, steps = (2, 200) if size == "smoke" else (16, 16000)
    graph = os.path.join(data, "gset", "G1.txt")
    return (f'name = "bench"\nstudy = "ising/maxcut"\nseed = 1\nreplicates = {tasks}\n'
            f'[fixed]\ngraph = "{graph}"\nsolver = "sa"\nreplicas = 1\nsteps = {steps}\n')


def setup(size: str, data: str) -> dict:
    d = tempfile.mkdtemp(prefix="ebdm-bench-sweep-")
    path = os.path.join(d, "bench.toml")
    with open(path, "w") as f:
        f.write(sweep_text(size, data))
    return {"dir": d, "file": path, "runs": 0}


def fresh_out(inputs: dict) -> str:
    inputs["runs"] += 1
    return os.path.join(inputs["dir"], f"out-{inputs['runs']}")


def digest(path: str) -> dict:
    with open(path, "rb") as f:
        data = f.read()
    return {"sha256": hashlib.sha256(data).hexdigest(), "records": data.count(b"\n") - 1}


def dask(workers: int):
    def make(inputs: dict, threads: int):
        from distributed import Client, LocalCluster

        import ebdm.sweep as sw

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        client.run(lambda: None)  # every worker started and reachable before the timed call

        def close():
            client.close()
            cluster.close()

        atexit.register(close)

        def call():
            out = fresh_out(inputs)
            sw.run(inputs["file"], out, client=client, task_threads=1)
            return sw.merge(inputs["file"], out)

        return call

    return make


def ebdm_binary() -> str:
    for profile in ("release", "debug"):
        path = os.path.join(ROOT, "target", profile, "ebdm")
        if os.path.exists(path):
            return path
    raise RuntimeError("no ebdm binary in target/ (cargo build --release -p ebdm-cli)")


def shards(count: int):
    def make(inputs: dict, threads: int):
        exe = ebdm_binary()

        def call():
            out = fresh_out(inputs)
            procs = [subprocess.Popen([exe, "-q", "--threads", "1", "sweep", "run", inputs["file"], "--out", out,
                                       "--shard", f"{i}/{count}"]) for i in range(1, count + 1)]
            if any(p.wait() != 0 for p in procs):
                raise RuntimeError("a shard failed")
            subprocess.run([exe, "-q", "sweep", "merge", inputs["file"], "--out", out], check=True)
            return os.path.join(out, "merged.jsonl")

        return call

    return make


def summary(path: str, inputs: dict) -> dict:
    return digest(path)


def same_bytes(a: dict, b: dict) -> tuple[bool, str]:
    ok = a["sha256"] == b["sha256"] and a["records"] == b["records"]
    return ok, f"{a['records']} records, merged files {'identical' if ok else 'differ'}"


TARGETS = [
    Target("sweep/dask-2-workers", "16 MaxCut tasks on a Dask LocalCluster: 2 worker processes vs 1", 0.6,
           "dask-1-worker", setup, {"dask-2-workers": dask(2), "dask-1-worker": dask(1)},
           summary=summary, agree=same_bytes, mode="once", reps=5, needs=("distributed",)),
    Target("sweep/shards-2-processes", "16 MaxCut tasks as `ebdm sweep run --shard I/2`: 2 processes vs 1", 0.6,
           "shards-1", setup, {"shards-2": shards(2), "shards-1": shards(1)},
           summary=summary, agree=same_bytes, mode="once", reps=5),
]
