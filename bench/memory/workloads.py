"""Associative-memory targets (spec associative-memory.md, 7.7–7.10): the classical capacity sweep
(E1), modern-Hopfield retrieval at B = 1 and B = 1024, and the exponential DAM stability check."""

from __future__ import annotations

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import Target  # noqa: E402

ALPHAS = [0.10, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18, 0.20]


# ---- E1 capacity sweep: N = 1000, 8 α × 50 trials, ρ = 0, 20N flip cap -----------------------


def capacity_setup(size, data):
    return {"n": 1000, "trials": 50} if size == "full" else {"n": 200, "trials": 3}


def capacity_ebdm(inp, threads):
    import ebdm

    return lambda: ebdm.experiments.capacity(neurons=[inp["n"]], alphas=ALPHAS, trials=inp["trials"], seed=0,
                                             threads=threads)


def capacity_numpy(inp, threads):
    import numpy_capacity

    return lambda: numpy_capacity.run_sweep(inp["n"], ALPHAS, inp["trials"], seed=0)


def capacity_summary(r, inp):
    if "cells" in r and isinstance(r["cells"], dict):  # ebdm: a dict of columns
        return {"n": inp["n"], "mean_m": [round(float(m), 4) for m in r["cells"]["mean_overlap"]]}
    return {"n": inp["n"], "mean_m": [round(c["mean_m"], 4) for c in r["cells"]]}


def capacity_agree(e, p):
    # Different random streams: the curves agree in distribution. Below capacity (α = 0.10) both
    # must end next to the pattern; far above it (α = 0.20, at N = 1000) both must have lost it.
    ok = e["mean_m"][0] >= 0.95 and p["mean_m"][0] >= 0.95
    if e["n"] >= 1000:
        ok = ok and e["mean_m"][-1] < 0.8 and p["mean_m"][-1] < 0.8
    return ok, f"mean m at α = 0.10: {e['mean_m'][0]} / {p['mean_m'][0]}; at α = 0.20: {e['mean_m'][-1]} / {p['mean_m'][-1]}"


# ---- Modern Hopfield update softmax(β q Xᵀ) X, d = 256, K = 1024, β = 0.2, float32 ----------


def retrieval_setup(batch):
    def setup(size, data):
        import ebdm
        import numpy as np

        d, k = (256, 1024) if size == "full" else (64, 128)
        x = np.ascontiguousarray(ebdm.random_patterns(k, d, 0), dtype=np.float32)
        b = batch if size == "full" else min(batch, 16)
        q = np.stack([ebdm.corrupt(x[i % k].astype(np.int8), 0.2, seed=i) for i in range(b)]).astype(np.float32)
        return {"x": x, "q": q[0] if b == 1 else q, "beta": 0.2}

    return setup


def numpy_step(inp, threads):
    import numpy as np

    x, q, beta = inp["x"], inp["q"], inp["beta"]

    def step():
        z = q @ x.T
        z *= beta
        z -= z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=-1, keepdims=True)
        return z @ x

    return step


def ebdm_retrieve(inp, threads):
    import ebdm

    x, q, beta = inp["x"], inp["q"], inp["beta"]
    return lambda: ebdm.retrieve(x, q, beta, steps=1, threads=threads)


def ebdm_stored(inp, threads):
    import ebdm

    net = ebdm.ModernHopfield(inp["x"])
    q, beta = inp["q"], inp["beta"]
    return lambda: net.retrieve(q, beta, steps=1, threads=threads)


def gemm_only(inp, threads):
    """The two products of the step alone (numpy float32 sgemm): the machine's rate for them."""
    x, q = inp["x"], inp["q"]
    return lambda: (q @ x.T) @ x


def state_summary(r, inp):
    import numpy as np

    r = np.asarray(r, dtype=np.float64)
    return {"sum": float(r.sum()), "sumsq": float((r * r).sum()), "first": r.ravel()[:8].tolist()}


def states_agree(e, p):
    d = max(abs(a - b) for a, b in zip(e["first"], p["first"]))
    ok = d <= 1e-5 and abs(e["sumsq"] - p["sumsq"]) <= 1e-4 * max(1.0, p["sumsq"])
    return ok, f"max |Δ| over the first entries {d:.1e}; Σx² {e['sumsq']:.6g} / {p['sumsq']:.6g}"


# ---- Exponential DAM one-step stability: N = 32, K = round(e^{0.4·32}) = 362,217, 100 tests --


def exp_dam_setup(size, data):
    import ebdm
    import numpy as np

    n, alpha, tests = (32, 0.4, 100) if size == "full" else (16, 0.4, 10)
    k = int(math.floor(math.exp(alpha * n) + 0.5))
    return {"patterns": np.ascontiguousarray(ebdm.random_patterns(k, n, 0), dtype=np.int8), "tests": tests}


def exp_dam_numpy(inp, threads):
    """Appendix A of the spec, vectorised over the K × N array: a = Ξs, z = a − Ξ⊙s shifted per bit,
    d_i = Σ_ν ξ_i^ν e^{z_{ν,i}}, new bit +1 iff d_i ≥ 0. Set-up (int8 → float64) charged."""
    import numpy as np

    patterns, tests = inp["patterns"], inp["tests"]

    def run():
        x = patterns.astype(np.float64)
        out = np.empty(tests, dtype=np.int64)
        for mu in range(tests):
            s = x[mu]
            z = (x @ s)[:, None] - x * s
            z -= z.max(axis=0)
            np.exp(z, out=z)
            d = np.einsum("ki,ki->i", x, z)
            out[mu] = int(np.count_nonzero(np.where(d >= 0.0, 1.0, -1.0) != s))
        return out

    return run


def exp_dam_ebdm(inp, threads):
    """Builds the network from the int8 array (charged) and checks every test pattern; the
    checks are spread over `threads` Python threads (each call releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    import ebdm
    import numpy as np

    patterns, tests = inp["patterns"], inp["tests"]
    pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def run():
        am = ebdm.DenseAM(patterns, separation="exp", update="exact")
        rows = [patterns[mu] for mu in range(tests)]
        errs = list(pool.map(am.one_step_errors, rows)) if pool else [am.one_step_errors(r) for r in rows]
        return np.asarray(errs)

    return run


def errors_agree(e, p):
    return e == p, f"changed bits per test pattern {'equal' if e == p else 'differ'} (total {sum(e)} / {sum(p)})"


TARGETS = [
    Target("memory/capacity", "E1 sweep, N = 1000, 8 α × 50 trials", 0.05, "numpy",
           capacity_setup, {"ebdm": capacity_ebdm, "numpy": capacity_numpy},
           summary=capacity_summary, agree=capacity_agree, mode="once", reps=5),
    Target("memory/retrieve-b1", "one-call ebdm.retrieve(X, q, β), B = 1, d = 256, K = 1024", 0.5, "numpy",
           retrieval_setup(1), {"ebdm": ebdm_retrieve, "numpy": numpy_step},
           summary=state_summary, agree=states_agree),
    Target("memory/retrieve-b1-stored", "ModernHopfield(X).retrieve(q, β), B = 1", 0.5, "numpy",
           retrieval_setup(1), {"ebdm": ebdm_stored, "numpy": numpy_step},
           summary=state_summary, agree=states_agree),
    # Goal: at least 60 % of the rate of the step's own two GEMMs (numpy's full step is recorded too).
    Target("memory/retrieve-b1024", "ModernHopfield(X).retrieve, B = 1024, against the step's two sgemm alone",
           1 / 0.6, "sgemm", retrieval_setup(1024), {"ebdm": ebdm_stored, "sgemm": gemm_only, "numpy": numpy_step},
           summary=state_summary),
    Target("memory/exp-dam", "exp DAM one-step check, N = 32, K = 362,217, 100 patterns", 0.01, "numpy",
           exp_dam_setup, {"ebdm": exp_dam_ebdm, "numpy": exp_dam_numpy},
           summary=lambda r, inp: [int(v) for v in r], agree=errors_agree, mode="once", reps=3),
]
