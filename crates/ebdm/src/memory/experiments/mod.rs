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

/// Experiment ids used to key random streams, so that experiments never share a stream.
pub(crate) mod ids {
    pub const CAPACITY: u64 = 1;
    pub const RECALL: u64 = 2;
    pub const BASIN: u64 = 3;
    pub const DENSE_SNR: u64 = 4;
    pub const DENSE_CAPACITY: u64 = 5;
    pub const DENSE_EXP: u64 = 6;
    pub const MODERN: u64 = 7;
    pub const GRADED: u64 = 8;
    pub const LAGRANGIAN: u64 = 9;
    pub const CLASSIFIER: u64 = 10;
}
