//! Random recurrent networks dx/dt = −x + J tanh(x) with elliptic couplings, and their largest
//! Lyapunov exponent by tangent propagation (and by a twin trajectory, as a check).
//!
//! J has E J_ij = 0, Var J_ij = g²/N, corr(J_ij, J_ji) = γ and a zero diagonal, drawn pair by
//! pair: for i < j, J_ij = s·a and J_ji = s·(γa + √(1−γ²)·b) with a, b independent standard
//! normals and s = g/√N (the spec's construction B). The edge of the ordered phase is
//! g(1+γ) = 1.
//!
//! Each RK4 stage needs J·φ(x) for the state and J·(φ'(x)∘v) for the tangent vector; both go
//! through one pass over J as an N × 2 product. The Jacobian is never formed. The exponent is
//! that of the ODE (not of its Euler map): the tangent vector is renormalised after every step
//! and λ = (1/T) Σ ln ‖v‖.

use std::cell::RefCell;

use faer::{Mat, MatRef};
use rand::Rng;
use rand_distr::StandardNormal;

use super::static_dmft::check_gain_symmetry;
use crate::boltzmann::kernel::gemm_col_major;
use crate::engine::integrators::{Integrator, OdeSystem, Rk4};
use crate::engine::rng::Rng64;
use crate::engine::run::StopFlag;
use crate::error::{Error, Result};
use crate::size::{bytes, check_memory};

/// A network's couplings.
#[derive(Clone, Debug)]
pub struct RandomNetwork {
    pub g: f64,
    pub gamma: f64,
    j: Mat<f64>,
}

impl RandomNetwork {
    /// Draws elliptic couplings of `n` units from `rng`.
    pub fn elliptic(n: usize, g: f64, gamma: f64, rng: &mut Rng64) -> Result<Self> {
        check_gain_symmetry(g, gamma)?;
        if n == 0 {
            return Err(Error::param("n", "must be at least 1"));
        }
        check_memory("n", format!("the {n} × {n} couplings"), bytes(&[n, n], 8))?;
        let s = g / (n as f64).sqrt();
        let c = (1.0 - gamma * gamma).max(0.0).sqrt();
        let mut j = Mat::<f64>::zeros(n, n);
        for i in 0..n {
            for k in i + 1..n {
                let a: f64 = rng.sample(StandardNormal);
                let b: f64 = rng.sample(StandardNormal);
                j[(i, k)] = s * a;
                j[(k, i)] = s * (gamma * a + c * b);
            }
        }
        Ok(Self { g, gamma, j })
    }

    /// A network with given couplings (`n × n`, row-major), e.g. to compare with another code
    /// on the same J. `g` and `gamma` are then the measured gain √(Σ_ij J_ij² / N) and
    /// symmetry Σ_{i≠j} J_ij J_ji / Σ_{i≠j} J_ij².
    pub fn from_couplings(n: usize, row_major: &[f64]) -> Result<Self> {
        if n == 0 || row_major.len() != n * n {
            return Err(Error::Shape(format!(
                "couplings must be a non-empty square matrix, got {} entries for {n} units",
                row_major.len()
            )));
        }
        if let Some(k) = row_major.iter().position(|v| !v.is_finite()) {
            return Err(Error::param("couplings", format!("entry ({}, {}) is not finite", k / n, k % n)));
        }
        let j = Mat::from_fn(n, n, |r, c| row_major[r * n + c]);
        let (mut sq, mut off, mut cross) = (0.0, 0.0, 0.0);
        for r in 0..n {
            for c in 0..n {
                let v = j[(r, c)];
                sq += v * v;
                if r != c {
                    off += v * v;
                    cross += v * j[(c, r)];
                }
            }
        }
        let g = (sq / n as f64).sqrt();
        let gamma = if off > 0.0 { cross / off } else { 0.0 };
        Ok(Self { g, gamma, j })
    }

    /// Number of units.
    pub fn n(&self) -> usize {
        self.j.nrows()
    }

    /// The couplings.
    pub fn couplings(&self) -> MatRef<'_, f64> {
        self.j.as_ref()
    }

    /// The flow F(x) = −x + J tanh(x).
    pub fn flow(&self, x: &[f64], out: &mut [f64]) {
        self.flow_with(x, &mut vec![0.0; x.len()], out);
    }

    /// The flow with `phi` (length N) as scratch for tanh(x).
    fn flow_with(&self, x: &[f64], phi: &mut [f64], out: &mut [f64]) {
        for (p, v) in phi.iter_mut().zip(x) {
            *p = v.tanh();
        }
        gemm_col_major(out, self.j.as_ref(), MatRef::from_column_major_slice(phi, self.n(), 1));
        for (o, &xi) in out.iter_mut().zip(x) {
            *o -= xi;
        }
    }
}

/// State and tangent vector together, `[x; v]` (an N × 2 column-major matrix), with scratch for
/// the N × 2 product (the RK4
/// stages call `rhs` four times a step; nothing is allocated there).
struct WithTangent<'a> {
    net: &'a RandomNetwork,
    scratch: RefCell<Vec<f64>>,
}

impl<'a> WithTangent<'a> {
    fn new(net: &'a RandomNetwork) -> Self {
        Self { net, scratch: RefCell::new(vec![0.0; 4 * net.n()]) }
    }
}

impl OdeSystem for WithTangent<'_> {
    fn dim(&self) -> usize {
        2 * self.net.n()
    }

    fn rhs(&self, _t: f64, y: &[f64], dydt: &mut [f64]) {
        let n = self.net.n();
        let (x, v) = y.split_at(n);
        let mut scratch = self.scratch.borrow_mut();
        let (rhs, prod) = scratch.split_at_mut(2 * n);
        // Row i of the N × 2 right-hand side: (φ(x_i), φ'(x_i) v_i).
        // Column-major N × 2 right-hand side: (φ(x), φ'(x) ∘ v).
        let (phi, slope) = rhs.split_at_mut(n);
        for i in 0..n {
            let t = x[i].tanh();
            phi[i] = t;
            slope[i] = (1.0 - t * t) * v[i];
        }
        gemm_col_major(prod, self.net.j.as_ref(), MatRef::from_column_major_slice(rhs, n, 2));
        for ((d, p), y) in dydt.iter_mut().zip(prod.iter()).zip(y) {
            *d = p - y;
        }
    }
}

/// The state alone, with scratch for tanh(x).
pub(super) struct StateOnly<'a> {
    net: &'a RandomNetwork,
    phi: RefCell<Vec<f64>>,
}

impl<'a> StateOnly<'a> {
    pub(super) fn new(net: &'a RandomNetwork) -> Self {
        Self { net, phi: RefCell::new(vec![0.0; net.n()]) }
    }
}

impl OdeSystem for StateOnly<'_> {
    fn dim(&self) -> usize {
        self.net.n()
    }
    fn rhs(&self, _t: f64, x: &[f64], dxdt: &mut [f64]) {
        self.net.flow_with(x, &mut self.phi.borrow_mut(), dxdt);
    }
}

/// Settings of a Lyapunov run: RK4 on the ODE, or Euler–Maruyama on the SDE when `sigma > 0`.
#[derive(Clone, Debug)]
pub struct LyapunovOptions {
    pub dt: f64,
    /// Time discarded before measuring (state and tangent vector settle).
    pub transient: f64,
    /// Time over which the exponent is averaged.
    pub time: f64,
    /// White-noise strength σ, ⟨ξ_i(t)ξ_j(s)⟩ = σ²δ_ij δ(t−s) (0: the deterministic ODE).
    pub sigma: f64,
}

impl Default for LyapunovOptions {
    fn default() -> Self {
        Self { dt: 0.05, transient: 200.0, time: 1000.0, sigma: 0.0 }
    }
}

impl LyapunovOptions {
    /// Validates the settings; returns the transient and measured step counts.
    pub(super) fn check(&self) -> Result<(usize, usize)> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(Error::param("dt", format!("must be finite and > 0, got {}", self.dt)));
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(Error::param("sigma", format!("must be finite and ≥ 0, got {}", self.sigma)));
        }
        if !(self.transient.is_finite() && self.transient >= 0.0 && self.time.is_finite() && self.time > 0.0) {
            return Err(Error::param("time", "the transient must be ≥ 0 and the measuring time > 0"));
        }
        let steps = |t: f64| (t / self.dt).round() as usize;
        if steps(self.time) == 0 {
            return Err(Error::param("time", "must be at least one step"));
        }
        Ok((steps(self.transient), steps(self.time)))
    }
}

/// A measured exponent.
#[derive(Clone, Debug, PartialEq)]
pub struct Lyapunov {
    /// λ_max of the ODE, per unit time.
    pub lambda: f64,
    /// ⟨x²⟩ averaged over units and the measuring time.
    pub mean_square: f64,
    /// Time actually measured (shorter when stopped).
    pub time: f64,
    pub interrupted: bool,
}

impl Lyapunov {
    /// The result of `done` of `steps` measured steps of length `dt` with the summed log growth
    /// and the summed per-step ⟨x²⟩.
    fn from_sums(log_growth: f64, square: f64, done: usize, steps: usize, dt: f64) -> Self {
        let time = done as f64 * dt;
        Self { lambda: log_growth / time, mean_square: square / done.max(1) as f64, time, interrupted: done < steps }
    }
}

/// One step of `y`: RK4 without noise; with noise σ the Euler–Maruyama step
/// y ← y + dt·f(y), then x ← x + σ√dt·ξ on the first `noisy` entries (the state), with ξ drawn
/// from `rng`. The tangent part of an Euler–Maruyama step is the linearisation of that same map
/// along the noisy trajectory: the conditional exponent under the given noise.
#[derive(Default)]
pub(super) struct Stepper {
    rk: Rk4,
    euler: Vec<f64>,
}

impl Stepper {
    pub(super) fn advance<S: OdeSystem>(
        &mut self,
        sys: &S,
        t: f64,
        y: &mut [f64],
        opts: &LyapunovOptions,
        noisy: usize,
        rng: &mut Rng64,
    ) -> Result<()> {
        if opts.sigma == 0.0 {
            self.rk.step(sys, t, y, opts.dt)?;
            return Ok(());
        }
        let euler = &mut self.euler;
        euler.resize(y.len(), 0.0);
        sys.rhs(t, y, euler);
        for (v, d) in y.iter_mut().zip(euler.iter()) {
            *v += opts.dt * d;
        }
        let kick = opts.sigma * opts.dt.sqrt();
        for v in &mut y[..noisy] {
            *v += kick * rng.sample::<f64, _>(StandardNormal);
        }
        if y.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(Error::Numerical(format!("the trajectory left the finite numbers (dt = {} too large?)", opts.dt)))
        }
    }
}

/// λ_max by one tangent vector renormalised after every step, from the state `x0`: the initial
/// tangent vector and then the noise (when `opts.sigma > 0`) are drawn from `rng`.
pub fn largest_exponent(
    net: &RandomNetwork,
    x0: &[f64],
    opts: &LyapunovOptions,
    rng: &mut Rng64,
    stop: &StopFlag,
) -> Result<Lyapunov> {
    let n = net.n();
    check_start(net, x0)?;
    let (transient, steps) = opts.check()?;
    let mut y = x0.to_vec();
    y.extend((0..n).map(|_| rng.sample::<f64, _>(StandardNormal)));
    normalise(&mut y[n..]);
    let sys = WithTangent::new(net);
    let mut stepper = Stepper::default();
    let mut t = 0.0;
    for _ in 0..transient {
        if stop.is_raised() {
            return Ok(Lyapunov { lambda: f64::NAN, mean_square: f64::NAN, time: 0.0, interrupted: true });
        }
        stepper.advance(&sys, t, &mut y, opts, n, rng)?;
        t += opts.dt;
        normalise(&mut y[n..]);
    }
    let (mut log_growth, mut square, mut done) = (0.0, 0.0, 0usize);
    for _ in 0..steps {
        if stop.is_raised() {
            break;
        }
        stepper.advance(&sys, t, &mut y, opts, n, rng)?;
        t += opts.dt;
        log_growth += normalise(&mut y[n..]).ln();
        square += y[..n].iter().map(|v| v * v).sum::<f64>() / n as f64;
        done += 1;
    }
    if !y.iter().all(|v| v.is_finite()) {
        return Err(Error::Numerical(format!("the trajectory left the finite numbers (dt = {} too large?)", opts.dt)));
    }
    Ok(Lyapunov::from_sums(log_growth, square, done, steps, opts.dt))
}

/// λ_max from a twin trajectory started `d0` away and pulled back to distance `d0` every
/// `renormalise` time units (the brute-force check of the tangent estimate). With noise, the
/// twin receives the same noise increments as the trajectory (drawn from `rng` after the
/// direction).
pub fn twin_exponent(
    net: &RandomNetwork,
    x0: &[f64],
    opts: &LyapunovOptions,
    d0: f64,
    renormalise: f64,
    rng: &mut Rng64,
    stop: &StopFlag,
) -> Result<Lyapunov> {
    let n = net.n();
    check_start(net, x0)?;
    if !(d0 > 0.0 && d0.is_finite() && renormalise > 0.0 && renormalise.is_finite()) {
        return Err(Error::param("d0", "the distance and the renormalisation interval must be > 0"));
    }
    let (transient, steps) = opts.check()?;
    let every = ((renormalise / opts.dt).round() as usize).max(1);
    let sys = StateOnly { net, phi: RefCell::new(vec![0.0; n]) };
    let (mut stepper, mut twin_stepper) = (Stepper::default(), Stepper::default());
    let mut x = x0.to_vec();
    let mut t = 0.0;
    let mut dir: Vec<f64> = (0..n).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
    normalise(&mut dir);
    // The twin starts with the trajectory and is pulled back through the transient too (nothing
    // accumulated), so that its offset has turned into the leading direction before measuring,
    // as the tangent vector has. Both take the same noise: the twin replays the increments of
    // the original, drawn from a copy of the generator taken before each step.
    let mut twin: Vec<f64> = x.iter().zip(&dir).map(|(a, d)| a + d0 * d).collect();
    let (mut log_growth, mut square, mut done) = (0.0, 0.0, 0usize);
    for k in 1..=transient + steps {
        if stop.is_raised() {
            break;
        }
        let mut same_noise = rng.clone();
        stepper.advance(&sys, t, &mut x, opts, n, rng)?;
        twin_stepper.advance(&sys, t, &mut twin, opts, n, &mut same_noise)?;
        t += opts.dt;
        let measuring = k > transient;
        if measuring {
            square += x.iter().map(|v| v * v).sum::<f64>() / n as f64;
            done += 1;
        }
        if k % every == 0 || k == transient || k == transient + steps {
            let d: f64 = x.iter().zip(&twin).map(|(a, b)| (b - a).powi(2)).sum::<f64>().sqrt();
            if measuring {
                log_growth += (d / d0).ln();
            }
            for (tw, a) in twin.iter_mut().zip(&x) {
                *tw = a + (*tw - a) * d0 / d;
            }
        }
    }
    Ok(Lyapunov::from_sums(log_growth, square, done, steps, opts.dt))
}

/// λ_max of one network per seed index.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedExponent {
    pub network: usize,
    /// Tangent-vector estimate.
    pub lambda: f64,
    /// Twin-trajectory estimate (δ0 = 1e-8, pulled back every time unit), when asked for.
    pub twin: Option<f64>,
    pub mean_square: f64,
}

/// λ_max of `networks` independent networks of `n` units, in parallel: network `s` draws its
/// couplings, initial state (standard normal) and tangent vector from the streams
/// `(seed, [CHAOS_NETWORK | CHAOS_STATE | CHAOS_TANGENT, s])`, so the results do not depend on
/// the thread count. Networks not started when `stop` is raised are `None`.
#[allow(clippy::too_many_arguments)]
pub fn exponents(
    n: usize,
    g: f64,
    gamma: f64,
    networks: usize,
    seed: u64,
    opts: &LyapunovOptions,
    twin: bool,
    stop: &StopFlag,
) -> Result<Vec<Option<SeedExponent>>> {
    use crate::engine::rng::stream_path;
    use crate::experiment::streams::CHAOS_TANGENT;
    opts.check()?;
    check_networks(n, g, gamma, networks)?;
    crate::engine::replicas::run_indexed(networks, stop, |s| {
        let (net, x0) = seeded_network(n, g, gamma, seed, s)?;
        let mut tangent = stream_path(seed, &[CHAOS_TANGENT, s as u64]);
        let r = largest_exponent(&net, &x0, opts, &mut tangent, stop)?;
        // The twin starts along the tangent's initial vector and, with noise, sees the same
        // noise increments: both estimate the exponent conditional on one noise realisation.
        let twin = if twin {
            let mut same = stream_path(seed, &[CHAOS_TANGENT, s as u64]);
            Some(twin_exponent(&net, &x0, opts, 1e-8, 1.0, &mut same, stop)?.lambda)
        } else {
            None
        };
        Ok(SeedExponent { network: s, lambda: r.lambda, twin, mean_square: r.mean_square })
    })
}

/// Checks (g, γ) and the memory of `networks` networks of `n` units run two at a time.
pub(super) fn check_networks(n: usize, g: f64, gamma: f64, networks: usize) -> Result<()> {
    check_gain_symmetry(g, gamma)?;
    if networks == 0 {
        return Err(Error::param("networks", "must be at least 1"));
    }
    check_memory("n", format!("{networks} networks of {n} units"), bytes(&[n, n, networks.min(2)], 8))
}

/// Network `s` of a seed and its standard normal initial state, from the streams
/// `(seed, [CHAOS_NETWORK, s])` and `(seed, [CHAOS_STATE, s])`.
pub(super) fn seeded_network(n: usize, g: f64, gamma: f64, seed: u64, s: usize) -> Result<(RandomNetwork, Vec<f64>)> {
    use crate::engine::rng::stream_path;
    use crate::experiment::streams::{CHAOS_NETWORK, CHAOS_STATE};
    let net = RandomNetwork::elliptic(n, g, gamma, &mut stream_path(seed, &[CHAOS_NETWORK, s as u64]))?;
    let mut state = stream_path(seed, &[CHAOS_STATE, s as u64]);
    Ok((net, (0..n).map(|_| state.sample::<f64, _>(StandardNormal)).collect()))
}

pub(super) fn check_start(net: &RandomNetwork, x0: &[f64]) -> Result<()> {
    if x0.len() != net.n() {
        return Err(Error::Shape(format!("initial state has {} entries, the network {} units", x0.len(), net.n())));
    }
    if let Some(i) = x0.iter().position(|v| !v.is_finite()) {
        return Err(Error::param("x0", format!("entry {i} is not finite")));
    }
    Ok(())
}

/// Scales `v` to unit length and returns its former length.
pub(super) fn normalise(v: &mut [f64]) -> f64 {
    let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|a| *a /= norm);
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    fn start(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = stream(seed, 99);
        (0..n).map(|_| rng.sample::<f64, _>(StandardNormal)).collect()
    }

    #[test]
    fn couplings_have_the_elliptic_statistics() {
        let (n, g, gamma) = (400, 1.5, 0.5);
        let net = RandomNetwork::elliptic(n, g, gamma, &mut stream(1, 0)).unwrap();
        let j = net.couplings();
        let (mut sxx, mut sxy, mut pairs) = (0.0, 0.0, 0.0);
        for i in 0..n {
            assert_eq!(j[(i, i)], 0.0);
            for k in i + 1..n {
                sxx += j[(i, k)] * j[(i, k)] + j[(k, i)] * j[(k, i)];
                sxy += j[(i, k)] * j[(k, i)];
                pairs += 1.0;
            }
        }
        let var = sxx / (2.0 * pairs);
        // 79,800 pairs: the variance to about 0.5 %, the correlation to about ±0.01.
        assert!((var * n as f64 / (g * g) - 1.0).abs() < 0.02, "{}", var * n as f64);
        assert!((sxy / pairs / var - gamma).abs() < 0.02, "{}", sxy / pairs / var);
        assert!(RandomNetwork::elliptic(10, 1.0, 1.2, &mut stream(1, 0)).is_err());
        assert!(RandomNetwork::elliptic(0, 1.0, 0.0, &mut stream(1, 0)).is_err());
        assert!(RandomNetwork::elliptic(10, -1.0, 0.0, &mut stream(1, 0)).is_err());
    }

    #[test]
    fn given_couplings_are_taken_as_they_are_and_checked() {
        let drawn = RandomNetwork::elliptic(50, 1.5, 0.5, &mut stream(3, 0)).unwrap();
        let j = drawn.couplings();
        let rows: Vec<f64> = (0..50 * 50).map(|k| j[(k / 50, k % 50)]).collect();
        let given = RandomNetwork::from_couplings(50, &rows).unwrap();
        assert_eq!(given.couplings(), drawn.couplings());
        assert!((given.g - 1.5).abs() < 0.1 && (given.gamma - 0.5).abs() < 0.15, "{} {}", given.g, given.gamma);
        assert!(RandomNetwork::from_couplings(3, &[0.0; 8]).is_err());
        let mut bad = vec![0.0; 9];
        bad[5] = f64::INFINITY;
        assert!(RandomNetwork::from_couplings(3, &bad).unwrap_err().to_string().contains("(1, 2)"));
    }

    #[test]
    fn in_the_ordered_phase_the_exponent_is_the_top_eigenvalue_of_minus_one_plus_j() {
        let net = RandomNetwork::elliptic(150, 0.6, 0.0, &mut stream(2, 0)).unwrap();
        let eig = net.couplings().eigenvalues().unwrap();
        let top = eig.iter().map(|z| z.re).fold(f64::NEG_INFINITY, f64::max) - 1.0;
        let opts = LyapunovOptions { dt: 0.05, transient: 50.0, time: 400.0, sigma: 0.0 };
        let r = largest_exponent(&net, &start(150, 3), &opts, &mut stream(4, 0), &StopFlag::new()).unwrap();
        // The state decays to x = 0, where the tangent dynamics is v' = (J − I)v.
        assert!(r.mean_square < 1e-12, "{r:?}");
        assert!((r.lambda - top).abs() < 0.01, "λ = {} vs −1 + max Re eig(J) = {top}", r.lambda);
    }

    #[test]
    fn tangent_and_twin_estimates_agree_in_the_chaotic_phase_and_runs_repeat_bit_for_bit() {
        let net = RandomNetwork::elliptic(200, 2.0, 0.0, &mut stream(5, 0)).unwrap();
        let opts = LyapunovOptions { dt: 0.05, transient: 50.0, time: 300.0, sigma: 0.0 };
        let x0 = start(200, 6);
        let tangent = largest_exponent(&net, &x0, &opts, &mut stream(7, 0), &StopFlag::new()).unwrap();
        let twin = twin_exponent(&net, &x0, &opts, 1e-8, 1.0, &mut stream(7, 1), &StopFlag::new()).unwrap();
        assert!(tangent.lambda > 0.03 && tangent.lambda < 0.2, "{tangent:?}");
        assert!((tangent.lambda - twin.lambda).abs() < 0.01, "{tangent:?} vs {twin:?}");
        // ⟨x²⟩ of a chaotic network near the DMFT value c0(g = 2) = 1.92.
        assert!((tangent.mean_square - 1.92).abs() < 0.3, "{tangent:?}");
        let again = largest_exponent(&net, &x0, &opts, &mut stream(7, 0), &StopFlag::new()).unwrap();
        assert_eq!(again, tangent);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let one = pool.install(|| largest_exponent(&net, &x0, &opts, &mut stream(7, 0), &StopFlag::new()).unwrap());
        assert_eq!(one, tangent, "the same bits on one thread");
    }

    #[test]
    fn with_noise_the_variance_is_the_noisy_dmft_one_and_twin_and_tangent_share_the_noise() {
        // dx = (−x + J tanh x) dt + σ dW: the SCS theory with white noise gives c0 = ⟨x²⟩
        // independently of the simulation (its own quadrature and root finding).
        let (n, g, sigma) = (300, 1.5, 1.0);
        let net = RandomNetwork::elliptic(n, g, 0.0, &mut stream(8, 0)).unwrap();
        let opts = LyapunovOptions { dt: 0.01, transient: 30.0, time: 120.0, sigma };
        let x0 = start(n, 9);
        let tangent = largest_exponent(&net, &x0, &opts, &mut stream(10, 0), &StopFlag::new()).unwrap();
        let c0 = crate::chaos::solve_scs(g, sigma, &crate::chaos::ScsOptions::default()).unwrap().c0;
        assert!((tangent.mean_square / c0 - 1.0).abs() < 0.05, "⟨x²⟩ = {} vs c0 = {c0}", tangent.mean_square);
        // Below the noise-shifted transition (g_c(σ = 1) ≈ 1.96) the conditional exponent is
        // negative although the noiseless network at g = 1.5 is chaotic.
        assert!(tangent.lambda < -0.05, "{tangent:?}");
        // The twin draws its direction and then the same increments from the same stream.
        let twin = twin_exponent(&net, &x0, &opts, 1e-8, 1.0, &mut stream(10, 0), &StopFlag::new()).unwrap();
        assert!((twin.lambda - tangent.lambda).abs() < 0.01, "{twin:?} vs {tangent:?}");
        assert_eq!(twin.mean_square, tangent.mean_square, "the same noisy trajectory");
        let bad = LyapunovOptions { sigma: -1.0, ..opts };
        let e = largest_exponent(&net, &x0, &bad, &mut stream(10, 0), &StopFlag::new()).unwrap_err();
        assert!(e.to_string().contains("`sigma`"));
    }

    #[test]
    fn bad_options_are_named_and_a_raised_stop_flag_stops() {
        let net = RandomNetwork::elliptic(10, 1.0, 0.0, &mut stream(1, 0)).unwrap();
        let x0 = vec![0.1; 10];
        let bad = LyapunovOptions { dt: 0.0, ..LyapunovOptions::default() };
        assert!(largest_exponent(&net, &x0, &bad, &mut stream(1, 1), &StopFlag::new())
            .unwrap_err()
            .to_string()
            .contains("`dt`"));
        assert!(largest_exponent(&net, &[0.0; 3], &LyapunovOptions::default(), &mut stream(1, 1), &StopFlag::new())
            .is_err());
        let nan = [f64::NAN; 10];
        let e = twin_exponent(&net, &nan, &LyapunovOptions::default(), 1e-8, 1.0, &mut stream(1, 1), &StopFlag::new());
        assert!(e.unwrap_err().to_string().contains("`x0`"));
        let stop = StopFlag::new();
        stop.raise();
        assert!(
            largest_exponent(&net, &x0, &LyapunovOptions::default(), &mut stream(1, 1), &stop).unwrap().interrupted
        );
    }
}
