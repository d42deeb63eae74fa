//! Smooth data terms `f`, linear operators, and the certificates of composite problems
//! `min F(x) = f(x) + g(x)`: duality gap, KKT violation and fixed-point residual.
//!
//! Least-squares terms come in two explicitly named conventions (spec §1.1):
//!
//! - [`Convention::Ml`]: `f(w) = ‖y − Xw‖²/(2n)`, `∇f = Xᵀ(Xw − y)/n`, `λ_max = ‖Xᵀy‖_∞/n`
//!   (scikit-learn, glmnet, celer);
//! - [`Convention::Sp`]: `f(w) = ½‖y − Xw‖²`, `λ_max = ‖Xᵀy‖_∞`, so `λ_Sp = n·λ_Ml`
//!   (Rozell's LCA, Beck–Teboulle, SPAMS).
//!
//! The factor `n` appears only in [`LeastSquares::new`]; everything downstream sees the scale
//! `s` of `f = (s/2)‖y − Ax‖² + (ρ/2)‖x‖²`.

use crate::engine::simd::{axpy, dot};
use std::fmt;
use std::str::FromStr;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par, Side};

use super::fixture::SplitMix64;
use super::prox::Prox;
use crate::engine::simd::clear_upper_registers;
use crate::error::{Error, Result};

/// A linear operator `A: ℝᵖ → ℝⁿ` with its adjoint. Image and transform problems rarely have
/// an explicit matrix, so solvers take operators, not only dense matrices.
pub trait LinOp: Sync {
    /// `n`, the output dimension.
    fn rows(&self) -> usize;
    /// `p`, the input dimension.
    fn cols(&self) -> usize;
    /// `y = A x`.
    fn apply(&self, x: &[f64], y: &mut [f64]);
    /// `x = Aᵀ y`.
    fn apply_t(&self, y: &[f64], x: &mut [f64]);
    /// Column `j` of an explicit matrix (coordinate descent needs it); `None` for operators.
    fn column(&self, _j: usize) -> Option<&[f64]> {
        None
    }
    /// `r = Ax − y` and `g = Aᵀr`, the two products of a least-squares gradient. The default
    /// forms them one after the other; an operator that can form both in one pass over its
    /// entries overrides it.
    fn residual_and_adjoint(&self, x: &[f64], y: &[f64], r: &mut [f64], g: &mut [f64]) {
        self.apply(x, r);
        r.iter_mut().zip(y).for_each(|(r, y)| *r -= y);
        self.apply_t(r, g);
    }
}

/// A dense matrix's shape against its data, and every entry finite; `position(k)` gives the
/// (row, column) of the `k`-th stored entry for the error message.
fn check_entries(rows: usize, cols: usize, data: &[f64], position: impl Fn(usize) -> (usize, usize)) -> Result<()> {
    if rows == 0 || cols == 0 || data.len() != rows * cols {
        return Err(Error::Shape(format!("a {rows}×{cols} matrix needs {} entries, got {}", rows * cols, data.len())));
    }
    if let Some(k) = data.iter().position(|v| !v.is_finite()) {
        let (i, j) = position(k);
        return Err(Error::param("matrix", format!("entry ({i}, {j}) is {}", data[k])));
    }
    Ok(())
}

/// A dense `n × p` matrix stored column by column.
#[derive(Clone, Debug)]
pub struct DenseMatrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl DenseMatrix {
    /// From column-major data (`data[j·n + i] = A_ij`).
    pub fn from_column_major(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self> {
        check_entries(rows, cols, &data, |k| (k % rows, k / rows))?;
        Ok(Self { rows, cols, data })
    }

    /// From row-major data (`data[i·p + j] = A_ij`), as `.npy` files in C order store it.
    pub fn from_row_major(rows: usize, cols: usize, data: &[f64]) -> Result<Self> {
        if data.len() != rows * cols {
            return Err(Error::Shape(format!(
                "a {rows}×{cols} matrix needs {} entries, got {}",
                rows * cols,
                data.len()
            )));
        }
        // 8 × 8 tiles through registers; the ragged edges entry by entry.
        const T: usize = 8;
        let mut cm = vec![0.0; data.len()];
        let (full_r, full_c) = (rows / T * T, cols / T * T);
        for i0 in (0..full_r).step_by(T) {
            for j0 in (0..full_c).step_by(T) {
                let mut tile = [[0.0f64; T]; T];
                for (ii, t) in tile.iter_mut().enumerate() {
                    t.copy_from_slice(&data[(i0 + ii) * cols + j0..][..T]);
                }
                for jj in 0..T {
                    let dst = &mut cm[(j0 + jj) * rows + i0..][..T];
                    for ii in 0..T {
                        dst[ii] = tile[ii][jj];
                    }
                }
            }
        }
        for i in 0..rows {
            let from = if i < full_r { full_c } else { 0 };
            for j in from..cols {
                cm[j * rows + i] = data[i * cols + j];
            }
        }
        Self::from_column_major(rows, cols, cm)
    }

    pub fn from_mat(m: &Mat<f64>) -> Result<Self> {
        let (r, c) = (m.nrows(), m.ncols());
        let mut data = Vec::with_capacity(r * c);
        for j in 0..c {
            data.extend((0..r).map(|i| m[(i, j)]));
        }
        Self::from_column_major(r, c, data)
    }

    pub fn view(&self) -> MatRef<'_, f64> {
        MatRef::from_column_major_slice(&self.data, self.rows, self.cols)
    }

    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[j * self.rows + i]
    }

    /// The largest eigenvalue of `AᵀA` (= `‖A‖₂²`) from a dense symmetric eigensolver on the
    /// smaller of `AᵀA` and `AAᵀ`: exact to rounding, for tests and small problems.
    pub fn spectral_norm_sq(&self) -> Result<f64> {
        let a = self.view();
        let gram = if self.rows <= self.cols { a * a.transpose() } else { a.transpose() * a };
        clear_upper_registers();
        let eig = gram
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|e| Error::Numerical(format!("eigenvalues of the Gram matrix: {e:?}")))?;
        Ok(eig.iter().cloned().fold(0.0, f64::max))
    }

    /// Smallest and largest eigenvalues of `A_SᵀA_S` for the columns in `support`.
    pub fn support_gram_extremes(&self, support: &[usize]) -> Result<(f64, f64)> {
        let k = support.len();
        let mut g = Mat::<f64>::zeros(k, k);
        for (a, &i) in support.iter().enumerate() {
            for (b, &j) in support.iter().enumerate() {
                g[(a, b)] = dot(self.col(i), self.col(j));
            }
        }
        let eig = g
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|e| Error::Numerical(format!("eigenvalues of the support Gram matrix: {e:?}")))?;
        let lo = eig.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = eig.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        Ok((lo, hi))
    }

    fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.rows..(j + 1) * self.rows]
    }
}

impl LinOp for DenseMatrix {
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        // Iterates of sparse solvers are mostly zeros: sum only the columns they use.
        let nnz = x.iter().filter(|&&v| v != 0.0).count();
        if nnz * 4 < self.cols {
            y.fill(0.0);
            for (j, &xj) in x.iter().enumerate() {
                if xj != 0.0 {
                    axpy(xj, self.col(j), y);
                }
            }
            return;
        }
        let dst = MatMut::from_column_major_slice_mut(y, self.rows, 1);
        matmul(dst, Accum::Replace, self.view(), MatRef::from_column_major_slice(x, self.cols, 1), 1.0, Par::Seq);
        clear_upper_registers();
    }
    fn apply_t(&self, y: &[f64], x: &mut [f64]) {
        // Column-major storage: Aᵀy is one contiguous dot product per column.
        for (j, xj) in x.iter_mut().enumerate() {
            *xj = dot(self.col(j), y);
        }
    }
    fn column(&self, j: usize) -> Option<&[f64]> {
        Some(self.col(j))
    }
}

/// A dense `n × p` matrix borrowed in row-major order (`data[i·p + j] = A_ij`, the layout of a
/// C-ordered NumPy array), read in place.
///
/// Rows are contiguous, so the two products of a least-squares gradient share one pass over the
/// matrix: each row gives `r_i = a_iᵀx − y_i` and adds `r_i a_i` to `Aᵀr` while it is in cache
/// ([`LinOp::residual_and_adjoint`]). The rows are cut into at most [`ROW_BLOCKS`] fixed blocks
/// that run in parallel on the current rayon pool; each block sums into its own vector and the
/// blocks are added in order, so results do not depend on the number of threads.
#[derive(Clone, Copy, Debug)]
pub struct RowMajorView<'a> {
    rows: usize,
    cols: usize,
    data: &'a [f64],
}

/// The number of row blocks of [`RowMajorView`]'s products.
pub const ROW_BLOCKS: usize = 8;
/// The fewest rows in a block: smaller blocks cost more to schedule than they save.
const MIN_BLOCK_ROWS: usize = 32;

impl<'a> RowMajorView<'a> {
    /// Checks the shape and that every entry is finite.
    pub fn new(rows: usize, cols: usize, data: &'a [f64]) -> Result<Self> {
        check_entries(rows, cols, data, |k| (k / cols, k % cols))?;
        Ok(Self { rows, cols, data })
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    fn block_rows(&self) -> usize {
        self.rows.div_ceil(ROW_BLOCKS).max(MIN_BLOCK_ROWS)
    }

    /// One zeroed vector of `cols` per row block, for the blocks' partial sums.
    fn partials(&self) -> Vec<f64> {
        vec![0.0; self.rows.div_ceil(self.block_rows()) * self.cols]
    }

    /// `sum` ← the blocks' partial sums, added in block order.
    fn add_partials(&self, partial: &[f64], sum: &mut [f64]) {
        let mut parts = partial.chunks_exact(self.cols);
        sum.copy_from_slice(parts.next().unwrap_or(&[]));
        for part in parts {
            sum.iter_mut().zip(part).for_each(|(s, p)| *s += p);
        }
    }
}

impl LinOp for RowMajorView<'_> {
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        use rayon::prelude::*;
        let block = self.block_rows();
        y.par_chunks_mut(block).enumerate().for_each(|(b, ys)| {
            for (k, yi) in ys.iter_mut().enumerate() {
                *yi = dot(self.row(b * block + k), x);
            }
        });
    }
    fn apply_t(&self, y: &[f64], x: &mut [f64]) {
        use rayon::prelude::*;
        let block = self.block_rows();
        let mut partial = self.partials();
        partial.par_chunks_mut(self.cols).zip(y.par_chunks(block)).enumerate().for_each(|(b, (acc, ys))| {
            for (k, &yi) in ys.iter().enumerate() {
                axpy(yi, self.row(b * block + k), acc);
            }
        });
        self.add_partials(&partial, x);
    }
    fn residual_and_adjoint(&self, x: &[f64], y: &[f64], r: &mut [f64], g: &mut [f64]) {
        use rayon::prelude::*;
        let block = self.block_rows();
        let mut partial = self.partials();
        partial.par_chunks_mut(self.cols).zip(r.par_chunks_mut(block)).enumerate().for_each(|(b, (acc, rs))| {
            let first = b * block;
            let data = &self.data[first * self.cols..(first + rs.len()) * self.cols];
            fused_rows(data, x, &y[first..first + rs.len()], rs, acc);
        });
        self.add_partials(&partial, g);
    }
}

/// For the rows `a_i` of `data` (row-major, `x.len()` columns): `r_i = a_iᵀx − y_i` and
/// `acc += Σ r_i a_i`, four rows at a time (one load of `x` and of `acc` serves four rows).
/// Each row's dot product is summed as [`dot`] sums it and the four updates of an entry of
/// `acc` are added in row order, as four [`axpy`] calls would: the bits do not depend on the
/// grouping, nor on the AVX2 path.
fn fused_rows(data: &[f64], x: &[f64], y: &[f64], r: &mut [f64], acc: &mut [f64]) {
    let p = x.len();
    assert!(acc.len() == p && y.len() == r.len() && data.len() == r.len() * p, "fused_rows: inconsistent lengths");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above); the lengths are checked above.
        unsafe { fused_rows_avx2(data, x, y, r, acc) };
        return;
    }
    fused_rows_body(data, x, y, r, acc)
}

/// [`fused_rows_body`] written with AVX2 vectors: lanes 0–3 and 4–7 of [`dot`]'s eight
/// accumulators are two vectors, products and sums stay separate (no fused multiply-add), so
/// the bits are those of the portable loop.
///
/// # Safety
/// The CPU must support AVX2, `acc.len() == x.len()`, `y.len() == r.len()` and
/// `data.len() == r.len() · x.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fused_rows_avx2(data: &[f64], x: &[f64], y: &[f64], r: &mut [f64], acc: &mut [f64]) {
    use std::arch::x86_64::*;
    let p = x.len();
    let (eights, fours) = (p / 8 * 8, p / 4 * 4);
    let mut i = 0;
    let mut quads = data.chunks_exact(4 * p);
    for quad in quads.by_ref() {
        let rows = [&quad[..p], &quad[p..2 * p], &quad[2 * p..3 * p], &quad[3 * p..]];
        let mut lo = [_mm256_setzero_pd(); 4];
        let mut hi = [_mm256_setzero_pd(); 4];
        let mut j = 0;
        while j < eights {
            let xl = _mm256_loadu_pd(x.as_ptr().add(j));
            let xh = _mm256_loadu_pd(x.as_ptr().add(j + 4));
            for k in 0..4 {
                let a = rows[k].as_ptr().add(j);
                lo[k] = _mm256_add_pd(lo[k], _mm256_mul_pd(_mm256_loadu_pd(a), xl));
                hi[k] = _mm256_add_pd(hi[k], _mm256_mul_pd(_mm256_loadu_pd(a.add(4)), xh));
            }
            j += 8;
        }
        let mut c = [0.0f64; 4];
        for k in 0..4 {
            let mut t = [0.0f64; 4];
            _mm256_storeu_pd(t.as_mut_ptr(), _mm256_add_pd(lo[k], hi[k]));
            let mut s = (t[0] + t[1]) + (t[2] + t[3]);
            for (v, xv) in rows[k][eights..].iter().zip(&x[eights..]) {
                s += v * xv;
            }
            c[k] = s - y[i + k];
        }
        r[i..i + 4].copy_from_slice(&c);
        let cv = [_mm256_set1_pd(c[0]), _mm256_set1_pd(c[1]), _mm256_set1_pd(c[2]), _mm256_set1_pd(c[3])];
        let mut j = 0;
        while j < fours {
            let mut s = _mm256_loadu_pd(acc.as_ptr().add(j));
            for k in 0..4 {
                s = _mm256_add_pd(s, _mm256_mul_pd(cv[k], _mm256_loadu_pd(rows[k].as_ptr().add(j))));
            }
            _mm256_storeu_pd(acc.as_mut_ptr().add(j), s);
            j += 4;
        }
        for j in fours..p {
            acc[j] = (((acc[j] + c[0] * rows[0][j]) + c[1] * rows[1][j]) + c[2] * rows[2][j]) + c[3] * rows[3][j];
        }
        i += 4;
    }
    for row in quads.remainder().chunks_exact(p) {
        r[i] = dot(row, x) - y[i];
        axpy(r[i], row, acc);
        i += 1;
    }
}

/// The portable path: one [`dot`] and one [`axpy`] per row, which is what the AVX2 path's
/// grouping by four adds up to, bit for bit.
fn fused_rows_body(data: &[f64], x: &[f64], y: &[f64], r: &mut [f64], acc: &mut [f64]) {
    for ((row, ri), yi) in data.chunks_exact(x.len()).zip(r.iter_mut()).zip(y) {
        *ri = dot(row, x) - yi;
        axpy(*ri, row, acc);
    }
}

/// An operator given by two closures `x ↦ Ax` and `y ↦ Aᵀy`.
pub struct FnOp<F, G> {
    rows: usize,
    cols: usize,
    forward: F,
    adjoint: G,
}

impl<F, G> FnOp<F, G>
where
    F: Fn(&[f64], &mut [f64]) + Sync,
    G: Fn(&[f64], &mut [f64]) + Sync,
{
    pub fn new(rows: usize, cols: usize, forward: F, adjoint: G) -> Self {
        Self { rows, cols, forward, adjoint }
    }
}

impl<F, G> LinOp for FnOp<F, G>
where
    F: Fn(&[f64], &mut [f64]) + Sync,
    G: Fn(&[f64], &mut [f64]) + Sync,
{
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        (self.forward)(x, y)
    }
    fn apply_t(&self, y: &[f64], x: &mut [f64]) {
        (self.adjoint)(y, x)
    }
}

/// A differentiable convex function with a Lipschitz gradient.
pub trait Smooth: Sync {
    fn dim(&self) -> usize;
    /// `f(x)`. `work` is scratch space the implementation may resize.
    fn value(&self, x: &[f64], work: &mut Vec<f64>) -> f64;
    /// Writes `∇f(x)` into `grad` and returns `f(x)`.
    fn value_grad(&self, x: &[f64], grad: &mut [f64], work: &mut Vec<f64>) -> f64;
    /// A Lipschitz constant `L` of `∇f`.
    fn lipschitz(&self) -> f64;
    /// `L` if it is already known, without computing it.
    fn known_lipschitz(&self) -> Option<f64> {
        Some(self.lipschitz())
    }
    /// The strong-convexity modulus `μ` when known (0 otherwise).
    fn strong_convexity(&self) -> f64 {
        0.0
    }
    /// The duality gap of `f + g` at `x` when `f` and `g` have a closed-form dual; `None`
    /// otherwise.
    fn duality_gap(&self, _x: &[f64], _g: &dyn Prox, _work: &mut Vec<f64>) -> Option<f64> {
        None
    }
    /// The end-of-solve [`Certificates`] of `f + g` at `x`; `gamma` is the step of the
    /// fixed-point residual.
    fn certificates(&self, x: &[f64], g: &dyn Prox, gamma: f64) -> Certificates {
        let mut work = Vec::new();
        let mut grad = vec![0.0; x.len()];
        self.value_grad(x, &mut grad, &mut work);
        let objective = self.value(x, &mut work) + g.value(x);
        let gap = self.duality_gap(x, g, &mut work);
        Certificates::from_gradient(g, x, &grad, objective, gap, gamma)
    }
}

/// What a solver reports about its final point: the objective `f + g`, the duality gap (when
/// `f` and `g` have a closed-form dual), the KKT violation `dist_∞(−∇f(x), ∂g(x))` (when `g`
/// can measure it) and the fixed-point residual `‖x − prox_{γg}(x − γ∇f(x))‖₂/γ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Certificates {
    pub objective: f64,
    pub gap: Option<f64>,
    pub kkt: Option<f64>,
    pub residual: f64,
}

impl Certificates {
    /// The KKT violation and the fixed-point residual from `∇f(x)`; objective and gap as given.
    pub fn from_gradient(g: &dyn Prox, x: &[f64], grad: &[f64], objective: f64, gap: Option<f64>, gamma: f64) -> Self {
        let neg: Vec<f64> = grad.iter().map(|v| -v).collect();
        Self {
            objective,
            gap,
            kkt: g.subgradient_distance(x, &neg),
            residual: residual_from_gradient(g, x, grad, gamma),
        }
    }
}

/// The least-squares conventions of spec §1.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// `‖y − Xw‖²/(2n)` (scikit-learn, glmnet, celer).
    Ml,
    /// `½‖y − Xw‖²` (LCA, Beck–Teboulle, SPAMS).
    Sp,
}

impl Convention {
    /// The scale `s` of `(s/2)‖y − Xw‖²` for `n` samples.
    pub fn scale(self, n: usize) -> f64 {
        match self {
            Convention::Ml => 1.0 / n as f64,
            Convention::Sp => 1.0,
        }
    }
}

impl FromStr for Convention {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "ml" => Ok(Convention::Ml),
            "sp" => Ok(Convention::Sp),
            _ => Err(Error::param("convention", format!("`{s}` is not one of ml, sp"))),
        }
    }
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Convention::Ml => "ml",
            Convention::Sp => "sp",
        })
    }
}

/// Power iteration for `‖A‖₂²` (the largest eigenvalue of `AᵀA`): at most `max_iter`
/// iterations, stopped when the estimate changes by less than `rtol` relative. Starts from a
/// fixed SplitMix64 vector, so the estimate is reproducible.
pub fn power_iteration<A: LinOp + ?Sized>(a: &A, max_iter: usize, rtol: f64) -> f64 {
    let (n, p) = (a.rows(), a.cols());
    let mut rng = SplitMix64::new(0x5eed);
    let mut v: Vec<f64> = (0..p).map(|_| rng.unit_variance()).collect();
    let mut av = vec![0.0; n];
    let mut estimate = 0.0;
    for _ in 0..max_iter {
        let norm = dot(&v, &v).sqrt();
        if norm == 0.0 {
            return 0.0;
        }
        v.iter_mut().for_each(|x| *x /= norm);
        a.apply(&v, &mut av);
        a.apply_t(&av, &mut v);
        let next = dot(&av, &av);
        let done = (next - estimate).abs() <= rtol * next;
        estimate = next;
        if done {
            break;
        }
    }
    estimate
}

/// The safety factor applied to a power-iteration estimate of `L` (spec §3.2).
pub const LIPSCHITZ_SAFETY: f64 = 1.02;

/// `f(x) = (s/2)‖y − Ax‖² + (ρ/2)‖x‖²`: a least-squares data term in a named convention, with
/// an optional ridge part `ρ` (which makes `f` `ρ`-strongly convex).
pub struct LeastSquares<A> {
    a: A,
    y: Vec<f64>,
    convention: Convention,
    scale: f64,
    ridge: f64,
    /// `‖A‖₂²`, estimated on first use unless given.
    norm_sq: std::sync::OnceLock<f64>,
}

impl<A: LinOp> LeastSquares<A> {
    /// `‖A‖₂²` is estimated by power iteration (200 iterations, relative change 1e-6) times
    /// 1.02 when first needed (solvers that take no gradient step, such as coordinate descent,
    /// never need it), unless given by [`Self::with_norm_sq`].
    pub fn new(a: A, y: Vec<f64>, convention: Convention) -> Result<Self> {
        if y.len() != a.rows() {
            return Err(Error::Shape(format!("the operator has {} rows but y has {} entries", a.rows(), y.len())));
        }
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(Error::param("y", format!("entry {i} is {}", y[i])));
        }
        let scale = convention.scale(a.rows());
        Ok(Self { a, y, convention, scale, ridge: 0.0, norm_sq: std::sync::OnceLock::new() })
    }

    /// Uses a known `‖A‖₂²` instead of the power-iteration estimate.
    pub fn with_norm_sq(mut self, norm_sq: f64) -> Result<Self> {
        if !(norm_sq.is_finite() && norm_sq > 0.0) {
            return Err(Error::param("norm_sq", format!("‖A‖² must be finite and > 0, got {norm_sq}")));
        }
        self.norm_sq = std::sync::OnceLock::from(norm_sq);
        Ok(self)
    }

    /// Adds `(ρ/2)‖x‖²` to `f`.
    pub fn with_ridge(mut self, ridge: f64) -> Result<Self> {
        if !(ridge.is_finite() && ridge >= 0.0) {
            return Err(Error::param("ridge", format!("must be finite and ≥ 0, got {ridge}")));
        }
        self.ridge = ridge;
        Ok(self)
    }

    pub fn operator(&self) -> &A {
        &self.a
    }

    pub fn targets(&self) -> &[f64] {
        &self.y
    }

    pub fn convention(&self) -> Convention {
        self.convention
    }

    /// The scale `s` (1/n or 1).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    pub fn ridge(&self) -> f64 {
        self.ridge
    }

    pub fn norm_sq(&self) -> f64 {
        *self.norm_sq.get_or_init(|| LIPSCHITZ_SAFETY * power_iteration(&self.a, 200, 1e-6))
    }

    /// `λ_max = s‖Aᵀy‖_∞`: the smallest ℓ1 weight for which `x = 0` is optimal (without ridge).
    pub fn lambda_max(&self) -> f64 {
        self.correlation(&self.y).iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }

    /// `s·Aᵀv`.
    pub fn correlation(&self, v: &[f64]) -> Vec<f64> {
        let mut c = vec![0.0; self.a.cols()];
        self.a.apply_t(v, &mut c);
        c.iter_mut().for_each(|c| *c *= self.scale);
        c
    }

    /// The residual `r = y − Ax`.
    pub fn residual(&self, x: &[f64]) -> Vec<f64> {
        let mut r = vec![0.0; self.a.rows()];
        self.a.apply(x, &mut r);
        r.iter_mut().zip(&self.y).for_each(|(r, y)| *r = y - *r);
        r
    }

    /// The duality gap from a given residual `r = y − Ax` (spec §3.4, generalised to any
    /// gauge penalty with a ridge part): the dual point `θ = α r` with
    /// `α = min(1, 1/g₁°(sAᵀr − ρx))` and
    /// `D = s(‖y‖² − ‖y − αr‖²)/2 − α²(ρ/2)‖x‖²`.
    pub fn gap_from_residual(&self, x: &[f64], r: &[f64], g: &dyn Prox) -> Option<f64> {
        self.gap_from_correlation(x, r, self.correlation(r), g)
    }

    /// [`Self::gap_from_residual`] with the correlations `c = sAᵀr` already computed.
    fn gap_from_correlation(&self, x: &[f64], r: &[f64], c: Vec<f64>, g: &dyn Prox) -> Option<f64> {
        let rho = self.ridge + g.ridge();
        let mut u = c;
        u.iter_mut().zip(x).for_each(|(u, x)| *u -= rho * x);
        let polar = g.polar(&u)?;
        let alpha = if polar > 1.0 { 1.0 / polar } else { 1.0 };
        let xx = dot(x, x);
        let primal = 0.5 * self.scale * dot(r, r) + g.value(x) + 0.5 * self.ridge * xx;
        let yy = dot(&self.y, &self.y);
        let dist: f64 = self.y.iter().zip(r).map(|(y, r)| (y - alpha * r).powi(2)).sum();
        let dual = 0.5 * self.scale * (yy - dist) - 0.5 * alpha * alpha * rho * xx;
        Some(primal - dual)
    }
}

impl<A: LinOp> Smooth for LeastSquares<A> {
    fn dim(&self) -> usize {
        self.a.cols()
    }
    fn value(&self, x: &[f64], work: &mut Vec<f64>) -> f64 {
        work.resize(self.a.rows(), 0.0);
        self.a.apply(x, work);
        let rr: f64 = work.iter().zip(&self.y).map(|(ax, y)| (y - ax) * (y - ax)).sum();
        0.5 * self.scale * rr + 0.5 * self.ridge * dot(x, x)
    }
    fn value_grad(&self, x: &[f64], grad: &mut [f64], work: &mut Vec<f64>) -> f64 {
        work.resize(self.a.rows(), 0.0);
        // work ← Ax − y, grad ← Aᵀ(Ax − y).
        self.a.residual_and_adjoint(x, &self.y, work, grad);
        let rr = dot(work, work);
        if self.ridge > 0.0 {
            grad.iter_mut().zip(x).for_each(|(g, x)| *g = self.scale * *g + self.ridge * x);
            0.5 * self.scale * rr + 0.5 * self.ridge * dot(x, x)
        } else {
            grad.iter_mut().for_each(|g| *g *= self.scale);
            0.5 * self.scale * rr
        }
    }
    fn lipschitz(&self) -> f64 {
        self.scale * self.norm_sq() + self.ridge
    }
    fn known_lipschitz(&self) -> Option<f64> {
        self.norm_sq.get().map(|n| self.scale * n + self.ridge)
    }
    fn strong_convexity(&self) -> f64 {
        self.ridge
    }
    /// One product `Ax` and one `Aᵀr` for all four certificates (the generic form needs four
    /// and three), with the same rounding as [`Smooth::value`] and [`Smooth::value_grad`].
    fn certificates(&self, x: &[f64], g: &dyn Prox, gamma: f64) -> Certificates {
        let r = self.residual(x);
        let rr: f64 = r.iter().map(|r| r * r).sum();
        let objective = 0.5 * self.scale * rr + 0.5 * self.ridge * dot(x, x) + g.value(x);
        let c = self.correlation(&r);
        // ∇f = −sAᵀr + ρx.
        let grad: Vec<f64> = c.iter().zip(x).map(|(c, x)| self.ridge * x - c).collect();
        let gap = self.gap_from_correlation(x, &r, c, g);
        Certificates::from_gradient(g, x, &grad, objective, gap, gamma)
    }
    fn duality_gap(&self, x: &[f64], g: &dyn Prox, _work: &mut Vec<f64>) -> Option<f64> {
        let r = self.residual(x);
        self.gap_from_residual(x, &r, g)
    }
}

/// `f(x) = ½xᵀWx − cᵀx` with `W` symmetric positive semidefinite.
#[derive(Clone, Debug)]
pub struct Quadratic {
    w: Mat<f64>,
    c: Vec<f64>,
    lo: f64,
    hi: f64,
}

impl Quadratic {
    pub fn new(w: Mat<f64>, c: Vec<f64>) -> Result<Self> {
        let n = w.nrows();
        if w.ncols() != n || c.len() != n || n == 0 {
            return Err(Error::Shape(format!("W is {}×{} and c has {} entries", w.nrows(), w.ncols(), c.len())));
        }
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (w[(i, j)], w[(j, i)]);
                if !a.is_finite() || (a - b).abs() > 1e-10 * (a.abs() + b.abs()).max(1.0) {
                    return Err(Error::param(
                        "W",
                        format!("must be finite and symmetric; W[{i},{j}] = {a}, W[{j},{i}] = {b}"),
                    ));
                }
            }
        }
        let eig = w
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|e| Error::Numerical(format!("eigenvalues of W: {e:?}")))?;
        let lo = eig.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = eig.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        if lo < -1e-10 * hi.abs().max(1.0) {
            return Err(Error::param("W", format!("must be positive semidefinite; smallest eigenvalue {lo}")));
        }
        Ok(Self { w, c, lo: lo.max(0.0), hi })
    }

    pub fn matrix(&self) -> &Mat<f64> {
        &self.w
    }
}

impl Smooth for Quadratic {
    fn dim(&self) -> usize {
        self.c.len()
    }
    fn value(&self, x: &[f64], work: &mut Vec<f64>) -> f64 {
        let mut g = vec![0.0; x.len()];
        self.value_grad(x, &mut g, work)
    }
    fn value_grad(&self, x: &[f64], grad: &mut [f64], _work: &mut Vec<f64>) -> f64 {
        let dst = MatMut::from_column_major_slice_mut(grad, x.len(), 1);
        matmul(dst, Accum::Replace, self.w.as_ref(), MatRef::from_column_major_slice(x, x.len(), 1), 1.0, Par::Seq);
        clear_upper_registers();
        let quad = 0.5 * dot(x, grad);
        grad.iter_mut().zip(&self.c).for_each(|(g, c)| *g -= c);
        quad - dot(&self.c, x)
    }
    fn lipschitz(&self) -> f64 {
        self.hi
    }
    fn strong_convexity(&self) -> f64 {
        self.lo
    }
}

/// The fixed-point residual `‖x − prox_{γg}(x − γ∇f(x))‖₂/γ`, zero exactly at minimisers.
pub fn fixed_point_residual<F: Smooth + ?Sized, G: Prox + ?Sized>(f: &F, g: &G, x: &[f64], gamma: f64) -> f64 {
    let mut grad = vec![0.0; x.len()];
    let mut work = Vec::new();
    f.value_grad(x, &mut grad, &mut work);
    residual_from_gradient(g, x, &grad, gamma)
}

/// [`fixed_point_residual`] from `∇f(x)`.
fn residual_from_gradient<G: Prox + ?Sized>(g: &G, x: &[f64], grad: &[f64], gamma: f64) -> f64 {
    let v: Vec<f64> = x.iter().zip(grad).map(|(x, g)| x - gamma * g).collect();
    let mut p = vec![0.0; x.len()];
    g.prox(&v, gamma, &mut p);
    x.iter().zip(&p).map(|(x, p)| (x - p).powi(2)).sum::<f64>().sqrt() / gamma
}

/// The KKT violation `dist_∞(−∇f(x), ∂g(x))` when `g` can measure it.
pub fn kkt_violation<F: Smooth + ?Sized, G: Prox + ?Sized>(f: &F, g: &G, x: &[f64]) -> Option<f64> {
    let mut grad = vec![0.0; x.len()];
    let mut work = Vec::new();
    f.value_grad(x, &mut grad, &mut work);
    grad.iter_mut().for_each(|v| *v = -*v);
    g.subgradient_distance(x, &grad)
}

/// Checks that every entry of `data` is finite, naming the first that is not.
pub fn check_all_finite(name: &'static str, data: &[f64]) -> Result<()> {
    match data.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::param(name, format!("entry {i} is {}", data[i]))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proximal::prox::{ElasticNet, L1Nonneg, L1};

    /// The one-pass certificates of a least-squares term equal the generic ones (value,
    /// gradient and gap each computed on its own), bit for bit, with and without a ridge part.
    #[test]
    fn least_squares_certificates_match_the_generic_computation() {
        let (n, p) = (7, 11);
        let data: Vec<f64> = (0..n * p).map(|i| ((i * 37 % 23) as f64 - 11.0) / 7.0).collect();
        let y: Vec<f64> = (0..n).map(|i| (i as f64 - 3.0) * 0.9).collect();
        let x: Vec<f64> = (0..p).map(|j| if j % 3 == 0 { 0.0 } else { (j as f64 - 5.0) * 0.1 }).collect();
        let nonneg: Vec<f64> = x.iter().map(|v| v.abs()).collect();
        for convention in [Convention::Ml, Convention::Sp] {
            let f =
                LeastSquares::new(DenseMatrix::from_row_major(n, p, &data).unwrap(), y.clone(), convention).unwrap();
            let penalties: [(Box<dyn Prox>, &[f64]); 3] = [
                (Box::new(L1::new(0.3).unwrap()), &x),
                (Box::new(ElasticNet::new(0.3, 0.2).unwrap()), &x),
                (Box::new(L1Nonneg::new(0.3).unwrap()), &nonneg),
            ];
            for (g, point) in &penalties {
                let fast = f.certificates(point, g.as_ref(), 0.05);
                let mut work = Vec::new();
                let generic = Certificates {
                    objective: f.value(point, &mut work) + g.value(point),
                    gap: f.duality_gap(point, g.as_ref(), &mut work),
                    kkt: kkt_violation(&f, g.as_ref(), point),
                    residual: fixed_point_residual(&f, g.as_ref(), point, 0.05),
                };
                assert_eq!(fast, generic, "{convention:?}");
                assert!(fast.gap.unwrap() > 0.0 && fast.kkt.unwrap() > 0.0, "a point that is not optimal");
            }
        }
    }

    fn sample(n: usize, p: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = SplitMix64::new(seed);
        let mut draw = |count: usize| (0..count).map(|_| rng.uniform() * 2.0 - 1.0).collect::<Vec<f64>>();
        (draw(n * p), draw(n), draw(p))
    }

    fn in_pool<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(work)
    }

    /// The borrowed row-major view computes the products of the column-major copy (to
    /// rounding: another summation order), including the fused residual and adjoint, on shapes
    /// with one block, several blocks and a ragged last block.
    #[test]
    fn row_major_view_products_match_the_dense_matrix() {
        for (n, p) in [(5, 3), (70, 9), (333, 41)] {
            let (data, y, x) = sample(n, p, 7 + n as u64);
            let view = RowMajorView::new(n, p, &data).unwrap();
            let dense = DenseMatrix::from_row_major(n, p, &data).unwrap();
            let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| (a - b).abs() <= 1e-12 * (1.0 + b.abs()));
            let (mut av, mut ad) = (vec![0.0; n], vec![0.0; n]);
            view.apply(&x, &mut av);
            dense.apply(&x, &mut ad);
            assert!(close(&av, &ad), "Ax, {n}×{p}");
            let (mut tv, mut td) = (vec![0.0; p], vec![0.0; p]);
            view.apply_t(&y, &mut tv);
            dense.apply_t(&y, &mut td);
            assert!(close(&tv, &td), "Aᵀy, {n}×{p}");
            let (mut rv, mut gv, mut rd, mut gd) = (vec![0.0; n], vec![0.0; p], vec![0.0; n], vec![0.0; p]);
            view.residual_and_adjoint(&x, &y, &mut rv, &mut gv);
            dense.residual_and_adjoint(&x, &y, &mut rd, &mut gd);
            assert!(close(&rv, &rd) && close(&gv, &gd), "Aᵀ(Ax − y), {n}×{p}");
        }
    }

    /// Blocks are fixed by the shape, not by the pool: the same bits on 1, 2 and 3 threads.
    #[test]
    fn row_major_view_is_independent_of_the_thread_count() {
        let (n, p) = (517, 23);
        let (data, y, x) = sample(n, p, 3);
        let view = RowMajorView::new(n, p, &data).unwrap();
        let run = |threads| {
            in_pool(threads, || {
                let (mut r, mut g, mut t) = (vec![0.0; n], vec![0.0; p], vec![0.0; p]);
                view.residual_and_adjoint(&x, &y, &mut r, &mut g);
                view.apply_t(&y, &mut t);
                (r, g, t)
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
    }

    /// A non-finite entry is named by its row and column; a wrong length is a shape error.
    #[test]
    fn row_major_view_rejects_bad_input() {
        let mut data = vec![1.0; 6];
        data[4] = f64::NAN;
        let e = RowMajorView::new(2, 3, &data).unwrap_err().to_string();
        assert!(e.contains("(1, 1)"), "{e}");
        assert!(RowMajorView::new(2, 4, &[1.0; 6]).is_err());
        assert!(RowMajorView::new(0, 3, &[]).is_err());
    }

    /// Grouping rows by four changes no bit: the fused kernel equals one `dot` and one `axpy`
    /// per row, on the AVX2 path and on the portable one, for row counts around the groups.
    #[test]
    fn fused_rows_equal_a_dot_and_an_axpy_per_row() {
        for (n, p) in [(1, 5), (4, 8), (7, 19), (9, 64)] {
            let (data, y, x) = sample(n, p, 11 + n as u64);
            let (mut r_ref, mut g_ref) = (vec![0.0; n], vec![0.5; p]);
            for i in 0..n {
                let row = &data[i * p..(i + 1) * p];
                r_ref[i] = dot(row, &x) - y[i];
                axpy(r_ref[i], row, &mut g_ref);
            }
            let (mut r, mut g) = (vec![0.0; n], vec![0.5; p]);
            fused_rows(&data, &x, &y, &mut r, &mut g);
            assert_eq!((&r, &g), (&r_ref, &g_ref), "{n}×{p}");
            let (mut r, mut g) = (vec![0.0; n], vec![0.5; p]);
            fused_rows_body(&data, &x, &y, &mut r, &mut g);
            assert_eq!((&r, &g), (&r_ref, &g_ref), "portable, {n}×{p}");
        }
    }

    /// The tiled transpose of row-major data is exact on every shape, with and without ragged
    /// edges around the 8 × 8 tiles.
    #[test]
    fn row_major_data_is_transposed_exactly() {
        for (n, p) in [(1, 1), (5, 3), (8, 8), (9, 17), (16, 8), (23, 40)] {
            let data: Vec<f64> = (0..n * p).map(|k| k as f64 * 0.5 - 3.0).collect();
            let m = DenseMatrix::from_row_major(n, p, &data).unwrap();
            for i in 0..n {
                for j in 0..p {
                    assert_eq!(m.get(i, j), data[i * p + j], "({i}, {j}) of {n}×{p}");
                }
            }
        }
    }
}
