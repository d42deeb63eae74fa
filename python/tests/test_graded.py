"""The graded (continuous-time) Hopfield network."""

import math

import numpy as np
import pytest

import ebdm


def random_net(n, seed, activation="tanh", gain=1.0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(-1, 1, (n, n)) / math.sqrt(n)
    t = (t + t.T) / 2
    np.fill_diagonal(t, 0)
    r = 0.5 + rng.random(n)
    c = 0.5 + rng.random(n)
    i = rng.random(n) - 0.5
    return ebdm.GradedHopfield(t, gain=gain, activation=activation, R=r, C=c, I=i), rng


@pytest.mark.parametrize("method", ["rk4", "euler", "adaptive"])
@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_energy_is_monotone_along_trajectories(method, activation):
    net, rng = random_net(20, 3, activation, gain=3.0)
    u0 = rng.random(20) - 0.5
    # For the adaptive method dt is only the first and largest step.
    dt = 0.5 if method == "adaptive" else 0.01
    u, times, energies = net.integrate(u0, 5.0, dt=dt, method=method)
    assert u.shape == (20,) and times.shape == energies.shape
    assert times[0] == 0.0 and times[-1] == 5.0
    assert np.all(np.diff(times) > 0)
    assert energies[0] == pytest.approx(net.energy(u0))
    assert energies[-1] == pytest.approx(net.energy(u))
    assert np.all(np.diff(energies) <= 1e-10 * np.maximum(1.0, np.abs(energies[:-1])))
    assert energies[-1] < energies[0]
    if method != "adaptive":
        assert len(times) == 501
    else:
        assert 10 <= len(times) < 100
        rk4, _, _ = net.integrate(u0, 5.0, dt=0.001)
        np.testing.assert_allclose(u, rk4, atol=1e-5)


def test_energy_rate_matches_finite_difference_and_is_negative():
    net, rng = random_net(15, 4)
    u = rng.random(15) - 0.5
    rate = net.energy_rate(u)
    h = 1e-5
    a, _, _ = net.integrate(u, h, dt=h)
    fd = (net.energy(a) - net.energy(u)) / h
    assert rate < 0
    assert fd == pytest.approx(rate, rel=1e-3)


def test_outputs_and_properties():
    t = np.array([[0.0, 0.5], [0.5, 0.0]])
    net = ebdm.GradedHopfield(t, gain=2.0, R=2.0, C=[1.0, 3.0])
    np.testing.assert_allclose(net.outputs([0.1, -0.2]), np.tanh(2.0 * np.array([0.1, -0.2])))
    logistic = ebdm.GradedHopfield(t, gain=2.0, activation="logistic")
    np.testing.assert_allclose(logistic.outputs([0.3, -1.0]),
                               1 / (1 + np.exp(-2.0 * np.array([0.3, -1.0]))))
    assert net.neurons == 2 and net.gain == 2.0 and net.activation == "tanh"
    np.testing.assert_array_equal(net.couplings, t)
    np.testing.assert_array_equal(net.R, [2.0, 2.0])
    np.testing.assert_array_equal(net.C, [1.0, 3.0])
    np.testing.assert_array_equal(net.I, [0.0, 0.0])
    assert net.energy([0.0, 0.0]) == 0.0
    assert "GradedHopfield(neurons=2" in repr(net)


def test_graded_errors():
    with pytest.raises(ValueError, match="symmetric"):
        ebdm.GradedHopfield([[0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="gain"):
        ebdm.GradedHopfield([[0.0]], gain=-1.0)
    with pytest.raises(ValueError, match="gain"):
        ebdm.GradedHopfield([[0.0]], gain=math.nan)
    with pytest.raises(ValueError, match="resistance"):
        ebdm.GradedHopfield([[0.0]], R=0.0)
    with pytest.raises(ValueError, match="capacitance has length 2"):
        ebdm.GradedHopfield([[0.0]], C=[1.0, 1.0])
    with pytest.raises(ValueError, match="unknown activation"):
        ebdm.GradedHopfield([[0.0]], activation="relu")
    with pytest.raises(ValueError, match="N must be at least 1"):
        ebdm.GradedHopfield(np.zeros((0, 0)))
    with pytest.raises(ValueError, match="square"):
        ebdm.GradedHopfield(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="row 1 has length 1"):
        ebdm.GradedHopfield([[0.0, 1.0], [1.0]])
    net = ebdm.GradedHopfield(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="u0 has length 2 but the network has 3 neurons"):
        net.integrate([0.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="u has length 4"):
        net.energy_rate([0.0] * 4)
    with pytest.raises(ValueError, match="u0.*finite"):
        net.integrate([0.0, math.nan, 0.0], 1.0)
    with pytest.raises(ValueError, match="dt"):
        net.integrate([0.0] * 3, 1.0, dt=0.0)
    with pytest.raises(ValueError, match="`t`"):
        net.integrate([0.0] * 3, -1.0)
    with pytest.raises(ValueError, match="max_steps"):
        net.integrate([0.0] * 3, 1e9, dt=1e-3)
    with pytest.raises(ValueError, match="unknown method"):
        net.integrate([0.0] * 3, 1.0, method="leapfrog")
    with pytest.raises(ValueError, match="rtol"):
        net.integrate([0.0] * 3, 1.0, method="adaptive", rtol=0.0)
