//! The run loop, written once for every dynamics: step budget, wall-clock limit, convergence
//! tolerance, cooperative interruption (Ctrl-C) and observers that may stop the run.
//!
//! An interrupted run is not an error: the loop returns normally with
//! [`StopReason::Interrupted`] and the state reached so far, so nothing found is lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::observers::Observer;
use crate::error::{Error, Result};

/// A shared flag that asks running loops to stop at their next step. Cloning shares the flag.
#[derive(Clone, Debug, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag that is not raised.
    pub fn new() -> Self {
        Self::default()
    }
    /// Asks every loop watching this flag to stop.
    pub fn raise(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// Whether a stop was requested.
    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What one step of a dynamics reports back to the loop.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepInfo {
    /// Number of units whose state changed (discrete models), or 0 when not meaningful.
    pub changed: usize,
    /// A size of the last change (for ODEs, the norm of the vector field), used against the
    /// tolerance. `None` when the dynamics decides convergence itself.
    pub residual: Option<f64>,
    /// Time advanced by the step (1 for discrete dynamics).
    pub dt: f64,
    /// Set by the dynamics when it reached a fixed point by its own definition.
    pub converged: bool,
    /// Set by the dynamics when it detected a cycle (e.g. a synchronous 2-cycle).
    pub cycle: bool,
}

/// A dynamics the run loop can drive: one step at a time, with an energy to observe.
pub trait Dynamics {
    /// The evolving state.
    type State;
    /// Advances `state` by one step.
    fn step(&mut self, state: &mut Self::State) -> Result<StepInfo>;
    /// The energy (or Lyapunov function) of `state`, if the model has one.
    fn energy(&self, state: &Self::State) -> Option<f64>;
}

/// Whether an observer lets the run go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// A fixed point was reached (no unit changed, or the residual fell below the tolerance).
    Converged,
    /// A cycle was detected.
    Cycle,
    /// The step budget ran out.
    MaxSteps,
    /// The wall-clock limit ran out.
    TimeLimit,
    /// A target (for example an energy to reach) was reached.
    Target,
    /// The stop flag was raised (Ctrl-C).
    Interrupted,
    /// An observer asked to stop.
    Observer,
}

/// Budgets and tolerances of a run.
#[derive(Clone, Debug)]
pub struct RunLimits {
    /// Maximum number of steps.
    pub max_steps: usize,
    /// Wall-clock limit, if any.
    pub time_limit: Option<Duration>,
    /// Convergence tolerance on [`StepInfo::residual`].
    pub tol: f64,
    /// Compute the energy after every step (for traces and checks).
    pub track_energy: bool,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self { max_steps: 10_000, time_limit: None, tol: 0.0, track_energy: false }
    }
}

impl RunLimits {
    /// Checks the limits once, before a run.
    pub fn check(&self) -> Result<()> {
        if self.max_steps == 0 {
            return Err(Error::param("max_steps", "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::param("tol", format!("must be finite and >= 0, got {}", self.tol)));
        }
        Ok(())
    }
}

/// The outcome of a run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub steps: usize,
    pub time: f64,
    pub reason: StopReason,
    pub elapsed_s: f64,
    pub final_energy: Option<f64>,
}

/// Drives a [`Dynamics`] under [`RunLimits`], a [`StopFlag`] and a list of observers.
#[derive(Clone, Debug, Default)]
pub struct Runner {
    pub limits: RunLimits,
    pub stop: StopFlag,
}

impl Runner {
    pub fn new(limits: RunLimits) -> Self {
        Self { limits, stop: StopFlag::new() }
    }

    /// Uses `stop` (for example one raised by a Ctrl-C handler) to interrupt the run.
    pub fn with_stop(mut self, stop: StopFlag) -> Self {
        self.stop = stop;
        self
    }

    /// Runs `dynamics` from `state` until a stop rule fires. Observers see the initial state
    /// (step 0) and the state after every step.
    pub fn run<D: Dynamics>(
        &self,
        dynamics: &mut D,
        state: &mut D::State,
        observers: &mut [&mut dyn Observer<D::State>],
    ) -> Result<RunReport> {
        self.limits.check()?;
        let start = Instant::now();
        let want_energy = self.limits.track_energy || !observers.is_empty();
        let mut t = 0.0;
        let mut energy = if want_energy { dynamics.energy(state) } else { None };
        let mut reason = None;
        for obs in observers.iter_mut() {
            if obs.observe(0, t, state, energy) == Control::Stop {
                reason = Some(StopReason::Observer);
            }
        }
        let mut steps = 0;
        while reason.is_none() {
            if self.stop.is_raised() {
                reason = Some(StopReason::Interrupted);
                break;
            }
            if steps >= self.limits.max_steps {
                reason = Some(StopReason::MaxSteps);
                break;
            }
            if let Some(limit) = self.limits.time_limit {
                if start.elapsed() >= limit {
                    reason = Some(StopReason::TimeLimit);
                    break;
                }
            }
            let info = dynamics.step(state)?;
            steps += 1;
            t += info.dt;
            if want_energy {
                energy = dynamics.energy(state);
            }
            for obs in observers.iter_mut() {
                if obs.observe(steps, t, state, energy) == Control::Stop {
                    reason = Some(StopReason::Observer);
                }
            }
            if info.cycle {
                reason = reason.or(Some(StopReason::Cycle));
            } else if info.converged || info.residual.is_some_and(|r| r <= self.limits.tol) {
                reason = reason.or(Some(StopReason::Converged));
            }
        }
        if !want_energy {
            energy = dynamics.energy(state);
        }
        Ok(RunReport {
            steps,
            time: t,
            reason: reason.unwrap_or(StopReason::MaxSteps),
            elapsed_s: start.elapsed().as_secs_f64(),
            final_energy: energy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::observers::EnergyTrace;

    /// x ← x/2, energy x²: converges geometrically.
    struct Halve;
    impl Dynamics for Halve {
        type State = f64;
        fn step(&mut self, x: &mut f64) -> Result<StepInfo> {
            let old = *x;
            *x *= 0.5;
            Ok(StepInfo { residual: Some((old - *x).abs()), dt: 1.0, ..Default::default() })
        }
        fn energy(&self, x: &f64) -> Option<f64> {
            Some(x * x)
        }
    }

    #[test]
    fn stops_on_tolerance_budget_and_flag() {
        let mut x = 1.0;
        let r = Runner::new(RunLimits { max_steps: 100, tol: 1e-3, ..Default::default() })
            .run(&mut Halve, &mut x, &mut [])
            .unwrap();
        assert_eq!(r.reason, StopReason::Converged);
        assert_eq!(r.steps, 10); // residual 2^-10 ≈ 9.8e-4 is the first at or below 1e-3
        let mut x = 1.0;
        let r = Runner::new(RunLimits { max_steps: 5, ..Default::default() }).run(&mut Halve, &mut x, &mut []).unwrap();
        assert_eq!((r.reason, r.steps), (StopReason::MaxSteps, 5));
        let stop = StopFlag::new();
        stop.raise();
        let mut x = 1.0;
        let r = Runner::new(RunLimits::default()).with_stop(stop).run(&mut Halve, &mut x, &mut []).unwrap();
        assert_eq!((r.reason, r.steps, x), (StopReason::Interrupted, 0, 1.0));
    }

    #[test]
    fn energy_trace_records_every_step_and_can_stop() {
        let mut x = 1.0;
        let mut trace = EnergyTrace::new().stop_after(3);
        let r = Runner::new(RunLimits::default()).run(&mut Halve, &mut x, &mut [&mut trace]).unwrap();
        assert_eq!(r.reason, StopReason::Observer);
        assert_eq!(trace.energies, vec![1.0, 0.25, 0.0625, 0.015625]);
        assert!(Runner::new(RunLimits { max_steps: 0, ..Default::default() })
            .run(&mut Halve, &mut x, &mut [])
            .is_err());
    }
}
