//! E8 for the graded Hopfield network: energy monotonicity along RK4 trajectories, the Lyapunov
//! identity `dE/dt = −Σ C_i g'(u_i) (du_i/dt)²` against a finite difference of E(t), and the
//! high-gain limit: with g = tanh(λu), λ = 100, the continuous network started from a cue
//! settles on the same attractor (by sign) as the binary network's asynchronous dynamics.

use serde::Serialize;

use super::ids;
use crate::engine::integrators::{DormandPrince45, Energy, Integrator, Rk4};
use crate::engine::rng::stream_path;
use crate::error::Result;
use crate::experiment::{Check, Harness};
use crate::memory::graded::{Gain, GradedHopfield};
use crate::memory::hopfield::{Hopfield, LearningRule, RetrieveParams};
use crate::memory::patterns::{corrupt, Patterns};

#[derive(Clone, Debug, Serialize)]
pub struct GradedConfig {
    pub neurons: usize,
    pub patterns: usize,
    pub rho: f64,
    pub gain: f64,
    pub seeds: usize,
    pub dt: f64,
    /// Steps of the RK4 trajectory checked for monotonicity and the identity.
    pub steps: usize,
    /// A second, heavier load (patterns at the same N and ρ) at which the binary and graded
    /// dynamics can end in different attractors; there the high-gain limit is checked to be a
    /// fixed point of the binary network (Hopfield 1984). 0 skips it.
    pub high_load_patterns: usize,
}

impl GradedConfig {
    pub fn e8() -> Self {
        Self {
            neurons: 64,
            patterns: 4,
            rho: 0.15,
            gain: 100.0,
            seeds: 20,
            dt: 0.01,
            steps: 500,
            high_load_patterns: 10,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct GradedRow {
    pub seed: usize,
    /// Largest relative energy increase between RK4 steps.
    pub max_relative_increase: f64,
    /// Largest relative error of the Lyapunov identity where |dE/dt| is not negligible.
    pub max_identity_error: f64,
    pub same_attractor: bool,
    pub overlap_with_binary: f64,
    /// At the heavy load: whether the graded limit's signs are a fixed point of the binary
    /// network, and whether they equal the binary dynamics' attractor from the same cue.
    pub high_load_fixed_point: Option<bool>,
    pub high_load_same_attractor: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GradedResult {
    pub config: GradedConfig,
    pub rows: Vec<GradedRow>,
    /// `(time, energy)` of the first seed's trajectory, for plotting.
    pub trace: Vec<(f64, f64)>,
    pub checks: Vec<Check>,
    pub interrupted: bool,
}

/// A binary network of `k` random Hebbian patterns, the attractor its dynamics reach from a
/// corrupted copy of pattern 0, the graded network with the same weights, and its start just
/// inside the linear range, `u = cue/λ` (so V = tanh(1)·cue).
struct Pair {
    binary: Hopfield,
    attractor: Vec<i8>,
    net: GradedHopfield,
    u: Vec<f64>,
}

fn pair(cfg: &GradedConfig, k: usize, rng: &mut crate::engine::Rng64) -> Result<Pair> {
    let p = Patterns::random(k, cfg.neurons, rng)?;
    let binary = Hopfield::train(&p, LearningRule::Hebb)?;
    let cue = corrupt(p.row(0), cfg.rho, rng)?;
    let attractor = binary.retrieve(&cue, &RetrieveParams::default(), rng)?.state;
    let net = GradedHopfield::new(cfg.neurons, binary.weights().to_vec(), Gain::Tanh(cfg.gain))?;
    let u = cue.iter().map(|&x| x as f64 / cfg.gain).collect();
    Ok(Pair { binary, attractor, net, u })
}

/// Settles `u` with the adaptive integrator and returns the signs of the state reached.
fn settled_signs(net: &GradedHopfield, u: &mut [f64]) -> Result<Vec<i8>> {
    let mut dp = DormandPrince45::new(1e-8, 1e-10)?;
    dp.integrate(net, 0.0, 100.0, u, 1.0)?;
    Ok(u.iter().map(|&x| if x >= 0.0 { 1 } else { -1 }).collect())
}

fn one_seed(cfg: &GradedConfig, seed: u64, s: usize) -> Result<(GradedRow, Vec<(f64, f64)>)> {
    let mut rng = stream_path(seed, &[ids::GRADED, s as u64]);
    let Pair { attractor: fixed, net, mut u, .. } = pair(cfg, cfg.patterns, &mut rng)?;
    let mut rk = Rk4::default();
    let (mut worst_rise, mut worst_identity) = (0.0f64, 0.0f64);
    let mut e = net.energy(&u);
    let mut trace = vec![(0.0, e)];
    let h = 1e-5;
    for step in 0..cfg.steps {
        let rate = net.energy_rate(&u);
        let (mut a, mut b) = (u.clone(), u.clone());
        let mut probe = Rk4::default();
        probe.step(&net, 0.0, &mut a, h)?;
        probe.step(&net, 0.0, &mut b, -h)?;
        let fd = (net.energy(&a) - net.energy(&b)) / (2.0 * h);
        if rate.abs() > 1e-6 * e.abs().max(1.0) {
            worst_identity = worst_identity.max((fd - rate).abs() / rate.abs());
        }
        rk.step(&net, 0.0, &mut u, cfg.dt)?;
        let e_new = net.energy(&u);
        worst_rise = worst_rise.max((e_new - e) / e.abs().max(1.0));
        e = e_new;
        trace.push(((step + 1) as f64 * cfg.dt, e));
    }
    // Settle and compare signs with the binary attractor.
    let signs = settled_signs(&net, &mut u)?;
    let m = crate::memory::metrics::overlap(&fixed, &signs)?;
    let high = if cfg.high_load_patterns > 0 { Some(high_load(cfg, seed, s)?) } else { None };
    Ok((
        GradedRow {
            seed: s,
            max_relative_increase: worst_rise,
            max_identity_error: worst_identity,
            same_attractor: signs == fixed,
            overlap_with_binary: m,
            high_load_fixed_point: high.map(|h| h.0),
            high_load_same_attractor: high.map(|h| h.1),
        },
        trace,
    ))
}

/// The heavy-load part of one seed: (graded limit is a binary fixed point, equals the binary
/// attractor). Draws from its own stream, so the light-load part is unchanged by it.
fn high_load(cfg: &GradedConfig, seed: u64, s: usize) -> Result<(bool, bool)> {
    let mut rng = stream_path(seed, &[ids::GRADED, s as u64, 1]);
    let Pair { binary, attractor, net, mut u } = pair(cfg, cfg.high_load_patterns, &mut rng)?;
    let signs = settled_signs(&net, &mut u)?;
    Ok((binary.is_fixed_point(&signs)?, signs == attractor))
}

pub fn run(cfg: &GradedConfig, h: &Harness) -> Result<GradedResult> {
    crate::error::check_positive("gain", cfg.gain)?;
    crate::error::check_positive("dt", cfg.dt)?;
    let results = h.trials(cfg.seeds, |s| one_seed(cfg, h.seed, s))?;
    let mut rows = Vec::new();
    let mut trace = Vec::new();
    for (row, tr) in results.into_iter().flatten() {
        if trace.is_empty() {
            trace = tr;
        }
        rows.push(row);
    }
    let rise = rows.iter().map(|r| r.max_relative_increase).fold(0.0, f64::max);
    let ident = rows.iter().map(|r| r.max_identity_error).fold(0.0, f64::max);
    let agree = rows.iter().filter(|r| r.same_attractor).count() as f64 / rows.len().max(1) as f64;
    let checks = vec![
        Check::new(
            format!("energy non-increasing (RK4, dt={})", cfg.dt),
            "relative rise <= 1e-8",
            format!("{rise:.2e}"),
            rise <= 1e-8,
        ),
        Check::new(
            "Lyapunov identity dE/dt = -Σ C g'(u) u̇²",
            "within 1 %",
            format!("{:.3} %", 100.0 * ident),
            ident <= 0.01,
        ),
        Check::new(
            format!("high-gain limit (λ={}) = binary attractor", cfg.gain),
            ">= 95 % of seeds",
            format!("{:.1} %", 100.0 * agree),
            agree >= 0.95,
        ),
    ];
    let mut checks = checks;
    let fixed: Vec<bool> = rows.iter().filter_map(|r| r.high_load_fixed_point).collect();
    if !fixed.is_empty() {
        let share = |v: &[bool]| v.iter().filter(|&&b| b).count() as f64 / v.len() as f64;
        let same: Vec<bool> = rows.iter().filter_map(|r| r.high_load_same_attractor).collect();
        checks.push(Check::new(
            format!(
                "high-gain limit at K={} (α={:.3}) is a binary fixed point",
                cfg.high_load_patterns,
                cfg.high_load_patterns as f64 / cfg.neurons as f64
            ),
            ">= 95 % of seeds",
            format!(
                "{:.1} % (same attractor as the binary dynamics: {:.1} %)",
                100.0 * share(&fixed),
                100.0 * share(&same)
            ),
            share(&fixed) >= 0.95,
        ));
    }
    Ok(GradedResult { config: cfg.clone(), rows, trace, checks, interrupted: h.interrupted() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e8_graded_checks_pass() {
        let r = run(&GradedConfig { seeds: 8, steps: 200, ..GradedConfig::e8() }, &Harness::new(2)).unwrap();
        assert!(r.checks.iter().all(|c| c.pass), "{:#?}", r.checks);
    }
}
