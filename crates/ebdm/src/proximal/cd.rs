//! Cyclic coordinate descent for the Lasso, the nonnegative Lasso and the elastic net, with
//! working sets chosen by KKT violation and the duality gap as the stopping rule. It is the
//! default solver for single least-squares problems with separable ℓ1-type penalties.
//!
//! For `P(w) = (s/2)‖y − Xw‖² + λ₁‖w‖₁ + (ρ/2)‖w‖²`, with the residual `r = y − Xw` kept up
//! to date and `a_j = s‖X_j‖²`, the exact minimisation in coordinate `j` is
//!
//! ```text
//! w_j ← soft(s X_jᵀr + a_j w_j, λ₁) / (a_j + ρ)     (max(·, 0) in place of soft when w ≥ 0).
//! ```
//!
//! Each outer iteration computes all correlations `sXᵀr`, the duality gap of
//! [`LeastSquares::gap_from_residual`], and the KKT violation of every coordinate; the working
//! set is the support plus the most violating coordinates (its size doubles each time). Inner
//! epochs run over the working set until its own gap is below 0.3 of the global one or of the
//! stopping threshold, whichever is smaller, as in working-set solvers such as celer (Massias
//! et al. 2018).

use super::problem::{LeastSquares, LinOp, Smooth};
use super::prox::{ElasticNet, L1Nonneg, Prox, L1};
use super::solvers::{nnz, Options, SolveReport, TracePoint};
use crate::engine::run::{RunControl, StopReason};
use crate::engine::simd::{axpy, dot};
use crate::error::{Error, Result};

/// Coordinate updates on a working set, in units of `p`, before the next pass over all columns.
const INNER_WORK: usize = 4;

/// A separable ℓ1-type penalty `λ₁‖w‖₁ + (λ₂/2)‖w‖²`, optionally with `w ≥ 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CdPenalty {
    pub l1: f64,
    pub l2: f64,
    pub nonneg: bool,
}

impl CdPenalty {
    /// The same penalty as a proximal operator (for reports and the other solvers).
    pub fn to_prox(&self) -> Result<Box<dyn Prox>> {
        Ok(match (self.nonneg, self.l2 > 0.0) {
            (false, false) => Box::new(L1::new(self.l1)?),
            (false, true) => Box::new(ElasticNet::new(self.l1, self.l2)?),
            (true, false) => Box::new(L1Nonneg::new(self.l1)?),
            (true, true) => {
                return Err(Error::param(
                    "penalty",
                    "the nonnegative elastic net is not supported; use l2 = 0 or nonneg = false",
                ))
            }
        })
    }
}

/// Coordinate descent on `f + penalty`, where `f` must hold an explicit matrix. The step budget
/// of `opts.limits` bounds the number of epochs (passes over a working set or over all coordinates).
pub fn coordinate_descent<A: LinOp>(
    f: &LeastSquares<A>,
    penalty: CdPenalty,
    x0: Option<&[f64]>,
    opts: &Options,
) -> Result<SolveReport> {
    let g = penalty.to_prox()?;
    let a = f.operator();
    let (n, p) = (a.rows(), a.cols());
    if a.column(0).is_none() {
        return Err(Error::param("solver", "coordinate descent needs an explicit matrix, not an operator"));
    }
    let mut run = RunControl::start(&opts.limits, &opts.stop)?;
    let tol = opts.limits.tol;
    let s = f.scale();
    let rho = f.ridge() + penalty.l2;
    let lambda = penalty.l1;
    let col = |j: usize| a.column(j).expect("dense operator");
    let curv: Vec<f64> = (0..p).map(|j| s * dot(col(j), col(j))).collect();
    let mut w = match x0 {
        Some(x) if x.len() != p => {
            return Err(Error::Shape(format!("x0 has {} entries, the problem has {p}", x.len())))
        }
        Some(x) => x.to_vec(),
        None => vec![0.0; p],
    };
    let y = f.targets();
    let yy = dot(y, y);
    let mut r = vec![0.0; n];
    let mut u = vec![0.0; p];
    let mut trace = Vec::new();
    let mut ws_size = p.min(64);

    // One coordinate update; returns |Δw_j|.
    let update = |j: usize, w: &mut [f64], r: &mut [f64]| -> f64 {
        let cj = col(j);
        let denom = curv[j] + rho;
        if denom == 0.0 {
            return 0.0;
        }
        let z = s * dot(cj, r) + curv[j] * w[j];
        let new = if penalty.nonneg { (z - lambda).max(0.0) / denom } else { super::prox::soft(z, lambda) / denom };
        let delta = new - w[j];
        if delta != 0.0 {
            axpy(-delta, cj, r);
            w[j] = new;
        }
        delta.abs()
    };
    // Duality gap from the correlations u = sXᵀr − ρw restricted to `set` (all when None).
    let gap = |w: &[f64], r: &[f64], u_max: f64| -> (f64, f64) {
        let ww = dot(w, w);
        let primal = 0.5 * s * dot(r, r) + lambda * w.iter().map(|v| v.abs()).sum::<f64>() + 0.5 * rho * ww;
        let polar = if u_max == 0.0 { 0.0 } else { u_max / lambda };
        let alpha = if polar > 1.0 { 1.0 / polar } else { 1.0 };
        let dist: f64 = y.iter().zip(r).map(|(y, r)| (y - alpha * r).powi(2)).sum();
        let dual = 0.5 * s * (yy - dist) - 0.5 * alpha * alpha * rho * ww;
        (primal, primal - dual)
    };
    let u_score = |u: f64| if penalty.nonneg { u.max(0.0) } else { u.abs() };

    loop {
        // Fresh residual from the support, so rounding does not accumulate across iterations.
        r.copy_from_slice(y);
        for (j, &wj) in w.iter().enumerate() {
            if wj != 0.0 {
                axpy(-wj, col(j), &mut r);
            }
        }
        let mut u_max = 0.0f64;
        for j in 0..p {
            u[j] = s * dot(col(j), &r) - rho * w[j];
            u_max = u_max.max(u_score(u[j]));
        }
        let (primal, global_gap) = gap(&w, &r, u_max);
        if opts.trace {
            trace.push(TracePoint {
                iter: run.steps(),
                t: run.steps() as f64,
                objective: primal,
                gap: Some(global_gap),
                nnz: nnz(&w),
            });
        }
        if global_gap <= tol * primal.abs().max(f64::MIN_POSITIVE) {
            run.finish(StopReason::Converged);
        }
        if !run.proceed() {
            break;
        }
        // Working set: the support first, then the largest KKT violations.
        let mut scores: Vec<(f64, usize)> = (0..p)
            .map(|j| {
                let v = if w[j] != 0.0 { f64::INFINITY } else { u_score(u[j]) - lambda };
                (v, j)
            })
            .collect();
        ws_size = ws_size.max(2 * nnz(&w)).min(p);
        if ws_size < p {
            scores.select_nth_unstable_by(ws_size, |a, b| b.0.total_cmp(&a.0));
        }
        let mut ws: Vec<usize> = scores[..ws_size].iter().map(|&(_, j)| j).collect();
        ws.sort_unstable();
        // Inner epochs until the working-set gap is below 0.3 of the global gap or of the
        // stopping threshold, whichever is smaller: a working set that holds the support then
        // finishes without another pass over all columns. After INNER_WORK·p coordinate
        // updates the outer loop looks at all columns again, which bounds the work spent on a
        // working set that misses part of the support.
        let target = 0.3 * global_gap.min(tol * primal.abs());
        let mut inner = 0usize;
        loop {
            for &j in &ws {
                update(j, &mut w, &mut r);
            }
            run.advance();
            inner += 1;
            if run.exhausted() || inner * ws.len() >= INNER_WORK * p {
                break;
            }
            if inner.is_multiple_of(5) {
                let mut ws_max = 0.0f64;
                for &j in &ws {
                    ws_max = ws_max.max(u_score(s * dot(col(j), &r) - rho * w[j]));
                }
                let (primal, ws_gap) = gap(&w, &r, ws_max);
                if opts.trace {
                    // The working-set gap certifies nothing globally, so only the objective.
                    trace.push(TracePoint {
                        iter: run.steps(),
                        t: run.steps() as f64,
                        objective: primal,
                        gap: None,
                        nnz: nnz(&w),
                    });
                }
                if ws_gap <= target {
                    break;
                }
            }
        }
        ws_size = (2 * ws_size).min(p);
    }

    // Any positive step certifies a fixed point; 1/max_j(a_j + ρ) needs no spectral norm.
    let gamma = 1.0 / curv.iter().fold(rho, |m, &a| m.max(a + rho));
    let cert = f.certificates(&w, g.as_ref(), gamma);
    Ok(SolveReport {
        solver: "cd".into(),
        objective: cert.objective,
        iterations: run.steps(),
        converged: run.reason() == StopReason::Converged,
        interrupted: run.reason() == StopReason::Interrupted,
        stop: run.reason(),
        gap: cert.gap,
        kkt: cert.kkt,
        residual: cert.residual,
        gamma,
        lipschitz: f.known_lipschitz(),
        restarts: 0,
        nnz: nnz(&w),
        trace,
        x: w,
    })
}
