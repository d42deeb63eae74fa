//! Dense associative memories (Krotov & Hopfield 2016; Demircigil et al. 2017) and their
//! retrieval results.

use ebdm::engine::StopFlag;
use ebdm::memory::dense::DenseRetrieval;
use ebdm::memory::{DenseAM, FlipRule, Patterns, Separation};
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{bipolar, matrix, vector};
use crate::errors::{param, shape, OrRaise};
use crate::runtime::run_released;

/// Single retrievals bigger than this many pattern reads (N·K·max_sweeps) run on a helper
/// thread so that Ctrl-C can stop them; smaller ones run inline to save the thread start.
const WATCH_ABOVE: usize = 1 << 26;

/// The outcome of one retrieval run (`DenseAM.retrieve`).
///
/// Read the fields as attributes (`r.state`) or as keys (`r["state"]`, `dict(r)`):
///
/// - `state`: final state σ, an `int8` array of ±1;
/// - `converged`: whether the run ended at a fixed point (a sweep changed no unit);
/// - `interrupted`: whether Ctrl-C stopped the run;
/// - `sweeps`: sweeps performed (a sweep visits every unit once, in a fresh random order);
/// - `flips`: units flipped in total;
/// - `energy`: final reported energy (see `DenseAM.energy`);
/// - `energy_trace`: reported energy before the run and after every sweep (`float64` array),
///   or `None` unless `track_energy=True`.
///
/// `status` gives the outcome as a `Retrieval` does: `"fixed-point"`, `"max-sweeps"` or
/// `"interrupted"`.
#[pyclass(module = "ebdm._ebdm", name = "DenseRetrieval", frozen)]
pub struct PyDenseRetrieval {
    state: Py<PyArray1<i8>>,
    converged: bool,
    interrupted: bool,
    sweeps: usize,
    flips: usize,
    energy: f64,
    energy_trace: Option<Py<PyArray1<f64>>>,
}

const DENSE_RETRIEVAL_KEYS: [&str; 7] =
    ["state", "converged", "interrupted", "sweeps", "flips", "energy", "energy_trace"];

impl PyDenseRetrieval {
    fn new(py: Python<'_>, r: DenseRetrieval) -> Self {
        Self {
            state: vector(py, r.state).unbind(),
            converged: r.converged,
            interrupted: r.interrupted,
            sweeps: r.sweeps,
            flips: r.flips,
            energy: r.energy,
            energy_trace: r.energy_trace.map(|t| vector(py, t).unbind()),
        }
    }
}

#[pymethods]
impl PyDenseRetrieval {
    /// Final state σ (`int8` array of ±1).
    #[getter]
    fn state(&self, py: Python<'_>) -> Py<PyArray1<i8>> {
        self.state.clone_ref(py)
    }
    /// Whether the run ended at a fixed point.
    #[getter]
    fn converged(&self) -> bool {
        self.converged
    }
    /// Whether Ctrl-C stopped the run.
    #[getter]
    fn interrupted(&self) -> bool {
        self.interrupted
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
    /// Final reported energy (see `DenseAM.energy`).
    #[getter]
    fn energy(&self) -> f64 {
        self.energy
    }
    /// Reported energy before the run and after every sweep, or None unless `track_energy=True`.
    #[getter]
    fn energy_trace(&self, py: Python<'_>) -> Option<Py<PyArray1<f64>>> {
        self.energy_trace.as_ref().map(|t| t.clone_ref(py))
    }
    /// How the run ended: "fixed-point", "max-sweeps" or "interrupted".
    #[getter]
    fn status(&self) -> &'static str {
        if self.interrupted {
            "interrupted"
        } else if self.converged {
            "fixed-point"
        } else {
            "max-sweeps"
        }
    }

    /// The field named `key` (one of `keys()`).
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        Ok(match key {
            "state" => self.state.bind(py).clone().into_any(),
            "converged" => self.converged.into_pyobject(py)?.to_owned().into_any(),
            "interrupted" => self.interrupted.into_pyobject(py)?.to_owned().into_any(),
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
    /// Rebuilds a result from `__reduce__`'s fields.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    fn _from_fields(
        state: Bound<'_, PyArray1<i8>>,
        converged: bool,
        interrupted: bool,
        sweeps: usize,
        flips: usize,
        energy: f64,
        energy_trace: Option<Bound<'_, PyArray1<f64>>>,
    ) -> Self {
        Self {
            state: state.unbind(),
            converged,
            interrupted,
            sweeps,
            flips,
            energy,
            energy_trace: energy_trace.map(Bound::unbind),
        }
    }

    /// Pickle support: the fields, rebuilt by `DenseRetrieval._from_fields`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let this = slf.get();
        let args = (
            this.state.clone_ref(py),
            this.converged,
            this.interrupted,
            this.sweeps,
            this.flips,
            this.energy,
            this.energy_trace.as_ref().map(|t| t.clone_ref(py)),
        );
        Ok((slf.get_type().getattr("_from_fields")?, args.into_pyobject(py)?.into_any()))
    }
    /// The field names: state, converged, interrupted, sweeps, flips, energy, energy_trace.
    fn keys(&self) -> [&'static str; 7] {
        DENSE_RETRIEVAL_KEYS
    }
    /// Iterates over the field names, as a dict does.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyList::new(py, DENSE_RETRIEVAL_KEYS)?.try_iter()?.into_any())
    }
    /// Number of fields (7).
    fn __len__(&self) -> usize {
        DENSE_RETRIEVAL_KEYS.len()
    }
    /// Whether `key` is a field name.
    fn __contains__(&self, key: &str) -> bool {
        DENSE_RETRIEVAL_KEYS.contains(&key)
    }
    /// The fields as a plain dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for k in DENSE_RETRIEVAL_KEYS {
            d.set_item(k, self.__getitem__(py, k)?)?;
        }
        Ok(d)
    }
    fn __repr__(&self) -> String {
        format!(
            "DenseRetrieval(converged={}, interrupted={}, sweeps={}, flips={}, energy={})",
            py_bool(self.converged),
            py_bool(self.interrupted),
            self.sweeps,
            self.flips,
            self.energy
        )
    }
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// The canonical string of a separation, which `Separation::from_str` parses back exactly
/// (Rust prints the shortest decimal that round-trips a float).
fn separation_name(s: Separation) -> String {
    match s {
        Separation::Polynomial(n) => format!("poly:{n}"),
        Separation::Rectified(n) => format!("rep:{n}"),
        Separation::Exponential => "exp".to_string(),
        Separation::LogSumExp(b) => format!("lse:{b}"),
    }
}

fn rule_name(r: FlipRule) -> &'static str {
    match r {
        FlipRule::Exact => "exact",
        FlipRule::GradientSign => "gradient-sign",
    }
}

/// Parses `separation`, with the degree or β given either in the string (`"poly:3"`,
/// `"lse:0.5"`) or as a keyword (`separation="poly", degree=3`; `separation="lse", beta=0.5`).
fn parse_separation(separation: &str, degree: Option<i64>, beta: Option<f64>) -> PyResult<Separation> {
    if degree.is_some() && beta.is_some() {
        return Err(param("separation", "give either degree (poly, rep) or beta (lse), not both"));
    }
    let keyword = degree.map(|d| ("degree", d.to_string())).or_else(|| beta.map(|b| ("beta", b.to_string())));
    let Some((name, value)) = keyword else {
        return separation.parse::<Separation>().or_raise();
    };
    if separation.contains(':') {
        return Err(param(
            "separation",
            format!("`{separation}` already has a parameter; drop the {name} keyword or the `:` part"),
        ));
    }
    // `exp` takes no parameter at all: name the misplaced keyword rather than the library's
    // complaint about `exp:<value>`.
    if matches!(separation.to_ascii_lowercase().as_str(), "exp" | "exponential") {
        let which = if name == "degree" { "poly and rep" } else { "lse" };
        return Err(param(name, format!("applies only to {which}, not `{separation}`")));
    }
    let sep = format!("{separation}:{value}").parse::<Separation>().or_raise()?;
    match (name, sep) {
        ("degree", Separation::Polynomial(_) | Separation::Rectified(_)) => Ok(sep),
        ("beta", Separation::LogSumExp(_)) => Ok(sep),
        ("degree", _) => Err(param("degree", format!("applies only to poly and rep, not `{separation}`"))),
        _ => Err(param("beta", format!("applies only to lse, not `{separation}`"))),
    }
}

/// A dense associative memory (Krotov & Hopfield 2016; Demircigil et al. 2017).
///
/// `DenseAM(patterns, separation="poly:3", update="exact")` stores the rows of `patterns`
/// (a 2-D array of ±1, one pattern per row, any numeric dtype; a 1-D array is one pattern).
/// State σ ∈ {−1, +1}ᴺ, energy E(σ) = −Σ_μ F(a_μ) with raw integer overlaps a_μ = ξ^μ·σ.
///
/// `separation` chooses F:
///
/// | separation | F(x) | reported energy (`energy`) |
/// |---|---|---|
/// | `"poly:n"` (n ≥ 2) | xⁿ | E/Nⁿ = −Σ (a/N)ⁿ |
/// | `"rep:n"` (n ≥ 1) | max(x, 0)ⁿ | E/Nⁿ |
/// | `"exp"` | eˣ | −ln(−E) = −ln Σ e^{a} |
/// | `"lse:β"` (β > 0) | (energy) −β⁻¹ ln Σ e^{βa} | E |
///
/// The degree or β may instead be given as a keyword: `separation="poly", degree=3`,
/// `separation="lse", beta=0.5`. Every reported energy is an increasing function of E, and
/// finite for any N, K and β (polynomials are evaluated on a/N, exponentials in the log domain).
///
/// `update` chooses the single-unit rule:
///
/// - `"exact"` (default): unit i takes whichever value gives the lower energy (ties → +1), so
///   the energy never increases;
/// - `"gradient-sign"`: σ_i ← sgn(Σ_μ ξ_i^μ F'(a_μ − ξ_i^μ σ_i)); the same as `"exact"` for the
///   exponential separations, not a descent rule in general for polynomials.
///
/// Invalid input raises `ValueError` with the library's message.
#[pyclass(module = "ebdm._ebdm", name = "DenseAM", frozen)]
pub struct PyDenseAM {
    inner: DenseAM,
}

impl PyDenseAM {
    fn n(&self) -> usize {
        self.inner.patterns().len()
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
impl PyDenseAM {
    #[new]
    #[pyo3(signature = (patterns, separation = "poly:3", update = "exact", degree = None, beta = None))]
    fn new(
        py: Python<'_>,
        patterns: &Bound<'_, PyAny>,
        separation: &str,
        update: &str,
        degree: Option<i64>,
        beta: Option<f64>,
    ) -> PyResult<Self> {
        let separation = parse_separation(separation, degree, beta)?;
        let rule: FlipRule = update.parse().or_raise()?;
        let p = bipolar(patterns, "patterns", "pattern", &[1, 2])?;
        let (k, n) = p.rows_cols();
        let patterns = Patterns::new(k, n, p.data).or_raise()?;
        let inner = run_released(py, None, None, || DenseAM::new(patterns, separation, rule))?.or_raise()?;
        Ok(Self { inner })
    }

    /// Runs asynchronous sweeps from `cue` (±1 vector of length N) and returns a
    /// `DenseRetrieval`.
    ///
    /// Each sweep updates every unit once in a fresh random order with the memory's `update`
    /// rule; the run stops at a fixed point (a sweep that changes nothing) or after
    /// `max_sweeps` sweeps. `track_energy` records the reported energy after every sweep.
    ///
    /// A 2-D `cue` (B×N) is a batch: the result is a list of B `DenseRetrieval`s, computed in
    /// parallel with the GIL released on `threads` threads (default: all cores). Cue i draws
    /// from the random stream `(seed, i)`, so results do not depend on the thread count, and
    /// a single cue equals row 0 of a batch with the same seed. Ctrl-C stops a batch.
    #[pyo3(signature = (cue, max_sweeps = 20, seed = 0, track_energy = false, threads = None))]
    fn retrieve<'py>(
        &self,
        py: Python<'py>,
        cue: &Bound<'py, PyAny>,
        max_sweeps: usize,
        seed: u64,
        track_energy: bool,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let cues = bipolar(cue, "cue", "cue", &[1, 2])?;
        let (_, cols) = cues.rows_cols();
        let n = self.n();
        if cols != n {
            return Err(shape(format!("cue has length {cols} but the network has {n} neurons")));
        }
        let am = &self.inner;
        let stop = StopFlag::new();
        if !cues.is_batch() {
            let big = n.saturating_mul(am.patterns().count()).saturating_mul(max_sweeps.max(1)) > WATCH_ABOVE;
            // A single cue is a batch of one: the same state as cue 0 of a batch, or of the CLI.
            let out = run_released(py, None, big.then_some(&stop), || {
                am.retrieve_batch(&cues.data, max_sweeps, track_energy, seed, &stop)
            })?
            .or_raise()?;
            let out = out.into_iter().next().flatten().ok_or_else(|| {
                pyo3::exceptions::PyKeyboardInterrupt::new_err("retrieval interrupted before it started")
            })?;
            return Ok(Bound::new(py, PyDenseRetrieval::new(py, out))?.into_any());
        }
        let outs = run_released(py, threads, Some(&stop), || {
            am.retrieve_batch(&cues.data, max_sweeps, track_energy, seed, &stop)
        })?
        .or_raise()?;
        let list = PyList::empty(py);
        for r in outs.into_iter().flatten() {
            list.append(Bound::new(py, PyDenseRetrieval::new(py, r))?)?;
        }
        Ok(list.into_any())
    }

    /// The reported energy of a ±1 vector σ of length N (see the class table): −Σ (a/N)ⁿ for
    /// `poly:n` and `rep:n` (F = max(x, 0)ⁿ), −ln Σ e^{a} for `exp`, −β⁻¹ ln Σ e^{βa} for
    /// `lse:β`, with a_μ = ξ^μ·σ. An increasing function of E = −Σ F(a_μ); always finite.
    fn energy(&self, py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<f64> {
        let s = self.state(state, "state")?;
        run_released(py, None, None, || self.inner.energy(&s))?.or_raise()
    }

    /// Raw overlaps a_μ = ξ^μ·σ with every stored pattern (`int32` array of length K).
    fn overlaps<'py>(&self, py: Python<'py>, state: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<i32>>> {
        let s = self.state(state, "state")?;
        let a = run_released(py, None, None, || self.inner.overlaps(&s))?.or_raise()?;
        Ok(vector(py, a))
    }

    /// For each unit, whether one update with the memory's rule (every other unit held fixed)
    /// would change it (`bool` array of length N).
    fn unstable_bits<'py>(&self, py: Python<'py>, state: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let s = self.state(state, "state")?;
        let b = run_released(py, None, None, || self.inner.unstable_bits(&s))?.or_raise()?;
        Ok(vector(py, b))
    }

    /// Number of units that one update would change (the one-step bit errors when σ is a
    /// stored pattern).
    fn one_step_errors(&self, py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<usize> {
        let s = self.state(state, "state")?;
        run_released(py, None, None, || self.inner.one_step_errors(&s))?.or_raise()
    }

    /// The stored patterns (a K×N `int8` copy).
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<i8>>> {
        let p = self.inner.patterns();
        matrix(py, p.count(), p.len(), p.as_slice().to_vec())
    }

    /// Number of neurons N.
    #[getter]
    fn neurons(&self) -> usize {
        self.n()
    }

    /// Number of stored patterns K.
    #[getter]
    fn count(&self) -> usize {
        self.inner.patterns().count()
    }

    /// The separation as a string that the constructor accepts: "poly:n", "rep:n", "exp" or
    /// "lse:β".
    #[getter]
    fn separation(&self) -> String {
        separation_name(self.inner.separation())
    }

    /// The update rule: "exact" or "gradient-sign".
    #[getter]
    fn update(&self) -> &'static str {
        rule_name(self.inner.rule())
    }

    /// Pickle support: rebuilt with `DenseAM(patterns, separation, update)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let this = slf.get();
        let args = (this.patterns(py)?, this.separation(), this.update()).into_pyobject(py)?;
        Ok((slf.get_type().into_any(), args.into_any()))
    }

    fn __repr__(&self) -> String {
        format!(
            "DenseAM(neurons={}, patterns={}, separation='{}', update='{}')",
            self.n(),
            self.inner.patterns().count(),
            self.separation(),
            self.update()
        )
    }
}
