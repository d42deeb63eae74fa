//! A Hebbian network that never forms its N×N weights.
//!
//! With integer couplings `C = ΞᵀΞ` (so `W = C/N`, zero diagonal) the scaled field is
//! `N·h = Ξᵀ a − K σ`, where `a = Ξσ` are the raw overlaps. A flip of unit j changes the field by
//! `2σ_j C[:, j]`. Each unit's K pattern bits are packed into ⌈K/64⌉ words, so a coupling is
//! `C_ij = K − 2·popcount(x_i XOR x_j)` and a whole column costs O(N·K/64) word operations —
//! cheaper than reading a stored N×N matrix, and far cheaper than forming it (O(N²K)) when few
//! units flip, as near a stored pattern. All arithmetic is in integers, hence exact.
//!
//! This is the kernel behind the capacity and basin experiments.

use rand::Rng;

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

/// Hebbian couplings of a pattern set, evaluated from bit-packed unit columns.
pub struct ImplicitHebbian<'a> {
    p: &'a Patterns,
    /// Words per unit.
    words: usize,
    /// N × words: bit μ of unit i is set when ξ_i^μ = +1 (padding bits zero).
    units: Vec<u64>,
}

/// The state, field and unstable set a flip updates together.
struct Flip<'s> {
    j: usize,
    k: i32,
    s: &'s [i8],
    h: &'s mut [i32],
    unstable: &'s mut Vec<usize>,
}

/// After σ_j flipped: `h_i += 2σ_j (K − 2·popcount(x_i XOR x_j))` for every i ≠ j, and the
/// unstable set rebuilt in the same pass. `W` words per unit are known at compile time (so the
/// popcount loop unrolls), or `W = 0` for any word count.
#[inline(always)]
fn add_column_generic<const W: usize>(units: &[u64], words: usize, f: Flip) {
    let words = if W == 0 { words } else { W };
    let (j, k) = (f.j, f.k);
    let two_s = 2 * f.s[j] as i32;
    // The loop adds C_jj = K too; the diagonal is zero, so take it off first.
    f.h[j] -= two_s * k;
    let xj = &units[j * words..(j + 1) * words];
    f.unstable.clear();
    for (i, ((hi, xi), &si)) in f.h.iter_mut().zip(units.chunks_exact(words)).zip(f.s).enumerate() {
        let d: u32 = xi.iter().zip(xj).map(|(a, b)| (a ^ b).count_ones()).sum();
        *hi += two_s * (k - 2 * d as i32);
        if si as i32 * *hi < 0 {
            f.unstable.push(i);
        }
    }
}

#[inline(always)]
fn add_column_any(units: &[u64], words: usize, f: Flip) {
    match words {
        1 => add_column_generic::<1>(units, words, f),
        2 => add_column_generic::<2>(units, words, f),
        3 => add_column_generic::<3>(units, words, f),
        4 => add_column_generic::<4>(units, words, f),
        _ => add_column_generic::<0>(units, words, f),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn add_column_popcnt(units: &[u64], words: usize, f: Flip) {
    add_column_any(units, words, f)
}

impl<'a> ImplicitHebbian<'a> {
    /// Wraps a pattern set.
    pub fn new(p: &'a Patterns) -> Result<Self> {
        if p.is_empty() {
            return Err(Error::param("patterns", "at least one pattern is needed"));
        }
        if p.count() > (i32::MAX as usize) / (2 * p.len().max(1)) {
            return Err(Error::param("patterns", "K·N too large for exact 32-bit fields"));
        }
        let (k, n) = (p.count(), p.len());
        let words = k.div_ceil(64);
        let mut units = vec![0u64; n * words];
        // Blocks of 64 patterns: each unit's word gathers one bit from each of 64 rows, which
        // stay in cache while the block is read.
        let data = p.as_slice();
        for w in 0..words {
            let block = &data[w * 64 * n..((w + 1) * 64).min(k) * n];
            for (i, unit) in units.chunks_exact_mut(words).enumerate() {
                let mut word = 0u64;
                for (t, row) in block.chunks_exact(n).enumerate() {
                    word |= ((row[i] > 0) as u64) << t;
                }
                unit[w] = word;
            }
        }
        Ok(Self { p, words, units })
    }

    /// Adds `2σ_j C[:, j]` (with C_jj = 0) to the scaled field and rebuilds the unstable set.
    fn add_column(&self, f: Flip) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU supports the `popcnt` feature the function was compiled for.
            unsafe { add_column_popcnt(&self.units, self.words, f) };
            return;
        }
        add_column_any(&self.units, self.words, f)
    }

    /// Scaled local fields `N·h(σ)` (zero diagonal).
    pub fn scaled_field(&self, s: &[i8]) -> Vec<i32> {
        let k = self.p.count() as i32;
        let a: Vec<i32> = self.p.rows().map(|r| r.iter().zip(s).map(|(&x, &y)| (x * y) as i32).sum()).collect();
        let mut h: Vec<i32> = s.iter().map(|&x| -k * x as i32).collect();
        for (row, &am) in self.p.rows().zip(&a) {
            h.iter_mut().zip(row).for_each(|(hi, &x)| *hi += am * x as i32);
        }
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
            let k = self.p.count() as i32;
            self.add_column(Flip { j, k, s: &s, h: &mut h, unstable: &mut unstable });
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
