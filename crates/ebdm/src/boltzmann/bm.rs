//! The general (fully connected) Boltzmann machine and Glauber dynamics.
//!
//! # Model
//!
//! State `s ∈ {0,1}ᴺ`, symmetric couplings `J` with zero diagonal, bias `b`:
//!
//! ```text
//! E(s) = −½ sᵀJs − bᵀs,     p_β(s) = e^{−βE(s)} / Z_β,
//! u_i  = b_i + Σ_j J_ij s_j  (local field),     E(s with unit i flipped) − E(s) = (2s_i − 1)·u_i.
//! ```
//!
//! A Glauber (heat-bath) update of unit `i` sets `s_i = 1` with probability `σ(β u_i)`; a sweep
//! visits all `N` units in order ([`Scan::Sequential`]) or `N` uniformly drawn units
//! ([`Scan::Random`]). Both leave `p_β` invariant. At `β = ∞` the update is the deterministic
//! asynchronous Hopfield rule (a unit with `u_i = 0` keeps its state).
//!
//! # ±1 spins
//!
//! With `σ = 2s − 1`, the Hopfield energy `E(σ) = −½ σᵀWσ + θᵀσ` (zero diagonal) equals
//! `E(s) + const` for `J = 4W`, `b_i = −2(Σ_j W_ij + θ_i)` and `const = −½ 1ᵀW1 − θᵀ1`, so that
//! `log Z_σ = log Z_s + β(½ 1ᵀW1 + θᵀ1)` ([`BoltzmannMachine::from_spins`]).
//!
//! Exact quantities enumerate all `2ᴺ` states in Gray-code order (one field update per state).

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::math::{sigmoid, LogSumExp};
use crate::engine::rng::Rng64;
use crate::error::{Error, Result};

/// The largest machine that exact enumeration accepts.
pub const MAX_EXACT_BM: usize = 28;

/// Order of the single-unit updates within a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scan {
    /// Units `0, 1, …, N−1`.
    Sequential,
    /// `N` units drawn uniformly with replacement.
    Random,
}

/// A fully connected Boltzmann machine on 0/1 units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoltzmannMachine {
    n: usize,
    /// `N × N`, row-major, symmetric, zero diagonal.
    j: Vec<f64>,
    b: Vec<f64>,
}

impl BoltzmannMachine {
    /// A machine from `J` (`N × N` row-major) and `b`. Errors: `N = 0`, wrong lengths, values that
    /// are not finite, a non-zero diagonal or an asymmetric `J`.
    pub fn new(n: usize, j: Vec<f64>, b: Vec<f64>) -> Result<Self> {
        if n == 0 {
            return Err(Error::param("units", "needs at least 1 unit, got 0"));
        }
        if j.len() != n * n || b.len() != n {
            return Err(Error::Shape(format!(
                "{n} units need J of {} values and b of {n}; got {} and {}",
                n * n,
                j.len(),
                b.len()
            )));
        }
        if let Some(k) = j.iter().chain(&b).position(|x| !x.is_finite()) {
            return Err(Error::param("couplings", format!("value {k} is not finite")));
        }
        for a in 0..n {
            if j[a * n + a] != 0.0 {
                return Err(Error::param("couplings", format!("J[{a}][{a}] = {} must be 0", j[a * n + a])));
            }
            for c in 0..a {
                if j[a * n + c] != j[c * n + a] {
                    return Err(Error::param("couplings", format!("J is not symmetric at ({a}, {c})")));
                }
            }
        }
        Ok(Self { n, j, b })
    }

    /// The 0/1 machine equivalent to the ±1 energy `E(σ) = −½ σᵀWσ + θᵀσ`, and the constant
    /// `c = −½ 1ᵀW1 − θᵀ1` with `E_σ(2s − 1) = E(s) + c`.
    pub fn from_spins(n: usize, w: &[f64], theta: &[f64]) -> Result<(Self, f64)> {
        if w.len() != n * n || theta.len() != n {
            return Err(Error::Shape(format!("{n} spins need W of {} values and θ of {n}", n * n)));
        }
        let j: Vec<f64> = w.iter().map(|x| 4.0 * x).collect();
        let b: Vec<f64> = (0..n).map(|i| -2.0 * (w[i * n..(i + 1) * n].iter().sum::<f64>() + theta[i])).collect();
        let constant = -0.5 * w.iter().sum::<f64>() - theta.iter().sum::<f64>();
        Ok((Self::new(n, j, b)?, constant))
    }

    /// Number of units `N`.
    pub fn units(&self) -> usize {
        self.n
    }
    /// Couplings `J`, row-major.
    pub fn couplings(&self) -> &[f64] {
        &self.j
    }
    /// Bias `b`.
    pub fn bias(&self) -> &[f64] {
        &self.b
    }

    /// `E(s) = −½ sᵀJs − bᵀs`.
    pub fn energy(&self, s: &[f64]) -> f64 {
        let n = self.n;
        let mut e = 0.0;
        for a in 0..n {
            if s[a] != 0.0 {
                let row: f64 = self.j[a * n..(a + 1) * n].iter().zip(s).map(|(x, y)| x * y).sum();
                e -= 0.5 * s[a] * row + self.b[a] * s[a];
            }
        }
        e
    }

    /// Local fields `u = b + Js`.
    pub fn local_fields(&self, s: &[f64]) -> Vec<f64> {
        let n = self.n;
        (0..n).map(|a| self.b[a] + self.j[a * n..(a + 1) * n].iter().zip(s).map(|(x, y)| x * y).sum::<f64>()).collect()
    }

    fn check_exact(&self) -> Result<()> {
        if self.n > MAX_EXACT_BM {
            return Err(Error::param(
                "units",
                format!("exact enumeration of {} units is out of reach; at most {MAX_EXACT_BM}", self.n),
            ));
        }
        Ok(())
    }

    /// Visits every state in Gray-code order, calling `f(state index, s, E(s))`; the index has
    /// bit `i` set when unit `i` is on.
    fn enumerate(&self, mut f: impl FnMut(u64, &[f64], f64)) {
        let n = self.n;
        let mut s = vec![0.0; n];
        let mut u = self.b.clone();
        let mut e = 0.0;
        let mut x = 0u64;
        f(0, &s, 0.0);
        for k in 1..(1u64 << n) {
            let i = k.trailing_zeros() as usize;
            e += (2.0 * s[i] - 1.0) * u[i];
            let d = 1.0 - 2.0 * s[i];
            s[i] += d;
            x ^= 1 << i;
            u.iter_mut().zip(&self.j[i * n..(i + 1) * n]).for_each(|(a, &jj)| *a += d * jj);
            f(x, &s, e);
        }
    }

    /// Exact `log Z_β = logsumexp_s(−βE(s))`.
    pub fn log_z(&self, beta: f64) -> Result<f64> {
        self.check_exact()?;
        let mut acc = LogSumExp::new();
        self.enumerate(|_, _, e| acc.push(-beta * e));
        Ok(acc.value())
    }

    /// Exact `p_β(s)` of every state, indexed as in the Gray-code enumeration (bit `i` = unit
    /// `i`).
    pub fn probabilities(&self, beta: f64) -> Result<Vec<f64>> {
        let logz = self.log_z(beta)?;
        let mut p = vec![0.0; 1 << self.n];
        self.enumerate(|x, _, e| p[x as usize] = (-beta * e - logz).exp());
        Ok(p)
    }

    /// Exact means `⟨s_i⟩` and second moments `⟨s_i s_j⟩` (`N × N`) under `p_β`.
    pub fn moments(&self, beta: f64) -> Result<(Vec<f64>, Vec<f64>)> {
        let logz = self.log_z(beta)?;
        let n = self.n;
        let mut m1 = vec![0.0; n];
        let mut m2 = vec![0.0; n * n];
        self.enumerate(|_, s, e| {
            let p = (-beta * e - logz).exp();
            for a in 0..n {
                if s[a] != 0.0 {
                    m1[a] += p;
                    for c in 0..n {
                        if s[c] != 0.0 {
                            m2[a * n + c] += p;
                        }
                    }
                }
            }
        });
        Ok((m1, m2))
    }

    /// Exact mean energy `⟨E⟩_β`.
    pub fn mean_energy(&self, beta: f64) -> Result<f64> {
        let logz = self.log_z(beta)?;
        let mut m = 0.0;
        self.enumerate(|_, _, e| m += e * (-beta * e - logz).exp());
        Ok(m)
    }
}

/// Glauber dynamics of a [`BoltzmannMachine`] at inverse temperature `β` (`β = ∞` allowed).
#[derive(Clone, Debug)]
pub struct Glauber<'a> {
    bm: &'a BoltzmannMachine,
    s: Vec<f64>,
    u: Vec<f64>,
    beta: f64,
    scan: Scan,
    rng: Rng64,
}

impl<'a> Glauber<'a> {
    /// Dynamics from state `s0` (0/1 values). Errors: wrong length, values other than 0/1, or
    /// `β` negative or NaN.
    pub fn new(bm: &'a BoltzmannMachine, s0: Vec<f64>, beta: f64, scan: Scan, rng: Rng64) -> Result<Self> {
        if s0.len() != bm.n {
            return Err(Error::Shape(format!("state has {} units, the machine {}", s0.len(), bm.n)));
        }
        if let Some(i) = s0.iter().position(|&x| x != 0.0 && x != 1.0) {
            return Err(Error::param("state", format!("unit {i} is {}, not 0 or 1", s0[i])));
        }
        if beta.is_nan() || beta < 0.0 {
            return Err(Error::param("beta", format!("must be ≥ 0, got {beta}")));
        }
        let u = bm.local_fields(&s0);
        Ok(Self { bm, s: s0, u, beta, scan, rng })
    }

    /// Heat-bath update of unit `i`; returns whether it changed.
    pub fn update(&mut self, i: usize) -> bool {
        let u = self.u[i];
        let on = if self.beta.is_infinite() {
            if u > 0.0 {
                true
            } else if u < 0.0 {
                false
            } else {
                self.s[i] == 1.0
            }
        } else {
            self.rng.random::<f64>() < sigmoid(self.beta * u)
        };
        let new = if on { 1.0 } else { 0.0 };
        let d = new - self.s[i];
        if d == 0.0 {
            return false;
        }
        self.s[i] = new;
        let n = self.bm.n;
        self.u.iter_mut().zip(&self.bm.j[i * n..(i + 1) * n]).for_each(|(a, &jj)| *a += d * jj);
        true
    }

    /// One sweep of `N` updates; returns the number of units that changed.
    pub fn sweep(&mut self) -> usize {
        let n = self.bm.n;
        let mut changed = 0;
        for k in 0..n {
            let i = match self.scan {
                Scan::Sequential => k,
                Scan::Random => self.rng.random_range(0..n),
            };
            changed += usize::from(self.update(i));
        }
        changed
    }

    /// The current state.
    pub fn state(&self) -> &[f64] {
        &self.s
    }

    /// The energy of the current state.
    pub fn energy(&self) -> f64 {
        // −½ sᵀJs − bᵀs = −½ Σ s_i (u_i + b_i)
        -0.5 * self.s.iter().zip(self.u.iter().zip(&self.bm.b)).map(|(s, (u, b))| s * (u + b)).sum::<f64>()
    }
}

/// Total-variation distance `½ Σ |p − q|`.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// Draws `count` i.i.d. indices from the distribution `p` (cumulative search) and returns their
/// empirical frequencies: the floor that any sampler's total variation is compared with.
pub fn iid_frequencies(p: &[f64], count: usize, rng: &mut Rng64) -> Vec<f64> {
    let mut cdf = Vec::with_capacity(p.len());
    let mut acc = 0.0;
    for &x in p {
        acc += x;
        cdf.push(acc);
    }
    let mut freq = vec![0.0; p.len()];
    for _ in 0..count {
        let u = rng.random::<f64>() * acc;
        let k = cdf.partition_point(|&c| c <= u).min(p.len() - 1);
        freq[k] += 1.0;
    }
    freq.iter_mut().for_each(|f| *f /= count as f64);
    freq
}

/// Batch-means standard error of the mean of a correlated series: the series is cut into
/// `batches` equal batches and the standard error of their means is returned with the mean.
pub fn batch_means(xs: &[f64], batches: usize) -> (f64, f64) {
    let len = xs.len() / batches;
    let means: Vec<f64> = (0..batches).map(|k| xs[k * len..(k + 1) * len].iter().sum::<f64>() / len as f64).collect();
    crate::experiment::mean_se(&means)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boltzmann::rbm::{Layer, Rbm};
    use crate::engine::rng::stream;
    use crate::memory::Hopfield;
    use rand_distr::StandardNormal;

    fn random_bm(n: usize, seed: u64) -> BoltzmannMachine {
        let mut rng = stream(seed, 5);
        let mut j = vec![0.0; n * n];
        for a in 0..n {
            for c in 0..a {
                let x: f64 = rng.sample::<f64, _>(StandardNormal) / (n as f64).sqrt();
                j[a * n + c] = x;
                j[c * n + a] = x;
            }
        }
        let b = (0..n).map(|_| 0.3 * rng.sample::<f64, _>(StandardNormal)).collect();
        BoltzmannMachine::new(n, j, b).unwrap()
    }

    fn bits(x: u64, n: usize) -> Vec<f64> {
        (0..n).map(|i| (x >> i & 1) as f64).collect()
    }

    #[test]
    fn gray_enumeration_matches_direct_energies() {
        let bm = random_bm(7, 1);
        let mut seen = [false; 128];
        bm.enumerate(|x, s, e| {
            assert_eq!(s, bits(x, 7).as_slice());
            assert!((e - bm.energy(s)).abs() < 1e-12);
            seen[x as usize] = true;
        });
        assert!(seen.iter().all(|&b| b));
        let p = bm.probabilities(0.7).unwrap();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Local-field identity for a flip.
        let s = bits(77, 7);
        let u = bm.local_fields(&s);
        for i in 0..7 {
            let mut t = s.clone();
            t[i] = 1.0 - t[i];
            assert!((bm.energy(&t) - bm.energy(&s) - (2.0 * s[i] - 1.0) * u[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn x10_rbm_as_a_general_bm_has_the_same_log_z() {
        let mut rng = stream(4, 4);
        let (n, m) = (10, 8);
        let mut g = |k: usize| (0..k).map(|_| rng.sample::<f64, _>(StandardNormal)).collect::<Vec<f64>>();
        let rbm = Rbm::new(n, m, g(n * m), g(n), g(m)).unwrap();
        let bm = rbm.as_boltzmann_machine().unwrap();
        let a = bm.log_z(1.0).unwrap();
        let b = rbm.log_z_enumerate(Layer::Hidden).unwrap();
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }

    #[test]
    fn x12_spin_mapping_probabilities_log_z_and_zero_temperature() {
        let n = 8;
        let mut rng = stream(5, 1);
        let mut w = vec![0.0; n * n];
        for a in 0..n {
            for c in 0..a {
                let x: f64 = rng.sample::<f64, _>(StandardNormal) * 0.4;
                w[a * n + c] = x;
                w[c * n + a] = x;
            }
        }
        let theta: Vec<f64> = (0..n).map(|_| 0.2 * rng.sample::<f64, _>(StandardNormal)).collect();
        let (bm, constant) = BoltzmannMachine::from_spins(n, &w, &theta).unwrap();
        let hop = Hopfield::from_weights(n, w.clone(), theta.clone()).unwrap();
        for beta in [0.5, 1.3] {
            // Probabilities of the ±1 model by brute force.
            let spins = |x: u64| (0..n).map(|i| if x >> i & 1 == 1 { 1i8 } else { -1 }).collect::<Vec<i8>>();
            let mut acc = LogSumExp::new();
            for x in 0..1u64 << n {
                acc.push(-beta * hop.energy(&spins(x)).unwrap());
            }
            let log_z_spin = acc.value();
            let p = bm.probabilities(beta).unwrap();
            for x in 0..1u64 << n {
                let ps = (-beta * hop.energy(&spins(x)).unwrap() - log_z_spin).exp();
                assert!((ps - p[x as usize]).abs() < 1e-12);
            }
            let sum_w: f64 = w.iter().sum();
            let predicted = bm.log_z(beta).unwrap() + beta * (0.5 * sum_w + theta.iter().sum::<f64>());
            assert!((predicted - log_z_spin).abs() < 1e-9);
            assert!((-beta * constant - beta * (0.5 * sum_w + theta.iter().sum::<f64>())).abs() < 1e-12);
        }
        // β = ∞: sequential Glauber equals the asynchronous Hopfield rule σ_i ← sgn(h_i).
        for start in [3u64, 100, 201] {
            let s0 = bits(start, n);
            let mut g = Glauber::new(&bm, s0.clone(), f64::INFINITY, Scan::Sequential, stream(1, 1)).unwrap();
            let mut sigma: Vec<i8> = s0.iter().map(|&x| if x > 0.5 { 1 } else { -1 }).collect();
            for _ in 0..3 {
                for i in 0..n {
                    g.update(i);
                    let h = hop.local_field(&sigma).unwrap()[i];
                    if h > 0.0 {
                        sigma[i] = 1;
                    } else if h < 0.0 {
                        sigma[i] = -1;
                    }
                    let mapped: Vec<i8> = g.state().iter().map(|&x| if x > 0.5 { 1 } else { -1 }).collect();
                    assert_eq!(mapped, sigma);
                }
            }
        }
    }

    #[test]
    fn x11_glauber_matches_the_exact_distribution() {
        let n = 10;
        let bm = random_bm(n, 11);
        let p = bm.probabilities(1.0).unwrap();
        let exact_e = bm.mean_energy(1.0).unwrap();
        let sweeps = 1_000_000;
        let floor = total_variation(&p, &iid_frequencies(&p, sweeps, &mut stream(3, 3)));
        for (scan, seed) in [(Scan::Sequential, 1), (Scan::Random, 2)] {
            let mut g = Glauber::new(&bm, vec![0.0; n], 1.0, scan, stream(seed, 0)).unwrap();
            for _ in 0..1000 {
                g.sweep();
            }
            let mut freq = vec![0.0; 1 << n];
            let mut energies = Vec::with_capacity(sweeps);
            for _ in 0..sweeps {
                g.sweep();
                let x = g.state().iter().enumerate().fold(0usize, |acc, (i, &s)| acc | ((s as usize) << i));
                freq[x] += 1.0;
                energies.push(g.energy());
            }
            freq.iter_mut().for_each(|f| *f /= sweeps as f64);
            let tv = total_variation(&p, &freq);
            assert!(tv < 0.02, "{scan:?}: TV {tv} (i.i.d. floor {floor})");
            let (mean, se) = batch_means(&energies, 100);
            assert!((mean - exact_e).abs() < 3.0 * se, "{scan:?}: ⟨E⟩ {mean} ± {se} vs {exact_e}");
            assert!((g.energy() - bm.energy(g.state())).abs() < 1e-9);
        }
    }

    #[test]
    fn bad_machines_are_rejected() {
        assert!(BoltzmannMachine::new(0, vec![], vec![]).is_err());
        assert!(BoltzmannMachine::new(2, vec![0.0, 1.0, 2.0, 0.0], vec![0.0; 2])
            .unwrap_err()
            .to_string()
            .contains("symmetric"));
        assert!(BoltzmannMachine::new(2, vec![1.0, 0.0, 0.0, 0.0], vec![0.0; 2])
            .unwrap_err()
            .to_string()
            .contains("must be 0"));
        let bm = random_bm(3, 1);
        assert!(Glauber::new(&bm, vec![0.0, 2.0, 0.0], 1.0, Scan::Random, stream(0, 0)).is_err());
        assert!(Glauber::new(&bm, vec![0.0; 3], -1.0, Scan::Random, stream(0, 0)).is_err());
    }
}
