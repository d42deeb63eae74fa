//! The sparse-recovery phase transition: the Donoho–Maleki–Montanari state-evolution curve
//! and its empirical counterpart.
//!
//! With undersampling `δ = n/N` and sparsity `ρ = k/n`, ℓ1 recovery (and AMP) succeeds with
//! high probability below (Donoho, Maleki & Montanari, PNAS 106:18914, 2009, eq. 5)
//!
//! ```text
//! ρ_SE(δ; ζ) = max_{z ≥ 0} [1 − (ζ/δ)ψ(z)] / [1 + z² − ζψ(z)],
//! ψ(z) = (1 + z²)Φ(−z) − zφ(z),
//! ```
//!
//! with `ζ = 2` for signed signals and `ζ = 1` for nonnegative ones.

use crate::engine::run::RunLimits;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

use super::problem::{DenseMatrix, LeastSquares, LinOp};
use super::prox::{L1Nonneg, Prox, L1};
use super::solvers::{solve, Method, Options};
use crate::engine::rng::stream_path;
use crate::error::{Error, Result};
use crate::experiment::Harness;

/// `Φ(x)` to double precision: the complementary error function by its continued fraction
/// for large arguments and the Taylor series for small ones.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal density.
pub fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// `erfc(x)` with relative error near 1e-15: the series `erf(x) = 2/√π Σ (−1)ⁿx^{2n+1}/(n!(2n+1))`
/// for `|x| < 2`, Lentz's continued fraction otherwise.
pub fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        let (mut term, mut sum, x2) = (x, x, x * x);
        for k in 1..200 {
            let n = k as f64;
            term *= -x2 / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() <= 1e-17 * sum.abs() {
                break;
            }
        }
        return 1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum;
    }
    // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))).
    let tiny = 1e-300;
    let mut f = x;
    let (mut c, mut d) = (x, 0.0);
    for k in 1..300 {
        let a = k as f64 * 0.5;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / f
}

fn psi(z: f64) -> f64 {
    (1.0 + z * z) * normal_cdf(-z) - z * normal_pdf(z)
}

/// The state-evolution phase curve `ρ_SE(δ; ζ)`; `signed` selects `ζ = 2`, else `ζ = 1`.
pub fn rho_se(delta: f64, signed: bool) -> Result<f64> {
    if !(delta > 0.0 && delta <= 1.0) {
        return Err(Error::param("delta", format!("the undersampling ratio must lie in (0, 1], got {delta}")));
    }
    let zeta = if signed { 2.0 } else { 1.0 };
    let ratio = |z: f64| (1.0 - zeta / delta * psi(z)) / (1.0 + z * z - zeta * psi(z));
    // Coarse grid, then golden-section refinement around the best grid point.
    let (mut best_z, mut best) = (0.0, ratio(0.0));
    for i in 1..=2000 {
        let z = i as f64 * 0.005;
        let r = ratio(z);
        if r > best {
            best = r;
            best_z = z;
        }
    }
    let (mut a, mut b) = ((best_z - 0.005f64).max(0.0), best_z + 0.005);
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    for _ in 0..100 {
        let c = b - phi * (b - a);
        let d = a + phi * (b - a);
        if ratio(c) > ratio(d) {
            b = d;
        } else {
            a = c;
        }
    }
    Ok(best.max(ratio(0.5 * (a + b))))
}

/// Settings of the empirical transition (spec A10).
#[derive(Clone, Debug, Serialize)]
pub struct PhaseConfig {
    /// Signal length `N`.
    pub signal: usize,
    pub deltas: Vec<f64>,
    /// Sparsity as a fraction of the theoretical `ρ_SE(δ)·n`.
    pub fractions: Vec<f64>,
    pub trials: usize,
    pub nonneg: bool,
    /// λ-continuation: stages, first and last λ relative to `‖Aᵀy‖_∞`, iterations per stage.
    pub stages: usize,
    pub lambda_first: f64,
    pub lambda_last: f64,
    pub iterations: usize,
    /// Success when `‖x̂ − x₀‖/‖x₀‖` is below this.
    pub success_tol: f64,
}

impl PhaseConfig {
    /// The spec's A10 grid: N = 400, δ ∈ {0.25, 0.5}, fractions 0.7 … 1.3, 20 trials.
    pub fn a10() -> Self {
        Self {
            signal: 400,
            deltas: vec![0.25, 0.5],
            fractions: vec![0.7, 0.85, 1.0, 1.15, 1.3],
            trials: 20,
            nonneg: false,
            stages: 8,
            lambda_first: 0.1,
            lambda_last: 1e-6,
            iterations: 300,
            success_tol: 1e-3,
        }
    }
}

/// One grid point of the empirical transition.
#[derive(Clone, Debug, Serialize)]
pub struct PhasePoint {
    pub delta: f64,
    pub fraction: f64,
    pub measurements: usize,
    pub sparsity: usize,
    pub rho: f64,
    pub successes: usize,
    pub trials: usize,
}

/// Recovers one random `k`-sparse signal from `n` Gaussian measurements by FISTA with restart
/// and geometric λ-continuation (`Sp` convention); returns the relative error.
pub fn recover_once(cfg: &PhaseConfig, n: usize, k: usize, rng: &mut impl Rng) -> Result<f64> {
    let big_n = cfg.signal;
    let scale = 1.0 / (n as f64).sqrt();
    let data: Vec<f64> =
        (0..n * big_n).map(|_| scale * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)).collect();
    let a = DenseMatrix::from_column_major(n, big_n, data)?;
    let mut x0 = vec![0.0; big_n];
    let support = rand::seq::index::sample(rng, big_n, k);
    for j in support.iter() {
        x0[j] = if cfg.nonneg || rng.random_bool(0.5) { 1.0 } else { -1.0 };
    }
    let mut y = vec![0.0; n];
    a.apply(&x0, &mut y);
    let f = LeastSquares::new(a, y, super::problem::Convention::Sp)?;
    let top = f.lambda_max();
    let mut x = vec![0.0; big_n];
    let opts = Options { limits: RunLimits::steps(cfg.iterations), ..Options::default() };
    for s in 0..cfg.stages {
        let frac = if cfg.stages > 1 { s as f64 / (cfg.stages - 1) as f64 } else { 1.0 };
        let lambda = top * cfg.lambda_first * (cfg.lambda_last / cfg.lambda_first).powf(frac);
        let g: Box<dyn Prox> = if cfg.nonneg { Box::new(L1Nonneg::new(lambda)?) } else { Box::new(L1::new(lambda)?) };
        x = solve(&f, g.as_ref(), Some(&x), Method::Fista { restart: true }, &opts)?.x;
    }
    let err: f64 = x.iter().zip(&x0).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
    Ok(err / (k as f64).sqrt())
}

/// Runs the grid, trials in parallel under the harness (stream per grid point and trial).
pub fn empirical(cfg: &PhaseConfig, harness: &Harness, experiment_id: u64) -> Result<(Vec<PhasePoint>, bool)> {
    let mut points = Vec::new();
    let mut interrupted = false;
    for (di, &delta) in cfg.deltas.iter().enumerate() {
        let n = (delta * cfg.signal as f64).round() as usize;
        let rho = rho_se(delta, !cfg.nonneg)?;
        for (fi, &fraction) in cfg.fractions.iter().enumerate() {
            let k = ((fraction * rho * n as f64).round() as usize).clamp(1, cfg.signal);
            let errors = harness.trials(cfg.trials, |t| {
                let mut rng = stream_path(harness.seed, &[experiment_id, di as u64, fi as u64, t as u64]);
                recover_once(cfg, n, k, &mut rng)
            })?;
            interrupted |= errors.iter().any(Option::is_none);
            let successes = errors.iter().flatten().filter(|&&e| e < cfg.success_tol).count();
            let done = errors.iter().flatten().count();
            points.push(PhasePoint { delta, fraction, measurements: n, sparsity: k, rho, successes, trials: done });
        }
    }
    Ok((points, interrupted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        // erfc(0.5), erfc(1), erfc(3) and erfc(6) to 12 significant digits.
        for (x, v) in [
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028513),
            (3.0, 2.209049699858544e-5),
            (6.0, 2.1519736712498913e-17),
        ] {
            assert!((erfc(x) - v).abs() <= 1e-12 * v, "erfc({x}) = {} vs {v}", erfc(x));
        }
        assert!((normal_cdf(1.959963984540054) - 0.975).abs() < 1e-14);
    }

    /// Spec A9: the curve to 1e-4 at the reference points.
    #[test]
    fn state_evolution_curve_matches_reference_values() {
        let signed = [(0.1, 0.18943), (0.25, 0.26738), (0.5, 0.38569), (0.75, 0.53371), (0.19, 0.2383)];
        let nonneg = [(0.1, 0.24098), (0.25, 0.36509), (0.5, 0.55823), (0.75, 0.76588), (0.19, 0.3179)];
        for (d, r) in signed {
            let v = rho_se(d, true).unwrap();
            assert!((v - r).abs() <= 1e-4, "signed δ = {d}: {v} vs {r}");
        }
        for (d, r) in nonneg {
            let v = rho_se(d, false).unwrap();
            assert!((v - r).abs() <= 1e-4, "nonneg δ = {d}: {v} vs {r}");
        }
        assert!(rho_se(0.0, true).is_err());
        assert!(rho_se(1.5, true).is_err());
    }
}
