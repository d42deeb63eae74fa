//! Proximal-descent dynamics and sparse reconstruction: least-squares problems with named
//! penalties, batched sparse coding, proximal operators, PI-PGD and the phase curve. The Python
//! module `ebdm.sparse` wraps these functions in a friendlier API.

use std::borrow::Cow;

use ebdm::engine::{RunLimits, StopFlag};
use ebdm::proximal::coding::{encode, CodingOptions, CodingSolver, Dictionary};
use ebdm::proximal::estimator::{fit_rows, reads_columns, PenaltyKind, PenaltySpec, Solver};
use ebdm::proximal::fixture::sm_lasso;
use ebdm::proximal::phase::rho_se;
use ebdm::proximal::pi_pgd::{pi_pgd, PiPgdOptions};
use ebdm::proximal::problem::{Convention, Quadratic};
use ebdm::proximal::prox::L1;
use ebdm::proximal::solvers::{Method, Options};
use numpy::prelude::*;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{f64_array, matrix, real, vector};
use crate::errors::{param, shape, OrRaise};
use crate::runtime::run_released;

/// A penalty from its name and parameters.
#[allow(clippy::too_many_arguments)]
fn spec(
    penalty: &str,
    lam: f64,
    l1_ratio: f64,
    group_size: usize,
    lo: f64,
    hi: f64,
    radius: f64,
    gamma_m: f64,
) -> PyResult<PenaltySpec> {
    let kind: PenaltyKind = penalty.parse().or_raise()?;
    Ok(PenaltySpec { kind, lambda: lam, l1_ratio, group_size, lo, hi, radius, gamma_m })
}

/// Solves min f(w) + g(w), f = (s/2)‖y − Xw‖² (s = 1/n for convention "ml", 1 for "sp"),
/// g the named penalty with weight `lam` (times λ_max when `lam_rel`). Returns a dict with the
/// solution `x`, `objective`, `gap`, `kkt`, `iterations`, `converged`, `nnz`, `gamma`, `L`,
/// `lambda_abs`, `lambda_rel` and, with `trace=True`, `trace` (a dict of arrays).
#[pyfunction]
#[pyo3(signature = (x, y, lam=0.1, lam_rel=false, convention="ml", penalty="l1", solver=None, restart=false,
    backtracking=false, gamma=None, dt=1.0, tau=1.0, tol=1e-8, max_iter=10_000, trace=false, l1_ratio=0.5,
    group_size=5, lo=0.0, hi=1.0, radius=1.0, gamma_m=3.0, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn sparse_lasso<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    lam: f64,
    lam_rel: bool,
    convention: &str,
    penalty: &str,
    solver: Option<&str>,
    restart: bool,
    backtracking: bool,
    gamma: Option<f64>,
    dt: f64,
    tau: f64,
    tol: f64,
    max_iter: usize,
    trace: bool,
    l1_ratio: f64,
    group_size: usize,
    lo: f64,
    hi: f64,
    radius: f64,
    gamma_m: f64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let arr = f64_array(x, "row")?;
    let ro = arr.try_readonly().map_err(|e| shape(format!("X: {e}")))?;
    let view = ro.as_array();
    if view.ndim() != 2 {
        return Err(shape(format!("X must be a 2-D array, got {} dimensions", view.ndim())));
    }
    let (n, p) = (view.shape()[0], view.shape()[1]);
    let yv = real(y, "y", &[1, 2])?;
    if yv.data.len() != n {
        return Err(shape(format!("X has {n} rows but y has {} values", yv.data.len())));
    }
    let convention: Convention = convention.parse().or_raise()?;
    let spec = spec(penalty, lam, l1_ratio, group_size, lo, hi, radius, gamma_m)?;
    if !(tau.is_finite() && tau > 0.0) {
        return Err(param("tau", format!("must be finite and > 0, got {tau}")));
    }
    let h = dt / tau;
    let solver = match solver {
        None => None,
        Some("cd") => Some(Solver::Cd),
        Some("ista") => Some(Solver::Generic(Method::Ista)),
        Some("fista") => Some(Solver::Generic(Method::Fista { restart })),
        Some("pgd") => Some(Solver::Generic(Method::Pgd { h })),
        Some("lca") => Some(Solver::Generic(Method::Lca { h })),
        Some(other) => return Err(param("solver", format!("`{other}` is not one of cd, ista, fista, pgd, lca"))),
    };
    let stop = StopFlag::new();
    let opts = Options {
        limits: RunLimits::steps(max_iter).with_tol(tol),
        gamma,
        backtracking,
        trace,
        stop: stop.clone(),
        ..Options::default()
    };
    // A C-ordered X is read in place (coordinate descent copies it into columns); other
    // layouts are first copied into rows, so that every layout gives the same bits.

    let rows: Cow<'_, [f64]> = match view.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(view.iter().copied().collect()),
    };
    let threads = if reads_columns(&spec, solver) { Some(1) } else { threads };
    let (fitted, solve_seconds) = run_released(py, threads, Some(&stop), move || -> ebdm::Result<_> {
        let start = std::time::Instant::now();
        let fitted = fit_rows(n, p, &rows, yv.data, convention, &spec, lam_rel, solver, &opts)?;
        Ok((fitted, start.elapsed().as_secs_f64()))
    })?
    .or_raise()?;
    let r = fitted.report;
    let d = PyDict::new(py);
    d.set_item("objective", r.objective)?;
    d.set_item("gap", r.gap)?;
    d.set_item("kkt", r.kkt)?;
    d.set_item("residual", r.residual)?;
    d.set_item("iterations", r.iterations)?;
    d.set_item("converged", r.converged)?;
    d.set_item("interrupted", r.interrupted)?;
    d.set_item("nnz", r.nnz)?;
    d.set_item("gamma", r.gamma)?;
    d.set_item("L", r.lipschitz)?;
    d.set_item("solver", r.solver)?;
    d.set_item("penalty", fitted.penalty)?;
    d.set_item("convention", convention.to_string())?;
    d.set_item("lambda_abs", fitted.lambda)?;
    d.set_item("lambda_rel", fitted.lambda / fitted.lambda_max)?;
    d.set_item("solve_seconds", solve_seconds)?;
    if trace {
        let t = PyDict::new(py);
        t.set_item("iter", vector(py, r.trace.iter().map(|p| p.iter as f64).collect()))?;
        t.set_item("t", vector(py, r.trace.iter().map(|p| p.t).collect()))?;
        t.set_item("objective", vector(py, r.trace.iter().map(|p| p.objective).collect()))?;
        t.set_item("gap", vector(py, r.trace.iter().map(|p| p.gap.unwrap_or(f64::NAN)).collect()))?;
        t.set_item("nnz", vector(py, r.trace.iter().map(|p| p.nnz as f64).collect()))?;
        d.set_item("trace", t)?;
    }
    d.set_item("x", vector(py, r.x))?;
    if r.interrupted {
        return Err(pyo3::exceptions::PyKeyboardInterrupt::new_err("interrupted"));
    }
    Ok(d)
}

/// Codes every row of `signals` against the atoms (rows) of `dictionary`:
/// min_c ½‖x − cD‖² + alpha‖c‖₁ (scikit-learn's `sparse_encode` alpha). Returns a dict with
/// `codes` (rows × atoms), `objectives`, `gaps` and `residuals` per row.
#[pyfunction]
#[pyo3(signature = (dictionary, signals, alpha=0.1, solver="cd", steps=None, tol=1e-8, dt=1.0, nonneg=false, batch=64, precision="f32", threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn sparse_encode<'py>(
    py: Python<'py>,
    dictionary: &Bound<'py, PyAny>,
    signals: &Bound<'py, PyAny>,
    alpha: f64,
    solver: &str,
    steps: Option<usize>,
    tol: f64,
    dt: f64,
    nonneg: bool,
    batch: usize,
    precision: &str,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let dm = real(dictionary, "dictionary", &[2])?;
    let (k, d) = dm.rows_cols();
    let sm = real(signals, "signals", &[1, 2])?;
    let (rows, cols) = sm.rows_cols();
    if cols != d {
        return Err(shape(format!("the signals have {cols} features but the atoms have {d}")));
    }
    let solver = match solver {
        "cd" => CodingSolver::Cd,
        "fista" => CodingSolver::Fista,
        "lca" => CodingSolver::Lca,
        other => return Err(param("solver", format!("`{other}` is not one of cd, fista, lca"))),
    };
    let iterations = steps.unwrap_or(if solver == CodingSolver::Cd { 10_000 } else { 300 });
    let stop = StopFlag::new();
    let precision = precision.parse().or_raise()?;
    let opts = CodingOptions {
        solver,
        limits: RunLimits::steps(iterations).with_tol(tol),
        h: dt,
        nonneg,
        chunk: batch.max(1),
        precision,
        stop: stop.clone(),
    };
    let (ddata, sdata) = (dm.data, sm.data);
    let codes = run_released(py, threads, Some(&stop), move || -> ebdm::Result<_> {
        let dict = Dictionary::new(k, d, ddata)?;
        encode(&dict, &sdata, rows, alpha, &opts)
    })?
    .or_raise()?;
    let out = PyDict::new(py);
    out.set_item("codes", matrix(py, rows, k, codes.codes)?)?;
    out.set_item("objectives", vector(py, codes.objectives))?;
    out.set_item("gaps", vector(py, codes.gaps))?;
    out.set_item("residuals", vector(py, codes.residuals))?;
    Ok(out)
}

/// The proximal operator of the named penalty at step `gamma`, applied to a vector or to every
/// row of a matrix.
#[pyfunction]
#[pyo3(signature = (v, penalty, gamma=1.0, lam=0.1, l1_ratio=0.5, group_size=5, lo=0.0, hi=1.0, radius=1.0, gamma_m=3.0))]
#[allow(clippy::too_many_arguments)]
pub fn sparse_prox<'py>(
    py: Python<'py>,
    v: &Bound<'py, PyAny>,
    penalty: &str,
    gamma: f64,
    lam: f64,
    l1_ratio: f64,
    group_size: usize,
    lo: f64,
    hi: f64,
    radius: f64,
    gamma_m: f64,
) -> PyResult<Bound<'py, PyAny>> {
    if !(gamma.is_finite() && gamma > 0.0) {
        return Err(param("gamma", format!("must be finite and > 0, got {gamma}")));
    }
    let m = real(v, "v", &[1, 2])?;
    let (rows, cols) = m.rows_cols();
    ebdm::proximal::problem::check_all_finite("v", &m.data).or_raise()?;
    let g = spec(penalty, lam, l1_ratio, group_size, lo, hi, radius, gamma_m)?.build(lam, cols).or_raise()?;
    let mut out = vec![0.0; m.data.len()];
    for (vi, oi) in m.data.chunks(cols.max(1)).zip(out.chunks_mut(cols.max(1))) {
        g.prox(vi, gamma, oi);
    }
    Ok(if m.is_batch() { matrix(py, rows, cols, out)?.into_any() } else { vector(py, out).into_any() })
}

/// The value g(x) of the named penalty (inf outside a constraint set).
#[pyfunction]
#[pyo3(signature = (x, penalty, lam=0.1, l1_ratio=0.5, group_size=5, lo=0.0, hi=1.0, radius=1.0, gamma_m=3.0))]
#[allow(clippy::too_many_arguments)]
pub fn sparse_penalty_value(
    x: &Bound<'_, PyAny>,
    penalty: &str,
    lam: f64,
    l1_ratio: f64,
    group_size: usize,
    lo: f64,
    hi: f64,
    radius: f64,
    gamma_m: f64,
) -> PyResult<f64> {
    let v = real(x, "x", &[1])?.data;
    let g = spec(penalty, lam, l1_ratio, group_size, lo, hi, radius, gamma_m)?.build(lam, v.len()).or_raise()?;
    Ok(g.value(&v))
}

/// ρ_SE(δ) of the ℓ1 phase transition for each δ (signed: ζ = 2; else nonnegative, ζ = 1).
#[pyfunction]
#[pyo3(signature = (delta, signed=true))]
pub fn sparse_phase_curve<'py>(
    py: Python<'py>,
    delta: &Bound<'py, PyAny>,
    signed: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let d = real(delta, "delta", &[0, 1])?;
    let values: Vec<f64> = d.data.iter().map(|&x| rho_se(x, signed)).collect::<ebdm::Result<_>>().or_raise()?;
    if d.shape.is_empty() {
        Ok(values[0].into_pyobject(py)?.into_any())
    } else {
        Ok(vector(py, values).into_any())
    }
}

/// The SM-LASSO fixture: (X, y, w_true) from SplitMix64.
#[pyfunction]
#[pyo3(signature = (seed=42, n=500, p=2000, k=50))]
pub fn sparse_fixture(py: Python<'_>, seed: u64, n: usize, p: usize, k: usize) -> PyResult<Bound<'_, PyAny>> {
    let fx = sm_lasso(seed, n, p, k).or_raise()?;
    let mut rm = Vec::with_capacity(n * p);
    for i in 0..n {
        rm.extend((0..p).map(|j| fx.x[(i, j)]));
    }
    let t = (matrix(py, n, p, rm)?, vector(py, fx.y), vector(py, fx.w_true));
    Ok(t.into_pyobject(py)?.into_any())
}

/// PI-PGD for min ½xᵀWx + lam‖x‖₁ subject to Ax = b. Returns a dict with `x`, `nu`,
/// `objective`, `violation` (‖Ax − b‖) and `residual`.
#[pyfunction]
#[pyo3(signature = (w, a, b, lam=1.0, kp=20.0, ki=20.0, dt=0.01, t_end=30.0, gamma=None))]
#[allow(clippy::too_many_arguments)]
pub fn sparse_pi_pgd<'py>(
    py: Python<'py>,
    w: &Bound<'py, PyAny>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    lam: f64,
    kp: f64,
    ki: f64,
    dt: f64,
    t_end: f64,
    gamma: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let wm = real(w, "W", &[2])?;
    let am = real(a, "A", &[2])?;
    let bv = real(b, "b", &[1])?.data;
    let (wr, wc) = wm.rows_cols();
    let (ar, ac) = am.rows_cols();
    let wmat = ebdm::faer::Mat::<f64>::from_fn(wr, wc, |i, j| wm.data[i * wc + j]);
    let amat = ebdm::faer::Mat::<f64>::from_fn(ar, ac, |i, j| am.data[i * ac + j]);
    let f = Quadratic::new(wmat, vec![0.0; wr]).or_raise()?;
    let opts = PiPgdOptions { gamma, kp, ki, dt, t_end, ..PiPgdOptions::default() };
    let r = pi_pgd(&f, &L1::new(lam).or_raise()?, &amat, &bv, &opts).or_raise()?;
    let d = PyDict::new(py);
    d.set_item("objective", r.objective)?;
    d.set_item("violation", r.violation)?;
    d.set_item("residual", r.residual)?;
    d.set_item("gamma", r.gamma)?;
    d.set_item("x", vector(py, r.x))?;
    d.set_item("nu", vector(py, r.nu))?;
    Ok(d)
}
