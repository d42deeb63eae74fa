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
use crate::engine::run::{RunControl, RunLimits, StopFlag};
use crate::error::{check_range, Error, Result};

const KEY_INIT: u64 = 1;
const KEY_SHUFFLE: u64 = 2;
const KEY_NEG: u64 = 3;
const KEY_CHAINS: u64 = 4;
const KEY_SWAP: u64 = 5;
const KEY_MONITOR: u64 = 6;

mod chains;
mod params;
#[cfg(test)]
mod tests;

pub use chains::Chains;
pub use params::{Algorithm, LrSchedule, Sparsity, TrainParams};

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
        // One step of the run is one minibatch; `budget` is its step limit.
        let mut run = RunControl::start(&RunLimits::steps(budget), stop)?;
        if let Some(t) = test {
            self.check_data(t)?;
        }
        let start = Instant::now();
        let mut interrupted = false;
        while self.epoch < self.params.epochs.min(epoch_limit) {
            let batches = self.batches(data.rows(), self.epoch);
            let t0 = Instant::now();
            while self.batch < batches.len() {
                if !run.proceed() {
                    interrupted = true;
                    break;
                }
                let idx = &batches[self.batch];
                match self.params.precision {
                    Precision::F32 => self.update::<f32>(data, idx),
                    Precision::F64 => self.update::<f64>(data, idx),
                }
                self.batch += 1;
                run.advance();
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
