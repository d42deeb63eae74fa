//! Simulated bifurcation (Goto, Tatsumura & Dixon 2019; Goto et al. 2021; Kanao & Goto 2022).
//!
//! Positions x and momenta y per spin, all updated from the previous state (Jacobi order), with
//! pump `a(t_k) = a0·k/S` rising linearly over the S steps of a run and force
//! `g_i = Σ_j J_ij φ(x_j) + h_i` (= −∂H/∂s_i at s = φ(x)):
//!
//! ```text
//! ballistic (bSB), φ = id:    y_i ← y_i + [−(a0 − a(t_{k+1})) x_i + c0 g_i] Δt
//! discrete  (dSB), φ = sgn:   the same with g_i = Σ_j J_ij sgn(x_j) + h_i
//!                             x_i ← x_i + a0 y_i Δt;  if |x_i| > 1: x_i ← sgn(x_i), y_i ← 0
//! adiabatic (aSB):            y_i ← y_i + [−(x_i² + a0 − a(t_{k+1})) x_i + c0 g_i] Δt,
//!                             x_i ← x_i + a0 y_i Δt   (Kerr term K = 1, no walls)
//! heated (HbSB, HdSB):        after the step, y_i ← y_i + γ Δt y_i(before the step)
//! ```
//!
//! bSB and dSB descend the potential `V = Σ (a0 − a)/2 x_i² − c0 (½ xᵀJx + hᵀx)` inside the
//! box |x_i| ≤ 1; aSB adds `x_i⁴/4` instead of the walls. The readout is `s = sgn(x)` (0 → +1)
//! after every step; its energy is kept up to date flip by flip, so the best readout along the
//! trajectory is tracked at O(N) per step. In dSB the force is this readout field itself.
//!
//! **Scale rules.** `c0 = 0.5 / (⟨J⟩ √N)`, `⟨J⟩ = (Σ_{i,j} J_ij² / (N(N−1)))^{1/2}`, which makes
//! the dynamics invariant under a global scaling of J (Goto et al. 2021). The time step follows
//! from the stiffest linear mode: near x = 0 the update is a symplectic Euler step of
//! `ẍ = −(a0 − a) x + c0 J x`, whose fastest mode has `ω² ≤ a0 + c0 ρ(J)` (ρ the spectral
//! radius) and is stable only for `ω Δt < 2`. The default is
//! `Δt = min(1.25, 0.6 · 2/√(a0 + c0 ρ(J)))`, with ρ estimated by 50 power iterations. On
//! G-set graphs with J = −w the uniform (ferromagnetic) mode has c0 ρ ≈ 0.5 √(mean degree), so
//! the 1.25 used for dense ±1 instances (c0 ρ ≈ 1) would drive every spin to the same wall.
//! Other defaults: a0 = 1, γ = 0.06, x and y drawn uniformly from (−0.05, 0.05); aSB uses half
//! the step.

use rand::Rng;
use serde::Serialize;

use super::model::IsingModel;
use super::solve::{sign, Readout, Solver, Tracker};
use crate::engine::rng::Rng64;
use crate::error::{check_finite, check_positive, Error, Result};

/// The simulated-bifurcation variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SbMode {
    Adiabatic,
    Ballistic,
    Discrete,
}

/// Simulated-bifurcation parameters.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Sb {
    pub mode: SbMode,
    /// Heating rate γ (0: not heated).
    pub heat: f64,
    /// Time step; `None`: the stability rule of the module docs (halved for aSB).
    pub dt: Option<f64>,
    /// Coupling scale; `None`: the rule of the module docs.
    pub c0: Option<f64>,
    /// Final pump a0.
    pub a0: f64,
    /// Half-width of the uniform initial x and y.
    pub init: f64,
}

impl Sb {
    /// The variant with its default parameters.
    pub fn new(mode: SbMode, heated: bool) -> Self {
        Self { mode, heat: if heated { 0.06 } else { 0.0 }, dt: None, c0: None, a0: 1.0, init: 0.05 }
    }
    /// The parameters with every default resolved on `model` (c0 and Δt set).
    pub fn resolved(&self, model: &IsingModel) -> Sb {
        let c0 = self.c0.unwrap_or_else(|| c0_rule(model));
        let dt = self.dt.unwrap_or_else(|| {
            let dt = dt_rule(self.a0, c0, spectral_radius(model));
            if self.mode == SbMode::Adiabatic {
                dt / 2.0
            } else {
                dt
            }
        });
        Sb { dt: Some(dt), c0: Some(c0), ..*self }
    }
    fn check(&self) -> Result<()> {
        if let Some(dt) = self.dt {
            check_positive("dt", dt)?;
        }
        check_positive("a0", self.a0)?;
        check_finite("heat", self.heat)?;
        if self.heat < 0.0 {
            return Err(Error::param("heat", "must be >= 0"));
        }
        if let Some(c) = self.c0 {
            check_positive("c0", c)?;
        }
        if !(self.init.is_finite() && self.init > 0.0 && self.init <= 1.0) {
            return Err(Error::param("init", format!("must lie in (0, 1], got {}", self.init)));
        }
        Ok(())
    }
}

/// `c0 = 0.5 / (⟨J⟩ √N)` with `⟨J⟩ = (Σ_{i,j} J_ij² / (N(N−1)))^{1/2}`. Falls back to
/// `0.5 / max|h_i|` when J = 0 and to 0.5 for the empty model.
pub fn c0_rule(model: &IsingModel) -> f64 {
    let n = model.n() as f64;
    let ss = model.j.sum_squares();
    if ss > 0.0 && n > 1.0 {
        0.5 / ((ss / (n * (n - 1.0))).sqrt() * n.sqrt())
    } else {
        let hmax = model.h.iter().fold(0.0f64, |a, h| a.max(h.abs()));
        if hmax > 0.0 {
            0.5 / hmax
        } else {
            0.5
        }
    }
}

/// `Δt = min(1.25, 0.6 · 2/√(a0 + c0 ρ))` (module docs).
pub fn dt_rule(a0: f64, c0: f64, rho: f64) -> f64 {
    (1.2 / (a0 + c0 * rho).sqrt()).min(1.25)
}

/// An estimate of the spectral radius ρ(J) from 50 power iterations on a fixed start vector
/// (`‖J v‖` for unit v is a lower bound that converges to ρ); 0 for J = 0.
pub fn spectral_radius(model: &IsingModel) -> f64 {
    let n = model.n();
    let mut v: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64 / 10.0).collect();
    let mut w = vec![0.0; n];
    let mut rho: f64 = 0.0;
    for _ in 0..50 {
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            break;
        }
        v.iter_mut().for_each(|x| *x /= norm);
        model.j.matvec(&v, &mut w);
        let est = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        rho = rho.max(est);
        std::mem::swap(&mut v, &mut w);
    }
    rho
}

impl Sb {
    /// One step of the module-doc update at pump value `a`; `field` is `J sgn(x)` (used by dSB),
    /// `force` a workspace of length N.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn step(
        &self,
        model: &IsingModel,
        x: &mut [f64],
        y: &mut [f64],
        field: &[f64],
        force: &mut [f64],
        a: f64,
        c0: f64,
        dt: f64,
    ) {
        let (a0, heat) = (self.a0, self.heat);
        match self.mode {
            SbMode::Discrete => {
                for (i, fi) in force.iter_mut().enumerate() {
                    *fi = field[i] + model.h[i];
                }
            }
            _ => {
                for (i, fi) in force.iter_mut().enumerate() {
                    *fi = model.j.row(i).dot(x) + model.h[i];
                }
            }
        }
        for i in 0..x.len() {
            let y_old = y[i];
            let pull = match self.mode {
                SbMode::Adiabatic => x[i] * x[i] + a0 - a,
                _ => a0 - a,
            };
            y[i] += (-pull * x[i] + c0 * force[i]) * dt;
            x[i] += a0 * y[i] * dt;
            if self.mode != SbMode::Adiabatic && x[i].abs() > 1.0 {
                x[i] = x[i].signum();
                y[i] = 0.0;
            }
            if heat > 0.0 {
                y[i] += heat * dt * y_old;
            }
        }
    }
}

impl Solver for Sb {
    fn name(&self) -> &'static str {
        match (self.mode, self.heat > 0.0) {
            (SbMode::Adiabatic, _) => "asb",
            (SbMode::Ballistic, false) => "bsb",
            (SbMode::Ballistic, true) => "hbsb",
            (SbMode::Discrete, false) => "dsb",
            (SbMode::Discrete, true) => "hdsb",
        }
    }

    fn prepared(&self, model: &IsingModel) -> Result<Option<Box<dyn Solver>>> {
        self.check()?;
        Ok(Some(Box::new(self.resolved(model))))
    }

    fn run_replica(&self, model: &IsingModel, steps: usize, rng: &mut Rng64, tr: &mut Tracker) -> Result<()> {
        let me = if self.dt.is_some() && self.c0.is_some() { *self } else { self.resolved(model) };
        me.check()?;
        let n = model.n();
        let (dt, a0, c0) = (me.dt.unwrap_or(1.0), me.a0, me.c0.unwrap_or(1.0));
        let mut x: Vec<f64> = (0..n).map(|_| rng.random_range(-self.init..self.init)).collect();
        let mut y: Vec<f64> = (0..n).map(|_| rng.random_range(-self.init..self.init)).collect();
        let mut ro = Readout::new(model, x.iter().map(|&v| sign(v)).collect());
        tr.offer(ro.energy(model), 0, &ro.s);
        let mut force = vec![0.0; n];
        for k in 0..steps {
            let a = a0 * (k + 1) as f64 / steps as f64;
            me.step(model, &mut x, &mut y, &ro.field, &mut force, a, c0, dt);
            for (i, &xi) in x.iter().enumerate() {
                ro.set(model, i, sign(xi));
            }
            let e = ro.energy(model);
            if !e.is_finite() || x.iter().any(|v| !v.is_finite()) {
                return Err(Error::Numerical(format!("{}: state diverged at step {}", self.name(), k + 1)));
            }
            tr.offer(e, k + 1, &ro.s);
            if tr.should_stop() {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ising::io::read_gset;
    use crate::ising::model::Backend;
    use std::path::Path;

    #[test]
    fn c0_rule_matches_the_reference_table() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/gset");
        let g = read_gset(&dir.join("G1.txt")).unwrap();
        let c0 = c0_rule(&g.to_ising(Backend::Csr).unwrap());
        assert!((c0 - 0.0722).abs() < 5e-5, "{c0}");
        // Invariance: c0·J is unchanged by scaling J.
        let m = IsingModel::new(3, &[(0, 1, 2.0), (1, 2, -4.0)], vec![0.0; 3], 0.0, Backend::Csr).unwrap();
        let m2 = IsingModel::new(3, &[(0, 1, 6.0), (1, 2, -12.0)], vec![0.0; 3], 0.0, Backend::Csr).unwrap();
        assert!((c0_rule(&m) - 3.0 * c0_rule(&m2)).abs() < 1e-15);
    }

    #[test]
    fn step_rule_and_spectral_radius() {
        // J = −(all-ones − I) on 5 spins: eigenvalues −4 (uniform mode) and +1; ρ = 4.
        let pairs: Vec<_> = (0..5u32).flat_map(|i| (i + 1..5).map(move |j| (i, j, -1.0))).collect();
        let m = IsingModel::new(5, &pairs, vec![0.0; 5], 0.0, Backend::Dense).unwrap();
        assert!((spectral_radius(&m) - 4.0).abs() < 1e-9);
        assert_eq!(dt_rule(1.0, 0.0, 0.0), 1.2);
        assert_eq!(dt_rule(1.0, 0.5, 6.0), 0.6);
        let r = Sb::new(SbMode::Discrete, false).resolved(&m);
        assert_eq!(r.c0, Some(c0_rule(&m)));
        assert!((r.dt.unwrap() - dt_rule(1.0, c0_rule(&m), 4.0)).abs() < 1e-9);
        let a = Sb::new(SbMode::Adiabatic, false).resolved(&m);
        assert!((a.dt.unwrap() - r.dt.unwrap() / 2.0).abs() < 1e-12);
    }

    #[test]
    fn steps_match_hand_computation() {
        // Three spins, J_01 = 1, J_12 = −2, h = (0.5, 0, −0.25), from a fixed state.
        let m = IsingModel::new(3, &[(0, 1, 1.0), (1, 2, -2.0)], vec![0.5, 0.0, -0.25], 0.0, Backend::Csr).unwrap();
        let x0 = [0.3, -0.9, 0.05];
        let y0 = [0.2, -0.4, 0.1];
        let (a, c0, dt, a0) = (0.4, 0.3, 0.5, 1.0);
        for (mode, heat) in [
            (SbMode::Ballistic, 0.0),
            (SbMode::Discrete, 0.0),
            (SbMode::Adiabatic, 0.0),
            (SbMode::Ballistic, 0.06),
            (SbMode::Discrete, 0.06),
        ] {
            let sb = Sb { heat, ..Sb::new(mode, false) };
            let phi = |v: f64| if mode == SbMode::Discrete { f64::from(sign(v)) } else { v };
            let mut want_x = [0.0; 3];
            let mut want_y = [0.0; 3];
            for i in 0..3 {
                let g: f64 = (0..3).map(|j| m.j.get(i, j) * phi(x0[j])).sum::<f64>() + m.h[i];
                let pull = if mode == SbMode::Adiabatic { x0[i] * x0[i] + a0 - a } else { a0 - a };
                let mut y = y0[i] + (-pull * x0[i] + c0 * g) * dt;
                let mut x = x0[i] + a0 * y * dt;
                if mode != SbMode::Adiabatic && x.abs() > 1.0 {
                    x = x.signum();
                    y = 0.0;
                }
                want_x[i] = x;
                want_y[i] = y + heat * dt * y0[i];
            }
            let (mut x, mut y) = (x0, y0);
            let s: Vec<i8> = x0.iter().map(|&v| sign(v)).collect();
            let field: Vec<f64> = (0..3).map(|i| m.j.row(i).dot_spins(&s)).collect();
            let mut force = [0.0; 3];
            sb.step(&m, &mut x, &mut y, &field, &mut force, a, c0, dt);
            for i in 0..3 {
                assert!((x[i] - want_x[i]).abs() < 1e-14, "{mode:?} x[{i}]");
                assert!((y[i] - want_y[i]).abs() < 1e-14, "{mode:?} y[{i}]");
            }
        }
        // The wall is hit by spin 1 in the ballistic case: x = −1 exactly, y = 0.
        let sb = Sb::new(SbMode::Ballistic, false);
        let (mut x, mut y) = ([0.0, -0.99, 0.0], [0.0, -1.0, 0.0]);
        sb.step(&m, &mut x, &mut y, &[0.0; 3], &mut [0.0; 3], 0.0, 0.0, 0.5);
        assert_eq!((x[1], y[1]), (-1.0, 0.0));
    }
}
