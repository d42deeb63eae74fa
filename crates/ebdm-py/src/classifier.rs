//! The dense associative memory classifier (Krotov & Hopfield 2016): the `DenseClassifier`
//! class.

use ebdm::engine::StopFlag;
use ebdm::memory::classifier::{ClassifierParams, DenseClassifier, EpochStats, Precision, Samples, TrainParams};
use ebdm::memory::experiments::classifier::NOTEBOOK_TEMPERATURE;
use numpy::{PyArray1, PyArray2, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::matrix;
use crate::errors::{param, shape, OrRaise};
use crate::runtime::run_released;

/// Inputs as float32 rows: `uint8` arrays are scaled by 2p/255 − 1 (pixels to [−1, 1]), any
/// other dtype is converted to float32 and used as is. Shape (B, N) or (B, H, W), flattened to
/// (B, H·W); a single 1-D input is one row.
fn read_inputs(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(Vec<f32>, usize, usize)> {
    let py = obj.py();
    let np = py.import("numpy")?;
    let arr = np.call_method1("asarray", (obj,))?;
    let (values, dims): (Vec<f32>, Vec<usize>) = if let Ok(a) = arr.downcast::<PyArrayDyn<u8>>() {
        let ro = a.try_readonly().map_err(|e| shape(format!("{what}: {e}")))?;
        (ro.as_array().iter().map(|&p| 2.0 * p as f32 / 255.0 - 1.0).collect(), ro.shape().to_vec())
    } else {
        let kwargs = PyDict::new(py);
        kwargs.set_item("dtype", "float32")?;
        let f = np.call_method("asarray", (arr,), Some(&kwargs))?;
        let f = f.downcast_into::<PyArrayDyn<f32>>()?;
        let ro = f.try_readonly().map_err(|e| shape(format!("{what}: {e}")))?;
        (ro.as_array().iter().copied().collect(), ro.shape().to_vec())
    };
    let (rows, cols) = match dims.as_slice() {
        [n] => (1, *n),
        [b, n] => (*b, *n),
        [b, h, w] => (*b, h * w),
        other => return Err(shape(format!("{what} must be a 1-D, 2-D or 3-D array, got shape {other:?}"))),
    };
    if rows == 0 || cols == 0 {
        return Err(shape(format!("{what} is empty (shape {dims:?})")));
    }
    Ok((values, rows, cols))
}

/// Integer class labels as a vector of indices (negative or non-integer values are refused).
fn read_labels(obj: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    let py = obj.py();
    let arr = py.import("numpy")?.call_method1("asarray", (obj,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("dtype", "float64")?;
    let f = py.import("numpy")?.call_method("asarray", (arr,), Some(&kwargs))?;
    let f = f.downcast_into::<PyArrayDyn<f64>>()?;
    let ro = f.try_readonly().map_err(|e| shape(format!("labels: {e}")))?;
    if ro.ndim() != 1 {
        return Err(shape(format!("labels must be a 1-D array, got shape {:?}", ro.shape())));
    }
    ro.as_array()
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 {
                Ok(v as usize)
            } else {
                Err(param("labels", format!("sample {i}: label {v} is not a non-negative integer")))
            }
        })
        .collect()
}

/// A dense associative memory trained as a classifier (Krotov & Hopfield 2016, with the
/// recipe of Krotov's MNIST notebook).
///
/// K memories ξ^μ ∈ [−1, 1]^{N+C} span N input units and C label units ("on" = +1, "off" = −1).
/// The output for class α is
///
/// ```text
/// c_α = tanh( Σ_μ [ F(ξ^μ·v^{α on}/T) − F(ξ^μ·v^{all off}/T) ] ),   F(z) = max(z, 0)ⁿ,
/// ```
///
/// evaluated without overflow for any n and T, and the prediction is argmax_α c_α. `fit`
/// minimises Σ (t − c)^{2m} (t = +1 for the true class, −1 otherwise) by minibatch gradient
/// descent with momentum, each step normalised so that every memory moves by at most the
/// learning rate, memories clipped to [−1, 1], the learning rate decaying per epoch.
///
/// Parameters: `memories` (K), `n`, `m`, `temperature` (default 540, the notebook's value),
/// `classes` (default: inferred by `fit` as max label + 1).
///
/// Images may be `uint8` (scaled by 2p/255 − 1, the notebook's scaling) or real arrays (used as
/// given; keep them in [−1, 1]), of shape (B, N) or (B, H, W). Training runs with the GIL
/// released on `threads` threads (default: all cores); results do not depend on the thread
/// count. Ctrl-C stops `fit` within a minibatch and raises `KeyboardInterrupt`; the object keeps
/// the model it had before the call. Objects pickle.
#[pyclass(module = "ebdm._ebdm", name = "DenseClassifier")]
pub struct PyDenseClassifier {
    params: ClassifierParams,
    classes: Option<usize>,
    model: Option<DenseClassifier>,
}

fn history_dict<'py>(py: Python<'py>, h: &[EpochStats], interrupted: bool) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("epoch", PyArray1::from_vec(py, h.iter().map(|e| e.epoch as i64).collect()))?;
    d.set_item("learning_rate", PyArray1::from_vec(py, h.iter().map(|e| e.learning_rate).collect()))?;
    d.set_item("train_loss", PyArray1::from_vec(py, h.iter().map(|e| e.train_loss).collect()))?;
    d.set_item("train_error", PyArray1::from_vec(py, h.iter().map(|e| e.train_error).collect()))?;
    d.set_item("test_error", PyArray1::from_vec(py, h.iter().map(|e| e.test_error.unwrap_or(f64::NAN)).collect()))?;
    d.set_item("test_loss", PyArray1::from_vec(py, h.iter().map(|e| e.test_loss.unwrap_or(f64::NAN)).collect()))?;
    d.set_item("seconds", PyArray1::from_vec(py, h.iter().map(|e| e.seconds).collect()))?;
    d.set_item("interrupted", interrupted)?;
    Ok(d)
}

impl PyDenseClassifier {
    fn fitted(&self) -> PyResult<&DenseClassifier> {
        self.model.as_ref().ok_or_else(|| param("model", "not fitted yet: call fit(images, labels) first"))
    }
}

#[pymethods]
impl PyDenseClassifier {
    #[new]
    #[pyo3(signature = (memories=100, n=20, m=30, temperature=NOTEBOOK_TEMPERATURE, classes=None))]
    fn new(memories: usize, n: u32, m: u32, temperature: f64, classes: Option<usize>) -> PyResult<Self> {
        let params = ClassifierParams { memories, degree: n, loss_power: m, temperature };
        params.check().or_raise()?;
        if let Some(c) = classes {
            if c < 2 {
                return Err(param("classes", format!("need at least 2 classes, got {c}")));
            }
        }
        Ok(Self { params, classes, model: None })
    }

    /// Trains on `images` and `labels` and returns the per-epoch history as a dict of arrays
    /// (epoch, learning_rate, train_loss, train_error, test_error, test_loss, seconds) plus
    /// `interrupted`. Test columns are NaN without `test_images`. With `warm_start=True` a
    /// fitted model continues from its memories; otherwise memories start from
    /// N(init_mean, init_std²) draws seeded by `seed`. `precision` is "f32" (single-precision
    /// matrix products, the default) or "f64".
    #[pyo3(signature = (images, labels, *, epochs=300, lr=0.04, lr_decay=0.998, momentum=0.6, batch_size=1000,
        init_mean=-0.3, init_std=0.3, seed=0, test_images=None, test_labels=None, precision="f32", threads=None,
        warm_start=false))]
    #[allow(clippy::too_many_arguments)]
    fn fit<'py>(
        &mut self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
        labels: &Bound<'py, PyAny>,
        epochs: usize,
        lr: f64,
        lr_decay: f64,
        momentum: f64,
        batch_size: usize,
        init_mean: f64,
        init_std: f64,
        seed: u64,
        test_images: Option<&Bound<'py, PyAny>>,
        test_labels: Option<&Bound<'py, PyAny>>,
        precision: &str,
        threads: Option<usize>,
        warm_start: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let precision: Precision = precision.parse().or_raise()?;
        let (x, rows, dim) = read_inputs(images, "images")?;
        let y = read_labels(labels)?;
        if y.len() != rows {
            return Err(shape(format!("{rows} images but {} labels", y.len())));
        }
        let classes = match (self.classes, &self.model) {
            (_, Some(m)) if warm_start => m.classes(),
            (Some(c), _) => c,
            (None, _) => (y.iter().copied().max().unwrap_or(0) + 1).max(2),
        };
        let train = Samples::new(x, y, dim, classes).or_raise()?;
        let test = match (test_images, test_labels) {
            (Some(ti), Some(tl)) => {
                let (tx, trows, tdim) = read_inputs(ti, "test_images")?;
                let ty = read_labels(tl)?;
                if ty.len() != trows {
                    return Err(shape(format!("{trows} test images but {} test labels", ty.len())));
                }
                Some(Samples::new(tx, ty, tdim, classes).or_raise()?)
            }
            (None, None) => None,
            _ => return Err(param("test_images", "give test_images and test_labels together")),
        };
        let tp = TrainParams { epochs, learning_rate: lr, lr_decay, momentum, batch_size, seed, precision };
        tp.check().or_raise()?;
        let mut model = match &self.model {
            Some(m) if warm_start => m.clone(),
            _ => DenseClassifier::random(self.params, dim, classes, init_mean, init_std, seed).or_raise()?,
        };
        let stop = StopFlag::new();
        let watch = stop.clone();
        let (report, model) = run_released(py, threads, Some(&watch), move || {
            let r = model.train(&train, test.as_ref(), &tp, &stop, None);
            (r, model)
        })
        .and_then(|(r, m)| Ok((r.or_raise()?, m)))?;
        self.classes = Some(classes);
        self.model = Some(model);
        history_dict(py, &report.history, report.interrupted)
    }

    /// Predicted class of every image (`int64` array; a single 1-D image gives one element).
    #[pyo3(signature = (images, threads=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let model = self.fitted()?.clone();
        let (x, _, dim) = read_inputs(images, "images")?;
        if dim != model.inputs() {
            return Err(shape(format!("images have {dim} values each, the model takes {}", model.inputs())));
        }
        let p = run_released(py, threads, None, move || model.predict(&x))?.or_raise()?;
        Ok(PyArray1::from_vec(py, p.into_iter().map(|c| c as i64).collect()))
    }

    /// The outputs c_α ∈ [−1, 1] for every image, shape (B, C), `float64`.
    #[pyo3(signature = (images, threads=None))]
    fn outputs<'py>(
        &self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let model = self.fitted()?.clone();
        let (x, rows, dim) = read_inputs(images, "images")?;
        if dim != model.inputs() {
            return Err(shape(format!("images have {dim} values each, the model takes {}", model.inputs())));
        }
        let c = model.classes();
        let out = run_released(py, threads, None, move || model.outputs(&x))?.or_raise()?;
        matrix(py, rows, c, out)
    }

    /// Fraction of `images` misclassified.
    fn error_rate(&self, py: Python<'_>, images: &Bound<'_, PyAny>, labels: &Bound<'_, PyAny>) -> PyResult<f64> {
        let model = self.fitted()?.clone();
        let (x, rows, dim) = read_inputs(images, "images")?;
        let y = read_labels(labels)?;
        if y.len() != rows {
            return Err(shape(format!("{rows} images but {} labels", y.len())));
        }
        let s = Samples::new(x, y, dim, model.classes()).or_raise()?;
        run_released(py, None, None, move || model.error_rate(&s))?.or_raise()
    }

    /// The memories, shape (K, N + C), `float64`: input units first, then label units. `None`
    /// before `fit`.
    #[getter]
    fn memories<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        match &self.model {
            Some(m) => Ok(Some(matrix(py, self.params.memories, m.width(), m.memories().to_vec())?)),
            None => Ok(None),
        }
    }

    /// Degree n.
    #[getter]
    fn n(&self) -> u32 {
        self.params.degree
    }
    /// Loss power m.
    #[getter]
    fn m(&self) -> u32 {
        self.params.loss_power
    }
    /// Temperature T.
    #[getter]
    fn temperature(&self) -> f64 {
        self.params.temperature
    }
    /// Number of memories K.
    #[getter]
    fn count(&self) -> usize {
        self.params.memories
    }
    /// Number of classes (None before `fit` unless given).
    #[getter]
    fn classes(&self) -> Option<usize> {
        self.classes
    }

    /// Rebuilds a classifier from `__reduce__`'s state (a JSON string).
    #[classmethod]
    fn _from_state(_cls: &Bound<'_, pyo3::types::PyType>, state: &str) -> PyResult<Self> {
        #[derive(serde::Deserialize)]
        struct State {
            params: ClassifierParams,
            classes: Option<usize>,
            model: Option<DenseClassifier>,
        }
        let s: State = serde_json::from_str(state).map_err(|e| param("state", e.to_string()))?;
        s.params.check().or_raise()?;
        if let Some(m) = &s.model {
            m.check().or_raise()?;
        }
        Ok(Self { params: s.params, classes: s.classes, model: s.model })
    }

    /// Pickle support: the parameters and memories, bit for bit.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.borrow();
        let state = serde_json::json!({"params": me.params, "classes": me.classes, "model": me.model}).to_string();
        let ctor = slf.get_type().getattr("_from_state")?;
        Ok((ctor, PyTuple::new(py, [state])?))
    }

    fn __repr__(&self) -> String {
        format!(
            "DenseClassifier(memories={}, n={}, m={}, temperature={}, classes={:?}, fitted={})",
            self.params.memories,
            self.params.degree,
            self.params.loss_power,
            self.params.temperature,
            self.classes,
            self.model.is_some()
        )
    }
}
