//! Numerically stable scalar primitives shared by the Boltzmann-machine code.
//!
//! - `softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|})`, exact to rounding for every `x`;
//! - `σ(x) = 1/(1 + e^{−x})` evaluated through `e^{−|x|}` so that it never overflows;
//! - `log σ(x) = −softplus(−x)`, never `ln(σ(x))`, which loses everything once `σ(x)` rounds to 1;
//! - log-sum-exp accumulators that shift by the running maximum.

/// `log(1 + eˣ)` without overflow or cancellation.
#[inline]
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Logistic function `σ(x) = 1/(1 + e^{−x})`, sign-split so that `e^{…}` never overflows.
#[inline]
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Single-precision logistic function (same sign split).
#[inline]
pub fn sigmoid_f32(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `log σ(x) = −softplus(−x)`.
#[inline]
pub fn log_sigmoid(x: f64) -> f64 {
    -softplus(-x)
}

/// `log(eᵃ + eᵇ)`.
#[inline]
pub fn logaddexp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + (-(a - b).abs()).exp().ln_1p()
}

/// `log(eᵃ − eᵇ)` for `a ≥ b`; `−∞` when `a = b`, NaN when `a < b`.
#[inline]
pub fn logdiffexp(a: f64, b: f64) -> f64 {
    if a < b {
        return f64::NAN;
    }
    if a == b || b == f64::NEG_INFINITY && a == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    a + (-(b - a).exp()).ln_1p()
}

/// `log Σ exp(xᵢ)` over a slice (`−∞` for an empty slice).
pub fn logsumexp(xs: &[f64]) -> f64 {
    let mut acc = LogSumExp::new();
    xs.iter().for_each(|&x| acc.push(x));
    acc.value()
}

/// A running `log Σ exp(xᵢ)`: the maximum so far and the sum of `exp(xᵢ − max)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogSumExp {
    max: f64,
    sum: f64,
}

impl Default for LogSumExp {
    fn default() -> Self {
        Self::new()
    }
}

impl LogSumExp {
    /// The empty sum (`log 0 = −∞`).
    pub fn new() -> Self {
        Self { max: f64::NEG_INFINITY, sum: 0.0 }
    }

    /// Adds `exp(x)`.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if x <= self.max {
            self.sum += (x - self.max).exp();
        } else if x.is_finite() || x == f64::INFINITY {
            self.sum = self.sum * (self.max - x).exp() + 1.0;
            self.max = x;
        } else if x.is_nan() {
            self.max = f64::NAN;
        }
    }

    /// Adds another accumulated sum.
    pub fn merge(&mut self, other: &LogSumExp) {
        if other.max == f64::NEG_INFINITY {
            return;
        }
        if self.max == f64::NEG_INFINITY {
            *self = *other;
            return;
        }
        if other.max <= self.max {
            self.sum += other.sum * (other.max - self.max).exp();
        } else {
            self.sum = self.sum * (self.max - other.max).exp() + other.sum;
            self.max = other.max;
        }
    }

    /// `log Σ exp(xᵢ)`.
    pub fn value(&self) -> f64 {
        if self.max == f64::NEG_INFINITY {
            f64::NEG_INFINITY
        } else {
            self.max + self.sum.ln()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_match_naive_forms_where_those_are_accurate() {
        for &x in &[-30.0, -3.0, -0.5, 0.0, 0.7, 4.0, 25.0] {
            assert!((softplus(x) - (1.0f64 + f64::exp(x)).ln()).abs() < 1e-12, "{x}");
            assert!((sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs() < 1e-15, "{x}");
            assert!((log_sigmoid(x) - sigmoid(x).ln()).abs() < 1e-12, "{x}");
            assert!((sigmoid_f32(x as f32) as f64 - sigmoid(x)).abs() < 1e-6);
        }
        // Far tails: no overflow, no loss of the small term.
        assert_eq!(softplus(1000.0), 1000.0);
        assert!((softplus(-800.0)).abs() < 1e-300);
        assert!((log_sigmoid(40.0) + (-40.0f64).exp()).abs() < 1e-25);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!((logaddexp(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((logdiffexp(2.0, 1.0) - (2f64.exp() - 1f64.exp()).ln()).abs() < 1e-12);
        assert_eq!(logdiffexp(3.0, 3.0), f64::NEG_INFINITY);
        assert!(logdiffexp(1.0, 3.0).is_nan());
    }

    #[test]
    fn logsumexp_merges_in_any_split() {
        let xs: Vec<f64> = (0..50).map(|i| ((i * 37) % 11) as f64 * 30.0 - 150.0).collect();
        let naive = {
            let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            m + xs.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
        };
        assert!((logsumexp(&xs) - naive).abs() < 1e-12);
        let mut a = LogSumExp::new();
        let mut b = LogSumExp::new();
        xs[..17].iter().for_each(|&x| a.push(x));
        xs[17..].iter().for_each(|&x| b.push(x));
        a.merge(&b);
        assert!((a.value() - naive).abs() < 1e-12);
        assert_eq!(logsumexp(&[]), f64::NEG_INFINITY);
    }
}
