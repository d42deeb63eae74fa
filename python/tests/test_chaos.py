"""The mean-field theories from Python: the reference tables, numpy out, the same numbers as
the command line, errors."""

import json
import subprocess

import numpy as np
import pytest

import ebdm.chaos as ch

from test_reproduce import cli_binary


def test_dmft_reproduces_the_reference_values_and_returns_the_autocorrelation():
    r = ch.dmft(1.5)
    assert abs(r["c0"] - 0.74769) < 1e-4 and abs(r["phi2"] - 0.34209) < 1e-4
    assert abs(r["lambda_max"] - 0.04675) < 1e-3
    tau, c = r["tau"], r["c"]
    assert isinstance(tau, np.ndarray) and tau.shape == c.shape and c[0] == r["c0"]
    assert abs(np.interp(2.0, tau, c) / r["c0"] - 0.9441) < 1e-3
    quiet = ch.dmft(0.6)
    assert quiet["c0"] == 0.0 and abs(quiet["lambda_max"] + 0.4) < 1e-12


def test_static_theory_and_the_elliptic_resolvent():
    s = ch.static_fixed_points(0.84, gamma=0.5)
    assert abs(s["c"] - 0.2231) < 1e-3 and abs(s["r_int"] - 1.1219) < 1e-3 and s["converged"]
    below = ch.static_fixed_points(0.6, gamma=0.5)
    assert abs(below["r_int"] - ch.resolvent(0.6, 0.5)) < 1e-6
    assert ch.critical_gain(0.5) == pytest.approx(2 / 3)


def test_noise_moves_the_transition_above_local_expansiveness():
    chaotic, expansive = ch.noise_transitions(1.0)
    assert expansive < chaotic
    assert abs(ch.dmft(chaotic, sigma=1.0)["lambda_max"]) < 2e-3


def test_the_command_line_gives_the_same_numbers():
    out = subprocess.run([str(cli_binary()), "-q", "chaos", "dmft", "--g", "1.5,3", "--json", "-"],
                         check=True, capture_output=True, text=True).stdout
    rows = json.loads(out)["results"]
    for row, g in zip(rows, (1.5, 3.0)):
        r = ch.dmft(g)
        assert (row["c0"], row["lambda_max"]) == (r["c0"], r["lambda_max"])


def test_bad_parameters_raise_value_errors():
    with pytest.raises(ValueError, match="`g`"):
        ch.dmft(0.0)
    with pytest.raises(ValueError, match="`sigma`"):
        ch.dmft(1.5, sigma=-1.0)
    with pytest.raises(ValueError, match="`gamma`"):
        ch.static_fixed_points(1.0, gamma=2.0)
    with pytest.raises(ValueError, match="`response`"):
        ch.static_fixed_points(1.0, response="exact")
    with pytest.raises(ValueError, match="`g`"):
        ch.dmft(float("nan"))


def test_lyapunov_exponents_per_network_match_the_command_line():
    r = ch.lyapunov(100, 2.0, networks=2, seed=3, transient=20.0, time=300.0, twin=True, threads=1)
    assert r["lambda"].shape == (2,) and r["twin"].shape == (2,) and r["mean_square"].shape == (2,)
    assert abs(r["lambda"].mean() - r["twin"].mean()) < 0.03
    again = ch.lyapunov(100, 2.0, networks=2, seed=3, transient=20.0, time=300.0, threads=2)
    assert np.array_equal(again["lambda"], r["lambda"]) and again["twin"] is None
    out = subprocess.run([str(cli_binary()), "-q", "--seed", "3", "chaos", "lyapunov", "--n", "100", "--g", "2",
                          "--networks", "2", "--transient", "20", "--time", "300", "--json", "-"],
                         check=True, capture_output=True, text=True).stdout
    cli = [net["lambda"] for net in json.loads(out)["results"][0]["networks"]]
    assert cli == list(r["lambda"])
    with pytest.raises(ValueError, match="`gamma`"):
        ch.lyapunov(10, 1.0, gamma=-2.0)
