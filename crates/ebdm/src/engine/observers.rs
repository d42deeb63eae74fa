//! Observers watch a run step by step and may stop it: an energy trace (with a monotonicity
//! check) and a best-so-far tracker. Front ends report progress through the experiment
//! harness's `Progress` and interrupt through the [`super::run::StopFlag`].

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

/// Keeps a copy of the lowest-energy state seen, when it was found (step and seconds since
/// the start), and every improvement; optionally stops a run once the energy reaches a target.
/// The copy reuses its buffer, so offering states allocates nothing once the size is known.
#[derive(Clone, Debug)]
pub struct BestSoFar<T> {
    /// The best state (empty until one was offered).
    pub state: Vec<T>,
    /// Its energy (+∞ until a state was offered).
    pub energy: f64,
    /// The step at which it was offered.
    pub step: usize,
    /// Seconds from the start to that offer.
    pub seconds: f64,
    /// `(seconds, energy)` at every improvement.
    pub improvements: Vec<(f64, f64)>,
    /// Stop the run (as an observer) once the energy is at or below this.
    pub target: Option<f64>,
    start: Instant,
}

impl<T: Clone> BestSoFar<T> {
    /// A tracker whose clock starts now.
    pub fn new() -> Self {
        Self::since(Instant::now())
    }
    /// A tracker whose times count from `start` (for example the start of a whole solve).
    pub fn since(start: Instant) -> Self {
        Self {
            state: Vec::new(),
            energy: f64::INFINITY,
            step: 0,
            seconds: 0.0,
            improvements: Vec::new(),
            target: None,
            start,
        }
    }
    /// Stops the run once the energy is at or below `target`.
    pub fn with_target(mut self, target: f64) -> Self {
        self.target = Some(target);
        self
    }
    /// Offers `state` with `energy` at `step`; keeps it if it is strictly better than the best so
    /// far and returns whether it was.
    #[inline]
    pub fn offer(&mut self, energy: f64, step: usize, state: &[T]) -> bool {
        if energy < self.energy {
            let t = self.start.elapsed().as_secs_f64();
            self.energy = energy;
            self.state.clear();
            self.state.extend_from_slice(state);
            self.step = step;
            self.seconds = t;
            self.improvements.push((t, energy));
            true
        } else {
            false
        }
    }
    /// Whether the target (if any) was reached.
    pub fn reached_target(&self) -> bool {
        self.target.is_some_and(|t| self.energy <= t)
    }
}

impl<T: Clone> Default for BestSoFar<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> Observer<Vec<T>> for BestSoFar<T> {
    fn observe(&mut self, step: usize, _: f64, state: &Vec<T>, energy: Option<f64>) -> Control {
        if let Some(e) = energy {
            self.offer(e, step, state);
        }
        if self.reached_target() {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}
