//! Module-level functions: pattern generation, retrieval metrics and data readers.

use std::path::PathBuf;

use ebdm::engine::rng::stream;
use ebdm::memory::{metrics, patterns, Patterns};
use numpy::ndarray::Array3;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::IntoPyObjectExt;

use crate::convert::{bipolar, matrix, vector, Dense};
use crate::errors::{param, shape, OrRaise};
use crate::runtime::run_released;

/// Largest number of values `random_patterns` will generate (2³⁴ bytes = 16 GiB).
const MAX_VALUES: usize = 1 << 34;

/// K independent uniform random ±1 patterns of length N, as a K×N `int8` array, drawn from
/// the random stream `(seed, 0)` (xoshiro256++; the same seed gives the same patterns on every
/// platform).
#[pyfunction]
#[pyo3(signature = (k, n, seed = 0))]
pub fn random_patterns(py: Python<'_>, k: usize, n: usize, seed: u64) -> PyResult<Bound<'_, PyArray2<i8>>> {
    if k.checked_mul(n).is_none_or(|v| v > MAX_VALUES) {
        return Err(param("patterns", format!("K·N = {k}·{n} values are too many (at most {MAX_VALUES})")));
    }
    let p = run_released(py, None, None, || Patterns::random(k, n, &mut stream(seed, 0)))?.or_raise()?;
    matrix(py, k, n, p.as_slice().to_vec())
}

/// A copy of the ±1 `pattern` with exactly ⌊ρN⌋ distinct, uniformly chosen components flipped
/// (initial overlap m₀ = 1 − 2⌊ρN⌋/N), 0 ≤ ρ ≤ 1. A 2-D array corrupts each row i
/// independently with the random stream `(seed, i)`; a 1-D array uses `(seed, 0)`.
#[pyfunction]
#[pyo3(signature = (pattern, rho, seed = 0))]
pub fn corrupt<'py>(py: Python<'py>, pattern: &Bound<'py, PyAny>, rho: f64, seed: u64) -> PyResult<Bound<'py, PyAny>> {
    let p = bipolar(pattern, "pattern", "pattern", &[1, 2])?;
    let (rows, cols) = p.rows_cols();
    let mut out = Vec::with_capacity(p.data.len());
    for i in 0..rows {
        let row = &p.data[i * cols..(i + 1) * cols];
        out.extend(patterns::corrupt(row, rho, &mut stream(seed, i as u64)).or_raise()?);
    }
    if p.is_batch() {
        Ok(matrix(py, rows, cols, out)?.into_any())
    } else {
        Ok(vector(py, out).into_any())
    }
}

/// A metric of two ±1 arrays: one value for two vectors, an array of values for a batch (K×N)
/// against a vector, or row by row for two batches of the same shape.
fn paired<'py, T: numpy::Element + IntoPyObject<'py>>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    f: impl Fn(&[i8], &[i8]) -> ebdm::Result<T>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = bipolar(a, "a", "row", &[1, 2])?;
    let b = bipolar(b, "b", "row", &[1, 2])?;
    let (ra, ca) = a.rows_cols();
    let (rb, cb) = b.rows_cols();
    if ca != cb {
        return Err(shape(format!("vectors of lengths {ca} and {cb} cannot be compared")));
    }
    let row = |d: &Dense<i8>, i: usize| -> Vec<i8> { d.data[i * ca..(i + 1) * ca].to_vec() };
    let out: Vec<T> = match (a.is_batch(), b.is_batch()) {
        (false, false) => return f(&a.data, &b.data).or_raise()?.into_bound_py_any(py),
        (true, false) => (0..ra).map(|i| f(&row(&a, i), &b.data)).collect::<ebdm::Result<_>>().or_raise()?,
        (false, true) => (0..rb).map(|i| f(&a.data, &row(&b, i))).collect::<ebdm::Result<_>>().or_raise()?,
        (true, true) => {
            if ra != rb {
                return Err(shape(format!("batches of {ra} and {rb} rows cannot be compared row by row")));
            }
            (0..ra).map(|i| f(&row(&a, i), &row(&b, i))).collect::<ebdm::Result<_>>().or_raise()?
        }
    };
    Ok(vector(py, out).into_any())
}

/// Normalised overlap m = (1/N) Σ_i a_i b_i ∈ [−1, 1] of two ±1 vectors. With a K×N array on
/// either side, the overlaps of each row with the other vector (float64 array of K); with two
/// K×N arrays, row by row.
#[pyfunction]
pub fn overlap<'py>(py: Python<'py>, a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    paired(py, a, b, metrics::overlap)
}

/// Fraction of components that differ, (1 − m)/2. Batches as in `overlap`.
#[pyfunction]
pub fn bit_error_rate<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    paired(py, a, b, metrics::bit_error_rate)
}

/// Whether the two ±1 vectors are equal (m = 1). Batches as in `overlap` (bool array).
#[pyfunction]
pub fn exact_recall<'py>(py: Python<'py>, a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    paired(py, a, b, metrics::exact_recall)
}

/// One-step stability of every stored pattern of a Hebbian network with zero diagonal, with the
/// strict criterion ξ_i^μ h_i(ξ^μ) > 0 (McEliece et al. 1987), without forming W. Returns a dict
/// with `bit_fraction` (fraction of stable bits), `pattern_fraction` (fraction of patterns that
/// are fixed points) and `all_fixed`.
#[pyfunction]
pub fn hebbian_stability<'py>(py: Python<'py>, patterns: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let p = bipolar(patterns, "patterns", "pattern", &[1, 2])?;
    let (k, n) = p.rows_cols();
    let p = Patterns::new(k, n, p.data).or_raise()?;
    let s = run_released(py, None, None, || metrics::hebbian_stability(&p))?.or_raise()?;
    let d = PyDict::new(py);
    d.set_item("bit_fraction", s.bit_fraction)?;
    d.set_item("pattern_fraction", s.pattern_fraction)?;
    d.set_item("all_fixed", s.all_fixed)?;
    Ok(d)
}

/// Reads an IDX image file (MNIST, Fashion-MNIST; raw or gzip) into a `uint8` array of shape
/// (count, rows, cols). Missing files raise `OSError` (`FileNotFoundError`); malformed ones
/// raise `ValueError` naming the file.
#[pyfunction]
pub fn read_mnist_images(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyArray3<u8>>> {
    let im = run_released(py, None, None, || ebdm::data::read_images(&path))?.or_raise()?;
    let a = Array3::from_shape_vec((im.count, im.rows, im.cols), im.pixels)
        .map_err(|e| shape(format!("{}: {e}", path.display())))?;
    Ok(a.into_pyarray(py))
}

/// Reads an IDX label file (raw or gzip) into a 1-D `uint8` array.
#[pyfunction]
pub fn read_idx_labels(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyArray1<u8>>> {
    let labels = run_released(py, None, None, || ebdm::data::read_labels(&path))?.or_raise()?;
    Ok(vector(py, labels))
}

/// Reads a file of ±1 patterns, one per row (text: whitespace- or comma-separated numbers or
/// rows of `+`/`-`; or `.npy`; either possibly gzip-compressed) into a K×N `int8` array.
#[pyfunction]
pub fn read_patterns(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyArray2<i8>>> {
    let p = run_released(py, None, None, || ebdm::memory::read_patterns(&path))?.or_raise()?;
    matrix(py, p.count(), p.len(), p.as_slice().to_vec())
}

/// Reads a dense real matrix (text or `.npy`, possibly gzip-compressed) into a 2-D `float64`
/// array.
#[pyfunction]
pub fn read_matrix(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyArray2<f64>>> {
    let m = run_released(py, None, None, || ebdm::data::read_matrix(&path))?.or_raise()?;
    matrix(py, m.rows, m.cols, m.data)
}
