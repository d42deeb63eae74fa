//! Convex Lagrangians of neuron layers (Krotov 2021, arXiv:2107.06446; Krotov & Hopfield 2021,
//! arXiv:2008.06996).
//!
//! A layer with state x ∈ ℝᴰ and convex Lagrangian L has
//!
//! ```text
//! activation   g = ∇L(x),
//! energy       E_layer = ⟨x, g⟩ − L(x)          (the Legendre transform of L, evaluated at g),
//! Hessian      ∇²L(x) ⪰ 0,
//! ```
//!
//! and the Hessian is what makes the network's dynamics a descent:
//! `dE/dt = −Σ_ℓ τ_ℓ ẋ_ℓᵀ ∇²L_ℓ(x_ℓ) ẋ_ℓ ≤ 0` (see [`super::hierarchical`]).
//!
//! | Lagrangian | L(x) | g = ∇L | zero modes of ∇²L |
//! |---|---|---|---|
//! | identity | ½ Σ xᵢ² | x | none |
//! | rectified power (n > 1) | (1/n) Σ max(xᵢ, 0)ⁿ | max(x, 0)ⁿ⁻¹ | xᵢ ≤ 0 |
//! | exponential | β⁻¹ Σ e^{βxᵢ} | e^{βx} | none |
//! | softmax | β⁻¹ log Σ e^{βxᵢ} | softmax(βx) | the all-ones direction |
//! | tanh | β⁻¹ Σ ln cosh(βxᵢ) | tanh(βx) | none |
//! | sigmoid | β⁻¹ Σ ln(1 + e^{βxᵢ}) | σ(βx) | none |
//! | layer norm | γ D √(Var x + ε) + δ Σ xᵢ | γ (x − x̄)/√(Var x + ε) + δ | shifts by the all-ones direction |
//! | spherical norm | γ √(‖x‖² + ε) | γ x/√(‖x‖² + ε) | (nearly) the radial direction |
//!
//! Every evaluation is overflow-safe where the function itself is finite: log-sum-exp and
//! softmax subtract the maximum, ln cosh and softplus use their asymptotic forms. The exponential
//! Lagrangian itself overflows for βx > 709; callers see a non-finite value and report it.

use serde::{Deserialize, Serialize};

use crate::error::{check_positive, Error, Result};

/// The Lagrangian of one layer of neurons.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Lagrangian {
    /// `L = ½ Σ xᵢ²`: linear neurons, g = x.
    Identity,
    /// `L = (1/n) Σ max(xᵢ, 0)ⁿ`, n > 1: rectified polynomial neurons (n = 2 is the ReLU).
    RectifiedPower { n: f64 },
    /// `L = β⁻¹ Σ e^{βxᵢ}`.
    Exp { beta: f64 },
    /// `L = β⁻¹ log Σ e^{βxᵢ}`: softmax neurons (the modern Hopfield hidden layer).
    Softmax { beta: f64 },
    /// `L = β⁻¹ Σ ln cosh(βxᵢ)`: g = tanh(βx).
    Tanh { beta: f64 },
    /// `L = β⁻¹ Σ ln(1 + e^{βxᵢ})`: g = 1/(1 + e^{−βx}).
    Sigmoid { beta: f64 },
    /// `L = γ D √(Var x + ε) + δ Σ xᵢ` (D the layer width, Var the population variance):
    /// g is the layer normalisation of x with scale γ and shift δ.
    LayerNorm { gamma: f64, delta: f64, eps: f64 },
    /// `L = γ √(‖x‖² + ε)`: g = γ x/‖x‖ (regularised), the "spherical memory" neurons.
    SphericalNorm { gamma: f64, eps: f64 },
}

/// `ln cosh x`, stable for large |x|.
pub(crate) fn ln_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

/// `ln(1 + eˣ)`, stable for large |x|.
pub(crate) fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `eˣ` for shifted arguments x ≤ 0, with every term below e⁻⁴⁰ ≈ 4·10⁻¹⁸ set to 0: next to
/// the maximum term (e⁰ = 1) such terms are below half an ulp of the sum and cannot change it,
/// and skipping them saves the exponential for most units of a softmax layer whose memories are
/// well separated.
#[inline]
fn exp_shifted(x: f64) -> f64 {
    if x < -40.0 {
        0.0
    } else {
        x.exp()
    }
}

/// `xᵖ` for x ≥ 0, with repeated multiplication when p is a small integer (the usual degrees
/// of dense associative memories) and `powf` otherwise.
#[inline]
fn pow_nonneg(x: f64, p: f64) -> f64 {
    if p == p.trunc() && (0.0..=64.0).contains(&p) {
        x.powi(p as i32)
    } else {
        x.powf(p)
    }
}

/// `log Σ exp(zᵢ)` with the maximum subtracted first; −∞ for an empty slice.
pub fn log_sum_exp(z: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = z.clone().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + z.map(|v| exp_shifted(v - m)).sum::<f64>().ln()
}

/// Mean and `√(Var + ε)` of a layer-norm layer.
fn mean_scale(x: &[f64], eps: f64) -> (f64, f64) {
    let d = x.len() as f64;
    let mean = x.iter().sum::<f64>() / d;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / d;
    (mean, (var + eps).sqrt())
}

impl Lagrangian {
    /// Checks the parameters once, at network construction.
    pub fn check(&self) -> Result<()> {
        match *self {
            Lagrangian::Identity => Ok(()),
            Lagrangian::RectifiedPower { n } => {
                if n.is_finite() && n > 1.0 {
                    Ok(())
                } else {
                    Err(Error::param("n", format!("the rectified power must be finite and > 1, got {n}")))
                }
            }
            Lagrangian::Exp { beta }
            | Lagrangian::Softmax { beta }
            | Lagrangian::Tanh { beta }
            | Lagrangian::Sigmoid { beta } => check_positive("beta", beta),
            Lagrangian::LayerNorm { gamma, delta, eps } => {
                check_positive("gamma", gamma)?;
                crate::error::check_finite("delta", delta)?;
                check_positive("eps", eps)
            }
            Lagrangian::SphericalNorm { gamma, eps } => {
                check_positive("gamma", gamma)?;
                check_positive("eps", eps)
            }
        }
    }

    /// A short name with the parameters, for reports (the parseable form).
    pub fn label(&self) -> String {
        self.spec()
    }

    /// The parseable form `name:key=value,…` (see [`FromStr`](std::str::FromStr)).
    pub fn spec(&self) -> String {
        match *self {
            Lagrangian::Identity => "identity".into(),
            Lagrangian::RectifiedPower { n } => format!("repu:n={n}"),
            Lagrangian::Exp { beta } => format!("exp:beta={beta}"),
            Lagrangian::Softmax { beta } => format!("softmax:beta={beta}"),
            Lagrangian::Tanh { beta } => format!("tanh:beta={beta}"),
            Lagrangian::Sigmoid { beta } => format!("sigmoid:beta={beta}"),
            Lagrangian::LayerNorm { gamma, delta, eps } => format!("layernorm:gamma={gamma},delta={delta},eps={eps}"),
            Lagrangian::SphericalNorm { gamma, eps } => format!("spherical:gamma={gamma},eps={eps}"),
        }
    }

    /// Whether the Hessian has a zero mode everywhere (states may drift along it while the
    /// energy stays constant, so only energies and activations should be compared there).
    pub fn has_zero_modes(&self) -> bool {
        matches!(self, Lagrangian::Softmax { .. } | Lagrangian::LayerNorm { .. } | Lagrangian::SphericalNorm { .. })
    }

    /// `L(x)`.
    pub fn value(&self, x: &[f64]) -> f64 {
        match *self {
            Lagrangian::Identity => 0.5 * x.iter().map(|v| v * v).sum::<f64>(),
            Lagrangian::RectifiedPower { n } => x.iter().map(|&v| pow_nonneg(v.max(0.0), n)).sum::<f64>() / n,
            Lagrangian::Exp { beta } => x.iter().map(|&v| (beta * v).exp()).sum::<f64>() / beta,
            Lagrangian::Softmax { beta } => log_sum_exp(x.iter().map(|&v| beta * v)) / beta,
            Lagrangian::Tanh { beta } => x.iter().map(|&v| ln_cosh(beta * v)).sum::<f64>() / beta,
            Lagrangian::Sigmoid { beta } => x.iter().map(|&v| softplus(beta * v)).sum::<f64>() / beta,
            Lagrangian::LayerNorm { gamma, delta, eps } => {
                let (_, s) = mean_scale(x, eps);
                gamma * x.len() as f64 * s + delta * x.iter().sum::<f64>()
            }
            Lagrangian::SphericalNorm { gamma, eps } => gamma * (x.iter().map(|v| v * v).sum::<f64>() + eps).sqrt(),
        }
    }

    /// Writes the activation `g = ∇L(x)` into `g`.
    pub fn activation(&self, x: &[f64], g: &mut [f64]) {
        debug_assert_eq!(x.len(), g.len());
        match *self {
            Lagrangian::Identity => g.copy_from_slice(x),
            Lagrangian::RectifiedPower { n } => {
                for (gi, &v) in g.iter_mut().zip(x) {
                    *gi = if v > 0.0 { pow_nonneg(v, n - 1.0) } else { 0.0 };
                }
            }
            Lagrangian::Exp { beta } => {
                for (gi, &v) in g.iter_mut().zip(x) {
                    *gi = (beta * v).exp();
                }
            }
            Lagrangian::Softmax { beta } => {
                let m = x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(beta * v));
                let mut s = 0.0;
                for (gi, &v) in g.iter_mut().zip(x) {
                    *gi = exp_shifted(beta * v - m);
                    s += *gi;
                }
                g.iter_mut().for_each(|gi| *gi /= s);
            }
            Lagrangian::Tanh { beta } => {
                for (gi, &v) in g.iter_mut().zip(x) {
                    *gi = (beta * v).tanh();
                }
            }
            Lagrangian::Sigmoid { beta } => {
                for (gi, &v) in g.iter_mut().zip(x) {
                    *gi = 0.5 * (1.0 + (0.5 * beta * v).tanh());
                }
            }
            Lagrangian::LayerNorm { gamma, delta, eps } => {
                let (mean, s) = mean_scale(x, eps);
                for (gi, &v) in g.iter_mut().zip(x) {
                    *gi = gamma * (v - mean) / s + delta;
                }
            }
            Lagrangian::SphericalNorm { gamma, eps } => {
                let r = (x.iter().map(|v| v * v).sum::<f64>() + eps).sqrt();
                for (gi, &v) in g.iter_mut().zip(x) {
                    *gi = gamma * v / r;
                }
            }
        }
    }

    /// The layer's energy `⟨x, g⟩ − L(x)` given its activation `g = ∇L(x)`.
    pub fn layer_energy(&self, x: &[f64], g: &[f64]) -> f64 {
        match *self {
            // Closed forms that avoid cancelling two large terms.
            Lagrangian::Identity => self.value(x),
            Lagrangian::RectifiedPower { n } => {
                (1.0 - 1.0 / n) * x.iter().map(|&v| pow_nonneg(v.max(0.0), n)).sum::<f64>()
            }
            // ⟨x, g⟩ − L is invariant under the shift δ; for γ(x − x̄)/s it is γ Σ(x − x̄)²/s − γ D s
            // = −γ D ε / s.
            Lagrangian::LayerNorm { gamma, eps, .. } => {
                let (_, s) = mean_scale(x, eps);
                -gamma * x.len() as f64 * eps / s
            }
            Lagrangian::SphericalNorm { gamma, eps } => {
                let r = (x.iter().map(|v| v * v).sum::<f64>() + eps).sqrt();
                -gamma * eps / r
            }
            _ => x.iter().zip(g).map(|(a, b)| a * b).sum::<f64>() - self.value(x),
        }
    }

    /// Writes the Hessian-vector product `∇²L(x) v` into `out`.
    pub fn hessian_times(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        debug_assert!(x.len() == v.len() && v.len() == out.len());
        match *self {
            Lagrangian::Identity => out.copy_from_slice(v),
            Lagrangian::RectifiedPower { n } => {
                for ((o, &xi), &vi) in out.iter_mut().zip(x).zip(v) {
                    *o = if xi > 0.0 { (n - 1.0) * pow_nonneg(xi, n - 2.0) * vi } else { 0.0 };
                }
            }
            Lagrangian::Exp { beta } => {
                for ((o, &xi), &vi) in out.iter_mut().zip(x).zip(v) {
                    *o = beta * (beta * xi).exp() * vi;
                }
            }
            Lagrangian::Softmax { beta } => {
                // β (diag p − p pᵀ) v
                self.activation(x, out);
                let pv: f64 = out.iter().zip(v).map(|(p, b)| p * b).sum();
                for (o, &vi) in out.iter_mut().zip(v) {
                    *o = beta * *o * (vi - pv);
                }
            }
            Lagrangian::Tanh { beta } => {
                for ((o, &xi), &vi) in out.iter_mut().zip(x).zip(v) {
                    let t = (beta * xi).tanh();
                    *o = beta * (1.0 - t * t) * vi;
                }
            }
            Lagrangian::Sigmoid { beta } => {
                for ((o, &xi), &vi) in out.iter_mut().zip(x).zip(v) {
                    let s = 0.5 * (1.0 + (0.5 * beta * xi).tanh());
                    *o = beta * s * (1.0 - s) * vi;
                }
            }
            Lagrangian::LayerNorm { gamma, eps, .. } => {
                // (γ/s) [ P v − y (yᵀv)/(D s²) ],  P = I − 11ᵀ/D,  y = x − x̄.
                let d = x.len() as f64;
                let (mean, s) = mean_scale(x, eps);
                let vbar = v.iter().sum::<f64>() / d;
                let yv: f64 = x.iter().zip(v).map(|(&xi, &vi)| (xi - mean) * vi).sum();
                for ((o, &xi), &vi) in out.iter_mut().zip(x).zip(v) {
                    *o = gamma / s * ((vi - vbar) - (xi - mean) * yv / (d * s * s));
                }
            }
            Lagrangian::SphericalNorm { gamma, eps } => {
                // (γ/r) [ v − x (xᵀv)/r² ],  r² = ‖x‖² + ε.
                let r2 = x.iter().map(|v| v * v).sum::<f64>() + eps;
                let r = r2.sqrt();
                let xv: f64 = x.iter().zip(v).map(|(a, b)| a * b).sum();
                for ((o, &xi), &vi) in out.iter_mut().zip(x).zip(v) {
                    *o = gamma / r * (vi - xi * xv / r2);
                }
            }
        }
    }

    /// The quadratic form `vᵀ ∇²L(x) v` (≥ 0 for a convex Lagrangian).
    pub fn hessian_quad(&self, x: &[f64], v: &[f64]) -> f64 {
        let mut hv = vec![0.0; v.len()];
        self.hessian_times(x, v, &mut hv);
        hv.iter().zip(v).map(|(a, b)| a * b).sum()
    }
}

impl std::str::FromStr for Lagrangian {
    type Err = Error;

    /// Parses `name[:key=value,…]`, for example `identity`, `repu:n=3`, `softmax:beta=0.1`,
    /// `tanh`, `layernorm:gamma=1,eps=1e-5`, `spherical`. Missing β, γ are 1, δ is 0, ε is
    /// 1e-5 and n is 2.
    fn from_str(s: &str) -> Result<Self> {
        let (name, rest) = s.split_once(':').unwrap_or((s, ""));
        let mut params: Vec<(&str, f64)> = Vec::new();
        for kv in rest.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| Error::param("lagrangian", format!("`{kv}` in `{s}` is not key=value")))?;
            let v: f64 =
                v.trim().parse().map_err(|_| Error::param("lagrangian", format!("`{v}` in `{s}` is not a number")))?;
            params.push((k.trim(), v));
        }
        let allowed: &[&str] = match name.trim() {
            "identity" | "linear" => &[],
            "repu" | "relu" => &["n"],
            "exp" | "softmax" | "lse" | "tanh" | "sigmoid" => &["beta"],
            "layernorm" => &["gamma", "delta", "eps"],
            "spherical" => &["gamma", "eps"],
            other => {
                return Err(Error::param(
                    "lagrangian",
                    format!(
                        "unknown Lagrangian `{other}`; known: identity, repu, relu, exp, softmax, lse, tanh, sigmoid, \
                         layernorm, spherical"
                    ),
                ))
            }
        };
        if let Some((k, _)) = params.iter().find(|(k, _)| !allowed.contains(k)) {
            return Err(Error::param(
                "lagrangian",
                format!("`{name}` takes no parameter `{k}` (it takes: {})", allowed.join(", ")),
            ));
        }
        let get = |k: &str, default: f64| params.iter().rev().find(|p| p.0 == k).map_or(default, |p| p.1);
        let lag = match name.trim() {
            "identity" | "linear" => Lagrangian::Identity,
            "repu" => Lagrangian::RectifiedPower { n: get("n", 2.0) },
            "relu" => Lagrangian::RectifiedPower { n: 2.0 },
            "exp" => Lagrangian::Exp { beta: get("beta", 1.0) },
            "softmax" | "lse" => Lagrangian::Softmax { beta: get("beta", 1.0) },
            "tanh" => Lagrangian::Tanh { beta: get("beta", 1.0) },
            "sigmoid" => Lagrangian::Sigmoid { beta: get("beta", 1.0) },
            "layernorm" => {
                Lagrangian::LayerNorm { gamma: get("gamma", 1.0), delta: get("delta", 0.0), eps: get("eps", 1e-5) }
            }
            _ => Lagrangian::SphericalNorm { gamma: get("gamma", 1.0), eps: get("eps", 1e-5) },
        };
        lag.check()?;
        Ok(lag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use rand::Rng;

    fn all() -> Vec<Lagrangian> {
        vec![
            Lagrangian::Identity,
            Lagrangian::RectifiedPower { n: 2.0 },
            Lagrangian::RectifiedPower { n: 3.5 },
            Lagrangian::Exp { beta: 0.7 },
            Lagrangian::Softmax { beta: 1.3 },
            Lagrangian::Tanh { beta: 2.0 },
            Lagrangian::Sigmoid { beta: 1.5 },
            Lagrangian::LayerNorm { gamma: 1.2, delta: 0.3, eps: 1e-3 },
            Lagrangian::SphericalNorm { gamma: 0.8, eps: 1e-3 },
        ]
    }

    fn random_x(d: usize, seed: u64) -> Vec<f64> {
        let mut r = stream(seed, 0);
        // Keep rectified units away from the kink at 0, where the finite difference straddles it.
        (0..d)
            .map(|_| {
                let v: f64 = r.random::<f64>() * 3.0 - 1.5;
                if v.abs() < 0.05 {
                    0.3
                } else {
                    v
                }
            })
            .collect()
    }

    #[test]
    fn activation_is_the_gradient_of_the_lagrangian() {
        let h = 1e-6;
        for lag in all() {
            for seed in 0..5 {
                let x = random_x(7, seed);
                let mut g = vec![0.0; 7];
                lag.activation(&x, &mut g);
                for i in 0..7 {
                    let (mut a, mut b) = (x.clone(), x.clone());
                    a[i] += h;
                    b[i] -= h;
                    let fd = (lag.value(&a) - lag.value(&b)) / (2.0 * h);
                    assert!((fd - g[i]).abs() <= 1e-6 * (1.0 + g[i].abs()), "{lag:?} i={i}: fd {fd} vs g {}", g[i]);
                }
            }
        }
    }

    #[test]
    fn hessian_is_the_jacobian_of_the_activation_and_is_psd() {
        let h = 1e-6;
        for lag in all() {
            for seed in 0..5 {
                let x = random_x(6, 100 + seed);
                let mut r = stream(seed, 9);
                let v: Vec<f64> = (0..6).map(|_| r.random::<f64>() - 0.5).collect();
                let mut hv = vec![0.0; 6];
                lag.hessian_times(&x, &v, &mut hv);
                // Directional derivative of g along v.
                let (mut a, mut b) = (x.clone(), x.clone());
                a.iter_mut().zip(&v).for_each(|(xi, vi)| *xi += h * vi);
                b.iter_mut().zip(&v).for_each(|(xi, vi)| *xi -= h * vi);
                let (mut ga, mut gb) = (vec![0.0; 6], vec![0.0; 6]);
                lag.activation(&a, &mut ga);
                lag.activation(&b, &mut gb);
                for i in 0..6 {
                    let fd = (ga[i] - gb[i]) / (2.0 * h);
                    assert!((fd - hv[i]).abs() <= 1e-5 * (1.0 + hv[i].abs()), "{lag:?}: {fd} vs {}", hv[i]);
                }
                assert!(lag.hessian_quad(&x, &v) >= -1e-12, "{lag:?} not convex");
            }
        }
    }

    #[test]
    fn layer_energy_is_the_legendre_transform() {
        for lag in all() {
            let x = random_x(9, 3);
            let mut g = vec![0.0; 9];
            lag.activation(&x, &mut g);
            let direct = x.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>() - lag.value(&x);
            let e = lag.layer_energy(&x, &g);
            assert!((e - direct).abs() <= 1e-10 * (1.0 + direct.abs()), "{lag:?}: {e} vs {direct}");
        }
    }

    #[test]
    fn closed_forms_at_a_point() {
        let x = [1.0, -2.0, 0.5];
        assert!((Lagrangian::Identity.value(&x) - 2.625).abs() < 1e-15);
        assert!((Lagrangian::RectifiedPower { n: 3.0 }.value(&x) - (1.0 + 0.125) / 3.0).abs() < 1e-15);
        let sm = Lagrangian::Softmax { beta: 2.0 };
        let direct = (2f64.exp() + (-4f64).exp() + 1f64.exp()).ln() / 2.0;
        assert!((sm.value(&x) - direct).abs() < 1e-14);
        let mut g = [0.0; 3];
        sm.activation(&x, &mut g);
        assert!((g.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        Lagrangian::Tanh { beta: 1.0 }.activation(&x, &mut g);
        assert!((g[1] - (-2f64).tanh()).abs() < 1e-15);
    }

    #[test]
    fn large_arguments_stay_finite() {
        let x = [1e4, -1e4, 3e3];
        for lag in all().into_iter().filter(|l| !matches!(l, Lagrangian::Exp { .. })) {
            let mut g = [0.0; 3];
            lag.activation(&x, &mut g);
            assert!(lag.value(&x).is_finite() && g.iter().all(|v| v.is_finite()), "{lag:?}");
            assert!(lag.layer_energy(&x, &g).is_finite(), "{lag:?}");
        }
    }

    #[test]
    fn spec_round_trips_through_the_parser() {
        for lag in all() {
            assert_eq!(lag.spec().parse::<Lagrangian>().unwrap(), lag);
        }
    }

    #[test]
    fn parses_names_and_parameters() {
        assert_eq!("identity".parse::<Lagrangian>().unwrap(), Lagrangian::Identity);
        assert_eq!("repu:n=3".parse::<Lagrangian>().unwrap(), Lagrangian::RectifiedPower { n: 3.0 });
        assert_eq!("softmax:beta=0.1".parse::<Lagrangian>().unwrap(), Lagrangian::Softmax { beta: 0.1 });
        assert_eq!(
            "layernorm:gamma=2, eps=1e-3".parse::<Lagrangian>().unwrap(),
            Lagrangian::LayerNorm { gamma: 2.0, delta: 0.0, eps: 1e-3 }
        );
        for (bad, needle) in [
            ("cosh", "unknown Lagrangian"),
            ("tanh:n=2", "takes no parameter `n`"),
            ("softmax:beta", "not key=value"),
            ("softmax:beta=x", "not a number"),
            ("softmax:beta=-1", "`beta`"),
            ("repu:n=1", "`n`"),
        ] {
            let e = bad.parse::<Lagrangian>().unwrap_err().to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        for (lag, name) in [
            (Lagrangian::RectifiedPower { n: 1.0 }, "n"),
            (Lagrangian::Softmax { beta: 0.0 }, "beta"),
            (Lagrangian::Tanh { beta: f64::NAN }, "beta"),
            (Lagrangian::LayerNorm { gamma: 1.0, delta: 0.0, eps: 0.0 }, "eps"),
            (Lagrangian::SphericalNorm { gamma: -1.0, eps: 1e-3 }, "gamma"),
        ] {
            let e = lag.check().unwrap_err().to_string();
            assert!(e.contains(&format!("`{name}`")), "{e}");
        }
    }
}
