#!/usr/bin/env python3
"""Reruns every side-by-side benchmark of ebdm against its peers and prints the table of targets.

    python3 bench/run.py                      # every target at full size, results into bench/results/
    python3 bench/run.py --smoke              # tiny sizes, one repetition, no load check (what CI runs)
    python3 bench/run.py --only proximal,memory/retrieve-b1 --reps 7
    python3 bench/run.py --list

`scripts/bench.sh` does the set-up first (the ebdm wheel and the peers in `.venv`). The
harness itself (`bench/harness.py`) explains how a run is timed, when it is discarded for load,
and what the results file holds. Run it on a quiet machine: nothing else compiling or testing.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

FAMILIES = ("memory", "boltzmann", "proximal", "ising", "chaos", "sweep")


def load_targets() -> list[harness.Target]:
    targets = []
    for family in FAMILIES:
        path = os.path.join(HERE, family, "workloads.py")
        spec = importlib.util.spec_from_file_location(f"bench_{family}_workloads", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        targets.extend(mod.TARGETS)
    return targets


def default_data_dir() -> str:
    for cand in (os.environ.get("EBDM_DATA"), os.path.join(harness.ROOT, os.pardir, "shared", "data"),
                 os.path.join(harness.ROOT, "data")):
        if cand and os.path.isdir(cand):
            return os.path.abspath(cand)
    return os.path.join(harness.ROOT, "data")


def select(targets, only: str | None):
    if not only:
        return targets
    keys = [k.strip() for k in only.split(",") if k.strip()]

    def named(t, k):  # a target's full name or its family
        return t.name == k or t.name.startswith(k.rstrip("/") + "/")

    chosen = [t for t in targets if any(named(t, k) for k in keys)]
    unknown = [k for k in keys if not any(named(t, k) for t in targets)]
    if unknown:
        sys.exit(f"error: no target named {', '.join(unknown)} (see --list)")
    return chosen


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, one repetition, load not enforced")
    ap.add_argument("--only", help="comma-separated target names or families (e.g. proximal,memory/capacity)")
    ap.add_argument("--list", action="store_true", help="list the targets and exit")
    ap.add_argument("--reps", type=int, help="interleaved repetitions per target (default: the target's own)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="threads for every implementation (default: all logical CPUs)")
    ap.add_argument("--data", default=None, help="data folder with fashion-mnist/ and gset/ (default: ../shared/data)")
    ap.add_argument("--out", default=None, help="folder for the results file (default: bench/results, "
                                                "or a temporary folder with --smoke)")
    ap.add_argument("--max-foreign", type=float, default=0.1,
                    help="discard a run during which other processes kept more than this many CPUs busy")
    ap.add_argument("--retries", type=int, default=4, help="repeats of a discarded run before the target is refused")
    ap.add_argument("--allow-load", action="store_true", help="keep runs whatever the foreign load (not for results)")
    ap.add_argument("--worker", nargs=2, metavar=("TARGET", "IMPL"), help=argparse.SUPPRESS)
    ap.add_argument("--size", default="full", help=argparse.SUPPRESS)
    ap.add_argument("--versions", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.threads < 1:
        ap.error("--threads must be at least 1")
    if a.reps is not None and a.reps < 1:
        ap.error("--reps must be at least 1")
    data_dir = a.data or default_data_dir()

    if a.versions:
        harness.versions_main()
        return 0
    targets = load_targets()
    by_name = {t.name: t for t in targets}
    if a.worker:
        name, impl = a.worker
        harness.worker_main(by_name[name], impl, a.size, a.threads, data_dir, a.max_foreign, a.retries)
        return 0
    if a.list:
        for t in targets:
            print(f"{t.name:28s} goal {harness.fmt_goal(t.goal):24s} {', '.join(t.impls)}: {t.what}")
        return 0

    chosen = select(targets, a.only)
    opts = harness.Options(size="smoke" if a.smoke else "full", threads=a.threads, reps=a.reps,
                           max_foreign=a.max_foreign, retries=a.retries, data_dir=data_dir,
                           enforce_quiet=not (a.smoke or a.allow_load))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = a.out or (os.path.join(os.environ.get("TMPDIR", "/tmp"), "ebdm-bench") if a.smoke
                        else os.path.join(HERE, "results"))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{stamp}{'-smoke' if a.smoke else ''}.jsonl")
    info = harness.machine(a.threads)
    cmd = "python3 bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"machine: {info['cpu']}, {info['logical_cpus']} logical CPUs, flags {' '.join(info['flags'])}; "
          f"threads {a.threads}; commit {str(info['commit'])[:10]}{' (dirty)' if info['dirty'] else ''}")
    print(f"versions: {json.dumps(info['versions'])}")
    print(f"results: {path}", flush=True)
    rows = []
    t0 = time.time()
    with open(path, "w") as f:
        def sink(rec):
            f.write(json.dumps(rec) + "\n")
            f.flush()

        sink({"type": "machine", "command": cmd.strip(), "utc": stamp, "data": data_dir, **info})
        for t in chosen:
            print(f"{t.name}: {t.what}", flush=True)
            row = harness.run_target(t, opts, sink)
            sink(row)
            rows.append(row)
    print(f"\n{len(rows)} targets in {time.time() - t0:.0f} s; {cmd.strip()}\n")
    print(harness.table(rows))
    failed = [r for r in rows if r["status"].startswith(("error", "results differ"))]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
