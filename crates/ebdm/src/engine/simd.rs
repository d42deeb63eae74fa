//! Vector kernels shared by the families: reproducible dot products and `axpy` (one summation
//! order whatever the instruction set), and helpers for mixing faer's wide-vector kernels with
//! scalar maths from the C library.

/// Clears the upper halves of the vector registers after a faer matrix product.
///
/// faer's kernels use 256- and 512-bit instructions and can return with dirty upper register
/// state. Transcendental functions of the C library (`exp`, `tanh`, `pow`, …) are partly
/// compiled to legacy SSE encodings, and on many x86 processors each SSE instruction executed
/// with dirty upper state pays a transition penalty. Measured on an AVX-512 Xeon: the softmax
/// after a 64×256×1024 product ran about 20× slower, and the tanh/exp work of a Lagrangian
/// network about 4× slower, until the state was cleared (`vzeroupper`).
#[inline]
pub fn clear_upper_registers() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the instruction is available (checked above) and only clears register state.
        unsafe { std::arch::x86_64::_mm256_zeroupper() }
    }
}

/// Arguments below this give `exp` = 0 in [`softmax_in_place`] (e^−87 ≈ 1.6·10⁻³⁸, the edge of
/// the normal single-precision range).
const EXP_FLOOR: f32 = -87.0;

/// `e^a` for `a ∈ [−87, 0]` in single precision, within about 2 ulp: `a = n ln 2 + r` with
/// `|r| ≤ ln 2 / 2` (ln 2 split in two parts so that `r` is exact), `e^r` from the degree-7
/// minimax polynomial of the Cephes `expf`, and `2ⁿ` built from its exponent bits. Only
/// additions, multiplications and bit operations (no fused multiply-add), so the vector and
/// scalar code paths give identical results; written for the compiler to vectorise.
#[inline(always)]
fn exp_nonpositive(a: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5·2²³: adding it rounds to the nearest integer, which then sits in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    const P: [f32; 6] = [1.987_569_2e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5];
    let a = a.max(EXP_FLOOR);
    let big = a * LOG2E + ROUND;
    let n = big - ROUND;
    let r = (a - n * LN2_HI) - n * LN2_LO;
    let poly = ((((P[0] * r + P[1]) * r + P[2]) * r + P[3]) * r + P[4]) * r + P[5];
    let er = poly * (r * r) + r + 1.0;
    let ni = (big.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    er * f32::from_bits(((ni + 127) as u32) << 23)
}

/// Lanes of the partial sums in [`softmax_in_place`]; fixed, so that every path adds in the
/// same order.
const LANES: usize = 8;

#[inline(always)]
fn softmax_body(row: &mut [f32], beta: f32) {
    let mut lane_max = [f32::NEG_INFINITY; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for c in &mut chunks {
        for (m, &x) in lane_max.iter_mut().zip(c) {
            *m = if x > *m { x } else { *m };
        }
    }
    let mut m = lane_max.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    m = chunks.remainder().iter().copied().fold(m, f32::max);
    let mut lane_sum = [0f32; LANES];
    let mut chunks = row.chunks_exact_mut(LANES);
    for c in &mut chunks {
        for (s, x) in lane_sum.iter_mut().zip(c.iter_mut()) {
            let arg = beta * (*x - m);
            let e = exp_nonpositive(arg);
            *x = if arg < EXP_FLOOR { 0.0 } else { e };
            *s += *x;
        }
    }
    let mut total: f64 = lane_sum.iter().map(|&s| s as f64).sum();
    for x in chunks.into_remainder() {
        let arg = beta * (*x - m);
        *x = if arg < EXP_FLOOR { 0.0 } else { exp_nonpositive(arg) };
        total += *x as f64;
    }
    let inv = (1.0 / total) as f32;
    row.iter_mut().for_each(|x| *x *= inv);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn softmax_avx2(row: &mut [f32], beta: f32) {
    softmax_body(row, beta)
}

/// `row ← softmax(β·row)` in single precision with the row maximum shifted out, so that no
/// argument of the exponential is positive: `p_μ = e^{β(z_μ − max z)} / Σ_ν e^{β(z_ν − max z)}`.
/// The exponential is `exp_nonpositive` (about 2 ulp); the normalising sum is accumulated in
/// 8 fixed lanes and finished in double precision. The AVX2 path and the portable path give
/// bit-identical results. `β` must be positive and finite and the row finite and non-empty.
pub fn softmax_in_place(row: &mut [f32], beta: f32) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { softmax_avx2(row, beta) };
        return;
    }
    softmax_body(row, beta)
}

/// Dot product with eight independent accumulators, so that it vectorises without reordering
/// a single running sum; the order is fixed, so results are reproducible. The AVX2 path is the
/// same loop compiled for wider vectors (the same additions in the same order, no fused
/// multiply-adds), so both paths give the same bits.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { dot_avx2(a, b) };
    }
    dot_body(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(a: &[f64], b: &[f64]) -> f64 {
    dot_body(a, b)
}

#[inline(always)]
fn dot_body(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// `y += a·x` (AVX2 where available, with the same rounding).
#[inline]
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { axpy_avx2(a, x, y) };
        return;
    }
    axpy_body(a, x, y)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn axpy_avx2(a: f64, x: &[f64], y: &mut [f64]) {
    axpy_body(a, x, y)
}

#[inline(always)]
fn axpy_body(a: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_axpy_give_the_same_bits_on_every_path() {
        // Lengths around the 8-wide blocks, values of mixed magnitude.
        for n in [0usize, 1, 7, 8, 9, 31, 64, 101] {
            let a: Vec<f64> = (0..n).map(|i| ((i * 37 % 11) as f64 - 5.0) * 10f64.powi((i % 5) as i32 - 2)).collect();
            let b: Vec<f64> = (0..n).map(|i| ((i * 13 % 7) as f64 - 3.0) / 3.0).collect();
            let portable = dot_body(&a, &b);
            assert_eq!(dot(&a, &b).to_bits(), portable.to_bits());
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 checked just above.
                assert_eq!(unsafe { dot_avx2(&a, &b) }.to_bits(), portable.to_bits());
            }
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((portable - exact).abs() <= 1e-12 * (1.0 + exact.abs()));
            let mut y1 = b.clone();
            let mut y2 = b.clone();
            axpy(0.3, &a, &mut y1);
            axpy_body(0.3, &a, &mut y2);
            assert_eq!(y1, y2);
        }
    }

    #[test]
    fn exponential_is_accurate_to_a_few_ulp() {
        let mut worst = 0f64;
        let mut a = EXP_FLOOR;
        while a <= 0.0 {
            let want = (a as f64).exp();
            let got = exp_nonpositive(a) as f64;
            worst = worst.max(((got - want) / want).abs());
            a += 1.3e-4;
        }
        // 2 ulp of single precision is 2.4e-7 relative.
        assert!(worst < 2.4e-7, "worst relative error {worst:e}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
    }

    #[test]
    fn softmax_matches_double_precision_and_paths_agree() {
        for len in [1usize, 7, 8, 9, 100, 1024] {
            let row: Vec<f32> = (0..len).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.7).collect();
            for beta in [0.01f32, 0.2, 3.0, 200.0] {
                let mut fast = row.clone();
                softmax_in_place(&mut fast, beta);
                let mut portable = row.clone();
                softmax_body(&mut portable, beta);
                assert_eq!(fast, portable, "len {len} β {beta}");
                // The reference takes the same single-precision arguments β(z − max z): their
                // rounding (relative 6e-8 of |arg|) is part of any single-precision softmax.
                let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f64> = row.iter().map(|&x| ((beta * (x - m)) as f64).exp()).collect();
                let s: f64 = e.iter().sum();
                for (f, w) in fast.iter().zip(&e) {
                    let w = w / s;
                    assert!((*f as f64 - w).abs() <= 1e-6 * w + 1e-30, "len {len} β {beta}: {f} vs {w}");
                }
            }
        }
    }
}
