"""Summarise `ebdm maxcut --json -` lines: best and median cut per (instance, solver), gap %."""
import json
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
meta = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    key = (d["instance"]["name"], d["solver"]["name"])
    rows[key].append(d)
    meta[d["instance"]["name"]] = d["instance"]

solvers = sorted({k[1] for k in rows})
print("| instance | n | best known | " + " | ".join(f"{s} best | {s} median (gap %)" for s in solvers) + " |")
print("|---|---|---|" + "---|---|" * len(solvers))
for name in sorted(meta, key=lambda x: int(x[1:])):
    inst = meta[name]
    bk = inst.get("best_known")
    cells = []
    for s in solvers:
        cuts = [d["cut"] for d in rows[(name, s)]]
        if not cuts:
            cells += ["", ""]
            continue
        best, med = max(cuts), statistics.median(cuts)
        gap = f" ({100 * (bk - med) / bk:.2f})" if bk else ""
        cells += [f"{best:.0f}", f"{med:.0f}{gap}"]
    print(f"| {name} | {inst['n']} | {bk if bk is None else int(bk)} | " + " | ".join(cells) + " |")
