#!/usr/bin/env python3
"""Modern Hopfield retrieval (spec 2.5, E7, 7.8-7.10): one update step, side by side.

    q_new = softmax(beta * q @ X.T) @ X      (row maximum shifted out, float32)

with X the K x d stored +-1 patterns.  Implementations (each in its own
subprocess, the subprocesses interleaved over `--reps` repetitions):

  numpy       plain numpy, float32 (the issue's reference);
  ebdm        `ebdm.retrieve(X, q, beta, steps=1)` (one call, patterns passed
              every time);
  ebdm-class  `ebdm.ModernHopfield(X).retrieve(q, beta, steps=1)` (patterns
              stored once, outside the timing);
  torch       PyTorch on the CPU, `torch.softmax(beta * q @ X.T, -1) @ X`
              under `torch.inference_mode()`;
  jax         `jax.jit` of the same expression, X passed as an argument;
  hamux       HAMUX 0.2.2: a two-layer HAM (identity Lagrangian for the d
              query neurons, softmax Lagrangian with beta for K memory
              neurons, one LinearSynapse W = X.T); a step is two `dEdact`
              calls (the memory currents -dE/dm = X q, then the query update
              -dE/dq = X.T softmax(beta X q)), under `eqx.filter_jit` with the
              model passed as an argument (spec 4.7);
  sgemm       not an implementation: numpy float32 matmul rates on this
              machine, for the same two GEMM shapes as a B-query step and for
              a large square (--square, default 2048^3).

Two cases: B = 1 (one query vector of length d, per-call latency) and
B = --batch (default 1024 queries).  Timing is timeit-style inside each
worker after warm-up (and JIT compilation): `--repeat` repeats of a loop
calibrated to last at least `--min-time` seconds; the worker reports the
median per-call time over its repeats; the table gives the median (and the
minimum) of those medians over the interleaved repetitions.

Inputs are generated once (with `ebdm.random_patterns` / `ebdm.corrupt`,
spec 7.9, or numpy when ebdm is absent), written as .npy and read by every
worker: X (K x d float32 +-1), Q (B x d float32; query b is pattern b mod K
with floor(rho d) distinct bits flipped).  Every worker's outputs are
compared element-wise with a float64 numpy evaluation (and with each other)
before any time is reported.

GFLOP/s counts the two GEMMs only: 2 * (2 B K d) flops per step (the softmax,
about 3 B K more, is not counted).

Thread counts: every worker gets OMP/OPENBLAS/MKL/BLIS/RAYON_NUM_THREADS=T and
`torch.set_num_threads(T)`; when T is less than the number of CPUs the
worker is also pinned to T CPUs (XLA has no plain thread-count switch).
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from machine import cpu_model  # noqa: E402

HERE = Path(__file__).resolve()
DEFAULT_VENV_PYTHON = Path("/work/venvs/bench/bin/python")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
               "RAYON_NUM_THREADS")
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
IMPLS = ("numpy", "ebdm", "ebdm-class", "torch", "jax", "hamux")
WORKERS = IMPLS + ("sgemm",)
LABELS = {
    "numpy": "numpy float32 (`softmax(beta q X^T) X`)",
    "ebdm": "ebdm `ebdm.retrieve(X, q, beta, steps=1)`",
    "ebdm-class": "ebdm `ModernHopfield(X).retrieve(q, beta, steps=1)`",
    "torch": "PyTorch CPU (`torch.softmax(...) @ X`)",
    "jax": "JAX `jax.jit`",
    "hamux": "HAMUX 0.2.2 (two `dEdact`, `eqx.filter_jit`)",
}


# ==========================================================================
# worker side: one implementation, timed in-process
# ==========================================================================

def pin_threads(threads: int) -> str:
    ncpu = os.cpu_count() or 1
    if threads < ncpu and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:threads]
        os.sched_setaffinity(0, cpus)
        return f"pinned to CPUs {cpus}"
    return f"not pinned ({ncpu} CPUs)"


def time_call(fn, repeat: int, min_time: float):
    """timeit-style: calibrate a loop count, then per-call seconds of each repeat."""
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or number >= 1 << 20:
            break
        number = max(number * 2, int(number * min_time / max(dt, 1e-9) * 1.1))
    per_call = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        per_call.append((time.perf_counter() - t0) / number)
    return per_call, number


def make_steps(impl: str, x, beta: float):
    """(prepare(q) -> object, step(obj) -> result, to_numpy(result), version text)."""
    import numpy as np

    if impl == "numpy":
        def step(q):
            z = q @ x.T
            z *= beta
            z -= z.max(axis=-1, keepdims=True)
            np.exp(z, out=z)
            z /= z.sum(axis=-1, keepdims=True)
            return z @ x
        return (lambda q: q), step, (lambda r: r), f"numpy {np.__version__}"

    if impl in ("ebdm", "ebdm-class"):
        import ebdm
        version = f"ebdm {getattr(ebdm, '__version__', '?')}"
        if impl == "ebdm":
            return (lambda q: q), (lambda q: ebdm.retrieve(x, q, beta, steps=1)), (lambda r: r), version
        net = ebdm.ModernHopfield(x)
        return (lambda q: q), (lambda q: net.retrieve(q, beta, steps=1)), (lambda r: r), version

    if impl == "torch":
        import torch
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
        xt = torch.from_numpy(x)

        def step(q):
            with torch.inference_mode():
                return torch.softmax(beta * (q @ xt.T), dim=-1) @ xt
        return (lambda q: torch.from_numpy(q)), step, (lambda r: r.numpy()), \
            f"torch {torch.__version__} (threads {torch.get_num_threads()}, " \
            f"interop {torch.get_num_interop_threads()})"

    if impl == "jax":
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_platforms", "cpu")
        xj = jnp.asarray(x)

        @jax.jit
        def jstep(xm, q):
            return jax.nn.softmax(beta * (q @ xm.T), axis=-1) @ xm
        return (lambda q: jnp.asarray(q)), (lambda q: jstep(xj, q).block_until_ready()), \
            (lambda r: np.asarray(r)), f"jax {jax.__version__} ({jax.devices()[0].platform})"

    if impl == "hamux":
        import contextlib
        import io
        import equinox as eqx
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_platforms", "cpu")
        import hamux as hmx
        from hamux.lagrangians import lagr_identity, lagr_softmax
        k, d = x.shape

        def lagr_memory(u):
            return lagr_softmax(u, beta=beta)

        # hamux 0.2.2 prints "Post init" for every NeuronLayer: keep it off stdout.
        with contextlib.redirect_stdout(io.StringIO()):
            neurons = {"query": hmx.NeuronLayer(lagr_identity, (d,)),
                       "memory": hmx.NeuronLayer(lagr_memory, (k,))}
        synapses = {"patterns": hmx.LinearSynapse(W=jnp.asarray(x.T))}    # d x K
        ham = hmx.HAM(neurons, synapses, [(("query", "memory"), "patterns")])
        vham = ham.vectorize()

        @eqx.filter_jit
        def hstep(model, q):
            zero_q = jnp.zeros_like(q)
            zero_m = jnp.zeros(q.shape[:-1] + (k,), q.dtype)
            xs = {"query": zero_q, "memory": zero_m}
            # Memory currents: with the memory state at 0, -dE/dm_hat = W^T q = X q.
            g = model.dEdact({"query": q, "memory": zero_m}, xs)
            m_state = -g["memory"]
            m_act = model.activations({"query": q, "memory": m_state})["memory"]  # softmax(beta X q)
            # Query update: with the query state at 0, -dE/dq_hat = W m_act = X^T p.
            g = model.dEdact({"query": q, "memory": m_act}, xs)
            return -g["query"]

        def step(q):
            model = vham if q.ndim == 2 else ham
            return hstep(model, q).block_until_ready()
        return (lambda q: jnp.asarray(q)), step, (lambda r: np.asarray(r)), \
            f"hamux {getattr(hmx, '__version__', '0.2.2')}, jax {jax.__version__}, " \
            f"equinox {eqx.__version__}"

    raise ValueError(impl)


def worker(args) -> int:
    import numpy as np
    result = {"impl": args.worker, "pinning": pin_threads(args.threads),
              "threads_env": {v: os.environ.get(v) for v in THREAD_VARS}}
    data = Path(args.data)
    x = np.load(data / "X.npy")
    qb = np.load(data / "Q.npy")
    q1 = np.ascontiguousarray(qb[0])
    try:
        from threadpoolctl import threadpool_info
        result["blas"] = [{k: lib.get(k) for k in ("internal_api", "version", "num_threads",
                                                   "architecture", "threading_layer")}
                          for lib in threadpool_info()]
    except ImportError:
        result["blas"] = None

    if args.worker == "sgemm":
        b, k, d = qb.shape[0], x.shape[0], x.shape[1]
        rng = np.random.default_rng(1)
        p = rng.random((b, k), dtype=np.float32)
        xt = x.T
        scores, _ = time_call(lambda: qb @ xt, args.repeat, args.min_time)
        mix, _ = time_call(lambda: p @ x, args.repeat, args.min_time)
        result["scores_gemm_s"] = statistics.median(scores)
        result["mix_gemm_s"] = statistics.median(mix)
        result["pair_gflops"] = 4 * b * k * d / (result["scores_gemm_s"] + result["mix_gemm_s"]) / 1e9
        if args.square > 0:
            s = args.square
            a = rng.random((s, s), dtype=np.float32)
            c = rng.random((s, s), dtype=np.float32)
            sq, _ = time_call(lambda: a @ c, max(3, args.repeat // 2), args.min_time)
            result["square"] = s
            result["square_s"] = statistics.median(sq)
            result["square_gflops"] = 2 * s ** 3 / result["square_s"] / 1e9
        result["version"] = f"numpy {np.__version__}"
    else:
        t0 = time.perf_counter()
        prepare, step, to_numpy, version = make_steps(args.worker, x, args.beta)
        result["version"] = version
        result["import_s"] = time.perf_counter() - t0
        for case, q in (("b1", q1), ("batch", qb)):
            qq = prepare(q)
            t0 = time.perf_counter()
            out = to_numpy(step(qq))          # first call: JIT compilation, caches
            result[f"{case}_first_call_s"] = time.perf_counter() - t0
            if args.save_outputs:
                np.save(Path(args.out).with_suffix(f".{case}.npy"), np.asarray(out, dtype=np.float32))
            repeat = args.repeat_b1 if case == "b1" else args.repeat
            min_time = args.min_time_b1 if case == "b1" else args.min_time
            per_call, number = time_call(lambda: step(qq), repeat, min_time)
            result[f"{case}_per_call_s"] = per_call
            result[f"{case}_loops"] = number
            result[f"{case}_median_s"] = statistics.median(per_call)
    Path(args.out).write_text(json.dumps(result))
    return 0


# ==========================================================================
# driver side
# ==========================================================================

def worker_env(threads: int) -> dict:
    env = dict(os.environ)
    for v in OPENBLAS_OVERRIDES:
        env.pop(v, None)
    for v in THREAD_VARS:
        env[v] = str(threads)
    env["JAX_PLATFORMS"] = "cpu"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


PROBES = {
    "numpy": "import numpy",
    "ebdm": "import ebdm",
    "ebdm-class": "import ebdm",
    "torch": "import torch",
    "jax": "import jax, jax.numpy",
    "hamux": "import hamux, equinox, jax",
}


def probe(python: str, impl: str, env: dict):
    """None if the implementation imports, else the error text."""
    proc = subprocess.run([python, "-c", PROBES[impl]], env=env, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


def make_inputs(args, out: Path):
    import numpy as np
    k, d, b = args.patterns, args.dim, args.batch
    targets = np.arange(b) % k
    try:
        import ebdm
        xi = np.asarray(ebdm.random_patterns(k, d, args.seed), dtype=np.int8)
        q = np.asarray(ebdm.corrupt(xi[targets], args.rho, args.seed + 1), dtype=np.int8)
        source = (f"ebdm.random_patterns({k}, {d}, seed={args.seed}); "
                  f"ebdm.corrupt(X[b mod K], {args.rho}, seed={args.seed + 1})")
    except ImportError:
        rng = np.random.default_rng(args.seed)
        xi = (rng.integers(0, 2, size=(k, d), dtype=np.int8) * 2 - 1).astype(np.int8)
        q = xi[targets].copy()
        flips = int(math.floor(args.rho * d))
        for r in range(b):
            q[r, rng.choice(d, size=flips, replace=False)] *= -1
        source = f"numpy default_rng({args.seed}) (ebdm not importable)"
    x = xi.astype(np.float32)
    qf = q.astype(np.float32)
    np.save(out / "X.npy", x)
    np.save(out / "Q.npy", qf)
    return x, qf, targets, source


def reference64(x, q, beta):
    import numpy as np
    x64, q64 = x.astype(np.float64), np.atleast_2d(q).astype(np.float64)
    z = beta * (q64 @ x64.T)
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p @ x64


def fmt_time(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    return f"{s * 1e3:.2f} ms"


def driver(args) -> int:
    import numpy as np

    python = str(args.python or (DEFAULT_VENV_PYTHON if DEFAULT_VENV_PYTHON.exists() else sys.executable))
    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    required = [i.strip() for i in args.require.split(",") if i.strip()]
    for i in impls + required:
        if i not in IMPLS:
            print(f"error: unknown implementation {i!r} (known: {', '.join(IMPLS)})", file=sys.stderr)
            return 2
    for i in required:
        if i not in impls:
            impls.append(i)
    env = worker_env(args.threads)

    skipped = {}
    for impl in list(impls):
        err = probe(python, impl, env)
        if err is None:
            continue
        if impl in required:
            print(f"error: required implementation {impl!r} is not available: {err}", file=sys.stderr)
            return 2
        skipped[impl] = err
        impls.remove(impl)

    tmp = Path(tempfile.mkdtemp(prefix="ebdm-modern-"))
    try:
        x, q, targets, source = make_inputs(args, tmp)
        k, d, b = args.patterns, args.dim, args.batch
        print("# Modern Hopfield retrieval, one update step")
        print(f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
        print(f"machine: {cpu_model()}; {os.cpu_count()} logical CPUs; {platform.platform()}")
        print(f"settings: d={d}, K={k}, beta={args.beta}, B=1 and B={b}, rho={args.rho}, "
              f"steps=1, float32, reps={args.reps}")
        print(f"inputs: {source}")
        print(f"threads T={args.threads}: " + ", ".join(f"{v}={args.threads}" for v in THREAD_VARS)
              + "; torch.set_num_threads(T)"
              + ("" if args.threads >= (os.cpu_count() or 1) else "; workers pinned to T CPUs"))
        print(f"worker python: {python}")
        print(f"timing: B=1 {args.repeat_b1} repeats of >= {args.min_time_b1} s; "
              f"B={b} {args.repeat} repeats of >= {args.min_time} s; median per call per worker, "
              f"median of those over the reps")
        for impl, err in skipped.items():
            print(f"NOTE: {impl} skipped, it does not import: {err}")
        print()

        runs = {i: [] for i in impls}
        gemm = []
        failures = {}
        order_all = impls + (["sgemm"] if not args.no_gemm else [])
        for rep in range(args.reps):
            order = order_all[rep % len(order_all):] + order_all[:rep % len(order_all)]
            for impl in order:
                out = tmp / f"{impl}.rep{rep}.json"
                cmd = [python, str(HERE), "--worker", impl, "--data", str(tmp), "--out", str(out),
                       "--beta", str(args.beta), "--threads", str(args.threads),
                       "--repeat", str(args.repeat), "--repeat-b1", str(args.repeat_b1),
                       "--min-time", str(args.min_time), "--min-time-b1", str(args.min_time_b1),
                       "--square", str(args.square)]
                if rep == 0:
                    cmd.append("--save-outputs")
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                      timeout=args.timeout)
                if proc.returncode != 0:
                    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
                    failures[impl] = lines[-1] if lines else f"exit status {proc.returncode}"
                    print(f"[rep {rep + 1}/{args.reps}] {impl:<10} FAILED: {failures[impl]}")
                    continue
                r = json.loads(out.read_text())
                if impl == "sgemm":
                    gemm.append(r)
                    sq = (f"; {r['square']}^3: {r['square_gflops']:.1f} GFLOP/s"
                          if "square" in r else "")
                    print(f"[rep {rep + 1}/{args.reps}] sgemm      step shapes "
                          f"{fmt_time(r['scores_gemm_s'])} + {fmt_time(r['mix_gemm_s'])} = "
                          f"{r['pair_gflops']:.1f} GFLOP/s{sq}")
                else:
                    runs[impl].append(r)
                    print(f"[rep {rep + 1}/{args.reps}] {impl:<10} B=1 {fmt_time(r['b1_median_s']):>10}"
                          f"   B={b} {fmt_time(r['batch_median_s']):>10}")
                sys.stdout.flush()
        print()

        # -------------------------------------------------- agreement
        print("## Agreement (first repetition's outputs)")
        ref_b = reference64(x, q, args.beta)
        ref_1 = ref_b[0]
        outs = {}
        for impl in impls:
            fb, f1 = tmp / f"{impl}.rep0.batch.npy", tmp / f"{impl}.rep0.b1.npy"
            if fb.exists() and f1.exists():
                outs[impl] = (np.load(f1), np.load(fb))
        print("| implementation | shape B=1 | max abs diff to float64, B=1 | shape B | "
              f"max abs diff to float64, B={b} | max abs diff to numpy f32 | exact recall |")
        print("|---|---|---:|---|---:|---:|---:|")
        ok = True
        target_signs = np.where(x[targets] >= 0, 1, -1)
        for impl, (o1, ob) in outs.items():
            d1 = float(np.max(np.abs(o1.astype(np.float64) - ref_1)))
            db = float(np.max(np.abs(ob.astype(np.float64) - ref_b)))
            dn = (float(np.max(np.abs(ob - outs["numpy"][1]))) if "numpy" in outs else float("nan"))
            recall = float(np.mean(np.all(np.where(ob >= 0, 1, -1) == target_signs, axis=1)))
            good = o1.shape == (d,) or o1.shape == (1, d)
            good &= ob.shape == (b, d) and d1 <= args.tol and db <= args.tol
            ok &= good
            print(f"| {impl} | {o1.shape} | {d1:.2e} | {ob.shape} | {db:.2e} | {dn:.2e} | "
                  f"{100 * recall:.1f} % |" + ("" if good else " **MISMATCH**"))
        print(f"tolerance {args.tol:g}: {'all agree' if ok else 'SOME DISAGREE'}")
        print()

        # -------------------------------------------------- GEMM rate
        flops = 4 * b * k * d
        rate_pair = statistics.median(g["pair_gflops"] for g in gemm) if gemm else None
        rate_sq = (statistics.median(g["square_gflops"] for g in gemm)
                   if gemm and "square_gflops" in gemm[0] else None)
        if gemm:
            print("## Machine single-precision GEMM rate (numpy float32 matmul, "
                  f"{gemm[0]['version']}, T={args.threads})")
            print(f"- the step's two GEMMs ({b}x{d} @ {d}x{k} and {b}x{k} @ {k}x{d}): "
                  f"median {rate_pair:.1f} GFLOP/s (reps: "
                  + ", ".join(f"{g['pair_gflops']:.1f}" for g in gemm) + ")")
            if rate_sq:
                print(f"- square {gemm[0]['square']}^3: median {rate_sq:.1f} GFLOP/s (reps: "
                      + ", ".join(f"{g['square_gflops']:.1f}" for g in gemm) + ")")
            if gemm[0].get("blas"):
                print(f"- BLAS: {gemm[0]['blas']}")
            print()
        rate_ref = max(r for r in (rate_pair, rate_sq) if r) if gemm else None

        # -------------------------------------------------- tables
        def med(impl, key):
            vals = [r[key] for r in runs.get(impl, [])]
            return (statistics.median(vals), min(vals), vals) if vals else (None, None, [])

        np1 = med("numpy", "b1_median_s")[0]
        npb = med("numpy", "batch_median_s")[0]
        print(f"## B = 1 (one query of length {d}), per-call latency, median of {args.reps} reps")
        print()
        print("| implementation | median | min | reps | time / numpy | version |")
        print("|---|---:|---:|---|---:|---|")
        for impl in impls:
            m, lo, vals = med(impl, "b1_median_s")
            if m is None:
                print(f"| {LABELS[impl]} | failed | | | | |")
                continue
            ratio = f"{m / np1:.2f}" if np1 else "-"
            print(f"| {LABELS[impl]} | {fmt_time(m)} | {fmt_time(lo)} | "
                  + ", ".join(fmt_time(v) for v in vals) + f" | {ratio} | {runs[impl][0]['version']} |")
        for impl, err in {**skipped, **failures}.items():
            if impl in IMPLS:
                print(f"| {LABELS[impl]} | not run: {err} | | | | |")
        print()
        print(f"## B = {b} queries, per call, median of {args.reps} reps "
              f"(GEMM flops per step: {flops / 1e9:.3f} GFLOP)")
        print()
        hdr = "| implementation | median | min | time / numpy | GFLOP/s (median) |"
        sep = "|---|---:|---:|---:|---:|"
        if rate_pair:
            hdr += " % of step-shape sgemm |"
            sep += "---:|"
        if rate_sq:
            hdr += f" % of {gemm[0]['square']}^3 sgemm |"
            sep += "---:|"
        print(hdr)
        print(sep)
        for impl in impls:
            m, lo, _ = med(impl, "batch_median_s")
            if m is None:
                continue
            gf = flops / m / 1e9
            row = (f"| {LABELS[impl]} | {fmt_time(m)} | {fmt_time(lo)} | "
                   f"{(m / npb if npb else float('nan')):.2f} | {gf:.1f} |")
            if rate_pair:
                row += f" {100 * gf / rate_pair:.0f} % |"
            if rate_sq:
                row += f" {100 * gf / rate_sq:.0f} % |"
            print(row)
        print()

        # -------------------------------------------------- targets
        print("## Targets")
        for impl in ("ebdm", "ebdm-class"):
            m = med(impl, "b1_median_s")[0]
            if m is not None and np1:
                print(f"- B=1, {impl}: {fmt_time(m)} vs numpy {fmt_time(np1)} = {m / np1:.2f}x numpy "
                      f"(target <= 0.5x: {'met' if m <= 0.5 * np1 else 'NOT met'})")
        for impl in ("ebdm", "ebdm-class"):
            m = med(impl, "batch_median_s")[0]
            if m is not None and rate_ref:
                frac = flops / m / 1e9 / rate_ref
                print(f"- B={b}, {impl}: {flops / m / 1e9:.1f} GFLOP/s = {100 * frac:.0f} % of the "
                      f"best measured sgemm rate {rate_ref:.1f} GFLOP/s "
                      f"(target >= 60 %: {'met' if frac >= 0.6 else 'NOT met'})")

        if args.json_out:
            Path(args.json_out).write_text(json.dumps(
                {"settings": vars(args), "runs": runs, "gemm": gemm, "skipped": skipped,
                 "failures": failures}, indent=2, default=str))
        return 0 if ok and not failures else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Modern Hopfield one-step retrieval: ebdm vs numpy, PyTorch, JAX, HAMUX; "
                    "B=1 latency and batched throughput, interleaved subprocess workers.")
    ap.add_argument("--dim", "-d", type=int, default=256, help="pattern width d (default: 256)")
    ap.add_argument("--patterns", "-K", type=int, default=1024, help="stored patterns K (default: 1024)")
    ap.add_argument("--beta", type=float, default=0.2, help="inverse temperature (default: 0.2)")
    ap.add_argument("--batch", "-B", type=int, default=1024, help="queries of the batched case (default: 1024)")
    ap.add_argument("--rho", type=float, default=0.2, help="fraction of flipped bits per query (default: 0.2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", "-T", type=int, default=2, help="threads for every implementation (default: 2)")
    ap.add_argument("--reps", type=int, default=5, help="interleaved repetitions (default: 5)")
    ap.add_argument("--impls", default=",".join(IMPLS), help="comma-separated subset of: " + ", ".join(IMPLS))
    ap.add_argument("--require", default="",
                    help="comma-separated implementations that must run: exit with status 2 if one "
                         "does not import (default: skip unavailable ones with a note)")
    ap.add_argument("--repeat", type=int, default=7, help="timing repeats per worker, batched case (default: 7)")
    ap.add_argument("--repeat-b1", type=int, default=15, help="timing repeats per worker, B=1 (default: 15)")
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per repeat, batched (default: 0.2)")
    ap.add_argument("--min-time-b1", type=float, default=0.05, help="seconds per repeat, B=1 (default: 0.05)")
    ap.add_argument("--square", type=int, default=2048, help="square sgemm size, 0 to skip (default: 2048)")
    ap.add_argument("--no-gemm", action="store_true", help="skip the sgemm rate measurement")
    ap.add_argument("--tol", type=float, default=1e-5,
                    help="max abs difference to the float64 reference (default: 1e-5)")
    ap.add_argument("--python", default=None,
                    help=f"interpreter for the workers (default: {DEFAULT_VENV_PYTHON} if present)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per-worker timeout in seconds")
    ap.add_argument("--json-out", default=None, help="also write the raw measurements here")
    # worker mode (internal)
    ap.add_argument("--worker", choices=WORKERS, help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--save-outputs", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args)
    return driver(args)


if __name__ == "__main__":
    sys.exit(main())
