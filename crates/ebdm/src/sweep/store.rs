//! Results of a sweep on disk: one JSON-lines file per shard, resumable, and the merged file.
//!
//! A shard file `tasks-I-of-N.jsonl` starts with a header line (`ebdm_sweep`, the ebdm version,
//! the random generator, the task count, the sweep itself, the shard) followed by one record per
//! finished task, in the order tasks finished, each with its wall time. A record is written with
//! one `write` of the whole line, so a run killed mid-way leaves at most a last line without its
//! newline; reopening the file drops that line, and its task runs again. The merged file
//! `merged.jsonl` has the same header without the shard, then every record without its wall
//! time, in task order: the same bytes however the tasks were split and wherever they ran.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::{Map, Value};

use super::{Record, Sweep};
use crate::engine::rng::RNG_NAME;
use crate::error::{Error, Result};

/// Version of the results format.
pub const FORMAT: u64 = 1;

/// The merged results file in an output directory.
pub const MERGED: &str = "merged.jsonl";

/// Shard `index` of `count` (1-based): the tasks `t` with `t mod count = index − 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole sweep as one shard.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// `index/count`, checked.
    pub fn new(index: usize, count: usize) -> Result<Self> {
        if count == 0 || index == 0 || index > count {
            return Err(Error::Invalid(format!(
                "shard `{index}/{count}`: shards are numbered 1 to N in `I/N`, so I must be between 1 and N"
            )));
        }
        Ok(Self { index, count })
    }

    /// Whether task `t` belongs to this shard.
    pub fn contains(&self, t: usize) -> bool {
        t % self.count == self.index - 1
    }

    /// The tasks of this shard among `tasks`, in order.
    pub fn tasks(&self, tasks: usize) -> impl Iterator<Item = usize> {
        (self.index - 1..tasks).step_by(self.count)
    }

    /// The shard's results file name.
    pub fn file_name(&self) -> String {
        format!("tasks-{}-of-{}.jsonl", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::Invalid(format!("shard `{s}`: expected `I/N` with whole numbers, for example `2/8`"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        Self::new(i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?)
    }
}

/// A shard serialises as `"I/N"`.
impl serde::Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The header line of a results file of `sweep` (`shard`: `None` for the merged file).
pub fn header(sweep: &Sweep, shard: Option<Shard>) -> Value {
    let mut h = Map::new();
    h.insert("ebdm_sweep".into(), Value::from(FORMAT));
    h.insert("ebdm".into(), Value::from(env!("CARGO_PKG_VERSION")));
    h.insert("rng".into(), Value::from(RNG_NAME));
    h.insert("tasks".into(), Value::from(sweep.tasks()));
    h.insert("spec".into(), sweep.spec().clone());
    if let Some(s) = shard {
        h.insert("shard".into(), Value::from(s.to_string()));
    }
    Value::Object(h)
}

/// The task index of a record, when it is one below `tasks`.
fn record_task(v: &Value, tasks: usize) -> Option<usize> {
    v.get("task").and_then(Value::as_u64).map(|t| t as usize).filter(|&t| t < tasks)
}

/// A shard file read back: its header, its records, and where the complete lines end.
struct Contents {
    header: Value,
    records: Vec<(usize, Value)>,
    complete_len: usize,
    partial_tail: bool,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |error| Error::Io { path: path.to_path_buf(), error }
}

fn format_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Format { path: path.to_path_buf(), reason: reason.into() }
}

/// Reads a shard file; `None` when it holds not even a complete header line.
fn read_contents(path: &Path, sweep: &Sweep) -> Result<Option<Contents>> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let partial_tail = complete_len < bytes.len();
    let text = std::str::from_utf8(&bytes[..complete_len]).map_err(|_| format_error(path, "not UTF-8 text"))?;
    let mut lines = text.lines().enumerate();
    let Some((_, first)) = lines.next() else { return Ok(None) };
    let header: Value = serde_json::from_str(first)
        .map_err(|e| format_error(path, format!("line 1 is not a sweep results header: {e}")))?;
    let expected = header_without_shard(&self::header(sweep, None));
    if header_without_shard(&header) != expected {
        return Err(format_error(
            path,
            format!(
                "holds results of another sweep or another ebdm version (its header: {header}); \
                 choose another output directory or remove the file"
            ),
        ));
    }
    let tasks = sweep.tasks();
    let mut records = Vec::new();
    for (i, line) in lines {
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format_error(path, format!("line {} is not a task record: {e}", i + 1)))?;
        match record_task(&v, tasks) {
            Some(t) => records.push((t, v)),
            None => return Err(format_error(path, format!("line {} is not a record of a task below {tasks}", i + 1))),
        }
    }
    Ok(Some(Contents { header, records, complete_len, partial_tail }))
}

fn header_without_shard(h: &Value) -> Value {
    let mut h = h.clone();
    if let Value::Object(m) = &mut h {
        m.remove("shard");
    }
    h
}

/// The results file of one shard, opened for appending; tasks it already holds are done.
pub struct ShardFile {
    path: PathBuf,
    shard: Shard,
    /// Tasks of the whole sweep.
    tasks: usize,
    file: File,
    done: BTreeSet<usize>,
}

impl ShardFile {
    /// Opens (or creates) the file of `shard` of `sweep` in `dir`. An existing file must belong
    /// to the same sweep; a last line without its newline (a write cut short) is removed.
    pub fn open(dir: &Path, sweep: &Sweep, shard: Shard) -> Result<Self> {
        if shard.count > sweep.tasks().max(1) {
            return Err(Error::Invalid(format!(
                "shard `{shard}`: the sweep has {} tasks, so at most {} shards",
                sweep.tasks(),
                sweep.tasks()
            )));
        }
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let path = dir.join(shard.file_name());
        let mut done = BTreeSet::new();
        let mut keep = 0;
        if path.exists() {
            if let Some(c) = read_contents(&path, sweep)? {
                if c.header.get("shard").and_then(Value::as_str) != Some(shard.to_string().as_str()) {
                    return Err(format_error(&path, format!("its header names another shard than {shard}")));
                }
                if let Some((t, _)) = c.records.iter().find(|(t, _)| !shard.contains(*t)) {
                    return Err(format_error(&path, format!("holds task {t}, which is not in shard {shard}")));
                }
                done.extend(c.records.iter().map(|(t, _)| *t));
                keep = c.complete_len;
            }
        }
        let file = OpenOptions::new().create(true).append(true).read(true).open(&path).map_err(io_error(&path))?;
        // Two runs of one shard at once (an array resubmitted while its jobs still run) would
        // both run the same tasks; the second is refused while the first holds the lock.
        if let Err(e) = file.try_lock() {
            return Err(match e {
                std::fs::TryLockError::WouldBlock => Error::Invalid(format!(
                    "{}: another run of shard {shard} is writing this file; wait for it or stop it",
                    path.display()
                )),
                std::fs::TryLockError::Error(error) => Error::Io { path, error },
            });
        }
        file.set_len(keep as u64).map_err(io_error(&path))?;
        let mut this = Self { path, shard, tasks: sweep.tasks(), file, done };
        if keep == 0 {
            this.write_line(&header(sweep, Some(shard)).to_string())?;
        }
        Ok(this)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Tasks this file holds.
    pub fn done(&self) -> &BTreeSet<usize> {
        &self.done
    }

    /// Tasks of the shard not yet in the file, in order.
    pub fn pending(&self) -> Vec<usize> {
        self.shard.tasks(self.tasks).filter(|t| !self.done.contains(t)).collect()
    }

    /// Appends a finished task's record.
    pub fn append(&mut self, record: &Record) -> Result<()> {
        self.write_record(record.task, &record.shard_line())
    }

    /// Appends a record line made elsewhere (by a worker of a distributed run), checked first.
    pub fn append_line(&mut self, line: &str) -> Result<usize> {
        let v: Value = serde_json::from_str(line).map_err(|e| Error::Invalid(format!("not a task record: {e}")))?;
        let task = record_task(&v, self.tasks)
            .ok_or_else(|| Error::Invalid(format!("not a record of a task below {}", self.tasks)))?;
        self.write_record(task, &v.to_string())?;
        Ok(task)
    }

    fn write_record(&mut self, task: usize, line: &str) -> Result<()> {
        if !self.shard.contains(task) {
            return Err(Error::Invalid(format!("task {task} is not in shard {}", self.shard)));
        }
        self.write_line(line)?;
        self.done.insert(task);
        Ok(())
    }

    /// Writes `line` and its newline in one call, so an interruption leaves a whole line or a
    /// line without its newline, never a line that looks complete but is not.
    fn write_line(&mut self, line: &str) -> Result<()> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.file.write_all(&buf).map_err(io_error(&self.path))
    }
}

/// The shard files of `dir` (`tasks-I-of-N.jsonl`), sorted by name.
fn shard_files(dir: &Path) -> Result<Vec<(PathBuf, Shard)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_error(dir)(e)),
    };
    for entry in entries {
        let path = entry.map_err(io_error(dir))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let shard = name
            .strip_prefix("tasks-")
            .and_then(|r| r.strip_suffix(".jsonl"))
            .and_then(|r| r.split_once("-of-"))
            .and_then(|(i, n)| Shard::new(i.parse().ok()?, n.parse().ok()?).ok());
        if let Some(s) = shard {
            out.push((path, s));
        }
    }
    out.sort();
    Ok(out)
}

/// One shard file as `status` sees it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ShardStatus {
    pub shard: Shard,
    pub path: PathBuf,
    /// Distinct tasks it holds.
    pub records: usize,
    /// Tasks the shard has.
    pub tasks: usize,
    /// Whether its last line was cut short (it is dropped when the shard resumes).
    pub partial_tail: bool,
}

/// How far a sweep has got in an output directory.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    pub tasks: usize,
    /// Distinct tasks with a result in any shard file.
    pub done: usize,
    /// Tasks without a result, in order.
    pub missing: Vec<usize>,
    pub shards: Vec<ShardStatus>,
    /// The merged file, when it exists.
    pub merged: Option<PathBuf>,
}

/// Reads every shard file of `sweep` in `dir` and says which tasks are done.
pub fn status(dir: &Path, sweep: &Sweep) -> Result<Status> {
    let mut done = BTreeSet::new();
    let mut shards = Vec::new();
    for (path, shard) in shard_files(dir)? {
        let (records, partial_tail) = match read_contents(&path, sweep)? {
            Some(c) => {
                let own: BTreeSet<usize> = c.records.iter().map(|(t, _)| *t).collect();
                done.extend(own.iter().copied());
                (own.len(), c.partial_tail)
            }
            None => (0, true),
        };
        shards.push(ShardStatus { tasks: shard.tasks(sweep.tasks()).count(), path, shard, records, partial_tail });
    }
    let missing = (0..sweep.tasks()).filter(|t| !done.contains(t)).collect();
    let merged = Some(dir.join(MERGED)).filter(|p| p.is_file());
    Ok(Status { tasks: sweep.tasks(), done: done.len(), shards, missing, merged })
}

/// What `merge` wrote.
#[derive(Clone, Debug)]
pub struct MergeReport {
    pub path: PathBuf,
    pub records: usize,
    pub missing: Vec<usize>,
    pub files: usize,
}

/// Merges every shard file of `sweep` in `dir` into `dir/merged.jsonl`: the header, then one
/// record per task in task order, without wall times. A task found in several files must have
/// the same record in each. Missing tasks are an error unless `partial`.
pub fn merge(dir: &Path, sweep: &Sweep, partial: bool) -> Result<MergeReport> {
    let files = shard_files(dir)?;
    let mut records: BTreeMap<usize, (String, PathBuf)> = BTreeMap::new();
    for (path, _) in &files {
        let Some(c) = read_contents(path, sweep)? else { continue };
        for (t, mut v) in c.records {
            if let Value::Object(m) = &mut v {
                m.remove("wall_s");
            }
            let line = v.to_string();
            match records.get(&t) {
                Some((other, first)) if *other != line => {
                    return Err(Error::Invalid(format!(
                    "task {t} has different results in {} and {}: results of one sweep must not depend on where it ran",
                    first.display(),
                    path.display()
                )))
                }
                Some(_) => {}
                None => {
                    records.insert(t, (line, path.clone()));
                }
            }
        }
    }
    let missing: Vec<usize> = (0..sweep.tasks()).filter(|t| !records.contains_key(t)).collect();
    if !missing.is_empty() && !partial {
        let first: Vec<String> = missing.iter().take(10).map(usize::to_string).collect();
        return Err(Error::Invalid(format!(
            "{} of {} tasks have no result in {} (tasks {}{}); run the missing shards, or merge with `partial` to write what there is",
            missing.len(),
            sweep.tasks(),
            dir.display(),
            first.join(", "),
            if missing.len() > 10 { ", …" } else { "" }
        )));
    }
    let mut text = header(sweep, None).to_string();
    text.push('\n');
    for (line, _) in records.values() {
        text.push_str(line);
        text.push('\n');
    }
    let path = dir.join(MERGED);
    let tmp = dir.join(format!(".{MERGED}.tmp"));
    std::fs::write(&tmp, text).map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_error(&path))?;
    Ok(MergeReport { path, records: records.len(), missing, files: files.len() })
}
