"""The registry of acceptance experiments from Python: listing, running, and the same numbers
as the command line for the same seed."""

import csv
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import ebdm

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cli_binary():
    """The ebdm binary built by `cargo test` or `cargo build` in this checkout."""
    env = os.environ.get("EBDM_BIN")
    if env:
        return pathlib.Path(env)
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "ebdm"
        if path.exists():
            return path
    pytest.skip("no ebdm binary in target/ (run cargo build -p ebdm-cli)")


def test_lists_every_namespaced_id():
    items = ebdm.list_experiments()
    ids = [e["id"] for e in items]
    assert len(ids) == 37 and len(set(ids)) == 37
    assert {"memory/E1", "memory/E10", "proximal/A15", "ising/E9", "boltzmann/X4", "chaos/E5"} <= set(ids)
    for e in items:
        assert e["family"] == e["id"].split("/")[0] and e["title"] and e["cost"]


def test_runs_an_experiment_into_plain_data():
    r = ebdm.reproduce("proximal/A9")
    assert r["id"] == "proximal/A9" and r["passed"] and not r["interrupted"]
    assert all(set(c) == {"name", "expected", "measured", "pass"} for c in r["checks"])
    fig = r["figures"][0]
    assert fig["kind"] == "chart" and fig["series"][0]["points"]
    json.dumps(r)  # plain data throughout


def test_tables_are_dicts_of_columns():
    r = ebdm.reproduce("memory/E2", seed=1)
    cells = r["tables"]["recall_cells"]
    lengths = {len(v) for v in cells.values()}
    assert len(lengths) == 1 and lengths.pop() > 0
    assert "gaussian_theory" in cells


def test_unknown_ids_and_missing_data_are_named_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown experiment `memory/E99`"):
        ebdm.reproduce("memory/E99")
    with pytest.raises(FileNotFoundError, match="mnist"):
        ebdm.reproduce("proximal/A11", data=tmp_path)


def test_same_seed_same_numbers_as_the_command_line(tmp_path):
    binary = cli_binary()
    subprocess.run(
        [str(binary), "--seed", "3", "--quiet", "reproduce", "memory/E2", "--out", str(tmp_path)],
        check=True,
    )
    out = tmp_path / "memory_E2"
    summary = json.loads((out / "summary.json").read_text())
    py = ebdm.reproduce("memory/E2", seed=3, threads=1)
    assert [c["measured"] for c in py["checks"]] == [c["measured"] for c in summary["checks"]]
    with open(out / "recall_networks.csv") as f:
        rows = list(csv.DictReader(f))
    table = py["tables"]["recall_networks"]
    assert [float(r["fraction_fixed"]) for r in rows] == table["fraction_fixed"]
    assert all(r["seed"] == "3" for r in rows)


def test_sizes_beyond_the_machine_are_memory_errors():
    with pytest.raises(MemoryError, match="`neurons` too large"):
        ebdm.Hopfield(np.ones((2, 300000)))
    with pytest.raises(ValueError, match="`patterns`: K·N = 1000000·1000000 values are too many"):
        ebdm.random_patterns(1_000_000, 1_000_000, seed=0)
    with pytest.raises(MemoryError, match="`hidden` too large"):
        ebdm.RBM(n_components=10**11).fit(np.zeros((4, 3)))
    with pytest.raises(MemoryError, match="`neurons` too large"):
        ebdm.experiments.capacity(neurons=[10**8], trials=1)
