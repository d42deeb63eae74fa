//! Restricted Boltzmann machines: the Bernoulli–Bernoulli `RBM` class, with scikit-learn's
//! `BernoulliRBM` names (`n_components`, `learning_rate`, `batch_size`, `n_iter`, `fit`,
//! `transform`, `score_samples`, `gibbs`, `components_`, `intercept_hidden_`,
//! `intercept_visible_`), and the `GaussianBernoulliRBM` for real-valued data.

use ebdm::boltzmann::gaussian_train::{train_gaussian, GaussianAlgorithm, GaussianEpoch, GaussianTrainParams};
use ebdm::boltzmann::rbm::{random_flips, Rbm};
use ebdm::boltzmann::train::{Algorithm, EpochStats, TrainParams, Trainer};
use ebdm::boltzmann::GaussianRbm;
use ebdm::boltzmann::{Dataset, Precision};
use ebdm::engine::StopFlag;
use numpy::{PyArray1, PyArray2, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::matrix;
use crate::errors::{param, shape, OrRaise};
use crate::runtime::run_released;

/// Samples as float32 rows in [0, 1]: any dtype is converted to float32; shape (B, N) or
/// (B, H, W) flattened to (B, H·W); a single 1-D sample is one row.
fn read_samples(obj: &Bound<'_, PyAny>, what: &'static str) -> PyResult<Dataset> {
    let py = obj.py();
    let np = py.import("numpy")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("dtype", "float32")?;
    let f = np.call_method("asarray", (obj,), Some(&kwargs))?;
    let f = f.downcast_into::<PyArrayDyn<f32>>()?;
    let ro = f.try_readonly().map_err(|e| shape(format!("{what}: {e}")))?;
    let dims = ro.shape().to_vec();
    let cols = match dims.as_slice() {
        [n] => *n,
        [_, n] => *n,
        [_, h, w] => h * w,
        other => return Err(shape(format!("{what} must be a 1-D, 2-D or 3-D array, got shape {other:?}"))),
    };
    if ro.len() == 0 || cols == 0 {
        return Err(shape(format!("{what} is empty (shape {dims:?})")));
    }
    let values: Vec<f32> = ro.as_array().iter().copied().collect();
    if let Some(i) = values.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(param(
            what,
            format!("row {} column {} is {}; values must lie in [0, 1]", i / cols, i % cols, values[i]),
        ));
    }
    Dataset::new(values, cols).or_raise()
}

fn history_dict<'py>(py: Python<'py>, h: &[EpochStats], interrupted: bool) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let col = |f: &dyn Fn(&EpochStats) -> f64| PyArray1::from_vec(py, h.iter().map(f).collect());
    d.set_item("epoch", PyArray1::from_vec(py, h.iter().map(|e| e.epoch as i64).collect()))?;
    d.set_item("seconds", col(&|e| e.seconds))?;
    d.set_item("learning_rate", col(&|e| e.learning_rate))?;
    d.set_item("reconstruction_error", col(&|e| e.recon_sse.unwrap_or(f64::NAN)))?;
    d.set_item("pseudo_likelihood", col(&|e| e.pseudo_likelihood.unwrap_or(f64::NAN)))?;
    d.set_item("mean_hidden", col(&|e| e.mean_hidden))?;
    d.set_item("interrupted", interrupted)?;
    Ok(d)
}

/// A Bernoulli–Bernoulli RBM trained by CD-k, persistent CD or parallel tempering.
///
/// `RBM(n_components, learning_rate=0.1, batch_size=10, n_iter=10, random_state=0)` with
/// `sklearn_compat=True` (the default) trains as scikit-learn's `BernoulliRBM.fit` does:
/// PCD-1 with `batch_size` chains started at zero and minibatches in data order. With
/// `sklearn_compat=False` the minibatches are shuffled each epoch and `algorithm` ("cd", "pcd"
/// or "pt"), `k`, `chains`, `momentum`, `weight_decay` and `centering` apply. After every epoch
/// the first `monitor_samples` training samples give the exact pseudo-likelihood and the
/// reconstruction error of `history` (0 turns that off; it costs `n` free energies per sample).
#[pyclass(name = "RBM", module = "ebdm")]
pub struct PyRbm {
    params: TrainParams,
    hidden: usize,
    model: Option<Rbm>,
    history: Vec<EpochStats>,
}

impl PyRbm {
    fn fitted(&self) -> PyResult<&Rbm> {
        self.model.as_ref().ok_or_else(|| param("model", "not fitted yet: call fit(X) first"))
    }

    fn fitted_for(&self, data: &Dataset) -> PyResult<Rbm> {
        let model = self.fitted()?.clone();
        if data.cols() != model.visible() {
            return Err(shape(format!(
                "X has {} features, the model has {} visible units",
                data.cols(),
                model.visible()
            )));
        }
        Ok(model)
    }
}

#[pymethods]
impl PyRbm {
    #[new]
    #[pyo3(signature = (n_components=256, *, learning_rate=0.1, batch_size=10, n_iter=10, random_state=0,
        sklearn_compat=true, algorithm="pcd", k=1, chains=None, temperatures=10, momentum=0.0, weight_decay=0.0,
        centering=None, precision="f32", monitor_samples=100))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        n_components: usize,
        learning_rate: f64,
        batch_size: usize,
        n_iter: usize,
        random_state: u64,
        sklearn_compat: bool,
        algorithm: &str,
        k: usize,
        chains: Option<usize>,
        temperatures: usize,
        momentum: f64,
        weight_decay: f64,
        centering: Option<f64>,
        precision: &str,
        monitor_samples: usize,
    ) -> PyResult<Self> {
        if n_components == 0 {
            return Err(param("n_components", "need at least one hidden unit"));
        }
        let precision: Precision = precision.parse().or_raise()?;
        let chains = chains.unwrap_or(batch_size);
        let algorithm = match algorithm {
            "cd" => Algorithm::Cd { k },
            "pcd" => Algorithm::Pcd { k, chains },
            "pt" => Algorithm::Pt { betas: Algorithm::linear_betas(temperatures), chains },
            other => return Err(param("algorithm", format!("`{other}` is not one of cd, pcd, pt"))),
        };
        let params = if sklearn_compat {
            TrainParams {
                precision,
                monitor_samples,
                ..TrainParams::sklearn(learning_rate, batch_size, n_iter, random_state)
            }
        } else {
            TrainParams {
                algorithm,
                learning_rate,
                batch_size,
                epochs: n_iter,
                momentum,
                momentum_final: momentum,
                weight_decay,
                centering,
                precision,
                monitor_samples,
                seed: random_state,
                ..TrainParams::default()
            }
        };
        params.check().or_raise()?;
        Ok(Self { params, hidden: n_components, model: None, history: Vec::new() })
    }

    /// Trains on `X` (samples × features, values in [0, 1]) and returns `self`. Ctrl-C stops
    /// after the current minibatch and keeps the model trained so far.
    #[pyo3(signature = (x, y=None, threads=None))]
    fn fit<'py>(
        slf: Bound<'py, Self>,
        x: &Bound<'py, PyAny>,
        y: Option<&Bound<'py, PyAny>>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, Self>> {
        let _ = y; // unsupervised; accepted for scikit-learn pipelines
        let py = slf.py();
        let data = read_samples(x, "X")?;
        let (params, hidden) = {
            let me = slf.borrow();
            (me.params.clone(), me.hidden)
        };
        let stop = StopFlag::new();
        let watch = stop.clone();
        let (model, history) = run_released(py, threads, Some(&watch), move || -> ebdm::Result<_> {
            let mut trainer = Trainer::new(params, hidden, &data)?;
            trainer.train(&data, None, &stop, None)?;
            Ok((trainer.model(), trainer.history().to_vec()))
        })?
        .or_raise()?;
        {
            let mut me = slf.borrow_mut();
            me.model = Some(model);
            me.history = history;
        }
        Ok(slf)
    }

    /// Hidden activation probabilities `σ(c + Wᵀv)`, shape (samples, n_components).
    #[pyo3(signature = (x, threads=None))]
    fn transform<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let data = read_samples(x, "X")?;
        let model = self.fitted_for(&data)?;
        let rows = data.rows();
        let out = run_released(py, threads, None, move || model.transform(&data))?.or_raise()?;
        matrix(py, rows, self.hidden, out)
    }

    /// `fit(X)` then `transform(X)`.
    #[pyo3(signature = (x, y=None, threads=None))]
    fn fit_transform<'py>(
        slf: Bound<'py, Self>,
        x: &Bound<'py, PyAny>,
        y: Option<&Bound<'py, PyAny>>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let py = slf.py();
        let fitted = Self::fit(slf, x, y, threads)?;
        let me = fitted.borrow();
        me.transform(py, x, threads)
    }

    /// Stochastic pseudo-likelihood per sample, `n · log σ(F(ṽ) − F(v))` with one random
    /// visible unit flipped per sample (scikit-learn's `score_samples`), seeded by `seed`.
    #[pyo3(signature = (x, seed=0))]
    fn score_samples<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        seed: u64,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let data = read_samples(x, "X")?;
        let model = self.fitted_for(&data)?;
        let flips = random_flips(data.rows(), model.visible(), seed);
        let out = model.pseudo_likelihood_stochastic(&data, &flips).or_raise()?;
        Ok(PyArray1::from_vec(py, out))
    }

    /// Mean exact log pseudo-likelihood per sample (every visible unit flipped in turn).
    fn pseudo_likelihood(&self, x: &Bound<'_, PyAny>) -> PyResult<f64> {
        let data = read_samples(x, "X")?;
        self.fitted_for(&data)?.pseudo_likelihood(&data).or_raise()
    }

    /// Free energy `F(v)` of every sample.
    fn free_energy<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let data = read_samples(x, "X")?;
        let out = self.fitted_for(&data)?.free_energies(&data).or_raise()?;
        Ok(PyArray1::from_vec(py, out))
    }

    /// Exact `log Z` by enumerating the smaller layer (at most 2²⁷ states).
    fn log_z(&self) -> PyResult<f64> {
        self.fitted()?.log_z_exact().or_raise()
    }

    /// Mean log-likelihood of `X` for a given `log Z` (exact or from AIS).
    fn log_likelihood(&self, x: &Bound<'_, PyAny>, log_z: f64) -> PyResult<f64> {
        let data = read_samples(x, "X")?;
        self.fitted_for(&data)?.log_likelihood(&data, log_z).or_raise()
    }

    /// `steps` block-Gibbs steps v → h → v from each row of `v`, seeded by `seed`; returns the
    /// final binary visible states.
    #[pyo3(signature = (v, steps=1, seed=0))]
    fn gibbs<'py>(
        &self,
        py: Python<'py>,
        v: &Bound<'py, PyAny>,
        steps: usize,
        seed: u64,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let data = read_samples(v, "v")?;
        let model = self.fitted_for(&data)?;
        let n = model.visible();
        let rows: Vec<f64> = (0..data.rows()).flat_map(|i| data.row(i).iter().map(|&x| x as f64)).collect();
        let stop = StopFlag::new();
        let out = run_released(py, None, Some(&stop), || model.gibbs_rows(&rows, steps, seed, &stop))?.or_raise()?;
        matrix(py, data.rows(), n, out)
    }

    /// Weights, shape (n_components, features), as scikit-learn's `components_`.
    #[getter]
    fn components_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let m = self.fitted()?;
        let (n, h) = (m.visible(), m.hidden());
        let w = m.weights();
        let t: Vec<f64> = (0..h).flat_map(|j| (0..n).map(move |i| w[i * h + j])).collect();
        matrix(py, h, n, t)
    }

    #[getter]
    fn intercept_hidden_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(PyArray1::from_vec(py, self.fitted()?.hidden_bias().to_vec()))
    }

    #[getter]
    fn intercept_visible_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(PyArray1::from_vec(py, self.fitted()?.visible_bias().to_vec()))
    }

    #[getter]
    fn n_components(&self) -> usize {
        self.hidden
    }

    /// Per-epoch statistics of the last `fit` as a dict of arrays.
    #[getter]
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        history_dict(py, &self.history, false)
    }

    /// Rebuilds a model from `__reduce__`'s state (a JSON string).
    #[classmethod]
    fn _from_state(_cls: &Bound<'_, pyo3::types::PyType>, state: &str) -> PyResult<Self> {
        #[derive(serde::Deserialize)]
        struct State {
            params: TrainParams,
            hidden: usize,
            model: Option<Rbm>,
            history: Vec<EpochStats>,
        }
        let s: State = serde_json::from_str(state).map_err(|e| param("state", e.to_string()))?;
        s.params.check().or_raise()?;
        let model = s.model.map(Rbm::validated).transpose().or_raise()?;
        Ok(Self { params: s.params, hidden: s.hidden, model, history: s.history })
    }

    /// Pickle support: parameters, weights and history, bit for bit.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.borrow();
        let state =
            serde_json::json!({"params": me.params, "hidden": me.hidden, "model": me.model, "history": me.history})
                .to_string();
        let ctor = slf.get_type().getattr("_from_state")?;
        Ok((ctor, PyTuple::new(py, [state])?))
    }

    fn __repr__(&self) -> String {
        format!(
            "RBM(n_components={}, learning_rate={}, batch_size={}, n_iter={}, sklearn_compat={}, fitted={})",
            self.hidden,
            self.params.learning_rate,
            self.params.batch_size,
            self.params.epochs,
            self.params.sklearn_compat,
            self.model.is_some()
        )
    }
}

/// Real-valued samples as float64 rows (the NumPy array is converted when it is not one).
fn read_real(obj: &Bound<'_, PyAny>, what: &'static str) -> PyResult<(Vec<f64>, usize, usize)> {
    let d = crate::convert::real(obj, what, &[1, 2])?;
    let (rows, cols) = d.rows_cols();
    if rows == 0 || cols == 0 {
        return Err(shape(format!("{what} is empty")));
    }
    if let Some(k) = d.data.iter().position(|x| !x.is_finite()) {
        return Err(param(what, format!("row {} column {} is {}", k / cols, k % cols, d.data[k])));
    }
    Ok((d.data, rows, cols))
}

/// A Gaussian–Bernoulli RBM: real visible units with standard deviations σ, binary hidden
/// units, trained by CD-k or persistent CD with σ fixed (the default, after standardising every
/// feature; the transform is stored) or learned (`learn_sigma=True`, its own
/// `sigma_learning_rate`).
#[pyclass(name = "GaussianBernoulliRBM", module = "ebdm")]
pub struct PyGaussianRbm {
    params: GaussianTrainParams,
    hidden: usize,
    standardize: bool,
    /// Per-feature mean and scale of the training data (identity without standardisation).
    shift: Vec<f64>,
    scale: Vec<f64>,
    model: Option<GaussianRbm>,
    history: Vec<GaussianEpoch>,
}

impl PyGaussianRbm {
    fn fitted(&self) -> PyResult<&GaussianRbm> {
        self.model.as_ref().ok_or_else(|| param("model", "not fitted yet: call fit(X) first"))
    }

    /// `X` in the model's units (standardised when the model was fitted that way).
    fn prepare(&self, x: &Bound<'_, PyAny>) -> PyResult<(Vec<f64>, usize)> {
        let model = self.fitted()?;
        let (mut data, rows, cols) = read_real(x, "X")?;
        if cols != model.visible() {
            return Err(shape(format!("X has {cols} features, the model has {} visible units", model.visible())));
        }
        for row in data.chunks_exact_mut(cols) {
            row.iter_mut().zip(self.shift.iter().zip(&self.scale)).for_each(|(v, (m, s))| *v = (*v - m) / s);
        }
        Ok((data, rows))
    }
}

#[pymethods]
impl PyGaussianRbm {
    #[new]
    #[pyo3(signature = (n_components=64, *, learning_rate=0.001, batch_size=100, n_iter=10, random_state=0,
        algorithm="pcd", k=1, chains=100, learn_sigma=false, sigma_learning_rate=None, momentum=0.5, weight_decay=0.0,
        standardize=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        n_components: usize,
        learning_rate: f64,
        batch_size: usize,
        n_iter: usize,
        random_state: u64,
        algorithm: &str,
        k: usize,
        chains: usize,
        learn_sigma: bool,
        sigma_learning_rate: Option<f64>,
        momentum: f64,
        weight_decay: f64,
        standardize: bool,
    ) -> PyResult<Self> {
        if n_components == 0 {
            return Err(param("n_components", "need at least one hidden unit"));
        }
        let algorithm = match algorithm {
            "cd" => GaussianAlgorithm::Cd { k },
            "pcd" => GaussianAlgorithm::Pcd { k, chains },
            other => return Err(param("algorithm", format!("`{other}` is not one of cd, pcd"))),
        };
        let params = GaussianTrainParams {
            algorithm,
            learning_rate,
            sigma_learning_rate: learn_sigma.then(|| sigma_learning_rate.unwrap_or(0.1 * learning_rate)),
            batch_size,
            epochs: n_iter,
            momentum,
            weight_decay,
            seed: random_state,
            ..GaussianTrainParams::default()
        };
        params.check().or_raise()?;
        Ok(Self {
            params,
            hidden: n_components,
            standardize,
            shift: vec![],
            scale: vec![],
            model: None,
            history: vec![],
        })
    }

    /// Trains on `X` (samples × features) and returns `self`.
    #[pyo3(signature = (x, y=None))]
    fn fit<'py>(
        slf: Bound<'py, Self>,
        x: &Bound<'py, PyAny>,
        y: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let _ = y;
        let py = slf.py();
        let (mut data, rows, cols) = read_real(x, "X")?;
        let (params, hidden, standardize) = {
            let me = slf.borrow();
            (me.params.clone(), me.hidden, me.standardize)
        };
        let (mut shift, mut scale) = (vec![0.0; cols], vec![1.0; cols]);
        if standardize {
            for row in data.chunks_exact(cols) {
                shift.iter_mut().zip(row).for_each(|(m, v)| *m += v / rows as f64);
            }
            for row in data.chunks_exact(cols) {
                scale
                    .iter_mut()
                    .zip(row.iter().zip(&shift))
                    .for_each(|(s, (v, m))| *s += (v - m).powi(2) / rows as f64);
            }
            // scale held 1 + variance; a constant feature keeps scale 1.
            scale.iter_mut().for_each(|s| *s = if *s > 1.0 { (*s - 1.0).sqrt() } else { 1.0 });
            for row in data.chunks_exact_mut(cols) {
                row.iter_mut().zip(shift.iter().zip(&scale)).for_each(|(v, (m, s))| *v = (*v - m) / s);
            }
        }
        let stop = StopFlag::new();
        let watch = stop.clone();
        let fit = run_released(py, None, Some(&watch), move || train_gaussian(&data, cols, hidden, &params, &stop))?
            .or_raise()?;
        {
            let mut me = slf.borrow_mut();
            me.shift = shift;
            me.scale = scale;
            me.model = Some(fit.model);
            me.history = fit.history;
        }
        Ok(slf)
    }

    /// Hidden activation probabilities `σ(c + Wᵀ(v/σ))`, shape (samples, n_components).
    fn transform<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (data, rows) = self.prepare(x)?;
        let model = self.fitted()?;
        let out: Vec<f64> = data.chunks_exact(model.visible()).flat_map(|v| model.hidden_probs(v)).collect();
        matrix(py, rows, self.hidden, out)
    }

    /// Free energy `F(v)` of every sample (in standardised units).
    fn free_energy<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (data, _) = self.prepare(x)?;
        let model = self.fitted()?;
        Ok(PyArray1::from_vec(py, data.chunks_exact(model.visible()).map(|v| model.free_energy(v)).collect()))
    }

    /// Exact `log Z` (standardised units) by enumerating the hidden layer.
    fn log_z(&self) -> PyResult<f64> {
        self.fitted()?.log_z_exact().or_raise()
    }

    /// Exact mean log-density of `X` in its own units (the standardisation's Jacobian
    /// included), by enumerating the hidden layer.
    fn log_likelihood(&self, x: &Bound<'_, PyAny>) -> PyResult<f64> {
        let (data, rows) = self.prepare(x)?;
        let model = self.fitted()?;
        let log_z = model.log_z_exact().or_raise()?;
        let jac: f64 = self.scale.iter().map(|s| s.ln()).sum();
        Ok(data.chunks_exact(model.visible()).map(|v| model.log_density(v, log_z)).sum::<f64>() / rows as f64 - jac)
    }

    /// `steps` Gibbs steps from each row of `v` (seeded); returns the visible means of the
    /// last step in the units of `X`.
    #[pyo3(signature = (v, steps=1, seed=0))]
    fn gibbs<'py>(
        &self,
        py: Python<'py>,
        v: &Bound<'py, PyAny>,
        steps: usize,
        seed: u64,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (data, rows) = self.prepare(v)?;
        let model = self.fitted()?;
        let n = model.visible();
        let stop = StopFlag::new();
        let means = run_released(py, None, Some(&stop), || model.gibbs_means(&data, steps, seed, &stop))?.or_raise()?;
        let scale = self.shift.iter().zip(&self.scale).cycle();
        let out = means.iter().zip(scale).map(|(v, (m, s))| v * s + m).collect();
        matrix(py, rows, n, out)
    }

    /// Weights, shape (n_components, features).
    #[getter]
    fn components_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let m = self.fitted()?;
        let (n, h) = (m.visible(), m.hidden());
        let w = m.weights();
        matrix(py, h, n, (0..h).flat_map(|j| (0..n).map(move |i| w[i * h + j])).collect())
    }

    /// Standard deviations σ of the visible units (standardised units).
    #[getter]
    fn sigma_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(PyArray1::from_vec(py, self.fitted()?.sigma().to_vec()))
    }

    /// Per-epoch reconstruction error and mean σ of the last `fit`.
    #[getter]
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("epoch", PyArray1::from_vec(py, self.history.iter().map(|e| e.epoch as i64).collect()))?;
        d.set_item("reconstruction_error", PyArray1::from_vec(py, self.history.iter().map(|e| e.recon_sse).collect()))?;
        d.set_item("mean_sigma", PyArray1::from_vec(py, self.history.iter().map(|e| e.mean_sigma).collect()))?;
        Ok(d)
    }

    /// Rebuilds a model from `__reduce__`'s state (a JSON string).
    #[classmethod]
    fn _from_state(_cls: &Bound<'_, pyo3::types::PyType>, state: &str) -> PyResult<Self> {
        #[derive(serde::Deserialize)]
        struct State {
            params: GaussianTrainParams,
            hidden: usize,
            standardize: bool,
            shift: Vec<f64>,
            scale: Vec<f64>,
            model: Option<GaussianRbm>,
            history: Vec<GaussianEpoch>,
        }
        let s: State = serde_json::from_str(state).map_err(|e| param("state", e.to_string()))?;
        s.params.check().or_raise()?;
        let model = s.model.map(GaussianRbm::validated).transpose().or_raise()?;
        Ok(Self {
            params: s.params,
            hidden: s.hidden,
            standardize: s.standardize,
            shift: s.shift,
            scale: s.scale,
            model,
            history: s.history,
        })
    }

    /// Pickle support: settings, standardisation, parameters and history, bit for bit.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.borrow();
        let state = serde_json::json!({"params": me.params, "hidden": me.hidden, "standardize": me.standardize,
            "shift": me.shift, "scale": me.scale, "model": me.model, "history": me.history})
        .to_string();
        let ctor = slf.get_type().getattr("_from_state")?;
        Ok((ctor, PyTuple::new(py, [state])?))
    }

    fn __repr__(&self) -> String {
        format!(
            "GaussianBernoulliRBM(n_components={}, learning_rate={}, learn_sigma={}, fitted={})",
            self.hidden,
            self.params.learning_rate,
            self.params.sigma_learning_rate.is_some(),
            self.model.is_some()
        )
    }
}
