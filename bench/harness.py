"""The benchmark harness: side-by-side timings of ebdm against its peers, run the same way for
every target.

A *target* is one workload with two implementations, ebdm's and a peer's, and a goal on the ratio
of their times (ebdm / peer ≤ goal). The driver runs every implementation in its own worker
subprocess (`run.py --worker`), interleaved over the repetitions with a rotating order, under the
same thread settings (every BLAS and OpenMP variable and ebdm's `threads` argument set to T).
A worker builds the inputs (untimed, identical for both sides), times the call on the wall clock
and the process CPU clock, and prints one JSON line with both and a summary of the result.

Around each worker the driver reads the machine's busy time from /proc/stat: the busy CPU time
not spent by the worker itself, divided by the wall time, is the *foreign load*. A run with a
foreign load above `max_foreign` (a tenth of a core) is recorded as discarded and repeated; a
target whose runs stay loaded after the retries is refused, not reported.

Every run, discarded or kept, becomes one JSON line in the results file, after a header line
describing the machine (CPU model and flags, BLAS kernel and threads, versions, commit). The
table at the end gives, per target, the median times, the ratio of medians and met / not met.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "RAYON_NUM_THREADS")
CPU_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "amx_tile")


# --------------------------------------------------------------------------------------------
# Targets


@dataclass
class Target:
    """One side-by-side workload.

    `impls` maps an implementation name to `make(inputs, threads) -> call`, where `call()` runs
    the timed work once and returns its result; the first entry is ebdm's, `peer` names the one
    the goal compares against. `setup(size, data_dir)` builds the inputs (`size` is "smoke" or
    "full"), `summary(result, inputs)` turns a result into JSON for the record, and `agree(ebdm, peer)`
    compares two summaries, returning (ok, text). `mode` is "call" (a warm-up call, then a
    calibrated loop, median per call), "once" (one cold call, for work of seconds) or "paired"
    (one worker runs `study(inputs, calls, smoke, max_foreign, retries)`, which times
    both sides itself, call by call, and returns per implementation its time and summary).
    """

    name: str
    what: str
    goal: float
    peer: str
    setup: Callable[[str, str], Any]
    impls: dict[str, Callable[[Any, int], Callable[[], Any]]]
    summary: Callable[[Any, Any], Any] = lambda result, inputs: None
    agree: Callable[[Any, Any], tuple[bool, str]] | None = None
    mode: str = "call"
    reps: int = 5
    needs: tuple[str, ...] = ()
    study: Callable[..., dict] | None = None
    # Returns why the target cannot run here (a peer that is not installed), or None.
    unavailable: Callable[[], str | None] = lambda: None

    @property
    def ebdm(self) -> str:
        return next(iter(self.impls))


# --------------------------------------------------------------------------------------------
# Clocks and load


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all CPUs; idle and iowait
    excluded, steal included: time the hypervisor gave to someone else is load too)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already inside user and nice
    return (sum(fields) - idle - guest) / os.sysconf("SC_CLK_TCK")


def worker_env(threads: int) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    # Let OpenBLAS choose its kernel for the CPU it finds.
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def run_process(cmd: list[str], env: dict, timeout: float) -> dict:
    """Runs `cmd` to completion; its wall time, its CPU time (user + system, all threads and
    children), the foreign load meanwhile, and the last JSON line of its stdout."""
    b0, w0 = busy_seconds(), time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - w0
    busy = busy_seconds() - b0
    return {"returncode": proc.returncode, "stdout": out, "stderr": err, "wall": wall, "busy": busy}


class ChildCpu:
    """CPU seconds of reaped children, as a difference of RUSAGE_CHILDREN readings."""

    def __init__(self):
        import resource

        self._resource = resource
        self._start = self._now()

    def _now(self) -> float:
        r = self._resource.getrusage(self._resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    def elapsed(self) -> float:
        return self._now() - self._start


# --------------------------------------------------------------------------------------------
# The worker side


def time_call(call: Callable[[], Any], mode: str, smoke: bool) -> tuple[float, float, Any, dict]:
    """(wall seconds per call, CPU seconds per call, last result, details)."""
    if mode == "once":
        w0, c0 = time.perf_counter(), time.process_time()
        result = call()
        return time.perf_counter() - w0, time.process_time() - c0, result, {"calls": 1}
    result = call()  # warm-up: first-touch, thread-pool start and caches, for both sides
    min_time, repeat = (0.005, 3) if smoke else (0.1, 7)
    loops = 1
    while True:
        w0 = time.perf_counter()
        for _ in range(loops):
            result = call()
        if time.perf_counter() - w0 >= min_time or loops >= 1 << 20:
            break
        loops *= 2
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(loops):
            result = call()
        walls.append((time.perf_counter() - w0) / loops)
        cpus.append((time.process_time() - c0) / loops)
    return statistics.median(walls), statistics.median(cpus), result, {"loops": loops, "walls": walls}


def worker_main(target: Target, impl: str, size: str, threads: int, data_dir: str, max_foreign: float,
                retries: int) -> None:
    inputs = target.setup(size, data_dir)
    if target.mode == "paired":
        calls = {name: make(inputs, threads) for name, make in target.impls.items()}
        print(json.dumps({"paired": target.study(inputs, calls, size == "smoke", max_foreign, retries)}))
        return
    call = target.impls[impl](inputs, threads)
    wall, cpu, result, details = time_call(call, target.mode, size == "smoke")
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "summary": target.summary(result, inputs), **details}))


def versions_main() -> None:
    """Printed by a worker: the versions and thread pools the workers see."""
    out = {"python": platform.python_version()}
    for mod in ("numpy", "scipy", "sklearn", "dwave.samplers", "ebdm"):
        try:
            m = __import__(mod, fromlist=["_"])
            out[mod] = getattr(m, "__version__", "?")
        except Exception as exc:  # noqa: BLE001 - report whatever keeps a peer from importing
            out[mod] = f"missing ({type(exc).__name__})"
    try:
        import numpy  # noqa: F401  (loads OpenBLAS so that threadpoolctl sees it)
        from threadpoolctl import threadpool_info

        out["threadpools"] = [{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads",
                                                     "threading_layer")} for p in threadpool_info()]
    except ImportError:
        out["threadpools"] = "threadpoolctl not installed"
    print(json.dumps(out))


# --------------------------------------------------------------------------------------------
# The driver side


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(threads: int) -> dict:
    info = {"cpu": cpu_model(), "flags": [], "logical_cpus": os.cpu_count(), "kernel": platform.release(),
            "threads": threads}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    have = set(line.split(":", 1)[1].split())
                    info["flags"] = [fl for fl in CPU_FLAGS if fl in have]
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    info["commit"] = git("rev-parse", "HEAD")
    info["dirty"] = bool(git("status", "--porcelain"))
    r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py"), "--versions"], env=worker_env(threads),
                       capture_output=True, text=True, cwd=ROOT)
    try:
        info["versions"] = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        info["versions"] = {"error": r.stderr.strip()[-500:]}
    return info


@dataclass
class Options:
    size: str = "full"
    threads: int = 2
    reps: int | None = None
    max_foreign: float = 0.1
    retries: int = 4
    data_dir: str = ""
    timeout: float = 3600.0
    enforce_quiet: bool = True


def missing_modules(target: Target) -> list[str]:
    out = []
    for mod in target.needs:
        r = subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True, cwd=ROOT)
        if r.returncode != 0:
            out.append(mod)
    return out


def run_worker(target: Target, impl: str, opts: Options) -> dict:
    cmd = [sys.executable, os.path.join(ROOT, "bench", "run.py"), "--worker", target.name, impl,
           "--size", opts.size, "--threads", str(opts.threads), "--data", opts.data_dir,
           "--max-foreign", str(opts.max_foreign if opts.enforce_quiet else math.inf), "--retries", str(opts.retries)]
    cpu = ChildCpu()
    p = run_process(cmd, worker_env(opts.threads), opts.timeout)
    if "error" in p:
        return {"error": p["error"]}
    own = cpu.elapsed()
    if p["returncode"] != 0:
        return {"error": (p["stderr"].strip() or p["stdout"].strip())[-2000:]}
    try:
        res = json.loads(p["stdout"].strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"no result line in the worker's output: {p['stdout'][-500:]!r}"}
    foreign = max(0.0, (p["busy"] - own) / p["wall"]) if p["wall"] > 0 else 0.0
    res.update({"process_wall_s": p["wall"], "process_cpu_s": own, "foreign_load": foreign})
    return res


def run_target(target: Target, opts: Options, sink) -> dict:
    """Interleaved repetitions of every implementation; returns the target's summary row."""
    reps = 1 if opts.size == "smoke" else (opts.reps or target.reps)
    row = {"type": "target", "target": target.name, "what": target.what, "goal": target.goal,
           "ebdm": target.ebdm, "peer": target.peer, "size": opts.size, "threads": opts.threads, "reps": reps}
    missing = missing_modules(target)
    if missing:
        row["status"] = f"skipped: {', '.join(missing)} not importable"
        return row
    why = target.unavailable()
    if why:
        row["status"] = f"skipped: {why}"
        return row
    names = list(target.impls)
    kept: dict[str, list[dict]] = {n: [] for n in names}
    if target.mode == "paired":
        for rep in range(reps):
            r = run_worker(target, "paired", opts)
            sink({"type": "run", "target": target.name, "impl": "paired", "rep": rep, "size": opts.size,
                  "threads": opts.threads, "kept": "error" not in r, **r})
            if "error" in r:
                row["status"] = f"error: {r['error'].splitlines()[-1] if r['error'] else '?'}"
                print(f"  {target.name}: ERROR\n{r['error']}", file=sys.stderr)
                return row
            for name in names:
                side = r["paired"][name]
                kept[name].append({**side, "foreign_load": r["foreign_load"]})
                print(f"  {target.name:28s} {name:14s} rep {rep}  TTS(99 %) {fmt_time(side['wall_s'])}", flush=True)
    for rep in range(reps if target.mode != "paired" else 0):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for impl in order:
            for attempt in range(opts.retries + 1):
                r = run_worker(target, impl, opts)
                rec = {"type": "run", "target": target.name, "impl": impl, "rep": rep, "attempt": attempt,
                       "size": opts.size, "threads": opts.threads, **r}
                if "error" in r:
                    rec["kept"] = False
                    sink(rec)
                    row["status"] = f"error in {impl}: {r['error'].splitlines()[-1] if r['error'] else '?'}"
                    print(f"  {target.name} {impl}: ERROR\n{r['error']}", file=sys.stderr)
                    return row
                quiet = r["foreign_load"] <= opts.max_foreign or not opts.enforce_quiet
                rec["kept"] = quiet
                sink(rec)
                print(f"  {target.name:28s} {impl:14s} rep {rep}  {fmt_time(r['wall_s']):>10s} wall "
                      f"{fmt_time(r['cpu_s']):>10s} CPU  foreign load {r['foreign_load']:.2f}"
                      + ("" if quiet else "  (discarded)"), flush=True)
                if quiet:
                    kept[impl].append(r)
                    break
                time.sleep(2.0)
            else:
                row["status"] = f"refused: foreign load above {opts.max_foreign} in {opts.retries + 1} tries of {impl}"
                return row
    med = {n: statistics.median(x["wall_s"] for x in kept[n]) for n in names}
    med_cpu = {n: statistics.median(x["cpu_s"] for x in kept[n]) for n in names}
    row["median_wall_s"], row["median_cpu_s"] = med, med_cpu
    e, p = med[target.ebdm], med[target.peer]
    row["ratio"] = e / p if math.isfinite(p) and p > 0 else math.nan
    row["ratio_cpu"] = med_cpu[target.ebdm] / med_cpu[target.peer] if med_cpu[target.peer] > 0 else None
    row["max_foreign_load"] = max(x["foreign_load"] for n in names for x in kept[n])
    ok, text = True, ""
    if target.agree is not None:
        ok, text = target.agree(kept[target.ebdm][-1]["summary"], kept[target.peer][-1]["summary"])
    row["agree"], row["agreement"] = ok, text
    if not ok:
        row["status"] = "results differ"
    elif opts.size == "smoke":
        row["status"] = "smoke"
    elif math.isnan(row["ratio"]):
        # A side with no success within its grid has no time to compare with.
        row["status"] = ("neither side reached the target" if not math.isfinite(e)
                         else f"{target.peer} reached no hit within the grid: not comparable")
    else:
        row["status"] = "met" if row["ratio"] <= target.goal else "not met"
    return row


def fmt_time(s: float | None) -> str:
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return "–"
    if math.isinf(s):
        return "∞"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def fmt_goal(goal: float) -> str:
    return f"≤ {goal:.3g}" + (f" (≥ {1 / goal:.3g}× faster)" if goal < 1 else "")


def table(rows: list[dict]) -> str:
    lines = ["| target | workload | ebdm | peer | ratio | goal | status |", "|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        med = r.get("median_wall_s", {})
        e, p = med.get(r["ebdm"]), med.get(r["peer"])
        ratio = f"{r['ratio']:.3g}" if "ratio" in r and not math.isnan(r["ratio"]) else "–"
        lines.append(f"| {r['target']} | {r['what']} | {fmt_time(e)} | {fmt_time(p)} ({r['peer']}) | {ratio} | "
                     f"{fmt_goal(r['goal'])} | {r['status']} |")
    return "\n".join(lines)
