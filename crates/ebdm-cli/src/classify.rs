//! `ebdm memory classify …` and `ebdm reproduce memory/E10`: dense associative memories trained
//! as image classifiers (Krotov & Hopfield 2016), with their history, plots and model files.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use ebdm::data;
use ebdm::memory::classifier::{ClassifierParams, DenseClassifier, EpochStats, Precision, Samples, TrainParams};
use ebdm::memory::experiments::classifier::{self as e10, CLASSES, NOTEBOOK_TEMPERATURE};
use serde::{Deserialize, Serialize};

use crate::output::{metadata, out_dir, progress, write_csv, write_json, Env};
use crate::plot::{self, Chart, Series};
use ebdm::experiment::Outcome;

/// Identifies model files written by `classify train`.
const MODEL_FORMAT: &str = "ebdm-dense-classifier";

#[derive(Subcommand, Debug)]
pub enum ClassifyCommand {
    /// Train a classifier with Krotov's notebook recipe and write the model as JSON, with its
    /// per-epoch history (CSV) and plots of the memories and of the error against the epoch.
    Train(TrainArgs),
    /// Print the error rate of a trained model on a data set.
    Evaluate {
        /// Model file written by `classify train`.
        #[arg(long)]
        model: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// Evaluate on the held-out part of the seeded split of the t10k images (same --seed,
        /// --train-count and --test-count as training) instead of all of them.
        #[arg(long)]
        heldout: bool,
    },
}

/// Where the images come from.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Directory of IDX files. With train-images-idx3-ubyte[.gz] and train-labels (e.g.
    /// Fashion-MNIST) the model trains on them and tests on t10k; with only the t10k files
    /// (the bundled MNIST) it trains and tests on a seeded split of the t10k images.
    #[arg(long, default_value = "data/mnist")]
    pub data: PathBuf,
    /// Training images taken from the t10k split (when there are no training files).
    #[arg(long, default_value_t = 8000)]
    pub train_count: usize,
    /// Test images taken from the t10k split (when there are no training files).
    #[arg(long, default_value_t = 2000)]
    pub test_count: usize,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Degree n of the rectified polynomial F(z) = max(z, 0)^n.
    #[arg(long, default_value_t = 20)]
    pub n: u32,
    /// Power m of the loss Σ (t − c)^(2m).
    #[arg(long, default_value_t = 30)]
    pub m: u32,
    /// Temperature T (β = 1/T^n); the notebook's 540 by default, for every n.
    #[arg(long, default_value_t = NOTEBOOK_TEMPERATURE)]
    pub temperature: f64,
    /// Number of memories K.
    #[arg(long, default_value_t = 100)]
    pub memories: usize,
    #[arg(long, default_value_t = 300)]
    pub epochs: usize,
    /// Initial learning rate: the largest change of each memory per minibatch.
    #[arg(long, default_value_t = 4e-2)]
    pub lr: f64,
    /// Factor applied to the learning rate after each epoch.
    #[arg(long, default_value_t = 0.998)]
    pub lr_decay: f64,
    #[arg(long, default_value_t = 0.6)]
    pub momentum: f64,
    /// Samples per minibatch.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Mean and standard deviation of the initial memories.
    #[arg(long, default_value_t = -0.3, allow_hyphen_values = true)]
    pub init_mean: f64,
    #[arg(long, default_value_t = 0.3)]
    pub init_std: f64,
    /// Precision of the matrix products: f32 or f64.
    #[arg(long, default_value = "f32")]
    pub precision: String,
    /// Output model file (JSON); the history and plots are written beside it.
    #[arg(long, default_value = "model.json")]
    pub out: PathBuf,
}

/// A model file: the classifier with how it was trained.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    model: DenseClassifier,
    train: Option<TrainParams>,
    data: Option<String>,
    history: Vec<EpochStats>,
}

fn find_idx(dir: &Path, stem: &str) -> Option<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()].into_iter().map(|n| dir.join(n)).find(|p| p.exists())
}

fn need_idx(dir: &Path, stem: &str) -> Result<PathBuf> {
    find_idx(dir, stem).with_context(|| format!("{}: no {stem}[.gz] in this directory", dir.display()))
}

/// Training and test samples from `args`, and a description of them.
fn load_sets(args: &DataArgs, seed: u64) -> Result<(Samples, Samples, String)> {
    let dir = &args.data;
    let t10k = data::read_images(&need_idx(dir, "t10k-images-idx3-ubyte")?)?;
    let t10k_labels = data::read_labels(&need_idx(dir, "t10k-labels-idx1-ubyte")?)?;
    if let (Some(ti), Some(tl)) = (find_idx(dir, "train-images-idx3-ubyte"), find_idx(dir, "train-labels-idx1-ubyte")) {
        let train = Samples::from_images(&data::read_images(&ti)?, &data::read_labels(&tl)?, CLASSES, None)?;
        let test = Samples::from_images(&t10k, &t10k_labels, CLASSES, None)?;
        let what = format!("{}: {} training images, {} t10k test images", dir.display(), train.len(), test.len());
        return Ok((train, test, what));
    }
    let (tr, te) = e10::split(t10k.count, args.train_count, args.test_count, seed)?;
    let train = Samples::from_images(&t10k, &t10k_labels, CLASSES, Some(&tr))?;
    let test = Samples::from_images(&t10k, &t10k_labels, CLASSES, Some(&te))?;
    let what = format!(
        "{}: seeded split (seed {seed}) of the t10k images, {} train / {} test (not comparable with 60k-train results)",
        dir.display(),
        train.len(),
        test.len()
    );
    Ok((train, test, what))
}

/// Draws the pixel part of every memory as a 28×28 (or square) tile.
fn plot_memories(env: &Env, path: &Path, model: &DenseClassifier) {
    let n = model.inputs();
    let side = (n as f64).sqrt().round() as usize;
    if side * side != n {
        return;
    }
    let width = model.width();
    let tiles: Vec<&[f64]> = model.memories().chunks(width).map(|m| &m[..n]).collect();
    let cols = (tiles.len() as f64).sqrt().ceil() as usize;
    if let Err(e) = plot::heatmap_grid(path, &tiles, side, side, cols) {
        if !env.quiet {
            eprintln!("warning: plot {} skipped: {e:#}", path.display());
        }
    }
}

fn plot_errors(env: &Env, stem: &Path, title: String, curves: &[(u32, &[EpochStats])]) {
    let mut series = Vec::new();
    for (i, (n, h)) in curves.iter().enumerate() {
        series.push(
            Series::line(
                format!("test, n = {n}"),
                h.iter().filter_map(|e| e.test_error.map(|t| (e.epoch as f64, 100.0 * t))).collect(),
            )
            .colored(i),
        );
    }
    if curves.len() == 1 {
        let h = curves[0].1;
        series.push(Series::line(
            "training (during the epoch)",
            h.iter().map(|e| (e.epoch as f64, 100.0 * e.train_error)).collect(),
        ));
    }
    let chart = Chart {
        stem: String::new(),
        title,
        x_label: "epoch".into(),
        y_label: "error (%)".into(),
        series,
        vlines: vec![],
        log_y: true,
    };
    if let Err(e) = plot::chart(stem, &chart) {
        if !env.quiet {
            eprintln!("warning: plot {} skipped: {e:#}", stem.display());
        }
    }
}

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "model".into());
    out.with_file_name(format!("{stem}{suffix}"))
}

pub fn train(env: &Env, a: &TrainArgs) -> Result<Outcome> {
    let precision: Precision = a.precision.parse()?;
    let temperature = a.temperature;
    let params = ClassifierParams { memories: a.memories, degree: a.n, loss_power: a.m, temperature };
    params.check()?;
    let tp = TrainParams {
        epochs: a.epochs,
        learning_rate: a.lr,
        lr_decay: a.lr_decay,
        momentum: a.momentum,
        batch_size: a.batch,
        seed: env.seed,
        precision,
    };
    tp.check()?;
    let (train, test, what) =
        load_sets(&a.data, env.seed).with_context(|| format!("loading images from {}", a.data.data.display()))?;
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        out_dir(dir)?;
    }
    let mut model = DenseClassifier::random(params, train.dim(), CLASSES, a.init_mean, a.init_std, env.seed)?;
    if !env.quiet {
        println!("{what}");
        println!("K = {}, n = {}, m = {}, T = {temperature:.4}, {} epochs", a.memories, a.n, a.m, a.epochs);
    }
    let bar = progress(env, a.epochs as u64, &format!("n = {}", a.n));
    let tick = |e: &EpochStats| {
        bar.inc(1);
        bar.set_message(format!("test {:.2} %", 100.0 * e.test_error.unwrap_or(f64::NAN)));
    };
    let report = model.train(&train, Some(&test), &tp, &env.stop, Some(&tick))?;
    bar.finish_and_clear();
    let file = ModelFile {
        format: MODEL_FORMAT.into(),
        model: model.clone(),
        train: Some(tp.clone()),
        data: Some(what.clone()),
        history: report.history.clone(),
    };
    let mut value = serde_json::to_value(&file)?;
    value["meta"] = metadata(env);
    write_json(&a.out, &value)?;
    write_csv(&sibling(&a.out, "_history.csv"), &[], &e10::history_rows(a.n, &report.history))?;
    plot_memories(env, &sibling(&a.out, "_memories.png"), &model);
    plot_errors(
        env,
        &sibling(&a.out, "_errors"),
        format!("Dense associative memory, n = {}", a.n),
        &[(a.n, &report.history)],
    );
    if !env.quiet {
        if let Some(last) = report.history.last() {
            println!(
                "epochs {}: test error {:.2} %, training error {:.2} %, {:.1} s ({:.3} s/epoch)",
                last.epoch,
                100.0 * last.test_error.unwrap_or(f64::NAN),
                100.0 * last.train_error,
                report.seconds,
                report.seconds / report.history.len() as f64
            );
        }
        if report.interrupted {
            println!("interrupted: the model after the last completed epoch is kept");
        }
        println!("model: {}", a.out.display());
    }
    Ok(Outcome::from_checks(vec![], report.interrupted))
}

pub fn evaluate(env: &Env, model: &Path, d: &DataArgs, heldout: bool) -> Result<()> {
    let text = std::fs::read_to_string(model).with_context(|| format!("cannot read {}", model.display()))?;
    let file: ModelFile =
        serde_json::from_str(&text).with_context(|| format!("{}: not a model file", model.display()))?;
    if file.format != MODEL_FORMAT {
        bail!("{}: format `{}` is not {MODEL_FORMAT}", model.display(), file.format);
    }
    file.model.check().with_context(|| format!("{}: invalid model", model.display()))?;
    let samples = if heldout {
        load_sets(d, env.seed)?.1
    } else {
        let images = data::read_images(&need_idx(&d.data, "t10k-images-idx3-ubyte")?)?;
        let labels = data::read_labels(&need_idx(&d.data, "t10k-labels-idx1-ubyte")?)?;
        Samples::from_images(&images, &labels, CLASSES, None)?
    };
    let (error, loss) = file.model.evaluate(&samples)?;
    if env.quiet {
        println!("{error}");
    } else {
        println!(
            "{} images: error {:.2} % ({} wrong), mean loss {loss:.4e}",
            samples.len(),
            100.0 * error,
            (error * samples.len() as f64).round()
        );
    }
    Ok(())
}
