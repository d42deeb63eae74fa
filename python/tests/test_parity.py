"""The command line and Python give bit-identical results for the same seed: retrieval,
MaxCut, RBM training and a Lasso solve run through the same library calls."""

import json
import pathlib
import subprocess

import numpy as np

import ebdm
from test_reproduce import ROOT, cli_binary

MNIST = ROOT / "data" / "mnist"
G1 = ROOT / "data" / "gset" / "G1.txt"


def run(*args):
    return subprocess.run([str(cli_binary()), "--quiet", *map(str, args)], check=True, capture_output=True, text=True)


def test_retrieval(tmp_path):
    p = ebdm.random_patterns(6, 120, seed=2)
    src = tmp_path / "p.txt"
    src.write_text("\n".join(" ".join(str(int(v)) for v in row) for row in p) + "\n")
    out = tmp_path / "states.npy"
    run("--seed", 7, "memory", "retrieve", "--patterns", src, "--rho", 0.25, "--mode", "glauber", "--beta", 2,
        "--out", out)
    cues = ebdm.corrupt(p, 0.25, seed=7)
    got = ebdm.Hopfield(p).retrieve(cues, mode="glauber", beta=2.0, seed=7)
    assert np.array_equal(np.load(out), np.array([r.state for r in got]))
    # One cue alone is cue 0 of the batch.
    assert np.array_equal(ebdm.Hopfield(p).retrieve(cues[0], mode="glauber", beta=2.0, seed=7).state, got[0].state)


def test_maxcut(tmp_path):
    res = json.loads(run("--seed", 3, "maxcut", G1, "--solver", "dsb", "--replicas", 4, "--steps", 300,
                         "--json", "-").stdout)
    n, edges = ebdm.read_gset(G1)
    py = ebdm.maxcut(edges, n, solver="dsb", replicas=4, steps=300, seed=3)
    assert res["cut"] == py["cut"]
    assert np.array_equal(np.asarray(res["spins"]), np.asarray(py["spins"]))


def test_maxcut_defaults_agree(tmp_path):
    # Left to their defaults (solver, replicas, steps), both front ends run the same solve.
    rng = np.random.default_rng(0)
    pairs = [(i, j) for i in range(1, 61) for j in range(i + 1, 61) if rng.random() < 0.2]
    graph = tmp_path / "g.txt"
    graph.write_text(f"60 {len(pairs)}\n" + "".join(f"{i} {j} 1\n" for i, j in pairs))
    res = json.loads(run("--seed", 5, "maxcut", graph, "--json", "-").stdout)
    n, edges = ebdm.read_gset(graph)
    py = ebdm.maxcut(edges, n, seed=5)
    assert res["solver"]["name"] == "sa"
    assert res["cut"] == py["cut"]
    assert np.array_equal(np.asarray(res["spins"]), np.asarray(py["spins"]))


def test_rbm_training(tmp_path):
    out = tmp_path / "rbm"
    run("--seed", 4, "--threads", 1, "boltzmann", "train", "--data", MNIST, "--limit", 300, "--hidden", 12, "--lr", 0.05,
        "--batch", 20, "--chains", 20, "--epochs", 2, "--out", out)
    model = json.loads((out / "model.json").read_text())["model"]
    images = ebdm.data.read_mnist_images(MNIST / "t10k-images-idx3-ubyte.gz")
    x = (images.reshape(len(images), -1) > 127).astype(np.float64)
    train = x[np.arange(len(x)) % 5 != 4][:300]
    rbm = ebdm.RBM(12, learning_rate=0.05, batch_size=20, n_iter=2, random_state=4, sklearn_compat=False,
                   chains=20, monitor_samples=500).fit(train, threads=1)
    w = np.asarray(model["w"]).reshape(model["visible"], model["hidden"])
    assert np.array_equal(w.T, rbm.components_)


def test_lasso_solve(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 60))
    y = X[:, :5] @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.1 * rng.standard_normal(40)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "w.npy"
    run("proximal", "lasso", "--data", tmp_path / "X.npy", "--target", tmp_path / "y.npy", "--lambda", 0.1,
        "--solver", "fista", "--restart", "--out", out)
    py = ebdm.sparse.lasso(X, y, lam=0.1, solver="fista", restart=True)
    assert np.array_equal(np.load(out).ravel(), np.asarray(py.x).ravel())
