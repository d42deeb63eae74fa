//! Parameter studies: the units of work a sweep can vary, each one task of a few named
//! parameters that returns a flat record of results.
//!
//! A study is deterministic in its parameters and its task seed. It reports no timings (they
//! would make results differ between machines); the sweep's shard files record each task's wall
//! time beside its result.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::params::{Param, Params};
use crate::engine::rng::stream_path;
use crate::engine::run::{StopFlag, StopReason};
use crate::error::{Error, Result};
use crate::experiment::streams;
use crate::ising::{self, io, Backend, SolveOptions};
use crate::memory::hopfield::{Hopfield, LearningRule, RetrieveParams, Status};
use crate::memory::metrics::{exact_recall, overlap};
use crate::memory::patterns::{corrupt, Patterns};
use crate::proximal::phase::{recover_once, PhaseConfig};
use crate::size::{bytes, check_memory};

/// What a task runs with besides its parameters.
pub struct TaskContext<'a> {
    /// The task's own seed (derived from the sweep's seed and the task index, or listed).
    pub seed: u64,
    pub stop: &'a StopFlag,
    /// The directory holding the bundled data sets; `None`: found as
    /// [`crate::data::bundled()`](fn@crate::data::bundled) describes.
    pub data: Option<&'a Path>,
}

/// A study's result: `None` when the stop flag ended it before it finished (nothing is kept).
pub type StudyResult = Result<Option<Map<String, Value>>>;

/// One parameter study.
pub struct Study {
    /// `family/name`, the name a sweep file gives as `study = "…"`.
    pub id: &'static str,
    pub title: &'static str,
    pub params: &'static [Param],
    /// What the result record holds.
    pub results: &'static str,
    pub run: fn(&Params, &TaskContext) -> StudyResult,
}

/// Every study.
pub const STUDIES: &[Study] = &[RECALL, MAXCUT, RECOVERY, LYAPUNOV];

/// The study `id` (case-insensitive).
pub fn find(id: &str) -> Result<&'static Study> {
    STUDIES.iter().find(|s| s.id.eq_ignore_ascii_case(id)).ok_or_else(|| {
        let ids: Vec<&str> = STUDIES.iter().map(|s| s.id).collect();
        Error::Invalid(format!("unknown study `{id}`; known: {}", ids.join(", ")))
    })
}

fn record(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

const RECALL: Study = Study {
    id: "memory/recall",
    title: "Binary Hopfield network: recall of every stored random pattern from a corrupted cue",
    params: &[
        Param::int("neurons", 200, 1, 100_000, "number of neurons N"),
        Param::int("patterns", 20, 1, 1_000_000, "number of stored random patterns P (load α = P/N)"),
        Param::choice("rule", "hebb", &["hebb", "pinv", "storkey"], "learning rule"),
        Param::float("flip", 0.1, 0.0, 1.0, "fraction of each cue's components flipped"),
        Param::int("max_sweeps", 50, 1, 1_000_000, "asynchronous sweeps allowed per retrieval"),
    ],
    results: "overlap (mean final overlap with the stored pattern), exact_recall (fraction \
              retrieved exactly), stable_patterns (fraction of patterns that are fixed points), \
              converged (fraction of retrievals that reached a fixed point), mean_sweeps",
    run: run_recall,
};

fn run_recall(p: &Params, ctx: &TaskContext) -> StudyResult {
    let (n, k) = (p.usize("neurons")?, p.usize("patterns")?);
    let rule: LearningRule = p.str("rule")?.parse()?;
    let flip = p.f64("flip")?;
    check_memory("neurons", format!("the weights of {n} neurons"), bytes(&[n, n], 8))?;
    check_memory("patterns", format!("{k} patterns of {n} neurons"), bytes(&[k, n], 1))?;
    let mut rng = stream_path(ctx.seed, &[streams::SWEEP_RECALL]);
    let patterns = Patterns::random(k, n, &mut rng)?;
    let net = Hopfield::train(&patterns, rule)?;
    let params = RetrieveParams { max_sweeps: p.usize("max_sweeps")?, ..RetrieveParams::default() };
    let (mut sum_overlap, mut exact, mut stable, mut converged, mut sweeps) = (0.0, 0usize, 0usize, 0usize, 0usize);
    for mu in 0..k {
        if ctx.stop.is_raised() {
            return Ok(None);
        }
        let pattern = patterns.row(mu);
        stable += usize::from(net.is_fixed_point(pattern)?);
        let cue = corrupt(pattern, flip, &mut rng)?;
        let r = net.retrieve(&cue, &params, &mut rng)?;
        if r.status == Status::Interrupted {
            return Ok(None);
        }
        sum_overlap += overlap(pattern, &r.state)?;
        exact += usize::from(exact_recall(pattern, &r.state)?);
        converged += usize::from(r.status == Status::FixedPoint);
        sweeps += r.sweeps;
    }
    let frac = |c: usize| c as f64 / k as f64;
    Ok(Some(record(vec![
        ("overlap", Value::from(sum_overlap / k as f64)),
        ("exact_recall", Value::from(frac(exact))),
        ("stable_patterns", Value::from(frac(stable))),
        ("converged", Value::from(frac(converged))),
        ("mean_sweeps", Value::from(frac(sweeps))),
    ])))
}

const MAXCUT: Study = Study {
    id: "ising/maxcut",
    title: "MaxCut of a G-set graph by one fixed-budget solve (replicas × steps)",
    params: &[
        Param::string("graph", "G1", "a bundled G-set graph by name (G1, G11, G43) or the path of a G-set file"),
        Param::choice(
            "solver",
            "sa",
            &["sa", "greedy", "asb", "bsb", "dsb", "sb", "hbsb", "hdsb", "oim", "ahc", "cac"],
            "solver",
        ),
        Param::int("steps", 1000, 1, 1_000_000_000, "steps (sweeps for sa) per replica"),
        Param::int("replicas", 16, 1, 1_000_000, "independent replicas; the best is reported"),
    ],
    results: "cut (best cut found), mean_replica_cut (mean over replicas of each one's best cut), \
              best_known (the reference cut of a bundled graph, else null), vertices, edges",
    run: run_maxcut,
};

/// The G-set file a `graph` parameter names: a bare name is a bundled graph, anything with a
/// path separator or an extension a file.
fn graph_path(graph: &str, data: Option<&Path>) -> Result<PathBuf> {
    let path = Path::new(graph);
    if path.components().count() > 1 || path.extension().is_some() {
        return Ok(path.to_path_buf());
    }
    let file = crate::data::bundled("gset", data)?.join(format!("{graph}.txt"));
    if file.is_file() {
        Ok(file)
    } else {
        Err(Error::Missing(format!("no bundled G-set graph `{graph}` ({} does not exist)", file.display())))
    }
}

fn run_maxcut(p: &Params, ctx: &TaskContext) -> StudyResult {
    let path = graph_path(p.str("graph")?, ctx.data)?;
    let graph = io::read_gset(&path)?;
    let model = graph.to_ising(Backend::Auto)?;
    let solver = ising::solver_by_name(p.str("solver")?)?;
    let opts = SolveOptions {
        replicas: p.usize("replicas")?,
        steps: p.usize("steps")?,
        seed: ctx.seed,
        stop: ctx.stop.clone(),
        ..SolveOptions::default()
    };
    check_memory(
        "replicas",
        format!("{} replicas of {} spins", opts.replicas, graph.n),
        bytes(&[opts.replicas, graph.n], 24),
    )?;
    let r = ising::solve(&model, solver.as_ref(), &opts)?;
    if r.stop == StopReason::Interrupted {
        return Ok(None);
    }
    let mean_replica_cut =
        r.replica_best.iter().map(|&e| graph.cut_from_energy(e)).sum::<f64>() / r.replica_best.len() as f64;
    let best_known = path
        .parent()
        .map(|dir| dir.join("best_known.tsv"))
        .filter(|t| t.is_file())
        .and_then(|t| io::read_best_known(&t).ok())
        .and_then(|table| io::lookup_best_known(&table, &path, &graph).map(|b| b.cut));
    Ok(Some(record(vec![
        ("cut", Value::from(graph.cut(&r.spins))),
        ("mean_replica_cut", Value::from(mean_replica_cut)),
        ("best_known", best_known.map_or(Value::Null, Value::from)),
        ("vertices", Value::from(graph.n)),
        ("edges", Value::from(graph.edges.len())),
    ])))
}

const RECOVERY: Study = Study {
    id: "proximal/recovery",
    title: "ℓ1 recovery of a random sparse signal from Gaussian measurements (one cell of the \
            Donoho–Tanner phase diagram)",
    params: &[
        Param::int("signal", 400, 2, 1_000_000, "signal length N"),
        Param::float("delta", 0.5, 0.0, 1.0, "undersampling δ = n/N (n measurements, at least 1)"),
        Param::float("rho", 0.2, 0.0, 1.0, "sparsity ρ = k/n (k nonzeros, at least 1)"),
        Param::flag("nonneg", false, "nonnegative signal and ℓ1 with a nonnegativity constraint"),
        Param::int("stages", 8, 1, 1000, "λ-continuation stages of FISTA with restart"),
        Param::int("iterations", 300, 1, 1_000_000, "iterations per stage"),
        Param::float("success_tol", 1e-3, 0.0, 1.0, "success when ‖x̂ − x₀‖/‖x₀‖ is below this"),
    ],
    results: "measurements (n), sparsity (k), rel_error (‖x̂ − x₀‖/‖x₀‖), success",
    run: run_recovery,
};

fn run_recovery(p: &Params, ctx: &TaskContext) -> StudyResult {
    let big_n = p.usize("signal")?;
    let n = ((p.f64("delta")? * big_n as f64).round() as usize).max(1);
    let k = ((p.f64("rho")? * n as f64).round() as usize).clamp(1, big_n);
    check_memory("signal", format!("a {n} × {big_n} measurement matrix"), bytes(&[n, big_n], 8))?;
    if ctx.stop.is_raised() {
        return Ok(None);
    }
    let cfg = PhaseConfig {
        signal: big_n,
        nonneg: p.bool("nonneg")?,
        stages: p.usize("stages")?,
        iterations: p.usize("iterations")?,
        success_tol: p.f64("success_tol")?,
        ..PhaseConfig::a10()
    };
    let mut rng = stream_path(ctx.seed, &[streams::SWEEP_RECOVERY]);
    let err = recover_once(&cfg, n, k, &mut rng)?;
    Ok(Some(record(vec![
        ("measurements", Value::from(n)),
        ("sparsity", Value::from(k)),
        ("rel_error", Value::from(err)),
        ("success", Value::from(err < cfg.success_tol)),
    ])))
}

const LYAPUNOV: Study = Study {
    id: "chaos/lyapunov",
    title: "Largest Lyapunov exponent of one random network dx/dt = −x + J tanh(x) with elliptic \
            couplings (one cell of the (g, γ) phase diagram)",
    params: &[
        Param::int("n", 500, 1, 100_000, "units N"),
        Param::float("g", 2.0, 0.0, 100.0, "gain g (Var J_ij = g²/N)"),
        Param::float("gamma", 0.0, -1.0, 1.0, "coupling symmetry γ = corr(J_ij, J_ji)"),
        Param::float("dt", 0.05, 1e-6, 1.0, "RK4 step"),
        Param::float("transient", 200.0, 0.0, 1e7, "time discarded before measuring"),
        Param::float("time", 1000.0, 1e-6, 1e7, "measuring time"),
        Param::float("sigma", 0.0, 0.0, 100.0, "white-noise strength σ (Euler–Maruyama with step dt when > 0)"),
    ],
    results: "lambda (tangent vector renormalised every step; the ODE's exponent, or with σ > 0 the \
              exponent conditional on the noise), mean_square (⟨x²⟩ over units and time), theory \
              (g(1+γ) − 1 in the noiseless ordered phase, else null)",
    run: run_lyapunov,
};

fn run_lyapunov(p: &Params, ctx: &TaskContext) -> StudyResult {
    use crate::chaos::{exponents, LyapunovOptions};
    let (g, gamma) = (p.f64("g")?, p.f64("gamma")?);
    let sigma = p.f64("sigma")?;
    let opts = LyapunovOptions { dt: p.f64("dt")?, transient: p.f64("transient")?, time: p.f64("time")?, sigma };
    // One network per task, seeded by the task's seed.
    let runs = exponents(p.usize("n")?, g, gamma, 1, ctx.seed, &opts, false, ctx.stop)?;
    let Some(Some(r)) = runs.into_iter().next() else { return Ok(None) };
    if ctx.stop.is_raised() {
        return Ok(None);
    }
    Ok(Some(record(vec![
        ("lambda", Value::from(r.lambda)),
        ("mean_square", Value::from(r.mean_square)),
        ("theory", crate::chaos::ordered_exponent(g, gamma).filter(|_| sigma == 0.0).map_or(Value::Null, Value::from)),
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::params::resolve;

    fn run(study: &Study, given: serde_json::Value, seed: u64) -> Map<String, Value> {
        let params = resolve(study.params, given.as_object().unwrap(), study.id).unwrap();
        let stop = StopFlag::new();
        (study.run)(&Params(&params), &TaskContext { seed, stop: &stop, data: None }).unwrap().unwrap()
    }

    #[test]
    fn ids_are_unique_and_every_default_is_valid() {
        for (i, s) in STUDIES.iter().enumerate() {
            assert!(STUDIES[i + 1..].iter().all(|t| t.id != s.id));
            for p in s.params {
                assert_eq!(p.check(&p.default_value()), Ok(p.default_value()), "{}.{}", s.id, p.name);
            }
        }
        assert!(find("MEMORY/RECALL").is_ok());
        assert!(find("memory/nothing").err().unwrap().to_string().contains("known: memory/recall, ising/maxcut"));
    }

    #[test]
    fn recall_at_low_load_is_exact_and_fails_far_above_capacity() {
        let low = run(&RECALL, serde_json::json!({"neurons": 200, "patterns": 5, "flip": 0.1}), 1);
        assert_eq!(low["exact_recall"], 1.0);
        assert_eq!(low["stable_patterns"], 1.0);
        let high = run(&RECALL, serde_json::json!({"neurons": 200, "patterns": 80, "flip": 0.1}), 1);
        assert!(high["exact_recall"].as_f64().unwrap() < 0.1, "{high:?}");
        // The pseudo-inverse rule keeps every pattern a fixed point below N patterns.
        let pinv = run(&RECALL, serde_json::json!({"neurons": 200, "patterns": 80, "rule": "pinv", "flip": 0.0}), 1);
        assert_eq!(pinv["stable_patterns"], 1.0);
    }

    #[test]
    fn maxcut_of_a_bundled_graph_reports_a_cut_below_the_best_known() {
        let r = run(&MAXCUT, serde_json::json!({"graph": "G1", "steps": 200, "replicas": 2}), 3);
        let (cut, best) = (r["cut"].as_f64().unwrap(), r["best_known"].as_f64().unwrap());
        assert!(cut <= best && cut > 0.97 * best, "{cut} vs {best}");
        assert!(r["mean_replica_cut"].as_f64().unwrap() <= cut);
        assert_eq!((r["vertices"].as_u64(), r["edges"].as_u64()), (Some(800), Some(19176)));
        let stop = StopFlag::new();
        let ctx = TaskContext { seed: 0, stop: &stop, data: None };
        let e = graph_path("G999", ctx.data).unwrap_err().to_string();
        assert!(e.contains("no bundled G-set graph `G999`"), "{e}");
    }

    #[test]
    fn lyapunov_cells_are_negative_in_the_ordered_phase_and_positive_deep_in_the_chaotic_one() {
        let quiet = run(&LYAPUNOV, serde_json::json!({"n": 100, "g": 0.5, "transient": 20, "time": 100}), 1);
        assert!(quiet["lambda"].as_f64().unwrap() < -0.3 && quiet["theory"] == -0.5, "{quiet:?}");
        let chaotic = run(&LYAPUNOV, serde_json::json!({"n": 150, "g": 3.0, "transient": 20, "time": 200}), 1);
        assert!(chaotic["lambda"].as_f64().unwrap() > 0.05 && chaotic["theory"].is_null(), "{chaotic:?}");
    }

    #[test]
    fn recovery_succeeds_well_inside_the_phase_boundary_and_fails_far_outside() {
        let easy = run(&RECOVERY, serde_json::json!({"signal": 200, "delta": 0.5, "rho": 0.1}), 2);
        assert_eq!(easy["success"], true, "{easy:?}");
        let hard = run(&RECOVERY, serde_json::json!({"signal": 200, "delta": 0.5, "rho": 0.8}), 2);
        assert_eq!(hard["success"], false, "{hard:?}");
    }
}
