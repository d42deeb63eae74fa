//! Batched sparse coding: many signals against one dictionary.
//!
//! For signals `x_i` (rows of `X`, `m × d`) and a dictionary `D` with atoms as rows
//! (`k × d`), each code solves
//!
//! ```text
//! c_i = argmin_c ½‖x_i − cD‖² + α‖c‖₁        (scikit-learn's `sparse_encode` alpha)
//! ```
//!
//! With the Gram matrix `G = DDᵀ` and the correlations `B = XDᵀ` (one GEMM each), the gradient
//! of every row is `cG − b_i`, so one step of the whole batch is one `m × k × k` GEMM. Three
//! solvers share this form: batched FISTA (per-row momentum and restart), batched LCA (Euler
//! steps of the membrane dynamics), and Gram coordinate descent with active sets, whose per-row
//! duality gap
//!
//! ```text
//! P = ½‖r‖² + α‖c‖₁,  D = s xᵀr − ½s²‖r‖²,  s = min(1, α/‖q‖_∞),  q = b − cG = Dr
//! ```
//!
//! needs only `c`, `b`, `q` and `‖x‖²` (`xᵀr = ‖x‖² − cᵀb`, `‖r‖² = ‖x‖² − 2cᵀb + cᵀGc`).
//! Rows are independent; chunks of rows run in parallel, so results do not depend on the
//! thread count.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par, Side};
use rayon::prelude::*;
use serde::Serialize;

use super::problem::check_all_finite;
use super::prox::soft;
use crate::engine::precision::Precision;
use crate::engine::run::{RunControl, RunLimits, StopFlag, StopReason};
use crate::engine::simd::clear_upper_registers;
use crate::engine::simd::dot;
use crate::error::{Error, Result};

/// The batched solver.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CodingSolver {
    /// FISTA with per-row adaptive restart, a fixed number of iterations.
    Fista,
    /// Euler steps `h` of the LCA, a fixed number of steps.
    Lca,
    /// Coordinate descent on the Gram matrix with active sets, to a per-row duality gap.
    Cd,
}

/// Options of [`encode`].
#[derive(Clone, Debug)]
pub struct CodingOptions {
    pub solver: CodingSolver,
    /// Iterations (FISTA, LCA) or the epoch budget per row (CD), a time limit per chunk of
    /// rows, and the tolerance: the relative duality gap per row, CD's stopping rule and
    /// FISTA's early exit when > 0 (0 runs FISTA for exactly the step budget).
    pub limits: RunLimits,
    /// LCA Euler step `h = dt/τ`.
    pub h: f64,
    /// Only nonnegative codes.
    pub nonneg: bool,
    /// Rows per parallel chunk.
    pub chunk: usize,
    /// Precision of FISTA's products `YG`. With `F32` and `tol > 0`, FISTA moves to double
    /// precision when single precision stops making progress or claims convergence, so the
    /// reported gaps (always computed in double precision) meet `tol`. LCA and CD always run
    /// in double precision.
    pub precision: Precision,
    pub stop: StopFlag,
}

impl Default for CodingOptions {
    fn default() -> Self {
        Self {
            solver: CodingSolver::Cd,
            limits: RunLimits::steps(10_000).with_tol(1e-8),
            h: 1.0,
            nonneg: false,
            chunk: 64,
            precision: Precision::F32,
            stop: StopFlag::new(),
        }
    }
}

/// Codes and per-row certificates.
#[derive(Clone, Debug, Serialize)]
pub struct Codes {
    pub rows: usize,
    pub atoms: usize,
    /// `rows × atoms`, row-major.
    #[serde(skip)]
    pub codes: Vec<f64>,
    /// `½‖x_i − c_iD‖² + α‖c_i‖₁` per row.
    pub objectives: Vec<f64>,
    /// Duality gap per row.
    pub gaps: Vec<f64>,
    /// `‖x_i − c_iD‖` per row.
    pub residuals: Vec<f64>,
    pub interrupted: bool,
}

impl Codes {
    pub fn mean_nnz(&self) -> f64 {
        self.codes.iter().filter(|&&v| v != 0.0).count() as f64 / self.rows.max(1) as f64
    }
}

/// A dictionary with its Gram matrix and Lipschitz constant.
#[derive(Clone, Debug)]
pub struct Dictionary {
    atoms: usize,
    dim: usize,
    /// `k × d`, row-major.
    data: Vec<f64>,
    gram: Vec<f64>,
    /// `gram` rounded to single precision, for [`Precision::F32`] products.
    gram32: Vec<f32>,
    lipschitz: f64,
}

impl Dictionary {
    /// `data` holds `atoms` rows of length `dim`.
    pub fn new(atoms: usize, dim: usize, data: Vec<f64>) -> Result<Self> {
        if atoms == 0 || dim == 0 || data.len() != atoms * dim {
            return Err(Error::Shape(format!(
                "a dictionary of {atoms} atoms of length {dim} needs {} values, got {}",
                atoms * dim,
                data.len()
            )));
        }
        check_all_finite("dictionary", &data)?;
        let d = MatRef::from_row_major_slice(&data, atoms, dim);
        let mut gram = vec![0.0; atoms * atoms];
        matmul(
            MatMut::from_row_major_slice_mut(&mut gram, atoms, atoms),
            Accum::Replace,
            d,
            d.transpose(),
            1.0,
            Par::Seq,
        );
        clear_upper_registers();
        if let Some(j) = (0..atoms).find(|&j| gram[j * atoms + j] == 0.0) {
            return Err(Error::param("dictionary", format!("atom {j} is zero")));
        }
        let g = Mat::<f64>::from_fn(atoms, atoms, |i, j| gram[i * atoms + j]);
        let eig = g
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|e| Error::Numerical(format!("eigenvalues of the Gram matrix: {e:?}")))?;
        let lipschitz = eig.iter().cloned().fold(0.0, f64::max);
        let gram32 = gram.iter().map(|&g| g as f32).collect();
        Ok(Self { atoms, dim, data, gram, gram32, lipschitz })
    }

    pub fn atoms(&self) -> usize {
        self.atoms
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// `λ_max(DDᵀ)`.
    pub fn lipschitz(&self) -> f64 {
        self.lipschitz
    }

    pub fn data(&self) -> &[f64] {
        &self.data
    }
}

/// Codes every row of `signals` (`rows × dim`, row-major) with ℓ1 weight `alpha`.
pub fn encode(dict: &Dictionary, signals: &[f64], rows: usize, alpha: f64, opts: &CodingOptions) -> Result<Codes> {
    let (k, d) = (dict.atoms, dict.dim);
    if signals.len() != rows * d {
        return Err(Error::Shape(format!(
            "{rows} signals of length {d} need {} values, got {}",
            rows * d,
            signals.len()
        )));
    }
    check_all_finite("signals", signals)?;
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(Error::param("alpha", format!("must be finite and ≥ 0, got {alpha}")));
    }
    opts.limits.check()?;
    if opts.solver == CodingSolver::Lca && !(opts.h > 0.0 && opts.h <= 1.0) {
        return Err(Error::param("h", format!("the Euler step must lie in (0, 1], got {}", opts.h)));
    }
    let chunk = opts.chunk.max(1);
    let mut codes = vec![0.0; rows * k];
    let mut objectives = vec![0.0; rows];
    let mut gaps = vec![0.0; rows];
    let mut residuals = vec![0.0; rows];
    let interrupted: Vec<bool> = codes
        .par_chunks_mut(chunk * k)
        .zip(objectives.par_chunks_mut(chunk))
        .zip(gaps.par_chunks_mut(chunk).zip(residuals.par_chunks_mut(chunk)))
        .enumerate()
        .map(|(ci, ((c, obj), (gap, res)))| {
            let r0 = ci * chunk;
            let nr = obj.len();
            let x = &signals[r0 * d..(r0 + nr) * d];
            if opts.stop.is_raised() {
                return Ok(true);
            }
            // B = X Dᵀ for the chunk.
            let mut b = vec![0.0; nr * k];
            matmul(
                MatMut::from_row_major_slice_mut(&mut b, nr, k),
                Accum::Replace,
                MatRef::from_row_major_slice(x, nr, d),
                MatRef::from_row_major_slice(&dict.data, k, d).transpose(),
                1.0,
                Par::Seq,
            );
            clear_upper_registers();
            match opts.solver {
                CodingSolver::Fista => fista_chunk(dict, x, &b, c, nr, alpha, opts)?,
                CodingSolver::Lca => lca_chunk(dict, &b, c, nr, alpha, opts)?,
                CodingSolver::Cd => cd_chunk(dict, x, &b, c, nr, alpha, opts)?,
            }
            // Certificates from q = B − CG, one GEMM for the chunk.
            let mut grad = vec![0.0; nr * k];
            batch_gradient(dict, c, &b, &mut grad, nr);
            for i in 0..nr {
                let ci = &c[i * k..(i + 1) * k];
                let bi = &b[i * k..(i + 1) * k];
                let q: Vec<f64> = grad[i * k..(i + 1) * k].iter().map(|g| -g).collect();
                let xx = dot(&x[i * d..(i + 1) * d], &x[i * d..(i + 1) * d]);
                let (p, g, r) = certificate(ci, bi, &q, xx, alpha, opts.nonneg);
                obj[i] = p;
                gap[i] = g;
                res[i] = r;
            }
            Ok(opts.stop.is_raised())
        })
        .collect::<Result<_>>()?;
    Ok(Codes { rows, atoms: k, codes, objectives, gaps, residuals, interrupted: interrupted.into_iter().any(|x| x) })
}

/// `q = b − cG`.
fn correlations(dict: &Dictionary, c: &[f64], b: &[f64], q: &mut [f64]) {
    let k = dict.atoms;
    q.copy_from_slice(b);
    for (j, &cj) in c.iter().enumerate() {
        if cj != 0.0 {
            let gj = &dict.gram[j * k..(j + 1) * k];
            for (q, g) in q.iter_mut().zip(gj) {
                *q -= cj * g;
            }
        }
    }
}

/// Primal objective, duality gap and residual norm of one row.
fn certificate(c: &[f64], b: &[f64], q: &[f64], xx: f64, alpha: f64, nonneg: bool) -> (f64, f64, f64) {
    let cb = dot(c, b);
    let cgc = cb - dot(c, q);
    let rr = (xx - 2.0 * cb + cgc).max(0.0);
    let l1: f64 = c.iter().map(|v| v.abs()).sum();
    let primal = 0.5 * rr + alpha * l1;
    let qmax = q.iter().fold(0.0f64, |m, &v| m.max(if nonneg { v } else { v.abs() }));
    let s = if qmax > alpha { alpha / qmax } else { 1.0 };
    let dual = s * (xx - cb) - 0.5 * s * s * rr;
    (primal, (primal - dual).max(0.0), rr.sqrt())
}

#[inline]
fn shrink(v: f64, t: f64, nonneg: bool) -> f64 {
    if nonneg {
        (v - t).max(0.0)
    } else {
        soft(v, t)
    }
}

/// `grad = Y G − B` for `nr` rows.
fn batch_gradient(dict: &Dictionary, y: &[f64], b: &[f64], grad: &mut [f64], nr: usize) {
    let k = dict.atoms;
    for (g, b) in grad.iter_mut().zip(b) {
        *g = -b;
    }
    matmul(
        MatMut::from_row_major_slice_mut(grad, nr, k),
        Accum::Add,
        MatRef::from_row_major_slice(y, nr, k),
        MatRef::from_row_major_slice(&dict.gram, k, k),
        1.0,
        Par::Seq,
    );
    clear_upper_registers();
}

/// Single-precision products `Y G` for a chunk: `y32` holds `Y` rounded to single precision.
struct SingleProducts<'a> {
    dict: &'a Dictionary,
    y32: Vec<f32>,
    out32: Vec<f32>,
}

impl<'a> SingleProducts<'a> {
    fn new(dict: &'a Dictionary, nr: usize) -> Self {
        Self { dict, y32: vec![0.0; nr * dict.atoms], out32: vec![0.0; nr * dict.atoms] }
    }

    fn load(&mut self, y: &[f64]) {
        for (a, &v) in self.y32.iter_mut().zip(y) {
            *a = v as f32;
        }
    }

    /// `grad = Y G − B` from the loaded `Y`.
    fn gradient(&mut self, b: &[f64], grad: &mut [f64]) {
        let k = self.dict.atoms;
        let nr = b.len() / k;
        matmul(
            MatMut::from_row_major_slice_mut(&mut self.out32, nr, k),
            Accum::Replace,
            MatRef::from_row_major_slice(&self.y32, nr, k),
            MatRef::from_row_major_slice(&self.dict.gram32, k, k),
            1.0f32,
            Par::Seq,
        );
        clear_upper_registers();
        for ((g, &o), &b) in grad.iter_mut().zip(&self.out32).zip(b) {
            *g = o as f64 - b;
        }
    }
}

/// Largest relative duality gap over the rows of a chunk, from `grad = CG − B`.
fn worst_relative_gap(c: &[f64], b: &[f64], grad: &[f64], xx: &[f64], k: usize, alpha: f64, nonneg: bool) -> f64 {
    let mut q = vec![0.0; k];
    (0..xx.len())
        .map(|i| {
            let rows = i * k..(i + 1) * k;
            q.iter_mut().zip(&grad[rows.clone()]).for_each(|(q, g)| *q = -g);
            let (p, gap, _) = certificate(&c[rows.clone()], &b[rows], &q, xx[i], alpha, nonneg);
            gap / p.max(f64::MIN_POSITIVE)
        })
        .fold(0.0f64, f64::max)
}

/// Most iterations between two gap checks of batched FISTA.
const CHECK_EVERY: usize = 10;

/// Relative duality gap below which batched FISTA leaves single-precision products: around
/// 1e-6 their rounding (unit 6e-8, summed over the atoms) stalls the iteration.
const SINGLE_PRECISION_GAP: f64 = 1e-5;

/// Iterations until the next gap check: where the worst gap, shrinking at the measured `rate`
/// (log decrease per iteration), would reach `tol`, but at most [`CHECK_EVERY`].
fn iterations_to_tol(worst: f64, rate: Option<f64>, tol: f64) -> usize {
    match rate {
        Some(r) if r < 0.0 => ((tol / worst).ln() / r).ceil().clamp(1.0, CHECK_EVERY as f64) as usize,
        _ => CHECK_EVERY,
    }
}

/// Batched FISTA; with `tol > 0` it stops early once every row's relative duality gap is
/// below `tol` (checked at most every [`CHECK_EVERY`] iterations, sooner when the observed
/// rate of decrease predicts convergence).
///
/// With single-precision products the check itself is approximate. Once it reports a gap below
/// `max(tol, SINGLE_PRECISION_GAP)`, or less than a halving of the worst gap per
/// [`CHECK_EVERY`] iterations (single precision has run out of digits), the gap is computed
/// again in double precision and the remaining iterations use double precision.
fn fista_chunk(
    dict: &Dictionary,
    x: &[f64],
    b: &[f64],
    c: &mut [f64],
    nr: usize,
    alpha: f64,
    opts: &CodingOptions,
) -> Result<()> {
    let tol = opts.limits.tol;
    let (k, d) = (dict.atoms, dict.dim);
    let xx: Vec<f64> = (0..nr).map(|i| dot(&x[i * d..(i + 1) * d], &x[i * d..(i + 1) * d])).collect();
    let gamma = 1.0 / dict.lipschitz;
    let (mut cur, mut prev, mut y) = (c.to_vec(), c.to_vec(), c.to_vec());
    let mut grad = vec![0.0; nr * k];
    let mut t = vec![1.0f64; nr];
    let mut single = (opts.precision == Precision::F32).then(|| SingleProducts::new(dict, nr));
    if let Some(p) = single.as_mut() {
        p.load(&y);
    }
    // Gap checks: `reference` is the last check at least CHECK_EVERY / 2 iterations back,
    // `rate` the log decrease per iteration measured against it.
    let mut reference: Option<(usize, f64)> = None;
    let mut rate: Option<f64> = None;
    let mut next_check = CHECK_EVERY;
    let step = FistaStep { k, gamma, threshold: gamma * alpha, nonneg: opts.nonneg };
    let mut run = RunControl::start(&opts.limits, &opts.stop)?;
    while run.proceed() {
        let it = run.steps();
        if tol > 0.0 && it == next_check {
            let exact = |grad: &mut [f64]| {
                batch_gradient(dict, &cur, b, grad, nr);
                worst_relative_gap(&cur, b, grad, &xx, k, alpha, opts.nonneg)
            };
            // Less than a halving per CHECK_EVERY iterations since the reference counts as a stall.
            let stalled = |worst: f64| match reference {
                Some((at, w)) if it - at >= CHECK_EVERY / 2 => {
                    worst > w * 0.5f64.powf((it - at) as f64 / CHECK_EVERY as f64)
                }
                _ => false,
            };
            let worst = match single.as_mut() {
                Some(p) => {
                    p.load(&cur);
                    p.gradient(b, &mut grad);
                    let approx = worst_relative_gap(&cur, b, &grad, &xx, k, alpha, opts.nonneg);
                    p.load(&y);
                    if approx <= tol.max(SINGLE_PRECISION_GAP) || stalled(approx) {
                        single = None;
                        exact(&mut grad)
                    } else {
                        approx
                    }
                }
                None => exact(&mut grad),
            };
            if worst <= tol {
                run.finish(StopReason::Converged);
                break;
            }
            match reference {
                Some((at, w)) if it - at >= CHECK_EVERY / 2 => {
                    rate = Some((worst / w).ln() / (it - at) as f64);
                    reference = Some((it, worst));
                }
                Some(_) => {}
                None => reference = Some((it, worst)),
            }
            next_check = it + iterations_to_tol(worst, rate, tol);
        }
        match single.as_mut() {
            Some(p) => p.gradient(b, &mut grad),
            None => batch_gradient(dict, &y, b, &mut grad, nr),
        }
        std::mem::swap(&mut cur, &mut prev);
        step.apply(&mut cur, &prev, &mut y, single.as_mut().map(|p| &mut p.y32[..]), &grad, &mut t);
        run.advance();
    }
    c.copy_from_slice(&cur);
    Ok(())
}

/// One FISTA step of every row: `c = T(y − γ∇)`, then restart or momentum for `y`.
struct FistaStep {
    k: usize,
    gamma: f64,
    threshold: f64,
    nonneg: bool,
}

impl FistaStep {
    /// Writes the new iterate into `cur` (`prev` holds the previous one) and the next
    /// extrapolation point into `y`, and into `y32` when products run in single precision.
    /// The AVX2 path is the same loops compiled for wider vectors: the same operations in the
    /// same order, so the results do not depend on the path.
    fn apply(
        &self,
        cur: &mut [f64],
        prev: &[f64],
        y: &mut [f64],
        y32: Option<&mut [f32]>,
        grad: &[f64],
        t: &mut [f64],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { self.apply_avx2(cur, prev, y, y32, grad, t) };
            return;
        }
        self.apply_body(cur, prev, y, y32, grad, t)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn apply_avx2(
        &self,
        cur: &mut [f64],
        prev: &[f64],
        y: &mut [f64],
        y32: Option<&mut [f32]>,
        grad: &[f64],
        t: &mut [f64],
    ) {
        self.apply_body(cur, prev, y, y32, grad, t)
    }

    #[inline(always)]
    fn apply_body(
        &self,
        cur: &mut [f64],
        prev: &[f64],
        y: &mut [f64],
        mut y32: Option<&mut [f32]>,
        grad: &[f64],
        t: &mut [f64],
    ) {
        let (k, gamma, thr) = (self.k, self.gamma, self.threshold);
        for (i, ti) in t.iter_mut().enumerate() {
            let rows = i * k..(i + 1) * k;
            let (yi, gi, ci, pi) =
                (&mut y[rows.clone()], &grad[rows.clone()], &mut cur[rows.clone()], &prev[rows.clone()]);
            // Separate loops per sign constraint so that each vectorizes.
            if self.nonneg {
                for ((c, &y), &g) in ci.iter_mut().zip(yi.iter()).zip(gi) {
                    let v = y - gamma * g - thr;
                    *c = if v > 0.0 { v } else { 0.0 };
                }
            } else {
                for ((c, &y), &g) in ci.iter_mut().zip(yi.iter()).zip(gi) {
                    *c = soft(y - gamma * g, thr);
                }
            }
            let beta = if restart_dot(yi, ci, pi) > 0.0 {
                *ti = 1.0;
                0.0
            } else {
                let t_next = 0.5 * (1.0 + (1.0 + 4.0 * *ti * *ti).sqrt());
                let beta = (*ti - 1.0) / t_next;
                *ti = t_next;
                beta
            };
            for ((y, &c), &p) in yi.iter_mut().zip(ci.iter()).zip(pi) {
                *y = c + beta * (c - p);
            }
            if let Some(y32) = y32.as_deref_mut() {
                for (a, &v) in y32[rows].iter_mut().zip(yi.iter()) {
                    *a = v as f32;
                }
            }
        }
    }
}

/// `(y − c)·(c − p)`, the gradient restart test of O'Donoghue and Candès (2015), summed in
/// eight lanes so that it vectorizes.
#[inline(always)]
fn restart_dot(y: &[f64], c: &[f64], p: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (yc, cc, pc) = (y.chunks_exact(8), c.chunks_exact(8), p.chunks_exact(8));
    let tail: f64 =
        (yc.remainder().iter().zip(cc.remainder()).zip(pc.remainder())).map(|((y, c), p)| (y - c) * (c - p)).sum();
    for ((y, c), p) in yc.zip(cc).zip(pc) {
        for l in 0..8 {
            acc[l] += (y[l] - c[l]) * (c[l] - p[l]);
        }
    }
    acc.iter().sum::<f64>() + tail
}

fn lca_chunk(dict: &Dictionary, b: &[f64], c: &mut [f64], nr: usize, alpha: f64, opts: &CodingOptions) -> Result<()> {
    let k = dict.atoms;
    let (gamma, h) = (1.0 / dict.lipschitz, opts.h);
    let mut u = c.to_vec();
    let mut grad = vec![0.0; nr * k];
    for (a, u) in c.iter_mut().zip(&u) {
        *a = shrink(*u, gamma * alpha, opts.nonneg);
    }
    let mut run = RunControl::start(&opts.limits, &opts.stop)?;
    while run.proceed() {
        batch_gradient(dict, c, b, &mut grad, nr);
        lca_step(&mut u, c, &grad, h, gamma, gamma * alpha, opts.nonneg);
        run.advance();
    }
    Ok(())
}

/// One Euler step of the membrane dynamics `τu̇ = −u + a − γ∇f(a)`, then `a = T(u)`; the AVX2
/// path is the same loop compiled for wider vectors.
fn lca_step(u: &mut [f64], a: &mut [f64], grad: &[f64], h: f64, gamma: f64, thr: f64, nonneg: bool) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { lca_step_avx2(u, a, grad, h, gamma, thr, nonneg) };
        return;
    }
    lca_step_body(u, a, grad, h, gamma, thr, nonneg)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lca_step_avx2(u: &mut [f64], a: &mut [f64], grad: &[f64], h: f64, gamma: f64, thr: f64, nonneg: bool) {
    lca_step_body(u, a, grad, h, gamma, thr, nonneg)
}

#[inline(always)]
fn lca_step_body(u: &mut [f64], a: &mut [f64], grad: &[f64], h: f64, gamma: f64, thr: f64, nonneg: bool) {
    let step = |u: &mut f64, a: &f64, g: &f64| *u += h * (-*u + *a - gamma * g);
    if nonneg {
        for ((u, a), g) in u.iter_mut().zip(a.iter_mut()).zip(grad) {
            step(u, a, g);
            let v = *u - thr;
            *a = if v > 0.0 { v } else { 0.0 };
        }
    } else {
        for ((u, a), g) in u.iter_mut().zip(a.iter_mut()).zip(grad) {
            step(u, a, g);
            *a = soft(*u, thr);
        }
    }
}

fn cd_chunk(
    dict: &Dictionary,
    x: &[f64],
    b: &[f64],
    c: &mut [f64],
    nr: usize,
    alpha: f64,
    opts: &CodingOptions,
) -> Result<()> {
    let tol = opts.limits.tol;
    let (k, d) = (dict.atoms, dict.dim);
    let gram = &dict.gram;
    let mut q = vec![0.0; k];
    let mut active: Vec<usize> = Vec::with_capacity(k);
    for i in 0..nr {
        if opts.stop.is_raised() {
            break;
        }
        let ci = &mut c[i * k..(i + 1) * k];
        let bi = &b[i * k..(i + 1) * k];
        let xx = dot(&x[i * d..(i + 1) * d], &x[i * d..(i + 1) * d]);
        correlations(dict, ci, bi, &mut q);
        let mut run = RunControl::start(&opts.limits, &opts.stop)?;
        // Update coordinate j exactly; q ← q − Δ·G_j.
        let update = |j: usize, ci: &mut [f64], q: &mut [f64]| {
            let gjj = gram[j * k + j];
            let new = shrink(q[j] + gjj * ci[j], alpha, opts.nonneg) / gjj;
            let delta = new - ci[j];
            if delta != 0.0 {
                for (q, g) in q.iter_mut().zip(&gram[j * k..(j + 1) * k]) {
                    *q -= delta * g;
                }
                ci[j] = new;
            }
            delta.abs() * gjj.sqrt()
        };
        loop {
            // A full sweep, then sweeps over the support until it settles, then the gap.
            for j in 0..k {
                update(j, ci, &mut q);
            }
            run.advance();
            active.clear();
            active.extend((0..k).filter(|&j| ci[j] != 0.0));
            let mut inner = 0;
            while !active.is_empty() && inner < 1000 && !run.exhausted() {
                let mut biggest = 0.0f64;
                for &j in &active {
                    biggest = biggest.max(update(j, ci, &mut q));
                }
                run.advance();
                inner += 1;
                if biggest <= 1e-3 * tol.sqrt() * xx.sqrt().max(f64::MIN_POSITIVE) {
                    break;
                }
            }
            // Fresh correlations so rounding does not accumulate, then the gap.
            correlations(dict, ci, bi, &mut q);
            let (p, gap, _) = certificate(ci, bi, &q, xx, alpha, opts.nonneg);
            if gap <= tol * p.max(f64::MIN_POSITIVE) {
                run.finish(StopReason::Converged);
            }
            if !run.proceed() {
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::proximal::problem::{Convention, DenseMatrix, LeastSquares};
    use crate::proximal::prox::L1;
    use crate::proximal::solvers::{solve, Method, Options};
    use rand_distr::{Distribution, StandardNormal};

    fn random(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
        let mut rng = stream(seed, 0);
        (0..rows * cols).map(|_| <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)).collect()
    }

    fn unit_rows(mut v: Vec<f64>, cols: usize) -> Vec<f64> {
        for row in v.chunks_mut(cols) {
            let n = dot(row, row).sqrt();
            row.iter_mut().for_each(|x| *x /= n);
        }
        v
    }

    /// Every batched solver against the single-signal FISTA of the generic solver.
    #[test]
    fn batched_solvers_match_single_problem_fista() {
        let (k, d, m, alpha) = (24, 30, 13, 0.1);
        let dict = Dictionary::new(k, d, unit_rows(random(k, d, 1), d)).unwrap();
        let x = random(m, d, 2);
        let cd = encode(
            &dict,
            &x,
            m,
            alpha,
            &CodingOptions { chunk: 5, limits: RunLimits::steps(10_000).with_tol(1e-13), ..CodingOptions::default() },
        )
        .unwrap();
        let fista = encode(
            &dict,
            &x,
            m,
            alpha,
            &CodingOptions {
                solver: CodingSolver::Fista,
                limits: RunLimits::steps(3000).with_tol(1e-8),
                chunk: 4,
                precision: Precision::F64,
                ..CodingOptions::default()
            },
        )
        .unwrap();
        let lca = encode(
            &dict,
            &x,
            m,
            alpha,
            &CodingOptions { solver: CodingSolver::Lca, limits: RunLimits::steps(3000), ..CodingOptions::default() },
        )
        .unwrap();
        for i in 0..m {
            // Reference: the generic solver on ½‖x_i − Dᵀc‖² (Sp convention, operator Dᵀ).
            let mut cm = vec![0.0; d * k];
            for a in 0..k {
                for j in 0..d {
                    cm[a * d + j] = dict.data[a * d + j];
                }
            }
            let op = DenseMatrix::from_column_major(d, k, cm).unwrap();
            let f = LeastSquares::new(op, x[i * d..(i + 1) * d].to_vec(), Convention::Sp).unwrap();
            let r = solve(
                &f,
                &L1 { lambda: alpha },
                None,
                Method::Fista { restart: true },
                &Options {
                    limits: crate::engine::run::RunLimits::steps(100_000).with_tol(1e-14),
                    ..Options::default()
                },
            )
            .unwrap();
            for (name, codes) in [("cd", &cd), ("fista", &fista), ("lca", &lca)] {
                let rel = (codes.objectives[i] - r.objective) / r.objective;
                assert!(
                    rel.abs() <= 1e-9,
                    "{name}, row {i}: objective {} vs {} ({rel:.1e})",
                    codes.objectives[i],
                    r.objective
                );
            }
            // CD stops on the gap; FISTA and LCA run a fixed number of steps.
            assert!(cd.gaps[i] <= 1e-12 * r.objective, "cd, row {i}: gap {}", cd.gaps[i]);
        }
        // Rows are independent of the chunking and of the thread count.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let one = pool.install(|| {
            encode(
                &dict,
                &x,
                m,
                alpha,
                &CodingOptions {
                    solver: CodingSolver::Fista,
                    limits: RunLimits::steps(50).with_tol(1e-8),
                    chunk: 4,
                    ..CodingOptions::default()
                },
            )
            .unwrap()
        });
        let two = encode(
            &dict,
            &x,
            m,
            alpha,
            &CodingOptions {
                solver: CodingSolver::Fista,
                limits: RunLimits::steps(50).with_tol(1e-8),
                chunk: 4,
                ..CodingOptions::default()
            },
        )
        .unwrap();
        assert_eq!(one.codes, two.codes);
    }

    /// Single-precision products with a gap target: the double-precision finish makes every
    /// reported gap meet it, for signed and nonnegative codes; without a target, single
    /// precision stays within its rounding of the double-precision iterates.
    #[test]
    fn single_precision_fista_meets_the_gap_target() {
        let (k, d, m) = (48, 40, 37);
        let dict = Dictionary::new(k, d, unit_rows(random(k, d, 5), d)).unwrap();
        let x = random(m, d, 6);
        for nonneg in [false, true] {
            let opts = |precision, tol| CodingOptions {
                solver: CodingSolver::Fista,
                limits: RunLimits::steps(5000).with_tol(tol),
                nonneg,
                chunk: 8,
                precision,
                ..CodingOptions::default()
            };
            let reference =
                encode(&dict, &x, m, 0.05, &CodingOptions { solver: CodingSolver::Cd, ..opts(Precision::F64, 1e-13) })
                    .unwrap();
            for tol in [1e-4, 1e-7, 1e-10] {
                let r = encode(&dict, &x, m, 0.05, &opts(Precision::F32, tol)).unwrap();
                for i in 0..m {
                    assert!(
                        r.gaps[i] <= tol * r.objectives[i],
                        "nonneg {nonneg}, tol {tol}, row {i}: gap {}",
                        r.gaps[i]
                    );
                    // P_ref − gap_ref ≤ P* ≤ P and P − P* ≤ gap ≤ tol·P (up to rounding).
                    let (p, p_ref) = (r.objectives[i], reference.objectives[i]);
                    let low = p_ref - reference.gaps[i] - 1e-12 * p_ref;
                    assert!(low <= p && p <= p_ref + tol * p, "nonneg {nonneg}, tol {tol}, row {i}: {p} vs {p_ref}");
                }
                assert!(!nonneg || r.codes.iter().all(|&c| c >= 0.0));
            }
            let fixed = |precision| {
                encode(&dict, &x, m, 0.05, &CodingOptions { limits: RunLimits::steps(200), ..opts(precision, 0.0) })
                    .unwrap()
            };
            let (single, double) = (fixed(Precision::F32), fixed(Precision::F64));
            for i in 0..m {
                let rel = (single.objectives[i] - double.objectives[i]).abs() / double.objectives[i];
                assert!(
                    rel <= 1e-5,
                    "nonneg {nonneg}, row {i}: f32 {} vs f64 {}",
                    single.objectives[i],
                    double.objectives[i]
                );
            }
        }
    }

    #[test]
    fn gap_checks_are_scheduled_where_the_rate_predicts_the_target() {
        // A decade per 5 iterations from 1e-3 to 1e-6: 15 iterations, capped at CHECK_EVERY.
        let rate = 10f64.ln() / -5.0;
        assert_eq!(iterations_to_tol(1e-3, Some(rate), 1e-6), CHECK_EVERY);
        assert_eq!(iterations_to_tol(1e-5, Some(rate), 1e-6), 5);
        assert_eq!(iterations_to_tol(2e-6, Some(rate), 1e-6), 2);
        assert_eq!(iterations_to_tol(1e-5, None, 1e-6), CHECK_EVERY);
        assert_eq!(iterations_to_tol(1e-5, Some(0.1), 1e-6), CHECK_EVERY);
    }

    #[test]
    fn nonnegative_codes_are_nonnegative_and_optimal() {
        let (k, d, m) = (20, 16, 6);
        let dict = Dictionary::new(k, d, unit_rows(random(k, d, 3), d)).unwrap();
        let x = random(m, d, 4);
        let r = encode(
            &dict,
            &x,
            m,
            0.05,
            &CodingOptions {
                nonneg: true,
                limits: RunLimits::steps(10_000).with_tol(1e-12),
                ..CodingOptions::default()
            },
        )
        .unwrap();
        assert!(r.codes.iter().all(|&c| c >= 0.0));
        for i in 0..m {
            assert!(r.gaps[i] <= 1e-10 * r.objectives[i]);
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(Dictionary::new(2, 3, vec![0.0; 5]).is_err());
        assert!(Dictionary::new(2, 2, vec![1.0, 0.0, 0.0, 0.0]).unwrap_err().to_string().contains("atom 1"));
        let dict = Dictionary::new(2, 2, vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        assert!(encode(&dict, &[1.0, 2.0, 3.0], 2, 0.1, &CodingOptions::default()).is_err());
        assert!(encode(&dict, &[1.0, f64::NAN], 1, 0.1, &CodingOptions::default())
            .unwrap_err()
            .to_string()
            .contains("NaN"));
        assert!(encode(&dict, &[1.0, 2.0], 1, -0.1, &CodingOptions::default()).is_err());
    }
}
