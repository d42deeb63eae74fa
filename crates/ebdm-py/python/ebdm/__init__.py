"""ebdm: energy-based dynamical models.

Networks whose state flows downhill on an energy landscape, with a Rust core:

- :class:`Hopfield`: the binary Hopfield network (1982), state σ ∈ {−1, +1}ᴺ, energy
  E(σ) = −½ σᵀWσ + bᵀσ, learned with the Hebb, pseudo-inverse or Storkey rule;
  :meth:`Hopfield.retrieve` runs asynchronous, synchronous or Glauber dynamics (one cue, or a
  batch in parallel) and returns :class:`Retrieval` results;
- :class:`GradedHopfield`: the continuous-time network (1984),
  C du/dt = T g(u) − u/R + I, whose energy never increases along trajectories;
- :class:`DenseAM`: the dense associative memory (Krotov & Hopfield 2016; Demircigil et al.
  2017), energy E(σ) = −Σ_μ F(ξ^μ·σ) with F = xⁿ, max(x, 0)ⁿ, eˣ or log-sum-exp, storing far
  more patterns than neurons; :meth:`DenseAM.retrieve` returns :class:`DenseRetrieval` results;
- :class:`DenseClassifier`: a dense associative memory trained as a classifier (Krotov &
  Hopfield 2016, the MNIST notebook's recipe): ``fit(images, labels)``, ``predict(images)``;
- :class:`ModernHopfield` and :func:`retrieve`: the modern continuous Hopfield network
  (Ramsauer et al. 2021), real-valued patterns and states, update q ← Ξᵀ softmax(βΞq),
  energy E(q) = −lse(β, Ξq) + ½ qᵀq + β⁻¹ ln K + ½ M²;
- :class:`HierarchicalMemory`: layers of neurons with convex Lagrangians joined by dense
  synapses (Krotov 2021), energy E = Σ_ℓ [⟨xₗ, x̂ₗ⟩ − Lₗ(xₗ)] − Σ_s x̂ₐᵀWx̂_b and dynamics
  τ dx/dt = −∂E/∂x̂ along which E never increases; ``HierarchicalMemory.two_layer`` builds the
  Krotov–Hopfield (2021) network whose limits are the dense and modern memories;
- :class:`RBM`: a Bernoulli–Bernoulli restricted Boltzmann machine trained by CD-k,
  persistent CD or parallel tempering, with scikit-learn's ``BernoulliRBM`` names (``fit``,
  ``transform``, ``score_samples``, ``gibbs``, ``components_``) plus exact ``log_z`` and
  pseudo-likelihood for small models (:class:`BernoulliRBM` wraps it as a scikit-learn
  estimator for pipelines and grid searches); :class:`GaussianBernoulliRBM` for real-valued data (σ
  fixed after standardising, or learned);
- :mod:`ebdm.metrics`: overlap, bit error rate, exact recall, Hebbian stability;
- :func:`reproduce` and :func:`list_experiments`: every acceptance experiment of the
  library's registry (the ids of ``ebdm reproduce``), with checks, tables and figures' data as
  plain Python data; the same seed gives the same numbers as the command line;
- :mod:`ebdm.experiments`: the acceptance experiments (capacity, recall, basins, dense
  memories, modern network, graded limit), returning dicts of columns that load into pandas;
- :mod:`ebdm.proximal` (also importable as ``ebdm.sparse``): proximal-descent dynamics and sparse reconstruction (Lasso-type
  problems by coordinate descent, ISTA/FISTA and the PGD/LCA dynamics, batched sparse coding,
  proximal operators, PI-PGD, the ℓ1 phase curve);
- :mod:`ebdm.chaos`: the mean-field theories of random recurrent networks at the edge of chaos
  (dynamical mean-field theory with noise, the static theory of fixed points);
- :mod:`ebdm.sweep`: a study or an acceptance experiment over a grid of parameters × seeds, as
  deterministic tasks run in this process, on Dask, on Ray or as ``ebdm sweep run --shard``
  jobs, resumable, merged into the same bytes wherever they ran;
- :mod:`ebdm.data`: IDX (MNIST) and pattern-file readers;
- :func:`random_patterns`, :func:`corrupt`: seeded pattern generation and corruption.

Every random choice draws from a stream keyed by ``(seed, index)``, so results are identical
for a given seed whatever the thread count. Invalid input raises ``ValueError`` (``OSError``
for unreadable files) with the library's message.

>>> import ebdm
>>> p = ebdm.random_patterns(5, 200, seed=1)
>>> net = ebdm.Hopfield(p)
>>> cue = ebdm.corrupt(p[0], 0.1, seed=2)
>>> r = net.retrieve(cue)
>>> r.status, ebdm.metrics.overlap(p[0], r.state)
('fixed-point', 1.0)
"""

from ._ebdm import list_experiments
from ._ebdm import reproduce as _reproduce
from ._ebdm import (
    RNG_NAME,
    DenseAM,
    DenseClassifier,
    DenseRetrieval,
    GaussianBernoulliRBM,
    GradedHopfield,
    HierarchicalMemory,
    Hopfield,
    ModernHopfield,
    RBM,
    Retrieval,
    __version__,
    corrupt,
    maxcut,
    random_patterns,
    read_gset,
    retrieve,
    solve_ising,
)
from . import chaos, data, experiments, metrics, proximal, sparse, sweep
from .estimators import BernoulliRBM
from .metrics import bit_error_rate, exact_recall, hebbian_stability, overlap


def reproduce(id, quick=False, seed=0, threads=None, data=None):
    """Runs the acceptance experiment ``id`` (for example ``"memory/E1"``), or every one with
    ``"all"``, as ``ebdm reproduce`` does: same seed, same numbers.

    Returns the outcome as a dict (``passed``, ``checks``, ``report``, ``values``, ``tables`` as
    dicts of columns, ``figures``, ``documents``); with ``"all"``, a dict of outcomes by id.
    :func:`list_experiments` lists the ids with their titles and costs.

    >>> import ebdm
    >>> r = ebdm.reproduce("proximal/A2")
    >>> r["passed"], r["checks"][0]["pass"]
    (True, True)
    """
    if isinstance(id, str) and id.lower() == "all":
        return {
            e["id"]: _reproduce(e["id"], quick=quick, seed=seed, threads=threads, data=data)
            for e in list_experiments()
        }
    return _reproduce(id, quick=quick, seed=seed, threads=threads, data=data)


__all__ = [
    "BernoulliRBM",
    "DenseAM",
    "DenseClassifier",
    "DenseRetrieval",
    "GaussianBernoulliRBM",
    "GradedHopfield",
    "HierarchicalMemory",
    "Hopfield",
    "ModernHopfield",
    "RBM",
    "RNG_NAME",
    "Retrieval",
    "__version__",
    "bit_error_rate",
    "corrupt",
    "data",
    "exact_recall",
    "experiments",
    "hebbian_stability",
    "list_experiments",
    "maxcut",
    "metrics",
    "overlap",
    "random_patterns",
    "reproduce",
    "read_gset",
    "retrieve",
    "proximal",
    "sparse",
    "solve_ising",
]
