//! The static mean-field theory of the fixed points of dx/dt = −x + J tanh(x) with elliptic
//! couplings (gain g, symmetry γ), in the form of Qiu & Huang's DMFT comparison
//! (Qjbtiger/Equilibrium-RNN, `Figures/11/steady/main.py`), solved deterministically.
//!
//! ```text
//! h ~ N(0, g² C),   w = g² γ R,   x*(h) solves x = h + w tanh(x)
//! C = ⟨tanh²(x*)⟩,   R = ⟨φ'(x*) (1 + w R)⟩            (the authors' update)
//!                    R = ⟨φ'(x*) / (1 − w φ'(x*))⟩       (the exact cavity response)
//! ```
//!
//! In the ordered phase (g(1+γ) < 1) C = 0 and both responses equal the elliptic-law resolvent
//! at z = 1, `R_ell = [1 − √(1 − 4g²γ)] / (2g²γ)`.

use super::quadrature::GaussHermite;
use crate::error::{Error, Result};

/// Which response update to iterate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// `R = ⟨φ'(x*)(1 + wR)⟩`, as in the authors' code (reproduces their figure).
    Authors,
    /// `R = ⟨φ'(x*)/(1 − wφ'(x*))⟩`, the cavity form.
    Cavity,
}

impl std::str::FromStr for Response {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "authors" => Ok(Self::Authors),
            "cavity" => Ok(Self::Cavity),
            other => Err(Error::param("response", format!("unknown response `{other}` (expected authors or cavity)"))),
        }
    }
}

/// Settings of the solver.
#[derive(Clone, Debug)]
pub struct StaticOptions {
    /// Gauss–Hermite nodes for the average over h.
    pub nodes: usize,
    /// Share of the old value kept at each step.
    pub damping: f64,
    pub tol: f64,
    pub max_iter: usize,
    pub response: Response,
    /// Starting (C, R) (continuation from a neighbouring gain); default (1, 1).
    pub start: Option<(f64, f64)>,
}

impl Default for StaticOptions {
    fn default() -> Self {
        Self { nodes: 201, damping: 0.2, tol: 1e-12, max_iter: 200_000, response: Response::Authors, start: None }
    }
}

/// The solution at one (g, γ).
#[derive(Clone, Debug, PartialEq)]
pub struct StaticSolution {
    /// `C = ⟨tanh²(x*)⟩` (zero in the ordered phase).
    pub c: f64,
    /// The integrated response `R_int`.
    pub r: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// The edge of the ordered phase, `g_c = 1/(1+γ)` (the real edge of the elliptic law).
pub fn critical_gain(gamma: f64) -> f64 {
    1.0 / (1.0 + gamma)
}

/// λ_max of the infinite network in the ordered phase, `g(1+γ) − 1` (the real edge of the
/// elliptic law shifted by the leak); `None` at and above g_c.
pub fn ordered_exponent(g: f64, gamma: f64) -> Option<f64> {
    (g < critical_gain(gamma)).then_some(g * (1.0 + gamma) - 1.0)
}

/// The elliptic-law resolvent at z = 1, `[1 − √(1 − 4g²γ)]/(2g²γ)` (1 at γ = 0).
pub fn resolvent(g: f64, gamma: f64) -> f64 {
    let a = g * g * gamma;
    if a.abs() < 1e-12 {
        // Series 1 + a + 2a² + …; the closed form loses digits as a → 0.
        return 1.0 + a + 2.0 * a * a;
    }
    (1.0 - (1.0 - 4.0 * a).sqrt()) / (2.0 * a)
}

pub(crate) fn check_gain_symmetry(g: f64, gamma: f64) -> Result<()> {
    if !(g.is_finite() && g > 0.0) {
        return Err(Error::param("g", format!("must be finite and > 0, got {g}")));
    }
    if !(gamma.is_finite() && (-1.0..=1.0).contains(&gamma)) {
        return Err(Error::param("gamma", format!("must lie in [−1, 1], got {gamma}")));
    }
    Ok(())
}

/// Solves the static equations at (g, γ) by damped fixed-point iteration from `opts.start`
/// (default C = 1, R = 1).
pub fn solve_static(g: f64, gamma: f64, opts: &StaticOptions) -> Result<StaticSolution> {
    check_gain_symmetry(g, gamma)?;
    if !(0.0..1.0).contains(&opts.damping) {
        return Err(Error::param("damping", format!("must lie in [0, 1), got {}", opts.damping)));
    }
    let quad = GaussHermite::new(opts.nodes)?;
    let (mut c, mut r) = opts.start.unwrap_or((1.0, 1.0));
    for it in 1..=opts.max_iter {
        let w = g * g * gamma * r;
        if w.abs() >= 1.0 {
            return Err(Error::Numerical(format!(
                "static DMFT at g = {g}, γ = {gamma}: |w| = |g²γR| = {:.3} ≥ 1, x = h + w tanh(x) has several roots",
                w.abs()
            )));
        }
        let (mut c_new, mut r_new) = (0.0, 0.0);
        let sd = g * c.max(0.0).sqrt();
        for (&z, &wt) in quad.nodes.iter().zip(&quad.weights) {
            let h = sd * z;
            let x = fixed_point(h, w);
            let t = x.tanh();
            let dphi = 1.0 - t * t;
            c_new += wt * t * t;
            r_new += wt
                * match opts.response {
                    Response::Authors => dphi * (1.0 + w * r),
                    Response::Cavity => dphi / (1.0 - w * dphi),
                };
        }
        let d = opts.damping;
        let (c_next, r_next) = (d * c + (1.0 - d) * c_new, d * r + (1.0 - d) * r_new);
        let change = (c_next - c).abs().max((r_next - r).abs());
        (c, r) = (c_next, r_next);
        if change < opts.tol {
            return Ok(StaticSolution { c, r, iterations: it, converged: true });
        }
    }
    Ok(StaticSolution { c, r, iterations: opts.max_iter, converged: false })
}

/// The root of x = h + w tanh(x) for |w| < 1 (a contraction), by iteration from 0.
fn fixed_point(h: f64, w: f64) -> f64 {
    let mut x = 0.0_f64;
    for _ in 0..10_000 {
        let next = h + w * x.tanh();
        if (next - x).abs() <= 1e-15 * (1.0 + x.abs()) {
            return next;
        }
        x = next;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_table_is_reproduced() {
        for &(gamma, g, c, r) in crate::chaos::experiments::STATIC_TABLE {
            let s = solve_static(g, gamma, &StaticOptions::default()).unwrap();
            assert!(s.converged, "γ = {gamma}, g = {g}: {s:?}");
            assert!((s.c - c).abs() < 1e-3 && (s.r - r).abs() < 1e-3, "γ = {gamma}, g = {g}: {s:?} vs C {c}, R {r}");
            if g < critical_gain(gamma) {
                assert!(s.c < 1e-8, "{s:?}");
                assert!((s.r - resolvent(g, gamma)).abs() < 1e-6, "{s:?}");
            }
        }
    }

    #[test]
    fn at_zero_symmetry_c_plus_r_is_one_and_the_cavity_form_agrees_in_the_ordered_phase() {
        for g in [1.1, 1.5, 2.5] {
            let s = solve_static(g, 0.0, &StaticOptions::default()).unwrap();
            assert!((s.c + s.r - 1.0).abs() < 1e-10, "{s:?}");
        }
        let cavity = StaticOptions { response: Response::Cavity, ..StaticOptions::default() };
        let s = solve_static(0.6, 0.5, &cavity).unwrap();
        assert!((s.r - resolvent(0.6, 0.5)).abs() < 1e-9);
        assert!((resolvent(1.0 / 1.5, 0.5) - 1.5).abs() < 1e-9, "R_ell = 1 + γ at g_c");
        assert_eq!(resolvent(0.7, 0.0), 1.0);
    }

    #[test]
    fn bad_parameters_are_named() {
        let o = StaticOptions::default();
        assert!(solve_static(0.0, 0.0, &o).unwrap_err().to_string().contains("`g`"));
        assert!(solve_static(1.0, 1.5, &o).unwrap_err().to_string().contains("`gamma`"));
        assert!(solve_static(f64::NAN, 0.0, &o).is_err());
    }
}
