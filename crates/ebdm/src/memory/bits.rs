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

/// Packs one ±1 vector into `out` (length ⌈N/64⌉).
pub fn pack_into(v: &[i8], out: &mut [u64]) {
    out.iter_mut().for_each(|w| *w = 0);
    for (i, &x) in v.iter().enumerate() {
        if x > 0 {
            out[i / 64] |= 1 << (i % 64);
        }
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
