//! The modern continuous Hopfield network (Ramsauer et al. 2021, "Hopfield Networks is All You
//! Need").
//!
//! With stored patterns Ξ (K×N, one per row), state q ∈ ℝᴺ and inverse temperature β:
//!
//! ```text
//! E(q) = −lse(β, Ξq) + ½ qᵀq + β⁻¹ ln K + ½ M²,    M = max_μ ‖ξ^μ‖,
//! q_new = Ξᵀ softmax(β Ξ q)                         (CCCP update: E never increases)
//! ```
//!
//! `lse(β, z) = β⁻¹ ln Σ_μ e^{β z_μ}` is evaluated with the maximum shifted out, and the softmax
//! likewise, so no β or N overflows. A batch of B queries takes two matrix products per step
//! (B×N by N×K, then B×K by K×N) in single precision; energies and the fixed-point analysis are
//! in double precision. Queries are processed in fixed chunks, each chunk by one sequential
//! product, so results are bit-identical at any thread count. A single query (B = 1) takes the
//! matrix-vector kernels of `single_query`.

use std::sync::OnceLock;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;
use serde::Serialize;

use crate::engine::run::{RunControl, RunLimits, StopFlag, StopReason};
use crate::engine::simd::{clear_upper_registers, softmax_in_place};
use crate::error::{check_positive, Error, Result};
use crate::memory::single_query::{PatternViews, SignNibbles};

/// Queries per chunk: a fixed size keeps results independent of the thread count.
const CHUNK: usize = 64;

/// Stored patterns of a modern Hopfield network.
#[derive(Clone, Debug)]
pub struct ModernHopfield {
    k: usize,
    n: usize,
    /// K×N row-major.
    xi: Vec<f32>,
    /// The same as bytes when every value is an integer in [−127, 127] (±1 or 0/1 patterns, say):
    /// an exact copy a quarter the size, which the single-query kernels stream instead.
    xi8: Option<Vec<i8>>,
    /// The signs of ±1 patterns as 4-bit table indices, for the AVX-512 single-query kernels.
    nibbles: Option<SignNibbles>,
    /// The same in double precision, for energies; made on first use.
    xi64: OnceLock<Vec<f64>>,
    /// M² = max_μ ‖ξ^μ‖², for energies; made on first use.
    max_norm_sq: OnceLock<f64>,
}

/// Options of [`ModernHopfield::retrieve`].
#[derive(Clone, Debug, Serialize)]
pub struct RetrieveOptions {
    pub beta: f64,
    /// Number of updates; `steps = 1` is exactly one update.
    pub steps: usize,
    /// Stop a chunk early once every query moved less than this (max-norm) in one update.
    pub tol: Option<f64>,
    /// Record every query's energy before the first update and after each one.
    pub track_energy: bool,
}

impl RetrieveOptions {
    pub fn new(beta: f64, steps: usize) -> Self {
        Self { beta, steps, tol: None, track_energy: false }
    }
    fn check(&self) -> Result<()> {
        check_positive("beta", self.beta)?;
        if self.steps == 0 {
            return Err(Error::param("steps", "must be at least 1"));
        }
        if let Some(t) = self.tol {
            if !(t.is_finite() && t >= 0.0) {
                return Err(Error::param("tol", format!("must be finite and >= 0, got {t}")));
            }
        }
        Ok(())
    }
}

/// Retrieved states of a batch of queries.
#[derive(Clone, Debug, Serialize)]
pub struct ModernRetrieval {
    /// B×N row-major.
    pub states: Vec<f32>,
    pub batch: usize,
    pub neurons: usize,
    /// Updates applied to each query.
    pub steps: Vec<usize>,
    /// Per query: energy before the first update and after each update.
    pub energies: Option<Vec<Vec<f64>>>,
    pub interrupted: bool,
}

/// Which kind of fixed point a state is, judged from its softmax weights p = softmax(βΞq).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum FixedPointKind {
    /// One pattern carries nearly all the weight (p_max ≥ 0.99).
    SinglePattern { index: usize, weight: f64 },
    /// The weights are nearly uniform: the effective number of patterns exp(entropy) is at least
    /// 90 % of K.
    GlobalAverage { effective_patterns: f64 },
    /// In between: an average over a subset of about `effective_patterns` patterns.
    Metastable { effective_patterns: f64, top_index: usize },
}

impl ModernHopfield {
    /// Stores `patterns` (K×N row-major, any finite reals).
    pub fn new(patterns: &[f32], k: usize, n: usize) -> Result<Self> {
        check_patterns(patterns, k, n)?;
        // The f32 copy, the byte copy and the sign tables.
        crate::size::check_memory(
            "patterns",
            format!("{k} stored patterns of width {n}"),
            crate::size::bytes(&[k, n], 6),
        )?;
        let small_integers = patterns.iter().all(|&x| x.abs() <= 127.0 && x == x.round());
        let xi8 = small_integers.then(|| patterns.iter().map(|&x| x as i8).collect());
        let nibbles = SignNibbles::new(patterns, k, n);
        Ok(Self { k, n, xi: patterns.to_vec(), xi8, nibbles, xi64: OnceLock::new(), max_norm_sq: OnceLock::new() })
    }

    /// One-call retrieval: the same as `ModernHopfield::new(patterns, k, n)?.retrieve(queries,
    /// opts, stop)` (same checks, same results), without copying the patterns. One exception:
    /// a single query with ±1 patterns on a CPU with AVX-512, where the stored network has table
    /// kernels of its own; there the two agree to rounding.
    pub fn retrieve_with(
        patterns: &[f32],
        k: usize,
        n: usize,
        queries: &[f32],
        opts: &RetrieveOptions,
        stop: &StopFlag,
    ) -> Result<ModernRetrieval> {
        if opts.track_energy {
            // Energies need the double-precision copy and M² of a stored network.
            return Self::new(patterns, k, n)?.retrieve(queries, opts, stop);
        }
        check_pattern_shape(patterns, k, n)?;
        let b = match opts.check().and_then(|()| check_queries(queries, n)) {
            Ok(b) => b,
            Err(e) => {
                // A pattern error is reported first, as `new` would.
                check_patterns(patterns, k, n)?;
                return Err(e);
            }
        };
        if b == 1 {
            // One query: no separate pass over the patterns to check them. A non-finite pattern
            // value makes that pattern's score non-finite (the query is finite), so the first
            // scores screen for it; only then are the patterns searched. If they are finite after
            // all (scores that overflowed), the retrieval runs again unscreened.
            let (r, screened_out) = retrieve_all(
                Stored { patterns: PatternViews::floats(patterns, n), k, net: None, screen: true },
                queries,
                b,
                opts,
                stop,
            )?;
            if !screened_out {
                return Ok(r);
            }
        }
        check_patterns(patterns, k, n)?;
        Ok(retrieve_all(
            Stored { patterns: PatternViews::floats(patterns, n), k, net: None, screen: false },
            queries,
            b,
            opts,
            stop,
        )?
        .0)
    }

    /// M² = max_μ ‖ξ^μ‖² in double precision.
    fn max_norm_sq(&self) -> f64 {
        *self.max_norm_sq.get_or_init(|| {
            self.xi
                .chunks_exact(self.n)
                .map(|r| r.iter().map(|&x| x as f64 * x as f64).sum::<f64>())
                .fold(0.0, f64::max)
        })
    }

    pub fn count(&self) -> usize {
        self.k
    }
    pub fn neurons(&self) -> usize {
        self.n
    }
    pub fn patterns(&self) -> &[f32] {
        &self.xi
    }

    fn check_queries(&self, queries: &[f32]) -> Result<usize> {
        check_queries(queries, self.n)
    }

    /// `E(q)` in double precision.
    pub fn energy(&self, q: &[f32], beta: f64) -> Result<f64> {
        check_positive("beta", beta)?;
        self.check_queries(q)?;
        if q.len() != self.n {
            return Err(Error::Shape(format!("state has length {}, expected {}", q.len(), self.n)));
        }
        Ok(self.energy_from_scores(&self.scores(q), q, beta))
    }

    /// Scores `z_μ = ξ^μ·q` in double precision.
    fn scores(&self, q: &[f32]) -> Vec<f64> {
        self.xi.chunks_exact(self.n).map(|r| r.iter().zip(q).map(|(&a, &b)| a as f64 * b as f64).sum()).collect()
    }

    fn energy_from_scores(&self, z: &[f64], q: &[f32], beta: f64) -> f64 {
        let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = z.iter().map(|&x| (beta * (x - m)).exp()).sum();
        let lse = m + s.ln() / beta;
        let qq: f64 = q.iter().map(|&x| x as f64 * x as f64).sum();
        -lse + 0.5 * qq + (self.k as f64).ln() / beta + 0.5 * self.max_norm_sq()
    }

    /// Softmax weights `softmax(βΞq)` in double precision.
    pub fn weights(&self, q: &[f32], beta: f64) -> Result<Vec<f64>> {
        check_positive("beta", beta)?;
        if q.len() != self.n {
            return Err(Error::Shape(format!("state has length {}, expected {}", q.len(), self.n)));
        }
        let z = self.scores(q);
        let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut p: Vec<f64> = z.iter().map(|&x| (beta * (x - m)).exp()).collect();
        let s: f64 = p.iter().sum();
        p.iter_mut().for_each(|x| *x /= s);
        Ok(p)
    }

    /// Classifies the state q by its softmax weights (see [`FixedPointKind`]).
    pub fn classify(&self, q: &[f32], beta: f64) -> Result<FixedPointKind> {
        let p = self.weights(q, beta)?;
        let (top, pmax) = p.iter().copied().enumerate().fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
        let entropy: f64 = -p.iter().filter(|&&x| x > 0.0).map(|&x| x * x.ln()).sum::<f64>();
        let effective = entropy.exp();
        Ok(if pmax >= 0.99 {
            FixedPointKind::SinglePattern { index: top, weight: pmax }
        } else if effective >= 0.9 * self.k as f64 {
            FixedPointKind::GlobalAverage { effective_patterns: effective }
        } else {
            FixedPointKind::Metastable { effective_patterns: effective, top_index: top }
        })
    }

    /// Applies up to `opts.steps` CCCP updates to every query (B×N row-major).
    pub fn retrieve(&self, queries: &[f32], opts: &RetrieveOptions, stop: &StopFlag) -> Result<ModernRetrieval> {
        opts.check()?;
        let b = self.check_queries(queries)?;
        let patterns =
            PatternViews { xi: &self.xi, xi8: self.xi8.as_deref(), nibbles: self.nibbles.as_ref(), n: self.n };
        let stored = Stored { patterns, k: self.k, net: Some(self), screen: false };
        Ok(retrieve_all(stored, queries, b, opts, stop)?.0)
    }
}

/// Fails unless `patterns` are K ≥ 1 rows of width N ≥ 1, all finite.
fn check_patterns(patterns: &[f32], k: usize, n: usize) -> Result<()> {
    check_pattern_shape(patterns, k, n)?;
    if let Some(i) = first_non_finite(patterns) {
        return Err(Error::param(
            "patterns",
            format!("pattern {}, component {}: value {} is not finite", i / n, i % n, patterns[i]),
        ));
    }
    Ok(())
}

/// Fails unless `patterns` are K ≥ 1 rows of width N ≥ 1.
fn check_pattern_shape(patterns: &[f32], k: usize, n: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::param("patterns", "at least one pattern is needed"));
    }
    if n == 0 {
        return Err(Error::param("neurons", "pattern width N must be at least 1"));
    }
    if patterns.len() != k * n {
        return Err(Error::Shape(format!("{} values cannot form {k} patterns of width {n}", patterns.len())));
    }
    Ok(())
}

/// Number of queries in `queries` (rows of width `n`), all finite.
fn check_queries(queries: &[f32], n: usize) -> Result<usize> {
    if !queries.len().is_multiple_of(n) || queries.is_empty() {
        return Err(Error::Shape(format!(
            "queries hold {} values, not a whole number of rows of width {} (the patterns' width)",
            queries.len(),
            n
        )));
    }
    if let Some(i) = first_non_finite(queries) {
        return Err(Error::param(
            "queries",
            format!("query {}, component {}: value {} is not finite", i / n, i % n, queries[i]),
        ));
    }
    Ok(queries.len() / n)
}

/// Index of the first value that is not finite. Blocks are screened by an OR over their exponent
/// bits, which compiles to vector code; only a failing block is searched element by element.
fn first_non_finite(values: &[f32]) -> Option<usize> {
    const BLOCK: usize = 4096;
    values.chunks(BLOCK).enumerate().find_map(|(b, block)| {
        if all_finite(block) {
            None
        } else {
            block.iter().position(|v| !v.is_finite()).map(|i| b * BLOCK + i)
        }
    })
}

/// Whether every value is finite (exponent bits not all ones).
fn all_finite(values: &[f32]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { all_finite_avx2(values) };
    }
    all_finite_body(values)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn all_finite_avx2(values: &[f32]) -> bool {
    all_finite_body(values)
}

#[inline(always)]
fn all_finite_body(values: &[f32]) -> bool {
    // An all-ones exponent plus one carries into the top bit; any other exponent does not.
    let top = values.iter().fold(0u32, |acc, v| acc | ((v.to_bits() & 0x7f80_0000) + 0x0080_0000));
    top & 0x8000_0000 == 0
}

/// The patterns a retrieval reads: borrowed, with the stored network when energies are needed.
#[derive(Clone, Copy)]
struct Stored<'a> {
    /// K×N row-major, with the copies the single-query kernels read.
    patterns: PatternViews<'a>,
    k: usize,
    /// The network the patterns belong to (for energies); `None` for a one-call retrieval.
    net: Option<&'a ModernHopfield>,
    /// The patterns have not been checked for finiteness: stop a chunk whose first scores are
    /// not all finite.
    screen: bool,
}

/// Runs every chunk of `queries` (checked: `b` rows, all finite) and gathers the results, and
/// whether a screened chunk stopped on non-finite scores (the results are then incomplete).
fn retrieve_all(
    stored: Stored<'_>,
    queries: &[f32],
    b: usize,
    opts: &RetrieveOptions,
    stop: &StopFlag,
) -> Result<(ModernRetrieval, bool)> {
    let n = stored.patterns.n;
    let mut states = queries.to_vec();
    // A single chunk runs on the calling thread: handing it to the thread pool only adds a
    // wake-up, which for one query costs more than the update itself.
    let results: Vec<ChunkOutcome> = if b <= CHUNK {
        vec![stored.retrieve_chunk(&mut states, opts, stop)?]
    } else {
        states.par_chunks_mut(CHUNK * n).map(|chunk| stored.retrieve_chunk(chunk, opts, stop)).collect::<Result<_>>()?
    };
    let mut steps = Vec::with_capacity(b);
    let mut energies = opts.track_energy.then(|| Vec::with_capacity(b));
    let mut interrupted = false;
    let screened_out = results.iter().any(|c| c.screened_out);
    for (chunk_index, ChunkOutcome { steps: s, energies: e, interrupted: stopped, .. }) in
        results.into_iter().enumerate()
    {
        let rows = CHUNK.min(b - chunk_index * CHUNK);
        steps.extend(std::iter::repeat_n(s, rows));
        if let (Some(all), Some(e)) = (energies.as_mut(), e) {
            all.extend(e);
        }
        interrupted |= stopped;
    }
    Ok((ModernRetrieval { states, batch: b, neurons: n, steps, energies, interrupted }, screened_out))
}

impl Stored<'_> {
    /// Scores z = QΞᵀ of the `rows` states `q` into `scores` (rows×K).
    fn scores(&self, q: &[f32], scores: &mut [f32]) {
        let rows = q.len() / self.patterns.n;
        if rows == 1 {
            self.patterns.scores(q, scores);
            return;
        }
        let xi = MatRef::from_row_major_slice(self.patterns.xi, self.k, self.patterns.n);
        matmul(
            MatMut::from_row_major_slice_mut(scores, rows, self.k),
            Accum::Replace,
            MatRef::from_row_major_slice(q, rows, self.patterns.n),
            xi.transpose(),
            1.0f32,
            Par::Seq,
        );
        clear_upper_registers();
    }

    /// New states `next` = PΞ (rows×N) from the softmax weights `p` (rows×K).
    fn mix(&self, p: &[f32], next: &mut [f32]) {
        let rows = p.len() / self.k;
        if rows == 1 {
            self.patterns.mix(p, next);
            return;
        }
        let xi = MatRef::from_row_major_slice(self.patterns.xi, self.k, self.patterns.n);
        matmul(
            MatMut::from_row_major_slice_mut(next, rows, self.patterns.n),
            Accum::Replace,
            MatRef::from_row_major_slice(p, rows, self.k),
            xi,
            1.0f32,
            Par::Seq,
        );
        clear_upper_registers();
    }

    /// Updates one chunk of queries in place.
    fn retrieve_chunk(&self, q: &mut [f32], opts: &RetrieveOptions, stop: &StopFlag) -> Result<ChunkOutcome> {
        let (k, n) = (self.k, self.patterns.n);
        let rows = q.len() / n;
        let beta = opts.beta as f32;
        let mut scores = vec![0f32; rows * k];
        let mut next = vec![0f32; rows * n];
        // Energies are recorded only for a stored network (`retrieve_with` hands those over).
        let energy_net = self.net.filter(|_| opts.track_energy);
        let mut energies: Option<Vec<Vec<f64>>> = energy_net.map(|_| vec![Vec::with_capacity(opts.steps + 1); rows]);
        let mut run = RunControl::start(&RunLimits::steps(opts.steps), stop)?;
        // Scores z = QΞᵀ for the current states; also used for the energy of those states.
        self.scores(q, &mut scores);
        if self.screen && !all_finite(&scores) {
            return Ok(ChunkOutcome { steps: 0, energies: None, interrupted: false, screened_out: true });
        }
        // Energies in double precision from the (single-precision) states: z = QΞᵀ again in f64.
        let mut energy_work = energy_net.map(|net| {
            let xi64 = net.xi64.get_or_init(|| net.xi.iter().map(|&x| x as f64).collect());
            (net, MatRef::from_row_major_slice(xi64.as_slice(), k, n), vec![0f64; rows * n], vec![0f64; rows * k])
        });
        let mut record = |energies: &mut Option<Vec<Vec<f64>>>, q: &[f32]| {
            if let (Some(e), Some((net, xi64, q64, z64))) = (energies.as_mut(), energy_work.as_mut()) {
                q64.iter_mut().zip(q).for_each(|(a, &b)| *a = b as f64);
                let qm = MatRef::from_row_major_slice(q64.as_slice(), rows, n);
                matmul(
                    MatMut::from_row_major_slice_mut(z64.as_mut_slice(), rows, k),
                    Accum::Replace,
                    qm,
                    xi64.transpose(),
                    1.0,
                    Par::Seq,
                );
                clear_upper_registers();
                for (r, er) in e.iter_mut().enumerate() {
                    er.push(net.energy_from_scores(&z64[r * k..(r + 1) * k], &q[r * n..(r + 1) * n], opts.beta));
                }
            }
        };
        record(&mut energies, q);
        while run.proceed() {
            // P = softmax(β z) row by row, with the row maximum shifted out.
            for row in scores.chunks_exact_mut(k) {
                softmax_in_place(row, beta);
            }
            self.mix(&scores, &mut next);
            let moved = q.iter().zip(&next).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            q.copy_from_slice(&next);
            run.advance();
            let need_scores = run.steps() < opts.steps || opts.track_energy;
            if need_scores {
                self.scores(q, &mut scores);
                record(&mut energies, q);
            }
            if opts.tol.is_some_and(|t| (moved as f64) < t) {
                run.finish(StopReason::Converged);
            }
        }
        let interrupted = run.reason() == StopReason::Interrupted;
        Ok(ChunkOutcome { steps: run.steps(), energies, interrupted, screened_out: false })
    }
}

/// What one chunk of queries went through.
struct ChunkOutcome {
    steps: usize,
    energies: Option<Vec<Vec<f64>>>,
    interrupted: bool,
    /// Stopped before any update: the first scores were not all finite (see `Stored::screen`).
    screened_out: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::memory::patterns::{corrupt, Patterns};
    use crate::memory::single_query::{mix_one, scores_one};

    fn bipolar(k: usize, n: usize, seed: u64) -> (Patterns, Vec<f32>) {
        let p = Patterns::random(k, n, &mut stream(seed, 0)).unwrap();
        let f = p.as_slice().iter().map(|&x| x as f32).collect();
        (p, f)
    }

    /// Direct double-precision update for one query.
    fn reference_update(xi: &[f32], k: usize, n: usize, q: &[f32], beta: f64) -> Vec<f64> {
        let z: Vec<f64> = (0..k).map(|mu| (0..n).map(|i| xi[mu * n + i] as f64 * q[i] as f64).sum()).collect();
        let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = z.iter().map(|&x| (beta * (x - m)).exp()).collect();
        let s: f64 = w.iter().sum();
        (0..n).map(|i| (0..k).map(|mu| w[mu] / s * xi[mu * n + i] as f64).sum()).collect()
    }

    #[test]
    fn update_matches_direct_computation_and_energy_descends() {
        let (k, n) = (40, 24);
        let (_, xi) = bipolar(k, n, 1);
        let net = ModernHopfield::new(&xi, k, n).unwrap();
        let mut rng = stream(2, 0);
        let queries: Vec<f32> = (0..70 * n).map(|_| rand::Rng::random::<f32>(&mut rng) * 2.0 - 1.0).collect();
        for beta in [0.05, 0.3, 2.0] {
            let one = net.retrieve(&queries, &RetrieveOptions::new(beta, 1), &StopFlag::new()).unwrap();
            for b in [0, 33, 69] {
                let want = reference_update(&xi, k, n, &queries[b * n..(b + 1) * n], beta);
                for (got, w) in one.states[b * n..(b + 1) * n].iter().zip(&want) {
                    assert!((*got as f64 - w).abs() < 1e-4, "β={beta}: {got} vs {w}");
                }
            }
            let opts = RetrieveOptions { beta, steps: 10, tol: None, track_energy: true };
            let r = net.retrieve(&queries, &opts, &StopFlag::new()).unwrap();
            for e in r.energies.unwrap() {
                assert_eq!(e.len(), 11);
                for w in e.windows(2) {
                    assert!(w[1] <= w[0] + 1e-5 * w[0].abs().max(1.0), "β={beta}: energy rose {} -> {}", w[0], w[1]);
                }
            }
        }
    }

    #[test]
    fn single_query_kernels_match_direct_computation() {
        // Widths and pattern counts with and without partial mixing blocks.
        for (k, n) in [(7, 24), (41, 70), (33, 128), (130, 64), (3, 1)] {
            let (_, xi) = bipolar(k, n, 11);
            let net = ModernHopfield::new(&xi, k, n).unwrap();
            let mut rng = stream(12, 0);
            let q: Vec<f32> = (0..n).map(|_| rand::Rng::random::<f32>(&mut rng) * 2.0 - 1.0).collect();
            for beta in [0.05, 0.5, 3.0] {
                let want = reference_update(&xi, k, n, &q, beta);
                let got = net.retrieve(&q, &RetrieveOptions::new(beta, 1), &StopFlag::new()).unwrap();
                for (g, w) in got.states.iter().zip(&want) {
                    assert!((*g as f64 - w).abs() < 1e-5, "K={k} N={n} β={beta}: {g} vs {w}");
                }
                let p: Vec<f32> = (0..k).map(|mu| 1.0 / (mu + 1) as f32).collect();
                let mut out = vec![0f32; n];
                mix_one(&xi, n, &p, &mut out);
                for (i, o) in out.iter().enumerate() {
                    let direct: f64 = (0..k).map(|mu| p[mu] as f64 * xi[mu * n + i] as f64).sum();
                    assert!((*o as f64 - direct).abs() < 1e-4, "component {i}: {o} vs {direct}");
                }
            }
        }
    }

    #[test]
    fn byte_and_float_pattern_kernels_agree_bit_for_bit() {
        for (k, n) in [(7, 24), (41, 70), (33, 128), (130, 64), (3, 1), (1024, 256)] {
            let (_, xi) = bipolar(k, n, 17);
            let xi8: Vec<i8> = xi.iter().map(|&x| x as i8).collect();
            let mut rng = stream(18, 0);
            let q: Vec<f32> = (0..n).map(|_| rand::Rng::random::<f32>(&mut rng) * 2.0 - 1.0).collect();
            let (mut z, mut z8) = (vec![0f32; k], vec![0f32; k]);
            scores_one(&xi, n, &q, &mut z);
            scores_one(&xi8, n, &q, &mut z8);
            assert_eq!(z, z8, "K={k} N={n}");
            for (mu, &zm) in z.iter().enumerate() {
                let direct: f64 = (0..n).map(|i| xi[mu * n + i] as f64 * q[i] as f64).sum();
                assert!((zm as f64 - direct).abs() < 1e-4, "K={k} N={n} score {mu}: {zm} vs {direct}");
            }
            let p: Vec<f32> = (0..k).map(|mu| 1.0 / (mu + 1) as f32).collect();
            let (mut a, mut b) = (vec![0f32; n], vec![0f32; n]);
            mix_one(&xi, n, &p, &mut a);
            mix_one(&xi8, n, &p, &mut b);
            assert_eq!(a, b, "K={k} N={n}");
        }
        // Integer patterns get the byte copy; others do not.
        assert!(ModernHopfield::new(&[1.0, -1.0, 0.0, 127.0], 2, 2).unwrap().xi8.is_some());
        assert!(ModernHopfield::new(&[1.0, -1.0, 0.5, 1.0], 2, 2).unwrap().xi8.is_none());
        assert!(ModernHopfield::new(&[1.0, -1.0, 128.0, 1.0], 2, 2).unwrap().xi8.is_none());
    }

    #[test]
    fn one_call_retrieval_equals_the_stored_network() {
        let (k, n) = (90, 40);
        let (_, xi) = bipolar(k, n, 13);
        let net = ModernHopfield::new(&xi, k, n).unwrap();
        let mut rng = stream(14, 0);
        let q: Vec<f32> = (0..150 * n).map(|_| rand::Rng::random::<f32>(&mut rng) * 2.0 - 1.0).collect();
        for (rows, steps) in [(1, 1), (1, 4), (3, 2), (150, 2)] {
            let opts = RetrieveOptions { beta: 0.4, steps, tol: None, track_energy: false };
            // A single query on the stored ±1 patterns may take the table kernels.
            let exact = rows > 1 || net.nibbles.is_none();
            let same = |a: &[f32], b: &[f32]| {
                if exact {
                    assert_eq!(a, b);
                } else {
                    a.iter().zip(b).for_each(|(x, y)| assert!((x - y).abs() <= 1e-6, "{x} vs {y}"));
                }
            };
            let a = net.retrieve(&q[..rows * n], &opts, &StopFlag::new()).unwrap();
            let b = ModernHopfield::retrieve_with(&xi, k, n, &q[..rows * n], &opts, &StopFlag::new()).unwrap();
            same(&a.states, &b.states);
            assert_eq!(a.steps, b.steps);
            let opts = RetrieveOptions { track_energy: true, ..opts };
            let a = net.retrieve(&q[..rows * n], &opts, &StopFlag::new()).unwrap();
            let b = ModernHopfield::retrieve_with(&xi, k, n, &q[..rows * n], &opts, &StopFlag::new()).unwrap();
            same(&a.states, &b.states);
            for (ea, eb) in a.energies.unwrap().iter().zip(b.energies.unwrap()) {
                let close = ea.iter().zip(&eb).all(|(x, y)| (x - y).abs() <= 1e-5 * x.abs().max(1.0));
                assert!(if exact { *ea == eb } else { close }, "{ea:?} vs {eb:?}");
            }
        }
    }

    #[test]
    fn one_call_retrieval_reports_bad_patterns_as_the_constructor_does() {
        let (k, n) = (20, 36);
        let (_, xi) = bipolar(k, n, 15);
        let mut q: Vec<f32> = xi[..n].to_vec();
        q[3] = 0.0; // inf × 0 is NaN, which must be caught too
        let opts = RetrieveOptions::new(0.5, 2);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in [3, 5 * n + 7, k * n - 1] {
                let mut p = xi.clone();
                p[at] = bad;
                let want = ModernHopfield::new(&p, k, n).unwrap_err().to_string();
                for rows in [1, 2] {
                    let qs: Vec<f32> = q.iter().cycle().take(rows * n).copied().collect();
                    let got = ModernHopfield::retrieve_with(&p, k, n, &qs, &opts, &StopFlag::new()).unwrap_err();
                    assert_eq!(got.to_string(), want, "{bad} at {at}, {rows} queries");
                }
                // A pattern error comes before a bad option or query.
                let got = ModernHopfield::retrieve_with(&p, k, n, &q, &RetrieveOptions::new(-1.0, 1), &StopFlag::new());
                assert_eq!(got.unwrap_err().to_string(), want);
                let got = ModernHopfield::retrieve_with(&p, k, n, &q[..n - 1], &opts, &StopFlag::new());
                assert_eq!(got.unwrap_err().to_string(), want);
            }
        }
        // Finite patterns whose scores overflow are not an error, and give what the network gives.
        let big: Vec<f32> = xi.iter().map(|&x| x * 3e37).collect();
        let qb: Vec<f32> = xi[..n].iter().map(|&x| x * 3e37).collect();
        let net = ModernHopfield::new(&big, k, n).unwrap();
        let a = net.retrieve(&qb, &opts, &StopFlag::new()).unwrap();
        let b = ModernHopfield::retrieve_with(&big, k, n, &qb, &opts, &StopFlag::new()).unwrap();
        assert_eq!(
            a.states.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            b.states.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert!(first_non_finite(&[1.0, 2.0, f32::MAX, -0.0]).is_none());
        assert_eq!(first_non_finite(&vec![0.5; 9000].into_iter().chain([f32::NAN]).collect::<Vec<_>>()), Some(9000));
    }

    #[test]
    fn energy_matches_its_formula() {
        let (k, n) = (5, 6);
        let (_, xi) = bipolar(k, n, 3);
        let net = ModernHopfield::new(&xi, k, n).unwrap();
        let q = [0.5f32, -0.25, 1.0, 0.0, -1.0, 0.75];
        let beta = 0.7;
        let z: Vec<f64> = (0..k).map(|mu| (0..n).map(|i| xi[mu * n + i] as f64 * q[i] as f64).sum()).collect();
        let lse = (z.iter().map(|&x| (beta * x).exp()).sum::<f64>()).ln() / beta;
        let want =
            -lse + 0.5 * q.iter().map(|&x| (x * x) as f64).sum::<f64>() + (k as f64).ln() / beta + 0.5 * n as f64;
        assert!((net.energy(&q, beta).unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn small_beta_gives_the_global_average_and_large_beta_a_pattern() {
        let (k, n) = (30, 64);
        let (p, xi) = bipolar(k, n, 4);
        let net = ModernHopfield::new(&xi, k, n).unwrap();
        let mean: Vec<f64> = (0..n).map(|i| (0..k).map(|mu| xi[mu * n + i] as f64).sum::<f64>() / k as f64).collect();
        let q: Vec<f32> = corrupt(p.row(2), 0.2, &mut stream(5, 0)).unwrap().iter().map(|&x| x as f32).collect();
        let r = net.retrieve(&q, &RetrieveOptions::new(1e-6, 1), &StopFlag::new()).unwrap();
        let dist = r.states.iter().zip(&mean).map(|(&a, b)| (a as f64 - b).powi(2)).sum::<f64>().sqrt();
        assert!(dist < 1e-3, "distance to the mean {dist}");
        assert!(matches!(net.classify(&r.states, 1e-6).unwrap(), FixedPointKind::GlobalAverage { .. }));
        let r = net.retrieve(&q, &RetrieveOptions::new(1.0, 3), &StopFlag::new()).unwrap();
        assert_eq!(r.states.iter().map(|&x| if x >= 0.0 { 1 } else { -1 }).collect::<Vec<i8>>(), p.row(2));
        assert!(matches!(net.classify(&r.states, 1.0).unwrap(), FixedPointKind::SinglePattern { index: 2, .. }));
    }

    #[test]
    fn metastable_state_over_a_cluster() {
        // Five patterns close to one centre, plus distant random ones: at moderate β the fixed
        // point from the centre averages the cluster.
        let n = 128;
        let mut rng = stream(6, 0);
        let centre = Patterns::random(1, n, &mut rng).unwrap();
        let mut rows: Vec<f32> = Vec::new();
        for _ in 0..5 {
            rows.extend(corrupt(centre.row(0), 0.03, &mut rng).unwrap().iter().map(|&x| x as f32));
        }
        rows.extend(Patterns::random(20, n, &mut rng).unwrap().as_slice().iter().map(|&x| x as f32));
        let net = ModernHopfield::new(&rows, 25, n).unwrap();
        let q: Vec<f32> = centre.row(0).iter().map(|&x| x as f32).collect();
        let opts = |beta| RetrieveOptions { beta, steps: 50, tol: Some(1e-6), track_energy: false };
        let r = net.retrieve(&q, &opts(5.0), &StopFlag::new()).unwrap();
        assert!(matches!(net.classify(&r.states, 5.0).unwrap(), FixedPointKind::SinglePattern { index: 0..=4, .. }));
        let r = net.retrieve(&q, &opts(0.1), &StopFlag::new()).unwrap();
        match net.classify(&r.states, 0.1).unwrap() {
            FixedPointKind::Metastable { effective_patterns, .. } => {
                assert!((2.0..=8.0).contains(&effective_patterns), "{effective_patterns}")
            }
            other => panic!("expected a metastable state, got {other:?}"),
        }
    }

    #[test]
    fn deterministic_across_threads_and_bad_inputs_rejected() {
        let (k, n) = (50, 32);
        let (_, xi) = bipolar(k, n, 7);
        let net = ModernHopfield::new(&xi, k, n).unwrap();
        let q: Vec<f32> = xi.iter().take(n * 40).map(|&x| x * 0.5).cycle().take(n * 200).collect();
        let opts = RetrieveOptions::new(0.3, 3);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let a = one.install(|| net.retrieve(&q, &opts, &StopFlag::new()).unwrap());
        let b = two.install(|| net.retrieve(&q, &opts, &StopFlag::new()).unwrap());
        assert_eq!(a.states, b.states);
        assert!(net.retrieve(&q[..n + 1], &opts, &StopFlag::new()).is_err());
        assert!(net.retrieve(&q, &RetrieveOptions::new(0.0, 1), &StopFlag::new()).is_err());
        assert!(net.retrieve(&q, &RetrieveOptions::new(f64::NAN, 1), &StopFlag::new()).is_err());
        assert!(net.retrieve(&q, &RetrieveOptions::new(1.0, 0), &StopFlag::new()).is_err());
        assert!(ModernHopfield::new(&[], 0, 4).is_err());
        assert!(ModernHopfield::new(&[1.0, f32::NAN], 1, 2).is_err());
        // Huge β and scores do not overflow.
        let big: Vec<f32> = xi.iter().map(|&x| x * 100.0).collect();
        let net = ModernHopfield::new(&big, k, n).unwrap();
        let r = net.retrieve(&big[..n], &RetrieveOptions::new(1e3, 2), &StopFlag::new()).unwrap();
        assert!(r.states.iter().all(|x| x.is_finite()));
        assert!(net.energy(&big[..n], 1e3).unwrap().is_finite());
    }
}
