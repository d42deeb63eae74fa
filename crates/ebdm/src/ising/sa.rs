//! Simulated annealing with single-spin Metropolis sweeps, in the style of dwave-samplers.
//!
//! One sweep visits the spins in index order; spin i flips with probability
//! `min(1, exp(−β ΔH_i))`, `ΔH_i = 2 s_i f_i`, and the local fields of its neighbours are
//! updated incrementally. β follows a geometric schedule, one sweep per β:
//! `β_k = β_hot (β_cold/β_hot)^{k/(S−1)}`, k = 0 … S−1.
//!
//! **Default β range** (the rule dwave-samplers documents for its Ising problems):
//!
//! - the *effective field* of spin i is `|h_i| + Σ_j |J_ij|`; the hot end
//!   `β_hot = ln 2 / (2 · max_i effective field)` makes every flip, even the costliest, accepted
//!   with probability at least ½;
//! - the *smallest gap* of spin i is the smallest non-zero `|h_i|` or `|J_ij|`; with `g` the
//!   smallest gap over all spins and `k` the number of spins whose smallest gap equals `g`,
//!   the cold end `β_cold = ln(k / 0.01) / (2g)` leaves at most about 1 % probability of a
//!   single excitation of size 2g on the last sweep.
//!
//! An all-zero model gets the range [0.1, 1].

use rand::Rng;

use super::model::IsingModel;
use super::solve::{Solver, Tracker};
use crate::engine::rng::Rng64;
use crate::error::{check_positive, Error, Result};

/// Simulated annealing parameters.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Sa {
    /// `(β_hot, β_cold)`; `None` for the default rule of the module docs.
    pub beta_range: Option<(f64, f64)>,
}

/// The default `(β_hot, β_cold)` of the module docs.
pub fn default_beta_range(model: &IsingModel) -> (f64, f64) {
    let n = model.n();
    let mut max_field: f64 = 0.0;
    let mut min_gaps: Vec<f64> = Vec::with_capacity(n);
    for i in 0..n {
        let mut sum = model.h[i].abs();
        let mut min = if model.h[i] != 0.0 { model.h[i].abs() } else { f64::INFINITY };
        model.j.row(i).for_each(|_, w| {
            sum += w.abs();
            if w != 0.0 {
                min = min.min(w.abs());
            }
        });
        max_field = max_field.max(sum);
        if min.is_finite() {
            min_gaps.push(min);
        }
    }
    if min_gaps.is_empty() {
        return (0.1, 1.0);
    }
    let hot = std::f64::consts::LN_2 / (2.0 * max_field);
    let g = min_gaps.iter().copied().fold(f64::INFINITY, f64::min);
    let k = min_gaps.iter().filter(|&&x| x == g).count() as f64;
    let cold = (k / 0.01).ln() / (2.0 * g);
    (hot, cold)
}

impl Sa {
    /// The β range used on `model`.
    pub fn resolved_range(&self, model: &IsingModel) -> Result<(f64, f64)> {
        let (hot, cold) = self.beta_range.unwrap_or_else(|| default_beta_range(model));
        check_positive("beta_hot", hot)?;
        check_positive("beta_cold", cold)?;
        if cold < hot {
            return Err(Error::param("beta_range", format!("cold β {cold} is below hot β {hot}")));
        }
        Ok((hot, cold))
    }
}

/// One Metropolis sweep at inverse temperature `beta` in index order, keeping the coupling field
/// `f = J s` and the energy `e` up to date. Kept out of line so that its code does not depend on
/// the loop that paces it.
#[inline(never)]
fn metropolis_sweep(model: &IsingModel, beta: f64, s: &mut [i8], f: &mut [f64], e: &mut f64, rng: &mut Rng64) {
    // exp(−x) < 2⁻⁵³ for x > 36.8: such a flip can never be accepted by a double draw.
    let cutoff = 36.8 / beta;
    // With integer couplings and fields (G-set graphs, QUBOs from integer data) ΔH/2 is a small
    // integer, so exp(−βΔH) takes few values in a sweep: each is computed once, by the same
    // expression, and reused (the same bits as computing it every time).
    let mut memo = [f64::NAN; EXP_MEMO];
    for i in 0..s.len() {
        let de = 2.0 * f64::from(s[i]) * f[i];
        let accept = de <= 0.0
            || (de < cutoff && {
                let u = rng.random::<f64>();
                let half = 0.5 * de;
                // `half as usize` saturates; the comparison keeps only exact small integers.
                let k = half as usize;
                let p = if k < EXP_MEMO && k as f64 == half {
                    let slot = &mut memo[k];
                    if slot.is_nan() {
                        *slot = (-beta * de).exp();
                    }
                    *slot
                } else {
                    (-beta * de).exp()
                };
                u < p
            });
        if accept {
            s[i] = -s[i];
            *e += de;
            model.j.add_row_scaled(i, 2.0 * f64::from(s[i]), f);
        }
    }
}

/// Distinct integer values of ΔH/2 whose acceptance probabilities a sweep remembers.
const EXP_MEMO: usize = 64;

impl Solver for Sa {
    fn name(&self) -> &'static str {
        "sa"
    }
    fn run_replica(&self, model: &IsingModel, sweeps: usize, rng: &mut Rng64, tr: &mut Tracker) -> Result<()> {
        let (hot, cold) = self.resolved_range(model)?;
        let n = model.n();
        let mut s: Vec<i8> = (0..n).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect();
        let mut f = model.local_fields(&s);
        let mut e = model.energy(&s);
        tr.offer(e, 0, &s);
        let ratio = if sweeps > 1 { (cold / hot).powf(1.0 / (sweeps - 1) as f64) } else { 1.0 };
        let mut beta = if sweeps > 1 { hot } else { cold };
        while tr.proceed() {
            let sweep = tr.steps_done() + 1;
            metropolis_sweep(model, beta, &mut s, &mut f, &mut e, rng);
            tr.offer(e, sweep, &s);
            beta *= ratio;
            tr.advance();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ising::model::{Backend, MaxCutGraph};

    /// The sweep as written without the remembered exponentials.
    fn plain_sweep(model: &IsingModel, beta: f64, s: &mut [i8], f: &mut [f64], e: &mut f64, rng: &mut Rng64) {
        let cutoff = 36.8 / beta;
        for i in 0..s.len() {
            let de = 2.0 * f64::from(s[i]) * f[i];
            if de <= 0.0 || (de < cutoff && rng.random::<f64>() < (-beta * de).exp()) {
                s[i] = -s[i];
                *e += de;
                let d = 2.0 * f64::from(s[i]);
                model.j.row(i).for_each(|j, w| f[j] += d * w);
            }
        }
    }

    /// Remembering exp(−βΔH) per sweep changes no bit: spins, fields, energy and the random
    /// stream match the plain sweep, on integer weights (remembered) and real weights (not).
    #[test]
    fn remembered_exponentials_give_the_plain_sweep_bit_for_bit() {
        use rand::SeedableRng;
        let n = 60;
        for real in [false, true] {
            let pairs: std::collections::BTreeSet<(u32, u32)> = (0..n as u32)
                .flat_map(|i| [(i, (i + 1) % n as u32), (i, (i * 7 + 3) % n as u32)])
                .filter(|(i, j)| i != j)
                .map(|(i, j)| (i.min(j), i.max(j)))
                .collect();
            let edges: Vec<(u32, u32, f64)> = pairs
                .into_iter()
                .enumerate()
                .map(|(k, (i, j))| (i, j, if real { 0.37 * (k % 5) as f64 - 0.8 } else { [1.0, -1.0, 2.0][k % 3] }))
                .collect();
            let model = IsingModel::new(n, &edges, vec![0.0; n], 0.0, Backend::Csr).unwrap();
            let mut rng0 = Rng64::seed_from_u64(5);
            let s0: Vec<i8> = (0..n).map(|_| if rng0.random::<bool>() { 1 } else { -1 }).collect();
            let (mut sa, mut sb) = (s0.clone(), s0.clone());
            let (mut fa, mut fb) = (model.local_fields(&s0), model.local_fields(&s0));
            let (mut ea, mut eb) = (model.energy(&s0), model.energy(&s0));
            let (mut ra, mut rb) = (Rng64::seed_from_u64(9), Rng64::seed_from_u64(9));
            for beta in [0.05, 0.3, 1.0, 2.5, 6.0] {
                metropolis_sweep(&model, beta, &mut sa, &mut fa, &mut ea, &mut ra);
                plain_sweep(&model, beta, &mut sb, &mut fb, &mut eb, &mut rb);
                assert_eq!(sa, sb, "real weights: {real}, β = {beta}");
                assert_eq!(fa, fb);
                assert_eq!(ea.to_bits(), eb.to_bits());
            }
            assert_eq!(ra.random::<u64>(), rb.random::<u64>());
        }
    }

    #[test]
    fn beta_range_rule_by_hand() {
        // Path 0–1–2 with weights 1 and 3, h = (0, 0, 2): effective fields 1, 4, 5;
        // smallest gaps 1, 1, 2 → g = 1 on two spins.
        let m = IsingModel::new(3, &[(0, 1, 1.0), (1, 2, 3.0)], vec![0.0, 0.0, 2.0], 0.0, Backend::Csr).unwrap();
        let (hot, cold) = default_beta_range(&m);
        assert_eq!(hot, std::f64::consts::LN_2 / 10.0);
        assert_eq!(cold, (200.0f64).ln() / 2.0);
        let z = IsingModel::new(2, &[], vec![0.0; 2], 0.0, Backend::Csr).unwrap();
        assert_eq!(default_beta_range(&z), (0.1, 1.0));
        // G-set-like ±1 graph: every spin has gap 1, so β_cold = ln(100 n)/2.
        let g = MaxCutGraph::new(4, vec![(0, 1, 1.0), (1, 2, -1.0), (2, 3, 1.0), (3, 0, 1.0)]).unwrap();
        let (hot, cold) = default_beta_range(&g.to_ising(Backend::Csr).unwrap());
        assert_eq!(hot, std::f64::consts::LN_2 / 4.0);
        assert_eq!(cold, (400.0f64).ln() / 2.0);
        assert!(Sa { beta_range: Some((2.0, 1.0)) }.resolved_range(&m).is_err());
    }
}
