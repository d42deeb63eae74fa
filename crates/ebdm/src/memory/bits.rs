//! Bit-packed ±1 vectors: 64 components per `u64` word (bit 1 = +1, padding bits zero), so that
//! the overlap of two patterns is `a = N − 2·popcount(x XOR y)`, exact and about 64× cheaper in
//! memory traffic than one byte per component.

use super::patterns::Patterns;

/// A set of K bit-packed ±1 vectors of length N.
#[derive(Clone, Debug)]
pub struct BitPatterns {
    n: usize,
    words: usize,
    data: Vec<u64>,
}

/// Packs one ±1 vector into `out` (length ⌈N/64⌉), without branches on the values.
pub fn pack_into(v: &[i8], out: &mut [u64]) {
    out.iter_mut().for_each(|w| *w = 0);
    for (w, chunk) in out.iter_mut().zip(v.chunks(64)) {
        *w = chunk.iter().enumerate().fold(0u64, |acc, (j, &x)| acc | (u64::from(x > 0) << j));
    }
}

/// Byte `b` spread over eight byte-wide counters: byte k of `SPREAD[b]` is bit k of `b`, so one
/// 64-bit addition adds eight bits into eight separate counters.
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < 8 {
            if (b >> k) & 1 == 1 {
                t[b] |= 1 << (8 * k);
            }
            k += 1;
        }
        b += 1;
    }
    t
};

/// The K patterns grouped by Hamming distance h = popcount(ξ^μ XOR x) to a vector x (overlap
/// `a = N − 2h`), with per-bit disagreement counts in each group; see
/// [`BitPatterns::hamming_buckets`].
#[derive(Clone, Debug)]
pub struct HammingBuckets {
    n: usize,
    /// `total[h]` = #{μ : h_μ = h}, h = 0 … N.
    pub total: Vec<u64>,
    /// `differ[h·N + i]` = #{μ : h_μ = h, ξ_i^μ ≠ x_i}.
    pub differ: Vec<u64>,
}

impl HammingBuckets {
    /// The disagreement counts of group h, one per bit.
    pub fn differ(&self, h: usize) -> &[u64] {
        &self.differ[h * self.n..(h + 1) * self.n]
    }
}

impl HammingBuckets {
    /// Adds the byte counters `small` of group h (which have absorbed `fill` ≤ 255 patterns)
    /// into the exact counts and clears them.
    fn flush(&mut self, h: usize, small: &mut [u64], fill: &mut u8) {
        self.total[h] += u64::from(std::mem::take(fill));
        let differ = &mut self.differ[h * self.n..(h + 1) * self.n];
        for (j, c) in small.iter_mut().enumerate() {
            let v = std::mem::take(c);
            if v != 0 {
                for (k, d) in differ.iter_mut().skip(8 * j).take(8).enumerate() {
                    *d += (v >> (8 * k)) & 0xFF;
                }
            }
        }
    }
}

/// [`BitPatterns::hamming_buckets`] for N ≤ 64 (one word per pattern), `NB` = ⌈N/8⌉.
fn count_one_word<const NB: usize>(data: &[u64], x: u64, b: &mut HammingBuckets) {
    let n = b.n;
    let mut small = vec![[0u64; NB]; n + 1];
    let mut fill = vec![0u8; n + 1];
    for &p in data {
        let d = p ^ x;
        let h = d.count_ones() as usize;
        let g = &mut small[h];
        for (j, c) in g.iter_mut().enumerate() {
            *c += SPREAD[((d >> (8 * j)) & 0xFF) as usize];
        }
        fill[h] += 1;
        if fill[h] == u8::MAX {
            b.flush(h, g, &mut fill[h]);
        }
    }
    for (h, (g, f)) in small.iter_mut().zip(&mut fill).enumerate() {
        b.flush(h, g, f);
    }
}

impl BitPatterns {
    /// Packs every pattern of `p`.
    pub fn from_patterns(p: &Patterns) -> Self {
        let n = p.len();
        let words = n.div_ceil(64);
        let mut data = vec![0u64; words * p.count()];
        for (mu, row) in p.rows().enumerate() {
            pack_into(row, &mut data[mu * words..(mu + 1) * words]);
        }
        Self { n, words, data }
    }

    /// Words per packed vector.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Packed pattern μ.
    pub fn row(&self, mu: usize) -> &[u64] {
        &self.data[mu * self.words..(mu + 1) * self.words]
    }

    /// Raw overlap `ξ^μ · x` with a packed vector `x`.
    pub fn overlap(&self, mu: usize, x: &[u64]) -> i32 {
        let diff: u32 = self.row(mu).iter().zip(x).map(|(a, b)| (a ^ b).count_ones()).sum();
        self.n as i32 - 2 * diff as i32
    }

    /// All raw overlaps `a_μ = ξ^μ · x`, written into `out` (length K).
    pub fn overlaps(&self, x: &[u64], out: &mut [i32]) {
        for (mu, o) in out.iter_mut().enumerate() {
            *o = self.overlap(mu, x);
        }
    }

    /// Groups the patterns by Hamming distance to the packed vector `x` and counts, per group
    /// and bit, the patterns that disagree with `x` there (exact integer counts).
    ///
    /// Each pattern adds its difference mask `ξ^μ XOR x` into byte-wide counters of its group,
    /// eight bits per 64-bit addition; a group's byte counters are added into the exact counts
    /// after every 255 patterns, before any can overflow.
    pub fn hamming_buckets(&self, x: &[u64]) -> HammingBuckets {
        let n = self.n;
        let mut b = HammingBuckets { n, total: vec![0; n + 1], differ: vec![0; (n + 1) * n] };
        if self.words == 1 {
            // One word per pattern: the byte counters of a group are a fixed-size array.
            match n.div_ceil(8) {
                1 => count_one_word::<1>(&self.data, x[0], &mut b),
                2 => count_one_word::<2>(&self.data, x[0], &mut b),
                3 => count_one_word::<3>(&self.data, x[0], &mut b),
                4 => count_one_word::<4>(&self.data, x[0], &mut b),
                5 => count_one_word::<5>(&self.data, x[0], &mut b),
                6 => count_one_word::<6>(&self.data, x[0], &mut b),
                7 => count_one_word::<7>(&self.data, x[0], &mut b),
                _ => count_one_word::<8>(&self.data, x[0], &mut b),
            }
            return b;
        }
        let nb = n.div_ceil(8);
        let mut small = vec![0u64; (n + 1) * nb];
        let mut fill = vec![0u8; n + 1];
        for row in self.data.chunks_exact(self.words) {
            let h = row.iter().zip(x).map(|(a, b)| (a ^ b).count_ones()).sum::<u32>() as usize;
            let g = &mut small[h * nb..(h + 1) * nb];
            for (j, c) in g.iter_mut().enumerate() {
                let d = row[j / 8] ^ x[j / 8];
                *c += SPREAD[((d >> (8 * (j % 8))) & 0xFF) as usize];
            }
            fill[h] += 1;
            if fill[h] == u8::MAX {
                b.flush(h, g, &mut fill[h]);
            }
        }
        for (h, f) in fill.iter_mut().enumerate() {
            b.flush(h, &mut small[h * nb..(h + 1) * nb], f);
        }
        b
    }

    /// The K×K Gram matrix `G_{μν} = ξ^μ · ξ^ν`, row-major.
    pub fn gram(&self) -> Vec<i32> {
        let k = self.data.len() / self.words.max(1);
        let mut g = vec![0i32; k * k];
        for mu in 0..k {
            for nu in mu..k {
                let a = self.overlap(mu, self.row(nu));
                g[mu * k + nu] = a;
                g[nu * k + mu] = a;
            }
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    #[test]
    fn hamming_buckets_count_every_disagreement() {
        let mut rng = stream(4, 0);
        // Enough patterns that every byte counter is flushed several times.
        for (k, n) in [(3000, 1), (3000, 7), (3000, 32), (2000, 64), (1500, 65), (600, 130)] {
            let p = Patterns::random(k, n, &mut rng).unwrap();
            let b = BitPatterns::from_patterns(&p);
            let x = Patterns::random(1, n, &mut rng).unwrap();
            let mut packed = vec![0u64; b.words()];
            pack_into(x.row(0), &mut packed);
            let got = b.hamming_buckets(&packed);
            let mut total = vec![0u64; n + 1];
            let mut differ = vec![0u64; (n + 1) * n];
            for r in p.rows() {
                let h = r.iter().zip(x.row(0)).filter(|(a, b)| a != b).count();
                total[h] += 1;
                for (i, (a, b)) in r.iter().zip(x.row(0)).enumerate() {
                    differ[h * n + i] += u64::from(a != b);
                }
            }
            assert_eq!(got.total, total, "k = {k}, n = {n}");
            assert_eq!(got.differ, differ, "k = {k}, n = {n}");
        }
    }

    #[test]
    fn popcount_overlap_matches_dot_product() {
        let mut rng = stream(3, 0);
        for n in [1, 63, 64, 65, 200] {
            let p = Patterns::random(5, n, &mut rng).unwrap();
            let b = BitPatterns::from_patterns(&p);
            let g = b.gram();
            for mu in 0..5 {
                for nu in 0..5 {
                    let dot: i32 = p.row(mu).iter().zip(p.row(nu)).map(|(&x, &y)| (x * y) as i32).sum();
                    assert_eq!(g[mu * 5 + nu], dot, "n = {n}");
                }
            }
        }
    }
}
