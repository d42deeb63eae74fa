//! The Gaussian–Bernoulli RBM with fixed per-unit standard deviations.
//!
//! # Model
//!
//! Real visible units `v ∈ ℝⁿ` with standard deviations `σ_i`, binary hidden units `h`:
//!
//! ```text
//! E(v, h) = Σ_i (v_i − b_i)²/(2σ_i²) − cᵀh − Σ_ij (v_i/σ_i) W_ij h_j,
//! p(h_j = 1 | v) = σ(c_j + Σ_i W_ij v_i/σ_i),        p(v_i | h) = N(b_i + σ_i (Wh)_i, σ_i²),
//! F(v) = Σ_i (v_i − b_i)²/(2σ_i²) − Σ_j softplus(c_j + Σ_i W_ij v_i/σ_i).
//! ```
//!
//! Integrating the Gaussian in closed form gives the exact partition function by enumerating
//! the hidden layer:
//!
//! ```text
//! log Z = (n/2) log 2π + Σ_i log σ_i + logsumexp_h [cᵀh + Σ_i (b_i/σ_i)(Wh)_i + ½‖Wh‖²].
//! ```
//!
//! Usual practice: standardise every visible dimension and keep `σ = 1`.

use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::math::{sigmoid, softplus, LogSumExp};
use super::rbm::{check_sizes, MAX_EXACT_UNITS};
use crate::engine::replicas::run_seeded;
use crate::engine::rng::Rng64;
use crate::engine::run::{RunControl, RunLimits, StopFlag};
use crate::error::{Error, Result};

/// A Gaussian–Bernoulli RBM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianRbm {
    visible: usize,
    hidden: usize,
    /// `n × m` row-major.
    w: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
    sigma: Vec<f64>,
}

impl GaussianRbm {
    /// A model from its parameters. Errors: empty layers, shapes that disagree, values that are
    /// not finite, or a standard deviation that is not positive.
    pub fn new(visible: usize, hidden: usize, w: Vec<f64>, b: Vec<f64>, c: Vec<f64>, sigma: Vec<f64>) -> Result<Self> {
        check_sizes(visible, hidden)?;
        if w.len() != visible * hidden || b.len() != visible || c.len() != hidden || sigma.len() != visible {
            return Err(Error::Shape(format!(
                "a Gaussian RBM with {visible} visible and {hidden} hidden units needs W of {}, b and σ of {visible}, \
                 c of {hidden} values",
                visible * hidden
            )));
        }
        if let Some(k) = w.iter().chain(&b).chain(&c).position(|x| !x.is_finite()) {
            return Err(Error::param("gaussian_rbm", format!("parameter {k} is not finite")));
        }
        if let Some(i) = sigma.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::param("sigma", format!("σ[{i}] = {} must be finite and > 0", sigma[i])));
        }
        Ok(Self { visible, hidden, w, b, c, sigma })
    }

    /// The same model after the checks of [`GaussianRbm::new`] (for parameters read from a
    /// file).
    pub fn validated(self) -> Result<Self> {
        Self::new(self.visible, self.hidden, self.w, self.b, self.c, self.sigma)
    }

    /// Number of visible units.
    pub fn visible(&self) -> usize {
        self.visible
    }
    /// Number of hidden units.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Weights `W`, `n × m` row-major.
    pub fn weights(&self) -> &[f64] {
        &self.w
    }
    /// Visible biases `b`.
    pub fn visible_bias(&self) -> &[f64] {
        &self.b
    }
    /// Hidden biases `c`.
    pub fn hidden_bias(&self) -> &[f64] {
        &self.c
    }
    /// Standard deviations `σ`.
    pub fn sigma(&self) -> &[f64] {
        &self.sigma
    }

    /// `(Wh)_i` for every visible unit.
    pub(crate) fn wh(&self, h: &[f64]) -> Vec<f64> {
        let m = self.hidden;
        (0..self.visible).map(|i| self.w[i * m..(i + 1) * m].iter().zip(h).map(|(a, b)| a * b).sum()).collect()
    }

    /// Hidden pre-activations `c_j + Σ_i W_ij v_i/σ_i`.
    #[allow(clippy::needless_range_loop)]
    pub(crate) fn hidden_input(&self, v: &[f64]) -> Vec<f64> {
        let m = self.hidden;
        let mut x = self.c.clone();
        for i in 0..self.visible {
            let s = v[i] / self.sigma[i];
            x.iter_mut().zip(&self.w[i * m..(i + 1) * m]).for_each(|(a, &w)| *a += s * w);
        }
        x
    }

    /// `E(v, h)`.
    pub fn energy(&self, v: &[f64], h: &[f64]) -> f64 {
        let wh = self.wh(h);
        let mut e = -self.c.iter().zip(h).map(|(a, b)| a * b).sum::<f64>();
        for i in 0..self.visible {
            let d = v[i] - self.b[i];
            e += d * d / (2.0 * self.sigma[i] * self.sigma[i]) - v[i] / self.sigma[i] * wh[i];
        }
        e
    }

    /// `F(v) = Σ_i (v_i − b_i)²/(2σ_i²) − Σ_j softplus(c_j + Σ_i W_ij v_i/σ_i)`.
    pub fn free_energy(&self, v: &[f64]) -> f64 {
        let quad: f64 = (0..self.visible).map(|i| (v[i] - self.b[i]).powi(2) / (2.0 * self.sigma[i].powi(2))).sum();
        quad - self.hidden_input(v).iter().map(|&x| softplus(x)).sum::<f64>()
    }

    /// `p(h_j = 1 | v)`.
    pub fn hidden_probs(&self, v: &[f64]) -> Vec<f64> {
        self.hidden_input(v).into_iter().map(sigmoid).collect()
    }

    /// The mean `b_i + σ_i (Wh)_i` of `p(v | h)` (the reconstruction used for monitoring).
    pub fn visible_mean(&self, h: &[f64]) -> Vec<f64> {
        self.wh(h).iter().enumerate().map(|(i, a)| self.b[i] + self.sigma[i] * a).collect()
    }

    /// A sample of `p(h | v)`.
    pub fn sample_hidden(&self, v: &[f64], rng: &mut Rng64) -> Vec<f64> {
        self.hidden_probs(v).into_iter().map(|p| f64::from(u8::from(rng.random::<f64>() < p))).collect()
    }

    /// A sample of `p(v | h)`.
    pub fn sample_visible(&self, h: &[f64], rng: &mut Rng64) -> Vec<f64> {
        self.visible_mean(h)
            .iter()
            .zip(&self.sigma)
            .map(|(mu, s)| mu + s * rng.sample::<f64, _>(StandardNormal))
            .collect()
    }

    /// `max(steps, 1)` block-Gibbs sweeps v → h → v from every row of `rows` (row-major,
    /// `visible` wide, in the model's units), row `i` drawing from the stream `(seed, [i])`;
    /// returns the mean of `p(v | h)` at the last sweep (a reconstruction, free of the sampling
    /// noise of v). Rows run in parallel with the same results at any thread count.
    pub fn gibbs_means(&self, rows: &[f64], steps: usize, seed: u64, stop: &StopFlag) -> Result<Vec<f64>> {
        let n = self.visible;
        if n == 0 || !rows.len().is_multiple_of(n) {
            return Err(Error::Shape(format!("{} values are not whole rows of {n} visible units", rows.len())));
        }
        let limits = RunLimits::steps(steps.max(1));
        let means = run_seeded(rows.len() / n, seed, &[], stop, |i, rng| {
            let mut x = rows[i * n..(i + 1) * n].to_vec();
            let mut mean = x.clone();
            let mut run = RunControl::start(&limits, stop)?;
            while run.proceed() {
                let h = self.sample_hidden(&x, rng);
                mean = self.visible_mean(&h);
                x = self.sample_visible(&h, rng);
                run.advance();
            }
            Ok(mean)
        })?;
        Ok(means.into_iter().flat_map(|m| m.unwrap_or_default()).collect())
    }

    /// Exact `log Z` by enumerating the hidden layer with the Gaussian integrated out.
    #[allow(clippy::needless_range_loop)]
    pub fn log_z_exact(&self) -> Result<f64> {
        let (n, m) = (self.visible, self.hidden);
        if m > MAX_EXACT_UNITS {
            return Err(Error::param("hidden", format!("exact enumeration of {m} units is out of reach")));
        }
        let mut acc = LogSumExp::new();
        let mut h = vec![0.0; m];
        for x in 0..(1u64 << m) {
            h.iter_mut().enumerate().for_each(|(j, v)| *v = (x >> j & 1) as f64);
            let wh = self.wh(&h);
            let mut t = self.c.iter().zip(&h).map(|(a, b)| a * b).sum::<f64>();
            for i in 0..n {
                t += self.b[i] / self.sigma[i] * wh[i] + 0.5 * wh[i] * wh[i];
            }
            acc.push(t);
        }
        let consts =
            0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln() + self.sigma.iter().map(|s| s.ln()).sum::<f64>();
        Ok(consts + acc.value())
    }

    /// `log p(v) = −F(v) − log Z` for a given `log Z`.
    pub fn log_density(&self, v: &[f64], log_z: f64) -> f64 {
        -self.free_energy(v) - log_z
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    fn model(n: usize, m: usize, seed: u64) -> GaussianRbm {
        let mut rng = stream(seed, 3);
        let mut g = |k: usize, s: f64| (0..k).map(|_| s * rng.sample::<f64, _>(StandardNormal)).collect::<Vec<f64>>();
        let (w, b, c) = (g(n * m, 0.6), g(n, 1.0), g(m, 1.0));
        let sigma: Vec<f64> = (0..n).map(|i| 0.7 + 0.4 * i as f64).collect();
        GaussianRbm::new(n, m, w, b, c, sigma).unwrap()
    }

    /// Trapezoid rule on a uniform grid; for these rapidly decaying smooth integrands it
    /// converges far below 1e-6.
    fn grid(lo: f64, hi: f64, k: usize) -> Vec<f64> {
        (0..=k).map(|i| lo + (hi - lo) * i as f64 / k as f64).collect()
    }

    #[test]
    fn x6_closed_form_log_z_matches_quadrature() {
        let g = model(1, 3, 1);
        let xs = grid(-25.0, 25.0, 5000);
        let hstep = xs[1] - xs[0];
        let mut acc = LogSumExp::new();
        xs.iter().for_each(|&x| acc.push(-g.free_energy(&[x])));
        let quad = acc.value() + hstep.ln();
        assert!((quad - g.log_z_exact().unwrap()).abs() < 1e-6, "{quad} vs {}", g.log_z_exact().unwrap());
        let g = model(2, 3, 2);
        let xs = grid(-25.0, 25.0, 1500);
        let hstep = xs[1] - xs[0];
        let mut acc = LogSumExp::new();
        for &a in &xs {
            for &b in &xs {
                acc.push(-g.free_energy(&[a, b]));
            }
        }
        let quad = acc.value() + 2.0 * hstep.ln();
        assert!((quad - g.log_z_exact().unwrap()).abs() < 1e-6, "{quad} vs {}", g.log_z_exact().unwrap());
    }

    #[test]
    fn free_energy_marginalises_the_joint_and_conditionals_are_ratios() {
        let g = model(3, 4, 3);
        let v = [0.3, -1.2, 2.0];
        let mut acc = LogSumExp::new();
        for x in 0..16u64 {
            let h: Vec<f64> = (0..4).map(|j| (x >> j & 1) as f64).collect();
            acc.push(-g.energy(&v, &h));
        }
        assert!((acc.value() + g.free_energy(&v)).abs() < 1e-12);
        let p = g.hidden_probs(&v);
        for j in 0..4 {
            let mut h1 = vec![0.0, 1.0, 0.0, 1.0];
            let mut h0 = h1.clone();
            h1[j] = 1.0;
            h0[j] = 0.0;
            let (e1, e0) = ((-g.energy(&v, &h1)).exp(), (-g.energy(&v, &h0)).exp());
            assert!((p[j] - e1 / (e0 + e1)).abs() < 1e-12);
        }
    }

    #[test]
    fn visible_samples_have_the_conditional_mean_and_variance() {
        let g = model(2, 3, 4);
        let h = [1.0, 0.0, 1.0];
        let mean = g.visible_mean(&h);
        let mut rng = stream(8, 8);
        let count = 200_000;
        let (mut s1, mut s2) = (vec![0.0; 2], vec![0.0; 2]);
        for _ in 0..count {
            let v = g.sample_visible(&h, &mut rng);
            for i in 0..2 {
                s1[i] += v[i];
                s2[i] += v[i] * v[i];
            }
        }
        for i in 0..2 {
            let m = s1[i] / count as f64;
            let var = s2[i] / count as f64 - m * m;
            let sd = g.sigma[i];
            assert!((m - mean[i]).abs() < 4.0 * sd / (count as f64).sqrt(), "mean {m} vs {}", mean[i]);
            assert!((var / (sd * sd) - 1.0).abs() < 0.02, "variance {var} vs {}", sd * sd);
        }
        // Conditional mean from the energy: E is quadratic in v_i with minimum at the mean.
        let e = |x: f64| g.energy(&[x, 0.4], &h);
        let d = (e(mean[0] + 1e-4) - e(mean[0] - 1e-4)) / 2e-4;
        assert!(d.abs() < 1e-6);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert!(GaussianRbm::new(1, 1, vec![0.0], vec![0.0], vec![0.0], vec![0.0])
            .unwrap_err()
            .to_string()
            .contains("σ[0]"));
        assert!(GaussianRbm::new(1, 0, vec![], vec![0.0], vec![], vec![1.0]).is_err());
        assert!(GaussianRbm::new(2, 1, vec![0.0], vec![0.0], vec![0.0], vec![1.0]).is_err());
    }
}
