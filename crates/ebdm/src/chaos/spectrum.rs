//! The Lyapunov spectrum of a random network by QR re-orthonormalisation (Benettin, Galgani,
//! Giorgilli & Strelcyn 1980; for these networks Engelken, Wolf & Abbott, arXiv 2006.02427),
//! in two conventions that are kept apart in every result:
//!
//! - [`Convention::Ode`]: the flow dx/dt = −x + J tanh(x) with its tangent dynamics
//!   dQ/dt = −Q + J (φ'(x) ∘ Q), advanced together by RK4; exponents of the ODE per unit time;
//! - [`Convention::EulerMap`]: the map x ← (1 − dt)x + dt J tanh(x) with Jacobian
//!   (1 − dt)I + dt J diag(φ'(x)) (Engelken's convention); exponents of the map divided by dt.
//!   They differ from the ODE's at O(dt).
//!
//! The state and the k tangent vectors are one N × (k+1) column-major matrix Y = [x | Q], so every
//! right-hand side is one product J·[tanh x | φ'(x) ∘ Q]: the Jacobian is never formed and J is
//! read once per stage for the state and all vectors. Every `ons_interval` time units Q is
//! replaced by the Q factor of its thin Householder QR with diag(R) > 0; after the warm-up of
//! the orthonormal system, ln R_ii accumulates and λ_i = Σ ln R_ii / (measured time).
//!
//! Derived quantities: the Kaplan–Yorke dimension D_KY = m + Σ_{i≤m} λ_i / |λ_{m+1}| (m the
//! largest index with Σ_{i≤m} λ_i ≥ 0), the entropy rate h_KS = Σ_{λ_i>0} λ_i (Pesin), the
//! participation-ratio dimension (tr C)² / tr C² of the state covariance C, and moving-block
//! bootstrap 95 % intervals of λ_1 and λ_k from the per-interval local rates.

use std::cell::RefCell;
use std::fmt;
use std::str::FromStr;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::householder::{
    apply_block_householder_sequence_on_the_left_in_place_scratch,
    apply_block_householder_sequence_on_the_left_in_place_with_conj,
};
use faer::linalg::qr::no_pivoting::factor::{qr_in_place, qr_in_place_scratch, recommended_block_size};
use faer::{Conj, Mat, MatRef, Par};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;

use super::network::{check_start, RandomNetwork};
use crate::boltzmann::kernel::{gemm, gemm_col_major};
use crate::engine::integrators::{Integrator, OdeSystem, Rk4};
use crate::engine::rng::Rng64;
use crate::engine::run::StopFlag;
use crate::error::{Error, Result};
use crate::size::{bytes, check_memory};

/// Which dynamics the exponents belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Convention {
    /// The ODE, integrated by RK4.
    Ode,
    /// The Euler map of step dt, exponents divided by dt.
    EulerMap,
}

impl FromStr for Convention {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ode" => Ok(Self::Ode),
            "euler-map" => Ok(Self::EulerMap),
            other => Err(Error::param("mode", format!("unknown mode `{other}` (expected ode or euler-map)"))),
        }
    }
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ode => "ode",
            Self::EulerMap => "euler-map",
        })
    }
}

/// Settings of a spectrum run. Times are in units of the neurons' time constant.
#[derive(Clone, Debug, Serialize)]
pub struct SpectrumOptions {
    /// Number of exponents (tangent vectors), 1 ≤ k ≤ N; 0 asks for all N.
    pub k: usize,
    pub convention: Convention,
    pub dt: f64,
    /// State warm-up (the state alone).
    pub transient: f64,
    /// Warm-up of the orthonormal system (state and vectors, nothing accumulated).
    pub ons_warmup: f64,
    /// Measured time.
    pub time: f64,
    /// Time between re-orthonormalisations (t_ONS).
    pub ons_interval: f64,
    /// Accumulate the state covariance for the participation-ratio dimension (N² memory).
    pub pca: bool,
    /// Bootstrap resamples for the intervals of λ_1 and λ_k (0: none).
    pub bootstrap: usize,
}

impl Default for SpectrumOptions {
    fn default() -> Self {
        Self {
            k: 0,
            convention: Convention::Ode,
            dt: 0.1,
            transient: 100.0,
            ons_warmup: 100.0,
            time: 1000.0,
            ons_interval: 1.0,
            pca: true,
            bootstrap: 1000,
        }
    }
}

/// Step counts of checked options.
struct Plan {
    k: usize,
    transient: usize,
    warmup_intervals: usize,
    intervals: usize,
    per_interval: usize,
}

impl SpectrumOptions {
    fn plan(&self, n: usize) -> Result<Plan> {
        let k = if self.k == 0 { n } else { self.k };
        if k > n {
            return Err(Error::param("k", format!("asks for {k} exponents of a network of {n} units")));
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(Error::param("dt", format!("must be finite and > 0, got {}", self.dt)));
        }
        if self.convention == Convention::EulerMap && self.dt > 1.0 {
            return Err(Error::param("dt", format!("the Euler map needs dt ≤ 1, got {}", self.dt)));
        }
        for (name, v) in [("transient", self.transient), ("ons_warmup", self.ons_warmup)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::param(name, format!("must be finite and ≥ 0, got {v}")));
            }
        }
        if !(self.ons_interval.is_finite() && self.ons_interval >= self.dt) {
            return Err(Error::param("t_ons", format!("must be ≥ dt = {}, got {}", self.dt, self.ons_interval)));
        }
        if !(self.time.is_finite() && self.time >= self.ons_interval) {
            return Err(Error::param("time", format!("must be at least one interval t_ons, got {}", self.time)));
        }
        let per_interval = (self.ons_interval / self.dt).round() as usize;
        let intervals = |t: f64| (t / (per_interval as f64 * self.dt)).round() as usize;
        Ok(Plan {
            k,
            transient: (self.transient / self.dt).round() as usize,
            warmup_intervals: intervals(self.ons_warmup),
            intervals: intervals(self.time).max(1),
            per_interval,
        })
    }
}

/// A measured spectrum.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spectrum {
    pub convention: Convention,
    /// λ_1 ≥ λ_2 ≥ … in the order of the QR columns (sorted in expectation, not forced).
    pub exponents: Vec<f64>,
    /// Bootstrap 95 % interval of λ_1.
    pub ci95_first: Option<[f64; 2]>,
    /// Bootstrap 95 % interval of λ_k.
    pub ci95_last: Option<[f64; 2]>,
    /// ln R_11 / t_ONS of every measured interval (the local rate of λ_1).
    pub local_first: Vec<f64>,
    /// Kaplan–Yorke dimension, when the k exponents determine it.
    pub kaplan_yorke: Option<f64>,
    /// Sum of the positive exponents.
    pub entropy: f64,
    /// (tr C)² / tr C² of the state covariance over the measured time.
    pub pca_dimension: Option<f64>,
    /// ⟨x²⟩ over units and measured steps.
    pub mean_square: f64,
    /// Time actually measured (shorter when stopped).
    pub time: f64,
    pub interrupted: bool,
}

/// Kaplan–Yorke dimension of a spectrum (sorted here): 0 when λ_1 < 0, `None` when every
/// partial sum of the given exponents is ≥ 0 (more exponents are needed).
pub fn kaplan_yorke(exponents: &[f64]) -> Option<f64> {
    let mut l = exponents.to_vec();
    l.sort_by(|a, b| b.total_cmp(a));
    let mut sum = 0.0;
    for (m, &v) in l.iter().enumerate() {
        if sum + v < 0.0 {
            return Some(m as f64 + sum / v.abs());
        }
        sum += v;
    }
    None
}

/// Entropy rate h_KS = Σ of the positive exponents.
pub fn entropy_rate(exponents: &[f64]) -> f64 {
    // A fold from +0.0: `sum` of no terms is −0.0.
    exponents.iter().filter(|&&v| v > 0.0).fold(0.0, |a, b| a + b)
}

/// Entries of Y above which the element-wise passes run on the thread pool (each entry is
/// computed alone, so the bits do not depend on the thread count).
const PARALLEL_MIN: usize = 1 << 15;

/// The state and tangent vectors as one N × c column-major matrix, c = k + 1.
struct Tangents<'a> {
    net: &'a RandomNetwork,
    cols: usize,
    /// [tanh x | φ'(x) ∘ Q] and J times it.
    scratch: RefCell<(Vec<f64>, Vec<f64>)>,
}

impl<'a> Tangents<'a> {
    fn new(net: &'a RandomNetwork, cols: usize) -> Self {
        let len = net.n() * cols;
        Self { net, cols, scratch: RefCell::new((vec![0.0; len], vec![0.0; len])) }
    }

    /// `prod = J·[tanh x | φ'(x) ∘ Q]` for `y = [x | Q]`.
    fn product(&self, y: &[f64], b: &mut [f64], prod: &mut [f64]) {
        let (n, c) = (self.net.n(), self.cols);
        let (phi, slopes) = b.split_at_mut(n);
        for (p, x) in phi.iter_mut().zip(&y[..n]) {
            *p = x.tanh();
        }
        let phi = &*phi;
        let column = |(bq, yq): (&mut [f64], &[f64])| {
            for ((bv, yv), p) in bq.iter_mut().zip(yq).zip(phi) {
                *bv = (1.0 - p * p) * yv;
            }
        };
        if slopes.len() >= PARALLEL_MIN {
            slopes.par_chunks_mut(n).zip(y[n..].par_chunks(n)).for_each(column);
        } else {
            slopes.chunks_exact_mut(n).zip(y[n..].chunks_exact(n)).for_each(column);
        }
        gemm_col_major(prod, self.net.couplings(), MatRef::from_column_major_slice(b, n, c));
    }

    /// One step of the Euler map, `y ← (1 − dt) y + dt J·[tanh x | φ'(x) ∘ Q]`.
    fn euler_map(&self, y: &mut [f64], dt: f64) -> Result<()> {
        let mut s = self.scratch.borrow_mut();
        let (b, prod) = &mut *s;
        self.product(y, b, prod);
        let update = |(v, p): (&mut f64, &f64)| *v = (1.0 - dt) * *v + dt * p;
        if y.len() >= PARALLEL_MIN {
            y.par_iter_mut().zip(prod.par_iter()).for_each(update);
        } else {
            y.iter_mut().zip(prod.iter()).for_each(update);
        }
        if y.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(Error::Numerical("the Euler map left the finite numbers".into()))
        }
    }
}

impl OdeSystem for Tangents<'_> {
    fn dim(&self) -> usize {
        self.net.n() * self.cols
    }
    fn rhs(&self, _t: f64, y: &[f64], dydt: &mut [f64]) {
        let mut s = self.scratch.borrow_mut();
        let (b, prod) = &mut *s;
        self.product(y, b, prod);
        let difference = |((d, p), v): ((&mut f64, &f64), &f64)| *d = p - v;
        if y.len() >= PARALLEL_MIN {
            dydt.par_iter_mut().zip(prod.par_iter()).zip(y.par_iter()).for_each(difference);
        } else {
            dydt.iter_mut().zip(prod.iter()).zip(y).for_each(difference);
        }
    }
}

/// Advances `y` by one step of the chosen convention.
struct Stepper<'a> {
    sys: Tangents<'a>,
    rk: Rk4,
    convention: Convention,
    dt: f64,
    t: f64,
}

impl Stepper<'_> {
    fn step(&mut self, y: &mut [f64]) -> Result<()> {
        match self.convention {
            Convention::Ode => {
                self.rk.step(&self.sys, self.t, y, self.dt)?;
            }
            Convention::EulerMap => self.sys.euler_map(y, self.dt)?,
        }
        self.t += self.dt;
        Ok(())
    }
}

/// Replaces the columns 1..c of the column-major N × c matrix `y` by the Q factor of their thin
/// QR with diag(R) > 0 and writes ln R_jj into `logs`. Sequential: faer's parallel QR gives
/// different bits on different thread counts.
fn reorthonormalise(y: &mut [f64], n: usize, cols: usize, logs: &mut [f64]) -> Result<()> {
    let par = Par::Seq;
    let k = cols - 1;
    let mut qr = MatRef::from_column_major_slice(y, n, cols).subcols(1, k).to_owned();
    let block = recommended_block_size::<f64>(n, k);
    let mut coeff = Mat::<f64>::zeros(block, k);
    let mut mem = MemBuffer::new(qr_in_place_scratch::<f64>(n, k, block, par, Default::default()));
    qr_in_place(qr.as_mut(), coeff.as_mut(), par, MemStack::new(&mut mem), Default::default());
    let mut q = Mat::<f64>::identity(n, k);
    let mut mem = MemBuffer::new(apply_block_householder_sequence_on_the_left_in_place_scratch::<f64>(n, block, k));
    apply_block_householder_sequence_on_the_left_in_place_with_conj(
        qr.as_ref(),
        coeff.as_ref(),
        Conj::No,
        q.as_mut(),
        par,
        MemStack::new(&mut mem),
    );
    for j in 0..k {
        let r = qr[(j, j)];
        if !(r.is_finite() && r != 0.0) {
            return Err(Error::Numerical(format!("tangent vector {} collapsed (R_jj = {r}); shorten t_ons", j + 1)));
        }
        logs[j] = r.abs().ln();
        let s = r.signum();
        for (i, v) in y[(1 + j) * n..(2 + j) * n].iter_mut().enumerate() {
            *v = s * q[(i, j)];
        }
    }
    Ok(())
}

/// Sums for the covariance of the state over the measured steps, in blocks of `BLOCK` samples
/// (one GEMM per block instead of a rank-one update per step).
struct Covariance {
    n: usize,
    samples: usize,
    sum: Vec<f64>,
    outer: Vec<f64>,
    block: Vec<f64>,
    filled: usize,
    tmp: Vec<f64>,
}

const BLOCK: usize = 64;

impl Covariance {
    fn new(n: usize) -> Self {
        Self {
            n,
            samples: 0,
            sum: vec![0.0; n],
            outer: vec![0.0; n * n],
            block: vec![0.0; BLOCK * n],
            filled: 0,
            tmp: vec![0.0; n * n],
        }
    }

    fn add(&mut self, x: &[f64]) {
        let row = &mut self.block[self.filled * self.n..(self.filled + 1) * self.n];
        row.copy_from_slice(x);
        for (s, v) in self.sum.iter_mut().zip(row.iter()) {
            *s += v;
        }
        self.filled += 1;
        self.samples += 1;
        if self.filled == BLOCK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.filled == 0 {
            return;
        }
        let x = MatRef::from_row_major_slice(&self.block[..self.filled * self.n], self.filled, self.n);
        gemm(&mut self.tmp, self.n, x.transpose(), x);
        for (o, t) in self.outer.iter_mut().zip(&self.tmp) {
            *o += t;
        }
        self.filled = 0;
    }

    /// (tr C)² / tr C² of C = ⟨x xᵀ⟩ − ⟨x⟩⟨x⟩ᵀ.
    fn participation_ratio(mut self) -> Option<f64> {
        self.flush();
        if self.samples < 2 {
            return None;
        }
        let m = self.samples as f64;
        let mean: Vec<f64> = self.sum.iter().map(|s| s / m).collect();
        let (mut trace, mut frob) = (0.0, 0.0);
        for i in 0..self.n {
            for j in 0..self.n {
                let c = self.outer[i * self.n + j] / m - mean[i] * mean[j];
                if i == j {
                    trace += c;
                }
                frob += c * c;
            }
        }
        (frob > 0.0).then(|| trace * trace / frob)
    }
}

/// Moving-block bootstrap 95 % interval of the mean of `rates` (blocks of ⌈n^{1/3}⌉ intervals,
/// which keeps the short-range correlation of successive local rates).
fn bootstrap_interval(rates: &[f64], resamples: usize, rng: &mut Rng64) -> Option<[f64; 2]> {
    let n = rates.len();
    if n < 2 || resamples == 0 {
        return None;
    }
    let block = ((n as f64).cbrt().ceil() as usize).clamp(1, n);
    let blocks = n.div_ceil(block);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let sum: f64 = (0..blocks)
                .map(|_| {
                    let start = rng.random_range(0..=n - block);
                    rates[start..start + block].iter().sum::<f64>()
                })
                .sum();
            sum / (blocks * block) as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |p: f64| means[(p * (resamples - 1) as f64).round() as usize];
    Some([at(0.025), at(0.975)])
}

/// The Lyapunov spectrum of `net` from the state `x0`: the initial orthonormal system is drawn
/// from `tangent_rng`, the bootstrap resamples from `bootstrap_rng`. A raised `stop` ends the
/// measurement early and keeps what was measured (`interrupted`).
pub fn lyapunov_spectrum(
    net: &RandomNetwork,
    x0: &[f64],
    opts: &SpectrumOptions,
    tangent_rng: &mut Rng64,
    bootstrap_rng: &mut Rng64,
    stop: &StopFlag,
) -> Result<Spectrum> {
    let n = net.n();
    check_start(net, x0)?;
    let plan = opts.plan(n)?;
    let cols = plan.k + 1;
    // Y, the RK4 stages and scratch (8 copies of N × c), and the covariance sums (2 N²).
    let covariance = if opts.pca { bytes(&[2, n, n], 8) } else { 0 };
    check_memory("k", format!("{} tangent vectors of {n} units", plan.k), bytes(&[8, n, cols], 8) + covariance)?;

    // State warm-up, the state alone.
    let mut x = x0.to_vec();
    let mut warm =
        Stepper { sys: Tangents::new(net, 1), rk: Rk4::default(), convention: opts.convention, dt: opts.dt, t: 0.0 };
    for _ in 0..plan.transient {
        if stop.is_raised() {
            return Ok(nothing_measured(opts.convention));
        }
        warm.step(&mut x)?;
    }

    let mut y = x;
    y.extend((0..n * plan.k).map(|_| tangent_rng.sample::<f64, _>(StandardNormal)));
    let mut logs = vec![0.0; plan.k];
    reorthonormalise(&mut y, n, cols, &mut logs)?;
    let mut stepper = Stepper {
        sys: Tangents::new(net, cols),
        rk: Rk4::default(),
        convention: opts.convention,
        dt: opts.dt,
        t: warm.t,
    };

    let mut sums = vec![0.0; plan.k];
    let mut local_first = Vec::with_capacity(plan.intervals);
    let mut local_last = Vec::with_capacity(plan.intervals);
    let mut covariance = opts.pca.then(|| Covariance::new(n));
    let (mut square, mut steps_measured, mut measured) = (0.0, 0usize, 0usize);
    let interval_time = plan.per_interval as f64 * opts.dt;
    for interval in 0..plan.warmup_intervals + plan.intervals {
        if stop.is_raised() {
            break;
        }
        let measuring = interval >= plan.warmup_intervals;
        for _ in 0..plan.per_interval {
            stepper.step(&mut y)?;
            if measuring {
                square += y[..n].iter().map(|v| v * v).sum::<f64>() / n as f64;
                steps_measured += 1;
                if let Some(c) = covariance.as_mut() {
                    c.add(&y[..n]);
                }
            }
        }
        reorthonormalise(&mut y, n, cols, &mut logs)?;
        if measuring {
            for (s, l) in sums.iter_mut().zip(&logs) {
                *s += l;
            }
            local_first.push(logs[0] / interval_time);
            local_last.push(logs[plan.k - 1] / interval_time);
            measured += 1;
        }
    }
    if measured == 0 {
        return Ok(nothing_measured(opts.convention));
    }
    let time = measured as f64 * interval_time;
    let exponents: Vec<f64> = sums.iter().map(|s| s / time).collect();
    let ci95_first = bootstrap_interval(&local_first, opts.bootstrap, bootstrap_rng);
    let ci95_last = bootstrap_interval(&local_last, opts.bootstrap, bootstrap_rng);
    Ok(Spectrum {
        convention: opts.convention,
        kaplan_yorke: kaplan_yorke(&exponents),
        entropy: entropy_rate(&exponents),
        exponents,
        ci95_first,
        ci95_last,
        local_first,
        pca_dimension: covariance.and_then(Covariance::participation_ratio),
        mean_square: square / steps_measured.max(1) as f64,
        time,
        interrupted: measured < plan.intervals,
    })
}

fn nothing_measured(convention: Convention) -> Spectrum {
    Spectrum {
        convention,
        exponents: Vec::new(),
        ci95_first: None,
        ci95_last: None,
        local_first: Vec::new(),
        kaplan_yorke: None,
        entropy: 0.0,
        pca_dimension: None,
        mean_square: f64::NAN,
        time: 0.0,
        interrupted: true,
    }
}

/// The spectrum of network `s` of a run with `seed`: couplings, initial state, orthonormal system
/// and bootstrap from the streams `(seed, [CHAOS_NETWORK | CHAOS_STATE | CHAOS_TANGENT |
/// CHAOS_BOOTSTRAP, s])`, the same network and initial state as [`super::exponents`] uses.
pub fn network_spectrum(
    n: usize,
    g: f64,
    gamma: f64,
    s: usize,
    seed: u64,
    opts: &SpectrumOptions,
    stop: &StopFlag,
) -> Result<Spectrum> {
    use crate::engine::rng::stream_path;
    use crate::experiment::streams::{CHAOS_BOOTSTRAP, CHAOS_NETWORK, CHAOS_STATE, CHAOS_TANGENT};
    let net = RandomNetwork::elliptic(n, g, gamma, &mut stream_path(seed, &[CHAOS_NETWORK, s as u64]))?;
    let mut state = stream_path(seed, &[CHAOS_STATE, s as u64]);
    let x0: Vec<f64> = (0..n).map(|_| state.sample::<f64, _>(StandardNormal)).collect();
    lyapunov_spectrum(
        &net,
        &x0,
        opts,
        &mut stream_path(seed, &[CHAOS_TANGENT, s as u64]),
        &mut stream_path(seed, &[CHAOS_BOOTSTRAP, s as u64]),
        stop,
    )
}

/// The spectra of `networks` independent networks ([`network_spectrum`] with s = 0, 1, …), in
/// parallel; networks not started when `stop` is raised are `None`.
#[allow(clippy::too_many_arguments)]
pub fn spectra(
    n: usize,
    g: f64,
    gamma: f64,
    networks: usize,
    seed: u64,
    opts: &SpectrumOptions,
    stop: &StopFlag,
) -> Result<Vec<Option<Spectrum>>> {
    super::static_dmft::check_gain_symmetry(g, gamma)?;
    if n == 0 {
        return Err(Error::param("n", "must be at least 1"));
    }
    if networks == 0 {
        return Err(Error::param("networks", "must be at least 1"));
    }
    opts.plan(n)?;
    crate::engine::replicas::run_indexed(networks, stop, |s| network_spectrum(n, g, gamma, s, seed, opts, stop))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::network::{largest_exponent, LyapunovOptions};
    use crate::engine::rng::stream;

    fn start(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = stream(seed, 99);
        (0..n).map(|_| rng.sample::<f64, _>(StandardNormal)).collect()
    }

    fn quick(k: usize, convention: Convention) -> SpectrumOptions {
        SpectrumOptions { k, convention, dt: 0.1, transient: 50.0, ons_warmup: 20.0, time: 200.0, ..Default::default() }
    }

    #[test]
    fn kaplan_yorke_and_entropy_follow_their_definitions() {
        // Σ_{i≤2} = 0.5 ≥ 0, Σ_{i≤3} = −0.5 < 0: D = 2 + 0.5 / 1.
        assert_eq!(kaplan_yorke(&[-1.0, 0.2, 0.3]), Some(2.5));
        assert_eq!(kaplan_yorke(&[-0.1, -0.2]), Some(0.0));
        assert_eq!(kaplan_yorke(&[0.3, 0.1]), None);
        assert!((entropy_rate(&[0.3, 0.2, -0.1, -1.0]) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn at_the_stable_fixed_point_the_spectrum_is_the_eigenvalues_of_the_linearisation() {
        // g = 0.5: x → 0, where the tangent dynamics is dQ/dt = (J − I)Q. With a symmetric J
        // (γ = 1) the eigenvalues are real and the exponents are them, sorted.
        // Twelve units keep the eigenvalue gaps (≈ 0.08) wide enough for the warm-up to align
        // the orthonormal system with the eigenvectors.
        let n = 12;
        let net = RandomNetwork::elliptic(n, 0.5, 1.0, &mut stream(1, 0)).unwrap();
        let mut eig: Vec<f64> = net.couplings().eigenvalues().unwrap().iter().map(|z| z.re - 1.0).collect();
        eig.sort_by(|a, b| b.total_cmp(a));
        let opts = SpectrumOptions { k: 0, ons_warmup: 200.0, time: 400.0, ..quick(0, Convention::Ode) };
        let s = lyapunov_spectrum(&net, &start(n, 2), &opts, &mut stream(3, 0), &mut stream(3, 1), &StopFlag::new())
            .unwrap();
        for (i, (l, e)) in s.exponents.iter().zip(&eig).enumerate() {
            assert!((l - e).abs() < 2e-3, "λ_{} = {l} vs eigenvalue {e}", i + 1);
        }
        assert_eq!(s.kaplan_yorke, Some(0.0));
        assert_eq!(s.entropy, 0.0);
        // The Euler map of step dt has multipliers 1 + dt·e, so exponents ln(1 + dt e)/dt.
        let map = lyapunov_spectrum(
            &net,
            &start(n, 2),
            &SpectrumOptions { k: 0, ons_warmup: 200.0, time: 400.0, ..quick(0, Convention::EulerMap) },
            &mut stream(3, 0),
            &mut stream(3, 1),
            &StopFlag::new(),
        )
        .unwrap();
        for (l, e) in map.exponents.iter().zip(&eig) {
            let expected = (1.0 + 0.1 * e).ln() / 0.1;
            assert!((l - expected).abs() < 2e-3, "{l} vs {expected}");
        }
    }

    #[test]
    fn a_chaotic_spectrum_has_its_invariants() {
        let n = 128;
        let net = RandomNetwork::elliptic(n, 4.0, 0.0, &mut stream(4, 0)).unwrap();
        let x0 = start(n, 5);
        let run = |k, convention| {
            lyapunov_spectrum(&net, &x0, &quick(k, convention), &mut stream(6, 0), &mut stream(6, 1), &StopFlag::new())
                .unwrap()
        };
        let s = run(0, Convention::Ode);
        assert_eq!(s.exponents.len(), n);
        // The trace of the Jacobian −I + J diag(φ') is −N + Σ_i J_ii φ'_i = −N (zero diagonal),
        // so the exponents of the flow sum to −N (Liouville); RK4 at dt = 0.1 keeps the
        // volume to its own O(dt⁴) error.
        let mean = s.exponents.iter().sum::<f64>() / n as f64;
        assert!((mean + 1.0).abs() < 1e-5, "mean exponent {mean}");
        assert!(s.exponents[0] > 0.05, "{:?}", &s.exponents[..3]);
        let d = s.kaplan_yorke.unwrap();
        assert!(d > 1.0 && d < n as f64 / 2.0, "D_KY = {d}");
        assert!(s.entropy >= s.exponents[0]);
        let pr = s.pca_dimension.unwrap();
        assert!(pr > 1.0 && pr < n as f64, "PCA dimension {pr}");
        let [lo, hi] = s.ci95_first.unwrap();
        assert!(lo < s.exponents[0] && s.exponents[0] < hi, "{lo} {} {hi}", s.exponents[0]);
        // A partial spectrum of 8 vectors from the same start: the same leading exponent up
        // to the statistics of one run of 200 time units.
        let part = run(8, Convention::Ode);
        assert_eq!(part.exponents.len(), 8);
        assert!((part.exponents[0] - s.exponents[0]).abs() < 0.05, "{} vs {}", part.exponents[0], s.exponents[0]);
        // The Euler map of dt = 0.1 is a different system: close to the flow, not equal.
        let map = run(0, Convention::EulerMap);
        assert_eq!(map.convention, Convention::EulerMap);
        assert!(map.exponents[0] > 0.05 && map.exponents[0] != s.exponents[0], "{:?}", &map.exponents[..3]);
    }

    #[test]
    fn one_vector_reorthonormalised_every_interval_is_the_tangent_estimate_renormalised_every_step() {
        // For k = 1 renormalising once per t_ONS or after every step multiplies the same
        // norms: with the same network, start, tangent vector and warm-up, the QR code and the
        // single-vector code must give the same exponent to rounding.
        let n = 128;
        let net = RandomNetwork::elliptic(n, 4.0, 0.0, &mut stream(4, 0)).unwrap();
        let x0 = start(n, 5);
        let opts = SpectrumOptions { k: 1, transient: 0.0, ons_warmup: 50.0, time: 150.0, ..quick(1, Convention::Ode) };
        let s = lyapunov_spectrum(&net, &x0, &opts, &mut stream(6, 0), &mut stream(6, 1), &StopFlag::new()).unwrap();
        let single = LyapunovOptions { dt: 0.1, transient: 50.0, time: 150.0, sigma: 0.0 };
        let one = largest_exponent(&net, &x0, &single, &mut stream(6, 0), &StopFlag::new()).unwrap();
        assert!(one.lambda > 0.05, "{one:?}");
        assert!((one.lambda - s.exponents[0]).abs() < 1e-9, "{} vs {}", one.lambda, s.exponents[0]);
        assert!((one.mean_square - s.mean_square).abs() < 1e-9);
    }

    #[test]
    fn the_qr_step_orthonormalises_and_reports_the_growth() {
        let (n, cols) = (200, 51);
        let mut rng = stream(11, 0);
        let y0: Vec<f64> = (0..n * cols).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
        let (mut y, mut logs) = (y0.clone(), vec![0.0; cols - 1]);
        reorthonormalise(&mut y, n, cols, &mut logs).unwrap();
        let reference = (y, logs);
        assert_eq!(reference.0[..n], y0[..n], "the state column is left alone");
        // ln R_11 is the log length of the first vector.
        let first = y0[n..2 * n].iter().map(|v| v * v).sum::<f64>().sqrt().ln();
        assert!((reference.1[0] - first).abs() < 1e-12);
        // The result is orthonormal: QᵀQ = I.
        let (y, _) = &reference;
        let q = MatRef::from_column_major_slice(&y[n..], n, cols - 1);
        let gram = q.transpose() * q;
        let off = (0..cols - 1).flat_map(|i| (0..cols - 1).map(move |j| (i, j)));
        let worst = off.map(|(i, j)| (gram[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-12, "{worst}");
        // R = QᵀA is upper triangular with a positive diagonal (the sign fix).
        let r = q.transpose() * MatRef::from_column_major_slice(&y0[n..], n, cols - 1);
        for i in 0..cols - 1 {
            assert!(r[(i, i)] > 0.0);
            for j in 0..i {
                assert!(r[(i, j)].abs() < 1e-10, "R[{i}, {j}] = {}", r[(i, j)]);
            }
        }
    }

    #[test]
    fn runs_repeat_bit_for_bit_on_any_thread_count() {
        let net = RandomNetwork::elliptic(150, 3.0, 0.2, &mut stream(7, 0)).unwrap();
        let x0 = start(150, 8);
        let opts = SpectrumOptions { time: 30.0, ..quick(20, Convention::EulerMap) };
        let run =
            || lyapunov_spectrum(&net, &x0, &opts, &mut stream(9, 0), &mut stream(9, 1), &StopFlag::new()).unwrap();
        let a = run();
        assert_eq!(a, run());
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        assert_eq!(a, pool.install(run), "the same bits on one thread");
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        assert_eq!(a, pool.install(run), "the same bits on three threads");
    }

    #[test]
    fn bad_options_are_named_and_a_stop_keeps_what_was_measured() {
        let net = RandomNetwork::elliptic(10, 2.0, 0.0, &mut stream(1, 0)).unwrap();
        let x0 = vec![0.1; 10];
        let run = |o: &SpectrumOptions| {
            lyapunov_spectrum(&net, &x0, o, &mut stream(1, 1), &mut stream(1, 2), &StopFlag::new())
                .map_err(|e| e.to_string())
        };
        let d = SpectrumOptions::default();
        assert!(run(&SpectrumOptions { k: 11, ..d.clone() }).unwrap_err().contains("`k`"));
        assert!(run(&SpectrumOptions { dt: f64::NAN, ..d.clone() }).unwrap_err().contains("`dt`"));
        assert!(run(&SpectrumOptions { dt: 1.5, convention: Convention::EulerMap, ..d.clone() })
            .unwrap_err()
            .contains("dt ≤ 1"));
        assert!(run(&SpectrumOptions { ons_interval: 0.01, ..d.clone() }).unwrap_err().contains("`t_ons`"));
        assert!(run(&SpectrumOptions { time: 0.0, ..d.clone() }).unwrap_err().contains("`time`"));
        assert!(run(&SpectrumOptions { transient: -1.0, ..d.clone() }).unwrap_err().contains("`transient`"));
        assert!("euler".parse::<Convention>().unwrap_err().to_string().contains("euler-map"));
        let stop = StopFlag::new();
        stop.raise();
        let s = lyapunov_spectrum(&net, &x0, &d, &mut stream(1, 1), &mut stream(1, 2), &stop).unwrap();
        assert!(s.interrupted && s.exponents.is_empty());
    }
}
