//! `ebdm sparse`: proximal operators, Lasso-type problems by coordinate descent, ISTA/FISTA and
//! the proximal gradient and LCA dynamics, batched sparse coding, PI-PGD, and the phase
//! transition of sparse recovery.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use ebdm::data::matrix::{read_matrix, write_npy_f64, Matrix};
use ebdm::engine::RunLimits;
use ebdm::proximal::coding::{encode, CodingOptions, CodingSolver, Dictionary};
use ebdm::proximal::estimator::{fit_rows, reads_columns, PenaltyKind, PenaltySpec, Solver};
use ebdm::proximal::experiments as px;
use ebdm::proximal::fixture::sm_lasso;
use ebdm::proximal::phase::{self, PhaseConfig};
use ebdm::proximal::pi_pgd::{pi_pgd, PiPgdOptions};
use ebdm::proximal::problem::{Convention, Quadratic};
use ebdm::proximal::prox;
use ebdm::proximal::solvers::{Method, Options, SolveReport};
use serde_json::json;

use crate::output::{metadata, out_dir, write_csv, write_json, Env};
use crate::plot::{self, Chart, Series};

#[derive(Subcommand, Debug)]
pub enum ProximalCommand {
    /// Write the cross-language SM-LASSO fixture (X.npy, y.npy, w_true.npy, meta.json).
    Fixture(FixtureArgs),
    /// Solve min f(w) + g(w) with a least-squares f (default data: the SM-LASSO fixture) by
    /// coordinate descent, ISTA, FISTA or Euler steps of the PGD / LCA dynamics.
    Lasso(LassoArgs),
    /// Sparse-code many signals against one dictionary (batched CD, FISTA or LCA).
    Code(CodeArgs),
    /// Apply a proximal operator or projection to every row of a matrix.
    Prox(ProxArgs),
    /// Proportional–integral PGD for min ½xᵀWx + λ‖x‖₁ subject to Ax = b.
    PiPgd(PiPgdArgs),
    /// Print the state-evolution phase curve ρ_SE(δ) (Donoho–Maleki–Montanari 2009).
    PhaseCurve(PhaseCurveArgs),
    /// Empirical phase transition of ℓ1 recovery over a δ × sparsity grid.
    Phase(PhaseArgs),
}

#[derive(Args, Debug)]
pub struct FixtureArgs {
    #[arg(long, default_value_t = 42)]
    pub fixture_seed: u64,
    #[arg(long, default_value_t = 500)]
    pub n: usize,
    #[arg(long, default_value_t = 2000)]
    pub p: usize,
    #[arg(long, default_value_t = 50)]
    pub k: usize,
    #[arg(long, default_value = "results/sm-lasso")]
    pub out_dir: PathBuf,
}

/// The penalty g and its parameters.
#[derive(Args, Debug, Clone)]
pub struct PenaltyArgs {
    /// The penalty or constraint g: l1, l1-nonneg, elastic-net, group-l2, box, nonneg,
    /// simplex, l2-ball, l1-ball, tv1d, l0, mcp.
    #[arg(long = "penalty", visible_alias = "g", default_value = "l1")]
    pub kind: PenaltyKind,
    /// Weight λ of the penalty (ℓ1, group, TV, ℓ0, MCP; for the elastic net its total α).
    #[arg(long, default_value_t = 0.1, allow_hyphen_values = true)]
    pub lambda: f64,
    /// Read --lambda relative to λ_max (the smallest weight with w = 0 optimal).
    #[arg(long)]
    pub lambda_rel: bool,
    /// Elastic net: share of ℓ1 in α (scikit-learn's l1_ratio).
    #[arg(long, default_value_t = 0.5)]
    pub l1_ratio: f64,
    /// Group lasso: size of consecutive groups (weights √size).
    #[arg(long, default_value_t = 5)]
    pub group_size: usize,
    /// Box: lower and upper bounds.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub lo: f64,
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub hi: f64,
    /// Simplex total z, or the radius of the ℓ1 / ℓ2 ball.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub radius: f64,
    /// MCP concavity γ_m (> step); the prox is firm thresholding at (γλ, γ_mλ).
    #[arg(long, default_value_t = 3.0)]
    pub gamma_m: f64,
}

impl PenaltyArgs {
    fn spec(&self) -> PenaltySpec {
        PenaltySpec {
            kind: self.kind,
            lambda: self.lambda,
            l1_ratio: self.l1_ratio,
            group_size: self.group_size,
            lo: self.lo,
            hi: self.hi,
            radius: self.radius,
            gamma_m: self.gamma_m,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum SolverKind {
    /// Coordinate descent with working sets (ℓ1, nonnegative ℓ1, elastic net).
    Cd,
    Ista,
    Fista,
    /// Euler steps of the proximal gradient dynamics τẋ = −x + prox(x − γ∇f(x)).
    Pgd,
    /// Euler steps of the LCA τu̇ = −u + a − γ∇f(a), a = prox(u).
    Lca,
}

#[derive(Args, Debug)]
pub struct LassoArgs {
    /// Design matrix X (n × p, .npy or text). Default: the SM-LASSO fixture.
    #[arg(long, requires = "target")]
    pub data: Option<PathBuf>,
    /// Targets y (n values, .npy or text).
    #[arg(long, requires = "data")]
    pub target: Option<PathBuf>,
    #[command(flatten)]
    pub penalty: PenaltyArgs,
    /// Least-squares convention: ml = ‖y − Xw‖²/(2n) (scikit-learn), sp = ½‖y − Xw‖² (LCA, SPAMS).
    #[arg(long, default_value = "ml")]
    pub convention: String,
    /// Solver (default: cd for ℓ1, nonnegative ℓ1 and elastic net, fista --restart otherwise).
    #[arg(long, value_enum)]
    pub solver: Option<SolverKind>,
    /// FISTA adaptive restart.
    #[arg(long)]
    pub restart: bool,
    /// Beck–Teboulle backtracking (ISTA, FISTA).
    #[arg(long)]
    pub backtracking: bool,
    /// Step γ (default 1/L, L from power iteration × 1.02).
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Euler step dt of the dynamics, in the units of τ.
    #[arg(long, default_value_t = 1.0)]
    pub dt: f64,
    #[arg(long, default_value_t = 1.0)]
    pub tau: f64,
    /// End time of the dynamics (sets the step budget to t_end/dt).
    #[arg(long)]
    pub t_end: Option<f64>,
    /// Allow Euler steps 1 < dt/τ < 2.
    #[arg(long)]
    pub allow_overrelaxation: bool,
    /// Relative duality gap (P − D)/P to stop at (relative fixed-point residual for penalties
    /// without a closed-form dual). 0 runs the whole budget.
    #[arg(long, default_value_t = 1e-8)]
    pub tol: f64,
    #[arg(long, default_value_t = 10_000)]
    pub max_iter: usize,
    /// Write the solution as an .npy column.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the per-iteration trace (iter, t, objective, gap, nnz) as CSV.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Plot the objective against iteration (PNG + SVG stem).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub output: crate::output::JsonOut,
}

fn read_design(data: &Path, target: &Path) -> Result<(Matrix, Vec<f64>)> {
    let x = read_matrix(data).with_context(|| format!("reading the design matrix {}", data.display()))?;
    let y = read_matrix(target).with_context(|| format!("reading the targets {}", target.display()))?;
    let y = column(&y).with_context(|| format!("{}", target.display()))?;
    if y.len() != x.rows {
        bail!("{} has {} rows but {} has {} values", data.display(), x.rows, target.display(), y.len());
    }
    Ok((x, y))
}

/// A matrix with one row or one column as a vector.
fn column(m: &Matrix) -> Result<Vec<f64>> {
    if m.rows == 1 || m.cols == 1 {
        Ok(m.data.clone())
    } else {
        bail!("expected a vector, got a {}×{} matrix", m.rows, m.cols)
    }
}

fn summary_json(
    env: &Env,
    r: &SolveReport,
    (rows, cols, convention, threads): (usize, usize, Convention, usize),
    penalty: &str,
    lambda: f64,
    lambda_max: f64,
    wall: f64,
) -> serde_json::Value {
    json!({
        "meta": metadata(env),
        "problem": {"rows": rows, "cols": cols, "convention": convention, "penalty": penalty},
        "lambda_abs": lambda,
        "lambda_rel": lambda / lambda_max,
        "lambda_max": lambda_max,
        "solver": r.solver,
        "L": r.lipschitz,
        "gamma": r.gamma,
        "iterations": r.iterations,
        "converged": r.converged,
        "interrupted": r.interrupted,
        "objective": r.objective,
        "duality_gap": r.gap,
        "kkt_violation": r.kkt,
        "fixed_point_residual": r.residual,
        "nnz": r.nnz,
        "restarts": r.restarts,
        "wall_seconds": wall,
        // Coordinate descent runs on one thread; the gradient methods on the whole pool.
        "threads": threads,
    })
}

pub fn lasso(env: &Env, a: &LassoArgs) -> Result<()> {
    let convention: Convention = a.convention.parse()?;
    let spec = a.penalty.spec();
    if !(a.tau.is_finite() && a.tau > 0.0) {
        bail!("--tau must be finite and > 0, got {}", a.tau);
    }
    let h = a.dt / a.tau;
    let solver = a.solver.map(|s| match s {
        SolverKind::Cd => Solver::Cd,
        SolverKind::Ista => Solver::Generic(Method::Ista),
        SolverKind::Fista => Solver::Generic(Method::Fista { restart: a.restart }),
        SolverKind::Pgd => Solver::Generic(Method::Pgd { h }),
        SolverKind::Lca => Solver::Generic(Method::Lca { h }),
    });
    let dynamics = matches!(a.solver, Some(SolverKind::Pgd | SolverKind::Lca));
    let max_iter = match a.t_end {
        Some(t) if dynamics => {
            if !(t.is_finite() && t > 0.0) {
                bail!("--t-end must be finite and > 0, got {t}");
            }
            (t / a.dt).round().max(1.0) as usize
        }
        _ => a.max_iter,
    };
    let opts = Options {
        limits: RunLimits::steps(max_iter).with_tol(a.tol),
        gamma: a.gamma,
        backtracking: a.backtracking,
        trace: a.trace.is_some() || a.plot.is_some(),
        allow_overrelaxation: a.allow_overrelaxation,
        stop: env.stop.clone(),
        ..Options::default()
    };
    let (rows, cols, data, y, source) = match (&a.data, &a.target) {
        (Some(d), Some(t)) => {
            let (x, y) = read_design(d, t)?;
            (x.rows, x.cols, x.data, y, d.display().to_string())
        }
        _ => {
            let fx = sm_lasso(42, 500, 2000, 50)?;
            let (n, p, x) = (fx.x.nrows(), fx.x.ncols(), &fx.x);
            let data = (0..n).flat_map(|i| (0..p).map(move |j| x[(i, j)])).collect();
            (n, p, data, fx.y, "SM-LASSO fixture (seed 42, 500 × 2000)".into())
        }
    };
    let threads = if reads_columns(&spec, solver) { 1 } else { rayon::current_num_threads() };
    let start = Instant::now();
    let fitted = fit_rows(rows, cols, &data, y, convention, &spec, a.penalty.lambda_rel, solver, &opts)?;
    let (r, lambda, lambda_max) = (&fitted.report, fitted.lambda, fitted.lambda_max);
    let wall = start.elapsed().as_secs_f64();
    if !r.converged && !r.interrupted && a.tol > 0.0 && !env.quiet {
        eprintln!(
            "warning: the budget of {} iterations ran out before the tolerance {} was met",
            opts.limits.max_steps, a.tol
        );
    }
    let summary = summary_json(env, r, (rows, cols, convention, threads), &fitted.penalty, lambda, lambda_max, wall);
    if let Some(out) = &a.out {
        write_npy_f64(out, r.x.len(), 1, &r.x)?;
    }
    if let Some(t) = &a.trace {
        write_csv(t, &[], &r.trace)?;
    }
    if let Some(stem) = &a.plot {
        let pts = r.trace.iter().map(|t| (t.t, t.objective)).collect();
        let chart = Chart {
            stem: String::new(),
            title: format!("{} on {}", r.solver, fitted.penalty),
            x_label: if dynamics { "t/τ".into() } else { "iteration".into() },
            y_label: "objective F".into(),
            series: vec![Series::line(r.solver.clone(), pts)],
            vlines: vec![],
            log_y: true,
        };
        plot::chart(stem, &chart)?;
    }
    a.output.emit(&summary, false)?;
    if a.output.prints_text(env) {
        println!("{source}: {} with {} ({} convention)", r.solver, fitted.penalty, convention);
        // Coordinate descent takes no gradient step: its γ only scales the residual check.
        let steps = if r.solver == "cd" {
            String::new()
        } else {
            format!(", L = {}, γ = {:.6e}", r.lipschitz.map_or("given step".into(), |l| format!("{l:.6}")), r.gamma)
        };
        println!("  λ = {lambda:.6e} (λ/λ_max = {:.4}){steps}", lambda / lambda_max);
        println!(
            "  objective {:.15}, duality gap {}, KKT {}, nnz {}, {} iterations{}, {:.3} s",
            r.objective,
            r.gap.map_or("n/a".into(), |g| format!("{g:.2e}")),
            r.kkt.map_or("n/a".into(), |k| format!("{k:.2e}")),
            r.nnz,
            r.iterations,
            if r.converged { "" } else { " (not converged)" },
            wall
        );
    }
    if r.interrupted {
        bail!("interrupted after {} iterations; the last iterate was written", r.iterations);
    }
    Ok(())
}

pub fn fixture(a: &FixtureArgs) -> Result<()> {
    let fx = sm_lasso(a.fixture_seed, a.n, a.p, a.k)?;
    let dir = out_dir(&a.out_dir)?;
    let mut rm = Vec::with_capacity(a.n * a.p);
    for i in 0..a.n {
        rm.extend((0..a.p).map(|j| fx.x[(i, j)]));
    }
    write_npy_f64(&dir.join("X.npy"), a.n, a.p, &rm)?;
    write_npy_f64(&dir.join("y.npy"), a.n, 1, &fx.y)?;
    write_npy_f64(&dir.join("w_true.npy"), a.p, 1, &fx.w_true)?;
    write_json(
        &dir.join("meta.json"),
        &json!({"fixture": "SM-LASSO", "generator": "SplitMix64", "seed": a.fixture_seed, "n": a.n, "p": a.p, "k": a.k,
                "recipe": "X_ij = sqrt(3)(2u - 1) row-major, then noise e_i = 0.1 sqrt(3)(2u - 1); w_true[40j] = (-1)^j (1 + j/(k-1)); y = X w_true + e"}),
    )?;
    println!("wrote X.npy, y.npy, w_true.npy, meta.json to {}", dir.display());
    Ok(())
}

#[derive(Args, Debug)]
pub struct CodeArgs {
    /// Dictionary D (atoms × features, .npy or text). Default: random unit-norm atoms.
    #[arg(long)]
    pub dict: Option<PathBuf>,
    /// Number of random atoms when no dictionary is given.
    #[arg(long, default_value_t = 256)]
    pub atoms: usize,
    /// Signals (rows × features).
    #[arg(long, conflicts_with = "mnist")]
    pub data: Option<PathBuf>,
    /// Code the MNIST t10k digits of this directory (pixels / 255).
    #[arg(long)]
    pub mnist: Option<PathBuf>,
    /// With --mnist: how many digits.
    #[arg(long, default_value_t = 10_000)]
    pub count: usize,
    /// ℓ1 weight α of ½‖x − cD‖² + α‖c‖₁ (scikit-learn's sparse_encode alpha).
    #[arg(long, default_value_t = 0.1)]
    pub lambda: f64,
    #[arg(long, value_enum, default_value = "cd")]
    pub solver: CodeSolverKind,
    /// Iterations (FISTA, LCA) or epoch budget per signal (CD).
    #[arg(long, default_value_t = 300)]
    pub steps: usize,
    /// Relative duality gap per signal: CD's stopping rule, FISTA's early exit when > 0.
    #[arg(long, default_value_t = 1e-8)]
    pub tol: f64,
    /// Precision of FISTA's products, f32 or f64 (gaps are always checked in f64).
    #[arg(long, default_value = "f32")]
    pub precision: String,
    /// LCA Euler step dt/τ.
    #[arg(long, default_value_t = 1.0)]
    pub dt: f64,
    #[arg(long)]
    pub nonneg: bool,
    /// Signals per parallel chunk.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Write the codes (rows × atoms) as .npy.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: crate::output::JsonOut,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum CodeSolverKind {
    Cd,
    Fista,
    Lca,
}

pub fn code(env: &Env, a: &CodeArgs) -> Result<()> {
    let (signals, rows, dim) = match (&a.data, &a.mnist) {
        (Some(p), None) => {
            let m = read_matrix(p)?;
            (m.data, m.rows, m.cols)
        }
        (None, Some(dir)) => {
            let images = ebdm::data::idx::read_images(&dir.join("t10k-images-idx3-ubyte.gz"))
                .or_else(|_| ebdm::data::idx::read_images(&dir.join("t10k-images-idx3-ubyte")))?;
            let count = a.count.min(images.count);
            let d = images.pixels_per_image();
            (images.pixels[..count * d].iter().map(|&p| p as f64 / 255.0).collect(), count, d)
        }
        _ => bail!("give the signals with --data FILE or --mnist DIR"),
    };
    let dict = match &a.dict {
        Some(p) => {
            let m = read_matrix(p)?;
            if m.cols != dim {
                bail!("the dictionary atoms have {} features but the signals have {dim}", m.cols);
            }
            Dictionary::new(m.rows, m.cols, m.data)?
        }
        None => {
            Dictionary::new(a.atoms, dim, ebdm::proximal::reconstruction::random_dictionary(a.atoms, dim, env.seed)?)?
        }
    };
    let solver = match a.solver {
        CodeSolverKind::Cd => CodingSolver::Cd,
        CodeSolverKind::Fista => CodingSolver::Fista,
        CodeSolverKind::Lca => CodingSolver::Lca,
    };
    let opts = CodingOptions {
        solver,
        limits: RunLimits::steps(a.steps).with_tol(a.tol),
        h: a.dt,
        nonneg: a.nonneg,
        chunk: a.batch,
        precision: a.precision.parse()?,
        stop: env.stop.clone(),
    };
    let start = Instant::now();
    let codes = encode(&dict, &signals, rows, a.lambda, &opts)?;
    let wall = start.elapsed().as_secs_f64();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let worst_gap = codes.gaps.iter().zip(&codes.objectives).map(|(g, p)| g / p).fold(0.0, f64::max);
    if let Some(out) = &a.out {
        write_npy_f64(out, rows, dict.atoms(), &codes.codes)?;
    }
    let summary = json!({
        "meta": metadata(env), "signals": rows, "features": dim, "atoms": dict.atoms(), "alpha": a.lambda,
        "solver": solver, "steps": a.steps, "mean_objective": mean(&codes.objectives), "worst_relative_gap": worst_gap,
        "mean_nnz": codes.mean_nnz(), "mean_residual": mean(&codes.residuals), "wall_seconds": wall, "threads": env.threads,
        "interrupted": codes.interrupted,
    });
    a.output.emit(&summary, false)?;
    if a.output.prints_text(env) {
        println!(
            "{rows} signals × {} atoms, α = {}: mean objective {:.6}, worst relative gap {worst_gap:.1e}, mean nnz {:.2}, mean residual {:.4}, {wall:.3} s",
            dict.atoms(),
            a.lambda,
            mean(&codes.objectives),
            codes.mean_nnz(),
            mean(&codes.residuals)
        );
    }
    if codes.interrupted {
        bail!("interrupted; the codes computed so far were written");
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ProxArgs {
    #[command(flatten)]
    pub penalty: PenaltyArgs,
    /// Step γ.
    #[arg(long, default_value_t = 1.0)]
    pub gamma: f64,
    /// Input vectors, one per row (.npy or text).
    #[arg(long = "in")]
    pub input: PathBuf,
    #[arg(long, default_value = "prox.npy")]
    pub out: PathBuf,
}

pub fn prox_cmd(a: &ProxArgs) -> Result<()> {
    if !(a.gamma.is_finite() && a.gamma > 0.0) {
        bail!("--gamma must be finite and > 0, got {}", a.gamma);
    }
    let m = read_matrix(&a.input)?;
    ebdm::proximal::problem::check_all_finite("input", &m.data)?;
    let g = a.penalty.spec().build(a.penalty.lambda, m.cols)?;
    let mut out = vec![0.0; m.data.len()];
    for (v, o) in m.data.chunks(m.cols).zip(out.chunks_mut(m.cols)) {
        g.prox(v, a.gamma, o);
    }
    write_npy_f64(&a.out, m.rows, m.cols, &out)?;
    println!("applied prox of {} (γ = {}) to {} rows; wrote {}", g.describe(), a.gamma, m.rows, a.out.display());
    Ok(())
}

#[derive(Args, Debug)]
pub struct PiPgdArgs {
    /// W (n × n, symmetric PSD). Default: the spec's 10 × 10 problem drawn from --seed.
    #[arg(long, requires_all = ["eq_a", "eq_b"])]
    pub quad: Option<PathBuf>,
    #[arg(long)]
    pub eq_a: Option<PathBuf>,
    #[arg(long)]
    pub eq_b: Option<PathBuf>,
    #[arg(long, default_value_t = 1.0)]
    pub lambda: f64,
    #[arg(long, default_value_t = 20.0)]
    pub kp: f64,
    #[arg(long, default_value_t = 20.0)]
    pub ki: f64,
    #[arg(long, default_value_t = 0.01)]
    pub dt: f64,
    #[arg(long, default_value_t = 30.0)]
    pub t_end: f64,
    #[arg(long)]
    pub gamma: Option<f64>,
    #[command(flatten)]
    pub output: crate::output::JsonOut,
}

pub fn pi_pgd_cmd(env: &Env, a: &PiPgdArgs) -> Result<()> {
    let (f, am, b) = match (&a.quad, &a.eq_a, &a.eq_b) {
        (Some(w), Some(am), Some(b)) => {
            let w = read_matrix(w)?;
            let am = read_matrix(am)?;
            let b = column(&read_matrix(b)?)?;
            let wm = ebdm::faer::Mat::<f64>::from_fn(w.rows, w.cols, |i, j| w.data[i * w.cols + j]);
            let amat = ebdm::faer::Mat::<f64>::from_fn(am.rows, am.cols, |i, j| am.data[i * am.cols + j]);
            (Quadratic::new(wm, vec![0.0; w.rows])?, amat, b)
        }
        _ => px::pi_pgd_problem(env.seed)?,
    };
    let opts = PiPgdOptions {
        gamma: a.gamma,
        kp: a.kp,
        ki: a.ki,
        dt: a.dt,
        t_end: a.t_end,
        stop: env.stop.clone(),
        ..PiPgdOptions::default()
    };
    let r = pi_pgd(&f, &prox::L1::new(a.lambda)?, &am, &b, &opts)?;
    let summary = json!({"meta": metadata(env), "gamma": r.gamma, "steps": r.steps, "objective": r.objective,
        "constraint_violation": r.violation, "stationarity_residual": r.residual, "x": r.x, "nu": r.nu, "interrupted": r.interrupted});
    a.output.emit(&summary, false)?;
    if a.output.prints_text(env) {
        println!(
            "PI-PGD, γ = {:.5}, {} steps: objective {:.8}, ‖Ax − b‖ = {:.2e}, stationarity residual {:.2e}",
            r.gamma, r.steps, r.objective, r.violation, r.residual
        );
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct PhaseCurveArgs {
    /// Nonnegative signals (ζ = 1) instead of signed (ζ = 2).
    #[arg(long)]
    pub nonneg: bool,
    /// δ values: a list `0.1,0.25` or a range `start:stop:step`.
    #[arg(long, default_value = "0.05:0.95:0.05")]
    pub delta: String,
}

fn parse_grid(s: &str) -> Result<Vec<f64>> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() == 3 {
        let v: Vec<f64> = parts
            .iter()
            .map(|p| p.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .with_context(|| format!("bad range `{s}`"))?;
        if !(v[2] > 0.0 && v[1] >= v[0]) {
            bail!("range `{s}` needs start ≤ stop and step > 0");
        }
        let n = ((v[1] - v[0]) / v[2] + 1e-9).floor() as usize;
        return Ok((0..=n).map(|i| v[0] + i as f64 * v[2]).collect());
    }
    s.split(',').map(|p| p.trim().parse::<f64>().with_context(|| format!("bad number `{p}` in `{s}`"))).collect()
}

pub fn phase_curve(a: &PhaseCurveArgs) -> Result<()> {
    println!("delta,rho_se_{}", if a.nonneg { "nonneg" } else { "signed" });
    for d in parse_grid(&a.delta)? {
        println!("{d:.4},{:.6}", phase::rho_se(d, !a.nonneg)?);
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct PhaseArgs {
    /// Signal length N.
    #[arg(long = "signal", default_value_t = 400)]
    pub signal: usize,
    #[arg(long, value_delimiter = ',', default_value = "0.25,0.5")]
    pub deltas: Vec<f64>,
    /// Sparsity k as multiples of ρ_SE(δ)·n.
    #[arg(long, value_delimiter = ',', default_value = "0.7,0.85,1,1.15,1.3")]
    pub fractions: Vec<f64>,
    #[arg(long, default_value_t = 20)]
    pub trials: usize,
    #[arg(long)]
    pub nonneg: bool,
    #[arg(long, default_value = "results/phase")]
    pub out: PathBuf,
}

pub fn phase_cmd(env: &Env, a: &PhaseArgs) -> Result<ebdm::experiment::Outcome> {
    let cfg = PhaseConfig {
        signal: a.signal,
        deltas: a.deltas.clone(),
        fractions: a.fractions.clone(),
        trials: a.trials,
        nonneg: a.nonneg,
        ..PhaseConfig::a10()
    };
    if cfg.signal < 2 || cfg.trials == 0 {
        bail!("need --signal ≥ 2 and --trials ≥ 1");
    }
    crate::experiments::run_and_render(env, &a.out, "sparse recovery phase transition", |ctx| {
        ctx.harness.begin("trials", (cfg.deltas.len() * cfg.fractions.len() * cfg.trials) as u64);
        px::a10(&cfg, ctx.harness)
    })
}

pub fn run(env: &Env, cmd: &ProximalCommand) -> Result<Option<ebdm::experiment::Outcome>> {
    match cmd {
        ProximalCommand::Fixture(a) => fixture(a)?,
        ProximalCommand::Lasso(a) => lasso(env, a)?,
        ProximalCommand::Code(a) => code(env, a)?,
        ProximalCommand::Prox(a) => prox_cmd(a)?,
        ProximalCommand::PiPgd(a) => pi_pgd_cmd(env, a)?,
        ProximalCommand::PhaseCurve(a) => phase_curve(a)?,
        ProximalCommand::Phase(a) => return Ok(Some(phase_cmd(env, a)?)),
    }
    Ok(None)
}
