//! # ebdm: energy-based dynamical models
//!
//! Networks whose state flows downhill on an energy landscape, and whose computation is that
//! flow. The crate is organised as one shared [`engine`] (integrators, the run loop, stop rules,
//! observers, seeded random streams) and one module per model family:
//!
//! - [`memory`]: classical binary Hopfield networks (1982) and continuous-time graded Hopfield
//!   networks (1984), their metrics and acceptance experiments;
//! - [`proximal`]: proximal operators, proximal gradient and LCA dynamics, ISTA/FISTA,
//!   coordinate descent and sparse recovery;
//! - [`ising`]: Ising, QUBO and MaxCut models, G-set files, annealing, simulated bifurcation
//!   and oscillator Ising machines;
//! - [`chaos`]: random recurrent networks at the edge of chaos (mean-field theories);
//! - [`boltzmann`]: restricted and general Boltzmann machines, their training and
//!   partition-function estimators;
//! - [`data`]: dataset and pattern-file readers (IDX/MNIST, text and `.npy` pattern files);
//! - [`experiment`]: the registry of acceptance experiments; [`sweep`]: grids of parameters ×
//!   seeds over a study or an experiment, cut into deterministic tasks for any scheduler.
//!
//! The library never prints, never reads a terminal and never touches Python; the `ebdm`
//! binary and the Python package are thin layers over it.

pub mod boltzmann;
pub mod chaos;
pub mod data;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod ising;
pub mod memory;
pub mod proximal;
pub mod size;
pub mod sweep;

pub use error::{Error, Result};
/// The linear-algebra crate whose matrix types appear in the public API.
pub use faer;
