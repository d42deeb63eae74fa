//! Oscillator-based Ising machine (Wang & Roychowdhury 2017, 2019): phase oscillators with
//! second-harmonic injection locking (SHIL).
//!
//! The field h acts as a first-harmonic injection locked to phase 0 (equivalently, the
//! auxiliary-spin reduction of [`IsingModel::with_auxiliary_spin`] with the auxiliary phase held
//! at 0). The phases obey
//!
//! ```text
//! dφ_i = [ −K Σ_j J_ij sin(φ_i − φ_j) − K h_i sin φ_i − K_s(t) sin 2φ_i ] dt + σ(t) √dt ξ_i,   ξ_i ~ N(0, 1),
//! ```
//!
//! the noise-free part being the gradient flow `dφ_i/dt = −½ ∂E/∂φ_i` of the Lyapunov function
//!
//! ```text
//! E(φ) = −K Σ_{i≠j} J_ij cos(φ_i − φ_j) − 2K Σ_i h_i cos φ_i − K_s Σ_i cos 2φ_i.
//! ```
//!
//! At φ_i ∈ {0, π}, cos(φ_i − φ_j) = s_i s_j and E = 2K·H(s) − N·K_s (up to the constant c), so
//! the binary minima of E are the Ising ground states. The coupling sum uses the exact identity
//! `Σ_j J_ij sin(φ_i − φ_j) = sin φ_i (J cos φ)_i − cos φ_i (J sin φ)_i` (two matrix-vector
//! products per step). Readout: `s_i = sgn cos φ_i`.
//!
//! **Scale rule and schedule.** K = 1 / (ρ(J) + max_i |h_i|), ρ the spectral radius estimated
//! by power iteration ([`super::sb::spectral_radius`]). Normalising by the largest absolute row
//! sum instead would make every coupling tiny on graphs with hubs (planar G-set graphs have
//! maximum degrees 16–70 times the median) and was clearly worse in trials on G14 and G43.
//! Δt = 0.5, K_s(t) rises linearly from 0 to `ks_max` = 0.2 over the run and σ(t) falls linearly
//! from `noise` = 0.05 to 0; φ starts uniform in [0, 2π). Linearising at a binary corner s gives
//! dδφ/dt = −[K·L(s) + 2K_s I] δφ with `L(s) = diag(Σ_j J_ij s_i s_j) − (J_ij s_i s_j)`, so K_s
//! decides which corners are stable: 0 leaves the continuous (rank-2) relaxation, and
//! K_s > K‖L(s)‖/2 makes corner s stable, so a large final K_s freezes the first corner reached. The defaults were chosen on small random
//! instances against exact ground states and on G14/G43 runs, the same for every instance.

use std::cell::RefCell;
use std::f64::consts::TAU;

use rand::Rng;
use serde::Serialize;

use super::model::IsingModel;
use super::solve::{sign, Readout, Solver, Tracker};
use crate::engine::integrators::{EulerMaruyama, OdeSystem, SdeIntegrator, SdeSystem};
use crate::engine::rng::Rng64;
use crate::error::{check_positive, Error, Result};

/// Oscillator Ising machine parameters.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Oim {
    /// Euler–Maruyama step.
    pub dt: f64,
    /// Final SHIL strength K_s (in units where the strongest node's coupling force is ≤ 1).
    pub ks_max: f64,
    /// Initial noise amplitude σ (falls linearly to 0).
    pub noise: f64,
}

impl Default for Oim {
    fn default() -> Self {
        Self { dt: 0.5, ks_max: 0.2, noise: 0.05 }
    }
}

/// The oscillator network of one model and its coupling scale K.
pub struct OimNetwork<'a> {
    pub model: &'a IsingModel,
    pub k: f64,
}

impl<'a> OimNetwork<'a> {
    /// The network of `model`, K = 1 / (ρ(J) + max_i |h_i|) (1 for the empty model).
    pub fn new(model: &'a IsingModel) -> Self {
        let scale = super::sb::spectral_radius(model) + model.h.iter().fold(0.0f64, |a, h| a.max(h.abs()));
        let k = if scale > 0.0 { 1.0 / scale } else { 1.0 };
        Self { model, k }
    }

    /// The Lyapunov function `E(φ)` at SHIL strength `ks`.
    pub fn lyapunov(&self, phi: &[f64], ks: f64) -> f64 {
        let m = self.model;
        let mut e = 0.0;
        for i in 0..m.n() {
            let mut c = 0.0;
            m.j.row(i).for_each(|j, w| c += w * (phi[i] - phi[j]).cos());
            e -= self.k * (c + 2.0 * m.h[i] * phi[i].cos());
            e -= ks * (2.0 * phi[i]).cos();
        }
        e
    }

    /// The noise-free drift `−K Σ_j J_ij sin(φ_i − φ_j) − K h_i sin φ_i − K_s sin 2φ_i`, with
    /// workspaces `cs`, `sn`, `jc`, `js` of length N.
    pub fn drift(&self, phi: &[f64], ks: f64, out: &mut [f64], ws: &mut [Vec<f64>; 4]) {
        let m = self.model;
        let [cs, sn, jc, js] = ws;
        for (i, &p) in phi.iter().enumerate() {
            let (s, c) = p.sin_cos();
            sn[i] = s;
            cs[i] = c;
        }
        m.j.matvec(cs, jc);
        m.j.matvec(sn, js);
        for i in 0..phi.len() {
            let coupling = sn[i] * jc[i] - cs[i] * js[i] + m.h[i] * sn[i];
            let shil = 2.0 * sn[i] * cs[i];
            out[i] = -self.k * coupling - ks * shil;
        }
    }

    /// The readout `s_i = sgn cos φ_i`.
    pub fn readout(phi: &[f64], out: &mut [i8]) {
        for (o, &p) in out.iter_mut().zip(phi) {
            *o = sign(p.cos());
        }
    }
}

/// The OIM phase equation as a diagonal-noise SDE for the engine's integrators, over a run of
/// length `t_total`: at time t, K_s = `ks_max`·t/t_total and σ = `noise`·(1 − t/t_total).
struct OimSde<'a, 'm> {
    net: &'a OimNetwork<'m>,
    oim: &'a Oim,
    t_total: f64,
    /// Workspace of the drift (one per replica).
    ws: RefCell<[Vec<f64>; 4]>,
}

impl OdeSystem for OimSde<'_, '_> {
    fn dim(&self) -> usize {
        self.net.model.n()
    }
    fn rhs(&self, t: f64, phi: &[f64], dphi: &mut [f64]) {
        let ks = self.oim.ks_max * t / self.t_total;
        let mut ws = self.ws.borrow_mut();
        if ws[0].len() != phi.len() {
            ws.iter_mut().for_each(|w| w.resize(phi.len(), 0.0));
        }
        self.net.drift(phi, ks, dphi, &mut ws);
    }
}

impl SdeSystem for OimSde<'_, '_> {
    fn diffusion(&self, t: f64, _: &[f64], g: &mut [f64]) {
        g.fill(self.oim.noise * (1.0 - t / self.t_total));
    }
}

impl Solver for Oim {
    fn name(&self) -> &'static str {
        "oim"
    }

    fn run_replica(&self, model: &IsingModel, steps: usize, rng: &mut Rng64, tr: &mut Tracker) -> Result<()> {
        check_positive("dt", self.dt)?;
        check_positive("ks_max", self.ks_max)?;
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(Error::param("noise", format!("must be finite and >= 0, got {}", self.noise)));
        }
        let net = OimNetwork::new(model);
        let n = model.n();
        let nn = n;
        let mut phi: Vec<f64> = (0..nn).map(|_| rng.random_range(0.0..TAU)).collect();
        let mut spins = vec![1i8; n];
        OimNetwork::readout(&phi, &mut spins);
        let mut ro = Readout::new(model, spins.clone());
        tr.offer(ro.energy(), 0, &ro.s);
        let sde =
            OimSde { net: &net, oim: self, t_total: steps as f64 * self.dt, ws: RefCell::new(Default::default()) };
        let mut em = EulerMaruyama::default();
        let quiet = vec![0.0; nn];
        while tr.proceed() {
            let t = tr.steps_done() as f64 * self.dt;
            if self.noise > 0.0 {
                em.step(&sde, t, &mut phi, self.dt, rng)?;
            } else {
                em.step_with_increments(&sde, t, &mut phi, self.dt, &quiet)?;
            }
            for p in phi.iter_mut() {
                *p = p.rem_euclid(TAU);
            }
            OimNetwork::readout(&phi, &mut spins);
            for (i, &v) in spins.iter().enumerate() {
                ro.set(model, i, v);
            }
            ro.sync(model);
            let e = ro.energy();
            let k = tr.steps_done() + 1;
            if !e.is_finite() {
                return Err(Error::Numerical(format!("oim: state diverged at step {k}")));
            }
            tr.offer(e, k, &ro.s);
            tr.advance();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::ising::model::Backend;

    fn model(seed: u64, n: usize, field: bool) -> IsingModel {
        let mut rng = stream(seed, 0);
        let mut pairs = Vec::new();
        for i in 0..n as u32 {
            for j in i + 1..n as u32 {
                if rng.random_bool(0.4) {
                    pairs.push((i, j, f64::from(rng.random_range(-3i32..=3))));
                }
            }
        }
        let h = (0..n).map(|_| if field { f64::from(rng.random_range(-2i32..=2)) } else { 0.0 }).collect();
        IsingModel::new(n, &pairs, h, 0.0, Backend::Csr).unwrap()
    }

    #[test]
    fn drift_is_minus_half_the_gradient_of_the_lyapunov_function() {
        for (seed, field) in [(1, false), (2, true)] {
            let m = model(seed, 12, field);
            let net = OimNetwork::new(&m);
            let nn = m.n();
            let mut rng = stream(seed, 1);
            let phi: Vec<f64> = (0..nn).map(|_| rng.random_range(0.0..TAU)).collect();
            let mut d = vec![0.0; nn];
            let mut ws = [vec![0.0; nn], vec![0.0; nn], vec![0.0; nn], vec![0.0; nn]];
            net.drift(&phi, 0.7, &mut d, &mut ws);
            let eps = 1e-6;
            for i in 0..nn {
                let mut p = phi.clone();
                p[i] += eps;
                let up = net.lyapunov(&p, 0.7);
                p[i] -= 2.0 * eps;
                let down = net.lyapunov(&p, 0.7);
                let grad = (up - down) / (2.0 * eps);
                assert!((d[i] + 0.5 * grad).abs() < 1e-7, "i = {i}: drift {} vs −½∂E {}", d[i], -0.5 * grad);
            }
        }
    }

    #[test]
    fn lyapunov_function_does_not_increase_without_noise() {
        for (seed, field) in [(3, false), (4, true)] {
            let m = model(seed, 20, field);
            let net = OimNetwork::new(&m);
            let nn = m.n();
            let mut rng = stream(seed, 1);
            let mut phi: Vec<f64> = (0..nn).map(|_| rng.random_range(0.0..TAU)).collect();
            let mut d = vec![0.0; nn];
            let mut ws = [vec![0.0; nn], vec![0.0; nn], vec![0.0; nn], vec![0.0; nn]];
            // Euler steps of the gradient flow descend E once Δt is below 2/L, L the Lipschitz
            // constant of the drift (≤ 2K·max row sum + 2K·max|h| + 4K_s, below 10 here).
            let ks = 1.0;
            let dt = 0.02;
            let mut e = net.lyapunov(&phi, ks);
            let e0 = e;
            for step in 0..2000 {
                net.drift(&phi, ks, &mut d, &mut ws);
                for (p, di) in phi.iter_mut().zip(&d) {
                    *p += dt * di;
                }
                let e1 = net.lyapunov(&phi, ks);
                assert!(e1 <= e + 1e-12 * e.abs().max(1.0), "step {step}: E rose from {e} to {e1}");
                e = e1;
            }
            assert!(e < e0);
        }
    }

    #[test]
    fn binary_phases_give_twice_k_times_the_ising_energy() {
        let m = model(5, 10, true);
        let net = OimNetwork::new(&m);
        let mut rng = stream(5, 2);
        for _ in 0..20 {
            let s: Vec<i8> = (0..10).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect();
            let phi: Vec<f64> = s.iter().map(|&v| if v > 0 { 0.0 } else { std::f64::consts::PI }).collect();
            let e = net.lyapunov(&phi, 0.3);
            let want = 2.0 * net.k * (m.energy(&s) - m.offset) - 0.3 * 10.0;
            assert!((e - want).abs() < 1e-9, "{e} vs {want}");
            let mut out = vec![0i8; 10];
            OimNetwork::readout(&phi, &mut out);
            assert_eq!(out, s);
        }
    }

    #[test]
    fn an_engine_step_is_the_euler_maruyama_update_with_the_schedule_written_out() {
        use rand_distr::StandardNormal;
        let m = model(5, 10, true);
        let net = OimNetwork::new(&m);
        let oim = Oim::default();
        let steps = 40;
        let sde = OimSde { net: &net, oim: &oim, t_total: steps as f64 * oim.dt, ws: RefCell::new(Default::default()) };
        let mut rng = stream(5, 1);
        let phi: Vec<f64> = (0..10).map(|_| rng.random_range(0.0..TAU)).collect();
        let k = 7;
        let t = k as f64 * oim.dt;
        let mut got = phi.clone();
        EulerMaruyama::default().step(&sde, t, &mut got, oim.dt, &mut stream(5, 2)).unwrap();
        // By hand: K_s = ks_max·k/S, σ = noise·(1 − k/S), one N(0, 1) draw per phase in order.
        let frac = k as f64 / steps as f64;
        let mut d = vec![0.0; 10];
        let mut ws = [vec![0.0; 10], vec![0.0; 10], vec![0.0; 10], vec![0.0; 10]];
        net.drift(&phi, oim.ks_max * frac, &mut d, &mut ws);
        let mut noise = stream(5, 2);
        for i in 0..10 {
            let z: f64 = noise.sample(StandardNormal);
            let want = phi[i] + oim.dt * d[i] + oim.noise * (1.0 - frac) * oim.dt.sqrt() * z;
            assert!((got[i] - want).abs() < 1e-12, "phase {i}: {} vs {want}", got[i]);
        }
    }
}
