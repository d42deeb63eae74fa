"""Quick runs of the acceptance experiments (small sizes; the whole file takes a few seconds)."""

import pytest

from ebdm import experiments


def assert_table(columns, length=None):
    assert isinstance(columns, dict) and columns
    lengths = {len(v) for v in columns.values()}
    assert len(lengths) == 1
    if length is not None:
        assert lengths == {length}
    assert all(isinstance(v, list) for v in columns.values())


def assert_checks(result):
    assert isinstance(result["checks"], list)
    for c in result["checks"]:
        assert set(c) == {"name", "expected", "measured", "pass"}
    assert result["passed"] == all(c["pass"] for c in result["checks"])
    assert result["interrupted"] is False


def test_capacity_quick_run_and_thread_independence():
    kw = dict(neurons=[200, 400], alphas=[0.05, 0.3], trials=[6, 4], seed=3)
    r = experiments.capacity(threads=1, **kw)
    assert_table(r["rows"], 2 * 6 + 2 * 4)
    assert_table(r["cells"], 4)
    assert list(r["rows"])[:3] == ["neurons", "patterns", "alpha"]
    assert r["cells"]["neurons"] == [200, 200, 400, 400]
    low, high = r["cells"]["mean_overlap"][0], r["cells"]["mean_overlap"][1]
    assert low > 0.98 and high < 0.6
    assert r["alpha50"]["neurons"] == [200, 400]
    assert all(a is None or 0.05 < a < 0.3 for a in r["alpha50"]["alpha50"])
    assert r["fit"] is None or set(r["fit"]) == {"alpha_inf", "c"}
    assert r["config"]["trials"] == [6, 4]
    assert_checks(r)
    again = experiments.capacity(threads=2, **kw)
    assert again["rows"] == r["rows"]
    assert experiments.capacity(threads=1, **{**kw, "seed": 4})["rows"] != r["rows"]
    one_count = experiments.capacity(neurons=[100], alphas=[0.1], trials=3)
    assert_table(one_count["rows"], 3)


def test_recall_quick_run():
    r = experiments.recall(neurons=300, patterns=[10, 40], networks=4, seed=1, threads=2)
    assert_table(r["rows"], 8)
    assert_table(r["cells"], 2)
    assert r["cells"]["patterns"] == [10, 40]
    assert r["cells"]["fraction_fixed"][0] >= r["cells"]["fraction_fixed"][1]
    assert r["mceliece_typical"] == pytest.approx(300 / (2 * __import__("math").log(300)))
    assert_checks(r)


def test_basin_quick_run():
    r = experiments.basin(neurons=200, alphas=[0.05, 0.13], rhos=[0.1, 0.4], trials=6, seed=2)
    assert_table(r["cells"], 4)
    assert list(r["cells"])[0] == "rho"
    assert_table(r["rows"], 24)
    assert r["rho50"]["alpha"] == [0.05, 0.13]
    assert_checks(r)


def test_graded_limit_quick_run():
    r = experiments.graded_limit(neurons=24, patterns=2, seeds=2, steps=40, seed=0)
    assert_table(r["rows"], 2)
    assert r["trace"]["time"][0] == 0.0 and len(r["trace"]["energy"]) == 41
    assert r["checks"][0]["pass"]  # energy non-increasing
    assert_checks(r)


def test_experiment_errors():
    with pytest.raises(ValueError, match="trials.*one per size"):
        experiments.capacity(neurons=[100, 200], alphas=[0.1], trials=[3])
    with pytest.raises(ValueError, match="alphas"):
        experiments.capacity(neurons=[100], alphas=[float("nan")], trials=2)
    with pytest.raises(ValueError, match="neurons"):
        experiments.recall(neurons=0)
    with pytest.raises(ValueError, match="rhos"):
        experiments.basin(neurons=100, rhos=[], trials=2)
    with pytest.raises(ValueError, match="gain"):
        experiments.graded_limit(gain=0.0, seeds=1)
    with pytest.raises(ValueError, match="threads"):
        experiments.recall(neurons=100, patterns=[5], networks=1, threads=0)
