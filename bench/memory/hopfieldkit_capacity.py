#!/usr/bin/env python3
"""Run hopfieldkit's ``empirical_capacity_scan`` on E1-like settings.

hopfieldkit 0.1.0 (PyPI) exposes

    empirical_capacity_scan(n_units, pattern_counts, n_trials=30,
                            flip_fraction=0.15, seed=None)
        -> {"pattern_counts": [...], "success_rates": [...]}

What it does per pattern count p and trial (read from its source,
hopfieldkit/capacity.py, hebbian.py and base.py):

* draws p patterns with ``rng.choice([-1.0, 1.0], size=(p, n))`` from
  ``default_rng(seed)``;
* fits W = (1/N) sum_mu outer(x^mu, x^mu) in float64 with a Python loop of
  ``np.outer`` (one N x N temporary per pattern), then zeroes the diagonal;
* flips ``max(1, int(flip_fraction * N))`` distinct bits of pattern 0, so
  flip_fraction = 0 still flips ONE bit: the closest it gets to E1's rho = 0;
* recalls with ``order="random"``: full asynchronous sweeps, each over a new
  random permutation of all units; every visit recomputes h_i = W[i] @ s and
  sets s_i = +1 if h_i >= 0 else -1 (ties go to +1, not "stay"); stops after
  a sweep with no change or after max_steps = 200 sweeps;
* the recall order comes from ``default_rng(None)`` (fresh OS entropy), NOT
  from ``seed``: the patterns and corruptions are reproducible, the
  trajectories and success rates are not;
* counts success only for exact recovery (``np.array_equal(recalled, x^0)``);
  it reports no overlap m and no P(m > 0.9).

This wrapper maps E1's alphas to pattern counts with the same rounding as the
numpy reference and prints the scan's result, the compute time and
threadpoolctl's BLAS information.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time

DEFAULT_ALPHAS = "0.10,0.12,0.13,0.14,0.15,0.16,0.18,0.20"


def pattern_count(alpha: float, n: int) -> int:
    """K = round(alpha * N), rounding halves away from zero (as the reference)."""
    return int(math.floor(alpha * n + 0.5))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--neurons", "-n", type=int, default=1000)
    ap.add_argument("--alphas", default=DEFAULT_ALPHAS)
    ap.add_argument("--trials", type=int, default=50, help="trials per alpha")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flip-fraction", type=float, default=0.0,
                    help="hopfieldkit flips max(1, int(f*N)) bits; 0 -> 1 bit")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    import numpy as np
    import hopfieldkit
    from hopfieldkit.capacity import empirical_capacity_scan

    alphas = [float(a) for a in args.alphas.split(",") if a.strip()]
    counts = [pattern_count(a, args.neurons) for a in alphas]

    t0 = time.perf_counter()
    scan = empirical_capacity_scan(args.neurons, counts, n_trials=args.trials,
                                   flip_fraction=args.flip_fraction,
                                   seed=args.seed)
    elapsed = time.perf_counter() - t0

    try:
        from threadpoolctl import threadpool_info
        tp = threadpool_info()
    except ImportError:
        tp = [{"error": "threadpoolctl not installed"}]

    result = {
        "implementation": "hopfieldkit.empirical_capacity_scan",
        "hopfieldkit_version": hopfieldkit.__version__,
        "numpy_version": np.__version__,
        "neurons": args.neurons,
        "seed": args.seed,
        "flip_fraction": args.flip_fraction,
        "bits_flipped": max(1, int(args.flip_fraction * args.neurons)),
        "compute_seconds": elapsed,
        "cells": [{"alpha": a, "patterns": p, "trials": args.trials,
                   "exact_recovery": r}
                  for a, p, r in zip(alphas, scan["pattern_counts"],
                                     scan["success_rates"])],
        "threadpool_info": tp,
    }
    if args.json:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"hopfieldkit {hopfieldkit.__version__} empirical_capacity_scan: "
              f"N={args.neurons} trials/K={args.trials} seed={args.seed} "
              f"bits flipped={result['bits_flipped']}")
        print("| alpha | K | exact recovery |\n|---:|---:|---:|")
        for c in result["cells"]:
            print(f"| {c['alpha']:g} | {c['patterns']} | {c['exact_recovery']:.2f} |")
        print(f"compute time: {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
