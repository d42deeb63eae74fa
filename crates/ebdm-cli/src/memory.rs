//! `ebdm memory …`: store, corrupt, retrieve and show patterns in classical Hopfield networks.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use ebdm::data;
use ebdm::engine::rng::stream;

use ebdm::memory::patterns::corrupt;
use ebdm::memory::{
    metrics, DenseAM, FlipRule, Hopfield, LearningRule, ModernHopfield, Order, Patterns, RetrieveOptions,
    RetrieveParams, Separation, Status, UpdateMode,
};
use serde::Serialize;
use serde_json::json;

use crate::output::{metadata, write_csv, Env};
use crate::plot;

/// Where stored patterns come from.
#[derive(Args, Debug, Clone)]
pub struct PatternSource {
    /// Pattern file: text (one ±1 row per line, values separated by spaces or commas, or
    /// strings of '+'/'-'; '#' starts a comment) or .npy (2-D, one pattern per row).
    #[arg(long, conflicts_with = "mnist")]
    pub patterns: Option<PathBuf>,
    /// Directory with MNIST IDX files (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]);
    /// stores binarised digits.
    #[arg(long)]
    pub mnist: Option<PathBuf>,
    /// With --mnist: which digit classes to store, one image each (the first of each class).
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,3,4,5,6,7,8,9")]
    pub digits: Vec<u8>,
    /// With --mnist: pixels above this grey level (0–255) become +1, the rest −1.
    #[arg(long, default_value_t = 127)]
    pub threshold: u8,
}

fn find_idx(dir: &Path, stem: &str) -> Result<PathBuf> {
    for name in [format!("{stem}.gz"), stem.to_string()] {
        let p = dir.join(name);
        if p.exists() {
            return Ok(p);
        }
    }
    bail!("{}: no {stem}[.gz] in this directory", dir.display())
}

/// Loads binarised MNIST digits: the first image of each requested class.
pub fn mnist_digits(dir: &Path, digits: &[u8], threshold: u8) -> Result<(Patterns, usize)> {
    let images = data::read_images(&find_idx(dir, "t10k-images-idx3-ubyte")?)?;
    let labels = data::read_labels(&find_idx(dir, "t10k-labels-idx1-ubyte")?)?;
    if labels.len() != images.count {
        bail!("{}: {} labels for {} images", dir.display(), labels.len(), images.count);
    }
    if digits.is_empty() {
        bail!("--digits: give at least one digit class");
    }
    let mut flat = Vec::new();
    for &d in digits {
        let Some(i) = labels.iter().position(|&l| l == d) else {
            bail!("--digits: no image of class {d} in {}", dir.display())
        };
        flat.extend(images.binarize(i, threshold));
    }
    Ok((Patterns::new(digits.len(), images.pixels_per_image(), flat)?, images.cols))
}

impl PatternSource {
    /// The patterns and the image width to draw them with (0 if not images).
    pub fn load(&self) -> Result<(Patterns, usize)> {
        match (&self.patterns, &self.mnist) {
            (Some(p), None) => Ok((ebdm::memory::read_patterns(p)?, 0)),
            (None, Some(dir)) => mnist_digits(dir, &self.digits, self.threshold),
            _ => bail!("give the stored patterns with --patterns FILE or --mnist DIR"),
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RuleArg {
    Hebb,
    Pinv,
    Storkey,
}

impl From<RuleArg> for LearningRule {
    fn from(r: RuleArg) -> Self {
        match r {
            RuleArg::Hebb => LearningRule::Hebb,
            RuleArg::Pinv => LearningRule::PseudoInverse,
            RuleArg::Storkey => LearningRule::Storkey,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModeArg {
    Async,
    Sync,
    Glauber,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OrderArg {
    Unstable,
    Permutation,
    Random,
}

/// Network and dynamics options shared by the retrieval commands.
#[derive(Args, Debug, Clone)]
pub struct DynamicsArgs {
    /// Learning rule: Hebb, pseudo-inverse (projection) or Storkey.
    #[arg(long, value_enum, default_value = "hebb")]
    pub rule: RuleArg,
    /// Keep the diagonal of the learned weights (it is zeroed by default).
    #[arg(long)]
    pub keep_diagonal: bool,
    /// Update mode: asynchronous (zero temperature), synchronous, or Glauber at --beta.
    #[arg(long, value_enum, default_value = "async")]
    pub mode: ModeArg,
    /// Asynchronous visiting order.
    #[arg(long, value_enum, default_value = "unstable")]
    pub order: OrderArg,
    /// Inverse temperature β for Glauber dynamics (≥ 0).
    #[arg(long, default_value_t = 10.0)]
    pub beta: f64,
    /// Sweep budget (a sweep is N updates).
    #[arg(long, default_value_t = 20)]
    pub max_sweeps: usize,
}

impl DynamicsArgs {
    pub fn params(&self, track_energy: bool) -> Result<RetrieveParams> {
        let mode = match self.mode {
            ModeArg::Async => UpdateMode::Async {
                order: match self.order {
                    OrderArg::Unstable => Order::Unstable,
                    OrderArg::Permutation => Order::Permutation,
                    OrderArg::Random => Order::Random,
                },
            },
            ModeArg::Sync => UpdateMode::Sync,
            ModeArg::Glauber => UpdateMode::Glauber { beta: self.beta },
        };
        let p = RetrieveParams { mode, max_sweeps: self.max_sweeps, track_energy };
        p.check()?;
        Ok(p)
    }
    pub fn network(&self, p: &Patterns) -> Result<Hopfield> {
        Ok(Hopfield::train_with(p, self.rule.into(), !self.keep_diagonal)?)
    }
}

/// `memory store`: learn weights and write them as .npy.
pub fn store(env: &Env, src: &PatternSource, dynamics: &DynamicsArgs, out: &Path) -> Result<()> {
    let (p, _) = src.load()?;
    let net = dynamics.network(&p)?;
    let n = net.neurons();
    data::write_npy_f64(out, n, n, net.weights())?;
    let fixed = (0..p.count()).filter(|&mu| net.is_fixed_point(p.row(mu)).unwrap_or(false)).count();
    if !env.quiet {
        println!(
            "stored {} patterns of {} neurons with rule {:?}; {} of them are fixed points; weights written to {}",
            p.count(),
            n,
            dynamics.rule,
            fixed,
            out.display()
        );
    }
    Ok(())
}

/// Pattern μ with ⌊ρN⌋ bits flipped, drawn from `stream(seed, μ)`, for every μ.
pub fn corrupted_cues(p: &Patterns, rho: f64, seed: u64) -> Result<Patterns> {
    let mut flat = Vec::with_capacity(p.count() * p.len());
    for mu in 0..p.count() {
        flat.extend(corrupt(p.row(mu), rho, &mut stream(seed, mu as u64))?);
    }
    Ok(Patterns::new(p.count(), p.len(), flat)?)
}

/// `memory corrupt`: flip ⌊ρN⌋ random bits of every pattern.
pub fn corrupt_cmd(env: &Env, src: &PatternSource, rho: f64, out: &Path) -> Result<()> {
    let (p, _) = src.load()?;
    let cues = corrupted_cues(&p, rho, env.seed)?;
    data::write_npy_i8(out, p.count(), p.len(), cues.as_slice())?;
    if !env.quiet {
        println!("wrote {} cues with ⌊{rho}·{}⌋ flipped bits each to {}", p.count(), p.len(), out.display());
    }
    Ok(())
}

#[derive(Serialize)]
struct CueResult {
    cue: usize,
    status: String,
    sweeps: usize,
    flips: usize,
    energy: f64,
    nearest_pattern: usize,
    nearest_overlap: f64,
    /// Overlap with the pattern the cue was made from (when cues come from --rho).
    source_overlap: Option<f64>,
    exact: Option<bool>,
}

/// Options of `memory retrieve`.
#[derive(Args, Debug, Clone)]
pub struct RetrieveArgs {
    /// Cue file (same formats as --patterns); without it, every stored pattern is corrupted by --rho.
    #[arg(long)]
    pub cues: Option<PathBuf>,
    /// Fraction of bits flipped to make cues from the stored patterns.
    #[arg(long, default_value_t = 0.1)]
    pub rho: f64,
    /// Write the final states as .npy.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: crate::output::JsonOut,
    /// Write the energy trace of every cue (energy after every sweep) as CSV.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Draw stored / cue / retrieved images in a PNG grid (needs --width or MNIST input).
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// Image width for --image when the patterns are not MNIST digits.
    #[arg(long)]
    pub width: Option<usize>,
}

/// `memory retrieve`.
pub fn retrieve(env: &Env, src: &PatternSource, dynamics: &DynamicsArgs, args: &RetrieveArgs) -> Result<()> {
    let (p, img_w) = src.load()?;
    let net = dynamics.network(&p)?;
    let params = dynamics.params(args.trace.is_some())?;
    let model = json!({"model": "hopfield", "rule": format!("{:?}", dynamics.rule).to_lowercase(), "params": params});
    retrieve_with(env, &p, img_w, args, model, |cues| {
        let outs = net.retrieve_batch(cues.as_slice(), &params, env.seed, &env.stop)?;
        Ok(outs
            .into_iter()
            .map(|o| {
                o.map(|o| CueOutcome::new(status_name(&o.status), o.sweeps, o.flips, o.energy, o.energy_trace, o.state))
            })
            .collect())
    })
}

/// `memory dam`: retrieval in a dense associative memory.
pub fn dam(env: &Env, src: &PatternSource, dam: &DamArgs, args: &RetrieveArgs) -> Result<()> {
    let (p, img_w) = src.load()?;
    let separation: Separation = dam.separation.parse()?;
    let rule: FlipRule = dam.update.parse()?;
    if dam.max_sweeps == 0 {
        bail!("invalid parameter `max_sweeps`: must be at least 1");
    }
    let am = DenseAM::new(p.clone(), separation, rule)?;
    let model = json!({"model": "dense", "separation": separation, "update": rule, "max_sweeps": dam.max_sweeps});
    retrieve_with(env, &p, img_w, args, model, |cues| {
        let outs = am.retrieve_batch(cues.as_slice(), dam.max_sweeps, args.trace.is_some(), env.seed, &env.stop)?;
        Ok(outs
            .into_iter()
            .map(|o| {
                let o = o?;
                let status = if o.interrupted {
                    "interrupted"
                } else if o.converged {
                    "fixed-point"
                } else {
                    "max-sweeps"
                };
                Some(CueOutcome::new(status.into(), o.sweeps, o.flips, o.energy, o.energy_trace, o.state))
            })
            .collect())
    })
}

/// Options of `memory dam`.
#[derive(Args, Debug, Clone)]
pub struct DamArgs {
    /// Separation function: poly:n (xⁿ), rep:n (max(x,0)ⁿ), exp (eˣ) or lse:β (log-sum-exp).
    #[arg(long, default_value = "poly:3")]
    pub separation: String,
    /// Update rule: exact (energy difference, never raises the energy) or gradient-sign.
    #[arg(long, default_value = "exact")]
    pub update: String,
    /// Sweep budget.
    #[arg(long, default_value_t = 20)]
    pub max_sweeps: usize,
}

/// What one cue's retrieval produced, whatever the model.
struct CueOutcome {
    state: Vec<i8>,
    status: String,
    sweeps: usize,
    flips: usize,
    energy: f64,
    trace: Option<Vec<f64>>,
}

impl CueOutcome {
    fn new(status: String, sweeps: usize, flips: usize, energy: f64, trace: Option<Vec<f64>>, state: Vec<i8>) -> Self {
        Self { state, status, sweeps, flips, energy, trace }
    }
}

fn status_name(s: &Status) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// Makes or reads the cues, retrieves each in parallel (one random stream per cue) and writes
/// the requested outputs.
fn retrieve_with(
    env: &Env,
    p: &Patterns,
    img_w: usize,
    args: &RetrieveArgs,
    model: serde_json::Value,
    run: impl FnOnce(&Patterns) -> ebdm::Result<Vec<Option<CueOutcome>>>,
) -> Result<()> {
    let (cues, from_rho) = match &args.cues {
        Some(path) => {
            let c = ebdm::memory::read_patterns(path)?;
            if c.len() != p.len() {
                bail!(
                    "{}: cues have length {} but the stored patterns have length {}",
                    path.display(),
                    c.len(),
                    p.len()
                );
            }
            (c, false)
        }
        None => (corrupted_cues(p, args.rho, env.seed)?, true),
    };
    // The library seeds cue c from (seed, c): the same states at any thread count, and the same
    // as Python's `retrieve` for the same seed.
    // Cues not started before Ctrl-C are left out; each kept result carries its cue index.
    let outs: Vec<(usize, CueOutcome)> =
        run(&cues)?.into_iter().enumerate().filter_map(|(c, o)| o.map(|o| (c, o))).collect();
    let mut results = Vec::new();
    for &(c, ref o) in &outs {
        let (best, m) = (0..p.count())
            .map(|mu| (mu, metrics::overlap(p.row(mu), &o.state).unwrap_or(0.0)))
            .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
        let source = from_rho.then(|| metrics::overlap(p.row(c), &o.state).unwrap_or(0.0));
        results.push(CueResult {
            cue: c,
            status: o.status.clone(),
            sweeps: o.sweeps,
            flips: o.flips,
            energy: o.energy,
            nearest_pattern: best,
            nearest_overlap: m,
            source_overlap: source,
            exact: from_rho.then(|| o.state == p.row(c)),
        });
    }
    if let Some(path) = &args.out {
        let flat: Vec<i8> = outs.iter().flat_map(|(_, o)| o.state.iter().copied()).collect();
        data::write_npy_i8(path, outs.len(), p.len(), &flat)?;
    }
    if let Some(path) = &args.trace {
        #[derive(Serialize)]
        struct Row {
            cue: usize,
            sweep: usize,
            energy: f64,
        }
        let rows: Vec<Row> = outs
            .iter()
            .flat_map(|&(c, ref o)| {
                o.trace.iter().flatten().enumerate().map(move |(s, &e)| Row { cue: c, sweep: s, energy: e })
            })
            .collect();
        write_csv(path, &[], &rows)?;
    }
    let exact = results.iter().filter(|r| r.exact == Some(true)).count();
    let summary = json!({
        "command": "memory retrieve", "meta": metadata(env), "neurons": p.len(), "patterns": p.count(),
        "model": model, "rho": if from_rho { Some(args.rho) } else { None },
        "exact_recalls": if from_rho { Some(exact) } else { None }, "cues": results,
    });
    args.output.emit(&summary, false)?;
    if args.output.prints_text(env) {
        println!(
            "{:>5} {:>12} {:>7} {:>6} {:>10} {:>8} {:>10}",
            "cue", "status", "sweeps", "flips", "energy", "nearest", "overlap"
        );
        for r in &results {
            println!(
                "{:>5} {:>12} {:>7} {:>6} {:>10.3} {:>8} {:>10.4}",
                r.cue,
                r.status,
                r.sweeps,
                r.flips,
                r.energy,
                r.nearest_pattern,
                r.source_overlap.unwrap_or(r.nearest_overlap)
            );
        }
        if from_rho {
            println!("exact recall: {exact} of {} cues (ρ = {})", results.len(), args.rho);
        }
    }
    if let Some(path) = &args.image {
        let w = args.width.unwrap_or(img_w);
        if w == 0 || !p.len().is_multiple_of(w) {
            bail!("--image needs --width dividing the pattern length {}", p.len());
        }
        let rows = vec![
            ("stored".to_string(), (0..cues.count().min(p.count())).map(|mu| p.row(mu).to_vec()).collect()),
            ("cue".to_string(), (0..cues.count()).map(|c| cues.row(c).to_vec()).collect()),
            ("retrieved".to_string(), outs.iter().map(|(_, o)| o.state.clone()).collect()),
        ];
        plot::image_grid(path, &rows, w, p.len() / w).context("drawing the image grid")?;
    }
    if env.stop.is_raised() {
        bail!("interrupted");
    }
    Ok(())
}

/// `memory show`: draw the stored patterns as images.
pub fn show(src: &PatternSource, width: Option<usize>, out: &Path) -> Result<()> {
    let (p, img_w) = src.load()?;
    let w = width.unwrap_or(img_w);
    if w == 0 || p.len() % w != 0 {
        bail!("--width must divide the pattern length {}", p.len());
    }
    let rows = vec![("patterns".to_string(), p.rows().map(|r| r.to_vec()).collect())];
    plot::image_grid(out, &rows, w, p.len() / w)
}

/// Options of `memory modern`.
#[derive(Args, Debug, Clone)]
pub struct ModernArgs {
    /// Stored patterns (K×N reals, text or .npy); without it, random ±1 patterns of --dim.
    #[arg(long)]
    pub patterns: Option<PathBuf>,
    /// Queries (B×N reals); without it, each stored pattern with ⌊--flip·N⌋ bits flipped.
    #[arg(long, requires = "patterns")]
    pub queries: Option<PathBuf>,
    /// Pattern width for random patterns.
    #[arg(long, default_value_t = 256)]
    pub dim: usize,
    /// Number of random patterns.
    #[arg(long, default_value_t = 1024)]
    pub count: usize,
    /// Fraction of bits flipped in generated queries.
    #[arg(long, default_value_t = 0.2)]
    pub flip: f64,
    /// Inverse temperature β (> 0).
    #[arg(long, default_value_t = 0.2)]
    pub beta: f64,
    /// Number of updates (1 = exactly one update).
    #[arg(long, default_value_t = 1)]
    pub steps: usize,
    /// Stop early once no query moves more than this in an update.
    #[arg(long)]
    pub tol: Option<f64>,
    /// Write the retrieved states as .npy.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: crate::output::JsonOut,
}

/// Real-valued stored patterns and cues for the continuous memories.
pub struct RealSet {
    /// K×N, row-major.
    pub patterns: Vec<f64>,
    pub count: usize,
    pub width: usize,
    /// B×N, row-major.
    pub cues: Vec<f64>,
    /// For generated cues, the pattern each came from.
    pub targets: Option<Vec<usize>>,
}

/// Patterns from a file (cues from a file, or the patterns themselves), or `count` random ±1
/// patterns of width `dim` with each cue a pattern with ⌊flip·N⌋ signs flipped.
pub fn real_patterns_and_cues(
    env: &Env,
    patterns: Option<&Path>,
    queries: Option<&Path>,
    count: usize,
    dim: usize,
    flip: f64,
) -> Result<RealSet> {
    if let Some(path) = patterns {
        let m = data::read_matrix(path)?;
        let (cues, targets) = match queries {
            Some(qp) => {
                let q = data::read_matrix(qp)?;
                if q.cols != m.cols {
                    bail!("{}: queries have width {} but the patterns have width {}", qp.display(), q.cols, m.cols);
                }
                (q.data, None)
            }
            None => (m.data.clone(), Some((0..m.rows).collect())),
        };
        return Ok(RealSet { patterns: m.data, count: m.rows, width: m.cols, cues, targets });
    }
    let p = Patterns::random(count, dim, &mut stream(env.seed, 0))?;
    let mut cues = Vec::with_capacity(count * dim);
    for mu in 0..count {
        cues.extend(corrupt(p.row(mu), flip, &mut stream(env.seed, 1 + mu as u64))?.iter().map(|&x| x as f64));
    }
    let patterns = p.as_slice().iter().map(|&x| x as f64).collect();
    Ok(RealSet { patterns, count, width: dim, cues, targets: Some((0..count).collect()) })
}

/// `memory modern`: batched retrieval in a modern Hopfield network.
pub fn modern(env: &Env, a: &ModernArgs) -> Result<()> {
    let set = real_patterns_and_cues(env, a.patterns.as_deref(), a.queries.as_deref(), a.count, a.dim, a.flip)?;
    let (k, n, targets) = (set.count, set.width, set.targets);
    let xi: Vec<f32> = set.patterns.iter().map(|&x| x as f32).collect();
    let queries: Vec<f32> = set.cues.iter().map(|&x| x as f32).collect();
    let net = ModernHopfield::new(&xi, k, n)?;
    let opts = RetrieveOptions { beta: a.beta, steps: a.steps, tol: a.tol, track_energy: false };
    let start = std::time::Instant::now();
    let r = net.retrieve(&queries, &opts, &env.stop)?;
    let seconds = start.elapsed().as_secs_f64();
    // Sign recovery against the pattern each generated query came from.
    let recovered = targets.as_ref().map(|t| {
        t.iter()
            .enumerate()
            .filter(|&(b, &mu)| {
                r.states[b * n..(b + 1) * n]
                    .iter()
                    .zip(&xi[mu * n..(mu + 1) * n])
                    .all(|(&x, &y)| (x >= 0.0) == (y >= 0.0))
            })
            .count()
    });
    let kinds: Vec<_> =
        (0..r.batch.min(16)).map(|b| net.classify(&r.states[b * n..(b + 1) * n], a.beta)).collect::<Result<_, _>>()?;
    if let Some(path) = &a.out {
        let data64: Vec<f64> = r.states.iter().map(|&x| x as f64).collect();
        data::write_npy_f64(path, r.batch, n, &data64)?;
    }
    let summary = json!({
        "command": "memory modern", "meta": metadata(env), "patterns": k, "neurons": n, "batch": r.batch,
        "beta": a.beta, "steps": a.steps, "tol": a.tol, "seconds": seconds,
        "sign_recovered": recovered, "fixed_point_kinds_first_16": kinds, "interrupted": r.interrupted,
    });
    a.output.emit(&summary, false)?;
    if a.output.prints_text(env) {
        println!(
            "{} queries against {k} patterns of width {n}, β = {}, {} step(s): {:.1} ms",
            r.batch,
            a.beta,
            a.steps,
            1e3 * seconds
        );
        if let Some(c) = recovered {
            println!("exact sign recovery: {c} of {} ({:.1} %)", r.batch, 100.0 * c as f64 / r.batch as f64);
        }
    }
    if r.interrupted {
        bail!("interrupted");
    }
    Ok(())
}
