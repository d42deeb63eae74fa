"""Random recurrent networks at the edge of chaos: their mean-field theories, solved
deterministically (Gauss–Hermite averages, no Monte Carlo).

- :func:`dmft`: the Sompolinsky–Crisanti–Sommers theory of dx/dt = −x + J tanh(x) + ξ with iid
  couplings of variance g²/N and white noise ⟨ξξ⟩ = σ²δ: c0 = ⟨x²⟩, ⟨φ²⟩, the largest Lyapunov
  exponent, the autocorrelation c(τ), its decay rate κ and half-time τ½;
- :func:`noise_transitions`: with noise, the coupling where the network turns chaotic
  (g²⟨φ²⟩ = c0) and the smaller one where it turns locally expansive (g²⟨φ'²⟩ = 1);
- :func:`static_fixed_points`: Qiu & Huang's static theory of the fixed points for elliptic
  couplings (gain g, symmetry γ): C = ⟨tanh²x*⟩ and the integrated response R_int;
- :func:`lyapunov`: the largest Lyapunov exponent of random networks with elliptic couplings
  (gain g, symmetry γ, zero diagonal), one value per network (tangent vector renormalised after
  every RK4 step; optionally a twin trajectory as a check);
- :func:`autocorrelation`: the stationary autocorrelation c(τ) = (1/N) Σ_i ⟨x_i(t)x_i(t+τ)⟩ of
  simulated networks (numpy ``tau`` and ``c``), with ⟨φ²⟩ and τ½, to set next to :func:`dmft`;
- :func:`spectrum`: the Lyapunov spectrum (all N exponents or the leading k) of random networks
  by QR re-orthonormalisation, for the ODE (``mode="ode"``, RK4) or its Euler map
  (``mode="euler-map"``, Engelken's convention), with bootstrap intervals, the Kaplan–Yorke
  dimension, the entropy rate and the participation-ratio dimension; :func:`spectrum_of` does
  the same for given couplings and initial state (numpy in);
- :func:`kaplan_yorke` and :func:`entropy_rate` of any spectrum;
- :func:`quasi_potential`: Qiu & Huang's speed energy E = ½|−x + J tanh x|² (+ η|x|²) and its
  gradient for given couplings; :func:`langevin`: overdamped Langevin chains on it (β annealed
  from ``beta_start``, averages over the final ``window``; ``beta=inf`` is gradient descent);
- :func:`fixed_points`: fixed points (F = 0) and slow points (local minima of E with E > 0)
  of given couplings from given starts (one per row): L-BFGS on E, then Newton on F, each
  distinct point with its energy, ⟨x²⟩, ⟨φ²⟩ and the Jacobian's largest real eigenvalue part and
  unstable directions;
- :func:`resolvent` and :func:`critical_gain`: the elliptic-law resolvent at z = 1 and the edge
  g_c = 1/(1+γ).

>>> import ebdm.chaos as ch
>>> r = ch.dmft(2.0)
>>> round(r["c0"], 5), round(r["lambda_max"], 4)
(1.92481, 0.1125)
"""

from ._ebdm import chaos_autocorrelation as autocorrelation
from ._ebdm import chaos_dmft as dmft
from ._ebdm import chaos_entropy_rate as entropy_rate
from ._ebdm import chaos_fixed_points as fixed_points
from ._ebdm import chaos_kaplan_yorke as kaplan_yorke
from ._ebdm import chaos_langevin as langevin
from ._ebdm import chaos_lyapunov as lyapunov
from ._ebdm import chaos_noise_transitions as noise_transitions
from ._ebdm import chaos_quasi_potential as quasi_potential
from ._ebdm import chaos_resolvent as resolvent
from ._ebdm import chaos_spectrum as spectrum
from ._ebdm import chaos_spectrum_of as spectrum_of
from ._ebdm import chaos_static as static_fixed_points

__all__ = ["dmft", "lyapunov", "autocorrelation", "spectrum", "spectrum_of", "kaplan_yorke", "entropy_rate", "quasi_potential",
           "langevin", "fixed_points", "noise_transitions",
           "static_fixed_points", "resolvent", "critical_gain"]


def critical_gain(gamma: float) -> float:
    """The edge of the ordered phase, g_c = 1/(1+γ)."""
    return 1.0 / (1.0 + gamma)
