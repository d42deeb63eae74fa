//! `ebdm boltzmann …`: train Bernoulli RBMs on IDX images, evaluate them (exact or AIS log-likelihood,
//! pseudo-likelihood, reconstruction error) and sample from them; `ebdm reproduce boltzmann/X4`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use ebdm::boltzmann::{
    ais, base_rate, kernel::Kernel, train::Chains, AisParams, Algorithm, Dataset, EpochStats, LrSchedule, Precision,
    Rbm, Schedule, Sparsity, TrainParams, Trainer,
};
use ebdm::data;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::output::{metadata, out_dir, progress, write_csv, write_json, Env};
use crate::plot::{self, Chart, Series};
use ebdm::experiment::Outcome;

/// Identifies model files written by `rbm train`.
const MODEL_FORMAT: &str = "ebdm-rbm";
/// Identifies checkpoints written by `rbm train`.
const CHECKPOINT_FORMAT: &str = "ebdm-rbm-checkpoint";

#[derive(Subcommand, Debug)]
pub enum BoltzmannCommand {
    /// Train a Bernoulli-Bernoulli RBM on binarised IDX images and write the model (JSON), a
    /// checkpoint to resume from, the per-epoch history (CSV), a summary (JSON) and plots of the
    /// filters and training curves.
    Train(TrainArgs),
    /// Evaluate a model: mean test log-likelihood (exact log Z for a small layer, else AIS with
    /// its ±3σ band), exact and stochastic pseudo-likelihood, reconstruction error. Prints one
    /// JSON object.
    Eval(EvalArgs),
    /// Draw samples from a model by block Gibbs sampling (or parallel tempering) and save them as
    /// an image grid and a .npy file.
    Sample(SampleArgs),
}

/// Where the images come from.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Directory of IDX files. With train-images/train-labels (Fashion-MNIST) the training set
    /// is the train files and the test set t10k; with only t10k files (the bundled MNIST) the
    /// t10k images are split: index i % 5 == 4 is the test set (2,000), the rest trains (8,000).
    #[arg(long, default_value = "data/mnist")]
    pub data: PathBuf,
    /// Binarisation threshold: a pixel is on when it is greater than this (0-255).
    #[arg(long, default_value_t = 127)]
    pub threshold: u8,
    /// Use only the first N training images (0: all).
    #[arg(long, default_value_t = 0)]
    pub limit: usize,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Number of hidden units.
    #[arg(long, default_value_t = 500)]
    pub hidden: usize,
    /// Negative phase: cd (contrastive divergence), pcd (persistent CD) or pt (parallel tempering).
    #[arg(long, default_value = "pcd")]
    pub algo: String,
    /// Gibbs steps per update (CD-k, PCD-k).
    #[arg(long, default_value_t = 1)]
    pub k: usize,
    /// Persistent chains (PCD) or chains per temperature (PT); default: the batch size.
    #[arg(long)]
    pub chains: Option<usize>,
    /// PT: number of inverse temperatures, evenly spaced from 0 to 1.
    #[arg(long, default_value_t = 10)]
    pub temperatures: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub lr: f64,
    /// Learning-rate schedule: constant or linear (decays to zero over the epochs).
    #[arg(long, default_value = "constant")]
    pub lr_schedule: String,
    /// Momentum for the first --momentum-switch epochs.
    #[arg(long, default_value_t = 0.0)]
    pub momentum: f64,
    /// Momentum after --momentum-switch epochs (default: --momentum).
    #[arg(long)]
    pub momentum_final: Option<f64>,
    #[arg(long, default_value_t = 5)]
    pub momentum_switch: usize,
    /// L2 weight decay on W.
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Centering: offset rate ν (e.g. 0.01); off when not given.
    #[arg(long)]
    pub center: Option<f64>,
    /// Sparsity target of the mean hidden activation (off when not given).
    #[arg(long)]
    pub sparsity_target: Option<f64>,
    /// Sparsity penalty cost.
    #[arg(long, default_value_t = 0.1)]
    pub sparsity_cost: f64,
    /// Samples per minibatch.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Precision of the training products: f32 or f64.
    #[arg(long, default_value = "f32")]
    pub precision: String,
    /// CD: use visible probabilities instead of samples in the negative phase.
    #[arg(long)]
    pub mean_field_visible: bool,
    /// Standard deviation of the initial weights.
    #[arg(long, default_value_t = 0.01)]
    pub init_std: f64,
    /// Start the visible bias at the log-odds of the training data.
    #[arg(long)]
    pub init_visible_from_data: bool,
    /// scikit-learn BernoulliRBM.fit: PCD-1, batch-size chains started at zero, even slices in
    /// data order, no momentum or decay.
    #[arg(long)]
    pub sklearn_compat: bool,
    /// Training images used for the per-epoch exact pseudo-likelihood and reconstruction error
    /// (0: off, fastest).
    #[arg(long, default_value_t = 500)]
    pub monitor: usize,
    /// Continue from the checkpoint in --out (its settings are kept; --epochs may raise the
    /// total).
    #[arg(long)]
    pub resume: bool,
    /// Output directory.
    #[arg(long, default_value = "runs/rbm")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Model file written by `rbm train`.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Evaluate on the training split instead of the test split.
    #[arg(long)]
    pub on_train: bool,
    /// log Z: exact (smaller layer ≤ 32 units), ais, or none (skip the likelihood); default
    /// exact when the smaller layer has at most 24 units, else ais.
    #[arg(long)]
    pub logz: Option<String>,
    /// AIS runs.
    #[arg(long, default_value_t = 100)]
    pub ais_runs: usize,
    /// AIS schedule: sm2008 (14,503 β) or linear:<count>.
    #[arg(long, default_value = "sm2008")]
    pub schedule: String,
    /// Precision of the AIS products (log-weights are always f64).
    #[arg(long, default_value = "f64")]
    pub precision: String,
    /// Test images for the exact pseudo-likelihood (0: all).
    #[arg(long, default_value_t = 1000)]
    pub pl_samples: usize,
}

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// Model file written by `rbm train`.
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long, default_value_t = 64)]
    pub chains: usize,
    /// Gibbs steps (updates of both layers).
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Parallel tempering with this many evenly spaced inverse temperatures (0: plain Gibbs).
    #[arg(long, default_value_t = 0)]
    pub pt: usize,
    /// Image width for the grid (default: √n).
    #[arg(long)]
    pub width: Option<usize>,
    /// Output PNG; the samples are also written beside it as .npy.
    #[arg(long, default_value = "samples.png")]
    pub out: PathBuf,
}

/// A model file.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    model: Rbm,
    params: Option<TrainParams>,
    data: Option<String>,
    history: Vec<EpochStats>,
}

/// A checkpoint: the whole trainer.
#[derive(Serialize, Deserialize)]
struct CheckpointFile {
    format: String,
    data: String,
    trainer: Trainer,
}

fn find_idx(dir: &Path, stem: &str) -> Option<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()].into_iter().map(|n| dir.join(n)).find(|p| p.exists())
}

fn need_idx(dir: &Path, stem: &str) -> Result<PathBuf> {
    find_idx(dir, stem).with_context(|| format!("{}: no {stem}[.gz] in this directory", dir.display()))
}

/// Binarised training and test sets and a description.
pub fn load_sets(args: &DataArgs) -> Result<(Dataset, Dataset, String)> {
    let dir = &args.data;
    let t10k_path = need_idx(dir, "t10k-images-idx3-ubyte")?;
    let (t10k, _) = data::read_labeled(&t10k_path, &need_idx(dir, "t10k-labels-idx1-ubyte")?)?;
    let test_all = Dataset::binarized_images(&t10k, args.threshold, None)?;
    let (mut train, test, what) = if let Some(ti) = find_idx(dir, "train-images-idx3-ubyte") {
        let images = match find_idx(dir, "train-labels-idx1-ubyte") {
            Some(tl) => data::read_labeled(&ti, &tl)?.0,
            None => data::read_images(&ti)?,
        };
        let train = Dataset::binarized_images(&images, args.threshold, None)?;
        (train, test_all, format!("{}: train images / t10k test images", dir.display()))
    } else {
        let (train, test) = test_all.strided_split(5, 4)?;
        (
            train,
            test,
            format!("{}: t10k split, i % 5 == 4 held out (8k/2k; not comparable with 60k-train)", dir.display()),
        )
    };
    if args.limit > 0 {
        train = train.head(args.limit);
    }
    let what = format!("{what}; {} train / {} test, binarised at > {}", train.rows(), test.rows(), args.threshold);
    Ok((train, test, what))
}

fn build_params(a: &TrainArgs, seed: u64) -> Result<TrainParams> {
    let chains = a.chains.unwrap_or(a.batch);
    let algorithm = match a.algo.to_ascii_lowercase().as_str() {
        "cd" => Algorithm::Cd { k: a.k },
        "pcd" => Algorithm::Pcd { k: a.k, chains },
        "pt" => Algorithm::Pt { betas: Algorithm::linear_betas(a.temperatures), chains },
        other => bail!("unknown --algo `{other}` (expected cd, pcd or pt)"),
    };
    let lr_schedule = match a.lr_schedule.to_ascii_lowercase().as_str() {
        "constant" => LrSchedule::Constant,
        "linear" => LrSchedule::Linear,
        other => bail!("unknown --lr-schedule `{other}` (expected constant or linear)"),
    };
    let p = TrainParams {
        algorithm,
        learning_rate: a.lr,
        lr_schedule,
        momentum: a.momentum,
        momentum_final: a.momentum_final.unwrap_or(a.momentum),
        momentum_switch: a.momentum_switch,
        weight_decay: a.weight_decay,
        sparsity: a.sparsity_target.map(|target| Sparsity { target, cost: a.sparsity_cost, decay: 0.9 }),
        centering: a.center,
        batch_size: a.batch,
        epochs: a.epochs,
        precision: a.precision.parse()?,
        sample_visible: !a.mean_field_visible,
        init_std: a.init_std,
        init_visible_from_data: a.init_visible_from_data,
        sklearn_compat: a.sklearn_compat,
        monitor_samples: a.monitor,
        seed,
    };
    p.check()?;
    Ok(p)
}

#[derive(Serialize)]
struct HistoryRow {
    epoch: usize,
    seconds: f64,
    learning_rate: f64,
    momentum: f64,
    recon_sse: Option<f64>,
    pseudo_likelihood: Option<f64>,
    test_pseudo_likelihood: Option<f64>,
    exact_ll: Option<f64>,
    test_exact_ll: Option<f64>,
    mean_hidden: f64,
    dead_hidden: usize,
    saturated_hidden: usize,
    weight_norm: f64,
    swap_acceptance: String,
}

fn history_rows(h: &[EpochStats]) -> Vec<HistoryRow> {
    h.iter()
        .map(|e| HistoryRow {
            epoch: e.epoch,
            seconds: e.seconds,
            learning_rate: e.learning_rate,
            momentum: e.momentum,
            recon_sse: e.recon_sse,
            pseudo_likelihood: e.pseudo_likelihood,
            test_pseudo_likelihood: e.test_pseudo_likelihood,
            exact_ll: e.exact_ll,
            test_exact_ll: e.test_exact_ll,
            mean_hidden: e.mean_hidden,
            dead_hidden: e.dead_hidden,
            saturated_hidden: e.saturated_hidden,
            weight_norm: e.weight_norm,
            swap_acceptance: e.swap_acceptance.iter().map(|a| format!("{a:.3}")).collect::<Vec<_>>().join(" "),
        })
        .collect()
}

/// Each hidden unit's weights as a tile (at most 100), on the shared blue-white-red scale.
fn plot_filters(env: &Env, path: &Path, rbm: &Rbm) {
    let (n, m) = (rbm.visible(), rbm.hidden());
    let side = (n as f64).sqrt().round() as usize;
    if side * side != n {
        return;
    }
    let count = m.min(100);
    let tiles: Vec<Vec<f64>> = (0..count).map(|j| (0..n).map(|i| rbm.weight(i, j)).collect()).collect();
    let refs: Vec<&[f64]> = tiles.iter().map(Vec::as_slice).collect();
    let cols = (count as f64).sqrt().ceil() as usize;
    if let Err(e) = plot::heatmap_grid(path, &refs, side, side, cols) {
        if !env.quiet {
            eprintln!("warning: plot {} skipped: {e:#}", path.display());
        }
    }
}

fn plot_curves(env: &Env, stem: &Path, history: &[EpochStats]) {
    let pick = |f: &dyn Fn(&EpochStats) -> Option<f64>| -> Vec<(f64, f64)> {
        history.iter().filter_map(|e| f(e).map(|y| (e.epoch as f64, y))).collect()
    };
    let charts = [
        ("recon", "reconstruction SSE per image", vec![Series::line("training monitor set", pick(&|e| e.recon_sse))]),
        (
            "likelihood",
            "nats per image",
            vec![
                Series::line("exact PL, train", pick(&|e| e.pseudo_likelihood)),
                Series::line("exact PL, test", pick(&|e| e.test_pseudo_likelihood)),
                Series::line("exact LL, train", pick(&|e| e.exact_ll)),
                Series::line("exact LL, test", pick(&|e| e.test_exact_ll)),
            ],
        ),
    ];
    for (name, y_label, series) in charts {
        let series: Vec<Series> = series.into_iter().filter(|s| !s.points.is_empty()).collect();
        if series.is_empty() {
            continue;
        }
        let chart = Chart {
            stem: String::new(),
            title: format!("RBM training: {name}"),
            x_label: "epoch".into(),
            y_label: y_label.into(),
            series,
            vlines: vec![],
            log_y: false,
        };
        let path = stem.with_file_name(format!("curves_{name}"));
        if let Err(e) = plot::chart(&path, &chart) {
            if !env.quiet {
                eprintln!("warning: plot {} skipped: {e:#}", path.display());
            }
        }
    }
}

fn read_model(path: &Path) -> Result<ModelFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: ModelFile =
        serde_json::from_str(&text).with_context(|| format!("{}: not an RBM model file", path.display()))?;
    if file.format != MODEL_FORMAT {
        bail!("{}: format `{}` is not {MODEL_FORMAT}", path.display(), file.format);
    }
    // Re-validate the parameters (finite, consistent shapes).
    let m = &file.model;
    Rbm::new(m.visible(), m.hidden(), m.weights().to_vec(), m.visible_bias().to_vec(), m.hidden_bias().to_vec())
        .with_context(|| format!("{}: invalid model", path.display()))?;
    Ok(file)
}

fn write_model(env: &Env, dir: &Path, trainer: &Trainer, what: &str) -> Result<()> {
    let file = ModelFile {
        format: MODEL_FORMAT.into(),
        model: trainer.model(),
        params: Some(trainer.params().clone()),
        data: Some(what.to_string()),
        history: trainer.history().to_vec(),
    };
    let mut value = serde_json::to_value(&file)?;
    value["meta"] = metadata(env);
    write_json(&dir.join("model.json"), &value)
}

fn write_checkpoint(dir: &Path, trainer: &Trainer, what: &str) -> Result<()> {
    let file = CheckpointFile { format: CHECKPOINT_FORMAT.into(), data: what.to_string(), trainer: trainer.clone() };
    let tmp = dir.join("checkpoint.json.tmp");
    std::fs::write(&tmp, serde_json::to_string(&file)?).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join("checkpoint.json")).context("cannot move the checkpoint into place")?;
    Ok(())
}

pub fn train(env: &Env, a: &TrainArgs) -> Result<Outcome> {
    let dir = out_dir(&a.out)?;
    let (train, test, what) =
        load_sets(&a.data).with_context(|| format!("loading images from {}", a.data.data.display()))?;
    let ckpt = dir.join("checkpoint.json");
    let mut trainer = if a.resume {
        let text =
            std::fs::read_to_string(&ckpt).with_context(|| format!("--resume: cannot read {}", ckpt.display()))?;
        let file: CheckpointFile =
            serde_json::from_str(&text).with_context(|| format!("{}: not a checkpoint", ckpt.display()))?;
        if file.format != CHECKPOINT_FORMAT {
            bail!("{}: format `{}` is not {CHECKPOINT_FORMAT}", ckpt.display(), file.format);
        }
        if file.data != what {
            bail!("{}: the checkpoint was trained on `{}`, not `{what}`", ckpt.display(), file.data);
        }
        let mut t = file.trainer;
        if a.epochs > t.params().epochs {
            t.set_epochs(a.epochs)?;
        }
        t
    } else {
        Trainer::new(build_params(a, env.seed)?, a.hidden, &train)?
    };
    if !env.quiet {
        println!("{what}");
        println!(
            "{} hidden units, {:?}, {} epochs (done {})",
            a.hidden,
            trainer.params().algorithm,
            trainer.params().epochs,
            trainer.epochs_done()
        );
    }
    let bar = progress(env, trainer.params().epochs as u64, "epochs");
    bar.set_position(trainer.epochs_done() as u64);
    let started = Instant::now();
    let mut interrupted = false;
    while !trainer.finished() {
        match trainer.train_epoch(&train, Some(&test), &env.stop)? {
            Some(stats) => {
                bar.inc(1);
                if let Some(pl) = stats.test_pseudo_likelihood {
                    bar.set_message(format!("test PL {pl:.2}"));
                }
                write_checkpoint(&dir, &trainer, &what)?;
            }
            None => {
                interrupted = true;
                write_checkpoint(&dir, &trainer, &what)?;
                break;
            }
        }
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    write_model(env, &dir, &trainer, &what)?;
    write_csv(&dir.join("history.csv"), &[], &history_rows(trainer.history()))?;
    let model = trainer.model();
    plot_filters(env, &dir.join("filters.png"), &model);
    plot_curves(env, &dir.join("curves"), trainer.history());
    let last = trainer.history().last().cloned();
    write_json(
        &dir.join("summary.json"),
        &json!({
            "meta": metadata(env), "data": what, "params": trainer.params(), "hidden": model.hidden(),
            "epochs_done": trainer.epochs_done(), "interrupted": interrupted, "seconds": seconds,
            "seconds_per_epoch": trainer.history().iter().map(|e| e.seconds).collect::<Vec<_>>(),
            "last_epoch": last,
        }),
    )?;
    if !env.quiet {
        if let Some(e) = &last {
            println!(
                "epoch {}: {:.2} s, recon SSE {}, exact PL train {} / test {}",
                e.epoch,
                e.seconds,
                fmt_opt(e.recon_sse),
                fmt_opt(e.pseudo_likelihood),
                fmt_opt(e.test_pseudo_likelihood)
            );
        }
        if interrupted {
            println!("interrupted: the model after the last minibatch is kept; continue with --resume");
        }
        println!("results in {}", dir.display());
    }
    Ok(Outcome::from_checks(vec![], interrupted))
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

pub fn eval(env: &Env, a: &EvalArgs) -> Result<()> {
    let file = read_model(&a.model)?;
    let rbm = file.model;
    let (train, test, what) = load_sets(&a.data)?;
    let set = if a.on_train { &train } else { &test };
    rbm.check_data(set)?;
    let small = rbm.visible().min(rbm.hidden());
    let method = a.logz.clone().unwrap_or_else(|| if small <= 24 { "exact".into() } else { "ais".into() });
    let free: Vec<f64> = rbm.free_energies(set)?;
    let mean_neg_f = -free.iter().sum::<f64>() / free.len() as f64;
    let t0 = Instant::now();
    let logz = match method.as_str() {
        "exact" => {
            let z = rbm.log_z_exact()?;
            json!({"method": "exact", "log_z": z, "ll": mean_neg_f - z})
        }
        "ais" => {
            let params = AisParams {
                schedule: a.schedule.parse::<Schedule>()?,
                runs: a.ais_runs,
                precision: a.precision.parse::<Precision>()?,
                seed: env.seed,
            };
            let est = ais(&rbm, &base_rate(&train), &params, &env.stop)?;
            if est.interrupted {
                bail!("interrupted after {} of the AIS steps", est.steps);
            }
            json!({
                "method": "ais", "schedule": a.schedule, "runs": a.ais_runs, "precision": a.precision,
                "base": "S&M base rate of the training split",
                "log_z": est.log_z, "log_z_low": est.log_z_low, "log_z_high": est.log_z_high,
                "log_z_base": est.log_z_base, "ess": est.ess,
                "ll": mean_neg_f - est.log_z, "ll_low": mean_neg_f - est.log_z_high, "ll_high": mean_neg_f - est.log_z_low,
            })
        }
        "none" => json!({"method": "none"}),
        other => bail!("unknown --logz `{other}` (expected exact, ais or none)"),
    };
    let logz_seconds = t0.elapsed().as_secs_f64();
    let pl_set = if a.pl_samples == 0 { set.clone() } else { set.head(a.pl_samples) };
    let pl = rbm.pseudo_likelihood(&pl_set)?;
    let flips = ebdm::boltzmann::rbm::random_flips(set.rows(), rbm.visible(), env.seed);
    let spl = rbm.pseudo_likelihood_stochastic(set, &flips)?;
    let (sse, mse) = rbm.reconstruction_error(set, env.seed)?;
    let out = json!({
        "model": a.model, "data": what, "set": if a.on_train { "train" } else { "test" }, "samples": set.rows(),
        "visible": rbm.visible(), "hidden": rbm.hidden(), "log_partition": logz, "log_z_seconds": logz_seconds,
        "pseudo_likelihood_exact": pl, "pseudo_likelihood_samples": pl_set.rows(),
        "pseudo_likelihood_stochastic": spl.iter().sum::<f64>() / spl.len() as f64,
        "recon_sse": sse, "recon_mse": mse, "seed": env.seed,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

pub fn sample(env: &Env, a: &SampleArgs) -> Result<()> {
    let rbm = read_model(&a.model)?.model;
    if a.chains == 0 || a.steps == 0 {
        bail!("--chains and --steps must be at least 1");
    }
    let (n, m) = (rbm.visible(), rbm.hidden());
    let kern = Kernel::<f64>::new(n, m, rbm.weights(), rbm.visible_bias(), rbm.hidden_bias());
    let mut chains = if a.pt > 1 {
        Chains::tempered(Algorithm::linear_betas(a.pt), a.chains, &vec![0.0; a.chains * n], n, m)
    } else {
        Chains::persistent(vec![0.0; a.chains * m])
    };
    let bar = progress(env, a.steps as u64, "sweeps");
    let mut v = Vec::new();
    for s in 0..a.steps {
        if env.stop.is_raised() {
            break;
        }
        v = chains.advance(&kern, 1, env.seed, &[0x5A, s as u64]).0;
        bar.inc(1);
    }
    bar.finish_and_clear();
    if v.is_empty() {
        bail!("interrupted before the first sweep");
    }
    let width = a.width.unwrap_or((n as f64).sqrt().round() as usize).max(1);
    let height = n.div_ceil(width);
    let images: Vec<Vec<i8>> =
        v.chunks_exact(n).map(|r| r.iter().map(|&x| if x > 0.5 { 1 } else { -1 }).collect()).collect();
    let per_row = 16;
    let rows: Vec<(String, Vec<Vec<i8>>)> =
        images.chunks(per_row).enumerate().map(|(i, c)| (format!("{}", i * per_row), c.to_vec())).collect();
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        out_dir(dir)?;
    }
    plot::image_grid(&a.out, &rows, width, height)?;
    let npy = a.out.with_extension("npy");
    data::write_npy_f64(&npy, v.len() / n, n, &v)?;
    if !env.quiet {
        let acc = chains.swap_acceptance();
        if !acc.is_empty() {
            println!(
                "swap acceptance per pair: {}",
                acc.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(" ")
            );
        }
        println!("{} samples after {} sweeps: {} and {}", a.chains, a.steps, a.out.display(), npy.display());
    }
    Ok(())
}
