//! E3: basins of attraction of the classical network. Start from ξ¹ with ⌊ρN⌋ distinct bits
//! flipped, relax asynchronously at zero temperature, and record P(m > 0.9) and P(exact recall)
//! over the (α, ρ) grid; ρ₅₀(α) is where P(m > 0.9) crosses 50 %.

use serde::Serialize;

use super::capacity::{run_keyed, CapacityConfig, Cell};
use super::ids;
use crate::error::{Error, Result};
use crate::experiment::{crossing, Check, Harness};

/// Settings of the basin experiment.
#[derive(Clone, Debug, Serialize)]
pub struct BasinConfig {
    pub neurons: usize,
    pub alphas: Vec<f64>,
    pub rhos: Vec<f64>,
    pub trials: usize,
}

impl BasinConfig {
    /// The spec's E3 grid (N = 1000, 30 trials per cell; more trials make the checks sharper).
    pub fn e3() -> Self {
        Self { neurons: 1000, alphas: vec![0.05, 0.10, 0.13], rhos: vec![0.1, 0.2, 0.3, 0.4], trials: 60 }
    }
    pub fn e3_quick() -> Self {
        Self { neurons: 400, trials: 30, ..Self::e3() }
    }
}

/// Result of the basin experiment: one [`Cell`] per (α, ρ), with ρ stored alongside.
#[derive(Clone, Debug, Serialize)]
pub struct BasinResult {
    pub config: BasinConfig,
    pub cells: Vec<(f64, Cell)>,
    pub rows: Vec<super::capacity::TrialRow>,
    /// ρ₅₀ per α (None where P(m > 0.9) stays above 50 % over the grid).
    pub rho50: Vec<(f64, Option<f64>)>,
    pub checks: Vec<Check>,
    pub interrupted: bool,
}

pub fn run(config: &BasinConfig, h: &Harness) -> Result<BasinResult> {
    if config.rhos.is_empty() {
        return Err(Error::param("rhos", "give at least one corruption level"));
    }
    if config.rhos.len() as u64 > ids::BASIN_LEVELS {
        return Err(Error::param("rhos", format!("at most {} corruption levels", ids::BASIN_LEVELS)));
    }
    let mut rhos = config.rhos.clone();
    rhos.sort_by(f64::total_cmp);
    rhos.dedup();
    let mut cells = Vec::new();
    let mut rows = Vec::new();
    let mut interrupted = false;
    for (ri, &rho) in rhos.iter().enumerate() {
        let cap = CapacityConfig {
            neurons: vec![config.neurons],
            alphas: config.alphas.clone(),
            trials: vec![config.trials],
            rho,
            flip_cap: 20,
            threshold: 0.9,
        };
        let r = run_keyed(&cap, h, ids::BASIN_BASE + ri as u64)?;
        interrupted |= r.interrupted;
        cells.extend(r.cells.into_iter().map(|c| (rho, c)));
        rows.extend(r.rows);
    }
    let mut alphas = config.alphas.clone();
    alphas.sort_by(f64::total_cmp);
    alphas.dedup();
    let p = |a: f64, r: f64| {
        cells.iter().find(|(rr, c)| *rr == r && c.alpha == a).map(|(_, c)| (c.p_retrieved, c.se_retrieved))
    };
    let rho50: Vec<(f64, Option<f64>)> = alphas
        .iter()
        .map(|&a| {
            let (xs, ys): (Vec<f64>, Vec<f64>) = rhos.iter().filter_map(|&r| p(a, r).map(|(pp, _)| (r, pp))).unzip();
            (a, crossing(&xs, &ys, 0.5))
        })
        .collect();
    // Monotonicity with a two-standard-error allowance.
    let mut violations = Vec::new();
    let worse = |better: (f64, f64), worse: (f64, f64)| {
        worse.0 - better.0 > 2.0 * (better.1.powi(2) + worse.1.powi(2)).sqrt().max(1e-12)
    };
    for &r in &rhos {
        for w in alphas.windows(2) {
            if let (Some(a), Some(b)) = (p(w[0], r), p(w[1], r)) {
                if worse(a, b) {
                    violations.push(format!("rho={r}: alpha {}→{}", w[0], w[1]));
                }
            }
        }
    }
    for &a in &alphas {
        for w in rhos.windows(2) {
            if let (Some(x), Some(y)) = (p(a, w[0]), p(a, w[1])) {
                if worse(x, y) {
                    violations.push(format!("alpha={a}: rho {}→{}", w[0], w[1]));
                }
            }
        }
    }
    let mut checks = vec![Check::new(
        "P(m>0.9) non-increasing in alpha and in rho (2 SE)",
        "no violation",
        if violations.is_empty() { "none".to_string() } else { violations.join("; ") },
        violations.is_empty(),
    )];
    // ρ₅₀ non-increasing in α; a missing crossing means the basin exceeds the grid (ρ₅₀ > max ρ).
    let top = rhos.last().copied().unwrap_or(0.0);
    let r50: Vec<f64> = rho50.iter().map(|&(_, r)| r.unwrap_or(top + 1.0)).collect();
    let ok = r50.windows(2).all(|w| w[1] <= w[0] + 1e-12);
    let text = rho50
        .iter()
        .map(|(a, r)| format!("{a}:{}", r.map_or(format!("> {top}"), |v| format!("{v:.3}"))))
        .collect::<Vec<_>>()
        .join(", ");
    checks.push(Check::new("rho_50 non-increasing in alpha", "non-increasing", text, ok));
    Ok(BasinResult { config: config.clone(), cells, rows, rho50, checks, interrupted })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basin_shrinks_with_load_and_corruption() {
        let cfg = BasinConfig { neurons: 300, alphas: vec![0.05, 0.13], rhos: vec![0.1, 0.4], trials: 16 };
        let r = run(&cfg, &Harness::new(3)).unwrap();
        let p = |a: f64, rho: f64| r.cells.iter().find(|(rr, c)| *rr == rho && c.alpha == a).unwrap().1.p_retrieved;
        assert!(p(0.05, 0.1) >= 0.9);
        assert!(p(0.13, 0.4) <= p(0.05, 0.1));
        assert!(r.checks.iter().all(|c| c.pass), "{:?}", r.checks);
    }
}
