#!/usr/bin/env python3
"""Prints the tables of a results file written by `bench/run.py` as Markdown: the machine, the
command, the table of targets, and per time-to-solution target the grid of both sides.

    python3 bench/report.py bench/results/20261207T162618Z.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import fmt_time, table  # noqa: E402


def tts_tables(runs: list[dict]) -> str:
    out = []
    for run in runs:
        if run.get("impl") != "paired" or "paired" not in run:
            continue
        sides = run["paired"]
        first = next(iter(sides.values()))["summary"]
        out.append(f"**{run['target']}**, target cut {first['target']:.0f} (best known {first['best_known']:.0f}):\n")
        out.append("| side | budget (reads × sweeps) | calls | hits | mean call (wall) | mean call (CPU) | "
                   "TTS(99 %) | 95 % interval | best cut |")
        out.append("|---|---|---:|---:|---:|---:|---:|---|---:|")
        for name, side in sides.items():
            s = side["summary"]
            best = s["best"]["budget"] if s["best"] else None
            for g in s["grid"]:
                lo, hi = g["tts99_ci_s"]
                mark = " **(min)**" if g["budget"] == best else ""
                out.append(f"| {name} | {g['budget']}{mark} | {g['calls']} | {g['hits']} | {fmt_time(g['t_call_s'])} | "
                           f"{fmt_time(g['t_call_cpu_s'])} | {fmt_time(g['tts99_s'])} | {fmt_time(lo)} – {fmt_time(hi)} | "
                           f"{g['best_cut']:.0f} |")
            for b in s["skipped"]:
                out.append(f"| {name} | {b} | – | – | – | – | skipped: 20 calls exceed the cap | | |")
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="a .jsonl file written by bench/run.py")
    a = ap.parse_args(argv)
    try:
        with open(a.results) as f:
            recs = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as exc:
        sys.exit(f"error: cannot read {a.results}: {exc}")
    machine = next((r for r in recs if r.get("type") == "machine"), None)
    if machine is None:
        sys.exit(f"error: {a.results} has no machine line; is it a results file of bench/run.py?")
    v = machine.get("versions", {})
    pools = v.get("threadpools")
    blas = ", ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, {p.get('num_threads')} threads)"
                     for p in pools if p.get("internal_api") == "openblas") if isinstance(pools, list) else "?"
    print(f"Machine: {machine['cpu']}, {machine['logical_cpus']} logical CPUs, {machine.get('memory_gib', '?')} GiB, "
          f"flags {' '.join(machine['flags'])}; Linux {machine['kernel']}. Python {v.get('python')}, numpy "
          f"{v.get('numpy')}, scikit-learn {v.get('sklearn')}, dwave-samplers {v.get('dwave.samplers')}, BLAS {blas}. "
          f"Commit {str(machine['commit'])[:10]}{' (with changes)' if machine.get('dirty') else ''}, "
          f"{machine['threads']} threads, started {machine['utc']}.\n")
    print(f"Command: `{machine['command']}`\n")
    rows = [r for r in recs if r.get("type") == "target"]
    print(table(rows))
    runs = [r for r in recs if r.get("type") == "run"]
    discarded = sum(1 for r in runs if r.get("kept") is False)
    print(f"\n{len(runs)} worker runs, {discarded} discarded for load; largest foreign load of a kept run per target: "
          + ", ".join(f"{r['target']} {r['max_foreign_load']:.2f}" for r in rows if "max_foreign_load" in r) + ".\n")
    agreements = [f"- {r['target']}: {r['agreement']}" for r in rows if r.get("agreement")]
    if agreements:
        print("Agreement of the results:\n")
        print("\n".join(agreements) + "\n")
    tts = tts_tables(runs)
    if tts:
        print(tts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
