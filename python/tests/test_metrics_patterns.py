"""Pattern generation, corruption and metrics."""

import numpy as np
import pytest

import ebdm
from ebdm import metrics


def test_random_patterns_are_seeded_and_bipolar():
    a = ebdm.random_patterns(7, 300, seed=4)
    assert a.shape == (7, 300) and a.dtype == np.int8
    assert set(np.unique(a)) == {-1, 1}
    np.testing.assert_array_equal(a, ebdm.random_patterns(7, 300, seed=4))
    assert not np.array_equal(a, ebdm.random_patterns(7, 300, seed=5))
    assert abs(a.mean()) < 0.1
    assert ebdm.random_patterns(0, 5).shape == (0, 5)
    with pytest.raises(ValueError, match="too many"):
        ebdm.random_patterns(2**40, 2**40)


def test_corrupt_flips_exactly_floor_rho_n():
    p = ebdm.random_patterns(3, 1000, seed=1)
    c = ebdm.corrupt(p[0], 0.237, seed=2)
    assert c.dtype == np.int8 and int((c != p[0]).sum()) == 237
    np.testing.assert_array_equal(c, ebdm.corrupt(p[0], 0.237, seed=2))
    batch = ebdm.corrupt(p, 0.1, seed=2)
    assert batch.shape == p.shape
    assert list((batch != p).sum(axis=1)) == [100, 100, 100]
    np.testing.assert_array_equal(batch[0], ebdm.corrupt(p[0], 0.1, seed=2))
    np.testing.assert_array_equal(ebdm.corrupt(p[0], 0.0), p[0])
    with pytest.raises(ValueError, match="rho"):
        ebdm.corrupt(p[0], 1.5)
    with pytest.raises(ValueError, match="value 0 is not ±1"):
        ebdm.corrupt([1, 0, 1], 0.1)


def test_overlap_error_rate_and_exact_recall():
    a = np.array([1, -1, 1, 1], dtype=np.int8)
    b = np.array([1, 1, 1, -1])
    assert metrics.overlap(a, b) == 0.0
    assert metrics.bit_error_rate(a, b) == 0.5
    assert metrics.exact_recall(a, a) is True
    assert metrics.exact_recall(a, b) is False
    batch = np.stack([a, -a, b])
    np.testing.assert_array_equal(metrics.overlap(batch, a), [1.0, -1.0, 0.0])
    np.testing.assert_array_equal(metrics.overlap(a, batch), [1.0, -1.0, 0.0])
    np.testing.assert_array_equal(metrics.overlap(batch, batch), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(metrics.exact_recall(batch, a), [True, False, False])
    np.testing.assert_array_equal(metrics.bit_error_rate(batch, a), [0.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="lengths 4 and 3"):
        metrics.overlap(a, [1, 1, 1])
    with pytest.raises(ValueError, match="cannot be compared"):
        metrics.overlap([], [])
    with pytest.raises(ValueError, match="row by row"):
        metrics.overlap(batch, batch[:2])


def test_hebbian_stability():
    low = metrics.hebbian_stability(ebdm.random_patterns(5, 400, seed=1))
    assert low == {"bit_fraction": 1.0, "pattern_fraction": 1.0, "all_fixed": True}
    high = ebdm.random_patterns(80, 200, seed=1)
    s = metrics.hebbian_stability(high)
    assert 0.8 < s["bit_fraction"] < 1.0 and not s["all_fixed"]
    net = ebdm.Hopfield(high)
    fixed = np.mean([np.all(net.local_field(x) * x > 1e-12) for x in high])
    assert s["pattern_fraction"] == pytest.approx(fixed)
