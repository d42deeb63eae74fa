//! Annealed importance sampling (AIS) of the partition function of a Bernoulli–Bernoulli RBM
//! (Salakhutdinov & Murray 2008).
//!
//! # Estimator
//!
//! The base model `A` has `W = 0`, hidden bias 0 and visible bias `b_A`, so
//! `log Z_A = Σ_i softplus(b_{A,i}) + m log 2`. With the hidden units summed out, the
//! intermediate distributions are
//!
//! ```text
//! log p*_β(v) = (1 − β) b_Aᵀv + β bᵀv + Σ_j softplus(β (c_j + vᵀW_{:j})),    0 = β₀ < … < β_K = 1.
//! ```
//!
//! Each of `M` runs starts with `v ~ A` and accumulates
//! `log w += log p*_{β_k}(v) − log p*_{β_{k−1}}(v)`, then moves `v` by one block-Gibbs step that
//! leaves `p_{β_k}` invariant (`h ~ σ(β_k(c + Wᵀv))`, `v ~ σ((1−β_k) b_A + β_k(b + Wh))`).
//! Then
//!
//! ```text
//! r = logsumexp(log w) − log M,           log Ẑ = log Z_A + r,
//! log s = log std(e^{log w − a}) + a − ½ log M      (a = max log w, sample std),
//! band: log Z_A + log(e^r ± 3s)           (the lower end is −∞ when 3s ≥ e^r),
//! ESS  = (Σ w)² / Σ w².
//! ```
//!
//! `E[Ẑ] = Z` but `E[log Ẑ] ≤ log Z`: AIS tends to underestimate `log Z` and so to overestimate
//! test log-likelihoods.
//!
//! The `M` runs are one `M × n` matrix: each β step costs two products, on fixed row blocks, and
//! the log-weights accumulate in double precision.

use serde::{Deserialize, Serialize};

use super::data::Dataset;
use super::kernel::{sample_rows, Kernel, Precision, Real};
use super::math::{logaddexp, logdiffexp, softplus, LogSumExp};
use super::rbm::Rbm;
use crate::engine::run::{RunControl, RunLimits, StopFlag, StopReason};
use crate::error::{Error, Result};
use rayon::prelude::*;

const KEY_AIS: u64 = 0xA15;

/// The inverse-temperature schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Schedule {
    /// Salakhutdinov & Murray's `[0:1e-3:0.5, 0.5:1e-4:0.9, 0.9:1e-5:1]` (14,503 values; 0.5 and
    /// 0.9 appear twice, which adds a zero increment and one extra Gibbs step).
    Sm2008,
    /// `count` values evenly spaced from 0 to 1.
    Linear { count: usize },
    /// Explicit values, increasing from 0 to 1.
    Custom { betas: Vec<f64> },
}

impl Schedule {
    /// The β values.
    pub fn betas(&self) -> Vec<f64> {
        match self {
            Schedule::Sm2008 => {
                let mut b: Vec<f64> = (0..=500).map(|i| i as f64 / 1000.0).collect();
                b.extend((0..=4000).map(|i| 0.5 + i as f64 / 10_000.0));
                b.extend((0..=10_000).map(|i| 0.9 + i as f64 / 100_000.0));
                b
            }
            Schedule::Linear { count } => (0..*count).map(|i| i as f64 / (*count as f64 - 1.0)).collect(),
            Schedule::Custom { betas } => betas.clone(),
        }
    }

    fn check(&self) -> Result<Vec<f64>> {
        if let Schedule::Linear { count } = self {
            if *count < 2 {
                return Err(Error::param(
                    "schedule",
                    format!("a linear schedule needs at least 2 values, got {count}"),
                ));
            }
        }
        let b = self.betas();
        if b.len() < 2 || b[0] != 0.0 || (b[b.len() - 1] - 1.0).abs() > 1e-12 {
            return Err(Error::param("schedule", "must run from β = 0 to β = 1"));
        }
        if b.iter().any(|x| x.is_nan()) || b.windows(2).any(|w| w[1] < w[0]) {
            return Err(Error::param("schedule", "β values must not decrease"));
        }
        Ok(b)
    }
}

impl std::str::FromStr for Schedule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s == "sm2008" {
            return Ok(Schedule::Sm2008);
        }
        if let Some(k) = s.strip_prefix("linear:") {
            let count = k.parse().map_err(|_| Error::param("schedule", format!("bad count in `{s}`")))?;
            return Ok(Schedule::Linear { count });
        }
        Err(Error::param("schedule", format!("expected `sm2008` or `linear:<count>`, got `{s}`")))
    }
}

/// The visible bias of the base model fitted to training data:
/// `p_i = (count_i + 5)/(N + 5)`, `b_{A,i} = log(p_i/(1 − p_i))` (Salakhutdinov & Murray's
/// `base_rate.m` for one batch); a unit on in every sample gets `p = 1 − 0.5/(N + 5)`.
pub fn base_rate(data: &Dataset) -> Vec<f64> {
    let n = data.rows() as f64;
    data.column_means()
        .iter()
        .map(|&mean| {
            // A unit that is on in every sample would give p = 1; it is kept just below.
            let p = ((mean * n + 5.0) / (n + 5.0)).min(1.0 - 0.5 / (n + 5.0));
            (p / (1.0 - p)).ln()
        })
        .collect()
}

/// AIS settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AisParams {
    pub schedule: Schedule,
    /// Number of independent runs `M`.
    pub runs: usize,
    /// Precision of the two products per β step (log-weights are always double precision).
    pub precision: Precision,
    pub seed: u64,
}

impl Default for AisParams {
    fn default() -> Self {
        Self { schedule: Schedule::Sm2008, runs: 100, precision: Precision::F64, seed: 0 }
    }
}

/// An AIS estimate of `log Z`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AisEstimate {
    pub log_z: f64,
    /// `log Z_A + log(e^r − 3s)`, `−∞` when `3s ≥ e^r`.
    pub log_z_low: f64,
    /// `log Z_A + log(e^r + 3s)`.
    pub log_z_high: f64,
    pub log_z_base: f64,
    /// Effective sample size `(Σw)²/Σw²` of the runs.
    pub ess: f64,
    pub runs: usize,
    pub steps: usize,
    pub log_weights: Vec<f64>,
    pub interrupted: bool,
}

impl AisEstimate {
    /// Whether the estimate agrees with an exact value: within `tol` nats and the exact value
    /// inside the ±3σ band.
    pub fn agrees_with(&self, exact: f64, tol: f64) -> bool {
        (self.log_z - exact).abs() <= tol && self.log_z_low <= exact && exact <= self.log_z_high
    }
}

/// Deliberate faults for the tests that must catch them.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    /// The transition uses the next intermediate model instead of the current one.
    TransitionAhead,
    /// The base log-partition function forgets the hidden units' `m log 2`.
    BaseWithoutHidden,
}

/// Estimates `log Z` of `rbm` by AIS from the base model with visible bias `base` (use
/// [`base_rate`] of the training data, or zeros for the uniform base).
pub fn ais(rbm: &Rbm, base: &[f64], params: &AisParams, stop: &StopFlag) -> Result<AisEstimate> {
    run(rbm, base, params, stop, Fault::None)
}

fn run(rbm: &Rbm, base: &[f64], params: &AisParams, stop: &StopFlag, fault: Fault) -> Result<AisEstimate> {
    if base.len() != rbm.visible() {
        return Err(Error::Shape(format!(
            "base bias has {} values, the RBM {} visible units",
            base.len(),
            rbm.visible()
        )));
    }
    if let Some(i) = base.iter().position(|x| !x.is_finite()) {
        return Err(Error::param("base", format!("base bias {i} is not finite")));
    }
    if params.runs < 2 {
        return Err(Error::param("runs", format!("needs at least 2 runs, got {}", params.runs)));
    }
    let betas = params.schedule.check()?;
    match params.precision {
        Precision::F32 => run_typed::<f32>(rbm, base, params, &betas, stop, fault),
        Precision::F64 => run_typed::<f64>(rbm, base, params, &betas, stop, fault),
    }
}

fn run_typed<T: Real>(
    rbm: &Rbm,
    base: &[f64],
    params: &AisParams,
    betas: &[f64],
    stop: &StopFlag,
    fault: Fault,
) -> Result<AisEstimate> {
    let (n, m, runs) = (rbm.visible(), rbm.hidden(), params.runs);
    let kern = Kernel::<T>::new(n, m, rbm.weights(), rbm.visible_bias(), rbm.hidden_bias());
    let (b, c) = (rbm.visible_bias(), rbm.hidden_bias());
    let seed = params.seed;
    // v ~ A
    let zeros = vec![T::of(0.0); runs * n];
    let base_t: Vec<T> = base.iter().map(|&x| T::of(x)).collect();
    let mut v = vec![T::of(0.0); runs * n];
    sample_rows(&zeros, &base_t, None, None, Some(&mut v), seed, &[KEY_AIS, 0, 0]);
    let mut x = vec![T::of(0.0); runs * m];
    kern.hidden_pre(&v, &mut x);
    let mut h = vec![T::of(0.0); runs * m];
    let mut y = vec![T::of(0.0); runs * n];
    let mut logw = vec![0.0f64; runs];
    // Per run: aᵀv and bᵀv (the visible terms) are recomputed after each move.
    let lin = |v: &[T], r: usize| -> (f64, f64) {
        let row = &v[r * n..(r + 1) * n];
        let mut sa = 0.0;
        let mut sb = 0.0;
        for i in 0..n {
            let vi = row[i].to();
            sa += base[i] * vi;
            sb += b[i] * vi;
        }
        (sa, sb)
    };
    let log_pstar = |beta: f64, sa: f64, sb: f64, xr: &[T]| -> f64 {
        (1.0 - beta) * sa + beta * sb + xr.iter().zip(c).map(|(&xj, &cj)| softplus(beta * (xj.to() + cj))).sum::<f64>()
    };
    let last = betas.len() - 1;
    let mut vis_bias = vec![T::of(0.0); n];
    // One step of the run is one temperature of the schedule.
    let mut run = RunControl::start(&RunLimits::steps(last), stop)?;
    while run.proceed() {
        let k = run.steps() + 1;
        let (b0, b1) = (betas[k - 1], betas[k]);
        if b1 != b0 {
            let xs = &x;
            let vs = &v;
            logw.par_iter_mut().enumerate().with_min_len(8).for_each(|(r, lw)| {
                let (sa, sb) = lin(vs, r);
                let xr = &xs[r * m..(r + 1) * m];
                *lw += log_pstar(b1, sa, sb, xr) - log_pstar(b0, sa, sb, xr);
            });
        }
        run.advance();
        if k == last {
            break;
        }
        let bt = match fault {
            Fault::TransitionAhead => betas[k + 1],
            _ => b1,
        };
        let row_beta = vec![bt; runs];
        sample_rows(&x, &kern.c, Some(&row_beta), None, Some(&mut h), seed, &[KEY_AIS, k as u64, 1]);
        kern.visible_pre(&h, &mut y);
        y.iter_mut().for_each(|t| *t = T::of(bt) * *t);
        vis_bias.iter_mut().enumerate().for_each(|(i, t)| *t = T::of((1.0 - bt) * base[i] + bt * b[i]));
        sample_rows(&y, &vis_bias, None, None, Some(&mut v), seed, &[KEY_AIS, k as u64, 2]);
        kern.hidden_pre(&v, &mut x);
    }
    let mut log_z_base = base.iter().map(|&a| softplus(a)).sum::<f64>();
    if fault != Fault::BaseWithoutHidden {
        log_z_base += m as f64 * std::f64::consts::LN_2;
    }
    Ok(summarise(&logw, log_z_base, run.steps(), run.reason() == StopReason::Interrupted))
}

/// The estimate, band and ESS from the log-weights.
fn summarise(logw: &[f64], log_z_base: f64, steps: usize, interrupted: bool) -> AisEstimate {
    let mcount = logw.len() as f64;
    let mut acc = LogSumExp::new();
    logw.iter().for_each(|&w| acc.push(w));
    let lse = acc.value();
    let r = lse - mcount.ln();
    let a = logw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let scaled: Vec<f64> = logw.iter().map(|&w| (w - a).exp()).collect();
    let mean = scaled.iter().sum::<f64>() / mcount;
    let var = scaled.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / (mcount - 1.0);
    let log_s = 0.5 * var.ln() + a - 0.5 * mcount.ln();
    let log3s = 3f64.ln() + log_s;
    let mut acc2 = LogSumExp::new();
    logw.iter().for_each(|&w| acc2.push(2.0 * w));
    let ess = (2.0 * lse - acc2.value()).exp();
    let low = if log3s >= r { f64::NEG_INFINITY } else { log_z_base + logdiffexp(r, log3s) };
    AisEstimate {
        log_z: log_z_base + r,
        log_z_low: low,
        log_z_high: log_z_base + logaddexp(r, log3s),
        log_z_base,
        ess,
        runs: logw.len(),
        steps,
        log_weights: logw.to_vec(),
        interrupted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use rand::Rng;
    use rand_distr::StandardNormal;

    #[test]
    fn schedule_has_the_documented_length() {
        let b = Schedule::Sm2008.betas();
        assert_eq!(b.len(), 14_503);
        assert_eq!((b[0], b[b.len() - 1]), (0.0, 1.0));
        assert!(b.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!("linear:11".parse::<Schedule>().unwrap().betas()[1], 0.1);
        assert!("cubic".parse::<Schedule>().is_err());
        assert!(Schedule::Custom { betas: vec![0.0, 0.7, 0.5, 1.0] }.check().is_err());
    }

    #[test]
    fn base_rate_is_finite_and_follows_the_formula() {
        let d = Dataset::new(vec![1.0, 0.0, 1.0, 1.0, 1.0, 0.0], 2).unwrap();
        let b = base_rate(&d);
        assert!((b[1] - (6.0f64 / 8.0 / (1.0 - 6.0 / 8.0)).ln()).abs() < 1e-12);
        let p0: f64 = 1.0 - 0.5 / 8.0;
        assert!((b[0] - (p0 / (1.0 - p0)).ln()).abs() < 1e-12);
    }

    #[test]
    fn summary_matches_direct_formulas() {
        let logw = vec![1.0, 2.0, 0.5, 1.7];
        let e = summarise(&logw, 3.0, 10, false);
        let w: Vec<f64> = logw.iter().map(|x: &f64| x.exp()).collect();
        let mean = w.iter().sum::<f64>() / 4.0;
        assert!((e.log_z - (3.0 + mean.ln())).abs() < 1e-12);
        let sd = (w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 3.0).sqrt() / 2.0;
        assert!((e.log_z_high - (3.0 + (mean + 3.0 * sd).ln())).abs() < 1e-12);
        let low = if mean > 3.0 * sd { 3.0 + (mean - 3.0 * sd).ln() } else { f64::NEG_INFINITY };
        assert!((e.log_z_low - low).abs() < 1e-12 || e.log_z_low == low);
        let ess = w.iter().sum::<f64>().powi(2) / w.iter().map(|x| x * x).sum::<f64>();
        assert!((e.ess - ess).abs() < 1e-12);
    }

    /// A 20-hidden RBM with MNIST-like structure: 64 visible units, sparse positive data
    /// statistics (negative visible biases) and weights of scale 0.3.
    fn model() -> (Rbm, Vec<f64>) {
        let (n, m) = (64, 20);
        let mut rng = stream(42, 0);
        let w: Vec<f64> = (0..n * m).map(|_| 0.3 * rng.sample::<f64, _>(StandardNormal)).collect();
        let b: Vec<f64> = (0..n).map(|_| -1.5 + 0.5 * rng.sample::<f64, _>(StandardNormal)).collect();
        let c: Vec<f64> = (0..m).map(|_| -0.5 + 0.5 * rng.sample::<f64, _>(StandardNormal)).collect();
        let base = b.iter().map(|x| x + 0.1).collect();
        (Rbm::new(n, m, w, b, c).unwrap(), base)
    }

    /// X4 on a synthetic 20-hidden model: AIS with the S&M schedule and 100 runs agrees with
    /// the exact log Z (0.1 nats, exact inside the band), and the same check catches an AIS whose
    /// transition uses the wrong intermediate model and one with a wrong base partition function.
    #[test]
    fn x4_ais_agrees_with_exact_and_wrong_ais_is_caught() {
        let (rbm, base) = model();
        let exact = rbm.log_z_exact().unwrap();
        let stop = StopFlag::new();
        let params = AisParams { seed: 1, ..AisParams::default() };
        let good = ais(&rbm, &base, &params, &stop).unwrap();
        assert!(good.agrees_with(exact, 0.1), "AIS {good:?} vs exact {exact}");
        assert_eq!(good.steps, 14_502);
        let wrong_base = run(&rbm, &base, &params, &stop, Fault::BaseWithoutHidden).unwrap();
        assert!(!wrong_base.agrees_with(exact, 0.1), "wrong base not caught: {}", wrong_base.log_z);
        // At 14,503 β the transition fault shifts log Z by less than the tolerance; on a coarse
        // schedule (20 β, 1000 runs) the correct code still passes and the fault (bias ≈ +0.2
        // nats here) does not.
        let coarse =
            AisParams { schedule: Schedule::Linear { count: 20 }, runs: 1000, seed: 2, ..AisParams::default() };
        let good_coarse = ais(&rbm, &base, &coarse, &stop).unwrap();
        let ahead = run(&rbm, &base, &coarse, &stop, Fault::TransitionAhead).unwrap();
        assert!(good_coarse.agrees_with(exact, 0.1), "coarse AIS {} vs exact {exact}", good_coarse.log_z);
        assert!(!ahead.agrees_with(exact, 0.1), "transition fault not caught: {} vs {exact}", ahead.log_z);
        // Same seed, same numbers; single-precision products agree too.
        assert_eq!(ais(&rbm, &base, &coarse, &stop).unwrap().log_weights, good_coarse.log_weights);
        let f32 = AisParams { schedule: Schedule::Linear { count: 2000 }, precision: Precision::F32, ..params.clone() };
        let f32 = ais(&rbm, &base, &f32, &stop).unwrap();
        assert!(f32.agrees_with(exact, 0.1), "f32 AIS {} vs exact {exact}", f32.log_z);
    }

    #[test]
    fn bad_input_is_rejected_and_interruption_is_reported() {
        let (rbm, base) = model();
        let stop = StopFlag::new();
        assert!(ais(&rbm, &base[..3], &AisParams::default(), &stop).is_err());
        assert!(ais(&rbm, &base, &AisParams { runs: 1, ..AisParams::default() }, &stop).is_err());
        stop.raise();
        let e = ais(&rbm, &base, &AisParams::default(), &stop).unwrap();
        assert!(e.interrupted && e.steps == 0);
    }
}
