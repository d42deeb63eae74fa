//! Observers watch a run step by step and may stop it: an energy trace (with a monotonicity
//! check), a best-so-far tracker, and a progress hook for front ends.

use std::time::Instant;

use super::run::Control;

/// Sees the state after every step (and the initial state at step 0).
pub trait Observer<S> {
    fn observe(&mut self, step: usize, time: f64, state: &S, energy: Option<f64>) -> Control;
}

/// Records `(step, time, energy)` and the largest energy increase seen.
#[derive(Clone, Debug, Default)]
pub struct EnergyTrace {
    pub steps: Vec<usize>,
    pub times: Vec<f64>,
    pub energies: Vec<f64>,
    /// Largest relative increase `(E_{t+1} − E_t) / max(1, |E_t|)` seen so far (0 if none).
    pub max_relative_increase: f64,
    stop_after: Option<usize>,
}

impl EnergyTrace {
    pub fn new() -> Self {
        Self::default()
    }
    /// Stops the run once `steps` steps have been recorded after the initial state.
    pub fn stop_after(mut self, steps: usize) -> Self {
        self.stop_after = Some(steps);
        self
    }
    /// Whether the energy never rose by more than `rel_tol · max(1, |E|)` between steps.
    pub fn is_non_increasing(&self, rel_tol: f64) -> bool {
        self.max_relative_increase <= rel_tol
    }
}

impl<S> Observer<S> for EnergyTrace {
    fn observe(&mut self, step: usize, time: f64, _: &S, energy: Option<f64>) -> Control {
        if let Some(e) = energy {
            if let Some(&prev) = self.energies.last() {
                let rise = (e - prev) / prev.abs().max(1.0);
                self.max_relative_increase = self.max_relative_increase.max(rise);
            }
            self.steps.push(step);
            self.times.push(time);
            self.energies.push(e);
        }
        match self.stop_after {
            Some(n) if step >= n => Control::Stop,
            _ => Control::Continue,
        }
    }
}

/// Keeps a copy of the lowest-energy state seen and when it was found; optionally stops once
/// the energy reaches a target.
#[derive(Clone, Debug)]
pub struct BestSoFar<S> {
    pub best: Option<S>,
    pub energy: f64,
    pub step: usize,
    pub seconds: f64,
    pub target: Option<f64>,
    start: Instant,
}

impl<S> Default for BestSoFar<S> {
    fn default() -> Self {
        Self { best: None, energy: f64::INFINITY, step: 0, seconds: 0.0, target: None, start: Instant::now() }
    }
}

impl<S> BestSoFar<S> {
    pub fn new() -> Self {
        Self::default()
    }
    /// Stops the run once the energy is at or below `target`.
    pub fn with_target(mut self, target: f64) -> Self {
        self.target = Some(target);
        self
    }
}

impl<S: Clone> Observer<S> for BestSoFar<S> {
    fn observe(&mut self, step: usize, _: f64, state: &S, energy: Option<f64>) -> Control {
        if let Some(e) = energy {
            if e < self.energy {
                self.energy = e;
                self.best = Some(state.clone());
                self.step = step;
                self.seconds = self.start.elapsed().as_secs_f64();
            }
        }
        match self.target {
            Some(t) if self.energy <= t => Control::Stop,
            _ => Control::Continue,
        }
    }
}

/// Calls a function every `every` steps with `(step, energy)`; the function may stop the run.
/// Front ends use it to drive progress bars.
pub struct ProgressHook<F> {
    every: usize,
    f: F,
}

impl<F: FnMut(usize, Option<f64>) -> Control> ProgressHook<F> {
    pub fn new(every: usize, f: F) -> Self {
        Self { every: every.max(1), f }
    }
}

impl<S, F: FnMut(usize, Option<f64>) -> Control> Observer<S> for ProgressHook<F> {
    fn observe(&mut self, step: usize, _: f64, _: &S, energy: Option<f64>) -> Control {
        if step.is_multiple_of(self.every) {
            (self.f)(step, energy)
        } else {
            Control::Continue
        }
    }
}
