"""Spec experiment E9: ebdm's hierarchical-memory energies and activation gradients against
HAMUX (JAX) on identical weights and states.

For each two-layer network (feature layer of width D, memory layer of width K, one dense
synapse), both implementations evaluate the total energy E(x, x̂) and ∂E/∂x̂ on the same
random states; x̂ comes from each implementation's own activations. HAMUX runs in single
precision (JAX's default), ebdm in double. The criterion of the specification is agreement
to 1e-4 relative in f32 on 1000 states, for the energy and for the gradients.

    python bench/memory/e9_hamux_energy.py            # needs `pip install hamux==0.2.2 fastcore`

Exits with status 1 if a criterion fails and 2 if HAMUX cannot be imported.
"""

import argparse
import functools
import sys

import numpy as np

import ebdm

try:
    import equinox as eqx
    import hamux as hmx
    import jax
    import jax.numpy as jnp
except Exception as e:  # HAMUX 0.2.2 fails to import without fastcore
    print(f"HAMUX unavailable: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(2)

# (name, ebdm feature Lagrangian, HAMUX feature Lagrangian, ebdm memory Lagrangian, HAMUX memory)
BETA = 0.5
NETWORKS = [
    ("identity / softmax", "identity", hmx.lagr_identity, f"softmax:beta={BETA}",
     functools.partial(hmx.lagr_softmax, beta=BETA)),
    ("tanh / softmax", "tanh:beta=2", functools.partial(hmx.lagr_tanh, beta=2.0), f"softmax:beta={BETA}",
     functools.partial(hmx.lagr_softmax, beta=BETA)),
    ("layernorm / softmax", "layernorm:gamma=1,delta=0,eps=1e-5",
     functools.partial(hmx.lagr_layernorm, gamma=1.0, delta=0.0, eps=1e-5), f"softmax:beta={BETA}",
     functools.partial(hmx.lagr_softmax, beta=BETA)),
    ("sigmoid / repu(n=3)", "sigmoid:beta=1", functools.partial(hmx.lagr_sigmoid, beta=1.0), "repu:n=3",
     functools.partial(hmx.lagr_repu, n=3.0)),
    ("spherical / exp", "spherical:gamma=1,eps=1e-5",
     functools.partial(hmx.lagr_spherical_norm, gamma=1.0, delta=0.0, eps=1e-5), "exp:beta=0.5",
     functools.partial(hmx.lagr_exp, beta=0.5)),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", type=int, default=64)
    ap.add_argument("--memories", type=int, default=256)
    ap.add_argument("--states", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    d, k = a.features, a.memories
    rng = np.random.default_rng(a.seed)
    print(f"E9: D = {d}, K = {k}, {a.states} random states, HAMUX {hmx.__version__}, jax {jax.__version__} "
          f"(float32), ebdm {ebdm.__version__} (float64)")
    print(f"{'network':<22} {'max rel. energy error':>22} {'max rel. dE/dx̂ error':>22}  verdict")
    ok = True
    for name, ev, hv, eh, hh in NETWORKS:
        w = (rng.normal(size=(d, k)) / np.sqrt(d)).astype(np.float32)
        xs = rng.normal(size=(a.states, d + k)).astype(np.float32)
        net = ebdm.HierarchicalMemory(
            [{"size": d, "lagrangian": ev, "tau": 1.0}, {"size": k, "lagrangian": eh, "tau": 1.0}],
            [(0, 1, w.astype(np.float64))],
        )
        ham = hmx.HAM(
            neurons={"v": hmx.NeuronLayer(hv, (d,)), "h": hmx.NeuronLayer(hh, (k,))},
            hypersynapses={"s": hmx.LinearSynapse(jnp.asarray(w))},
            connections=[(("v", "h"), "s")],
        ).vectorize()
        hx = {"v": jnp.asarray(xs[:, :d]), "h": jnp.asarray(xs[:, d:])}

        @eqx.filter_jit
        def peer(model, x):
            xhat = model.activations(x)
            e, g = model.dEdact(xhat, x, return_energy=True)
            return e, g

        e_peer, g_peer = peer(ham, hx)
        e_peer = np.asarray(e_peer, dtype=np.float64)
        g_peer = np.concatenate([np.asarray(g_peer["v"]), np.asarray(g_peer["h"])], axis=1).astype(np.float64)
        x64 = xs.astype(np.float64)
        e_ours = net.energy(x64)
        g_ours = net.activation_gradient(x64)
        e_err = np.max(np.abs(e_ours - e_peer) / np.maximum(np.abs(e_ours), 1.0))
        g_err = np.max(np.abs(g_ours - g_peer).max(axis=1) / np.maximum(np.abs(g_ours).max(axis=1), 1.0))
        verdict = "PASS" if e_err <= a.tol and g_err <= a.tol else "FAIL"
        ok &= verdict == "PASS"
        print(f"{name:<22} {e_err:>22.2e} {g_err:>22.2e}  {verdict}")
    print("relative errors are |a − b| / max(|a|, 1) (energies) and max|a − b| / max(max|a|, 1) per state (gradients)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
