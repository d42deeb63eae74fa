#!/usr/bin/env python3
"""One epoch of RBM training, ebdm vs scikit-learn BernoulliRBM, side by side.

Settings (spec boltzmann.md, T1): Fashion-MNIST train (60,000 images binarised at > 127),
500 hidden units, batch 100, PCD-1, learning rate 0.1, one epoch, float32, 2 threads.
ebdm runs `rbm train --sklearn-compat` (the same algorithm: PCD-1 with batch-size chains
started at zero, even slices in data order). Repetitions are interleaved; medians and the
ratio ebdm / sklearn are printed, with the stochastic pseudo-likelihood of both models on the
Fashion test set as a sanity check.

    python3 bench/boltzmann/sklearn_epoch.py --ebdm target/release/ebdm [--reps 3] [--threads 2]

The sklearn side runs in a worker subprocess of --python (default /work/venvs/bench-rbm/bin/python).
"""

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from machine import cpu_model  # noqa: E402

WORKER = r"""
import gzip, json, os, sys, time
import numpy as np
from sklearn.neural_network import BernoulliRBM
from threadpoolctl import threadpool_info

def load(path, offset):
    with gzip.open(path, 'rb') as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

data, seed, lr = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
X = (load(os.path.join(data, 'train-images-idx3-ubyte.gz'), 16).reshape(-1, 784) > 127).astype(np.float32)
T = (load(os.path.join(data, 't10k-images-idx3-ubyte.gz'), 16).reshape(-1, 784) > 127).astype(np.float32)
rbm = BernoulliRBM(n_components=500, learning_rate=lr, batch_size=100, n_iter=1, random_state=seed, verbose=0)
w0, c0 = time.perf_counter(), time.process_time()
rbm.fit(X)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
pl = float(np.mean(rbm.score_samples(T)))
blas = [{k: i.get(k) for k in ('internal_api', 'num_threads', 'architecture', 'version')} for i in threadpool_info()]
print(json.dumps({'wall_s': wall, 'cpu_s': cpu, 'test_stochastic_pl': pl, 'threadpools': blas}))
"""


def run_sklearn(python, data, seed, lr, threads):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    out = subprocess.run([python, "-c", WORKER, data, str(seed), str(lr)], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ebdm(binary, data, seed, lr, threads, workdir):
    out = os.path.join(workdir, f"ebdm-{seed}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    subprocess.run([binary, "--quiet", "--threads", str(threads), "--seed", str(seed), "boltzmann", "train",
                    "--data", data, "--hidden", "500", "--algo", "pcd", "--k", "1", "--batch", "100",
                    "--lr", str(lr), "--epochs", "1", "--sklearn-compat", "--precision", "f32",
                    "--monitor", "0", "--out", out], check=True)
    process_wall = time.perf_counter() - w0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    ev = subprocess.run([binary, "--quiet", "--seed", str(seed), "boltzmann", "eval", "--model",
                         os.path.join(out, "model.json"), "--data", data, "--logz", "none",
                         "--pl-samples", "200"], check=True, capture_output=True, text=True)
    pl = json.loads(ev.stdout)["pseudo_likelihood_stochastic"]
    return {"epoch_wall_s": summary["seconds_per_epoch"][0], "process_wall_s": process_wall,
            "process_cpu_s": cpu, "test_stochastic_pl": pl}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ebdm", default="target/release/ebdm")
    ap.add_argument("--python", default="/work/venvs/bench-rbm/bin/python")
    ap.add_argument("--data", default="../shared/data/fashion-mnist")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--json-out")
    a = ap.parse_args()
    rows = {"ebdm": [], "sklearn": []}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(1, a.reps + 1):
            rows["sklearn"].append(run_sklearn(a.python, a.data, rep, a.lr, a.threads))
            rows["ebdm"].append(run_ebdm(a.ebdm, a.data, rep, a.lr, a.threads, tmp))
            print(f"rep {rep}: sklearn {rows['sklearn'][-1]['wall_s']:.2f} s wall / "
                  f"{rows['sklearn'][-1]['cpu_s']:.2f} s CPU; ebdm epoch {rows['ebdm'][-1]['epoch_wall_s']:.2f} s wall, "
                  f"whole process {rows['ebdm'][-1]['process_wall_s']:.2f} s wall / "
                  f"{rows['ebdm'][-1]['process_cpu_s']:.2f} s CPU", flush=True)
    med = lambda xs: statistics.median(xs)  # noqa: E731
    sk_wall = med([r["wall_s"] for r in rows["sklearn"]])
    sk_cpu = med([r["cpu_s"] for r in rows["sklearn"]])
    eb_epoch = med([r["epoch_wall_s"] for r in rows["ebdm"]])
    eb_wall = med([r["process_wall_s"] for r in rows["ebdm"]])
    eb_cpu = med([r["process_cpu_s"] for r in rows["ebdm"]])
    result = {
        "cpu": cpu_model(), "load_avg": os.getloadavg(), "threads": a.threads, "reps": a.reps,
        "sklearn_fit_wall_s": sk_wall, "sklearn_fit_cpu_s": sk_cpu,
        "ebdm_epoch_wall_s": eb_epoch, "ebdm_process_wall_s": eb_wall, "ebdm_process_cpu_s": eb_cpu,
        "ratio_epoch_wall": eb_epoch / sk_wall, "ratio_process_wall": eb_wall / sk_wall,
        "ratio_cpu": eb_cpu / sk_cpu,
        "sklearn_test_stochastic_pl": [r["test_stochastic_pl"] for r in rows["sklearn"]],
        "ebdm_test_stochastic_pl": [r["test_stochastic_pl"] for r in rows["ebdm"]],
        "threadpools": rows["sklearn"][0]["threadpools"],
        "runs": rows,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
    print(f"\n| | sklearn fit | ebdm epoch | ebdm whole process | ratio (epoch) | ratio (process) |")
    print(f"|---|---:|---:|---:|---:|---:|")
    print(f"| wall s | {sk_wall:.2f} | {eb_epoch:.2f} | {eb_wall:.2f} | {eb_epoch / sk_wall:.3f} | {eb_wall / sk_wall:.3f} |")
    print(f"| CPU s | {sk_cpu:.2f} | | {eb_cpu:.2f} | | {eb_cpu / sk_cpu:.3f} |")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
