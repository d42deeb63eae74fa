//! Output files: JSON summaries with run metadata, long-format CSV, and progress bars.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::{json, Value};

/// Settings every command shares.
#[derive(Clone, Debug)]
pub struct Env {
    pub seed: u64,
    pub threads: usize,
    pub quiet: bool,
    pub stop: ebdm::engine::StopFlag,
}

/// Metadata written into every JSON file.
pub fn metadata(env: &Env) -> Value {
    json!({
        "ebdm_version": env!("CARGO_PKG_VERSION"),
        "commit": option_env!("EBDM_GIT_COMMIT").unwrap_or("unknown"),
        "seed": env.seed,
        "rng": ebdm::engine::rng::RNG_NAME,
        "threads": env.threads,
        "precision": "f64 (integer arithmetic for binary Hebbian kernels)",
        "cpu": cpu_model(),
    })
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// Creates the output directory.
pub fn out_dir(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create output directory {}", dir.display()))?;
    Ok(dir.to_path_buf())
}

/// Writes pretty JSON.
pub fn write_json(path: &Path, value: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
}

fn csv_field(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The `--json` option of every command that has a result.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct JsonOut {
    /// Write the JSON result to this file (`-`: standard output, in place of the text summary).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl JsonOut {
    /// Writes `value` where `--json` says (see [`emit_json`]).
    pub fn emit(&self, value: &Value, one_line: bool) -> Result<()> {
        emit_json(self.json.as_deref(), value, one_line)
    }

    /// Whether the text summary prints (see [`prints_text`]).
    pub fn prints_text(&self, env: &Env) -> bool {
        prints_text(env, self.json.as_deref())
    }
}

/// Writes a command's JSON result: to standard output with `-` (pretty, or one line with
/// `one_line` for JSON-lines logs), to a file (pretty) otherwise, nowhere without `--json`.
pub fn emit_json(target: Option<&Path>, value: &Value, one_line: bool) -> Result<()> {
    match target {
        Some(p) if p == Path::new("-") => {
            let text = if one_line { serde_json::to_string(value)? } else { serde_json::to_string_pretty(value)? };
            println!("{text}");
            Ok(())
        }
        Some(p) => write_json(p, value),
        None => Ok(()),
    }
}

/// Whether a command prints its text summary: not when quiet, and not when its JSON result goes
/// to standard output.
pub fn prints_text(env: &Env, json: Option<&Path>) -> bool {
    !env.quiet && json != Some(Path::new("-"))
}

/// Writes rows of a flat serialisable struct as CSV, one row per element, with a header from
/// the field names and `extra` constant columns prepended.
pub fn write_csv<T: Serialize>(path: &Path, extra: &[(&str, String)], rows: &[T]) -> Result<()> {
    let extra: Vec<(&str, Value)> = extra.iter().map(|(k, v)| (*k, Value::String(v.clone()))).collect();
    let extra: Vec<(&str, &Value)> = extra.iter().map(|(k, v)| (*k, v)).collect();
    write_table(path, &extra, &ebdm::experiment::Table::from_records("", rows)?)
}

/// Writes a library table as CSV, with `extra` constant columns prepended. A table without
/// columns (no rows were recorded) gives an empty file.
pub fn write_table(path: &Path, extra: &[(&str, &Value)], table: &ebdm::experiment::Table) -> Result<()> {
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
    );
    if table.columns.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = extra.iter().map(|(k, _)| *k).chain(table.columns.iter().map(String::as_str)).collect();
    writeln!(f, "{}", names.join(","))?;
    for row in &table.rows {
        let vals: Vec<String> = extra.iter().map(|(_, v)| csv_field(v)).chain(row.iter().map(csv_field)).collect();
        writeln!(f, "{}", vals.join(","))?;
    }
    f.flush()?;
    Ok(())
}

/// A progress bar on standard error, hidden when quiet or when standard error is not a
/// terminal.
pub fn progress(env: &Env, total: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if env.quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {elapsed_precise} (eta {eta})")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
    }
    bar
}

/// Prints a table of checks and returns whether all passed.
pub fn print_checks(checks: &[ebdm::experiment::Check]) -> bool {
    let w = checks.iter().map(|c| c.name.chars().count()).max().unwrap_or(10);
    for c in checks {
        println!(
            "  {:<w$}  measured {:<28} expected {:<22} {}",
            c.name,
            c.measured,
            c.expected,
            if c.pass { "PASS" } else { "FAIL" }
        );
    }
    checks.iter().all(|c| c.pass)
}
