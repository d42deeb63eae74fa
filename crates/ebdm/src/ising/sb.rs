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
//!
//! **Preset `sbpy2`** (parity with the simulated-bifurcation 2.0.0 package, bSB and dSB only):
//! the pump of step k = 0, 1, … is `p_k = min(0.001 k, 1)` (Δt = 0.1, slope 0.01), so it reaches
//! 1 after 1000 steps whatever the run length; x and y start uniform in (−1, 1); the same c0
//! rule; and the coupling acts on the already-moved positions:
//!
//! ```text
//! y ← y − (1 − p_k) x Δt;  x ← x + y Δt;  y ← y + c0 (J φ(x) + h) Δt;
//! if |x_i| > 1: x_i ← sgn(x_i), y_i ← 0;  heated: y ← y + γ Δt y(before the step)
//! ```
//!
//! The package's window early stopping is not reproduced: runs have a fixed step count.

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

/// A parameter set and step order (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SbPreset {
    /// Goto et al. 2021: pump linear over the run, coupling from the positions before the step.
    Goto2021,
    /// The simulated-bifurcation 2.0.0 package.
    Sbpy2,
}

impl std::str::FromStr for SbPreset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "goto2021" => Ok(SbPreset::Goto2021),
            "sbpy2" => Ok(SbPreset::Sbpy2),
            _ => Err(Error::param("preset", format!("unknown preset `{s}`; known: goto2021, sbpy2"))),
        }
    }
}

/// The variant named `name` (`asb`, `bsb`, `dsb` or `sb`, `hbsb`, `hdsb`) as (mode, heated).
pub fn variant(name: &str) -> Option<(SbMode, bool)> {
    Some(match name {
        "asb" => (SbMode::Adiabatic, false),
        "bsb" => (SbMode::Ballistic, false),
        "dsb" | "sb" => (SbMode::Discrete, false),
        "hbsb" => (SbMode::Ballistic, true),
        "hdsb" => (SbMode::Discrete, true),
        _ => return None,
    })
}

/// Simulated-bifurcation parameters.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Sb {
    pub mode: SbMode,
    pub preset: SbPreset,
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
        Self {
            mode,
            preset: SbPreset::Goto2021,
            heat: if heated { 0.06 } else { 0.0 },
            dt: None,
            c0: None,
            a0: 1.0,
            init: 0.05,
        }
    }
    /// The variant with the defaults of `preset`.
    pub fn with_preset(mode: SbMode, heated: bool, preset: SbPreset) -> Self {
        match preset {
            SbPreset::Goto2021 => Self::new(mode, heated),
            SbPreset::Sbpy2 => Self { preset, dt: Some(SBPY2_DT), init: 1.0, ..Self::new(mode, heated) },
        }
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
        if self.preset == SbPreset::Sbpy2 && self.mode == SbMode::Adiabatic {
            return Err(Error::param("preset", "sbpy2 has only the ballistic and discrete variants"));
        }
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

/// Time step and pump slope of the `sbpy2` preset.
pub const SBPY2_DT: f64 = 0.1;
pub const SBPY2_PUMP_SLOPE: f64 = 0.01;

/// The pump `p_k = min(Δt·k·slope, 1)` of step k = 0, 1, … of the `sbpy2` preset.
pub fn sbpy2_pump(dt: f64, k: usize) -> f64 {
    (dt * k as f64 * SBPY2_PUMP_SLOPE).min(1.0)
}

/// `c0 = 0.5 / (⟨J⟩ √N)` with `⟨J⟩ = (Σ_{i,j} J_ij² / (N(N−1)))^{1/2}`, 0.5 for the empty model.
///
/// Fields count as couplings to an extra spin fixed at +1 (the model with fields is the
/// (N+1)-spin model without them): with h ≠ 0 the rule is applied to that model, so that
/// `Σ J_ij²` gains `2 Σ h_i²` and N becomes N + 1. The dynamics is then invariant under a joint
/// scaling of J and h, and strong fields cannot drive the positions of aSB (which has no walls)
/// past the stable range of its time step.
pub fn c0_rule(model: &IsingModel) -> f64 {
    let hh: f64 = model.h.iter().map(|h| h * h).sum();
    let (n, ss) = if hh > 0.0 {
        (model.n() as f64 + 1.0, model.j.sum_squares() + 2.0 * hh)
    } else {
        (model.n() as f64, model.j.sum_squares())
    };
    if ss > 0.0 && n > 1.0 {
        0.5 / ((ss / (n * (n - 1.0))).sqrt() * n.sqrt())
    } else {
        0.5
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
    /// `force` a workspace of length N. Returns whether some new x or y is not finite.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
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
    ) -> bool {
        let (a0, heat) = (self.a0, self.heat);
        let mut bad = false;
        let force = self.coupling(model, x, field, force);
        let (adiabatic, walls) = (self.mode == SbMode::Adiabatic, self.mode != SbMode::Adiabatic);
        for (((xi, yi), &fi), &hi) in x.iter_mut().zip(y.iter_mut()).zip(force).zip(&model.h) {
            let y_old = *yi;
            let pull = if adiabatic { *xi * *xi + a0 - a } else { a0 - a };
            let mut yn = y_old + (-pull * *xi + c0 * (fi + hi)) * dt;
            let mut xn = *xi + a0 * yn * dt;
            if walls {
                (xn, yn) = wall(xn, yn);
            }
            *xi = xn;
            *yi = yn + heat * dt * y_old;
            bad |= !(xn.is_finite() & yi.is_finite());
        }
        bad
    }

    /// One step of the `sbpy2` order (module docs) at pump `p`; the readout `ro` follows the
    /// moved positions, and its field is the dSB coupling. Returns as [`Sb::step`] does.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn step_sbpy2(
        &self,
        model: &IsingModel,
        x: &mut [f64],
        y: &mut [f64],
        y_old: &mut [f64],
        ro: &mut Readout,
        force: &mut [f64],
        p: f64,
        c0: f64,
        dt: f64,
    ) -> bool {
        let heat = self.heat;
        let mut bad = false;
        y_old.copy_from_slice(y);
        for (xi, yi) in x.iter_mut().zip(y.iter_mut()) {
            *yi -= (1.0 - p) * *xi * dt;
            *xi += *yi * dt;
        }
        ro.follow(model, x);
        let force = self.coupling(model, x, &ro.field, force);
        for ((((xi, yi), &yo), &fi), &hi) in x.iter_mut().zip(y.iter_mut()).zip(y_old.iter()).zip(force).zip(&model.h) {
            let (xn, yn) = wall(*xi, *yi + c0 * (fi + hi) * dt);
            *xi = xn;
            *yi = yn + heat * dt * yo;
            bad |= !(xn.is_finite() & yi.is_finite());
        }
        bad
    }
}

impl Sb {
    /// The coupling term `J φ(x)`: the readout field `J sgn(x)` for dSB, `J x` (computed into
    /// `work`) otherwise.
    #[inline(always)]
    fn coupling<'a>(&self, model: &IsingModel, x: &[f64], field: &'a [f64], work: &'a mut [f64]) -> &'a [f64] {
        if self.mode == SbMode::Discrete {
            field
        } else {
            model.j.matvec(x, work);
            work
        }
    }
}

/// The perfectly inelastic wall: a position beyond ±1 is put back on the wall and its momentum
/// zeroed. Written with a clamp and a bit mask rather than a branch: late in a run about half
/// the spins sit at a wall and the branch would be unpredictable.
#[inline(always)]
fn wall(x: f64, y: f64) -> (f64, f64) {
    let keep = 0u64.wrapping_sub(u64::from(x.abs() <= 1.0));
    (x.clamp(-1.0, 1.0), f64::from_bits(y.to_bits() & keep))
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
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked above).
            return unsafe { self.run_replica_avx2(model, steps, rng, tr) };
        }
        self.run_replica_inline(model, steps, rng, tr)
    }
}

impl Sb {
    /// [`Sb::run_replica_inline`] compiled for AVX2. Without FMA the vector code performs the
    /// same roundings as the scalar code, so results do not depend on the path.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_replica_avx2(
        &self,
        model: &IsingModel,
        steps: usize,
        rng: &mut Rng64,
        tr: &mut Tracker,
    ) -> Result<()> {
        self.run_replica_inline(model, steps, rng, tr)
    }

    #[inline(always)]
    fn run_replica_inline(&self, model: &IsingModel, steps: usize, rng: &mut Rng64, tr: &mut Tracker) -> Result<()> {
        let me = if self.dt.is_some() && self.c0.is_some() { *self } else { self.resolved(model) };
        me.check()?;
        let n = model.n();
        let (dt, a0, c0) = (me.dt.unwrap_or(1.0), me.a0, me.c0.unwrap_or(1.0));
        let mut x: Vec<f64> = (0..n).map(|_| rng.random_range(-self.init..self.init)).collect();
        let mut y: Vec<f64> = (0..n).map(|_| rng.random_range(-self.init..self.init)).collect();
        let mut ro = Readout::new(model, x.iter().map(|&v| sign(v)).collect());
        tr.offer(ro.energy(), 0, &ro.s);
        let mut force = vec![0.0; n];
        let mut y_old = if me.preset == SbPreset::Sbpy2 { vec![0.0; n] } else { Vec::new() };
        while tr.proceed() {
            let k = tr.steps_done();
            let bad = match me.preset {
                SbPreset::Goto2021 => {
                    let a = a0 * (k + 1) as f64 / steps as f64;
                    let bad = me.step(model, &mut x, &mut y, &ro.field, &mut force, a, c0, dt);
                    ro.follow(model, &x);
                    bad
                }
                SbPreset::Sbpy2 => {
                    let p = sbpy2_pump(dt, k);
                    me.step_sbpy2(model, &mut x, &mut y, &mut y_old, &mut ro, &mut force, p, c0, dt)
                }
            };
            let e = ro.energy();
            if !e.is_finite() || bad {
                return Err(Error::Numerical(format!("{}: state diverged at step {}", self.name(), k + 1)));
            }
            tr.offer(e, k + 1, &ro.s);
            tr.advance();
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
        // Fields are couplings to a fixed extra spin: the same c0 as that (N+1)-spin model.
        let f = IsingModel::new(3, &[(0, 1, 2.0)], vec![0.0, 1.0, -3.0], 0.0, Backend::Csr).unwrap();
        let ancilla =
            IsingModel::new(4, &[(0, 1, 2.0), (1, 3, 1.0), (2, 3, -3.0)], vec![0.0; 4], 0.0, Backend::Csr).unwrap();
        assert!((c0_rule(&f) - c0_rule(&ancilla)).abs() < 1e-15);
        let f3 = IsingModel::new(3, &[(0, 1, 6.0)], vec![0.0, 3.0, -9.0], 0.0, Backend::Csr).unwrap();
        assert!((c0_rule(&f) - 3.0 * c0_rule(&f3)).abs() < 1e-15);
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

    #[test]
    fn sbpy2_steps_follow_the_package_order() {
        let m = IsingModel::new(3, &[(0, 1, 1.0), (1, 2, -2.0)], vec![0.5, 0.0, -0.25], 0.0, Backend::Csr).unwrap();
        let x0 = [0.3, -0.95, 0.02];
        let y0 = [0.2, -0.8, -0.5];
        let (p, c0, dt) = (0.3, 0.4, 0.1);
        for (mode, heat) in [(SbMode::Ballistic, 0.0), (SbMode::Discrete, 0.0), (SbMode::Discrete, 0.06)] {
            let sb = Sb { heat, ..Sb::with_preset(mode, false, SbPreset::Sbpy2) };
            // The order written out: linear term, drift, coupling on the moved x, walls, heat.
            let mut x: Vec<f64> = (0..3).map(|i| x0[i] + (y0[i] - (1.0 - p) * x0[i] * dt) * dt).collect();
            let mut y: Vec<f64> = (0..3).map(|i| y0[i] - (1.0 - p) * x0[i] * dt).collect();
            let phi = |v: f64| if mode == SbMode::Discrete { f64::from(sign(v)) } else { v };
            let g: Vec<f64> = (0..3).map(|i| (0..3).map(|j| m.j.get(i, j) * phi(x[j])).sum::<f64>() + m.h[i]).collect();
            for i in 0..3 {
                y[i] += c0 * g[i] * dt;
                if x[i].abs() > 1.0 {
                    x[i] = x[i].signum();
                    y[i] = 0.0;
                }
                y[i] += heat * dt * y0[i];
            }
            let (mut gx, mut gy, mut yo, mut force) = (x0, y0, [0.0; 3], [0.0; 3]);
            let mut ro = Readout::new(&m, x0.iter().map(|&v| sign(v)).collect());
            let bad = sb.step_sbpy2(&m, &mut gx, &mut gy, &mut yo, &mut ro, &mut force, p, c0, dt);
            assert!(!bad);
            for i in 0..3 {
                assert!((gx[i] - x[i]).abs() < 1e-15, "{mode:?} x[{i}]");
                assert!((gy[i] - y[i]).abs() < 1e-15, "{mode:?} y[{i}]");
            }
            assert_eq!(ro.s, gx.iter().map(|&v| sign(v)).collect::<Vec<_>>());
        }
        // Spin 1 crosses the wall in this example.
        assert!(x0[1] + (y0[1] - 0.7 * x0[1] * dt) * dt < -1.0);
        assert_eq!(sbpy2_pump(0.1, 0), 0.0);
        assert!((sbpy2_pump(0.1, 500) - 0.5).abs() < 1e-15);
        assert_eq!(sbpy2_pump(0.1, 1000), 1.0);
        assert_eq!(sbpy2_pump(0.1, 5000), 1.0);
        let err = Sb::with_preset(SbMode::Adiabatic, false, SbPreset::Sbpy2).check().unwrap_err();
        assert!(err.to_string().contains("preset"));
        assert!("nope".parse::<SbPreset>().is_err());
    }

    #[test]
    fn the_wall_matches_its_branching_definition() {
        for (x, y) in [(0.5, 0.3), (1.0, 0.3), (-1.0, -0.2), (1.0000001, 0.4), (-3.0, -1.0), (-0.0, 2.0), (2.0, -0.0)] {
            let want = if f64::abs(x) > 1.0 { (f64::signum(x), 0.0) } else { (x, y) };
            let got = wall(x, y);
            assert_eq!(got.0.to_bits(), want.0.to_bits(), "x = {x}");
            assert_eq!(got.1, want.1, "x = {x}");
        }
    }
}
