//! `ebdm sweep`: run a sweep file's tasks (all, or one shard of a job array), show how far it
//! got, and merge the shards into one results file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use ebdm::sweep::{self, Shard, ShardFile, Sweep};

use crate::output::{progress, Env};

#[derive(Subcommand, Debug)]
pub enum SweepCommand {
    /// Run the tasks of a sweep file that have no result yet: all of them, or those of one
    /// shard (`--shard I/N`, for the I-th job of an array of N). Results are appended to
    /// OUT/tasks-I-of-N.jsonl as tasks finish, so an interrupted run resumes where it stopped.
    /// The sweep's seed is in the file; `--seed` does not apply.
    Run(RunArgs),
    /// Merge every shard file of a sweep into OUT/merged.jsonl (task order, no timings): the
    /// same bytes however the tasks were split and wherever they ran.
    Merge {
        /// The sweep file (TOML).
        file: PathBuf,
        /// Results directory (default: results/sweeps/NAME).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the tasks that have results even if some are missing.
        #[arg(long)]
        partial: bool,
    },
    /// How many tasks of a sweep have results, per shard file, and which are missing.
    Status {
        /// The sweep file (TOML).
        file: PathBuf,
        /// Results directory (default: results/sweeps/NAME).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the status as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the studies a sweep can run, with their parameters (any `ebdm reproduce` id can be
    /// run as `experiment = "ID"` with the parameter `quick`).
    List,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The sweep file (TOML): `study = "…"`, `experiment = "…"` or `command = ["program",
    /// "--x", "{x}", "--seed", "{seed}"]` (with `result_keys` to keep only some keys of the JSON
    /// it prints), `seed`, `replicates` or `seeds`, a `[fixed]` table and a `[grid]` table of
    /// parameter lists.
    pub file: PathBuf,
    /// Run only shard I of N (tasks t with t mod N = I − 1), e.g. `--shard
    /// $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT` with `--array=1-N`.
    #[arg(long, default_value = "1/1")]
    pub shard: Shard,
    /// Results directory (default: results/sweeps/NAME).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Directory holding the bundled data sets (`gset/`, `mnist/`).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

fn out_dir(sweep: &Sweep, out: &Option<PathBuf>) -> PathBuf {
    out.clone().unwrap_or_else(|| sweep::default_out(sweep))
}

fn describe(sweep: &Sweep) -> String {
    format!(
        "sweep `{}` ({}): {} tasks ({} cells × {} replicates)",
        sweep.name,
        sweep.target.describe(),
        sweep.tasks(),
        sweep.cells(),
        sweep.replicates()
    )
}

/// Runs a sweep command; the exit code is 130 when a run was interrupted.
pub fn run(env: &Env, cmd: &SweepCommand) -> Result<ExitCode> {
    match cmd {
        SweepCommand::Run(a) => run_tasks(env, a),
        SweepCommand::Merge { file, out, partial } => {
            let sweep = Sweep::read(file)?;
            let dir = out_dir(&sweep, out);
            let r = sweep::merge(&dir, &sweep, *partial)?;
            println!("{}", describe(&sweep));
            let files = if r.files == 1 { "file" } else { "files" };
            println!("merged {} records from {} shard {files} into {}", r.records, r.files, r.path.display());
            if !r.missing.is_empty() {
                println!("{} tasks have no result yet (run `ebdm sweep status` for the list)", r.missing.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        SweepCommand::Status { file, out, json } => {
            let sweep = Sweep::read(file)?;
            status(&sweep, &out_dir(&sweep, out), *json)?;
            Ok(ExitCode::SUCCESS)
        }
        SweepCommand::List => {
            list();
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_tasks(env: &Env, a: &RunArgs) -> Result<ExitCode> {
    let sweep = Sweep::read(&a.file)?;
    let dir = out_dir(&sweep, &a.out);
    let mut file = ShardFile::open(&dir, &sweep, a.shard)?;
    let pending = file.pending().len();
    let held = a.shard.tasks(sweep.tasks()).count();
    if !env.quiet {
        println!("{}", describe(&sweep));
        println!(
            "shard {} holds {held} tasks: {} done before, {pending} to run on {} threads",
            a.shard,
            held - pending,
            env.threads
        );
    }
    let bar = progress(env, pending as u64, "tasks");
    let ran = sweep::run_shard(&sweep, &mut file, &env.stop, a.data.as_deref(), &|_| bar.inc(1));
    bar.finish_and_clear();
    let ran = ran?;
    let left = file.pending().len();
    if env.stop.is_raised() && left > 0 {
        eprintln!(
            "interrupted: {ran} tasks finished now and kept in {}; {left} left (run the same command again to resume)",
            file.path().display()
        );
        return Ok(ExitCode::from(130));
    }
    if !env.quiet {
        println!("{ran} tasks run; results in {}", file.path().display());
    }
    Ok(ExitCode::SUCCESS)
}

fn status(sweep: &Sweep, dir: &Path, json: bool) -> Result<()> {
    let st = sweep::status(dir, sweep)?;
    if json {
        let mut v = serde_json::Map::new();
        v.insert("name".into(), sweep.name.clone().into());
        if let serde_json::Value::Object(fields) = serde_json::to_value(&st)? {
            v.extend(fields);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{}", describe(sweep));
    println!("{} of {} tasks have results in {}", st.done, st.tasks, dir.display());
    for s in &st.shards {
        let cut = if s.partial_tail { " (last line cut short; dropped on resume)" } else { "" };
        println!("  shard {:>7}: {:>6} of {:>6} tasks{cut}", s.shard.to_string(), s.records, s.tasks);
    }
    if !st.missing.is_empty() {
        let first: Vec<String> = st.missing.iter().take(20).map(usize::to_string).collect();
        let more = if st.missing.len() > 20 { ", …" } else { "" };
        println!("missing: {}{more}", first.join(", "));
    }
    match &st.merged {
        Some(p) => println!("merged file: {}", p.display()),
        None if st.missing.is_empty() && st.tasks > 0 => {
            println!("complete; `ebdm sweep merge` writes the merged file")
        }
        None => {}
    }
    Ok(())
}

fn list() {
    for s in sweep::STUDIES {
        println!("{}: {}", s.id, s.title);
        for p in s.params {
            let default = p.default_value();
            let range = match (p.range, p.choices) {
                (Some((lo, hi)), _) => format!(" in [{lo}, {hi}]"),
                (None, c) if !c.is_empty() => format!(" one of {}", c.join(", ")),
                _ => String::new(),
            };
            println!("  {:<12} {} (default {default}{range}): {}", p.name, p.kind(), p.help);
        }
        println!("  results: {}", s.results);
        println!();
    }
    println!("experiment = \"ID\": any acceptance experiment of `ebdm reproduce --list`");
    for p in sweep::EXPERIMENT_PARAMS {
        println!("  {:<12} {} (default {}): {}", p.name, p.kind(), p.default_value(), p.help);
    }
    println!("  results: passed, values (the experiment's named results), checks");
    println!();
    println!("command = [\"program\", \"--x\", \"{{x}}\", \"--seed\", \"{{seed}}\"]: any program, once per task");
    println!("  parameters: the {{name}} placeholders of the command ({{seed}} and {{task}} are filled in)");
    println!(
        "  results: the JSON the program prints (its last line, or all of it); result_keys = [...] keeps some keys"
    );
}
