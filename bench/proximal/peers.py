"""Side-by-side timings of ebdm's proximal solvers against numpy and scikit-learn (spec
proximal.md §6, targets P1–P6), on identical inputs, single thread, min over interleaved rounds.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    PYTHONPATH=crates/ebdm-py/python <venv with numpy, scikit-learn>/bin/python bench/proximal/peers.py

Prints one line per target: the two times, their ratio (ebdm / peer), for single problems also
the ebdm solver's own time (without copying X from NumPy into Rust, which the NumPy reference
does not pay), and whether both reached the same objective. `--rounds` sets the number of interleaved rounds, `--only P3,P4b` a subset.
"""

import argparse
import os
import subprocess
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

import ebdm  # noqa: E402
import ebdm.proximal as sp  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from machine import cpu_model  # noqa: E402

P_STAR = 17.422686926803852
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


SOLVE_TIMES = []


def race(rounds, a, b):
    """Interleaves a and b `rounds` times; returns (min time a, min time b, last results).
    The ebdm solver's own time (without the NumPy-to-Rust copy of X) of each round is kept in
    SOLVE_TIMES."""
    ta, tb, ra, rb = [], [], None, None
    SOLVE_TIMES.clear()
    for _ in range(rounds):
        t, ra = timed(a)
        ta.append(t)
        if hasattr(ra, "solve_seconds"):
            SOLVE_TIMES.append(ra.solve_seconds)
        t, rb = timed(b)
        tb.append(t)
    return min(ta), min(tb), ra, rb


def report(name, t_ebdm, t_peer, peer, note=""):
    solve = ""
    if SOLVE_TIMES:
        ts = min(SOLVE_TIMES)
        solve = f"   solver only {ts * 1e3:8.2f} ms, ratio {ts / t_peer:6.3f}"
    print(f"{name:4} ebdm {t_ebdm * 1e3:9.2f} ms   {peer:32} {t_peer * 1e3:9.2f} ms   ratio {t_ebdm / t_peer:6.3f}{solve}   {note}", flush=True)


# numpy references (the algorithms of the spec, written for numpy) -------------------------------

def soft(v, t):
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def np_fista(X, y, lam, L, iters, restart):
    n = X.shape[0]
    x = np.zeros(X.shape[1])
    yk, t = x.copy(), 1.0
    for _ in range(iters):
        g = X.T @ (X @ yk - y) / n
        xn = soft(yk - g / L, lam / L)
        if restart and np.dot(yk - xn, xn - x) > 0:
            t, yk = 1.0, xn.copy()
        else:
            tn = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
            yk = xn + (t - 1) / tn * (xn - x)
            t = tn
        x = xn
    return x


def np_ista(X, y, lam, L, iters):
    n = X.shape[0]
    x = np.zeros(X.shape[1])
    for _ in range(iters):
        x = soft(x - X.T @ (X @ x - y) / (n * L), lam / L)
    return x


def objective(X, y, lam, w):
    return 0.5 / X.shape[0] * np.sum((y - X @ w) ** 2) + lam * np.abs(w).sum()


def np_batched_fista(D, S, alpha, iters):
    G, B = D @ D.T, S @ D.T
    L = np.linalg.eigvalsh(G)[-1]
    C = np.zeros_like(B)
    Y, T = C.copy(), np.ones(len(S))
    for _ in range(iters):
        Cn = soft(Y - (Y @ G - B) / L, alpha / L)
        restart = np.einsum("ij,ij->i", Y - Cn, Cn - C) > 0
        Tn = 0.5 * (1 + np.sqrt(1 + 4 * T * T))
        beta = np.where(restart, 0.0, (T - 1) / Tn)
        Y = Cn + beta[:, None] * (Cn - C)
        T = np.where(restart, 1.0, Tn)
        C = Cn
    return C


def np_batched_lca(D, S, alpha, iters):
    G, B = D @ D.T, S @ D.T
    L = np.linalg.eigvalsh(G)[-1]
    U = np.zeros_like(B)
    A = U.copy()
    for _ in range(iters):
        U = A - (A @ G - B) / L
        A = soft(U, alpha / L)
    return A


def coding_objective(D, S, C, alpha):
    return 0.5 * np.sum((S - C @ D) ** 2, axis=1) + alpha * np.abs(C).sum(axis=1)


def mnist(count):
    images = ebdm.data.read_mnist_images(os.path.join(ROOT, "data/mnist/t10k-images-idx3-ubyte.gz"))
    return np.asarray(images[:count], dtype=np.float64).reshape(count, -1) / 255.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="P1,P2,P3,P4,P4b,P5,P6")
    args = ap.parse_args()
    only = set(args.only.split(","))
    print(f"machine: {cpu_model()}, single thread, min over {args.rounds} interleaved rounds")
    X, y, _ = sp.fixture()
    lam = 0.2545342289395892
    L = 9.101234793036463

    if "P1" in only:
        a = lambda: sp.lasso(X, y, lam=lam, solver="fista", restart=True, tol=0.0, max_iter=50, gamma=1 / L)
        b = lambda: np_fista(X, y, lam, L, 50, True)
        te, tn, re, rn = race(args.rounds, a, b)
        report("P1", te, tn, "numpy FISTA+restart (50)", f"rel. sub-opt. ebdm {(re.objective - P_STAR) / P_STAR:.1e}, numpy {(objective(X, y, lam, rn) - P_STAR) / P_STAR:.1e}")
    if "P2" in only:
        for solver in ("pgd", "lca"):
            a = lambda: sp.lasso(X, y, lam=lam, solver=solver, tol=0.0, max_iter=189, gamma=1 / L)
            b = lambda: np_ista(X, y, lam, L, 189)
            te, tn, re, rn = race(args.rounds, a, b)
            report("P2", te, tn, f"numpy ISTA (189) vs {solver}", f"|Δx|∞ = {np.abs(re.x - rn).max():.1e}")
    if "P3" in only:
        try:
            from sklearn.linear_model import Lasso
        except ImportError:
            print("P3   skipped: scikit-learn not installed")
        else:
            a = lambda: sp.lasso(X, y, lam=lam, solver="cd", tol=1e-8)
            b = lambda: Lasso(alpha=lam, fit_intercept=False, tol=1e-8, max_iter=100000).fit(X, y)
            te, tn, re, rn = race(args.rounds, a, b)
            report("P3", te, tn, "scikit-learn Lasso (CD)", f"rel. sub-opt. ebdm {(re.objective - P_STAR) / P_STAR:.1e}, sklearn {(objective(X, y, lam, rn.coef_) - P_STAR) / P_STAR:.1e}")
    if "P4" in only:
        rng = np.random.default_rng(0)
        D = rng.standard_normal((128, 64))
        D /= np.linalg.norm(D, axis=1, keepdims=True)
        S = rng.standard_normal((2000, 64))
        S /= np.linalg.norm(S, axis=1, keepdims=True)
        # FISTA in both precisions of its products (the numpy reference is double precision);
        # LCA always runs in double precision.
        for solver, ref, precision in (("fista", np_batched_fista, "f64"), ("fista", np_batched_fista, "f32"),
                                       ("lca", np_batched_lca, "f64")):
            a = lambda: sp.encode(D, S, alpha=0.1, solver=solver, steps=300, tol=0.0, precision=precision, threads=1)
            b = lambda: ref(D, S, 0.1, 300)
            te, tn, re, rn = race(args.rounds, a, b)
            dev = np.max(np.abs(re["objectives"] - coding_objective(D, S, rn, 0.1)) / coding_objective(D, S, rn, 0.1))
            report("P4", te, tn, f"numpy batched {solver} (300), {precision}", f"objective agreement {dev:.1e}")
    if "P4b" in only:
        try:
            from sklearn.decomposition import sparse_encode
        except ImportError:
            print("P4b  skipped: scikit-learn not installed")
        else:
            S = mnist(10_000)
            rng = np.random.default_rng(1)
            D = rng.standard_normal((256, 784))
            D /= np.linalg.norm(D, axis=1, keepdims=True)
            rounds = max(1, min(args.rounds, 2))
            # FISTA on GEMMs, stopped when every row's duality gap is below 1e-6 of its objective,
            # which certifies the target (objective within 1e-6 relative of the optimum); CD is
            # slower on these dense codes (~180 of 256 atoms active). Products in single
            # precision until the gap nears the target, then in double precision; the gaps are
            # computed in double precision.
            a = lambda: sp.encode(D, S, alpha=0.1, solver="fista", steps=1000, tol=1e-6, threads=1)
            b = lambda: sparse_encode(S, D, algorithm="lasso_cd", alpha=0.1)
            te, tn, re, rn = race(rounds, a, b)
            ob_e, ob_s = re["objectives"], coding_objective(D, S, rn, 0.1)
            report("P4b", te, tn, "sklearn sparse_encode lasso_cd", f"mean objective ebdm {ob_e.mean():.6f} vs sklearn {ob_s.mean():.6f}; worst (ebdm − sklearn)/sklearn {np.max((ob_e - ob_s) / ob_s):.1e}")
    if "P5" in only:
        exe = os.path.join(ROOT, "target/release/ebdm")
        if not os.path.exists(exe):
            print("P5   skipped: build target/release/ebdm first")
        else:
            a = lambda: subprocess.run([exe, "--threads", "1", "-q", "proximal", "lasso", "--lambda", "0.1", "--lambda-rel", "--out", "/tmp/ebdm_p5.npy"], check=True)
            b = lambda: subprocess.run([sys.executable, "-c", "import sklearn.linear_model"], check=True)
            te, tn, _, _ = race(args.rounds, a, b)
            report("P5", te, tn, "python -c 'import sklearn.linear_model'", "end to end: start, generate SM-LASSO, solve, write")
    if "P6" in only:
        from ebdm import experiments  # noqa: F401  (warm import)
        exe = os.path.join(ROOT, "target/release/ebdm")
        if not os.path.exists(exe):
            print("P6   skipped: build target/release/ebdm first")
        else:
            a = lambda: subprocess.run([exe, "--threads", "2", "-q", "proximal", "phase", "--out", "/tmp/ebdm_p6"], check=False)
            b = lambda: np_phase_grid()
            te, tn, _, _ = race(1, a, b)
            report("P6", te, tn, "numpy FISTA-continuation grid", "A10 grid: 2 δ × 5 fractions × 20 trials (ebdm on 2 threads)")


def np_phase_grid():
    rng = np.random.default_rng(0)
    N = 400
    for delta, rho in ((0.25, sp.phase_curve(0.25)), (0.5, sp.phase_curve(0.5))):
        n = round(delta * N)
        for frac in (0.7, 0.85, 1.0, 1.15, 1.3):
            k = round(frac * rho * n)
            for _ in range(20):
                A = rng.standard_normal((n, N)) / np.sqrt(n)
                x0 = np.zeros(N)
                x0[rng.choice(N, k, replace=False)] = rng.choice([-1.0, 1.0], k)
                yy = A @ x0
                Lc = np.linalg.norm(A, 2) ** 2
                top = np.abs(A.T @ yy).max()
                x = np.zeros(N)
                for lam in top * 0.1 * (1e-5) ** (np.arange(8) / 7):
                    yk, t, xp = x.copy(), 1.0, x.copy()
                    for _ in range(300):
                        xn = soft(yk - A.T @ (A @ yk - yy) / Lc, lam / Lc)
                        if np.dot(yk - xn, xn - xp) > 0:
                            t, yk = 1.0, xn.copy()
                        else:
                            tn = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
                            yk = xn + (t - 1) / tn * (xn - xp)
                            t = tn
                        xp = xn
                    x = xp


if __name__ == "__main__":
    main()
