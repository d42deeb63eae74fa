"""The modern continuous Hopfield network: ebdm.retrieve, ebdm.ModernHopfield, modern_table."""

import copy
import math
import pickle

import numpy as np
import pytest

import ebdm
from ebdm import experiments


def np_update(patterns, queries, beta):
    """One update softmax(β Q Xᵀ) X in double precision, with the row maximum shifted out."""
    x = np.asarray(patterns, dtype=np.float64)
    q = np.atleast_2d(np.asarray(queries, dtype=np.float64))
    z = beta * (q @ x.T)
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    out = p @ x
    return out if np.ndim(queries) == 2 else out[0]


def np_energy(patterns, q, beta):
    x = np.asarray(patterns, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    z = x @ q
    m = z.max()
    lse = m + math.log(np.exp(beta * (z - m)).sum()) / beta
    return -lse + 0.5 * q @ q + math.log(len(x)) / beta + 0.5 * (x * x).sum(axis=1).max()


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 32)).astype(np.float32)
    q = rng.normal(size=(70, 32)).astype(np.float32)
    return x, q


@pytest.mark.parametrize("beta", [0.05, 0.3, 1.0])
def test_one_update_matches_numpy(data, beta):
    x, q = data
    want = np_update(x, q, beta)
    net = ebdm.ModernHopfield(x)
    for got in (ebdm.retrieve(x, q, beta), net.retrieve(q, beta),
                ebdm.retrieve(x.astype(np.float64), q.astype(np.float64), beta)):
        assert got.shape == q.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    # Single queries: shape (N,), and the same values as the batch row.
    for i in (0, 33, 69):
        one = ebdm.retrieve(x, q[i], beta)
        assert one.shape == (32,) and one.dtype == np.float32
        np.testing.assert_allclose(one, want[i], atol=1e-5, rtol=0)
        np.testing.assert_array_equal(net.retrieve(q[i], beta), one)
    # Lists, other dtypes and non-contiguous arrays are accepted.
    np.testing.assert_allclose(ebdm.retrieve(x.tolist(), q[0].tolist(), beta), want[0], atol=1e-5, rtol=0)
    wide = np.repeat(x, 2, axis=1)[:, ::2]
    assert not wide.flags.c_contiguous
    np.testing.assert_allclose(ebdm.retrieve(wide, q, beta), want, atol=1e-5, rtol=0)
    ints = np.rint(x * 3).astype(np.int32)
    np.testing.assert_allclose(ebdm.retrieve(ints, q, beta), np_update(ints, q, beta), atol=1e-4, rtol=0)


def test_batch_of_one_and_thread_independence(data):
    x, q = data
    b = ebdm.retrieve(x, q[:1], 0.5, steps=3)
    assert b.shape == (1, 32)
    np.testing.assert_array_equal(b[0], ebdm.retrieve(x, q[0], 0.5, steps=3))
    big = np.tile(q, (3, 1))
    one = ebdm.retrieve(x, big, 0.5, steps=4, threads=1)
    two = ebdm.retrieve(x, big, 0.5, steps=4, threads=2)
    assert one.tobytes() == two.tobytes()


def test_several_steps_compose(data):
    x, q = data
    net = ebdm.ModernHopfield(x)
    twice = net.retrieve(net.retrieve(q, 0.4), 0.4)
    np.testing.assert_allclose(net.retrieve(q, 0.4, steps=2), twice, atol=1e-6, rtol=0)


def test_energy_trace_is_non_increasing(data):
    x, q = data
    net = ebdm.ModernHopfield(x)
    for beta in (0.05, 0.3, 2.0):
        states, energies = ebdm.retrieve(x, q, beta, steps=10, return_energy=True)
        assert states.shape == q.shape
        assert energies.shape == (70, 11) and energies.dtype == np.float64
        rise = np.diff(energies, axis=1) / np.maximum(np.abs(energies[:, :-1]), 1.0)
        assert rise.max() <= 1e-6
        assert np.all(np.diff(energies, axis=1).sum(axis=1) < 0)
        # The first and last entries are the energies of the query and of the final state.
        for i in (0, 69):
            assert energies[i, 0] == pytest.approx(np_energy(x, q[i], beta), rel=1e-9, abs=1e-9)
            assert energies[i, -1] == pytest.approx(net.energy(states[i], beta), rel=1e-12)
        s1, e1 = net.retrieve(q[5], beta, steps=10, return_energy=True)
        assert s1.shape == (32,) and e1.shape == (11,)
        np.testing.assert_allclose(e1, energies[5], rtol=1e-6)
    assert net.energy(q, 0.3).shape == (70,)
    assert isinstance(net.energy(q[0], 0.3), float)


def test_eps_stops_early():
    rng = np.random.default_rng(1)
    x = np.sign(rng.normal(size=(20, 64))).astype(np.float32)
    q = x[4] * 0.9
    s, e = ebdm.retrieve(x, q, 5.0, steps=50, eps=1e-4, return_energy=True)
    assert 2 <= len(e) < 51
    np.testing.assert_allclose(s, x[4], atol=1e-4)
    s_all, e_all = ebdm.retrieve(x, q, 5.0, steps=50, return_energy=True)
    assert len(e_all) == 51
    # eps=0 never stops before a zero move.
    assert len(ebdm.retrieve(x, rng.normal(size=64), 0.01, steps=5, eps=0.0, return_energy=True)[1]) == 6
    # A batch whose chunks stop at different steps repeats each row's last energy.
    qs = np.vstack([np.tile(x[4] * 0.9, (64, 1)), rng.normal(size=(10, 64)) * 0.1])
    _, eb = ebdm.retrieve(x, qs, 0.05, steps=30, eps=1e-3, return_energy=True)
    assert eb.shape[0] == 74 and np.all(np.isfinite(eb))
    assert eb[-1, -1] == eb[-1, -2]
    assert np.all(np.diff(eb, axis=1) <= 1e-9 * np.maximum(np.abs(eb[:, :-1]), 1.0))


def test_small_beta_gives_the_mean_and_large_beta_the_pattern():
    rng = np.random.default_rng(2)
    x = np.sign(rng.normal(size=(30, 64))).astype(np.float32)
    q = x[2].copy()
    q[:12] *= -1
    mean = x.astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(ebdm.retrieve(x, q, 1e-6), mean, atol=1e-3, rtol=0)
    got = ebdm.retrieve(x, q, 1.0, steps=3)
    np.testing.assert_allclose(got, x[2], atol=1e-4, rtol=0)
    np.testing.assert_array_equal(np.sign(got), x[2])


def test_classify_and_weights():
    rng = np.random.default_rng(3)
    x = np.sign(rng.normal(size=(30, 64))).astype(np.float32)
    net = ebdm.ModernHopfield(x)
    w = net.weights(x[7], 0.2)
    assert w.shape == (30,) and w.dtype == np.float64
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(w, np_softmax(0.2 * (x.astype(np.float64) @ x[7])), atol=1e-12)
    assert net.weights(x[:4], 0.2).shape == (4, 30)

    single = net.classify(net.retrieve(x[7], 1.0, steps=3), 1.0)
    assert single["kind"] == "single-pattern" and single["index"] == 7
    assert 0.99 <= single["weight"] <= 1.0
    avg = net.classify(ebdm.retrieve(x, x[7], 1e-6), 1e-6)
    assert avg["kind"] == "global-average" and avg["effective_patterns"] >= 0.9 * 30
    kinds = net.classify(x[:3] * 0.0 + x[:3], 1.0)
    assert isinstance(kinds, list) and [k["index"] for k in kinds] == [0, 1, 2]

    # Five patterns close to one centre plus distant random ones: at moderate β the fixed point
    # from the centre averages the cluster.
    centre = ebdm.random_patterns(1, 128, seed=6)[0]
    cluster = [ebdm.corrupt(centre, 0.03, seed=10 + i) for i in range(5)]
    others = ebdm.random_patterns(20, 128, seed=7)
    meta_net = ebdm.ModernHopfield(np.vstack(cluster + [others]))
    state = meta_net.retrieve(centre, 0.1, steps=50, eps=1e-6)
    meta = meta_net.classify(state, 0.1)
    assert meta["kind"] == "metastable", meta
    assert 2.0 <= meta["effective_patterns"] <= 8.0 and 0 <= meta["top_index"] <= 4
    sharp = meta_net.classify(meta_net.retrieve(cluster[3], 5.0, steps=50, eps=1e-6), 5.0)
    assert sharp["kind"] == "single-pattern" and sharp["index"] == 3


def np_softmax(z):
    z = z - z.max()
    p = np.exp(z)
    return p / p.sum()


def test_properties_and_pickle(data):
    x, q = data
    net = ebdm.ModernHopfield(x.astype(np.float64))
    assert net.count == 50 and net.neurons == 32
    p = net.patterns
    assert p.dtype == np.float32 and p.shape == (50, 32) and p.tobytes() == x.tobytes()
    p[0, 0] = 99.0
    assert net.patterns[0, 0] == x[0, 0]
    assert "ModernHopfield" in repr(net)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(net, protocol=protocol))
        assert isinstance(back, ebdm.ModernHopfield)
        assert back.patterns.tobytes() == net.patterns.tobytes()
        a, b = net.retrieve(q, 0.3, steps=2), back.retrieve(q, 0.3, steps=2)
        assert a.tobytes() == b.tobytes()
    assert copy.deepcopy(net).patterns.tobytes() == x.tobytes()
    one = ebdm.ModernHopfield(x[0])
    assert one.count == 1 and one.neurons == 32


def test_bad_inputs_raise_value_error(data):
    x, q = data
    net = ebdm.ModernHopfield(x)
    bad_calls = [
        lambda: ebdm.retrieve(x, q, 0.0),
        lambda: ebdm.retrieve(x, q, -1.0),
        lambda: ebdm.retrieve(x, q, float("nan")),
        lambda: ebdm.retrieve(x, q, float("inf")),
        lambda: ebdm.retrieve(x, q, 1.0, steps=0),
        lambda: ebdm.retrieve(x, q, 1.0, steps=-3),
        lambda: ebdm.retrieve(x, q, 1.0, eps=-1e-3),
        lambda: ebdm.retrieve(x, q, 1.0, eps=float("nan")),
        lambda: ebdm.retrieve(x, q[:, :31], 1.0),
        lambda: ebdm.retrieve(x, q[:2].reshape(4, 16), 1.0),
        lambda: ebdm.retrieve(x, q[0, :31], 1.0),
        lambda: ebdm.retrieve(np.zeros((0, 32), np.float32), q, 1.0),
        lambda: ebdm.retrieve(np.where(x > 2, np.nan, x), q, 1.0),
        lambda: ebdm.retrieve(x, np.where(q > 2, np.nan, q), 1.0),
        lambda: ebdm.retrieve(x, np.zeros((2, 2, 32)), 1.0),
        lambda: ebdm.retrieve(x, [[1.0] * 32, [1.0] * 31], 1.0),
        lambda: ebdm.ModernHopfield(np.zeros((0, 4))),
        lambda: ebdm.ModernHopfield([[1.0, float("nan")]]),
        lambda: net.retrieve(q, 0.0),
        lambda: net.retrieve(q, 1.0, steps=0),
        lambda: net.retrieve(q[:, :30], 1.0),
        lambda: net.retrieve(np.full(32, np.inf), 1.0),
        lambda: net.energy(q[0, :31], 1.0),
        lambda: net.energy(q[0], 0.0),
        lambda: net.weights(q[0], -2.0),
        lambda: net.weights(np.full(32, np.nan), 1.0),
        lambda: net.classify(q[0, :5], 1.0),
    ]
    for i, call in enumerate(bad_calls):
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"call {i} did not raise")
    with pytest.raises(ValueError, match="beta"):
        ebdm.retrieve(x, q, 0.0)
    with pytest.raises(ValueError, match="steps"):
        net.retrieve(q, 1.0, steps=0)
    with pytest.raises(ValueError, match="at least one pattern"):
        ebdm.retrieve(np.zeros((0, 32)), q, 1.0)
    with pytest.raises(ValueError, match="not finite"):
        ebdm.retrieve(np.where(x > 2, np.nan, x), q, 1.0)
    with pytest.raises(ValueError, match="width"):
        ebdm.retrieve(x, q[:, :31], 1.0)


def test_huge_beta_and_scores_stay_finite():
    rng = np.random.default_rng(4)
    x = (np.sign(rng.normal(size=(40, 32))) * 100).astype(np.float32)
    s, e = ebdm.retrieve(x, x[:3], 1e3, steps=2, return_energy=True)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(e))


def test_modern_table_small_run():
    r = experiments.modern_table(seeds=1, energy_steps=0)
    assert r["interrupted"] is False
    assert list(r["rows"]) == ["seed", "rho", "beta", "success"]
    assert len(r["rows"]["success"]) == 9
    cells = r["cells"]
    assert len(cells["mean"]) == 9 and {"rho", "beta", "sd", "pass", "reference_mean"} <= set(cells)
    for rho, mean in zip(cells["rho"], cells["mean"]):
        if rho == 0.2:
            assert mean == 100.0
    assert r["config"]["seeds"] == 1 and r["config"]["energy_steps"] == 0
    assert r["config"]["rhos"] == [0.2, 0.3, 0.4] and r["config"]["betas"] == [0.05, 0.2, 1.0]
    for c in r["checks"]:
        assert set(c) == {"name", "expected", "measured", "pass"}
    assert r["passed"] == all(c["pass"] for c in r["checks"])
    small = experiments.modern_table(dim=64, patterns=32, rhos=[0.1], betas=[0.5], seeds=2,
                                     energy_steps=3, seed=5, threads=1)
    assert small["rows"]["seed"] == [0, 1]
    assert any("energy" in c["name"] for c in small["checks"])
    assert all(c["pass"] for c in small["checks"] if "energy" in c["name"] or "average" in c["name"])
    again = experiments.modern_table(dim=64, patterns=32, rhos=[0.1], betas=[0.5], seeds=2,
                                     energy_steps=3, seed=5, threads=2)
    assert again["rows"] == small["rows"]
