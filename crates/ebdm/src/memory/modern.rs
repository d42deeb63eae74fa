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
//! product, so results are bit-identical at any thread count.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;
use serde::Serialize;

use crate::engine::run::StopFlag;
use crate::error::{check_positive, Error, Result};

/// Queries per chunk: a fixed size keeps results independent of the thread count.
const CHUNK: usize = 64;

/// Stored patterns of a modern Hopfield network.
#[derive(Clone, Debug)]
pub struct ModernHopfield {
    k: usize,
    n: usize,
    /// K×N row-major.
    xi: Vec<f32>,
    /// The same in double precision, for energies; made on first use.
    xi64: std::sync::OnceLock<Vec<f64>>,
    /// M² = max_μ ‖ξ^μ‖².
    max_norm_sq: f64,
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
        if k == 0 {
            return Err(Error::param("patterns", "at least one pattern is needed"));
        }
        if n == 0 {
            return Err(Error::param("neurons", "pattern width N must be at least 1"));
        }
        if patterns.len() != k * n {
            return Err(Error::Shape(format!("{} values cannot form {k} patterns of width {n}", patterns.len())));
        }
        if let Some(i) = patterns.iter().position(|v| !v.is_finite()) {
            return Err(Error::param(
                "patterns",
                format!("pattern {}, component {}: value {} is not finite", i / n, i % n, patterns[i]),
            ));
        }
        let max_norm_sq =
            patterns.chunks_exact(n).map(|r| r.iter().map(|&x| x as f64 * x as f64).sum::<f64>()).fold(0.0, f64::max);
        Ok(Self { k, n, xi: patterns.to_vec(), xi64: std::sync::OnceLock::new(), max_norm_sq })
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
        if queries.len() % self.n != 0 || queries.is_empty() {
            return Err(Error::Shape(format!(
                "queries hold {} values, not a whole number of rows of width {} (the patterns' width)",
                queries.len(),
                self.n
            )));
        }
        if let Some(i) = queries.iter().position(|v| !v.is_finite()) {
            return Err(Error::param(
                "queries",
                format!("query {}, component {}: value {} is not finite", i / self.n, i % self.n, queries[i]),
            ));
        }
        Ok(queries.len() / self.n)
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
        -lse + 0.5 * qq + (self.k as f64).ln() / beta + 0.5 * self.max_norm_sq
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
        let n = self.n;
        let mut states = queries.to_vec();
        let results: Vec<ChunkOutcome> =
            states.par_chunks_mut(CHUNK * n).map(|chunk| self.retrieve_chunk(chunk, opts, stop)).collect();
        let mut steps = Vec::with_capacity(b);
        let mut energies = opts.track_energy.then(|| Vec::with_capacity(b));
        let mut interrupted = false;
        for (chunk_index, ChunkOutcome { steps: s, energies: e, interrupted: stopped }) in
            results.into_iter().enumerate()
        {
            let rows = CHUNK.min(b - chunk_index * CHUNK);
            steps.extend(std::iter::repeat_n(s, rows));
            if let (Some(all), Some(e)) = (energies.as_mut(), e) {
                all.extend(e);
            }
            interrupted |= stopped;
        }
        Ok(ModernRetrieval { states, batch: b, neurons: n, steps, energies, interrupted })
    }

    /// Updates one chunk of queries in place.
    fn retrieve_chunk(&self, q: &mut [f32], opts: &RetrieveOptions, stop: &StopFlag) -> ChunkOutcome {
        let (k, n) = (self.k, self.n);
        let rows = q.len() / n;
        let beta = opts.beta as f32;
        let xi = MatRef::from_row_major_slice(&self.xi, k, n);
        let mut scores = vec![0f32; rows * k];
        let mut next = vec![0f32; rows * n];
        let mut energies: Option<Vec<Vec<f64>>> =
            opts.track_energy.then(|| vec![Vec::with_capacity(opts.steps + 1); rows]);
        let mut done = 0;
        let mut interrupted = false;
        // Scores z = QΞᵀ for the current states; also used for the energy of those states.
        let compute_scores = |q: &[f32], scores: &mut [f32]| {
            let qm = MatRef::from_row_major_slice(q, rows, n);
            matmul(
                MatMut::from_row_major_slice_mut(scores, rows, k),
                Accum::Replace,
                qm,
                xi.transpose(),
                1.0f32,
                Par::Seq,
            );
        };
        compute_scores(q, &mut scores);
        // Energies in double precision from the (single-precision) states: z = QΞᵀ again in f64.
        let xi64 = MatRef::from_row_major_slice(
            if opts.track_energy { self.xi64.get_or_init(|| self.xi.iter().map(|&x| x as f64).collect()) } else { &[] },
            if opts.track_energy { k } else { 0 },
            n,
        );
        let mut q64 = vec![0f64; rows * n];
        let mut z64 = vec![0f64; rows * k];
        let mut record = |energies: &mut Option<Vec<Vec<f64>>>, q: &[f32]| {
            if let Some(e) = energies.as_mut() {
                q64.iter_mut().zip(q).for_each(|(a, &b)| *a = b as f64);
                let qm = MatRef::from_row_major_slice(&q64, rows, n);
                matmul(
                    MatMut::from_row_major_slice_mut(&mut z64, rows, k),
                    Accum::Replace,
                    qm,
                    xi64.transpose(),
                    1.0,
                    Par::Seq,
                );
                for (r, er) in e.iter_mut().enumerate() {
                    er.push(self.energy_from_scores(&z64[r * k..(r + 1) * k], &q[r * n..(r + 1) * n], opts.beta));
                }
            }
        };
        record(&mut energies, q);
        while done < opts.steps {
            if stop.is_raised() {
                interrupted = true;
                break;
            }
            // P = softmax(β z) row by row, with the row maximum shifted out.
            for row in scores.chunks_exact_mut(k) {
                let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut s = 0.0f64;
                for x in row.iter_mut() {
                    // Below −88 the f32 exponential underflows to 0; skipping it avoids the slow
                    // underflow path of expf.
                    let arg = beta * (*x - m);
                    *x = if arg < -88.0 { 0.0 } else { arg.exp() };
                    s += *x as f64;
                }
                let inv = (1.0 / s) as f32;
                row.iter_mut().for_each(|x| *x *= inv);
            }
            let p = MatRef::from_row_major_slice(&scores, rows, k);
            matmul(MatMut::from_row_major_slice_mut(&mut next, rows, n), Accum::Replace, p, xi, 1.0f32, Par::Seq);
            let moved = q.iter().zip(&next).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            q.copy_from_slice(&next);
            done += 1;
            let need_scores = done < opts.steps || opts.track_energy;
            if need_scores {
                compute_scores(q, &mut scores);
                record(&mut energies, q);
            }
            if opts.tol.is_some_and(|t| (moved as f64) < t) {
                break;
            }
        }
        ChunkOutcome { steps: done, energies, interrupted }
    }
}

/// What one chunk of queries went through.
struct ChunkOutcome {
    steps: usize,
    energies: Option<Vec<Vec<f64>>>,
    interrupted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::memory::patterns::{corrupt, Patterns};

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
