//! Python bindings for ebdm, built by maturin as the extension module `ebdm._ebdm` of the
//! Python package `ebdm` (whose `__init__.py` re-exports everything here).
//!
//! The bindings are a thin layer: they convert NumPy arrays and lists into the library's
//! inputs, map its errors onto Python exceptions (message intact), release the GIL for any
//! work that can take time, and run parallel work in a rayon pool of the requested size.

use pyo3::prelude::*;

/// Rust allocations of the extension (not Python's or NumPy's) go through mimalloc; see the
/// note in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod chaos;
mod classifier;
mod convert;
mod dense;
mod errors;
mod experiments;
mod functions;
mod graded;
mod hierarchical;
mod hopfield;
mod ising;
mod modern;
mod rbm;
mod reproduce;
mod runtime;
mod sparse;
mod sweep;

/// ebdm: energy-based dynamical models (compiled core).
///
/// Binary Hopfield networks (`Hopfield`, energy E(σ) = −½ σᵀWσ + bᵀσ), graded continuous-time
/// Hopfield networks (`GradedHopfield`, C du/dt = T g(u) − u/R + I), dense associative memories
/// (`DenseAM`, E(σ) = −Σ_μ F(ξ^μ·σ)) and their use as classifiers (`DenseClassifier`), the
/// modern continuous Hopfield network (`ModernHopfield`, `retrieve`: q ← Ξᵀ softmax(βΞq)),
/// hierarchical Lagrangian memories (`HierarchicalMemory`), retrieval metrics, pattern
/// generation, the acceptance experiments, dataset readers, and the proximal-descent solvers
/// behind `ebdm.sparse`. Import the `ebdm` package rather
/// than this module.
#[pymodule]
fn _ebdm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::init();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("RNG_NAME", ebdm::engine::rng::RNG_NAME)?;
    m.add_class::<hopfield::PyHopfield>()?;
    m.add_class::<hopfield::PyRetrieval>()?;
    m.add_class::<graded::PyGradedHopfield>()?;
    m.add_class::<dense::PyDenseAM>()?;
    m.add_class::<classifier::PyDenseClassifier>()?;
    m.add_class::<dense::PyDenseRetrieval>()?;
    m.add_class::<modern::PyModernHopfield>()?;
    m.add_class::<hierarchical::PyHierarchicalMemory>()?;
    m.add_class::<rbm::PyRbm>()?;
    m.add_class::<rbm::PyGaussianRbm>()?;
    m.add_function(wrap_pyfunction!(modern::retrieve, m)?)?;
    m.add_function(wrap_pyfunction!(ising::read_gset, m)?)?;
    m.add_function(wrap_pyfunction!(ising::maxcut, m)?)?;
    m.add_function(wrap_pyfunction!(ising::solve_ising, m)?)?;
    m.add_function(wrap_pyfunction!(functions::random_patterns, m)?)?;
    m.add_function(wrap_pyfunction!(functions::corrupt, m)?)?;
    m.add_function(wrap_pyfunction!(functions::overlap, m)?)?;
    m.add_function(wrap_pyfunction!(functions::bit_error_rate, m)?)?;
    m.add_function(wrap_pyfunction!(functions::exact_recall, m)?)?;
    m.add_function(wrap_pyfunction!(functions::hebbian_stability, m)?)?;
    m.add_function(wrap_pyfunction!(functions::read_mnist_images, m)?)?;
    m.add_function(wrap_pyfunction!(functions::read_idx_labels, m)?)?;
    m.add_function(wrap_pyfunction!(functions::read_patterns, m)?)?;
    m.add_function(wrap_pyfunction!(functions::read_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::capacity, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::recall, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::basin, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::graded_limit, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::dense_snr, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::dense_exp, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::modern_table, m)?)?;
    m.add_function(wrap_pyfunction!(reproduce::reproduce, m)?)?;
    m.add_function(wrap_pyfunction!(reproduce::list_experiments, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_dmft, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_static, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_noise_transitions, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_resolvent, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_lyapunov, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_autocorrelation, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_fixed_points, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_spectrum, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_spectrum_of, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_kaplan_yorke, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_entropy_rate, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_quasi_potential, m)?)?;
    m.add_function(wrap_pyfunction!(chaos::chaos_langevin, m)?)?;
    m.add_class::<sweep::PySweep>()?;
    m.add_class::<sweep::PyShardFile>()?;
    m.add_function(wrap_pyfunction!(sweep::sweep_run_local, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_merge, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_status, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::list_studies, m)?)?;
    m.add_function(wrap_pyfunction!(sparse::sparse_lasso, m)?)?;
    m.add_function(wrap_pyfunction!(sparse::sparse_encode, m)?)?;
    m.add_function(wrap_pyfunction!(sparse::sparse_prox, m)?)?;
    m.add_function(wrap_pyfunction!(sparse::sparse_penalty_value, m)?)?;
    m.add_function(wrap_pyfunction!(sparse::sparse_phase_curve, m)?)?;
    m.add_function(wrap_pyfunction!(sparse::sparse_fixture, m)?)?;
    m.add_function(wrap_pyfunction!(sparse::sparse_pi_pgd, m)?)?;
    Ok(())
}
