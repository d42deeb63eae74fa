//! Tasks that run a program: a command-line template whose `{name}` placeholders are filled with
//! the task's parameters, `{seed}` and `{task}`, and whose standard output is a JSON result.
//!
//! ```toml
//! command = ["ebdm", "maxcut", "{graph}", "--steps", "{steps}", "--seed", "{seed}", "--json", "-"]
//! result_keys = ["cut"]      # keep only these keys of the printed JSON object
//! ```
//!
//! The program's output is the task's result: the whole standard output as one JSON document,
//! else its last non-empty line; an object is kept as it is, any other value as `{"value": v}`.
//! A task is deterministic when its program is; `result_keys` drops what is not (timings), so
//! merged files stay the same bytes wherever the tasks ran.

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Command as Process, Stdio};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::engine::run::StopFlag;
use crate::error::{Error, Result};

/// Placeholders filled in by the sweep itself rather than by a parameter.
pub const BUILT_IN: &[&str] = &["seed", "task"];

/// One piece of a command-line argument.
#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Text(String),
    Var(String),
}

/// A command-line template.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    args: Vec<Vec<Piece>>,
    /// Keys of the program's JSON object kept in the result (`None`: all).
    pub result_keys: Option<Vec<String>>,
}

fn parse_arg(arg: &str) -> std::result::Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = arg.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                let valid =
                    closed && !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
                if !valid {
                    return Err(format!(
                        "argument `{arg}`: `{{{name}` is not a placeholder `{{name}}` (write `{{{{` for a brace)"
                    ));
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Var(name));
            }
            '}' => return Err(format!("argument `{arg}`: a lone `}}` (write `}}}}` for a brace)")),
            c => text.push(c),
        }
    }
    if !text.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

impl Command {
    /// Parses the template; `result_keys` as given in the sweep file.
    pub fn parse(args: &[String], result_keys: Option<Vec<String>>) -> std::result::Result<Self, String> {
        if args.is_empty() || args[0].is_empty() {
            return Err("`command` must name a program: a non-empty list of arguments".into());
        }
        let args = args.iter().map(|a| parse_arg(a)).collect::<std::result::Result<Vec<_>, _>>()?;
        if matches!(args[0].as_slice(), [Piece::Text(t)] if t.trim().is_empty()) {
            return Err("`command` must name a program first".into());
        }
        Ok(Self { args, result_keys })
    }

    /// The placeholder names the template uses.
    pub fn placeholders(&self) -> BTreeSet<&str> {
        self.args
            .iter()
            .flatten()
            .filter_map(|p| match p {
                Piece::Var(v) => Some(v.as_str()),
                Piece::Text(_) => None,
            })
            .collect()
    }

    /// The template back as a list of strings (for the sweep's header).
    pub fn template(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|pieces| {
                pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Text(t) => t.replace('{', "{{").replace('}', "}}"),
                        Piece::Var(v) => format!("{{{v}}}"),
                    })
                    .collect()
            })
            .collect()
    }

    /// The arguments of one task.
    pub fn fill(&self, params: &Map<String, Value>, seed: u64, task: usize) -> Result<Vec<String>> {
        let value = |name: &str| -> Result<String> {
            match name {
                "seed" => Ok(seed.to_string()),
                "task" => Ok(task.to_string()),
                _ => match params.get(name) {
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(v) => Ok(v.to_string()),
                    None => Err(Error::Invalid(format!("placeholder `{{{name}}}` has no value"))),
                },
            }
        };
        self.args
            .iter()
            .map(|pieces| {
                pieces.iter().try_fold(String::new(), |mut acc, p| {
                    match p {
                        Piece::Text(t) => acc.push_str(t),
                        Piece::Var(v) => acc.push_str(&value(v)?),
                    }
                    Ok(acc)
                })
            })
            .collect()
    }

    /// Runs the task's command and returns its result, or `None` when `stop` was raised first
    /// (the program is killed).
    pub fn run(&self, args: &[String], stop: &StopFlag) -> Result<Option<Map<String, Value>>> {
        let shown = args.join(" ");
        let mut child = Process::new(&args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Invalid(format!("cannot run `{shown}`: {e}")))?;
        let reader = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.read_to_end(&mut buf);
                buf
            })
        };
        let out = reader(Box::new(child.stdout.take().expect("piped")));
        let err = reader(Box::new(child.stderr.take().expect("piped")));
        let status = loop {
            if stop.is_raised() {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(Error::Invalid(format!("`{shown}`: {e}"))),
            }
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        if !status.success() {
            let tail = String::from_utf8_lossy(&stderr);
            let tail: String = tail.trim().chars().rev().take(500).collect::<Vec<_>>().into_iter().rev().collect();
            return Err(Error::Invalid(format!("`{shown}` failed ({status}): {tail}")));
        }
        self.result(&String::from_utf8_lossy(&stdout), &shown).map(Some)
    }

    /// The result a program's standard output gives.
    fn result(&self, stdout: &str, shown: &str) -> Result<Map<String, Value>> {
        let parsed = serde_json::from_str::<Value>(stdout).ok().or_else(|| {
            let last = stdout.lines().rev().find(|l| !l.trim().is_empty())?;
            serde_json::from_str::<Value>(last).ok()
        });
        let Some(v) = parsed else {
            let start: String = stdout.trim().chars().take(200).collect();
            return Err(Error::Invalid(format!("`{shown}` printed no JSON result: `{start}`")));
        };
        let map = match v {
            Value::Object(m) => m,
            other => [("value".to_string(), other)].into_iter().collect(),
        };
        match &self.result_keys {
            None => Ok(map),
            Some(keys) => keys
                .iter()
                .map(|k| match map.get(k) {
                    Some(v) => Ok((k.clone(), v.clone())),
                    None => Err(Error::Invalid(format!(
                        "`{shown}` printed no `{k}` (it printed {})",
                        map.keys().cloned().collect::<Vec<_>>().join(", ")
                    ))),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(args: &[&str]) -> std::result::Result<Command, String> {
        Command::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>(), None)
    }

    #[test]
    fn templates_fill_placeholders_and_keep_escaped_braces() {
        let c = cmd(&["prog", "--n={n}", "{{x}}", "{seed}-{task}", "{name}"]).unwrap();
        assert_eq!(c.placeholders().into_iter().collect::<Vec<_>>(), vec!["n", "name", "seed", "task"]);
        let params: Map<String, Value> = serde_json::from_str(r#"{"n": 3, "name": "G1", "unused": 1.5}"#).unwrap();
        assert_eq!(c.fill(&params, 42, 7).unwrap(), vec!["prog", "--n=3", "{x}", "42-7", "G1"]);
        assert_eq!(c.template(), vec!["prog", "--n={n}", "{{x}}", "{seed}-{task}", "{name}"]);
        for bad in [&["prog", "{n"][..], &["prog", "}"], &["prog", "{}"], &["prog", "{a b}"], &[], &[" "]] {
            assert!(cmd(bad).is_err(), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_program_s_json_is_the_result_and_failures_are_named() {
        let run = |script: &str, keys: Option<Vec<String>>| {
            let c = Command::parse(&["sh".into(), "-c".into(), script.into()], keys).unwrap();
            c.run(&c.fill(&Map::new(), 0, 0).unwrap(), &StopFlag::new())
        };
        let r = run("echo starting; echo '{{\"cut\": 11, \"time\": 0.3}}'", None).unwrap().unwrap();
        assert_eq!(Value::Object(r), serde_json::json!({"cut": 11, "time": 0.3}));
        let r = run("printf '{{\\n \"cut\": 11,\\n \"time\": 0.3\\n}}'", Some(vec!["cut".into()])).unwrap().unwrap();
        assert_eq!(Value::Object(r), serde_json::json!({"cut": 11}));
        assert_eq!(Value::Object(run("echo 2.5", None).unwrap().unwrap()), serde_json::json!({"value": 2.5}));
        let e = run("echo oops >&2; exit 3", None).unwrap_err().to_string();
        assert!(e.contains("failed (exit status: 3): oops"), "{e}");
        assert!(run("echo hello", None).unwrap_err().to_string().contains("printed no JSON result: `hello`"));
        let e = run("echo '{{\"a\": 1}}'", Some(vec!["cut".into()])).unwrap_err().to_string();
        assert!(e.contains("printed no `cut` (it printed a)"), "{e}");
        let c = Command::parse(&["/nonexistent/prog".into()], None).unwrap();
        assert!(c
            .run(&c.fill(&Map::new(), 0, 0).unwrap(), &StopFlag::new())
            .unwrap_err()
            .to_string()
            .contains("cannot run"));
        let stop = StopFlag::new();
        stop.raise();
        let c = Command::parse(&["sleep".into(), "10".into()], None).unwrap();
        assert!(c.run(&c.fill(&Map::new(), 0, 0).unwrap(), &stop).unwrap().is_none());
    }
}
