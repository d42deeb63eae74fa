#!/usr/bin/env python3
"""Side-by-side timing of the classical Hopfield capacity sweep (spec E1).

Runs, in one invocation and interleaved, several repetitions of

  * numpy   - bench/memory/numpy_capacity.py, the spec's Appendix A reference;
  * ebdm    - `ebdm memory capacity ... --quiet` (the Rust CLI);
  * hopfieldkit - hopfieldkit 0.1.0's `empirical_capacity_scan` on the closest
                  settings it supports (see bench/memory/hopfieldkit_capacity.py);

each as a separate subprocess, and reports wall-clock medians, ratios against
ebdm, the machine and numpy's BLAS/threading setup, ending with a markdown
table.

Default settings (the E1 workload "N = 1000, 400 trials"):
  N = 1000, alphas = 0.10,0.12,0.13,0.14,0.15,0.16,0.18,0.20 (the grid of the
  spec's raw reference table, section 5), 50 trials per alpha = 400 trials,
  seed 0, T = 2 threads, 3 repetitions.
`--quick`: N = 500, 5 trials per alpha = 40 trials (smoke run).

This script only needs the standard library; the Python workers run under
`--python` (default: /work/venvs/bench/bin/python if present, else this
interpreter), which needs numpy, hopfieldkit and threadpoolctl.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from machine import cpu_model  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_VENV_PYTHON = Path("/work/venvs/bench/bin/python")
FULL_ALPHAS = "0.10,0.12,0.13,0.14,0.15,0.16,0.18,0.20"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
# Set on some machines to force an OpenBLAS kernel / cache size; removed for
# the Python workers so that OpenBLAS picks its kernel itself.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
IMPLS = ("numpy", "ebdm", "hopfieldkit")


# --------------------------------------------------------------------------
# machine description

def core_counts() -> str:
    logical = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = logical
    return f"{logical} logical CPUs ({usable} usable by this process)"


# --------------------------------------------------------------------------
# subprocess helpers

def python_env(threads: int) -> dict:
    env = dict(os.environ)
    for var in OPENBLAS_OVERRIDES:
        env.pop(var, None)
    for var in THREAD_VARS:
        env[var] = str(threads)
    return env


def timed_run(cmd, env, timeout):
    """Run cmd, return (seconds, CompletedProcess or None, error text)."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t0, None, f"timed out after {timeout} s"
    except OSError as exc:
        return time.perf_counter() - t0, None, str(exc)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        return elapsed, proc, f"exit status {proc.returncode}: {proc.stderr.strip()[-2000:]}"
    return elapsed, proc, None


def busy_cpu_seconds() -> float | None:
    """Machine-wide non-idle CPU time so far (all CPUs), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    # cpu user nice system idle iowait irq softirq steal guest guest_nice
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class ForeignLoad:
    """Measures how busy OTHER processes kept the CPUs during a run.

    foreign cores = (machine-wide busy CPU time - CPU time of our finished
    children) / wall time.  0 means the benchmark had the machine to itself;
    1.0 means another process kept one core busy on average.
    """

    def __enter__(self):
        self.busy0, self.child0 = busy_cpu_seconds(), children_cpu_seconds()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self.t0
        busy1, child1 = busy_cpu_seconds(), children_cpu_seconds()
        if self.busy0 is None or busy1 is None or wall <= 0:
            self.cores = None
        else:
            other = (busy1 - self.busy0) - (child1 - self.child0)
            self.cores = max(0.0, other / wall)
        return False

    def __str__(self):
        return "?" if self.cores is None else f"{self.cores:.2f}"


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.rstrip().splitlines())


# --------------------------------------------------------------------------

def build_commands(args):
    n, alphas, trials = args.neurons, args.alphas, args.trials
    py = str(args.python)
    cmds = {
        "numpy": [py, str(HERE / "numpy_capacity.py"), "--neurons", str(n),
                  "--alphas", alphas, "--trials", str(trials), "--seed",
                  str(args.seed), "--dtype", args.dtype, "--weights",
                  args.weights, "--json"],
        "hopfieldkit": [py, str(HERE / "hopfieldkit_capacity.py"), "--neurons",
                        str(n), "--alphas", alphas, "--trials", str(trials),
                        "--seed", str(args.seed), "--json"],
        # ebdm gets its --out directory appended per run
        "ebdm": [str(args.ebdm), "memory", "capacity", "--neurons", str(n),
                 "--alphas", alphas, "--trials", str(trials), "--seed",
                 str(args.seed), "--threads", str(args.threads)],
    }
    return cmds


def resolve_ebdm(path: Path) -> Path | None:
    for cand in (path, REPO / path):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand.resolve()
    return None


def summarize_blas(info) -> str:
    if not info:
        return "threadpoolctl found no BLAS/OpenMP library"
    parts = []
    for lib in info:
        if "error" in lib:
            parts.append(lib["error"])
            continue
        desc = (f"{lib.get('internal_api')} {lib.get('version')} "
                f"({lib.get('user_api')}), num_threads={lib.get('num_threads')}")
        if lib.get("architecture"):
            desc += f", kernel/architecture={lib['architecture']}"
        if lib.get("threading_layer"):
            desc += f", threading={lib['threading_layer']}"
        desc += f", {lib.get('filepath')}"
        parts.append(desc)
    return "; ".join(parts)


def fmt_runs(xs):
    return ", ".join(f"{x:.2f}" for x in xs) if xs else "-"


def median(xs):
    return statistics.median(xs) if xs else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Interleaved timing of the E1 capacity sweep: numpy reference, "
                    "ebdm CLI and hopfieldkit.")
    ap.add_argument("--ebdm", type=Path, default=Path("target/release/ebdm"),
                    help="ebdm binary (default: %(default)s, relative to the "
                         "current directory or the repository root)")
    ap.add_argument("--python", type=Path, default=None,
                    help="interpreter for the numpy/hopfieldkit workers "
                         f"(default: {DEFAULT_VENV_PYTHON} if present)")
    ap.add_argument("--threads", "-T", type=int, default=2,
                    help="threads for every implementation (default: 2)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions (default: 3)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: N=500, 5 trials per alpha (40 trials)")
    ap.add_argument("--neurons", type=int, default=None)
    ap.add_argument("--alphas", default=FULL_ALPHAS)
    ap.add_argument("--trials", type=int, default=None, help="trials per alpha")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                    help="numpy reference dtype (default: float64)")
    ap.add_argument("--weights", choices=["scaled", "integer"], default="scaled",
                    help="numpy reference weights, see numpy_capacity.py")
    ap.add_argument("--impls", default=",".join(IMPLS),
                    help="comma-separated subset of: " + ", ".join(IMPLS))
    ap.add_argument("--max-foreign", type=float, default=None,
                    help="discard and rerun a run during which other processes "
                         "kept more than this many CPUs busy (e.g. 0.1)")
    ap.add_argument("--retries", type=int, default=3,
                    help="reruns allowed per run with --max-foreign (default: 3); "
                         "the last attempt is kept whatever its load")
    ap.add_argument("--timeout", type=float, default=3600.0,
                    help="per-run timeout in seconds")
    ap.add_argument("--json-out", type=Path, default=None,
                    help="also write all measurements to this JSON file")
    args = ap.parse_args(argv)

    if args.neurons is None:
        args.neurons = 500 if args.quick else 1000
    if args.trials is None:
        args.trials = 5 if args.quick else 50
    if args.python is None:
        args.python = DEFAULT_VENV_PYTHON if DEFAULT_VENV_PYTHON.exists() else Path(sys.executable)
    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    for i in impls:
        if i not in IMPLS:
            ap.error(f"unknown implementation {i!r}")
    n_alphas = len([a for a in args.alphas.split(",") if a.strip()])

    if "ebdm" in impls:
        found = resolve_ebdm(args.ebdm)
        if found is None:
            print(f"NOTE: ebdm binary not found at {args.ebdm} (build it with "
                  f"`cargo build --release -p ebdm-cli`); skipping ebdm.\n")
            impls.remove("ebdm")
        else:
            args.ebdm = found

    py_env = python_env(args.threads)
    ebdm_env = dict(os.environ)
    cmds = build_commands(args)

    print("# E1 capacity sweep benchmark")
    print(f"settings: N={args.neurons}, alphas={args.alphas} ({n_alphas} values), "
          f"{args.trials} trials per alpha = {n_alphas * args.trials} trials, "
          f"seed={args.seed}, threads T={args.threads}, reps={args.reps}")
    print(f"machine: {cpu_model()}; {core_counts()}; {platform.platform()}")
    print(f"worker python: {args.python}")
    overrides = {v: os.environ[v] for v in OPENBLAS_OVERRIDES if v in os.environ}
    print(f"OpenBLAS overrides in this environment: {overrides or 'none'} "
          f"(removed for the numpy/hopfieldkit subprocesses)")
    print("thread variables for the Python workers: "
          + ", ".join(f"{v}={args.threads}" for v in THREAD_VARS))
    print()

    # Interpreter + numpy import cost, to put the Python wall times in context.
    startup = []
    if "numpy" in impls or "hopfieldkit" in impls:
        for _ in range(3):
            dt, _, err = timed_run([str(args.python), "-c",
                                    "import numpy, threadpoolctl"], py_env, 120)
            if err:
                print(f"ERROR: worker python cannot import numpy/threadpoolctl: {err}")
                return 2
            startup.append(dt)
        print(f"python start-up + `import numpy, threadpoolctl`: median "
              f"{median(startup):.3f} s ({fmt_runs(startup)})\n")

    loads = []
    walls = {i: [] for i in impls}
    computes = {i: [] for i in impls}
    outputs = {i: [] for i in impls}
    failures = {i: [] for i in impls}

    def run_once(impl):
        """One timed run: (seconds, process, error, foreign load, capacity.json seen)."""
        if impl == "ebdm":
            out_dir = tempfile.mkdtemp(prefix="ebdm-capacity-")
            cmd = cmds["ebdm"] + ["--out", out_dir, "--quiet"]
            with ForeignLoad() as load:
                dt, proc, err = timed_run(cmd, ebdm_env, args.timeout)
            produced = (Path(out_dir) / "capacity.json").is_file()
            shutil.rmtree(out_dir, ignore_errors=True)
        else:
            with ForeignLoad() as load:
                dt, proc, err = timed_run(cmds[impl], py_env, args.timeout)
            produced = None
        return dt, proc, err, load, produced

    discarded = {i: [] for i in impls}
    for rep in range(args.reps):
        # Rotate the order each repetition so no implementation always runs
        # first (cold caches) or last.
        order = impls[rep % len(impls):] + impls[:rep % len(impls)] if impls else []
        for impl in order:
            label = f"[rep {rep + 1}/{args.reps}] {impl:<11}"
            for attempt in range(args.retries + 1):
                dt, proc, err, load, produced = run_once(impl)
                noisy = (args.max_foreign is not None and load.cores is not None
                         and load.cores > args.max_foreign)
                if err or not noisy or attempt == args.retries:
                    break
                discarded[impl].append(dt)
                print(f"{label} {dt:8.2f} s discarded: foreign load {load} cores "
                      f"> {args.max_foreign}; retrying")
            loads.append({"impl": impl, "rep": rep + 1, "foreign_cores": load.cores})
            if err:
                print(f"{label} FAILED after {dt:.2f} s: {err}")
                failures[impl].append(err)
                continue
            walls[impl].append(dt)
            if impl == "ebdm":
                note = "" if produced else " (warning: no capacity.json written)"
                print(f"{label} {dt:8.2f} s wall; foreign load {load} cores{note}")
                if proc.stdout.strip():
                    print(indent(proc.stdout))
                outputs[impl].append(proc.stdout)
            else:
                res = json.loads(proc.stdout)
                computes[impl].append(res["compute_seconds"])
                outputs[impl].append(res)
                print(f"{label} {dt:8.2f} s wall ({res['compute_seconds']:.2f} s in-process); "
                      f"foreign load {load} cores")
            sys.stdout.flush()
    print()

    # ------------------------------------------------------------------
    # What each implementation computed
    if outputs.get("numpy"):
        first = outputs["numpy"][0]
        same = all(o["cells"] == first["cells"] for o in outputs["numpy"][1:])
        print(f"## numpy reference results (dtype={first['dtype']}, "
              f"weights={first['weights']}; identical across reps: {same})")
        print("| alpha | K | mean m | P(m>0.9) | exact recovery | mean flips |")
        print("|---:|---:|---:|---:|---:|---:|")
        for c in first["cells"]:
            print(f"| {c['alpha']:g} | {c['patterns']} | {c['mean_m']:.3f} | "
                  f"{c['p_m_gt_0.9']:.2f} | {c['exact_recovery']:.2f} | "
                  f"{c['mean_flips']:.1f} |")
        print()
    if outputs.get("hopfieldkit"):
        hk = outputs["hopfieldkit"]
        print(f"## hopfieldkit exact-recovery rate per rep "
              f"({hk[0]['bits_flipped']} bit(s) flipped; its recall order is "
              f"unseeded, so reps may differ)")
        print("| alpha | K | " + " | ".join(f"rep {r + 1}" for r in range(len(hk))) + " |")
        print("|---:|---:|" + "---:|" * len(hk))
        for j, c in enumerate(hk[0]["cells"]):
            rates = " | ".join(f"{o['cells'][j]['exact_recovery']:.2f}" for o in hk)
            print(f"| {c['alpha']:g} | {c['patterns']} | {rates} |")
        print()

    # ------------------------------------------------------------------
    # BLAS / threads
    for impl in ("numpy", "hopfieldkit"):
        if outputs.get(impl):
            print(f"{impl} BLAS (threadpoolctl, inside the worker): "
                  f"{summarize_blas(outputs[impl][0]['threadpool_info'])}")
    if outputs.get("numpy"):
        print(f"numpy version: {outputs['numpy'][0]['numpy_version']}")
    if "ebdm" in walls:
        print(f"ebdm: {args.ebdm} with --threads {args.threads}")
    print()

    print("## Differences between the implementations")
    print("- numpy reference and ebdm: same procedure (Appendix A): start at xi^1 "
          "(rho=0), flip one uniformly chosen unstable unit (s_i h_i < 0; h_i = 0 "
          "stable) at a time, cap 20N flips; observables mean m, P(m>0.9). The "
          "random streams differ, so only the statistics are comparable.")
    print("- hopfieldkit: same N, K = round(alpha N) and trials per K, but it flips "
          "max(1, int(0*N)) = 1 bit of xi^1 (it cannot start uncorrupted); recall is "
          "full random-permutation sweeps with s_i = +1 if h_i >= 0 (ties -> +1), "
          "h_i recomputed as W[i] @ s at each visit, at most 200 sweeps; its "
          "recall order is unseeded; it reports only exact recovery; W is built "
          "with a Python loop of np.outer.")
    print()

    # ------------------------------------------------------------------
    # Final table
    ebdm_med = median(walls.get("ebdm", []))
    desc = {
        "ebdm": f"`ebdm memory capacity`, --threads {args.threads}",
        "numpy": f"Appendix A reference, {args.dtype}, W {args.weights}, "
                 f"BLAS threads {args.threads}",
        "hopfieldkit": "`empirical_capacity_scan`, flip_fraction=0 (1 bit), "
                       f"BLAS threads {args.threads}",
    }
    print(f"## Wall-clock, N={args.neurons}, {n_alphas} alphas x {args.trials} trials "
          f"= {n_alphas * args.trials} trials, median of {args.reps} interleaved reps")
    print()
    print("| implementation | what runs | median wall (s) | min wall (s) | runs (s) | "
          "median in-process (s) | max foreign load | ratio to ebdm (medians) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for impl in IMPLS:
        if impl not in walls:
            if impl == "ebdm" and impl in args.impls:
                print("| ebdm | binary not found, skipped | - | - | - | - | - | - |")
            continue
        med = median(walls[impl])
        if med is None:
            print(f"| {impl} | {desc[impl]} | failed | - | - | - | - | - |")
            continue
        cmed = median(computes[impl])
        ratio = f"{med / ebdm_med:.1f}x" if ebdm_med else "n/a"
        cmed_txt = f"{cmed:.2f}" if cmed is not None else "-"
        foreign = [x["foreign_cores"] for x in loads
                   if x["impl"] == impl and x["foreign_cores"] is not None]
        foreign_txt = f"{max(foreign):.2f}" if foreign else "?"
        print(f"| {impl} | {desc[impl]} | {med:.2f} | {min(walls[impl]):.2f} | "
              f"{fmt_runs(walls[impl])} | {cmed_txt} | {foreign_txt} | {ratio} |")
    if startup:
        print(f"| (python start-up) | interpreter + import numpy | {median(startup):.2f} "
              f"| {min(startup):.2f} | {fmt_runs(startup)} | - | - | - |")
    print()
    print("Wall = whole subprocess (includes interpreter start-up and imports for "
          "the Python workers); in-process = the worker's own timer around the sweep.")
    worst = max((x["foreign_cores"] or 0.0) for x in loads) if loads else 0.0
    print(f"Foreign load = average number of CPUs kept busy by processes other than "
          f"the benchmarked one during its run (of {os.cpu_count()}); worst run: "
          f"{worst:.2f}." + (" Runs with foreign load above ~0.2 are skewed; rerun on "
                             "a quiet machine." if worst > 0.2 else ""))

    if args.json_out:
        record = {
            "settings": {"neurons": args.neurons, "alphas": args.alphas,
                         "trials_per_alpha": args.trials, "seed": args.seed,
                         "threads": args.threads, "reps": args.reps,
                         "dtype": args.dtype, "weights": args.weights},
            "machine": {"cpu": cpu_model(), "cores": core_counts(),
                        "platform": platform.platform()},
            "startup_seconds": startup,
            "foreign_load_cores": loads,
            "discarded_wall_seconds": discarded,
            "wall_seconds": walls,
            "compute_seconds": computes,
            "failures": failures,
            "numpy_results": outputs.get("numpy", [None])[0] if outputs.get("numpy") else None,
            "hopfieldkit_results": outputs.get("hopfieldkit"),
            "ebdm_stdout": outputs.get("ebdm"),
        }
        args.json_out.write_text(json.dumps(record, indent=2))
        print(f"\nwrote {args.json_out}")
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
