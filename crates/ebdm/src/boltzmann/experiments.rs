//! The Boltzmann-machine experiments as registry entries.

use std::time::Instant;

use serde_json::json;

use super::{ais, base_rate, AisParams, Algorithm, Dataset, EpochStats, TrainParams, Trainer};
use crate::data::idx::read_labeled;
use crate::error::Result;
use crate::experiment::{Check, Entry, Outcome, RunContext};

/// The Boltzmann family's experiments.
pub const ENTRIES: &[Entry] = &[Entry {
    id: "boltzmann/X4",
    title: "AIS (S&M schedule, 100 runs) vs exact log Z of a 20-hidden RBM trained on MNIST-8k",
    cost: "about 1-2 min on 2 cores (--quick: about 20 s)",
    run: x4,
}];

/// The bundled MNIST test images binarised at > 127, split 8k/2k (every fifth image held out).
pub fn mnist_split(ctx: &RunContext) -> Result<(Dataset, Dataset, String)> {
    let dir = ctx.data_dir("mnist")?;
    let (images, _) = read_labeled(&dir.join("t10k-images-idx3-ubyte.gz"), &dir.join("t10k-labels-idx1-ubyte.gz"))?;
    let (train, test) = Dataset::binarized_images(&images, 127, None)?.strided_split(5, 4)?;
    let what = format!(
        "{}: t10k split, i % 5 == 4 held out (8k/2k; not comparable with 60k-train); {} train / {} test, binarised at > 127",
        dir.display(),
        train.rows(),
        test.rows()
    );
    Ok((train, test, what))
}

/// X4: AIS against the exact log Z of a 20-hidden RBM trained by PCD-1.
fn x4(ctx: &RunContext) -> Result<Outcome> {
    let h = ctx.harness;
    let (train, test, what) = mnist_split(ctx)?;
    let epochs = if ctx.quick { 5 } else { 50 };
    let params = TrainParams {
        algorithm: Algorithm::Pcd { k: 1, chains: 100 },
        learning_rate: 0.01,
        batch_size: 100,
        epochs,
        monitor_samples: 0,
        seed: h.seed,
        ..TrainParams::default()
    };
    let mut trainer = Trainer::new(params, 20, &train)?;
    h.begin("training", epochs as u64);
    let tick = |_: &EpochStats| h.advance(1);
    let report = trainer.train(&train, None, &h.stop, Some(&tick))?;
    if report.interrupted {
        return Ok(Outcome::from_checks(vec![], true));
    }
    let rbm = trainer.model();
    let t0 = Instant::now();
    let exact = rbm.log_z_exact()?;
    let exact_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let runs = if ctx.quick { 20 } else { 100 };
    let est = ais(&rbm, &base_rate(&train), &AisParams { runs, seed: h.seed, ..AisParams::default() }, &h.stop)?;
    let ais_s = t0.elapsed().as_secs_f64();
    if est.interrupted {
        return Ok(Outcome::from_checks(vec![], true));
    }
    let ll_test = rbm.log_likelihood(&test, exact)?;
    let checks = vec![
        Check::new(
            "|AIS − exact| log Z",
            "≤ 0.1 nats",
            format!("{:.4} (AIS {:.4}, exact {:.4})", (est.log_z - exact).abs(), est.log_z, exact),
            (est.log_z - exact).abs() <= 0.1,
        ),
        Check::new(
            "exact log Z inside the ±3σ band",
            "low ≤ exact ≤ high",
            format!("[{:.4}, {:.4}]", est.log_z_low, est.log_z_high),
            est.log_z_low <= exact && exact <= est.log_z_high,
        ),
    ];
    let mut out = Outcome::from_checks(checks, false);
    out.report.push(format!(
        "exact log Z {exact:.4} ({exact_s:.1} s), AIS {:.4} [{:.4}, {:.4}] ESS {:.1} ({ais_s:.1} s)",
        est.log_z, est.log_z_low, est.log_z_high, est.ess
    ));
    out.report.push(format!("exact test log-likelihood on the 2k held-out images: {ll_test:.3} nats"));
    out.value("data", &what)?
        .value("epochs", epochs)?
        .value("params", trainer.params())?
        .value("exact_log_z", exact)?
        .value("exact_seconds", exact_s)?
        .value(
            "ais",
            json!({"log_z": est.log_z, "low": est.log_z_low, "high": est.log_z_high, "ess": est.ess,
                   "runs": runs, "steps": est.steps, "seconds": ais_s}),
        )?
        .value("exact_test_ll", ll_test)?;
    let model = json!({
        "format": "ebdm-rbm", "model": rbm, "params": trainer.params(), "data": what, "history": trainer.history(),
    });
    out.documents.push(("model".into(), model));
    Ok(out)
}
