"""Sweeps from Python: the same merged bytes in one process, through Dask (a local cluster of
two worker processes), a process pool, Ray, and the command line's shards; resuming; pickling;
errors."""

import concurrent.futures
import json
import os
import pickle
import subprocess

import pytest

import ebdm
import ebdm.sweep as sw

from test_reproduce import cli_binary

SWEEP = """
name = "recall"
study = "memory/recall"
seed = 11
replicates = 2

[fixed]
neurons = 120
flip = 0.15

[grid]
rule = ["hebb", "storkey"]
patterns = [4, 12, 24]
"""


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "recall.toml"
    path.write_text(SWEEP)
    return path


@pytest.fixture(scope="module")
def reference(sweep_file, tmp_path_factory):
    """The sweep run in this process, merged."""
    out = tmp_path_factory.mktemp("local")
    r = sw.run(sweep_file, out, threads=2)
    assert (r["ran"], r["left"]) == (12, 0)
    return open(sw.merge(sweep_file, out), "rb").read()


@pytest.fixture(scope="module")
def dask_client():
    if os.environ.get("EBDM_REQUIRE_DASK") != "1":
        pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_the_sweep_object_describes_its_tasks(sweep_file):
    s = sw.load(sweep_file)
    assert (s.name, s.tasks, s.cells, s.replicates) == ("recall", 12, 6, 2)
    t = s.task(5)
    assert (t["cell"], t["replicate"]) == (2, 1)
    assert t["params"] == {"neurons": 120, "patterns": 24, "rule": "hebb", "flip": 0.15, "max_sweeps": 50}
    assert s.spec["grid"] == {"rule": ["hebb", "storkey"], "patterns": [4, 12, 24]}
    assert {st["id"] for st in sw.list_studies()} >= {"memory/recall", "ising/maxcut", "proximal/recovery"}


def test_merged_results_match_the_command_lines_shards(sweep_file, reference, tmp_path):
    exe = cli_binary()
    for i in (1, 2, 3):
        subprocess.run([str(exe), "-q", "sweep", "run", str(sweep_file), "--out", str(tmp_path), "--shard", f"{i}/3"],
                       check=True)
    subprocess.run([str(exe), "-q", "sweep", "merge", str(sweep_file), "--out", str(tmp_path)], check=True)
    assert (tmp_path / "merged.jsonl").read_bytes() == reference


def test_dask_local_cluster_gives_the_same_bytes(sweep_file, reference, dask_client, tmp_path):
    r = sw.run(sweep_file, tmp_path, client=dask_client)
    assert (r["ran"], r["left"]) == (12, 0)
    assert open(sw.merge(sweep_file, tmp_path), "rb").read() == reference
    # Shards run through Dask and merged give the same bytes too.
    split = tmp_path / "split"
    for i in (1, 2):
        sw.run(sweep_file, split, shard=f"{i}/2", client=dask_client)
    assert open(sw.merge(sweep_file, split), "rb").read() == reference


def test_dask_resumes_a_cut_run_without_redoing_tasks(sweep_file, reference, dask_client, tmp_path):
    s = sw.load(sweep_file)
    file = sw.ShardFile(s, tmp_path)
    for t in (0, 3, 7):
        file.append(sw.run_task(s, t))
    half = sw.run_task(s, 8)
    with open(file.path, "a") as f:
        f.write(half[: len(half) // 2])  # a write cut short by a killed driver
    st = sw.status(s, tmp_path)
    assert (st["done"], st["shards"][0]["partial_tail"]) == (3, True)
    del file
    r = sw.run(s, tmp_path, client=dask_client)
    assert (r["ran"], r["left"]) == (9, 0)
    ids = [rec["task"] for rec in sw.records(r["path"])]
    assert ids[:3] == [0, 3, 7] and sorted(ids) == list(range(12))
    assert open(sw.merge(s, tmp_path), "rb").read() == reference


def test_a_process_pool_gives_the_same_bytes(sweep_file, reference, tmp_path):
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        r = sw.run(sweep_file, tmp_path, executor=pool)
    assert r["ran"] == 12
    assert open(sw.merge(sweep_file, tmp_path), "rb").read() == reference


def test_ray_gives_the_same_bytes(sweep_file, reference, tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
    try:
        r = sw.run(sweep_file, tmp_path, ray=True)
    finally:
        ray.shutdown()
    assert r["ran"] == 12
    assert open(sw.merge(sweep_file, tmp_path), "rb").read() == reference


def test_records_load_and_experiments_run_as_tasks(tmp_path):
    s = sw.Sweep('experiment = "ising/E4"\nseeds = [2, 3]\n[fixed]\nquick = true\n')
    sw.run(s, tmp_path, threads=1)
    recs = sw.records(sw.merge(s, tmp_path))
    assert [r["seed"] for r in recs] == [2, 3]
    direct = ebdm.reproduce("ising/E4", quick=True, seed=3)
    assert recs[1]["result"]["values"] == json.loads(json.dumps(direct["values"]))
    assert recs[1]["result"]["passed"] == direct["passed"]


def test_sweeps_and_results_pickle(sweep_file):
    s = sw.load(sweep_file)
    back = pickle.loads(pickle.dumps(s))
    assert (back.name, back.tasks, back.spec) == (s.name, s.tasks, s.spec)
    line = back.run_task(4)
    assert json.loads(line)["result"] == json.loads(s.run_task(4))["result"]
    p = ebdm.random_patterns(3, 64, seed=1)
    for r in (ebdm.Hopfield(p).retrieve(p[0], track_energy=True), ebdm.DenseAM(p).retrieve(p[1])):
        c = pickle.loads(pickle.dumps(r))
        assert type(c) is type(r) and repr(c) == repr(r)
        for k in r.keys():
            a, b = r[k], c[k]
            assert (a == b).all() if hasattr(a, "shape") else a == b


def test_bad_sweeps_and_shards_raise_value_errors(sweep_file, tmp_path):
    with pytest.raises(ValueError, match="not a valid sweep file"):
        sw.Sweep("study = [")
    with pytest.raises(ValueError, match="unknown experiment `memory/E77`"):
        sw.Sweep('experiment = "memory/E77"')
    with pytest.raises(ValueError, match="unknown parameter `neuron` of study `memory/recall`"):
        sw.Sweep('study = "memory/recall"\n[grid]\nneuron = [3]')
    with pytest.raises(ValueError, match=r"shard `3/2`"):
        sw.run(sweep_file, tmp_path, shard="3/2")
    with pytest.raises(ValueError, match="12 of 12 tasks have no result"):
        sw.merge(sweep_file, tmp_path / "empty")
    with pytest.raises(ValueError, match="at most one of"):
        sw.run(sweep_file, tmp_path, ray=True, executor=object())
    with pytest.raises(FileNotFoundError):
        sw.load(tmp_path / "missing.toml")


def _task_in_child(text):
    return sw.Sweep(text).run_task(0, threads=None)


def test_forked_children_start_their_own_threads():
    # The parent's pools (rayon's global pool included) have no threads in a forked child.
    import multiprocessing

    text = 'study = "memory/recall"\n[fixed]\nneurons = 64\npatterns = 3\n'
    parent = sw.Sweep(text).run_task(0, threads=None)
    sw.Sweep(text).run_task(0, threads=2)
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        child = pool.submit(_task_in_child, text).result(timeout=60)
    assert json.loads(child)["result"] == json.loads(parent)["result"]


def test_command_sweeps_run_programs_on_workers(tmp_path):
    import sys

    text = (f'command = ["{sys.executable}", "-c", "import json; print(json.dumps({{{{\\"y\\": {{x}} * {{x}}, '
            f'\\"seed\\": {{seed}} % 7}}}}))"]\n[grid]\nx = [1, 2, 3]\n')
    s = sw.Sweep(text)
    sw.run(s, tmp_path / "local", threads=2)
    local = open(sw.merge(s, tmp_path / "local"), "rb").read()
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        sw.run(s, tmp_path / "pool", executor=pool)
    assert open(sw.merge(s, tmp_path / "pool"), "rb").read() == local
    recs = sw.records(tmp_path / "local" / "merged.jsonl")
    assert [r["result"]["y"] for r in recs] == [1, 4, 9]
    assert [r["result"]["seed"] for r in recs] == [r["seed"] % 7 for r in recs]
