"""The binary Hopfield network: retrieval, energy descent, learning rules, batches, errors."""

import math

import numpy as np
import pytest

import ebdm


@pytest.fixture(scope="module")
def stored():
    patterns = ebdm.random_patterns(5, 200, seed=1)
    return patterns, ebdm.Hopfield(patterns)


def test_retrieves_stored_pattern_from_corrupted_cue(stored):
    patterns, net = stored
    for mu in range(len(patterns)):
        cue = ebdm.corrupt(patterns[mu], 0.15, seed=mu)
        assert ebdm.overlap(patterns[mu], cue) == pytest.approx(1 - 2 * 30 / 200)
        out = net.retrieve(cue, seed=mu)
        assert out.status == "fixed-point"
        assert out.converged
        assert out.state.dtype == np.int8
        np.testing.assert_array_equal(out.state, patterns[mu])
        assert ebdm.overlap(patterns[mu], out.state) == 1.0
        assert out.flips >= 30
        assert out.energy == pytest.approx(net.energy(out.state))
        assert out.energy_trace is None
        assert net.is_fixed_point(out.state)


@pytest.mark.parametrize("order", ["unstable", "permutation", "random"])
def test_energy_trace_never_increases(stored, order):
    patterns, net = stored
    cue = ebdm.corrupt(patterns[2], 0.3, seed=7)
    out = net.retrieve(cue, order=order, track_energy=True, max_sweeps=50, seed=3)
    trace = out.energy_trace
    assert isinstance(trace, np.ndarray) and trace.dtype == np.float64
    assert len(trace) == out.sweeps + 1
    assert trace[0] == pytest.approx(net.energy(cue))
    assert trace[-1] == pytest.approx(out.energy)
    assert np.all(np.diff(trace) <= 1e-9 * np.maximum(1.0, np.abs(trace[:-1])))


def test_energy_and_local_field_formulas(stored):
    patterns, net = stored
    w, b = net.weights, net.bias
    assert w.shape == (200, 200) and w.dtype == np.float64
    np.testing.assert_allclose(w, w.T)
    assert np.all(np.diag(w) == 0)
    s = ebdm.corrupt(patterns[0], 0.4, seed=1).astype(np.float64)
    assert net.energy(s) == pytest.approx(-0.5 * s @ w @ s + b @ s)
    np.testing.assert_allclose(net.local_field(s), w @ s - b)
    hebb = patterns.T.astype(float) @ patterns / 200
    np.fill_diagonal(hebb, 0)
    np.testing.assert_allclose(w, hebb, atol=1e-12)


def test_pseudo_inverse_stores_every_pattern_as_fixed_point():
    p = ebdm.random_patterns(45, 50, seed=11)
    pinv = ebdm.Hopfield(p, rule="pinv")
    assert all(pinv.is_fixed_point(x) for x in p)
    # At this load the Hebb rule fails, so the check discriminates.
    hebb = ebdm.Hopfield(p)
    assert not all(hebb.is_fixed_point(x) for x in p)
    # Without the zero diagonal W is the projector: W ξ = ξ.
    proj = ebdm.Hopfield(p, rule="pinv", zero_diagonal=False)
    np.testing.assert_allclose(proj.local_field(p[0]), p[0], atol=1e-9)


def test_storkey_beats_hebb_at_high_load():
    storkey = hebb = 0
    for seed in range(3):
        p = ebdm.random_patterns(20, 100, seed=seed)
        s, h = ebdm.Hopfield(p, rule="storkey"), ebdm.Hopfield(p, rule="hebb")
        storkey += sum(s.is_fixed_point(x) for x in p)
        hebb += sum(h.is_fixed_point(x) for x in p)
    assert storkey > hebb


def test_synchronous_two_cycle_and_glauber():
    net = ebdm.Hopfield.from_weights([[0.0, -1.0], [-1.0, 0.0]])
    out = net.retrieve([1, 1], mode="sync", max_sweeps=10)
    assert out.status == "two-cycle" and out.sweeps == 2
    out = net.retrieve([1, 1])
    assert out.status == "fixed-point" and out.state[0] == -out.state[1]

    p = ebdm.random_patterns(5, 200, seed=21)
    big = ebdm.Hopfield(p)
    cold = big.retrieve(p[0], mode="glauber", beta=50.0, max_sweeps=5)
    hot = big.retrieve(p[0], mode="glauber", beta=0.0, max_sweeps=5)
    assert cold.status == "max-sweeps" and cold.sweeps == 5
    assert ebdm.overlap(p[0], cold.state) > 0.99
    assert abs(ebdm.overlap(p[0], hot.state)) < 0.25


def test_input_dtypes_are_equivalent(stored):
    patterns, net = stored
    for conv in (np.int64, np.float64, np.int32, lambda a: a.tolist()):
        other = ebdm.Hopfield(conv(patterns))
        np.testing.assert_array_equal(other.weights, net.weights)
    cue = ebdm.corrupt(patterns[1], 0.1, seed=4)
    ref = net.retrieve(cue).state
    for conv in (np.int64, np.float64, lambda a: a.tolist(), lambda a: a[::-1].copy()[::-1]):
        np.testing.assert_array_equal(net.retrieve(conv(cue)).state, ref)
    # A non-contiguous view works too.
    wide = np.repeat(cue[None, :], 2, axis=0).T
    np.testing.assert_array_equal(net.retrieve(wide[:, 0]).state, ref)


def test_retrieval_is_dict_like(stored):
    patterns, net = stored
    r = net.retrieve(patterns[0], track_energy=True)
    assert list(r.keys()) == ["state", "status", "sweeps", "flips", "energy", "energy_trace"]
    d = dict(r)
    assert d["status"] == r["status"] == r.status == "fixed-point"
    assert r["sweeps"] == r.sweeps == 1 and r.flips == 0
    assert set(r.to_dict()) == set(r.keys()) and len(r) == 6 and "energy" in r
    np.testing.assert_array_equal(d["state"], patterns[0])
    with pytest.raises(KeyError):
        r["nope"]
    assert "fixed-point" in repr(r)


def test_batch_is_deterministic_and_independent_of_threads():
    p = ebdm.random_patterns(12, 150, seed=5)
    net = ebdm.Hopfield(p)
    cues = ebdm.corrupt(np.repeat(p[:4], 8, axis=0), 0.3, seed=9)  # 32 cues
    kw = dict(order="random", max_sweeps=30, seed=42, track_energy=True)
    runs = [net.retrieve(cues, threads=t, **kw) for t in (1, 2, 3)]
    runs.append(net.retrieve(cues, **kw))
    assert all(isinstance(r, list) and len(r) == 32 for r in runs)

    def key(results):
        return [(r.state.tobytes(), r.status, r.sweeps, r.flips, r.energy,
                 r.energy_trace.tobytes()) for r in results]

    first = key(runs[0])
    assert all(key(r) == first for r in runs[1:])
    # Cue i draws from stream (seed, i): a lone cue equals row 0, other rows differ by stream.
    lone = net.retrieve(cues[0], **kw)
    assert key([lone]) == first[:1]
    other_seed = key(net.retrieve(cues, threads=2, **{**kw, "seed": 43}))
    assert other_seed != first
    assert net.retrieve(cues[:0]) == []


def test_from_weights_and_bias():
    w = np.array([[0.0, 1.0], [1.0, 0.0]])
    net = ebdm.Hopfield.from_weights(w, bias=[0.5, -0.5])
    assert net.neurons == 2 and net.is_symmetric
    np.testing.assert_array_equal(net.bias, [0.5, -0.5])
    # E = -1/2 s'Ws + b's
    assert net.energy([1, 1]) == pytest.approx(-1.0 + 0.0)
    assert net.energy([1, -1]) == pytest.approx(1.0 + 1.0)
    net.bias = 2.0
    np.testing.assert_array_equal(net.bias, [2.0, 2.0])
    net.bias = np.array([0.0, 3.0])
    np.testing.assert_array_equal(net.local_field([1, 1]), [1.0, -2.0])
    with pytest.raises(ValueError, match="bias has length 3"):
        net.bias = [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="bias"):
        net.bias = [math.nan, 0.0]
    assert not ebdm.Hopfield.from_weights([[0.0, 1.0], [0.0, 0.0]]).is_symmetric
    assert "Hopfield(neurons=2" in repr(net)


def test_ragged_patterns_are_refused():
    with pytest.raises(ValueError, match="pattern 1 has length 3 but pattern 0 has length 4"):
        ebdm.Hopfield([[1, -1, 1, 1], [1, 1, -1]])


def test_non_bipolar_values_are_named():
    p = np.ones((3, 10))
    p[2, 7] = 0.5
    with pytest.raises(ValueError, match=r"pattern 2, component 7: value 0\.5 is not ±1"):
        ebdm.Hopfield(p)
    q = np.ones((2, 4), dtype=np.int8)
    q[1, 3] = 3
    with pytest.raises(ValueError, match="pattern 1, component 3: value 3 is not ±1"):
        ebdm.Hopfield(q)
    with pytest.raises(ValueError, match="value 0 is not ±1"):
        ebdm.Hopfield(np.zeros((1, 4), dtype=np.int64))
    with pytest.raises(ValueError, match="NaN is not ±1"):
        ebdm.Hopfield([[1.0, math.nan]])
    net = ebdm.Hopfield(np.ones((1, 4)))
    with pytest.raises(ValueError, match="component 2: value 0 is not ±1"):
        net.retrieve([1, 1, 0, 1])
    with pytest.raises(ValueError, match="pattern 1, component 0: value 2 is not ±1"):
        net.retrieve([[1, 1, 1, 1], [2, 1, 1, 1]])
    with pytest.raises(ValueError, match="value 5 is not ±1"):
        net.energy([1, 1, 5, 1])


def test_empty_networks_are_refused():
    with pytest.raises(ValueError, match="N must be at least 1"):
        ebdm.Hopfield(np.ones((3, 0)))
    with pytest.raises(ValueError, match="N must be at least 1"):
        ebdm.Hopfield([])
    with pytest.raises(ValueError, match="at least one pattern"):
        ebdm.Hopfield(np.ones((0, 5)))
    with pytest.raises(ValueError, match="N must be at least 1"):
        ebdm.Hopfield.from_weights(np.zeros((0, 0)))
    with pytest.raises(ValueError, match="N must be at least 1"):
        ebdm.random_patterns(3, 0)


def test_bad_parameters_are_value_errors(stored):
    patterns, net = stored
    cue = patterns[0]
    with pytest.raises(ValueError, match="beta.*must be finite and >= 0, got NaN"):
        net.retrieve(cue, mode="glauber", beta=math.nan)
    with pytest.raises(ValueError, match="beta.*got -1"):
        net.retrieve(cue, mode="glauber", beta=-1.0)
    with pytest.raises(ValueError, match="beta.*required"):
        net.retrieve(cue, mode="glauber")
    with pytest.raises(ValueError, match="beta.*applies only"):
        net.retrieve(cue, beta=math.nan)
    with pytest.raises(ValueError, match="order.*applies only"):
        net.retrieve(cue, mode="sync", order="random")
    with pytest.raises(ValueError, match="unknown order `sideways`"):
        net.retrieve(cue, order="sideways")
    with pytest.raises(ValueError, match="unknown update mode"):
        net.retrieve(cue, mode="chaotic")
    with pytest.raises(ValueError, match="max_sweeps"):
        net.retrieve(cue, max_sweeps=0)
    with pytest.raises(ValueError, match="threads"):
        net.retrieve(patterns, threads=0)
    with pytest.raises(ValueError, match="cue has length 199 but the network has 200 neurons"):
        net.retrieve(cue[1:])
    with pytest.raises(ValueError, match="1-D or 2-D"):
        net.retrieve(np.ones((2, 2, 200)))
    with pytest.raises(ValueError, match="unknown learning rule `oja`"):
        ebdm.Hopfield(patterns, rule="oja")
    with pytest.raises(ValueError, match="linearly dependent"):
        ebdm.Hopfield([[1, 1, 1], [1, 1, 1]], rule="pinv")
    with pytest.raises(ValueError, match="must be square"):
        ebdm.Hopfield.from_weights(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="weights.*finite"):
        ebdm.Hopfield.from_weights([[math.inf]])
