//! Dense associative memories (Krotov & Hopfield 2016; Demircigil et al. 2017).
//!
//! ```text
//! E(σ) = −Σ_μ F(a_μ),      a_μ = ξ^μ·σ  (raw integer overlaps)
//! ```
//!
//! | separation | F(x) | reported energy |
//! |---|---|---|
//! | [`Separation::Polynomial`] n | xⁿ | E/Nⁿ = −Σ (a/N)ⁿ |
//! | [`Separation::Rectified`] n | max(x, 0)ⁿ | E/Nⁿ |
//! | [`Separation::Exponential`] | eˣ | −ln(−E) = −ln Σ e^{a} |
//! | [`Separation::LogSumExp`] β | (energy) −β⁻¹ ln Σ e^{βa} | E |
//!
//! Every reported energy is an increasing function of E, so descent checks hold for it, and
//! every one is finite for any N, K and β: polynomials are evaluated on a/N (homogeneous F, so
//! the sign of every energy difference is unchanged), exponentials in the log domain.
//!
//! **Exact flip update (default).** With `z = a_μ − ξ_i^μ σ_i`, unit i takes the sign of
//! `Δ_i = Σ_μ [F(z + ξ_i^μ) − F(z − ξ_i^μ)]` (ties → +1), i.e. whichever value has the lower
//! energy, so the energy never increases. Writing `t_μ = ξ_i^μ σ_i`,
//! `σ_i Δ_i = Σ_μ [t_μ = +1 ? F(a_μ) − F(a_μ − 2) : F(a_μ) − F(a_μ + 2)]`, a sum of two
//! per-pattern numbers chosen by agreement — the form all kernels here use.
//!
//! For F = e^{βx} both branches share the factor `(1 − e^{−2β}) e^{β(a_μ − s)}` up to a shift
//! of 2 in the exponent, so the sum is evaluated as
//! `Σ_μ [t_μ = +1 ? e^{β(a_μ − s)} : −e^{β(a_μ + 2 − s)}]` with `s` the largest exponent:
//! no overflow, and the largest term is exactly 1.
//!
//! **Gradient-sign update (labelled variant).** `σ_i ← sgn(Σ_μ ξ_i^μ F'(z_{μ,i}))`. For the
//! exponential separations it coincides with the exact rule; for polynomials it can differ on
//! discrete states.

use std::str::FromStr;
use std::sync::OnceLock;

use rand::seq::SliceRandom;
use serde::Serialize;

use super::bits::{pack_into, BitPatterns};
use super::patterns::{check_state, Patterns};
use crate::engine::rng::Rng64;
use crate::engine::run::{Dynamics, RunLimits, Runner, StepInfo, StopFlag, StopReason};
use crate::error::{Error, Result};

/// The separation function F.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "param")]
pub enum Separation {
    /// F(x) = xⁿ, n ≥ 2 (n = 2 is the classical network).
    Polynomial(u32),
    /// F(x) = max(x, 0)ⁿ, n ≥ 1.
    Rectified(u32),
    /// F(x) = eˣ.
    Exponential,
    /// E = −β⁻¹ ln Σ_μ e^{β a_μ}, β > 0.
    LogSumExp(f64),
}

impl Separation {
    fn check(&self) -> Result<()> {
        match *self {
            Separation::Polynomial(n) if n < 2 => {
                Err(Error::param("degree", format!("polynomial degree n must be >= 2, got {n}")))
            }
            Separation::Rectified(0) => Err(Error::param("degree", "rectified degree n must be >= 1")),
            Separation::LogSumExp(b) if !(b.is_finite() && b > 0.0) => {
                Err(Error::param("beta", format!("must be finite and > 0, got {b}")))
            }
            _ => Ok(()),
        }
    }
    /// β of the exponential separations (1 for `Exponential`), `None` for polynomials.
    fn beta(&self) -> Option<f64> {
        match *self {
            Separation::Exponential => Some(1.0),
            Separation::LogSumExp(b) => Some(b),
            _ => None,
        }
    }
}

impl FromStr for Separation {
    type Err = Error;
    /// `poly:3`, `rep:3`, `exp`, `lse:0.5`.
    fn from_str(s: &str) -> Result<Self> {
        let (name, param) = s.split_once(':').map_or((s, None), |(a, b)| (a, Some(b)));
        let degree = |p: Option<&str>| -> Result<u32> {
            p.ok_or_else(|| Error::param("separation", format!("`{s}` needs a degree, e.g. {name}:3")))?
                .parse()
                .map_err(|_| Error::param("degree", format!("`{}` is not a whole number", p.unwrap_or(""))))
        };
        let sep = match name.to_ascii_lowercase().as_str() {
            "poly" | "polynomial" => Separation::Polynomial(degree(param)?),
            "rep" | "rectified" => Separation::Rectified(degree(param)?),
            "exp" | "exponential" if param.is_none() => Separation::Exponential,
            "exp" | "exponential" => {
                return Err(Error::param(
                    "separation",
                    format!("`{s}`: exp takes no parameter (use lse:β for a temperature)"),
                ))
            }
            "lse" | "logsumexp" => Separation::LogSumExp(
                param
                    .unwrap_or("1")
                    .parse()
                    .map_err(|_| Error::param("beta", format!("`{}` is not a number", param.unwrap_or(""))))?,
            ),
            other => {
                return Err(Error::param(
                    "separation",
                    format!("unknown separation `{other}` (expected poly:n, rep:n, exp, lse:β)"),
                ))
            }
        };
        sep.check()?;
        Ok(sep)
    }
}

/// Which single-unit update rule to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlipRule {
    /// Keep the value of lower energy (exact energy difference); never raises the energy.
    Exact,
    /// `sgn(Σ_μ ξ_i^μ F'(z))`; not a descent rule in general for polynomials.
    GradientSign,
}

impl FromStr for FlipRule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "exact" => Ok(Self::Exact),
            "gradient-sign" | "gradient" => Ok(Self::GradientSign),
            other => Err(Error::param("update", format!("unknown update `{other}` (expected exact or gradient-sign)"))),
        }
    }
}

/// A dense associative memory over ±1 patterns.
#[derive(Clone, Debug)]
pub struct DenseAM {
    patterns: Patterns,
    bits: BitPatterns,
    /// N×K transpose: column access ξ_i^μ for fixed i is contiguous. Built on first use (the
    /// per-unit decisions need it; the one-step check of the exponential separations does not).
    transposed: OnceLock<Vec<i8>>,
    separation: Separation,
    rule: FlipRule,
    /// For polynomials: per-overlap pair (g₊, g₋) = (F(a) − F(a−2), F(a) − F(a+2)) for
    /// a ∈ [−N, N] (exact rule), or (F'(a−1), −F'(a+1)) (gradient-sign rule), on a/N.
    table: Vec<(f64, f64)>,
    /// For exponentials: e^{−βk}, k = 0 … 2N+2.
    exp_table: Vec<f64>,
}

/// Polynomial separation on the scaled argument x/N.
fn poly_value(sep: Separation, x: f64) -> f64 {
    match sep {
        Separation::Polynomial(n) => x.powi(n as i32),
        Separation::Rectified(n) => x.max(0.0).powi(n as i32),
        _ => unreachable!("only polynomial separations are tabulated"),
    }
}

fn poly_slope(sep: Separation, x: f64) -> f64 {
    match sep {
        Separation::Polynomial(n) => n as f64 * x.powi(n as i32 - 1),
        Separation::Rectified(n) => n as f64 * x.max(0.0).powi(n as i32 - 1),
        _ => unreachable!("only polynomial separations are tabulated"),
    }
}

/// Log-sum-exp of `β·a` with the maximum shifted out.
fn lse(beta: f64, a: &[i32]) -> f64 {
    let m = a.iter().copied().max().unwrap_or(0) as f64;
    let s: f64 = a.iter().map(|&x| (beta * (x as f64 - m)).exp()).sum();
    beta * m + s.ln()
}

impl DenseAM {
    /// A memory storing `patterns` with separation `separation` and update rule `rule`.
    pub fn new(patterns: Patterns, separation: Separation, rule: FlipRule) -> Result<Self> {
        separation.check()?;
        if patterns.is_empty() {
            return Err(Error::param("patterns", "at least one pattern is needed"));
        }
        let n = patterns.len();
        let scale = 1.0 / n as f64;
        let table = match separation.beta() {
            Some(_) => Vec::new(),
            None => (0..=2 * n)
                .map(|j| {
                    let a = j as f64 - n as f64;
                    match rule {
                        FlipRule::Exact => {
                            let f = |x: f64| poly_value(separation, x * scale);
                            (f(a) - f(a - 2.0), f(a) - f(a + 2.0))
                        }
                        FlipRule::GradientSign => {
                            let g = |x: f64| poly_slope(separation, x * scale);
                            (g(a - 1.0), -g(a + 1.0))
                        }
                    }
                })
                .collect(),
        };
        let exp_table = match separation.beta() {
            Some(beta) => (0..=2 * n + 2).map(|k| (-beta * k as f64).exp()).collect(),
            None => Vec::new(),
        };
        let bits = BitPatterns::from_patterns(&patterns);
        Ok(Self { patterns, bits, transposed: OnceLock::new(), separation, rule, table, exp_table })
    }

    pub fn patterns(&self) -> &Patterns {
        &self.patterns
    }

    /// The N×K transpose of the patterns (built on first use).
    fn transposed(&self) -> &[i8] {
        self.transposed.get_or_init(|| transpose(self.patterns.as_slice(), self.patterns.count(), self.patterns.len()))
    }
    pub fn separation(&self) -> Separation {
        self.separation
    }
    pub fn rule(&self) -> FlipRule {
        self.rule
    }

    /// Raw overlaps `a_μ = ξ^μ·σ` by popcount.
    pub fn overlaps(&self, s: &[i8]) -> Result<Vec<i32>> {
        check_state(s, self.patterns.len())?;
        let mut packed = vec![0u64; self.bits.words()];
        pack_into(s, &mut packed);
        let mut a = vec![0i32; self.patterns.count()];
        self.bits.overlaps(&packed, &mut a);
        Ok(a)
    }

    /// The reported energy of σ (see the module table); finite for every input.
    pub fn energy(&self, s: &[i8]) -> Result<f64> {
        Ok(self.energy_from_overlaps(&self.overlaps(s)?))
    }

    fn energy_from_overlaps(&self, a: &[i32]) -> f64 {
        let inv = 1.0 / self.patterns.len() as f64;
        match self.separation {
            Separation::Polynomial(_) | Separation::Rectified(_) => {
                -a.iter().map(|&x| poly_value(self.separation, x as f64 * inv)).sum::<f64>()
            }
            Separation::Exponential => -lse(1.0, a),
            Separation::LogSumExp(beta) => -lse(beta, a) / beta,
        }
    }

    /// `σ_i Δ_i` for unit i given overlaps `a` and agreements `t_μ = ξ_i^μ σ_i` read from the
    /// transposed patterns. The unit keeps σ_i when this is > 0, or ≥ 0 when σ_i = +1.
    fn signed_drive(&self, i: usize, si: i8, a: &[i32]) -> f64 {
        let k = self.patterns.count();
        let n = self.patterns.len() as i32;
        let col = &self.transposed()[i * k..(i + 1) * k];
        if self.separation.beta().is_some() {
            // Exponent offsets: agree → a, disagree → a + 2; shift by the largest.
            let s = col.iter().zip(a).map(|(&x, &am)| if x == si { am } else { am + 2 }).max().unwrap_or(0);
            let mut sum = 0.0;
            for (&x, &am) in col.iter().zip(a) {
                if x == si {
                    sum += self.exp_table[(s - am) as usize];
                } else {
                    sum -= self.exp_table[(s - am - 2) as usize];
                }
            }
            sum
        } else {
            col.iter()
                .zip(a)
                .map(|(&x, &am)| {
                    let (gp, gm) = self.table[(am + n) as usize];
                    if x == si {
                        gp
                    } else {
                        gm
                    }
                })
                .sum()
        }
    }

    /// The value unit i takes given overlaps `a` (ties → +1).
    fn decide(&self, i: usize, si: i8, a: &[i32]) -> i8 {
        let d = self.signed_drive(i, si, a);
        // Δ_i = σ_i·d; new value +1 iff Δ_i ≥ 0.
        let delta = if si > 0 { d } else { -d };
        if delta >= 0.0 {
            1
        } else {
            -1
        }
    }

    /// For each unit, whether one update (all other units held fixed) would change it.
    pub fn unstable_bits(&self, s: &[i8]) -> Result<Vec<bool>> {
        let a = self.overlaps(s)?;
        Ok((0..s.len()).map(|i| self.decide(i, s[i], &a) != s[i]).collect())
    }

    /// Number of bits of σ that one update would change (one-step bit errors when σ = ξ^μ).
    pub fn one_step_errors(&self, s: &[i8]) -> Result<usize> {
        if self.separation.beta().is_some() {
            return self.one_step_errors_exp(s);
        }
        Ok(self.unstable_bits(s)?.into_iter().filter(|&b| b).count())
    }

    /// One-step check for the exponential separations by grouping the patterns by overlap.
    ///
    /// Every overlap is `a = N − 2h` (h: Hamming distance to σ), so with
    /// `A_{h,i} = #{μ : h_μ = h, ξ_i^μ = σ_i}` and `D_{h,i} = #{μ : h_μ = h, ξ_i^μ ≠ σ_i}`
    /// the pattern-outer sum is `Σ_h A_{h,i} e^{β(a_h − top)} − D_{h,i} e^{β(a_h + 2 − top)}`.
    /// Collecting equal exponents (`a_h + 2 = a_{h−1}`) gives
    /// `Σ_g (A_{g,i} − D_{g+1,i}) e^{β(N − 2g − top)}`, g = h_min − 1 … N: exact integer
    /// coefficients (exactly 0 when every coefficient is 0) and N + 2 terms per bit, largest first.
    /// The counts come from one pass of XOR, popcount and byte-counter additions over the
    /// bit-packed patterns. Same shift `top = max a + 2` as [`Self::exp_sums_direct`] for β ≤ 64,
    /// so the per-bit sums are the same numbers up to the direct sums' rounding.
    fn exp_sums_buckets(&self, s: &[i8]) -> Result<Vec<f64>> {
        let n = self.patterns.len();
        check_state(s, n)?;
        let mut packed = vec![0u64; self.bits.words()];
        pack_into(s, &mut packed);
        let b = self.bits.hamming_buckets(&packed);
        // Patterns exist, so some group is non-empty; top − (N − 2g) = 2(g − h_min + 1).
        let h_min = b.total.iter().position(|&t| t > 0).unwrap_or(0);
        let mut sum = vec![0.0f64; n];
        for g in h_min.saturating_sub(1)..=n {
            let e = self.exp_table[2 * (g + 1 - h_min)];
            let agree = (g + 1 > h_min).then(|| (b.total[g], b.differ(g)));
            let differ_next = (g < n).then(|| b.differ(g + 1));
            for (i, acc) in sum.iter_mut().enumerate() {
                let a = agree.map_or(0, |(t, d)| (t - d[i]) as i64);
                let d = differ_next.map_or(0, |d| d[i] as i64);
                let c = a - d;
                if c != 0 {
                    *acc += c as f64 * e;
                }
            }
        }
        Ok(sum)
    }

    /// The exponential one-step check: per-bit sums grouped by overlap
    /// ([`Self::exp_sums_buckets`]) where one shift serves every bit (β ≤ 64) and the groups'
    /// counters are no larger than the patterns; otherwise [`Self::exp_sums_direct`]. Bit i
    /// changes when its sum is < 0 (σ_i = +1) or ≤ 0 (σ_i = −1).
    fn one_step_errors_exp(&self, s: &[i8]) -> Result<usize> {
        let (k, n) = (self.patterns.count(), self.patterns.len());
        let beta = self.separation.beta().unwrap_or(1.0);
        let sum =
            if beta <= 64.0 && (n <= 256 || n <= k) { self.exp_sums_buckets(s)? } else { self.exp_sums_direct(s)? };
        Ok(unstable_count(s, &sum))
    }

    /// Pattern-outer kernel for the exponential separations: per pattern one pair of terms,
    /// accumulated over all bits at once, with per-bit maximum shifts (two passes) when β > 64.
    fn exp_sums_direct(&self, s: &[i8]) -> Result<Vec<f64>> {
        let a = self.overlaps(s)?;
        let n = s.len();
        let beta = self.separation.beta().unwrap_or(1.0);
        let mut sum = vec![0.0f64; n];
        if beta <= 64.0 {
            // One shift for all bits: the largest term is at least e^{−2β} ≥ e^{−128}, far from
            // underflow, so the per-pattern pair of terms is computed once and selected per bit.
            let top = a.iter().copied().max().unwrap_or(0) + 2;
            exp_sums(self.patterns.as_slice(), n, s, &a, top, &self.exp_table, &mut sum);
        } else {
            // Per-bit shifts (two passes) so that the largest term of every bit is exactly 1.
            let mut shift = vec![i32::MIN; n];
            for (row, &am) in self.patterns.rows().zip(&a) {
                for ((m, &x), &si) in shift.iter_mut().zip(row).zip(s) {
                    *m = (*m).max(if x == si { am } else { am + 2 });
                }
            }
            for (row, &am) in self.patterns.rows().zip(&a) {
                for (((acc, &x), &si), &m) in sum.iter_mut().zip(row).zip(s).zip(&shift) {
                    *acc += if x == si {
                        self.exp_table[(m - am) as usize]
                    } else {
                        -self.exp_table[(m - am - 2) as usize]
                    };
                }
            }
        }
        Ok(sum)
    }

    /// Retrieves every cue of `cues` (rows of length N) in parallel with the seeding of
    /// [`crate::memory::Hopfield::retrieve_batch`].
    pub fn retrieve_batch(
        &self,
        cues: &[i8],
        max_sweeps: usize,
        track_energy: bool,
        seed: u64,
        stop: &StopFlag,
    ) -> Result<Vec<Option<DenseRetrieval>>> {
        let n = self.patterns.len();
        let count = super::batch_rows(cues.len(), n)?;
        crate::engine::replicas::run_seeded(count, seed, &[crate::experiment::streams::RETRIEVE], stop, |c, rng| {
            self.retrieve(&cues[c * n..(c + 1) * n], max_sweeps, track_energy, rng, stop)
        })
    }

    /// Runs asynchronous sweeps (random permutation order) from `cue` until no unit changes or
    /// `max_sweeps` sweeps; returns the final state, the sweeps, flips, status and (if asked)
    /// the reported energy before the run and after every sweep.
    pub fn retrieve(
        &self,
        cue: &[i8],
        max_sweeps: usize,
        track_energy: bool,
        rng: &mut Rng64,
        stop: &StopFlag,
    ) -> Result<DenseRetrieval> {
        check_state(cue, self.patterns.len())?;
        let mut state = cue.to_vec();
        let a = self.overlaps(&state)?;
        let mut dyn_ = DenseDynamics { am: self, a, perm: (0..cue.len()).collect(), rng, flips: 0 };
        let mut trace = crate::engine::observers::EnergyTrace::new();
        let mut obs: Vec<&mut dyn crate::engine::Observer<Vec<i8>>> = Vec::new();
        if track_energy {
            obs.push(&mut trace);
        }
        let runner = Runner::new(RunLimits { max_steps: max_sweeps, ..Default::default() }).with_stop(stop.clone());
        let report = runner.run(&mut dyn_, &mut state, &mut obs)?;
        let flips = dyn_.flips;
        let energy = self.energy_from_overlaps(&dyn_.a);
        Ok(DenseRetrieval {
            state,
            converged: report.reason == StopReason::Converged,
            interrupted: report.reason == StopReason::Interrupted,
            sweeps: report.steps,
            flips,
            energy,
            energy_trace: track_energy.then_some(trace.energies),
        })
    }
}

/// Bits that one update changes, from the per-bit sums `σ_i Δ_i` (up to a positive factor):
/// σ_i = +1 changes when the sum is < 0, σ_i = −1 when it is ≤ 0 (ties → +1).
fn unstable_count(s: &[i8], sum: &[f64]) -> usize {
    s.iter().zip(sum).filter(|&(&si, &d)| if si > 0 { d < 0.0 } else { d <= 0.0 }).count()
}

/// The K×N ±1 matrix `p` transposed to N×K, in tiles so that reads and writes stay in cache.
fn transpose(p: &[i8], k: usize, n: usize) -> Vec<i8> {
    const TILE: usize = 64;
    let mut t = vec![0i8; k * n];
    for mu0 in (0..k).step_by(TILE) {
        let mu1 = (mu0 + TILE).min(k);
        for i0 in (0..n).step_by(TILE) {
            let i1 = (i0 + TILE).min(n);
            for i in i0..i1 {
                let out = &mut t[i * k + mu0..i * k + mu1];
                for (o, mu) in out.iter_mut().zip(mu0..mu1) {
                    *o = p[mu * n + i];
                }
            }
        }
    }
    t
}

/// `sum_i += Σ_μ [ξ_i^μ = σ_i ? e^{a_μ − top} : −e^{a_μ + 2 − top}]` over the patterns in order,
/// every bit at once (the pattern-outer kernel of the exponential one-step check). The AVX2
/// path is the same loop compiled for wider vectors: the same additions in the same order.
fn exp_sums(patterns: &[i8], n: usize, s: &[i8], a: &[i32], top: i32, table: &[f64], sum: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { exp_sums_avx2(patterns, n, s, a, top, table, sum) };
        return;
    }
    exp_sums_body(patterns, n, s, a, top, table, sum)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn exp_sums_avx2(patterns: &[i8], n: usize, s: &[i8], a: &[i32], top: i32, table: &[f64], sum: &mut [f64]) {
    exp_sums_body(patterns, n, s, a, top, table, sum)
}

#[inline(always)]
fn exp_sums_body(patterns: &[i8], n: usize, s: &[i8], a: &[i32], top: i32, table: &[f64], sum: &mut [f64]) {
    let sum = &mut sum[..n];
    let s = &s[..n];
    for (row, &am) in patterns.chunks_exact(n).zip(a) {
        let agree = table[(top - am) as usize];
        let differ = -table[(top - am - 2) as usize];
        for ((acc, &x), &si) in sum.iter_mut().zip(&row[..n]).zip(s) {
            *acc += if x == si { agree } else { differ };
        }
    }
}

/// The outcome of [`DenseAM::retrieve`].
#[derive(Clone, Debug, Serialize)]
pub struct DenseRetrieval {
    pub state: Vec<i8>,
    pub converged: bool,
    pub interrupted: bool,
    pub sweeps: usize,
    pub flips: usize,
    pub energy: f64,
    pub energy_trace: Option<Vec<f64>>,
}

struct DenseDynamics<'a> {
    am: &'a DenseAM,
    a: Vec<i32>,
    perm: Vec<usize>,
    rng: &'a mut Rng64,
    flips: usize,
}

impl Dynamics for DenseDynamics<'_> {
    type State = Vec<i8>;
    fn step(&mut self, s: &mut Vec<i8>) -> Result<StepInfo> {
        let k = self.am.patterns.count();
        let mut perm = std::mem::take(&mut self.perm);
        perm.shuffle(self.rng);
        let mut changed = 0;
        for &i in &perm {
            let new = self.am.decide(i, s[i], &self.a);
            if new != s[i] {
                s[i] = new;
                // a_μ changes by 2 ξ_i^μ σ_i^new.
                let col = &self.am.transposed()[i * k..(i + 1) * k];
                let two = 2 * new as i32;
                self.a.iter_mut().zip(col).for_each(|(am, &x)| *am += two * x as i32);
                changed += 1;
            }
        }
        self.perm = perm;
        self.flips += changed;
        Ok(StepInfo { changed, residual: None, dt: 1.0, converged: changed == 0, cycle: false })
    }
    fn energy(&self, _: &Vec<i8>) -> Option<f64> {
        Some(self.am.energy_from_overlaps(&self.a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::memory::patterns::corrupt;
    use proptest::prelude::{any, prop_assert, proptest, ProptestConfig};
    use rand::Rng;

    /// E = −Σ F(a) computed directly (unscaled; F(x) = xⁿ, max(x,0)ⁿ or e^{βx}).
    fn brute_energy(p: &Patterns, sep: Separation, s: &[i8]) -> f64 {
        -p.rows()
            .map(|r| {
                let a: f64 = r.iter().zip(s).map(|(&x, &y)| (x * y) as f64).sum();
                match sep {
                    Separation::Polynomial(n) => a.powi(n as i32),
                    Separation::Rectified(n) => a.max(0.0).powi(n as i32),
                    Separation::Exponential => a.exp(),
                    Separation::LogSumExp(b) => (b * a).exp(),
                }
            })
            .sum::<f64>()
    }

    fn seps() -> [Separation; 5] {
        [
            Separation::Polynomial(2),
            Separation::Polynomial(3),
            Separation::Rectified(4),
            Separation::Exponential,
            Separation::LogSumExp(0.3),
        ]
    }

    #[test]
    fn exact_decision_is_the_lower_energy_value() {
        let mut rng = stream(31, 0);
        for sep in seps() {
            let p = Patterns::random(9, 14, &mut rng).unwrap();
            let am = DenseAM::new(p.clone(), sep, FlipRule::Exact).unwrap();
            for _ in 0..5 {
                let s: Vec<i8> = (0..14).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect();
                let a = am.overlaps(&s).unwrap();
                for i in 0..14 {
                    let (mut up, mut down) = (s.clone(), s.clone());
                    up[i] = 1;
                    down[i] = -1;
                    let (eu, ed) = (brute_energy(&p, sep, &up), brute_energy(&p, sep, &down));
                    let want = if eu <= ed { 1 } else { -1 };
                    // Ties (equal energies) go to +1; skip near-ties where rounding decides.
                    if (eu - ed).abs() > 1e-9 * eu.abs().max(1.0) {
                        assert_eq!(am.decide(i, s[i], &a), want, "{sep:?} unit {i}");
                    }
                }
                // Reported energy is an increasing function of the true energy.
                let e = brute_energy(&p, sep, &s);
                let r = am.energy(&s).unwrap();
                let expect = match sep {
                    Separation::Polynomial(n) | Separation::Rectified(n) => e / 14f64.powi(n as i32),
                    Separation::Exponential => -(-e).ln(),
                    Separation::LogSumExp(b) => -(-e).ln() / b,
                };
                assert!((r - expect).abs() < 1e-9 * expect.abs().max(1.0), "{sep:?}: {r} vs {expect}");
            }
        }
    }

    #[test]
    fn gradient_sign_matches_its_definition_and_can_differ_from_exact() {
        let mut rng = stream(32, 0);
        let sep = Separation::Polynomial(3);
        let (mut differ, n) = (0, 12);
        for _ in 0..40 {
            let p = Patterns::random(30, n, &mut rng).unwrap();
            let g = DenseAM::new(p.clone(), sep, FlipRule::GradientSign).unwrap();
            let e = DenseAM::new(p.clone(), sep, FlipRule::Exact).unwrap();
            let s: Vec<i8> = (0..n).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect();
            let a = g.overlaps(&s).unwrap();
            for i in 0..n {
                let drive: f64 = p
                    .rows()
                    .zip(&a)
                    .map(|(r, &am)| {
                        let z = am as f64 - (r[i] * s[i]) as f64;
                        r[i] as f64 * 3.0 * z * z
                    })
                    .sum();
                let want = if drive >= 0.0 { 1 } else { -1 };
                if drive.abs() > 1e-9 {
                    assert_eq!(g.decide(i, s[i], &a), want);
                }
                differ += usize::from(g.decide(i, s[i], &a) != e.decide(i, s[i], &a));
            }
        }
        assert!(differ > 0, "the two rules never disagreed; the test would not notice a mix-up");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn exact_flips_never_increase_the_energy(seed in any::<u64>(), k in 1usize..60, n in 2usize..40, which in 0usize..5) {
            let sep = seps()[which];
            let mut rng = stream(seed, 0);
            let p = Patterns::random(k, n, &mut rng).unwrap();
            let am = DenseAM::new(p.clone(), sep, FlipRule::Exact).unwrap();
            let cue = corrupt(p.row(0), 0.3, &mut rng).unwrap();
            let out = am.retrieve(&cue, 50, true, &mut rng, &StopFlag::new()).unwrap();
            let tr = out.energy_trace.unwrap();
            for w in tr.windows(2) {
                prop_assert!(w[1] <= w[0] + 1e-9 * w[0].abs().max(1.0), "{:?}: {} -> {}", sep, w[0], w[1]);
            }
            prop_assert!(out.converged);
            prop_assert!(am.unstable_bits(&out.state).unwrap().iter().all(|&b| !b));
            prop_assert!((am.energy(&out.state).unwrap() - out.energy).abs() < 1e-9 * out.energy.abs().max(1.0));
        }
    }

    #[test]
    fn exponential_memory_is_finite_far_beyond_n_patterns() {
        // N = 32, K = e^{0.4·32} ≈ 362,217 patterns (about 11,000·N).
        let mut rng = stream(33, 0);
        let k = (0.4f64 * 32.0).exp().round() as usize;
        let p = Patterns::random(k, 32, &mut rng).unwrap();
        let am = DenseAM::new(p, Separation::Exponential, FlipRule::Exact).unwrap();
        let mut stable = 0;
        for mu in 0..20 {
            let s = am.patterns().row(mu).to_vec();
            let e = am.energy(&s).unwrap();
            assert!(e.is_finite());
            stable += usize::from(am.one_step_errors(&s).unwrap() == 0);
        }
        assert!(stable >= 19, "{stable}/20 stable");
        // Huge β and N do not overflow either.
        let p = Patterns::random(50, 2000, &mut rng).unwrap();
        let am = DenseAM::new(p, Separation::LogSumExp(400.0), FlipRule::Exact).unwrap();
        let cue = corrupt(am.patterns().row(3), 0.3, &mut rng).unwrap();
        assert!(am.energy(&cue).unwrap().is_finite());
        let out = am.retrieve(&cue, 5, false, &mut rng, &StopFlag::new()).unwrap();
        assert_eq!(out.state, am.patterns().row(3));
    }

    #[test]
    fn exp_one_step_kernel_agrees_with_per_unit_decisions() {
        let mut rng = stream(34, 0);
        for sep in [Separation::Exponential, Separation::LogSumExp(2.5), Separation::LogSumExp(80.0)] {
            let p = Patterns::random(3000, 16, &mut rng).unwrap();
            let am = DenseAM::new(p, sep, FlipRule::Exact).unwrap();
            for mu in 0..30 {
                let s = am.patterns().row(mu).to_vec();
                let slow = am.unstable_bits(&s).unwrap().iter().filter(|&&b| b).count();
                assert_eq!(am.one_step_errors(&s).unwrap(), slow);
            }
        }
    }

    /// Unstable bits of σ by comparing, for every bit, the two energies
    /// −β⁻¹ lse(β a) with the bit +1 and −1 directly (log-sum-exp with the maximum shifted out);
    /// near-ties are returned as `None`.
    fn unstable_by_energies(p: &Patterns, beta: f64, s: &[i8]) -> Option<usize> {
        let a: Vec<i32> = p.rows().map(|r| r.iter().zip(s).map(|(&x, &y)| (x * y) as i32).sum()).collect();
        let mut changed = 0;
        for i in 0..s.len() {
            // Overlaps with bit i flipped: a − 2 ξ_i σ_i.
            let flipped: Vec<i32> = p.rows().zip(&a).map(|(r, &am)| am - 2 * (r[i] * s[i]) as i32).collect();
            let (keep, flip) = (lse(beta, &a), lse(beta, &flipped));
            if (keep - flip).abs() < 1e-9 * keep.abs().max(1.0) {
                return None;
            }
            // Lower energy = larger lse; the bit changes when the flipped value is lower.
            changed += usize::from(flip > keep);
        }
        Some(changed)
    }

    #[test]
    fn grouped_exp_check_matches_the_direct_sums_and_the_energies() {
        let mut rng = stream(35, 0);
        let cells = [(16usize, 0.6f64, 40usize), (24, 0.5, 12), (70, 0.1, 10), (5, 0.9, 30), (40, 0.2, 20)];
        let seps = [
            Separation::Exponential,
            Separation::LogSumExp(0.5),
            Separation::LogSumExp(2.5),
            Separation::LogSumExp(5.0),
        ];
        let (mut unstable, mut near_ties, mut checks) = (0, 0, 0);
        for (n, alpha, tests) in cells {
            let k = (alpha * n as f64).exp().round() as usize;
            let p = Patterns::random(k, n, &mut rng).unwrap();
            for sep in seps {
                let am = DenseAM::new(p.clone(), sep, FlipRule::Exact).unwrap();
                let beta = sep.beta().unwrap();
                for t in 0..tests {
                    // Stored patterns, and (every third test) a random state.
                    let s: Vec<i8> = if t % 3 == 2 {
                        (0..n).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect()
                    } else {
                        p.row(t).to_vec()
                    };
                    let (fast, direct) = (am.exp_sums_buckets(&s).unwrap(), am.exp_sums_direct(&s).unwrap());
                    let grouped = unstable_count(&s, &fast);
                    assert_eq!(am.one_step_errors(&s).unwrap(), grouped);
                    // The direct sums carry rounding errors up to about K·ε (largest term ≤ 1);
                    // the grouped ones have exact coefficients. They must agree to that, and
                    // so must the decisions wherever the direct sum is not within it of 0.
                    let tol = 1e-12 * k as f64;
                    for (i, (&f, &d)) in fast.iter().zip(&direct).enumerate() {
                        assert!((f - d).abs() <= tol, "N = {n}, {sep:?}, test {t}, bit {i}: {f} vs {d}");
                    }
                    if direct.iter().all(|d| d.abs() > tol) {
                        assert_eq!(grouped, unstable_count(&s, &direct), "N = {n}, {sep:?}, test {t}");
                    } else {
                        near_ties += 1;
                    }
                    if t < 6 {
                        if let Some(e) = unstable_by_energies(&p, beta, &s) {
                            assert_eq!(grouped, e, "N = {n}, {sep:?}, test {t}: energies");
                        }
                    }
                    unstable += grouped;
                    checks += 1;
                }
            }
        }
        assert!(unstable > 100, "only {unstable} unstable bits: the comparison would not notice a sign slip");
        assert!(near_ties * 4 < checks, "{near_ties} of {checks} states had a near-tie");
    }

    #[test]
    fn parsing_and_validation() {
        assert_eq!("poly:3".parse::<Separation>().unwrap(), Separation::Polynomial(3));
        assert_eq!("lse:0.5".parse::<Separation>().unwrap(), Separation::LogSumExp(0.5));
        assert!("poly:1".parse::<Separation>().is_err());
        assert!("lse:-1".parse::<Separation>().is_err());
        assert!("lse:nan".parse::<Separation>().is_err());
        assert!("poly".parse::<Separation>().is_err());
        assert!("cubic".parse::<Separation>().is_err());
        assert!("exp:5".parse::<Separation>().is_err());
        let p = Patterns::new(0, 3, vec![]).unwrap();
        assert!(DenseAM::new(p, Separation::Exponential, FlipRule::Exact).is_err());
    }
}
