//! The random-stream keys of the acceptance experiments, in one table.
//!
//! An experiment draws from `stream_path(seed, [key, …])`, where `key` is its entry here. Two
//! experiments with the same key would draw correlated numbers for the same seed, so the keys
//! (and the ranges some experiments derive from theirs) must not overlap; a test checks it.
//! Changing a key changes every number its experiment measures.

/// memory/E1 (capacity curve).
pub const CAPACITY: u64 = 1;
/// memory/E2 (exact-recall scaling).
pub const RECALL: u64 = 2;
/// memory/E3 (basins): the capacity runs of corruption level `r` use `BASIN_BASE + r`.
pub const BASIN: u64 = 3;
/// First key of the basin runs, one per corruption level.
pub const BASIN_BASE: u64 = BASIN * 1000;
/// At most this many corruption levels in one basin experiment.
pub const BASIN_LEVELS: u64 = 1000;
/// memory/E4 (dense memory, signal-to-noise).
pub const DENSE_SNR: u64 = 4;
/// memory/E5 (dense memory capacity scaling).
pub const DENSE_CAPACITY: u64 = 5;
/// memory/E6 (exponential dense memory).
pub const DENSE_EXP: u64 = 6;
/// memory/E7 (modern Hopfield table).
pub const MODERN: u64 = 7;
/// memory/E8, graded network.
pub const GRADED: u64 = 8;
/// memory/E8, Lagrangian memories.
pub const LAGRANGIAN: u64 = 9;
/// memory/E10 (dense memory classifier).
pub const CLASSIFIER: u64 = 10;
/// proximal/A1 (proximal operators).
pub const PROX: u64 = 101;
/// proximal/A10 (empirical phase transition).
pub const PHASE: u64 = 110;
/// proximal/A11 (batched sparse coding of patches).
pub const PATCHES: u64 = 111;
/// proximal/A12 (inpainting).
pub const INPAINT: u64 = 112;
/// proximal/A13 (TV-1D).
pub const TV: u64 = 113;
/// proximal/A14 (PI-PGD).
pub const PI_PGD: u64 = 114;
/// proximal/A15 (contraction).
pub const CONTRACTION: u64 = 115;
/// ising/E4 (exhaustive ground states).
pub const ISING_E4: u64 = 401;

/// Retrieval of a batch of cues (memory models, CLI and Python alike): cue `c` draws from
/// `stream_path(seed, [RETRIEVE, c])`.
pub const RETRIEVE: u64 = 201;

/// Sweeps: task `t` of a sweep with master seed `s` runs under the seed drawn first from
/// `stream_path(s, [SWEEP, t])`.
pub const SWEEP: u64 = 300;
/// The study `memory/recall` draws from `stream_path(task seed, [SWEEP_RECALL])`.
pub const SWEEP_RECALL: u64 = 301;
/// The study `proximal/recovery` draws from `stream_path(task seed, [SWEEP_RECOVERY])`.
pub const SWEEP_RECOVERY: u64 = 302;

/// Random networks at the edge of chaos: network `s` of a run with seed `seed` draws its
/// couplings from `stream_path(seed, [CHAOS_NETWORK, s])`, its initial state from
/// `[CHAOS_STATE, s]`, its tangent vectors (or twin direction) from `[CHAOS_TANGENT, s]` and
/// the resampling of its confidence intervals from `[CHAOS_BOOTSTRAP, s]`.
pub const CHAOS_NETWORK: u64 = 501;
pub const CHAOS_STATE: u64 = 502;
pub const CHAOS_TANGENT: u64 = 503;
pub const CHAOS_BOOTSTRAP: u64 = 504;
/// Langevin chains on the quasi-potential of network `s`: their starts and noise.
pub const CHAOS_LANGEVIN: u64 = 505;
/// Cell `c` of the (g, γ) phase diagram runs its networks under the seed drawn from
/// `stream_path(seed, [CHAOS_PHASE, c])`.
pub const CHAOS_PHASE: u64 = 506;

/// Every key with the half-open range of first path elements it owns.
pub const TABLE: &[(&str, u64, u64)] = &[
    ("memory/E1", CAPACITY, CAPACITY + 1),
    ("memory/E2", RECALL, RECALL + 1),
    ("memory/E3", BASIN_BASE, BASIN_BASE + BASIN_LEVELS),
    ("memory/E4", DENSE_SNR, DENSE_SNR + 1),
    ("memory/E5", DENSE_CAPACITY, DENSE_CAPACITY + 1),
    ("memory/E6", DENSE_EXP, DENSE_EXP + 1),
    ("memory/E7", MODERN, MODERN + 1),
    ("memory/E8 graded", GRADED, GRADED + 1),
    ("memory/E8 Lagrangian", LAGRANGIAN, LAGRANGIAN + 1),
    ("memory/E10", CLASSIFIER, CLASSIFIER + 1),
    ("proximal/A1", PROX, PROX + 1),
    ("proximal/A10", PHASE, PHASE + 1),
    ("proximal/A11", PATCHES, PATCHES + 1),
    ("proximal/A12", INPAINT, INPAINT + 1),
    ("proximal/A13", TV, TV + 1),
    ("proximal/A14", PI_PGD, PI_PGD + 1),
    ("proximal/A15", CONTRACTION, CONTRACTION + 1),
    ("ising/E4", ISING_E4, ISING_E4 + 1),
    ("retrieval of cue batches", RETRIEVE, RETRIEVE + 1),
    ("sweep task seeds", SWEEP, SWEEP + 1),
    ("chaos networks, states, tangents, bootstraps, Langevin chains, phase cells", CHAOS_NETWORK, CHAOS_PHASE + 1),
    ("sweep study memory/recall", SWEEP_RECALL, SWEEP_RECALL + 1),
    ("sweep study proximal/recovery", SWEEP_RECOVERY, SWEEP_RECOVERY + 1),
];

#[cfg(test)]
mod tests {
    use super::TABLE;

    #[test]
    fn key_ranges_do_not_overlap() {
        for (i, a) in TABLE.iter().enumerate() {
            assert!(a.1 < a.2, "{}: empty range", a.0);
            for b in &TABLE[i + 1..] {
                assert!(a.2 <= b.1 || b.2 <= a.1, "{} and {} share stream keys", a.0, b.0);
            }
        }
    }
}
