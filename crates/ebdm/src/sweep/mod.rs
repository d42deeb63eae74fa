//! Sweeps: a grid of parameters × seeds over a study or an acceptance experiment, cut into
//! deterministic tasks that any scheduler can run.
//!
//! A sweep file (TOML) names what each task runs and which values vary:
//!
//! ```toml
//! name = "hebb-recall"        # optional; default: the file's stem
//! study = "memory/recall"     # or: experiment = "memory/E1" (any `ebdm reproduce` id),
//!                             # or: command = ["prog", "--n", "{neurons}", "--seed", "{seed}"]
//! seed = 0                    # master seed (default 0)
//! replicates = 4              # tasks per grid cell (default 1), or: seeds = [0, 1, 2]
//!
//! [fixed]                     # parameters shared by every task
//! rule = "hebb"
//!
//! [grid]                      # every combination; the first key varies slowest
//! neurons = [100, 200]
//! patterns = [5, 10, 20]
//! ```
//!
//! The grid's cells are taken in order (the last key varies fastest) and each cell runs
//! `replicates` times: task `t` is cell `t / R`, replicate `t % R`. Its seed is the first number
//! of the stream `stream_path(seed, [SWEEP, t])`, or with `seeds = [...]` the replicate's listed
//! seed (so `experiment` tasks give exactly the numbers of `ebdm reproduce ID --seed S`). A task
//! therefore depends on (seed, task index) only, never on where or in which order it runs.
//!
//! A `command` runs a program per task, its `{name}` placeholders filled with the task's
//! parameters, `{seed}` and `{task}`, and takes the JSON it prints as the result ([`command`]).
//!
//! Results go to JSON-lines shard files ([`store`]); a shard `i/n` runs the tasks
//! `t ≡ i − 1 (mod n)`, and the merged file is the same bytes however the tasks were split.

pub mod command;
pub mod params;
pub mod store;
pub mod studies;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::RngCore;
use serde_json::{Map, Value};

use crate::engine::rng::stream_path;
use crate::engine::run::StopFlag;
use crate::error::{Error, Result};
use crate::experiment::{self, streams, Harness, RunContext};
pub use params::{Param, Params};
pub use store::{merge, status, MergeReport, Shard, ShardFile, ShardStatus, Status};
pub use studies::{Study, TaskContext, STUDIES};

/// The parameters an `experiment` task accepts.
pub const EXPERIMENT_PARAMS: &[Param] =
    &[Param::flag("quick", false, "run the experiment's quick settings instead of the full ones")];

/// Most tasks one sweep may have.
pub const MAX_TASKS: usize = 10_000_000;

/// What every task of a sweep runs.
#[derive(Clone)]
pub enum Target {
    Study(&'static Study),
    Experiment(&'static experiment::Entry),
    /// A program run with the task's parameters in its arguments.
    Command(Box<command::Command>),
}

impl Target {
    /// The declared parameters (`None` for a command: its placeholders are its parameters).
    fn params(&self) -> Option<&'static [Param]> {
        match self {
            Target::Study(s) => Some(s.params),
            Target::Experiment(_) => Some(EXPERIMENT_PARAMS),
            Target::Command(_) => None,
        }
    }

    /// "study `id`", "experiment `id`" or "command `…`".
    pub fn describe(&self) -> String {
        match self {
            Target::Study(s) => format!("study `{}`", s.id),
            Target::Experiment(e) => format!("experiment `{}`", e.id),
            Target::Command(c) => format!("command `{}`", c.template().join(" ")),
        }
    }

    /// The task parameters for `given` values: checked and completed with defaults for a study
    /// or an experiment, as given for a command.
    fn resolve(&self, given: &Map<String, Value>) -> std::result::Result<Map<String, Value>, String> {
        match self.params() {
            Some(declared) => params::resolve(declared, given, &self.describe()),
            None => Ok(given.clone()),
        }
    }
}

/// How the seeds of a cell's replicates are chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum Seeds {
    /// `replicates` tasks per cell, each seeded from (master seed, task index).
    Derived { seed: u64, replicates: usize },
    /// One task per listed seed, which the task uses as it is.
    Listed(Vec<u64>),
}

/// A parsed, checked sweep.
#[derive(Clone)]
pub struct Sweep {
    pub name: String,
    pub target: Target,
    pub seeds: Seeds,
    pub fixed: Map<String, Value>,
    pub grid: Vec<(String, Vec<Value>)>,
    /// The sweep as data, written into every results file's header.
    spec: Value,
    /// The TOML text and where it came from (a sweep sent to a worker is rebuilt from them).
    text: String,
    source: PathBuf,
}

/// One task: its index, parameters (every parameter of the target, defaults filled in), cell,
/// replicate and seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub index: usize,
    pub cell: usize,
    pub replicate: usize,
    pub seed: u64,
    pub params: Map<String, Value>,
}

fn invalid(source: &Path, reason: impl Into<String>) -> Error {
    Error::Format { path: source.to_path_buf(), reason: reason.into() }
}

impl Sweep {
    /// Reads and checks the sweep file at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|error| Error::Io { path: path.to_path_buf(), error })?;
        Self::parse(&text, path)
    }

    /// Parses and checks a sweep from TOML text; `source` names it in messages and gives the
    /// default name (its stem).
    pub fn parse(text: &str, source: &Path) -> Result<Self> {
        let doc: Value = toml::from_str(text).map_err(|e| invalid(source, format!("not a valid sweep file: {e}")))?;
        let doc = doc.as_object().ok_or_else(|| invalid(source, "a sweep file is a TOML table"))?;
        const KEYS: &[&str] =
            &["name", "study", "experiment", "command", "result_keys", "seed", "replicates", "seeds", "fixed", "grid"];
        if let Some(k) = doc.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(invalid(source, format!("unknown key `{k}`; a sweep file has {}", KEYS.join(", "))));
        }
        let string = |key: &str| -> Result<Option<&str>> {
            match doc.get(key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(v) => Err(invalid(source, format!("`{key}` must be a string, got {v}"))),
            }
        };
        let count = |key: &str| -> Result<Option<u64>> {
            match doc.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| invalid(source, format!("`{key}` must be a non-negative integer, got {v}"))),
            }
        };
        let strings = |key: &str| -> Result<Option<Vec<String>>> {
            match doc.get(key) {
                None => Ok(None),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .map(Some)
                    .ok_or_else(|| invalid(source, format!("`{key}` must be a list of strings"))),
                Some(v) => Err(invalid(source, format!("`{key}` must be a list of strings, got {v}"))),
            }
        };
        let result_keys = strings("result_keys")?;
        let target =
            match (string("study")?, string("experiment")?, strings("command")?) {
                (Some(s), None, None) => Target::Study(studies::find(s).map_err(|e| invalid(source, e.to_string()))?),
                (None, Some(e), None) => {
                    Target::Experiment(experiment::find(e).map_err(|e| invalid(source, e.to_string()))?)
                }
                (None, None, Some(args)) => Target::Command(Box::new(
                    command::Command::parse(&args, result_keys.clone()).map_err(|e| invalid(source, e))?,
                )),
                (None, None, None) => return Err(invalid(
                    source,
                    "name what each task runs: `study = \"…\"`, `experiment = \"…\"` or `command = [\"program\", …]`",
                )),
                _ => return Err(invalid(source, "give one of `study`, `experiment` and `command`, not several")),
            };
        if result_keys.is_some() && !matches!(target, Target::Command(_)) {
            return Err(invalid(source, "`result_keys` applies to a `command` only"));
        }
        let name = match string("name")? {
            Some(n) => n.to_string(),
            None => source.file_stem().and_then(|s| s.to_str()).unwrap_or("sweep").to_string(),
        };
        if name.is_empty() || name.contains(['/', '\\']) {
            return Err(invalid(source, format!("`name` must be non-empty and without slashes, got `{name}`")));
        }
        let seeds = match (doc.get("seeds"), count("replicates")?) {
            (Some(_), Some(_)) => return Err(invalid(source, "give either `seeds` or `replicates`, not both")),
            (Some(Value::Array(list)), None) => {
                let list: Option<Vec<u64>> = list.iter().map(Value::as_u64).collect();
                match list {
                    Some(l) if !l.is_empty() => Seeds::Listed(l),
                    _ => return Err(invalid(source, "`seeds` must be a non-empty list of non-negative integers")),
                }
            }
            (Some(v), None) => return Err(invalid(source, format!("`seeds` must be a list of seeds, got {v}"))),
            (None, r) => {
                let replicates = r.unwrap_or(1);
                if replicates == 0 {
                    return Err(invalid(source, "`replicates` must be at least 1"));
                }
                Seeds::Derived { seed: count("seed")?.unwrap_or(0), replicates: replicates as usize }
            }
        };
        if matches!(seeds, Seeds::Listed(_)) && doc.contains_key("seed") {
            return Err(invalid(source, "`seed` (the master seed) has no use with listed `seeds`"));
        }
        let table = |key: &str| -> Result<Map<String, Value>> {
            match doc.get(key) {
                None => Ok(Map::new()),
                Some(Value::Object(m)) => Ok(m.clone()),
                Some(v) => Err(invalid(source, format!("`{key}` must be a table, got {v}"))),
            }
        };
        let fixed = table("fixed")?;
        let mut grid = Vec::new();
        for (k, v) in table("grid")? {
            match v {
                Value::Array(values) if !values.is_empty() => grid.push((k, values)),
                _ => return Err(invalid(source, format!("grid parameter `{k}` must be a non-empty list of values"))),
            }
        }
        if let Some((k, _)) = grid.iter().find(|(k, _)| fixed.contains_key(k)) {
            return Err(invalid(source, format!("parameter `{k}` is both fixed and in the grid")));
        }
        // Every value of every parameter is checked now, before any task runs.
        match &target {
            Target::Command(c) => check_command_params(c, &fixed, &grid).map_err(|e| invalid(source, e))?,
            _ => {
                target.resolve(&fixed).map_err(|e| invalid(source, e))?;
                for (k, values) in &grid {
                    for v in values {
                        let one: Map<String, Value> = [(k.clone(), v.clone())].into_iter().collect();
                        target.resolve(&one).map_err(|e| invalid(source, format!("in the grid: {e}")))?;
                    }
                }
            }
        }
        let mut spec = Map::new();
        spec.insert("name".into(), Value::from(name.clone()));
        match &target {
            Target::Study(s) => {
                spec.insert("study".into(), Value::from(s.id));
            }
            Target::Experiment(e) => {
                spec.insert("experiment".into(), Value::from(e.id));
            }
            Target::Command(c) => {
                spec.insert("command".into(), Value::from(c.template()));
                if let Some(keys) = &c.result_keys {
                    spec.insert("result_keys".into(), Value::from(keys.clone()));
                }
            }
        }
        match &seeds {
            Seeds::Derived { seed, replicates } => {
                spec.insert("seed".into(), Value::from(*seed));
                spec.insert("replicates".into(), Value::from(*replicates));
            }
            Seeds::Listed(list) => {
                spec.insert("seeds".into(), Value::from(list.clone()));
            }
        }
        spec.insert("fixed".into(), Value::Object(fixed.clone()));
        spec.insert(
            "grid".into(),
            Value::Object(grid.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect()),
        );
        let sweep = Self {
            name,
            target,
            seeds,
            fixed,
            grid,
            spec: Value::Object(spec),
            text: text.to_string(),
            source: source.to_path_buf(),
        };
        let cells = sweep.grid.iter().try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()));
        match cells.and_then(|c| c.checked_mul(sweep.replicates())) {
            Some(t) if t <= MAX_TASKS => Ok(sweep),
            _ => Err(invalid(source, format!("the grid has more than {MAX_TASKS} tasks"))),
        }
    }

    /// Tasks per grid cell.
    pub fn replicates(&self) -> usize {
        match &self.seeds {
            Seeds::Derived { replicates, .. } => *replicates,
            Seeds::Listed(l) => l.len(),
        }
    }

    /// Number of grid cells.
    pub fn cells(&self) -> usize {
        self.grid.iter().map(|(_, v)| v.len()).product()
    }

    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        self.cells() * self.replicates()
    }

    /// The sweep as data (the header of its results files).
    pub fn spec(&self) -> &Value {
        &self.spec
    }

    /// The TOML text the sweep was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The path that names the sweep in messages.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Task `index`, or an error naming the range.
    pub fn task(&self, index: usize) -> Result<Task> {
        if index >= self.tasks() {
            return Err(Error::Invalid(format!("task {index} does not exist; the sweep has {} tasks", self.tasks())));
        }
        let (cell, replicate) = (index / self.replicates(), index % self.replicates());
        let mut given = self.fixed.clone();
        let mut rest = cell;
        for (k, values) in self.grid.iter().rev() {
            given.insert(k.clone(), values[rest % values.len()].clone());
            rest /= values.len();
        }
        let params = self.target.resolve(&given).map_err(Error::Invalid)?;
        let seed = match &self.seeds {
            Seeds::Derived { seed, .. } => stream_path(*seed, &[streams::SWEEP, index as u64]).next_u64(),
            Seeds::Listed(l) => l[replicate],
        };
        Ok(Task { index, cell, replicate, seed, params })
    }

    /// Runs task `index` and returns its record (one JSON line without the newline), or `None`
    /// when `stop` ended it before it finished. `data` is the directory of bundled data sets.
    pub fn run_task(&self, index: usize, stop: &StopFlag, data: Option<&Path>) -> Result<Option<Record>> {
        let task = self.task(index)?;
        let start = Instant::now();
        let result = match &self.target {
            Target::Command(c) => c.run(&c.fill(&task.params, task.seed, index)?, stop)?,
            Target::Study(s) => (s.run)(&Params(&task.params), &TaskContext { seed: task.seed, stop, data })?,
            Target::Experiment(e) => {
                let harness = Harness { seed: task.seed, stop: stop.clone(), progress: None };
                let ctx = RunContext {
                    harness: &harness,
                    quick: Params(&task.params).bool("quick")?,
                    data: data.map(Path::to_path_buf),
                };
                let outcome = e.run(&ctx)?;
                (!outcome.interrupted).then(|| experiment_result(&outcome))
            }
        };
        let Some(result) = result else { return Ok(None) };
        let mut line = Map::new();
        line.insert("task".into(), Value::from(task.index));
        line.insert("cell".into(), Value::from(task.cell));
        line.insert("replicate".into(), Value::from(task.replicate));
        line.insert("seed".into(), Value::from(task.seed));
        line.insert("params".into(), Value::Object(task.params));
        line.insert("result".into(), Value::Object(result));
        Ok(Some(Record { task: index, line: Value::Object(line), wall_s: start.elapsed().as_secs_f64() }))
    }
}

/// A command's parameters: scalars, each used by the template, and every placeholder given.
fn check_command_params(
    c: &command::Command,
    fixed: &Map<String, Value>,
    grid: &[(String, Vec<Value>)],
) -> std::result::Result<(), String> {
    let used = c.placeholders();
    let given: Vec<(&String, &Value)> =
        fixed.iter().chain(grid.iter().flat_map(|(k, vs)| vs.iter().map(move |v| (k, v)))).collect();
    for (k, v) in &given {
        if command::BUILT_IN.contains(&k.as_str()) {
            return Err(format!("`{{{k}}}` is filled in by the sweep; choose another parameter name"));
        }
        if !used.contains(k.as_str()) {
            return Err(format!("parameter `{k}` is not used by the command (write `{{{k}}}` where it goes)"));
        }
        if matches!(v, Value::Array(_) | Value::Object(_)) {
            return Err(format!("parameter `{k}`: {v} is not a string, number or boolean"));
        }
    }
    for p in used {
        if !command::BUILT_IN.contains(&p) && !given.iter().any(|(k, _)| k.as_str() == p) {
            return Err(format!(
                "the command uses `{{{p}}}`, which is neither fixed nor in the grid (built in: {{seed}}, {{task}})"
            ));
        }
    }
    Ok(())
}

/// What an experiment task keeps of its outcome: whether it passed, its named values and its
/// checks (tables and figures stay with `ebdm reproduce`).
fn experiment_result(outcome: &experiment::Outcome) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("passed".into(), Value::from(outcome.passed()));
    m.insert("values".into(), Value::Object(outcome.values.clone()));
    // A check serialises as {name, expected, measured, pass}.
    m.insert("checks".into(), serde_json::to_value(&outcome.checks).unwrap_or(Value::Null));
    m
}

/// The result of one finished task.
#[derive(Clone, Debug)]
pub struct Record {
    pub task: usize,
    /// `{"task", "cell", "replicate", "seed", "params", "result"}`: the same bytes wherever the
    /// task ran.
    pub line: Value,
    /// Wall time of the task on the machine that ran it (kept in shard files, not merged).
    pub wall_s: f64,
}

impl Record {
    /// The line a shard file stores: the record with its wall time.
    pub fn shard_line(&self) -> String {
        let mut v = self.line.clone();
        if let Value::Object(m) = &mut v {
            m.insert("wall_s".into(), Value::from((self.wall_s * 1e6).round() / 1e6));
        }
        v.to_string()
    }
}

/// Runs the tasks of `shard` that `file` does not hold yet, in parallel on the current rayon
/// pool, appending each record to `file` as it finishes. Tasks not started when `stop` is
/// raised are left for a later run; `progress(done_now)` is called after each record.
/// Returns the number of tasks run.
pub fn run_shard(
    sweep: &Sweep,
    file: &mut ShardFile,
    stop: &StopFlag,
    data: Option<&Path>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<usize> {
    use rayon::prelude::*;
    let pending = file.pending();
    let writer = std::sync::Mutex::new(file);
    let done = std::sync::atomic::AtomicUsize::new(0);
    pending.par_iter().try_for_each(|&t| -> Result<()> {
        if stop.is_raised() {
            return Ok(());
        }
        let record = sweep.run_task(t, stop, data).map_err(|e| task_error(sweep, t, e))?;
        if let Some(r) = record {
            writer.lock().unwrap_or_else(|p| p.into_inner()).append(&r)?;
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
        }
        Ok(())
    })?;
    Ok(done.into_inner())
}

/// An error of task `t`, naming the task and its parameters.
fn task_error(sweep: &Sweep, t: usize, e: Error) -> Error {
    let params = sweep.task(t).map(|task| Value::Object(task.params).to_string()).unwrap_or_default();
    Error::Invalid(format!("task {t} ({params}) failed: {e}"))
}

/// The directory results of `sweep` go to by default: `results/sweeps/NAME`.
pub fn default_out(sweep: &Sweep) -> PathBuf {
    Path::new("results").join("sweeps").join(&sweep.name)
}

#[cfg(test)]
mod tests;
