//! The run framework shared by every Ising solver: replicas in parallel, one random stream per
//! replica, best-so-far tracking with the time it was found, a step budget, a time limit, an
//! energy target, restarts, and cooperative interruption.
//!
//! Replica r of run b (global index `b·R + r`) draws only from
//! `ebdm::engine::rng::stream(seed, b·R + r)`, and results are merged in index order (ties go to
//! the lower index), so a run with a step budget gives bit-identical results at any thread count.
//! A time limit or a target makes the amount of work depend on the clock; the result then
//! reports `steps_done` and `runs_done` so that it can be replayed with a step budget.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use super::greedy;
use super::model::IsingModel;
use crate::engine::observers::BestSoFar;
use crate::engine::rng::{stream, Rng64};
use crate::engine::run::{RunControl, RunLimits, StopFlag, StopReason};
use crate::error::{Error, Result};

/// Budgets and settings of a solve.
#[derive(Clone, Debug)]
pub struct SolveOptions {
    /// Replicas per run (independent trajectories run as one parallel batch).
    pub replicas: usize,
    /// Steps per replica and run (sweeps for annealing, descents for greedy search).
    pub steps: usize,
    /// Number of runs (batches). `None`: one run, or as many as fit when a time limit is set.
    pub runs: Option<usize>,
    /// Wall-clock limit for the whole solve. Each run's schedule is fitted to the time left
    /// before it starts (see [`solve`]), so a run is not cut off halfway through its anneal.
    pub time_limit: Option<Duration>,
    /// Stop as soon as some replica reaches an energy ≤ target.
    pub target_energy: Option<f64>,
    /// Master seed.
    pub seed: u64,
    /// Apply greedy 1-flip descent to each replica's best state.
    pub polish: bool,
    /// Raised from outside (Ctrl-C) to stop every replica at its next step.
    pub stop: StopFlag,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            replicas: 16,
            steps: 1000,
            runs: None,
            time_limit: None,
            target_energy: None,
            seed: 0,
            polish: false,
            stop: StopFlag::new(),
        }
    }
}

impl SolveOptions {
    /// Checks the options once.
    pub fn check(&self) -> Result<()> {
        if self.replicas == 0 {
            return Err(Error::param("replicas", "must be at least 1"));
        }
        if self.steps == 0 {
            return Err(Error::param("steps", "must be at least 1"));
        }
        if self.runs == Some(0) {
            return Err(Error::param("runs", "must be at least 1"));
        }
        if let Some(t) = self.target_energy {
            if !t.is_finite() {
                return Err(Error::param("target", "must be finite"));
            }
        }
        Ok(())
    }
}

/// The outcome of a solve.
#[derive(Clone, Debug, Serialize)]
pub struct SolveResult {
    /// Best state found (±1).
    pub spins: Vec<i8>,
    /// Its energy `H(spins)`, recomputed from the spins.
    pub energy: f64,
    /// Seconds from the start of the solve to the first time `energy` was reached.
    pub time_to_best_s: f64,
    /// Global index of the replica that found it, and the step at which it did.
    pub best_replica: u64,
    pub best_step: usize,
    /// Best energy of every replica, in global index order.
    pub replica_best: Vec<f64>,
    /// Last readout energy of every replica (the "final state" statistic of samplers).
    pub replica_final: Vec<f64>,
    /// Steps done, summed over replicas and runs.
    pub steps_done: u64,
    pub runs_done: usize,
    /// Schedule length (steps per replica) of each run, in order: `steps`, or shorter where a
    /// time limit fitted it.
    pub run_steps: Vec<usize>,
    /// Why the solve ended: the step budget of every run (`MaxSteps`), the time limit, the
    /// target, or the stop flag.
    pub stop: StopReason,
    /// `(seconds, best energy)` at each improvement of the global best.
    pub trace: Vec<(f64, f64)>,
    pub wall_s: f64,
}

struct Shared {
    start: Instant,
    deadline: Option<Instant>,
    stop: StopFlag,
    target: Option<f64>,
    /// Raised by the first replica to reach the target.
    reached: StopFlag,
}

/// What a replica sees of the run: its run control (the step budget, the stop flag, the time
/// limit of the whole solve, and the target reached by any replica) and its best readout.
pub struct Tracker<'a> {
    shared: &'a Shared,
    /// The best readout offered so far, with when it was found.
    pub best: BestSoFar<i8>,
    last_energy: f64,
    steps: usize,
    run: RunControl,
}

impl<'a> Tracker<'a> {
    fn new(shared: &'a Shared, steps: usize) -> Result<Self> {
        let remaining = shared.deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let limits = RunLimits::steps(steps).with_time_limit(remaining);
        let run = RunControl::start(&limits, &shared.stop)?.with_target_flag(shared.reached.clone());
        Ok(Self { shared, best: BestSoFar::since(shared.start), last_energy: f64::INFINITY, steps: 0, run })
    }

    /// Offers the readout `spins` with energy `energy` reached after `step` steps. A readout
    /// that is not an improvement is never copied.
    #[inline]
    pub fn offer(&mut self, energy: f64, step: usize, spins: &[i8]) {
        self.last_energy = energy;
        self.steps = self.steps.max(step);
        if self.best.offer(energy, step, spins) && self.shared.target.is_some_and(|target| energy <= target) {
            self.shared.reached.raise();
        }
    }

    /// Whether the replica may take its next step: not when its step budget is spent, the flag
    /// is raised, some replica reached the target, or the time limit has passed.
    #[inline]
    pub fn proceed(&mut self) -> bool {
        self.run.proceed()
    }

    /// Records one finished step.
    #[inline]
    pub fn advance(&mut self) {
        self.run.advance();
    }

    /// Steps finished so far.
    #[inline]
    pub fn steps_done(&self) -> usize {
        self.run.steps()
    }
}

/// Energy of `s` from the coupling field `F = J s`: `H = −½ sᵀF − hᵀs + c`.
#[inline]
pub(crate) fn energy_from_field(model: &IsingModel, s: &[i8], field: &[f64]) -> f64 {
    let mut quad = 0.0;
    let mut lin = 0.0;
    for ((&si, &fi), &hi) in s.iter().zip(field).zip(&model.h) {
        let si = f64::from(si);
        quad += si * fi;
        lin += hi * si;
    }
    -0.5 * quad - lin + model.offset
}

/// A ±1 readout with its coupling field `F = J s` and its energy, kept up to date flip by flip.
///
/// Flipping s_i changes the energy by `2 s_i (F_i + h_i)` (s_i before the flip); the energy is
/// recomputed from the field after every N flips, so rounding cannot accumulate (with integer
/// weights every value is exact anyway).
pub(crate) struct Readout {
    pub s: Vec<i8>,
    pub field: Vec<f64>,
    energy: f64,
    flips_since_sync: usize,
}

impl Readout {
    pub fn new(model: &IsingModel, s: Vec<i8>) -> Self {
        let field: Vec<f64> = (0..model.n()).map(|i| model.j.row(i).dot_spins(&s)).collect();
        let energy = energy_from_field(model, &s, &field);
        Self { s, field, energy, flips_since_sync: 0 }
    }
    /// Sets `s_i = v`, updating F in O(degree) when it changes.
    #[inline]
    pub fn set(&mut self, model: &IsingModel, i: usize, v: i8) {
        if self.s[i] != v {
            self.energy += 2.0 * f64::from(self.s[i]) * (self.field[i] + model.h[i]);
            self.s[i] = v;
            model.j.add_row_scaled(i, 2.0 * f64::from(v), &mut self.field);
            self.flips_since_sync += 1;
        }
    }
    /// `H(s)`.
    #[inline]
    pub fn energy(&self) -> f64 {
        self.energy
    }
    /// Recomputes the energy from the field once N flips have been applied since the last time.
    #[inline]
    pub fn sync(&mut self, model: &IsingModel) {
        if self.flips_since_sync >= self.s.len() {
            self.energy = energy_from_field(model, &self.s, &self.field);
            self.flips_since_sync = 0;
        }
    }
    /// Sets `s = sgn(x)` (0 → +1), touching the field only for the spins that change. Blocks
    /// of 16 are screened first with a branch-free comparison, which vectorises; late in a run
    /// most blocks have no flip.
    #[inline(always)]
    pub fn follow(&mut self, model: &IsingModel, x: &[f64]) {
        const BLOCK: usize = 16;
        let n = x.len();
        for lo in (0..n).step_by(BLOCK) {
            let hi = (lo + BLOCK).min(n);
            let mut differ = 0u8;
            for (&xi, &si) in x[lo..hi].iter().zip(&self.s[lo..hi]) {
                differ |= u8::from(xi < 0.0) ^ u8::from(si < 0);
            }
            if differ != 0 {
                for (i, &xi) in x.iter().enumerate().take(hi).skip(lo) {
                    self.set(model, i, sign(xi));
                }
            }
        }
        self.sync(model);
    }
}

/// The sign readout of a continuous variable; ties (exactly 0) read as +1.
#[inline]
pub fn sign(x: f64) -> i8 {
    if x < 0.0 {
        -1
    } else {
        1
    }
}

/// A solver that can run one replica.
pub trait Solver: Sync {
    /// Name written into results.
    fn name(&self) -> &'static str;
    /// The solver with every model-dependent default resolved, computed once per solve
    /// (`None`: nothing to resolve).
    fn prepared(&self, _model: &IsingModel) -> Result<Option<Box<dyn Solver>>> {
        Ok(None)
    }
    /// Runs one replica of at most `steps` steps from the stream `rng`, offering every readout
    /// it wants kept to `tracker` (at least the initial and the final one) and returning early
    /// as soon as `tracker.proceed()` says no.
    fn run_replica(&self, model: &IsingModel, steps: usize, rng: &mut Rng64, tracker: &mut Tracker) -> Result<()>;
}

struct ReplicaOut {
    best_energy: f64,
    best_spins: Vec<i8>,
    best_step: usize,
    best_time: f64,
    last_energy: f64,
    events: Vec<(f64, f64)>,
    steps: usize,
}

/// A time-limited solve without a set number of runs starts with a short run of
/// `min(steps / 16, PILOT_STEPS)` steps, which measures the cost of a step.
pub const PILOT_STEPS: usize = 32;

/// Share of the time left that a fitted run plans to use (the rest absorbs timing noise).
const FIT_MARGIN: f64 = 0.9;

/// Solves `model` with `opts.replicas` replicas per run, each on its own stream
/// `(seed, run·R + replica)`, and returns the best state of all runs.
///
/// With a time limit every run completes its schedule: replicas advance in lockstep, so a run
/// cut off at the deadline would return states that never reached the cold end of their anneal.
/// Instead each run after the first takes `min(steps, 0.9 · time left / cost of a step)` steps,
/// chosen before it starts, and the solve ends when no run as long as the first one fits. The
/// deadline still stops a run that overruns its estimate.
pub fn solve(model: &IsingModel, solver: &dyn Solver, opts: &SolveOptions) -> Result<SolveResult> {
    opts.check()?;
    let prepared = solver.prepared(model)?;
    let solver = prepared.as_deref().unwrap_or(solver);
    let start = Instant::now();
    let shared = Shared {
        start,
        deadline: opts.time_limit.map(|d| start + d),
        stop: opts.stop.clone(),
        target: opts.target_energy,
        reached: StopFlag::new(),
    };
    let r = opts.replicas;
    let max_runs = match (opts.runs, opts.time_limit) {
        (Some(k), _) => k,
        (None, Some(_)) => usize::MAX,
        (None, None) => 1,
    };
    let mut best: Option<(f64, Vec<i8>, f64, u64, usize)> = None;
    let mut replica_best = Vec::new();
    let mut replica_final = Vec::new();
    let mut events = Vec::new();
    let mut steps_done = 0u64;
    let mut runs = 0usize;
    let mut run_steps = Vec::new();
    // Seconds per step of one run (all replicas together), measured on the runs so far.
    let mut step_cost: Option<f64> = None;
    let mut out_of_time = false;
    while runs < max_runs {
        let steps = match (shared.deadline, step_cost) {
            (None, _) => opts.steps,
            // As many runs as fit: a short first run measures what a step costs. With a set
            // number of runs the first is a full one.
            (Some(_), None) if opts.runs.is_none() => (opts.steps / 16).clamp(1, PILOT_STEPS),
            (Some(_), None) => opts.steps,
            (Some(deadline), Some(cost)) => {
                let left = deadline.saturating_duration_since(Instant::now()).as_secs_f64();
                let fit = ((FIT_MARGIN * left / cost) as usize).min(opts.steps);
                // A schedule shorter than the measuring run adds nothing worth its time.
                if fit < run_steps[0] {
                    0
                } else {
                    fit
                }
            }
        };
        if steps == 0 {
            out_of_time = true;
            break;
        }
        let run_start = Instant::now();
        let base = (runs as u64) * (r as u64);
        let outs: Vec<Result<ReplicaOut>> = (0..r as u64)
            .into_par_iter()
            .map(|k| {
                let mut rng = stream(opts.seed, base + k);
                let mut tr = Tracker::new(&shared, steps)?;
                solver.run_replica(model, steps, &mut rng, &mut tr)?;
                if tr.best.state.is_empty() {
                    return Err(Error::Numerical(format!("solver {} offered no state", solver.name())));
                }
                if opts.polish {
                    let mut s = tr.best.state.clone();
                    let e = greedy::polish(model, &mut s);
                    let step = tr.steps;
                    tr.offer(e, step, &s);
                }
                Ok(ReplicaOut {
                    best_energy: tr.best.energy,
                    best_spins: tr.best.state,
                    best_step: tr.best.step,
                    best_time: tr.best.seconds,
                    last_energy: tr.last_energy,
                    events: tr.best.improvements,
                    steps: tr.steps,
                })
            })
            .collect();
        for (k, out) in outs.into_iter().enumerate() {
            let out = out?;
            steps_done += out.steps as u64;
            replica_best.push(out.best_energy);
            replica_final.push(out.last_energy);
            events.extend(out.events);
            if best.as_ref().is_none_or(|b| out.best_energy < b.0) {
                best = Some((out.best_energy, out.best_spins, out.best_time, base + k as u64, out.best_step));
            }
        }
        runs += 1;
        run_steps.push(steps);
        step_cost = Some(run_start.elapsed().as_secs_f64() / steps as f64);
        if shared.stop.is_raised() || shared.reached.is_raised() || shared.deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    let stop = if shared.stop.is_raised() {
        StopReason::Interrupted
    } else if shared.reached.is_raised() {
        StopReason::Target
    } else if out_of_time || shared.deadline.is_some_and(|d| Instant::now() >= d) {
        StopReason::TimeLimit
    } else {
        StopReason::MaxSteps
    };
    let (_, spins, time_to_best_s, best_replica, best_step) = best.expect("at least one replica ran");
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut trace: Vec<(f64, f64)> = Vec::new();
    for (t, e) in events {
        if trace.last().is_none_or(|l| e < l.1) {
            trace.push((t, e));
        }
    }
    let energy = model.energy(&spins);
    Ok(SolveResult {
        spins,
        energy,
        time_to_best_s,
        best_replica,
        best_step,
        replica_best,
        replica_final,
        steps_done,
        runs_done: runs,
        run_steps,
        stop,
        trace,
        wall_s,
    })
}
