//! `ebdm.chaos`: the mean-field theories of random recurrent networks, numpy out.

use ebdm::chaos::{
    self, CorrelationOptions, FixedPointOptions, LangevinOptions, LyapunovOptions, NetworkLangevin, QuasiPotential,
    RandomNetwork, ScsOptions, Spectrum, SpectrumOptions, StaticOptions,
};
use ebdm::engine::StopFlag;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{real, real_vector, vector};
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
                    twin = false, sigma = 0.0, threads = None))]
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
    sigma: f64,
    threads: Option<usize>,
) -> PyResult<Bound<'_, PyDict>> {
    let opts = LyapunovOptions { dt, transient, time, sigma };
    let stop = StopFlag::new();
    let runs =
        run_released(py, threads, Some(&stop), || chaos::exponents(n, g, gamma, networks, seed, &opts, twin, &stop))?
            .or_raise()?;
    let done: Vec<_> = runs.into_iter().flatten().collect();
    let d = PyDict::new(py);
    d.set_item("lambda", vector(py, done.iter().map(|r| r.lambda).collect()))?;
    d.set_item("twin", twin.then(|| vector(py, done.iter().filter_map(|r| r.twin).collect())))?;
    d.set_item("mean_square", vector(py, done.iter().map(|r| r.mean_square).collect()))?;
    d.set_item(
        "convention",
        if sigma > 0.0 {
            "SDE (Euler–Maruyama), tangent vector renormalised every step, conditional on the noise"
        } else {
            "ODE (RK4), tangent vector renormalised every step"
        },
    )?;
    Ok(d)
}

/// Autocorrelations of random networks, one per network; see `ebdm.chaos.autocorrelation`.
#[pyfunction]
#[pyo3(signature = (n, g, gamma = 0.0, networks = 2, seed = 0, dt = 0.05, transient = 200.0, time = 1000.0,
                    lag_max = 20.0, lag_step = 0.1, sigma = 0.0, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn chaos_autocorrelation<'py>(
    py: Python<'py>,
    n: usize,
    g: f64,
    gamma: f64,
    networks: usize,
    seed: u64,
    dt: f64,
    transient: f64,
    time: f64,
    lag_max: f64,
    lag_step: f64,
    sigma: f64,
    threads: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let opts = CorrelationOptions { run: LyapunovOptions { dt, transient, time, sigma }, lag_max, lag_step };
    let stop = StopFlag::new();
    let runs = run_released(py, threads, Some(&stop), || {
        chaos::network_autocorrelations(n, g, gamma, networks, seed, &opts, &stop)
    })?
    .or_raise()?;
    runs.into_iter()
        .flatten()
        .map(|r| {
            let d = PyDict::new(py);
            d.set_item("c0", r.c0())?;
            d.set_item("phi2", r.phi2)?;
            d.set_item("tau_half", r.half_time())?;
            d.set_item("tau", vector(py, r.lags))?;
            d.set_item("c", vector(py, r.c))?;
            d.set_item("time", r.time)?;
            d.set_item("interrupted", r.interrupted)?;
            Ok(d)
        })
        .collect()
}

/// Spectrum settings from the Python keywords (`k = None` asks for all exponents).
#[allow(clippy::too_many_arguments)]
fn spectrum_options(
    k: Option<usize>,
    mode: &str,
    dt: f64,
    transient: f64,
    ons_warmup: f64,
    time: f64,
    t_ons: f64,
    pca: bool,
    bootstrap: usize,
) -> PyResult<SpectrumOptions> {
    if k == Some(0) {
        return Err(pyo3::exceptions::PyValueError::new_err("`k` must be at least 1 (None asks for all N)"));
    }
    Ok(SpectrumOptions {
        k: k.unwrap_or(0),
        convention: mode.parse().or_raise()?,
        dt,
        transient,
        ons_warmup,
        time,
        ons_interval: t_ons,
        pca,
        bootstrap,
    })
}

fn spectrum_dict<'py>(py: Python<'py>, s: Spectrum) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("mode", s.convention.to_string())?;
    d.set_item("exponents", vector(py, s.exponents))?;
    d.set_item("ci95_first", s.ci95_first.map(|[a, b]| (a, b)))?;
    d.set_item("ci95_last", s.ci95_last.map(|[a, b]| (a, b)))?;
    d.set_item("local_first", vector(py, s.local_first))?;
    d.set_item("kaplan_yorke", s.kaplan_yorke)?;
    d.set_item("entropy", s.entropy)?;
    d.set_item("pca_dimension", s.pca_dimension)?;
    d.set_item("mean_square", s.mean_square)?;
    d.set_item("time", s.time)?;
    d.set_item("interrupted", s.interrupted)?;
    Ok(d)
}

/// Lyapunov spectra of random networks, one per network; see `ebdm.chaos.spectrum`.
#[pyfunction]
#[pyo3(signature = (n, g, gamma = 0.0, k = None, mode = "ode", dt = 0.1, transient = 100.0, ons_warmup = 100.0,
                    time = 1000.0, t_ons = 1.0, networks = 1, seed = 0, pca = true, bootstrap = 1000, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn chaos_spectrum<'py>(
    py: Python<'py>,
    n: usize,
    g: f64,
    gamma: f64,
    k: Option<usize>,
    mode: &str,
    dt: f64,
    transient: f64,
    ons_warmup: f64,
    time: f64,
    t_ons: f64,
    networks: usize,
    seed: u64,
    pca: bool,
    bootstrap: usize,
    threads: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let opts = spectrum_options(k, mode, dt, transient, ons_warmup, time, t_ons, pca, bootstrap)?;
    let stop = StopFlag::new();
    let runs = run_released(py, threads, Some(&stop), || chaos::spectra(n, g, gamma, networks, seed, &opts, &stop))?
        .or_raise()?;
    runs.into_iter().flatten().filter(|s| !s.exponents.is_empty()).map(|s| spectrum_dict(py, s)).collect()
}

/// The Lyapunov spectrum of given couplings from a given state; see `ebdm.chaos.spectrum_of`.
#[pyfunction]
#[pyo3(signature = (couplings, x0, k = None, mode = "ode", dt = 0.1, transient = 100.0, ons_warmup = 100.0,
                    time = 1000.0, t_ons = 1.0, seed = 0, pca = true, bootstrap = 1000, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn chaos_spectrum_of<'py>(
    py: Python<'py>,
    couplings: &Bound<'py, PyAny>,
    x0: &Bound<'py, PyAny>,
    k: Option<usize>,
    mode: &str,
    dt: f64,
    transient: f64,
    ons_warmup: f64,
    time: f64,
    t_ons: f64,
    seed: u64,
    pca: bool,
    bootstrap: usize,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    use ebdm::engine::rng::stream_path;
    use ebdm::experiment::streams::{CHAOS_BOOTSTRAP, CHAOS_TANGENT};
    let opts = spectrum_options(k, mode, dt, transient, ons_warmup, time, t_ons, pca, bootstrap)?;
    let net = couplings_of(couplings)?;
    let x0 = real_vector(x0, "x0")?;
    let stop = StopFlag::new();
    let s = run_released(py, threads, Some(&stop), || {
        chaos::lyapunov_spectrum(
            &net,
            &x0,
            &opts,
            &mut stream_path(seed, &[CHAOS_TANGENT, 0]),
            &mut stream_path(seed, &[CHAOS_BOOTSTRAP, 0]),
            &stop,
        )
    })?
    .or_raise()?;
    spectrum_dict(py, s)
}

/// Kaplan–Yorke dimension of a spectrum (None when more exponents are needed).
#[pyfunction]
pub fn chaos_kaplan_yorke(exponents: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
    Ok(chaos::kaplan_yorke(&real_vector(exponents, "exponents")?))
}

/// Entropy rate: the sum of the positive exponents.
#[pyfunction]
pub fn chaos_entropy_rate(exponents: &Bound<'_, PyAny>) -> PyResult<f64> {
    Ok(chaos::entropy_rate(&real_vector(exponents, "exponents")?))
}

/// Reads square couplings as a network.
fn couplings_of(couplings: &Bound<'_, PyAny>) -> PyResult<RandomNetwork> {
    let j = real(couplings, "couplings", &[2])?;
    let (rows, cols) = j.rows_cols();
    if rows != cols {
        return Err(crate::errors::shape(format!("couplings must be square, got {rows} × {cols}")));
    }
    RandomNetwork::from_couplings(rows, &j.data).or_raise()
}

/// The quasi-potential E(x) and its gradient for given couplings; see `ebdm.chaos.quasi_potential`.
#[pyfunction]
#[pyo3(signature = (couplings, x, eta = 0.0))]
pub fn chaos_quasi_potential<'py>(
    py: Python<'py>,
    couplings: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    eta: f64,
) -> PyResult<(f64, Bound<'py, numpy::PyArray1<f64>>)> {
    let net = couplings_of(couplings)?;
    let x = real_vector(x, "x")?;
    if x.len() != net.n() {
        return Err(crate::errors::shape(format!("x has {} entries, the couplings {} units", x.len(), net.n())));
    }
    let (e, g) = QuasiPotential::new(&net, eta).or_raise()?.energy_gradient(&x).or_raise()?;
    Ok((e, vector(py, g)))
}

/// Langevin chains on the quasi-potential of random networks; see `ebdm.chaos.langevin`.
#[pyfunction]
#[pyo3(signature = (n, g, gamma = 0.0, beta = 100.0, dt = 0.02, time = 600.0, anneal = 200.0, beta_start = 1.0,
                    window = 300.0, chains = 4, init_scale = 1.0, eta = 0.0, networks = 1, seed = 0, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn chaos_langevin<'py>(
    py: Python<'py>,
    n: usize,
    g: f64,
    gamma: f64,
    beta: f64,
    dt: f64,
    time: f64,
    anneal: f64,
    beta_start: f64,
    window: f64,
    chains: usize,
    init_scale: f64,
    eta: f64,
    networks: usize,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    if networks == 0 {
        return Err(pyo3::exceptions::PyValueError::new_err("invalid parameter `networks`: must be at least 1"));
    }
    let opts = LangevinOptions { beta, dt, time, anneal, beta_start, window };
    let setup = NetworkLangevin { n, g, gamma, eta, chains, init_scale };
    let stop = StopFlag::new();
    let runs = run_released(py, threads, Some(&stop), || {
        ebdm::engine::replicas::run_indexed(networks, &stop, |s| setup.run(s, seed, &opts, &stop))
    })?
    .or_raise()?;
    let mut out = Vec::new();
    for r in runs.into_iter().flatten() {
        let d = PyDict::new(py);
        d.set_item("energy", vector(py, r.chains.iter().map(|c| c.energy).collect()))?;
        d.set_item("mean_square", vector(py, r.chains.iter().map(|c| c.mean_square).collect()))?;
        d.set_item("phi2", vector(py, r.chains.iter().map(|c| c.phi2).collect()))?;
        d.set_item("final_energy", vector(py, r.chains.iter().map(|c| c.final_energy).collect()))?;
        d.set_item("trace_t", vector(py, r.trace.iter().map(|(t, _)| *t).collect()))?;
        let rows = r.trace.len();
        let flat: Vec<f64> = r.trace.into_iter().flat_map(|(_, e)| e).collect();
        d.set_item("trace_energy", crate::convert::matrix(py, rows, chains, flat)?)?;
        d.set_item("time", r.time)?;
        d.set_item("interrupted", r.interrupted)?;
        out.push(d);
    }
    Ok(out)
}

/// Fixed and slow points of dx/dt = −x + J tanh(x) from given starts; see
/// `ebdm.chaos.fixed_points`.
#[pyfunction]
#[pyo3(signature = (couplings, starts, tol = 1e-10, max_iter = 2000, threads = None))]
pub fn chaos_fixed_points<'py>(
    py: Python<'py>,
    couplings: &Bound<'py, PyAny>,
    starts: &Bound<'py, PyAny>,
    tol: f64,
    max_iter: usize,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let net = couplings_of(couplings)?;
    let s = real(starts, "starts", &[1, 2])?;
    let (_, len) = s.rows_cols();
    if len != net.n() {
        return Err(crate::errors::shape(format!("starts have {len} entries, the couplings {} units", net.n())));
    }
    // One start per row, row-major: the same memory as the search's N × S column-major matrix.
    let flat = s.data;
    let opts = FixedPointOptions { tol, max_iter, ..FixedPointOptions::default() };
    let stop = StopFlag::new();
    let r =
        run_released(py, threads, Some(&stop), || chaos::find_fixed_points(&net, &flat, &opts, &stop))?.or_raise()?;
    let points = r
        .points
        .into_iter()
        .map(|p| {
            let d = PyDict::new(py);
            d.set_item("kind", p.kind.name())?;
            d.set_item("energy", p.energy)?;
            d.set_item("mean_square", p.mean_square)?;
            d.set_item("phi2", p.phi2)?;
            d.set_item("max_real", p.max_real)?;
            d.set_item("unstable", p.unstable)?;
            d.set_item("hits", p.hits)?;
            d.set_item("x", vector(py, p.x))?;
            Ok(d)
        })
        .collect::<PyResult<Vec<_>>>()?;
    let d = PyDict::new(py);
    d.set_item("points", points)?;
    d.set_item("starts", r.starts)?;
    d.set_item("unresolved", r.unresolved)?;
    d.set_item("interrupted", r.interrupted)?;
    Ok(d)
}
