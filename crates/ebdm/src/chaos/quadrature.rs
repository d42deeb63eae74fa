//! Gauss–Hermite quadrature for Gaussian averages E_{z~N(0,1)} f(z), the deterministic
//! replacement for the Monte Carlo averages of mean-field equations.

use faer::{Mat, Side};

use crate::error::{Error, Result};

/// Nodes and weights of the `n`-point rule for the standard normal measure:
/// `E f(z) ≈ Σ_i w_i f(z_i)`, exact for polynomials of degree < 2n, `Σ w_i = 1`.
#[derive(Clone, Debug)]
pub struct GaussHermite {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

impl GaussHermite {
    /// The rule by the Golub–Welsch method: the nodes are the eigenvalues of the Jacobi matrix of
    /// the probabilists' Hermite polynomials (zero diagonal, off-diagonal `√k`), the weights the
    /// squared first components of its normalised eigenvectors.
    pub fn new(n: usize) -> Result<Self> {
        if !(1..=1000).contains(&n) {
            return Err(Error::param("nodes", format!("must be between 1 and 1000, got {n}")));
        }
        let mut j = Mat::<f64>::zeros(n, n);
        for k in 1..n {
            let b = (k as f64).sqrt();
            j[(k - 1, k)] = b;
            j[(k, k - 1)] = b;
        }
        let eig =
            j.self_adjoint_eigen(Side::Lower).map_err(|e| Error::Numerical(format!("Gauss–Hermite nodes: {e:?}")))?;
        let (u, s) = (eig.U(), eig.S());
        let mut nodes: Vec<f64> = (0..n).map(|i| s.column_vector()[i]).collect();
        let mut weights: Vec<f64> = (0..n).map(|i| u[(0, i)] * u[(0, i)]).collect();
        // The rule is symmetric; symmetrising removes the eigensolver's rounding asymmetry.
        for i in 0..n / 2 {
            let (a, b) = (i, n - 1 - i);
            let x = 0.5 * (nodes[b] - nodes[a]);
            let w = 0.5 * (weights[a] + weights[b]);
            (nodes[a], nodes[b], weights[a], weights[b]) = (-x, x, w, w);
        }
        if n % 2 == 1 {
            nodes[n / 2] = 0.0;
        }
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        Ok(Self { nodes, weights })
    }

    /// `E f(√var · z)` for `z ~ N(0, 1)`: the average of `f` over `N(0, var)`.
    pub fn mean(&self, var: f64, f: impl Fn(f64) -> f64) -> f64 {
        let s = var.max(0.0).sqrt();
        self.nodes.iter().zip(&self.weights).map(|(&z, &w)| w * f(s * z)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_moments_are_exact() {
        let q = GaussHermite::new(21).unwrap();
        // E z^{2k} = (2k − 1)!!
        let expected = [1.0, 1.0, 3.0, 15.0, 105.0, 945.0, 10395.0];
        for (k, e) in expected.iter().enumerate() {
            let m = q.mean(1.0, |z| z.powi(2 * k as i32));
            assert!((m - e).abs() < 1e-11 * e, "E z^{} = {m}", 2 * k);
            // Odd moments vanish up to the rounding of terms as large as E|z|^{2k+1}.
            assert!(
                q.mean(1.0, |z| z.powi(2 * k as i32 + 1)).abs()
                    < 1e-12 * expected[k + 1..].first().unwrap_or(e).max(1.0)
            );
        }
        // E cos(z) = e^{-1/2} for N(0, 1); E cos(z) = e^{-var/2} for N(0, var).
        let q = GaussHermite::new(61).unwrap();
        assert!((q.mean(4.0, f64::cos) - (-2.0f64).exp()).abs() < 1e-13);
        assert!(GaussHermite::new(0).is_err());
    }
}
