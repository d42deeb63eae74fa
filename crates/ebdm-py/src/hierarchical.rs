//! Hierarchical (Lagrangian) associative memories.

use ebdm::engine::StopFlag;
use ebdm::memory::{HierarchicalMemory, Lagrangian, Layer, RelaxOptions, Synapse};
use numpy::PyArray2;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{matrix, real, real_vector, vector};
use crate::errors::{param, shape, OrRaise};
use crate::runtime::run_released;

/// A hierarchical associative memory: layers of neurons with convex Lagrangians joined by dense
/// synapses (Krotov 2021; Krotov & Hopfield 2021).
///
/// `HierarchicalMemory(layers, synapses)`: `layers` is a list of dicts with keys `size`,
/// `lagrangian` (a string such as ``"identity"``, ``"repu:n=3"``, ``"softmax:beta=0.1"``,
/// ``"tanh:beta=1"``, ``"sigmoid"``, ``"exp:beta=1"``, ``"layernorm:gamma=1,eps=1e-5"``,
/// ``"spherical"``), `tau` (≥ 0; 0 makes the layer instantaneous) and optional `bias`;
/// `synapses` is a list of ``(a, b, W)`` with W of shape (size_a, size_b). With activations
/// x̂ₗ = ∇Lₗ(xₗ):
///
/// ```text
/// E = Σ_ℓ [⟨xₗ, x̂ₗ⟩ − Lₗ(xₗ) − ⟨bₗ, x̂ₗ⟩] − Σ_s x̂ₐᵀ W x̂_b
/// τₗ dxₗ/dt = −∂E/∂x̂ₗ,     dE/dt = −Σ_ℓ τₗ ẋₗᵀ ∇²Lₗ ẋₗ ≤ 0
/// ```
///
/// A state is one flat vector of all layers (see `layer_slices`); methods taking states accept
/// one state or a 2-D batch. `HierarchicalMemory.two_layer(memories, …)` builds the
/// Krotov–Hopfield network of feature and memory neurons.
/// A synapse as Python sees it: `(a, b, W)`.
type SynapseTuple<'py> = (usize, usize, Bound<'py, PyArray2<f64>>);

#[pyclass(module = "ebdm._ebdm", name = "HierarchicalMemory", frozen)]
pub struct PyHierarchicalMemory {
    inner: HierarchicalMemory,
}

fn lagrangian(s: &str) -> PyResult<Lagrangian> {
    s.parse::<Lagrangian>().or_raise()
}

impl PyHierarchicalMemory {
    /// Reads one state or a batch; returns the states row-major and whether it was a batch.
    fn states(&self, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(Vec<f64>, usize, bool)> {
        let x = real(obj, what, &[1, 2])?;
        let (rows, cols) = x.rows_cols();
        let s = self.inner.state_len();
        if cols != s {
            return Err(shape(format!("{what} has width {cols} but the network's state has length {s}")));
        }
        if rows == 0 {
            return Err(shape(format!("{what} is empty")));
        }
        let batch = x.is_batch();
        Ok((x.data, rows, batch))
    }

    /// Applies `f` to every state and returns a float or a 1-D array.
    fn scalar_each<'py>(
        &self,
        py: Python<'py>,
        obj: &Bound<'py, PyAny>,
        f: impl Fn(&HierarchicalMemory, &[f64]) -> ebdm::Result<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (x, rows, batch) = self.states(obj, "x")?;
        let s = self.inner.state_len();
        let out: Vec<f64> = x.chunks_exact(s).map(|r| f(&self.inner, r)).collect::<ebdm::Result<_>>().or_raise()?;
        if batch {
            Ok(vector(py, out).into_any())
        } else {
            debug_assert_eq!(rows, 1);
            Ok(out[0].into_pyobject(py)?.into_any())
        }
    }

    /// Applies `f` to every state and returns an array of the input's shape.
    fn vector_each<'py>(
        &self,
        py: Python<'py>,
        obj: &Bound<'py, PyAny>,
        f: impl Fn(&HierarchicalMemory, &[f64]) -> ebdm::Result<Vec<f64>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (x, rows, batch) = self.states(obj, "x")?;
        let s = self.inner.state_len();
        let mut out = Vec::with_capacity(x.len());
        for r in x.chunks_exact(s) {
            out.extend(f(&self.inner, r).or_raise()?);
        }
        if batch {
            Ok(matrix(py, rows, s, out)?.into_any())
        } else {
            Ok(vector(py, out).into_any())
        }
    }
}

#[pymethods]
impl PyHierarchicalMemory {
    #[new]
    #[pyo3(signature = (layers, synapses = None))]
    fn new(layers: &Bound<'_, PyList>, synapses: Option<&Bound<'_, PyList>>) -> PyResult<Self> {
        let mut ls = Vec::new();
        for (i, item) in layers.iter().enumerate() {
            let d = item.downcast::<PyDict>().map_err(|_| param("layers", format!("layer {i} is not a dict")))?;
            let get = |k: &str| d.get_item(k);
            let size: usize = get("size")?
                .ok_or_else(|| param("layers", format!("layer {i} has no `size`")))?
                .extract()
                .map_err(|_| param("layers", format!("layer {i}: `size` must be a non-negative integer")))?;
            let lag: String = match get("lagrangian")? {
                Some(v) => {
                    v.extract().map_err(|_| param("layers", format!("layer {i}: `lagrangian` must be a string")))?
                }
                None => "identity".into(),
            };
            let tau: f64 = match get("tau")? {
                Some(v) => v.extract()?,
                None => 1.0,
            };
            let bias = match get("bias")? {
                Some(v) if !v.is_none() => real_vector(&v, "bias")?,
                _ => Vec::new(),
            };
            ls.push(Layer::new(size, lagrangian(&lag)?, tau).with_bias(bias));
        }
        let mut ss = Vec::new();
        if let Some(list) = synapses {
            for (k, item) in list.iter().enumerate() {
                let (a, b, w): (usize, usize, Bound<'_, PyAny>) =
                    item.extract().map_err(|_| param("synapses", format!("synapse {k} is not a tuple (a, b, W)")))?;
                let w = real(&w, "synapse weights", &[2])?;
                let (ra, rb) = w.rows_cols();
                if let (Some(la), Some(lb)) = (ls.get(a), ls.get(b)) {
                    if (ra, rb) != (la.size, lb.size) {
                        return Err(shape(format!(
                            "synapse {k}: W has shape ({ra}, {rb}) but layers {a} and {b} have sizes {} and {}",
                            la.size, lb.size
                        )));
                    }
                }
                ss.push(Synapse { a, b, weights: w.data });
            }
        }
        Ok(Self { inner: HierarchicalMemory::new(ls, ss).or_raise()? })
    }

    /// `HierarchicalMemory.two_layer(memories, visible="identity", hidden="softmax:beta=1",
    /// tau_visible=1.0, tau_hidden=0.0, input=None)`: K memories of width N (a K×N array) as
    /// the synapses between N feature neurons (layer 0) and K memory neurons (layer 1). With
    /// an instantaneous softmax memory layer this is the modern Hopfield network; with
    /// `hidden="repu:n=…"` a dense associative memory.
    #[staticmethod]
    #[pyo3(signature = (memories, visible = "identity", hidden = "softmax:beta=1", tau_visible = 1.0, tau_hidden = 0.0, input = None))]
    fn two_layer(
        memories: &Bound<'_, PyAny>,
        visible: &str,
        hidden: &str,
        tau_visible: f64,
        tau_hidden: f64,
        input: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let m = real(memories, "memories", &[2])?;
        let (k, n) = m.rows_cols();
        if k == 0 || n == 0 {
            return Err(shape("memories must have at least one row and one column"));
        }
        let input = match input {
            Some(v) if !v.is_none() => real_vector(v, "input")?,
            _ => Vec::new(),
        };
        let inner = HierarchicalMemory::two_layer(
            &m.data,
            k,
            n,
            lagrangian(visible)?,
            lagrangian(hidden)?,
            tau_visible,
            tau_hidden,
            input,
        )
        .or_raise()?;
        Ok(Self { inner })
    }

    /// Length of a state vector (all layers).
    #[getter]
    fn state_len(&self) -> usize {
        self.inner.state_len()
    }

    /// `[(start, stop), …]`: where each layer's state lies in a state vector.
    #[getter]
    fn layer_slices(&self) -> Vec<(usize, usize)> {
        (0..self.inner.layers().len()).map(|l| self.inner.range(l)).map(|r| (r.start, r.end)).collect()
    }

    /// The layers as dicts (`size`, `lagrangian`, `tau`, `bias`).
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.inner
            .layers()
            .iter()
            .map(|l| {
                let d = PyDict::new(py);
                d.set_item("size", l.size)?;
                d.set_item("lagrangian", l.lagrangian.spec())?;
                d.set_item("tau", l.tau)?;
                d.set_item("bias", if l.bias.is_empty() { None } else { Some(vector(py, l.bias.clone())) })?;
                Ok(d)
            })
            .collect()
    }

    /// The synapses as `(a, b, W)` tuples.
    fn synapses<'py>(&self, py: Python<'py>) -> PyResult<Vec<SynapseTuple<'py>>> {
        let ls = self.inner.layers();
        self.inner
            .synapses()
            .iter()
            .map(|s| Ok((s.a, s.b, matrix(py, ls[s.a].size, ls[s.b].size, s.weights.clone())?)))
            .collect()
    }

    /// Total energy of one state (float) or a batch (1-D array), as given.
    fn energy<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.scalar_each(py, x, |n, r| n.energy(r))
    }

    /// Energy after moving instantaneous layers to their equilibrium (the Lyapunov function of
    /// the dynamics).
    fn settled_energy<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.scalar_each(py, x, |n, r| n.settled_energy(r))
    }

    /// Activations x̂ₗ = ∇Lₗ(xₗ) of every layer, in the state layout.
    fn activations<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.vector_each(py, x, |n, r| n.activations(r))
    }

    /// ∂E/∂x̂ = x − I (activations held fixed in the layer energies; HAMUX's `dEdact`).
    fn activation_gradient<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.vector_each(py, x, |n, r| n.activation_gradient(r))
    }

    /// ∇ₓE = ∇²L (x − I), the gradient with respect to the states.
    fn state_gradient<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.vector_each(py, x, |n, r| n.state_gradient(r))
    }

    /// dE/dt predicted by the Lyapunov identity, −Σ τ ẋᵀ∇²L ẋ.
    fn energy_rate<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.scalar_each(py, x, |n, r| n.energy_rate(r))
    }

    /// The vector field dx/dt at x.
    fn velocity<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        use ebdm::engine::integrators::OdeSystem;
        self.vector_each(py, x, |n, r| {
            let mut d = vec![0.0; r.len()];
            n.rhs(0.0, r, &mut d);
            Ok(d)
        })
    }

    /// `relax(x, dt=0.05, steps=1000, tol=1e-6, threads=None)`: integrates the dynamics with
    /// RK4 from one state or a batch until max |dx/dt| ≤ tol or `steps` steps. Returns a dict:
    /// `states` (same shape as x), `steps` and `converged` (per state), `energies` (a list of
    /// 1-D arrays, the energy before the first step and after every step). Ctrl-C stops every
    /// state at its current step and raises KeyboardInterrupt.
    #[pyo3(signature = (x, dt = 0.05, steps = 1000, tol = 1e-6, threads = None))]
    fn relax<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        dt: f64,
        steps: usize,
        tol: f64,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (mut states, rows, batch) = self.states(x, "x")?;
        let opts = RelaxOptions { dt, max_steps: steps, tol };
        opts.check().or_raise()?;
        let stop = StopFlag::new();
        let net = &self.inner;
        let r = run_released(py, threads, Some(&stop), || net.relax_batch(&mut states, &opts, &stop))?.or_raise()?;
        let d = PyDict::new(py);
        let s = self.inner.state_len();
        if batch {
            d.set_item("states", matrix(py, rows, s, states)?)?;
            d.set_item("steps", vector(py, r.iter().map(|x| x.steps as u64).collect()))?;
            d.set_item("converged", r.iter().map(|x| x.converged).collect::<Vec<_>>())?;
            d.set_item("energies", r.into_iter().map(|x| vector(py, x.energies)).collect::<Vec<_>>())?;
        } else {
            let one = r.into_iter().next().expect("one state");
            d.set_item("states", vector(py, states))?;
            d.set_item("steps", one.steps)?;
            d.set_item("converged", one.converged)?;
            d.set_item("energies", vector(py, one.energies))?;
        }
        Ok(d)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let this = slf.get();
        let layers = PyList::new(py, this.layers(py)?)?;
        let synapses = PyList::new(py, this.synapses(py)?)?;
        Ok((slf.get_type().into_any(), (layers, synapses).into_pyobject(py)?.into_any()))
    }

    fn __repr__(&self) -> String {
        let layers: Vec<String> =
            self.inner.layers().iter().map(|l| format!("{}×{} (tau={})", l.size, l.lagrangian.spec(), l.tau)).collect();
        format!("HierarchicalMemory(layers=[{}], synapses={})", layers.join(", "), self.inner.synapses().len())
    }
}
