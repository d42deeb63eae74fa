"""Proximal-descent dynamics and sparse reconstruction.

Composite problems ``min_w f(w) + g(w)`` with a least-squares data term in one of two named
conventions — ``"ml"``: f = ‖y − Xw‖²/(2n) (scikit-learn, glmnet), ``"sp"``: f = ½‖y − Xw‖²
(LCA, SPAMS) — and a penalty or constraint g by name: ``l1``, ``l1_nonneg``, ``elastic_net``,
``group_l2``, ``box``, ``nonneg``, ``simplex``, ``l2_ball``, ``l1_ball``, ``tv1d``, ``l0``,
``mcp``.

- :func:`lasso`: coordinate descent with working sets (the default for ℓ1-type penalties),
  ISTA, FISTA (with adaptive restart) or Euler steps of the proximal gradient dynamics
  τẋ = −x + prox_{γg}(x − γ∇f(x)) and of the LCA τu̇ = −u + a − γ∇f(a), a = prox_{γg}(u);
  stops on the relative duality gap and reports it with the KKT violation;
- :class:`Lasso`, :class:`ElasticNet`: scikit-learn-like estimators (``fit``, ``coef_``);
- :func:`encode` / :func:`lca`: batched sparse coding ½‖x − cD‖² + α‖c‖₁ of many signals;
- :mod:`prox`-style functions :func:`prox` and :func:`penalty_value`;
- :func:`pi_pgd`: proportional–integral dynamics for equality constraints;
- :func:`phase_curve`: the Donoho–Maleki–Montanari ℓ1 phase transition ρ_SE(δ);
- :func:`fixture`: the SplitMix64 SM-LASSO instance.

>>> import ebdm.proximal as px
>>> X, y, w_true = px.fixture()
>>> res = px.lasso(X, y, lam=0.1, lam_rel=True)
>>> round(res.objective, 9), res.nnz
(17.422686927, 54)
"""

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ._ebdm import (
    sparse_encode as _encode,
    sparse_fixture as _fixture,
    sparse_lasso as _lasso,
    sparse_penalty_value as _penalty_value,
    sparse_phase_curve as _phase_curve,
    sparse_pi_pgd as _pi_pgd,
    sparse_prox as _prox,
)

__all__ = [
    "ElasticNet",
    "Lasso",
    "LassoResult",
    "encode",
    "fixture",
    "lasso",
    "lca",
    "penalty_value",
    "phase_curve",
    "pi_pgd",
    "prox",
]


@dataclass
class LassoResult:
    """The outcome of :func:`lasso`."""

    x: np.ndarray
    objective: float
    gap: Optional[float]
    kkt: Optional[float]
    residual: float
    iterations: int
    converged: bool
    nnz: int
    gamma: float
    L: float
    solver: str
    penalty: str
    convention: str
    lambda_abs: float
    lambda_rel: float
    solve_seconds: float = 0.0
    interrupted: bool = False
    trace: dict = field(default_factory=dict)


def lasso(X, y, lam=0.1, lam_rel=False, convention="ml", penalty="l1", solver=None, restart=False,
          backtracking=False, gamma=None, dt=1.0, tau=1.0, tol=1e-8, max_iter=10_000, trace=False, threads=None,
          **penalty_params):
    """Solves min f(w) + g(w); see the module docstring. ``solver`` is one of ``"cd"``,
    ``"ista"``, ``"fista"``, ``"pgd"``, ``"lca"`` (default: ``"cd"`` for l1, l1_nonneg and
    elastic_net, FISTA with restart otherwise). ``tol`` is the relative duality gap
    (P − D)/P, or the relative fixed-point residual for penalties without a closed-form dual.
    ``penalty_params``: ``l1_ratio``, ``group_size``, ``lo``, ``hi``, ``radius``, ``gamma_m``.
    The gradient methods read a C-ordered float64 ``X`` in place and form ``Xᵀ(Xw − y)`` in one
    pass over its rows, on ``threads`` threads (default: all cores; results do not depend on
    it); coordinate descent copies ``X`` into columns and runs on one thread."""
    d = _lasso(X, y, lam=lam, lam_rel=lam_rel, convention=convention, penalty=penalty, solver=solver,
               restart=restart, backtracking=backtracking, gamma=gamma, dt=dt, tau=tau, tol=tol,
               max_iter=max_iter, trace=trace, threads=threads, **penalty_params)
    return LassoResult(**d)


class Lasso:
    """ℓ1-regularised least squares in scikit-learn's convention,
    ``(1/(2n))‖y − Xw‖² + alpha‖w‖₁`` (no intercept), solved by coordinate descent to a
    relative duality gap ``tol``."""

    _penalty = "l1"

    def __init__(self, alpha=1.0, tol=1e-8, max_iter=10_000, positive=False, solver=None):
        self.alpha, self.tol, self.max_iter, self.positive, self.solver = alpha, tol, max_iter, positive, solver

    def _params(self):
        return {"penalty": "l1_nonneg" if self.positive else self._penalty}

    def fit(self, X, y):
        r = lasso(X, y, lam=self.alpha, convention="ml", solver=self.solver, restart=True, tol=self.tol,
                  max_iter=self.max_iter, **self._params())
        self.coef_ = r.x
        self.n_iter_ = r.iterations
        self.dual_gap_ = r.gap
        self.result_ = r
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.coef_


class ElasticNet(Lasso):
    """``(1/(2n))‖y − Xw‖² + alpha·l1_ratio‖w‖₁ + alpha(1 − l1_ratio)/2‖w‖²`` (scikit-learn's
    parametrisation)."""

    _penalty = "elastic_net"

    def __init__(self, alpha=1.0, l1_ratio=0.5, tol=1e-8, max_iter=10_000, solver=None):
        super().__init__(alpha=alpha, tol=tol, max_iter=max_iter, solver=solver)
        self.l1_ratio = l1_ratio

    def _params(self):
        return {"penalty": "elastic_net", "l1_ratio": self.l1_ratio}


def encode(dictionary, signals, alpha=0.1, solver="cd", steps=None, tol=1e-8, dt=1.0, nonneg=False,
           batch=64, precision="f32", threads=None):
    """Codes each row x of ``signals`` as argmin_c ½‖x − cD‖² + alpha‖c‖₁ for the atoms (rows)
    of ``dictionary`` — scikit-learn's ``sparse_encode(X, D, alpha=alpha)``. Returns a dict of
    ``codes`` (rows × atoms), ``objectives``, ``gaps`` and ``residuals``.

    ``tol`` is the relative duality gap per row: the stopping rule of ``"cd"``, and an early exit
    of ``"fista"`` when positive. ``precision`` ("f32" or "f64") is that of FISTA's products;
    with "f32" and ``tol > 0`` FISTA finishes in double precision, so the reported gaps (always
    computed in double precision) meet ``tol``."""
    return _encode(dictionary, signals, alpha=alpha, solver=solver, steps=steps, tol=tol, dt=dt,
                   nonneg=nonneg, batch=batch, precision=precision, threads=threads)


def lca(dictionary, signals, lam=0.1, nonneg=False, dt=1.0, steps=300, threads=None):
    """Batched LCA (Rozell et al. 2008) with soft thresholding: Euler steps ``dt`` of
    τu̇ = −u + a − γ(aG − b), a = soft(u, γλ); returns the codes a (rows × atoms)."""
    return _encode(dictionary, signals, alpha=lam, solver="lca", steps=steps, dt=dt, nonneg=nonneg,
                   threads=threads)["codes"]


def prox(v, penalty, gamma=1.0, lam=0.1, **params):
    """prox_{γg}(v) of the named penalty, for a vector or each row of a matrix."""
    return _prox(v, penalty, gamma=gamma, lam=lam, **params)


def penalty_value(x, penalty, lam=0.1, **params):
    """g(x) of the named penalty (inf outside a constraint set)."""
    return _penalty_value(x, penalty, lam=lam, **params)


def phase_curve(delta, signed=True):
    """ρ_SE(δ) (Donoho, Maleki & Montanari 2009): signed (ζ = 2) or nonnegative (ζ = 1)."""
    return _phase_curve(delta, signed=signed)


def fixture(seed=42, n=500, p=2000, k=50):
    """The SM-LASSO instance (X, y, w_true), reproducible bit for bit from SplitMix64."""
    return _fixture(seed=seed, n=n, p=p, k=k)


def pi_pgd(W, A, b, lam=1.0, kp=20.0, ki=20.0, dt=0.01, t_end=30.0, gamma=None):
    """PI-PGD for min ½xᵀWx + lam‖x‖₁ subject to Ax = b (Centorrino et al. 2025)."""
    return _pi_pgd(W, A, b, lam=lam, kp=kp, ki=ki, dt=dt, t_end=t_end, gamma=gamma)
