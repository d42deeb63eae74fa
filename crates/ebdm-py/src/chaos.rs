//! `ebdm.chaos`: the mean-field theories of random recurrent networks, numpy out.

use ebdm::chaos::{self, Response, ScsOptions, StaticOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::vector;
use crate::errors::{param, OrRaise};
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
    let response = match response {
        "authors" => Response::Authors,
        "cavity" => Response::Cavity,
        other => return Err(param("response", format!("unknown response `{other}` (expected authors or cavity)"))),
    };
    let opts = StaticOptions { nodes, response, ..StaticOptions::default() };
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
