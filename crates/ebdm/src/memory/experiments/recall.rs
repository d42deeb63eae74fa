//! E2: exact-recall scaling (McEliece, Posner, Rodemich & Venkatesh 1987). For Hebbian
//! networks of N neurons storing K patterns, the fraction of patterns that are one-step fixed
//! points (strictly: ξ_i h_i > 0 for every i) and the probability that all are, against the
//! Gaussian signal-to-noise formula `(1 − Φ_c(√(N/K)))^N`.

use serde::Serialize;

use super::ids;
use crate::engine::rng::stream_path;
use crate::error::{Error, Result};
use crate::experiment::{mean_se, proportion, Check, Harness};
use crate::memory::metrics::{hebbian_stability, normal_tail};
use crate::memory::patterns::Patterns;

#[derive(Clone, Debug, Serialize)]
pub struct RecallConfig {
    pub neurons: usize,
    pub patterns: Vec<usize>,
    pub networks: usize,
}

impl RecallConfig {
    /// The spec's E2 settings: N = 1000, K ∈ {36, 72, 100, 138}, 20 networks.
    pub fn e2() -> Self {
        Self { neurons: 1000, patterns: vec![36, 72, 100, 138], networks: 20 }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RecallRow {
    pub neurons: usize,
    pub patterns: usize,
    pub network: usize,
    pub fraction_fixed: f64,
    pub bit_fraction: f64,
    pub all_fixed: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct RecallCell {
    pub patterns: usize,
    pub networks: usize,
    pub fraction_fixed: f64,
    pub se_fraction: f64,
    pub p_all_fixed: f64,
    /// `(1 − Φ_c(√(N/K)))^N`.
    pub gaussian_theory: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RecallResult {
    pub config: RecallConfig,
    pub rows: Vec<RecallRow>,
    pub cells: Vec<RecallCell>,
    /// N/(2 ln N) and N/(4 ln N).
    pub mceliece_typical: f64,
    pub mceliece_all: f64,
    pub checks: Vec<Check>,
    pub interrupted: bool,
}

/// The Gaussian estimate of the fraction of patterns that are fixed points.
pub fn gaussian_fraction(n: usize, k: usize) -> f64 {
    (1.0 - normal_tail((n as f64 / k as f64).sqrt())).powi(n as i32)
}

pub fn run(config: &RecallConfig, h: &Harness) -> Result<RecallResult> {
    if config.neurons == 0 {
        return Err(Error::param("neurons", "N must be at least 1"));
    }
    if config.networks == 0 || config.patterns.is_empty() || config.patterns.contains(&0) {
        return Err(Error::param("patterns", "give at least one network and pattern counts ≥ 1"));
    }
    let mut ks = config.patterns.clone();
    ks.sort_unstable();
    ks.dedup();
    let n = config.neurons;
    let tasks: Vec<(usize, usize)> = ks.iter().flat_map(|&k| (0..config.networks).map(move |t| (k, t))).collect();
    let results = h.trials(tasks.len(), |i| {
        let (k, t) = tasks[i];
        let mut rng = stream_path(h.seed, &[ids::RECALL, n as u64, k as u64, t as u64]);
        let p = Patterns::random(k, n, &mut rng)?;
        hebbian_stability(&p)
    })?;
    let rows: Vec<RecallRow> = tasks
        .iter()
        .zip(results)
        .filter_map(|(&(k, t), r)| {
            r.map(|s| RecallRow {
                neurons: n,
                patterns: k,
                network: t,
                fraction_fixed: s.pattern_fraction,
                bit_fraction: s.bit_fraction,
                all_fixed: s.all_fixed,
            })
        })
        .collect();
    let mut cells = Vec::new();
    for &k in &ks {
        let sel: Vec<&RecallRow> = rows.iter().filter(|r| r.patterns == k).collect();
        if sel.is_empty() {
            continue;
        }
        let (f, se) = mean_se(&sel.iter().map(|r| r.fraction_fixed).collect::<Vec<_>>());
        let (pa, _) = proportion(sel.iter().filter(|r| r.all_fixed).count(), sel.len());
        cells.push(RecallCell {
            patterns: k,
            networks: sel.len(),
            fraction_fixed: f,
            se_fraction: se,
            p_all_fixed: pa,
            gaussian_theory: gaussian_fraction(n, k),
        });
    }
    let mut checks = Vec::new();
    let cell = |k: usize| cells.iter().find(|c| c.patterns == k);
    if n == 1000 {
        if let Some(c) = cell(36) {
            checks.push(Check::new(
                "K=36: fraction fixed",
                ">= 0.99",
                format!("{:.4}", c.fraction_fixed),
                c.fraction_fixed >= 0.99,
            ));
            checks.push(Check::new(
                "K=36: P(all fixed)",
                ">= 0.9",
                format!("{:.3}", c.p_all_fixed),
                c.p_all_fixed >= 0.9,
            ));
        }
        if let Some(c) = cell(72) {
            checks.push(Check::new(
                "K=72: fraction fixed",
                "in [0.85, 0.97]",
                format!("{:.4}", c.fraction_fixed),
                (0.85..=0.97).contains(&c.fraction_fixed),
            ));
            checks.push(Check::new(
                "K=72: P(all fixed)",
                "<= 0.1",
                format!("{:.3}", c.p_all_fixed),
                c.p_all_fixed <= 0.1,
            ));
        }
    }
    let mono = cells.windows(2).all(|w| w[1].fraction_fixed <= w[0].fraction_fixed);
    checks.push(Check::new(
        "fraction fixed non-increasing in K",
        "monotone",
        cells.iter().map(|c| format!("{}:{:.3}", c.patterns, c.fraction_fixed)).collect::<Vec<_>>().join(", "),
        mono,
    ));
    let worst = cells.iter().map(|c| (c.fraction_fixed - c.gaussian_theory).abs()).fold(0.0, f64::max);
    checks.push(Check::new("|fraction − Gaussian theory|", "<= 0.1", format!("{worst:.3}"), worst <= 0.1));
    let ln = (n as f64).ln();
    Ok(RecallResult {
        config: config.clone(),
        rows,
        cells,
        mceliece_typical: n as f64 / (2.0 * ln),
        mceliece_all: n as f64 / (4.0 * ln),
        checks,
        interrupted: h.interrupted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_formula_reference_values() {
        // Spec table: 1.000, 0.908, 0.457, 0.028 at N = 1000.
        for (k, want) in [(36, 1.000), (72, 0.908), (100, 0.457), (138, 0.028)] {
            assert!((gaussian_fraction(1000, k) - want).abs() < 0.0015, "K={k}: {}", gaussian_fraction(1000, k));
        }
    }

    #[test]
    fn e2_passes_at_spec_settings() {
        let r = run(&RecallConfig { networks: 10, ..RecallConfig::e2() }, &Harness::new(0)).unwrap();
        for c in &r.checks {
            // P(all fixed) at K = 36 with 10 networks is the noisiest criterion; every other must hold.
            assert!(c.pass || c.name.contains("P(all"), "{c:?}");
        }
    }
}
