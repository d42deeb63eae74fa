//! Qiu & Huang's speed quasi-potential of a random network and dynamics on it.
//!
//! For the flow F(x) = −x + J φ(x), φ = tanh, the energy
//!
//!   E(x) = ½ Σ_i F_i(x)² + η Σ_i x_i²,     ∇E = −F + φ'(x) ∘ (Jᵀ F) + 2η x,
//!
//! is ≥ 0 and vanishes exactly at the fixed points of the flow (η = 0). Its Gibbs measure
//! P(x) ∝ exp(−βE(x)) is what the replica theory of Qiu & Huang describes. Here E is sampled by
//! overdamped Langevin dynamics dx = −∇E dt + √(2/β) dW (Euler–Maruyama), with β raised from 1
//! to its target over an annealing time (linear in β) and time averages taken over a final
//! window; β = ∞ is gradient descent. Several chains run as the columns of one N × C matrix, so
//! each step costs two GEMMs (J·φ(X), then Jᵀ·F) for all of them. The step must stay below
//! 2/λ_max(∇²E) ≈ 2/(1 + 2g)² near x = 0 (dt = 0.01–0.02 is safe for g ≤ 1.2).

use faer::MatRef;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

use super::network::RandomNetwork;
use crate::boltzmann::kernel::gemm_col_major;
use crate::engine::rng::Rng64;
use crate::engine::run::StopFlag;
use crate::error::{Error, Result};
use crate::size::{bytes, check_memory};

/// The quasi-potential of a network, with L2 confinement η ≥ 0 (0 in Qiu & Huang's runs).
#[derive(Debug)]
pub struct QuasiPotential<'a> {
    pub net: &'a RandomNetwork,
    pub eta: f64,
}

impl<'a> QuasiPotential<'a> {
    pub fn new(net: &'a RandomNetwork, eta: f64) -> Result<Self> {
        if !(eta.is_finite() && eta >= 0.0) {
            return Err(Error::param("eta", format!("must be finite and ≥ 0, got {eta}")));
        }
        Ok(Self { net, eta })
    }

    /// E and ∇E of `chains` states, the columns of the column-major N × C matrix `x`; the
    /// energies go into `energy` (length C), the gradients into `grad` (N × C). `phi` and
    /// `flow` are N × C scratch.
    fn evaluate(&self, x: &[f64], chains: usize, energy: &mut [f64], grad: &mut [f64], scratch: &mut Scratch) {
        let n = self.net.n();
        let j = self.net.couplings();
        for (p, v) in scratch.phi.iter_mut().zip(x) {
            *p = v.tanh();
        }
        gemm_col_major(&mut scratch.flow, j, MatRef::from_column_major_slice(&scratch.phi, n, chains));
        for (f, v) in scratch.flow.iter_mut().zip(x) {
            *f -= v;
        }
        gemm_col_major(grad, j.transpose(), MatRef::from_column_major_slice(&scratch.flow, n, chains));
        for (c, energy) in energy.iter_mut().enumerate().take(chains) {
            let r = c * n..(c + 1) * n;
            let (mut e, mut confine) = (0.0, 0.0);
            for (((g, f), p), v) in
                grad[r.clone()].iter_mut().zip(&scratch.flow[r.clone()]).zip(&scratch.phi[r.clone()]).zip(&x[r])
            {
                e += f * f;
                confine += v * v;
                *g = -f + (1.0 - p * p) * *g + 2.0 * self.eta * v;
            }
            *energy = 0.5 * e + self.eta * confine;
        }
    }

    /// E(x) and ∇E(x) of one state.
    pub fn energy_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>)> {
        let n = self.net.n();
        check_states(x, n)?;
        let mut scratch = Scratch::new(n, 1);
        let (mut e, mut g) = ([0.0], vec![0.0; n]);
        self.evaluate(x, 1, &mut e, &mut g, &mut scratch);
        Ok((e[0], g))
    }
}

struct Scratch {
    phi: Vec<f64>,
    flow: Vec<f64>,
}

impl Scratch {
    fn new(n: usize, chains: usize) -> Self {
        Self { phi: vec![0.0; n * chains], flow: vec![0.0; n * chains] }
    }
}

fn check_states(x: &[f64], n: usize) -> Result<()> {
    if x.is_empty() || !x.len().is_multiple_of(n) {
        return Err(Error::Shape(format!("states must be whole columns of {n} entries, got {} entries", x.len())));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::param("x0", format!("entry {i} is not finite")));
    }
    Ok(())
}

/// λ_max of ∇²E(0) = (I − J)ᵀ(I − J) + 2ηI by 60 power iterations (from below).
fn curvature_at_origin(qp: &QuasiPotential<'_>) -> f64 {
    let n = qp.net.n();
    let j = qp.net.couplings();
    let mut v: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64 * 0.1).collect();
    let (mut w, mut u) = (vec![0.0; n], vec![0.0; n]);
    let mut lambda = 0.0;
    for _ in 0..60 {
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        v.iter_mut().for_each(|a| *a /= norm);
        gemm_col_major(&mut w, j, MatRef::from_column_major_slice(&v, n, 1));
        for (a, b) in w.iter_mut().zip(&v) {
            *a = b - *a;
        }
        gemm_col_major(&mut u, j.transpose(), MatRef::from_column_major_slice(&w, n, 1));
        for ((a, b), c) in u.iter_mut().zip(&w).zip(&v) {
            *a = b - *a + 2.0 * qp.eta * c;
        }
        lambda = u.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>();
        std::mem::swap(&mut v, &mut u);
    }
    lambda
}

/// Settings of a Langevin run on E.
#[derive(Clone, Debug, Serialize)]
pub struct LangevinOptions {
    /// Target inverse temperature; `f64::INFINITY` is gradient descent.
    pub beta: f64,
    pub dt: f64,
    /// Total time.
    pub time: f64,
    /// β rises linearly from `beta_start` to `beta` over this time (0: no annealing).
    pub anneal: f64,
    pub beta_start: f64,
    /// Time averages over the last `window` of the run.
    pub window: f64,
}

impl Default for LangevinOptions {
    fn default() -> Self {
        Self { beta: 100.0, dt: 0.02, time: 600.0, anneal: 200.0, beta_start: 1.0, window: 300.0 }
    }
}

impl LangevinOptions {
    fn check(&self) -> Result<(usize, usize)> {
        if self.beta <= 0.0 || self.beta.is_nan() {
            return Err(Error::param("beta", format!("must be > 0 (inf for gradient descent), got {}", self.beta)));
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(Error::param("dt", format!("must be finite and > 0, got {}", self.dt)));
        }
        if !(self.time.is_finite() && self.time >= self.dt) {
            return Err(Error::param("time", format!("must be at least one step dt, got {}", self.time)));
        }
        if !(self.anneal.is_finite() && self.anneal >= 0.0 && self.anneal <= self.time) {
            return Err(Error::param("anneal", format!("must lie in [0, time], got {}", self.anneal)));
        }
        if self.anneal > 0.0 && !(self.beta_start.is_finite() && self.beta_start > 0.0) {
            return Err(Error::param("beta_start", format!("must be finite and > 0, got {}", self.beta_start)));
        }
        if !(self.window.is_finite() && self.window > 0.0 && self.window <= self.time) {
            return Err(Error::param("window", format!("must lie in (0, time], got {}", self.window)));
        }
        let steps = (self.time / self.dt).round() as usize;
        let window = ((self.window / self.dt).round() as usize).clamp(1, steps);
        Ok((steps, window))
    }

    /// β at time t.
    fn beta_at(&self, t: f64) -> f64 {
        if self.anneal > 0.0 && t < self.anneal {
            let f = t / self.anneal;
            if self.beta.is_infinite() {
                return self.beta_start / (1.0 - f).max(1e-300);
            }
            self.beta_start + f * (self.beta - self.beta_start)
        } else {
            self.beta
        }
    }
}

/// What one chain measured over the averaging window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChainAverages {
    /// ⟨E⟩/N.
    pub energy: f64,
    /// ⟨x²⟩ over units and time.
    pub mean_square: f64,
    /// ⟨φ(x)²⟩ over units and time.
    pub phi2: f64,
    /// E/N at the end of the run.
    pub final_energy: f64,
}

/// The result of a Langevin run: per chain the window averages and E/N once per time unit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Langevin {
    pub chains: Vec<ChainAverages>,
    /// (t, E/N of every chain), one row per time unit.
    pub trace: Vec<(f64, Vec<f64>)>,
    pub time: f64,
    pub interrupted: bool,
}

/// Overdamped Langevin dynamics on E from the states `x0` (the columns of a column-major
/// N × C matrix, one chain each), noise from `rng`. A raised `stop` ends the run early and keeps
/// what was measured.
pub fn langevin(
    qp: &QuasiPotential<'_>,
    x0: &[f64],
    opts: &LangevinOptions,
    rng: &mut Rng64,
    stop: &StopFlag,
) -> Result<Langevin> {
    let n = qp.net.n();
    check_states(x0, n)?;
    let (steps, window) = opts.check()?;
    let chains = x0.len() / n;
    check_memory("chains", format!("{chains} chains of {n} units"), bytes(&[4, n, chains], 8))?;
    let curvature = curvature_at_origin(qp);
    if opts.dt >= 2.0 / curvature {
        return Err(Error::param(
            "dt",
            format!(
                "{} is not below 2/λ_max(∇²E(0)) = {:.4}: the Euler–Maruyama step diverges",
                opts.dt,
                2.0 / curvature
            ),
        ));
    }
    let mut x = x0.to_vec();
    let mut grad = vec![0.0; n * chains];
    let mut energy = vec![0.0; chains];
    let mut scratch = Scratch::new(n, chains);
    let mut sums = vec![[0.0f64; 3]; chains];
    let mut trace = Vec::new();
    let per_unit = ((1.0 / opts.dt).round() as usize).max(1);
    let nf = n as f64;
    let mut done = 0usize;
    for k in 0..steps {
        if stop.is_raised() {
            break;
        }
        let t = k as f64 * opts.dt;
        qp.evaluate(&x, chains, &mut energy, &mut grad, &mut scratch);
        if k % per_unit == 0 {
            trace.push((t, energy.iter().map(|e| e / nf).collect()));
        }
        let beta = opts.beta_at(t);
        let kick = if beta.is_infinite() { 0.0 } else { (2.0 * opts.dt / beta).sqrt() };
        for (v, g) in x.iter_mut().zip(&grad) {
            *v -= opts.dt * g;
            if kick > 0.0 {
                *v += kick * rng.sample::<f64, _>(StandardNormal);
            }
        }
        if !x.iter().all(|v| v.is_finite()) {
            return Err(Error::Numerical(format!(
                "the Langevin run left the finite numbers at t = {t} (dt = {} above 2/(1+2g)²?)",
                opts.dt
            )));
        }
        done += 1;
        if steps - k <= window {
            // Energies at the state before this step's move, the rest at the state after it:
            // both are samples of the same stationary run.
            for (c, s) in sums.iter_mut().enumerate() {
                let col = &x[c * n..(c + 1) * n];
                s[0] += energy[c] / nf;
                s[1] += col.iter().map(|v| v * v).sum::<f64>() / nf;
                s[2] += col.iter().map(|v| v.tanh().powi(2)).sum::<f64>() / nf;
            }
        }
    }
    qp.evaluate(&x, chains, &mut energy, &mut grad, &mut scratch);
    let measured = done.saturating_sub(steps - window).max(1) as f64;
    let chains_out = sums
        .iter()
        .zip(&energy)
        .map(|(s, e)| ChainAverages {
            energy: s[0] / measured,
            mean_square: s[1] / measured,
            phi2: s[2] / measured,
            final_energy: e / nf,
        })
        .collect();
    Ok(Langevin { chains: chains_out, trace, time: done as f64 * opts.dt, interrupted: done < steps })
}

/// Langevin chains on the quasi-potential of a random network with elliptic couplings.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkLangevin {
    pub n: usize,
    pub g: f64,
    pub gamma: f64,
    pub eta: f64,
    pub chains: usize,
    /// Chains start at `init_scale`·N(0, 1) per unit.
    pub init_scale: f64,
}

impl NetworkLangevin {
    /// The run on network `s` of `seed`: couplings from `(seed, [CHAOS_NETWORK, s])` (the
    /// network [`super::exponents`] measures), starts and noise from `(seed, [CHAOS_LANGEVIN, s])`.
    pub fn run(&self, s: usize, seed: u64, opts: &LangevinOptions, stop: &StopFlag) -> Result<Langevin> {
        use crate::engine::rng::stream_path;
        use crate::experiment::streams::{CHAOS_LANGEVIN, CHAOS_NETWORK};
        if self.chains == 0 {
            return Err(Error::param("chains", "must be at least 1"));
        }
        if !(self.init_scale.is_finite() && self.init_scale >= 0.0) {
            return Err(Error::param("init_scale", format!("must be finite and ≥ 0, got {}", self.init_scale)));
        }
        opts.check()?;
        let net =
            RandomNetwork::elliptic(self.n, self.g, self.gamma, &mut stream_path(seed, &[CHAOS_NETWORK, s as u64]))?;
        let qp = QuasiPotential::new(&net, self.eta)?;
        let mut rng = stream_path(seed, &[CHAOS_LANGEVIN, s as u64]);
        check_memory(
            "chains",
            format!("{} chains of {} units", self.chains, self.n),
            bytes(&[self.n, self.chains], 8),
        )?;
        let x0: Vec<f64> =
            (0..self.n * self.chains).map(|_| self.init_scale * rng.sample::<f64, _>(StandardNormal)).collect();
        langevin(&qp, &x0, opts, &mut rng, stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use faer::linalg::solvers::Solve;
    use faer::Mat;

    fn states(n: usize, chains: usize, scale: f64, seed: u64) -> Vec<f64> {
        let mut rng = stream(seed, 0);
        (0..n * chains).map(|_| scale * rng.sample::<f64, _>(StandardNormal)).collect()
    }

    #[test]
    fn the_gradient_is_that_of_the_energy_by_central_differences() {
        let net = RandomNetwork::elliptic(40, 1.5, 0.3, &mut stream(1, 0)).unwrap();
        let qp = QuasiPotential::new(&net, 0.05).unwrap();
        let x = states(40, 1, 1.0, 2);
        let (e, g) = qp.energy_gradient(&x).unwrap();
        // E by its definition, with the flow from RandomNetwork::flow.
        let mut f = vec![0.0; 40];
        net.flow(&x, &mut f);
        let direct = 0.5 * f.iter().map(|v| v * v).sum::<f64>() + 0.05 * x.iter().map(|v| v * v).sum::<f64>();
        assert!((e - direct).abs() < 1e-12 * direct.max(1.0));
        let h = 1e-6;
        for i in 0..40 {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += h;
            down[i] -= h;
            let fd = (qp.energy_gradient(&up).unwrap().0 - qp.energy_gradient(&down).unwrap().0) / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-6 * (1.0 + g[i].abs()), "∂E/∂x_{i}: {fd} vs {}", g[i]);
        }
        // x = 0 is a fixed point: E = 0 and ∇E = 0.
        let (e0, g0) = qp.energy_gradient(&[0.0; 40]).unwrap();
        assert_eq!(e0, 0.0);
        assert!(g0.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn gradient_descent_never_increases_the_energy() {
        let net = RandomNetwork::elliptic(60, 2.0, 0.0, &mut stream(3, 0)).unwrap();
        let qp = QuasiPotential::new(&net, 0.0).unwrap();
        let opts = LangevinOptions {
            beta: f64::INFINITY,
            dt: 0.01,
            time: 50.0,
            anneal: 0.0,
            window: 1.0,
            ..Default::default()
        };
        let r = langevin(&qp, &states(60, 3, 1.0, 4), &opts, &mut stream(5, 0), &StopFlag::new()).unwrap();
        for c in 0..3 {
            let es: Vec<f64> = r.trace.iter().map(|(_, e)| e[c]).collect();
            assert!(es.windows(2).all(|w| w[1] <= w[0] + 1e-15), "chain {c}: {es:?}");
            assert!(r.chains[c].final_energy < 0.1 * es[0], "{} vs {}", r.chains[c].final_energy, es[0]);
        }
    }

    #[test]
    fn below_the_edge_the_measure_is_gaussian_with_equipartition_and_the_closed_form_variance() {
        // g = 0.8: E ≈ ½ xᵀAx with A = (I − J)ᵀ(I − J) near x = 0, so E/N → 1/(2β) and
        // ⟨x²⟩ → tr(A⁻¹)/(Nβ), the latter computed here from this J by a dense inverse.
        let n = 120;
        let net = RandomNetwork::elliptic(n, 0.8, 0.0, &mut stream(6, 0)).unwrap();
        let qp = QuasiPotential::new(&net, 0.0).unwrap();
        let beta = 1000.0;
        let opts = LangevinOptions { beta, dt: 0.02, time: 600.0, anneal: 0.0, window: 500.0, ..Default::default() };
        let r = langevin(&qp, &states(n, 4, 0.01, 7), &opts, &mut stream(8, 0), &StopFlag::new()).unwrap();
        let e = r.chains.iter().map(|c| c.energy).sum::<f64>() / 4.0;
        let x2 = r.chains.iter().map(|c| c.mean_square).sum::<f64>() / 4.0;
        assert!((e * 2.0 * beta - 1.0).abs() < 0.03, "E/N = {e} vs {}", 0.5 / beta);
        let j = net.couplings();
        let m = Mat::<f64>::from_fn(n, n, |a, b| f64::from(u8::from(a == b)) - j[(a, b)]);
        let a = m.transpose() * &m;
        let inv = a.partial_piv_lu().solve(Mat::<f64>::identity(n, n));
        let trace: f64 = (0..n).map(|i| inv[(i, i)]).sum();
        let expected = trace / (n as f64 * beta);
        assert!((x2 / expected - 1.0).abs() < 0.1, "⟨x²⟩ = {x2} vs tr(A⁻¹)/(Nβ) = {expected}");
    }

    #[test]
    fn bad_input_is_named_and_a_stop_keeps_the_run() {
        let net = RandomNetwork::elliptic(10, 1.0, 0.0, &mut stream(1, 0)).unwrap();
        assert!(QuasiPotential::new(&net, -1.0).unwrap_err().to_string().contains("`eta`"));
        let qp = QuasiPotential::new(&net, 0.0).unwrap();
        let run = |o: &LangevinOptions, x: &[f64]| {
            langevin(&qp, x, o, &mut stream(1, 1), &StopFlag::new()).map_err(|e| e.to_string())
        };
        let d = LangevinOptions::default();
        let x = vec![0.1; 10];
        assert!(run(&LangevinOptions { beta: 0.0, ..d.clone() }, &x).unwrap_err().contains("`beta`"));
        assert!(run(&LangevinOptions { dt: -1.0, ..d.clone() }, &x).unwrap_err().contains("`dt`"));
        assert!(run(&LangevinOptions { anneal: 1e4, ..d.clone() }, &x).unwrap_err().contains("`anneal`"));
        assert!(run(&LangevinOptions { window: 0.0, ..d.clone() }, &x).unwrap_err().contains("`window`"));
        assert!(run(&d, &[0.1; 7]).is_err());
        assert!(run(&d, &[f64::NAN; 10]).unwrap_err().contains("`x0`"));
        // g = 1: λ_max(∇²E(0)) ≈ (1 + 2g)² = 9, so dt = 0.5 is refused before any step.
        let e = run(&LangevinOptions { dt: 0.5, ..d.clone() }, &x).unwrap_err();
        assert!(e.contains("`dt`") && e.contains("diverges"), "{e}");
        let stop = StopFlag::new();
        stop.raise();
        assert!(langevin(&qp, &x, &d, &mut stream(1, 1), &stop).unwrap().interrupted);
    }
}
