"""The RBM class against independent NumPy computations, pickling, and bad input."""

import pickle

import numpy as np
import pytest

import ebdm


def bars(rows=200, side=4, seed=0):
    """Horizontal or vertical bars on a side × side grid, with 5 % pixel noise."""
    rng = np.random.default_rng(seed)
    out = np.zeros((rows, side, side))
    for r in range(rows):
        on = rng.random(side) < 0.5
        if rng.random() < 0.5:
            out[r, on, :] = 1
        else:
            out[r, :, on] = 1
    noise = rng.random(out.shape) < 0.05
    return np.abs(out - noise).reshape(rows, -1)


@pytest.fixture(scope="module")
def fitted():
    X = bars()
    rbm = ebdm.RBM(8, learning_rate=0.05, batch_size=10, n_iter=30, random_state=3)
    return rbm.fit(X), X


def softplus(x):
    return np.logaddexp(0.0, x)


def test_features_and_free_energy_match_numpy(fitted):
    rbm, X = fitted
    W, b, c = rbm.components_.T, rbm.intercept_visible_, rbm.intercept_hidden_
    assert W.shape == (16, 8)
    h = rbm.transform(X)
    np.testing.assert_allclose(h, 1 / (1 + np.exp(-(X @ W + c))), rtol=1e-5, atol=1e-6)
    F = -X @ b - softplus(X @ W + c).sum(axis=1)
    np.testing.assert_allclose(rbm.free_energy(X), F, rtol=1e-9, atol=1e-9)


def test_exact_log_z_and_likelihood_match_enumeration(fitted):
    rbm, X = fitted
    W, b, c = rbm.components_.T, rbm.intercept_visible_, rbm.intercept_hidden_
    # Enumerate the 2^8 hidden states: log Z = logsumexp_h [cᵀh + Σ_i softplus(b_i + (Wh)_i)].
    H = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(float)
    terms = H @ c + softplus(b + H @ W.T).sum(axis=1)
    log_z = np.logaddexp.reduce(terms)
    assert rbm.log_z() == pytest.approx(log_z, rel=1e-12)
    ll = rbm.log_likelihood(X, rbm.log_z())
    assert ll == pytest.approx(np.mean(-rbm.free_energy(X)) - log_z, rel=1e-12)
    # Training made the data more likely than under the untrained (zero-weight) model.
    assert ll > -16 * np.log(2)


def test_training_is_seeded_and_pickles(fitted):
    rbm, X = fitted
    again = ebdm.RBM(8, learning_rate=0.05, batch_size=10, n_iter=30, random_state=3).fit(X)
    np.testing.assert_array_equal(again.components_, rbm.components_)
    clone = pickle.loads(pickle.dumps(rbm))
    np.testing.assert_array_equal(clone.components_, rbm.components_)
    np.testing.assert_array_equal(clone.transform(X), rbm.transform(X))
    assert len(rbm.history["epoch"]) == 30
    assert rbm.score_samples(X, seed=1).shape == (len(X),)
    v = rbm.gibbs(X[:5], steps=3, seed=2)
    assert v.shape == (5, 16) and set(np.unique(v)) <= {0.0, 1.0}


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ebdm.RBM(0), "n_components"),
        (lambda: ebdm.RBM(4, learning_rate=-1.0), "learning_rate"),
        (lambda: ebdm.RBM(4, algorithm="gibbs"), "algorithm"),
        (lambda: ebdm.RBM(4).fit(np.array([[0.0, np.nan]])), "NaN"),
        (lambda: ebdm.RBM(4).fit(np.array([[0.0, 2.0]])), r"\[0, 1\]"),
        (lambda: ebdm.RBM(4).transform(np.zeros((2, 3))), "not fitted"),
        (lambda: ebdm.RBM(4, n_iter=1).fit(np.zeros((4, 3))).transform(np.zeros((2, 5))), "visible"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def two_clusters(rows=400, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[3.0, -1.0], [-1.0, 2.0]])
    return centres[np.arange(rows) % 2] + rng.normal(size=(rows, 2)) * np.array([0.4, 0.9])


def test_gaussian_rbm_density_is_normalised_in_data_units():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(4.0, 0.5, 200), rng.normal(7.0, 0.5, 200)])[:, None]
    g = ebdm.GaussianBernoulliRBM(3, learning_rate=0.02, batch_size=20, n_iter=40, algorithm="cd").fit(x)
    grid = np.linspace(-10, 22, 6001)
    dens = np.exp([g.log_likelihood(np.array([[v]])) for v in grid])
    assert np.trapezoid(dens, grid) == pytest.approx(1.0, abs=1e-6)
    # The fitted density prefers the data to a shifted copy.
    assert g.log_likelihood(x) > g.log_likelihood(x + 3.0)


def test_gaussian_rbm_learned_sigma_fits_better_and_pickles():
    X = two_clusters()
    fixed = ebdm.GaussianBernoulliRBM(4, learning_rate=0.05, batch_size=20, n_iter=60, algorithm="cd",
                                      random_state=2).fit(X)
    learned = ebdm.GaussianBernoulliRBM(4, learning_rate=0.05, batch_size=20, n_iter=60, algorithm="cd",
                                        learn_sigma=True, sigma_learning_rate=0.005, random_state=2).fit(X)
    assert learned.log_likelihood(X) > fixed.log_likelihood(X)
    assert np.all(learned.sigma_ < 1.0) and np.all(fixed.sigma_ == 1.0)
    clone = pickle.loads(pickle.dumps(learned))
    np.testing.assert_array_equal(clone.transform(X), learned.transform(X))
    assert clone.log_likelihood(X) == learned.log_likelihood(X)
    assert learned.transform(X).shape == (len(X), 4)
    assert learned.gibbs(X[:3], steps=5, seed=1).shape == (3, 2)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ebdm.GaussianBernoulliRBM(0), "n_components"),
        (lambda: ebdm.GaussianBernoulliRBM(2, algorithm="pt"), "algorithm"),
        (lambda: ebdm.GaussianBernoulliRBM(2, learning_rate=0.0), "learning_rate"),
        (lambda: ebdm.GaussianBernoulliRBM(2).fit(np.array([[0.0, np.nan]])), "NaN"),
        (lambda: ebdm.GaussianBernoulliRBM(2).transform(np.zeros((2, 3))), "not fitted"),
        (lambda: ebdm.GaussianBernoulliRBM(2, n_iter=1).fit(two_clusters(10)).transform(np.zeros((2, 5))), "visible"),
    ],
)
def test_gaussian_rbm_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bernoulli_rbm_is_a_scikit_learn_estimator():
    X = bars()
    est = ebdm.BernoulliRBM(8, learning_rate=0.05, n_iter=5, random_state=1)
    assert est.get_params()["n_components"] == 8
    assert est.set_params(n_iter=6).n_iter == 6
    H = est.fit_transform(X)
    direct = ebdm.RBM(8, learning_rate=0.05, n_iter=6, random_state=1).fit(X)
    np.testing.assert_array_equal(H, direct.transform(X))
    with pytest.raises(ValueError, match="invalid parameter"):
        est.set_params(n_hidden=3)
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    y = (X[:, :4].sum(axis=1) > 2).astype(int)
    pipe = Pipeline([("rbm", clone(est)), ("clf", LogisticRegression())]).fit(X, y)
    assert pipe.score(X, y) > 0.5 and "BernoulliRBM" in repr(pipe)
    del sklearn
