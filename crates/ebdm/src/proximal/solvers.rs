//! First-order solvers of `min F(x) = f(x) + g(x)` and the dynamics they discretise.
//!
//! - **Proximal gradient dynamics** (firing-rate form, spec §1.2):
//!   `τẋ = −x + prox_{γg}(x − γ∇f(x))`, whose equilibria are the minimisers of `F` and along
//!   which `F` does not increase. Forward Euler with `h = dt/τ`:
//!   `x ← x + h(prox_{γg}(x − γ∇f(x)) − x)`; `h = 1` is **ISTA** with step `γ`.
//! - **LCA** (membrane form, spec §1.3): `τu̇ = −u + a − γ∇f(a)`, `a = prox_{γg}(u)`; for
//!   `f = ½‖s − Φa‖²`, `γ = 1`, `g = λ‖·‖₁` it is Rozell et al. (2008),
//!   `τu̇ = Φᵀs − u − (ΦᵀΦ − I)a`. Euler with `h = 1` gives ISTA on `a = T(u)`.
//! - **FISTA** (Beck & Teboulle 2009): `x_k = prox_{γg}(y_k − γ∇f(y_k))`,
//!   `t_{k+1} = (1 + √(1 + 4t_k²))/2`, `y_{k+1} = x_k + ((t_k − 1)/t_{k+1})(x_k − x_{k−1})`, with
//!   the gradient adaptive restart `(y_k − x_k)ᵀ(x_k − x_{k−1}) > 0 ⇒ t_{k+1} = 1, y_{k+1} = x_k`
//!   and optional Beck–Teboulle backtracking.
//!
//! The default step is `γ = 1/L`. Runs stop on the relative duality gap `(P − D)/P ≤ tol` when
//! the problem has a closed-form dual (least squares with ℓ1, nonnegative ℓ1, elastic-net or
//! group penalties), otherwise on the fixed-point residual `‖x − prox(x − γ∇f)‖/γ` relative to
//! its value at the start.

use serde::Serialize;

use super::problem::{fixed_point_residual, Smooth};
use super::prox::Prox;
use crate::engine::run::{RunControl, RunLimits, StopFlag, StopReason};
use crate::error::{Error, Result};

/// Which first-order method to run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum Method {
    /// Proximal gradient descent, `x ← prox_{γg}(x − γ∇f(x))`.
    Ista,
    /// Accelerated proximal gradient, optionally with adaptive restart.
    Fista { restart: bool },
    /// Euler steps `h = dt/τ` of the proximal gradient dynamics.
    Pgd { h: f64 },
    /// Euler steps `h = dt/τ` of the LCA (membrane) dynamics.
    Lca { h: f64 },
}

impl Method {
    pub fn label(&self) -> String {
        match self {
            Method::Ista => "ista".into(),
            Method::Fista { restart: false } => "fista".into(),
            Method::Fista { restart: true } => "fista+restart".into(),
            Method::Pgd { h } => format!("pgd(h={h})"),
            Method::Lca { h } => format!("lca(h={h})"),
        }
    }

    /// The Euler step in units of τ (1 for the discrete algorithms).
    pub fn h(&self) -> f64 {
        match self {
            Method::Pgd { h } | Method::Lca { h } => *h,
            _ => 1.0,
        }
    }
}

/// Stopping and recording options shared by the solvers.
#[derive(Clone, Debug)]
pub struct Options {
    /// Iteration (Euler step) budget, time limit, and tolerance on the stopping measure
    /// (relative duality gap, or relative fixed-point residual when there is no closed-form
    /// dual; 0 runs the whole budget).
    pub limits: RunLimits,
    /// Step γ; `None` uses `1/L`.
    pub gamma: Option<f64>,
    /// Beck–Teboulle backtracking on γ (ISTA and FISTA).
    pub backtracking: bool,
    /// Evaluate the stopping measure every this many iterations.
    pub check_every: usize,
    /// Record `F`, the gap (at check points) and the support size at every iteration.
    pub trace: bool,
    /// Allow Euler steps `1 < h < 2` (over-relaxation).
    pub allow_overrelaxation: bool,
    pub stop: StopFlag,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            limits: RunLimits::steps(10_000).with_tol(1e-8),
            gamma: None,
            backtracking: false,
            check_every: 10,
            trace: false,
            allow_overrelaxation: false,
            stop: StopFlag::new(),
        }
    }
}

/// One recorded iteration.
#[derive(Clone, Debug, Serialize)]
pub struct TracePoint {
    pub iter: usize,
    /// Continuous time `t/τ = iter·h`.
    pub t: f64,
    pub objective: f64,
    /// Duality gap, at check points of problems that have one.
    pub gap: Option<f64>,
    pub nnz: usize,
}

/// The outcome of a solver run.
#[derive(Clone, Debug, Serialize)]
pub struct SolveReport {
    pub solver: String,
    pub x: Vec<f64>,
    pub objective: f64,
    pub iterations: usize,
    pub converged: bool,
    pub interrupted: bool,
    /// Why the run ended.
    pub stop: StopReason,
    /// Duality gap at `x` (problems with a closed-form dual).
    pub gap: Option<f64>,
    /// `dist_∞(−∇f(x), ∂g(x))` where the penalty can measure it.
    pub kkt: Option<f64>,
    /// `‖x − prox_{γg}(x − γ∇f(x))‖/γ`.
    pub residual: f64,
    pub gamma: f64,
    /// `L` of `∇f` when it was computed (not when the step was given).
    pub lipschitz: Option<f64>,
    pub restarts: usize,
    pub nnz: usize,
    #[serde(skip)]
    pub trace: Vec<TracePoint>,
}

pub(crate) fn nnz(x: &[f64]) -> usize {
    x.iter().filter(|&&v| v != 0.0).count()
}

/// Validates the step γ and the Euler step h.
pub(crate) fn resolve_steps<F: Smooth + ?Sized>(f: &F, method: &Method, opts: &Options) -> Result<(f64, f64)> {
    // A given step does not trigger the (power-iteration) estimate of L.
    let lipschitz = if opts.gamma.is_some() { f.known_lipschitz().unwrap_or(f64::NAN) } else { f.lipschitz() };
    let gamma = match opts.gamma {
        Some(g) => g,
        None if lipschitz.is_finite() && lipschitz > 0.0 => 1.0 / lipschitz,
        None if opts.backtracking => 1.0,
        None => return Err(Error::param("gamma", format!("no step given and the Lipschitz constant is {lipschitz}"))),
    };
    if !(gamma.is_finite() && gamma > 0.0) {
        return Err(Error::param("gamma", format!("must be finite and > 0, got {gamma}")));
    }
    if lipschitz.is_finite() && lipschitz > 0.0 && gamma >= 2.0 / lipschitz && !opts.backtracking {
        return Err(Error::param("gamma", format!("{gamma} ≥ 2/L = {}: the iteration diverges", 2.0 / lipschitz)));
    }
    let h = method.h();
    let h_max = if opts.allow_overrelaxation { 2.0 } else { 1.0 };
    if !(h > 0.0 && (h < h_max || (h == 1.0 && h_max == 1.0))) {
        return Err(Error::param(
            "h",
            format!("the Euler step dt/τ must lie in (0, 1] (or (0, 2) with over-relaxation allowed), got {h}"),
        ));
    }
    if opts.limits.max_steps == 0 {
        return Err(Error::param("max_iter", "must be ≥ 1"));
    }
    opts.limits.check()?;
    Ok((gamma, h))
}

/// The stopping measure: relative duality gap if the problem has one, else the fixed-point
/// residual relative to `reference`.
struct Monitor {
    reference_residual: Option<f64>,
}

impl Monitor {
    fn measure<F: Smooth + ?Sized>(
        &mut self,
        f: &F,
        g: &dyn Prox,
        x: &[f64],
        objective: f64,
        gamma: f64,
        work: &mut Vec<f64>,
    ) -> (f64, Option<f64>) {
        if let Some(gap) = f.duality_gap(x, g, work) {
            return (gap / objective.abs().max(f64::MIN_POSITIVE), Some(gap));
        }
        let r = fixed_point_residual(f, g, x, gamma);
        let r0 = *self.reference_residual.get_or_insert(r.max(f64::MIN_POSITIVE));
        (r / r0, None)
    }
}

/// Minimises `f + g` by `method` from `x0` (zeros when `None`). For [`Method::Lca`], `x0` is
/// the initial membrane potential `u₀` and the reported iterate is `a = prox_{γg}(u)`.
pub fn solve<F: Smooth + ?Sized>(
    f: &F,
    g: &dyn Prox,
    x0: Option<&[f64]>,
    method: Method,
    opts: &Options,
) -> Result<SolveReport> {
    solve_observed(f, g, x0, method, opts, &mut |_, _| {})
}

/// [`solve`], calling `observer(k, x_k)` with every iterate (`a_k = prox(u_k)` for LCA),
/// `x_0` included — for trajectories, distances to a reference, or custom stopping.
pub fn solve_observed<F: Smooth + ?Sized>(
    f: &F,
    g: &dyn Prox,
    x0: Option<&[f64]>,
    method: Method,
    opts: &Options,
    observer: &mut dyn FnMut(usize, &[f64]),
) -> Result<SolveReport> {
    let p = f.dim();
    let (mut gamma, h) = resolve_steps(f, &method, opts)?;
    let mut x = match x0 {
        Some(x0) if x0.len() != p => {
            return Err(Error::Shape(format!("x0 has {} entries, the problem has {p} unknowns", x0.len())))
        }
        Some(x0) => x0.to_vec(),
        None => vec![0.0; p],
    };
    let check_every = opts.check_every.max(1);
    let mut grad = vec![0.0; p];
    let mut v = vec![0.0; p];
    let mut prox_out = vec![0.0; p];
    let mut work = Vec::new();
    let mut trace = Vec::new();
    let mut monitor = Monitor { reference_residual: None };
    let mut run = RunControl::start(&opts.limits, &opts.stop)?;
    let tol = opts.limits.tol;
    let mut restarts = 0;

    match method {
        Method::Ista | Method::Pgd { .. } => loop {
            let fx = f.value_grad(&x, &mut grad, &mut work);
            let iterations = run.steps();
            let at_check = iterations % check_every == 0;
            let objective = if opts.trace || at_check { fx + g.value(&x) } else { f64::NAN };
            let mut gap = None;
            if at_check && tol > 0.0 {
                let (m, gp) = monitor.measure(f, g, &x, objective, gamma, &mut work);
                gap = gp;
                if m <= tol {
                    run.finish(StopReason::Converged);
                }
            }
            observer(iterations, &x);
            if opts.trace {
                trace.push(TracePoint { iter: iterations, t: iterations as f64 * h, objective, gap, nnz: nnz(&x) });
            }
            if !run.proceed() {
                break;
            }
            loop {
                v.iter_mut().zip(&x).zip(&grad).for_each(|((v, x), g)| *v = x - gamma * g);
                g.prox(&v, gamma, &mut prox_out);
                if !opts.backtracking || sufficient_decrease(f, fx, &grad, &x, &prox_out, gamma, &mut work) {
                    break;
                }
                gamma *= 0.5;
            }
            x.iter_mut().zip(&prox_out).for_each(|(x, p)| *x += h * (p - *x));
            run.advance();
        },
        Method::Lca { h } => {
            let mut u = std::mem::take(&mut x);
            let mut a = vec![0.0; p];
            g.prox(&u, gamma, &mut a);
            loop {
                let fa = f.value_grad(&a, &mut grad, &mut work);
                let iterations = run.steps();
                let at_check = iterations % check_every == 0;
                let objective = if opts.trace || at_check { fa + g.value(&a) } else { f64::NAN };
                let mut gap = None;
                if at_check && tol > 0.0 {
                    let (m, gp) = monitor.measure(f, g, &a, objective, gamma, &mut work);
                    gap = gp;
                    if m <= tol {
                        run.finish(StopReason::Converged);
                    }
                }
                observer(iterations, &a);
                if opts.trace {
                    trace.push(TracePoint { iter: iterations, t: iterations as f64 * h, objective, gap, nnz: nnz(&a) });
                }
                if !run.proceed() {
                    break;
                }
                // τu̇ = −u + a − γ∇f(a).
                u.iter_mut().zip(&a).zip(&grad).for_each(|((u, a), g)| *u += h * (-*u + a - gamma * g));
                g.prox(&u, gamma, &mut a);
                run.advance();
            }
            x = a;
        }
        Method::Fista { restart } => {
            let mut y = x.clone();
            let mut x_prev = x.clone();
            let mut t = 1.0f64;
            let mut fx_obj = if opts.trace || tol > 0.0 { f.value(&x, &mut work) + g.value(&x) } else { f64::NAN };
            loop {
                let iterations = run.steps();
                let at_check = iterations % check_every == 0;
                let mut gap = None;
                if at_check && tol > 0.0 {
                    if fx_obj.is_nan() {
                        fx_obj = f.value(&x, &mut work) + g.value(&x);
                    }
                    let (m, gp) = monitor.measure(f, g, &x, fx_obj, gamma, &mut work);
                    gap = gp;
                    if m <= tol {
                        run.finish(StopReason::Converged);
                    }
                }
                observer(iterations, &x);
                if opts.trace {
                    trace.push(TracePoint {
                        iter: iterations,
                        t: iterations as f64,
                        objective: fx_obj,
                        gap,
                        nnz: nnz(&x),
                    });
                }
                if !run.proceed() {
                    break;
                }
                let fy = f.value_grad(&y, &mut grad, &mut work);
                loop {
                    v.iter_mut().zip(&y).zip(&grad).for_each(|((v, y), g)| *v = y - gamma * g);
                    g.prox(&v, gamma, &mut prox_out);
                    if !opts.backtracking || sufficient_decrease(f, fy, &grad, &y, &prox_out, gamma, &mut work) {
                        break;
                    }
                    gamma *= 0.5;
                }
                x_prev.copy_from_slice(&x);
                x.copy_from_slice(&prox_out);
                let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt());
                let restart_now = restart && {
                    let s: f64 = y.iter().zip(&x).zip(&x_prev).map(|((y, x), xp)| (y - x) * (x - xp)).sum();
                    s > 0.0
                };
                if restart_now {
                    restarts += 1;
                    t = 1.0;
                    y.copy_from_slice(&x);
                } else {
                    let beta = (t - 1.0) / t_next;
                    y.iter_mut().zip(&x).zip(&x_prev).for_each(|((y, x), xp)| *y = x + beta * (x - xp));
                    t = t_next;
                }
                run.advance();
                fx_obj = if opts.trace { f.value(&x, &mut work) + g.value(&x) } else { f64::NAN };
            }
        }
    }

    let cert = f.certificates(&x, g, gamma);
    let stop = run.reason();
    Ok(SolveReport {
        solver: method.label(),
        objective: cert.objective,
        iterations: run.steps(),
        converged: stop == StopReason::Converged,
        interrupted: stop == StopReason::Interrupted,
        stop,
        gap: cert.gap,
        kkt: cert.kkt,
        residual: cert.residual,
        gamma,
        lipschitz: f.known_lipschitz(),
        restarts,
        nnz: nnz(&x),
        trace,
        x,
    })
}

/// Beck–Teboulle's test `f(p) ≤ f(y) + ∇f(y)ᵀ(p − y) + ‖p − y‖²/(2γ)`.
fn sufficient_decrease<F: Smooth + ?Sized>(
    f: &F,
    fy: f64,
    grad: &[f64],
    y: &[f64],
    p: &[f64],
    gamma: f64,
    work: &mut Vec<f64>,
) -> bool {
    let fp = f.value(p, work);
    let (mut lin, mut sq) = (0.0, 0.0);
    for ((p, y), g) in p.iter().zip(y).zip(grad) {
        let d = p - y;
        lin += g * d;
        sq += d * d;
    }
    fp <= fy + lin + sq / (2.0 * gamma) + 1e-12 * fy.abs()
}
