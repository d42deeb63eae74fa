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

use super::problem::{check_all_finite, dot};
use super::prox::soft;
use crate::engine::run::StopFlag;
use crate::engine::simd::clear_upper_registers;
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
    /// Iterations (FISTA, LCA) or the epoch budget per row (CD).
    pub iterations: usize,
    /// Relative duality gap per row: CD's stopping rule, and FISTA's early exit when > 0
    /// (0 runs FISTA for exactly `iterations`).
    pub tol: f64,
    /// LCA Euler step `h = dt/τ`.
    pub h: f64,
    /// Only nonnegative codes.
    pub nonneg: bool,
    /// Rows per parallel chunk.
    pub chunk: usize,
    pub stop: StopFlag,
}

impl Default for CodingOptions {
    fn default() -> Self {
        Self {
            solver: CodingSolver::Cd,
            iterations: 10_000,
            tol: 1e-8,
            h: 1.0,
            nonneg: false,
            chunk: 256,
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
        Ok(Self { atoms, dim, data, gram, lipschitz })
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
    if opts.iterations == 0 || !(opts.tol.is_finite() && opts.tol >= 0.0) {
        return Err(Error::param("iterations / tol", "need iterations ≥ 1 and tol ≥ 0"));
    }
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
                return true;
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
                CodingSolver::Fista => fista_chunk(dict, x, &b, c, nr, alpha, opts),
                CodingSolver::Lca => lca_chunk(dict, &b, c, nr, alpha, opts),
                CodingSolver::Cd => cd_chunk(dict, x, &b, c, nr, alpha, opts),
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
            opts.stop.is_raised()
        })
        .collect();
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

/// Batched FISTA; with `tol > 0` it stops early once every row's relative duality gap is
/// below `tol` (checked every 10 iterations, in double precision).
fn fista_chunk(dict: &Dictionary, x: &[f64], b: &[f64], c: &mut [f64], nr: usize, alpha: f64, opts: &CodingOptions) {
    let (k, d) = (dict.atoms, dict.dim);
    let xx: Vec<f64> = (0..nr).map(|i| dot(&x[i * d..(i + 1) * d], &x[i * d..(i + 1) * d])).collect();
    let mut q = vec![0.0; k];
    let gamma = 1.0 / dict.lipschitz;
    let mut y = c.to_vec();
    let mut prev = c.to_vec();
    let mut grad = vec![0.0; nr * k];
    let mut t = vec![1.0f64; nr];
    for it in 0..opts.iterations {
        if opts.stop.is_raised() {
            break;
        }
        if opts.tol > 0.0 && it > 0 && it % 10 == 0 {
            // q = B − CG for the whole chunk in one GEMM.
            batch_gradient(dict, c, b, &mut grad, nr);
            let worst = (0..nr)
                .map(|i| {
                    let (ci, bi) = (&c[i * k..(i + 1) * k], &b[i * k..(i + 1) * k]);
                    q.iter_mut().zip(&grad[i * k..(i + 1) * k]).for_each(|(q, g)| *q = -g);
                    let (p, gap, _) = certificate(ci, bi, &q, xx[i], alpha, opts.nonneg);
                    gap / p.max(f64::MIN_POSITIVE)
                })
                .fold(0.0f64, f64::max);
            if worst <= opts.tol {
                break;
            }
        }
        batch_gradient(dict, &y, b, &mut grad, nr);
        prev.copy_from_slice(c);
        for (i, ti) in t.iter_mut().enumerate() {
            let rows = i * k..(i + 1) * k;
            let (yi, gi, ci, pi) = (&mut y[rows.clone()], &grad[rows.clone()], &mut c[rows.clone()], &prev[rows]);
            let mut restart = 0.0;
            for j in 0..k {
                ci[j] = shrink(yi[j] - gamma * gi[j], gamma * alpha, opts.nonneg);
                restart += (yi[j] - ci[j]) * (ci[j] - pi[j]);
            }
            if restart > 0.0 {
                *ti = 1.0;
                yi.copy_from_slice(ci);
            } else {
                let t_next = 0.5 * (1.0 + (1.0 + 4.0 * *ti * *ti).sqrt());
                let beta = (*ti - 1.0) / t_next;
                for j in 0..k {
                    yi[j] = ci[j] + beta * (ci[j] - pi[j]);
                }
                *ti = t_next;
            }
        }
    }
}

fn lca_chunk(dict: &Dictionary, b: &[f64], c: &mut [f64], nr: usize, alpha: f64, opts: &CodingOptions) {
    let k = dict.atoms;
    let (gamma, h) = (1.0 / dict.lipschitz, opts.h);
    let mut u = c.to_vec();
    let mut grad = vec![0.0; nr * k];
    for (a, u) in c.iter_mut().zip(&u) {
        *a = shrink(*u, gamma * alpha, opts.nonneg);
    }
    for _ in 0..opts.iterations {
        if opts.stop.is_raised() {
            break;
        }
        batch_gradient(dict, c, b, &mut grad, nr);
        for ((u, a), g) in u.iter_mut().zip(c.iter_mut()).zip(&grad) {
            // τu̇ = −u + a − γ∇f(a), then a = T(u).
            *u += h * (-*u + *a - gamma * g);
            *a = shrink(*u, gamma * alpha, opts.nonneg);
        }
    }
}

fn cd_chunk(dict: &Dictionary, x: &[f64], b: &[f64], c: &mut [f64], nr: usize, alpha: f64, opts: &CodingOptions) {
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
        let mut epochs = 0;
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
            epochs += 1;
            active.clear();
            active.extend((0..k).filter(|&j| ci[j] != 0.0));
            let mut inner = 0;
            while !active.is_empty() && inner < 1000 && epochs < opts.iterations {
                let mut biggest = 0.0f64;
                for &j in &active {
                    biggest = biggest.max(update(j, ci, &mut q));
                }
                epochs += 1;
                inner += 1;
                if biggest <= 1e-3 * opts.tol.sqrt() * xx.sqrt().max(f64::MIN_POSITIVE) {
                    break;
                }
            }
            // Fresh correlations so rounding does not accumulate, then the gap.
            correlations(dict, ci, bi, &mut q);
            let (p, gap, _) = certificate(ci, bi, &q, xx, alpha, opts.nonneg);
            if gap <= opts.tol * p.max(f64::MIN_POSITIVE) || epochs >= opts.iterations {
                break;
            }
        }
    }
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
        let cd =
            encode(&dict, &x, m, alpha, &CodingOptions { chunk: 5, tol: 1e-13, ..CodingOptions::default() }).unwrap();
        let fista = encode(
            &dict,
            &x,
            m,
            alpha,
            &CodingOptions {
                solver: CodingSolver::Fista,
                iterations: 3000,
                tol: 0.0,
                chunk: 4,
                ..CodingOptions::default()
            },
        )
        .unwrap();
        let lca = encode(
            &dict,
            &x,
            m,
            alpha,
            &CodingOptions { solver: CodingSolver::Lca, iterations: 3000, ..CodingOptions::default() },
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
                &Options { tol: 1e-14, max_iter: 100_000, ..Options::default() },
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
                &CodingOptions { solver: CodingSolver::Fista, iterations: 50, chunk: 4, ..CodingOptions::default() },
            )
            .unwrap()
        });
        let two = encode(
            &dict,
            &x,
            m,
            alpha,
            &CodingOptions { solver: CodingSolver::Fista, iterations: 50, chunk: 4, ..CodingOptions::default() },
        )
        .unwrap();
        assert_eq!(one.codes, two.codes);
    }

    #[test]
    fn nonnegative_codes_are_nonnegative_and_optimal() {
        let (k, d, m) = (20, 16, 6);
        let dict = Dictionary::new(k, d, unit_rows(random(k, d, 3), d)).unwrap();
        let x = random(m, d, 4);
        let r = encode(&dict, &x, m, 0.05, &CodingOptions { nonneg: true, tol: 1e-12, ..CodingOptions::default() })
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
