//! Training the Gaussian–Bernoulli RBM by CD-k or persistent CD, with the standard deviations
//! fixed or learned.
//!
//! For the energy of [`GaussianRbm`] and `z_i = log σ_i`, the log-likelihood gradient is
//! `⟨s⟩_data − ⟨s⟩_model` for the statistics (derived from `−∂E/∂θ`)
//!
//! ```text
//! W_ij: (v_i/σ_i) h_j      b_i: (v_i − b_i)/σ_i²      c_j: h_j
//! z_i:  (v_i − b_i)²/σ_i² − (v_i/σ_i)(Wh)_i
//! ```
//!
//! with `h_j` replaced by `p(h_j = 1 | v)` on both sides (the same expectation, less noise).
//! The model side comes from Gibbs chains `h ~ p(h|v)`, `v ~ N(b + σ∘Wh, σ²)`, restarted at the
//! data (CD-k) or persistent (PCD). Learning σ is fragile (spec §1.4), so it has its own,
//! usually smaller, learning rate, and σ is kept at or above `min_sigma`.
//!
//! [`exact_gradient`] computes the same gradient with the model expectation by enumerating the
//! hidden layer (the Gaussian integrated in closed form): `E[v_i | h] = b_i + σ_i(Wh)_i` and
//! `E[(v_i − b_i)² | h] = σ_i²(1 + (Wh)_i²)`.

use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::gaussian::GaussianRbm;
use super::math::LogSumExp;
use super::rbm::MAX_EXACT_UNITS;
use crate::engine::rng::{stream, stream_path, Rng64};
use crate::engine::run::{RunControl, RunLimits, StopFlag, StopReason};
use crate::error::{check_finite, Error, Result};

/// How the model expectation is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum GaussianAlgorithm {
    /// `k` Gibbs steps from the minibatch.
    Cd { k: usize },
    /// `chains` persistent chains advanced `k` steps per update.
    Pcd { k: usize, chains: usize },
}

/// Settings of [`train_gaussian`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianTrainParams {
    pub algorithm: GaussianAlgorithm,
    /// Learning rate of `W`, `b`, `c` (1–2 orders of magnitude below a binary RBM's).
    pub learning_rate: f64,
    /// Learning rate of `z = log σ`; `None` keeps σ fixed at `sigma0`.
    pub sigma_learning_rate: Option<f64>,
    /// Initial (or fixed) standard deviation of every visible unit.
    pub sigma0: f64,
    /// Lower bound on a learned σ.
    pub min_sigma: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub momentum: f64,
    /// L2 weight decay on `W`.
    pub weight_decay: f64,
    /// Standard deviation of the initial weights.
    pub init_std: f64,
    pub seed: u64,
}

impl Default for GaussianTrainParams {
    fn default() -> Self {
        Self {
            algorithm: GaussianAlgorithm::Pcd { k: 1, chains: 100 },
            learning_rate: 0.001,
            sigma_learning_rate: None,
            sigma0: 1.0,
            min_sigma: 1e-2,
            batch_size: 100,
            epochs: 10,
            momentum: 0.5,
            weight_decay: 0.0,
            init_std: 0.01,
            seed: 0,
        }
    }
}

impl GaussianTrainParams {
    /// Validates every field; errors name the parameter.
    pub fn check(&self) -> Result<()> {
        let positive = |name: &'static str, v: f64| {
            check_finite(name, v)?;
            if v > 0.0 {
                Ok(())
            } else {
                Err(Error::param(name, format!("must be > 0, got {v}")))
            }
        };
        positive("learning_rate", self.learning_rate)?;
        if let Some(lr) = self.sigma_learning_rate {
            positive("sigma_learning_rate", lr)?;
        }
        positive("sigma0", self.sigma0)?;
        positive("min_sigma", self.min_sigma)?;
        check_finite("init_std", self.init_std)?;
        check_finite("weight_decay", self.weight_decay)?;
        if self.weight_decay < 0.0 || self.init_std < 0.0 {
            return Err(Error::param("weight_decay / init_std", "must be ≥ 0"));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(Error::param("momentum", format!("must lie in [0, 1), got {}", self.momentum)));
        }
        if self.batch_size == 0 || self.epochs == 0 {
            return Err(Error::param("batch_size / epochs", "must be ≥ 1"));
        }
        match self.algorithm {
            GaussianAlgorithm::Cd { k } | GaussianAlgorithm::Pcd { k, .. } if k == 0 => {
                Err(Error::param("k", "need at least one Gibbs step"))
            }
            GaussianAlgorithm::Pcd { chains: 0, .. } => Err(Error::param("chains", "need at least one chain")),
            _ => Ok(()),
        }
    }
}

/// The log-likelihood gradient (or one side of it) in every parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianGradient {
    /// `n × m` row-major.
    pub w: Vec<f64>,
    pub b: Vec<f64>,
    pub c: Vec<f64>,
    /// With respect to `z = log σ`.
    pub z: Vec<f64>,
}

impl GaussianGradient {
    fn zeros(n: usize, m: usize) -> Self {
        Self { w: vec![0.0; n * m], b: vec![0.0; n], c: vec![0.0; m], z: vec![0.0; n] }
    }

    /// Adds `scale ×` the statistics of visible state `v` with hidden probabilities `p`.
    fn add(&mut self, model: &GaussianRbm, v: &[f64], p: &[f64], scale: f64) {
        let (n, m) = (model.visible(), model.hidden());
        let (w, b, s) = (model.weights(), model.visible_bias(), model.sigma());
        for i in 0..n {
            let x = v[i] / s[i];
            let row = &w[i * m..(i + 1) * m];
            let wp: f64 = row.iter().zip(p).map(|(a, b)| a * b).sum();
            for (g, &pj) in self.w[i * m..(i + 1) * m].iter_mut().zip(p) {
                *g += scale * x * pj;
            }
            let d = (v[i] - b[i]) / s[i];
            self.b[i] += scale * d / s[i];
            self.z[i] += scale * (d * d - x * wp);
        }
        self.c.iter_mut().zip(p).for_each(|(g, &pj)| *g += scale * pj);
    }

    fn sub(&mut self, other: &Self) {
        for (a, b) in
            [(&mut self.w, &other.w), (&mut self.b, &other.b), (&mut self.c, &other.c), (&mut self.z, &other.z)]
        {
            a.iter_mut().zip(b).for_each(|(a, b)| *a -= b);
        }
    }
}

/// The exact gradient of the mean log-likelihood of `data` (rows of `n` values), the model
/// expectation by enumerating the hidden layer.
pub fn exact_gradient(model: &GaussianRbm, data: &[f64]) -> Result<GaussianGradient> {
    let (n, m) = (model.visible(), model.hidden());
    if m > MAX_EXACT_UNITS {
        return Err(Error::param("hidden", format!("exact enumeration of {m} units is out of reach")));
    }
    if data.is_empty() || !data.len().is_multiple_of(n) {
        return Err(Error::Shape(format!("data of {} values is not a whole number of rows of {n}", data.len())));
    }
    let rows = data.len() / n;
    let mut grad = GaussianGradient::zeros(n, m);
    for v in data.chunks_exact(n) {
        grad.add(model, v, &model.hidden_probs(v), 1.0 / rows as f64);
    }
    // log p(h) up to log Z: cᵀh + Σ_i (b_i/σ_i)(Wh)_i + ½‖Wh‖².
    let (b, c, s) = (model.visible_bias(), model.hidden_bias(), model.sigma());
    let states: Vec<(Vec<f64>, Vec<f64>, f64)> = (0..1u64 << m)
        .map(|x| {
            let h: Vec<f64> = (0..m).map(|j| (x >> j & 1) as f64).collect();
            let a = model.wh(&h);
            let t = c.iter().zip(&h).map(|(c, h)| c * h).sum::<f64>()
                + (0..n).map(|i| b[i] / s[i] * a[i] + 0.5 * a[i] * a[i]).sum::<f64>();
            (h, a, t)
        })
        .collect();
    let mut lse = LogSumExp::new();
    states.iter().for_each(|st| lse.push(st.2));
    let log_norm = lse.value();
    let mut neg = GaussianGradient::zeros(n, m);
    for (h, a, t) in &states {
        let p = (t - log_norm).exp();
        for i in 0..n {
            // E[v_i/σ_i | h] = b_i/σ_i + a_i.
            let mean = b[i] / s[i] + a[i];
            neg.w[i * m..(i + 1) * m].iter_mut().zip(h).for_each(|(g, hj)| *g += p * mean * hj);
            neg.b[i] += p * a[i] / s[i];
            neg.z[i] += p * (1.0 - b[i] / s[i] * a[i]);
        }
        neg.c.iter_mut().zip(h).for_each(|(g, hj)| *g += p * hj);
    }
    grad.sub(&neg);
    Ok(grad)
}

/// What one epoch logged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianEpoch {
    pub epoch: usize,
    /// Mean squared reconstruction error per sample, `‖v − E[v | h̃]‖²` with `h̃ ~ p(h|v)`.
    pub recon_sse: f64,
    pub mean_sigma: f64,
}

/// A trained model and its per-epoch history.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GaussianFit {
    pub model: GaussianRbm,
    pub history: Vec<GaussianEpoch>,
    pub interrupted: bool,
}

const KEY_INIT: u64 = 1;
const KEY_SHUFFLE: u64 = 2;
const KEY_GIBBS: u64 = 3;
const KEY_RECON: u64 = 4;

/// One Gibbs step `v → h → v` of every chain (`chains` rows of `n`), in place.
fn gibbs_step(model: &GaussianRbm, chains: &mut [f64], rng: &mut Rng64) {
    let n = model.visible();
    for v in chains.chunks_exact_mut(n) {
        let h = model.sample_hidden(v, rng);
        let mean = model.visible_mean(&h);
        for ((x, mu), s) in v.iter_mut().zip(&mean).zip(model.sigma()) {
            *x = mu + s * rng.sample::<f64, _>(StandardNormal);
        }
    }
}

/// Trains a Gaussian–Bernoulli RBM with `hidden` units on `data` (`rows × n`, row-major;
/// standardise it first when σ is fixed). Minibatches are shuffled each epoch; `stop` is
/// checked before every minibatch and keeps the model trained so far.
pub fn train_gaussian(
    data: &[f64],
    n: usize,
    hidden: usize,
    params: &GaussianTrainParams,
    stop: &StopFlag,
) -> Result<GaussianFit> {
    params.check()?;
    if n == 0 || hidden == 0 {
        return Err(Error::param("visible / hidden", "need at least one unit in each layer"));
    }
    if data.is_empty() || !data.len().is_multiple_of(n) {
        return Err(Error::Shape(format!("data of {} values is not a whole number of rows of {n}", data.len())));
    }
    if let Some(k) = data.iter().position(|x| !x.is_finite()) {
        return Err(Error::param("data", format!("row {} column {} is {}", k / n, k % n, data[k])));
    }
    let rows = data.len() / n;
    let mut rng = stream(params.seed, KEY_INIT);
    let w = (0..n * hidden).map(|_| params.init_std * rng.sample::<f64, _>(StandardNormal)).collect();
    // Visible biases at the data mean: the model starts with the right first moment.
    let mut b = vec![0.0; n];
    for v in data.chunks_exact(n) {
        b.iter_mut().zip(v).for_each(|(b, x)| *b += x / rows as f64);
    }
    let mut model = GaussianRbm::new(n, hidden, w, b, vec![0.0; hidden], vec![params.sigma0; n])?;
    let mut velocity = GaussianGradient::zeros(n, hidden);
    let mut persistent: Option<Vec<f64>> = match params.algorithm {
        GaussianAlgorithm::Pcd { chains, .. } => {
            Some((0..chains).flat_map(|r| data[(r % rows) * n..(r % rows + 1) * n].to_vec()).collect())
        }
        GaussianAlgorithm::Cd { .. } => None,
    };
    let mut history = Vec::new();
    // One step of the run is one minibatch; the flag is checked before each.
    let mut run = RunControl::start(&RunLimits::steps(usize::MAX), stop)?;
    'epochs: for epoch in 0..params.epochs {
        let mut order: Vec<usize> = (0..rows).collect();
        rand::seq::SliceRandom::shuffle(
            order.as_mut_slice(),
            &mut stream_path(params.seed, &[KEY_SHUFFLE, epoch as u64]),
        );
        for (bi, batch) in order.chunks(params.batch_size).enumerate() {
            if !run.proceed() {
                break 'epochs;
            }
            let mut rng = stream_path(params.seed, &[KEY_GIBBS, epoch as u64, bi as u64]);
            let scale = 1.0 / batch.len() as f64;
            let mut grad = GaussianGradient::zeros(n, hidden);
            for &r in batch {
                let v = &data[r * n..(r + 1) * n];
                grad.add(&model, v, &model.hidden_probs(v), scale);
            }
            let (k, mut chains) = match (params.algorithm, persistent.take()) {
                (GaussianAlgorithm::Pcd { k, .. }, Some(c)) => (k, c),
                (GaussianAlgorithm::Cd { k }, _) | (GaussianAlgorithm::Pcd { k, .. }, None) => {
                    (k, batch.iter().flat_map(|&r| data[r * n..(r + 1) * n].to_vec()).collect())
                }
            };
            for _ in 0..k {
                gibbs_step(&model, &mut chains, &mut rng);
            }
            let mut neg = GaussianGradient::zeros(n, hidden);
            let chain_scale = n as f64 / chains.len() as f64;
            for v in chains.chunks_exact(n) {
                neg.add(&model, v, &model.hidden_probs(v), chain_scale);
            }
            if matches!(params.algorithm, GaussianAlgorithm::Pcd { .. }) {
                persistent = Some(chains);
            }
            grad.sub(&neg);
            model = step(&model, &grad, &mut velocity, params)?;
            run.advance();
        }
        history.push(GaussianEpoch {
            epoch: epoch + 1,
            recon_sse: reconstruction_error(&model, data, &mut stream_path(params.seed, &[KEY_RECON, epoch as u64])),
            mean_sigma: model.sigma().iter().sum::<f64>() / n as f64,
        });
    }
    Ok(GaussianFit { model, history, interrupted: run.reason() == StopReason::Interrupted })
}

/// One momentum step along `grad`; σ moves in `log σ` only when it is learned.
fn step(
    model: &GaussianRbm,
    grad: &GaussianGradient,
    velocity: &mut GaussianGradient,
    p: &GaussianTrainParams,
) -> Result<GaussianRbm> {
    let (mu, lr) = (p.momentum, p.learning_rate);
    let mut w = model.weights().to_vec();
    let mut b = model.visible_bias().to_vec();
    let mut c = model.hidden_bias().to_vec();
    let mut sigma = model.sigma().to_vec();
    for ((vel, g), x) in velocity.w.iter_mut().zip(&grad.w).zip(w.iter_mut()) {
        *vel = mu * *vel + lr * (g - p.weight_decay * *x);
        *x += *vel;
    }
    for (vel, g, x) in [(&mut velocity.b, &grad.b, &mut b), (&mut velocity.c, &grad.c, &mut c)] {
        for ((v, g), x) in vel.iter_mut().zip(g).zip(x.iter_mut()) {
            *v = mu * *v + lr * g;
            *x += *v;
        }
    }
    if let Some(lr_s) = p.sigma_learning_rate {
        for ((v, g), s) in velocity.z.iter_mut().zip(&grad.z).zip(sigma.iter_mut()) {
            *v = mu * *v + lr_s * g;
            *s = (s.ln() + *v).exp().max(p.min_sigma);
        }
    }
    GaussianRbm::new(model.visible(), model.hidden(), w, b, c, sigma)
        .map_err(|e| Error::Numerical(format!("Gaussian RBM training diverged ({e}); lower the learning rate")))
}

/// Mean `‖v − E[v | h̃]‖²` over the rows of `data`, `h̃ ~ p(h|v)`.
pub fn reconstruction_error(model: &GaussianRbm, data: &[f64], rng: &mut Rng64) -> f64 {
    let n = model.visible();
    let rows = data.len() / n;
    let mut total = 0.0;
    for v in data.chunks_exact(n) {
        let h = model.sample_hidden(v, rng);
        total += model.visible_mean(&h).iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
    }
    total / rows.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(n: usize, m: usize, seed: u64) -> GaussianRbm {
        let mut rng = stream(seed, 9);
        let mut g = |k: usize, s: f64| (0..k).map(|_| s * rng.sample::<f64, _>(StandardNormal)).collect::<Vec<f64>>();
        let (w, b, c) = (g(n * m, 0.5), g(n, 1.0), g(m, 1.0));
        let sigma: Vec<f64> = (0..n).map(|i| 0.6 + 0.3 * i as f64).collect();
        GaussianRbm::new(n, m, w, b, c, sigma).unwrap()
    }

    fn mean_ll(g: &GaussianRbm, data: &[f64]) -> f64 {
        let log_z = g.log_z_exact().unwrap();
        let n = g.visible();
        data.chunks_exact(n).map(|v| g.log_density(v, log_z)).sum::<f64>() / (data.len() / n) as f64
    }

    /// Two clusters in 3-D with per-dimension scales 0.3, 0.5, 0.8.
    fn clusters(rows: usize, seed: u64) -> Vec<f64> {
        let mut rng = stream(seed, 4);
        let centres = [[1.0, -0.5, 0.8], [-1.0, 0.5, -0.8]];
        let scales = [0.3, 0.5, 0.8];
        (0..rows)
            .flat_map(|r| {
                let c = centres[r % 2];
                (0..3).map(|i| c[i] + scales[i] * rng.sample::<f64, _>(StandardNormal)).collect::<Vec<_>>()
            })
            .collect()
    }

    /// The enumerated gradient against central differences of the exact mean log-likelihood,
    /// in every parameter including log σ.
    #[test]
    fn exact_gradient_matches_finite_differences_of_the_log_likelihood() {
        let (n, m) = (3, 4);
        let g = model(n, m, 1);
        let data = clusters(7, 2);
        let grad = exact_gradient(&g, &data).unwrap();
        let eps = 1e-5;
        let perturbed = |which: usize, k: usize, d: f64| {
            let (mut w, mut b, mut c, mut s) =
                (g.weights().to_vec(), g.visible_bias().to_vec(), g.hidden_bias().to_vec(), g.sigma().to_vec());
            match which {
                0 => w[k] += d,
                1 => b[k] += d,
                2 => c[k] += d,
                _ => s[k] = (s[k].ln() + d).exp(),
            }
            mean_ll(&GaussianRbm::new(n, m, w, b, c, s).unwrap(), &data)
        };
        for (which, analytic) in [&grad.w, &grad.b, &grad.c, &grad.z].into_iter().enumerate() {
            for (k, &a) in analytic.iter().enumerate() {
                let fd = (perturbed(which, k, eps) - perturbed(which, k, -eps)) / (2.0 * eps);
                assert!((a - fd).abs() <= 1e-6 * (1.0 + fd.abs()), "parameter {which}[{k}]: {a} vs {fd}");
            }
        }
    }

    /// CD-1 and PCD-1 with σ fixed raise the exact log-likelihood well above the start; learning
    /// σ raises it further and moves σ toward the per-dimension scales of the data.
    #[test]
    fn training_raises_the_exact_likelihood_and_learns_sigma() {
        let data = clusters(400, 5);
        let base =
            GaussianTrainParams { learning_rate: 0.05, batch_size: 20, epochs: 60, seed: 3, ..Default::default() };
        let start = {
            let b: Vec<f64> = (0..3).map(|i| data.iter().skip(i).step_by(3).sum::<f64>() / 400.0).collect();
            GaussianRbm::new(3, 4, vec![0.0; 12], b, vec![0.0; 4], vec![1.0; 3]).unwrap()
        };
        let ll0 = mean_ll(&start, &data);
        let stop = StopFlag::new();
        let mut fixed_ll = Vec::new();
        for algorithm in [GaussianAlgorithm::Cd { k: 1 }, GaussianAlgorithm::Pcd { k: 1, chains: 20 }] {
            let fit = train_gaussian(&data, 3, 4, &GaussianTrainParams { algorithm, ..base.clone() }, &stop).unwrap();
            let ll = mean_ll(&fit.model, &data);
            // Exact gradient ascent on these data with σ = 1 levels off at −3.867 (start −4.192).
            assert!(ll > ll0 + 0.25, "{algorithm:?}: {ll} vs start {ll0}");
            assert!(fit.history.last().unwrap().recon_sse < fit.history[0].recon_sse * 1.01);
            fixed_ll.push(ll);
        }
        // CD-1 learns σ stably here; PCD-1 needs a smaller learning rate once σ is learned.
        let learned = GaussianTrainParams {
            algorithm: GaussianAlgorithm::Cd { k: 1 },
            sigma_learning_rate: Some(0.005),
            ..base.clone()
        };
        let fit = train_gaussian(&data, 3, 4, &learned, &stop).unwrap();
        let ll = mean_ll(&fit.model, &data);
        assert!(ll > fixed_ll[0] + 0.5, "learned σ: {ll} vs fixed {}", fixed_ll[0]);
        // The clusters' own scales, which the hidden units leave to σ.
        for (s, want) in fit.model.sigma().iter().zip([0.3, 0.5, 0.8]) {
            assert!((s - want).abs() <= 0.25 * want, "σ = {:?}", fit.model.sigma());
        }
        // Same seed, same model.
        let again = train_gaussian(&data, 3, 4, &learned, &stop).unwrap();
        assert_eq!(again.model, fit.model);
    }

    #[test]
    fn bad_settings_and_data_are_named_errors() {
        let stop = StopFlag::new();
        let p = GaussianTrainParams::default();
        let bad = |q: GaussianTrainParams| train_gaussian(&[0.0; 6], 3, 2, &q, &stop).unwrap_err().to_string();
        assert!(bad(GaussianTrainParams { learning_rate: -1.0, ..p.clone() }).contains("learning_rate"));
        assert!(
            bad(GaussianTrainParams { sigma_learning_rate: Some(0.0), ..p.clone() }).contains("sigma_learning_rate")
        );
        assert!(bad(GaussianTrainParams { algorithm: GaussianAlgorithm::Cd { k: 0 }, ..p.clone() }).contains('k'));
        assert!(train_gaussian(&[0.0, f64::NAN, 1.0], 3, 2, &p, &stop).unwrap_err().to_string().contains("NaN"));
        assert!(train_gaussian(&[0.0; 5], 3, 2, &p, &stop).is_err());
        assert!(train_gaussian(&[0.0; 6], 3, 0, &p, &stop).is_err());
    }
}
