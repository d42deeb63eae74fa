//! Acceptance experiments of the associative-memory specification (`spec/associative-memory.md`,
//! section 6), as library functions returning data: per-trial rows, per-cell summaries and
//! pass/fail checks. Front ends write them as CSV/JSON and plot them.

pub mod basin;
pub mod capacity;
pub mod classifier;
pub mod dense;
pub mod dense_capacity;
pub mod graded_limit;
pub mod lagrangian;
pub mod modern;
pub mod recall;
pub mod registry;

/// Experiment ids used to key random streams, so that experiments never share a stream.
pub(crate) use crate::experiment::streams as ids;
