"""Hierarchical (Lagrangian) memories: energies and gradients against independent numpy
computations, descent along the dynamics, the modern-Hopfield limit, bad input."""

import pickle

import numpy as np
import pytest

import ebdm


def lse(z):
    m = z.max()
    return m + np.log(np.exp(z - m).sum())


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.fixture
def net_and_parts():
    rng = np.random.default_rng(0)
    n, k, beta = 6, 9, 1.7
    xi = rng.normal(size=(k, n)) / np.sqrt(n)
    bias = rng.normal(size=n) * 0.2
    net = ebdm.HierarchicalMemory(
        [
            {"size": n, "lagrangian": "tanh:beta=1.5", "tau": 1.0, "bias": bias},
            {"size": k, "lagrangian": f"softmax:beta={beta}", "tau": 0.5},
        ],
        [(1, 0, xi)],
    )
    return net, xi, bias, beta, rng


def numpy_energy(x, xi, bias, beta, n):
    v, h = x[:n], x[n:]
    g = np.tanh(1.5 * v)
    e_v = v @ g - np.sum(np.log(np.cosh(1.5 * v))) / 1.5 - bias @ g
    f = softmax(beta * h)
    e_h = h @ f - lse(beta * h) / beta
    return e_v + e_h - f @ xi @ g


def test_energy_matches_numpy(net_and_parts):
    net, xi, bias, beta, rng = net_and_parts
    n = xi.shape[1]
    xs = rng.normal(size=(5, net.state_len))
    energies = net.energy(xs)
    assert energies.shape == (5,)
    for x, e in zip(xs, energies):
        assert e == pytest.approx(numpy_energy(x, xi, bias, beta, n), rel=1e-12, abs=1e-12)
    assert isinstance(net.energy(xs[0]), float)


def test_state_gradient_matches_finite_differences(net_and_parts):
    net, xi, bias, beta, rng = net_and_parts
    n = xi.shape[1]
    x = rng.normal(size=net.state_len)
    grad = net.state_gradient(x)
    h = 1e-6
    for i in range(x.size):
        d = np.zeros_like(x)
        d[i] = h
        fd = (numpy_energy(x + d, xi, bias, beta, n) - numpy_energy(x - d, xi, bias, beta, n)) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_activation_gradient_is_x_minus_input(net_and_parts):
    net, xi, bias, beta, rng = net_and_parts
    n = xi.shape[1]
    x = rng.normal(size=net.state_len)
    g = net.activations(x)
    want = np.concatenate([x[:n] - bias - xi.T @ g[n:], x[n:] - xi @ g[:n]])
    np.testing.assert_allclose(net.activation_gradient(x), want, rtol=1e-12, atol=1e-12)
    # The velocity is −(∂E/∂x̂)/τ.
    np.testing.assert_allclose(net.velocity(x), -want / np.array([1.0] * n + [0.5] * (x.size - n)), rtol=1e-12)


def test_relax_descends_in_batches(net_and_parts):
    net, xi, bias, beta, rng = net_and_parts
    xs = rng.normal(size=(40, net.state_len))
    r = net.relax(xs, dt=0.05, steps=3000, tol=1e-8, threads=2)
    assert r["states"].shape == xs.shape
    assert all(r["converged"])
    for e in r["energies"]:
        assert np.all(np.diff(e) <= 1e-12 * np.maximum(1.0, np.abs(e[:-1])))
    # Same result one state at a time and with one thread.
    one = net.relax(xs[3], dt=0.05, steps=3000, tol=1e-8, threads=1)
    np.testing.assert_allclose(one["states"], r["states"][3], atol=1e-12)
    assert one["steps"] == r["steps"][3]


def test_two_layer_softmax_limit_is_the_modern_update():
    rng = np.random.default_rng(1)
    k, n, beta = 30, 16, 0.5
    xi = rng.choice([-1.0, 1.0], size=(k, n))
    net = ebdm.HierarchicalMemory.two_layer(xi, visible="identity", hidden=f"softmax:beta={beta}")
    q = xi[0] * np.where(rng.random(n) < 0.2, -1, 1)
    x = np.concatenate([q, np.zeros(k)])
    stepped = x[:n] + net.velocity(x)[:n]  # one Euler step of size τ_f = 1
    np.testing.assert_allclose(stepped, xi.T @ softmax(beta * (xi @ q)), atol=1e-12)
    modern = ebdm.retrieve(xi.astype(np.float32), q.astype(np.float32), beta, steps=1)
    np.testing.assert_allclose(stepped, modern, atol=1e-5)
    # Settled energy = modern Hopfield energy − ½M² − ln(K)/β.
    mh = ebdm.ModernHopfield(xi.astype(np.float32))
    diff = net.settled_energy(x) - mh.energy(q.astype(np.float32), beta)
    assert diff == pytest.approx(-0.5 * n - np.log(k) / beta, abs=1e-6)


def test_pickle_and_repr(net_and_parts):
    net = net_and_parts[0]
    clone = pickle.loads(pickle.dumps(net))
    x = np.linspace(-1, 1, net.state_len)
    assert clone.energy(x) == net.energy(x)
    assert "tanh" in repr(net) and net.layer_slices == [(0, 6), (6, 15)]


@pytest.mark.parametrize(
    "layers, synapses, needle",
    [
        ([{"size": 3, "lagrangian": "cosh"}], [], "unknown Lagrangian"),
        ([{"size": 3, "lagrangian": "softmax:beta=0"}], [], "beta"),
        ([{"size": 3, "tau": -1.0}], [], "tau"),
        ([{"size": 0}], [], "size 0"),
        ([{"lagrangian": "tanh"}], [], "size"),
        ([{"size": 2}, {"size": 3}], [(1, 0, np.zeros((2, 2)))], "shape"),
        ([{"size": 2}, {"size": 3}], [(1, 5, np.zeros((3, 2)))], "layers"),
        ([{"size": 2}, {"size": 3}], [(1, 0, np.full((3, 2), np.nan))], "finite"),
        ([{"size": 2, "tau": 0.0}], [], "tau"),
        (["not a dict"], [], "dict"),
    ],
)
def test_bad_networks_raise(layers, synapses, needle):
    with pytest.raises(ValueError, match=needle):
        ebdm.HierarchicalMemory(layers, synapses)


def test_bad_states_and_options_raise(net_and_parts):
    net = net_and_parts[0]
    with pytest.raises(ValueError, match="width"):
        net.energy(np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        net.energy(np.full(net.state_len, np.nan))
    with pytest.raises(ValueError, match="dt"):
        net.relax(np.zeros(net.state_len), dt=0.0)
    with pytest.raises(ValueError, match="steps"):
        net.relax(np.zeros(net.state_len), steps=0)
    with pytest.raises(ValueError):
        ebdm.HierarchicalMemory.two_layer(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="input"):
        ebdm.HierarchicalMemory.two_layer(np.ones((2, 4)), input=np.ones(3))
