//! Single-query (B = 1) kernels of the modern Hopfield update: the scores z = Ξq and the mixture
//! Ξᵀp, as matrix-vector products that stream the patterns once.
//!
//! Patterns are read as single-precision floats or as an exact byte copy of integer patterns;
//! the two give bit-identical results. For ±1 patterns stored in a network, CPUs with AVX-512
//! use table kernels on sign nibbles instead ([`SignNibbles`]): a lookup of precomputed signed
//! sums replaces four products, about four times faster. They sum in another order, so their
//! results agree with the others to rounding, not bit for bit; on a given CPU they are
//! deterministic.

/// Pattern storage the single-query kernels read: single precision, or bytes holding small
/// integers exactly. Both give the same values, so the kernels give bit-identical results.
pub(crate) trait PatternValue: Copy + Sync {
    fn value(self) -> f32;
    /// Eight consecutive values as a vector.
    #[cfg(target_arch = "x86_64")]
    #[doc(hidden)]
    unsafe fn load8(ptr: *const Self) -> std::arch::x86_64::__m256;
}

impl PatternValue for f32 {
    #[inline(always)]
    fn value(self) -> f32 {
        self
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn load8(ptr: *const f32) -> std::arch::x86_64::__m256 {
        // SAFETY: the caller guarantees 8 readable values at `ptr`.
        unsafe { std::arch::x86_64::_mm256_loadu_ps(ptr) }
    }
}

impl PatternValue for i8 {
    #[inline(always)]
    fn value(self) -> f32 {
        f32::from(self)
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn load8(ptr: *const i8) -> std::arch::x86_64::__m256 {
        use std::arch::x86_64::*;
        // SAFETY: the caller guarantees 8 readable bytes at `ptr` (AVX2 enabled by the caller).
        unsafe { _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(ptr.cast()))) }
    }
}

/// `z_μ = ξ^μ · q` for one query (ξ: rows of width n). On the AVX2 path each row is summed in
/// 8 lanes with fused multiply-adds, four rows at a time, the lanes then added in a fixed order.
pub(crate) fn scores_one<T: PatternValue>(xi: &[T], n: usize, q: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        unsafe { x86::scores_one(xi, n, q, out) };
        return;
    }
    for (o, row) in out.iter_mut().zip(xi.chunks_exact(n)) {
        *o = row.iter().zip(q).map(|(&x, &qi)| x.value() * qi).sum();
    }
}

/// `out = Σ_μ p_μ ξ^μ` for one query (ξ: rows of width n), each component summed over μ in order
/// with fused multiply-adds on the AVX2 path: the order of the general product's kernels, so a
/// query alone and the same query in a batch agree to rounding. (The general product spends
/// most of its time on set-up in this matrix-vector case.)
pub(crate) fn mix_one<T: PatternValue>(xi: &[T], n: usize, p: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        unsafe { x86::mix_one(xi, n, p, out) };
        return;
    }
    out.iter_mut().for_each(|o| *o = 0.0);
    for (row, &pm) in xi.chunks_exact(n).zip(p) {
        for (o, &x) in out.iter_mut().zip(row) {
            *o += pm * x.value();
        }
    }
}

/// AVX2 + FMA kernels for one query.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::PatternValue;
    use std::arch::x86_64::*;

    /// The sum of the 8 lanes in a fixed order.
    #[inline(always)]
    pub(super) unsafe fn lane_sum(v: __m256) -> f32 {
        let mut l = [0f32; 8];
        // SAFETY: `l` holds 8 values.
        unsafe { _mm256_storeu_ps(l.as_mut_ptr(), v) };
        ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
    }

    /// See [`super::scores_one`].
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn scores_one<T: PatternValue>(xi: &[T], n: usize, q: &[f32], out: &mut [f32]) {
        let vectors = n - n % 8;
        let qp = q.as_ptr();
        let tail = |row: &[T]| -> f32 {
            row[vectors..].iter().zip(&q[vectors..]).fold(0.0, |s, (&x, &qi)| x.value().mul_add(qi, s))
        };
        let mut groups = xi.chunks_exact(4 * n);
        let mut outs = out.chunks_exact_mut(4);
        for (group, o) in (&mut groups).zip(&mut outs) {
            let r = [group.as_ptr(), group[n..].as_ptr(), group[2 * n..].as_ptr(), group[3 * n..].as_ptr()];
            let mut acc = [_mm256_setzero_ps(); 4];
            let mut at = 0;
            while at < vectors {
                // SAFETY: at + 8 ≤ n: inside q and inside every row of the group.
                unsafe {
                    let qv = _mm256_loadu_ps(qp.add(at));
                    for (a, &rp) in acc.iter_mut().zip(&r) {
                        *a = _mm256_fmadd_ps(T::load8(rp.add(at)), qv, *a);
                    }
                }
                at += 8;
            }
            for (j, (oj, a)) in o.iter_mut().zip(acc).enumerate() {
                // SAFETY: a plain lane store.
                *oj = unsafe { lane_sum(a) } + tail(&group[j * n..(j + 1) * n]);
            }
        }
        for (row, o) in groups.remainder().chunks_exact(n).zip(outs.into_remainder()) {
            let mut a = _mm256_setzero_ps();
            let mut at = 0;
            while at < vectors {
                // SAFETY: at + 8 ≤ n = row.len() = q.len().
                unsafe { a = _mm256_fmadd_ps(T::load8(row.as_ptr().add(at)), _mm256_loadu_ps(qp.add(at)), a) };
                at += 8;
            }
            // SAFETY: a plain lane store.
            *o = unsafe { lane_sum(a) } + tail(row);
        }
    }

    /// See [`super::mix_one`]. Four rows at a time are added into `out`, which stays in the
    /// first-level cache, while the rows stream in order.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn mix_one<T: PatternValue>(xi: &[T], n: usize, p: &[f32], out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        let vectors = n - n % 8;
        let op = out.as_mut_ptr();
        let mut groups = xi.chunks_exact(4 * n);
        let mut weights = p.chunks_exact(4);
        for (group, w) in (&mut groups).zip(&mut weights) {
            let (r0, r1, r2, r3) =
                (group.as_ptr(), group[n..].as_ptr(), group[2 * n..].as_ptr(), group[3 * n..].as_ptr());
            let (w0, w1, w2, w3) =
                (_mm256_set1_ps(w[0]), _mm256_set1_ps(w[1]), _mm256_set1_ps(w[2]), _mm256_set1_ps(w[3]));
            let mut at = 0;
            while at < vectors {
                // SAFETY: at + 8 ≤ n: inside every row of the group and inside `out` (length n).
                unsafe {
                    let mut o = _mm256_loadu_ps(op.add(at));
                    o = _mm256_fmadd_ps(w0, T::load8(r0.add(at)), o);
                    o = _mm256_fmadd_ps(w1, T::load8(r1.add(at)), o);
                    o = _mm256_fmadd_ps(w2, T::load8(r2.add(at)), o);
                    o = _mm256_fmadd_ps(w3, T::load8(r3.add(at)), o);
                    _mm256_storeu_ps(op.add(at), o);
                }
                at += 8;
            }
            for c in vectors..n {
                let mut o = out[c];
                for (r, &wr) in w.iter().enumerate() {
                    o = wr.mul_add(group[r * n + c].value(), o);
                }
                out[c] = o;
            }
        }
        for (row, &pm) in groups.remainder().chunks_exact(n).zip(weights.remainder()) {
            let w = _mm256_set1_ps(pm);
            let mut at = 0;
            while at < vectors {
                // SAFETY: at + 8 ≤ n = row.len() = out.len().
                unsafe {
                    let o = _mm256_fmadd_ps(w, T::load8(row.as_ptr().add(at)), _mm256_loadu_ps(op.add(at)));
                    _mm256_storeu_ps(op.add(at), o);
                }
                at += 8;
            }
            for c in vectors..n {
                out[c] = pm.mul_add(row[c].value(), out[c]);
            }
        }
    }
}

/// Sign nibbles of ±1 patterns σ (K×N), read by the AVX-512 table kernels.
///
/// A score is z_μ = Σ_g T_g[s_μg]: g runs over groups of four columns, s_μg ∈ 0..16 holds the
/// signs of row μ on group g (bit j set: σ_μ,4g+j = −1), and the table
/// T_g[s] = ((±q_4g ± q_4g+1) ± q_4g+2) ± q_4g+3 lists the 16 signed sums of q on the group.
/// The mixture Σ_μ p_μ σ_μ is the same with rows and columns exchanged. A lookup in a 16-entry
/// table is one lane permutation of a 512-bit register, so four products cost one permutation
/// and one add. Padding rows and columns have σ = +1 and weight 0.
#[derive(Clone, Debug)]
pub(crate) struct SignNibbles {
    k: usize,
    n: usize,
    /// ⌈N/8⌉: bytes of a row, each holding two groups of columns (the first in the low nibble).
    col_bytes: usize,
    /// ⌈K/8⌉: bytes of a column, likewise over rows.
    row_bytes: usize,
    /// Score indices in blocks of 16 rows: byte 16(b·col_bytes + t) + r holds the signs of row
    /// 16b + r on columns 8t..8t+8 (bit j: column 8t + j).
    by_rows: Vec<u8>,
    /// Mixture indices in blocks of 16 columns: byte 16(c·row_bytes + t) + i holds the signs of
    /// column 16c + i on rows 8t..8t+8 (bit j: row 8t + j).
    by_cols: Vec<u8>,
}

impl SignNibbles {
    /// The sign nibbles of `patterns` (K×N row-major), or `None` unless every value is exactly
    /// ±1 and this CPU runs the table kernels.
    pub(crate) fn new(patterns: &[f32], k: usize, n: usize) -> Option<Self> {
        if !table_kernels_available() {
            return None;
        }
        Self::build(patterns, k, n)
    }

    /// As [`Self::new`], whatever the CPU.
    fn build(patterns: &[f32], k: usize, n: usize) -> Option<Self> {
        if !patterns.iter().all(|&x| x == 1.0 || x == -1.0) {
            return None;
        }
        let (col_bytes, row_bytes) = (n.div_ceil(8), k.div_ceil(8));
        let mut by_rows = vec![0u8; k.div_ceil(16) * col_bytes * 16];
        let mut by_cols = vec![0u8; n.div_ceil(16) * row_bytes * 16];
        for (mu, row) in patterns.chunks_exact(n).enumerate() {
            for (i, _) in row.iter().enumerate().filter(|(_, &x)| x < 0.0) {
                by_rows[16 * ((mu / 16) * col_bytes + i / 8) + mu % 16] |= 1 << (i % 8);
                by_cols[16 * ((i / 16) * row_bytes + mu / 8) + i % 16] |= 1 << (mu % 8);
            }
        }
        Some(Self { k, n, col_bytes, row_bytes, by_rows, by_cols })
    }
}

/// Whether this CPU runs the table kernels.
fn table_kernels_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The storages of one pattern matrix (K×N): floats, and when the patterns allow them, the exact
/// byte copy and the sign nibbles.
#[derive(Clone, Copy)]
pub(crate) struct PatternViews<'a> {
    pub xi: &'a [f32],
    pub xi8: Option<&'a [i8]>,
    pub nibbles: Option<&'a SignNibbles>,
    pub n: usize,
}

impl<'a> PatternViews<'a> {
    /// Single-precision patterns alone (K×N row-major, rows of width `n`).
    pub(crate) fn floats(xi: &'a [f32], n: usize) -> Self {
        Self { xi, xi8: None, nibbles: None, n }
    }

    /// `out_μ = ξ^μ · q` with the fastest kernel the storages and the CPU allow.
    pub(crate) fn scores(&self, q: &[f32], out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = self.nibbles {
            // SAFETY: nibbles exist only where the CPU has AVX-512F (`SignNibbles::new`).
            unsafe { x86_512::scores(s, q, out) };
            return;
        }
        match self.xi8 {
            Some(xi8) => scores_one(xi8, self.n, q, out),
            None => scores_one(self.xi, self.n, q, out),
        }
    }

    /// `out = Σ_μ p_μ ξ^μ` with the fastest kernel the storages and the CPU allow.
    pub(crate) fn mix(&self, p: &[f32], out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = self.nibbles {
            // SAFETY: as in `scores`.
            unsafe { x86_512::mix(s, p, out) };
            return;
        }
        match self.xi8 {
            Some(xi8) => mix_one(xi8, self.n, p, out),
            None => mix_one(self.xi, self.n, p, out),
        }
    }
}

/// AVX-512 table kernels on sign nibbles (see [`SignNibbles`]).
#[cfg(target_arch = "x86_64")]
mod x86_512 {
    use super::SignNibbles;
    use std::arch::x86_64::*;

    /// The tables T_g[s] (16 values per group) of `v`, zero past its end, for `groups` groups of
    /// four: lane s adds the four values with the signs of the bits of s, left to right.
    #[target_feature(enable = "avx512f")]
    unsafe fn tables(v: &[f32], groups: usize) -> Vec<f32> {
        let lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let one = _mm512_set1_epi32(1);
        let flip = |j: u32| {
            _mm512_slli_epi32::<31>(_mm512_and_epi32(_mm512_srlv_epi32(lane, _mm512_set1_epi32(j as i32)), one))
        };
        let flips = [flip(0), flip(1), flip(2), flip(3)];
        let mut out = vec![0f32; 16 * groups];
        for (g, t) in out.chunks_exact_mut(16).enumerate() {
            let term = |j: usize| {
                let x = _mm512_castps_si512(_mm512_set1_ps(v.get(4 * g + j).copied().unwrap_or(0.0)));
                _mm512_castsi512_ps(_mm512_xor_epi32(x, flips[j]))
            };
            let sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(term(0), term(1)), term(2)), term(3));
            // SAFETY: `t` holds 16 values.
            unsafe { _mm512_storeu_ps(t.as_mut_ptr(), sum) };
        }
        out
    }

    /// Adds the lookups of one index byte vector (16 lanes, two groups) in tables `t0`, `t1`.
    ///
    /// # Safety
    /// The CPU must have AVX-512F.
    #[inline(always)]
    unsafe fn lookup2(acc: __m512, idx: __m128i, t0: __m512, t1: __m512) -> __m512 {
        // SAFETY: AVX-512F (the caller's contract).
        unsafe {
            let idx = _mm512_cvtepu8_epi32(idx);
            let acc = _mm512_add_ps(acc, _mm512_permutexvar_ps(idx, t0));
            _mm512_add_ps(acc, _mm512_permutexvar_ps(_mm512_srli_epi32::<4>(idx), t1))
        }
    }

    /// Stores the lanes of `v` that fall inside `out`, from `out[at]`.
    ///
    /// # Safety
    /// The CPU must have AVX-512F.
    #[inline(always)]
    unsafe fn store(out: &mut [f32], at: usize, v: __m512) {
        let lanes = (out.len() - at).min(16);
        // SAFETY: lanes at..at+lanes lie inside `out`; AVX-512F (the caller's contract).
        unsafe { _mm512_mask_storeu_ps(out.as_mut_ptr().add(at), ((1u32 << lanes) - 1) as u16, v) };
    }

    /// Scores of every row: the tables of q, looked up with the row nibbles.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn scores(s: &SignNibbles, q: &[f32], out: &mut [f32]) {
        assert!(q.len() == s.n && out.len() == s.k);
        // SAFETY: AVX-512F is enabled here.
        unsafe { table_sums(&s.by_rows, s.col_bytes, &tables(q, 2 * s.col_bytes), out) };
    }

    /// The mixture: the tables of p, looked up with the column nibbles.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn mix(s: &SignNibbles, p: &[f32], out: &mut [f32]) {
        assert!(p.len() == s.k && out.len() == s.n);
        // SAFETY: AVX-512F is enabled here.
        unsafe { table_sums(&s.by_cols, s.row_bytes, &tables(p, 2 * s.row_bytes), out) };
    }

    /// `out[16b + l] = Σ_j (t_2j[lo] + t_2j+1[hi])`, summed in order of j, where lo and hi are
    /// the nibbles of index byte 16(b·bytes + j) + l. Up to sixteen blocks of 16 outputs stay in
    /// registers while their index bytes stream.
    #[target_feature(enable = "avx512f")]
    unsafe fn table_sums(idx: &[u8], bytes: usize, t: &[f32], out: &mut [f32]) {
        let blocks = out.len().div_ceil(16);
        assert!(idx.len() >= 16 * blocks * bytes && t.len() == 32 * bytes);
        let mut b = 0;
        while b + 16 <= blocks {
            sum_blocks::<16>(idx, bytes, t, b, out);
            b += 16;
        }
        if blocks - b >= 8 {
            sum_blocks::<8>(idx, bytes, t, b, out);
            b += 8;
        }
        if blocks - b >= 4 {
            sum_blocks::<4>(idx, bytes, t, b, out);
            b += 4;
        }
        if blocks - b >= 2 {
            sum_blocks::<2>(idx, bytes, t, b, out);
            b += 2;
        }
        if blocks - b >= 1 {
            sum_blocks::<1>(idx, bytes, t, b, out);
        }
    }

    /// Blocks `first .. first + B` of [`table_sums`].
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn sum_blocks<const B: usize>(idx: &[u8], bytes: usize, t: &[f32], first: usize, out: &mut [f32]) {
        let idx = &idx[16 * first * bytes..16 * (first + B) * bytes];
        let mut acc = [_mm512_setzero_ps(); B];
        for (j, tj) in t.chunks_exact(32).enumerate() {
            // SAFETY: `tj` holds 32 values; every block's 16 index bytes lie inside `idx`.
            unsafe {
                let (t0, t1) = (_mm512_loadu_ps(tj.as_ptr()), _mm512_loadu_ps(tj.as_ptr().add(16)));
                for (c, a) in acc.iter_mut().enumerate() {
                    let i = _mm_loadu_si128(idx.as_ptr().add(16 * (c * bytes + j)).cast());
                    *a = lookup2(*a, i, t0, t1);
                }
            }
        }
        for (c, a) in acc.into_iter().enumerate() {
            // SAFETY: AVX-512F is enabled here.
            unsafe { store(out, 16 * (first + c), a) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use rand::Rng;

    fn bipolar(k: usize, n: usize, seed: u64) -> Vec<f32> {
        let mut rng = stream(seed, 0);
        (0..k * n).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect()
    }

    /// The tables of [`SignNibbles`] written out: entry s of group g is
    /// ((±v_4g ± v_4g+1) ± v_4g+2) ± v_4g+3, minus where bit j of s is set.
    fn tables(v: &[f32], groups: usize) -> Vec<[f32; 16]> {
        (0..groups)
            .map(|g| {
                let x = |j: usize| v.get(4 * g + j).copied().unwrap_or(0.0);
                std::array::from_fn(|s| {
                    let t = |j: usize| if s >> j & 1 == 1 { -x(j) } else { x(j) };
                    ((t(0) + t(1)) + t(2)) + t(3)
                })
            })
            .collect()
    }

    /// The table algorithm in plain code: `count` sums over the index bytes laid out as
    /// [`SignNibbles`] does, group after group.
    fn table_sums(idx: &[u8], bytes: usize, v: &[f32], count: usize) -> Vec<f32> {
        let t = tables(v, 2 * bytes);
        (0..count)
            .map(|r| {
                (0..bytes).fold(0.0f32, |acc, j| {
                    let b = idx[16 * ((r / 16) * bytes + j) + r % 16];
                    (acc + t[2 * j][usize::from(b & 15)]) + t[2 * j + 1][usize::from(b >> 4)]
                })
            })
            .collect()
    }

    #[test]
    fn sign_nibbles_hold_the_signs_of_plus_minus_one_patterns_only() {
        assert!(SignNibbles::build(&[1.0, -1.0, 0.0, 1.0], 2, 2).is_none());
        assert!(SignNibbles::build(&[1.0, -1.0, 2.0, 1.0], 2, 2).is_none());
        // Row 0: − + + +, row 1: + + + +, row 2: + − + −.
        let s = SignNibbles::build(&[-1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0, 1.0, -1.0], 3, 4).unwrap();
        assert_eq!(&s.by_rows[..3], &[0b0001, 0b0000, 0b1010]);
        assert!(s.by_rows[3..].iter().all(|&b| b == 0));
        assert_eq!(&s.by_cols[..4], &[0b001, 0b100, 0b000, 0b100]);
        assert!(s.by_cols[4..].iter().all(|&b| b == 0));
    }

    /// Shapes with K and N not multiples of 16, 8 or 4, and below them.
    const SHAPES: [(usize, usize); 10] =
        [(7, 24), (41, 70), (33, 128), (130, 64), (3, 1), (9, 8), (5, 40), (2, 272), (70, 600), (1024, 256)];

    #[test]
    fn every_storage_computes_scores_and_mixtures() {
        for (k, n) in SHAPES {
            let xi = bipolar(k, n, 31 + n as u64);
            let xi8: Vec<i8> = xi.iter().map(|&x| x as i8).collect();
            let nibbles = SignNibbles::build(&xi, k, n).unwrap();
            let mut rng = stream(32, 0);
            let q: Vec<f32> = (0..n).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect();
            let p: Vec<f32> = (0..k).map(|_| rng.random::<f32>() / k as f32).collect();
            let float = PatternViews { xi: &xi, xi8: None, nibbles: None, n };
            let bytes = PatternViews { xi8: Some(&xi8), ..float };
            let (mut z, mut z8) = (vec![0f32; k], vec![0f32; k]);
            let (mut m, mut m8) = (vec![0f32; n], vec![0f32; n]);
            float.scores(&q, &mut z);
            bytes.scores(&q, &mut z8);
            float.mix(&p, &mut m);
            bytes.mix(&p, &mut m8);
            assert_eq!(z, z8, "scores, bytes, K={k} N={n}");
            assert_eq!(m, m8, "mixture, bytes, K={k} N={n}");
            let zt = table_sums(&nibbles.by_rows, nibbles.col_bytes, &q, k);
            let mt = table_sums(&nibbles.by_cols, nibbles.row_bytes, &p, n);
            if table_kernels_available() {
                let tabled = PatternViews { nibbles: Some(&nibbles), ..bytes };
                let (mut zk, mut mk) = (vec![0f32; k], vec![0f32; n]);
                tabled.scores(&q, &mut zk);
                tabled.mix(&p, &mut mk);
                assert_eq!(zk, zt, "scores, table kernel, K={k} N={n}");
                assert_eq!(mk, mt, "mixture, table kernel, K={k} N={n}");
            }
            for (mu, (&a, &b)) in z.iter().zip(&zt).enumerate() {
                let direct: f64 = (0..n).map(|i| xi[mu * n + i] as f64 * q[i] as f64).sum();
                for v in [a, b] {
                    assert!((v as f64 - direct).abs() < 1e-4, "K={k} N={n} score {mu}: {v} vs {direct}");
                }
            }
            for (i, (&a, &b)) in m.iter().zip(&mt).enumerate() {
                let direct: f64 = (0..k).map(|mu| xi[mu * n + i] as f64 * p[mu] as f64).sum();
                for v in [a, b] {
                    assert!((v as f64 - direct).abs() < 1e-5, "K={k} N={n} component {i}: {v} vs {direct}");
                }
            }
        }
        if !table_kernels_available() {
            eprintln!("this CPU has no AVX-512F: only the plain table algorithm was checked");
        }
    }
}
