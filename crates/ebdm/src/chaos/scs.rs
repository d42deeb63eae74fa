//! Dynamical mean-field theory of dx/dt = −x + J tanh(x) + ξ with iid couplings of variance
//! g²/N (γ = 0; Sompolinsky, Crisanti & Sommers 1988) and white noise ⟨ξξ⟩ = σ²δ, solved
//! deterministically (Gauss–Hermite averages, RK4 for the autocorrelation, a tridiagonal
//! Schrödinger problem for the largest Lyapunov exponent).
//!
//! The stationary autocorrelation c(τ) = ⟨x(t)x(t+τ)⟩ moves as a particle in a potential:
//!
//! ```text
//! c'' = c − g² f_φ(c; c0),   f_φ(c; c0) = ∫Dz [∫Dx φ(√(c0−c) x + √c z)]²
//! c(0) = c0,  c'(0+) = −σ²/2,  c(∞) = 0
//! c0²/2 − g² Var_{x~N(0,c0)}[ln cosh x] = σ⁴/8            (energy conservation fixes c0)
//! ```
//!
//! and the largest (conditional, under shared noise) Lyapunov exponent is λ = −1 + √(1 − E0),
//! E0 the ground-state energy of `[−∂τ² + W(τ)]ψ = Eψ`, `W = 1 − g² f_φ'(c(|τ|); c0)`
//! (edge-of-chaos spec §1.7). Since ∂f_φ/∂c = f_φ', the even function −c'(|τ|) solves this
//! equation with E = 0 away from τ = 0, where its kink equals that of a delta potential of
//! strength −4c''(0+)/σ²; so with noise the transition, E0 = 0, lies where that strength
//! vanishes, `g²⟨φ²⟩ = c0`, above the coupling where the dynamics turns locally expansive,
//! `g²⟨φ'²⟩ = 1`.

use super::quadrature::GaussHermite;
use crate::engine::integrators::{Integrator, OdeSystem, Rk4};
use crate::error::{Error, Result};

/// Settings of the solver.
#[derive(Clone, Debug)]
pub struct ScsOptions {
    /// Gauss–Hermite nodes per Gaussian average.
    pub nodes: usize,
    /// Points of the tables of f_φ and f_φ' over c ∈ [0, c0] (read by cubic interpolation).
    pub table: usize,
    /// RK4 step of the autocorrelation.
    pub dt: f64,
    /// Lattice spacing of the Schrödinger problem.
    pub spacing: f64,
}

impl Default for ScsOptions {
    fn default() -> Self {
        Self { nodes: 101, table: 801, dt: 0.01, spacing: 0.05 }
    }
}

/// The solution at one (g, σ).
#[derive(Clone, Debug)]
pub struct ScsSolution {
    pub g: f64,
    pub sigma: f64,
    /// c0 = ⟨x²⟩.
    pub c0: f64,
    /// ⟨φ²⟩ over x ~ N(0, c0).
    pub phi2: f64,
    /// Largest Lyapunov exponent of the ODE (rate per unit time).
    pub lambda_max: f64,
    /// Decay rate of c at large τ, √(1 − g²⟨φ'⟩²).
    pub kappa: f64,
    /// c(τ½) = c0/2; `None` when c0 = 0.
    pub tau_half: Option<f64>,
    /// The autocorrelation on τ = 0, dt, 2dt, … until it has decayed.
    pub tau: Vec<f64>,
    pub c: Vec<f64>,
}

impl ScsSolution {
    /// c(τ) for τ ≥ 0 (linear between steps, the exponential tail beyond the computed range).
    pub fn autocorrelation(&self, tau: f64) -> f64 {
        let tau = tau.abs();
        let last = self.tau.len() - 1;
        if tau >= self.tau[last] {
            return self.c[last] * (-self.kappa * (tau - self.tau[last])).exp();
        }
        let dt = self.tau[1] - self.tau[0];
        let k = ((tau / dt) as usize).min(last - 1);
        let f = (tau - self.tau[k]) / dt;
        self.c[k] * (1.0 - f) + self.c[k + 1] * f
    }
}

/// ln cosh x without overflow.
fn ln_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

fn check(g: f64, sigma: f64) -> Result<()> {
    if !(g.is_finite() && g > 0.0) {
        return Err(Error::param("g", format!("must be finite and > 0, got {g}")));
    }
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(Error::param("sigma", format!("must be finite and ≥ 0, got {sigma}")));
    }
    Ok(())
}

/// The energy condition `c0²/2 − g² Var[ln cosh] − σ⁴/8` at `c0`.
fn energy(q: &GaussHermite, g: f64, sigma: f64, c0: f64) -> f64 {
    let m1 = q.mean(c0, ln_cosh);
    let m2 = q.mean(c0, |x| ln_cosh(x).powi(2));
    0.5 * c0 * c0 - g * g * (m2 - m1 * m1) - sigma.powi(4) / 8.0
}

/// c0 = ⟨x²⟩ solving the energy condition (0 for σ = 0 and g ≤ 1: the quiet state).
pub fn variance(q: &GaussHermite, g: f64, sigma: f64) -> Result<f64> {
    check(g, sigma)?;
    if sigma == 0.0 && g <= 1.0 {
        return Ok(0.0);
    }
    let mut lo = if sigma > 0.0 { 0.0 } else { 1e-3 };
    if sigma == 0.0 {
        // Below the nontrivial root the condition is negative: c0²(1 − g²)/2 at small c0.
        while energy(q, g, sigma, lo) >= 0.0 {
            lo *= 0.5;
            if lo < 1e-300 {
                return Err(Error::Numerical(format!("no chaotic solution found at g = {g}")));
            }
        }
    }
    let mut hi = 1.0;
    while energy(q, g, sigma, hi) <= 0.0 {
        hi *= 2.0;
        if hi > 1e12 {
            return Err(Error::Numerical(format!("c0 beyond 1e12 at g = {g}, σ = {sigma}")));
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if energy(q, g, sigma, mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// (f_φ(c; c0), f_φ'(c; c0)) with f_u(c; c0) = ∫Dz [∫Dx u(√(c0−c) x + √c z)]², φ = tanh.
fn nested(q: &GaussHermite, c: f64, c0: f64) -> (f64, f64) {
    let (a, b) = ((c0 - c).max(0.0).sqrt(), c.max(0.0).sqrt());
    let (mut f_phi, mut f_dphi) = (0.0, 0.0);
    // The rule is symmetric and tanh odd: the inner averages at −z are those at z with φ's sign
    // flipped, so the outer sum runs over z ≥ 0 with the weights of ±z together.
    let n = q.nodes.len();
    for j in n / 2..n {
        let (z, wz) = (q.nodes[j], if 2 * j + 1 == n { q.weights[j] } else { 2.0 * q.weights[j] });
        let (mut phi, mut dphi) = (0.0, 0.0);
        for (&x, &wx) in q.nodes.iter().zip(&q.weights) {
            let t = (a * x + b * z).tanh();
            phi += wx * t;
            dphi += wx * (1.0 - t * t);
        }
        f_phi += wz * phi * phi;
        f_dphi += wz * dphi * dphi;
    }
    (f_phi, f_dphi)
}

/// A function of c on [0, c0], tabulated at equal steps and read by cubic (Catmull–Rom)
/// interpolation.
struct Table {
    step: f64,
    values: Vec<f64>,
}

impl Table {
    fn from_values(c0: f64, values: Vec<f64>) -> Self {
        Self { step: c0 / (values.len() - 1) as f64, values }
    }

    fn at(&self, c: f64) -> f64 {
        let last = self.values.len() - 1;
        let u = (c / self.step).clamp(0.0, last as f64);
        let k = (u as usize).min(last - 1);
        let f = u - k as f64;
        let v = |i: isize| self.values[i.clamp(0, last as isize) as usize];
        let (p0, p1, p2, p3) = (v(k as isize - 1), v(k as isize), v(k as isize + 1), v(k as isize + 2));
        // Ends: extrapolate the missing neighbour linearly, so the cubic stays exact on lines.
        let p0 = if k == 0 { 2.0 * p1 - p2 } else { p0 };
        let p3 = if k + 1 == last { 2.0 * p2 - p1 } else { p3 };
        p1 + 0.5 * f * (p2 - p0 + f * (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3 + f * (3.0 * (p1 - p2) + p3 - p0)))
    }
}

/// The particle's equation of motion, state (c, c').
struct Motion<'a> {
    g2: f64,
    f_phi: &'a Table,
}

impl OdeSystem for Motion<'_> {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, x: &[f64], dxdt: &mut [f64]) {
        dxdt[0] = x[1];
        dxdt[1] = x[0] - self.g2 * self.f_phi.at(x[0]);
    }
}

/// Solves the theory at gain `g` and noise `sigma`.
pub fn solve_scs(g: f64, sigma: f64, opts: &ScsOptions) -> Result<ScsSolution> {
    check(g, sigma)?;
    if opts.table < 3 || !(opts.dt > 0.0 && opts.dt.is_finite()) || !(opts.spacing > 0.0 && opts.spacing.is_finite()) {
        return Err(Error::param("options", "need table ≥ 3, dt > 0 and spacing > 0"));
    }
    let q = GaussHermite::new(opts.nodes)?;
    let c0 = variance(&q, g, sigma)?;
    let phi2 = q.mean(c0, |x| x.tanh().powi(2));
    let dphi = q.mean(c0, |x| 1.0 - x.tanh().powi(2));
    let g2 = g * g;
    let kappa = (1.0 - g2 * dphi * dphi).max(0.0).sqrt();
    if c0 == 0.0 {
        // The quiet state: W = 1 − g², λ = g − 1.
        return Ok(ScsSolution {
            g,
            sigma,
            c0,
            phi2,
            lambda_max: g - 1.0,
            kappa,
            tau_half: None,
            tau: vec![0.0, opts.dt],
            c: vec![0.0, 0.0],
        });
    }
    // Each entry is independent: parallel and in index order, the same numbers at any thread count.
    let pairs: Vec<(f64, f64)> = {
        use rayon::prelude::*;
        (0..opts.table).into_par_iter().map(|k| nested(&q, c0 * k as f64 / (opts.table - 1) as f64, c0)).collect()
    };
    let f_phi = Table::from_values(c0, pairs.iter().map(|p| p.0).collect());
    let f_dphi = Table::from_values(c0, pairs.iter().map(|p| p.1).collect());
    // c(τ) from c0 down the separatrix; rounding pushes the solution off it at large τ, so the
    // integration stops once c has decayed (or turns), and the exponential tail takes over.
    let motion = Motion { g2, f_phi: &f_phi };
    let mut rk = Rk4::default();
    let mut state = [c0, -0.5 * sigma * sigma];
    let (mut tau, mut c) = (vec![0.0], vec![c0]);
    let mut t = 0.0;
    let stop_at = 1e-6 * c0;
    while state[0] > stop_at && tau.len() < 10_000_000 {
        rk.step(&motion, t, &mut state, opts.dt)?;
        t += opts.dt;
        if state[1] >= 0.0 || state[0] <= 0.0 {
            break;
        }
        tau.push(t);
        c.push(state[0]);
    }
    let tau_half = c.iter().position(|&v| v < 0.5 * c0).map(|k| {
        let f = (c[k - 1] - 0.5 * c0) / (c[k - 1] - c[k]);
        tau[k - 1] + f * opts.dt
    });
    let mut sol = ScsSolution { g, sigma, c0, phi2, lambda_max: f64::NAN, kappa, tau_half, tau, c };
    // Schrödinger problem on [−L, L] with Dirichlet ends; L covers the decay of W to κ².
    let reach = if kappa > 0.0 { 25.0 / kappa } else { 3000.0 };
    let l = reach.clamp(60.0, 3000.0);
    let h = opts.spacing;
    let half = (l / h).ceil() as usize;
    let mut diag = Vec::with_capacity(2 * half + 1);
    for k in 0..=2 * half {
        let tau = (k as f64 - half as f64) * h;
        diag.push(2.0 / (h * h) + 1.0 - g2 * f_dphi.at(sol.autocorrelation(tau)));
    }
    let e0 = lowest_eigenvalue(&diag, -1.0 / (h * h));
    sol.lambda_max = -1.0 + (1.0 - e0).sqrt();
    Ok(sol)
}

/// Lowest eigenvalue of the symmetric tridiagonal matrix with diagonal `diag` and constant
/// off-diagonal `off`, by bisection on the Sturm count.
fn lowest_eigenvalue(diag: &[f64], off: f64) -> f64 {
    let below = |x: f64| -> usize {
        let mut count = 0;
        let mut d = 1.0;
        for (k, &a) in diag.iter().enumerate() {
            d = a - x - if k == 0 { 0.0 } else { off * off / d };
            if d == 0.0 {
                d = -1e-300;
            }
            if d < 0.0 {
                count += 1;
            }
        }
        count
    };
    let min = diag.iter().copied().fold(f64::INFINITY, f64::min);
    let max = diag.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mut lo, mut hi) = (min - 2.0 * off.abs(), max + 2.0 * off.abs());
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if below(mid) >= 1 {
            hi = mid;
        } else {
            lo = mid;
        }
        if hi - lo <= 1e-14 * (1.0 + hi.abs()) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The gain at which the noisy network turns chaotic, `g²⟨φ²⟩_{c0} = c0` (λ_DMFT = 0), and the
/// gain at which it turns locally expansive, `g²⟨φ'²⟩_{c0} = 1`, for noise `sigma > 0`.
pub fn noise_transitions(sigma: f64, nodes: usize) -> Result<(f64, f64)> {
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(Error::param("sigma", format!("must be finite and > 0, got {sigma}")));
    }
    let q = GaussHermite::new(nodes)?;
    let chaos = |g: f64| -> Result<f64> {
        let c0 = variance(&q, g, sigma)?;
        Ok(g * g * q.mean(c0, |x| x.tanh().powi(2)) - c0)
    };
    let expansive = |g: f64| -> Result<f64> {
        let c0 = variance(&q, g, sigma)?;
        Ok(g * g * q.mean(c0, |x| (1.0 - x.tanh().powi(2)).powi(2)) - 1.0)
    };
    Ok((root_in_gain(chaos)?, root_in_gain(expansive)?))
}

/// The root of an increasing function of g on (0.5, 100), by bisection.
fn root_in_gain(f: impl Fn(f64) -> Result<f64>) -> Result<f64> {
    let (mut lo, mut hi) = (0.5, 100.0);
    if f(lo)? >= 0.0 || f(hi)? <= 0.0 {
        return Err(Error::Numerical("no transition between g = 0.5 and g = 100".into()));
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f(mid)? < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variances_and_exponents_match_the_reference_table() {
        for &(g, c0, phi2, lambda) in crate::chaos::experiments::SCS_TABLE {
            let s = solve_scs(g, 0.0, &ScsOptions::default()).unwrap();
            assert!((s.c0 - c0).abs() < 1e-4, "g = {g}: c0 = {} vs {c0}", s.c0);
            assert!((s.phi2 - phi2).abs() < 1e-4, "g = {g}: ⟨φ²⟩ = {} vs {phi2}", s.phi2);
            assert!((s.lambda_max - lambda).abs() < 1e-3, "g = {g}: λ = {} vs {lambda}", s.lambda_max);
        }
    }

    #[test]
    fn autocorrelation_half_times_and_decay_rates_match_the_reference_table() {
        // g, τ½, κ, c(1)/c0, c(2)/c0, c(5)/c0 (spec §1.7; the c(τ) ratios given for g = 1.5, 2).
        for (g, half, kappa, ratios) in [
            (1.5, 7.85, 0.162, Some([0.9855, 0.9441, 0.7240])),
            (2.0, 5.36, 0.228, Some([0.9679, 0.8830, 0.5375])),
            (3.0, 4.08, 0.286, None),
        ] {
            let s = solve_scs(g, 0.0, &ScsOptions::default()).unwrap();
            assert!((s.tau_half.unwrap() - half).abs() < 0.01, "g = {g}: τ½ = {:?}", s.tau_half);
            assert!((s.kappa - kappa).abs() < 1e-3, "g = {g}: κ = {}", s.kappa);
            if let Some(r) = ratios {
                for (tau, want) in [1.0, 2.0, 5.0].into_iter().zip(r) {
                    let got = s.autocorrelation(tau) / s.c0;
                    assert!((got - want).abs() < 1e-3, "g = {g}, τ = {tau}: {got} vs {want}");
                }
            }
            // The energy is conserved along the particle's path: c'' = −V'(c) with c'(0) = 0.
            assert!(s.c.windows(2).all(|w| w[1] < w[0]));
        }
    }

    #[test]
    fn the_quiet_state_and_the_ordered_exponent() {
        let s = solve_scs(0.7, 0.0, &ScsOptions::default()).unwrap();
        assert_eq!(s.c0, 0.0);
        assert!((s.lambda_max - (0.7 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn noise_moves_the_transition_above_local_expansiveness() {
        let (chaos, expansive) = noise_transitions(1.0, 61).unwrap();
        assert!(expansive < chaos, "{expansive} vs {chaos}");
        // The Lyapunov solver agrees: λ changes sign at the predicted coupling.
        let opts = ScsOptions::default();
        let at = solve_scs(chaos, 1.0, &opts).unwrap().lambda_max;
        let below = solve_scs(chaos - 0.2, 1.0, &opts).unwrap().lambda_max;
        let above = solve_scs(chaos + 0.2, 1.0, &opts).unwrap().lambda_max;
        assert!(at.abs() < 2e-3 && below < 0.0 && above > 0.0, "λ = {below}, {at}, {above} around g = {chaos}");
    }

    #[test]
    fn bad_parameters_are_named() {
        let o = ScsOptions::default();
        assert!(solve_scs(-1.0, 0.0, &o).unwrap_err().to_string().contains("`g`"));
        assert!(solve_scs(1.5, -0.1, &o).unwrap_err().to_string().contains("`sigma`"));
        assert!(solve_scs(1.5, f64::NAN, &o).is_err());
        assert!(noise_transitions(0.0, 61).is_err());
    }
}
