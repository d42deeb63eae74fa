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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// A fixed point was reached (no unit changed, or the residual fell below the tolerance).
    Converged,
    /// A cycle was detected.
    Cycle,
    /// The step budget ran out.
    #[default]
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

impl RunLimits {
    /// At most `max_steps` steps, no time limit, tolerance 0.
    pub fn steps(max_steps: usize) -> Self {
        Self { max_steps, ..Self::default() }
    }
    /// The same limits with convergence tolerance `tol`.
    pub fn with_tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// The same limits with a wall-clock limit.
    pub fn with_time_limit(mut self, limit: Option<Duration>) -> Self {
        self.time_limit = limit;
        self
    }
}

/// The bookkeeping of one run: it owns the step budget, the clock, the tolerance and the stop
/// flag, and records why the run ended. Every iterative loop of the library asks it before a
/// step ([`RunControl::proceed`]) and tells it after one ([`RunControl::stepped`]), so that
/// limits, interruption and stop reasons mean the same thing in every family.
#[derive(Clone, Debug)]
pub struct RunControl {
    limits: RunLimits,
    stop: StopFlag,
    target: Option<StopFlag>,
    start: Instant,
    steps: usize,
    time: f64,
    reason: Option<StopReason>,
}

impl RunControl {
    /// Starts the clock of a run under `limits`, watching `stop`.
    pub fn start(limits: &RunLimits, stop: &StopFlag) -> Result<Self> {
        limits.check()?;
        Ok(Self {
            limits: limits.clone(),
            stop: stop.clone(),
            target: None,
            start: Instant::now(),
            steps: 0,
            time: 0.0,
            reason: None,
        })
    }

    /// Also ends the run ([`StopReason::Target`]) once `reached` is raised: a flag shared by
    /// parallel replicas, raised by the first to reach a target.
    pub fn with_target_flag(mut self, reached: StopFlag) -> Self {
        self.target = Some(reached);
        self
    }

    /// Whether another step may run. It may not once a reason to stop was recorded, the step
    /// budget is spent ([`StopReason::MaxSteps`]), the stop flag is raised
    /// ([`StopReason::Interrupted`]) or the time limit has passed ([`StopReason::TimeLimit`]).
    #[inline]
    pub fn proceed(&mut self) -> bool {
        if self.reason.is_some() {
            return false;
        }
        match self.due() {
            Some(reason) => {
                self.reason = Some(reason);
                false
            }
            None => true,
        }
    }

    /// Whether a stop rule (flag, step budget, time limit) would end the run now; unlike
    /// [`RunControl::proceed`] it records nothing, for inner loops that hand the decision back
    /// to an outer one.
    #[inline]
    pub fn exhausted(&self) -> bool {
        self.due().is_some()
    }

    /// The first stop rule that holds now, in the order budget, flag, target, time.
    #[inline]
    fn due(&self) -> Option<StopReason> {
        if self.steps >= self.limits.max_steps {
            Some(StopReason::MaxSteps)
        } else if self.stop.is_raised() {
            Some(StopReason::Interrupted)
        } else if self.target.as_ref().is_some_and(StopFlag::is_raised) {
            Some(StopReason::Target)
        } else if self.limits.time_limit.is_some_and(|limit| self.start.elapsed() >= limit) {
            Some(StopReason::TimeLimit)
        } else {
            None
        }
    }

    /// Records a finished step: a cycle, a fixed point or a residual at or below the tolerance
    /// ends the run.
    #[inline]
    pub fn stepped(&mut self, info: &StepInfo) {
        self.count(info);
        self.judge(info);
    }

    /// Counts a finished step without judging it.
    #[inline]
    fn count(&mut self, info: &StepInfo) {
        self.steps += 1;
        self.time += info.dt;
    }

    /// Ends the run if `info` reports a cycle, a fixed point or a residual within tolerance.
    #[inline]
    fn judge(&mut self, info: &StepInfo) {
        if info.cycle {
            self.finish(StopReason::Cycle);
        } else if info.converged || info.residual.is_some_and(|r| r <= self.limits.tol) {
            self.finish(StopReason::Converged);
        }
    }

    /// Records a finished step of unit length with no convergence test of its own.
    #[inline]
    pub fn advance(&mut self) {
        self.steps += 1;
        self.time += 1.0;
    }

    /// Ends the run for `reason`, unless it already ended.
    #[inline]
    pub fn finish(&mut self, reason: StopReason) {
        self.reason.get_or_insert(reason);
    }

    /// Whether `residual` meets the tolerance (a positive tolerance; 0 runs the whole budget).
    #[inline]
    pub fn meets_tol(&self, residual: f64) -> bool {
        self.limits.tol > 0.0 && residual <= self.limits.tol
    }

    /// The limits of the run.
    pub fn limits(&self) -> &RunLimits {
        &self.limits
    }
    /// Steps done.
    pub fn steps(&self) -> usize {
        self.steps
    }
    /// Time advanced (the sum of the steps' `dt`).
    pub fn time(&self) -> f64 {
        self.time
    }
    /// Seconds since the start.
    pub fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
    /// Whether the run has ended.
    pub fn ended(&self) -> bool {
        self.reason.is_some()
    }
    /// Why the run ended ([`StopReason::MaxSteps`] while it has not: a loop that runs out of
    /// work by itself has used its budget).
    pub fn reason(&self) -> StopReason {
        self.reason.unwrap_or(StopReason::MaxSteps)
    }
    /// The report of the run.
    pub fn report(&self, final_energy: Option<f64>) -> RunReport {
        RunReport {
            steps: self.steps,
            time: self.time,
            reason: self.reason(),
            elapsed_s: self.elapsed_s(),
            final_energy,
        }
    }
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
        let mut run = RunControl::start(&self.limits, &self.stop)?;
        let want_energy = self.limits.track_energy || !observers.is_empty();
        let mut energy = if want_energy { dynamics.energy(state) } else { None };
        let observe =
            |run: &mut RunControl, observers: &mut [&mut dyn Observer<D::State>], state: &D::State, energy| {
                for obs in observers.iter_mut() {
                    if obs.observe(run.steps(), run.time(), state, energy) == Control::Stop {
                        run.finish(StopReason::Observer);
                    }
                }
            };
        observe(&mut run, observers, state, energy);
        while run.proceed() {
            let info = dynamics.step(state)?;
            if want_energy {
                energy = dynamics.energy(state);
            }
            // Observers see the step before its convergence test, so an observer's stop takes
            // precedence.
            run.count(&info);
            observe(&mut run, observers, state, energy);
            run.judge(&info);
        }
        if !want_energy {
            energy = dynamics.energy(state);
        }
        Ok(run.report(energy))
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

    #[test]
    fn run_control_orders_its_stop_rules_and_records_the_reason() {
        // The budget is judged before the flag: a run that used its budget was not interrupted.
        let stop = StopFlag::new();
        let mut run = RunControl::start(&RunLimits::steps(2), &stop).unwrap();
        assert!(run.proceed());
        run.advance();
        assert!(run.proceed());
        run.advance();
        stop.raise();
        assert!(run.exhausted());
        assert!(!run.proceed());
        assert_eq!((run.reason(), run.steps()), (StopReason::MaxSteps, 2));
        // The flag stops a run with budget left, and the first reason sticks.
        let mut run = RunControl::start(&RunLimits::steps(5), &stop).unwrap();
        assert!(!run.proceed());
        run.finish(StopReason::Converged);
        assert_eq!(run.reason(), StopReason::Interrupted);
        // A shared target flag, then a time limit of zero.
        let reached = StopFlag::new();
        let mut run =
            RunControl::start(&RunLimits::steps(5), &StopFlag::new()).unwrap().with_target_flag(reached.clone());
        assert!(run.proceed() && !run.exhausted());
        reached.raise();
        assert!(run.exhausted() && !run.proceed());
        assert_eq!(run.reason(), StopReason::Target);
        let limits = RunLimits::steps(5).with_time_limit(Some(Duration::ZERO));
        let mut run = RunControl::start(&limits, &StopFlag::new()).unwrap();
        assert!(!run.proceed());
        assert_eq!(run.reason(), StopReason::TimeLimit);
        // Step reports: tolerance, fixed point and cycle; time adds the steps' dt.
        let mut run = RunControl::start(&RunLimits::steps(10).with_tol(0.5), &StopFlag::new()).unwrap();
        run.stepped(&StepInfo { residual: Some(0.7), dt: 0.25, ..StepInfo::default() });
        assert!(!run.ended());
        assert!(run.meets_tol(0.5) && !run.meets_tol(0.6));
        run.stepped(&StepInfo { residual: Some(0.5), dt: 0.25, ..StepInfo::default() });
        assert_eq!((run.reason(), run.steps(), run.time()), (StopReason::Converged, 2, 0.5));
        let mut run = RunControl::start(&RunLimits::steps(10), &StopFlag::new()).unwrap();
        run.stepped(&StepInfo { cycle: true, converged: true, ..StepInfo::default() });
        assert_eq!(run.reason(), StopReason::Cycle);
        assert!(RunControl::start(&RunLimits::steps(0), &StopFlag::new()).is_err());
        assert!(RunControl::start(&RunLimits::steps(1).with_tol(f64::NAN), &StopFlag::new()).is_err());
    }

    #[test]
    fn best_so_far_keeps_the_first_strict_improvement_and_can_stop_a_run() {
        use crate::engine::observers::BestSoFar;
        let mut best = BestSoFar::<i8>::new();
        assert!(best.offer(3.0, 0, &[1, -1]));
        assert!(!best.offer(3.0, 1, &[-1, -1]));
        assert!(best.offer(1.0, 2, &[1, 1]));
        assert!(!best.offer(2.0, 3, &[]));
        assert_eq!((best.energy, best.step, best.state.as_slice()), (1.0, 2, &[1i8, 1][..]));
        assert_eq!(best.improvements.iter().map(|e| e.1).collect::<Vec<_>>(), vec![3.0, 1.0]);
        // As an observer on x ← x/2 (energy x²), stopping at the target.
        let mut x = vec![1.0];
        struct HalveVec;
        impl Dynamics for HalveVec {
            type State = Vec<f64>;
            fn step(&mut self, x: &mut Vec<f64>) -> Result<StepInfo> {
                x[0] *= 0.5;
                Ok(StepInfo { dt: 1.0, ..Default::default() })
            }
            fn energy(&self, x: &Vec<f64>) -> Option<f64> {
                Some(x[0] * x[0])
            }
        }
        let mut best = BestSoFar::<f64>::new().with_target(0.01);
        let r = Runner::new(RunLimits::steps(100)).run(&mut HalveVec, &mut x, &mut [&mut best]).unwrap();
        assert_eq!((r.reason, r.steps), (StopReason::Observer, 4));
        assert_eq!((best.state[0], best.step), (0.0625, 4));
    }
}
