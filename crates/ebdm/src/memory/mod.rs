//! Associative memories: the classical binary Hopfield network, the continuous-time graded
//! Hopfield network, dense associative memories, the modern Hopfield network, hierarchical
//! (Lagrangian) memories, their metrics and their acceptance experiments.

pub mod bits;
pub mod classifier;
pub mod dense;
pub mod experiments;
pub mod graded;
pub mod hebbian;
pub mod hierarchical;
pub mod hopfield;
pub mod lagrangian;
pub mod metrics;
pub mod modern;
pub mod patterns;
mod single_query;

pub use dense::{DenseAM, FlipRule, Separation};
pub use graded::{Gain, GradedHopfield};
pub use hierarchical::{HierarchicalMemory, Layer, RelaxOptions, Synapse};
pub use hopfield::{Hopfield, LearningRule, Order, Retrieval, RetrieveParams, Status, UpdateMode};
pub use lagrangian::Lagrangian;
pub use modern::{FixedPointKind, ModernHopfield, RetrieveOptions};
pub use patterns::{read_patterns, Patterns};

/// The number of rows of length `n` in a flat batch of `len` values.
pub(crate) fn batch_rows(len: usize, n: usize) -> crate::Result<usize> {
    if n == 0 || !len.is_multiple_of(n) {
        return Err(crate::Error::Shape(format!("{len} values are not whole cues of length {n}")));
    }
    Ok(len / n)
}
