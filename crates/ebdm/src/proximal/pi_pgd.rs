//! Proportional–integral proximal gradient dynamics for equality constraints (spec §1.5;
//! Centorrino, Rossi, Bullo & Russo, arXiv:2503.15093):
//!
//! ```text
//! ẋ = −x + prox_{γg}(x − γ(∇f(x) + Aᵀν))
//! ν̇ = k_i (Ax − b) + k_p A ẋ
//! ```
//!
//! for `min f(x) + g(x)` subject to `Ax = b`. Equilibria are the KKT points: `Ax = b` and
//! `x = prox_{γg}(x − γ(∇f(x) + Aᵀν))`. Integrated by forward Euler with step `dt`.

use faer::Mat;
use serde::Serialize;

use super::problem::{check_all_finite, Smooth};
use super::prox::Prox;
use crate::engine::run::{RunControl, RunLimits, StepInfo, StopFlag, StopReason};
use crate::error::{Error, Result};

/// Parameters of the PI dynamics; the defaults are the paper's example (`k_p = k_i = 20`,
/// `dt = 0.01`, `T = 30`, `γ = min(1/L, 4μ/L² − 10⁻⁴)`).
#[derive(Clone, Debug)]
pub struct PiPgdOptions {
    pub gamma: Option<f64>,
    pub kp: f64,
    pub ki: f64,
    pub dt: f64,
    pub t_end: f64,
    /// Record a trace point every this many steps (0: none).
    pub record_every: usize,
    pub stop: StopFlag,
}

impl Default for PiPgdOptions {
    fn default() -> Self {
        Self { gamma: None, kp: 20.0, ki: 20.0, dt: 0.01, t_end: 30.0, record_every: 10, stop: StopFlag::new() }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PiPgdPoint {
    pub t: f64,
    pub objective: f64,
    /// `‖Ax − b‖₂`.
    pub violation: f64,
    /// `‖x − prox_{γg}(x − γ(∇f(x) + Aᵀν))‖₂`.
    pub residual: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PiPgdReport {
    pub x: Vec<f64>,
    pub nu: Vec<f64>,
    pub gamma: f64,
    pub steps: usize,
    pub objective: f64,
    /// `‖Ax − b‖₂` at the end.
    pub violation: f64,
    /// `‖x − prox_{γg}(x − γ(∇f(x) + Aᵀν))‖₂` at the end.
    pub residual: f64,
    pub interrupted: bool,
    /// Why the run ended.
    pub stop: StopReason,
    #[serde(skip)]
    pub trace: Vec<PiPgdPoint>,
}

fn mat_vec(a: &Mat<f64>, x: &[f64], out: &mut [f64]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = (0..a.ncols()).map(|j| a[(i, j)] * x[j]).sum();
    }
}

fn mat_t_vec(a: &Mat<f64>, y: &[f64], out: &mut [f64]) {
    for (j, o) in out.iter_mut().enumerate() {
        *o = (0..a.nrows()).map(|i| a[(i, j)] * y[i]).sum();
    }
}

/// Integrates the PI dynamics from `x = 0`, `ν = 0`.
pub fn pi_pgd<F: Smooth + ?Sized>(
    f: &F,
    g: &dyn Prox,
    a: &Mat<f64>,
    b: &[f64],
    opts: &PiPgdOptions,
) -> Result<PiPgdReport> {
    let n = f.dim();
    let m = a.nrows();
    if a.ncols() != n || b.len() != m || m == 0 {
        return Err(Error::Shape(format!("A is {}×{}, b has {} entries, x has {n}", a.nrows(), a.ncols(), b.len())));
    }
    check_all_finite("b", b)?;
    for i in 0..m {
        for j in 0..n {
            if !a[(i, j)].is_finite() {
                return Err(Error::param("A", format!("entry ({i}, {j}) is {}", a[(i, j)])));
            }
        }
    }
    for (name, v) in [("kp", opts.kp), ("ki", opts.ki)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::param(name, format!("must be finite and ≥ 0, got {v}")));
        }
    }
    if !(opts.dt.is_finite() && opts.dt > 0.0 && opts.dt <= 1.0) {
        return Err(Error::param("dt", format!("must lie in (0, 1], got {}", opts.dt)));
    }
    if !(opts.t_end.is_finite() && opts.t_end > 0.0) {
        return Err(Error::param("t_end", format!("must be finite and > 0, got {}", opts.t_end)));
    }
    let (l, mu) = (f.lipschitz(), f.strong_convexity());
    let gamma = match opts.gamma {
        Some(g) if g.is_finite() && g > 0.0 => g,
        Some(g) => return Err(Error::param("gamma", format!("must be finite and > 0, got {g}"))),
        None => {
            let pi_bound = 4.0 * mu / (l * l) - 1e-4;
            if pi_bound > 0.0 {
                (1.0 / l).min(pi_bound)
            } else {
                1.0 / l
            }
        }
    };
    let steps = (opts.t_end / opts.dt).round() as usize;
    if steps == 0 {
        return Err(Error::param("t_end", format!("{} is shorter than half a step dt = {}", opts.t_end, opts.dt)));
    }
    let (mut x, mut nu) = (vec![0.0; n], vec![0.0; m]);
    let (mut grad, mut atnu, mut v, mut p, mut xdot) =
        (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let (mut ax, mut axdot) = (vec![0.0; m], vec![0.0; m]);
    let mut work = Vec::new();
    let mut trace = Vec::new();
    let mut run = RunControl::start(&RunLimits::steps(steps), &opts.stop)?;
    let violation = |ax: &[f64]| ax.iter().zip(b).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
    let norm = |v: &[f64]| v.iter().map(|v| v * v).sum::<f64>().sqrt();
    // Each pass evaluates the vector field at the current state; the last pass (when the run
    // ends) leaves the final certificates in `fx`, `ax` and `xdot`.
    let mut fx;
    loop {
        fx = f.value_grad(&x, &mut grad, &mut work);
        mat_t_vec(a, &nu, &mut atnu);
        mat_vec(a, &x, &mut ax);
        for i in 0..n {
            v[i] = x[i] - gamma * (grad[i] + atnu[i]);
        }
        g.prox(&v, gamma, &mut p);
        for i in 0..n {
            xdot[i] = p[i] - x[i];
        }
        let step = run.steps();
        if opts.record_every > 0 && step % opts.record_every == 0 {
            trace.push(PiPgdPoint {
                t: step as f64 * opts.dt,
                objective: fx + g.value(&x),
                violation: violation(&ax),
                residual: norm(&xdot),
            });
        }
        if !run.proceed() {
            break;
        }
        mat_vec(a, &xdot, &mut axdot);
        for i in 0..m {
            nu[i] += opts.dt * (opts.ki * (ax[i] - b[i]) + opts.kp * axdot[i]);
        }
        for i in 0..n {
            x[i] += opts.dt * xdot[i];
        }
        run.stepped(&StepInfo { dt: opts.dt, ..StepInfo::default() });
    }
    Ok(PiPgdReport {
        objective: fx + g.value(&x),
        violation: violation(&ax),
        residual: norm(&xdot),
        gamma,
        steps: run.steps(),
        interrupted: run.reason() == StopReason::Interrupted,
        stop: run.reason(),
        trace,
        x,
        nu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proximal::problem::Quadratic;
    use crate::proximal::prox::L1;
    use faer::linalg::solvers::Solve;

    /// With a zero ℓ1 weight the equilibrium is the KKT point of an equality-constrained
    /// quadratic program, `[W Aᵀ; A 0] [x; ν] = [c; b]`, solved here by a dense LU.
    #[test]
    fn the_equilibrium_is_the_kkt_point_of_the_constrained_quadratic() {
        let (n, m) = (4, 2);
        let w = Mat::<f64>::from_fn(n, n, |i, j| if i == j { 3.0 + i as f64 } else { 0.5 });
        let c = vec![1.0, -2.0, 0.5, 0.0];
        let a = Mat::<f64>::from_fn(m, n, |i, j| [[1.0, 1.0, 0.0, -1.0], [0.0, 2.0, 1.0, 1.0]][i][j]);
        let b = vec![0.5, -1.0];
        let kkt = Mat::<f64>::from_fn(n + m, n + m, |i, j| match (i < n, j < n) {
            (true, true) => w[(i, j)],
            (true, false) => a[(j - n, i)],
            (false, true) => a[(i - n, j)],
            (false, false) => 0.0,
        });
        let rhs = Mat::<f64>::from_fn(n + m, 1, |i, _| if i < n { c[i] } else { b[i - n] });
        let sol = kkt.partial_piv_lu().solve(&rhs);
        let f = Quadratic::new(w, c).unwrap();
        let opts = PiPgdOptions { t_end: 60.0, ..PiPgdOptions::default() };
        let r = pi_pgd(&f, &L1 { lambda: 0.0 }, &a, &b, &opts).unwrap();
        for i in 0..n {
            assert!((r.x[i] - sol[(i, 0)]).abs() < 1e-6, "x[{i}] = {} against {}", r.x[i], sol[(i, 0)]);
        }
        // ν enters the x-dynamics as γAᵀν against γ∇f, so it is the KKT multiplier itself.
        for i in 0..m {
            assert!((r.nu[i] - sol[(n + i, 0)]).abs() < 1e-5, "ν[{i}] = {} against {}", r.nu[i], sol[(n + i, 0)]);
        }
        assert!(r.violation < 1e-8 && r.residual < 1e-8);
        assert_eq!(r.stop, StopReason::MaxSteps);
        assert_eq!(r.steps, 6000);
        // The last trace point is the returned state's certificate.
        let last = r.trace.last().unwrap();
        assert_eq!((last.t, last.violation, last.residual), (60.0, r.violation, r.residual));
    }
}
