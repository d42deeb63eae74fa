//! The engine shared by every model family: integrators for ODEs and SDEs, the run loop with its
//! stop rules and observers, and seeded random streams.
//!
//! Models implement small traits ([`OdeSystem`], [`SdeSystem`], [`Dynamics`]); the engine owns
//! the loop. Nothing here knows about a particular model.

pub mod integrators;
pub mod observers;
pub mod precision;
pub mod replicas;
pub mod rng;
pub mod run;
pub mod simd;

pub use integrators::{
    integrate_traced, DormandPrince45, EnergyPath, Euler, EulerMaruyama, Integrator, OdeSystem, Rk4, SdeIntegrator,
    SdeSystem, StochasticHeun,
};
pub use observers::{BestSoFar, EnergyTrace, Observer};
pub use precision::Precision;
pub use rng::{stream, Rng64};
pub use run::{Control, Dynamics, RunControl, RunLimits, RunReport, Runner, StepInfo, StopFlag, StopReason};
