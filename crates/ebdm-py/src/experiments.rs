//! The acceptance experiments, returning plain dicts whose tables load into pandas directly:
//! `pandas.DataFrame(result["rows"])`, `pandas.DataFrame(result["cells"])`.

use ebdm::engine::StopFlag;
use ebdm::experiment::{Check, Harness, Table};
use ebdm::memory::experiments as ex;
use ebdm::memory::experiments::basin::BasinConfig;
use ebdm::memory::experiments::capacity::{CapacityConfig, Cell};
use ebdm::memory::experiments::dense::{e4_grid, ExpConfig};
use ebdm::memory::experiments::graded_limit::GradedConfig;
use ebdm::memory::experiments::modern::ModernConfig;
use ebdm::memory::experiments::recall::RecallConfig;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde::Serialize;

use crate::convert::to_python;
use crate::errors::OrRaise;
use crate::runtime::run_released;

/// A list of records as a dict of columns (each a list), in field order.
fn table<'py, T: Serialize>(py: Python<'py>, items: &[T]) -> PyResult<Bound<'py, PyDict>> {
    let columns = Table::from_records("", items).or_raise()?.columns();
    Ok(to_python(py, &columns)?.downcast_into::<PyDict>()?)
}

/// Two named columns from pairs.
fn pairs<'py, A, B>(
    py: Python<'py>,
    names: (&str, &str),
    items: impl IntoIterator<Item = (A, B)>,
) -> PyResult<Bound<'py, PyDict>>
where
    A: IntoPyObject<'py>,
    B: IntoPyObject<'py>,
{
    let (xs, ys): (Vec<A>, Vec<B>) = items.into_iter().unzip();
    let out = PyDict::new(py);
    out.set_item(names.0, PyList::new(py, xs)?)?;
    out.set_item(names.1, PyList::new(py, ys)?)?;
    Ok(out)
}

/// The entries every experiment result has: config, checks, passed, interrupted.
fn common<'py, C: Serialize>(
    py: Python<'py>,
    config: &C,
    checks: &[Check],
    interrupted: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("config", to_python(py, config)?)?;
    out.set_item("checks", to_python(py, &checks)?)?;
    out.set_item("passed", checks.iter().all(|c| c.pass))?;
    out.set_item("interrupted", interrupted)?;
    Ok(out)
}

/// Runs `f` with the GIL released on `threads` threads, interruptible by Ctrl-C.
fn run<T: Send>(
    py: Python<'_>,
    seed: u64,
    threads: Option<usize>,
    f: impl FnOnce(&Harness) -> ebdm::Result<T> + Send,
) -> PyResult<T> {
    let stop = StopFlag::new();
    let harness = Harness { seed, stop: stop.clone(), progress: None };
    run_released(py, threads, Some(&stop), || f(&harness))?.or_raise()
}

/// E1, the capacity curve (Amit, Gutfreund & Sompolinsky 1985: α_c ≈ 0.138).
///
/// For each size N in `neurons` and load α in `alphas`, K = round(αN) random patterns are
/// stored with the Hebb rule; the network starts at ξ¹ with ⌊ρN⌋ bits flipped (`rho`) and relaxes
/// asynchronously (random unstable unit, at most `flip_cap`·N flips). A trial is retrieved when
/// the final overlap m > `threshold`. α₅₀(N) is where P(retrieved) crosses 50 %, and
/// α₅₀ = α_∞ + c/√N is fitted over the sizes.
///
/// Defaults are the specification's E1 grid (N = 500…4000), or a grid of about a tenth of the
/// work with `quick=True`. `trials` is one count per size, or one count for all (default: the
/// preset's counts, or 50 per size when `neurons` is given). Trials run in parallel with the
/// GIL released on `threads` threads (default: all cores); results depend on `seed` only.
///
/// Returns a dict: `rows` (one per trial) and `cells` (one per (N, α)) as dicts of columns,
/// `alpha50` (columns `neurons`, `alpha50`), `fit` ({`alpha_inf`, `c`} or None), `alpha_inf`,
/// `checks` (list of {name, expected, measured, pass}), `passed`, `interrupted`, `config`.
#[pyfunction]
#[pyo3(signature = (neurons = None, alphas = None, trials = None, rho = 0.0, flip_cap = 20,
                    threshold = 0.9, seed = 0, threads = None, quick = false))]
#[allow(clippy::too_many_arguments)]
pub fn capacity<'py>(
    py: Python<'py>,
    neurons: Option<Vec<usize>>,
    alphas: Option<Vec<f64>>,
    trials: Option<&Bound<'py, PyAny>>,
    rho: f64,
    flip_cap: usize,
    threshold: f64,
    seed: u64,
    threads: Option<usize>,
    quick: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let preset = if quick { CapacityConfig::e1_quick() } else { CapacityConfig::e1() };
    let custom_sizes = neurons.is_some();
    let neurons = neurons.unwrap_or(preset.neurons);
    let trials = match trials {
        None if custom_sizes => vec![50; neurons.len()],
        None => preset.trials,
        Some(t) => match t.extract::<usize>() {
            Ok(count) => vec![count; neurons.len()],
            Err(_) => t.extract::<Vec<usize>>()?,
        },
    };
    let config = CapacityConfig { neurons, alphas: alphas.unwrap_or(preset.alphas), trials, rho, flip_cap, threshold };
    let r = run(py, seed, threads, |h| ex::capacity::run(&config, h))?;
    let out = common(py, &r.config, &r.checks, r.interrupted)?;
    out.set_item("rows", table(py, &r.rows)?)?;
    out.set_item("cells", table(py, &r.cells)?)?;
    out.set_item("alpha50", pairs(py, ("neurons", "alpha50"), r.alpha50)?)?;
    match r.fit {
        Some((a, c)) => {
            let fit = PyDict::new(py);
            fit.set_item("alpha_inf", a)?;
            fit.set_item("c", c)?;
            out.set_item("fit", fit)?;
            out.set_item("alpha_inf", a)?;
        }
        None => {
            out.set_item("fit", py.None())?;
            out.set_item("alpha_inf", py.None())?;
        }
    }
    Ok(out)
}

/// E2, exact-recall scaling (McEliece, Posner, Rodemich & Venkatesh 1987).
///
/// For `networks` random Hebbian networks of N = `neurons` units storing each K in `patterns`,
/// measures the fraction of patterns that are one-step fixed points (strictly ξ_i h_i > 0) and
/// P(all are), against the Gaussian estimate (1 − Φ_c(√(N/K)))^N. Defaults: the E2 settings
/// (`patterns=None` means K ∈ {36, 72, 100, 138}).
///
/// Returns a dict: `rows` (one per network) and `cells` (one per K) as dicts of columns,
/// `mceliece_typical` = N/(2 ln N), `mceliece_all` = N/(4 ln N), `checks`, `passed`,
/// `interrupted`, `config`.
#[pyfunction]
#[pyo3(signature = (neurons = 1000, patterns = None, networks = 20, seed = 0, threads = None))]
pub fn recall<'py>(
    py: Python<'py>,
    neurons: usize,
    patterns: Option<Vec<usize>>,
    networks: usize,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let patterns = patterns.unwrap_or_else(|| RecallConfig::e2().patterns);
    let config = RecallConfig { neurons, patterns, networks };
    let r = run(py, seed, threads, |h| ex::recall::run(&config, h))?;
    let out = common(py, &r.config, &r.checks, r.interrupted)?;
    out.set_item("rows", table(py, &r.rows)?)?;
    out.set_item("cells", table(py, &r.cells)?)?;
    out.set_item("mceliece_typical", r.mceliece_typical)?;
    out.set_item("mceliece_all", r.mceliece_all)?;
    Ok(out)
}

/// A basin cell with its corruption level as the first column.
#[derive(Serialize)]
struct BasinCell<'a> {
    rho: f64,
    #[serde(flatten)]
    cell: &'a Cell,
}

/// E3, basins of attraction.
///
/// Starts from ξ¹ with ⌊ρN⌋ bits flipped for every load α in `alphas` and corruption ρ in
/// `rhos`, relaxes asynchronously at zero temperature and records P(m > 0.9) and P(exact
/// recall); ρ₅₀(α) is where P(m > 0.9) crosses 50 %. Defaults: the E3 grid (N = 1000, 60
/// trials per cell), or N = 400 with 30 trials with `quick=True`.
///
/// Returns a dict: `rows` (one per trial) and `cells` (one per (α, ρ), with a `rho` column) as
/// dicts of columns, `rho50` (columns `alpha`, `rho50`; None where the curve does not cross),
/// `checks`, `passed`, `interrupted`, `config`.
#[pyfunction]
#[pyo3(signature = (neurons = None, alphas = None, rhos = None, trials = None, seed = 0,
                    threads = None, quick = false))]
#[allow(clippy::too_many_arguments)]
pub fn basin<'py>(
    py: Python<'py>,
    neurons: Option<usize>,
    alphas: Option<Vec<f64>>,
    rhos: Option<Vec<f64>>,
    trials: Option<usize>,
    seed: u64,
    threads: Option<usize>,
    quick: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let preset = if quick { BasinConfig::e3_quick() } else { BasinConfig::e3() };
    let config = BasinConfig {
        neurons: neurons.unwrap_or(preset.neurons),
        alphas: alphas.unwrap_or(preset.alphas),
        rhos: rhos.unwrap_or(preset.rhos),
        trials: trials.unwrap_or(preset.trials),
    };
    let r = run(py, seed, threads, |h| ex::basin::run(&config, h))?;
    let out = common(py, &r.config, &r.checks, r.interrupted)?;
    let cells: Vec<BasinCell> = r.cells.iter().map(|(rho, cell)| BasinCell { rho: *rho, cell }).collect();
    out.set_item("rows", table(py, &r.rows)?)?;
    out.set_item("cells", table(py, &cells)?)?;
    out.set_item("rho50", pairs(py, ("alpha", "rho50"), r.rho50)?)?;
    Ok(out)
}

/// E8, the graded network: energy monotonicity along RK4 trajectories, the Lyapunov identity
/// dE/dt = −Σ_i C_i g'(u_i) (du_i/dt)² against a finite difference of E(t), and the high-gain
/// limit (g = tanh(λu), λ = `gain`): started from a cue with ⌊ρN⌋ flipped bits, the graded
/// network settles (by sign) on the binary network's attractor. One network per seed index
/// 0…`seeds`−1, `steps` RK4 steps of `dt`.
///
/// Returns a dict: `rows` (one per seed) as a dict of columns, `trace` (columns `time`,
/// `energy` of the first seed's trajectory), `checks`, `passed`, `interrupted`, `config`.
#[pyfunction]
#[pyo3(signature = (neurons = 64, patterns = 4, rho = 0.15, gain = 100.0, seeds = 20, dt = 0.01,
                    steps = 500, seed = 0, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn graded_limit<'py>(
    py: Python<'py>,
    neurons: usize,
    patterns: usize,
    rho: f64,
    gain: f64,
    seeds: usize,
    dt: f64,
    steps: usize,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let config = GradedConfig { neurons, patterns, rho, gain, seeds, dt, steps, high_load_patterns: 0 };
    let r = run(py, seed, threads, |h| ex::graded_limit::run(&config, h))?;
    let out = common(py, &r.config, &r.checks, r.interrupted)?;
    out.set_item("rows", table(py, &r.rows)?)?;
    out.set_item("trace", pairs(py, ("time", "energy"), r.trace)?)?;
    Ok(out)
}

/// The settings of E4, as reported in `config`.
#[derive(Serialize)]
struct SnrConfig<'a> {
    grid: &'a [(u32, usize, Vec<usize>)],
    tests: usize,
    networks: usize,
}

/// E4, one-step stability of the polynomial dense associative memory (F = xⁿ).
///
/// For each `(degree, N, [K…])` in `grid` (default: the E4 grid
/// `[(3, 100, [400, 800, 1600, 3200]), (4, 50, [800, 3200, 12800])]`), `networks` independent
/// sets of K random patterns are stored with the exact flip rule, and `tests` stored patterns
/// of each set are queried: the fraction of bits one update would change is compared with the
/// signal-to-noise prediction p_err ≈ Φ_c(√(N^{n−1} / (K (2n−3)!!))), within
/// max(10 %, 0.002). Test patterns run in parallel with the GIL released on `threads` threads
/// (default: all cores); results depend on `seed` only.
///
/// Returns a dict: `cells` (one per (n, N, K): `degree`, `neurons`, `patterns`, `tests`,
/// `measured`, `theory`, `tolerance`, `pass`) as a dict of columns, `checks`, `passed`,
/// `interrupted`, `config`.
#[pyfunction]
#[pyo3(signature = (grid = None, tests = 200, networks = 10, seed = 0, threads = None))]
pub fn dense_snr<'py>(
    py: Python<'py>,
    grid: Option<Vec<(u32, usize, Vec<usize>)>>,
    tests: usize,
    networks: usize,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let grid = grid.unwrap_or_else(e4_grid);
    let r = run(py, seed, threads, |h| ex::dense::run_snr(&grid, tests, networks, h))?;
    let config = SnrConfig { grid: &grid, tests, networks };
    let out = common(py, &config, &r.checks, r.interrupted)?;
    out.set_item("cells", table(py, &r.cells)?)?;
    Ok(out)
}

/// E6, one-step stability of the exponential dense associative memory (F = eˣ).
///
/// For each size N in `neurons` (default `[16, 24, 32]`) and log-load α in `log_loads`
/// (default `[0.2, 0.3, 0.35, 0.4, 0.5, 0.6]`), K = round(e^{αN}) random patterns are stored
/// (cells with K > `max_patterns`, default 400000, are skipped) and `tests` (default 100)
/// stored patterns are checked for one-step stability (no bit would change), with the energy
/// evaluated in the log domain. Test patterns run in parallel with the GIL released on
/// `threads` threads (default: all cores); results depend on `seed` only.
///
/// Returns a dict: `cells` (one per (N, α): `neurons`, `log_load`, `patterns`, `tests`,
/// `stable_fraction`, `se`, `energies_finite`) as a dict of columns, `checks`, `passed`,
/// `interrupted`, `config`.
#[pyfunction]
#[pyo3(signature = (neurons = None, log_loads = None, tests = None, max_patterns = None, seed = 0,
                    threads = None))]
pub fn dense_exp<'py>(
    py: Python<'py>,
    neurons: Option<Vec<usize>>,
    log_loads: Option<Vec<f64>>,
    tests: Option<usize>,
    max_patterns: Option<usize>,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let preset = ExpConfig::e6();
    let config = ExpConfig {
        neurons: neurons.unwrap_or(preset.neurons),
        log_loads: log_loads.unwrap_or(preset.log_loads),
        tests: tests.unwrap_or(preset.tests),
        max_patterns: max_patterns.unwrap_or(preset.max_patterns),
        ..preset
    };
    let r = run(py, seed, threads, |h| ex::dense::run_exp(&config, h))?;
    let out = common(py, &config, &r.checks, r.interrupted)?;
    out.set_item("cells", table(py, &r.cells)?)?;
    out.set_item("basin", table(py, &r.basin)?)?;
    Ok(out)
}

/// E7, one-step retrieval of the modern continuous Hopfield network and its β regimes.
///
/// For each of `seeds` sets of K = `patterns` random ±1 patterns of width `dim`, the K queries
/// (query μ is pattern μ with exactly ⌊ρ·dim⌋ distinct bits flipped, for each ρ in `rhos`) get
/// one update q ← Ξᵀ softmax(βΞq) for each β in `betas`; a query succeeds when sgn(q) equals
/// its pattern. Defaults: the E7 settings (dim 256, K = 1024, ρ ∈ {0.2, 0.3, 0.4},
/// β ∈ {0.05, 0.2, 1.0}, 10 seeds). On the first pattern set the energy is also followed over
/// `energy_steps` updates (0: no check) and β = 10⁻⁶ is checked to give the patterns' mean.
/// Pattern sets run in parallel with the GIL released on `threads` threads (default: all
/// cores); results depend on `seed` only.
///
/// Returns a dict: `rows` (one per (seed, ρ, β): `seed`, `rho`, `beta`, `success` in %) and
/// `cells` (one per (ρ, β): `mean`, `sd`, `min`, `max`, `reference_mean`, `reference_sd`,
/// `pass`; None where the specification has no reference) as dicts of columns, `checks`,
/// `passed`, `interrupted`, `config`.
#[pyfunction]
#[pyo3(signature = (dim = 256, patterns = 1024, rhos = None, betas = None, seeds = 10,
                    energy_steps = 10, seed = 0, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn modern_table<'py>(
    py: Python<'py>,
    dim: usize,
    patterns: usize,
    rhos: Option<Vec<f64>>,
    betas: Option<Vec<f64>>,
    seeds: usize,
    energy_steps: usize,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let preset = ModernConfig::e7();
    let config = ModernConfig {
        dim,
        patterns,
        rhos: rhos.unwrap_or(preset.rhos),
        betas: betas.unwrap_or(preset.betas),
        seeds,
        energy_steps,
    };
    let r = run(py, seed, threads, |h| ex::modern::run(&config, h))?;
    let out = common(py, &r.config, &r.checks, r.interrupted)?;
    out.set_item("rows", table(py, &r.rows)?)?;
    out.set_item("cells", table(py, &r.cells)?)?;
    Ok(out)
}
