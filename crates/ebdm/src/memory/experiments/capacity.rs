//! E1: the classical capacity curve with finite-size extrapolation of α_c (Amit, Gutfreund &
//! Sompolinsky 1985: α_c ≈ 0.138).
//!
//! For each size N and load α, K = round(αN) random patterns are stored with the Hebb rule
//! (zero diagonal), the network starts exactly at ξ¹ and runs asynchronous zero-temperature
//! dynamics (random unstable unit, flip cap 20N). The fraction of trials ending with overlap
//! m > 0.9 crosses 50 % at α₅₀(N); a fit `α₅₀ = α_∞ + c/√N` extrapolates to N → ∞.

use serde::Serialize;

use super::ids;
use crate::engine::rng::stream_path;
use crate::error::{Error, Result};
use crate::experiment::{crossing, linear_fit, mean_se, proportion, Check, Harness};
use crate::memory::hebbian::ImplicitHebbian;
use crate::memory::metrics::overlap;
use crate::memory::patterns::{corrupt, Patterns};

/// Settings of a capacity sweep.
#[derive(Clone, Debug, Serialize)]
pub struct CapacityConfig {
    pub neurons: Vec<usize>,
    pub alphas: Vec<f64>,
    /// Trials per (N, α), one entry per N.
    pub trials: Vec<usize>,
    /// Fraction of bits flipped in the cue (0 for E1).
    pub rho: f64,
    /// Flip cap in units of N.
    pub flip_cap: usize,
    /// Overlap above which a trial counts as retrieved.
    pub threshold: f64,
}

impl CapacityConfig {
    /// The spec's E1 settings: N ∈ {500, 1000, 2000, 4000} with 100/100/50/24 trials.
    pub fn e1() -> Self {
        Self {
            neurons: vec![500, 1000, 2000, 4000],
            alphas: vec![0.10, 0.12, 0.13, 0.14, 0.145, 0.15, 0.155, 0.16, 0.165, 0.17, 0.175, 0.18, 0.20],
            trials: vec![100, 100, 50, 24],
            rho: 0.0,
            flip_cap: 20,
            threshold: 0.9,
        }
    }

    /// A quicker run (about 5 s on 2 cores): N ∈ {500, 1000, 2000} with 60/40/20 trials. The
    /// extrapolation is rougher than with the full settings.
    pub fn e1_quick() -> Self {
        Self { neurons: vec![500, 1000, 2000], trials: vec![60, 40, 20], ..Self::e1() }
    }

    pub fn check(&self) -> Result<()> {
        if self.neurons.is_empty() || self.neurons.contains(&0) {
            return Err(Error::param("neurons", "give at least one size, each ≥ 1"));
        }
        if self.trials.len() != self.neurons.len() {
            return Err(Error::param(
                "trials",
                format!(
                    "{} values for {} network sizes: give one value, or one per size in `neurons`",
                    self.trials.len(),
                    self.neurons.len()
                ),
            ));
        }
        if self.trials.contains(&0) {
            return Err(Error::param("trials", "must be at least 1"));
        }
        if self.alphas.is_empty() {
            return Err(Error::param("alphas", "give at least one load"));
        }
        for &a in &self.alphas {
            if !(a.is_finite() && a > 0.0 && a < 32.0) {
                return Err(Error::param("alphas", format!("each load must be finite and in (0, 32), got {a}")));
            }
        }
        let max_alpha = self.alphas.iter().fold(0.0f64, |a, &b| a.max(b));
        for &n in &self.neurons {
            let k = (max_alpha * n as f64).round().max(1.0) as usize;
            crate::size::check_memory(
                "neurons",
                format!("a trial with {k} patterns of {n} neurons"),
                crate::size::bytes(&[k, n], 1),
            )?;
        }
        crate::error::check_range("rho", self.rho, 0.0, 1.0)?;
        crate::error::check_range("threshold", self.threshold, -1.0, 1.0)?;
        if self.flip_cap == 0 {
            return Err(Error::param("flip_cap", "must be at least 1"));
        }
        Ok(())
    }
}

/// One trial.
#[derive(Clone, Debug, Serialize)]
pub struct TrialRow {
    pub neurons: usize,
    pub patterns: usize,
    pub alpha: f64,
    pub rho: f64,
    pub trial: usize,
    pub final_overlap: f64,
    pub exact: bool,
    pub flips: usize,
    pub converged: bool,
}

/// Summary of one (N, α) cell.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    pub neurons: usize,
    pub alpha: f64,
    pub patterns: usize,
    pub trials: usize,
    pub mean_overlap: f64,
    pub se_overlap: f64,
    pub p_retrieved: f64,
    pub se_retrieved: f64,
    pub p_exact: f64,
}

/// The full result of a capacity sweep.
#[derive(Clone, Debug, Serialize)]
pub struct CapacityResult {
    pub config: CapacityConfig,
    pub rows: Vec<TrialRow>,
    pub cells: Vec<Cell>,
    /// α₅₀ per size (None where the curve does not cross 50 %).
    pub alpha50: Vec<(usize, Option<f64>)>,
    /// `(α_∞, c)` of the fit `α₅₀ = α_∞ + c/√N`.
    pub fit: Option<(f64, f64)>,
    pub checks: Vec<Check>,
    pub interrupted: bool,
}

/// One relaxation from ξ¹ (corrupted by ρ) for K random patterns of length N.
pub(crate) fn relax_trial(
    n: usize,
    k: usize,
    rho: f64,
    flip_cap: usize,
    rng: &mut crate::engine::Rng64,
) -> Result<(f64, bool, usize, bool)> {
    let p = Patterns::random(k.max(1), n, rng)?;
    let cue = corrupt(p.row(0), rho, rng)?;
    let mut net = ImplicitHebbian::new(&p)?;
    let out = net.relax_unstable(&cue, flip_cap * n, rng)?;
    let m = overlap(p.row(0), &out.state)?;
    Ok((m, out.state == p.row(0), out.flips, out.converged))
}

/// Runs the sweep. Cells are keyed by their (N, α) index so results do not depend on the grid
/// order or on the thread count.
pub fn run(config: &CapacityConfig, h: &Harness) -> Result<CapacityResult> {
    run_keyed(config, h, ids::CAPACITY)
}

pub(crate) fn run_keyed(config: &CapacityConfig, h: &Harness, experiment: u64) -> Result<CapacityResult> {
    config.check()?;
    let mut alphas = config.alphas.clone();
    alphas.sort_by(f64::total_cmp);
    alphas.dedup();
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    // One flat list of trials so that parallelism spans the whole grid.
    let mut tasks = Vec::new();
    for (ni, (&n, &trials)) in config.neurons.iter().zip(&config.trials).enumerate() {
        for &alpha in &alphas {
            let k = (alpha * n as f64).round().max(1.0) as usize;
            for t in 0..trials {
                tasks.push((ni, n, alpha, k, t));
            }
        }
    }
    let results = h.trials(tasks.len(), |i| {
        let (_, n, alpha, k, t) = tasks[i];
        // Keyed by N, the load in parts per million, and the trial index.
        let key = [experiment, n as u64, (alpha * 1e6).round() as u64, t as u64];
        let mut rng = stream_path(h.seed, &key);
        relax_trial(n, k, config.rho, config.flip_cap, &mut rng)
    })?;
    for (&(_, n, alpha, k, t), r) in tasks.iter().zip(&results) {
        if let Some((m, exact, flips, converged)) = *r {
            rows.push(TrialRow {
                neurons: n,
                patterns: k,
                alpha,
                rho: config.rho,
                trial: t,
                final_overlap: m,
                exact,
                flips,
                converged,
            });
        }
    }
    let mut alpha50 = Vec::new();
    for &n in &config.neurons {
        let mut ps = Vec::new();
        for &alpha in &alphas {
            let sel: Vec<&TrialRow> = rows.iter().filter(|r| r.neurons == n && r.alpha == alpha).collect();
            if sel.is_empty() {
                continue;
            }
            let ms: Vec<f64> = sel.iter().map(|r| r.final_overlap).collect();
            let (mean, se) = mean_se(&ms);
            let (p, sp) = proportion(sel.iter().filter(|r| r.final_overlap > config.threshold).count(), sel.len());
            let (pe, _) = proportion(sel.iter().filter(|r| r.exact).count(), sel.len());
            ps.push((alpha, p));
            cells.push(Cell {
                neurons: n,
                alpha,
                patterns: sel[0].patterns,
                trials: sel.len(),
                mean_overlap: mean,
                se_overlap: se,
                p_retrieved: p,
                se_retrieved: sp,
                p_exact: pe,
            });
        }
        let (xs, ys): (Vec<f64>, Vec<f64>) = ps.into_iter().unzip();
        alpha50.push((n, crossing(&xs, &ys, 0.5)));
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) =
        alpha50.iter().filter_map(|&(n, a)| a.map(|a| (1.0 / (n as f64).sqrt(), a))).unzip();
    let fit = linear_fit(&xs, &ys);
    let mut result = CapacityResult {
        config: config.clone(),
        rows,
        cells,
        alpha50,
        fit,
        checks: Vec::new(),
        interrupted: h.interrupted(),
    };
    result.checks = e1_checks(&result);
    Ok(result)
}

/// The pass criteria of E1 that the sweep's grid allows to evaluate.
fn e1_checks(r: &CapacityResult) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some((a_inf, c)) = r.fit {
        checks.push(Check::new(
            "alpha_inf",
            "in [0.125, 0.150]",
            format!("{a_inf:.4} (c = {c:.3})"),
            (0.125..=0.150).contains(&a_inf),
        ));
    } else {
        checks.push(Check::new("alpha_inf", "in [0.125, 0.150]", "no fit (fewer than two sizes crossed 50 %)", false));
    }
    let cell = |n: usize, a: f64| r.cells.iter().find(|c| c.neurons == n && (c.alpha - a).abs() < 1e-12);
    if let Some(c) = cell(1000, 0.10) {
        checks.push(Check::new(
            "mean m at alpha=0.10, N=1000",
            ">= 0.99",
            format!("{:.4}", c.mean_overlap),
            c.mean_overlap >= 0.99,
        ));
    }
    for c in r.cells.iter().filter(|c| c.neurons >= 1000 && (c.alpha - 0.20).abs() < 1e-12) {
        checks.push(Check::new(
            format!("mean m at alpha=0.20, N={}", c.neurons),
            "<= 0.5",
            format!("{:.4}", c.mean_overlap),
            c.mean_overlap <= 0.5,
        ));
    }
    let a50: Vec<(usize, f64)> = r.alpha50.iter().filter_map(|&(n, a)| a.map(|a| (n, a))).collect();
    if a50.len() >= 2 {
        let decreasing = a50.windows(2).all(|w| w[1].1 < w[0].1);
        let text = a50.iter().map(|(n, a)| format!("{n}:{a:.4}")).collect::<Vec<_>>().join(", ");
        checks.push(Check::new("alpha_50 decreasing in N", "strictly decreasing", text, decreasing));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> CapacityConfig {
        CapacityConfig { neurons: vec![400], alphas: vec![0.10, 0.20], trials: vec![12], ..CapacityConfig::e1() }
    }

    #[test]
    fn small_sweep_retrieves_below_and_fails_above_capacity() {
        let r = run(&small(), &Harness::new(1)).unwrap();
        let lo = &r.cells[0];
        let hi = &r.cells[1];
        assert!(lo.mean_overlap >= 0.98, "m(0.10) = {}", lo.mean_overlap);
        assert!(hi.mean_overlap <= 0.6, "m(0.20) = {}", hi.mean_overlap);
        assert_eq!(r.rows.len(), 24);
        assert!(r.rows.iter().all(|t| t.converged));
    }

    #[test]
    fn identical_at_one_and_two_threads() {
        let cfg = small();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let a = one.install(|| run(&cfg, &Harness::new(5)).unwrap());
        let b = two.install(|| run(&cfg, &Harness::new(5)).unwrap());
        let key = |r: &CapacityResult| r.rows.iter().map(|t| (t.final_overlap.to_bits(), t.flips)).collect::<Vec<_>>();
        assert_eq!(key(&a), key(&b));
        let c = one.install(|| run(&cfg, &Harness::new(6)).unwrap());
        assert_ne!(key(&a), key(&c));
    }

    #[test]
    fn interrupted_sweep_keeps_finished_trials() {
        let h = Harness::new(1);
        h.stop.raise();
        let r = run(&small(), &h).unwrap();
        assert!(r.interrupted);
        assert!(r.rows.is_empty());
    }

    #[test]
    fn rejects_bad_configs() {
        let mut c = small();
        c.alphas = vec![f64::NAN];
        assert!(run(&c, &Harness::new(0)).is_err());
        let mut c = small();
        c.neurons = vec![0];
        assert!(run(&c, &Harness::new(0)).is_err());
        let mut c = small();
        c.trials = vec![];
        assert!(run(&c, &Harness::new(0)).is_err());
    }
}
