"""Pickle and copy support."""

import copy
import pickle

import numpy as np

import ebdm


def test_hopfield_round_trip():
    p = ebdm.random_patterns(4, 60, seed=3)
    for rule in ("hebb", "pinv", "storkey"):
        net = ebdm.Hopfield(p, rule=rule)
        net.bias = np.linspace(-0.1, 0.1, 60)
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(net, protocol=protocol))
            assert isinstance(back, ebdm.Hopfield)
            assert back.weights.tobytes() == net.weights.tobytes()
            assert back.bias.tobytes() == net.bias.tobytes()
            assert back.is_symmetric == net.is_symmetric
        cue = ebdm.corrupt(p[0], 0.2, seed=1)
        a, b = net.retrieve(cue, seed=5), back.retrieve(cue, seed=5)
        assert a.state.tobytes() == b.state.tobytes() and a.energy == b.energy
    clone = copy.deepcopy(net)
    clone.bias = 0.0
    assert np.any(net.bias != 0.0)


def test_graded_round_trip():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(6, 6))
    t = (t + t.T) / 3
    for activation in ("tanh", "logistic"):
        net = ebdm.GradedHopfield(t, gain=2.5, activation=activation,
                                  R=rng.random(6) + 0.5, C=rng.random(6) + 0.5, I=rng.normal(size=6))
        back = pickle.loads(pickle.dumps(net))
        assert isinstance(back, ebdm.GradedHopfield)
        assert back.activation == activation and back.gain == 2.5
        for name in ("couplings", "R", "C", "I"):
            assert getattr(back, name).tobytes() == getattr(net, name).tobytes()
        u0 = rng.normal(size=6)
        ua, _, ea = net.integrate(u0, 1.0)
        ub, _, eb = back.integrate(u0, 1.0)
        assert ua.tobytes() == ub.tobytes() and ea.tobytes() == eb.tobytes()
    assert copy.copy(net).couplings.tobytes() == net.couplings.tobytes()
