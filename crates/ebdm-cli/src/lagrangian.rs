//! `ebdm memory lagrangian`: retrieval in a two-layer Lagrangian memory (Krotov & Hopfield
//! 2021) by integrating its dynamics from corrupted cues.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use ebdm::data;
use ebdm::memory::hierarchical::Relaxation;
use ebdm::memory::{HierarchicalMemory, Lagrangian, RelaxOptions};
use serde::Serialize;
use serde_json::json;

use crate::memory::real_patterns_and_cues;
use crate::output::{metadata, write_csv, Env};
use crate::plot::{self, Chart, Series};

#[derive(Args, Debug)]
pub struct LagrangianArgs {
    /// Stored memories (K×N reals, text or .npy); without it, random ±1 memories.
    #[arg(long)]
    pub patterns: Option<PathBuf>,
    /// Cues (B×N reals); without it, each memory with ⌊--flip·N⌋ signs flipped.
    #[arg(long, requires = "patterns")]
    pub queries: Option<PathBuf>,
    /// Width N of random memories.
    #[arg(long, default_value_t = 64)]
    pub dim: usize,
    /// Number K of random memories.
    #[arg(long, default_value_t = 256)]
    pub count: usize,
    /// Fraction of signs flipped in generated cues.
    #[arg(long, default_value_t = 0.2)]
    pub flip: f64,
    /// Scale the memories by this factor (for example 1/√N for ±1 memories and a
    /// rectified-power hidden layer).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Feature-neuron Lagrangian: identity, repu:n=…, exp:beta=…, softmax:beta=…, tanh:beta=…,
    /// sigmoid:beta=…, layernorm:gamma=…,delta=…,eps=…, spherical:gamma=…,eps=…
    #[arg(long, default_value = "identity")]
    pub visible: String,
    /// Memory-neuron Lagrangian (same syntax).
    #[arg(long, default_value = "softmax:beta=1")]
    pub hidden: String,
    /// Time constant of the feature neurons.
    #[arg(long, default_value_t = 1.0)]
    pub tau_visible: f64,
    /// Time constant of the memory neurons (0: instantaneous, integrated out).
    #[arg(long, default_value_t = 0.0)]
    pub tau_hidden: f64,
    /// RK4 step.
    #[arg(long, default_value_t = 0.05)]
    pub dt: f64,
    /// Maximum number of RK4 steps.
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Stop a cue once max |dx/dt| falls below this.
    #[arg(long, default_value_t = 1e-6)]
    pub tol: f64,
    /// Write the final feature activations as .npy.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: crate::output::JsonOut,
    /// Write the energy traces (CSV) and their plot into this directory.
    #[arg(long)]
    pub trace: Option<PathBuf>,
}

#[derive(Serialize)]
struct TraceRow {
    cue: usize,
    step: usize,
    energy: f64,
}

/// `memory lagrangian`.
pub fn run(env: &Env, a: &LagrangianArgs) -> Result<()> {
    let visible: Lagrangian = a.visible.parse()?;
    let hidden: Lagrangian = a.hidden.parse()?;
    if !(a.scale.is_finite() && a.scale != 0.0) {
        bail!("invalid parameter `scale`: must be finite and non-zero, got {}", a.scale);
    }
    let set = real_patterns_and_cues(env, a.patterns.as_deref(), a.queries.as_deref(), a.count, a.dim, a.flip)?;
    let (xi, k, n, cues, targets) = (set.patterns, set.count, set.width, set.cues, set.targets);
    let memories: Vec<f64> = xi.iter().map(|&x| x * a.scale).collect();
    let net = HierarchicalMemory::two_layer(&memories, k, n, visible, hidden, a.tau_visible, a.tau_hidden, Vec::new())?;
    let opts = RelaxOptions { dt: a.dt, max_steps: a.steps, tol: a.tol };
    opts.check()?;
    let start = std::time::Instant::now();
    let batch = cues.len() / n;
    let s = net.state_len();
    let mut states = vec![0.0; batch * s];
    for (row, cue) in states.chunks_exact_mut(s).zip(cues.chunks_exact(n)) {
        row[..n].copy_from_slice(cue);
    }
    let relaxations = net.relax_batch(&mut states, &opts, &env.stop)?;
    let results: Vec<(Vec<f64>, Relaxation)> = states
        .chunks_exact(s)
        .zip(relaxations)
        .map(|(x, r)| Ok((net.activations(x)?[..n].to_vec(), r)))
        .collect::<ebdm::Result<_>>()?;
    let seconds = start.elapsed().as_secs_f64();
    let recovered = targets.as_ref().map(|t| {
        t.iter()
            .enumerate()
            .filter(|&(b, &mu)| {
                results[b].0.iter().zip(&xi[mu * n..(mu + 1) * n]).all(|(&x, &y)| (x >= 0.0) == (y >= 0.0))
            })
            .count()
    });
    let converged = results.iter().filter(|r| r.1.converged).count();
    let mean_steps = results.iter().map(|r| r.1.steps as f64).sum::<f64>() / batch.max(1) as f64;
    let interrupted = env.stop.is_raised();
    if let Some(path) = &a.out {
        let flat: Vec<f64> = results.iter().flat_map(|r| r.0.iter().copied()).collect();
        data::write_npy_f64(path, batch, n, &flat)?;
    }
    if let Some(dir) = &a.trace {
        write_traces(env, dir, &results, a)?;
    }
    let summary = json!({
        "command": "memory lagrangian", "meta": metadata(env), "memories": k, "neurons": n, "batch": batch,
        "visible": visible, "hidden": hidden, "tau_visible": a.tau_visible, "tau_hidden": a.tau_hidden,
        "dt": a.dt, "max_steps": a.steps, "tol": a.tol, "seconds": seconds, "converged": converged,
        "mean_steps": mean_steps, "sign_recovered": recovered,
        "final_energies": results.iter().map(|r| r.1.energies.last().copied()).collect::<Vec<_>>(),
        "interrupted": interrupted,
    });
    a.output.emit(&summary, false)?;
    if a.output.prints_text(env) {
        println!(
            "{batch} cues, {k} memories of width {n}, {} / {}: {converged} converged, mean {mean_steps:.0} steps, {:.1} ms",
            visible.label(),
            hidden.label(),
            1e3 * seconds
        );
        if let Some(c) = recovered {
            println!("exact sign recovery: {c} of {batch} ({:.1} %)", 100.0 * c as f64 / batch.max(1) as f64);
        }
    }
    if interrupted {
        bail!("interrupted");
    }
    Ok(())
}

fn write_traces(env: &Env, dir: &Path, results: &[(Vec<f64>, Relaxation)], a: &LagrangianArgs) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let shown = results.len().min(8);
    let rows: Vec<TraceRow> = results[..shown]
        .iter()
        .enumerate()
        .flat_map(|(cue, r)| r.1.energies.iter().enumerate().map(move |(step, &energy)| TraceRow { cue, step, energy }))
        .collect();
    write_csv(&dir.join("energy_traces.csv"), &[("command", "memory lagrangian".into())], &rows)?;
    let series = results[..shown]
        .iter()
        .enumerate()
        .map(|(cue, r)| {
            let pts = r.1.energies.iter().enumerate().map(|(s, &e)| (s as f64 * a.dt, e)).collect();
            Series::line(format!("cue {cue}"), pts)
        })
        .collect();
    let chart = Chart {
        stem: String::new(),
        title: format!("Energy along the dynamics ({} / {})", a.visible, a.hidden),
        x_label: "time".into(),
        y_label: "energy".into(),
        series,
        vlines: vec![],
        log_y: false,
    };
    if let Err(e) = plot::chart(&dir.join("energy_traces"), &chart) {
        if !env.quiet {
            eprintln!("warning: plot skipped: {e:#}");
        }
    }
    Ok(())
}
