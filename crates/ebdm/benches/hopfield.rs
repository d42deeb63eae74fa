//! Criterion benchmarks of the classical Hopfield kernels.
//!
//! `cargo bench -p ebdm --bench hopfield`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ebdm::engine::rng::stream;
use ebdm::memory::hebbian::ImplicitHebbian;
use ebdm::memory::metrics::hebbian_stability;
use ebdm::memory::patterns::corrupt;
use ebdm::memory::{Hopfield, LearningRule, Patterns, RetrieveParams};

fn capacity_trial(c: &mut Criterion) {
    let mut g = c.benchmark_group("capacity_trial_n1000");
    for alpha in [0.10, 0.14, 0.20] {
        let k = (alpha * 1000.0) as usize;
        g.bench_with_input(BenchmarkId::from_parameter(alpha), &k, |b, &k| {
            let mut t = 0u64;
            b.iter(|| {
                t += 1;
                let mut rng = stream(1, t);
                let p = Patterns::random(k, 1000, &mut rng).unwrap();
                let mut net = ImplicitHebbian::new(&p).unwrap();
                net.relax_unstable(p.row(0), 20_000, &mut rng).unwrap().flips
            })
        });
    }
    g.finish();
}

fn dense_network(c: &mut Criterion) {
    let mut rng = stream(2, 0);
    let p = Patterns::random(50, 784, &mut rng).unwrap();
    c.bench_function("train_hebb_n784_k50", |b| b.iter(|| Hopfield::train(&p, LearningRule::Hebb).unwrap()));
    c.bench_function("train_pinv_n784_k50", |b| b.iter(|| Hopfield::train(&p, LearningRule::PseudoInverse).unwrap()));
    let net = Hopfield::train(&p, LearningRule::PseudoInverse).unwrap();
    let cue = corrupt(p.row(0), 0.2, &mut rng).unwrap();
    c.bench_function("retrieve_async_n784_rho0.2", |b| {
        b.iter(|| net.retrieve(&cue, &RetrieveParams::default(), &mut rng).unwrap().flips)
    });
    c.bench_function("hebbian_stability_n1000_k138", |b| {
        let p = Patterns::random(138, 1000, &mut rng).unwrap();
        b.iter(|| hebbian_stability(&p).unwrap().pattern_fraction)
    });
}

criterion_group!(benches, capacity_trial, dense_network);
criterion_main!(benches);
