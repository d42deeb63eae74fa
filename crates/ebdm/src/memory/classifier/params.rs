//! The classifier's model and training parameters, and what training reports.

use super::*;

/// Hyper-parameters of the model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifierParams {
    /// Number of memories K ≥ 1.
    pub memories: usize,
    /// Degree n ≥ 1 of the rectified polynomial F(z) = max(z, 0)ⁿ.
    pub degree: u32,
    /// Power m ≥ 1 of the loss Σ (t − c)^{2m}.
    pub loss_power: u32,
    /// Temperature T > 0; β = 1/Tⁿ.
    pub temperature: f64,
}

impl ClassifierParams {
    /// Krotov's notebook: K = 100, n = 20, m = 30, T = 540.
    pub fn notebook() -> Self {
        Self { memories: 100, degree: 20, loss_power: 30, temperature: 540.0 }
    }

    /// Checks every range.
    pub fn check(&self) -> Result<()> {
        if self.memories == 0 {
            return Err(Error::param("memories", "need at least one memory (K ≥ 1)"));
        }
        if !(1..=MAX_DEGREE).contains(&self.degree) {
            return Err(Error::param("degree", format!("n must lie in 1..={MAX_DEGREE}, got {}", self.degree)));
        }
        if !(1..=MAX_LOSS_POWER).contains(&self.loss_power) {
            return Err(Error::param(
                "loss_power",
                format!("m must lie in 1..={MAX_LOSS_POWER}, got {}", self.loss_power),
            ));
        }
        check_positive("temperature", self.temperature)
    }
}

/// Settings of [`DenseClassifier::train`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Passes over the training set.
    pub epochs: usize,
    /// Initial learning rate ε₀: the largest change of a memory in one step.
    pub learning_rate: f64,
    /// Factor applied to the learning rate after each epoch, in (0, 1].
    pub lr_decay: f64,
    /// Momentum p ∈ [0, 1).
    pub momentum: f64,
    /// Samples per minibatch; the last minibatch of an epoch takes the remainder.
    pub batch_size: usize,
    /// Seed of the shuffling (the initial memories have their own seed).
    pub seed: u64,
    /// Precision of the matrix products.
    pub precision: Precision,
}

impl Default for TrainParams {
    /// The notebook: 300 epochs, ε₀ = 0.04, decay 0.998, momentum 0.6, minibatch 1000.
    fn default() -> Self {
        Self {
            epochs: 300,
            learning_rate: 4e-2,
            lr_decay: 0.998,
            momentum: 0.6,
            batch_size: 1000,
            seed: 0,
            precision: Precision::F32,
        }
    }
}

impl TrainParams {
    /// Checks every range.
    pub fn check(&self) -> Result<()> {
        check_positive("learning_rate", self.learning_rate)?;
        check_range("lr_decay", self.lr_decay, f64::MIN_POSITIVE, 1.0)?;
        check_range("momentum", self.momentum, 0.0, 1.0)?;
        if self.momentum >= 1.0 {
            return Err(Error::param("momentum", "must be below 1"));
        }
        if self.batch_size == 0 {
            return Err(Error::param("batch_size", "must be at least 1"));
        }
        Ok(())
    }
}

/// What one epoch of training measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Learning rate used in this epoch.
    pub learning_rate: f64,
    /// Mean loss Σ_α (t_α − c_α)^{2m} per training sample, each measured just before the
    /// update of its minibatch (as the notebook measures its training error).
    pub train_loss: f64,
    /// Fraction of training samples misclassified, measured the same way.
    pub train_error: f64,
    /// Fraction of test samples misclassified after the epoch (when a test set is given).
    pub test_error: Option<f64>,
    /// Mean loss per test sample after the epoch.
    pub test_loss: Option<f64>,
    /// Wall time of the epoch in seconds, including the test evaluation.
    pub seconds: f64,
}

/// The outcome of [`DenseClassifier::train`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainReport {
    /// One entry per completed epoch.
    pub history: Vec<EpochStats>,
    /// Whether the stop flag ended training early (the memories are those after the last
    /// completed epoch).
    pub interrupted: bool,
    /// Total wall time in seconds.
    pub seconds: f64,
}
