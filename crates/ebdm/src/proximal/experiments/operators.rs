//! Proximal operators and the generator: A1 (closed forms, Moreau identity, projections), A2
//! (SplitMix64 and SM-LASSO check values), A13 (TV-1D certificate and denoising).

use super::*;

/// A1: proximal operators on 1000 random inputs against closed forms, the Moreau identity,
/// and feasibility and idempotence of the projections.
pub fn a1(seed: u64) -> Result<Outcome> {
    use rand::Rng;
    let mut rng = stream_path(seed, &[ids::PROX]);
    let (mut soft_err, mut moreau, mut sum_err, mut neg, mut not_idem) = (0.0f64, 0.0f64, 0.0f64, 0usize, 0usize);
    for _ in 0..1000 {
        let n = rng.random_range(1..50);
        let scale = rng.random_range(0.1..5.0);
        let v: Vec<f64> =
            (0..n).map(|_| scale * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)).collect();
        let (gamma, lambda, z) = (rng.random_range(0.05..3.0), rng.random_range(0.0..2.0), rng.random_range(0.1..4.0));
        let mut p = vec![0.0; n];
        L1 { lambda }.prox(&v, gamma, &mut p);
        for (p, v) in p.iter().zip(&v) {
            let closed = v.signum() * (v.abs() - gamma * lambda).max(0.0);
            soft_err = soft_err.max((p - closed).abs());
            moreau = moreau.max((p + gamma * (v / gamma).clamp(-lambda, lambda) - v).abs() / v.abs().max(1.0));
        }
        let sets: Vec<Box<dyn Prox>> = vec![
            Box::new(Simplex::new(z)?),
            Box::new(L1Ball::new(z)?),
            Box::new(L2Ball::new(z)?),
            Box::new(BoxSet::new(-z, z)?),
            Box::new(Nonneg),
        ];
        for (i, set) in sets.iter().enumerate() {
            set.prox(&v, 1.0, &mut p);
            let mut pp = vec![0.0; n];
            set.prox(&p, 1.0, &mut pp);
            not_idem += usize::from(pp != p);
            if i == 0 {
                sum_err = sum_err.max((p.iter().sum::<f64>() - z).abs() / z);
                neg += p.iter().filter(|&&x| x < 0.0).count();
            }
        }
    }
    Ok(Outcome {
        checks: vec![
            Check::new("soft threshold vs closed form", "≤ 1e-15", format!("{soft_err:.1e}"), soft_err <= 1e-15),
            Check::new(
                "Moreau identity prox + γ·clip(v/γ, −λ, λ) = v",
                "≤ 1e-14",
                format!("{moreau:.1e}"),
                moreau <= 1e-14,
            ),
            Check::new(
                "simplex: |Σx − z|/z, entries < 0",
                "≤ 1e-12, 0",
                format!("{sum_err:.1e}, {neg}"),
                sum_err <= 1e-12 && neg == 0,
            ),
            Check::new("projections with P(P(v)) ≠ P(v)", "0 of 5000", format!("{not_idem}"), not_idem == 0),
        ],
        ..Outcome::default()
    })
}

/// A2: the SplitMix64 check values and the SM-LASSO generator digits.
pub fn a2() -> Result<Outcome> {
    let fx = sm_lasso(42, 500, 2000, 50)?;
    let first = |s| crate::proximal::fixture::SplitMix64::new(s).next_u64();
    let mut sx = 0.0;
    for j in 0..2000 {
        for i in 0..500 {
            sx += fx.x[(i, j)];
        }
    }
    let sy: f64 = fx.y.iter().sum();
    let entries = [
        (fx.x[(0, 0)], 0.836805286714029),
        (fx.x[(0, 1)], -1.1781049573266253),
        (fx.x[(0, 2)], -0.7669481822728474),
        (fx.x[(499, 1999)], 1.2478160617232965),
    ];
    let worst = entries.iter().map(|&(a, b)| rel(a, b)).fold(0.0, f64::max);
    Ok(Outcome {
        checks: vec![
            Check::new(
                "SplitMix64 seed 0, 42",
                "0xe220a8397b1dcdaf, 0xbdd732262feb6e95",
                format!("{:#x}, {:#x}", first(0), first(42)),
                first(0) == 0xe220a8397b1dcdaf && first(42) == 0xbdd732262feb6e95,
            ),
            Check::new(
                "X[0,0], X[0,1], X[0,2], X[499,1999]",
                "≤ 1e-12 relative",
                format!("{worst:.1e}"),
                worst <= 1e-12,
            ),
            Check::new("ΣX", "692.6045068829051", format!("{sx:.13}"), rel(sx, 692.6045068829051) <= 1e-12),
            Check::new("Σy", "135.34060196734288", format!("{sy:.14}"), rel(sy, 135.34060196734288) <= 1e-12),
        ],
        ..Outcome::default()
    })
}

/// A13: the TV-1D prox on 5 pieces × 200 samples with noise σ = 0.3.
pub fn a13(seed: u64) -> Result<Outcome> {
    let mut rng = stream_path(seed, &[ids::TV]);
    let levels = [0.0, 2.0, -1.0, 1.5, 0.5];
    let clean: Vec<f64> = levels.iter().flat_map(|&l| std::iter::repeat_n(l, 200)).collect();
    let noisy: Vec<f64> = clean
        .iter()
        .map(|c| c + 0.3 * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng))
        .collect();
    let mut x = vec![0.0; noisy.len()];
    tv1d_denoise(&noisy, 2.0, &mut x);
    let mse = |a: &[f64]| a.iter().zip(&clean).map(|(a, c)| (a - c).powi(2)).sum::<f64>() / clean.len() as f64;
    let (before, after) = (mse(&noisy), mse(&x));
    // Dual certificate: z_j = z_{j−1} − (s_j − x_j), |z| ≤ λ, z_i = λ sign(jump) on jumps.
    let mut z = 0.0;
    let mut worst = 0.0f64;
    for i in 0..x.len() {
        z -= noisy[i] - x[i];
        if i + 1 < x.len() {
            worst = worst.max((z.abs() - 2.0).max(0.0));
            let jump = x[i + 1] - x[i];
            if jump != 0.0 {
                worst = worst.max((z - 2.0 * jump.signum()).abs());
            }
        } else {
            worst = worst.max(z.abs());
        }
    }
    Ok(Outcome {
        checks: vec![
            Check::new("TV certificate violation", "≤ 1e-9", format!("{worst:.1e}"), worst <= 1e-9),
            Check::new(
                "MSE denoised / noisy at λ = 2",
                "≤ 0.05",
                format!("{after:.5} / {before:.4} = {:.4}", after / before),
                after <= 0.05 * before,
            ),
        ],
        ..Outcome::default()
    })
}
