//! The `ebdm` command-line tool.
//!
//! Exit codes: 0 success; 1 an experiment ran but a check failed; 2 bad input (arguments,
//! files, parameters); 130 interrupted by Ctrl-C (partial results are kept).

mod boltzmann;
mod chaos;
mod classify;
mod demo;
mod experiments;
mod ising;
mod lagrangian;
mod memory;
mod output;
mod plot;
mod proximal;
mod reproduce;
mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use ebdm::memory::experiments::registry as mx;
use ebdm::memory::experiments::{
    basin::BasinConfig, capacity::CapacityConfig, graded_limit::GradedConfig, recall::RecallConfig,
};

use crate::output::Env;

/// ebdm: energy-based dynamical models (associative memories, proximal-descent dynamics).
#[derive(Parser, Debug)]
#[command(name = "ebdm", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Master seed; every random choice derives from (seed, task index).
    #[arg(long, global = true, default_value_t = 0)]
    seed: u64,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    /// No progress bars and no tables on standard output.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Associative memories: classical Hopfield networks (store, corrupt, retrieve), dense
    /// associative memories (dam), pictures and experiments.
    #[command(subcommand)]
    Memory(Box<MemoryCommand>),
    /// Proximal-descent dynamics and sparse reconstruction: Lasso-type problems (coordinate
    /// descent, ISTA, FISTA, PGD and LCA dynamics), proximal operators, batched sparse coding,
    /// PI-PGD for equality constraints, phase transitions.
    #[command(subcommand, alias = "sparse")]
    Proximal(Box<proximal::ProximalCommand>),
    /// MaxCut on a G-set/rudy graph with an Ising-machine solver (annealing, simulated
    /// bifurcation, oscillator Ising machine, greedy): best cut, time to best, gap to best known.
    Maxcut(Box<ising::SolveArgs>),
    /// Minimise an Ising energy H = −½ sᵀJs − hᵀs + c given in the ebdm text format.
    Ising(Box<ising::SolveArgs>),
    /// Minimise a QUBO f(x) = Σ Q_ii x_i + Σ_{i<j} Q_ij x_i x_j + q0 given in the ebdm text format.
    Qubo(Box<ising::SolveArgs>),
    /// Generate instances.
    #[command(subcommand)]
    Gen(GenCommand),
    /// Restricted Boltzmann machines: train (CD-k, PCD, parallel tempering), evaluate
    /// (exact or AIS log-likelihood, pseudo-likelihood), sample.
    #[command(subcommand, alias = "rbm")]
    Boltzmann(Box<boltzmann::BoltzmannCommand>),
    /// Random recurrent networks at the edge of chaos: the dynamical mean-field theory (c0,
    /// λ_max, autocorrelation, noise-shifted transition) and the static theory of fixed points
    /// for elliptic couplings.
    #[command(subcommand)]
    Chaos(chaos::ChaosCommand),
    /// Run an acceptance experiment of the specifications and print PASS/FAIL per criterion.
    Reproduce {
        /// Experiment id such as memory/E1, or `all`.
        id: Option<String>,
        /// List the experiments.
        #[arg(long)]
        list: bool,
        /// Smaller settings for a quick look (the checks may be less sharp).
        #[arg(long)]
        quick: bool,
        /// Output directory.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Directory holding the bundled data sets (`mnist/`, `gset/`). Default: `EBDM_DATA`,
        /// else `data/` in the working directory or a directory above it, else the source tree.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Sweeps: a grid of parameters × seeds over a study or an acceptance experiment, run whole
    /// or as shards of a job array (Slurm), resumable, merged into one results file.
    #[command(subcommand)]
    Sweep(sweep::SweepCommand),
    /// Store MNIST digits, retrieve them from corrupted cues, draw cue → retrieved and a
    /// capacity curve.
    Demo {
        /// Directory with the MNIST t10k IDX files.
        #[arg(long, default_value = "data/mnist")]
        data: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "results/demo")]
        out: PathBuf,
        /// Fraction of pixels flipped in each cue.
        #[arg(long, default_value_t = 0.2)]
        rho: f64,
    },
}

#[derive(Subcommand, Debug)]
enum GenCommand {
    /// A complete graph with ±1 weights drawn from the seeded stream (like K2000, not K2000),
    /// written as a rudy file.
    K2000Like {
        /// Number of vertices.
        #[arg(long, default_value_t = 2000)]
        n: usize,
        /// Output file.
        #[arg(short, long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum MemoryCommand {
    /// Learn weights from patterns and write them as an N×N .npy file.
    Store {
        #[command(flatten)]
        src: memory::PatternSource,
        #[command(flatten)]
        dynamics: memory::DynamicsArgs,
        /// Output .npy file for the weights.
        #[arg(long, default_value = "weights.npy")]
        out: PathBuf,
    },
    /// Flip ⌊ρN⌋ random bits of every pattern and write the cues as .npy.
    Corrupt {
        #[command(flatten)]
        src: memory::PatternSource,
        /// Fraction of bits to flip, in [0, 1].
        #[arg(long, default_value_t = 0.1)]
        rho: f64,
        #[arg(long, default_value = "cues.npy")]
        out: PathBuf,
    },
    /// Retrieve stored patterns from cues (given, or made by corrupting the patterns).
    Retrieve {
        #[command(flatten)]
        src: memory::PatternSource,
        #[command(flatten)]
        dynamics: memory::DynamicsArgs,
        #[command(flatten)]
        args: memory::RetrieveArgs,
    },
    /// Retrieve stored patterns in a dense associative memory (polynomial, rectified,
    /// exponential or log-sum-exp separation).
    Dam {
        #[command(flatten)]
        src: memory::PatternSource,
        #[command(flatten)]
        dam: memory::DamArgs,
        #[command(flatten)]
        args: memory::RetrieveArgs,
    },
    /// Batched retrieval in a modern continuous Hopfield network, q ← Ξᵀ softmax(βΞq).
    Modern {
        #[command(flatten)]
        args: memory::ModernArgs,
    },
    /// Retrieval in a two-layer Lagrangian memory (Krotov–Hopfield 2021): feature and memory
    /// neurons with chosen Lagrangians, dynamics integrated from corrupted cues.
    Lagrangian {
        #[command(flatten)]
        args: lagrangian::LagrangianArgs,
    },
    /// Dense associative memory trained as an image classifier (Krotov & Hopfield 2016):
    /// train, evaluate.
    #[command(subcommand)]
    Classify(classify::ClassifyCommand),
    /// Draw patterns as images.
    Show {
        #[command(flatten)]
        src: memory::PatternSource,
        /// Image width (default: 28 for MNIST).
        #[arg(long)]
        width: Option<usize>,
        #[arg(long, default_value = "patterns.png")]
        out: PathBuf,
    },
    /// Capacity sweep (spec E1): P(final m > 0.9) against the load α for each N.
    Capacity {
        /// Network sizes.
        #[arg(long, value_delimiter = ',', default_value = "500,1000,2000,4000")]
        neurons: Vec<usize>,
        /// Loads α = K/N.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "0.10,0.12,0.13,0.14,0.145,0.15,0.155,0.16,0.165,0.17,0.175,0.18,0.20"
        )]
        alphas: Vec<f64>,
        /// Trials per (N, α): one value for all sizes, or one per size.
        #[arg(long, value_delimiter = ',', default_value = "100,100,50,24")]
        trials: Vec<usize>,
        /// Fraction of bits flipped in the starting cue (0: start at the pattern).
        #[arg(long, default_value_t = 0.0)]
        rho: f64,
        #[arg(long, default_value = "results/capacity")]
        out: PathBuf,
    },
    /// Exact-recall scaling (spec E2): fraction of patterns that are fixed points.
    Recall {
        #[arg(long, default_value_t = 1000)]
        neurons: usize,
        #[arg(long, value_delimiter = ',', default_value = "36,72,100,138")]
        patterns: Vec<usize>,
        #[arg(long, default_value_t = 20)]
        networks: usize,
        #[arg(long, default_value = "results/recall")]
        out: PathBuf,
    },
    /// Basins of attraction (spec E3): P(final m > 0.9) over loads and corruption levels.
    Basin {
        #[arg(long, default_value_t = 1000)]
        neurons: usize,
        #[arg(long, value_delimiter = ',', default_value = "0.05,0.10,0.13")]
        alphas: Vec<f64>,
        #[arg(long, value_delimiter = ',', default_value = "0.1,0.2,0.3,0.4")]
        rhos: Vec<f64>,
        #[arg(long, default_value_t = 60)]
        trials: usize,
        #[arg(long, default_value = "results/basin")]
        out: PathBuf,
    },
    /// Graded (1984) Hopfield network checks (spec E8): energy descent, Lyapunov identity,
    /// high-gain limit against the binary network.
    Graded {
        #[arg(long, default_value_t = 64)]
        neurons: usize,
        #[arg(long, default_value_t = 4)]
        patterns: usize,
        /// Gain λ of g(u) = tanh(λu).
        #[arg(long, default_value_t = 100.0)]
        gain: f64,
        /// RK4 step.
        #[arg(long, default_value_t = 0.01)]
        dt: f64,
        /// Fraction of bits flipped in the cue.
        #[arg(long, default_value_t = 0.15)]
        rho: f64,
        #[arg(long, default_value_t = 20)]
        seeds: usize,
        #[arg(long, default_value = "results/graded")]
        out: PathBuf,
    },
}

fn check_ok(outcome: ebdm::experiment::Outcome) -> Result<ExitCode> {
    if outcome.interrupted {
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}

fn interrupted_code(interrupted: bool) -> Result<ExitCode> {
    Ok(if interrupted { ExitCode::from(130) } else { ExitCode::SUCCESS })
}

fn run(cli: Cli, env: &Env) -> Result<ExitCode> {
    match cli.command {
        Command::Memory(cmd) => match *cmd {
            MemoryCommand::Store { src, dynamics, out } => memory::store(env, &src, &dynamics, &out)?,
            MemoryCommand::Corrupt { src, rho, out } => memory::corrupt_cmd(env, &src, rho, &out)?,
            MemoryCommand::Retrieve { src, dynamics, args } => memory::retrieve(env, &src, &dynamics, &args)?,
            MemoryCommand::Dam { src, dam, args } => memory::dam(env, &src, &dam, &args)?,
            MemoryCommand::Modern { args } => memory::modern(env, &args)?,
            MemoryCommand::Lagrangian { args } => lagrangian::run(env, &args)?,
            MemoryCommand::Classify(c) => match c {
                classify::ClassifyCommand::Train(a) => return check_ok(classify::train(env, &a)?),
                classify::ClassifyCommand::Evaluate { model, data, heldout } => {
                    classify::evaluate(env, &model, &data, heldout)?
                }
            },
            MemoryCommand::Show { src, width, out } => memory::show(&src, width, &out)?,
            MemoryCommand::Capacity { neurons, alphas, trials, rho, out } => {
                let trials = if trials.len() == 1 { vec![trials[0]; neurons.len()] } else { trials };
                let cfg = CapacityConfig { neurons, alphas, trials, rho, ..CapacityConfig::e1() };
                return check_ok(experiments::run_and_render(env, &out, "capacity sweep", |ctx| {
                    mx::capacity_outcome(ctx, &cfg)
                })?);
            }
            MemoryCommand::Recall { neurons, patterns, networks, out } => {
                let cfg = RecallConfig { neurons, patterns, networks };
                return check_ok(experiments::run_and_render(env, &out, "exact-recall scaling", |ctx| {
                    mx::recall_outcome(ctx, &cfg)
                })?);
            }
            MemoryCommand::Basin { neurons, alphas, rhos, trials, out } => {
                let cfg = BasinConfig { neurons, alphas, rhos, trials };
                return check_ok(experiments::run_and_render(env, &out, "basins of attraction", |ctx| {
                    mx::basin_outcome(ctx, &cfg)
                })?);
            }
            MemoryCommand::Graded { neurons, patterns, gain, dt, rho, seeds, out } => {
                let cfg = GradedConfig {
                    neurons,
                    patterns,
                    gain,
                    dt,
                    rho,
                    seeds,
                    high_load_patterns: 0,
                    ..GradedConfig::e8()
                };
                return check_ok(experiments::run_and_render(env, &out, "graded Hopfield network", |ctx| {
                    mx::graded_outcome(ctx, &cfg)
                })?);
            }
        },
        Command::Proximal(cmd) => {
            if let Some(outcome) = proximal::run(env, &cmd)? {
                return check_ok(outcome);
            }
        }
        Command::Reproduce { id, list, quick, out, data } => {
            if list || id.is_none() {
                reproduce::list();
                return Ok(ExitCode::SUCCESS);
            }
            let pass = reproduce::run(env, id.as_deref().unwrap_or("all"), &out, quick, data.as_deref())?;
            return Ok(if pass { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        Command::Sweep(cmd) => return sweep::run(env, &cmd),
        Command::Chaos(cmd) => chaos::run(env, &cmd)?,
        Command::Demo { data, out, rho } => demo::run(env, &data, &out, rho)?,
        Command::Maxcut(args) => return interrupted_code(ising::solve_cmd(env, "maxcut", &args)?),
        Command::Ising(args) => return interrupted_code(ising::solve_cmd(env, "ising", &args)?),
        Command::Qubo(args) => return interrupted_code(ising::solve_cmd(env, "qubo", &args)?),
        Command::Gen(GenCommand::K2000Like { n, out }) => ising::gen_k2000_like(n, cli.seed, &out)?,
        Command::Boltzmann(cmd) => match *cmd {
            boltzmann::BoltzmannCommand::Train(a) => return check_ok(boltzmann::train(env, &a)?),
            boltzmann::BoltzmannCommand::Eval(a) => boltzmann::eval(env, &a)?,
            boltzmann::BoltzmannCommand::Sample(a) => boltzmann::sample(env, &a)?,
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of standard output goes away
    // (`ebdm … | head`) instead of failing on the next print.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let stop = ebdm::engine::StopFlag::new();
    {
        let stop = stop.clone();
        // A second Ctrl-C while stopping kills the process as usual.
        let _ = ctrlc::set_handler(move || {
            if stop.is_raised() {
                std::process::exit(130);
            }
            stop.raise();
        });
    }
    let threads =
        if cli.threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { cli.threads };
    if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global() {
        eprintln!("error: cannot start {threads} threads: {e}");
        return ExitCode::from(2);
    }
    let env = Env { seed: cli.seed, threads, quiet: cli.quiet, stop: stop.clone() };
    match run(cli, &env) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if stop.is_raised() {
                ExitCode::from(130)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
