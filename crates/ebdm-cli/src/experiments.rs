//! Running a library experiment under the session's seed, stop flag and a progress bar, and
//! rendering its [`Outcome`]: the report and checks on standard output, `summary.json`, one CSV
//! per table, the figures as PNG and SVG (with their data as CSV), and further JSON documents.

use std::path::Path;

use anyhow::Result;
use ebdm::experiment::{Figure, Harness, Outcome, Progress, RunContext, Table};
use indicatif::ProgressBar;
use serde_json::{json, Value};

use crate::output::{metadata, out_dir, print_checks, progress, write_json, write_table, Env};
use crate::plot;

/// A progress bar that the library's experiments drive.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn begin(&self, label: &str, total: u64) {
        self.0.reset();
        self.0.set_length(total);
        self.0.set_message(label.to_string());
    }
    fn advance(&self, units: u64) {
        self.0.inc(units);
    }
}

/// Runs `run` under the session's seed and stop flag, then renders its outcome into `dir`
/// under `title`.
pub fn run_and_render(
    env: &Env,
    dir: &Path,
    title: &str,
    run: impl FnOnce(&RunContext) -> ebdm::Result<Outcome>,
) -> Result<Outcome> {
    let bar = Bar(progress(env, 0, "trials"));
    let harness = Harness { seed: env.seed, stop: env.stop.clone(), progress: Some(&bar) };
    let ctx = RunContext { harness: &harness, quick: false, data: None };
    let outcome = run(&ctx);
    bar.0.finish_and_clear();
    let outcome = outcome?;
    render(env, dir, title, &outcome)?;
    Ok(outcome)
}

/// Writes and prints an outcome.
pub fn render(env: &Env, dir: &Path, title: &str, o: &Outcome) -> Result<()> {
    let dir = out_dir(dir)?;
    let tables: Vec<&str> = o.tables.iter().map(|t| t.name.as_str()).collect();
    let figures: Vec<&str> = o.figures.iter().map(Figure::stem).collect();
    write_json(
        &dir.join("summary.json"),
        &json!({
            "experiment": title, "meta": metadata(env), "values": o.values, "checks": o.checks,
            "passed": o.passed(), "interrupted": o.interrupted, "tables": tables, "figures": figures,
        }),
    )?;
    let seed = Value::from(env.seed);
    for t in &o.tables {
        write_table(&dir.join(format!("{}.csv", t.name)), &[("seed", &seed)], t)?;
    }
    for f in &o.figures {
        write_figure(env, &dir, f)?;
    }
    for (name, doc) in &o.documents {
        write_json(&dir.join(format!("{name}.json")), doc)?;
    }
    if !env.quiet {
        println!("{title}");
        for line in &o.report {
            println!("  {line}");
        }
        print_checks(&o.checks);
        if o.interrupted {
            println!("  interrupted: partial results kept");
        }
        println!("  results in {}", dir.display());
    }
    Ok(())
}

fn warn(env: &Env, stem: &str, e: anyhow::Error) {
    if !env.quiet {
        eprintln!("warning: plot {stem} skipped: {e:#}");
    }
}

fn write_figure(env: &Env, dir: &Path, figure: &Figure) -> Result<()> {
    match figure {
        Figure::Chart(c) => {
            let mut data =
                Table { name: c.stem.clone(), columns: vec!["curve".into(), "x".into(), "y".into()], rows: Vec::new() };
            for s in &c.series {
                data.rows.extend(s.points.iter().map(|&(x, y)| vec![Value::from(s.name.as_str()), x.into(), y.into()]));
            }
            write_table(&dir.join(format!("{}_data.csv", c.stem)), &[], &data)?;
            if let Err(e) = plot::chart(&dir.join(&c.stem), c) {
                warn(env, &c.stem, e);
            }
        }
        Figure::Phase(p) => {
            if let Err(e) = plot::phase_diagram(&dir.join(&p.stem), &p.title, &p.points, &p.theory) {
                warn(env, &p.stem, e);
            }
        }
        Figure::Images(g) => {
            if let Err(e) = plot::images(&dir.join(format!("{}.png", g.stem)), g) {
                warn(env, &g.stem, e);
            }
        }
    }
    Ok(())
}
