//! `ebdm maxcut | ising | qubo FILE`: solve a MaxCut, Ising or QUBO instance with one of the
//! ising solvers and report the result (text, or JSON with `--json`); `ebdm gen k2000-like`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use ebdm::ising::{self, io, Backend, IsingModel, Problem, SolveOptions, SolveResult};
use serde_json::{json, Value};

use crate::output::{metadata, Env};

/// Options shared by `maxcut`, `ising` and `qubo`.
#[derive(Args, Debug, Clone)]
pub struct SolveArgs {
    /// Instance file: G-set/rudy graph for `maxcut`; the ebdm text format (`ising N` / `qubo N`
    /// header, then `i j value` lines, 1-based) for `ising` and `qubo`.
    pub file: PathBuf,
    /// Solver: sa (simulated annealing, dwave-samplers β range), greedy (1-flip steepest
    /// descent from random states), asb / bsb / dsb (alias sb) / hbsb / hdsb (simulated
    /// bifurcation: adiabatic, ballistic, discrete, heated), oim (oscillator Ising machine),
    /// ahc / cac (coherent-Ising-machine amplitude models with amplitude-heterogeneity
    /// correction or chaotic amplitude control). A comma-separated list runs each solver in
    /// turn with the same budget (the JSON result is then `{"results": [...]}`).
    #[arg(long, default_value = "sa")]
    pub solver: String,
    /// Replicas per run, solved in parallel; replica r of run b uses stream (seed, b·R + r).
    #[arg(long, default_value_t = 16)]
    pub replicas: usize,
    /// Steps per replica and run: sweeps (sa), descents (greedy), integration steps (sb, oim,
    /// ahc, cac).
    #[arg(long, alias = "sweeps", default_value_t = 1000)]
    pub steps: usize,
    /// Number of runs (batches of replicas). Default: 1, or as many as fit in --time-limit.
    #[arg(long)]
    pub runs: Option<usize>,
    /// Wall-clock limit for the solve, e.g. 500ms, 10s, 2m (a plain number means seconds).
    /// Every run completes its schedule: after a short measuring run, each run takes as many
    /// steps as fit in the time left (at most --steps), chosen before it starts.
    #[arg(long, value_parser = parse_duration)]
    pub time_limit: Option<Duration>,
    /// Stop when this objective is reached: a number (cut for maxcut, energy or QUBO value
    /// otherwise), `best-known`, or a percentage of the best-known cut such as `99.9%`.
    #[arg(long)]
    pub target: Option<String>,
    /// Best-known table (TSV: instance, nodes, edges, best_known_cut); matched by file stem and
    /// size. Default: data/gset/best_known.tsv when it exists.
    #[arg(long)]
    pub best_known: Option<PathBuf>,
    /// Coupling storage: auto (dense at ≥ 25 % density), csr or dense.
    #[arg(long, default_value = "auto")]
    pub backend: String,
    /// Simulated-bifurcation parameter set: goto2021 (default) or sbpy2 (the step order and
    /// schedule of the simulated-bifurcation 2.0.0 package, for side-by-side runs).
    #[arg(long, default_value = "goto2021")]
    pub preset: String,
    /// Finish every replica's best state with greedy 1-flip descent.
    #[arg(long)]
    pub polish: bool,
    #[command(flatten)]
    pub output: crate::output::JsonOut,
    /// Leave the spin vector out of the JSON result.
    #[arg(long)]
    pub no_spins: bool,
    /// Write the best spins, one ±1 per line, to this file (with several solvers, those of the
    /// last one).
    #[arg(long)]
    pub spins: Option<PathBuf>,
    /// maxcut: also certify an upper bound on every cut from the Goemans–Williamson relaxation
    /// (rank-k Burer–Monteiro factorisation and a dual certificate; at most 4000 vertices).
    #[arg(long)]
    pub bound: bool,
    /// Draw the best objective against time of every solver to STEM.png and STEM.svg.
    #[arg(long, value_name = "STEM")]
    pub plot: Option<PathBuf>,
    /// Repeat the solve this many times with independent seeds (needs --target) and report the
    /// success probability, the median time to target and TTS(99 %). Each call runs its whole
    /// budget; the target marks success and does not end it.
    #[arg(long)]
    pub repeat: Option<usize>,
}

/// Parses `500ms`, `10s`, `2m`, `1h` or a plain number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(p) => (&s[..p], &s[p..]),
        None => (s, "s"),
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("`{s}` is not a duration such as 500ms, 10s or 2m"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" | "min" => v * 60.0,
        "h" => v * 3600.0,
        _ => return Err(format!("unknown unit `{unit}` in `{s}` (use ms, s, m or h)")),
    };
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!("duration `{s}` must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn default_best_known() -> Option<PathBuf> {
    let p = PathBuf::from("data/gset/best_known.tsv");
    p.exists().then_some(p)
}

/// The resolved parameters of a solver on a model, for the JSON result.
fn solver_params(name: &str, preset: ising::SbPreset, model: &IsingModel) -> Value {
    match name {
        "sa" => {
            let (hot, cold) = ising::sa::default_beta_range(model);
            json!({"schedule": "geometric, one sweep per beta", "beta_hot": hot, "beta_cold": cold,
                   "order": "sequential", "rule": "dwave-samplers default range"})
        }
        "greedy" => json!({"move": "steepest 1-flip", "start": "uniform random spins"}),
        "oim" => {
            let o = ising::Oim::default();
            let k = ising::oim::OimNetwork::new(model).k;
            json!({"dt": o.dt, "ks_max": o.ks_max, "noise": o.noise, "K": k,
                   "schedule": "K_s linear 0→ks_max, noise linear noise→0"})
        }
        "ahc" | "cac" => {
            let mode = if name == "ahc" { ising::CimMode::Ahc } else { ising::CimMode::Cac };
            let Ok(c) = ising::Cim::new(mode).resolved(model) else { return Value::Null };
            let scale = ising::cim::coupling_scale(model);
            match mode {
                ising::CimMode::Ahc => json!({"dt": c.dt, "r": c.r, "mu": c.mu, "epsilon": c.epsilon,
                    "beta": c.beta_ahc, "coupling_scale": scale, "x0": "U(-5e-4, 5e-4)", "e0": 1.0}),
                ising::CimMode::Cac => json!({"dt": c.dt, "r": c.r, "mu": c.mu, "beta": c.beta,
                    "alpha": c.alpha, "rho": c.rho, "delta": c.delta, "gamma": c.gamma, "tau": c.tau,
                    "coupling_scale": scale, "restart": !c.compat, "x0": "U(-5e-4, 5e-4)", "e0": 1.0}),
            }
        }
        _ => {
            let Some((mode, heated)) = ising::sb::variant(name) else { return Value::Null };
            let sb = if mode == ising::SbMode::Adiabatic {
                ising::Sb::new(mode, heated)
            } else {
                ising::Sb::with_preset(mode, heated, preset)
            };
            let sb = sb.resolved(model);
            let pump = match preset {
                ising::SbPreset::Goto2021 => "a(t) linear 0→a0 over the steps of a run",
                ising::SbPreset::Sbpy2 => "p_k = min(0.001 k, 1); coupling after the position update",
            };
            json!({"mode": sb.mode, "preset": sb.preset, "dt": sb.dt, "c0": sb.c0, "a0": sb.a0, "heat": sb.heat,
                   "init": sb.init, "pump": pump})
        }
    }
}

/// `ebdm maxcut | ising | qubo`.
/// Returns whether the solve was interrupted (the partial result is still reported).
pub fn solve_cmd(env: &Env, kind: &str, args: &SolveArgs) -> Result<bool> {
    let backend: Backend = args.backend.parse()?;
    let preset: ising::SbPreset = args.preset.parse()?;
    let names: Vec<&str> = args.solver.split(',').map(str::trim).collect();
    let solvers = names.iter().map(|n| ising::solver_with_preset(n, preset)).collect::<ebdm::Result<Vec<_>>>()?;
    if solvers.len() > 1 && args.repeat.is_some() {
        bail!("--repeat takes a single solver");
    }
    let t0 = Instant::now();
    let (problem, best_known, instance_info, ising_model) = match kind {
        "maxcut" => {
            let graph = io::read_gset(&args.file)?;
            let table = match args.best_known.clone().or_else(default_best_known) {
                Some(p) => io::read_best_known(&p)?,
                None => Vec::new(),
            };
            let best_known = io::lookup_best_known(&table, &args.file, &graph).map(|r| r.cut);
            let info = json!({"n": graph.n, "m": graph.edges.len(), "total_weight": graph.total_weight(),
                              "best_known": best_known});
            (Problem::MaxCut(graph), best_known, info, None)
        }
        _ => match io::read_model(&args.file, backend)? {
            io::Instance::Ising(m) if kind == "ising" => {
                let info = json!({"n": m.n(), "pairs": m.j.nnz_pairs(), "offset": m.offset});
                (Problem::Ising, None, info, Some(m))
            }
            io::Instance::Qubo(q) if kind == "qubo" => {
                let info = json!({"n": q.n, "pairs": q.quad.len(), "offset": q.offset});
                (Problem::Qubo(q), None, info, None)
            }
            io::Instance::Ising(_) => bail!("{}: an `ising` file; use `ebdm ising`", args.file.display()),
            io::Instance::Qubo(_) => bail!("{}: a `qubo` file; use `ebdm qubo`", args.file.display()),
        },
    };
    let parse_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let model = match (&problem, ising_model) {
        (_, Some(m)) => m,
        (Problem::MaxCut(graph), None) => graph.to_ising(backend)?,
        (Problem::Qubo(q), None) => q.to_ising(backend)?,
        (Problem::Ising, None) => unreachable!("an Ising problem carries its model"),
    };
    let build_s = t1.elapsed().as_secs_f64();
    let target = match args.target.as_deref() {
        None => None,
        Some("best-known") => {
            Some(best_known.with_context(|| format!("no best-known value for {}", args.file.display()))?)
        }
        Some(t) if t.ends_with('%') => {
            let bk = best_known.with_context(|| format!("no best-known value for {}", args.file.display()))?;
            let pct: f64 = t[..t.len() - 1].parse().with_context(|| format!("bad percentage `{t}`"))?;
            Some((bk * pct / 100.0).ceil())
        }
        Some(t) => Some(t.parse::<f64>().with_context(|| format!("bad target `{t}`"))?),
    };
    let opts = SolveOptions {
        replicas: args.replicas,
        steps: args.steps,
        runs: args.runs,
        time_limit: args.time_limit,
        target_energy: target.map(|t| problem.energy_of_objective(t)),
        seed: env.seed,
        polish: args.polish,
        stop: env.stop.clone(),
    };
    if args.output.prints_text(env) {
        eprintln!(
            "{} on {} (n = {}, {} backend), {} replicas × {} steps{}",
            names.join(", "),
            args.file.display(),
            model.n(),
            serde_json::to_value(model.j.backend())?.as_str().unwrap_or("?"),
            args.replicas,
            args.steps,
            args.time_limit.map_or(String::new(), |d| format!(", time limit {:.3} s", d.as_secs_f64()))
        );
    }
    if let Some(n) = args.repeat {
        if target.is_none() {
            bail!("--repeat needs --target (a cut, energy or QUBO value, best-known or a percentage)");
        }
        let rep = ising::tts::time_to_solution(&model, solvers[0].as_ref(), &opts, n)?;
        let out = json!({"meta": metadata(env), "instance": instance_info, "solver": args.solver,
                         "replicas": args.replicas, "steps": args.steps, "target": target, "tts": rep});
        // One line on standard output, so that repeated runs append to a JSON-lines log.
        args.output.emit(&out, true)?;
        if args.output.prints_text(env) {
            let done = rep.repeats.len();
            let hits = rep.repeats.iter().filter(|r| r.time_to_target_s.is_some()).count();
            println!("{:<22} {}", "target", target.expect("checked"));
            println!("{:<22} {hits}/{done} ({:.3})", "reached", rep.success_probability);
            match rep.median_time_to_target_s {
                Some(t) => println!("{:<22} {t:.4} s", "median time to target"),
                None => println!("{:<22} –", "median time to target"),
            }
            println!("{:<22} {:.4} s", "mean time per call", rep.mean_repeat_s);
            match rep.tts99_s {
                Some(t) => println!("{:<22} {t:.4} s", "TTS(99 %)"),
                None => println!("{:<22} not reached in any repeat", "TTS(99 %)"),
            }
        }
        return Ok(rep.interrupted);
    }
    let bound = match (&problem, args.bound) {
        (Problem::MaxCut(graph), true) => {
            if graph.n > ising::gw::MAX_BOUND_NODES {
                bail!(
                    "--bound: {} vertices; the certified bound handles at most {}",
                    graph.n,
                    ising::gw::MAX_BOUND_NODES
                );
            }
            let t = Instant::now();
            let g = ising::gw::gw(
                graph,
                &ising::gw::GwOptions { seed: env.seed, stop: env.stop.clone(), ..Default::default() },
            )?;
            Some(Bound {
                upper: g.upper_bound.expect("bound requested"),
                sdp: g.sdp_value,
                rounded: g.cut,
                secs: t.elapsed().as_secs_f64(),
            })
        }
        (_, true) => bail!("--bound applies to maxcut only"),
        _ => None,
    };
    let ctx =
        RunContext { env, preset, kind, args, problem: &problem, model: &model, target, best_known, parse_s, build_s };
    let mut results = Vec::new();
    let mut curves = Vec::new();
    let mut interrupted = false;
    for (name, solver) in names.iter().zip(&solvers) {
        if solvers.len() > 1 && args.output.prints_text(env) {
            println!("── {name}");
        }
        let r = ising::solve(&model, solver.as_ref(), &opts)?;
        results.push(report(&ctx, name, &r, instance_info.clone(), bound.as_ref())?);
        curves.push((name.to_string(), best_so_far_curve(&problem, &r)));
        if r.stop == ebdm::engine::StopReason::Interrupted {
            interrupted = true;
            break;
        }
    }
    let out = if results.len() == 1 { results.pop().expect("one result") } else { json!({ "results": results }) };
    // One line on standard output, so that repeated runs append to a JSON-lines log.
    args.output.emit(&out, true)?;
    if let Some(stem) = &args.plot {
        let written = plot_best_so_far(stem, &args.file, kind, problem.maximise(), &curves, best_known)?;
        if args.output.prints_text(env) {
            eprintln!("wrote {}", written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
        }
    }
    Ok(interrupted)
}

/// The best objective as a step function of time: one point where each improvement happens
/// and one where the run ends.
fn best_so_far_curve(problem: &Problem, r: &SolveResult) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for &(t, e) in &r.trace {
        let v = problem.objective_of_energy(e);
        if let Some(&(_, last)) = pts.last() {
            pts.push((t, last));
        }
        pts.push((t, v));
    }
    if let Some(&(_, last)) = pts.last() {
        pts.push((r.wall_s, last));
    }
    pts
}

/// Writes `stem.png` / `stem.svg`: best objective against time, one curve per solver, and the
/// best-known value when there is one.
fn plot_best_so_far(
    stem: &Path,
    file: &Path,
    kind: &str,
    maximise: bool,
    curves: &[(String, Vec<(f64, f64)>)],
    best_known: Option<f64>,
) -> Result<Vec<PathBuf>> {
    // Only values within 1 % of the worst final value are drawn, so that the range where the
    // solvers differ fills the chart rather than the random starts.
    let finals: Vec<f64> = curves.iter().filter_map(|(_, p)| p.last().map(|q| q.1)).collect();
    let worst = if maximise {
        finals.iter().copied().fold(f64::INFINITY, f64::min)
    } else {
        finals.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    };
    let margin = 0.01 * worst.abs();
    let shown = |v: f64| if maximise { v >= worst - margin } else { v <= worst + margin };
    let mut series: Vec<crate::plot::Series> = curves
        .iter()
        .map(|(n, pts)| crate::plot::Series::line(n.clone(), pts.iter().copied().filter(|q| shown(q.1)).collect()))
        .collect();
    if let Some(bk) = best_known {
        let t_end = curves.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(0.0f64, f64::max);
        series.push(crate::plot::Series::line(format!("best known {bk}"), vec![(0.0, bk), (t_end, bk)]));
    }
    let objective = if kind == "maxcut" { "best cut" } else { "best objective" };
    let chart = crate::plot::Chart {
        stem: String::new(),
        title: format!("{}: {objective} against time", file.file_stem().and_then(|s| s.to_str()).unwrap_or("")),
        x_label: "seconds".into(),
        y_label: objective.into(),
        series,
        vlines: Vec::new(),
        log_y: false,
    };
    crate::plot::chart(stem, &chart)
}

/// The Goemans–Williamson upper bound of a maxcut run.
struct Bound {
    upper: f64,
    sdp: f64,
    rounded: f64,
    secs: f64,
}

/// What every solver's report shares.
struct RunContext<'a> {
    env: &'a Env,
    preset: ising::SbPreset,
    kind: &'a str,
    args: &'a SolveArgs,
    problem: &'a Problem,
    model: &'a IsingModel,
    target: Option<f64>,
    best_known: Option<f64>,
    parse_s: f64,
    build_s: f64,
}

/// Checks a result, prints its summary and returns its JSON object.
fn report(
    ctx: &RunContext,
    solver: &str,
    r: &SolveResult,
    instance_info: Value,
    bound: Option<&Bound>,
) -> Result<Value> {
    let RunContext { env, preset, kind, args, problem, model, target, best_known, parse_s, build_s } = *ctx;
    // The objective is recounted from the spins, independently of the solver's energies.
    let objective = problem.objective(model, &r.spins);
    if let Some(b) = bound {
        if objective > b.upper {
            bail!("internal check failed: cut {objective} above the certified upper bound {}", b.upper);
        }
    }
    let from_energy = problem.objective_of_energy(r.energy);
    if objective != from_energy {
        bail!("internal check failed: objective {objective} recounted from spins, {from_energy} from the energy");
    }
    let better = |a: f64, b: f64| if problem.maximise() { a >= b } else { a <= b };
    let gap = best_known.map(|bk| 100.0 * (bk - objective) / bk);
    let time_to_target = target
        .and_then(|t| r.trace.iter().find(|&&(_, e)| better(problem.objective_of_energy(e), t)).map(|&(time, _)| time));
    let trace: Vec<[f64; 2]> = r.trace.iter().map(|&(t, e)| [t, problem.objective_of_energy(e)]).collect();
    let name = args.file.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
    let mut instance = json!({"name": name, "file": args.file.display().to_string(), "kind": kind});
    if let (Value::Object(a), Value::Object(b)) = (&mut instance, instance_info) {
        a.extend(b);
    }
    let objective_name = match kind {
        "maxcut" => "cut",
        "ising" => "energy",
        _ => "qubo_value",
    };
    let mut out = json!({
        "meta": metadata(env),
        "instance": instance,
        "solver": {"name": solver, "params": solver_params(solver, preset, model), "polish": args.polish},
        "replicas": args.replicas,
        "steps": args.steps,
        "backend": model.j.backend(),
        objective_name: objective,
        "energy": r.energy,
        "energy_convention": "H = -1/2 s'Js - h's + c; maxcut: J = -w, cut = (W - H)/2",
        "gap_percent": gap,
        "target": target,
        "reached_target": target.map(|t| better(objective, t)),
        "time_to_best_s": r.time_to_best_s,
        "time_to_target_s": time_to_target,
        "wall_s": r.wall_s,
        "parse_s": parse_s,
        "build_s": build_s,
        "steps_done": r.steps_done,
        "runs_done": r.runs_done,
        "run_steps": r.run_steps,
        "stop_reason": r.stop,
        "best_replica": r.best_replica,
        "best_step": r.best_step,
        "trace": trace,
    });
    if let Some(b) = bound {
        out["upper_bound"] = json!(b.upper);
        out["sdp_value"] = json!(b.sdp);
        out["gap_to_bound_percent"] = json!(100.0 * (b.upper - objective) / b.upper);
        out["gw_rounded_cut"] = json!(b.rounded);
        out["bound_s"] = json!(b.secs);
    }
    if !args.no_spins {
        out["spins"] = json!(r.spins);
    }
    if let Some(p) = &args.spins {
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?);
        for s in &r.spins {
            writeln!(f, "{s}")?;
        }
        f.flush()?;
    }
    if args.output.prints_text(env) {
        println!("{objective_name:<14} {objective}");
        println!("{:<14} {}", "energy", r.energy);
        if let (Some(bk), Some(g)) = (best_known, gap) {
            println!("{:<14} {bk} (gap {g:.3} %)", "best known");
        }
        if let Some(b) = bound {
            println!(
                "{:<14} {:.3} (Goemans–Williamson, certified; {:.3} % above the cut; {:.2} s)",
                "upper bound",
                b.upper,
                100.0 * (b.upper - objective) / b.upper,
                b.secs
            );
        }
        println!("{:<14} {:.4} s (replica {}, step {})", "time to best", r.time_to_best_s, r.best_replica, r.best_step);
        if let Some(t) = target {
            match time_to_target {
                Some(tt) => println!("{:<14} {t} reached after {tt:.4} s", "target"),
                None => println!("{:<14} {t} not reached", "target"),
            }
        }
        println!(
            "{:<14} {:.3} s wall, {} steps in {} run(s), stopped by {:?}",
            "work", r.wall_s, r.steps_done, r.runs_done, r.stop
        );
    }
    Ok(out)
}

/// `ebdm gen k2000-like`.
pub fn gen_k2000_like(n: usize, seed: u64, out: &Path) -> Result<()> {
    let g = io::k2000_like(n, seed)?;
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?);
    io::write_gset(&g, &mut f)?;
    f.flush()?;
    Ok(())
}
