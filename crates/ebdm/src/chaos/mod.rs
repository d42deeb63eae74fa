//! Random recurrent networks at the edge of chaos: their mean-field theories, solved
//! deterministically.
//!
//! - [`scs`]: the dynamical mean-field theory of dx/dt = −x + J tanh(x) + ξ with iid couplings
//!   (Sompolinsky, Crisanti & Sommers 1988), with white noise: c0 = ⟨x²⟩, the autocorrelation
//!   c(τ), the largest Lyapunov exponent, and the noise-shifted transition;
//! - [`static_dmft`]: Qiu & Huang's static theory of the fixed points for elliptic couplings
//!   (gain g, symmetry γ), with the elliptic-law resolvent and the edge g(1+γ) = 1;
//! - [`network`]: random networks with elliptic couplings and their largest Lyapunov exponent
//!   (tangent vector with fused passes over J, and a twin trajectory);
//! - [`spectrum`]: the Lyapunov spectrum by QR re-orthonormalisation, for the ODE or its Euler
//!   map, with the Kaplan–Yorke dimension, the entropy rate and bootstrap intervals;
//! - [`quasi_potential`]: Qiu & Huang's speed energy E = ½|F|² with its gradient, and Langevin
//!   sampling or gradient descent on it;
//! - [`quadrature`]: Gauss–Hermite rules for the Gaussian averages of the theories.

pub mod correlation;
pub mod experiments;
pub mod fixed_points;
pub mod network;
pub mod network_experiments;
pub mod quadrature;
pub mod quasi_potential;
pub mod scs;
pub mod spectrum;
pub mod static_dmft;

pub use correlation::{autocorrelation, network_autocorrelations, Autocorrelation, CorrelationOptions};
pub use fixed_points::{
    find_fixed_points, trajectory_starts, CriticalPoint, FixedPointOptions, NetworkFixedPoints, PointKind, Search,
    Starts,
};
pub use network::{exponents, largest_exponent, twin_exponent, Lyapunov, LyapunovOptions, RandomNetwork, SeedExponent};
pub use quadrature::GaussHermite;
pub use quasi_potential::{langevin, ChainAverages, Langevin, LangevinOptions, NetworkLangevin, QuasiPotential};
pub use scs::{noise_transitions, solve_scs, ScsOptions, ScsSolution};
pub use spectrum::{
    entropy_rate, kaplan_yorke, lyapunov_spectrum, network_spectrum, spectra, Convention, Spectrum, SpectrumOptions,
};
pub use static_dmft::{
    critical_gain, ordered_exponent, resolvent, solve_static, Response, StaticOptions, StaticSolution,
};
