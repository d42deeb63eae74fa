//! Running the associative-memory experiments and writing their CSV, JSON and plots.

use std::path::Path;

use anyhow::Result;
use ebdm::experiment::{Check, Harness};
use ebdm::memory::experiments::{basin, capacity, dense, dense_capacity, graded_limit, lagrangian, modern, recall};
use serde_json::json;

use crate::output::{metadata, out_dir, print_checks, progress, write_csv, write_json, Env};
use crate::plot::{self, Chart, Series};

/// The outcome of an experiment command: its checks and whether it was interrupted.
pub struct Outcome {
    pub checks: Vec<Check>,
    pub interrupted: bool,
}

/// Runs an experiment under the session's seed and stop flag with a progress bar of `total`
/// trials.
fn tracked<T>(env: &Env, total: u64, label: &str, run: impl FnOnce(&Harness) -> ebdm::Result<T>) -> Result<T> {
    let bar = progress(env, total, label);
    let tick = |k: u64| bar.inc(k);
    let result = run(&Harness { seed: env.seed, stop: env.stop.clone(), progress: Some(&tick) });
    bar.finish_and_clear();
    Ok(result?)
}

fn plot_or_warn(env: &Env, stem: &Path, chart: &Chart) {
    if let Err(e) = plot::chart(stem, chart) {
        if !env.quiet {
            eprintln!("warning: plot {} skipped: {e:#}", stem.display());
        }
    }
}

fn finish(env: &Env, dir: &Path, title: &str, checks: Vec<Check>, interrupted: bool) -> Outcome {
    if !env.quiet {
        print_checks(title, &checks);
        if interrupted {
            println!("  interrupted: partial results kept");
        }
        println!("  results in {}", dir.display());
    }
    Outcome { checks, interrupted }
}

/// E1-style capacity sweep.
pub fn capacity(env: &Env, cfg: &capacity::CapacityConfig, dir: &Path, title: &str) -> Result<Outcome> {
    let dir = out_dir(dir)?;
    let total: usize = cfg.trials.iter().map(|t| t * cfg.alphas.len()).sum();
    let r = tracked(env, total as u64, "capacity", |h| capacity::run(cfg, h))?;
    write_csv(
        &dir.join("capacity_trials.csv"),
        &[("experiment", "capacity".into()), ("seed", env.seed.to_string())],
        &r.rows,
    )?;
    write_csv(&dir.join("capacity_cells.csv"), &[], &r.cells)?;
    write_json(
        &dir.join("capacity.json"),
        &json!({
            "experiment": "capacity", "meta": metadata(env), "config": r.config, "cells": r.cells,
            "alpha50": r.alpha50, "fit": r.fit.map(|(a, c)| json!({"alpha_inf": a, "c": c})),
            "checks": r.checks, "interrupted": r.interrupted,
        }),
    )?;
    let mut series = Vec::new();
    for (i, &n) in cfg.neurons.iter().enumerate() {
        let pts = r.cells.iter().filter(|c| c.neurons == n).map(|c| (c.alpha, c.p_retrieved)).collect();
        series.push(Series::line(format!("P(m > {}) N = {n}", cfg.threshold), pts).colored(i));
    }
    for (i, &n) in cfg.neurons.iter().enumerate() {
        let pts = r.cells.iter().filter(|c| c.neurons == n).map(|c| (c.alpha, c.mean_overlap)).collect();
        series.push(Series::points(format!("mean m, N = {n}"), pts).colored(i));
    }
    plot_or_warn(
        env,
        &dir.join("capacity_curve"),
        &Chart {
            title: "Hopfield capacity (Hebb, start at a stored pattern)".into(),
            x_label: "load α = K/N".into(),
            y_label: "retrieval".into(),
            series,
            vlines: vec![(0.138, "α_c = 0.138 (AGS)".into())],
            log_y: false,
        },
    );
    let pts: Vec<(f64, f64)> = r.alpha50.iter().filter_map(|&(n, a)| a.map(|a| (1.0 / (n as f64).sqrt(), a))).collect();
    if let Some((a, c)) = r.fit {
        let xmax = pts.iter().map(|p| p.0).fold(0.0, f64::max);
        plot_or_warn(
            env,
            &dir.join("capacity_extrapolation"),
            &Chart {
                title: format!("Finite-size extrapolation: α_∞ = {a:.4}"),
                x_label: "1/√N".into(),
                y_label: "α₅₀(N)".into(),
                series: vec![
                    Series::points("α₅₀(N)", pts),
                    Series::line(
                        format!("fit α_∞ + c/√N, c = {c:.2}"),
                        vec![(0.0, a), (xmax * 1.05, a + c * xmax * 1.05)],
                    ),
                ],
                vlines: vec![],
                log_y: false,
            },
        );
    }
    Ok(finish(env, &dir, title, r.checks, r.interrupted))
}

/// E2 exact-recall scaling.
pub fn recall(env: &Env, cfg: &recall::RecallConfig, dir: &Path, title: &str) -> Result<Outcome> {
    let dir = out_dir(dir)?;
    let r = tracked(env, (cfg.patterns.len() * cfg.networks) as u64, "recall", |h| recall::run(cfg, h))?;
    write_csv(
        &dir.join("recall_networks.csv"),
        &[("experiment", "recall".into()), ("seed", env.seed.to_string())],
        &r.rows,
    )?;
    write_json(
        &dir.join("recall.json"),
        &json!({
            "experiment": "recall", "meta": metadata(env), "config": r.config, "cells": r.cells,
            "n_over_2lnN": r.mceliece_typical, "n_over_4lnN": r.mceliece_all, "checks": r.checks, "interrupted": r.interrupted,
        }),
    )?;
    plot_or_warn(
        env,
        &dir.join("recall"),
        &Chart {
            title: format!("Patterns that are fixed points, N = {}", cfg.neurons),
            x_label: "stored patterns K".into(),
            y_label: "fraction of patterns fixed".into(),
            series: vec![
                Series::line("measured", r.cells.iter().map(|c| (c.patterns as f64, c.fraction_fixed)).collect()),
                Series::line(
                    "Gaussian (1 − Φc(√(N/K)))^N",
                    r.cells.iter().map(|c| (c.patterns as f64, c.gaussian_theory)).collect(),
                ),
            ],
            vlines: vec![(r.mceliece_all, "N/(4 ln N)".into()), (r.mceliece_typical, "N/(2 ln N)".into())],
            log_y: false,
        },
    );
    Ok(finish(env, &dir, title, r.checks, r.interrupted))
}

/// E3 basins of attraction.
pub fn basin(env: &Env, cfg: &basin::BasinConfig, dir: &Path, title: &str) -> Result<Outcome> {
    let dir = out_dir(dir)?;
    let r = tracked(env, (cfg.alphas.len() * cfg.rhos.len() * cfg.trials) as u64, "basin", |h| basin::run(cfg, h))?;
    write_csv(
        &dir.join("basin_trials.csv"),
        &[("experiment", "basin".into()), ("seed", env.seed.to_string())],
        &r.rows,
    )?;
    let cells: Vec<_> = r.cells.iter().map(|(rho, c)| json!({"rho": rho, "cell": c})).collect();
    write_json(
        &dir.join("basin.json"),
        &json!({"experiment": "basin", "meta": metadata(env), "config": r.config, "cells": cells, "rho50": r.rho50, "checks": r.checks, "interrupted": r.interrupted}),
    )?;
    let mut alphas = cfg.alphas.clone();
    alphas.sort_by(f64::total_cmp);
    alphas.dedup();
    let series = alphas
        .iter()
        .map(|&a| {
            let mut pts: Vec<(f64, f64)> =
                r.cells.iter().filter(|(_, c)| c.alpha == a).map(|(rho, c)| (*rho, c.p_retrieved)).collect();
            pts.sort_by(|x, y| x.0.total_cmp(&y.0));
            Series::line(format!("α = {a}"), pts)
        })
        .collect();
    plot_or_warn(
        env,
        &dir.join("basin"),
        &Chart {
            title: format!("Basins of attraction, N = {}", cfg.neurons),
            x_label: "fraction of flipped bits ρ".into(),
            y_label: "P(final m > 0.9)".into(),
            series,
            vlines: vec![],
            log_y: false,
        },
    );
    Ok(finish(env, &dir, title, r.checks, r.interrupted))
}

/// E8 for the graded network.
pub fn graded(env: &Env, cfg: &graded_limit::GradedConfig, dir: &Path, title: &str) -> Result<Outcome> {
    let dir = out_dir(dir)?;
    let r = tracked(env, cfg.seeds as u64, "graded", |h| graded_limit::run(cfg, h))?;
    write_csv(
        &dir.join("graded_seeds.csv"),
        &[("experiment", "graded".into()), ("seed", env.seed.to_string())],
        &r.rows,
    )?;
    #[derive(serde::Serialize)]
    struct TraceRow {
        time: f64,
        energy: f64,
    }
    let trace: Vec<TraceRow> = r.trace.iter().map(|&(time, energy)| TraceRow { time, energy }).collect();
    write_csv(&dir.join("graded_energy_trace.csv"), &[], &trace)?;
    write_json(
        &dir.join("graded.json"),
        &json!({"experiment": "graded", "meta": metadata(env), "config": r.config, "checks": r.checks, "interrupted": r.interrupted}),
    )?;
    plot_or_warn(
        env,
        &dir.join("graded_energy"),
        &Chart {
            title: format!("Graded Hopfield energy along RK4 (λ = {}, dt = {})", cfg.gain, cfg.dt),
            x_label: "time".into(),
            y_label: "energy E(t)".into(),
            series: vec![Series::line("E(t), seed 0", r.trace.clone())],
            vlines: vec![],
            log_y: false,
        },
    );
    Ok(finish(env, &dir, title, r.checks, r.interrupted))
}

/// E8 for Lagrangian (hierarchical) memories: descent, Lyapunov identity, modern limit.
pub fn lagrangian(env: &Env, cfg: &lagrangian::LagrangianConfig, dir: &Path, title: &str) -> Result<Outcome> {
    let dir = out_dir(dir)?;
    let total = (3 * cfg.dts.len() * cfg.seeds + cfg.seeds.min(5)) as u64;
    let r = tracked(env, total, "lagrangian", |h| lagrangian::run(cfg, h))?;
    write_csv(
        &dir.join("lagrangian_trajectories.csv"),
        &[("experiment", "lagrangian".into()), ("seed", env.seed.to_string())],
        &r.rows,
    )?;
    write_json(
        &dir.join("lagrangian.json"),
        &json!({
            "experiment": "lagrangian", "meta": metadata(env), "config": r.config,
            "modern_step_error": r.modern_step_error, "adiabatic_gap": r.adiabatic_gap,
            "checks": r.checks, "interrupted": r.interrupted,
        }),
    )?;
    // Energies are shifted to E(t) − E(end) so the three models share a log axis.
    let series = r
        .traces
        .iter()
        .map(|(model, trace)| {
            let last = trace.last().map_or(0.0, |p| p.1);
            let pts: Vec<(f64, f64)> = trace.iter().map(|&(t, e)| (t, e - last)).filter(|p| p.1 > 0.0).collect();
            Series::line(model.name(), pts)
        })
        .collect();
    plot_or_warn(
        env,
        &dir.join("lagrangian_energy"),
        &Chart {
            title: format!("Lagrangian memories: E(t) − E(T) along RK4 (dt = {})", cfg.dts[0]),
            x_label: "time".into(),
            y_label: "E(t) − E(T)".into(),
            series,
            vlines: vec![],
            log_y: true,
        },
    );
    Ok(finish(env, &dir, title, r.checks, r.interrupted))
}

/// E4: polynomial DAM one-step bit error against the signal-to-noise formula.
pub fn dense_snr(
    env: &Env,
    grid: &[(u32, usize, Vec<usize>)],
    tests: usize,
    networks: usize,
    dir: &Path,
    title: &str,
) -> Result<Outcome> {
    let dir = out_dir(dir)?;
    let total: usize = networks * grid.iter().map(|g| g.2.iter().map(|&k| k.min(tests)).sum::<usize>()).sum::<usize>();
    let r = tracked(env, total as u64, "dense SNR", |h| dense::run_snr(grid, tests, networks, h))?;
    write_csv(
        &dir.join("dense_snr.csv"),
        &[("experiment", "dense-snr".into()), ("seed", env.seed.to_string())],
        &r.cells,
    )?;
    write_json(
        &dir.join("dense_snr.json"),
        &json!({"experiment": "dense-snr", "meta": metadata(env), "tests": tests, "networks": networks, "cells": r.cells, "checks": r.checks, "interrupted": r.interrupted}),
    )?;
    let mut series = Vec::new();
    for (i, (degree, n, _)) in grid.iter().enumerate() {
        let sel: Vec<_> = r.cells.iter().filter(|c| c.degree == *degree && c.neurons == *n).collect();
        series.push(
            Series::points(
                format!("measured n={degree}, N={n}"),
                sel.iter().map(|c| (c.patterns as f64, c.measured)).collect(),
            )
            .colored(i),
        );
        let (k0, k1) = (sel.first().map_or(1, |c| c.patterns) as f64, sel.last().map_or(1, |c| c.patterns) as f64);
        let curve = (0..=40)
            .map(|j| k0 * (k1 / k0).powf(j as f64 / 40.0))
            .map(|k| (k, dense::snr_bit_error(*degree, *n, k.round() as usize)))
            .collect();
        series.push(Series::line(format!("Φc(√(N^(n−1)/(K(2n−3)!!))) n={degree}"), curve).colored(i));
    }
    plot_or_warn(
        env,
        &dir.join("dense_snr"),
        &Chart {
            title: "Dense associative memory: one-step bit error".into(),
            x_label: "stored patterns K".into(),
            y_label: "bit error probability".into(),
            series,
            vlines: vec![],
            log_y: true,
        },
    );
    Ok(finish(env, &dir, title, r.checks, r.interrupted))
}

/// E6: exponential DAM stability with K = e^{αN} patterns.
pub fn dense_exp(env: &Env, cfg: &dense::ExpConfig, dir: &Path, title: &str) -> Result<Outcome> {
    let dir = out_dir(dir)?;
    let r = tracked(env, (cfg.neurons.len() * cfg.log_loads.len() * cfg.tests) as u64, "exp DAM", |h| {
        dense::run_exp(cfg, h)
    })?;
    write_csv(
        &dir.join("dense_exp.csv"),
        &[("experiment", "dense-exp".into()), ("seed", env.seed.to_string())],
        &r.cells,
    )?;
    write_json(
        &dir.join("dense_exp.json"),
        &json!({"experiment": "dense-exp", "meta": metadata(env), "config": cfg, "cells": r.cells, "checks": r.checks, "interrupted": r.interrupted}),
    )?;
    let series = cfg
        .neurons
        .iter()
        .map(|&n| {
            Series::line(
                format!("N = {n}"),
                r.cells.iter().filter(|c| c.neurons == n).map(|c| (c.log_load, c.stable_fraction)).collect(),
            )
        })
        .collect();
    plot_or_warn(
        env,
        &dir.join("dense_exp"),
        &Chart {
            title: "Exponential DAM: one-step stable patterns, K = e^(αN)".into(),
            x_label: "α = ln(K)/N".into(),
            y_label: "fraction of stored patterns stable".into(),
            series,
            vlines: vec![(std::f64::consts::LN_2 / 2.0, "ln2/2 (sufficient bound)".into())],
            log_y: false,
        },
    );
    Ok(finish(env, &dir, title, r.checks, r.interrupted))
}

/// E5: capacity scaling of the polynomial DAM.
pub fn dense_scaling(env: &Env, cfg: &dense_capacity::ScalingConfig, dir: &Path, title: &str) -> Result<Outcome> {
    let dir = out_dir(dir)?;
    let cells: usize = cfg.grid.iter().map(|g| g.1.len()).sum();
    let r = tracked(env, cells as u64, "DAM capacity", |h| dense_capacity::run(cfg, h))?;
    #[derive(serde::Serialize)]
    struct Row {
        degree: u32,
        neurons: usize,
        k_star: f64,
        constant: f64,
        k_snr: f64,
    }
    let rows: Vec<Row> = r
        .cells
        .iter()
        .map(|c| Row { degree: c.degree, neurons: c.neurons, k_star: c.k_star, constant: c.constant, k_snr: c.k_snr })
        .collect();
    write_csv(
        &dir.join("dense_capacity.csv"),
        &[("experiment", "dense-capacity".into()), ("seed", env.seed.to_string())],
        &rows,
    )?;
    write_json(
        &dir.join("dense_capacity.json"),
        &json!({
            "experiment": "dense-capacity", "meta": metadata(env), "config": r.config, "cells": r.cells,
            "slopes": r.slopes, "checks": r.checks, "interrupted": r.interrupted,
        }),
    )?;
    let mut series = Vec::new();
    for (i, &(degree, _)) in cfg.grid.iter().enumerate() {
        let sel: Vec<_> = r.cells.iter().filter(|c| c.degree == degree).collect();
        let measured = sel.iter().map(|c| ((c.neurons as f64).log2(), c.k_star)).collect();
        let theory = sel.iter().map(|c| ((c.neurons as f64).log2(), c.k_snr)).collect();
        series.push(Series::points(format!("n = {degree}, measured K*"), measured).colored(i));
        series.push(Series::line(format!("n = {degree}, signal-to-noise prediction"), theory).colored(i));
    }
    plot_or_warn(
        env,
        &dir.join("dense_capacity"),
        &Chart {
            title: "Polynomial DAM: K* (half the patterns one-step stable) against N".into(),
            x_label: "log2 N".into(),
            y_label: "K*".into(),
            series,
            vlines: vec![],
            log_y: true,
        },
    );
    Ok(finish(env, &dir, title, r.checks, r.interrupted))
}

/// E7: modern Hopfield one-step retrieval against the reference table.
pub fn modern_table(env: &Env, cfg: &modern::ModernConfig, dir: &Path, title: &str) -> Result<Outcome> {
    let dir = out_dir(dir)?;
    let r = tracked(env, cfg.seeds as u64, "modern", |h| modern::run(cfg, h))?;
    write_csv(
        &dir.join("modern_seeds.csv"),
        &[("experiment", "modern".into()), ("seed", env.seed.to_string())],
        &r.rows,
    )?;
    write_csv(&dir.join("modern_cells.csv"), &[], &r.cells)?;
    write_json(
        &dir.join("modern.json"),
        &json!({"experiment": "modern", "meta": metadata(env), "config": r.config, "cells": r.cells, "checks": r.checks, "interrupted": r.interrupted}),
    )?;
    let series = cfg
        .rhos
        .iter()
        .enumerate()
        .flat_map(|(i, &rho)| {
            let measured = r.cells.iter().filter(|c| c.rho == rho).map(|c| (c.beta, c.mean)).collect();
            let reference =
                r.cells.iter().filter(|c| c.rho == rho).filter_map(|c| c.reference_mean.map(|m| (c.beta, m))).collect();
            [
                Series::line(format!("ρ = {rho}"), measured).colored(i),
                Series::points(format!("reference ρ = {rho}"), reference).colored(i),
            ]
        })
        .collect();
    plot_or_warn(
        env,
        &dir.join("modern"),
        &Chart {
            title: format!(
                "Modern Hopfield: exact sign recovery after one update (d = {}, K = {})",
                cfg.dim, cfg.patterns
            ),
            x_label: "β".into(),
            y_label: "queries recovered (%)".into(),
            series,
            vlines: vec![],
            log_y: false,
        },
    );
    Ok(finish(env, &dir, title, r.checks, r.interrupted))
}
