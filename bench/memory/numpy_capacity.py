#!/usr/bin/env python3
"""numpy reference for the classical Hopfield capacity sweep (spec E1).

This is a direct transcription of the reference simulation method in the
associative-memory spec, Appendix A ("Classical capacity and basins"):

    for each alpha, trial:
      K = round(alpha * N)
      Xi <- uniform +-1, shape (K, N);  W <- Xi^T Xi / N;  W_ii <- 0
      s  <- xi^1 with floor(rho N) distinct random bits flipped   (rho = 0 for E1)
      h  <- W s
      repeat at most 20 N times:
          U <- { i : s_i h_i < 0 }          # h_i = 0 counts as stable
          if U empty: stop
          pick i uniformly from U
          s_i <- -s_i
          h <- h + 2 s_i W[:, i]             # s_i is the new value
      report m = xi^1 . s / N

Per alpha it reports the mean final overlap m, P(m > 0.9) (the E1
observable) and, for comparison with hopfieldkit, the fraction of trials that
end exactly on xi^1.

Implementation choices (all documented so that timings can be compared
honestly):

* One ``numpy.random.default_rng(seed)`` stream is used for the whole sweep,
  consumed in order alpha-major, trial-minor: for every trial it draws the
  pattern matrix, then (if rho > 0) the corrupted bit positions, then one
  integer per flip to pick the unstable unit.
* ``round`` is round-half-away-from-zero (``floor(x + 0.5)``), like Rust's
  ``f64::round``; Python's built-in ``round`` would round halves to even.
  No grid value used by the benchmark lands on a half.
* W is computed with one BLAS product ``Xi.T @ Xi`` (exact: integer-valued
  entries), then divided by N.  It is therefore exactly symmetric, so the
  update uses the contiguous row ``W[i]``, which equals the column ``W[:, i]``
  bit for bit.
* ``--weights scaled`` (default) is the literal procedure, W = Xi^T Xi / N, as
  a typical user would write it.  In floating point, a local field whose exact
  value is 0 usually comes out as a tiny +-1e-16, so such "tie" units may be
  flipped although the reference rule calls them stable.  ``--weights integer``
  keeps W = Xi^T Xi (no division; sign(h) is unchanged), which is exact in
  float64 and float32 for N * K < 2**24, so ties are detected exactly.  Both
  cost the same; ties are rare (a few per trajectory at most).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

DEFAULT_ALPHAS = "0.10,0.12,0.13,0.14,0.15,0.16,0.18,0.20"


def pattern_count(alpha: float, n: int) -> int:
    """K = round(alpha * N), rounding halves away from zero."""
    return int(math.floor(alpha * n + 0.5))


def run_trial(rng: np.random.Generator, n: int, k: int, rho: float,
              dtype: np.dtype, integer_weights: bool, max_flips: int):
    """One trial of the Appendix A procedure.

    Returns (final overlap m, exact recovery, number of flips, hit the cap).
    """
    xi = rng.integers(0, 2, size=(k, n), dtype=np.int8).astype(dtype)
    xi *= 2
    xi -= 1
    w = xi.T @ xi                      # exact integers, exactly symmetric
    if not integer_weights:
        w /= n
    np.fill_diagonal(w, 0)

    target = xi[0]
    s = target.copy()
    n_corrupt = int(math.floor(rho * n))
    if n_corrupt > 0:
        idx = rng.choice(n, size=n_corrupt, replace=False)
        s[idx] = -s[idx]

    h = w @ s
    flips = 0
    capped = True
    for _ in range(max_flips):
        unstable = np.flatnonzero(s * h < 0)      # h_i == 0 is stable
        if unstable.size == 0:
            capped = False
            break
        i = unstable[rng.integers(unstable.size)]
        s[i] = -s[i]
        h += (2 * s[i]) * w[i]                    # W[i] == W[:, i] (symmetric)
        flips += 1
    else:
        # The loop used the whole budget; it is capped only if units are
        # still unstable after the last flip.
        capped = bool(np.any(s * h < 0))

    m = float(target @ s) / n
    exact = bool(np.array_equal(s, target))
    return m, exact, flips, capped


def run_sweep(n: int, alphas, trials: int, seed: int, rho: float = 0.0,
              dtype: str = "float64", weights: str = "scaled",
              flip_cap_factor: int = 20) -> dict:
    """Run the sweep and return per-alpha summaries plus the compute time."""
    rng = np.random.default_rng(seed)
    np_dtype = np.dtype(dtype)
    integer_weights = weights == "integer"
    max_flips = flip_cap_factor * n
    cells = []
    t0 = time.perf_counter()
    for alpha in alphas:
        k = pattern_count(alpha, n)
        ms, exacts, flips, capped = [], 0, 0, 0
        for _ in range(trials):
            m, exact, nflips, cap = run_trial(rng, n, k, rho, np_dtype,
                                              integer_weights, max_flips)
            ms.append(m)
            exacts += exact
            flips += nflips
            capped += cap
        ms = np.asarray(ms)
        p = float(np.mean(ms > 0.9))
        cells.append({
            "alpha": alpha,
            "patterns": k,
            "trials": trials,
            "mean_m": float(ms.mean()),
            "se_m": float(ms.std(ddof=1) / math.sqrt(trials)) if trials > 1 else 0.0,
            "p_m_gt_0.9": p,
            "se_p": math.sqrt(p * (1 - p) / trials),
            "exact_recovery": exacts / trials,
            "mean_flips": flips / trials,
            "capped_trials": capped,
        })
    elapsed = time.perf_counter() - t0
    return {
        "implementation": "numpy-reference",
        "neurons": n,
        "rho": rho,
        "seed": seed,
        "dtype": dtype,
        "weights": weights,
        "flip_cap": max_flips,
        "compute_seconds": elapsed,
        "cells": cells,
    }


def blas_info() -> list:
    """threadpoolctl's view of the BLAS/OpenMP libraries numpy loaded."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"error": "threadpoolctl not installed"}]
    return threadpool_info()


def format_table(result: dict) -> str:
    lines = ["| alpha | K | trials | mean m | P(m>0.9) | exact | mean flips |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for c in result["cells"]:
        lines.append(f"| {c['alpha']:g} | {c['patterns']} | {c['trials']} | "
                     f"{c['mean_m']:.3f} | {c['p_m_gt_0.9']:.2f} | "
                     f"{c['exact_recovery']:.2f} | {c['mean_flips']:.1f} |")
    return "\n".join(lines)


def parse_alphas(text: str):
    return [float(a) for a in text.split(",") if a.strip()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--neurons", "-n", type=int, default=1000)
    ap.add_argument("--alphas", default=DEFAULT_ALPHAS,
                    help="comma-separated load values (default: %(default)s)")
    ap.add_argument("--trials", type=int, default=50, help="trials per alpha")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rho", type=float, default=0.0,
                    help="corrupted fraction of xi^1 (E1: 0)")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--weights", choices=["scaled", "integer"], default="scaled",
                    help="scaled: W = Xi^T Xi / N (literal); integer: W = Xi^T Xi "
                         "(exact tie detection)")
    ap.add_argument("--json", action="store_true",
                    help="print one JSON object (results, timing, BLAS info) "
                         "instead of a table")
    args = ap.parse_args(argv)

    result = run_sweep(args.neurons, parse_alphas(args.alphas), args.trials,
                       args.seed, rho=args.rho, dtype=args.dtype,
                       weights=args.weights)
    result["numpy_version"] = np.__version__
    result["threadpool_info"] = blas_info()
    if args.json:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"numpy reference: N={args.neurons} trials/alpha={args.trials} "
              f"seed={args.seed} rho={args.rho} dtype={args.dtype} "
              f"weights={args.weights}")
        print(format_table(result))
        print(f"compute time: {result['compute_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
