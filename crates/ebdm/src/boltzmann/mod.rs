//! Boltzmann machines: the Bernoulli–Bernoulli and Gaussian–Bernoulli restricted Boltzmann
//! machines, small fully connected Boltzmann machines with Glauber dynamics, their training
//! (CD-k, persistent CD, parallel tempering) and partition-function estimators (exact
//! enumeration, annealed importance sampling).
//!
//! Conventions: natural logarithms, energies and likelihoods in nats, likelihoods and
//! pseudo-likelihoods as means per sample; `p(x) = e^{−E(x)}/Z`; `W` is `n × m` row-major with
//! row `i` for visible unit `i`. Analysis (log Z, likelihoods, AIS weights) runs in double
//! precision; training products may run in single precision.

pub mod ais;
pub mod bm;
pub mod data;
pub mod experiments;
pub mod gaussian;
pub mod gaussian_train;
pub mod kernel;
pub mod math;
pub mod rbm;
pub mod train;

pub use ais::{ais, base_rate, AisEstimate, AisParams, Schedule};
pub use bm::{BoltzmannMachine, Glauber, Scan};
pub use data::Dataset;
pub use gaussian::GaussianRbm;
pub use gaussian_train::{train_gaussian, GaussianAlgorithm, GaussianFit, GaussianTrainParams};
pub use kernel::Precision;
pub use rbm::{GibbsChain, Layer, Rbm};
pub use train::{Algorithm, EpochStats, LrSchedule, Sparsity, TrainParams, TrainReport, Trainer};
