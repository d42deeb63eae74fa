"""The acceptance experiments of the associative-memory specification.

- :func:`capacity` (E1): capacity curve and finite-size extrapolation of α_c ≈ 0.138;
- :func:`recall` (E2): exact-recall scaling against the Gaussian estimate;
- :func:`basin` (E3): basins of attraction over loads and corruption levels;
- :func:`dense_snr` (E4): one-step bit errors of the polynomial dense memory against the
  signal-to-noise prediction;
- :func:`dense_exp` (E6): one-step stability of the exponential dense memory with
  K = e^{αN} patterns;
- :func:`modern_table` (E7): one-step retrieval of the modern continuous Hopfield network
  over corruption levels and inverse temperatures β;
- :func:`graded_limit` (E8): energy monotonicity, Lyapunov identity and high-gain limit of
  the graded network.

Each runs its trials in parallel with the GIL released (``threads=None``: all cores), gives
the same result for a seed at any thread count, stops on Ctrl-C, and returns a dict whose
``rows`` and ``cells`` are dicts of columns (``pandas.DataFrame(result["rows"])``; the dense
experiments have ``cells`` only), whose ``checks`` is a list of
``{name, expected, measured, pass}`` dicts, and whose ``passed`` says whether every check
passed.
"""

from ._ebdm import basin, capacity, dense_exp, dense_snr, graded_limit, modern_table, recall

__all__ = ["basin", "capacity", "dense_exp", "dense_snr", "graded_limit", "modern_table", "recall"]
