//! Training settings: the negative-phase algorithm, learning-rate schedule, sparsity target and
//! the validated parameter set.

use super::*;

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

    pub(super) fn momentum_at(&self, epoch: usize) -> f64 {
        if epoch < self.momentum_switch {
            self.momentum
        } else {
            self.momentum_final
        }
    }

    pub(super) fn lr_at(&self, epoch: usize) -> f64 {
        match self.lr_schedule {
            LrSchedule::Constant => self.learning_rate,
            LrSchedule::Linear => self.learning_rate * (1.0 - epoch as f64 / self.epochs as f64),
        }
    }
}
