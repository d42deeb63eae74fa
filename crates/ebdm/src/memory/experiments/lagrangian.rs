//! E8 for Lagrangian (hierarchical) memories: energy descent along RK4 trajectories, the
//! Lyapunov identity `dE/dt = −Σ_ℓ τₗ ẋₗᵀ ∇²Lₗ ẋₗ` against a central difference of E(t), and the
//! modern-Hopfield limit of the Krotov–Hopfield model B.
//!
//! Three two-layer networks with N_f = 64 feature and N_h = 256 memory neurons:
//!
//! - **A** (dense memory): tanh feature neurons, rectified cubic memory neurons (L_h = Σ h₊³/3),
//!   ±1/√N_f memories. With linear feature neurons and n ≥ 3 the energy is unbounded below
//!   (E → −∞ along any memory), so the features saturate as the binary DAM's do.
//! - **B** (modern Hopfield): linear feature neurons, softmax memory neurons (β = 0.1), ±1
//!   memories.
//! - **HAM**: layer-norm feature neurons, softmax memory neurons (β = 1), Gaussian memories of
//!   variance 1/N_f, the two-layer network HAMUX builds by default.
//!
//! Model B with instantaneous memory neurons (τ_h = 0) is also checked against the modern
//! Hopfield update: one explicit Euler step of size τ_f from q must give ξᵀ softmax(βξq), and
//! the trajectory with τ_h = 10⁻³ must approach the one with τ_h = 0.

use serde::Serialize;

use super::ids;
use crate::engine::integrators::{Integrator, OdeSystem, Rk4};
use crate::engine::rng::stream_path;
use crate::engine::run::StopFlag;
use crate::error::Result;
use crate::experiment::{Check, Harness};
use crate::memory::hierarchical::HierarchicalMemory;
use crate::memory::lagrangian::Lagrangian;
use crate::memory::modern::{ModernHopfield, RetrieveOptions};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

#[derive(Clone, Debug, Serialize)]
pub struct LagrangianConfig {
    pub features: usize,
    pub memories: usize,
    /// Random initial states per model and step size.
    pub seeds: usize,
    /// RK4 step sizes.
    pub dts: Vec<f64>,
    /// Integration time for each trajectory.
    pub horizon: f64,
    /// Check the Lyapunov identity every this many steps.
    pub identity_every: usize,
}

impl LagrangianConfig {
    pub fn e8() -> Self {
        Self { features: 64, memories: 256, seeds: 20, dts: vec![0.01, 0.1], horizon: 5.0, identity_every: 5 }
    }
}

/// The three networks of the experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Model {
    A,
    B,
    Ham,
}

impl Model {
    pub const ALL: [Model; 3] = [Model::A, Model::B, Model::Ham];

    pub fn name(&self) -> &'static str {
        match self {
            Model::A => "KH2021 A (tanh / ReLU^3)",
            Model::B => "KH2021 B (identity / softmax)",
            Model::Ham => "HAM (layernorm / softmax)",
        }
    }

    fn lagrangians(&self) -> (Lagrangian, Lagrangian) {
        match self {
            Model::A => (Lagrangian::Tanh { beta: 1.0 }, Lagrangian::RectifiedPower { n: 3.0 }),
            Model::B => (Lagrangian::Identity, Lagrangian::Softmax { beta: 0.1 }),
            Model::Ham => {
                (Lagrangian::LayerNorm { gamma: 1.0, delta: 0.0, eps: 1e-5 }, Lagrangian::Softmax { beta: 1.0 })
            }
        }
    }

    fn memories(&self, k: usize, n: usize, rng: &mut impl Rng) -> Vec<f64> {
        let s = 1.0 / (n as f64).sqrt();
        (0..k * n)
            .map(|_| match self {
                Model::A => {
                    if rng.random::<bool>() {
                        s
                    } else {
                        -s
                    }
                }
                Model::B => {
                    if rng.random::<bool>() {
                        1.0
                    } else {
                        -1.0
                    }
                }
                Model::Ham => {
                    let z: f64 = StandardNormal.sample(rng);
                    s * z
                }
            })
            .collect()
    }

    /// The network with τ_f = 1 and τ_h = `tau_h`.
    pub fn network(&self, cfg: &LagrangianConfig, tau_h: f64, rng: &mut impl Rng) -> Result<HierarchicalMemory> {
        let (v, h) = self.lagrangians();
        let xi = self.memories(cfg.memories, cfg.features, rng);
        HierarchicalMemory::two_layer(&xi, cfg.memories, cfg.features, v, h, 1.0, tau_h, Vec::new())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TrajectoryRow {
    pub model: Model,
    pub dt: f64,
    pub seed: usize,
    pub initial_energy: f64,
    pub final_energy: f64,
    /// Largest relative energy increase between consecutive RK4 steps (0 when none).
    pub max_relative_increase: f64,
    /// Largest relative error of the Lyapunov identity where |dE/dt| is not negligible.
    pub max_identity_error: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LagrangianResult {
    pub config: LagrangianConfig,
    pub rows: Vec<TrajectoryRow>,
    /// Energy trace `(time, E)` of seed 0 at the smallest dt, per model.
    pub traces: Vec<(Model, Vec<(f64, f64)>)>,
    /// Largest |Euler step − modern Hopfield update| over the seeds (model B, τ_h = 0).
    pub modern_step_error: f64,
    /// Largest |x_v(τ_h = 10⁻³) − x_v(τ_h = 0)| at t = 1 over the seeds (model B).
    pub adiabatic_gap: f64,
    pub checks: Vec<Check>,
    pub interrupted: bool,
}

fn trajectory(
    cfg: &LagrangianConfig,
    model: Model,
    dt: f64,
    seed: u64,
    s: usize,
) -> Result<(TrajectoryRow, Vec<(f64, f64)>)> {
    let mut rng = stream_path(seed, &[ids::LAGRANGIAN, model as u64, s as u64]);
    let net = model.network(cfg, 0.5, &mut rng)?;
    let mut x: Vec<f64> = (0..net.state_len()).map(|_| StandardNormal.sample(&mut rng)).collect();
    let steps = (cfg.horizon / dt).round() as usize;
    let mut rk = Rk4::default();
    let mut e = net.energy(&x)?;
    let e0 = e;
    let mut trace = vec![(0.0, e)];
    let (mut rise, mut ident) = (0.0f64, 0.0f64);
    let h = 1e-5;
    for step in 0..steps {
        if step % cfg.identity_every == 0 {
            let rate = net.energy_rate(&x)?;
            let (mut a, mut b) = (x.clone(), x.clone());
            Rk4::default().step(&net, 0.0, &mut a, h)?;
            Rk4::default().step(&net, 0.0, &mut b, -h)?;
            let fd = (net.energy(&a)? - net.energy(&b)?) / (2.0 * h);
            if rate.abs() > 1e-6 * e.abs().max(1.0) {
                ident = ident.max((fd - rate).abs() / rate.abs());
            }
        }
        rk.step(&net, 0.0, &mut x, dt)?;
        let e_new = net.energy(&x)?;
        rise = rise.max((e_new - e) / e.abs().max(1.0));
        e = e_new;
        trace.push(((step + 1) as f64 * dt, e));
    }
    let row = TrajectoryRow {
        model,
        dt,
        seed: s,
        initial_energy: e0,
        final_energy: e,
        max_relative_increase: rise,
        max_identity_error: ident,
    };
    Ok((row, trace))
}

/// Model B with τ_h = 0: the Euler step against the modern Hopfield update, and the gap to the
/// τ_h = 10⁻³ trajectory at t = 1.
fn modern_limit(cfg: &LagrangianConfig, seed: u64, s: usize) -> Result<(f64, f64)> {
    let mut rng = stream_path(seed, &[ids::LAGRANGIAN, 100, s as u64]);
    let (k, n) = (cfg.memories, cfg.features);
    let xi = Model::B.memories(k, n, &mut rng);
    let beta = 0.1;
    let model_b = |tau_h: f64| {
        HierarchicalMemory::two_layer(&xi, k, n, Lagrangian::Identity, Lagrangian::Softmax { beta }, 1.0, tau_h, vec![])
    };
    let fast = model_b(0.0)?;
    // A query: memory 0 with a quarter of its signs flipped, in f32 so both models see it exactly.
    let q: Vec<f32> = (0..n).map(|i| if rng.random::<f64>() < 0.25 { -xi[i] as f32 } else { xi[i] as f32 }).collect();
    let mut x = vec![0.0; n + k];
    x.iter_mut().zip(&q).for_each(|(a, &b)| *a = b as f64);
    let mut f = vec![0.0; n + k];
    fast.rhs(0.0, &x, &mut f);
    let xi32: Vec<f32> = xi.iter().map(|&v| v as f32).collect();
    let modern = ModernHopfield::new(&xi32, k, n)?;
    let updated = modern.retrieve(&q, &RetrieveOptions::new(beta, 1), &StopFlag::new())?;
    let step_err = (0..n).map(|i| (x[i] + f[i] - updated.states[i] as f64).abs()).fold(0.0, f64::max);

    let slow = model_b(1e-3)?;
    let mut xf = x.clone();
    fast.settle(&mut xf);
    let mut xs = xf.clone();
    Rk4::default().integrate(&fast, 0.0, 1.0, &mut xf, 0.01)?;
    Rk4::default().integrate(&slow, 0.0, 1.0, &mut xs, 2e-4)?;
    let gap = (0..n).map(|i| (xf[i] - xs[i]).abs()).fold(0.0, f64::max);
    Ok((step_err, gap))
}

pub fn run(cfg: &LagrangianConfig, h: &Harness) -> Result<LagrangianResult> {
    for &dt in &cfg.dts {
        crate::error::check_positive("dt", dt)?;
    }
    crate::error::check_positive("horizon", cfg.horizon)?;
    let mut jobs = Vec::new();
    for model in Model::ALL {
        for &dt in &cfg.dts {
            for s in 0..cfg.seeds {
                jobs.push((model, dt, s));
            }
        }
    }
    let results = h.trials(jobs.len(), |j| {
        let (model, dt, s) = jobs[j];
        trajectory(cfg, model, dt, h.seed, s)
    })?;
    let limits = h.trials(cfg.seeds.min(5), |s| modern_limit(cfg, h.seed, s))?;
    let dt_min = cfg.dts.iter().cloned().fold(f64::INFINITY, f64::min);
    let mut rows = Vec::new();
    let mut traces = Vec::new();
    for (row, trace) in results.into_iter().flatten() {
        if row.seed == 0 && row.dt == dt_min {
            traces.push((row.model, trace));
        }
        rows.push(row);
    }
    let limits: Vec<(f64, f64)> = limits.into_iter().flatten().collect();
    let modern_step_error = limits.iter().map(|l| l.0).fold(0.0, f64::max);
    let adiabatic_gap = limits.iter().map(|l| l.1).fold(0.0, f64::max);

    let mut checks = Vec::new();
    for model in Model::ALL {
        for &dt in &cfg.dts {
            let sel: Vec<&TrajectoryRow> = rows.iter().filter(|r| r.model == model && r.dt == dt).collect();
            if sel.is_empty() {
                continue;
            }
            let rise = sel.iter().map(|r| r.max_relative_increase).fold(0.0, f64::max);
            checks.push(Check::new(
                format!("{}: energy non-increasing (RK4, dt = {dt})", model.name()),
                "relative rise <= 1e-8",
                format!("{rise:.2e}"),
                rise <= 1e-8,
            ));
        }
        let ident = rows.iter().filter(|r| r.model == model).map(|r| r.max_identity_error).fold(0.0, f64::max);
        checks.push(Check::new(
            format!("{}: Lyapunov identity dE/dt = -Σ τ ẋᵀ∇²L ẋ", model.name()),
            "relative error <= 1e-2",
            format!("{ident:.2e}"),
            ident <= 0.01,
        ));
    }
    if !limits.is_empty() {
        checks.push(Check::new(
            "model B, τ_h = 0: Euler step dt = τ_f equals the modern Hopfield update",
            "max |difference| <= 1e-6",
            format!("{modern_step_error:.2e}"),
            modern_step_error <= 1e-6,
        ));
        checks.push(Check::new(
            "model B: τ_h = 1e-3 trajectory approaches τ_h = 0 (t = 1)",
            "max |difference| <= 1e-2",
            format!("{adiabatic_gap:.2e}"),
            adiabatic_gap <= 1e-2,
        ));
    }
    Ok(LagrangianResult {
        config: cfg.clone(),
        rows,
        traces,
        modern_step_error,
        adiabatic_gap,
        checks,
        interrupted: h.interrupted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e8_lagrangian_checks_pass_on_a_small_run() {
        let cfg = LagrangianConfig { seeds: 2, horizon: 1.0, identity_every: 10, ..LagrangianConfig::e8() };
        let r = run(&cfg, &Harness::new(1)).unwrap();
        assert!(r.checks.iter().all(|c| c.pass), "{:#?}", r.checks);
        assert_eq!(r.rows.len(), 3 * 2 * 2);
        assert_eq!(r.traces.len(), 3);
    }
}
