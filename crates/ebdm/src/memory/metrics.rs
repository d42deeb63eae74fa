//! Retrieval metrics for ±1 states.

use super::bits::BitPatterns;
use super::patterns::Patterns;
use crate::error::{Error, Result};

fn same_len(a: &[i8], b: &[i8]) -> Result<()> {
    if a.len() != b.len() || a.is_empty() {
        return Err(Error::Shape(format!("vectors of lengths {} and {} cannot be compared", a.len(), b.len())));
    }
    Ok(())
}

/// Normalised overlap `m = (1/N) Σ_i ξ_i σ_i ∈ [−1, 1]`.
pub fn overlap(pattern: &[i8], state: &[i8]) -> Result<f64> {
    same_len(pattern, state)?;
    let dot: i64 = pattern.iter().zip(state).map(|(&a, &b)| (a as i64) * (b as i64)).sum();
    Ok(dot as f64 / pattern.len() as f64)
}

/// Fraction of components that differ: `(1 − m)/2`.
pub fn bit_error_rate(pattern: &[i8], state: &[i8]) -> Result<f64> {
    Ok((1.0 - overlap(pattern, state)?) / 2.0)
}

/// Whether the state equals the pattern exactly (m = 1).
pub fn exact_recall(pattern: &[i8], state: &[i8]) -> Result<bool> {
    same_len(pattern, state)?;
    Ok(pattern == state)
}

/// One-step stability of stored patterns under Hebbian weights with zero diagonal.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Stability {
    /// Fraction of bits i with sgn(h_i(ξ^μ)) = ξ_i^μ, over all patterns.
    pub bit_fraction: f64,
    /// Fraction of patterns that are fixed points.
    pub pattern_fraction: f64,
    /// Whether every pattern is a fixed point.
    pub all_fixed: bool,
}

/// One-step stability of every stored pattern of a Hebbian network (zero diagonal), with the
/// strict criterion `ξ_i^μ h_i(ξ^μ) > 0` (McEliece et al. 1987).
///
/// Uses `N·h(ξ^μ) = Σ_ν G_{μν} ξ^ν − K ξ^μ` with the Gram matrix `G = ΞΞᵀ` computed by
/// bit-packed popcounts: O(K²N/64 + K²N) instead of forming the N×N weights.
pub fn hebbian_stability(p: &Patterns) -> Result<Stability> {
    if p.is_empty() {
        return Err(Error::param("patterns", "at least one pattern is needed"));
    }
    let (k, n) = (p.count(), p.len());
    let g = BitPatterns::from_patterns(p).gram();
    let mut h = vec![0i64; n];
    let (mut good_bits, mut fixed) = (0usize, 0usize);
    for mu in 0..k {
        h.iter_mut().for_each(|x| *x = 0);
        for nu in 0..k {
            let c = g[mu * k + nu] as i64;
            for (hi, &x) in h.iter_mut().zip(p.row(nu)) {
                *hi += c * x as i64;
            }
        }
        let row = p.row(mu);
        let good = h.iter().zip(row).filter(|(&hi, &x)| (hi - k as i64 * x as i64) * x as i64 > 0).count();
        good_bits += good;
        fixed += usize::from(good == n);
    }
    Ok(Stability {
        bit_fraction: good_bits as f64 / (k * n) as f64,
        pattern_fraction: fixed as f64 / k as f64,
        all_fixed: fixed == k,
    })
}

/// Whether `a → b → a` under a map is a 2-cycle, i.e. `a ≠ b` and the map of b is a.
pub fn is_two_cycle(a: &[i8], b: &[i8], next_of_b: &[i8]) -> bool {
    a != b && a == next_of_b
}

/// Standard normal upper tail `Φ_c(x) = P(Z > x) = ½ erfc(x/√2)`.
pub fn normal_tail(x: f64) -> f64 {
    0.5 * erfc(x / std::f64::consts::SQRT_2)
}

/// Complementary error function by the Chebyshev fit of Press et al., *Numerical Recipes*,
/// §6.2 (fractional error below 1.2e-7 everywhere).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::memory::{Hopfield, LearningRule};

    #[test]
    fn overlap_and_errors() {
        let a = [1, -1, 1, 1];
        let b = [1, 1, 1, -1];
        assert_eq!(overlap(&a, &b).unwrap(), 0.0);
        assert_eq!(bit_error_rate(&a, &b).unwrap(), 0.5);
        assert!(exact_recall(&a, &a).unwrap());
        assert!(overlap(&a, &b[..3]).is_err());
    }

    #[test]
    fn stability_matches_dense_network() {
        let mut rng = stream(4, 0);
        let p = Patterns::random(30, 120, &mut rng).unwrap();
        let net = Hopfield::train(&p, LearningRule::Hebb).unwrap();
        let s = hebbian_stability(&p).unwrap();
        let (mut bits, mut fixed) = (0, 0);
        for mu in 0..30 {
            let h = net.local_field(p.row(mu)).unwrap();
            let good = h.iter().zip(p.row(mu)).filter(|(&hi, &x)| hi * x as f64 > 1e-12).count();
            bits += good;
            fixed += usize::from(good == 120);
        }
        assert!((s.bit_fraction - bits as f64 / 3600.0).abs() < 1e-12);
        assert!((s.pattern_fraction - fixed as f64 / 30.0).abs() < 1e-12);
    }

    #[test]
    fn normal_tail_values() {
        assert!((normal_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_tail(1.959_964) - 0.025).abs() < 1e-7);
        assert!((normal_tail(-1.0) - 0.841_344_746).abs() < 1e-7);
    }
}
