//! Spec A1 (proximal operators against closed forms, optimality conditions and the Moreau
//! identity) and A13 (TV-1D certificate and denoising).

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::*;
use crate::engine::rng::stream;

fn gauss(rng: &mut impl Rng, n: usize, scale: f64) -> Vec<f64> {
    (0..n).map(|_| scale * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)).collect()
}

/// 1000 random inputs of random length with a few exact zeros and ties.
fn inputs(seed: u64) -> Vec<(Vec<f64>, f64)> {
    let mut rng = stream(seed, 0);
    (0..1000)
        .map(|_| {
            let n = rng.random_range(1..40);
            let scale = rng.random_range(0.1..5.0);
            let mut v = gauss(&mut rng, n, scale);
            if n > 2 {
                v[0] = 0.0;
            }
            (v, rng.random_range(0.05..3.0))
        })
        .collect()
}

fn apply(g: &dyn Prox, v: &[f64], gamma: f64) -> Vec<f64> {
    let mut out = vec![f64::NAN; v.len()];
    g.prox(v, gamma, &mut out);
    out
}

#[test]
fn thresholds_match_their_closed_forms() {
    for (v, t) in inputs(1) {
        for &u in &v {
            let s = u.signum() * (u.abs() - t).max(0.0);
            assert!((soft(u, t) - s).abs() <= 1e-15 * u.abs().max(1.0));
            assert_eq!(nonneg_soft(u, t), (u - t).max(0.0));
            assert_eq!(hard(u, t), if u.abs() > t { u } else { 0.0 });
            let f = firm(u, t, 2.0 * t);
            let expected = if u.abs() <= t {
                0.0
            } else if u.abs() >= 2.0 * t {
                u
            } else {
                u.signum() * 2.0 * (u.abs() - t)
            };
            assert!((f - expected).abs() <= 1e-15 * u.abs().max(1.0));
        }
    }
}

#[test]
fn moreau_identity_for_the_l1_norm() {
    // prox_{γλ‖·‖₁}(v) + γ·P_{λB∞}(v/γ) = v.
    let mut worst = 0.0f64;
    for (v, gamma) in inputs(2) {
        let lambda = 0.7;
        let p = apply(&L1::new(lambda).unwrap(), &v, gamma);
        for (p, v) in p.iter().zip(&v) {
            let dual = gamma * (v / gamma).clamp(-lambda, lambda);
            worst = worst.max((p + dual - v).abs() / v.abs().max(1.0));
        }
    }
    assert!(worst <= 1e-14, "Moreau identity off by {worst}");
}

/// For convex g, p = prox_{γg}(v) ⇔ (v − p)/γ ∈ ∂g(p).
#[test]
fn convex_proxes_satisfy_their_optimality_condition() {
    let group = |n: usize| GroupL2::consecutive(0.8, n, 3).unwrap();
    for (v, gamma) in inputs(3) {
        let n = v.len();
        let cases: Vec<Box<dyn Prox>> = vec![
            Box::new(L1::new(0.8).unwrap()),
            Box::new(L1Nonneg::new(0.8).unwrap()),
            Box::new(ElasticNet::new(0.8, 0.6).unwrap()),
            Box::new(group(n)),
            Box::new(Scaled::new(L1::new(0.8).unwrap(), 1.7).unwrap()),
            Box::new(Zero),
        ];
        for g in &cases {
            let p = apply(g.as_ref(), &v, gamma);
            let u: Vec<f64> = v.iter().zip(&p).map(|(v, p)| (v - p) / gamma).collect();
            let d = g.subgradient_distance(&p, &u).unwrap();
            let scale = v.iter().fold(1.0f64, |m, x| m.max(x.abs())) / gamma;
            assert!(d <= 1e-13 * scale, "{}: dist to ∂g = {d}", g.describe());
        }
    }
}

/// The separable proxes against the minimum of `γg(z) + ½(z − v)²` over a fine grid (this also
/// covers the non-convex L0 and MCP, whose proxes are not characterised by a subgradient).
#[test]
fn separable_proxes_minimise_their_scalar_objective() {
    let cases: Vec<Box<dyn Prox>> = vec![
        Box::new(L1::new(0.8).unwrap()),
        Box::new(L1Nonneg::new(0.8).unwrap()),
        Box::new(ElasticNet::new(0.8, 0.6).unwrap()),
        Box::new(L0::new(0.8).unwrap()),
        Box::new(Mcp::new(0.8, 3.0).unwrap()),
        Box::new(BoxSet::new(-0.5, 1.25).unwrap()),
        Box::new(Nonneg),
    ];
    let grid: Vec<f64> = (-40_000..=40_000).map(|i| i as f64 * 1e-4).collect();
    let mut rng = stream(4, 0);
    for g in &cases {
        for _ in 0..200 {
            let v: f64 = rng.random_range(-3.5..3.5);
            let gamma: f64 = [0.3, 1.0, 2.5][rng.random_range(0..3)];
            let h = |z: f64| gamma * g.value(&[z]) + 0.5 * (z - v) * (z - v);
            let p = apply(g.as_ref(), &[v], gamma)[0];
            let best = grid.iter().map(|&z| h(z)).fold(f64::INFINITY, f64::min);
            assert!(
                h(p) <= best + 1e-9,
                "{} at v = {v}, γ = {gamma}: h(prox) = {} > grid min {best}",
                g.describe(),
                h(p)
            );
        }
    }
}

/// Simplex projection by bisection on the threshold τ of `Σ max(v − τ, 0) = z`.
fn simplex_by_bisection(v: &[f64], z: f64) -> Vec<f64> {
    let total = |tau: f64| v.iter().map(|x| (x - tau).max(0.0)).sum::<f64>();
    let (mut lo, mut hi) =
        (v.iter().cloned().fold(f64::INFINITY, f64::min) - z, v.iter().cloned().fold(f64::NEG_INFINITY, f64::max));
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if total(mid) > z {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let tau = 0.5 * (lo + hi);
    v.iter().map(|x| (x - tau).max(0.0)).collect()
}

#[test]
fn projections_are_feasible_idempotent_and_match_independent_forms() {
    let mut rng = stream(5, 0);
    for (v, _) in inputs(6) {
        let z = rng.random_range(0.1..4.0);
        let r = rng.random_range(0.1..4.0);
        // Simplex: nonnegative, sums to z, matches bisection.
        let p = apply(&Simplex::new(z).unwrap(), &v, 1.0);
        assert!(p.iter().all(|&x| x >= 0.0));
        assert!((p.iter().sum::<f64>() - z).abs() <= 1e-12 * z.max(1.0));
        let b = simplex_by_bisection(&v, z);
        for (a, b) in p.iter().zip(&b) {
            assert!((a - b).abs() <= 1e-12, "simplex {a} vs bisection {b}");
        }
        // ℓ1 ball: inside, and on the boundary when v was outside; matches sign·bisection.
        let p = apply(&L1Ball::new(r).unwrap(), &v, 1.0);
        let n1: f64 = v.iter().map(|x| x.abs()).sum();
        if n1 > r {
            let abs: Vec<f64> = v.iter().map(|x| x.abs()).collect();
            let b = simplex_by_bisection(&abs, r);
            for ((a, b), v) in p.iter().zip(&b).zip(&v) {
                assert!((a - b.copysign(*v)).abs() <= 1e-12);
            }
        } else {
            assert_eq!(p, v);
        }
        let inside: f64 = p.iter().map(|x| x.abs()).sum();
        assert!(inside <= r * (1.0 + 1e-12), "‖P(v)‖₁ = {inside} > r = {r}, ‖v‖₁ = {n1}, v = {v:?}, p = {p:?}");
        // ℓ2 ball: closed form.
        let p = apply(&L2Ball::new(r).unwrap(), &v, 1.0);
        let n2 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        for (a, v) in p.iter().zip(&v) {
            assert!((a - v * (r / n2).min(1.0)).abs() <= 1e-15 * v.abs().max(1.0));
        }
        // Idempotence: P(P(v)) == P(v) exactly.
        let sets: Vec<Box<dyn Prox>> = vec![
            Box::new(Simplex::new(z).unwrap()),
            Box::new(L1Ball::new(r).unwrap()),
            Box::new(L2Ball::new(r).unwrap()),
            Box::new(BoxSet::new(-r, r).unwrap()),
            Box::new(Nonneg),
        ];
        for s in &sets {
            let p = apply(s.as_ref(), &v, 1.0);
            let pp = apply(s.as_ref(), &p, 1.0);
            assert_eq!(p, pp, "{} not idempotent", s.describe());
            assert!(s.value(&p) == 0.0, "{} projection infeasible", s.describe());
        }
    }
}

/// Projections onto convex sets satisfy the variational inequality `(v − p)ᵀ(y − p) ≤ 0` for
/// every `y` in the set.
#[test]
fn projections_satisfy_the_variational_inequality() {
    let mut rng = stream(7, 0);
    for (v, _) in inputs(8).into_iter().take(200) {
        let sets: Vec<Box<dyn Prox>> = vec![
            Box::new(Simplex::new(1.5).unwrap()),
            Box::new(L1Ball::new(1.5).unwrap()),
            Box::new(L2Ball::new(1.5).unwrap()),
        ];
        for s in &sets {
            let p = apply(s.as_ref(), &v, 1.0);
            for _ in 0..20 {
                let y = apply(s.as_ref(), &gauss(&mut rng, v.len(), 2.0), 1.0);
                let ip: f64 = v.iter().zip(&p).zip(&y).map(|((v, p), y)| (v - p) * (y - p)).sum();
                assert!(ip <= 1e-12, "{}: (v − p)ᵀ(y − p) = {ip}", s.describe());
            }
        }
    }
}

/// Checks the TV-1D optimality certificate: the dual `z` with `s − x = Dᵀz` satisfies
/// `|z_i| ≤ t` and `z_i = t·sign(x_{i+1} − x_i)` wherever the jump is nonzero. Returns the
/// largest violation.
fn tv_certificate_violation(s: &[f64], x: &[f64], t: f64) -> f64 {
    // (Dᵀz)_j = z_{j−1} − z_j, so z_j = z_{j−1} − (s_j − x_j) with z_{−1} = 0.
    let n = s.len();
    let mut z = vec![0.0; n];
    let mut prev = 0.0;
    for j in 0..n {
        z[j] = prev - (s[j] - x[j]);
        prev = z[j];
    }
    // The last dual entry closes the system: it must vanish.
    let mut worst = z[n - 1].abs();
    for i in 0..n - 1 {
        worst = worst.max((z[i].abs() - t).max(0.0));
        let jump = x[i + 1] - x[i];
        if jump != 0.0 {
            worst = worst.max((z[i] - t * jump.signum()).abs());
        }
    }
    worst
}

#[test]
fn tv1d_prox_meets_its_certificate_and_denoises() {
    // A13: 5 pieces × 200 samples, noise σ = 0.3.
    let mut rng = stream(9, 0);
    let levels = [0.0, 2.0, -1.0, 1.5, 0.5];
    let clean: Vec<f64> = levels.iter().flat_map(|&l| std::iter::repeat_n(l, 200)).collect();
    let noisy: Vec<f64> = clean
        .iter()
        .map(|c| c + 0.3 * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng))
        .collect();
    for &t in &[0.01, 0.3, 2.0, 50.0] {
        let mut x = vec![0.0; noisy.len()];
        tv1d_denoise(&noisy, t, &mut x);
        let v = tv_certificate_violation(&noisy, &x, t);
        assert!(v <= 1e-9, "t = {t}: certificate violated by {v}");
    }
    let mse = |a: &[f64]| a.iter().zip(&clean).map(|(a, c)| (a - c).powi(2)).sum::<f64>() / clean.len() as f64;
    let mut x = vec![0.0; noisy.len()];
    Tv1d::new(2.0).unwrap().prox(&noisy, 1.0, &mut x);
    let (before, after) = (mse(&noisy), mse(&x));
    assert!(after <= 0.05 * before, "denoised MSE {after} vs noisy {before}");
}

#[test]
fn tv1d_certificate_on_random_and_degenerate_signals() {
    let mut rng = stream(10, 0);
    for _ in 0..500 {
        let n = rng.random_range(1..60);
        let s: Vec<f64> = if rng.random_bool(0.3) {
            (0..n).map(|_| rng.random_range(0..3) as f64).collect()
        } else {
            gauss(&mut rng, n, 2.0)
        };
        let t = rng.random_range(0.0..3.0);
        let mut x = vec![0.0; n];
        tv1d_denoise(&s, t, &mut x);
        if n > 1 {
            let v = tv_certificate_violation(&s, &x, t);
            assert!(v <= 1e-9 * (1.0 + t), "n = {n}, t = {t}: violation {v}");
        }
    }
}

#[test]
fn invalid_parameters_are_named_errors() {
    assert!(BoxSet::new(1.0, 0.0).unwrap_err().to_string().contains("empty"));
    assert!(Simplex::new(0.0).unwrap_err().to_string().contains("z"));
    assert!(Simplex::new(-1.0).is_err());
    assert!(L1::new(-0.1).unwrap_err().to_string().contains("lambda"));
    assert!(L1::new(f64::NAN).is_err());
    assert!(ElasticNet::from_alpha(1.0, 1.5).is_err());
    assert!(GroupL2::new(1.0, vec![0..2, 3..4], vec![1.0, 1.0]).is_err());
    assert!(Mcp::from_firm(1.0, 0.5).is_err());
}
