//! Greedy 1-flip local search (steepest descent) and its use as a polish step.
//!
//! From a state s with local fields `f_i = Σ_j J_ij s_j + h_i`, flipping spin i changes the
//! energy by `ΔH_i = 2 s_i f_i`. Steepest descent flips the spin with the most negative ΔH
//! (ties: lowest index) and updates the fields of its neighbours, `f_j += 2 J_ji s_i` (new s_i),
//! until every `ΔH_i ≥ 0`: the result is a 1-flip local minimum. Each flip lowers H strictly, so
//! the descent ends.

use rand::Rng;

use super::model::IsingModel;
use super::solve::{energy_from_field, Solver, Tracker};
use crate::engine::rng::Rng64;
use crate::error::Result;

/// Steepest 1-flip descent of `s` with its local fields `f` (J s + h) kept up to date.
/// Returns the number of flips.
pub fn descend(model: &IsingModel, s: &mut [i8], f: &mut [f64]) -> usize {
    let mut flips = 0;
    loop {
        let mut best = 0.0;
        let mut arg = usize::MAX;
        for (i, (&si, &fi)) in s.iter().zip(f.iter()).enumerate() {
            let d = 2.0 * f64::from(si) * fi;
            if d < best {
                best = d;
                arg = i;
            }
        }
        if arg == usize::MAX {
            return flips;
        }
        s[arg] = -s[arg];
        let d = 2.0 * f64::from(s[arg]);
        model.j.row(arg).for_each(|j, w| f[j] += d * w);
        flips += 1;
    }
}

/// Descends from `s` to a 1-flip local minimum in place and returns its energy.
pub fn polish(model: &IsingModel, s: &mut [i8]) -> f64 {
    let mut f = model.local_fields(s);
    descend(model, s, &mut f);
    // f = Js + h, so the coupling field is f − h.
    let field: Vec<f64> = f.iter().zip(&model.h).map(|(f, h)| f - h).collect();
    energy_from_field(model, s, &field)
}

/// Whether no single flip lowers the energy of `s`.
pub fn is_local_minimum(model: &IsingModel, s: &[i8]) -> bool {
    model.local_fields(s).iter().zip(s).all(|(&f, &si)| 2.0 * f64::from(si) * f >= 0.0)
}

/// Greedy search: each step is one steepest descent from uniformly random spins.
#[derive(Clone, Copy, Debug, Default)]
pub struct Greedy;

impl Solver for Greedy {
    fn name(&self) -> &'static str {
        "greedy"
    }
    fn run_replica(&self, model: &IsingModel, _steps: usize, rng: &mut Rng64, tr: &mut Tracker) -> Result<()> {
        let n = model.n();
        let mut s = vec![1i8; n];
        while tr.proceed() {
            let step = tr.steps_done() + 1;
            for v in s.iter_mut() {
                *v = if rng.random::<bool>() { 1 } else { -1 };
            }
            let e = polish(model, &mut s);
            tr.offer(e, step, &s);
            tr.advance();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::ising::model::Backend;

    #[test]
    fn descent_reaches_a_local_minimum_with_the_right_energy() {
        let mut rng = stream(3, 0);
        for t in 0..50 {
            let n = 5 + t;
            let mut pairs = Vec::new();
            for i in 0..n as u32 {
                for j in i + 1..n as u32 {
                    if rng.random_bool(0.3) {
                        pairs.push((i, j, f64::from(rng.random_range(-3i32..=3))));
                    }
                }
            }
            let h = (0..n).map(|_| f64::from(rng.random_range(-2i32..=2))).collect();
            let m = IsingModel::new(n, &pairs, h, 1.0, Backend::Csr).unwrap();
            let mut s: Vec<i8> = (0..n).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect();
            let e0 = m.energy(&s);
            let e = polish(&m, &mut s);
            assert_eq!(e, m.energy(&s));
            assert!(e <= e0);
            assert!(is_local_minimum(&m, &s));
        }
    }
}
