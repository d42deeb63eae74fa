//! Coherent-Ising-machine amplitude models with error feedback: amplitude-heterogeneity
//! correction (AHC; Leleu, Yamamoto, McMahon & Aihara, PRL 122, 040607, 2019) and chaotic
//! amplitude control (CAC; Leleu et al., Commun. Phys. 4, 266, 2021).
//!
//! Soft-spin amplitudes x_i (the degenerate optical parametric oscillators of a CIM) and
//! positive error variables e_i evolve as
//!
//! ```text
//! dx_i/dt = (r − 1) x_i − μ x_i³ + ε e_i Σ_j J̃_ij x_j
//! de_i/dt = −β (x_i² − a) e_i
//! ```
//!
//! The error variables raise the coupling of spins whose amplitude lies below the target a and
//! lower it above, which removes the amplitude heterogeneity that makes the plain mean-field CIM
//! settle in wrong states. With e frozen at a constant c the amplitude equation is the gradient
//! flow `ẋ = −∇V` of
//!
//! ```text
//! V(x) = Σ_i [ (1 − r) x_i²/2 + μ x_i⁴/4 ] − (ε c/2) xᵀJ̃x,
//! ```
//!
//! the soft-spin energy of the plain CIM; the feedback makes the whole system non-gradient (it
//! escapes local minima through transient chaos), so no energy decreases along the full dynamics.
//!
//! **Discrete updates** (the order of the cim-optimizer 1.0.4 reference, so that runs can be
//! compared): with σ = sgn x and M = J̃x from the state at the start of the step,
//!
//! ```text
//! AHC:  x ← x + Δt x((r − 1) − μx²);  x ← x + Δt ε (M ⊙ e)
//!       a = 0.2 + ε · mean_i (J̃σ)_i σ_i;  e ← e − Δt β (x² − a) e   (new x), e ≤ 32
//! CAC:  x ← x + Δt x((r − 1) − μx²);  x ← x + Δt β (M ⊙ e)
//!       e ← e − Δt ξ (x² − a) e   (new x), e ≤ 32;  ξ ← ξ + γΔt
//!       a = α + ρ tanh(δ (H̃(σ) − H̃_opt));  H̃_opt ← min(H̃_opt, H̃(σ))
//! ```
//!
//! CAC restarts its feedback ramp (ξ ← 0) when H̃_opt has not improved for τ/Δt steps. The
//! reference code evaluates that condition after overwriting its "last improvement" counter, so
//! its ramp never restarts; `compat = true` reproduces that behaviour.
//!
//! **Scale rule.** Both models are written for couplings of order one. J̃ = J/s with s the
//! root-mean-square of the non-zero couplings, so that the reference parameters apply unchanged
//! to the ±1 G-set and K2000 instances (s = 1) and results do not depend on a global scaling of
//! J. H̃ = −½ σᵀJ̃σ is the energy in these units. A field h is carried by an auxiliary spin
//! ([`IsingModel::with_auxiliary_spin`]), as in the reference, which has no field term.
//!
//! **Defaults.** AHC: Δt = 0.05, r = 0.2, β = 0.05, ε = 0.07, μ = 1 (the reference defaults).
//! CAC: the rule set of the reference's G-set test, expressed through model statistics only:
//! Δt = 0.05, r = 0.2, α = 1, β = 3N/Σ_{ij}|J̃_ij|, γ = 0.075/N, δ = 9, τ = 9N, ρ = 1, μ = 1.
//! Both start from x ~ U(−5·10⁻⁴, 5·10⁻⁴) and e = 1; the readout is s = sgn x after every step.

use rand::Rng;
use serde::Serialize;

use super::model::{Backend, IsingModel};
use super::solve::{sign, Readout, Solver, Tracker};
use crate::engine::rng::Rng64;
use crate::error::{check_finite, check_positive, Error, Result};

/// Cap on the error variables (as in the reference).
pub const E_MAX: f64 = 32.0;
/// Half-width of the uniform initial amplitudes.
pub const X_INIT: f64 = 5e-4;

/// Which feedback the amplitude model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CimMode {
    /// Amplitude-heterogeneity correction.
    Ahc,
    /// Chaotic amplitude control.
    Cac,
}

/// Parameters of the CIM amplitude models (module docs). `None` fields follow the model-based
/// rules of the module docs.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Cim {
    pub mode: CimMode,
    pub dt: f64,
    /// Linear gain r (pump − loss).
    pub r: f64,
    /// Cubic saturation μ.
    pub mu: f64,
    /// AHC: coupling ε and error rate β.
    pub epsilon: f64,
    pub beta_ahc: f64,
    /// CAC: coupling β (rule 3N/Σ|J̃|), target amplitude α, its modulation ρ and steepness δ.
    pub beta: Option<f64>,
    pub alpha: f64,
    pub rho: f64,
    pub delta: f64,
    /// CAC: ramp rate γ of ξ (rule 0.075/N) and restart time τ (rule 9N), in time units.
    pub gamma: Option<f64>,
    pub tau: Option<f64>,
    /// CAC: reproduce the reference code's never-restarting ramp.
    pub compat: bool,
}

impl Cim {
    /// The model with its default parameters.
    pub fn new(mode: CimMode) -> Self {
        Self {
            mode,
            dt: 0.05,
            r: 0.2,
            mu: 1.0,
            epsilon: 0.07,
            beta_ahc: 0.05,
            beta: None,
            alpha: 1.0,
            rho: 1.0,
            delta: 9.0,
            gamma: None,
            tau: None,
            compat: false,
        }
    }

    fn check(&self) -> Result<()> {
        check_positive("dt", self.dt)?;
        check_finite("r", self.r)?;
        check_positive("mu", self.mu)?;
        check_positive("epsilon", self.epsilon)?;
        check_positive("beta_ahc", self.beta_ahc)?;
        check_finite("alpha", self.alpha)?;
        check_finite("rho", self.rho)?;
        check_finite("delta", self.delta)?;
        for (name, v) in [("beta", self.beta), ("gamma", self.gamma), ("tau", self.tau)] {
            if let Some(v) = v {
                check_positive(name, v)?;
            }
        }
        Ok(())
    }
}

/// The root-mean-square of the non-zero couplings (1 when there are none).
pub fn coupling_scale(model: &IsingModel) -> f64 {
    let pairs = model.j.nnz_pairs();
    if pairs == 0 {
        1.0
    } else {
        (model.j.sum_squares() / (2 * pairs) as f64).sqrt()
    }
}

/// A CIM with every model-dependent quantity resolved: the field-free model it runs on, the
/// coupling scale and the CAC rules.
struct PreparedCim {
    p: Cim,
    /// The auxiliary-spin model when the original has a field.
    aux: Option<IsingModel>,
    /// 1/s of the scale rule.
    inv_scale: f64,
    beta: f64,
    gamma: f64,
    tau: f64,
}

impl Cim {
    /// The parameters with the model-based rules (β, γ, τ) evaluated on `model`.
    pub fn resolved(&self, model: &IsingModel) -> Result<Cim> {
        let p = self.prepare(model)?;
        Ok(Cim { beta: Some(p.beta), gamma: Some(p.gamma), tau: Some(p.tau), ..*self })
    }

    fn prepare(&self, model: &IsingModel) -> Result<PreparedCim> {
        self.check()?;
        let aux = if model.has_no_field() { None } else { Some(model.with_auxiliary_spin(Backend::Auto)?) };
        let m = aux.as_ref().unwrap_or(model);
        let n = m.n() as f64;
        let inv_scale = 1.0 / coupling_scale(m);
        let abs_sum: f64 = m.j.abs_row_sums().iter().sum::<f64>() * inv_scale;
        let beta = self.beta.unwrap_or(if abs_sum > 0.0 { 3.0 * n / abs_sum } else { 1.0 });
        Ok(PreparedCim {
            p: *self,
            aux,
            inv_scale,
            beta,
            gamma: self.gamma.unwrap_or(0.075 / n.max(1.0)),
            tau: self.tau.unwrap_or(9.0 * n),
        })
    }
}

/// The state of one CIM trajectory on the field-free model.
pub struct CimState {
    pub x: Vec<f64>,
    pub e: Vec<f64>,
    /// Coupling term M = J̃x of the current step.
    m: Vec<f64>,
}

impl CimState {
    fn new(x: Vec<f64>) -> Self {
        let n = x.len();
        Self { x, e: vec![1.0; n], m: vec![0.0; n] }
    }
}

impl PreparedCim {
    /// The amplitude half of a step: `M = J̃x` (old x), the gain–saturation update and the
    /// coupling update with strength `coupling`.
    fn amplitude_step(&self, model: &IsingModel, st: &mut CimState, coupling: f64) {
        let (dt, r, mu) = (self.p.dt, self.p.r, self.p.mu);
        model.j.matvec(&st.x, &mut st.m);
        let c = dt * coupling * self.inv_scale;
        for ((x, &m), &e) in st.x.iter_mut().zip(&st.m).zip(&st.e) {
            *x += dt * *x * ((r - 1.0) - mu * *x * *x);
            *x += c * m * e;
        }
    }

    /// The error-variable update `e ← e − Δt·rate·(x² − a)·e`, capped at [`E_MAX`].
    fn error_step(&self, st: &mut CimState, rate: f64, a: f64) {
        let dt = self.p.dt;
        for (e, &x) in st.e.iter_mut().zip(&st.x) {
            *e = (*e - dt * rate * (x * x - a) * *e).min(E_MAX);
        }
    }
}

impl Solver for Cim {
    fn name(&self) -> &'static str {
        match self.mode {
            CimMode::Ahc => "ahc",
            CimMode::Cac => "cac",
        }
    }

    fn prepared(&self, model: &IsingModel) -> Result<Option<Box<dyn Solver>>> {
        Ok(Some(Box::new(self.prepare(model)?)))
    }

    fn run_replica(&self, model: &IsingModel, steps: usize, rng: &mut Rng64, tr: &mut Tracker) -> Result<()> {
        self.prepare(model)?.run_replica(model, steps, rng, tr)
    }
}

impl Solver for PreparedCim {
    fn name(&self) -> &'static str {
        self.p.name()
    }

    fn run_replica(&self, model: &IsingModel, _steps: usize, rng: &mut Rng64, tr: &mut Tracker) -> Result<()> {
        let m = self.aux.as_ref().unwrap_or(model);
        let n = m.n();
        let x: Vec<f64> = (0..n).map(|_| rng.random_range(-X_INIT..X_INIT)).collect();
        let mut st = CimState::new(x);
        let mut ro = Readout::new(m, st.x.iter().map(|&v| sign(v)).collect());
        let mut original = vec![0i8; model.n()];
        let mut offer = |ro: &Readout, step: usize, tr: &mut Tracker| {
            let e = ro.energy();
            match self.aux {
                None => tr.offer(e, step, &ro.s),
                Some(_) if e < tr.best.energy => {
                    let last = ro.s[n - 1];
                    for (o, &v) in original.iter_mut().zip(&ro.s) {
                        *o = v * last;
                    }
                    tr.offer(e, step, &original);
                }
                // Not an improvement: the tracker keeps only the energy, never these spins.
                Some(_) => tr.offer(e, step, &[]),
            }
            e
        };
        offer(&ro, 0, tr);
        // CAC feedback state: ξ, the target a, the best scaled energy and when it last improved.
        let mut xi = 0.0;
        let mut a = self.p.alpha;
        let mut h_opt = (ro.energy() - m.offset) * self.inv_scale;
        let mut last_improved = 0usize;
        let restart_steps = self.tau / self.p.dt;
        while tr.proceed() {
            let k = tr.steps_done();
            // Scaled energy of σ = sgn(old x): H̃ = (H − c)/s.
            let h_scaled = (ro.energy() - m.offset) * self.inv_scale;
            match self.p.mode {
                CimMode::Ahc => {
                    self.amplitude_step(m, &mut st, self.p.epsilon);
                    // mean_i (J̃σ)_i σ_i = −2H̃/N.
                    let target = 0.2 + self.p.epsilon * (-2.0 * h_scaled / n as f64);
                    self.error_step(&mut st, self.p.beta_ahc, target);
                }
                CimMode::Cac => {
                    self.amplitude_step(m, &mut st, self.beta);
                    self.error_step(&mut st, xi, a);
                    xi += self.gamma * self.p.dt;
                    a = self.p.alpha + self.p.rho * (self.p.delta * (h_scaled - h_opt)).tanh();
                    if !self.p.compat && (k - last_improved) as f64 > restart_steps {
                        xi = 0.0;
                        last_improved = k;
                    }
                    if h_scaled < h_opt {
                        h_opt = h_scaled;
                        last_improved = k;
                    }
                }
            }
            ro.follow(m, &st.x);
            let e = offer(&ro, k + 1, tr);
            if !e.is_finite() || st.x.iter().any(|v| !v.is_finite()) {
                return Err(Error::Numerical(format!("{}: state diverged at step {}", self.name(), k + 1)));
            }
            tr.advance();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::ising::{solve, SolveOptions};

    fn triangle(scale: f64) -> IsingModel {
        let pairs = [(0, 1, 1.0 * scale), (1, 2, -2.0 * scale), (0, 2, 0.5 * scale)];
        IsingModel::new(3, &pairs, vec![0.0; 3], 0.0, Backend::Csr).unwrap()
    }

    #[test]
    fn one_step_matches_the_update_written_out() {
        let m = triangle(1.0);
        let s = coupling_scale(&m);
        assert!((s - ((1.0 + 4.0 + 0.25) / 3.0f64).sqrt()).abs() < 1e-15);
        let x0 = [0.3, -0.2, 0.05];
        let e0 = [1.0, 1.5, 0.5];
        let jt = |i: usize, j: usize| m.j.get(i, j) / s;
        let mx: Vec<f64> = (0..3).map(|i| (0..3).map(|j| jt(i, j) * x0[j]).sum()).collect();
        for mode in [CimMode::Ahc, CimMode::Cac] {
            let c = Cim::new(mode);
            let p = c.prepare(&m).unwrap();
            // β rule: 3N/Σ|J̃| with Σ|J̃| over both triangles of the matrix.
            let abs_sum = 2.0 * (1.0 + 2.0 + 0.5) / s;
            assert!((p.beta - 9.0 / abs_sum).abs() < 1e-12);
            let (coupling, rate, a) = match mode {
                CimMode::Ahc => (c.epsilon, c.beta_ahc, 0.7),
                CimMode::Cac => (p.beta, 0.3, 1.2),
            };
            let mut st = CimState::new(x0.to_vec());
            st.e.copy_from_slice(&e0);
            p.amplitude_step(&m, &mut st, coupling);
            p.error_step(&mut st, rate, a);
            for i in 0..3 {
                let mut x = x0[i] + c.dt * x0[i] * ((c.r - 1.0) - c.mu * x0[i] * x0[i]);
                x += c.dt * coupling * mx[i] * e0[i];
                let e = e0[i] - c.dt * rate * (x * x - a) * e0[i];
                assert!((st.x[i] - x).abs() < 1e-15, "{mode:?} x[{i}]");
                assert!((st.e[i] - e).abs() < 1e-15, "{mode:?} e[{i}]");
            }
        }
        // The cap on e.
        let p = Cim::new(CimMode::Cac).prepare(&m).unwrap();
        let mut st = CimState::new(vec![0.0; 3]);
        st.e.fill(31.0);
        p.error_step(&mut st, 100.0, 1.0);
        assert_eq!(st.e, vec![E_MAX; 3]);
    }

    /// With the error variables frozen, the amplitude update is an Euler step of the gradient
    /// flow of V(x) = Σ (1 − r) x²/2 + μ x⁴/4 − (ε/2) xᵀJ̃x: its increment is −Δt ∇V (checked
    /// against central differences of V), and small steps never raise V.
    #[test]
    fn frozen_feedback_is_a_descent_of_the_soft_spin_energy() {
        let g = crate::ising::io::k2000_like(30, 5).unwrap();
        let m = g.to_ising(Backend::Dense).unwrap();
        let c = Cim { dt: 0.01, ..Cim::new(CimMode::Ahc) };
        let p = c.prepare(&m).unwrap();
        let v = |x: &[f64]| {
            let mut jx = vec![0.0; x.len()];
            m.j.matvec(x, &mut jx);
            let quad: f64 = x.iter().zip(&jx).map(|(a, b)| a * b).sum::<f64>() * p.inv_scale;
            x.iter().map(|&xi| (1.0 - c.r) * xi * xi / 2.0 + c.mu * xi.powi(4) / 4.0).sum::<f64>()
                - c.epsilon / 2.0 * quad
        };
        let mut rng = stream(11, 0);
        let x0: Vec<f64> = (0..30).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut st = CimState::new(x0.clone());
        p.amplitude_step(&m, &mut st, c.epsilon);
        for i in 0..30 {
            let h = 1e-6;
            let (mut up, mut down) = (x0.clone(), x0.clone());
            up[i] += h;
            down[i] -= h;
            let grad = (v(&up) - v(&down)) / (2.0 * h);
            assert!(((st.x[i] - x0[i]) / c.dt + grad).abs() < 1e-6, "i = {i}");
        }
        let mut e = v(&st.x);
        for step in 0..3000 {
            p.amplitude_step(&m, &mut st, c.epsilon);
            let e1 = v(&st.x);
            assert!(e1 <= e + 1e-12, "step {step}: V rose from {e} to {e1}");
            e = e1;
        }
    }

    #[test]
    fn results_do_not_depend_on_a_global_scale_of_the_couplings() {
        // Scaling by a power of two keeps every rounding, so the runs agree bit for bit.
        let g = crate::ising::io::k2000_like(40, 2).unwrap();
        let m1 = g.to_ising(Backend::Csr).unwrap();
        let pairs: Vec<_> = m1.j.pairs().into_iter().map(|(i, j, w)| (i, j, 4.0 * w)).collect();
        let m4 = IsingModel::new(40, &pairs, vec![0.0; 40], 0.0, Backend::Csr).unwrap();
        for mode in [CimMode::Ahc, CimMode::Cac] {
            let opts = SolveOptions { replicas: 3, steps: 300, seed: 5, ..Default::default() };
            let a = solve(&m1, &Cim::new(mode), &opts).unwrap();
            let b = solve(&m4, &Cim::new(mode), &opts).unwrap();
            assert_eq!(a.spins, b.spins, "{mode:?}");
            assert_eq!(4.0 * a.energy, b.energy, "{mode:?}");
        }
    }

    #[test]
    fn cac_restart_differs_from_the_reference_only_when_the_ramp_stalls() {
        let g = crate::ising::io::k2000_like(40, 3).unwrap();
        let m = g.to_ising(Backend::Csr).unwrap();
        let opts = SolveOptions { replicas: 2, steps: 2000, seed: 9, ..Default::default() };
        let run = |tau: f64, compat: bool| {
            let c = Cim { tau: Some(tau), compat, ..Cim::new(CimMode::Cac) };
            solve(&m, &c, &opts).unwrap().replica_final
        };
        // τ longer than the run: no restart can happen, both behaviours agree.
        assert_eq!(run(1e6, false), run(1e6, true));
        // A short τ makes the intended restart fire, which changes the trajectory.
        assert_ne!(run(0.5, false), run(0.5, true));
    }

    #[test]
    fn bad_parameters_are_named() {
        let m = triangle(1.0);
        for (c, name) in [
            (Cim { dt: 0.0, ..Cim::new(CimMode::Ahc) }, "dt"),
            (Cim { mu: -1.0, ..Cim::new(CimMode::Ahc) }, "mu"),
            (Cim { beta: Some(f64::NAN), ..Cim::new(CimMode::Cac) }, "beta"),
            (Cim { r: f64::INFINITY, ..Cim::new(CimMode::Cac) }, "r"),
        ] {
            let err = solve(&m, &c, &SolveOptions::default()).err().unwrap().to_string();
            assert!(err.contains(name), "{err}");
        }
    }
}
