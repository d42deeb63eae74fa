//! A Hebbian network that never forms its N×N weights.
//!
//! With integer couplings `C = ΞᵀΞ` (so `W = C/N`, zero diagonal) the scaled field is
//! `N·h = Ξᵀ a − K σ`, where `a = Ξσ` are the raw overlaps. A flip of unit j changes the field by
//! `2σ_j C[:, j]`, and column j costs O(KN) to form; columns are formed on first use and cached.
//! A relaxation with F flips therefore costs O(KN·min(F, N)), never more than forming W
//! (O(KN²)), and far less near a stored pattern, where few units flip. All arithmetic is in
//! integers, hence exact.
//!
//! This is the kernel behind the capacity and basin experiments.

use rand::Rng;

use super::bits::{pack_into, BitPatterns};
use super::patterns::{check_state, Patterns};
use crate::error::{Error, Result};

/// The outcome of a zero-temperature relaxation.
#[derive(Clone, Debug)]
pub struct Relaxation {
    pub state: Vec<i8>,
    pub flips: usize,
    /// Whether a fixed point was reached before the flip cap.
    pub converged: bool,
}

/// Hebbian couplings of a pattern set, evaluated lazily.
pub struct ImplicitHebbian<'a> {
    p: &'a Patterns,
    bits: BitPatterns,
    columns: Vec<Option<Box<[i16]>>>,
}

impl<'a> ImplicitHebbian<'a> {
    /// Wraps a pattern set (K < 32768 so that couplings fit in 16 bits).
    pub fn new(p: &'a Patterns) -> Result<Self> {
        if p.is_empty() {
            return Err(Error::param("patterns", "at least one pattern is needed"));
        }
        if p.count() >= i16::MAX as usize {
            return Err(Error::param("patterns", format!("at most {} patterns, got {}", i16::MAX - 1, p.count())));
        }
        Ok(Self { p, bits: BitPatterns::from_patterns(p), columns: vec![None; p.len()] })
    }

    /// Column j of C with C_jj = 0.
    fn column(&mut self, j: usize) -> &[i16] {
        if self.columns[j].is_none() {
            let n = self.p.len();
            let mut col = vec![0i16; n].into_boxed_slice();
            for row in self.p.rows() {
                if row[j] > 0 {
                    col.iter_mut().zip(row).for_each(|(c, &x)| *c += x as i16);
                } else {
                    col.iter_mut().zip(row).for_each(|(c, &x)| *c -= x as i16);
                }
            }
            col[j] = 0;
            self.columns[j] = Some(col);
        }
        self.columns[j].as_deref().expect("column was just formed")
    }

    /// Scaled local fields `N·h(σ)` (zero diagonal).
    pub fn scaled_field(&self, s: &[i8]) -> Vec<i32> {
        let (k, n) = (self.p.count(), self.p.len());
        let mut packed = vec![0u64; self.bits.words()];
        pack_into(s, &mut packed);
        let mut a = vec![0i32; k];
        self.bits.overlaps(&packed, &mut a);
        let mut h: Vec<i32> = s.iter().map(|&x| -(k as i32) * x as i32).collect();
        for (row, &am) in self.p.rows().zip(&a) {
            h.iter_mut().zip(row).for_each(|(hi, &x)| *hi += am * x as i32);
        }
        debug_assert_eq!(h.len(), n);
        h
    }

    /// Asynchronous zero-temperature dynamics in "random unstable unit" order: while some unit
    /// has σ_i h_i < 0 (a zero field is stable), flip one chosen uniformly among them; stop at a
    /// fixed point or after `flip_cap` flips.
    pub fn relax_unstable<R: Rng + ?Sized>(
        &mut self,
        start: &[i8],
        flip_cap: usize,
        rng: &mut R,
    ) -> Result<Relaxation> {
        check_state(start, self.p.len())?;
        let mut s = start.to_vec();
        let mut h = self.scaled_field(&s);
        let mut unstable: Vec<usize> = (0..s.len()).filter(|&i| s[i] as i32 * h[i] < 0).collect();
        let mut flips = 0;
        while !unstable.is_empty() && flips < flip_cap {
            let j = unstable[rng.random_range(0..unstable.len())];
            s[j] = -s[j];
            let two_s = 2 * s[j] as i32;
            let col = self.column(j);
            unstable.clear();
            for (i, (hi, &c)) in h.iter_mut().zip(col).enumerate() {
                *hi += two_s * c as i32;
                if s[i] as i32 * *hi < 0 {
                    unstable.push(i);
                }
            }
            flips += 1;
        }
        Ok(Relaxation { converged: unstable.is_empty(), state: s, flips })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::memory::{Hopfield, LearningRule};

    #[test]
    fn implicit_field_and_fixed_points_match_dense_network() {
        let mut rng = stream(9, 0);
        let p = Patterns::random(25, 150, &mut rng).unwrap();
        let net = Hopfield::train(&p, LearningRule::Hebb).unwrap();
        let mut imp = ImplicitHebbian::new(&p).unwrap();
        let cue = crate::memory::patterns::corrupt(p.row(0), 0.3, &mut rng).unwrap();
        let h = imp.scaled_field(&cue);
        let dense = net.local_field(&cue).unwrap();
        for (a, b) in h.iter().zip(&dense) {
            assert!((*a as f64 / 150.0 - b).abs() < 1e-9);
        }
        let out = imp.relax_unstable(&cue, 20 * 150, &mut rng).unwrap();
        assert!(out.converged);
        assert!(net.is_fixed_point(&out.state).unwrap());
        // Energy at the end is no higher than at the start.
        assert!(net.energy(&out.state).unwrap() <= net.energy(&cue).unwrap());
    }
}
