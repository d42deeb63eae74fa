//! The acceptance experiments of every family, as library data: the registry of entries
//! ([`registry()`](fn@registry)), the one result type ([`Outcome`]), and the harness they run under
//! (deterministic parallel trials that can be interrupted, progress, pass/fail checks).
//!
//! Trial `t` of an experiment draws from `stream_path(seed, [experiment, cell, t])` whatever
//! thread runs it, with the experiment's key from [`streams`], and results are collected in
//! trial order, so the output is bit-identical at any thread count. The caller chooses the
//! thread count by running inside a rayon pool. The CLI's `ebdm reproduce` and Python's
//! `ebdm.reproduce` are two views of [`registry()`](fn@registry).

pub mod outcome;
pub mod registry;
pub mod streams;

use serde::Serialize;

use crate::engine::run::StopFlag;
use crate::error::Result;

pub use outcome::{Chart, Figure, ImageGrid, Outcome, Palette, PhaseDiagram, Series, Table};
pub use registry::{find, registry, Entry, RunContext};

/// One acceptance criterion with its measured value.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub expected: String,
    pub measured: String,
    pub pass: bool,
}

impl Check {
    pub fn new(name: impl Into<String>, expected: impl Into<String>, measured: impl Into<String>, pass: bool) -> Self {
        Self { name: name.into(), expected: expected.into(), measured: measured.into(), pass }
    }
}

/// Where an experiment reports how far it got: a progress bar in the CLI, nothing in Python.
pub trait Progress: Sync {
    /// A new phase of `total` units of work (trials, epochs) named `label` begins.
    fn begin(&self, label: &str, total: u64);
    /// `units` more units are finished.
    fn advance(&self, units: u64);
}

/// Seed, interruption and progress for an experiment run.
pub struct Harness<'a> {
    pub seed: u64,
    pub stop: StopFlag,
    pub progress: Option<&'a dyn Progress>,
}

impl<'a> Harness<'a> {
    pub fn new(seed: u64) -> Self {
        Self { seed, stop: StopFlag::new(), progress: None }
    }

    /// The same seed and stop flag without progress reports (for a part run inside a trial).
    pub fn silent(&self) -> Harness<'a> {
        Harness { seed: self.seed, stop: self.stop.clone(), progress: None }
    }

    /// Announces a phase of `total` units of work.
    pub fn begin(&self, label: &str, total: u64) {
        if let Some(p) = self.progress {
            p.begin(label, total);
        }
    }

    /// Reports `units` finished units of work.
    pub fn advance(&self, units: u64) {
        if let Some(p) = self.progress {
            p.advance(units);
        }
    }

    /// Runs `count` independent trials in parallel, in trial order. Trials not started when the
    /// stop flag is raised are `None`; finished ones are kept.
    pub fn trials<T: Send>(&self, count: usize, f: impl Fn(usize) -> Result<T> + Sync) -> Result<Vec<Option<T>>> {
        crate::engine::replicas::run_indexed(count, &self.stop, |t| {
            let r = f(t)?;
            self.advance(1);
            Ok(r)
        })
    }

    pub fn interrupted(&self) -> bool {
        self.stop.is_raised()
    }
}

/// Mean and standard error of the mean.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (m, 0.0);
    }
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// Binomial proportion and its standard error `sqrt(p(1−p)/n)`.
pub fn proportion(successes: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let p = successes as f64 / n as f64;
    (p, (p * (1.0 - p) / n as f64).sqrt())
}

/// The x at which `y` first falls from ≥ `level` to < `level`, by linear interpolation between
/// neighbouring points (x increasing). `None` if it never crosses.
pub fn crossing(xs: &[f64], ys: &[f64], level: f64) -> Option<f64> {
    for i in 1..xs.len().min(ys.len()) {
        if ys[i - 1] >= level && ys[i] < level {
            let t = (ys[i - 1] - level) / (ys[i - 1] - ys[i]);
            return Some(xs[i - 1] + t * (xs[i] - xs[i - 1]));
        }
    }
    None
}

/// Least-squares line `y = a + b·x`; `None` with fewer than two distinct x.
pub fn linear_fit(xs: &[f64], ys: &[f64]) -> Option<(f64, f64)> {
    let n = xs.len() as f64;
    if xs.len() < 2 {
        return None;
    }
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let b = sxy / sxx;
    Some((my - b * mx, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(crossing(&[0.0, 1.0, 2.0], &[1.0, 0.8, 0.2], 0.5), Some(1.5));
        assert_eq!(crossing(&[0.0, 1.0], &[1.0, 0.8], 0.5), None);
        let (a, b) = linear_fit(&[0.0, 1.0, 2.0], &[1.0, 3.0, 5.0]).unwrap();
        assert!((a - 1.0).abs() < 1e-12 && (b - 2.0).abs() < 1e-12);
        assert_eq!(proportion(3, 4).0, 0.75);
        let (m, se) = mean_se(&[1.0, 3.0]);
        assert_eq!((m, se), (2.0, 1.0));
    }
}
