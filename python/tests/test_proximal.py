"""ebdm.proximal: Lasso-type problems, batched sparse coding, proximal operators, PI-PGD and the
phase curve, each checked against an independent numpy computation."""

import math

import numpy as np
import pytest

import ebdm.proximal as sp

P_STAR = 17.422686926803852


@pytest.fixture(scope="module")
def smlasso():
    return sp.fixture()


def kkt_violation(X, y, w, lam):
    """Worst violation of the Lasso optimality conditions (Ml convention), by numpy."""
    n = X.shape[0]
    c = X.T @ (y - X @ w) / n
    on = w != 0
    active = np.abs(c[on] - lam * np.sign(w[on])).max(initial=0.0)
    inactive = np.maximum(np.abs(c[~on]) - lam, 0.0).max(initial=0.0)
    return max(active, inactive)


def test_fixture_matches_the_reference_digits(smlasso):
    X, y, w = smlasso
    assert X.shape == (500, 2000) and y.shape == (500,)
    assert X[0, 0] == pytest.approx(0.836805286714029, rel=1e-12)
    assert X.sum() == pytest.approx(692.6045068829051, rel=1e-12)
    assert y.sum() == pytest.approx(135.34060196734288, rel=1e-12)
    assert np.count_nonzero(w) == 50


@pytest.mark.parametrize("solver,extra", [("cd", {}), ("fista", {"restart": True}), ("ista", {}), ("pgd", {}), ("lca", {})])
def test_every_solver_reaches_the_reference_optimum(smlasso, solver, extra):
    X, y, _ = smlasso
    r = sp.lasso(X, y, lam=0.1, lam_rel=True, solver=solver, tol=1e-12, max_iter=20_000, **extra)
    assert r.lambda_rel == pytest.approx(0.1)
    assert r.lambda_abs == pytest.approx(0.2545342289395892, rel=1e-13)
    assert (r.objective - P_STAR) / P_STAR <= 1e-9
    assert r.nnz == 54
    # Independent checks: numpy objective and KKT conditions.
    n = X.shape[0]
    obj = 0.5 / n * np.sum((y - X @ r.x) ** 2) + r.lambda_abs * np.abs(r.x).sum()
    assert obj == pytest.approx(r.objective, rel=1e-12)
    assert kkt_violation(X, y, r.x, r.lambda_abs) <= 1e-6
    assert r.gap <= 1e-8 * P_STAR


def test_conventions_differ_by_n(smlasso):
    X, y, _ = smlasso
    ml = sp.lasso(X, y, lam=0.1, lam_rel=True, convention="ml", tol=1e-12)
    sp_ = sp.lasso(X, y, lam=0.1, lam_rel=True, convention="sp", tol=1e-12)
    assert sp_.lambda_abs == pytest.approx(500 * ml.lambda_abs, rel=1e-12)
    assert sp_.objective == pytest.approx(500 * ml.objective, rel=1e-9)
    np.testing.assert_allclose(sp_.x, ml.x, atol=1e-7)


def test_memory_layout_of_x_does_not_change_the_solution(smlasso):
    X, y, _ = smlasso
    X, y = X[:200, :400], y[:200]
    strided = X[::2]  # a view that is neither C- nor Fortran-contiguous
    for variant, contiguous, target in ((np.asfortranarray(X), X, y), (strided, strided.copy(), y[::2])):
        got = sp.lasso(variant, target, lam=0.1, solver="cd", tol=1e-10)
        want = sp.lasso(np.ascontiguousarray(contiguous), target, lam=0.1, solver="cd", tol=1e-10)
        assert np.array_equal(got.x, want.x)
        assert got.objective == want.objective


def test_trace_is_non_increasing_for_the_dynamics(smlasso):
    X, y, _ = smlasso
    r = sp.lasso(X, y, lam=0.1, lam_rel=True, solver="pgd", dt=0.5, tol=0.0, max_iter=200, trace=True)
    obj = r.trace["objective"]
    assert len(obj) == 201
    assert np.max(np.diff(obj)) <= 1e-12 * obj[0]
    assert r.trace["t"][-1] == pytest.approx(100.0)


def test_estimators_follow_scikit_learn_conventions(smlasso):
    X, y, _ = smlasso
    lam = 0.2545342289395892
    m = sp.Lasso(alpha=lam).fit(X, y)
    assert kkt_violation(X, y, m.coef_, lam) <= 1e-6
    np.testing.assert_allclose(m.predict(X[:3]), X[:3] @ m.coef_)
    pos = sp.Lasso(alpha=lam, positive=True, tol=1e-12).fit(X, y)
    assert pos.coef_.min() >= 0.0
    assert pos.result_.objective == pytest.approx(30.42061278916951, rel=1e-9)
    en = sp.ElasticNet(alpha=0.5090684578791784, l1_ratio=0.5, tol=1e-12).fit(X, y)
    assert en.result_.objective == pytest.approx(24.74105937178389, rel=1e-9)


def test_batched_coding_satisfies_kkt_per_row():
    rng = np.random.default_rng(0)
    D = rng.standard_normal((64, 32))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    X = rng.standard_normal((50, 32))
    alpha = 0.2
    out = sp.encode(D, X, alpha=alpha, tol=1e-12)
    C = out["codes"]
    assert C.shape == (50, 64)
    # KKT of ½‖x − cD‖² + α‖c‖₁ per row: q = (x − cD)Dᵀ.
    Q = (X - C @ D) @ D.T
    on = C != 0
    assert np.abs(Q[on] - alpha * np.sign(C[on])).max() <= 1e-7
    assert (np.abs(Q[~on]) - alpha).max() <= 1e-7
    obj = 0.5 * np.sum((X - C @ D) ** 2, axis=1) + alpha * np.abs(C).sum(axis=1)
    np.testing.assert_allclose(out["objectives"], obj, rtol=1e-10)
    fista = sp.encode(D, X, alpha=alpha, solver="fista", steps=2000)
    np.testing.assert_allclose(fista["objectives"], obj, rtol=1e-8)
    codes = sp.lca(D, X, lam=alpha, steps=3000)
    lca_obj = 0.5 * np.sum((X - codes @ D) ** 2, axis=1) + alpha * np.abs(codes).sum(axis=1)
    assert np.max((lca_obj - obj) / obj) <= 1e-4
    # The same codes at any thread count.
    np.testing.assert_array_equal(sp.encode(D, X, alpha=alpha, threads=1)["codes"], sp.encode(D, X, alpha=alpha, threads=2)["codes"])


def test_prox_operators_against_numpy():
    rng = np.random.default_rng(1)
    v = rng.standard_normal((20, 15)) * 2
    soft = np.sign(v) * np.maximum(np.abs(v) - 0.6, 0)
    np.testing.assert_allclose(sp.prox(v, "l1", gamma=2.0, lam=0.3), soft, atol=1e-15)
    # Simplex by numpy sort.
    for row, p in zip(v, sp.prox(v, "simplex", radius=1.5)):
        u = np.sort(row)[::-1]
        css = np.cumsum(u) - 1.5
        rho = np.nonzero(u - css / np.arange(1, len(u) + 1) > 0)[0][-1]
        np.testing.assert_allclose(p, np.maximum(row - css[rho] / (rho + 1), 0), atol=1e-12)
    np.testing.assert_allclose(sp.prox(v, "box", lo=-0.5, hi=0.25), np.clip(v, -0.5, 0.25))
    b = sp.prox(v[0], "l2_ball", radius=1.0)
    np.testing.assert_allclose(b, v[0] / np.linalg.norm(v[0]))
    assert sp.penalty_value(v[0], "l1", lam=0.5) == pytest.approx(0.5 * np.abs(v[0]).sum())
    assert math.isinf(sp.penalty_value(np.array([-1.0]), "nonneg"))
    # TV: a constant signal is its own prox; a step is shrunk symmetrically.
    s = np.array([0.0, 0.0, 2.0, 2.0])
    np.testing.assert_allclose(sp.prox(s, "tv1d", lam=0.5), [0.25, 0.25, 1.75, 1.75])


def test_phase_curve_and_pi_pgd():
    assert sp.phase_curve(0.5) == pytest.approx(0.38569, abs=1e-4)
    np.testing.assert_allclose(sp.phase_curve([0.1, 0.25], signed=False), [0.24098, 0.36509], atol=1e-4)
    rng = np.random.default_rng(2)
    W0 = rng.standard_normal((10, 10))
    W = 10 * np.eye(10) + W0 @ W0.T
    A, b = rng.standard_normal((5, 10)), rng.standard_normal(5)
    r = sp.pi_pgd(W, A, b, lam=1.0)
    assert np.linalg.norm(A @ r["x"] - b) <= 1e-4
    assert r["residual"] <= 1e-4


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda X, y: sp.lasso(X, y[:-1]), "rows"),
        (lambda X, y: sp.lasso(X, y, lam=-1.0), "lambda"),
        (lambda X, y: sp.lasso(np.where(X == X[0, 0], np.nan, X), y), "NaN"),
        (lambda X, y: sp.lasso(X, y, penalty="simplex", radius=0.0), "z"),
        (lambda X, y: sp.lasso(X, y, penalty="box", lo=1.0, hi=0.0), "empty"),
        (lambda X, y: sp.lasso(X, y, penalty="nope"), "penalty"),
        (lambda X, y: sp.lasso(X, y, convention="xx"), "convention"),
        (lambda X, y: sp.lasso(X, y, solver="cd", penalty="group_l2"), "coordinate descent"),
        (lambda X, y: sp.lasso(X, y, solver="pgd", dt=1.5), "Euler step"),
        (lambda X, y: sp.encode(X[:3, :4], X[:2, :5]), "features"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    X = np.random.default_rng(3).standard_normal((30, 8))
    y = X @ np.ones(8)
    with pytest.raises(ValueError, match=match):
        call(X, y)


def test_former_module_name_is_an_alias():
    import ebdm.sparse

    assert ebdm.sparse.lasso is sp.lasso and ebdm.sparse.__all__ == sp.__all__
