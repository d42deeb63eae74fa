"""Spec experiment E9, second half: ebdm's dense-memory energies against the reference classes
of the amtutorial tutorial (`PolynomialDenseAM`, `ExponentialDenseAM`) on a 16 x 64 example.

The classes are defined in the tutorial's dense-storage page, not in the `amtutorial` package on
PyPI. This script runs them from a copy of the tutorial's public repository (bhoov/amtutorial):
it reads the page's Python code blocks that define `BinaryAM`, `PolynomialDenseAM` and
`ExponentialDenseAM` (from `_docs/tutorial/dense_storage.html.md`, or from the notebook) and
executes them with JAX and Equinox, unchanged.

The two conventions differ by documented constant factors (spec 2.2):

    amtutorial PolynomialDenseAM(n, rectified=True):  E = -sum_mu max(a_mu, 0)^n / n
    ebdm DenseAM("rep:n"):                             E = -sum_mu max(a_mu / N, 0)^n
        => E_amt = E_ebdm * N^n / n
    amtutorial ExponentialDenseAM(beta):               E = -log sum_mu exp(beta a_mu)
    ebdm DenseAM("lse:beta"):                          E = -(1/beta) log sum_mu exp(beta a_mu)
        => E_amt = beta * E_ebdm                 (ebdm "exp" is beta = 1 without the factor)

with a_mu = xi^mu . x the overlaps. Criterion: relative agreement 1e-4 (amtutorial evaluates in
single precision) on every state: the 16 patterns, 200 corrupted patterns and 200 random states.

    python bench/memory/e9_amtutorial.py --source PATH/TO/amtutorial/_docs/tutorial/dense_storage.html.md

Exits with status 1 if a criterion fails and 2 if the source or JAX is unavailable.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

import ebdm

CLASSES = ("class BinaryAM", "class PolynomialDenseAM", "class ExponentialDenseAM")


def code_blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        return ["".join(c["source"]) for c in cells if c.get("cell_type") == "code"]
    return re.findall(r"```+ ?python\n(.*?)```", text, flags=re.S)


def load_reference(path: Path) -> dict:
    try:
        import equinox as eqx
        import jax
        import jax.numpy as jnp
        import jax.random as jr
        from jax import lax
        from jaxtyping import Array, Float
    except Exception as e:
        print(f"JAX/Equinox unavailable: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
    jax.config.update("jax_platform_name", "cpu")
    namespace = dict(eqx=eqx, jax=jax, jnp=jnp, jr=jr, lax=lax, np=np, Array=Array, Float=Float)
    blocks = code_blocks(path)
    for name in CLASSES:
        found = [b for b in blocks if name + "(" in b]
        if not found:
            print(f"{path}: no code block defines `{name[6:]}`", file=sys.stderr)
            sys.exit(2)
        # Only the class definition: the blocks that define the DAM classes also load data.
        block = found[0]
        start = block.index(name)
        end = re.search(r"\n(?=\S)", block[start + 1:])
        exec(block[start:start + 1 + end.start()] if end else block[start:], namespace)
    return namespace


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True, type=Path,
                    help="the tutorial's _docs/tutorial/dense_storage.html.md (or its notebook)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    if not args.source.is_file():
        print(f"{args.source}: no such file", file=sys.stderr)
        return 2
    ref = load_reference(args.source)
    import jax.numpy as jnp

    k, n = 16, 64
    xi = np.asarray(ebdm.random_patterns(k, n, seed=args.seed), dtype=np.int8)
    rng = np.random.default_rng(args.seed + 1)
    corrupted = [np.asarray(ebdm.corrupt(xi[i % k], 0.2, seed=i), dtype=np.int8) for i in range(200)]
    random = rng.choice(np.array([-1, 1], dtype=np.int8), size=(200, n))
    states = np.concatenate([xi, np.stack(corrupted), random])
    xi_j = jnp.asarray(xi, dtype=jnp.float32)

    cases = []
    for deg in (2, 3, 6):
        cases.append((f"rep:{deg} vs PolynomialDenseAM(n={deg})", f"rep:{deg}",
                      ref["PolynomialDenseAM"](xi_j, n=deg, rectified=True), float(n) ** deg / deg))
    for beta in (0.1, 0.5, 2.0):
        cases.append((f"lse:{beta} vs ExponentialDenseAM(beta={beta})", f"lse:{beta}",
                      ref["ExponentialDenseAM"](xi_j, beta=beta), beta))
    cases.append(("exp vs ExponentialDenseAM(beta=1)", "exp", ref["ExponentialDenseAM"](xi_j, beta=1.0), 1.0))

    print(f"E9 (amtutorial): K = {k} patterns, N = {n}, {len(states)} states, tolerance {args.tol:g} relative")
    print("| ebdm separation vs amtutorial class | scale | max rel. error | verdict |")
    print("|---|---:|---:|---|")
    failed = False
    for label, separation, am, scale in cases:
        net = ebdm.DenseAM(xi, separation=separation)
        worst = 0.0
        for s in states:
            mine = net.energy(s) * scale
            theirs = float(am.energy(jnp.asarray(s, dtype=jnp.float32)))
            worst = max(worst, abs(mine - theirs) / max(abs(theirs), 1.0))
        ok = worst <= args.tol
        failed |= not ok
        print(f"| {label} | {scale:.6g} | {worst:.1e} | {'PASS' if ok else 'FAIL'} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
