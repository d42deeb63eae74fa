"""Ising machines and MaxCut from Python: results recounted from the spins, determinism,
exact ground states of a small model, errors."""

import itertools
import pathlib

import numpy as np
import pytest

import ebdm

GSET = pathlib.Path(__file__).resolve().parents[2] / "data" / "gset"


def cut_of(edges, spins):
    i, j, w = edges[:, 0].astype(int), edges[:, 1].astype(int), edges[:, 2]
    return float((w * (spins[i] != spins[j])).sum())


def test_read_gset_and_maxcut_on_g11():
    n, edges = ebdm.read_gset(GSET / "G11.txt")
    assert (n, edges.shape) == (800, (1600, 3))
    assert edges[:, 2].sum() == 34
    r = ebdm.maxcut(edges, n, solver="dsb", replicas=4, steps=500, seed=1)
    assert r["spins"].dtype == np.int8 and r["spins"].shape == (800,)
    assert r["cut"] == cut_of(edges, r["spins"])
    assert r["cut"] == (34 - r["energy"]) / 2
    assert r["stop_reason"] == "max_steps"
    assert r["trace"][-1][1] == r["cut"]
    again = ebdm.maxcut(edges, n, solver="dsb", replicas=4, steps=500, seed=1, threads=1)
    assert np.array_equal(again["spins"], r["spins"])


def test_sbpy2_preset_runs_the_package_schedule():
    n, edges = ebdm.read_gset(GSET / "G11.txt")
    base = ebdm.maxcut(edges, n, solver="dsb", replicas=4, steps=300, seed=2)
    r = ebdm.maxcut(edges, n, solver="dsb", replicas=4, steps=300, seed=2, preset="sbpy2")
    assert r["cut"] == cut_of(edges, r["spins"])
    assert not np.array_equal(r["spins"], base["spins"])
    again = ebdm.maxcut(edges, n, solver="dsb", replicas=4, steps=300, seed=2, preset="sbpy2", threads=1)
    assert np.array_equal(again["spins"], r["spins"])
    same = ebdm.maxcut(edges, n, solver="dsb", replicas=4, steps=300, seed=2, preset="goto2021")
    assert np.array_equal(same["spins"], base["spins"])
    with pytest.raises(ValueError, match="unknown preset `nope`"):
        ebdm.maxcut(edges, n, solver="dsb", preset="nope")
    with pytest.raises(ValueError, match="solver `sa` has no presets"):
        ebdm.solve_ising(np.zeros((2, 2)), solver="sa", preset="sbpy2")


def test_maxcut_bound_lies_above_the_exact_maximum():
    rng = np.random.default_rng(3)
    n = 12
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.5]
    edges = np.array([(i, j, rng.choice([-1.0, 1.0, 2.0])) for i, j in pairs])
    best = max(cut_of(edges, np.array((1,) + s)) for s in itertools.product((1, -1), repeat=n - 1))
    r = ebdm.maxcut(edges, n, solver="sa", replicas=4, steps=200, bound=True)
    assert r["cut"] <= best <= r["upper_bound"] + 1e-9
    assert r["sdp_value"] <= r["upper_bound"] + 1e-9 and r["gw_rounded_cut"] <= best


def test_solve_ising_matches_exhaustive_search():
    rng = np.random.default_rng(0)
    n = 10
    J = np.triu(rng.integers(-3, 4, size=(n, n)).astype(float), 1)
    J = J + J.T
    h = rng.integers(-2, 3, size=n).astype(float)
    best = min(
        -0.5 * s @ J @ s - h @ s + 1.5
        for s in (np.array(v, dtype=float) for v in itertools.product([-1, 1], repeat=n))
    )
    for solver in ["sa", "dsb", "oim"]:
        r = ebdm.solve_ising(J, h, offset=1.5, solver=solver, replicas=16, steps=1000, seed=2)
        s = r["spins"].astype(float)
        assert r["energy"] == pytest.approx(-0.5 * s @ J @ s - h @ s + 1.5, abs=1e-12)
        assert r["energy"] == best


def test_errors_are_value_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("3 1\n1 4 1\n")
    with pytest.raises(ValueError, match="line 2: vertex id 4 out of range"):
        ebdm.read_gset(bad)
    with pytest.raises(ValueError, match="unknown solver"):
        ebdm.solve_ising(np.zeros((2, 2)), solver="nope")
    with pytest.raises(ValueError, match="not symmetric"):
        ebdm.solve_ising(np.array([[0.0, 1.0], [2.0, 0.0]]))
    with pytest.raises(ValueError, match="vertex id"):
        ebdm.maxcut(np.array([[0.0, 5.0, 1.0]]), 3)
    with pytest.raises(FileNotFoundError):
        ebdm.read_gset("/nonexistent/G1.txt")
