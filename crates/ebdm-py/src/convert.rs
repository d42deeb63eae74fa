//! Conversion of Python inputs (NumPy arrays of any dtype, nested lists, scalars) into the plain
//! row-major vectors the library takes, and of results back into NumPy arrays.
//!
//! `int8` arrays of ±1 values take a copy-only fast path; everything else goes through
//! `numpy.asarray(x, dtype=float64)` and is then checked value by value, so that a value such as
//! 0.5 is reported as it is instead of being truncated first. Real-valued inputs of the modern
//! network are read as `float32` ([`F32`]): a C-contiguous `float32` array in place, anything else
//! through `numpy.asarray(x, dtype=float32)`. Ragged nested lists are refused with a message that
//! names the offending row, before NumPy sees them.

use std::borrow::Cow;

use ebdm::Error;
use numpy::ndarray::Array2;
use numpy::prelude::*;
use numpy::{PyArray1, PyArray2, PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArray};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::errors::{shape, to_pyerr};

/// A dense array read from Python: its shape (one or two axes) and its values, row-major.
pub struct Dense<T> {
    pub shape: Vec<usize>,
    pub data: Vec<T>,
}

impl<T> Dense<T> {
    /// Whether the array has two axes (a batch of vectors).
    pub fn is_batch(&self) -> bool {
        self.shape.len() == 2
    }
    /// `(rows, columns)`; a vector counts as one row.
    pub fn rows_cols(&self) -> (usize, usize) {
        match self.shape[..] {
            [r, c] => (r, c),
            [n] => (1, n),
            _ => (0, 0),
        }
    }
}

fn is_sequence(x: &Bound<'_, PyAny>) -> bool {
    x.is_instance_of::<PyList>() || x.is_instance_of::<PyTuple>()
}

/// Refuses a list of rows of unequal lengths, naming the first row that differs.
fn check_ragged(obj: &Bound<'_, PyAny>, row: &str) -> PyResult<()> {
    if !is_sequence(obj) {
        return Ok(());
    }
    let mut first = None;
    for (i, item) in obj.try_iter()?.enumerate() {
        let item = item?;
        if !(is_sequence(&item) || item.is_instance_of::<PyUntypedArray>()) {
            continue;
        }
        let len = item.len()?;
        match first {
            None => first = Some(len),
            Some(n0) if n0 != len => {
                return Err(shape(format!(
                    "{row} {i} has length {len} but {row} 0 has length {n0}; all {row}s must have equal length"
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// `obj` as a float64 NumPy array (no copy when it already is one).
pub fn f64_array<'py>(obj: &Bound<'py, PyAny>, row: &str) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    if let Ok(a) = obj.downcast::<PyArrayDyn<f64>>() {
        return Ok(a.clone());
    }
    check_ragged(obj, row)?;
    let py = obj.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("dtype", "float64")?;
    let arr = py.import("numpy")?.call_method("asarray", (obj,), Some(&kwargs))?;
    Ok(arr.downcast_into::<PyArrayDyn<f64>>()?)
}

/// A float32 array read from Python and borrowed (read-only) for as long as this lives.
///
/// A C-contiguous `float32` NumPy array is used in place; anything else goes through
/// `numpy.asarray(x, dtype=float32)` first (a ragged nested list is refused, naming its row).
pub struct F32<'py> {
    array: PyReadonlyArrayDyn<'py, f32>,
}

impl<'py> F32<'py> {
    /// Reads `obj` as a float32 array with one of the `allowed` numbers of axes.
    pub fn read(obj: &Bound<'py, PyAny>, what: &str, row: &str, allowed: &[usize]) -> PyResult<Self> {
        let arr = match obj.downcast::<PyArrayDyn<f32>>() {
            Ok(a) => a.clone(),
            Err(_) => {
                check_ragged(obj, row)?;
                let py = obj.py();
                let kwargs = PyDict::new(py);
                kwargs.set_item("dtype", "float32")?;
                let arr = py.import("numpy")?.call_method("asarray", (obj,), Some(&kwargs))?;
                arr.downcast_into::<PyArrayDyn<f32>>()?
            }
        };
        let array = arr.try_readonly().map_err(|e| shape(format!("{what}: {e}")))?;
        check_ndim(array.shape(), what, allowed)?;
        Ok(Self { array })
    }

    /// Whether the array has two axes (a batch of vectors).
    pub fn is_batch(&self) -> bool {
        self.array.ndim() == 2
    }

    /// `(rows, columns)`; a vector counts as one row.
    pub fn rows_cols(&self) -> (usize, usize) {
        match self.array.shape() {
            [r, c] => (*r, *c),
            [n] => (1, *n),
            _ => (0, 0),
        }
    }

    /// The values, row-major: borrowed when the array is C-contiguous, copied otherwise.
    ///
    /// The borrow only stops other Rust code from writing the array; Python code running while
    /// the GIL is released could still change it, as with NumPy's own GIL-free loops.
    pub fn values(&self) -> Cow<'_, [f32]> {
        match self.array.as_slice() {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(self.array.as_array().iter().copied().collect()),
        }
    }
}

fn check_ndim(shape_: &[usize], what: &str, allowed: &[usize]) -> PyResult<()> {
    if allowed.contains(&shape_.len()) {
        return Ok(());
    }
    let want = match allowed {
        [1] => "a 1-D array",
        [2] => "a 2-D array",
        _ => "a 1-D or 2-D array",
    };
    Err(shape(format!("{what} must be {want}, got an array of shape {shape_:?}")))
}

/// Reads a float64 array with one of the `allowed` numbers of axes.
pub fn real(obj: &Bound<'_, PyAny>, what: &str, allowed: &[usize]) -> PyResult<Dense<f64>> {
    let arr = f64_array(obj, "row")?;
    let ro = arr.try_readonly().map_err(|e| shape(format!("{what}: {e}")))?;
    let view = ro.as_array();
    let shape_ = view.shape().to_vec();
    check_ndim(&shape_, what, allowed)?;
    // A C-contiguous array is one copy; element-wise iteration of a dynamic-rank view is slow.
    let data = view.as_slice().map_or_else(|| view.iter().copied().collect(), <[f64]>::to_vec);
    Ok(Dense { shape: shape_, data })
}

/// Reads a real vector.
pub fn real_vector(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<f64>> {
    Ok(real(obj, what, &[1])?.data)
}

/// Reads a vector of length `n`, or a scalar broadcast to length `n`; `None` gives `default`.
pub fn vector_or_scalar(obj: Option<&Bound<'_, PyAny>>, n: usize, default: f64, what: &str) -> PyResult<Vec<f64>> {
    let Some(obj) = obj else {
        return Ok(vec![default; n]);
    };
    let is_array = obj.downcast::<PyUntypedArray>().is_ok_and(|a| a.ndim() > 0);
    if !is_array && !is_sequence(obj) {
        if let Ok(x) = obj.extract::<f64>() {
            return Ok(vec![x; n]);
        }
    }
    real_vector(obj, what)
}

/// Reads a ±1 array (one or two axes as `allowed` says). Values other than ±1 are reported as
/// `ebdm::Error::NotBipolar`, naming the row (`pattern`), the column and the value.
pub fn bipolar(obj: &Bound<'_, PyAny>, what: &str, row: &str, allowed: &[usize]) -> PyResult<Dense<i8>> {
    fn finish(shape_: Vec<usize>, data: Vec<i8>) -> Dense<i8> {
        Dense { shape: shape_, data }
    }
    let not_bipolar = |pos: usize, cols: usize, value: f64| {
        let cols = cols.max(1);
        to_pyerr(Error::NotBipolar { pattern: pos / cols, index: pos % cols, value })
    };
    if let Ok(a) = obj.downcast::<PyArrayDyn<i8>>() {
        let ro = a.try_readonly().map_err(|e| shape(format!("{what}: {e}")))?;
        let view = ro.as_array();
        let shape_ = view.shape().to_vec();
        check_ndim(&shape_, what, allowed)?;
        let cols = shape_.last().copied().unwrap_or(1);
        // A C-contiguous array is copied as one slice; element-wise iteration over a
        // dynamic-rank view costs about as much as the whole one-step check of a large memory.
        let data: Vec<i8> = match ro.as_slice() {
            Ok(values) => values.to_vec(),
            Err(_) => view.iter().copied().collect(),
        };
        if let Some(pos) = ebdm::memory::patterns::first_non_bipolar(&data) {
            return Err(not_bipolar(pos, cols, data[pos] as f64));
        }
        return Ok(finish(shape_, data));
    }
    let arr = f64_array(obj, row)?;
    let ro = arr.try_readonly().map_err(|e| shape(format!("{what}: {e}")))?;
    let view = ro.as_array();
    let shape_ = view.shape().to_vec();
    check_ndim(&shape_, what, allowed)?;
    let cols = shape_.last().copied().unwrap_or(1);
    let mut data = Vec::with_capacity(view.len());
    for (pos, &v) in view.iter().enumerate() {
        if v == 1.0 {
            data.push(1);
        } else if v == -1.0 {
            data.push(-1);
        } else {
            return Err(not_bipolar(pos, cols, v));
        }
    }
    Ok(finish(shape_, data))
}

/// A row-major `rows × cols` buffer as a 2-D NumPy array (no copy).
pub fn matrix<'py, T: numpy::Element>(
    py: Python<'py>,
    rows: usize,
    cols: usize,
    data: Vec<T>,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    let a = Array2::from_shape_vec((rows, cols), data)
        .map_err(|e| shape(format!("cannot form a {rows}×{cols} array: {e}")))?;
    Ok(a.into_pyarray(py))
}

/// A vector as a 1-D NumPy array (no copy).
pub fn vector<T: numpy::Element>(py: Python<'_>, data: Vec<T>) -> Bound<'_, PyArray1<T>> {
    PyArray1::from_vec(py, data)
}

/// `value` as Python objects, through JSON (`json.loads` keeps the field order and parses
/// floats exactly; non-finite floats become `None`). The one route by which the bindings hand
/// library results over as plain Python data.
pub fn to_python<'py, T: serde::Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(format!("cannot convert a result: {e}")))?;
    py.import("json")?.call_method1("loads", (text,))
}
