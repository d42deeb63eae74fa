"""Proximal-descent targets (spec proximal.md §6, P1–P4b): the Lasso of the SM-LASSO fixture
(n = 500, p = 2000, k = 50, λ = 0.1·λ_max, objective (1/2n)‖y − Xw‖² + λ‖w‖₁) by the default
solver against scikit-learn, FISTA/PGD/LCA against the same algorithms written for numpy, and
batched sparse coding of MNIST against scikit-learn's `sparse_encode`. Every ebdm time includes
reading the NumPy inputs."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import ROOT, Target  # noqa: E402


def soft(v, t):
    import numpy as np

    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def lasso_setup(size, data):
    import ebdm.proximal as sp
    import numpy as np

    X, y, _ = sp.fixture() if size == "full" else sp.fixture(seed=42, n=60, p=400, k=5)
    n = X.shape[0]
    return {"X": X, "y": y, "lam": 0.1 * float(np.abs(X.T @ y).max()) / n, "L": float(np.linalg.norm(X, 2) ** 2 / n)}


def objective(inp, w):
    import numpy as np

    X, y = inp["X"], inp["y"]
    return float(0.5 / X.shape[0] * np.sum((y - X @ np.asarray(w)) ** 2) + inp["lam"] * np.abs(w).sum())


def objective_agree(rel):
    def agree(e, p):
        d = abs(e - p) / abs(p)
        return d <= rel, f"objective {e:.10g} / {p:.10g} (relative difference {d:.1e})"

    return agree


# ---- default solver against scikit-learn's coordinate descent, to a duality gap of 1e-8 ------


def lasso_ebdm(inp, threads):
    import ebdm.proximal as sp

    return lambda: sp.lasso(inp["X"], inp["y"], lam=inp["lam"], tol=1e-8)


def lasso_sklearn(inp, threads):
    from sklearn.linear_model import Lasso

    return lambda: Lasso(alpha=inp["lam"], fit_intercept=False, tol=1e-8, max_iter=100_000).fit(inp["X"], inp["y"])


def lasso_summary(r, inp):
    w = r.x if hasattr(r, "x") else getattr(r, "coef_", r)
    return objective(inp, w)


# ---- fixed iteration counts: FISTA with restart (50), PGD and LCA against ISTA (189) ---------


def fista_ebdm(inp, threads):
    import ebdm.proximal as sp

    return lambda: sp.lasso(inp["X"], inp["y"], lam=inp["lam"], solver="fista", restart=True, tol=0.0, max_iter=50,
                            gamma=1 / inp["L"], threads=threads)


def fista_numpy(inp, threads):
    import numpy as np

    X, y, lam, L = inp["X"], inp["y"], inp["lam"], inp["L"]
    n = X.shape[0]

    def run():
        x = np.zeros(X.shape[1])
        yk, t = x.copy(), 1.0
        for _ in range(50):
            xn = soft(yk - X.T @ (X @ yk - y) / (n * L), lam / L)
            if np.dot(yk - xn, xn - x) > 0:
                t, yk = 1.0, xn.copy()
            else:
                tn = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
                yk = xn + (t - 1) / tn * (xn - x)
                t = tn
            x = xn
        return x

    return run


def flow_ebdm(solver):
    def make(inp, threads):
        import ebdm.proximal as sp

        return lambda: sp.lasso(inp["X"], inp["y"], lam=inp["lam"], solver=solver, tol=0.0, max_iter=189,
                                gamma=1 / inp["L"], threads=threads)

    return make


def ista_numpy(inp, threads):
    import numpy as np

    X, y, lam, L = inp["X"], inp["y"], inp["lam"], inp["L"]
    n = X.shape[0]

    def run():
        x = np.zeros(X.shape[1])
        for _ in range(189):
            x = soft(x - X.T @ (X @ x - y) / (n * L), lam / L)
        return x

    return run


# ---- batched sparse coding: 10,000 MNIST digits on 256 random unit atoms, α = 0.1 ------------


def coding_setup(size, data):
    import ebdm
    import numpy as np

    count, atoms = (10_000, 256) if size == "full" else (200, 32)
    images = ebdm.data.read_mnist_images(os.path.join(ROOT, "data", "mnist", "t10k-images-idx3-ubyte.gz"))
    S = np.asarray(images[:count], dtype=np.float64).reshape(count, -1) / 255.0
    D = np.random.default_rng(1).standard_normal((atoms, 784))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    return {"D": D, "S": S}


def coding_ebdm(inp, threads):
    import ebdm.proximal as sp

    # FISTA on GEMMs, each row stopped when its duality gap is below 1e-6 of its objective.
    return lambda: sp.encode(inp["D"], inp["S"], alpha=0.1, solver="fista", steps=1000, tol=1e-6, threads=threads)


def coding_sklearn(inp, threads):
    from sklearn.decomposition import sparse_encode

    return lambda: sparse_encode(inp["S"], inp["D"], algorithm="lasso_cd", alpha=0.1, n_jobs=None)


def coding_summary(r, inp):
    import numpy as np

    C = r["codes"] if isinstance(r, dict) else r
    D, S = inp["D"], inp["S"]
    return float(np.mean(0.5 * np.sum((S - C @ D) ** 2, axis=1) + 0.1 * np.abs(C).sum(axis=1)))


TARGETS = [
    Target("proximal/lasso", "default Lasso solver end to end, n = 500, p = 2000, gap 1e-8", 0.5, "sklearn",
           lasso_setup, {"ebdm": lasso_ebdm, "sklearn": lasso_sklearn}, summary=lasso_summary,
           agree=objective_agree(1e-6), needs=("sklearn",)),
    Target("proximal/fista", "FISTA with restart, 50 iterations (P1)", 0.7, "numpy",
           lasso_setup, {"ebdm": fista_ebdm, "numpy": fista_numpy}, summary=lasso_summary,
           agree=objective_agree(1e-9)),
    Target("proximal/pgd", "proximal gradient (PGD), 189 iterations, against numpy ISTA (P2)", 0.7, "numpy",
           lasso_setup, {"ebdm": flow_ebdm("pgd"), "numpy": ista_numpy}, summary=lasso_summary,
           agree=objective_agree(1e-9)),
    Target("proximal/lca", "LCA (dt = 1), 189 iterations, against numpy ISTA (P2)", 0.7, "numpy",
           lasso_setup, {"ebdm": flow_ebdm("lca"), "numpy": ista_numpy}, summary=lasso_summary,
           agree=objective_agree(1e-9)),
    Target("proximal/sparse-coding", "10,000 MNIST digits on 256 atoms, α = 0.1, to 1e-6 (P4b)", 0.15, "sklearn",
           coding_setup, {"ebdm": coding_ebdm, "sklearn": coding_sklearn}, summary=coding_summary,
           agree=objective_agree(1e-5), mode="once", reps=3, needs=("sklearn",)),
]
