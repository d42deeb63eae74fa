//! E5: the capacity scaling exponent of the polynomial dense associative memory.
//!
//! For F = xⁿ, K* is the number of stored patterns at which half of the stored patterns are
//! one-step fixed points of the exact flip rule. Krotov & Hopfield (2016) predict
//! `K* ∝ N^{n−1}/ln N`, so the slope of log(K*·ln N) against log N should be n − 1, and
//! `c = K*·2(2n−3)!!·ln N / N^{n−1}` should be of order one and roughly constant in N.
//!
//! The signal-to-noise approximation also predicts K* itself: a pattern is stable when none of
//! its N bits errs, `(1 − p_err(K))ᴺ = ½` with `p_err = Φ_c(√(N^{n−1}/(K(2n−3)!!)))`; it is
//! reported next to each measurement.

use serde::Serialize;

use super::dense::snr_bit_error;
use super::ids;
use crate::engine::rng::stream_path;
use crate::error::{Error, Result};
use crate::experiment::{linear_fit, Check, Harness};
use crate::memory::dense::{DenseAM, FlipRule, Separation};
use crate::memory::patterns::Patterns;

#[derive(Clone, Debug, Serialize)]
pub struct ScalingConfig {
    /// `(degree n, [N…])`.
    pub grid: Vec<(u32, Vec<usize>)>,
    /// Test patterns per network (all of them when K is smaller).
    pub tests: usize,
    /// Pattern tests per evaluated K; small K use more networks to reach it.
    pub samples: usize,
}

impl ScalingConfig {
    pub fn e5() -> Self {
        Self {
            grid: vec![(2, vec![32, 64, 128]), (3, vec![32, 64, 128]), (4, vec![24, 32, 48])],
            tests: 100,
            samples: 1000,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ScalingCell {
    pub degree: u32,
    pub neurons: usize,
    /// Interpolated K at which half the patterns are stable.
    pub k_star: f64,
    /// `K*·2(2n−3)!!·ln N / N^{n−1}`.
    pub constant: f64,
    /// K* predicted by the signal-to-noise approximation.
    pub k_snr: f64,
    /// `(K, fraction stable)` evaluated by the bisection.
    pub evaluated: Vec<(usize, f64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScalingResult {
    pub config: ScalingConfig,
    pub cells: Vec<ScalingCell>,
    /// `(degree, fitted slope of log(K*·ln N) against log N)`.
    pub slopes: Vec<(u32, f64)>,
    pub checks: Vec<Check>,
    pub interrupted: bool,
}

fn double_factorial_odd(m: u32) -> f64 {
    (1..=m).step_by(2).map(f64::from).product()
}

/// Fraction of stored patterns that are one-step stable, over enough networks of K patterns to
/// reach `samples` tests.
fn fraction_stable(cfg: &ScalingConfig, degree: u32, n: usize, k: usize, h: &Harness) -> Result<Option<f64>> {
    let per_net = cfg.tests.min(k);
    let networks = cfg.samples.div_ceil(per_net);
    let stable = h.trials(networks, |net| {
        let mut rng = stream_path(h.seed, &[ids::DENSE_CAPACITY, degree as u64, n as u64, k as u64, net as u64]);
        let p = Patterns::random(k, n, &mut rng)?;
        let am = DenseAM::new(p, Separation::Polynomial(degree), FlipRule::Exact)?;
        let mut count = 0usize;
        for mu in 0..per_net {
            count += usize::from(am.one_step_errors(am.patterns().row(mu))? == 0);
        }
        Ok(count)
    })?;
    if stable.iter().any(Option::is_none) {
        return Ok(None);
    }
    Ok(Some(stable.into_iter().flatten().sum::<usize>() as f64 / (networks * per_net) as f64))
}

/// K* from the signal-to-noise approximation, by bisection in log K.
fn k_snr(degree: u32, n: usize) -> f64 {
    let stable = |k: f64| (1.0 - snr_bit_error(degree, n, k.round().max(1.0) as usize)).powi(n as i32);
    let (mut lo, mut hi) = (1.0f64, (n as f64).powi(degree as i32 - 1) * 10.0);
    for _ in 0..60 {
        let mid = (lo * hi).sqrt();
        if stable(mid) >= 0.5 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo * hi).sqrt()
}

fn cell(cfg: &ScalingConfig, degree: u32, n: usize, h: &Harness) -> Result<Option<ScalingCell>> {
    let mut evaluated = Vec::new();
    let mut eval = |k: usize| -> Result<Option<f64>> {
        let f = fraction_stable(cfg, degree, n, k, h)?;
        if let Some(f) = f {
            evaluated.push((k, f));
        }
        Ok(f)
    };
    // Bracket K* around the signal-to-noise guess, then bisect on integers.
    let guess = k_snr(degree, n).round().max(2.0) as usize;
    let (mut lo, mut hi) = (guess / 2, guess * 2);
    while lo > 1 {
        match eval(lo)? {
            None => return Ok(None),
            Some(f) if f >= 0.5 => break,
            Some(_) => lo /= 2,
        }
    }
    lo = lo.max(1);
    loop {
        match eval(hi)? {
            None => return Ok(None),
            Some(f) if f < 0.5 => break,
            Some(_) => hi *= 2,
        }
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        match eval(mid)? {
            None => return Ok(None),
            Some(f) if f >= 0.5 => lo = mid,
            Some(_) => hi = mid,
        }
    }
    // Interpolate between the last two evaluations that straddle ½.
    let f_at = |k: usize| evaluated.iter().rev().find(|e| e.0 == k).map(|e| e.1);
    let (flo, fhi) = (f_at(lo).unwrap_or(1.0), f_at(hi).unwrap_or(0.0));
    let t = if flo > fhi { ((flo - 0.5) / (flo - fhi)).clamp(0.0, 1.0) } else { 0.5 };
    let k_star = lo as f64 + t * (hi - lo) as f64;
    let constant =
        k_star * 2.0 * double_factorial_odd(2 * degree - 3) * (n as f64).ln() / (n as f64).powi(degree as i32 - 1);
    evaluated.sort_by_key(|e| e.0);
    Ok(Some(ScalingCell { degree, neurons: n, k_star, constant, k_snr: k_snr(degree, n), evaluated }))
}

pub fn run(cfg: &ScalingConfig, h: &Harness) -> Result<ScalingResult> {
    if cfg.tests == 0 || cfg.samples == 0 {
        return Err(Error::param("tests", "tests and samples must be at least 1"));
    }
    if let Some(&(d, _)) = cfg.grid.iter().find(|g| g.0 < 2) {
        return Err(Error::param("n", format!("the degree must be at least 2, got {d}")));
    }
    // Progress is reported per cell: the number of K a bisection evaluates is not known ahead.
    let inner = h.silent();
    let mut cells = Vec::new();
    let mut interrupted = false;
    'outer: for (degree, ns) in &cfg.grid {
        for &n in ns {
            match cell(cfg, *degree, n, &inner)? {
                Some(c) => {
                    cells.push(c);
                    h.advance(1);
                }
                None => {
                    interrupted = true;
                    break 'outer;
                }
            }
        }
    }
    let mut slopes = Vec::new();
    let mut checks = Vec::new();
    for &(degree, _) in &cfg.grid {
        let sel: Vec<&ScalingCell> = cells.iter().filter(|c| c.degree == degree).collect();
        let xs: Vec<f64> = sel.iter().map(|c| (c.neurons as f64).ln()).collect();
        let ys: Vec<f64> = sel.iter().map(|c| (c.k_star * (c.neurons as f64).ln()).ln()).collect();
        if let Some((_, slope)) = linear_fit(&xs, &ys) {
            slopes.push((degree, slope));
            let want = degree as f64 - 1.0;
            checks.push(Check::new(
                format!("n={degree}: slope of log(K*·ln N) against log N"),
                format!("{want} ± 0.15"),
                format!("{slope:.3}"),
                (slope - want).abs() <= 0.15,
            ));
            let cs: Vec<f64> = sel.iter().map(|c| c.constant).collect();
            let (lo, hi) = cs.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &c| (a.min(c), b.max(c)));
            checks.push(Check::new(
                format!("n={degree}: K*·2(2n−3)!!·ln N / N^(n−1) of order one and roughly constant"),
                "in [0.25, 4], max/min <= 1.5",
                cs.iter().map(|c| format!("{c:.3}")).collect::<Vec<_>>().join(" / "),
                lo >= 0.25 && hi <= 4.0 && hi / lo <= 1.5,
            ));
        }
    }
    Ok(ScalingResult { config: cfg.clone(), cells, slopes, checks, interrupted })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snr_prediction_halves_the_stable_fraction() {
        let k = k_snr(3, 64);
        let p = snr_bit_error(3, 64, k.round() as usize);
        assert!(((1.0 - p).powi(64) - 0.5).abs() < 0.02, "K = {k}, p = {p}");
    }

    #[test]
    fn small_grid_finds_k_star_near_the_snr_prediction() {
        let cfg = ScalingConfig { grid: vec![(3, vec![24, 32])], tests: 50, samples: 300 };
        let r = run(&cfg, &Harness::new(3)).unwrap();
        assert_eq!(r.cells.len(), 2);
        for c in &r.cells {
            // The bracketing evaluations straddle ½ on both sides of K*.
            assert!(c.evaluated.iter().any(|e| e.0 as f64 <= c.k_star && e.1 >= 0.5));
            assert!(c.evaluated.iter().any(|e| e.0 as f64 >= c.k_star && e.1 < 0.5));
            assert!(c.k_star > 0.5 * c.k_snr && c.k_star < 2.0 * c.k_snr, "{c:?}");
        }
        assert!(run(&ScalingConfig { grid: vec![(1, vec![8])], ..cfg }, &Harness::new(0)).is_err());
    }
}
