//! The classical binary Hopfield network and its retrieval results.

use ebdm::engine::StopFlag;
use ebdm::memory::hopfield::{Hopfield, LearningRule, Order, Retrieval, RetrieveParams, Status};
use ebdm::memory::{Patterns, UpdateMode};
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyType};

use crate::convert::{bipolar, matrix, real, vector, vector_or_scalar};
use crate::errors::{param, shape, OrRaise};
use crate::runtime::run_released;

/// Single retrievals bigger than this many weight reads (N²·max_sweeps) run on a helper thread
/// so that Ctrl-C can stop them; smaller ones run inline to save the thread start.
const WATCH_ABOVE: usize = 1 << 26;

/// The outcome of one retrieval run (`Hopfield.retrieve`).
///
/// Read the fields as attributes (`r.state`) or as keys (`r["state"]`, `dict(r)`):
///
/// - `state`: final state σ, an `int8` array of ±1;
/// - `status`: how the run ended: `"fixed-point"` (σ_i h_i ≥ 0 for every unit), `"two-cycle"`
///   (synchronous mode only), `"max-sweeps"` (the sweep budget ran out) or `"interrupted"`;
/// - `sweeps`: sweeps performed (a sweep is N unit updates, or N flips in `"unstable"` order);
/// - `flips`: units flipped in total;
/// - `energy`: final energy E(σ) = −½ σᵀWσ + bᵀσ;
/// - `energy_trace`: energy before the run and after every sweep (`float64` array), or `None`
///   unless `track_energy=True`.
#[pyclass(module = "ebdm._ebdm", name = "Retrieval", frozen)]
pub struct PyRetrieval {
    state: Py<PyArray1<i8>>,
    status: &'static str,
    sweeps: usize,
    flips: usize,
    energy: f64,
    energy_trace: Option<Py<PyArray1<f64>>>,
}

const RETRIEVAL_KEYS: [&str; 6] = ["state", "status", "sweeps", "flips", "energy", "energy_trace"];

fn status_name(s: Status) -> &'static str {
    match s {
        Status::FixedPoint => "fixed-point",
        Status::TwoCycle => "two-cycle",
        Status::MaxSweeps => "max-sweeps",
        Status::Interrupted => "interrupted",
    }
}

impl PyRetrieval {
    fn new(py: Python<'_>, r: Retrieval) -> Self {
        Self {
            state: vector(py, r.state).unbind(),
            status: status_name(r.status),
            sweeps: r.sweeps,
            flips: r.flips,
            energy: r.energy,
            energy_trace: r.energy_trace.map(|t| vector(py, t).unbind()),
        }
    }
}

#[pymethods]
impl PyRetrieval {
    /// Final state σ (`int8` array of ±1).
    #[getter]
    fn state(&self, py: Python<'_>) -> Py<PyArray1<i8>> {
        self.state.clone_ref(py)
    }
    /// How the run ended: "fixed-point", "two-cycle", "max-sweeps" or "interrupted".
    #[getter]
    fn status(&self) -> &'static str {
        self.status
    }
    /// Sweeps performed.
    #[getter]
    fn sweeps(&self) -> usize {
        self.sweeps
    }
    /// Units flipped in total.
    #[getter]
    fn flips(&self) -> usize {
        self.flips
    }
    /// Final energy E(σ) = −½ σᵀWσ + bᵀσ.
    #[getter]
    fn energy(&self) -> f64 {
        self.energy
    }
    /// Energy before the run and after every sweep, or None unless `track_energy=True`.
    #[getter]
    fn energy_trace(&self, py: Python<'_>) -> Option<Py<PyArray1<f64>>> {
        self.energy_trace.as_ref().map(|t| t.clone_ref(py))
    }
    /// Whether the run ended at a fixed point.
    #[getter]
    fn converged(&self) -> bool {
        self.status == "fixed-point"
    }

    /// The field named `key` (one of `keys()`).
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        Ok(match key {
            "state" => self.state.bind(py).clone().into_any(),
            "status" => self.status.into_pyobject(py)?.into_any(),
            "sweeps" => self.sweeps.into_pyobject(py)?.into_any(),
            "flips" => self.flips.into_pyobject(py)?.into_any(),
            "energy" => self.energy.into_pyobject(py)?.into_any(),
            "energy_trace" => match &self.energy_trace {
                Some(t) => t.bind(py).clone().into_any(),
                None => py.None().into_bound(py),
            },
            other => return Err(PyKeyError::new_err(other.to_string())),
        })
    }
    /// The field names: state, status, sweeps, flips, energy, energy_trace.
    fn keys(&self) -> [&'static str; 6] {
        RETRIEVAL_KEYS
    }
    /// Iterates over the field names, as a dict does.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyList::new(py, RETRIEVAL_KEYS)?.try_iter()?.into_any())
    }
    /// Number of fields (6).
    fn __len__(&self) -> usize {
        RETRIEVAL_KEYS.len()
    }
    /// Whether `key` is a field name.
    fn __contains__(&self, key: &str) -> bool {
        RETRIEVAL_KEYS.contains(&key)
    }
    /// The fields as a plain dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for k in RETRIEVAL_KEYS {
            d.set_item(k, self.__getitem__(py, k)?)?;
        }
        Ok(d)
    }
    /// Rebuilds a result from `__reduce__`'s fields.
    #[staticmethod]
    fn _from_fields(
        state: Bound<'_, PyArray1<i8>>,
        status: &str,
        sweeps: usize,
        flips: usize,
        energy: f64,
        energy_trace: Option<Bound<'_, PyArray1<f64>>>,
    ) -> PyResult<Self> {
        let status = [Status::FixedPoint, Status::TwoCycle, Status::MaxSweeps, Status::Interrupted]
            .into_iter()
            .map(status_name)
            .find(|s| *s == status)
            .ok_or_else(|| param("status", format!("unknown status `{status}`")))?;
        Ok(Self { state: state.unbind(), status, sweeps, flips, energy, energy_trace: energy_trace.map(Bound::unbind) })
    }

    /// Pickle support: the fields, rebuilt by `Retrieval._from_fields`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let this = slf.get();
        let args = (
            this.state.clone_ref(py),
            this.status,
            this.sweeps,
            this.flips,
            this.energy,
            this.energy_trace.as_ref().map(|t| t.clone_ref(py)),
        );
        Ok((slf.get_type().getattr("_from_fields")?, args.into_pyobject(py)?.into_any()))
    }

    fn __repr__(&self) -> String {
        format!(
            "Retrieval(status='{}', sweeps={}, flips={}, energy={})",
            self.status, self.sweeps, self.flips, self.energy
        )
    }
}

/// A binary Hopfield network (Hopfield 1982) with dense weights.
///
/// `Hopfield(patterns, rule="hebb", zero_diagonal=True)` stores the rows of `patterns`
/// (a 2-D array of ±1, one pattern per row, any numeric dtype; a 1-D array is one pattern):
///
/// - `"hebb"`: W = (1/N) Σ_μ ξ^μ ξ^μᵀ;
/// - `"pinv"`: the projection rule W = Ξᵀ(ΞΞᵀ)⁻¹Ξ, every pattern a fixed point for
///   independent patterns, K ≤ N;
/// - `"storkey"`: w_ij ← w_ij + (1/N)(ξ_iξ_j − ξ_i h_ji − h_ij ξ_j), h_ij = Σ_{k≠i,j} w_ik ξ_k.
///
/// `zero_diagonal` sets w_ii = 0 after learning. The bias starts at zero.
///
/// State σ ∈ {−1, +1}ᴺ, energy E(σ) = −½ σᵀWσ + bᵀσ, local field h = Wσ − b. A unit with
/// h_i = 0 keeps its state. Invalid input raises `ValueError` with the library's message
/// (a value other than ±1 is named with its pattern and component).
#[pyclass(module = "ebdm._ebdm", name = "Hopfield")]
pub struct PyHopfield {
    inner: Hopfield,
}

/// Parses the update mode of `retrieve`.
fn update_mode(mode: &str, order: Option<&str>, beta: Option<f64>) -> PyResult<UpdateMode> {
    let mode = mode.to_ascii_lowercase();
    let is_glauber = mode == "glauber";
    if beta.is_some() && !is_glauber {
        return Err(param("beta", "applies only to mode='glauber'"));
    }
    if order.is_some() && mode != "async" && mode != "asynchronous" {
        return Err(param("order", "applies only to mode='async'"));
    }
    match mode.as_str() {
        "async" | "asynchronous" => {
            Ok(UpdateMode::Async { order: order.unwrap_or("unstable").parse::<Order>().or_raise()? })
        }
        "sync" | "synchronous" => Ok(UpdateMode::Sync),
        "glauber" => match beta {
            Some(beta) => Ok(UpdateMode::Glauber { beta }),
            None => Err(param("beta", "is required for mode='glauber'")),
        },
        other => Err(param("mode", format!("unknown update mode `{other}` (expected async, sync or glauber)"))),
    }
}

impl PyHopfield {
    fn n(&self) -> usize {
        self.inner.neurons()
    }

    /// Reads one ±1 state of length N.
    fn state(&self, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<i8>> {
        let s = bipolar(obj, what, what, &[1])?;
        if s.data.len() != self.n() {
            return Err(shape(format!("{what} has length {} but the network has {} neurons", s.data.len(), self.n())));
        }
        Ok(s.data)
    }
}

#[pymethods]
impl PyHopfield {
    #[new]
    #[pyo3(signature = (patterns, rule = "hebb", zero_diagonal = true))]
    fn new(py: Python<'_>, patterns: &Bound<'_, PyAny>, rule: &str, zero_diagonal: bool) -> PyResult<Self> {
        let rule: LearningRule = rule.parse().or_raise()?;
        let p = bipolar(patterns, "patterns", "pattern", &[1, 2])?;
        let (k, n) = p.rows_cols();
        let patterns = Patterns::new(k, n, p.data).or_raise()?;
        let inner =
            run_released(py, None, None, || Hopfield::train_with(&patterns, rule, zero_diagonal))?.or_raise()?;
        Ok(Self { inner })
    }

    /// A network with given N×N weights W (any real 2-D array; the energy-descent guarantee
    /// needs W symmetric with w_ii ≥ 0) and bias b (length-N vector or scalar; default 0).
    #[classmethod]
    #[pyo3(signature = (weights, bias = None))]
    fn from_weights(
        _cls: &Bound<'_, PyType>,
        weights: &Bound<'_, PyAny>,
        bias: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let w = real(weights, "weights", &[2])?;
        let (r, c) = w.rows_cols();
        if r != c {
            return Err(shape(format!("weights must be square, got {r}×{c}")));
        }
        let bias = vector_or_scalar(bias, r, 0.0, "bias")?;
        let inner = Hopfield::from_weights(r, w.data, bias).or_raise()?;
        Ok(Self { inner })
    }

    /// Runs the dynamics from `cue` (±1 vector of length N) and returns a `Retrieval`.
    ///
    /// Modes:
    ///
    /// - `"async"`: zero temperature, σ_i ← sgn(h_i) one unit at a time; `order` is
    ///   `"unstable"` (default: a unit drawn uniformly among those with σ_i h_i < 0),
    ///   `"permutation"` (a fresh random permutation each sweep) or `"random"` (uniform units);
    ///   the energy never increases for symmetric W with w_ii ≥ 0;
    /// - `"sync"`: σ ← sgn(Wσ − b) for all units at once; may end in a two-cycle;
    /// - `"glauber"`: inverse temperature `beta` (required), P(σ_i = +1) = 1/(1 + e^{−2βh_i}).
    ///
    /// `max_sweeps` bounds the run; `track_energy` records the energy after every sweep.
    ///
    /// A 2-D `cue` (B×N) is a batch: the result is a list of B `Retrieval`s, computed in
    /// parallel with the GIL released on `threads` threads (default: all cores). Cue i draws
    /// from the random stream `(seed, i)`, so results do not depend on the thread count, and
    /// a single cue equals row 0 of a batch with the same seed. Ctrl-C stops a batch.
    #[pyo3(signature = (cue, mode = "async", order = None, beta = None, max_sweeps = 20,
                        seed = 0, track_energy = false, threads = None))]
    #[allow(clippy::too_many_arguments)]
    fn retrieve<'py>(
        &self,
        py: Python<'py>,
        cue: &Bound<'py, PyAny>,
        mode: &str,
        order: Option<&str>,
        beta: Option<f64>,
        max_sweeps: usize,
        seed: u64,
        track_energy: bool,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let params = RetrieveParams { mode: update_mode(mode, order, beta)?, max_sweeps, track_energy };
        params.check().or_raise()?;
        let cues = bipolar(cue, "cue", "cue", &[1, 2])?;
        let (_, cols) = cues.rows_cols();
        let n = self.n();
        if cols != n {
            return Err(shape(format!("cue has length {cols} but the network has {n} neurons")));
        }
        let net = &self.inner;
        let stop = StopFlag::new();
        if !cues.is_batch() {
            let big = n.saturating_mul(n).saturating_mul(max_sweeps) > WATCH_ABOVE;
            // A single cue is a batch of one: the same state as cue 0 of a batch, or of the CLI.
            let out =
                run_released(py, None, big.then_some(&stop), || net.retrieve_batch(&cues.data, &params, seed, &stop))?
                    .or_raise()?;
            let out = out.into_iter().next().flatten().ok_or_else(|| {
                pyo3::exceptions::PyKeyboardInterrupt::new_err("retrieval interrupted before it started")
            })?;
            return Ok(Bound::new(py, PyRetrieval::new(py, out))?.into_any());
        }
        let outs = run_released(py, threads, Some(&stop), || net.retrieve_batch(&cues.data, &params, seed, &stop))?
            .or_raise()?;
        let list = PyList::empty(py);
        for r in outs.into_iter().flatten() {
            list.append(Bound::new(py, PyRetrieval::new(py, r))?)?;
        }
        Ok(list.into_any())
    }

    /// E(σ) = −½ σᵀWσ + bᵀσ for a ±1 vector σ of length N.
    fn energy(&self, state: &Bound<'_, PyAny>) -> PyResult<f64> {
        self.inner.energy(&self.state(state, "state")?).or_raise()
    }

    /// Local fields h = Wσ − b (float64 array of length N).
    fn local_field<'py>(&self, py: Python<'py>, state: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let h = self.inner.local_field(&self.state(state, "state")?).or_raise()?;
        Ok(vector(py, h))
    }

    /// Whether σ is a fixed point of every update mode: σ_i h_i ≥ 0 for all i.
    fn is_fixed_point(&self, state: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.inner.is_fixed_point(&self.state(state, "state")?).or_raise()
    }

    /// Number of neurons N.
    #[getter]
    fn neurons(&self) -> usize {
        self.n()
    }

    /// The N×N weights W (a float64 copy).
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, self.n(), self.n(), self.inner.weights().to_vec())
    }

    /// The bias b (a float64 copy); assign a length-N vector or a scalar to change it.
    #[getter]
    fn bias<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        vector(py, self.inner.bias().to_vec())
    }

    #[setter]
    fn set_bias(&mut self, bias: &Bound<'_, PyAny>) -> PyResult<()> {
        let b = vector_or_scalar(Some(bias), self.n(), 0.0, "bias")?;
        self.inner.set_bias(b).or_raise()
    }

    /// Whether W is symmetric (the energy-descent guarantee needs it).
    #[getter]
    fn is_symmetric(&self) -> bool {
        self.inner.is_symmetric()
    }

    /// Pickle support: rebuilt with `Hopfield.from_weights(weights, bias)`, bit for bit.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let ctor = slf.get_type().getattr("from_weights")?;
        let this = slf.borrow();
        let args = (this.weights(py)?, this.bias(py)).into_pyobject(py)?;
        Ok((ctor, args.into_any()))
    }

    fn __repr__(&self) -> String {
        format!(
            "Hopfield(neurons={}, symmetric={})",
            self.n(),
            if self.inner.is_symmetric() { "True" } else { "False" }
        )
    }
}
