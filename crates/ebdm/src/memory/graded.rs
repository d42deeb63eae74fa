//! The continuous-time (graded) Hopfield network (Hopfield 1984).
//!
//! ```text
//! C_i du_i/dt = Σ_j T_ij V_j − u_i/R_i + I_i,      V_i = g(u_i),  g monotone increasing,
//! E(V) = −½ Σ_ij T_ij V_i V_j + Σ_i (1/R_i) ∫_0^{V_i} g⁻¹(x) dx − Σ_i I_i V_i,
//! dE/dt = −Σ_i C_i g'(u_i) (du_i/dt)² ≤ 0          (T symmetric).
//! ```
//!
//! The integral term is evaluated from u through the Legendre identity
//! `∫ g⁻¹ dV = V·u − G(u)`, with `G' = g`, so it stays accurate as |V| approaches saturation:
//! for `g = tanh(λu)` it is `V·u − ln cosh(λu)/λ`; for the logistic `g = 1/(1 + e^{−λu})` it is
//! `V·u − softplus(λu)/λ`.

use serde::{Deserialize, Serialize};

use crate::engine::integrators::{Energy, OdeSystem};
use crate::error::{check_finite, check_positive, Error, Result};

/// The gain (activation) function g with gain λ.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "gain")]
pub enum Gain {
    /// `g(u) = tanh(λu)`, V ∈ (−1, 1).
    Tanh(f64),
    /// `g(u) = 1/(1 + e^{−λu})`, V ∈ (0, 1).
    Logistic(f64),
}

/// `ln cosh x`, stable for large |x|.
fn ln_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

/// `ln(1 + eˣ)`, stable for large |x|.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

impl Gain {
    /// The gain λ.
    pub fn lambda(&self) -> f64 {
        match *self {
            Gain::Tanh(l) | Gain::Logistic(l) => l,
        }
    }
    /// `g(u)`.
    pub fn value(&self, u: f64) -> f64 {
        match *self {
            Gain::Tanh(l) => (l * u).tanh(),
            Gain::Logistic(l) => 0.5 * (1.0 + (0.5 * l * u).tanh()),
        }
    }
    /// `g'(u)`.
    pub fn slope(&self, u: f64) -> f64 {
        match *self {
            Gain::Tanh(l) => {
                let t = (l * u).tanh();
                l * (1.0 - t * t)
            }
            Gain::Logistic(l) => {
                let v = self.value(u);
                l * v * (1.0 - v)
            }
        }
    }
    /// `∫_{g⁻¹(V₀)}^{V} g⁻¹(x) dx` at V = g(u), with V₀ = 0 for tanh and the lower limit V → 0
    /// (u → −∞) for the logistic.
    pub fn integral_term(&self, u: f64) -> f64 {
        let v = self.value(u);
        match *self {
            Gain::Tanh(l) => v * u - ln_cosh(l * u) / l,
            Gain::Logistic(l) => v * u - softplus(l * u) / l,
        }
    }
}

/// A graded Hopfield network: symmetric couplings T, gain g, resistances R, capacitances C and
/// input currents I.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GradedHopfield {
    n: usize,
    /// Row-major N×N couplings.
    t: Vec<f64>,
    gain: Gain,
    r: Vec<f64>,
    c: Vec<f64>,
    input: Vec<f64>,
}

impl GradedHopfield {
    /// A network with unit R and C and zero input.
    pub fn new(n: usize, couplings: Vec<f64>, gain: Gain) -> Result<Self> {
        Self::with_circuit(n, couplings, gain, vec![1.0; n], vec![1.0; n], vec![0.0; n])
    }

    /// A network with every circuit parameter given.
    pub fn with_circuit(
        n: usize,
        couplings: Vec<f64>,
        gain: Gain,
        r: Vec<f64>,
        c: Vec<f64>,
        input: Vec<f64>,
    ) -> Result<Self> {
        if n == 0 {
            return Err(Error::param("neurons", "N must be at least 1"));
        }
        if couplings.len() != n * n {
            return Err(Error::Shape(format!("couplings have {} entries, expected N² = {}", couplings.len(), n * n)));
        }
        for (name, v) in [("resistance", &r), ("capacitance", &c), ("input", &input)] {
            if v.len() != n {
                return Err(Error::Shape(format!("{name} has length {}, expected N = {n}", v.len())));
            }
        }
        check_positive("gain", gain.lambda())?;
        for &x in &couplings {
            check_finite("couplings", x)?;
        }
        for &x in &r {
            check_positive("resistance", x)?;
        }
        for &x in &c {
            check_positive("capacitance", x)?;
        }
        for &x in &input {
            check_finite("input", x)?;
        }
        let scale = couplings.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
        for i in 0..n {
            for j in 0..i {
                if (couplings[i * n + j] - couplings[j * n + i]).abs() > 1e-12 * scale {
                    return Err(Error::param("couplings", format!("must be symmetric: T[{i},{j}] ≠ T[{j},{i}]")));
                }
            }
        }
        Ok(Self { n, t: couplings, gain, r, c, input })
    }

    pub fn neurons(&self) -> usize {
        self.n
    }
    pub fn gain(&self) -> Gain {
        self.gain
    }
    /// Row-major N×N couplings T.
    pub fn couplings(&self) -> &[f64] {
        &self.t
    }
    /// Resistances R.
    pub fn resistance(&self) -> &[f64] {
        &self.r
    }
    /// Capacitances C.
    pub fn capacitance(&self) -> &[f64] {
        &self.c
    }
    /// Input currents I.
    pub fn input(&self) -> &[f64] {
        &self.input
    }

    /// Outputs `V = g(u)`.
    pub fn outputs(&self, u: &[f64]) -> Vec<f64> {
        u.iter().map(|&x| self.gain.value(x)).collect()
    }

    /// The energy of the state u (through V = g(u)).
    pub fn energy_of(&self, u: &[f64]) -> Result<f64> {
        if u.len() != self.n {
            return Err(Error::Shape(format!("state has length {}, expected N = {}", u.len(), self.n)));
        }
        Ok(self.energy(u))
    }

    /// The closed-form energy rate `dE/dt = −Σ C_i g'(u_i) (du_i/dt)²`.
    pub fn energy_rate(&self, u: &[f64]) -> f64 {
        let mut du = vec![0.0; self.n];
        self.rhs(0.0, u, &mut du);
        -(0..self.n).map(|i| self.c[i] * self.gain.slope(u[i]) * du[i] * du[i]).sum::<f64>()
    }
}

impl OdeSystem for GradedHopfield {
    fn dim(&self) -> usize {
        self.n
    }
    fn rhs(&self, _: f64, u: &[f64], du: &mut [f64]) {
        let n = self.n;
        // V is recomputed per call; the buffer is small next to the O(N²) product.
        let v: Vec<f64> = u.iter().map(|&x| self.gain.value(x)).collect();
        for i in 0..n {
            let tv: f64 = self.t[i * n..(i + 1) * n].iter().zip(&v).map(|(a, b)| a * b).sum();
            du[i] = (tv - u[i] / self.r[i] + self.input[i]) / self.c[i];
        }
    }
}

impl Energy for GradedHopfield {
    fn energy(&self, u: &[f64]) -> f64 {
        let n = self.n;
        let v: Vec<f64> = u.iter().map(|&x| self.gain.value(x)).collect();
        let mut e = 0.0;
        for i in 0..n {
            let tv: f64 = self.t[i * n..(i + 1) * n].iter().zip(&v).map(|(a, b)| a * b).sum();
            e += -0.5 * v[i] * tv + self.gain.integral_term(u[i]) / self.r[i] - self.input[i] * v[i];
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::integrators::{DormandPrince45, Integrator, Rk4};
    use crate::engine::rng::stream;
    use rand::Rng;

    fn random_net(n: usize, gain: Gain, seed: u64) -> GradedHopfield {
        let mut rng = stream(seed, 0);
        let mut t = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..i {
                let v = (rng.random::<f64>() - 0.5) * 2.0 / (n as f64).sqrt();
                t[i * n + j] = v;
                t[j * n + i] = v;
            }
        }
        let r = (0..n).map(|_| 0.5 + rng.random::<f64>()).collect();
        let c = (0..n).map(|_| 0.5 + rng.random::<f64>()).collect();
        let input = (0..n).map(|_| rng.random::<f64>() - 0.5).collect();
        GradedHopfield::with_circuit(n, t, gain, r, c, input).unwrap()
    }

    #[test]
    fn integral_term_matches_quadrature() {
        for gain in [Gain::Tanh(2.0), Gain::Logistic(3.0)] {
            for u in [-2.0, -0.3, 0.4, 1.7] {
                // ∫ g⁻¹ dV = ∫ u' g'(u') du' from the lower limit (Simpson in u).
                let lo = if matches!(gain, Gain::Tanh(_)) { 0.0 } else { -40.0 };
                let m = 20_000;
                let h = (u - lo) / m as f64;
                let f = |x: f64| x * gain.slope(x);
                let mut s = f(lo) + f(u);
                for k in 1..m {
                    s += f(lo + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
                }
                let quad = s * h / 3.0;
                assert!(
                    (quad - gain.integral_term(u)).abs() < 1e-8,
                    "{gain:?} u={u}: {quad} vs {}",
                    gain.integral_term(u)
                );
            }
        }
        // Saturated arguments stay finite.
        assert!(Gain::Tanh(100.0).integral_term(50.0).is_finite());
        assert!(Gain::Logistic(100.0).integral_term(-50.0).is_finite());
    }

    #[test]
    fn energy_is_non_increasing_and_satisfies_the_lyapunov_identity() {
        for gain in [Gain::Tanh(1.0), Gain::Tanh(5.0), Gain::Logistic(4.0)] {
            let net = random_net(30, gain, 7);
            let mut rng = stream(8, 0);
            let mut u: Vec<f64> = (0..30).map(|_| rng.random::<f64>() - 0.5).collect();
            let mut rk = Rk4::default();
            let dt = 0.01;
            let mut e = net.energy(&u);
            for step in 0..2000 {
                let rate = net.energy_rate(&u);
                // Central finite difference of E(t) around the current time.
                let (mut a, mut b) = (u.clone(), u.clone());
                let mut rk2 = Rk4::default();
                rk2.step(&net, 0.0, &mut a, 1e-4).unwrap();
                rk2.step(&net, 0.0, &mut b, -1e-4).unwrap();
                let fd = (net.energy(&a) - net.energy(&b)) / 2e-4;
                if rate.abs() > 1e-8 {
                    assert!((fd - rate).abs() <= 0.01 * rate.abs(), "{gain:?} step {step}: fd {fd} vs {rate}");
                }
                rk.step(&net, 0.0, &mut u, dt).unwrap();
                let e_new = net.energy(&u);
                assert!(e_new <= e + 1e-8 * e.abs().max(1.0), "{gain:?}: energy rose {e} -> {e_new}");
                e = e_new;
                if step > 200 {
                    break;
                }
            }
            // Converges to a fixed point.
            let mut dp = DormandPrince45::new(1e-10, 1e-12).unwrap();
            dp.integrate(&net, 0.0, 200.0, &mut u, 1.0).unwrap();
            let mut f = vec![0.0; 30];
            net.rhs(0.0, &u, &mut f);
            assert!(f.iter().all(|x| x.abs() < 1e-6));
        }
    }

    #[test]
    fn rejects_asymmetric_and_bad_parameters() {
        assert!(GradedHopfield::new(2, vec![0.0, 1.0, 0.0, 0.0], Gain::Tanh(1.0)).is_err());
        assert!(GradedHopfield::new(1, vec![0.0], Gain::Tanh(f64::NAN)).is_err());
        assert!(GradedHopfield::new(1, vec![0.0], Gain::Tanh(-1.0)).is_err());
        assert!(GradedHopfield::new(0, vec![], Gain::Tanh(1.0)).is_err());
        assert!(GradedHopfield::with_circuit(1, vec![0.0], Gain::Tanh(1.0), vec![0.0], vec![1.0], vec![0.0]).is_err());
    }
}
