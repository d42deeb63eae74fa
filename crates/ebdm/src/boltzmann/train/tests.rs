//! Tests of the trainer.

use super::*;
use crate::boltzmann::bm::batch_means;
use crate::boltzmann::math::{sigmoid, LogSumExp};
use crate::engine::rng::stream;

fn normal_rbm(n: usize, m: usize, scale: f64, seed: u64) -> Rbm {
    let mut rng = stream(seed, 77);
    let mut g = |k: usize| (0..k).map(|_| scale * rng.sample::<f64, _>(StandardNormal)).collect::<Vec<f64>>();
    let (w, b, c) = (g(n * m), g(n), g(m));
    Rbm::new(n, m, w, b, c).unwrap()
}

fn configs(k: usize) -> Vec<Vec<f64>> {
    (0..1u64 << k).map(|x| (0..k).map(|j| (x >> j & 1) as f64).collect()).collect()
}

/// Exact model moments E[v], E[h], E[v hᵀ] (h replaced by p(h|v)) by enumerating v.
fn exact_moments(rbm: &Rbm) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (n, m) = (rbm.visible(), rbm.hidden());
    let logz = rbm.log_z_exact().unwrap();
    let (mut ev, mut eh, mut evh) = (vec![0.0; n], vec![0.0; m], vec![0.0; n * m]);
    let mut ph = vec![0.0; m];
    for v in configs(n) {
        let p = (-rbm.free_energy(&v) - logz).exp();
        rbm.hidden_probs(&v, &mut ph);
        for i in 0..n {
            ev[i] += p * v[i];
            for j in 0..m {
                evh[i * m + j] += p * v[i] * ph[j];
            }
        }
        eh.iter_mut().zip(&ph).for_each(|(a, &b)| *a += p * b);
    }
    (ev, eh, evh)
}

/// Samples `rows` visible vectors exactly from the RBM's marginal.
fn exact_samples(rbm: &Rbm, rows: usize, seed: u64) -> Dataset {
    let n = rbm.visible();
    let logz = rbm.log_z_exact().unwrap();
    let all = configs(n);
    let p: Vec<f64> = all.iter().map(|v| (-rbm.free_energy(v) - logz).exp()).collect();
    let freq_idx = {
        let mut rng = stream(seed, 1);
        let mut cdf = Vec::new();
        let mut acc = 0.0;
        p.iter().for_each(|&x| {
            acc += x;
            cdf.push(acc)
        });
        (0..rows)
            .map(|_| {
                let u = rng.random::<f64>() * acc;
                cdf.partition_point(|&c| c <= u).min(p.len() - 1)
            })
            .collect::<Vec<_>>()
    };
    let values: Vec<f64> = freq_idx.iter().flat_map(|&k| all[k].iter().copied()).collect();
    Dataset::from_f64(&values, n).unwrap()
}

/// X2: long-run PCD and PT statistics against the exact model expectations, within 3
/// batch-means standard errors for every component.
#[test]
fn x2_persistent_and_tempered_chains_match_exact_moments() {
    let (n, m) = (10, 8);
    let rbm = normal_rbm(n, m, 0.5, 3);
    let (ev, eh, evh) = exact_moments(&rbm);
    let kern = Kernel::<f64>::new(n, m, rbm.weights(), rbm.visible_bias(), rbm.hidden_bias());
    let chains = 50;
    let init: Vec<f32> = (0..chains * n).map(|i| (i % 3 == 0) as u8 as f32).collect();
    let samplers = [
        ("pcd", Chains::persistent(vec![0.0; chains * m])),
        ("pt", Chains::tempered(Algorithm::linear_betas(4), chains, &init, n, m)),
    ];
    for (name, mut ch) in samplers {
        let updates = 4000;
        let burn = 200;
        let mut series: Vec<Vec<f64>> = vec![Vec::with_capacity(updates); n + m + n * m];
        for u in 0..updates + burn {
            let (v, ph) = ch.advance(&kern, 1, 11, &[u as u64]);
            if u < burn {
                continue;
            }
            let c = v.len() / n;
            for i in 0..n {
                series[i].push(v.chunks_exact(n).map(|r| r[i]).sum::<f64>() / c as f64);
            }
            for j in 0..m {
                series[n + j].push(ph.chunks_exact(m).map(|r| r[j]).sum::<f64>() / c as f64);
            }
            for i in 0..n {
                for j in 0..m {
                    let s: f64 = (0..c).map(|r| v[r * n + i] * ph[r * m + j]).sum();
                    series[n + m + i * m + j].push(s / c as f64);
                }
            }
        }
        let exact: Vec<f64> = ev.iter().chain(&eh).chain(&evh).copied().collect();
        let mut worst = 0.0f64;
        for (k, s) in series.iter().enumerate() {
            let (mean, se) = batch_means(s, 40);
            let z = (mean - exact[k]).abs() / se.max(1e-12);
            worst = worst.max(z);
            // 3 s.e. per component; with 98 components a 4-s.e. excursion is the alarm.
            assert!(z < 4.0, "{name}: component {k}: {mean} ± {se} vs exact {}", exact[k]);
        }
        let over3 = series
            .iter()
            .enumerate()
            .filter(|(k, s)| {
                let (mean, se) = batch_means(s, 40);
                (mean - exact[*k]).abs() > 3.0 * se
            })
            .count();
        assert!(over3 <= 2, "{name}: {over3} of {} components beyond 3 s.e. (worst {worst:.2})", series.len());
        if name == "pt" {
            let acc = ch.swap_acceptance();
            assert_eq!(acc.len(), 3);
            assert!(acc.iter().all(|&a| a > 0.05 && a <= 1.0), "swap acceptance {acc:?}");
        }
    }
}

/// X3: block Gibbs (one chain, 10⁶ sweeps) and the PT β = 1 replica match exact p(v) in total
/// variation.
#[test]
fn x3_samplers_match_the_exact_distribution() {
    let (n, m) = (10, 8);
    let rbm = normal_rbm(n, m, 0.6, 5);
    let logz = rbm.log_z_exact().unwrap();
    let p: Vec<f64> = configs(n).iter().map(|v| (-rbm.free_energy(v) - logz).exp()).collect();
    let index = |v: &[f64]| v.iter().enumerate().fold(0usize, |a, (i, &x)| a | ((x as usize) << i));
    let sweeps = 1_000_000;
    let floor =
        super::super::bm::total_variation(&p, &super::super::bm::iid_frequencies(&p, sweeps, &mut stream(9, 9)));
    let mut chain = super::super::rbm::GibbsChain::new(&rbm, vec![0.0; n], stream(1, 2)).unwrap();
    let mut freq = vec![0.0; 1 << n];
    for _ in 0..1000 {
        chain.step();
    }
    for _ in 0..sweeps {
        chain.step();
        freq[index(chain.v())] += 1.0 / sweeps as f64;
    }
    let tv = super::super::bm::total_variation(&p, &freq);
    assert!(tv < 0.02, "Gibbs TV {tv} (i.i.d. floor {floor})");
    // PT: 100 chains × 10⁴ updates at β = 1.
    let kern = Kernel::<f64>::new(n, m, rbm.weights(), rbm.visible_bias(), rbm.hidden_bias());
    let chains = 100;
    let mut pt = Chains::tempered(Algorithm::linear_betas(3), chains, &vec![0.0f32; chains * n], n, m);
    let mut freq = vec![0.0; 1 << n];
    let updates = sweeps / chains;
    for u in 0..updates + 100 {
        let (v, _) = pt.advance(&kern, 1, 4, &[u as u64]);
        if u >= 100 {
            for r in v.chunks_exact(n) {
                freq[index(r)] += 1.0 / sweeps as f64;
            }
        }
    }
    let tv = super::super::bm::total_variation(&p, &freq);
    assert!(tv < 0.02, "PT TV {tv} (i.i.d. floor {floor}); acceptance {:?}", pt.swap_acceptance());
}

/// The log-likelihood gradient (plain parameters) by central differences of the exact mean
/// log-likelihood, against data minus model statistics from enumeration.
#[test]
fn likelihood_gradient_matches_finite_differences() {
    let (n, m) = (5, 4);
    let rbm = normal_rbm(n, m, 0.7, 8);
    let data = exact_samples(&normal_rbm(n, m, 1.0, 9), 40, 2);
    let ll = |r: &Rbm| r.log_likelihood(&data, r.log_z_exact().unwrap()).unwrap();
    let (ev, eh, evh) = exact_moments(&rbm);
    let (mut dv, mut dh, mut dvh) = (vec![0.0; n], vec![0.0; m], vec![0.0; n * m]);
    let mut ph = vec![0.0; m];
    for r in 0..data.rows() {
        let v: Vec<f64> = data.row(r).iter().map(|&x| x as f64).collect();
        rbm.hidden_probs(&v, &mut ph);
        for i in 0..n {
            dv[i] += v[i] / data.rows() as f64;
            for j in 0..m {
                dvh[i * m + j] += v[i] * ph[j] / data.rows() as f64;
            }
        }
        dh.iter_mut().zip(&ph).for_each(|(a, &b)| *a += b / data.rows() as f64);
    }
    let eps = 1e-5;
    let perturbed = |which: usize, k: usize, d: f64| {
        let (mut w, mut b, mut c) = (rbm.weights().to_vec(), rbm.visible_bias().to_vec(), rbm.hidden_bias().to_vec());
        match which {
            0 => w[k] += d,
            1 => b[k] += d,
            _ => c[k] += d,
        }
        Rbm::new(n, m, w, b, c).unwrap()
    };
    for k in 0..n * m {
        let fd = (ll(&perturbed(0, k, eps)) - ll(&perturbed(0, k, -eps))) / (2.0 * eps);
        assert!((fd - (dvh[k] - evh[k])).abs() < 1e-7, "W[{k}]: {fd} vs {}", dvh[k] - evh[k]);
    }
    for i in 0..n {
        let fd = (ll(&perturbed(1, i, eps)) - ll(&perturbed(1, i, -eps))) / (2.0 * eps);
        assert!((fd - (dv[i] - ev[i])).abs() < 1e-7);
    }
    for j in 0..m {
        let fd = (ll(&perturbed(2, j, eps)) - ll(&perturbed(2, j, -eps))) / (2.0 * eps);
        assert!((fd - (dh[j] - eh[j])).abs() < 1e-7);
    }
}

/// The update arithmetic (fused product, centering, momentum, weight decay, sparsity)
/// against naive double loops of the documented formulas.
#[test]
fn update_matches_the_documented_formulas() {
    let (n, m) = (6, 5);
    let data = Dataset::new((0..4 * n).map(|i| ((i * 7) % 3 == 0) as u8 as f32).collect(), n).unwrap();
    let params = TrainParams {
        algorithm: Algorithm::Cd { k: 1 },
        learning_rate: 0.1,
        momentum: 0.5,
        momentum_final: 0.5,
        weight_decay: 0.01,
        sparsity: Some(Sparsity { target: 0.1, cost: 0.3, decay: 0.9 }),
        centering: Some(0.2),
        precision: Precision::F64,
        ..TrainParams::default()
    };
    let mut t = Trainer::new(params, m, &data).unwrap();
    let mut rng = stream(3, 3);
    t.w.iter_mut().for_each(|w| *w = rng.random::<f64>() - 0.5);
    t.inc_w.iter_mut().for_each(|w| *w = 0.01 * (rng.random::<f64>() - 0.5));
    t.lambda.iter_mut().for_each(|l| *l = rng.random::<f64>());
    let before = t.clone();
    let v0: Vec<f64> = data.values().iter().map(|&x| x as f64).collect();
    let p0: Vec<f64> = (0..4 * m).map(|_| rng.random::<f64>()).collect();
    let vn: Vec<f64> = (0..3 * n).map(|_| (rng.random::<f64>() < 0.5) as u8 as f64).collect();
    let pn: Vec<f64> = (0..3 * m).map(|_| rng.random::<f64>()).collect();
    t.apply(&v0, &p0, &vn, &pn);
    let (b0, c0) = (4.0, 3.0);
    let mv0: Vec<f64> = (0..n).map(|i| (0..4).map(|r| v0[r * n + i]).sum::<f64>() / b0).collect();
    let mp0: Vec<f64> = (0..m).map(|j| (0..4).map(|r| p0[r * m + j]).sum::<f64>() / b0).collect();
    let q: Vec<f64> = before.q.iter().zip(&mp0).map(|(q, a)| 0.9 * q + 0.1 * a).collect();
    for i in 0..n {
        for j in 0..m {
            let pos: f64 =
                (0..4).map(|r| (v0[r * n + i] - before.mu[i]) * (p0[r * m + j] - before.lambda[j])).sum::<f64>() / b0;
            let neg: f64 =
                (0..3).map(|r| (vn[r * n + i] - before.mu[i]) * (pn[r * m + j] - before.lambda[j])).sum::<f64>() / c0;
            let g = pos - neg - 0.3 * (q[j] - 0.1) * mv0[i];
            let inc = 0.5 * before.inc_w[i * m + j] + 0.1 * (g - 0.01 * before.w[i * m + j]);
            assert!((t.w[i * m + j] - (before.w[i * m + j] + inc)).abs() < 1e-12);
        }
    }
    // Biases: gradient step, then the offset shift that keeps the distribution.
    let mvn: Vec<f64> = (0..n).map(|i| (0..3).map(|r| vn[r * n + i]).sum::<f64>() / c0).collect();
    let mpn: Vec<f64> = (0..m).map(|j| (0..3).map(|r| pn[r * m + j]).sum::<f64>() / c0).collect();
    let new_lambda: Vec<f64> = before.lambda.iter().zip(&mp0).map(|(l, t)| 0.8 * l + 0.2 * t).collect();
    let new_mu: Vec<f64> = before.mu.iter().zip(&mv0).map(|(u, t)| 0.8 * u + 0.2 * t).collect();
    for i in 0..n {
        let stepped = before.b[i] + 0.5 * before.inc_b[i] + 0.1 * (mv0[i] - mvn[i]);
        let shift: f64 = (0..m).map(|j| t.w[i * m + j] * (new_lambda[j] - before.lambda[j])).sum();
        assert!((t.b[i] - (stepped + shift)).abs() < 1e-12);
        assert!((t.mu[i] - new_mu[i]).abs() < 1e-15);
    }
    for j in 0..m {
        let stepped = before.c[j] + 0.5 * before.inc_c[j] + 0.1 * (mp0[j] - mpn[j] - 0.3 * (q[j] - 0.1));
        let shift: f64 = (0..n).map(|i| t.w[i * m + j] * (new_mu[i] - before.mu[i])).sum();
        assert!((t.c[j] - (stepped + shift)).abs() < 1e-12);
    }
}

/// X13: moving the offsets with the bias shift leaves log p(v) unchanged for every v, and the
/// plain conversion gives the centered model's likelihood.
#[test]
fn x13_offset_shift_keeps_the_distribution() {
    let (n, m) = (6, 4);
    let data = exact_samples(&normal_rbm(n, m, 1.0, 4), 30, 1);
    let params = TrainParams { centering: Some(0.1), algorithm: Algorithm::Cd { k: 1 }, ..TrainParams::default() };
    let mut t = Trainer::new(params, m, &data).unwrap();
    let mut rng = stream(2, 2);
    t.w.iter_mut().for_each(|w| *w = rng.random::<f64>() * 2.0 - 1.0);
    t.b.iter_mut().for_each(|w| *w = rng.random::<f64>() - 0.5);
    let before = t.model();
    let zb = before.log_z_exact().unwrap();
    let mu: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let lambda: Vec<f64> = (0..m).map(|_| rng.random::<f64>()).collect();
    t.shift_offsets(&mu, &lambda);
    let after = t.model();
    let za = after.log_z_exact().unwrap();
    for v in configs(n) {
        assert!(((-before.free_energy(&v) - zb) - (-after.free_energy(&v) - za)).abs() < 1e-9);
    }
    // Centered energy of (v, h) equals the plain energy up to one constant.
    let (w, b, c, mu, lambda) = t.centered();
    let centered_e = |v: &[f64], h: &[f64]| {
        let mut e = 0.0;
        for i in 0..n {
            e -= (v[i] - mu[i]) * b[i];
            for j in 0..m {
                e -= (v[i] - mu[i]) * w[i * m + j] * (h[j] - lambda[j]);
            }
        }
        for j in 0..m {
            e -= (h[j] - lambda[j]) * c[j];
        }
        e
    };
    let k0 = centered_e(&configs(n)[0], &configs(m)[0]) - after.energy(&configs(n)[0], &configs(m)[0]);
    for v in configs(n).iter().step_by(5) {
        for h in configs(m) {
            assert!((centered_e(v, &h) - after.energy(v, &h) - k0).abs() < 1e-9);
        }
    }
    let mut acc = LogSumExp::new();
    for v in configs(n) {
        for h in configs(m) {
            acc.push(-centered_e(&v, &h));
        }
    }
    // log Z differs by the constant, the likelihood does not.
    assert!((acc.value() - (za - k0)).abs() < 1e-9);
}

const PROTOTYPES: [[u8; 8]; 3] = [[1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1], [1, 0, 1, 0, 1, 0, 1, 0]];
const NOISE: f64 = 0.05;

/// 400 samples of three 8-bit prototypes with 5 % of the bits flipped: strongly correlated
/// units that independent units cannot model.
fn tiny_data() -> Dataset {
    let mut rng = stream(12, 0);
    let mut values = Vec::new();
    for r in 0..400 {
        for &bit in &PROTOTYPES[r % 3] {
            let flip = rng.random::<f64>() < NOISE;
            values.push(if (bit == 1) != flip { 1.0f32 } else { 0.0 });
        }
    }
    Dataset::new(values, 8).unwrap()
}

/// Mean log-likelihood of `data` under the generating mixture.
fn mixture_ll(data: &Dataset) -> f64 {
    let mut total = 0.0;
    for r in 0..data.rows() {
        let mut acc = LogSumExp::new();
        for proto in &PROTOTYPES {
            let lp: f64 = data
                .row(r)
                .iter()
                .zip(proto)
                .map(|(&x, &b)| if (x > 0.5) == (b == 1) { (1.0 - NOISE).ln() } else { NOISE.ln() })
                .sum();
            acc.push(lp - 3f64.ln());
        }
        total += acc.value();
    }
    total / data.rows() as f64
}

#[test]
fn every_algorithm_improves_the_exact_likelihood() {
    let data = tiny_data();
    let target = mixture_ll(&data);
    for (algorithm, centering) in [
        (Algorithm::Cd { k: 1 }, None),
        (Algorithm::Cd { k: 3 }, Some(0.05)),
        (Algorithm::Pcd { k: 1, chains: 20 }, None),
        (Algorithm::Pcd { k: 2, chains: 20 }, Some(0.05)),
        (Algorithm::Pt { betas: Algorithm::linear_betas(4), chains: 10 }, None),
    ] {
        let params = TrainParams {
            algorithm: algorithm.clone(),
            centering,
            learning_rate: 0.1,
            momentum: 0.5,
            momentum_final: 0.5,
            batch_size: 20,
            epochs: 30,
            monitor_samples: 400,
            init_visible_from_data: true,
            seed: 7,
            ..TrainParams::default()
        };
        let mut t = Trainer::new(params, 6, &data).unwrap();
        let start = t.model().log_likelihood(&data, t.model().log_z_exact().unwrap()).unwrap();
        let r = t.train(&data, None, &StopFlag::new(), None).unwrap();
        assert!(!r.interrupted && r.epochs_done == 30);
        let end = t.history().last().unwrap().exact_ll.unwrap();
        // Close at least three quarters of the gap between the start and the generating model.
        assert!(end - start > 0.75 * (target - start), "{algorithm:?}: exact LL {start} → {end}, source {target}");
        if let Algorithm::Pt { .. } = algorithm {
            assert_eq!(t.history()[0].swap_acceptance.len(), 3);
        }
    }
}

#[test]
fn same_seed_same_model_at_any_thread_count_and_resume_is_exact() {
    let data = tiny_data();
    for (algorithm, precision) in [
        (Algorithm::Pcd { k: 1, chains: 20 }, Precision::F32),
        (Algorithm::Pt { betas: vec![0.3, 0.7, 1.0], chains: 8 }, Precision::F64),
    ] {
        let params = TrainParams {
            algorithm,
            precision,
            learning_rate: 0.05,
            momentum: 0.5,
            momentum_final: 0.5,
            batch_size: 32,
            epochs: 3,
            monitor_samples: 50,
            centering: Some(0.01),
            seed: 3,
            ..TrainParams::default()
        };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let mut t = Trainer::new(params.clone(), 5, &data).unwrap();
                t.train(&data, None, &StopFlag::new(), None).unwrap();
                t.model()
            })
        };
        let one = run(1);
        assert_eq!(one, run(3));
        // Interrupt mid-epoch (after 17 minibatches), keep the trainer, resume.
        let mut t = Trainer::new(params.clone(), 5, &data).unwrap();
        let r = t.train_batches(&data, None, &StopFlag::new(), 17).unwrap();
        assert!(r.interrupted && r.epochs_done == 1);
        let saved = t.clone();
        let mut resumed = saved;
        let r = resumed.train(&data, None, &StopFlag::new(), None).unwrap();
        assert!(!r.interrupted && r.epochs_done == 3);
        assert_eq!(resumed.model(), one);
        // A raised flag stops before any minibatch and keeps the model.
        let stop = StopFlag::new();
        stop.raise();
        let mut t = Trainer::new(params.clone(), 5, &data).unwrap();
        let m0 = t.model();
        assert!(t.train(&data, None, &stop, None).unwrap().interrupted);
        assert_eq!(t.model(), m0);
    }
}

#[test]
fn sklearn_mode_uses_even_slices_in_order_and_zero_chains() {
    let data = Dataset::new(vec![1.0; 23 * 2], 2).unwrap();
    let t = Trainer::new(TrainParams::sklearn(0.1, 10, 1, 0), 3, &data).unwrap();
    let b = t.batches(23, 0);
    assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![8, 8, 7]);
    assert_eq!(b[1][0], 8);
    assert_eq!(t.chains, Chains::persistent(vec![0.0; 30]));
    let bad = TrainParams { momentum: 0.5, ..TrainParams::sklearn(0.1, 10, 1, 0) };
    assert!(bad.check().unwrap_err().to_string().contains("sklearn_compat"));
}

#[test]
fn bad_parameters_are_named_errors() {
    let data = tiny_data();
    let e = |p: TrainParams, hidden: usize| Trainer::new(p, hidden, &data).unwrap_err().to_string();
    assert!(e(TrainParams { learning_rate: -0.1, ..TrainParams::default() }, 3).contains("learning_rate"));
    assert!(e(TrainParams { learning_rate: f64::NAN, ..TrainParams::default() }, 3).contains("learning_rate"));
    assert!(e(TrainParams::default(), 0).contains("hidden"));
    assert!(e(TrainParams { batch_size: 0, ..TrainParams::default() }, 3).contains("batch_size"));
    assert!(e(TrainParams { algorithm: Algorithm::Cd { k: 0 }, ..TrainParams::default() }, 3).contains("`k`"));
    assert!(e(
        TrainParams { algorithm: Algorithm::Pt { betas: vec![0.0, 0.5], chains: 2 }, ..TrainParams::default() },
        3
    )
    .contains("betas"));
    assert!(e(TrainParams { momentum: 1.5, ..TrainParams::default() }, 3).contains("momentum"));
    let bad = Dataset::new(vec![0.0, 3.0], 2).unwrap();
    assert!(Trainer::new(TrainParams::default(), 3, &bad).unwrap_err().to_string().contains("outside [0, 1]"));
    let _ = sigmoid(0.0);
}
