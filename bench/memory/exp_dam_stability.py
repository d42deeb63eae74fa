#!/usr/bin/env python3
"""Exponential dense associative memory, one-step stability (spec E6 cell N=32, alpha=0.40).

Times, on identical inputs and interleaved in one process,

  * numpy - a plain numpy transcription of the spec's Appendix A procedure
            ("Exponential DAM (E6)"): for each test pattern s = xi^mu,
            a = Xi s, Z = a[:, None] - Xi * s (z_{nu,i}), shift every column
            by its maximum over the patterns, d_i = sum_nu xi_i^nu exp(Z),
            new_i = +1 if d_i >= 0 else -1; the pattern is one-step stable
            when no bit changes.  For +-1 patterns this is the exact flip
            rule: E(sigma_i=+1) - E(sigma_i=-1) = -2 sinh(1) sum_nu xi_i^nu
            e^{z_{nu,i}} (spec 2.4).  `--rule energies` instead compares,
            for every bit, the two energies -lse(a) and -lse(a with bit i
            flipped) directly (log-sum-exp with max shift); same answer,
            same cost class;
  * ebdm  - `ebdm.DenseAM(patterns, separation="exp")` (exact flip rule,
            log domain) and `one_step_errors(pattern)` for every test
            pattern, the test patterns spread over T Python threads (each
            call releases the GIL).

Both get the same K x N +-1 patterns (drawn once with `ebdm.random_patterns`,
or numpy when ebdm is absent) and test the same stored patterns 0..tests-1.
The per-pattern numbers of changed bits must agree exactly.  The timed part
of each implementation includes its own set-up from the int8 pattern array
(numpy: conversion to float64; ebdm: building the DenseAM); the set-up is
also reported on its own.

Defaults are the E6 cell of the issue: N = 32, K = round(e^{0.4*32}) = 362,217,
100 test patterns, T = 2 threads, 3 interleaved repetitions.  The extra
`--experiment` timing runs `ebdm.experiments`' E6 function for the same cell
on its own (internally generated) patterns, for context.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from machine import cpu_model  # noqa: E402

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
               "RAYON_NUM_THREADS")
IMPLS = ("numpy", "ebdm")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description="Exponential DAM one-step stability: numpy reference vs ebdm, "
                    "identical patterns, interleaved repetitions.")
    ap.add_argument("--neurons", "-N", type=int, default=32, help="N (default: 32)")
    ap.add_argument("--alpha", type=float, default=0.40,
                    help="log-load alpha, K = round(e^(alpha N)) (default: 0.40)")
    ap.add_argument("--patterns", "-K", type=int, default=None,
                    help="K directly (overrides --alpha)")
    ap.add_argument("--tests", type=int, default=100,
                    help="stored patterns tested, rows 0..tests-1 (default: 100)")
    ap.add_argument("--seed", type=int, default=0, help="pattern seed (default: 0)")
    ap.add_argument("--threads", "-T", type=int, default=2,
                    help="threads for every implementation (default: 2)")
    ap.add_argument("--reps", type=int, default=3, help="interleaved repetitions (default: 3)")
    ap.add_argument("--rule", choices=["appendix", "energies"], default="appendix",
                    help="numpy reference form (default: appendix, see the module doc)")
    ap.add_argument("--impls", default=",".join(IMPLS),
                    help="comma-separated subset of: " + ", ".join(IMPLS))
    ap.add_argument("--require", default="",
                    help="comma-separated implementations that must be available: "
                         "exit with status 2 if one is missing (default: skip with a note)")
    ap.add_argument("--experiment", action="store_true",
                    help="also time ebdm.experiments.dense_exp for the same cell")
    ap.add_argument("--json-out", default=None, help="also write the raw numbers here")
    return ap.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    # Thread counts must be in the environment before numpy / ebdm load.
    for _v in THREAD_VARS:
        os.environ[_v] = str(ARGS.threads)

import numpy as np  # noqa: E402

try:  # noqa: E402
    import ebdm
    EBDM_ERROR = None
except ImportError as exc:  # pragma: no cover - reported at run time
    ebdm = None
    EBDM_ERROR = f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------
# numpy reference

def numpy_errors(patterns: np.ndarray, tests: int, rule: str = "appendix") -> np.ndarray:
    """Changed bits per test pattern (rows 0..tests-1), the Appendix A procedure."""
    x = patterns.astype(np.float64)          # K x N
    out = np.empty(tests, dtype=np.int64)
    for mu in range(tests):
        s = x[mu]
        a = x @ s                            # a_nu = xi^nu . s
        if rule == "appendix":
            z = a[:, None] - x * s           # z_{nu,i} = a_nu - xi_i^nu s_i
            z -= z.max(axis=0)               # per-bit shift: largest term is e^0
            np.exp(z, out=z)
            d = np.einsum("ki,ki->i", x, z)  # d_i = sum_nu xi_i^nu e^{z_{nu,i}}
            new = np.where(d >= 0.0, 1.0, -1.0)
        else:
            # E(s) = -lse(a); flipping bit i changes every a_nu by -2 xi_i^nu s_i.
            m = a.max()
            lse_s = m + math.log(np.exp(a - m).sum())
            af = a[:, None] - 2.0 * (x * s)  # overlaps with bit i flipped
            mf = af.max(axis=0)
            af -= mf
            np.exp(af, out=af)
            lse_f = mf + np.log(af.sum(axis=0))
            # new_i = +1 iff E(sigma_i=+1) <= E(sigma_i=-1), i.e. lse(+1) >= lse(-1).
            lse_plus = np.where(s > 0, lse_s, lse_f)
            lse_minus = np.where(s > 0, lse_f, lse_s)
            new = np.where(lse_plus >= lse_minus, 1.0, -1.0)
        out[mu] = int(np.count_nonzero(new != s))
    return out


# --------------------------------------------------------------------------
# ebdm

def ebdm_errors(patterns: np.ndarray, tests: int, threads: int, pool=None):
    """Changed bits per test pattern with ebdm.DenseAM (exact rule, F = exp)."""
    t0 = time.perf_counter()
    am = ebdm.DenseAM(patterns, separation="exp", update="exact")
    setup = time.perf_counter() - t0
    rows = [patterns[mu] for mu in range(tests)]
    if pool is None or threads <= 1:
        errs = [am.one_step_errors(r) for r in rows]
    else:
        errs = list(pool.map(am.one_step_errors, rows))
    return np.asarray(errs, dtype=np.int64), setup


def make_patterns(k: int, n: int, seed: int) -> tuple[np.ndarray, str]:
    if ebdm is not None:
        return np.ascontiguousarray(ebdm.random_patterns(k, n, seed), dtype=np.int8), \
            f"ebdm.random_patterns({k}, {n}, seed={seed})"
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 2, size=(k, n), dtype=np.int8) * 2 - 1).astype(np.int8), \
        f"numpy default_rng({seed}).integers (ebdm unavailable)"


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    parts = []
    for lib in threadpool_info():
        parts.append(f"{lib.get('internal_api')} {lib.get('version')} "
                     f"threads={lib.get('num_threads')} kernel={lib.get('architecture')}")
    return "; ".join(parts) or "none found"


def main(args) -> int:
    from concurrent.futures import ThreadPoolExecutor

    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    required = [i.strip() for i in args.require.split(",") if i.strip()]
    for i in impls + required:
        if i not in IMPLS:
            print(f"error: unknown implementation {i!r} (known: {', '.join(IMPLS)})", file=sys.stderr)
            return 2
    if ebdm is None:
        msg = f"ebdm cannot be imported ({EBDM_ERROR}); build and install the wheel (see bench/README.md)"
        if "ebdm" in required:
            print(f"error: {msg}", file=sys.stderr)
            return 2
        if "ebdm" in impls:
            print(f"NOTE: {msg}; skipping ebdm.")
            impls.remove("ebdm")

    n = args.neurons
    k = args.patterns if args.patterns is not None else int(round(math.exp(args.alpha * n)))
    tests = min(args.tests, k)
    patterns, source = make_patterns(k, n, args.seed)

    print("# Exponential DAM one-step stability: numpy reference vs ebdm")
    print(f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"machine: {cpu_model()}; {os.cpu_count()} logical CPUs; {platform.platform()}")
    print(f"python {platform.python_version()}, numpy {np.__version__}"
          + (f", ebdm {getattr(ebdm, '__version__', '?')}" if ebdm is not None else ""))
    print(f"settings: N={n}, K={k}" + ("" if args.patterns is not None else f" (alpha={args.alpha})")
          + f", tests={tests}, seed={args.seed}, reps={args.reps}, numpy rule={args.rule}")
    print(f"patterns: {source}")
    print(f"threads T={args.threads}: " + ", ".join(f"{v}={os.environ.get(v)}" for v in THREAD_VARS)
          + f"; ebdm: {args.threads} Python threads over the test patterns")
    print(f"numpy BLAS: {blas_info()}")
    print()

    pool = ThreadPoolExecutor(max_workers=args.threads) if args.threads > 1 else None
    times = {i: [] for i in impls}
    setups = {i: [] for i in impls}
    results = {}
    for rep in range(args.reps):
        order = impls[rep % len(impls):] + impls[:rep % len(impls)] if impls else []
        for impl in order:
            t0 = time.perf_counter()
            if impl == "numpy":
                errs = numpy_errors(patterns, tests, args.rule)
                setup = None
            else:
                errs, setup = ebdm_errors(patterns, tests, args.threads, pool)
            dt = time.perf_counter() - t0
            times[impl].append(dt)
            if setup is not None:
                setups[impl].append(setup)
            prev = results.get(impl)
            if prev is not None and not np.array_equal(prev, errs):
                print(f"WARNING: {impl} gave different results in repetition {rep + 1}")
            results[impl] = errs
            extra = f" (set-up {setup:.3f} s)" if setup is not None else ""
            print(f"[rep {rep + 1}/{args.reps}] {impl:<6} {dt:9.3f} s{extra}; "
                  f"stable {int(np.sum(errs == 0))}/{tests}, changed bits {int(errs.sum())}")
            sys.stdout.flush()
    if pool is not None:
        pool.shutdown()

    exp_times = []
    if args.experiment and ebdm is not None:
        alpha = math.log(k) / n if args.patterns is not None else args.alpha
        for _ in range(args.reps):
            t0 = time.perf_counter()
            r = ebdm.experiments.dense_exp(neurons=[n], log_loads=[alpha], tests=tests,
                                           max_patterns=max(k, 1), seed=args.seed,
                                           threads=args.threads)
            exp_times.append(time.perf_counter() - t0)
        frac = r["cells"]["stable_fraction"][0]
        print(f"ebdm.experiments.dense_exp(neurons=[{n}], log_loads=[{alpha:g}], tests={tests}, "
              f"threads={args.threads}) (own patterns, K={r['cells']['patterns'][0]}): "
              f"median {statistics.median(exp_times):.3f} s, stable fraction {frac:.2f}")
    print()

    agree = None
    if "numpy" in results and "ebdm" in results:
        agree = bool(np.array_equal(results["numpy"], results["ebdm"]))
        diff = np.flatnonzero(results["numpy"] != results["ebdm"])
        print(f"agreement (changed bits per test pattern identical): {agree}"
              + ("" if agree else f"; differing test patterns: {diff[:20].tolist()}"))
    for impl, errs in results.items():
        print(f"{impl}: {int(np.sum(errs == 0))}/{tests} one-step stable")
    print()

    print(f"## N={n}, K={k}, {tests} test patterns, T={args.threads}, median of {args.reps} "
          "interleaved repetitions")
    print()
    print("| implementation | median (s) | min (s) | runs (s) | set-up, median (s) | "
          "stable | numpy / this |")
    print("|---|---:|---:|---|---:|---:|---:|")
    np_med = statistics.median(times["numpy"]) if times.get("numpy") else None
    label = {"numpy": f"numpy reference ({args.rule}, float64)",
             "ebdm": "ebdm `DenseAM(exp).one_step_errors`"}
    for impl in IMPLS:
        if not times.get(impl):
            continue
        med = statistics.median(times[impl])
        su = f"{statistics.median(setups[impl]):.3f}" if setups[impl] else "-"
        ratio = f"{np_med / med:.0f}x" if np_med else "-"
        runs = ", ".join(f"{t:.3f}" for t in times[impl])
        stable = f"{int(np.sum(results[impl] == 0))}/{tests}"
        print(f"| {label[impl]} | {med:.3f} | {min(times[impl]):.3f} | {runs} | {su} | "
              f"{stable} | {ratio} |")
    if np_med and times.get("ebdm"):
        ratio = np_med / statistics.median(times["ebdm"])
        print()
        print(f"speed-up of ebdm over numpy (medians): {ratio:.0f}x (goal >= 100x: "
              f"{'met' if ratio >= 100 else 'NOT met'})")

    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"neurons": n, "patterns": k, "tests": tests, "seed": args.seed,
                       "threads": args.threads, "rule": args.rule, "times": times,
                       "setups": setups, "experiment_times": exp_times,
                       "errors": {i: r.tolist() for i, r in results.items()},
                       "agree": agree}, f, indent=2)
    return 0 if agree in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main(ARGS))
