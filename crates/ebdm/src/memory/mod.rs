//! Associative memories: the classical binary Hopfield network, the continuous-time graded
//! Hopfield network, their metrics and their acceptance experiments.

pub mod bits;
pub mod classifier;
pub mod dense;
pub mod experiments;
pub mod graded;
pub mod hebbian;
pub mod hopfield;
pub mod metrics;
pub mod modern;
pub mod patterns;

pub use dense::{DenseAM, FlipRule, Separation};
pub use graded::{Gain, GradedHopfield};
pub use hopfield::{Hopfield, LearningRule, Order, Retrieval, RetrieveParams, Status, UpdateMode};
pub use modern::{FixedPointKind, ModernHopfield, RetrieveOptions};
pub use patterns::Patterns;
