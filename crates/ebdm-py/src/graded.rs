//! The continuous-time (graded) Hopfield network.

use ebdm::engine::integrators::{integrate_traced, DormandPrince45, Euler, Rk4};
use ebdm::engine::{RunLimits, StopFlag};
use ebdm::error::{check_finite, check_positive};
use ebdm::memory::{Gain, GradedHopfield};
use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::convert::{matrix, real, real_vector, vector, vector_or_scalar};
use crate::errors::{param, shape, OrRaise};
use crate::runtime::run_released;

/// A graded (continuous-time) Hopfield network (Hopfield 1984).
///
/// `GradedHopfield(couplings, gain=1.0, activation="tanh", R=None, C=None, I=None)`:
///
/// ```text
/// C_i du_i/dt = Σ_j T_ij V_j − u_i/R_i + I_i,      V_i = g(u_i),
/// E(u) = −½ Σ_ij T_ij V_i V_j + Σ_i (1/R_i) ∫_0^{V_i} g⁻¹(x) dx − Σ_i I_i V_i,
/// dE/dt = −Σ_i C_i g'(u_i) (du_i/dt)² ≤ 0          (T symmetric),
/// ```
///
/// with g(u) = tanh(λu) (`activation="tanh"`, V ∈ (−1, 1)) or g(u) = 1/(1 + e^{−λu})
/// (`"logistic"`, V ∈ (0, 1)) and gain λ > 0. `couplings` T is a symmetric N×N array;
/// `R`, `C` (> 0, default 1) and `I` (default 0) are length-N vectors or scalars.
#[pyclass(module = "ebdm._ebdm", name = "GradedHopfield", frozen)]
pub struct PyGradedHopfield {
    inner: GradedHopfield,
}

/// An integration method of `integrate`.
enum Method {
    Euler,
    Rk4,
    Adaptive,
}

fn method(name: &str) -> PyResult<Method> {
    match name.to_ascii_lowercase().as_str() {
        "euler" => Ok(Method::Euler),
        "rk4" => Ok(Method::Rk4),
        "adaptive" | "dopri5" | "dormand-prince" => Ok(Method::Adaptive),
        other => Err(param("method", format!("unknown method `{other}` (expected rk4, euler or adaptive)"))),
    }
}

impl PyGradedHopfield {
    fn n(&self) -> usize {
        self.inner.neurons()
    }

    /// Reads a real state u of length N.
    fn state(&self, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<f64>> {
        let u = real_vector(obj, what)?;
        if u.len() != self.n() {
            return Err(shape(format!("{what} has length {} but the network has {} neurons", u.len(), self.n())));
        }
        Ok(u)
    }
}

#[pymethods]
impl PyGradedHopfield {
    #[new]
    #[pyo3(signature = (couplings, gain = 1.0, activation = "tanh", R = None, C = None, I = None))]
    #[allow(non_snake_case)]
    fn new(
        couplings: &Bound<'_, PyAny>,
        gain: f64,
        activation: &str,
        R: Option<&Bound<'_, PyAny>>,
        C: Option<&Bound<'_, PyAny>>,
        I: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let t = real(couplings, "couplings", &[2])?;
        let (n, cols) = t.rows_cols();
        if n != cols {
            return Err(shape(format!("couplings must be square, got {n}×{cols}")));
        }
        let gain = match activation.to_ascii_lowercase().as_str() {
            "tanh" => Gain::Tanh(gain),
            "logistic" | "sigmoid" => Gain::Logistic(gain),
            other => {
                return Err(param("activation", format!("unknown activation `{other}` (expected tanh or logistic)")))
            }
        };
        let r = vector_or_scalar(R, n, 1.0, "R")?;
        let c = vector_or_scalar(C, n, 1.0, "C")?;
        let input = vector_or_scalar(I, n, 0.0, "I")?;
        let inner = GradedHopfield::with_circuit(n, t.data, gain, r, c, input).or_raise()?;
        Ok(Self { inner })
    }

    /// Integrates du/dt from u(0) = `u0` to time `t` and returns `(u, times, energies)`:
    /// the final state and the time and energy E before the first step and after every step.
    ///
    /// `method`: `"rk4"` (classical Runge–Kutta, fixed step `dt`), `"euler"` (explicit Euler,
    /// fixed step) or `"adaptive"` (Dormand–Prince 5(4) with error norm
    /// rms_i(e_i / (atol + rtol·|u_i|)); `dt` is the first and largest step, and every
    /// accepted step is recorded). The last step is shortened to land exactly on `t`.
    /// `max_steps` bounds the number of steps. The GIL is released; Ctrl-C stops the run.
    #[pyo3(signature = (u0, t, dt = 0.01, method = "rk4", rtol = 1e-6, atol = 1e-9,
                        max_steps = 1_000_000))]
    #[allow(clippy::too_many_arguments)]
    fn integrate<'py>(
        &self,
        py: Python<'py>,
        u0: &Bound<'py, PyAny>,
        t: f64,
        dt: f64,
        method: &str,
        rtol: f64,
        atol: f64,
        max_steps: usize,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let mut u = self.state(u0, "u0")?;
        for &x in &u {
            check_finite("u0", x).or_raise()?;
        }
        if !(t.is_finite() && t >= 0.0) {
            return Err(param("t", format!("must be finite and >= 0, got {t}")));
        }
        check_positive("dt", dt).or_raise()?;
        let method = self::method(method)?;
        if !matches!(method, Method::Adaptive) && (t / dt).ceil() > max_steps as f64 {
            return Err(param(
                "max_steps",
                format!("t/dt = {} steps exceed max_steps = {max_steps}; raise max_steps or dt", (t / dt).ceil()),
            ));
        }
        let net = &self.inner;
        let stop = StopFlag::new();
        let limits = RunLimits::steps(max_steps);
        let path = run_released(py, None, Some(&stop), || match method {
            Method::Euler => integrate_traced(net, &mut Euler::default(), &mut u, t, dt, &limits, &stop),
            Method::Rk4 => integrate_traced(net, &mut Rk4::default(), &mut u, t, dt, &limits, &stop),
            Method::Adaptive => DormandPrince45::new(rtol, atol)
                .and_then(|mut dp| integrate_traced(net, &mut dp, &mut u, t, dt, &limits, &stop)),
        })?
        .or_raise()?;
        PyTuple::new(
            py,
            [vector(py, u).into_any(), vector(py, path.times).into_any(), vector(py, path.energies).into_any()],
        )
    }

    /// E(u) = −½ Σ_ij T_ij V_i V_j + Σ_i (1/R_i) ∫_0^{V_i} g⁻¹(x) dx − Σ_i I_i V_i with V = g(u).
    fn energy(&self, u: &Bound<'_, PyAny>) -> PyResult<f64> {
        self.inner.energy_of(&self.state(u, "u")?).or_raise()
    }

    /// The closed-form energy rate dE/dt = −Σ_i C_i g'(u_i) (du_i/dt)² (≤ 0).
    fn energy_rate(&self, u: &Bound<'_, PyAny>) -> PyResult<f64> {
        Ok(self.inner.energy_rate(&self.state(u, "u")?))
    }

    /// Outputs V = g(u) (float64 array of length N).
    fn outputs<'py>(&self, py: Python<'py>, u: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(vector(py, self.inner.outputs(&self.state(u, "u")?)))
    }

    /// Number of neurons N.
    #[getter]
    fn neurons(&self) -> usize {
        self.n()
    }

    /// The gain λ.
    #[getter]
    fn gain(&self) -> f64 {
        self.inner.gain().lambda()
    }

    /// The activation: "tanh" or "logistic".
    #[getter]
    fn activation(&self) -> &'static str {
        match self.inner.gain() {
            Gain::Tanh(_) => "tanh",
            Gain::Logistic(_) => "logistic",
        }
    }

    /// The N×N couplings T (a float64 copy).
    #[getter]
    fn couplings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, self.n(), self.n(), self.inner.couplings().to_vec())
    }

    /// Resistances R (float64 array).
    #[getter(R)]
    fn resistance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(vector(py, self.inner.resistance().to_vec()))
    }

    /// Capacitances C (float64 array).
    #[getter(C)]
    fn capacitance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(vector(py, self.inner.capacitance().to_vec()))
    }

    /// Input currents I (float64 array).
    #[getter(I)]
    fn input<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(vector(py, self.inner.input().to_vec()))
    }

    /// Pickle support: rebuilt with the constructor from (T, λ, activation, R, C, I), bit for
    /// bit.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let this = slf.get();
        let g = &this.inner;
        let args = (
            matrix(py, g.neurons(), g.neurons(), g.couplings().to_vec())?,
            g.gain().lambda(),
            this.activation(),
            vector(py, g.resistance().to_vec()),
            vector(py, g.capacitance().to_vec()),
            vector(py, g.input().to_vec()),
        )
            .into_pyobject(py)?;
        Ok((slf.get_type().into_any(), args.into_any()))
    }

    fn __repr__(&self) -> String {
        format!("GradedHopfield(neurons={}, gain={}, activation='{}')", self.n(), self.gain(), self.activation())
    }
}
