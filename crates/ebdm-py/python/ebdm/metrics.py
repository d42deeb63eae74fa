"""Retrieval metrics for ±1 states.

- :func:`overlap`: m = (1/N) Σ_i a_i b_i ∈ [−1, 1];
- :func:`bit_error_rate`: (1 − m)/2;
- :func:`exact_recall`: a == b;
- :func:`hebbian_stability`: one-step stability of the patterns of a Hebbian network.

The first three take two vectors, a K×N batch and a vector, or two batches row by row.
"""

from ._ebdm import bit_error_rate, exact_recall, hebbian_stability, overlap

__all__ = ["bit_error_rate", "exact_recall", "hebbian_stability", "overlap"]
