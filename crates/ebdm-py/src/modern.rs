//! The modern continuous Hopfield network (Ramsauer et al. 2021): the `ModernHopfield` class
//! and the one-call `retrieve` function.

use ebdm::engine::StopFlag;
use ebdm::memory::modern::ModernRetrieval;
use ebdm::memory::{FixedPointKind, ModernHopfield, RetrieveOptions};
use ebdm::Error;
use numpy::PyArray2;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::convert::{matrix, vector, F32};
use crate::errors::{param, OrRaise};
use crate::runtime::run_released;

/// Retrievals bigger than this many multiply-adds (B·K·N·steps) run on a helper thread so that
/// Ctrl-C can stop them; smaller ones run inline to save the thread start.
const WATCH_ABOVE: usize = 1 << 28;

/// The library's options from the Python arguments, checked.
fn options(beta: f64, steps: i64, eps: Option<f64>, return_energy: bool) -> PyResult<RetrieveOptions> {
    if steps < 1 {
        return Err(param("steps", "must be at least 1"));
    }
    if let Some(e) = eps {
        if !(e.is_finite() && e >= 0.0) {
            return Err(param("eps", format!("must be finite and >= 0, got {e}")));
        }
    }
    let opts = RetrieveOptions { beta, steps: steps as usize, tol: eps, track_energy: return_energy };
    // β is checked by the library too, but failing here spares a copy of the patterns.
    ebdm::error::check_positive("beta", beta).or_raise()?;
    Ok(opts)
}

/// Fails unless the queries have the patterns' width.
fn check_width(cols: usize, n: usize, what: &str) -> ebdm::Result<()> {
    if cols != n {
        return Err(Error::Shape(format!("{what} has width {cols} but the patterns have width {n}")));
    }
    Ok(())
}

/// Whether a retrieval is big enough to be worth watching for Ctrl-C.
fn is_big(rows: usize, k: usize, n: usize, steps: usize) -> bool {
    rows.saturating_mul(k).saturating_mul(n).saturating_mul(steps) > WATCH_ABOVE
}

/// The Python result of a retrieval: the states in the query's shape, and with `return_energy`
/// the energies as well.
fn finish<'py>(py: Python<'py>, r: ModernRetrieval, batch: bool, return_energy: bool) -> PyResult<Bound<'py, PyAny>> {
    let states =
        if batch { matrix(py, r.batch, r.neurons, r.states)?.into_any() } else { vector(py, r.states).into_any() };
    if !return_energy {
        return Ok(states);
    }
    let rows = r.energies.unwrap_or_default();
    // Chunks of queries stopped by `eps` at different steps leave rows of different lengths;
    // a stopped query keeps its state, so its last energy is repeated.
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let energies = if batch {
        let mut flat = Vec::with_capacity(rows.len() * width);
        for row in &rows {
            flat.extend_from_slice(row);
            let last = row.last().copied().unwrap_or(f64::NAN);
            flat.extend(std::iter::repeat_n(last, width - row.len()));
        }
        matrix(py, rows.len(), width, flat)?.into_any()
    } else {
        vector(py, rows.into_iter().next().unwrap_or_default()).into_any()
    };
    Ok(PyTuple::new(py, [states, energies])?.into_any())
}

/// The kind of fixed point as a dict.
fn kind_dict(py: Python<'_>, kind: FixedPointKind) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    match kind {
        FixedPointKind::SinglePattern { index, weight } => {
            d.set_item("kind", "single-pattern")?;
            d.set_item("index", index)?;
            d.set_item("weight", weight)?;
        }
        FixedPointKind::GlobalAverage { effective_patterns } => {
            d.set_item("kind", "global-average")?;
            d.set_item("effective_patterns", effective_patterns)?;
        }
        FixedPointKind::Metastable { effective_patterns, top_index } => {
            d.set_item("kind", "metastable")?;
            d.set_item("effective_patterns", effective_patterns)?;
            d.set_item("top_index", top_index)?;
        }
    }
    Ok(d)
}

/// One-call retrieval in the modern continuous Hopfield network (Ramsauer et al. 2021).
///
/// `patterns` is a K×N array (one pattern per row; a 1-D array is one pattern), `query` a
/// vector of length N or a B×N batch; both may be of any real dtype and are converted to
/// `float32` (a C-contiguous `float32` array is read in place). Each update is
///
/// ```text
/// q ← Ξᵀ softmax(β Ξ q)        (the row maximum shifted out of the softmax)
/// ```
///
/// applied `steps` times (`steps=1` is exactly one update), with no normalisation or
/// projection. With `eps`, queries stop early once an update moves every query of their chunk
/// (64 queries) by less than `eps` in max-norm.
///
/// Returns the retrieved states (`float32`, the shape of `query`); with `return_energy=True`,
/// a pair `(states, energies)` where `energies` (`float64`) holds the energy
/// E(q) = −lse(β, Ξq) + ½ qᵀq + β⁻¹ ln K + ½ M² before the first update and after each one:
/// shape (steps_taken + 1,) for one query, (B, steps_taken + 1) for a batch (a query stopped
/// early by `eps` repeats its last energy). The energy never increases.
///
/// The work runs with the GIL released, on `threads` threads for a batch (default: all
/// cores); results do not depend on the thread count. To query the same patterns many times,
/// `ModernHopfield(patterns)` stores them once. Invalid input (β ≤ 0 or NaN, steps < 1,
/// mismatched widths, no patterns, non-finite values) raises `ValueError`.
#[pyfunction]
#[pyo3(signature = (patterns, query, beta, steps = 1, eps = None, return_energy = false, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn retrieve<'py>(
    py: Python<'py>,
    patterns: &Bound<'py, PyAny>,
    query: &Bound<'py, PyAny>,
    beta: f64,
    steps: i64,
    eps: Option<f64>,
    return_energy: bool,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = options(beta, steps, eps, return_energy)?;
    let p = F32::read(patterns, "patterns", "pattern", &[1, 2])?;
    let q = F32::read(query, "query", "query", &[1, 2])?;
    let (k, n) = p.rows_cols();
    let (rows, cols) = q.rows_cols();
    let (pv, qv) = (p.values(), q.values());
    let stop = StopFlag::new();
    let watch = is_big(rows, k, n, opts.steps).then_some(&stop);
    let r = run_released(py, pool_for(rows, threads), watch, || {
        if cols != n {
            // Invalid patterns are reported first, as a stored network would.
            ModernHopfield::new(&pv, k, n)?;
            check_width(cols, n, "query")?;
        }
        // Reads the patterns in place: no copy per call.
        ModernHopfield::retrieve_with(&pv, k, n, &qv, &opts, &stop)
    })?
    .or_raise()?;
    finish(py, r, q.is_batch(), return_energy)
}

/// A modern continuous Hopfield network (Ramsauer et al. 2021, "Hopfield Networks is All You
/// Need").
///
/// `ModernHopfield(patterns)` stores the rows of `patterns` (a K×N array of any finite reals,
/// any real dtype, kept as `float32`; a 1-D array is one pattern). With state q ∈ ℝᴺ and
/// inverse temperature β > 0:
///
/// ```text
/// E(q) = −lse(β, Ξq) + ½ qᵀq + β⁻¹ ln K + ½ M²,     M = max_μ ‖ξ^μ‖,
/// q_new = Ξᵀ softmax(β Ξ q)                          (the energy never increases)
/// ```
///
/// Small β drives every query to the average of the patterns, large β to the nearest pattern,
/// and in between to metastable averages over subsets (`classify`). Updates run in single
/// precision, energies and weights in double precision. Invalid input raises `ValueError`.
#[pyclass(module = "ebdm._ebdm", name = "ModernHopfield", frozen)]
pub struct PyModernHopfield {
    inner: ModernHopfield,
}

impl PyModernHopfield {
    fn n(&self) -> usize {
        self.inner.neurons()
    }

    /// Reads one state or a batch of states of width N, all finite.
    fn states<'py>(&self, obj: &Bound<'py, PyAny>, what: &str) -> PyResult<F32<'py>> {
        let s = F32::read(obj, what, what, &[1, 2])?;
        check_width(s.rows_cols().1, self.n(), what).or_raise()?;
        Ok(s)
    }

    /// Applies `f` to every state of `obj` (one vector, or each row of a batch) with the GIL
    /// released; returns the results and whether `obj` was a batch.
    fn each<T: Send>(
        &self,
        py: Python<'_>,
        obj: &Bound<'_, PyAny>,
        f: impl Fn(&ModernHopfield, &[f32]) -> ebdm::Result<T> + Send + Sync,
    ) -> PyResult<(Vec<T>, bool)> {
        let s = self.states(obj, "state")?;
        let values = s.values();
        let n = self.n();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(param(
                "state",
                format!("row {}, component {}: value {} is not finite", i / n, i % n, values[i]),
            ));
        }
        let net = &self.inner;
        let out = run_released(py, None, None, || {
            values.chunks_exact(n).map(|q| f(net, q)).collect::<ebdm::Result<Vec<T>>>()
        })?
        .or_raise()?;
        Ok((out, s.is_batch()))
    }
}

#[pymethods]
impl PyModernHopfield {
    #[new]
    fn new(py: Python<'_>, patterns: &Bound<'_, PyAny>) -> PyResult<Self> {
        let p = F32::read(patterns, "patterns", "pattern", &[1, 2])?;
        let (k, n) = p.rows_cols();
        let values = p.values();
        let inner = run_released(py, None, None, || ModernHopfield::new(&values, k, n))?.or_raise()?;
        Ok(Self { inner })
    }

    /// Applies up to `steps` updates q ← Ξᵀ softmax(βΞq) to `query` (a vector of length N or a
    /// B×N batch, any real dtype; `float32` C-contiguous arrays are read in place).
    ///
    /// Returns the states (`float32`, the shape of `query`), or with `return_energy=True` the
    /// pair `(states, energies)` with energies (`float64`) of shape (steps_taken + 1,) or
    /// (B, steps_taken + 1), as `ebdm.retrieve` does; `eps` stops early once an update moves
    /// the queries by less than `eps` (max-norm, per chunk of 64 queries). Runs with the GIL
    /// released, a batch on `threads` threads (default: all cores).
    #[pyo3(signature = (query, beta, steps = 1, eps = None, return_energy = false, threads = None))]
    #[allow(clippy::too_many_arguments)]
    fn retrieve<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, PyAny>,
        beta: f64,
        steps: i64,
        eps: Option<f64>,
        return_energy: bool,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = options(beta, steps, eps, return_energy)?;
        let q = self.states(query, "query")?;
        let rows = q.rows_cols().0;
        let values = q.values();
        let net = &self.inner;
        let stop = StopFlag::new();
        let watch = is_big(rows, net.count(), net.neurons(), opts.steps).then_some(&stop);
        let r = run_released(py, pool_for(rows, threads), watch, || net.retrieve(&values, &opts, &stop))?.or_raise()?;
        finish(py, r, q.is_batch(), return_energy)
    }

    /// The energy E(q) = −lse(β, Ξq) + ½ qᵀq + β⁻¹ ln K + ½ M² (double precision) of a state q
    /// of length N (a float), or of each row of a B×N batch (a `float64` array of B).
    fn energy<'py>(&self, py: Python<'py>, q: &Bound<'py, PyAny>, beta: f64) -> PyResult<Bound<'py, PyAny>> {
        let (e, batch) = self.each(py, q, |net, s| net.energy(s, beta))?;
        Ok(if batch { vector(py, e).into_any() } else { e[0].into_pyobject(py)?.into_any() })
    }

    /// The softmax weights p = softmax(βΞq) over the K patterns (`float64`): an array of K for a
    /// state of length N, of shape (B, K) for a B×N batch.
    fn weights<'py>(&self, py: Python<'py>, q: &Bound<'py, PyAny>, beta: f64) -> PyResult<Bound<'py, PyAny>> {
        let (w, batch) = self.each(py, q, |net, s| net.weights(s, beta))?;
        let k = self.inner.count();
        Ok(if batch {
            matrix(py, w.len(), k, w.into_iter().flatten().collect())?.into_any()
        } else {
            vector(py, w.into_iter().next().unwrap_or_default()).into_any()
        })
    }

    /// Which kind of fixed point q is, judged from its weights p = softmax(βΞq):
    ///
    /// - `{"kind": "single-pattern", "index": μ, "weight": p_μ}` when one pattern carries
    ///   p_max ≥ 0.99;
    /// - `{"kind": "global-average", "effective_patterns": e}` when the effective number of
    ///   patterns e = exp(entropy of p) is at least 0.9 K;
    /// - `{"kind": "metastable", "effective_patterns": e, "top_index": μ}` in between.
    ///
    /// A B×N batch gives a list of B such dicts.
    fn classify<'py>(&self, py: Python<'py>, q: &Bound<'py, PyAny>, beta: f64) -> PyResult<Bound<'py, PyAny>> {
        let (kinds, batch) = self.each(py, q, |net, s| net.classify(s, beta))?;
        if !batch {
            return Ok(kind_dict(py, kinds[0])?.into_any());
        }
        let list = PyList::empty(py);
        for kind in kinds {
            list.append(kind_dict(py, kind)?)?;
        }
        Ok(list.into_any())
    }

    /// The stored patterns (a K×N `float32` copy).
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        matrix(py, self.inner.count(), self.n(), self.inner.patterns().to_vec())
    }

    /// Number of stored patterns K.
    #[getter]
    fn count(&self) -> usize {
        self.inner.count()
    }

    /// Pattern width N.
    #[getter]
    fn neurons(&self) -> usize {
        self.n()
    }

    /// Pickle support: rebuilt with `ModernHopfield(patterns)`, bit for bit.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let args = (slf.get().patterns(py)?,).into_pyobject(py)?;
        Ok((slf.get_type().into_any(), args.into_any()))
    }

    fn __repr__(&self) -> String {
        format!("ModernHopfield(patterns={}, neurons={})", self.inner.count(), self.n())
    }
}

/// The thread count a retrieval runs with: a single query runs on the calling thread, since
/// handing it to a pool thread and back costs more than its work.
fn pool_for(rows: usize, threads: Option<usize>) -> Option<usize> {
    if rows <= 1 && threads != Some(0) {
        None
    } else {
        threads
    }
}
