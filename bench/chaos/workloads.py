"""Edge-of-chaos targets (spec edge-of-chaos.md §4.4):

- `chaos/lambda-max-n100`, `chaos/lambda-max-n1000` (S1): the largest Lyapunov exponent from one
  tangent vector, 10⁴ RK4 steps (dt = 0.05, g = 2), `ebdm.chaos.lyapunov` against the same loop
  written in numpy (state and tangent vector as one N × 2 product per stage, as ebdm does).
  Both sides draw their couplings inside the timed call.
- `chaos/spectrum-n512` (S2): the full spectrum of N = 512 units in the Euler-map convention
  (dt = 0.1, tSim = 1000, t_ONS = 1, g = 4), `ebdm.chaos.spectrum_of` against the function
  `rate_Lyapunov_spectra` of Engelken's demo (RainerEngelken/RNN-LyapunovSpectra,
  `demo_lypunov_spectra_chaotic_ratenetwork.py`) on the same couplings and initial state. The
  demo is not shipped with ebdm: point `EBDM_ENGELKEN_DEMO` at a copy of that file, otherwise the
  target is skipped. The demo's call needs its brute-force λ_1 check on (`dns=True`: with
  `False` it fails at its return statement), which adds one mat-vec per step to its ≈ 2N³ flops;
  its figure goes to the Agg backend; the call stores its trajectory and draws the figure, as a
  user's call does.
- `chaos/tangent-step-n512` (S3): 100 Euler-map steps of the state and 512 tangent vectors (with
  10 QRs) against numpy's 100 products J·B of the same N × (N+1) shape, the rate the machine's
  BLAS reaches on that GEMM: the goal is at least 50 % of it.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import Target  # noqa: E402


# ---- S1: λ_max by one tangent vector, RK4 -------------------------------------------------------


def lmax_setup(n):
    def setup(size, data):
        steps = 100 if size == "smoke" else 10_000
        return {"n": n if size == "full" else min(n, 64), "g": 2.0, "dt": 0.05, "steps": steps}

    return setup


def lmax_ebdm(inp, threads):
    import ebdm.chaos as ch

    def call():
        r = ch.lyapunov(inp["n"], inp["g"], networks=1, seed=1, dt=inp["dt"], transient=0.0,
                        time=inp["steps"] * inp["dt"], threads=threads)
        return float(r["lambda"][0])

    return call


def lmax_numpy(inp, threads):
    import numpy as np

    n, g, dt, steps = inp["n"], inp["g"], inp["dt"], inp["steps"]

    def rhs(J, y):
        x, v = y[:, 0], y[:, 1]
        t = np.tanh(x)
        p = J @ np.stack([t, (1.0 - t * t) * v], axis=1)
        return p - y

    def call():
        rng = np.random.default_rng(1)
        J = g * rng.standard_normal((n, n)) / np.sqrt(n)
        np.fill_diagonal(J, 0.0)
        y = np.stack([rng.standard_normal(n), rng.standard_normal(n)], axis=1)
        y[:, 1] /= np.linalg.norm(y[:, 1])
        log_growth = 0.0
        for _ in range(steps):
            k1 = rhs(J, y)
            k2 = rhs(J, y + 0.5 * dt * k1)
            k3 = rhs(J, y + 0.5 * dt * k2)
            k4 = rhs(J, y + dt * k3)
            y = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            norm = np.linalg.norm(y[:, 1])
            y[:, 1] /= norm
            log_growth += np.log(norm)
        return float(log_growth / (steps * dt))

    return call


def lmax_summary(r, inp):
    return {"lambda": r, "steps": inp["steps"]}


def lmax_agree(e, p):
    # Different couplings (different generators): the exponents agree only statistically, and
    # only over the full 10⁴ steps (500 time units).
    text = f"λ_max {e['lambda']:.4f} (ebdm) / {p['lambda']:.4f} (numpy), different networks of the same ensemble"
    return e["steps"] < 10_000 or abs(e["lambda"] - p["lambda"]) < 0.1, text


# ---- S2: full spectrum, Euler map, against Engelken's demo --------------------------------------


def engelken_path() -> str | None:
    path = os.environ.get("EBDM_ENGELKEN_DEMO")
    return path if path and os.path.isfile(path) else None


def engelken_unavailable() -> str | None:
    if engelken_path():
        return None
    return "EBDM_ENGELKEN_DEMO does not name a copy of demo_lypunov_spectra_chaotic_ratenetwork.py"


def spectrum_setup(size, data):
    import numpy as np

    n, t_sim = (512, 1000.0) if size == "full" else (32, 20.0)
    g, dt = 4.0, 0.1
    # The demo's own construction, so that both sides run on the same network and start.
    np.random.seed(1)
    J = g * np.random.randn(n, n) / np.sqrt(n)
    J = J - np.diag(np.diag(J))
    np.random.seed(1)
    h0 = (g - 1) * np.random.randn(n)
    return {"n": n, "g": g, "dt": dt, "t_sim": t_sim, "J": J, "h0": h0}


def spectrum_ebdm(inp, threads):
    import ebdm.chaos as ch

    # The demo's schedule: a state transient of 100, an ONS warm-up of tSim/10, then tSim.
    return lambda: ch.spectrum_of(inp["J"], inp["h0"], mode="euler-map", dt=inp["dt"], transient=100.0,
                                  ons_warmup=inp["t_sim"] / 10, time=inp["t_sim"], t_ons=1.0, pca=False,
                                  bootstrap=0, threads=threads)["exponents"]


def spectrum_engelken(inp, threads):
    import importlib.util

    import matplotlib

    matplotlib.use("Agg")
    spec = importlib.util.spec_from_file_location("engelken_demo", engelken_path())
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    import numpy as np

    n = inp["n"]

    def call():
        # The demo draws J and h0 from seedNet and seedIC = 1, the same draws as the setup.
        out = demo.rate_Lyapunov_spectra(n, inp["g"], inp["dt"], inp["t_sim"], n, 1, 1, 1, 1, True)
        matplotlib.pyplot.close("all")
        return np.asarray(out[0])

    return call


def spectrum_summary(r, inp):
    import numpy as np

    r = np.asarray(r)
    pos = r[r > 0]
    return {"lambda_1": float(r.max()), "mean": float(r.mean()), "positive": int(pos.size),
            "entropy_per_n": float(pos.sum() / r.size), "t_sim": inp["t_sim"]}


def spectrum_agree(e, p):
    # The same network, start and map: chaos separates the trajectories, not their statistics
    # (λ_1 to 0.05 over tSim = 1000; the smoke run's tSim = 20 only bounds it by 0.2).
    tol = 0.05 if e["t_sim"] >= 1000 else 0.2
    ok = abs(e["lambda_1"] - p["lambda_1"]) < tol and abs(e["mean"] - p["mean"]) < 0.01
    return ok, (f"λ_1 {e['lambda_1']:.4f} / {p['lambda_1']:.4f}, mean exponent {e['mean']:.4f} / {p['mean']:.4f}, "
                f"positive {e['positive']} / {p['positive']}")


# ---- S3: the tangent step against the machine's GEMM --------------------------------------------


def step_setup(size, data):
    import numpy as np

    n = 512 if size == "full" else 64
    rng = np.random.default_rng(2)
    J = 4.0 * rng.standard_normal((n, n)) / np.sqrt(n)
    np.fill_diagonal(J, 0.0)
    return {"n": n, "J": J, "x0": rng.standard_normal(n), "B": rng.standard_normal((n, n + 1))}


def step_ebdm(inp, threads):
    import ebdm.chaos as ch

    # 100 steps of state + N vectors, a QR every 10 steps, nothing before.
    return lambda: ch.spectrum_of(inp["J"], inp["x0"], mode="euler-map", dt=0.1, transient=0.0, ons_warmup=0.0,
                                  time=10.0, t_ons=1.0, pca=False, bootstrap=0, threads=threads)["exponents"]


def step_gemm(inp, threads):
    J, B = inp["J"], inp["B"]

    def call():
        out = None
        for _ in range(100):
            out = J @ B
        return out

    return call


TARGETS = [
    Target("chaos/lambda-max-n100", "λ_max, one tangent vector, 10⁴ RK4 steps, N = 100", 1 / 3, "numpy",
           lmax_setup(100), {"ebdm": lmax_ebdm, "numpy": lmax_numpy},
           summary=lmax_summary, agree=lmax_agree, mode="once", reps=5),
    Target("chaos/lambda-max-n1000", "λ_max, one tangent vector, 10⁴ RK4 steps, N = 1000", 1 / 1.2, "numpy",
           lmax_setup(1000), {"ebdm": lmax_ebdm, "numpy": lmax_numpy},
           summary=lmax_summary, agree=lmax_agree, mode="once", reps=3),
    Target("chaos/spectrum-n512", "full spectrum, N = 512, Euler map, tSim = 1000, t_ONS = 1", 0.5, "engelken",
           spectrum_setup, {"ebdm": spectrum_ebdm, "engelken": spectrum_engelken},
           summary=spectrum_summary, agree=spectrum_agree, mode="once", reps=3, needs=("matplotlib",),
           unavailable=engelken_unavailable),
    Target("chaos/tangent-step-n512", "100 Euler-map steps of x and 512 vectors vs 100 GEMMs J·B (N × N+1)",
           2.0, "gemm", step_setup, {"ebdm": step_ebdm, "gemm": step_gemm}, mode="call", reps=5),
]
