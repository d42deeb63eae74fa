//! Training Bernoulli–Bernoulli RBMs: CD-k, persistent CD and parallel tempering, with
//! momentum, L2 weight decay, a sparsity target and centering.
//!
//! # Update
//!
//! For a minibatch `V₀` (`B × n`) with hidden probabilities `P₀ = σ(V₀W + c)` and negative
//! samples `V` (`C × n`) with `P_H = σ(VW + c)`, the statistics are
//!
//! ```text
//! ΔW = (V₀ − μ)ᵀ(P₀ − λ)/B − (V − μ)ᵀ(P_H − λ)/C,   Δb = mean(V₀) − mean(V),   Δc = mean(P₀) − mean(P_H),
//! ```
//!
//! computed as one product with inner dimension `B + C`. Parameters move with momentum `α` and
//! L2 weight decay `λ_w` (weights only): `inc ← α·inc + ε(Δ − λ_w W)`, `W ← W + inc`.
//!
//! # Negative phase
//!
//! - **CD-k**: from `H ~ Bernoulli(P₀)`, `k` block-Gibbs steps; the last hidden state is kept as
//!   probabilities. Intermediate visible states are sampled (or, with
//!   `sample_visible = false`, the visible probabilities are used).
//! - **PCD-k**: `C` persistent chains stored as hidden states, advanced `k` steps per update
//!   (`V ~ p(v|H)`, `P_H = σ(VW + c)`, `H ~ Bernoulli(P_H)`), never reset. The chains start from
//!   a random training batch (or from zeros in scikit-learn-compatible mode).
//! - **PT**: `K` replicas at `0 ≤ β₁ < … < β_K = 1`, each with `C` chains of `(v, h)` scaled by
//!   `β`; after one block-Gibbs step per replica, neighbours swap (even pairs, then odd pairs)
//!   with probability `min(1, exp((β_{k+1} − β_k)(E(x_{k+1}) − E(x_k))))`. The negative
//!   statistics come from the `β = 1` replica. Acceptance counts are kept per pair.
//!
//! # Centering (Melchior, Fischer & Wiskott 2016)
//!
//! With offsets `μ`, `λ` the energy is `E = −(v−μ)ᵀb − (h−λ)ᵀc − (v−μ)ᵀW(h−λ)`; the gradient
//! above is exact for that parametrisation. After each update the offsets move toward the batch
//! means of `V₀` and `P₀` at rate `ν`, and the biases are shifted first (`b += W(λ' − λ)`,
//! `c += Wᵀ(μ' − μ)`) so that the distribution is unchanged. [`Trainer::model`] returns the
//! equivalent plain RBM, `b − Wλ`, `c − Wᵀμ`.
//!
//! # Sparsity target
//!
//! With target `p`, cost `κ` and decay `δ`, the running mean activation `q ← δq + (1−δ)mean(P₀)`
//! adds `−κ(q_j − p)` to `Δc_j` and `−κ(q_j − p)·mean(V₀)_i` to `ΔW_ij`.
//!
//! # Reproducibility and checkpoints
//!
//! Every random draw comes from a stream keyed by `(seed, purpose, epoch, batch, block)`; products
//! run on fixed row blocks. The same seed gives the same model at any thread count. The whole
//! trainer (parameters, velocities, offsets, chains, position in the epoch, history) is
//! serialisable; a trainer stopped by the [`StopFlag`] after any minibatch and resumed gives
//! exactly the model of an uninterrupted run.

use std::time::Instant;

use faer::MatRef;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::data::Dataset;
use super::kernel::{gemm, sample_rows, Kernel, Precision, Real};
use super::rbm::{check_sizes, Rbm};
use crate::engine::rng::stream_path;
use crate::engine::run::StopFlag;
use crate::error::{check_range, Error, Result};

const KEY_INIT: u64 = 1;
const KEY_SHUFFLE: u64 = 2;
const KEY_NEG: u64 = 3;
const KEY_CHAINS: u64 = 4;
const KEY_SWAP: u64 = 5;
const KEY_MONITOR: u64 = 6;

/// How the negative (model) statistics are estimated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Algorithm {
    /// Contrastive divergence with `k` Gibbs steps from the data.
    Cd { k: usize },
    /// Persistent CD: `chains` fantasy chains advanced `k` steps per update.
    Pcd { k: usize, chains: usize },
    /// Parallel tempering with the given inverse temperatures (increasing, last = 1) and
    /// `chains` chains per replica.
    Pt { betas: Vec<f64>, chains: usize },
}

impl Algorithm {
    /// `linspace(0, 1, k)` inverse temperatures.
    pub fn linear_betas(k: usize) -> Vec<f64> {
        if k <= 1 {
            return vec![1.0];
        }
        (0..k).map(|i| i as f64 / (k - 1) as f64).collect()
    }
}

/// Learning-rate schedule over epochs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    #[default]
    Constant,
    /// `ε_e = ε (1 − e/E)` in epoch `e` of `E`.
    Linear,
}

/// Sparsity target (Hinton's guide, §11).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sparsity {
    pub target: f64,
    pub cost: f64,
    pub decay: f64,
}

/// Training hyper-parameters, checked by [`TrainParams::check`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    pub algorithm: Algorithm,
    pub learning_rate: f64,
    pub lr_schedule: LrSchedule,
    /// Momentum before `momentum_switch` epochs…
    pub momentum: f64,
    /// …and from then on.
    pub momentum_final: f64,
    pub momentum_switch: usize,
    /// L2 weight decay on `W`.
    pub weight_decay: f64,
    pub sparsity: Option<Sparsity>,
    /// Offset rate `ν` of centering; `None` trains the plain parametrisation.
    pub centering: Option<f64>,
    pub batch_size: usize,
    pub epochs: usize,
    pub precision: Precision,
    /// CD: sample intermediate and final visible states (`true`) or use probabilities.
    pub sample_visible: bool,
    /// Standard deviation of the initial weights.
    pub init_std: f64,
    /// Start the visible bias at `log(p/(1−p))` of the training data (`p` clipped to
    /// `[0.001, 0.999]`); otherwise zero.
    pub init_visible_from_data: bool,
    /// scikit-learn's `BernoulliRBM.fit`: PCD-1 with `batch_size` chains started at zero, even
    /// slices in data order, no shuffling.
    pub sklearn_compat: bool,
    /// Training samples (the first ones) used for the per-epoch pseudo-likelihood and
    /// reconstruction error; 0 turns that monitoring off.
    pub monitor_samples: usize,
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Pcd { k: 1, chains: 100 },
            learning_rate: 0.01,
            lr_schedule: LrSchedule::Constant,
            momentum: 0.0,
            momentum_final: 0.0,
            momentum_switch: 0,
            weight_decay: 0.0,
            sparsity: None,
            centering: None,
            batch_size: 100,
            epochs: 10,
            precision: Precision::F32,
            sample_visible: true,
            init_std: 0.01,
            init_visible_from_data: false,
            sklearn_compat: false,
            monitor_samples: 500,
            seed: 0,
        }
    }
}

impl TrainParams {
    /// scikit-learn `BernoulliRBM(learning_rate, batch_size, n_iter)` settings.
    pub fn sklearn(learning_rate: f64, batch_size: usize, epochs: usize, seed: u64) -> Self {
        Self {
            algorithm: Algorithm::Pcd { k: 1, chains: batch_size },
            learning_rate,
            batch_size,
            epochs,
            sklearn_compat: true,
            seed,
            ..Self::default()
        }
    }

    /// Validates every field; errors name the parameter and its allowed range.
    pub fn check(&self) -> Result<()> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::param("learning_rate", format!("must be finite and > 0, got {}", self.learning_rate)));
        }
        check_range("momentum", self.momentum, 0.0, 0.999)?;
        check_range("momentum_final", self.momentum_final, 0.0, 0.999)?;
        check_range("weight_decay", self.weight_decay, 0.0, 1.0)?;
        check_range("init_std", self.init_std, 0.0, 10.0)?;
        if self.batch_size == 0 {
            return Err(Error::param("batch_size", "must be at least 1"));
        }
        if self.epochs == 0 {
            return Err(Error::param("epochs", "must be at least 1"));
        }
        if let Some(nu) = self.centering {
            check_range("centering", nu, 0.0, 1.0)?;
        }
        if let Some(s) = self.sparsity {
            check_range("sparsity.target", s.target, 1e-6, 1.0 - 1e-6)?;
            check_range("sparsity.cost", s.cost, 0.0, 1e3)?;
            check_range("sparsity.decay", s.decay, 0.0, 1.0)?;
        }
        match &self.algorithm {
            Algorithm::Cd { k } | Algorithm::Pcd { k, .. } if *k == 0 => {
                return Err(Error::param("k", "needs at least 1 Gibbs step"));
            }
            Algorithm::Pcd { chains: 0, .. } | Algorithm::Pt { chains: 0, .. } => {
                return Err(Error::param("chains", "needs at least 1 chain"));
            }
            Algorithm::Pt { betas, .. } => {
                if betas.is_empty() || betas.iter().any(|b| !(b.is_finite() && (0.0..=1.0).contains(b))) {
                    return Err(Error::param("betas", format!("need values in [0, 1], got {betas:?}")));
                }
                if betas.windows(2).any(|w| w[0] >= w[1]) || *betas.last().unwrap_or(&0.0) != 1.0 {
                    return Err(Error::param("betas", format!("must increase strictly and end at 1, got {betas:?}")));
                }
            }
            _ => {}
        }
        if self.sklearn_compat {
            let ok = matches!(self.algorithm, Algorithm::Pcd { k: 1, chains } if chains == self.batch_size);
            if !ok
                || self.momentum != 0.0
                || self.momentum_final != 0.0
                || self.weight_decay != 0.0
                || self.centering.is_some()
                || self.sparsity.is_some()
                || self.lr_schedule != LrSchedule::Constant
            {
                return Err(Error::param(
                    "sklearn_compat",
                    "scikit-learn's BernoulliRBM is PCD-1 with batch_size chains and no momentum, weight decay, \
                     centering, sparsity or learning-rate schedule",
                ));
            }
        }
        Ok(())
    }

    fn momentum_at(&self, epoch: usize) -> f64 {
        if epoch < self.momentum_switch {
            self.momentum
        } else {
            self.momentum_final
        }
    }

    fn lr_at(&self, epoch: usize) -> f64 {
        match self.lr_schedule {
            LrSchedule::Constant => self.learning_rate,
            LrSchedule::Linear => self.learning_rate * (1.0 - epoch as f64 / self.epochs as f64),
        }
    }
}

/// What one epoch logged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    pub epoch: usize,
    pub seconds: f64,
    pub learning_rate: f64,
    pub momentum: f64,
    /// Mean reconstruction SSE per sample on the monitor samples (`None` when off).
    pub recon_sse: Option<f64>,
    /// Mean exact log pseudo-likelihood per sample on the monitor samples.
    pub pseudo_likelihood: Option<f64>,
    /// Mean exact pseudo-likelihood on the test monitor samples.
    pub test_pseudo_likelihood: Option<f64>,
    /// Exact mean log-likelihood (train monitor samples, test), when monitoring is on and exact
    /// log Z costs at most 2²⁷ softplus evaluations.
    pub exact_ll: Option<f64>,
    pub test_exact_ll: Option<f64>,
    pub mean_hidden: f64,
    /// Hidden units with mean activation below 0.01 / above 0.99 on the monitor samples.
    pub dead_hidden: usize,
    pub saturated_hidden: usize,
    pub weight_norm: f64,
    /// PT swap acceptance per neighbour pair during the epoch.
    pub swap_acceptance: Vec<f64>,
}

/// The outcome of [`Trainer::train`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainReport {
    pub epochs_done: usize,
    pub interrupted: bool,
    pub seconds: f64,
}

/// Negative-phase chains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Chains {
    /// CD keeps no state.
    None,
    /// Persistent hidden states, `chains × m`, values 0/1.
    Persistent { h: Vec<f32> },
    /// Tempered replicas: `K·C` rows of visible and hidden states (replica-major), swap counts
    /// per neighbour pair.
    Tempered { betas: Vec<f64>, chains: usize, v: Vec<f32>, h: Vec<f32>, attempts: Vec<u64>, accepts: Vec<u64> },
}

impl Chains {
    /// Persistent chains from hidden states.
    pub fn persistent(h: Vec<f32>) -> Self {
        Chains::Persistent { h }
    }

    /// Tempered chains: `chains` per inverse temperature, all starting at visible rows `v0`
    /// (`chains × n`, repeated per replica) with hidden units off.
    pub fn tempered(betas: Vec<f64>, chains: usize, v0: &[f32], n: usize, m: usize) -> Self {
        let k = betas.len();
        let v: Vec<f32> = (0..k).flat_map(|_| v0[..chains * n].iter().copied()).collect();
        Chains::Tempered {
            betas,
            chains,
            v,
            h: vec![0.0; k * chains * m],
            attempts: vec![0; k - 1],
            accepts: vec![0; k - 1],
        }
    }

    /// Advances the chains `k` steps (PCD) or one step with swaps (PT) under `kern`, and returns
    /// the negative samples `V` and their hidden probabilities `P_H` (for PT, those of the `β = 1`
    /// replica). Random draws come from `(seed, path ++ …)`.
    #[allow(clippy::needless_range_loop)]
    pub fn advance<T: Real>(&mut self, kern: &Kernel<T>, k: usize, seed: u64, path: &[u64]) -> (Vec<T>, Vec<T>) {
        let (n, m) = (kern.n, kern.m);
        let key = |extra: &[u64]| path.iter().chain(extra).copied().collect::<Vec<u64>>();
        match self {
            Chains::None => (Vec::new(), Vec::new()),
            Chains::Persistent { h } => {
                let c = h.len() / m;
                let mut ht: Vec<T> = h.iter().map(|&x| T::of(x as f64)).collect();
                let mut y = vec![T::of(0.0); c * n];
                let mut v = vec![T::of(0.0); c * n];
                let mut x = vec![T::of(0.0); c * m];
                let mut ph = vec![T::of(0.0); c * m];
                for step in 0..k as u64 {
                    kern.visible_pre(&ht, &mut y);
                    sample_rows(&y, &kern.b, None, None, Some(&mut v), seed, &key(&[step, 0]));
                    kern.hidden_pre(&v, &mut x);
                    sample_rows(&x, &kern.c, None, Some(&mut ph), Some(&mut ht), seed, &key(&[step, 1]));
                }
                h.iter_mut().zip(&ht).for_each(|(a, &b)| *a = b.to() as f32);
                (v, ph)
            }
            Chains::Tempered { betas, chains, v, h, attempts, accepts } => {
                let (kk, c) = (betas.len(), *chains);
                let rows = kk * c;
                let row_beta: Vec<f64> = (0..rows).map(|r| betas[r / c]).collect();
                let mut vt: Vec<T> = v.iter().map(|&x| T::of(x as f64)).collect();
                let mut ht = vec![T::of(0.0); rows * m];
                let mut x = vec![T::of(0.0); rows * m];
                let mut y = vec![T::of(0.0); rows * n];
                kern.hidden_pre(&vt, &mut x);
                sample_rows(&x, &kern.c, Some(&row_beta), None, Some(&mut ht), seed, &key(&[0]));
                kern.visible_pre(&ht, &mut y);
                sample_rows(&y, &kern.b, Some(&row_beta), None, Some(&mut vt), seed, &key(&[1]));
                kern.hidden_pre(&vt, &mut x);
                // Joint energies E(v, h) = −bᵀv − cᵀh − Σ_j X_j h_j, in double precision.
                let mut energy: Vec<f64> = (0..rows)
                    .map(|r| {
                        let vr = &vt[r * n..(r + 1) * n];
                        let hr = &ht[r * m..(r + 1) * m];
                        let xr = &x[r * m..(r + 1) * m];
                        let mut e = 0.0;
                        for i in 0..n {
                            e -= kern.b[i].to() * vr[i].to();
                        }
                        for j in 0..m {
                            e -= (kern.c[j].to() + xr[j].to()) * hr[j].to();
                        }
                        e
                    })
                    .collect();
                let mut rng = stream_path(seed, &key(&[KEY_SWAP]));
                for parity in [0usize, 1] {
                    for pair in (parity..kk.saturating_sub(1)).step_by(2) {
                        let db = betas[pair + 1] - betas[pair];
                        for ch in 0..c {
                            let (r0, r1) = (pair * c + ch, (pair + 1) * c + ch);
                            let log_a = db * (energy[r1] - energy[r0]);
                            attempts[pair] += 1;
                            if log_a >= 0.0 || rng.random::<f64>() < log_a.exp() {
                                accepts[pair] += 1;
                                swap_rows(&mut vt, n, r0, r1);
                                swap_rows(&mut ht, m, r0, r1);
                                swap_rows(&mut x, m, r0, r1);
                                energy.swap(r0, r1);
                            }
                        }
                    }
                }
                v.iter_mut().zip(&vt).for_each(|(a, &b)| *a = b.to() as f32);
                h.iter_mut().zip(&ht).for_each(|(a, &b)| *a = b.to() as f32);
                let top = (kk - 1) * c;
                let vneg = vt[top * n..].to_vec();
                let mut ph = vec![T::of(0.0); c * m];
                sample_rows(&x[top * m..], &kern.c, None, Some(&mut ph), None, seed, &key(&[2]));
                (vneg, ph)
            }
        }
    }

    /// PT swap acceptance per pair since the last reset (empty for other chains).
    pub fn swap_acceptance(&self) -> Vec<f64> {
        match self {
            Chains::Tempered { attempts, accepts, .. } => attempts
                .iter()
                .zip(accepts)
                .map(|(&a, &b)| if a == 0 { f64::NAN } else { b as f64 / a as f64 })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn reset_swaps(&mut self) {
        if let Chains::Tempered { attempts, accepts, .. } = self {
            attempts.iter_mut().for_each(|a| *a = 0);
            accepts.iter_mut().for_each(|a| *a = 0);
        }
    }
}

fn swap_rows<T: Copy>(x: &mut [T], width: usize, r0: usize, r1: usize) {
    let (lo, hi) = x.split_at_mut(r1 * width);
    lo[r0 * width..(r0 + 1) * width].swap_with_slice(&mut hi[..width]);
}

/// A resumable RBM training run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trainer {
    params: TrainParams,
    n: usize,
    m: usize,
    /// Centered parameters: `W`, `b`, `c` of the centered energy, and the offsets.
    w: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
    mu: Vec<f64>,
    lambda: Vec<f64>,
    inc_w: Vec<f64>,
    inc_b: Vec<f64>,
    inc_c: Vec<f64>,
    q: Vec<f64>,
    chains: Chains,
    /// Next epoch to run and next minibatch within it.
    epoch: usize,
    batch: usize,
    history: Vec<EpochStats>,
    /// Seconds spent in the current (unfinished) epoch.
    epoch_seconds: f64,
}

impl Trainer {
    /// A fresh run of an RBM with `hidden` units on `data` (values in `[0, 1]`).
    pub fn new(params: TrainParams, hidden: usize, data: &Dataset) -> Result<Self> {
        params.check()?;
        check_sizes(data.cols(), hidden)?;
        data.check_unit_interval()?;
        let (n, m) = (data.cols(), hidden);
        let mut rng = stream_path(params.seed, &[KEY_INIT]);
        let w: Vec<f64> = (0..n * m).map(|_| params.init_std * rng.sample::<f64, _>(StandardNormal)).collect();
        let means = data.column_means();
        let b = if params.init_visible_from_data && !params.sklearn_compat {
            means
                .iter()
                .map(|&p| {
                    let p = p.clamp(1e-3, 1.0 - 1e-3);
                    (p / (1.0 - p)).ln()
                })
                .collect()
        } else {
            vec![0.0; n]
        };
        let (mu, lambda) =
            if params.centering.is_some() { (means, vec![0.5; m]) } else { (vec![0.0; n], vec![0.0; m]) };
        let mut t = Self {
            params: params.clone(),
            n,
            m,
            w,
            b,
            c: vec![0.0; m],
            mu,
            lambda,
            inc_w: vec![0.0; n * m],
            inc_b: vec![0.0; n],
            inc_c: vec![0.0; m],
            q: vec![params.sparsity.map_or(0.0, |s| s.target); m],
            chains: Chains::None,
            epoch: 0,
            batch: 0,
            history: Vec::new(),
            epoch_seconds: 0.0,
        };
        t.chains = t.initial_chains(data);
        Ok(t)
    }

    fn initial_chains(&self, data: &Dataset) -> Chains {
        let (n, m) = (self.n, self.m);
        let pick = |count: usize| {
            let mut rng = stream_path(self.params.seed, &[KEY_CHAINS]);
            let mut v = Vec::with_capacity(count * n);
            for _ in 0..count {
                v.extend_from_slice(data.row(rng.random_range(0..data.rows())));
            }
            v
        };
        match &self.params.algorithm {
            Algorithm::Cd { .. } => Chains::None,
            Algorithm::Pcd { chains, .. } if self.params.sklearn_compat => Chains::persistent(vec![0.0; chains * m]),
            Algorithm::Pcd { chains, .. } => {
                // Hidden states driven by a random batch of training rows.
                let v = pick(*chains);
                let model = self.model();
                let kern = Kernel::<f64>::new(n, m, model.weights(), model.visible_bias(), model.hidden_bias());
                let vt: Vec<f64> = v.iter().map(|&x| x as f64).collect();
                let mut x = vec![0.0; chains * m];
                kern.hidden_pre(&vt, &mut x);
                let mut h = vec![0.0f64; chains * m];
                sample_rows(&x, &kern.c, None, None, Some(&mut h), self.params.seed, &[KEY_CHAINS, 1]);
                Chains::persistent(h.iter().map(|&x| x as f32).collect())
            }
            Algorithm::Pt { betas, chains } => Chains::tempered(betas.clone(), *chains, &pick(*chains), n, m),
        }
    }

    /// The training parameters.
    pub fn params(&self) -> &TrainParams {
        &self.params
    }
    /// Epochs completed.
    pub fn epochs_done(&self) -> usize {
        self.epoch
    }
    /// Whether all epochs are done.
    pub fn finished(&self) -> bool {
        self.epoch >= self.params.epochs
    }
    /// Per-epoch statistics so far.
    pub fn history(&self) -> &[EpochStats] {
        &self.history
    }
    /// The negative chains.
    pub fn chains(&self) -> &Chains {
        &self.chains
    }
    /// Raises the number of epochs (to continue a finished run).
    pub fn set_epochs(&mut self, epochs: usize) -> Result<()> {
        if epochs == 0 {
            return Err(Error::param("epochs", "must be at least 1"));
        }
        self.params.epochs = epochs;
        Ok(())
    }

    /// The plain RBM equivalent to the current centered parameters: `b − Wλ`, `c − Wᵀμ`.
    pub fn model(&self) -> Rbm {
        let (bp, cp) = self.plain_biases();
        Rbm::new(self.n, self.m, self.w.clone(), bp, cp).expect("finite parameters")
    }

    /// The centered parameters `(W, b, c, μ, λ)`.
    #[allow(clippy::type_complexity)]
    pub fn centered(&self) -> (&[f64], &[f64], &[f64], &[f64], &[f64]) {
        (&self.w, &self.b, &self.c, &self.mu, &self.lambda)
    }

    #[allow(clippy::needless_range_loop)]
    fn plain_biases(&self) -> (Vec<f64>, Vec<f64>) {
        let (n, m) = (self.n, self.m);
        let mut bp = self.b.clone();
        let mut cp = self.c.clone();
        for i in 0..n {
            let row = &self.w[i * m..(i + 1) * m];
            bp[i] -= row.iter().zip(&self.lambda).map(|(w, l)| w * l).sum::<f64>();
            let mu = self.mu[i];
            if mu != 0.0 {
                cp.iter_mut().zip(row).for_each(|(c, w)| *c -= w * mu);
            }
        }
        (bp, cp)
    }

    /// Checks that `data` fits this trainer.
    fn check_data(&self, data: &Dataset) -> Result<()> {
        if data.cols() != self.n {
            return Err(Error::Shape(format!(
                "the trainer has {} visible units, the data {} columns",
                self.n,
                data.cols()
            )));
        }
        data.check_unit_interval()
    }

    /// Minibatches of an epoch as index lists: shuffled by stream `(seed, [2, epoch])` into
    /// batches of `batch_size` (the last one smaller when the size does not divide), or, in
    /// scikit-learn mode, `⌈N/B⌉` even slices in data order.
    fn batches(&self, rows: usize, epoch: usize) -> Vec<Vec<usize>> {
        let b = self.params.batch_size;
        if self.params.sklearn_compat {
            let nb = rows.div_ceil(b);
            let (base, extra) = (rows / nb, rows % nb);
            let mut out = Vec::with_capacity(nb);
            let mut start = 0;
            for k in 0..nb {
                let len = base + usize::from(k < extra);
                out.push((start..start + len).collect());
                start += len;
            }
            return out;
        }
        let mut idx: Vec<usize> = (0..rows).collect();
        idx.shuffle(&mut stream_path(self.params.seed, &[KEY_SHUFFLE, epoch as u64]));
        idx.chunks(b).map(<[usize]>::to_vec).collect()
    }

    /// Trains until all epochs are done or `stop` is raised (checked before every minibatch).
    /// `test` adds test metrics to the history; `on_epoch` sees each epoch's statistics.
    pub fn train(
        &mut self,
        data: &Dataset,
        test: Option<&Dataset>,
        stop: &StopFlag,
        on_epoch: Option<&dyn Fn(&EpochStats)>,
    ) -> Result<TrainReport> {
        self.run(data, test, stop, on_epoch, usize::MAX, usize::MAX)
    }

    /// Runs the rest of the current epoch; returns its statistics, or `None` when `stop` was
    /// raised first (the model after the last minibatch is kept and the epoch can be resumed).
    pub fn train_epoch(
        &mut self,
        data: &Dataset,
        test: Option<&Dataset>,
        stop: &StopFlag,
    ) -> Result<Option<EpochStats>> {
        let before = self.history.len();
        self.run(data, test, stop, None, usize::MAX, self.epoch + 1)?;
        Ok((self.history.len() > before).then(|| self.history[before].clone()))
    }

    /// As [`Trainer::train`], stopping (as if interrupted) after at most `budget` minibatches.
    pub fn train_batches(
        &mut self,
        data: &Dataset,
        test: Option<&Dataset>,
        stop: &StopFlag,
        budget: usize,
    ) -> Result<TrainReport> {
        self.run(data, test, stop, None, budget, usize::MAX)
    }

    fn run(
        &mut self,
        data: &Dataset,
        test: Option<&Dataset>,
        stop: &StopFlag,
        on_epoch: Option<&dyn Fn(&EpochStats)>,
        budget: usize,
        epoch_limit: usize,
    ) -> Result<TrainReport> {
        self.check_data(data)?;
        let mut done = 0usize;
        if let Some(t) = test {
            self.check_data(t)?;
        }
        let start = Instant::now();
        let mut interrupted = false;
        while self.epoch < self.params.epochs.min(epoch_limit) {
            let batches = self.batches(data.rows(), self.epoch);
            let t0 = Instant::now();
            while self.batch < batches.len() {
                if stop.is_raised() || done >= budget {
                    interrupted = true;
                    break;
                }
                done += 1;
                let idx = &batches[self.batch];
                match self.params.precision {
                    Precision::F32 => self.update::<f32>(data, idx),
                    Precision::F64 => self.update::<f64>(data, idx),
                }
                self.batch += 1;
            }
            self.epoch_seconds += t0.elapsed().as_secs_f64();
            if interrupted {
                break;
            }
            let stats = self.epoch_stats(data, test)?;
            if let Some(f) = on_epoch {
                f(&stats);
            }
            self.history.push(stats);
            self.chains.reset_swaps();
            self.epoch += 1;
            self.batch = 0;
            self.epoch_seconds = 0.0;
        }
        Ok(TrainReport { epochs_done: self.epoch, interrupted, seconds: start.elapsed().as_secs_f64() })
    }

    /// One parameter update from the rows `idx` of `data`.
    fn update<T: Real>(&mut self, data: &Dataset, idx: &[usize]) {
        let (n, m) = (self.n, self.m);
        let p = &self.params;
        let seed = p.seed;
        let path = [KEY_NEG, self.epoch as u64, self.batch as u64];
        let (bp, cp) = self.plain_biases();
        let kern = Kernel::<T>::new(n, m, &self.w, &bp, &cp);
        let bsz = idx.len();
        let mut v0 = Vec::with_capacity(bsz * n);
        for &i in idx {
            v0.extend(data.row(i).iter().map(|&x| T::of(x as f64)));
        }
        let mut x0 = vec![T::of(0.0); bsz * m];
        kern.hidden_pre(&v0, &mut x0);
        let mut p0 = vec![T::of(0.0); bsz * m];
        let (vneg, phneg) = match p.algorithm {
            Algorithm::Cd { k } => {
                let mut h = vec![T::of(0.0); bsz * m];
                sample_rows(
                    &x0,
                    &kern.c,
                    None,
                    Some(&mut p0),
                    Some(&mut h),
                    seed,
                    &[KEY_NEG, self.epoch as u64, self.batch as u64, 99],
                );
                let mut y = vec![T::of(0.0); bsz * n];
                let mut v = vec![T::of(0.0); bsz * n];
                let mut x = vec![T::of(0.0); bsz * m];
                let mut ph = vec![T::of(0.0); bsz * m];
                for step in 0..k as u64 {
                    kern.visible_pre(&h, &mut y);
                    if p.sample_visible {
                        sample_rows(&y, &kern.b, None, None, Some(&mut v), seed, &[path[0], path[1], path[2], step, 0]);
                    } else {
                        sample_rows(&y, &kern.b, None, Some(&mut v), None, seed, &[]);
                    }
                    kern.hidden_pre(&v, &mut x);
                    if step + 1 < k as u64 {
                        sample_rows(
                            &x,
                            &kern.c,
                            None,
                            Some(&mut ph),
                            Some(&mut h),
                            seed,
                            &[path[0], path[1], path[2], step, 1],
                        );
                    } else {
                        sample_rows(&x, &kern.c, None, Some(&mut ph), None, seed, &[]);
                    }
                }
                (v, ph)
            }
            Algorithm::Pcd { k, .. } => {
                sample_rows(&x0, &kern.c, None, Some(&mut p0), None, seed, &[]);
                self.chains.advance(&kern, k, seed, &path)
            }
            Algorithm::Pt { .. } => {
                sample_rows(&x0, &kern.c, None, Some(&mut p0), None, seed, &[]);
                self.chains.advance(&kern, 1, seed, &path)
            }
        };
        self.apply(&v0, &p0, &vneg, &phneg);
    }

    /// The parameter update from data rows `v0` with hidden probabilities `p0` and negative rows
    /// `vneg` with hidden probabilities `phneg`.
    fn apply<T: Real>(&mut self, v0: &[T], p0: &[T], vneg: &[T], phneg: &[T]) {
        let (n, m) = (self.n, self.m);
        let p = &self.params;
        let bsz = v0.len() / n;
        let cneg = vneg.len() / n;
        // Fused statistics: [V₀ − μ; V − μ]ᵀ [(P₀ − λ)/B; −(P_H − λ)/C].
        let rows = bsz + cneg;
        let mut left = Vec::with_capacity(rows * n);
        let mut right = Vec::with_capacity(rows * m);
        let mu_t: Vec<T> = self.mu.iter().map(|&x| T::of(x)).collect();
        let (sb, sc) = (T::of(1.0 / bsz as f64), T::of(-1.0 / cneg as f64));
        for r in 0..bsz {
            left.extend(v0[r * n..(r + 1) * n].iter().zip(&mu_t).map(|(&v, &u)| v - u));
            right.extend(p0[r * m..(r + 1) * m].iter().zip(&self.lambda).map(|(&h, &l)| (h - T::of(l)) * sb));
        }
        for r in 0..cneg {
            left.extend(vneg[r * n..(r + 1) * n].iter().zip(&mu_t).map(|(&v, &u)| v - u));
            right.extend(phneg[r * m..(r + 1) * m].iter().zip(&self.lambda).map(|(&h, &l)| (h - T::of(l)) * sc));
        }
        let mut grad = vec![T::of(0.0); n * m];
        gemm(
            &mut grad,
            m,
            MatRef::from_row_major_slice(&left, rows, n).transpose(),
            MatRef::from_row_major_slice(&right, rows, m),
        );
        let mean = |x: &[T], width: usize, count: usize| {
            let mut s = vec![0.0f64; width];
            for r in x.chunks_exact(width) {
                s.iter_mut().zip(r).for_each(|(a, &b)| *a += b.to());
            }
            s.iter_mut().for_each(|a| *a /= count as f64);
            s
        };
        let mv0 = mean(v0, n, bsz);
        let mp0 = mean(p0, m, bsz);
        let mvn = mean(vneg, n, cneg);
        let mpn = mean(phneg, m, cneg);
        let mut db: Vec<f64> = mv0.iter().zip(&mvn).map(|(a, b)| a - b).collect();
        let mut dc: Vec<f64> = mp0.iter().zip(&mpn).map(|(a, b)| a - b).collect();
        let mut gw: Vec<f64> = grad.iter().map(|g| g.to()).collect();
        if let Some(s) = p.sparsity {
            self.q.iter_mut().zip(&mp0).for_each(|(q, &a)| *q = s.decay * *q + (1.0 - s.decay) * a);
            for (j, dcj) in dc.iter_mut().enumerate() {
                let pen = s.cost * (self.q[j] - s.target);
                *dcj -= pen;
                for i in 0..n {
                    gw[i * m + j] -= pen * mv0[i];
                }
            }
        }
        let lr = p.lr_at(self.epoch);
        let mom = p.momentum_at(self.epoch);
        let wd = p.weight_decay;
        for ((w, inc), g) in self.w.iter_mut().zip(self.inc_w.iter_mut()).zip(&gw) {
            *inc = mom * *inc + lr * (g - wd * *w);
            *w += *inc;
        }
        for ((b, inc), g) in self.b.iter_mut().zip(self.inc_b.iter_mut()).zip(db.iter_mut()) {
            *inc = mom * *inc + lr * *g;
            *b += *inc;
        }
        for ((c, inc), g) in self.c.iter_mut().zip(self.inc_c.iter_mut()).zip(dc.iter_mut()) {
            *inc = mom * *inc + lr * *g;
            *c += *inc;
        }
        if let Some(nu) = p.centering {
            let new_mu: Vec<f64> = self.mu.iter().zip(&mv0).map(|(u, t)| (1.0 - nu) * u + nu * t).collect();
            let new_lambda: Vec<f64> = self.lambda.iter().zip(&mp0).map(|(l, t)| (1.0 - nu) * l + nu * t).collect();
            self.shift_offsets(&new_mu, &new_lambda);
        }
    }

    /// Moves the offsets to `mu`, `lambda`, shifting the biases so that the model is unchanged:
    /// `b += W(λ' − λ)`, `c += Wᵀ(μ' − μ)`.
    #[allow(clippy::needless_range_loop)]
    pub fn shift_offsets(&mut self, mu: &[f64], lambda: &[f64]) {
        let (n, m) = (self.n, self.m);
        let dl: Vec<f64> = lambda.iter().zip(&self.lambda).map(|(a, b)| a - b).collect();
        for i in 0..n {
            let row = &self.w[i * m..(i + 1) * m];
            self.b[i] += row.iter().zip(&dl).map(|(w, d)| w * d).sum::<f64>();
            let du = mu[i] - self.mu[i];
            if du != 0.0 {
                self.c.iter_mut().zip(row).for_each(|(c, w)| *c += w * du);
            }
        }
        self.mu.copy_from_slice(mu);
        self.lambda.copy_from_slice(lambda);
    }

    fn epoch_stats(&self, data: &Dataset, test: Option<&Dataset>) -> Result<EpochStats> {
        let model = self.model();
        let p = &self.params;
        let monitor = (p.monitor_samples > 0).then(|| data.head(p.monitor_samples));
        let (recon, pl) = match &monitor {
            Some(d) => {
                let (sse, _) = model.reconstruction_error(d, stream_path(p.seed, &[KEY_MONITOR]).random())?;
                (Some(sse), Some(model.pseudo_likelihood(d)?))
            }
            None => (None, None),
        };
        let test_pl = match (test, p.monitor_samples) {
            (Some(t), k) if k > 0 => Some(model.pseudo_likelihood(&t.head(k))?),
            _ => None,
        };
        // Exact log Z when it is cheap: at most 2²⁷ softplus evaluations (2^k·p for the
        // enumerated layer of k units and the other of p).
        let (k, other) = if self.n < self.m { (self.n, self.m) } else { (self.m, self.n) };
        let small = p.monitor_samples > 0 && k <= 27 && (other as u64) << k <= 1u64 << 27;
        let (exact_ll, test_exact_ll) = if small {
            let logz = model.log_z_exact()?;
            let tr = match &monitor {
                Some(d) => Some(model.log_likelihood(d, logz)?),
                None => None,
            };
            let te = match test {
                Some(t) => Some(model.log_likelihood(t, logz)?),
                None => None,
            };
            (tr, te)
        } else {
            (None, None)
        };
        let act_data = monitor.unwrap_or_else(|| data.head(500));
        let feats = model.transform(&act_data)?;
        let m = self.m;
        let mut act = vec![0.0; m];
        for r in feats.chunks_exact(m) {
            act.iter_mut().zip(r).for_each(|(a, &x)| *a += x);
        }
        act.iter_mut().for_each(|a| *a /= act_data.rows() as f64);
        Ok(EpochStats {
            epoch: self.epoch + 1,
            seconds: self.epoch_seconds,
            learning_rate: p.lr_at(self.epoch),
            momentum: p.momentum_at(self.epoch),
            recon_sse: recon,
            pseudo_likelihood: pl,
            test_pseudo_likelihood: test_pl,
            exact_ll,
            test_exact_ll,
            mean_hidden: act.iter().sum::<f64>() / m as f64,
            dead_hidden: act.iter().filter(|&&a| a < 0.01).count(),
            saturated_hidden: act.iter().filter(|&&a| a > 0.99).count(),
            weight_norm: self.w.iter().map(|w| w * w).sum::<f64>().sqrt(),
            swap_acceptance: self.chains.swap_acceptance(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boltzmann::bm::batch_means;
    use crate::boltzmann::math::{sigmoid, LogSumExp};
    use crate::engine::rng::stream;

    fn normal_rbm(n: usize, m: usize, scale: f64, seed: u64) -> Rbm {
        let mut rng = stream(seed, 77);
        let mut g = |k: usize| (0..k).map(|_| scale * rng.sample::<f64, _>(StandardNormal)).collect::<Vec<f64>>();
        let (w, b, c) = (g(n * m), g(n), g(m));
        Rbm::new(n, m, w, b, c).unwrap()
    }

    fn configs(k: usize) -> Vec<Vec<f64>> {
        (0..1u64 << k).map(|x| (0..k).map(|j| (x >> j & 1) as f64).collect()).collect()
    }

    /// Exact model moments E[v], E[h], E[v hᵀ] (h replaced by p(h|v)) by enumerating v.
    fn exact_moments(rbm: &Rbm) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (n, m) = (rbm.visible(), rbm.hidden());
        let logz = rbm.log_z_exact().unwrap();
        let (mut ev, mut eh, mut evh) = (vec![0.0; n], vec![0.0; m], vec![0.0; n * m]);
        let mut ph = vec![0.0; m];
        for v in configs(n) {
            let p = (-rbm.free_energy(&v) - logz).exp();
            rbm.hidden_probs(&v, &mut ph);
            for i in 0..n {
                ev[i] += p * v[i];
                for j in 0..m {
                    evh[i * m + j] += p * v[i] * ph[j];
                }
            }
            eh.iter_mut().zip(&ph).for_each(|(a, &b)| *a += p * b);
        }
        (ev, eh, evh)
    }

    /// Samples `rows` visible vectors exactly from the RBM's marginal.
    fn exact_samples(rbm: &Rbm, rows: usize, seed: u64) -> Dataset {
        let n = rbm.visible();
        let logz = rbm.log_z_exact().unwrap();
        let all = configs(n);
        let p: Vec<f64> = all.iter().map(|v| (-rbm.free_energy(v) - logz).exp()).collect();
        let freq_idx = {
            let mut rng = stream(seed, 1);
            let mut cdf = Vec::new();
            let mut acc = 0.0;
            p.iter().for_each(|&x| {
                acc += x;
                cdf.push(acc)
            });
            (0..rows)
                .map(|_| {
                    let u = rng.random::<f64>() * acc;
                    cdf.partition_point(|&c| c <= u).min(p.len() - 1)
                })
                .collect::<Vec<_>>()
        };
        let values: Vec<f64> = freq_idx.iter().flat_map(|&k| all[k].iter().copied()).collect();
        Dataset::from_f64(&values, n).unwrap()
    }

    /// X2: long-run PCD and PT statistics against the exact model expectations, within 3
    /// batch-means standard errors for every component.
    #[test]
    fn x2_persistent_and_tempered_chains_match_exact_moments() {
        let (n, m) = (10, 8);
        let rbm = normal_rbm(n, m, 0.5, 3);
        let (ev, eh, evh) = exact_moments(&rbm);
        let kern = Kernel::<f64>::new(n, m, rbm.weights(), rbm.visible_bias(), rbm.hidden_bias());
        let chains = 50;
        let init: Vec<f32> = (0..chains * n).map(|i| (i % 3 == 0) as u8 as f32).collect();
        let samplers = [
            ("pcd", Chains::persistent(vec![0.0; chains * m])),
            ("pt", Chains::tempered(Algorithm::linear_betas(4), chains, &init, n, m)),
        ];
        for (name, mut ch) in samplers {
            let updates = 4000;
            let burn = 200;
            let mut series: Vec<Vec<f64>> = vec![Vec::with_capacity(updates); n + m + n * m];
            for u in 0..updates + burn {
                let (v, ph) = ch.advance(&kern, 1, 11, &[u as u64]);
                if u < burn {
                    continue;
                }
                let c = v.len() / n;
                for i in 0..n {
                    series[i].push(v.chunks_exact(n).map(|r| r[i]).sum::<f64>() / c as f64);
                }
                for j in 0..m {
                    series[n + j].push(ph.chunks_exact(m).map(|r| r[j]).sum::<f64>() / c as f64);
                }
                for i in 0..n {
                    for j in 0..m {
                        let s: f64 = (0..c).map(|r| v[r * n + i] * ph[r * m + j]).sum();
                        series[n + m + i * m + j].push(s / c as f64);
                    }
                }
            }
            let exact: Vec<f64> = ev.iter().chain(&eh).chain(&evh).copied().collect();
            let mut worst = 0.0f64;
            for (k, s) in series.iter().enumerate() {
                let (mean, se) = batch_means(s, 40);
                let z = (mean - exact[k]).abs() / se.max(1e-12);
                worst = worst.max(z);
                // 3 s.e. per component; with 98 components a 4-s.e. excursion is the alarm.
                assert!(z < 4.0, "{name}: component {k}: {mean} ± {se} vs exact {}", exact[k]);
            }
            let over3 = series
                .iter()
                .enumerate()
                .filter(|(k, s)| {
                    let (mean, se) = batch_means(s, 40);
                    (mean - exact[*k]).abs() > 3.0 * se
                })
                .count();
            assert!(over3 <= 2, "{name}: {over3} of {} components beyond 3 s.e. (worst {worst:.2})", series.len());
            if name == "pt" {
                let acc = ch.swap_acceptance();
                assert_eq!(acc.len(), 3);
                assert!(acc.iter().all(|&a| a > 0.05 && a <= 1.0), "swap acceptance {acc:?}");
            }
        }
    }

    /// X3: block Gibbs (one chain, 10⁶ sweeps) and the PT β = 1 replica match exact p(v) in total
    /// variation.
    #[test]
    fn x3_samplers_match_the_exact_distribution() {
        let (n, m) = (10, 8);
        let rbm = normal_rbm(n, m, 0.6, 5);
        let logz = rbm.log_z_exact().unwrap();
        let p: Vec<f64> = configs(n).iter().map(|v| (-rbm.free_energy(v) - logz).exp()).collect();
        let index = |v: &[f64]| v.iter().enumerate().fold(0usize, |a, (i, &x)| a | ((x as usize) << i));
        let sweeps = 1_000_000;
        let floor =
            super::super::bm::total_variation(&p, &super::super::bm::iid_frequencies(&p, sweeps, &mut stream(9, 9)));
        let mut chain = super::super::rbm::GibbsChain::new(&rbm, vec![0.0; n], stream(1, 2)).unwrap();
        let mut freq = vec![0.0; 1 << n];
        for _ in 0..1000 {
            chain.step();
        }
        for _ in 0..sweeps {
            chain.step();
            freq[index(chain.v())] += 1.0 / sweeps as f64;
        }
        let tv = super::super::bm::total_variation(&p, &freq);
        assert!(tv < 0.02, "Gibbs TV {tv} (i.i.d. floor {floor})");
        // PT: 100 chains × 10⁴ updates at β = 1.
        let kern = Kernel::<f64>::new(n, m, rbm.weights(), rbm.visible_bias(), rbm.hidden_bias());
        let chains = 100;
        let mut pt = Chains::tempered(Algorithm::linear_betas(3), chains, &vec![0.0f32; chains * n], n, m);
        let mut freq = vec![0.0; 1 << n];
        let updates = sweeps / chains;
        for u in 0..updates + 100 {
            let (v, _) = pt.advance(&kern, 1, 4, &[u as u64]);
            if u >= 100 {
                for r in v.chunks_exact(n) {
                    freq[index(r)] += 1.0 / sweeps as f64;
                }
            }
        }
        let tv = super::super::bm::total_variation(&p, &freq);
        assert!(tv < 0.02, "PT TV {tv} (i.i.d. floor {floor}); acceptance {:?}", pt.swap_acceptance());
    }

    /// The log-likelihood gradient (plain parameters) by central differences of the exact mean
    /// log-likelihood, against data minus model statistics from enumeration.
    #[test]
    fn likelihood_gradient_matches_finite_differences() {
        let (n, m) = (5, 4);
        let rbm = normal_rbm(n, m, 0.7, 8);
        let data = exact_samples(&normal_rbm(n, m, 1.0, 9), 40, 2);
        let ll = |r: &Rbm| r.log_likelihood(&data, r.log_z_exact().unwrap()).unwrap();
        let (ev, eh, evh) = exact_moments(&rbm);
        let (mut dv, mut dh, mut dvh) = (vec![0.0; n], vec![0.0; m], vec![0.0; n * m]);
        let mut ph = vec![0.0; m];
        for r in 0..data.rows() {
            let v: Vec<f64> = data.row(r).iter().map(|&x| x as f64).collect();
            rbm.hidden_probs(&v, &mut ph);
            for i in 0..n {
                dv[i] += v[i] / data.rows() as f64;
                for j in 0..m {
                    dvh[i * m + j] += v[i] * ph[j] / data.rows() as f64;
                }
            }
            dh.iter_mut().zip(&ph).for_each(|(a, &b)| *a += b / data.rows() as f64);
        }
        let eps = 1e-5;
        let perturbed = |which: usize, k: usize, d: f64| {
            let (mut w, mut b, mut c) =
                (rbm.weights().to_vec(), rbm.visible_bias().to_vec(), rbm.hidden_bias().to_vec());
            match which {
                0 => w[k] += d,
                1 => b[k] += d,
                _ => c[k] += d,
            }
            Rbm::new(n, m, w, b, c).unwrap()
        };
        for k in 0..n * m {
            let fd = (ll(&perturbed(0, k, eps)) - ll(&perturbed(0, k, -eps))) / (2.0 * eps);
            assert!((fd - (dvh[k] - evh[k])).abs() < 1e-7, "W[{k}]: {fd} vs {}", dvh[k] - evh[k]);
        }
        for i in 0..n {
            let fd = (ll(&perturbed(1, i, eps)) - ll(&perturbed(1, i, -eps))) / (2.0 * eps);
            assert!((fd - (dv[i] - ev[i])).abs() < 1e-7);
        }
        for j in 0..m {
            let fd = (ll(&perturbed(2, j, eps)) - ll(&perturbed(2, j, -eps))) / (2.0 * eps);
            assert!((fd - (dh[j] - eh[j])).abs() < 1e-7);
        }
    }

    /// The update arithmetic (fused product, centering, momentum, weight decay, sparsity)
    /// against naive double loops of the documented formulas.
    #[test]
    fn update_matches_the_documented_formulas() {
        let (n, m) = (6, 5);
        let data = Dataset::new((0..4 * n).map(|i| ((i * 7) % 3 == 0) as u8 as f32).collect(), n).unwrap();
        let params = TrainParams {
            algorithm: Algorithm::Cd { k: 1 },
            learning_rate: 0.1,
            momentum: 0.5,
            momentum_final: 0.5,
            weight_decay: 0.01,
            sparsity: Some(Sparsity { target: 0.1, cost: 0.3, decay: 0.9 }),
            centering: Some(0.2),
            precision: Precision::F64,
            ..TrainParams::default()
        };
        let mut t = Trainer::new(params, m, &data).unwrap();
        let mut rng = stream(3, 3);
        t.w.iter_mut().for_each(|w| *w = rng.random::<f64>() - 0.5);
        t.inc_w.iter_mut().for_each(|w| *w = 0.01 * (rng.random::<f64>() - 0.5));
        t.lambda.iter_mut().for_each(|l| *l = rng.random::<f64>());
        let before = t.clone();
        let v0: Vec<f64> = data.values().iter().map(|&x| x as f64).collect();
        let p0: Vec<f64> = (0..4 * m).map(|_| rng.random::<f64>()).collect();
        let vn: Vec<f64> = (0..3 * n).map(|_| (rng.random::<f64>() < 0.5) as u8 as f64).collect();
        let pn: Vec<f64> = (0..3 * m).map(|_| rng.random::<f64>()).collect();
        t.apply(&v0, &p0, &vn, &pn);
        let (b0, c0) = (4.0, 3.0);
        let mv0: Vec<f64> = (0..n).map(|i| (0..4).map(|r| v0[r * n + i]).sum::<f64>() / b0).collect();
        let mp0: Vec<f64> = (0..m).map(|j| (0..4).map(|r| p0[r * m + j]).sum::<f64>() / b0).collect();
        let q: Vec<f64> = before.q.iter().zip(&mp0).map(|(q, a)| 0.9 * q + 0.1 * a).collect();
        for i in 0..n {
            for j in 0..m {
                let pos: f64 =
                    (0..4).map(|r| (v0[r * n + i] - before.mu[i]) * (p0[r * m + j] - before.lambda[j])).sum::<f64>()
                        / b0;
                let neg: f64 =
                    (0..3).map(|r| (vn[r * n + i] - before.mu[i]) * (pn[r * m + j] - before.lambda[j])).sum::<f64>()
                        / c0;
                let g = pos - neg - 0.3 * (q[j] - 0.1) * mv0[i];
                let inc = 0.5 * before.inc_w[i * m + j] + 0.1 * (g - 0.01 * before.w[i * m + j]);
                assert!((t.w[i * m + j] - (before.w[i * m + j] + inc)).abs() < 1e-12);
            }
        }
        // Biases: gradient step, then the offset shift that keeps the distribution.
        let mvn: Vec<f64> = (0..n).map(|i| (0..3).map(|r| vn[r * n + i]).sum::<f64>() / c0).collect();
        let mpn: Vec<f64> = (0..m).map(|j| (0..3).map(|r| pn[r * m + j]).sum::<f64>() / c0).collect();
        let new_lambda: Vec<f64> = before.lambda.iter().zip(&mp0).map(|(l, t)| 0.8 * l + 0.2 * t).collect();
        let new_mu: Vec<f64> = before.mu.iter().zip(&mv0).map(|(u, t)| 0.8 * u + 0.2 * t).collect();
        for i in 0..n {
            let stepped = before.b[i] + 0.5 * before.inc_b[i] + 0.1 * (mv0[i] - mvn[i]);
            let shift: f64 = (0..m).map(|j| t.w[i * m + j] * (new_lambda[j] - before.lambda[j])).sum();
            assert!((t.b[i] - (stepped + shift)).abs() < 1e-12);
            assert!((t.mu[i] - new_mu[i]).abs() < 1e-15);
        }
        for j in 0..m {
            let stepped = before.c[j] + 0.5 * before.inc_c[j] + 0.1 * (mp0[j] - mpn[j] - 0.3 * (q[j] - 0.1));
            let shift: f64 = (0..n).map(|i| t.w[i * m + j] * (new_mu[i] - before.mu[i])).sum();
            assert!((t.c[j] - (stepped + shift)).abs() < 1e-12);
        }
    }

    /// X13: moving the offsets with the bias shift leaves log p(v) unchanged for every v, and the
    /// plain conversion gives the centered model's likelihood.
    #[test]
    fn x13_offset_shift_keeps_the_distribution() {
        let (n, m) = (6, 4);
        let data = exact_samples(&normal_rbm(n, m, 1.0, 4), 30, 1);
        let params = TrainParams { centering: Some(0.1), algorithm: Algorithm::Cd { k: 1 }, ..TrainParams::default() };
        let mut t = Trainer::new(params, m, &data).unwrap();
        let mut rng = stream(2, 2);
        t.w.iter_mut().for_each(|w| *w = rng.random::<f64>() * 2.0 - 1.0);
        t.b.iter_mut().for_each(|w| *w = rng.random::<f64>() - 0.5);
        let before = t.model();
        let zb = before.log_z_exact().unwrap();
        let mu: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
        let lambda: Vec<f64> = (0..m).map(|_| rng.random::<f64>()).collect();
        t.shift_offsets(&mu, &lambda);
        let after = t.model();
        let za = after.log_z_exact().unwrap();
        for v in configs(n) {
            assert!(((-before.free_energy(&v) - zb) - (-after.free_energy(&v) - za)).abs() < 1e-9);
        }
        // Centered energy of (v, h) equals the plain energy up to one constant.
        let (w, b, c, mu, lambda) = t.centered();
        let centered_e = |v: &[f64], h: &[f64]| {
            let mut e = 0.0;
            for i in 0..n {
                e -= (v[i] - mu[i]) * b[i];
                for j in 0..m {
                    e -= (v[i] - mu[i]) * w[i * m + j] * (h[j] - lambda[j]);
                }
            }
            for j in 0..m {
                e -= (h[j] - lambda[j]) * c[j];
            }
            e
        };
        let k0 = centered_e(&configs(n)[0], &configs(m)[0]) - after.energy(&configs(n)[0], &configs(m)[0]);
        for v in configs(n).iter().step_by(5) {
            for h in configs(m) {
                assert!((centered_e(v, &h) - after.energy(v, &h) - k0).abs() < 1e-9);
            }
        }
        let mut acc = LogSumExp::new();
        for v in configs(n) {
            for h in configs(m) {
                acc.push(-centered_e(&v, &h));
            }
        }
        // log Z differs by the constant, the likelihood does not.
        assert!((acc.value() - (za - k0)).abs() < 1e-9);
    }

    const PROTOTYPES: [[u8; 8]; 3] = [[1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1], [1, 0, 1, 0, 1, 0, 1, 0]];
    const NOISE: f64 = 0.05;

    /// 400 samples of three 8-bit prototypes with 5 % of the bits flipped: strongly correlated
    /// units that independent units cannot model.
    fn tiny_data() -> Dataset {
        let mut rng = stream(12, 0);
        let mut values = Vec::new();
        for r in 0..400 {
            for &bit in &PROTOTYPES[r % 3] {
                let flip = rng.random::<f64>() < NOISE;
                values.push(if (bit == 1) != flip { 1.0f32 } else { 0.0 });
            }
        }
        Dataset::new(values, 8).unwrap()
    }

    /// Mean log-likelihood of `data` under the generating mixture.
    fn mixture_ll(data: &Dataset) -> f64 {
        let mut total = 0.0;
        for r in 0..data.rows() {
            let mut acc = LogSumExp::new();
            for proto in &PROTOTYPES {
                let lp: f64 = data
                    .row(r)
                    .iter()
                    .zip(proto)
                    .map(|(&x, &b)| if (x > 0.5) == (b == 1) { (1.0 - NOISE).ln() } else { NOISE.ln() })
                    .sum();
                acc.push(lp - 3f64.ln());
            }
            total += acc.value();
        }
        total / data.rows() as f64
    }

    #[test]
    fn every_algorithm_improves_the_exact_likelihood() {
        let data = tiny_data();
        let target = mixture_ll(&data);
        for (algorithm, centering) in [
            (Algorithm::Cd { k: 1 }, None),
            (Algorithm::Cd { k: 3 }, Some(0.05)),
            (Algorithm::Pcd { k: 1, chains: 20 }, None),
            (Algorithm::Pcd { k: 2, chains: 20 }, Some(0.05)),
            (Algorithm::Pt { betas: Algorithm::linear_betas(4), chains: 10 }, None),
        ] {
            let params = TrainParams {
                algorithm: algorithm.clone(),
                centering,
                learning_rate: 0.1,
                momentum: 0.5,
                momentum_final: 0.5,
                batch_size: 20,
                epochs: 30,
                monitor_samples: 400,
                init_visible_from_data: true,
                seed: 7,
                ..TrainParams::default()
            };
            let mut t = Trainer::new(params, 6, &data).unwrap();
            let start = t.model().log_likelihood(&data, t.model().log_z_exact().unwrap()).unwrap();
            let r = t.train(&data, None, &StopFlag::new(), None).unwrap();
            assert!(!r.interrupted && r.epochs_done == 30);
            let end = t.history().last().unwrap().exact_ll.unwrap();
            // Close at least three quarters of the gap between the start and the generating model.
            assert!(end - start > 0.75 * (target - start), "{algorithm:?}: exact LL {start} → {end}, source {target}");
            if let Algorithm::Pt { .. } = algorithm {
                assert_eq!(t.history()[0].swap_acceptance.len(), 3);
            }
        }
    }

    #[test]
    fn same_seed_same_model_at_any_thread_count_and_resume_is_exact() {
        let data = tiny_data();
        for (algorithm, precision) in [
            (Algorithm::Pcd { k: 1, chains: 20 }, Precision::F32),
            (Algorithm::Pt { betas: vec![0.3, 0.7, 1.0], chains: 8 }, Precision::F64),
        ] {
            let params = TrainParams {
                algorithm,
                precision,
                learning_rate: 0.05,
                momentum: 0.5,
                momentum_final: 0.5,
                batch_size: 32,
                epochs: 3,
                monitor_samples: 50,
                centering: Some(0.01),
                seed: 3,
                ..TrainParams::default()
            };
            let run = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                pool.install(|| {
                    let mut t = Trainer::new(params.clone(), 5, &data).unwrap();
                    t.train(&data, None, &StopFlag::new(), None).unwrap();
                    t.model()
                })
            };
            let one = run(1);
            assert_eq!(one, run(3));
            // Interrupt mid-epoch (after 17 minibatches), keep the trainer, resume.
            let mut t = Trainer::new(params.clone(), 5, &data).unwrap();
            let r = t.train_batches(&data, None, &StopFlag::new(), 17).unwrap();
            assert!(r.interrupted && r.epochs_done == 1);
            let saved = t.clone();
            let mut resumed = saved;
            let r = resumed.train(&data, None, &StopFlag::new(), None).unwrap();
            assert!(!r.interrupted && r.epochs_done == 3);
            assert_eq!(resumed.model(), one);
            // A raised flag stops before any minibatch and keeps the model.
            let stop = StopFlag::new();
            stop.raise();
            let mut t = Trainer::new(params.clone(), 5, &data).unwrap();
            let m0 = t.model();
            assert!(t.train(&data, None, &stop, None).unwrap().interrupted);
            assert_eq!(t.model(), m0);
        }
    }

    #[test]
    fn sklearn_mode_uses_even_slices_in_order_and_zero_chains() {
        let data = Dataset::new(vec![1.0; 23 * 2], 2).unwrap();
        let t = Trainer::new(TrainParams::sklearn(0.1, 10, 1, 0), 3, &data).unwrap();
        let b = t.batches(23, 0);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![8, 8, 7]);
        assert_eq!(b[1][0], 8);
        assert_eq!(t.chains, Chains::persistent(vec![0.0; 30]));
        let bad = TrainParams { momentum: 0.5, ..TrainParams::sklearn(0.1, 10, 1, 0) };
        assert!(bad.check().unwrap_err().to_string().contains("sklearn_compat"));
    }

    #[test]
    fn bad_parameters_are_named_errors() {
        let data = tiny_data();
        let e = |p: TrainParams, hidden: usize| Trainer::new(p, hidden, &data).unwrap_err().to_string();
        assert!(e(TrainParams { learning_rate: -0.1, ..TrainParams::default() }, 3).contains("learning_rate"));
        assert!(e(TrainParams { learning_rate: f64::NAN, ..TrainParams::default() }, 3).contains("learning_rate"));
        assert!(e(TrainParams::default(), 0).contains("hidden"));
        assert!(e(TrainParams { batch_size: 0, ..TrainParams::default() }, 3).contains("batch_size"));
        assert!(e(TrainParams { algorithm: Algorithm::Cd { k: 0 }, ..TrainParams::default() }, 3).contains("`k`"));
        assert!(e(
            TrainParams { algorithm: Algorithm::Pt { betas: vec![0.0, 0.5], chains: 2 }, ..TrainParams::default() },
            3
        )
        .contains("betas"));
        assert!(e(TrainParams { momentum: 1.5, ..TrainParams::default() }, 3).contains("momentum"));
        let bad = Dataset::new(vec![0.0, 3.0], 2).unwrap();
        assert!(Trainer::new(TrainParams::default(), 3, &bad).unwrap_err().to_string().contains("outside [0, 1]"));
        let _ = sigmoid(0.0);
    }
}
