//! Tests of the dense-memory classifier.

use super::*;
use rand::Rng;

/// `count` samples of `dim` inputs in [−1, 1] from `classes` noisy prototypes.
pub(crate) fn fixture(count: usize, dim: usize, classes: usize, noise: f64, seed: u64) -> Samples {
    let mut rng = stream_path(seed, &[99]);
    let protos: Vec<f64> = (0..classes * dim).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect();
    let mut inputs = Vec::with_capacity(count * dim);
    let mut labels = Vec::with_capacity(count);
    for i in 0..count {
        let cl = i % classes;
        for j in 0..dim {
            let v = protos[cl * dim + j] + noise * (2.0 * rng.random::<f64>() - 1.0);
            inputs.push(v.clamp(-1.0, 1.0) as f32);
        }
        labels.push(cl);
    }
    Samples::new(inputs, labels, dim, classes).unwrap()
}

fn numeric_grad(model: &DenseClassifier, data: &Samples, idx: usize, eps: f64) -> f64 {
    let mut plus = model.clone();
    plus.memories[idx] += eps;
    let mut minus = model.clone();
    minus.memories[idx] -= eps;
    (plus.loss(data, Precision::F64).unwrap() - minus.loss(data, Precision::F64).unwrap()) / (2.0 * eps)
}

#[test]
fn gradient_matches_central_differences() {
    for (degree, loss_power, temperature) in [(2, 1, 3.0), (3, 2, 4.0), (5, 3, 6.0), (20, 4, 2.0)] {
        let data = fixture(40, 12, 3, 0.6, degree as u64);
        let params = ClassifierParams { memories: 5, degree, loss_power, temperature };
        let model = DenseClassifier::random(params, 12, 3, -0.1, 0.4, 3).unwrap();
        let (loss, grad) = model.loss_and_gradient(&data, Precision::F64).unwrap();
        assert!(loss.is_finite() && loss > 0.0);
        let scale = grad.iter().fold(0.0f64, |a, g| a.max(g.abs()));
        assert!(scale > 0.0);
        // Pixels and label units of several memories.
        for idx in [0, 5, 11, 12, 14, 15 + 3, 2 * 15 + 13, 4 * 15 + 7, 4 * 15 + 14] {
            let num = numeric_grad(&model, &data, idx, 1e-6);
            let err = (num - grad[idx]).abs();
            assert!(
                err <= 1e-6 * scale + 1e-5 * grad[idx].abs(),
                "n={degree} m={loss_power} entry {idx}: analytic {} numeric {num}",
                grad[idx]
            );
        }
    }
}

#[test]
fn single_precision_gradient_is_close_to_double() {
    let data = fixture(300, 30, 4, 0.5, 5);
    let params = ClassifierParams { memories: 8, degree: 6, loss_power: 5, temperature: 10.0 };
    let model = DenseClassifier::random(params, 30, 4, -0.3, 0.3, 1).unwrap();
    let (l64, g64) = model.loss_and_gradient(&data, Precision::F64).unwrap();
    let (l32, g32) = model.loss_and_gradient(&data, Precision::F32).unwrap();
    assert!((l64 - l32).abs() <= 1e-4 * l64, "{l64} vs {l32}");
    let scale = g64.iter().fold(0.0f64, |a, g| a.max(g.abs()));
    for (a, b) in g64.iter().zip(&g32) {
        assert!((a - b).abs() <= 1e-4 * scale, "{a} vs {b}");
    }
}

#[test]
fn no_overflow_at_extreme_degree_and_temperature() {
    let data = fixture(50, 40, 3, 0.3, 2);
    // (40/0.01)^200 overflows f64 by far without the common scale.
    let params = ClassifierParams { memories: 6, degree: 200, loss_power: 200, temperature: 0.01 };
    let model = DenseClassifier::random(params, 40, 3, 0.0, 0.5, 2).unwrap();
    let (loss, grad) = model.loss_and_gradient(&data, Precision::F32).unwrap();
    assert!(loss.is_finite());
    assert!(grad.iter().all(|g| g.is_finite()));
    let out = model.outputs(data.inputs()).unwrap();
    assert!(out.iter().all(|c| c.is_finite() && c.abs() <= 1.0));
}

#[test]
fn training_decreases_loss_and_learns_fixture() {
    let train = fixture(600, 50, 4, 1.2, 11);
    let test = fixture(200, 50, 4, 1.2, 11).subset(&(0..200).collect::<Vec<_>>()).unwrap();
    let params = ClassifierParams { memories: 12, degree: 3, loss_power: 3, temperature: 20.0 };
    let mut model = DenseClassifier::random(params, 50, 4, -0.3, 0.3, 4).unwrap();
    let before = model.loss(&train, Precision::F64).unwrap();
    let tp = TrainParams { epochs: 20, batch_size: 100, learning_rate: 0.05, lr_decay: 0.99, ..TrainParams::default() };
    let r = model.train(&train, Some(&test), &tp, &StopFlag::new(), None).unwrap();
    assert_eq!(r.history.len(), 20);
    assert!(!r.interrupted);
    let after = model.loss(&train, Precision::F64).unwrap();
    assert!(after < 0.5 * before, "loss {before} → {after}");
    let first = r.history[0].train_loss;
    let last = r.history.last().unwrap().train_loss;
    assert!(last < first, "epoch loss {first} → {last}");
    assert!(r.history.last().unwrap().test_error.unwrap() < 0.1);
    assert!(model.memories().iter().all(|v| (-1.0..=1.0).contains(v)));
}

#[test]
fn deterministic_at_one_and_two_threads() {
    let train = fixture(700, 40, 3, 1.0, 21);
    let params = ClassifierParams { memories: 10, degree: 4, loss_power: 4, temperature: 15.0 };
    let tp = TrainParams { epochs: 3, batch_size: 300, seed: 9, ..TrainParams::default() };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut m = DenseClassifier::random(params, 40, 3, -0.3, 0.3, 8).unwrap();
            let r = m.train(&train, None, &tp, &StopFlag::new(), None).unwrap();
            (m, r.history.iter().map(|h| h.train_loss).collect::<Vec<_>>())
        })
    };
    let (a, la) = run(1);
    let (b, lb) = run(2);
    assert_eq!(la, lb);
    assert_eq!(a.memories(), b.memories());
}

#[test]
fn stop_keeps_completed_epochs() {
    let train = fixture(300, 20, 3, 1.0, 3);
    let params = ClassifierParams { memories: 4, degree: 3, loss_power: 2, temperature: 8.0 };
    let mut model = DenseClassifier::random(params, 20, 3, -0.3, 0.3, 1).unwrap();
    let stop = StopFlag::new();
    let tp = TrainParams { epochs: 50, batch_size: 100, ..TrainParams::default() };
    let cb = |s: &EpochStats| {
        if s.epoch == 2 {
            stop.raise();
        }
    };
    let r = model.train(&train, None, &tp, &stop, Some(&cb)).unwrap();
    assert!(r.interrupted);
    assert_eq!(r.history.len(), 2);
    // Two epochs from the same start reproduce the same memories.
    let mut again = DenseClassifier::random(params, 20, 3, -0.3, 0.3, 1).unwrap();
    let tp2 = TrainParams { epochs: 2, ..tp };
    again.train(&train, None, &tp2, &StopFlag::new(), None).unwrap();
    assert_eq!(again.memories(), model.memories());
}

#[test]
fn bad_input_is_a_named_error() {
    let p = ClassifierParams { memories: 3, degree: 2, loss_power: 2, temperature: 1.0 };
    let bad = |e: Error, needle: &str| assert!(e.to_string().contains(needle), "{e}");
    bad(DenseClassifier::random(ClassifierParams { degree: 0, ..p }, 4, 2, 0.0, 0.1, 0).unwrap_err(), "degree");
    bad(DenseClassifier::random(ClassifierParams { loss_power: 0, ..p }, 4, 2, 0.0, 0.1, 0).unwrap_err(), "loss_power");
    bad(DenseClassifier::random(ClassifierParams { memories: 0, ..p }, 4, 2, 0.0, 0.1, 0).unwrap_err(), "memories");
    for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        bad(
            DenseClassifier::random(ClassifierParams { temperature: t, ..p }, 4, 2, 0.0, 0.1, 0).unwrap_err(),
            "temperature",
        );
    }
    bad(DenseClassifier::random(p, 4, 2, f64::NAN, 0.1, 0).unwrap_err(), "mean");
    bad(DenseClassifier::random(p, 4, 1, 0.0, 0.1, 0).unwrap_err(), "classes");
    bad(Samples::new(vec![0.0; 8], vec![0, 2], 4, 2).unwrap_err(), "label 2");
    bad(Samples::new(vec![0.0; 7], vec![0, 1], 4, 2).unwrap_err(), "shape");
    bad(Samples::new(vec![0.0, f32::NAN, 0.0, 0.0], vec![0], 4, 2).unwrap_err(), "not finite");
    let model = DenseClassifier::random(p, 4, 2, 0.0, 0.1, 0).unwrap();
    let other = Samples::new(vec![0.0; 5], vec![1], 5, 2).unwrap();
    bad(model.error_rate(&other).unwrap_err(), "shape");
    bad(model.predict(&[0.0; 6]).unwrap_err(), "whole rows");
    bad(model.predict(&[0.0, 0.0, f32::INFINITY, 0.0]).unwrap_err(), "not finite");
    bad(DenseClassifier::new(p, 4, 2, vec![0.0; 5]).unwrap_err(), "shape");
    bad(DenseClassifier::new(p, 4, 2, vec![2.0; 18]).unwrap_err(), "memories");
    let data = Samples::new(vec![0.0; 4], vec![0], 4, 2).unwrap();
    let mut m2 = model.clone();
    for tp in [
        TrainParams { learning_rate: 0.0, ..TrainParams::default() },
        TrainParams { momentum: 1.0, ..TrainParams::default() },
        TrainParams { batch_size: 0, ..TrainParams::default() },
        TrainParams { lr_decay: f64::NAN, ..TrainParams::default() },
    ] {
        assert!(matches!(m2.train(&data, None, &tp, &StopFlag::new(), None), Err(Error::InvalidParameter { .. })));
    }
}
