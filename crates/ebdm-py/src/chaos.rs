//! `ebdm.chaos`: the mean-field theories of random recurrent networks, numpy out.

use ebdm::chaos::{self, LyapunovOptions, ScsOptions, StaticOptions};
use ebdm::engine::StopFlag;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::vector;
use crate::errors::OrRaise;
use crate::runtime::run_released;

/// SCS dynamical mean-field theory at gain `g` and noise `sigma`; see `ebdm.chaos.dmft`.
#[pyfunction]
#[pyo3(signature = (g, sigma = 0.0, nodes = 101))]
pub fn chaos_dmft(py: Python<'_>, g: f64, sigma: f64, nodes: usize) -> PyResult<Bound<'_, PyDict>> {
    let opts = ScsOptions { nodes, ..ScsOptions::default() };
    let s = run_released(py, Some(1), None, || chaos::solve_scs(g, sigma, &opts))?.or_raise()?;
    let d = PyDict::new(py);
    d.set_item("g", s.g)?;
    d.set_item("sigma", s.sigma)?;
    d.set_item("c0", s.c0)?;
    d.set_item("phi2", s.phi2)?;
    d.set_item("lambda_max", s.lambda_max)?;
    d.set_item("kappa", s.kappa)?;
    d.set_item("tau_half", s.tau_half)?;
    d.set_item("tau", vector(py, s.tau))?;
    d.set_item("c", vector(py, s.c))?;
    Ok(d)
}

/// Static theory of the fixed points at (g, γ); see `ebdm.chaos.static_fixed_points`.
#[pyfunction]
#[pyo3(signature = (g, gamma = 0.0, response = "authors", nodes = 201))]
pub fn chaos_static<'py>(
    py: Python<'py>,
    g: f64,
    gamma: f64,
    response: &str,
    nodes: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = StaticOptions { nodes, response: response.parse().or_raise()?, ..StaticOptions::default() };
    let s = run_released(py, Some(1), None, || chaos::solve_static(g, gamma, &opts))?.or_raise()?;
    let d = PyDict::new(py);
    d.set_item("c", s.c)?;
    d.set_item("r_int", s.r)?;
    d.set_item("converged", s.converged)?;
    d.set_item("iterations", s.iterations)?;
    d.set_item("critical_gain", chaos::critical_gain(gamma))?;
    Ok(d)
}

/// The noise-shifted transition and the local-expansiveness coupling at noise `sigma`.
#[pyfunction]
#[pyo3(signature = (sigma, nodes = 101))]
pub fn chaos_noise_transitions(py: Python<'_>, sigma: f64, nodes: usize) -> PyResult<(f64, f64)> {
    run_released(py, Some(1), None, || chaos::noise_transitions(sigma, nodes))?.or_raise()
}

/// The elliptic-law resolvent at z = 1, `[1 − √(1 − 4g²γ)]/(2g²γ)`.
#[pyfunction]
pub fn chaos_resolvent(g: f64, gamma: f64) -> f64 {
    chaos::resolvent(g, gamma)
}

/// Largest Lyapunov exponents of random networks; see `ebdm.chaos.lyapunov`.
#[pyfunction]
#[pyo3(signature = (n, g, gamma = 0.0, networks = 4, seed = 0, dt = 0.05, transient = 200.0, time = 1000.0,
                    twin = false, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn chaos_lyapunov(
    py: Python<'_>,
    n: usize,
    g: f64,
    gamma: f64,
    networks: usize,
    seed: u64,
    dt: f64,
    transient: f64,
    time: f64,
    twin: bool,
    threads: Option<usize>,
) -> PyResult<Bound<'_, PyDict>> {
    let opts = LyapunovOptions { dt, transient, time };
    let stop = StopFlag::new();
    let runs =
        run_released(py, threads, Some(&stop), || chaos::exponents(n, g, gamma, networks, seed, &opts, twin, &stop))?
            .or_raise()?;
    let done: Vec<_> = runs.into_iter().flatten().collect();
    let d = PyDict::new(py);
    d.set_item("lambda", vector(py, done.iter().map(|r| r.lambda).collect()))?;
    d.set_item("twin", twin.then(|| vector(py, done.iter().filter_map(|r| r.twin).collect())))?;
    d.set_item("mean_square", vector(py, done.iter().map(|r| r.mean_square).collect()))?;
    d.set_item("convention", "ODE (RK4), tangent vector renormalised every step")?;
    Ok(d)
}
