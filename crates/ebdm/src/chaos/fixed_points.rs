//! Fixed and slow points of dx/dt = F(x) = −x + J tanh(x), found as the minima of the
//! quasi-potential E(x) = ½‖F(x)‖².
//!
//! Every fixed point is a global minimum of E (E = 0), stable or not, so descending E finds
//! saddles of the flow as readily as attractors; local minima with E > 0 are *slow points*
//! (Sussillo & Barak's term), places where the flow is slowest without stopping. Each start is
//! relaxed by L-BFGS on E and then polished by Newton's method on F(x) = 0, with the Jacobian
//! −I + J diag(φ'(x)) and a backtracking line search on ‖F‖. The points are de-duplicated to a
//! tolerance and classified by the eigenvalues of the flow's Jacobian there: the largest real
//! part and the number of unstable directions.
//!
//! Starts near x = 0 mostly fall back to the trivial fixed point; [`trajectory_starts`] takes
//! them from a trajectory of the network instead (spec §2.9), which in the chaotic phase
//! wanders among the saddles.

use faer::linalg::solvers::Solve;
use faer::Mat;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

use super::network::{check_start, LyapunovOptions, RandomNetwork, StateOnly, Stepper};
use super::quasi_potential::QuasiPotential;
use crate::engine::rng::Rng64;
use crate::engine::run::StopFlag;
use crate::error::{Error, Result};
use crate::size::{bytes, check_memory};

/// Settings of the search.
#[derive(Clone, Debug, Serialize)]
pub struct FixedPointOptions {
    /// A point is fixed when ‖F(x)‖/√N is below this.
    pub tol: f64,
    /// L-BFGS stops when ‖∇E‖/√N is below this (a slow point needs it too).
    pub gradient_tol: f64,
    /// L-BFGS iterations per start.
    pub max_iter: usize,
    /// L-BFGS memory (pairs kept).
    pub memory: usize,
    /// Newton iterations per start.
    pub newton_iter: usize,
    /// Two fixed points are the same when ‖x − y‖/√N is below this; two slow points (minima
    /// of E in flat valleys, located less sharply) when it is below its square root.
    pub distinct: f64,
}

impl Default for FixedPointOptions {
    fn default() -> Self {
        Self { tol: 1e-10, gradient_tol: 1e-8, max_iter: 2000, memory: 10, newton_iter: 50, distinct: 1e-6 }
    }
}

impl FixedPointOptions {
    fn check(&self) -> Result<()> {
        for (name, v) in [("tol", self.tol), ("gradient_tol", self.gradient_tol), ("distinct", self.distinct)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::param(name, format!("must be finite and > 0, got {v}")));
            }
        }
        if self.memory == 0 || self.max_iter == 0 {
            return Err(Error::param("max_iter", "the L-BFGS iterations and memory must be at least 1"));
        }
        Ok(())
    }
}

/// What a start converged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PointKind {
    /// F(x) = 0.
    Fixed,
    /// A local minimum of E with E > 0.
    Slow,
}

impl PointKind {
    /// `fixed` or `slow`, as in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Slow => "slow",
        }
    }
}

/// One distinct point.
#[derive(Clone, Debug, Serialize)]
pub struct CriticalPoint {
    pub kind: PointKind,
    pub x: Vec<f64>,
    /// E(x)/N.
    pub energy: f64,
    /// ‖x‖²/N.
    pub mean_square: f64,
    /// ⟨tanh²x⟩ over units (the order parameter q of the static theories).
    pub phi2: f64,
    /// Largest real part of the eigenvalues of −I + J diag(φ'(x)).
    pub max_real: f64,
    /// Eigenvalues with positive real part (0: a stable fixed point).
    pub unstable: usize,
    /// Starts that ended here.
    pub hits: usize,
}

/// The result of a search.
#[derive(Clone, Debug, Serialize)]
pub struct Search {
    pub points: Vec<CriticalPoint>,
    pub starts: usize,
    /// Starts that reached neither a root of F nor a minimum of E within the iterations.
    pub unresolved: usize,
    pub interrupted: bool,
}

impl Search {
    pub fn count(&self, kind: PointKind) -> usize {
        self.points.iter().filter(|p| p.kind == kind).count()
    }
}

/// The end of one start.
enum Outcome {
    Point(PointKind, Vec<f64>),
    Unresolved,
}

/// Searches from each start (the columns of `starts`, N × S column-major) in parallel; the
/// result does not depend on the thread count (starts are de-duplicated in their order).
pub fn find_fixed_points(
    net: &RandomNetwork,
    starts: &[f64],
    opts: &FixedPointOptions,
    stop: &StopFlag,
) -> Result<Search> {
    opts.check()?;
    let n = net.n();
    if starts.is_empty() || !starts.len().is_multiple_of(n) {
        return Err(Error::Shape(format!("starts hold {} values, not a whole number of states of {n}", starts.len())));
    }
    let count = starts.len() / n;
    for s in starts.chunks(n) {
        check_start(net, s)?;
    }
    let workers = rayon::current_num_threads().min(count);
    check_memory("n", format!("Newton on {workers} starts of {n} units"), bytes(&[workers.max(1), n, n], 16))?;
    let qp = QuasiPotential::new(net, 0.0)?;
    let ends =
        crate::engine::replicas::run_indexed(count, stop, |s| relax(&qp, &starts[s * n..(s + 1) * n], opts, stop))?;
    let interrupted = ends.iter().any(Option::is_none) || stop.is_raised();
    let mut found: Vec<(PointKind, Vec<f64>, usize)> = Vec::new();
    let mut unresolved = 0;
    for end in ends.into_iter().flatten() {
        match end {
            Outcome::Unresolved => unresolved += 1,
            Outcome::Point(kind, x) => {
                let radius = if kind == PointKind::Fixed { opts.distinct } else { opts.distinct.sqrt() };
                let near = |y: &Vec<f64>| distance(&x, y) < radius;
                match found.iter_mut().find(|(k, y, _)| *k == kind && near(y)) {
                    Some(entry) => entry.2 += 1,
                    None => found.push((kind, x, 1)),
                }
            }
        }
    }
    let points = found.into_iter().map(|(kind, x, hits)| describe(&qp, kind, x, hits)).collect::<Result<Vec<_>>>()?;
    Ok(Search { points, starts: count, unresolved, interrupted })
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(u, v)| (u - v).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

fn norm_per_unit(v: &[f64]) -> f64 {
    (v.iter().map(|a| a * a).sum::<f64>() / v.len() as f64).sqrt()
}

/// L-BFGS on E from `x0`, then Newton on F.
fn relax(qp: &QuasiPotential, x0: &[f64], opts: &FixedPointOptions, stop: &StopFlag) -> Result<Outcome> {
    let n = x0.len();
    let mut x = x0.to_vec();
    let (mut e, mut g) = qp.energy_gradient(&x)?;
    let mut pairs: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> = Default::default();
    // Settled: at a minimum of E to working precision, or close enough to a root for Newton.
    let mut settled = false;
    for _ in 0..opts.max_iter {
        if stop.is_raised() {
            break;
        }
        if norm_per_unit(&g) < opts.gradient_tol || (2.0 * e / n as f64).sqrt() < 1e-5 {
            settled = true;
            break;
        }
        // Two-loop recursion: d = −H g.
        let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut alphas = Vec::with_capacity(pairs.len());
        for (s, y, rho) in pairs.iter().rev() {
            let a = rho * dot(s, &d);
            axpy(&mut d, -a, y);
            alphas.push(a);
        }
        if let Some((s, y, _)) = pairs.back() {
            let scale = dot(s, y) / dot(y, y);
            d.iter_mut().for_each(|v| *v *= scale);
        } else {
            let scale = 1.0 / norm_per_unit(&g).max(1.0);
            d.iter_mut().for_each(|v| *v *= scale);
        }
        for ((s, y, rho), a) in pairs.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &d);
            axpy(&mut d, a - b, s);
        }
        let mut slope = dot(&d, &g);
        if slope >= 0.0 {
            pairs.clear();
            d = g.iter().map(|v| -v).collect();
            slope = -dot(&g, &g);
        }
        // Backtracking (Armijo) line search.
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let trial: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + step * b).collect();
            let (et, gt) = qp.energy_gradient(&trial)?;
            if et <= e + 1e-4 * step * slope {
                accepted = Some((trial, et, gt));
                break;
            }
            step *= 0.5;
        }
        let Some((trial, et, gt)) = accepted else {
            // No decrease along the direction: at a minimum to working precision.
            settled = true;
            break;
        };
        let s: Vec<f64> = trial.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gt.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-300 {
            if pairs.len() == opts.memory {
                pairs.pop_front();
            }
            pairs.push_back((s, y, 1.0 / sy));
        }
        (x, e, g) = (trial, et, gt);
    }
    if let Some(root) = newton(qp.net, &x, opts)? {
        return Ok(Outcome::Point(PointKind::Fixed, root));
    }
    // Newton returns the start itself when it is already a root, so what is left is a slow
    // point or nothing.
    Ok(if settled && norm_per_unit(&g) < opts.gradient_tol * 10.0 {
        Outcome::Point(PointKind::Slow, x)
    } else {
        Outcome::Unresolved
    })
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| u * v).sum()
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(u, v)| *u += a * v);
}

/// The flow's Jacobian −I + J diag(φ'(x)).
fn jacobian(net: &RandomNetwork, x: &[f64]) -> Mat<f64> {
    let j = net.couplings();
    let slope: Vec<f64> = x.iter().map(|v| 1.0 - v.tanh().powi(2)).collect();
    Mat::from_fn(x.len(), x.len(), |a, b| j[(a, b)] * slope[b] - f64::from(u8::from(a == b)))
}

/// Newton's method on F(x) = 0 from `x` with backtracking on ‖F‖; the root when ‖F‖/√N falls
/// below the tolerance.
fn newton(net: &RandomNetwork, x: &[f64], opts: &FixedPointOptions) -> Result<Option<Vec<f64>>> {
    let n = x.len();
    let mut x = x.to_vec();
    let mut f = vec![0.0; n];
    net.flow(&x, &mut f);
    let mut size = norm_per_unit(&f);
    for _ in 0..opts.newton_iter {
        if size < opts.tol {
            return Ok(Some(x));
        }
        let lu = jacobian(net, &x).partial_piv_lu();
        let rhs = Mat::from_fn(n, 1, |i, _| -f[i]);
        let delta = lu.solve(rhs);
        if (0..n).any(|i| !delta[(i, 0)].is_finite()) {
            return Ok(None);
        }
        let mut step = 1.0;
        let mut improved = false;
        for _ in 0..30 {
            let trial: Vec<f64> = (0..n).map(|i| x[i] + step * delta[(i, 0)]).collect();
            let mut ft = vec![0.0; n];
            net.flow(&trial, &mut ft);
            let st = norm_per_unit(&ft);
            if st < (1.0 - 1e-4 * step) * size {
                (x, f, size) = (trial, ft, st);
                improved = true;
                break;
            }
            step *= 0.5;
        }
        if !improved {
            break;
        }
    }
    Ok((size < opts.tol).then_some(x))
}

fn describe(qp: &QuasiPotential, kind: PointKind, x: Vec<f64>, hits: usize) -> Result<CriticalPoint> {
    let n = x.len() as f64;
    let (e, _) = qp.energy_gradient(&x)?;
    let eig = jacobian(qp.net, &x)
        .eigenvalues()
        .map_err(|err| Error::Numerical(format!("eigenvalues of the Jacobian: {err:?}")))?;
    Ok(CriticalPoint {
        kind,
        energy: e / n,
        mean_square: x.iter().map(|v| v * v).sum::<f64>() / n,
        phi2: x.iter().map(|v| v.tanh().powi(2)).sum::<f64>() / n,
        max_real: eig.iter().map(|z| z.re).fold(f64::NEG_INFINITY, f64::max),
        unstable: eig.iter().filter(|z| z.re > 0.0).count(),
        hits,
        x,
    })
}

/// `count` states of the network's own trajectory from `x0` (RK4, dt = 0.05), the first after
/// `transient` and then every `spacing` time units, as an N × count column-major matrix.
pub fn trajectory_starts(
    net: &RandomNetwork,
    x0: &[f64],
    count: usize,
    transient: f64,
    spacing: f64,
) -> Result<Vec<f64>> {
    check_start(net, x0)?;
    if count == 0 {
        return Err(Error::param("starts", "must be at least 1"));
    }
    if !(spacing.is_finite() && spacing > 0.0 && transient.is_finite() && transient >= 0.0) {
        return Err(Error::param("spacing", "the spacing must be > 0 and the transient ≥ 0"));
    }
    let n = net.n();
    check_memory("starts", format!("{count} starts of {n} units"), bytes(&[count, n], 8))?;
    let run = LyapunovOptions { dt: 0.05, transient: 0.0, time: 1.0, sigma: 0.0 };
    let sys = StateOnly::new(net);
    let mut stepper = Stepper::default();
    let mut rng = crate::engine::rng::stream(0, 0);
    let mut x = x0.to_vec();
    let mut out = Vec::with_capacity(count * n);
    let steps = |t: f64| (t / run.dt).round() as usize;
    for k in 0..count {
        let advance = if k == 0 { steps(transient) } else { steps(spacing).max(1) };
        for _ in 0..advance {
            stepper.advance(&sys, 0.0, &mut x, &run, n, &mut rng)?;
        }
        out.extend_from_slice(&x);
    }
    Ok(out)
}

/// Where the starts of [`NetworkFixedPoints`] come from.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase", tag = "from")]
pub enum Starts {
    /// States of the network's trajectory from a standard normal x0, after a transient.
    Trajectory { transient: f64, spacing: f64 },
    /// Independent scale · N(0, 1) states.
    Random { scale: f64 },
}

/// A search on network `s` of a seed: couplings and x0 from the same streams as the Lyapunov
/// runs (so it is the same network), random starts from `[CHAOS_LANGEVIN, s]`.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkFixedPoints {
    pub n: usize,
    pub g: f64,
    pub gamma: f64,
    pub starts: usize,
    pub from: Starts,
}

impl NetworkFixedPoints {
    pub fn run(&self, s: usize, seed: u64, opts: &FixedPointOptions, stop: &StopFlag) -> Result<Search> {
        use crate::engine::rng::stream_path;
        use crate::experiment::streams::CHAOS_LANGEVIN;
        let (net, x0) = super::network::seeded_network(self.n, self.g, self.gamma, seed, s)?;
        let draw = |rng: &mut Rng64, len: usize, scale: f64| -> Vec<f64> {
            (0..len).map(|_| scale * rng.sample::<f64, _>(StandardNormal)).collect()
        };
        let starts = match self.from {
            Starts::Trajectory { transient, spacing } => trajectory_starts(&net, &x0, self.starts, transient, spacing)?,
            Starts::Random { scale } => {
                if !(scale.is_finite() && scale >= 0.0) {
                    return Err(Error::param("scale", format!("must be finite and ≥ 0, got {scale}")));
                }
                if self.starts == 0 {
                    return Err(Error::param("starts", "must be at least 1"));
                }
                check_memory(
                    "starts",
                    format!("{} starts of {} units", self.starts, self.n),
                    bytes(&[self.starts, self.n], 8),
                )?;
                draw(&mut stream_path(seed, &[CHAOS_LANGEVIN, s as u64]), self.n * self.starts, scale)
            }
        };
        find_fixed_points(&net, &starts, opts, stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    /// The roots of h(x) = a tanh(b tanh x) − x by a fine scan and bisection.
    fn roots_2(a: f64, b: f64) -> Vec<f64> {
        let h = |x: f64| a * (b * x.tanh()).tanh() - x;
        let grid: Vec<f64> = (0..=20001).map(|k| -10.0 + 1e-3 * k as f64).collect();
        let mut out = Vec::new();
        for w in grid.windows(2) {
            let (mut lo, mut hi) = (w[0], w[1]);
            if h(lo) == 0.0 {
                out.push(lo);
                continue;
            }
            if h(lo).signum() == h(hi).signum() {
                continue;
            }
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if h(mid).signum() == h(lo).signum() {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(0.5 * (lo + hi));
        }
        out.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        out
    }

    #[test]
    fn a_two_unit_network_gives_every_root_with_its_eigenvalues() {
        // x1 = a tanh x2, x2 = b tanh x1: x1 solves x1 = a tanh(b tanh x1).
        let (a, b) = (2.0, 1.5);
        let net = RandomNetwork::from_couplings(2, &[0.0, a, b, 0.0]).unwrap();
        let mut rng = stream(4, 0);
        let starts: Vec<f64> = (0..60).map(|_| 3.0 * rng.sample::<f64, _>(StandardNormal)).collect();
        let r = find_fixed_points(&net, &starts, &FixedPointOptions::default(), &StopFlag::new()).unwrap();
        let expected = roots_2(a, b);
        assert_eq!(expected.len(), 3, "{expected:?}");
        assert_eq!(r.count(PointKind::Fixed), 3, "{:?}", r.points);
        assert_eq!(r.count(PointKind::Slow) + r.unresolved, 0);
        for p in &r.points {
            let want = expected.iter().find(|&&x1| (x1 - p.x[0]).abs() < 1e-8).expect("a brute-force root");
            assert!((p.x[1] - b * want.tanh()).abs() < 1e-8);
            // Eigenvalues of [[−1, a φ'(x2)], [b φ'(x1), −1]]: −1 ± √(ab φ'(x1) φ'(x2)).
            let d = |v: f64| 1.0 - v.tanh().powi(2);
            let top = -1.0 + (a * b * d(p.x[0]) * d(p.x[1])).sqrt();
            assert!((p.max_real - top).abs() < 1e-10, "{} vs {top}", p.max_real);
            assert_eq!(p.unstable, usize::from(top > 0.0));
        }
        assert_eq!(r.points.iter().map(|p| p.hits).sum::<usize>(), 30);
    }

    #[test]
    fn chaotic_networks_have_many_fixed_points_that_are_roots_and_come_in_pairs() {
        let net = RandomNetwork::elliptic(60, 2.0, 0.0, &mut stream(7, 0)).unwrap();
        let mut rng = stream(7, 2);
        let starts: Vec<f64> = (0..60 * 30).map(|_| 1.5 * rng.sample::<f64, _>(StandardNormal)).collect();
        let r = find_fixed_points(&net, &starts, &FixedPointOptions::default(), &StopFlag::new()).unwrap();
        let fixed: Vec<_> = r.points.iter().filter(|p| p.kind == PointKind::Fixed && p.mean_square > 0.01).collect();
        assert!(
            fixed.len() >= 2,
            "{} fixed points, {} slow, {} unresolved: {:?}",
            fixed.len(),
            r.count(PointKind::Slow),
            r.unresolved,
            r.points.iter().map(|p| (p.energy, p.mean_square)).collect::<Vec<_>>()
        );
        let mut f = vec![0.0; 60];
        for p in &fixed {
            net.flow(&p.x, &mut f);
            assert!(norm_per_unit(&f) < 1e-10);
            // tanh is odd: −x is a root too.
            let minus: Vec<f64> = p.x.iter().map(|v| -v).collect();
            net.flow(&minus, &mut f);
            assert!(norm_per_unit(&f) < 1e-10);
            assert!(p.energy < 1e-18);
        }
        for p in r.points.iter().filter(|p| p.kind == PointKind::Slow) {
            assert!(p.energy > 0.0);
            let qp = QuasiPotential::new(&net, 0.0).unwrap();
            let (_, g) = qp.energy_gradient(&p.x).unwrap();
            assert!(norm_per_unit(&g) < 1e-8);
        }
        // Deterministic at any thread count.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let again =
            pool.install(|| find_fixed_points(&net, &starts, &FixedPointOptions::default(), &StopFlag::new())).unwrap();
        assert_eq!(again.points.len(), r.points.len());
        assert!(again.points.iter().zip(&r.points).all(|(a, b)| a.x == b.x && a.hits == b.hits));
    }

    #[test]
    fn in_the_ordered_phase_only_the_origin_is_found() {
        let net = RandomNetwork::elliptic(80, 0.5, 0.0, &mut stream(2, 0)).unwrap();
        let mut rng = stream(2, 1);
        let starts: Vec<f64> = (0..80 * 6).map(|_| 2.0 * rng.sample::<f64, _>(StandardNormal)).collect();
        let r = find_fixed_points(&net, &starts, &FixedPointOptions::default(), &StopFlag::new()).unwrap();
        assert_eq!(r.points.len(), 1, "{:?}", r.points.iter().map(|p| p.mean_square).collect::<Vec<_>>());
        let p = &r.points[0];
        assert!(p.mean_square < 1e-18 && p.unstable == 0);
        let top = net.couplings().eigenvalues().unwrap().iter().map(|z| z.re).fold(f64::MIN, f64::max);
        assert!((p.max_real - (top - 1.0)).abs() < 1e-10);
    }

    #[test]
    fn bad_input_is_named() {
        let net = RandomNetwork::elliptic(5, 1.0, 0.0, &mut stream(1, 0)).unwrap();
        let stop = StopFlag::new();
        let o = FixedPointOptions::default();
        assert!(find_fixed_points(&net, &[0.0; 7], &o, &stop).is_err());
        assert!(find_fixed_points(&net, &[f64::NAN; 5], &o, &stop).unwrap_err().to_string().contains("x0"));
        let bad = FixedPointOptions { tol: 0.0, ..o.clone() };
        assert!(find_fixed_points(&net, &[0.0; 5], &bad, &stop).unwrap_err().to_string().contains("`tol`"));
        assert!(trajectory_starts(&net, &[0.0; 5], 0, 1.0, 1.0).unwrap_err().to_string().contains("`starts`"));
    }
}
