"""Dense associative memories (ebdm.DenseAM) and the E4/E6 experiments."""

import copy
import math
import pickle

import numpy as np
import pytest

import ebdm
from ebdm import experiments


def test_poly3_retrieves_beyond_n_patterns():
    n, k = 100, 300
    p = ebdm.random_patterns(k, n, seed=1)
    am = ebdm.DenseAM(p, separation="poly:3")
    assert (am.neurons, am.count) == (n, k)
    assert am.separation == "poly:3" and am.update == "exact"
    assert am.patterns.dtype == np.int8 and am.patterns.tobytes() == np.asarray(p, np.int8).tobytes()
    cue = ebdm.corrupt(p[5], 0.1, seed=2)
    r = am.retrieve(cue, seed=0)
    assert isinstance(r, ebdm.DenseRetrieval)
    assert r.converged and not r.interrupted and r.status == "fixed-point"
    assert np.array_equal(r.state, p[5]) and r.state.dtype == np.int8
    assert r.flips >= 10 and r.flips % 2 == 0 and r.sweeps >= 2  # 10 bits were flipped in the cue
    assert r.energy == pytest.approx(am.energy(r.state))
    assert r.energy_trace is None
    assert set(r) == set(r.keys()) == {"state", "converged", "interrupted", "sweeps", "flips", "energy",
                                        "energy_trace"}
    assert len(r) == 7 and "flips" in r and r["flips"] == r.flips
    assert r.to_dict()["converged"] is True
    with pytest.raises(KeyError):
        r["status"]
    # The stored patterns are one-step fixed points at this load.
    assert am.one_step_errors(p[5]) == 0
    assert not am.unstable_bits(p[5]).any()


def test_batch_is_parallel_and_thread_independent():
    p = ebdm.random_patterns(300, 100, seed=1)
    am = ebdm.DenseAM(p)
    cues = np.stack([ebdm.corrupt(p[i], 0.1, seed=10 + i) for i in range(16)])
    one = am.retrieve(cues, seed=3, threads=1)
    two = am.retrieve(cues, seed=3, threads=2)
    assert isinstance(one, list) and len(one) == 16
    assert [r.state.tobytes() for r in one] == [r.state.tobytes() for r in two]
    assert sum(np.array_equal(r.state, p[i]) for i, r in enumerate(one)) >= 14
    single = am.retrieve(cues[0], seed=3)
    assert single.state.tobytes() == one[0].state.tobytes() and single.flips == one[0].flips


@pytest.mark.parametrize("separation", ["poly:2", "poly:3", "rep:4", "exp", "lse:0.3"])
def test_energy_trace_never_increases(separation):
    p = ebdm.random_patterns(40, 30, seed=7)
    am = ebdm.DenseAM(p, separation=separation)
    cue = ebdm.corrupt(p[0], 0.3, seed=8)
    r = am.retrieve(cue, max_sweeps=50, seed=1, track_energy=True)
    tr = r.energy_trace
    assert tr.dtype == np.float64 and len(tr) == r.sweeps + 1
    assert np.all(np.isfinite(tr))
    assert np.all(np.diff(tr) <= 1e-9 * np.maximum(np.abs(tr[:-1]), 1.0))
    assert tr[0] == pytest.approx(am.energy(cue)) and tr[-1] == pytest.approx(r.energy)
    assert r.converged and not am.unstable_bits(r.state).any()


def test_reported_energy_table():
    p = ebdm.random_patterns(9, 14, seed=3)
    s = ebdm.random_patterns(1, 14, seed=4)[0]
    a = (p.astype(np.int64) @ s.astype(np.int64)).astype(float)
    cases = {
        "poly:3": -np.sum((a / 14) ** 3),
        "rep:2": -np.sum(np.maximum(a / 14, 0) ** 2),
        "exp": -math.log(np.sum(np.exp(a))),
        "lse:0.5": -math.log(np.sum(np.exp(0.5 * a))) / 0.5,
    }
    for separation, want in cases.items():
        am = ebdm.DenseAM(p, separation=separation)
        assert np.array_equal(am.overlaps(s), a.astype(np.int32)) and am.overlaps(s).dtype == np.int32
        assert am.energy(s) == pytest.approx(want, rel=1e-12)


def test_exponential_memory_is_finite_far_beyond_n():
    n, k = 32, 20000
    p = ebdm.random_patterns(k, n, seed=5)
    am = ebdm.DenseAM(p, separation="exp")
    for mu in range(10):
        e = am.energy(p[mu])
        assert math.isfinite(e) and e < -n + 1e-9
        assert am.one_step_errors(p[mu]) == 0
    cue = ebdm.corrupt(p[2], 0.1, seed=6)
    r = am.retrieve(cue)
    assert np.array_equal(r.state, p[2]) and math.isfinite(r.energy)
    # A very sharp log-sum-exp does not overflow either.
    big = ebdm.DenseAM(ebdm.random_patterns(20, 500, seed=7), separation="lse", beta=400.0)
    assert big.separation == "lse:400"
    assert math.isfinite(big.energy(big.patterns[0]))


def test_keyword_separation_and_gradient_sign():
    p = ebdm.random_patterns(30, 40, seed=2)
    assert ebdm.DenseAM(p, separation="poly", degree=4).separation == "poly:4"
    assert ebdm.DenseAM(p, separation="rep", degree=2).separation == "rep:2"
    assert ebdm.DenseAM(p, separation="lse", beta=0.5).separation == "lse:0.5"
    g = ebdm.DenseAM(p, separation="poly:3", update="gradient-sign")
    assert g.update == "gradient-sign"
    assert ebdm.DenseAM(p, update="gradient_sign").update == "gradient-sign"
    r = g.retrieve(ebdm.corrupt(p[1], 0.1, seed=3))
    assert r.state.shape == (40,)
    # For the exponential separations the gradient-sign rule is the exact rule.
    cue = ebdm.corrupt(p[0], 0.3, seed=4)
    for sep in ("exp", "lse:0.7"):
        a = ebdm.DenseAM(p, separation=sep).retrieve(cue, seed=9, track_energy=True)
        b = ebdm.DenseAM(p, separation=sep, update="gradient-sign").retrieve(cue, seed=9, track_energy=True)
        assert a.state.tobytes() == b.state.tobytes() and a.energy_trace.tobytes() == b.energy_trace.tobytes()


def test_pickle_round_trip():
    p = ebdm.random_patterns(50, 24, seed=11)
    for sep, update in [("poly:3", "exact"), ("rep:5", "gradient-sign"), ("exp", "exact"), ("lse:0.1", "exact")]:
        am = ebdm.DenseAM(p, separation=sep, update=update)
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(am, protocol=protocol))
            assert isinstance(back, ebdm.DenseAM)
            assert (back.separation, back.update) == (am.separation, am.update)
            assert back.patterns.tobytes() == am.patterns.tobytes()
        cue = ebdm.corrupt(p[3], 0.2, seed=1)
        x, y = am.retrieve(cue, seed=5), back.retrieve(cue, seed=5)
        assert x.state.tobytes() == y.state.tobytes() and x.energy == y.energy
        assert copy.deepcopy(am).separation == sep
    assert repr(am) == "DenseAM(neurons=24, patterns=50, separation='lse:0.1', update='exact')"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(separation="poly:1"), "degree"),
        (dict(separation="rep:0"), "degree"),
        (dict(separation="lse:-1"), "beta"),
        (dict(separation="lse:nan"), "beta"),
        (dict(separation="cubic"), "unknown separation"),
        (dict(separation="poly"), "needs a degree"),
        (dict(separation="poly:x"), "whole number"),
        (dict(separation="poly", degree=1), "degree"),
        (dict(separation="lse", beta=0.0), "beta"),
        (dict(separation="poly:3", degree=3), "already has a parameter"),
        (dict(separation="exp", beta=2.0), "applies only to lse"),
        (dict(separation="lse", degree=3), "applies only to poly"),
        (dict(update="sideways"), "unknown update"),
    ],
)
def test_bad_parameters_raise_value_error(kwargs, match):
    p = ebdm.random_patterns(5, 10, seed=0)
    with pytest.raises(ValueError, match=match):
        ebdm.DenseAM(p, **kwargs)


def test_bad_inputs_raise_value_error():
    with pytest.raises(ValueError, match="pattern 1 has length 2"):
        ebdm.DenseAM([[1, -1, 1], [1, 1]])
    with pytest.raises(ValueError, match="pattern 0, component 1"):
        ebdm.DenseAM([[1, 0.5, 1]])
    with pytest.raises(ValueError, match="at least one pattern"):
        ebdm.DenseAM(np.zeros((0, 5)))
    am = ebdm.DenseAM(ebdm.random_patterns(5, 10, seed=0))
    with pytest.raises(ValueError, match="cue has length 9 but the network has 10 neurons"):
        am.retrieve(np.ones(9))
    with pytest.raises(ValueError, match="cue has length 11"):
        am.retrieve(np.ones((3, 11)))
    with pytest.raises(ValueError):
        am.retrieve(np.zeros(10))
    for method in (am.energy, am.overlaps, am.unstable_bits, am.one_step_errors):
        with pytest.raises(ValueError, match="state has length 9"):
            method(np.ones(9))
    with pytest.raises(ValueError, match="threads"):
        am.retrieve(np.ones((2, 10)), threads=0)


def test_dense_snr_small_run():
    kw = dict(grid=[(3, 60, [300, 600]), (4, 30, [500])], tests=40, networks=2, seed=1)
    r = experiments.dense_snr(threads=1, **kw)
    cells = r["cells"]
    assert list(cells) == ["degree", "neurons", "patterns", "tests", "measured", "theory", "tolerance", "pass"]
    assert cells["degree"] == [3, 3, 4] and cells["patterns"] == [300, 600, 500]
    assert cells["tests"] == [80, 80, 80]
    assert all(0.0 <= m <= 0.5 for m in cells["measured"])
    assert cells["theory"][0] < cells["theory"][1]
    assert len(r["checks"]) == 3 and r["passed"] == all(c["pass"] for c in r["checks"])
    assert r["interrupted"] is False
    assert r["config"] == {"grid": [[3, 60, [300, 600]], [4, 30, [500]]], "tests": 40, "networks": 2}
    assert experiments.dense_snr(threads=2, **kw)["cells"] == cells
    with pytest.raises(ValueError, match="tests"):
        experiments.dense_snr(grid=[(3, 50, [100])], tests=0)
    with pytest.raises(ValueError, match="degree"):
        experiments.dense_snr(grid=[(1, 50, [100])], tests=5, networks=1)


def test_dense_exp_small_run():
    kw = dict(neurons=[16, 24], log_loads=[0.2, 0.3, 0.6], tests=30, max_patterns=20000, seed=2)
    r = experiments.dense_exp(threads=1, **kw)
    cells = r["cells"]
    assert list(cells) == ["neurons", "log_load", "patterns", "tests", "stable_fraction", "se", "energies_finite"]
    # N=24, α=0.6 gives K = e^14.4 ≈ 1.8e6 > max_patterns: skipped.
    assert cells["neurons"] == [16, 16, 16, 24, 24]
    assert cells["patterns"] == [round(math.exp(a * n)) for n, a in zip(cells["neurons"], cells["log_load"])]
    assert all(cells["energies_finite"])
    assert cells["stable_fraction"][3:] == [1.0, 1.0]
    assert cells["stable_fraction"][2] < 0.6
    assert r["passed"] and r["interrupted"] is False
    assert r["config"] == {
        "neurons": [16, 24],
        "log_loads": [0.2, 0.3, 0.6],
        "tests": 30,
        "max_patterns": 20000,
        "basin_rhos": [0.1, 0.2],
        "basin_tests": 30,
        "basin_max_patterns": 50000,
    }
    basin = r["basin"]
    assert list(basin)[:4] == ["neurons", "log_load", "patterns", "rho"]
    assert len(basin["rho"]) == 2 * 5 and all(0.0 <= p <= 1.0 for p in basin["p_retrieved"])
    assert experiments.dense_exp(threads=2, **kw)["cells"] == cells
    with pytest.raises(ValueError, match="log_loads"):
        experiments.dense_exp(neurons=[16], log_loads=[-0.1], tests=5)
