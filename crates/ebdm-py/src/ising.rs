//! Ising machines and MaxCut: G-set reading and the solvers of `ebdm::ising`.

use std::path::PathBuf;
use std::time::Duration;

use ebdm::engine::StopFlag;
use ebdm::ising::{self, io, Backend, IsingModel, MaxCutGraph, SolveOptions, SolveResult};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{matrix, real, vector};
use crate::errors::{param, shape, OrRaise};
use crate::runtime::run_released;

/// Reads a G-set/rudy file: `(n, edges)` with `edges` an m×3 float64 array of rows
/// `(i, j, w)`, 0-based vertex ids. Malformed files raise `ValueError` naming the line.
#[pyfunction]
pub fn read_gset(py: Python<'_>, path: PathBuf) -> PyResult<(usize, Bound<'_, numpy::PyArray2<f64>>)> {
    let g = io::read_gset(&path).or_raise()?;
    let flat: Vec<f64> = g.edges.iter().flat_map(|&(i, j, w)| [f64::from(i), f64::from(j), w]).collect();
    Ok((g.n, matrix(py, g.edges.len(), 3, flat)?))
}

#[allow(clippy::too_many_arguments)]
fn options(
    replicas: usize,
    steps: usize,
    runs: Option<usize>,
    time_limit: Option<f64>,
    seed: u64,
    polish: bool,
    target_energy: Option<f64>,
    stop: StopFlag,
) -> PyResult<SolveOptions> {
    let time_limit = match time_limit {
        None => None,
        Some(t) if t.is_finite() && t > 0.0 => Some(Duration::from_secs_f64(t)),
        Some(t) => return Err(param("time_limit", format!("must be a positive number of seconds, got {t}"))),
    };
    Ok(SolveOptions { replicas, steps, runs, time_limit, target_energy, seed, polish, stop })
}

fn result_dict<'py>(
    py: Python<'py>,
    r: &SolveResult,
    solver: &str,
    objective: (&str, f64),
    to_objective: impl Fn(f64) -> f64,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(objective.0, objective.1)?;
    d.set_item("energy", r.energy)?;
    d.set_item("spins", vector(py, r.spins.clone()))?;
    d.set_item("solver", solver)?;
    d.set_item("time_to_best_s", r.time_to_best_s)?;
    d.set_item("wall_s", r.wall_s)?;
    d.set_item("steps_done", r.steps_done)?;
    d.set_item("runs_done", r.runs_done)?;
    d.set_item("run_steps", &r.run_steps)?;
    d.set_item("stop_reason", crate::convert::to_python(py, &r.stop)?)?;
    let trace: Vec<(f64, f64)> = r.trace.iter().map(|&(t, e)| (t, to_objective(e))).collect();
    d.set_item("trace", trace)?;
    Ok(d)
}

fn run_solver(
    py: Python<'_>,
    model: &IsingModel,
    solver: &str,
    preset: &str,
    opts: &SolveOptions,
    threads: Option<usize>,
) -> PyResult<SolveResult> {
    let preset: ising::SbPreset = preset.parse().or_raise()?;
    let s = ising::solver_with_preset(solver, preset).or_raise()?;
    run_released(py, threads, Some(&opts.stop), || ising::solve(model, s.as_ref(), opts))?.or_raise()
}

/// MaxCut of the graph with `n` vertices and edges `(i, j, w)` (an m×3 array, 0-based ids, as
/// returned by `read_gset`). Solvers: `sa` (the default, as on the command line), `greedy`, `asb`, `bsb`, `dsb` (`sb`), `hbsb`, `hdsb`,
/// `oim`, `ahc`, `cac`. Returns a dict with `cut` (recounted from `spins`), `energy` (H = (W − 2·cut) for
/// J = −w), `spins` (int8 ±1), `time_to_best_s`, `trace` [(seconds, best cut)], `stop_reason`,
/// `steps_done`, `runs_done`, `run_steps` (each run's schedule length), `wall_s`. The GIL is released while solving; Ctrl-C interrupts.
/// `preset` chooses the simulated-bifurcation parameters for `bsb`, `dsb`, `hbsb` and `hdsb`:
/// `goto2021` (default) or `sbpy2` (the step order, pump schedule, Δt and initial state of the
/// simulated-bifurcation 2.0.0 package). With `bound=True` also `upper_bound` (certified Goemans–Williamson bound on every cut, at
/// most 4000 vertices), `sdp_value` and `gw_rounded_cut`.
#[pyfunction]
#[pyo3(signature = (edges, n, solver = "sa", replicas = 16, steps = 1000, runs = None, time_limit = None,
                    seed = 0, polish = false, target = None, threads = None, bound = false, preset = "goto2021"))]
#[allow(clippy::too_many_arguments)]
pub fn maxcut<'py>(
    py: Python<'py>,
    edges: &Bound<'py, PyAny>,
    n: usize,
    solver: &str,
    replicas: usize,
    steps: usize,
    runs: Option<usize>,
    time_limit: Option<f64>,
    seed: u64,
    polish: bool,
    target: Option<f64>,
    threads: Option<usize>,
    bound: bool,
    preset: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let e = real(edges, "edges", &[2])?;
    let (m, cols) = e.rows_cols();
    if cols != 3 && m > 0 {
        return Err(shape(format!("edges must have 3 columns (i, j, w), got {cols}")));
    }
    let mut list = Vec::with_capacity(m);
    for k in 0..m {
        let (i, j, w) = (e.data[3 * k], e.data[3 * k + 1], e.data[3 * k + 2]);
        let id = |v: f64| -> PyResult<u32> {
            if v.fract() == 0.0 && v >= 0.0 && v < n as f64 {
                Ok(v as u32)
            } else {
                Err(shape(format!("edge {k}: vertex id {v} is not an integer in 0..{n}")))
            }
        };
        list.push((id(i)?, id(j)?, w));
    }
    let g = MaxCutGraph::new(n, list).or_raise()?;
    let model = g.to_ising(Backend::Auto).or_raise()?;
    let target_energy = target.map(|t| g.total_weight() - 2.0 * t);
    let opts = options(replicas, steps, runs, time_limit, seed, polish, target_energy, StopFlag::new())?;
    let r = run_solver(py, &model, solver, preset, &opts, threads)?;
    let out = result_dict(py, &r, solver, ("cut", g.cut(&r.spins)), |e| g.cut_from_energy(e))?;
    if bound {
        if n > ebdm::ising::gw::MAX_BOUND_NODES {
            return Err(shape(format!(
                "bound: {n} vertices; the certified bound handles at most {}",
                ebdm::ising::gw::MAX_BOUND_NODES
            )));
        }
        let gw_opts = ebdm::ising::gw::GwOptions { seed, ..Default::default() };
        let gwr = run_released(py, threads, None, || ebdm::ising::gw::gw(&g, &gw_opts))?.or_raise()?;
        out.set_item("upper_bound", gwr.upper_bound)?;
        out.set_item("sdp_value", gwr.sdp_value)?;
        out.set_item("gw_rounded_cut", gwr.cut)?;
    }
    Ok(out)
}

/// Minimises H(s) = −½ sᵀJs − hᵀs + offset for a symmetric N×N array J (its diagonal must be
/// zero); options as for `maxcut`. Returns the same dict with `energy` as the objective.
#[pyfunction]
#[pyo3(signature = (j, h = None, offset = 0.0, solver = "sa", replicas = 16, steps = 1000, runs = None,
                    time_limit = None, seed = 0, polish = false, target = None, threads = None,
                    preset = "goto2021"))]
#[allow(clippy::too_many_arguments)]
pub fn solve_ising<'py>(
    py: Python<'py>,
    j: &Bound<'py, PyAny>,
    h: Option<&Bound<'py, PyAny>>,
    offset: f64,
    solver: &str,
    replicas: usize,
    steps: usize,
    runs: Option<usize>,
    time_limit: Option<f64>,
    seed: u64,
    polish: bool,
    target: Option<f64>,
    threads: Option<usize>,
    preset: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let jm = real(j, "J", &[2])?;
    let (rows, cols) = jm.rows_cols();
    if rows != cols {
        return Err(shape(format!("J must be square, got {rows}×{cols}")));
    }
    let n = rows;
    let mut pairs = Vec::new();
    for a in 0..n {
        if jm.data[a * n + a] != 0.0 {
            return Err(shape(format!("J[{a}, {a}] = {} but the diagonal must be zero", jm.data[a * n + a])));
        }
        for b in a + 1..n {
            let (x, y) = (jm.data[a * n + b], jm.data[b * n + a]);
            if x != y {
                return Err(shape(format!("J is not symmetric: J[{a}, {b}] = {x}, J[{b}, {a}] = {y}")));
            }
            if x != 0.0 {
                pairs.push((a as u32, b as u32, x));
            }
        }
    }
    let hv = match h {
        Some(h) => real(h, "h", &[1])?.data,
        None => vec![0.0; n],
    };
    let model = IsingModel::new(n, &pairs, hv, offset, Backend::Auto).or_raise()?;
    let opts = options(replicas, steps, runs, time_limit, seed, polish, target, StopFlag::new())?;
    let r = run_solver(py, &model, solver, preset, &opts, threads)?;
    let e = model.energy(&r.spins);
    result_dict(py, &r, solver, ("energy", e), |e| e)
}
