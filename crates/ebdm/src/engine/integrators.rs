//! Time integrators for ODEs `dx/dt = f(t, x)` and diagonal-noise SDEs
//! `dx = f(t, x) dt + g(t, x) ∘ dW`, all working on preallocated workspaces so that a step does
//! not allocate.
//!
//! | integrator | order | notes |
//! |---|---|---|
//! | [`Euler`] | 1 | explicit |
//! | [`Rk4`] | 4 | classical Runge–Kutta |
//! | [`DormandPrince45`] | 5(4) | adaptive, embedded error estimate, FSAL |
//! | [`EulerMaruyama`] | strong ½ (1 for additive noise) | Itô |
//! | [`StochasticHeun`] | strong 1 for commutative noise | Stratonovich |

use rand_distr::{Distribution, StandardNormal};

use super::rng::Rng64;
use super::run::{RunControl, RunLimits, StepInfo, StopFlag, StopReason};
use crate::error::{Error, Result};

/// A vector field `f(t, x)` on ℝⁿ.
pub trait OdeSystem {
    /// Dimension n of the state.
    fn dim(&self) -> usize;
    /// Writes `f(t, x)` into `dxdt`.
    fn rhs(&self, t: f64, x: &[f64], dxdt: &mut [f64]);
}

/// A scalar function of the state that the dynamics should not increase.
pub trait Energy {
    fn energy(&self, x: &[f64]) -> f64;
}

/// A diagonal-noise SDE: the drift is the [`OdeSystem`] vector field, the diffusion `g(t, x)`
/// multiplies independent Wiener increments component by component.
pub trait SdeSystem: OdeSystem {
    /// Writes the diffusion coefficients `g(t, x)` into `g`.
    fn diffusion(&self, t: f64, x: &[f64], g: &mut [f64]);
}

/// A one-step ODE integrator.
pub trait Integrator {
    /// Advances `x` from time `t` by at most `dt` and returns the time actually advanced
    /// (always `dt` for fixed-step methods).
    fn step<S: OdeSystem + ?Sized>(&mut self, sys: &S, t: f64, x: &mut [f64], dt: f64) -> Result<f64>;

    /// Integrates from `t0` to `t1` in steps of at most `dt`, landing exactly on `t1`.
    fn integrate<S: OdeSystem + ?Sized>(&mut self, sys: &S, t0: f64, t1: f64, x: &mut [f64], dt: f64) -> Result<()> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::param("dt", format!("must be finite and > 0, got {dt}")));
        }
        // Rounding in `t += h` accumulates (500 steps of 0.01 end at 4.99999999999994), so a
        // remainder below this tolerance counts as arrival instead of a spurious tiny step.
        let tol = 1e-9 * (t1 - t0).abs().max(dt);
        let mut t = t0;
        while t1 - t > tol {
            let h = dt.min(t1 - t);
            let done = self.step(sys, t, x, h)?;
            if done <= 0.0 || t + done == t {
                return Err(Error::Numerical(format!("step size underflow at t = {t}")));
            }
            t += done;
        }
        Ok(())
    }
}

fn ensure_len(buf: &mut Vec<f64>, n: usize) {
    if buf.len() != n {
        buf.resize(n, 0.0);
    }
}

fn check_state(x: &[f64], t: f64) -> Result<()> {
    if x.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::Numerical(format!("state became non-finite at t = {t}; reduce the step size")))
    }
}

/// Explicit Euler: `x ← x + dt·f(t, x)`.
#[derive(Clone, Debug, Default)]
pub struct Euler {
    k: Vec<f64>,
}

impl Integrator for Euler {
    fn step<S: OdeSystem + ?Sized>(&mut self, sys: &S, t: f64, x: &mut [f64], dt: f64) -> Result<f64> {
        ensure_len(&mut self.k, x.len());
        sys.rhs(t, x, &mut self.k);
        x.iter_mut().zip(&self.k).for_each(|(xi, ki)| *xi += dt * ki);
        check_state(x, t + dt)?;
        Ok(dt)
    }
}

/// The classical fourth-order Runge–Kutta method.
#[derive(Clone, Debug, Default)]
pub struct Rk4 {
    k1: Vec<f64>,
    k2: Vec<f64>,
    k3: Vec<f64>,
    k4: Vec<f64>,
    tmp: Vec<f64>,
}

// Stage loops combine several buffers element by element; indexing reads clearest.
#[allow(clippy::needless_range_loop)]
impl Integrator for Rk4 {
    fn step<S: OdeSystem + ?Sized>(&mut self, sys: &S, t: f64, x: &mut [f64], dt: f64) -> Result<f64> {
        let n = x.len();
        for b in [&mut self.k1, &mut self.k2, &mut self.k3, &mut self.k4, &mut self.tmp] {
            ensure_len(b, n);
        }
        sys.rhs(t, x, &mut self.k1);
        for i in 0..n {
            self.tmp[i] = x[i] + 0.5 * dt * self.k1[i];
        }
        sys.rhs(t + 0.5 * dt, &self.tmp, &mut self.k2);
        for i in 0..n {
            self.tmp[i] = x[i] + 0.5 * dt * self.k2[i];
        }
        sys.rhs(t + 0.5 * dt, &self.tmp, &mut self.k3);
        for i in 0..n {
            self.tmp[i] = x[i] + dt * self.k3[i];
        }
        sys.rhs(t + dt, &self.tmp, &mut self.k4);
        for i in 0..n {
            x[i] += dt / 6.0 * (self.k1[i] + 2.0 * self.k2[i] + 2.0 * self.k3[i] + self.k4[i]);
        }
        check_state(x, t + dt)?;
        Ok(dt)
    }
}

// Dormand–Prince 5(4) tableau (Dormand & Prince 1980; Hairer, Nørsett & Wanner, Table II.5.2).
const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const B1: f64 = 35.0 / 384.0;
const B3: f64 = 500.0 / 1113.0;
const B4: f64 = 125.0 / 192.0;
const B5: f64 = -2187.0 / 6784.0;
const B6: f64 = 11.0 / 84.0;
// Error coefficients: fifth-order minus embedded fourth-order weights.
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;

/// Adaptive Dormand–Prince 5(4) with a mixed absolute/relative error norm
/// `err = rms_i(e_i / (atol + rtol·max(|x_i|, |x_i'|)))` and step-size control
/// `h ← h·min(5, max(0.2, 0.9·err^{-1/5}))`.
#[derive(Clone, Debug)]
pub struct DormandPrince45 {
    pub rtol: f64,
    pub atol: f64,
    /// Smallest step allowed before the integrator reports a failure.
    pub min_step: f64,
    /// Step size to try next (`None`: start from the requested step).
    pub next_step: Option<f64>,
    /// Accepted and rejected step counts since creation.
    pub accepted: usize,
    pub rejected: usize,
    k: [Vec<f64>; 7],
    y: Vec<f64>,
    fsal: Option<(f64, usize)>,
}

impl DormandPrince45 {
    /// An integrator with the given relative and absolute tolerances.
    pub fn new(rtol: f64, atol: f64) -> Result<Self> {
        crate::error::check_positive("rtol", rtol)?;
        crate::error::check_positive("atol", atol)?;
        Ok(Self {
            rtol,
            atol,
            min_step: 1e-12,
            next_step: None,
            accepted: 0,
            rejected: 0,
            k: Default::default(),
            y: Vec::new(),
            fsal: None,
        })
    }
}

impl Integrator for DormandPrince45 {
    fn step<S: OdeSystem + ?Sized>(&mut self, sys: &S, t: f64, x: &mut [f64], dt: f64) -> Result<f64> {
        let n = x.len();
        for k in self.k.iter_mut() {
            ensure_len(k, n);
        }
        ensure_len(&mut self.y, n);
        let mut h = self.next_step.unwrap_or(dt).min(dt);
        // First-same-as-last: k7 of the accepted step is k1 of the next when x is unchanged.
        let reuse = matches!(self.fsal, Some((tf, len)) if tf == t && len == n);
        if reuse {
            let (a, b) = self.k.split_at_mut(6);
            a[0].copy_from_slice(&b[0]);
        } else {
            sys.rhs(t, x, &mut self.k[0]);
        }
        loop {
            if h < self.min_step {
                return Err(Error::Numerical(format!(
                    "adaptive step fell below {} at t = {t}; the problem may be stiff",
                    self.min_step
                )));
            }
            let [k1, k2, k3, k4, k5, k6, k7] = &mut self.k;
            let y = &mut self.y;
            for i in 0..n {
                y[i] = x[i] + h * A21 * k1[i];
            }
            sys.rhs(t + C2 * h, y, k2);
            for i in 0..n {
                y[i] = x[i] + h * (A31 * k1[i] + A32 * k2[i]);
            }
            sys.rhs(t + C3 * h, y, k3);
            for i in 0..n {
                y[i] = x[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
            }
            sys.rhs(t + C4 * h, y, k4);
            for i in 0..n {
                y[i] = x[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
            }
            sys.rhs(t + C5 * h, y, k5);
            for i in 0..n {
                y[i] = x[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
            }
            sys.rhs(t + h, y, k6);
            for i in 0..n {
                y[i] = x[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]);
            }
            sys.rhs(t + h, y, k7);
            let mut acc = 0.0;
            for i in 0..n {
                let e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
                let scale = self.atol + self.rtol * x[i].abs().max(y[i].abs());
                acc += (e / scale) * (e / scale);
            }
            let err = if n == 0 { 0.0 } else { (acc / n as f64).sqrt() };
            if !err.is_finite() {
                self.rejected += 1;
                h *= 0.2;
                continue;
            }
            let factor = if err == 0.0 { 5.0 } else { (0.9 * err.powf(-0.2)).clamp(0.2, 5.0) };
            if err <= 1.0 {
                x.copy_from_slice(y);
                self.accepted += 1;
                self.next_step = Some(h * factor);
                self.fsal = Some((t + h, n));
                return Ok(h);
            }
            self.rejected += 1;
            h *= factor.min(1.0);
        }
    }
}

/// A one-step SDE integrator.
pub trait SdeIntegrator {
    /// Advances `x` from `t` to `t + dt` with Wiener increments drawn from `rng`.
    fn step<S: SdeSystem + ?Sized>(&mut self, sys: &S, t: f64, x: &mut [f64], dt: f64, rng: &mut Rng64) -> Result<()> {
        let n = x.len();
        let mut dw = std::mem::take(self.noise_buffer());
        ensure_len(&mut dw, n);
        let sd = dt.sqrt();
        for w in dw.iter_mut() {
            let z: f64 = StandardNormal.sample(rng);
            *w = sd * z;
        }
        let r = self.step_with_increments(sys, t, x, dt, &dw);
        *self.noise_buffer() = dw;
        r
    }

    /// Advances `x` with the given Wiener increments `dw` (each of variance `dt`).
    fn step_with_increments<S: SdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        x: &mut [f64],
        dt: f64,
        dw: &[f64],
    ) -> Result<()>;

    /// The workspace that holds the Wiener increments of a step.
    fn noise_buffer(&mut self) -> &mut Vec<f64>;
}

/// Euler–Maruyama (Itô): `x ← x + f dt + g ΔW`.
#[derive(Clone, Debug, Default)]
pub struct EulerMaruyama {
    f: Vec<f64>,
    g: Vec<f64>,
    dw: Vec<f64>,
}

impl SdeIntegrator for EulerMaruyama {
    fn step_with_increments<S: SdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        x: &mut [f64],
        dt: f64,
        dw: &[f64],
    ) -> Result<()> {
        let n = x.len();
        ensure_len(&mut self.f, n);
        ensure_len(&mut self.g, n);
        sys.rhs(t, x, &mut self.f);
        sys.diffusion(t, x, &mut self.g);
        for i in 0..n {
            x[i] += self.f[i] * dt + self.g[i] * dw[i];
        }
        check_state(x, t + dt)
    }
    fn noise_buffer(&mut self) -> &mut Vec<f64> {
        &mut self.dw
    }
}

/// Stochastic Heun (Stratonovich): an Euler–Maruyama predictor `x̃`, then the trapezoidal
/// corrector `x ← x + ½(f(x) + f(x̃)) dt + ½(g(x) + g(x̃)) ΔW`. For additive noise the Itô and
/// Stratonovich forms coincide.
#[derive(Clone, Debug, Default)]
pub struct StochasticHeun {
    f: Vec<f64>,
    g: Vec<f64>,
    f2: Vec<f64>,
    g2: Vec<f64>,
    pred: Vec<f64>,
    dw: Vec<f64>,
}

impl SdeIntegrator for StochasticHeun {
    fn step_with_increments<S: SdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        x: &mut [f64],
        dt: f64,
        dw: &[f64],
    ) -> Result<()> {
        let n = x.len();
        for b in [&mut self.f, &mut self.g, &mut self.f2, &mut self.g2, &mut self.pred] {
            ensure_len(b, n);
        }
        sys.rhs(t, x, &mut self.f);
        sys.diffusion(t, x, &mut self.g);
        for i in 0..n {
            self.pred[i] = x[i] + self.f[i] * dt + self.g[i] * dw[i];
        }
        sys.rhs(t + dt, &self.pred, &mut self.f2);
        sys.diffusion(t + dt, &self.pred, &mut self.g2);
        for i in 0..n {
            x[i] += 0.5 * (self.f[i] + self.f2[i]) * dt + 0.5 * (self.g[i] + self.g2[i]) * dw[i];
        }
        check_state(x, t + dt)
    }
    fn noise_buffer(&mut self) -> &mut Vec<f64> {
        &mut self.dw
    }
}

/// The time and energy along an integration: before the first step and after every accepted
/// step.
#[derive(Clone, Debug, Default)]
pub struct EnergyPath {
    pub times: Vec<f64>,
    pub energies: Vec<f64>,
    /// [`StopReason::Converged`] once `t_end` is reached; otherwise the stop flag or the time
    /// limit ended the run early.
    pub stop: StopReason,
}

/// Integrates `sys` from `t = 0` to `t_end` in steps of at most `dt` under `limits` (its step
/// budget must suffice to reach `t_end`) and `stop`, recording the energy after every step.
///
/// Time is accumulated with compensated (Kahan) summation, and a remainder within a relative
/// 1e-8 of `dt` is taken as the last step, landing exactly on `t_end`: round-off never leaves a
/// sliver of a step (which an adaptive method could not take).
pub fn integrate_traced<S: OdeSystem + Energy + ?Sized, I: Integrator>(
    sys: &S,
    integrator: &mut I,
    x: &mut [f64],
    t_end: f64,
    dt: f64,
    limits: &RunLimits,
    stop: &StopFlag,
) -> Result<EnergyPath> {
    if !(dt.is_finite() && dt > 0.0) {
        return Err(Error::param("dt", format!("must be finite and > 0, got {dt}")));
    }
    let mut run = RunControl::start(limits, stop)?;
    let mut path = EnergyPath { times: vec![0.0], energies: vec![sys.energy(x)], stop: StopReason::Converged };
    let (mut t, mut carry) = (0.0f64, 0.0f64);
    while t < t_end {
        if !run.proceed() {
            if run.reason() == StopReason::MaxSteps {
                return Err(Error::param(
                    "max_steps",
                    format!("{} steps reached t = {t} before t = {t_end}; raise max_steps or dt", run.steps()),
                ));
            }
            path.stop = run.reason();
            break;
        }
        let remaining = t_end - t;
        let last = remaining <= dt * (1.0 + 1e-8);
        let h = if last { remaining } else { dt };
        let done = integrator.step(sys, t, x, h)?;
        if done <= 0.0 || t + done == t {
            return Err(Error::Numerical(format!("step size underflow at t = {t}")));
        }
        if last && done == h {
            t = t_end;
        } else {
            let y = done - carry;
            let sum = t + y;
            carry = (sum - t) - y;
            t = sum;
        }
        run.stepped(&StepInfo { dt: done, ..StepInfo::default() });
        path.times.push(t);
        path.energies.push(sys.energy(x));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    /// Harmonic oscillator x'' = −x with x(0) = 1, x'(0) = 0: x(t) = cos t.
    struct Oscillator;
    impl OdeSystem for Oscillator {
        fn dim(&self) -> usize {
            2
        }
        fn rhs(&self, _: f64, x: &[f64], d: &mut [f64]) {
            d[0] = x[1];
            d[1] = -x[0];
        }
    }

    fn error_at_pi<I: Integrator>(mut integ: I, dt: f64) -> f64 {
        let mut x = [1.0, 0.0];
        integ.integrate(&Oscillator, 0.0, 2.0, &mut x, dt).unwrap();
        ((x[0] - 2f64.cos()).powi(2) + (x[1] + 2f64.sin()).powi(2)).sqrt()
    }

    /// Observed order log2(err(h)/err(h/2)).
    fn order<I: Integrator + Default>(h: f64) -> f64 {
        (error_at_pi(I::default(), h) / error_at_pi(I::default(), h / 2.0)).log2()
    }

    #[test]
    fn fixed_step_methods_reach_their_order() {
        let p_euler = order::<Euler>(0.01);
        let p_rk4 = order::<Rk4>(0.05);
        assert!((p_euler - 1.0).abs() < 0.05, "Euler order {p_euler}");
        assert!((p_rk4 - 4.0).abs() < 0.1, "RK4 order {p_rk4}");
    }

    #[test]
    fn dormand_prince_is_fifth_order_at_fixed_step_and_meets_tolerance() {
        // With loose tolerances every step is accepted, so the steps are the requested ones.
        let fixed = |h| {
            let mut dp = DormandPrince45::new(1e3, 1e3).unwrap();
            dp.next_step = None;
            let mut x = [1.0, 0.0];
            let mut t = 0.0;
            while t < 2.0 - 1e-12 {
                dp.next_step = None;
                t += dp.step(&Oscillator, t, &mut x, h).unwrap();
            }
            ((x[0] - 2f64.cos()).powi(2) + (x[1] + 2f64.sin()).powi(2)).sqrt()
        };
        let p = (fixed(0.1) / fixed(0.05)).log2();
        assert!((p - 5.0).abs() < 0.3, "DP5 order {p}");
        for tol in [1e-6, 1e-9] {
            let mut dp = DormandPrince45::new(tol, tol).unwrap();
            let mut x = [1.0, 0.0];
            dp.integrate(&Oscillator, 0.0, 10.0, &mut x, 1.0).unwrap();
            let err = (x[0] - 10f64.cos()).abs().max((x[1] + 10f64.sin()).abs());
            assert!(err < 50.0 * tol, "tol {tol}: error {err}");
            assert!(dp.accepted > 3);
        }
    }

    /// Geometric Brownian motion dX = μX dt + σX dW with X(0) = 1.
    struct Gbm {
        mu: f64,
        sigma: f64,
    }
    impl OdeSystem for Gbm {
        fn dim(&self) -> usize {
            1
        }
        fn rhs(&self, _: f64, x: &[f64], d: &mut [f64]) {
            d[0] = self.mu * x[0];
        }
    }
    impl SdeSystem for Gbm {
        fn diffusion(&self, _: f64, x: &[f64], g: &mut [f64]) {
            g[0] = self.sigma * x[0];
        }
    }

    /// Mean strong error at T = 1 over paths, against the exact solution in the Itô
    /// (`ito = true`) or Stratonovich reading, for the coarse step `2^-level`.
    fn strong_error<I: SdeIntegrator + Default>(level: u32, ito: bool) -> f64 {
        let sys = Gbm { mu: 0.5, sigma: 0.8 };
        let fine = 1usize << 10;
        let steps = 1usize << level;
        let paths = 400;
        let mut total = 0.0;
        for p in 0..paths {
            let mut rng = stream(42, p);
            let dws: Vec<f64> = (0..fine)
                .map(|_| StandardNormal.sample(&mut rng))
                .map(|z: f64| z * (1.0 / fine as f64).sqrt())
                .collect();
            let w: f64 = dws.iter().sum();
            let exact = if ito {
                ((sys.mu - 0.5 * sys.sigma * sys.sigma) + sys.sigma * w).exp()
            } else {
                (sys.mu + sys.sigma * w).exp()
            };
            let mut integ = I::default();
            let mut x = [1.0];
            let dt = 1.0 / steps as f64;
            for (k, chunk) in dws.chunks(fine / steps).enumerate() {
                let dw = [chunk.iter().sum::<f64>()];
                integ.step_with_increments(&sys, k as f64 * dt, &mut x, dt, &dw).unwrap();
            }
            total += (x[0] - exact).abs();
        }
        total / paths as f64
    }

    /// Counts right-hand-side evaluations.
    struct Counting(std::cell::Cell<usize>);
    impl OdeSystem for Counting {
        fn dim(&self) -> usize {
            1
        }
        fn rhs(&self, _: f64, x: &[f64], d: &mut [f64]) {
            self.0.set(self.0.get() + 1);
            d[0] = -x[0];
        }
    }

    #[test]
    fn integrate_lands_on_the_end_time_without_extra_steps() {
        let sys = Counting(std::cell::Cell::new(0));
        let mut x = [1.0];
        Euler::default().integrate(&sys, 0.0, 5.0, &mut x, 0.01).unwrap();
        assert_eq!(sys.0.get(), 500);
        let mut dp = DormandPrince45::new(1e-8, 1e-10).unwrap();
        let mut x = [1.0];
        dp.integrate(&sys, 0.0, 5.0, &mut x, 0.01).unwrap();
        assert!((x[0] - (-5f64).exp()).abs() < 1e-7);
    }

    #[test]
    fn sde_integrators_reach_their_strong_order() {
        let em = (strong_error::<EulerMaruyama>(4, true) / strong_error::<EulerMaruyama>(8, true)).log2() / 4.0;
        let heun = (strong_error::<StochasticHeun>(4, false) / strong_error::<StochasticHeun>(8, false)).log2() / 4.0;
        assert!((em - 0.5).abs() < 0.15, "Euler–Maruyama strong order {em}");
        assert!((heun - 1.0).abs() < 0.15, "stochastic Heun strong order {heun}");
    }

    #[test]
    fn sampled_step_uses_seeded_noise() {
        let sys = Gbm { mu: 0.0, sigma: 1.0 };
        let run = |seed| {
            let mut x = [1.0];
            let mut rng = stream(seed, 0);
            let mut em = EulerMaruyama::default();
            for k in 0..10 {
                em.step(&sys, k as f64 * 0.1, &mut x, 0.1, &mut rng).unwrap();
            }
            x[0]
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    /// dx/dt = −x with energy x²/2.
    struct Decay;
    impl OdeSystem for Decay {
        fn dim(&self) -> usize {
            1
        }
        fn rhs(&self, _: f64, x: &[f64], d: &mut [f64]) {
            d[0] = -x[0];
        }
    }
    impl Energy for Decay {
        fn energy(&self, x: &[f64]) -> f64 {
            0.5 * x[0] * x[0]
        }
    }

    #[test]
    fn traced_integration_lands_on_the_end_and_respects_its_limits() {
        let mut x = [1.0];
        let path =
            integrate_traced(&Decay, &mut Rk4::default(), &mut x, 1.0, 0.1, &RunLimits::steps(100), &StopFlag::new())
                .unwrap();
        assert_eq!((path.times.len(), *path.times.last().unwrap(), path.stop), (11, 1.0, StopReason::Converged));
        assert!((x[0] - (-1.0f64).exp()).abs() < 1e-6);
        assert!(path.energies.windows(2).all(|w| w[1] < w[0]));
        // Too small a budget is an error naming it; an interrupted run keeps what it recorded.
        let err =
            integrate_traced(&Decay, &mut Rk4::default(), &mut [1.0], 1.0, 0.1, &RunLimits::steps(5), &StopFlag::new())
                .unwrap_err();
        assert!(err.to_string().contains("max_steps"), "{err}");
        let stop = StopFlag::new();
        stop.raise();
        let path =
            integrate_traced(&Decay, &mut Rk4::default(), &mut [1.0], 1.0, 0.1, &RunLimits::steps(100), &stop).unwrap();
        assert_eq!((path.times.len(), path.stop), (1, StopReason::Interrupted));
    }
}
