"""A sweep on a Dask cluster: recall of the Hebb and Storkey rules across loads.

    python python/examples/sweep_dask.py                       # a local cluster of 2 processes
    python python/examples/sweep_dask.py tcp://scheduler:8786  # an existing cluster

Runs examples/sweeps/recall.toml (160 tasks), one Dask task per sweep task, writing records to
results/sweeps/hopfield-recall/ as they finish (run it again after an interruption: finished
tasks are skipped), merges them, and prints the fraction of patterns recalled exactly per rule
and load. The merged file is byte-identical to `ebdm sweep run` + `ebdm sweep merge` on the same
file, in one process or as shards.
"""

import collections
import pathlib
import sys

from distributed import Client, LocalCluster

import ebdm.sweep as sw

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main():
    sweep = sw.load(ROOT / "examples" / "sweeps" / "recall.toml")
    if len(sys.argv) > 1:
        client = Client(sys.argv[1])
    else:
        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
    with client:
        r = sw.run(sweep, client=client)
    print(f"{r['ran']} tasks run on Dask, {r['left']} left; merged into {sw.merge(sweep)}")
    neurons = sweep.spec["fixed"]["neurons"]
    recall = collections.defaultdict(list)
    for rec in sw.records(sw.merge(sweep)):
        p = rec["params"]
        recall[(p["rule"], p["patterns"])].append(rec["result"]["exact_recall"])
    loads = sorted({k[1] for k in recall})
    print("exact recall (mean over networks) at load α = P/N, N =", neurons)
    print("rule     " + " ".join(f"{p / neurons:6.3f}" for p in loads))
    for rule in ("hebb", "storkey"):
        print(f"{rule:8} " + " ".join(f"{sum(recall[rule, p]) / len(recall[rule, p]):6.3f}" for p in loads))


if __name__ == "__main__":
    main()
