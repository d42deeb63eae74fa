//! E10: a dense associative memory trained as an MNIST classifier with the recipe of Krotov's
//! notebook (K = 100 memories, loss power m = 30, 300 epochs, ε₀ = 0.04 decaying ×0.998 per
//! epoch, momentum 0.6, minibatch 1000, memories initialised from N(−0.3, 0.3²)), reporting the
//! test error against the degree n ∈ {2, 3, 20, 30}.
//!
//! **Not comparable with published figures.** Only the 10,000 MNIST test images are available,
//! so the model is trained on a seeded random 8,000-image subset of them and tested on the other
//! 2,000. The published numbers (about 1.4–1.8 % test error) use the 60,000 training images;
//! with 7.5 times less training data the error here is expected to be higher. The same settings
//! can be run on Fashion-MNIST (60,000 + 10,000 images) with [`run_split`]; there is no reference
//! value for it.
//!
//! **Temperatures.** The notebook sets T = 540 for n = 20 and refers to the paper's appendix
//! for the other degrees; those values are not reproduced here. E10 uses T = 540 for every n.
//! Because F is homogeneous, β F(ξ·v) = F(ξ·v/T), so with the same T the scaled overlaps
//! `ξ·v/T` (about 0.27 for the initial memories on a digit) are the same for every n, and every
//! degree starts with unsaturated outputs (c_α ≈ 0). A temperature that scales with n so that one
//! memory moves `tanh` by the same amount (T ≈ 50 at n = 2, 132 at n = 3) was tried and
//! saturates the outputs at the start for n = 3: training stalled at chance level.
//!
//! The checks are sanity bounds, not reference values: the final test error is below 20 % for
//! every n (chance is 90 %), the training loss falls (the mean over the last tenth of the epochs
//! is below that over the first tenth), and every loss is finite.

use rand::RngCore;
use serde::Serialize;

use super::ids;
use crate::data::Images;
use crate::engine::rng::stream_path;
use crate::error::{Error, Result};
use crate::experiment::{Check, Harness};
use crate::memory::classifier::{ClassifierParams, DenseClassifier, EpochStats, Samples, TrainParams};

/// MNIST and Fashion-MNIST have ten classes.
pub const CLASSES: usize = 10;
/// Highest test error accepted by the sanity check (chance is 0.9).
pub const MAX_TEST_ERROR: f64 = 0.20;

/// The notebook's temperature (its value for n = 20), used by E10 for every degree.
pub const NOTEBOOK_TEMPERATURE: f64 = 540.0;

/// Settings of E10.
#[derive(Clone, Debug, Serialize)]
pub struct E10Config {
    /// Degrees n of F(z) = max(z, 0)ⁿ.
    pub degrees: Vec<u32>,
    /// Temperature per degree; [`NOTEBOOK_TEMPERATURE`] for all when `None`.
    pub temperatures: Option<Vec<f64>>,
    pub memories: usize,
    pub loss_power: u32,
    pub init_mean: f64,
    pub init_std: f64,
    /// Epochs, learning rate, decay, momentum, minibatch and precision (the seed is derived
    /// from the harness seed and the degree).
    pub train: TrainParams,
    /// Images of the MNIST split used for training and for testing.
    pub train_count: usize,
    pub test_count: usize,
    /// Test errors this configuration measured at seed 0, `(n, error)`: each run is checked to
    /// lie within three binomial standard errors of them (empty: no such check).
    pub recorded: Vec<(u32, f64)>,
}

impl E10Config {
    /// The notebook's settings on the 8,000 / 2,000 split.
    pub fn e10() -> Self {
        Self {
            degrees: vec![2, 3, 20, 30],
            temperatures: None,
            memories: 100,
            loss_power: 30,
            init_mean: -0.3,
            init_std: 0.3,
            train: TrainParams::default(),
            train_count: 8000,
            test_count: 2000,
            recorded: vec![(2, 0.1505), (3, 0.1370), (20, 0.0590), (30, 0.0660)],
        }
    }

    /// A shorter version: 2,000 / 1,000 images, 60 epochs of minibatch 100, n ∈ {3, 20}.
    pub fn e10_quick() -> Self {
        Self {
            degrees: vec![3, 20],
            train: TrainParams { epochs: 60, batch_size: 100, ..TrainParams::default() },
            train_count: 2000,
            test_count: 1000,
            recorded: vec![(3, 0.1820), (20, 0.1080)],
            ..Self::e10()
        }
    }

    fn check(&self) -> Result<()> {
        if self.degrees.is_empty() {
            return Err(Error::param("degrees", "give at least one degree"));
        }
        if let Some(t) = &self.temperatures {
            if t.len() != self.degrees.len() {
                return Err(Error::param("temperatures", "give one temperature per degree"));
            }
        }
        if self.train.epochs == 0 {
            return Err(Error::param("epochs", "must be at least 1"));
        }
        if self.train_count == 0 || self.test_count == 0 {
            return Err(Error::param("train_count", "training and test sets need at least one image each"));
        }
        self.train.check()
    }

    fn temperature(&self, i: usize) -> f64 {
        match &self.temperatures {
            Some(t) => t[i],
            None => NOTEBOOK_TEMPERATURE,
        }
    }
}

/// One epoch of one degree's training history, as a table row.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryRow {
    pub degree: u32,
    #[serde(flatten)]
    pub epoch: EpochStats,
}

/// The table rows of one degree's training history.
pub fn history_rows(degree: u32, history: &[EpochStats]) -> Vec<HistoryRow> {
    history.iter().map(|e| HistoryRow { degree, epoch: e.clone() }).collect()
}

/// The outcome for one degree.
#[derive(Clone, Debug, Serialize)]
pub struct DegreeResult {
    pub degree: u32,
    pub temperature: f64,
    pub epochs_done: usize,
    pub final_test_error: f64,
    pub best_test_error: f64,
    pub final_train_error: f64,
    /// Mean training loss per sample over the first and the last tenth of the epochs. With the
    /// notebook's normalised steps the (t − c)^{2m} loss need not fall: at large m a few
    /// confidently wrong samples dominate it even while the error rate falls.
    pub early_loss: f64,
    pub late_loss: f64,
    /// Mean training error over the first and the last tenth of the epochs.
    pub early_train_error: f64,
    pub late_train_error: f64,
    pub seconds: f64,
    pub seconds_per_epoch: f64,
    #[serde(skip)]
    pub history: Vec<EpochStats>,
    #[serde(skip)]
    pub model: DenseClassifier,
}

/// The outcome of E10 (or of the same protocol on another data set).
#[derive(Clone, Debug, Serialize)]
pub struct E10Result {
    pub train_count: usize,
    pub test_count: usize,
    pub cells: Vec<DegreeResult>,
    pub checks: Vec<Check>,
    pub interrupted: bool,
    /// Why the numbers cannot be compared with published ones.
    pub note: String,
}

/// The MNIST caveat written into every E10 result.
pub fn mnist_note(train: usize, test: usize, total: usize) -> String {
    format!(
        "trained on a seeded {train}-image subset of the {total} MNIST test images and tested on {test} others; \
         NOT comparable with the published 60k-train figures (about 1.4-1.8 %)"
    )
}

/// A seeded split of `0..count` into `train` and `test` indices.
pub fn split(count: usize, train: usize, test: usize, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if train + test > count {
        return Err(Error::param("train_count", format!("{train} + {test} images requested, {count} available")));
    }
    let mut idx: Vec<usize> = (0..count).collect();
    rand::seq::SliceRandom::shuffle(idx.as_mut_slice(), &mut stream_path(seed, &[ids::CLASSIFIER, 0]));
    let test_idx = idx[train..train + test].to_vec();
    idx.truncate(train);
    Ok((idx, test_idx))
}

/// E10 on MNIST: the seeded split of `images` (the 10k test images) and `labels`, then
/// [`run_split`] with the sanity checks.
pub fn run_mnist(images: &Images, labels: &[u8], cfg: &E10Config, h: &Harness) -> Result<E10Result> {
    cfg.check()?;
    let (tr, te) = split(images.count, cfg.train_count, cfg.test_count, h.seed)?;
    let train = Samples::from_images(images, labels, CLASSES, Some(&tr))?;
    let test = Samples::from_images(images, labels, CLASSES, Some(&te))?;
    let mut r = run_split(&train, &test, cfg, h)?;
    r.note = mnist_note(cfg.train_count, cfg.test_count, images.count);
    r.checks = checks(&r.cells, &cfg.recorded, cfg.test_count);
    Ok(r)
}

/// Trains one classifier per degree of `cfg` on `train` and reports the test error on `test`
/// after every epoch. No checks are attached.
pub fn run_split(train: &Samples, test: &Samples, cfg: &E10Config, h: &Harness) -> Result<E10Result> {
    cfg.check()?;
    let mut cells = Vec::new();
    let mut interrupted = false;
    for (i, &degree) in cfg.degrees.iter().enumerate() {
        if h.interrupted() {
            interrupted = true;
            break;
        }
        let temperature = cfg.temperature(i);
        let params = ClassifierParams { memories: cfg.memories, degree, loss_power: cfg.loss_power, temperature };
        let seed = stream_path(h.seed, &[ids::CLASSIFIER, 1, degree as u64]).next_u64();
        let mut model =
            DenseClassifier::random(params, train.dim(), train.classes(), cfg.init_mean, cfg.init_std, seed)?;
        let tp = TrainParams { seed, ..cfg.train.clone() };
        let tick = |_: &EpochStats| h.advance(1);
        let report = model.train(train, Some(test), &tp, &h.stop, Some(&tick))?;
        interrupted |= report.interrupted;
        let hist = &report.history;
        if hist.is_empty() {
            break;
        }
        let tenth = (hist.len() / 10).max(1);
        let mean = |s: &[EpochStats]| s.iter().map(|e| e.train_loss).sum::<f64>() / s.len() as f64;
        let mean_error = |s: &[EpochStats]| s.iter().map(|e| e.train_error).sum::<f64>() / s.len() as f64;
        let last = hist.last().expect("non-empty history");
        cells.push(DegreeResult {
            degree,
            temperature,
            epochs_done: hist.len(),
            final_test_error: last.test_error.unwrap_or(f64::NAN),
            best_test_error: hist.iter().filter_map(|e| e.test_error).fold(f64::INFINITY, f64::min),
            final_train_error: last.train_error,
            early_loss: mean(&hist[..tenth]),
            late_loss: mean(&hist[hist.len() - tenth..]),
            early_train_error: mean_error(&hist[..tenth]),
            late_train_error: mean_error(&hist[hist.len() - tenth..]),
            seconds: report.seconds,
            seconds_per_epoch: report.seconds / hist.len() as f64,
            history: report.history,
            model,
        });
        if report.interrupted {
            break;
        }
    }
    Ok(E10Result {
        train_count: train.len(),
        test_count: test.len(),
        cells,
        checks: Vec::new(),
        interrupted,
        note: String::new(),
    })
}

/// The checks of E10: for every degree, the test error against chance and against the value
/// recorded at seed 0 (within three binomial standard errors `√(p(1−p)/test_count)`), the
/// training error falling and the losses finite; across degrees, that the best high degree
/// (n ≥ 20) beats the best low one (n ≤ 3), as Krotov & Hopfield (2016) report.
pub fn checks(cells: &[DegreeResult], recorded: &[(u32, f64)], test_count: usize) -> Vec<Check> {
    let mut checks = Vec::new();
    for c in cells {
        if let Some(&(_, p)) = recorded.iter().find(|r| r.0 == c.degree) {
            let tol = 3.0 * (p * (1.0 - p) / test_count.max(1) as f64).sqrt();
            checks.push(Check::new(
                format!("n={} test error against the seed-0 record", c.degree),
                format!("{p:.4} ± {tol:.4} (3 binomial s.e.)"),
                format!("{:.4}", c.final_test_error),
                (c.final_test_error - p).abs() <= tol,
            ));
        }
        checks.push(Check::new(
            format!("n={} test error (split, not comparable)", c.degree),
            format!("< {MAX_TEST_ERROR:.2} (chance 0.90)"),
            format!("{:.4}", c.final_test_error),
            c.final_test_error < MAX_TEST_ERROR,
        ));
        checks.push(Check::new(
            format!("n={} training error falls", c.degree),
            "last tenth < first tenth".to_string(),
            format!(
                "{:.4} → {:.4} (loss {:.3e} → {:.3e})",
                c.early_train_error, c.late_train_error, c.early_loss, c.late_loss
            ),
            c.late_train_error < c.early_train_error,
        ));
        let finite = c.history.iter().all(|e| e.train_loss.is_finite() && e.test_loss.is_none_or(f64::is_finite));
        checks.push(Check::new(
            format!("n={} losses finite", c.degree),
            "no NaN or Inf",
            if finite { "all finite" } else { "non-finite value" },
            finite,
        ));
    }
    let best = |keep: &dyn Fn(u32) -> bool| {
        cells.iter().filter(|c| keep(c.degree)).map(|c| c.final_test_error).min_by(f64::total_cmp)
    };
    if let (Some(low), Some(high)) = (best(&|n| n <= 3), best(&|n| n >= 20)) {
        checks.push(Check::new(
            "high degree (n ≥ 20) beats low degree (n ≤ 3)",
            "best test error, n ≥ 20 < n ≤ 3",
            format!("{high:.4} < {low:.4}"),
            high < low,
        ));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn split_is_seeded_and_disjoint() {
        let (a, b) = split(100, 80, 20, 3).unwrap();
        let (a2, _) = split(100, 80, 20, 3).unwrap();
        assert_eq!(a, a2);
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        assert!(split(100, 90, 20, 0).is_err());
    }

    /// A few-second smoke test of the pipeline on the bundled images: the loss falls and the
    /// error leaves chance level. The full-length bounds are checked by `reproduce memory/E10`.
    #[test]
    fn e10_smoke_on_bundled_mnist() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
        let images = crate::data::read_images(&dir.join("t10k-images-idx3-ubyte.gz")).unwrap();
        let labels = crate::data::read_labels(&dir.join("t10k-labels-idx1-ubyte.gz")).unwrap();
        let cfg = E10Config {
            degrees: vec![20],
            train: TrainParams { epochs: 8, batch_size: 100, ..TrainParams::default() },
            train_count: 2000,
            test_count: 500,
            recorded: vec![],
            ..E10Config::e10()
        };
        let r = run_mnist(&images, &labels, &cfg, &Harness::new(0)).unwrap();
        assert_eq!((r.cells.len(), r.train_count, r.test_count), (1, 2000, 500));
        let c = &r.cells[0];
        assert_eq!(c.epochs_done, 8);
        assert!(c.late_loss < c.early_loss, "{} → {}", c.early_loss, c.late_loss);
        assert!(c.late_train_error < c.early_train_error);
        assert!(c.final_test_error < 0.8, "test error {}", c.final_test_error);
        assert!(r.note.contains("NOT comparable"));
        assert_eq!(r.checks.len(), 3);
    }
}
