//! The cross-language reproducible SM-LASSO fixture (spec §4.1).
//!
//! A SplitMix64 stream (all arithmetic wrapping mod 2⁶⁴) gives uniforms `u = (out ≫ 11)·2⁻⁵³`;
//! `X_ij = √3(2u − 1)` row-major, then the noise `e_i = 0.1·√3(2u − 1)` from the same stream,
//! `w_true[40j] = (−1)ʲ(1 + j/49)` for `j < k`, and `y = X w_true + e`. Any language with 64-bit
//! integers reproduces it bit for bit, which is what makes cross-solver comparisons exact.

use faer::Mat;

use crate::error::{Error, Result};

/// The SplitMix64 generator (Steele, Lea & Flood 2014).
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform in `[−√3, √3)`: zero mean, unit variance.
    pub fn unit_variance(&mut self) -> f64 {
        3f64.sqrt() * (2.0 * self.uniform() - 1.0)
    }
}

/// A least-squares instance with its planted solution.
#[derive(Clone, Debug)]
pub struct LassoFixture {
    /// Design matrix, `n × p`.
    pub x: Mat<f64>,
    /// Targets, length `n`.
    pub y: Vec<f64>,
    /// The planted coefficients, length `p`.
    pub w_true: Vec<f64>,
    pub seed: u64,
}

/// Generates SM-LASSO with `n` samples, `p` features and `k` planted nonzeros at spacing 40
/// (the spec's instance is `seed = 42, n = 500, p = 2000, k = 50`).
pub fn sm_lasso(seed: u64, n: usize, p: usize, k: usize) -> Result<LassoFixture> {
    if n == 0 || p == 0 {
        return Err(Error::param("n, p", format!("need n ≥ 1 and p ≥ 1, got n = {n}, p = {p}")));
    }
    crate::size::check_memory("p", format!("the {n}×{p} design matrix"), crate::size::bytes(&[n, p], 8))?;
    if k > 0 && 40 * (k - 1) >= p {
        return Err(Error::param("k", format!("{k} nonzeros at spacing 40 need p > {}, got p = {p}", 40 * (k - 1))));
    }
    let mut rng = SplitMix64::new(seed);
    let mut x = Mat::<f64>::zeros(n, p);
    for i in 0..n {
        for j in 0..p {
            x[(i, j)] = rng.unit_variance();
        }
    }
    let noise: Vec<f64> = (0..n).map(|_| 0.1 * rng.unit_variance()).collect();
    let mut w_true = vec![0.0; p];
    let denom = if k > 1 { (k - 1) as f64 } else { 1.0 };
    for j in 0..k {
        let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
        w_true[40 * j] = sign * (1.0 + j as f64 / denom);
    }
    let y = (0..n)
        .map(|i| {
            let mut s = 0.0;
            for j in 0..k {
                s += x[(i, 40 * j)] * w_true[40 * j];
            }
            s + noise[i]
        })
        .collect();
    Ok(LassoFixture { x, y, w_true, seed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_check_values() {
        assert_eq!(SplitMix64::new(0).next_u64(), 0xe220a8397b1dcdaf);
        assert_eq!(SplitMix64::new(42).next_u64(), 0xbdd732262feb6e95);
    }

    /// Spec A2: generator check values to 1e-12 relative.
    #[test]
    fn sm_lasso_matches_the_reference_digits() {
        let fx = sm_lasso(42, 500, 2000, 50).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        assert!(close(fx.x[(0, 0)], 0.836805286714029));
        assert!(close(fx.x[(0, 1)], -1.1781049573266253));
        assert!(close(fx.x[(0, 2)], -0.7669481822728474));
        assert!(close(fx.x[(499, 1999)], 1.2478160617232965));
        let mut sx = 0.0;
        for j in 0..2000 {
            for i in 0..500 {
                sx += fx.x[(i, j)];
            }
        }
        assert!(close(sx, 692.6045068829051), "ΣX = {sx}");
        let sy: f64 = fx.y.iter().sum();
        assert!(close(sy, 135.34060196734288), "Σy = {sy}");
        assert_eq!(fx.w_true.iter().filter(|w| **w != 0.0).count(), 50);
        assert_eq!(fx.w_true[40 * 49], -2.0);
    }

    #[test]
    fn impossible_sizes_are_errors() {
        assert!(sm_lasso(0, 0, 10, 1).is_err());
        assert!(sm_lasso(0, 10, 100, 50).is_err());
    }
}
