//! Batched block-Gibbs kernels on matrix products, in single or double precision.
//!
//! A minibatch or a set of chains is a row-major `rows × n` (visible) or `rows × m` (hidden)
//! matrix. Pre-activations are `X = VW` and `Y = HWᵀ`, computed with faer's GEMM on fixed blocks
//! of rows (sequential kernels, blocks in parallel): the block boundaries depend only on the
//! shape, so the numbers do not depend on the thread count. Bernoulli draws are `u < p` with
//! uniforms from one stream per fixed block of rows, keyed by a caller-given path under the
//! seed.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rand::Rng;
use rayon::prelude::*;

use super::math::{sigmoid, sigmoid_f32};
use crate::engine::rng::{stream_path, Rng64};
use crate::engine::simd::clear_upper_registers;

/// Rows per block of the samplers' random streams.
const SAMPLE_ROWS: usize = 16;

pub use crate::engine::Precision;

/// Scalar of the batched kernels.
pub trait Real:
    faer::traits::ComplexField
    + Copy
    + Send
    + Sync
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + 'static
{
    fn of(x: f64) -> Self;
    fn to(self) -> f64;
    fn logistic(self) -> Self;
    fn uniform(rng: &mut Rng64) -> Self;
}

impl Real for f32 {
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn to(self) -> f64 {
        self as f64
    }
    #[inline]
    fn logistic(self) -> Self {
        sigmoid_f32(self)
    }
    #[inline]
    fn uniform(rng: &mut Rng64) -> Self {
        rng.random::<f32>()
    }
}

impl Real for f64 {
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn to(self) -> f64 {
        self
    }
    #[inline]
    fn logistic(self) -> Self {
        sigmoid(self)
    }
    #[inline]
    fn uniform(rng: &mut Rng64) -> Self {
        rng.random::<f64>()
    }
}

/// Rows per GEMM block for an output of `rows` rows: a function of the shape only.
fn block_rows(rows: usize) -> usize {
    rows.div_ceil(8).max(16)
}

/// `out (rows × cols) = A B` with `A` `rows × k` and `B` `k × cols`, on fixed row blocks.
pub fn gemm<T: Real>(out: &mut [T], cols: usize, a: MatRef<'_, T>, b: MatRef<'_, T>) {
    let rows = a.nrows();
    debug_assert_eq!(out.len(), rows * cols);
    if rows == 0 || cols == 0 {
        return;
    }
    let br = block_rows(rows);
    out.par_chunks_mut(br * cols).enumerate().for_each(|(blk, o)| {
        let r = o.len() / cols;
        matmul(
            MatMut::from_row_major_slice_mut(o, r, cols),
            Accum::Replace,
            a.subrows(blk * br, r),
            b,
            T::of(1.0),
            Par::Seq,
        );
        clear_upper_registers();
    });
}

/// Rows per block of [`gemm_col_major`]: large enough that packing `A` stays a small part of
/// each block's work (blocks of 256 rows ran faster than 64 or 128, and than one whole call).
const BLOCK_ROWS_COL_MAJOR: usize = 256;

/// `out = A B` with all three column-major (`out` is `rows × cols`, `cols = b.ncols()`), on
/// row blocks of fixed size, each a sequential product: the bits do not depend on the thread
/// count.
pub fn gemm_col_major<T: Real>(out: &mut [T], a: MatRef<'_, T>, b: MatRef<'_, T>) {
    let (rows, cols) = (a.nrows(), b.ncols());
    debug_assert_eq!(out.len(), rows * cols);
    if rows == 0 || cols == 0 {
        return;
    }
    let br = BLOCK_ROWS_COL_MAJOR;
    let mut rest = MatMut::from_column_major_slice_mut(out, rows, cols);
    let mut blocks = Vec::with_capacity(rows.div_ceil(br));
    let mut start = 0;
    while rest.nrows() > 0 {
        let r = br.min(rest.nrows());
        let (top, bottom) = rest.split_at_row_mut(r);
        blocks.push((start, top));
        start += r;
        rest = bottom;
    }
    let block = |(start, dst): (usize, MatMut<'_, T>)| {
        let r = dst.nrows();
        matmul(dst, Accum::Replace, a.subrows(start, r), b, T::of(1.0), Par::Seq);
        clear_upper_registers();
    };
    if blocks.len() == 1 {
        // One block: no hand-off to the pool (it costs more than a small product).
        blocks.into_iter().for_each(block);
    } else {
        blocks.into_par_iter().for_each(block);
    }
}

/// Plain RBM parameters in the kernel precision.
#[derive(Clone, Debug)]
pub struct Kernel<T> {
    pub n: usize,
    pub m: usize,
    /// `n × m` row-major.
    pub w: Vec<T>,
    pub b: Vec<T>,
    pub c: Vec<T>,
}

impl<T: Real> Kernel<T> {
    /// Converts double-precision parameters.
    pub fn new(n: usize, m: usize, w: &[f64], b: &[f64], c: &[f64]) -> Self {
        Self {
            n,
            m,
            w: w.iter().map(|&x| T::of(x)).collect(),
            b: b.iter().map(|&x| T::of(x)).collect(),
            c: c.iter().map(|&x| T::of(x)).collect(),
        }
    }

    /// `X = VW` (`rows × m`, no bias).
    pub fn hidden_pre(&self, v: &[T], x: &mut [T]) {
        let rows = v.len() / self.n;
        gemm(
            x,
            self.m,
            MatRef::from_row_major_slice(v, rows, self.n),
            MatRef::from_row_major_slice(&self.w, self.n, self.m),
        );
    }

    /// `Y = HWᵀ` (`rows × n`, no bias).
    pub fn visible_pre(&self, h: &[T], y: &mut [T]) {
        let rows = h.len() / self.m;
        gemm(
            y,
            self.n,
            MatRef::from_row_major_slice(h, rows, self.m),
            MatRef::from_row_major_slice(&self.w, self.n, self.m).transpose(),
        );
    }
}

/// For every row `r` of `pre` (width `bias.len()`): `p = σ(β_r (pre + bias))`, written to
/// `prob` when given, and the Bernoulli state `u < p` written to `state` when given. `beta`
/// gives one inverse temperature per row (1 when `None`). Block `k` of 16 rows draws from stream
/// `(seed, path ++ [k])`.
pub fn sample_rows<T: Real>(
    pre: &[T],
    bias: &[T],
    beta: Option<&[f64]>,
    prob: Option<&mut [T]>,
    state: Option<&mut [T]>,
    seed: u64,
    path: &[u64],
) {
    let width = bias.len();
    let rows = pre.len() / width;
    let chunk = SAMPLE_ROWS * width;
    let one = T::of(1.0);
    let zero = T::of(0.0);
    let work = |blk: usize, pre: &[T], prob: Option<&mut [T]>, state: Option<&mut [T]>| {
        let mut rng = state.as_ref().map(|_| {
            let mut p = path.to_vec();
            p.push(blk as u64);
            stream_path(seed, &p)
        });
        let r0 = blk * SAMPLE_ROWS;
        let nrows = pre.len() / width;
        let mut prob = prob;
        let mut state = state;
        for r in 0..nrows {
            let bt = beta.map(|b| T::of(b[r0 + r]));
            for j in 0..width {
                let mut a = pre[r * width + j] + bias[j];
                if let Some(bt) = bt {
                    a = bt * a;
                }
                let p = a.logistic();
                if let Some(pr) = prob.as_deref_mut() {
                    pr[r * width + j] = p;
                }
                if let (Some(st), Some(rng)) = (state.as_deref_mut(), rng.as_mut()) {
                    st[r * width + j] = if T::uniform(rng) < p { one } else { zero };
                }
            }
        }
    };
    let _ = rows;
    match (prob, state) {
        (Some(pr), Some(st)) => pre
            .par_chunks(chunk)
            .zip(pr.par_chunks_mut(chunk))
            .zip(st.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(k, ((a, p), s))| work(k, a, Some(p), Some(s))),
        (Some(pr), None) => pre
            .par_chunks(chunk)
            .zip(pr.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(k, (a, p))| work(k, a, Some(p), None)),
        (None, Some(st)) => pre
            .par_chunks(chunk)
            .zip(st.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(k, (a, s))| work(k, a, None, Some(s))),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_gemm_matches_a_naive_product_and_sampling_is_thread_independent() {
        let (r, k, c) = (37, 11, 9);
        let a: Vec<f64> = (0..r * k).map(|i| ((i * 7) % 13) as f64 - 6.0).collect();
        let b: Vec<f64> = (0..k * c).map(|i| ((i * 5) % 11) as f64 - 5.0).collect();
        let mut out = vec![0.0; r * c];
        gemm(&mut out, c, MatRef::from_row_major_slice(&a, r, k), MatRef::from_row_major_slice(&b, k, c));
        for i in 0..r {
            for j in 0..c {
                let s: f64 = (0..k).map(|t| a[i * k + t] * b[t * c + j]).sum();
                assert_eq!(out[i * c + j], s);
            }
        }
        let pre: Vec<f32> = (0..40 * 7).map(|i| ((i % 9) as f32 - 4.0) * 0.5).collect();
        let bias = vec![0.1f32; 7];
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let mut s = vec![0f32; pre.len()];
                let mut p = vec![0f32; pre.len()];
                sample_rows(&pre, &bias, None, Some(&mut p), Some(&mut s), 5, &[1, 2]);
                (s, p)
            })
        };
        let (s1, p1) = run(1);
        let (s3, p3) = run(3);
        assert_eq!(s1, s3);
        assert_eq!(p1, p3);
        assert!((p1[0] - sigmoid_f32(-4.0 * 0.5 + 0.1)).abs() < 1e-7);
    }
}
