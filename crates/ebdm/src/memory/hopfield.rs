//! The classical binary Hopfield network (Hopfield 1982).
//!
//! State σ ∈ {−1, +1}ᴺ, symmetric weights W and bias b, energy
//!
//! ```text
//! E(σ) = −½ σᵀWσ + bᵀσ,        local field h_i = Σ_j w_ij σ_j − b_i.
//! ```
//!
//! Flipping unit i changes the energy by `ΔE = 2σ_i h_i − 2w_ii` (σ_i the old value), so an
//! asynchronous update that flips only units with σ_i h_i < 0 never raises the energy when W is
//! symmetric with w_ii ≥ 0.
//!
//! **Tie rule.** A unit with h_i = 0 keeps its state in every update mode (the reference
//! simulation's rule, [`TIE_KEEPS_STATE`]). A fixed point is thus a state with σ_i h_i ≥ 0 for
//! all i, the same under every mode.
//!
//! ```
//! use ebdm::engine::rng::stream;
//! use ebdm::memory::{Hopfield, LearningRule, Patterns, RetrieveParams, patterns::corrupt};
//! let mut rng = stream(0, 0);
//! let p = Patterns::random(5, 200, &mut rng).unwrap();
//! let net = Hopfield::train(&p, LearningRule::Hebb).unwrap();
//! let cue = corrupt(p.row(0), 0.1, &mut rng).unwrap();
//! let out = net.retrieve(&cue, &RetrieveParams::default(), &mut rng).unwrap();
//! assert_eq!(out.state, p.row(0));
//! ```

use std::str::FromStr;

use faer::linalg::solvers::Solve;
use faer::Mat;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::Serialize;

use super::patterns::{check_state, Patterns};
use crate::engine::observers::EnergyTrace;
use crate::engine::rng::Rng64;
use crate::engine::run::{Dynamics, RunLimits, Runner, StepInfo, StopFlag, StopReason};
use crate::error::{check_finite, Error, Result};

/// Units with zero local field keep their state.
pub const TIE_KEEPS_STATE: bool = true;

/// How the weights are learned from the patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LearningRule {
    /// `W = (1/N) Σ_μ ξ^μ ξ^μᵀ` (Hebb 1949; Hopfield 1982).
    Hebb,
    /// Projection rule `W = Ξᵀ(ΞΞᵀ)⁻¹Ξ` (Personnaz, Guyon & Dreyfus 1985): for linearly
    /// independent patterns `Wξ^ν = ξ^ν`, so every pattern is a fixed point for K < N.
    PseudoInverse,
    /// Storkey's incremental rule (Storkey 1997):
    /// `w_ij ← w_ij + (1/N)(ξ_iξ_j − ξ_i h_ji − h_ij ξ_j)` with
    /// `h_ij = Σ_{k≠i,j} w_ik ξ_k`.
    Storkey,
}

impl FromStr for LearningRule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "hebb" | "hebbian" => Ok(Self::Hebb),
            "pinv" | "pseudo-inverse" | "pseudoinverse" | "projection" => Ok(Self::PseudoInverse),
            "storkey" => Ok(Self::Storkey),
            other => {
                Err(Error::param("rule", format!("unknown learning rule `{other}` (expected hebb, pinv or storkey)")))
            }
        }
    }
}

/// The order in which asynchronous updates visit units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// A fresh random permutation of the units each sweep.
    Permutation,
    /// A uniformly random unit at each update (N updates per sweep).
    Random,
    /// A unit chosen uniformly among the unstable ones (σ_i h_i < 0); N flips per sweep.
    Unstable,
}

impl FromStr for Order {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "permutation" | "perm" => Ok(Self::Permutation),
            "random" => Ok(Self::Random),
            "unstable" => Ok(Self::Unstable),
            other => Err(Error::param(
                "order",
                format!("unknown order `{other}` (expected permutation, random or unstable)"),
            )),
        }
    }
}

/// Update mode of a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode")]
pub enum UpdateMode {
    /// Zero-temperature asynchronous updates `σ_i ← sgn(h_i)`, one unit at a time.
    Async { order: Order },
    /// All units at once, `σ ← sgn(Wσ − b)`; may end in a 2-cycle.
    Sync,
    /// Glauber dynamics at inverse temperature β:
    /// `P(σ_i = +1) = 1 / (1 + exp(−2βh_i))`, units visited in random permutation order.
    Glauber { beta: f64 },
}

/// Parameters of a retrieval run.
#[derive(Clone, Debug, Serialize)]
pub struct RetrieveParams {
    pub mode: UpdateMode,
    /// Sweep budget (a sweep is N unit updates, or N flips in `Unstable` order).
    pub max_sweeps: usize,
    /// Record the energy after every sweep.
    pub track_energy: bool,
}

impl Default for RetrieveParams {
    fn default() -> Self {
        Self { mode: UpdateMode::Async { order: Order::Unstable }, max_sweeps: 20, track_energy: false }
    }
}

impl RetrieveParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<()> {
        if self.max_sweeps == 0 {
            return Err(Error::param("max_sweeps", "must be at least 1"));
        }
        if let UpdateMode::Glauber { beta } = self.mode {
            if !(beta.is_finite() && beta >= 0.0) {
                return Err(Error::param("beta", format!("must be finite and >= 0, got {beta}")));
            }
        }
        Ok(())
    }
}

/// How a retrieval run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    FixedPoint,
    TwoCycle,
    MaxSweeps,
    Interrupted,
}

/// The outcome of a retrieval run.
#[derive(Clone, Debug, Serialize)]
pub struct Retrieval {
    pub state: Vec<i8>,
    pub status: Status,
    pub sweeps: usize,
    pub flips: usize,
    pub energy: f64,
    /// Energy before the run and after every sweep, when requested.
    pub energy_trace: Option<Vec<f64>>,
}

/// A binary Hopfield network with dense weights.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Hopfield {
    n: usize,
    /// Row-major N×N weights.
    weights: Vec<f64>,
    bias: Vec<f64>,
    symmetric: bool,
}

impl Hopfield {
    /// Learns weights from `patterns` with `rule`, zero diagonal, no bias.
    pub fn train(patterns: &Patterns, rule: LearningRule) -> Result<Self> {
        Self::train_with(patterns, rule, true)
    }

    /// Learns weights with `rule`; `zero_diagonal` sets w_ii = 0 afterwards.
    pub fn train_with(patterns: &Patterns, rule: LearningRule, zero_diagonal: bool) -> Result<Self> {
        let n = patterns.len();
        crate::size::check_memory("neurons", format!("the {n}×{n} weight matrix"), crate::size::bytes(&[n, n], 8))?;
        if patterns.is_empty() {
            return Err(Error::param("patterns", "at least one pattern is needed"));
        }
        let mut w = match rule {
            LearningRule::Hebb => hebb(patterns),
            LearningRule::PseudoInverse => pseudo_inverse(patterns)?,
            LearningRule::Storkey => storkey(patterns),
        };
        if zero_diagonal {
            for i in 0..n {
                w[i * n + i] = 0.0;
            }
        }
        Ok(Self { n, weights: w, bias: vec![0.0; n], symmetric: true })
    }

    /// A network with given row-major weights (N×N) and bias (length N).
    pub fn from_weights(n: usize, weights: Vec<f64>, bias: Vec<f64>) -> Result<Self> {
        if n == 0 {
            return Err(Error::param("neurons", "N must be at least 1"));
        }
        if weights.len() != n * n {
            return Err(Error::Shape(format!("weights have {} entries, expected N² = {}", weights.len(), n * n)));
        }
        if bias.len() != n {
            return Err(Error::Shape(format!("bias has length {}, expected N = {n}", bias.len())));
        }
        for &v in weights.iter().chain(&bias) {
            check_finite("weights", v)?;
        }
        let scale = weights.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
        let symmetric =
            (0..n).all(|i| (0..i).all(|j| (weights[i * n + j] - weights[j * n + i]).abs() <= 1e-12 * scale));
        Ok(Self { n, weights, bias, symmetric })
    }

    /// Replaces the bias vector b.
    pub fn set_bias(&mut self, bias: Vec<f64>) -> Result<()> {
        if bias.len() != self.n {
            return Err(Error::Shape(format!("bias has length {}, expected N = {}", bias.len(), self.n)));
        }
        for &v in &bias {
            check_finite("bias", v)?;
        }
        self.bias = bias;
        Ok(())
    }

    /// Number of neurons N.
    pub fn neurons(&self) -> usize {
        self.n
    }
    /// Row-major weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    /// Bias vector.
    pub fn bias(&self) -> &[f64] {
        &self.bias
    }
    /// Whether W is symmetric (the energy-descent guarantee needs it).
    pub fn is_symmetric(&self) -> bool {
        self.symmetric
    }

    /// `E(σ) = −½ σᵀWσ + bᵀσ`.
    pub fn energy(&self, s: &[i8]) -> Result<f64> {
        check_state(s, self.n)?;
        Ok(self.energy_unchecked(s))
    }

    fn energy_unchecked(&self, s: &[i8]) -> f64 {
        let n = self.n;
        let mut e = 0.0;
        for i in 0..n {
            let row = &self.weights[i * n..(i + 1) * n];
            let wi: f64 = row.iter().zip(s).map(|(w, &x)| w * x as f64).sum();
            e += -0.5 * s[i] as f64 * wi + self.bias[i] * s[i] as f64;
        }
        e
    }

    /// Local fields `h = Wσ − b`.
    pub fn local_field(&self, s: &[i8]) -> Result<Vec<f64>> {
        check_state(s, self.n)?;
        let mut h = vec![0.0; self.n];
        self.field_into(s, &mut h);
        Ok(h)
    }

    fn field_into(&self, s: &[i8], h: &mut [f64]) {
        let n = self.n;
        for (i, hi) in h.iter_mut().enumerate() {
            let row = &self.weights[i * n..(i + 1) * n];
            *hi = row.iter().zip(s).map(|(w, &x)| w * x as f64).sum::<f64>() - self.bias[i];
        }
    }

    /// Whether σ is a fixed point: σ_i h_i ≥ 0 for every unit.
    pub fn is_fixed_point(&self, s: &[i8]) -> Result<bool> {
        let h = self.local_field(s)?;
        Ok(s.iter().zip(&h).all(|(&x, &hi)| x as f64 * hi >= 0.0))
    }

    /// Runs the dynamics from `cue` and returns the final state.
    pub fn retrieve(&self, cue: &[i8], params: &RetrieveParams, rng: &mut Rng64) -> Result<Retrieval> {
        self.retrieve_until(cue, params, rng, &StopFlag::new())
    }

    /// Retrieves every cue of `cues` (rows of length N, row-major) in parallel, cue `c` drawing
    /// from `stream_path(seed, [RETRIEVE, c])` ([`crate::experiment::streams::RETRIEVE`]), so the
    /// CLI and Python give the same states for the same seed at any thread count. Cues not
    /// started when `stop` is raised are `None`.
    pub fn retrieve_batch(
        &self,
        cues: &[i8],
        params: &RetrieveParams,
        seed: u64,
        stop: &StopFlag,
    ) -> Result<Vec<Option<Retrieval>>> {
        let count = super::batch_rows(cues.len(), self.n)?;
        crate::engine::replicas::run_seeded(count, seed, &[crate::experiment::streams::RETRIEVE], stop, |c, rng| {
            self.retrieve_until(&cues[c * self.n..(c + 1) * self.n], params, rng, stop)
        })
    }

    /// As [`Hopfield::retrieve`], stopping early (with the state reached) when `stop` is raised.
    pub fn retrieve_until(
        &self,
        cue: &[i8],
        params: &RetrieveParams,
        rng: &mut Rng64,
        stop: &StopFlag,
    ) -> Result<Retrieval> {
        params.check()?;
        check_state(cue, self.n)?;
        let mut state = cue.to_vec();
        let limits = RunLimits { max_steps: params.max_sweeps, ..Default::default() };
        let runner = Runner::new(limits).with_stop(stop.clone());
        let mut trace = EnergyTrace::new();
        let mut observers: Vec<&mut dyn crate::engine::Observer<Vec<i8>>> = Vec::new();
        if params.track_energy {
            observers.push(&mut trace);
        }
        let (report, flips) = match params.mode {
            UpdateMode::Async { order } => {
                let mut d = AsyncDynamics::new(self, &state, Some(order), 0.0, rng);
                let r = runner.run(&mut d, &mut state, &mut observers)?;
                (r, d.flips)
            }
            UpdateMode::Glauber { beta } => {
                let mut d = AsyncDynamics::new(self, &state, None, beta, rng);
                let r = runner.run(&mut d, &mut state, &mut observers)?;
                (r, d.flips)
            }
            UpdateMode::Sync => {
                let mut d = SyncDynamics { net: self, prev: None, h: vec![0.0; self.n], flips: 0 };
                let r = runner.run(&mut d, &mut state, &mut observers)?;
                (r, d.flips)
            }
        };
        let status = match report.reason {
            StopReason::Converged => Status::FixedPoint,
            StopReason::Cycle => Status::TwoCycle,
            StopReason::Interrupted => Status::Interrupted,
            _ => Status::MaxSweeps,
        };
        let energy = self.energy_unchecked(&state);
        Ok(Retrieval {
            state,
            status,
            sweeps: report.steps,
            flips,
            energy,
            energy_trace: params.track_energy.then_some(trace.energies),
        })
    }
}

/// Hebbian weights `(1/N) ΞᵀΞ` by one dense product.
fn hebb(p: &Patterns) -> Vec<f64> {
    let (k, n) = (p.count(), p.len());
    let xi = Mat::<f64>::from_fn(k, n, |mu, i| p.row(mu)[i] as f64);
    let w = xi.transpose() * &xi;
    let inv = 1.0 / n as f64;
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = w[(i, j)] * inv;
        }
    }
    out
}

fn pseudo_inverse(p: &Patterns) -> Result<Vec<f64>> {
    let (k, n) = (p.count(), p.len());
    if k > n {
        return Err(Error::param("patterns", format!("the pseudo-inverse rule needs K ≤ N, got K = {k}, N = {n}")));
    }
    let xi = Mat::<f64>::from_fn(k, n, |mu, i| p.row(mu)[i] as f64);
    let c = &xi * xi.transpose();
    let llt = c.llt(faer::Side::Lower).map_err(|_| {
        Error::Numerical(
            "the patterns are linearly dependent: the pseudo-inverse rule needs independent patterns".into(),
        )
    })?;
    let x = llt.solve(&xi); // (ΞΞᵀ)⁻¹Ξ, K×N
    let w = xi.transpose() * &x;
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            // Symmetrise away round-off so the energy guarantee holds exactly.
            out[i * n + j] = 0.5 * (w[(i, j)] + w[(j, i)]);
        }
    }
    Ok(out)
}

fn storkey(p: &Patterns) -> Vec<f64> {
    let n = p.len();
    let inv = 1.0 / n as f64;
    let mut w = vec![0.0; n * n];
    let mut g = vec![0.0; n]; // g_i = Σ_k w_ik ξ_k
    for xi in p.rows() {
        for i in 0..n {
            g[i] = w[i * n..(i + 1) * n].iter().zip(xi).map(|(a, &b)| a * b as f64).sum();
        }
        // h_ij = g_i − w_ii ξ_i − w_ij ξ_j, from the weights before this pattern.
        let old = w.clone();
        for i in 0..n {
            let xi_i = xi[i] as f64;
            for j in 0..n {
                let xi_j = xi[j] as f64;
                let (h_ij, h_ji) = if i == j {
                    let h = g[i] - old[i * n + i] * xi_i;
                    (h, h)
                } else {
                    (
                        g[i] - old[i * n + i] * xi_i - old[i * n + j] * xi_j,
                        g[j] - old[j * n + j] * xi_j - old[j * n + i] * xi_i,
                    )
                };
                w[i * n + j] += inv * (xi_i * xi_j - xi_i * h_ji - h_ij * xi_j);
            }
        }
    }
    w
}

/// Asynchronous zero-temperature updates (`order = Some`) or Glauber dynamics (`order = None`),
/// keeping the field vector and the energy up to date in O(N) per flip.
struct AsyncDynamics<'a> {
    net: &'a Hopfield,
    h: Vec<f64>,
    energy: f64,
    order: Option<Order>,
    beta: f64,
    rng: &'a mut Rng64,
    perm: Vec<usize>,
    unstable: Vec<usize>,
    flips: usize,
}

impl<'a> AsyncDynamics<'a> {
    fn new(net: &'a Hopfield, s: &[i8], order: Option<Order>, beta: f64, rng: &'a mut Rng64) -> Self {
        let mut h = vec![0.0; net.n];
        net.field_into(s, &mut h);
        Self {
            net,
            h,
            energy: net.energy_unchecked(s),
            order,
            beta,
            rng,
            perm: (0..net.n).collect(),
            unstable: Vec::with_capacity(net.n),
            flips: 0,
        }
    }

    fn flip(&mut self, s: &mut [i8], i: usize) {
        let n = self.net.n;
        let w = &self.net.weights;
        if self.net.symmetric {
            self.energy += 2.0 * s[i] as f64 * self.h[i] - 2.0 * w[i * n + i];
        }
        s[i] = -s[i];
        let two_s = 2.0 * s[i] as f64;
        if self.net.symmetric {
            for (hj, &wij) in self.h.iter_mut().zip(&w[i * n..(i + 1) * n]) {
                *hj += two_s * wij;
            }
        } else {
            for (j, hj) in self.h.iter_mut().enumerate() {
                *hj += two_s * w[j * n + i];
            }
            self.energy = self.net.energy_unchecked(s);
        }
        self.flips += 1;
    }

    fn is_unstable(&self, s: &[i8], i: usize) -> bool {
        (s[i] as f64) * self.h[i] < 0.0
    }

    fn collect_unstable(&mut self, s: &[i8]) {
        self.unstable.clear();
        let unstable = s.iter().zip(&self.h).enumerate().filter(|(_, (&x, &h))| x as f64 * h < 0.0).map(|(i, _)| i);
        self.unstable.extend(unstable);
    }
}

impl Dynamics for AsyncDynamics<'_> {
    type State = Vec<i8>;
    fn step(&mut self, s: &mut Vec<i8>) -> Result<StepInfo> {
        let n = self.net.n;
        let before = self.flips;
        match self.order {
            Some(Order::Permutation) => {
                let mut perm = std::mem::take(&mut self.perm);
                perm.shuffle(self.rng);
                for &i in &perm {
                    if self.is_unstable(s, i) {
                        self.flip(s, i);
                    }
                }
                self.perm = perm;
            }
            Some(Order::Random) => {
                for _ in 0..n {
                    let i = self.rng.random_range(0..n);
                    if self.is_unstable(s, i) {
                        self.flip(s, i);
                    }
                }
            }
            Some(Order::Unstable) => {
                for _ in 0..n {
                    self.collect_unstable(s);
                    if self.unstable.is_empty() {
                        break;
                    }
                    let i = self.unstable[self.rng.random_range(0..self.unstable.len())];
                    self.flip(s, i);
                }
            }
            None => {
                let mut perm = std::mem::take(&mut self.perm);
                perm.shuffle(self.rng);
                for &i in &perm {
                    // P(σ_i = +1) = 1/(1 + e^{−2βh}); flip when the draw disagrees with σ_i.
                    let p_plus = 1.0 / (1.0 + (-2.0 * self.beta * self.h[i]).exp());
                    let target: i8 = if self.rng.random::<f64>() < p_plus { 1 } else { -1 };
                    if target != s[i] {
                        self.flip(s, i);
                    }
                }
                self.perm = perm;
            }
        }
        let changed = self.flips - before;
        let converged = match self.order {
            Some(_) => (0..n).all(|i| !self.is_unstable(s, i)),
            None => false,
        };
        Ok(StepInfo { changed, residual: None, dt: 1.0, converged, cycle: false })
    }
    fn energy(&self, _: &Vec<i8>) -> Option<f64> {
        Some(self.energy)
    }
}

/// Synchronous updates with fixed-point and 2-cycle detection.
struct SyncDynamics<'a> {
    net: &'a Hopfield,
    prev: Option<Vec<i8>>,
    h: Vec<f64>,
    flips: usize,
}

impl Dynamics for SyncDynamics<'_> {
    type State = Vec<i8>;
    fn step(&mut self, s: &mut Vec<i8>) -> Result<StepInfo> {
        self.net.field_into(s, &mut self.h);
        let old = s.clone();
        let mut changed = 0;
        for (x, &h) in s.iter_mut().zip(&self.h) {
            let new = if h > 0.0 {
                1
            } else if h < 0.0 {
                -1
            } else {
                *x
            };
            if new != *x {
                changed += 1;
                *x = new;
            }
        }
        self.flips += changed;
        let cycle = changed > 0 && self.prev.as_deref() == Some(s.as_slice());
        self.prev = Some(old);
        Ok(StepInfo { changed, residual: None, dt: 1.0, converged: changed == 0, cycle })
    }
    fn energy(&self, s: &Vec<i8>) -> Option<f64> {
        Some(self.net.energy_unchecked(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest, ProptestConfig};

    fn random_symmetric(n: usize, seed: u64) -> Hopfield {
        let mut rng = stream(seed, 1);
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..i {
                let v: f64 = rng.random::<f64>() * 2.0 - 1.0;
                w[i * n + j] = v;
                w[j * n + i] = v;
            }
            w[i * n + i] = rng.random::<f64>() * 0.2; // w_ii ≥ 0 keeps the descent guarantee
        }
        let b = (0..n).map(|_| rng.random::<f64>() - 0.5).collect();
        Hopfield::from_weights(n, w, b).unwrap()
    }

    fn brute_energy(net: &Hopfield, s: &[i8]) -> f64 {
        let n = net.neurons();
        let mut e = 0.0;
        for i in 0..n {
            for j in 0..n {
                e -= 0.5 * net.weights()[i * n + j] * s[i] as f64 * s[j] as f64;
            }
            e += net.bias()[i] * s[i] as f64;
        }
        e
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn async_energy_never_increases(n in 2usize..40, seed in any::<u64>(), order in 0usize..3) {
            let net = random_symmetric(n, seed);
            let mut rng = stream(seed, 2);
            let cue: Vec<i8> = (0..n).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect();
            let order = [Order::Permutation, Order::Random, Order::Unstable][order];
            let params = RetrieveParams { mode: UpdateMode::Async { order }, max_sweeps: 50, track_energy: true };
            let out = net.retrieve(&cue, &params, &mut rng).unwrap();
            let trace = out.energy_trace.unwrap();
            for w in trace.windows(2) {
                prop_assert!(w[1] <= w[0] + 1e-9 * w[0].abs().max(1.0), "energy rose {} -> {}", w[0], w[1]);
            }
            // The incrementally tracked energy agrees with a direct double sum.
            prop_assert!((out.energy - brute_energy(&net, &out.state)).abs() < 1e-9 * n as f64);
            prop_assert!((trace.last().unwrap() - out.energy).abs() < 1e-8 * n as f64);
            prop_assert_eq!(out.status, Status::FixedPoint);
            prop_assert!(net.is_fixed_point(&out.state).unwrap());
        }
    }

    #[test]
    fn energy_formula_and_flip_difference() {
        let net = random_symmetric(12, 5);
        let mut rng = stream(5, 3);
        let s: Vec<i8> = (0..12).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect();
        let e = net.energy(&s).unwrap();
        assert!((e - brute_energy(&net, &s)).abs() < 1e-12);
        let h = net.local_field(&s).unwrap();
        for i in 0..12 {
            let mut t = s.clone();
            t[i] = -t[i];
            let de = brute_energy(&net, &t) - e;
            let predicted = 2.0 * s[i] as f64 * h[i] - 2.0 * net.weights()[i * 12 + i];
            assert!((de - predicted).abs() < 1e-12);
        }
    }

    #[test]
    fn pseudo_inverse_stores_every_pattern_as_fixed_point() {
        let mut rng = stream(11, 0);
        for (k, n) in [(10, 50), (45, 50), (80, 100)] {
            let p = Patterns::random(k, n, &mut rng).unwrap();
            for zero_diag in [true, false] {
                let net = Hopfield::train_with(&p, LearningRule::PseudoInverse, zero_diag).unwrap();
                for mu in 0..k {
                    assert!(net.is_fixed_point(p.row(mu)).unwrap(), "K={k} N={n} pattern {mu}");
                }
            }
            // Without the zero diagonal, W is the projector: Wξ = ξ exactly.
            let net = Hopfield::train_with(&p, LearningRule::PseudoInverse, false).unwrap();
            let h = net.local_field(p.row(0)).unwrap();
            for (hi, &x) in h.iter().zip(p.row(0)) {
                assert!((hi - x as f64).abs() < 1e-9);
            }
        }
        // Hebb at the same high load (K = 45, N = 50) fails, so the test discriminates.
        let p = Patterns::random(45, 50, &mut rng).unwrap();
        let hebb = Hopfield::train(&p, LearningRule::Hebb).unwrap();
        assert!((0..45).any(|mu| !hebb.is_fixed_point(p.row(mu)).unwrap()));
        let dependent = Patterns::new(2, 3, vec![1, 1, 1, 1, 1, 1]).unwrap();
        assert!(matches!(Hopfield::train(&dependent, LearningRule::PseudoInverse), Err(Error::Numerical(_))));
    }

    #[test]
    fn hebb_matches_outer_product_sum() {
        let mut rng = stream(12, 0);
        let p = Patterns::random(7, 20, &mut rng).unwrap();
        let net = Hopfield::train(&p, LearningRule::Hebb).unwrap();
        for i in 0..20 {
            for j in 0..20 {
                let expect = if i == j { 0.0 } else { p.rows().map(|r| (r[i] * r[j]) as f64).sum::<f64>() / 20.0 };
                assert!((net.weights()[i * 20 + j] - expect).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn storkey_matches_its_definition_and_beats_hebb() {
        // Direct transcription of the definition with explicit sums over k ≠ i, j.
        let mut rng = stream(13, 0);
        let (k, n) = (4, 9);
        let p = Patterns::random(k, n, &mut rng).unwrap();
        let mut w = vec![0.0; n * n];
        for xi in p.rows() {
            let old = w.clone();
            let h = |i: usize, j: usize| -> f64 {
                (0..n).filter(|&m| m != i && m != j).map(|m| old[i * n + m] * xi[m] as f64).sum()
            };
            for i in 0..n {
                for j in 0..n {
                    let (a, b) = (xi[i] as f64, xi[j] as f64);
                    w[i * n + j] += (a * b - a * h(j, i) - h(i, j) * b) / n as f64;
                }
            }
        }
        let net = Hopfield::train_with(&p, LearningRule::Storkey, false).unwrap();
        for (a, b) in net.weights().iter().zip(&w) {
            assert!((a - b).abs() < 1e-12);
        }
        assert!(net.is_symmetric());
        // At load 0.2, N = 100, Storkey keeps more patterns stable than Hebb (Storkey 1997).
        let (mut s_ok, mut h_ok) = (0, 0);
        for trial in 0..5 {
            let mut rng = stream(14, trial);
            let p = Patterns::random(20, 100, &mut rng).unwrap();
            let st = Hopfield::train(&p, LearningRule::Storkey).unwrap();
            let hb = Hopfield::train(&p, LearningRule::Hebb).unwrap();
            s_ok += (0..20).filter(|&mu| st.is_fixed_point(p.row(mu)).unwrap()).count();
            h_ok += (0..20).filter(|&mu| hb.is_fixed_point(p.row(mu)).unwrap()).count();
        }
        assert!(s_ok > h_ok, "storkey {s_ok} vs hebb {h_ok}");
    }

    #[test]
    fn synchronous_detects_two_cycles() {
        // w = −1 between two units: from (+1, +1) the synchronous update alternates.
        let net = Hopfield::from_weights(2, vec![0.0, -1.0, -1.0, 0.0], vec![0.0, 0.0]).unwrap();
        let mut rng = stream(0, 0);
        let params = RetrieveParams { mode: UpdateMode::Sync, max_sweeps: 10, track_energy: false };
        let out = net.retrieve(&[1, 1], &params, &mut rng).unwrap();
        assert_eq!(out.status, Status::TwoCycle);
        assert_eq!(out.sweeps, 2);
        // The asynchronous update settles instead.
        let out = net.retrieve(&[1, 1], &RetrieveParams::default(), &mut rng).unwrap();
        assert_eq!(out.status, Status::FixedPoint);
        assert_eq!(out.state[0], -out.state[1]);
    }

    #[test]
    fn glauber_flips_with_the_exact_probability_and_samples_the_boltzmann_distribution() {
        let runs = 20_000;
        let stop = StopFlag::new();
        // One unit, field h = −b: one Glauber update from −1 ends at +1 with 1/(1 + e^{−2βh}).
        let (b, beta) = (0.3, 1.3);
        let one = Hopfield::from_weights(1, vec![0.0], vec![b]).unwrap();
        let params = RetrieveParams { mode: UpdateMode::Glauber { beta }, max_sweeps: 1, track_energy: false };
        let outs = one.retrieve_batch(&vec![-1; runs], &params, 5, &stop).unwrap();
        let plus = outs.iter().flatten().filter(|r| r.state[0] == 1).count() as f64 / runs as f64;
        let exact = 1.0 / (1.0 + (2.0 * beta * b).exp());
        let se = (exact * (1.0 - exact) / runs as f64).sqrt();
        assert!((plus - exact).abs() < 5.0 * se, "P(+1) = {plus}, exact {exact}");
        // Four coupled units: after 30 sweeps the states follow p(σ) ∝ exp(−βE(σ)), enumerated.
        #[rustfmt::skip]
        let w = vec![0.0, 0.5, -0.3, 0.2,  0.5, 0.0, 0.4, -0.1,  -0.3, 0.4, 0.0, 0.6,  0.2, -0.1, 0.6, 0.0];
        let net = Hopfield::from_weights(4, w, vec![0.1, -0.2, 0.0, 0.3]).unwrap();
        let beta = 0.7;
        let params = RetrieveParams { mode: UpdateMode::Glauber { beta }, max_sweeps: 30, track_energy: false };
        let outs = net.retrieve_batch(&vec![1; 4 * runs], &params, 6, &stop).unwrap();
        let index = |s: &[i8]| s.iter().fold(0, |a, &x| 2 * a + usize::from(x > 0));
        let mut counts = [0usize; 16];
        for r in outs.iter().flatten() {
            counts[index(&r.state)] += 1;
        }
        let states: Vec<Vec<i8>> =
            (0..16).map(|k| (0..4).rev().map(|bit| if k >> bit & 1 == 1 { 1 } else { -1 }).collect()).collect();
        let weights: Vec<f64> = states.iter().map(|s| (-beta * net.energy(s).unwrap()).exp()).collect();
        let z: f64 = weights.iter().sum();
        for (k, s) in states.iter().enumerate() {
            assert_eq!(index(s), k);
            let p = weights[k] / z;
            let f = counts[k] as f64 / runs as f64;
            let se = (p * (1.0 - p) / runs as f64).sqrt();
            assert!((f - p).abs() < 5.0 * se, "state {s:?}: frequency {f}, exact {p}");
        }
    }

    #[test]
    fn glauber_at_high_beta_retrieves_and_at_zero_beta_randomises() {
        let mut rng = stream(21, 0);
        let p = Patterns::random(5, 200, &mut rng).unwrap();
        let net = Hopfield::train(&p, LearningRule::Hebb).unwrap();
        let overlap = |s: &[i8]| s.iter().zip(p.row(0)).map(|(&a, &b)| (a * b) as f64).sum::<f64>() / 200.0;
        let hot = RetrieveParams { mode: UpdateMode::Glauber { beta: 0.0 }, max_sweeps: 5, track_energy: false };
        let cold = RetrieveParams { mode: UpdateMode::Glauber { beta: 50.0 }, max_sweeps: 5, track_energy: false };
        let out_hot = net.retrieve(p.row(0), &hot, &mut rng).unwrap();
        let out_cold = net.retrieve(p.row(0), &cold, &mut rng).unwrap();
        assert!(overlap(&out_hot.state).abs() < 0.25);
        assert!(overlap(&out_cold.state) > 0.99);
        assert!(RetrieveParams { mode: UpdateMode::Glauber { beta: f64::NAN }, ..cold }.check().is_err());
    }

    #[test]
    fn interrupted_run_keeps_its_state() {
        let mut rng = stream(22, 0);
        let p = Patterns::random(3, 100, &mut rng).unwrap();
        let net = Hopfield::train(&p, LearningRule::Hebb).unwrap();
        let stop = StopFlag::new();
        stop.raise();
        let out = net.retrieve_until(p.row(1), &RetrieveParams::default(), &mut rng, &stop).unwrap();
        assert_eq!(out.status, Status::Interrupted);
        assert_eq!(out.state, p.row(1));
    }

    #[test]
    fn bad_inputs_are_named_errors() {
        let mut rng = stream(0, 0);
        let p = Patterns::random(2, 4, &mut rng).unwrap();
        let net = Hopfield::train(&p, LearningRule::Hebb).unwrap();
        assert!(matches!(net.energy(&[1, 1, 1]), Err(Error::Shape(_))));
        assert!(matches!(net.energy(&[1, 0, 1, 1]), Err(Error::NotBipolar { .. })));
        assert!(Hopfield::from_weights(0, vec![], vec![]).is_err());
        assert!(Hopfield::from_weights(1, vec![f64::NAN], vec![0.0]).is_err());
        assert!("nope".parse::<LearningRule>().is_err());
    }
}
