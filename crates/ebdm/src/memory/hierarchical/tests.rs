//! Tests of the hierarchical memory.

use super::*;
use crate::engine::rng::stream;
use crate::memory::modern::ModernHopfield;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

fn gaussian(len: usize, scale: f64, seed: u64) -> Vec<f64> {
    let mut r = stream(seed, 1);
    (0..len)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut r);
            scale * z
        })
        .collect()
}

fn lagrangians() -> Vec<Lagrangian> {
    vec![
        Lagrangian::Identity,
        Lagrangian::RectifiedPower { n: 3.0 },
        Lagrangian::Exp { beta: 0.5 },
        Lagrangian::Softmax { beta: 2.0 },
        Lagrangian::Tanh { beta: 1.0 },
        Lagrangian::Sigmoid { beta: 1.0 },
        Lagrangian::LayerNorm { gamma: 1.0, delta: 0.1, eps: 1e-2 },
        Lagrangian::SphericalNorm { gamma: 1.0, eps: 1e-2 },
    ]
}

/// Three layers in a chain plus a skip synapse, every pair of Lagrangians.
fn three_layer(a: Lagrangian, b: Lagrangian, seed: u64) -> HierarchicalMemory {
    let (n0, n1, n2) = (5, 4, 3);
    HierarchicalMemory::new(
        vec![
            Layer::new(n0, a, 1.0).with_bias(gaussian(n0, 0.3, seed + 7)),
            Layer::new(n1, b, 0.5),
            Layer::new(n2, Lagrangian::Tanh { beta: 1.5 }, 0.25),
        ],
        vec![
            Synapse { a: 1, b: 0, weights: gaussian(n1 * n0, 0.4, seed) },
            Synapse { a: 2, b: 1, weights: gaussian(n2 * n1, 0.4, seed + 1) },
            Synapse { a: 0, b: 2, weights: gaussian(n0 * n2, 0.4, seed + 2) },
        ],
    )
    .unwrap()
}

fn state(net: &HierarchicalMemory, seed: u64) -> Vec<f64> {
    gaussian(net.state_len(), 0.8, seed + 100)
}

fn direct_energy(net: &HierarchicalMemory, x: &[f64]) -> f64 {
    // Term by term from the definitions, with ⟨x, g⟩ − L computed literally.
    let g = net.activations(x).unwrap();
    let mut e = 0.0;
    for (l, layer) in net.layers().iter().enumerate() {
        let r = net.range(l);
        for i in r.clone() {
            e += x[i] * g[i];
            if !layer.bias.is_empty() {
                e -= layer.bias[i - r.start] * g[i];
            }
        }
        e -= layer.lagrangian.value(&x[r]);
    }
    for s in net.synapses() {
        let (ra, rb) = (net.range(s.a), net.range(s.b));
        for (i, ia) in ra.clone().enumerate() {
            for (j, jb) in rb.clone().enumerate() {
                e -= g[ia] * s.weights[i * rb.len() + j] * g[jb];
            }
        }
    }
    e
}

#[test]
fn energy_matches_a_literal_evaluation() {
    for a in lagrangians() {
        for b in lagrangians() {
            let net = three_layer(a, b, 3);
            let x = state(&net, 4);
            let (e, d) = (net.energy(&x).unwrap(), direct_energy(&net, &x));
            assert!((e - d).abs() <= 1e-10 * (1.0 + d.abs()), "{a:?}/{b:?}: {e} vs {d}");
        }
    }
}

/// ∂E/∂x̂ by finite differences of the energy written as a function of (x, x̂) with x̂ free.
#[test]
fn activation_gradient_matches_finite_differences() {
    let h = 1e-6;
    for a in lagrangians() {
        let net = three_layer(a, Lagrangian::Softmax { beta: 1.0 }, 11);
        let x = state(&net, 12);
        let g = net.activations(&x).unwrap();
        let e_of = |g: &[f64]| {
            let mut e = 0.0;
            for (l, layer) in net.layers().iter().enumerate() {
                let r = net.range(l);
                e += x[r.clone()].iter().zip(&g[r.clone()]).map(|(a, b)| a * b).sum::<f64>();
                e -= layer.lagrangian.value(&x[r.clone()]);
                e -= layer.bias.iter().zip(&g[r]).map(|(b, v)| b * v).sum::<f64>();
            }
            for s in net.synapses() {
                let (ra, rb) = (net.range(s.a), net.range(s.b));
                for (i, ia) in ra.clone().enumerate() {
                    for (j, jb) in rb.clone().enumerate() {
                        e -= g[ia] * s.weights[i * rb.len() + j] * g[jb];
                    }
                }
            }
            e
        };
        let d = net.activation_gradient(&x).unwrap();
        for i in 0..g.len() {
            let (mut p, mut m) = (g.clone(), g.clone());
            p[i] += h;
            m[i] -= h;
            let fd = (e_of(&p) - e_of(&m)) / (2.0 * h);
            assert!((fd - d[i]).abs() <= 1e-6 * (1.0 + d[i].abs()), "{a:?} i={i}: {fd} vs {}", d[i]);
        }
    }
}

#[test]
fn state_gradient_matches_finite_differences_of_the_energy() {
    let h = 1e-6;
    for a in lagrangians() {
        for b in lagrangians() {
            let net = three_layer(a, b, 21);
            let x = state(&net, 22);
            let grad = net.state_gradient(&x).unwrap();
            for i in 0..x.len() {
                let (mut p, mut m) = (x.clone(), x.clone());
                p[i] += h;
                m[i] -= h;
                let fd = (net.energy(&p).unwrap() - net.energy(&m).unwrap()) / (2.0 * h);
                assert!((fd - grad[i]).abs() <= 2e-6 * (1.0 + grad[i].abs()), "{a:?}/{b:?} i={i}: {fd} vs {}", grad[i]);
            }
        }
    }
}

/// The Lyapunov identity dE/dt = −Σ τ ẋᵀ∇²L ẋ against a central difference of E along the
/// exact flow, and monotone descent along an RK4 trajectory.
#[test]
fn energy_descends_and_obeys_the_lyapunov_identity() {
    for a in lagrangians() {
        for b in lagrangians() {
            let net = three_layer(a, b, 31);
            let mut x = state(&net, 32);
            let mut rk = Rk4::default();
            let mut e = net.energy(&x).unwrap();
            for step in 0..200 {
                if step % 20 == 0 {
                    let rate = net.energy_rate(&x).unwrap();
                    let h = 1e-4;
                    let (mut p, mut m) = (x.clone(), x.clone());
                    Rk4::default().step(&net, 0.0, &mut p, h).unwrap();
                    Rk4::default().step(&net, 0.0, &mut m, -h).unwrap();
                    let fd = (net.energy(&p).unwrap() - net.energy(&m).unwrap()) / (2.0 * h);
                    assert!(rate <= 0.0);
                    if rate.abs() > 1e-8 {
                        assert!((fd - rate).abs() <= 0.01 * rate.abs(), "{a:?}/{b:?}: fd {fd} vs {rate}");
                    }
                }
                rk.step(&net, 0.0, &mut x, 0.01).unwrap();
                let e_new = net.energy(&x).unwrap();
                assert!(e_new <= e + 1e-10 * e.abs().max(1.0), "{a:?}/{b:?} step {step}: {e} -> {e_new}");
                e = e_new;
            }
        }
    }
}

fn memories(k: usize, n: usize, seed: u64) -> Vec<f64> {
    let mut r = stream(seed, 2);
    (0..k * n).map(|_| if r.random::<bool>() { 1.0 } else { -1.0 }).collect()
}

/// Model A: integrating out the memory neurons gives the dense associative memory energy
/// ½‖v‖² − ⟨I, v⟩ − Σ_μ (1/n) max(ξ_μ·v, 0)ⁿ.
#[test]
fn model_a_reduces_to_the_dense_associative_memory() {
    let (k, n, deg) = (12, 8, 3.0);
    let xi = memories(k, n, 1);
    let input = gaussian(n, 0.2, 3);
    let net = HierarchicalMemory::two_layer(
        &xi,
        k,
        n,
        Lagrangian::Identity,
        Lagrangian::RectifiedPower { n: deg },
        1.0,
        0.0,
        input.clone(),
    )
    .unwrap();
    for seed in 0..5 {
        let mut x = vec![0.0; n + k];
        x[..n].copy_from_slice(&gaussian(n, 0.5, 10 + seed));
        let v = &x[..n].to_vec();
        let dam: f64 = 0.5 * v.iter().map(|a| a * a).sum::<f64>()
            - input.iter().zip(v).map(|(a, b)| a * b).sum::<f64>()
            - xi.chunks(n)
                .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum::<f64>().max(0.0).powf(deg) / deg)
                .sum::<f64>();
        let e = net.settled_energy(&x).unwrap();
        assert!((e - dam).abs() <= 1e-12 * (1.0 + dam.abs()), "{e} vs {dam}");
    }
}

/// Model B: with an instantaneous softmax layer, the energy is the modern Hopfield energy up
/// to a constant, and one Euler step of size τ_f is the update ξᵀ softmax(βξq).
#[test]
fn model_b_reduces_to_the_modern_hopfield_network() {
    let (k, n, beta) = (40, 16, 0.3);
    let xi = memories(k, n, 2);
    let net = HierarchicalMemory::two_layer(
        &xi,
        k,
        n,
        Lagrangian::Identity,
        Lagrangian::Softmax { beta },
        1.0,
        0.0,
        Vec::new(),
    )
    .unwrap();
    let xi32: Vec<f32> = xi.iter().map(|&v| v as f32).collect();
    let modern = ModernHopfield::new(&xi32, k, n).unwrap();
    let mut offset = None;
    for seed in 0..5 {
        let mut x = vec![0.0; n + k];
        // Queries representable in f32 exactly, so both models see the same point.
        let q: Vec<f32> = gaussian(n, 1.0, 30 + seed).iter().map(|&v| (v * 8.0).round() as f32 / 8.0).collect();
        x.iter_mut().zip(&q).for_each(|(a, &b)| *a = b as f64);
        let diff = net.settled_energy(&x).unwrap() - modern.energy(&q, beta).unwrap();
        let c = *offset.get_or_insert(diff);
        assert!((diff - c).abs() < 1e-9, "energy difference {diff} not constant ({c})");
        // One explicit Euler step with dt = τ_f.
        let mut f = vec![0.0; n + k];
        net.rhs(0.0, &x, &mut f);
        let stepped: Vec<f64> = (0..n).map(|i| x[i] + f[i]).collect();
        let mut z: Vec<f64> =
            xi.chunks(n).map(|r| beta * r.iter().zip(&q).map(|(a, &b)| a * b as f64).sum::<f64>()).collect();
        let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        z.iter_mut().for_each(|v| *v = (*v - m).exp());
        let s: f64 = z.iter().sum();
        for (i, &out) in stepped.iter().enumerate() {
            let want: f64 = (0..k).map(|mu| xi[mu * n + i] * z[mu] / s).sum();
            assert!((out - want).abs() < 1e-12, "component {i}: {out} vs {want}");
        }
    }
    // The constant is −½M² − β⁻¹ ln K with M the largest pattern norm (Ramsauer et al.).
    let expected = -0.5 * n as f64 - (k as f64).ln() / beta;
    assert!((offset.unwrap() - expected).abs() < 1e-9, "{offset:?} vs {expected}");
}

#[test]
fn relax_descends_and_stops_at_a_fixed_point() {
    let (k, n) = (6, 20);
    let xi = memories(k, n, 5);
    let net = HierarchicalMemory::two_layer(
        &xi,
        k,
        n,
        Lagrangian::Tanh { beta: 1.0 },
        Lagrangian::Softmax { beta: 1.0 },
        1.0,
        0.2,
        Vec::new(),
    )
    .unwrap();
    let mut x = vec![0.0; n + k];
    // Cue: memory 0 with four signs flipped, at half strength.
    for i in 0..n {
        x[i] = 0.5 * xi[i] * if i < 4 { -1.0 } else { 1.0 };
    }
    let r = net.relax(&mut x, &RelaxOptions { dt: 0.05, max_steps: 5000, tol: 1e-9 }, &StopFlag::new()).unwrap();
    assert!(r.converged, "{} steps", r.steps);
    assert!(r.energies.windows(2).all(|w| w[1] <= w[0] + 1e-12 * w[0].abs().max(1.0)));
    let signs_ok = (0..n).all(|i| x[i].signum() == xi[i]);
    assert!(signs_ok, "did not retrieve memory 0: {:?}", &x[..n]);
}

#[test]
fn batch_relaxation_matches_single_states_at_any_thread_count() {
    let (k, n) = (10, 12);
    let xi = memories(k, n, 8);
    let net = HierarchicalMemory::two_layer(
        &xi,
        k,
        n,
        Lagrangian::Tanh { beta: 1.0 },
        Lagrangian::Softmax { beta: 2.0 },
        1.0,
        0.3,
        Vec::new(),
    )
    .unwrap();
    let s = net.state_len();
    let b = 45; // two chunks, the second partial
    let start = gaussian(b * s, 0.7, 9);
    let opts = RelaxOptions { dt: 0.05, max_steps: 400, tol: 1e-7 };
    let run_in = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut x = start.clone();
        let r = pool.install(|| net.relax_batch(&mut x, &opts, &StopFlag::new())).unwrap();
        (x, r)
    };
    let (x1, r1) = run_in(1);
    let (x2, r2) = run_in(2);
    assert_eq!(x1, x2);
    assert!(r1.iter().zip(&r2).all(|(a, b)| a.energies == b.energies && a.steps == b.steps));
    for i in 0..b {
        let mut y = start[i * s..(i + 1) * s].to_vec();
        let single = net.relax(&mut y, &opts, &StopFlag::new()).unwrap();
        assert_eq!(single.steps, r1[i].steps, "state {i}");
        assert_eq!(single.converged, r1[i].converged);
        for (a, b) in y.iter().zip(&x1[i * s..(i + 1) * s]) {
            assert!((a - b).abs() < 1e-12, "state {i}: {a} vs {b}");
        }
    }
    assert!(r1.iter().filter(|r| r.converged).count() > b / 2);
    assert!(net.relax_batch(&mut [0.0; 5], &opts, &StopFlag::new()).is_err());
}

#[test]
fn bad_networks_and_states_are_named_errors() {
    let l = |n| Layer::new(n, Lagrangian::Identity, 1.0);
    assert!(HierarchicalMemory::new(vec![], vec![]).is_err());
    assert!(HierarchicalMemory::new(vec![l(0)], vec![]).is_err());
    let e = HierarchicalMemory::new(vec![l(2), l(3)], vec![Synapse { a: 1, b: 0, weights: vec![0.0; 5] }]);
    assert!(e.unwrap_err().to_string().contains("expected 3 x 2"));
    let e = HierarchicalMemory::new(vec![l(2)], vec![Synapse { a: 0, b: 0, weights: vec![0.0; 4] }]);
    assert!(e.unwrap_err().to_string().contains("itself"));
    let e = HierarchicalMemory::new(vec![l(2), l(2)], vec![Synapse { a: 1, b: 2, weights: vec![0.0; 4] }]);
    assert!(e.is_err());
    let fast = |n| Layer::new(n, Lagrangian::Identity, 0.0);
    let e = HierarchicalMemory::new(vec![fast(2), fast(2), l(1)], vec![Synapse { a: 1, b: 0, weights: vec![0.0; 4] }]);
    assert!(e.unwrap_err().to_string().contains("instantaneous"));
    assert!(HierarchicalMemory::new(vec![fast(2)], vec![]).is_err());
    let e = HierarchicalMemory::new(vec![Layer::new(2, Lagrangian::Softmax { beta: -1.0 }, 1.0)], vec![]);
    assert!(e.unwrap_err().to_string().contains("beta"));
    let e = HierarchicalMemory::new(vec![l(2), l(2)], vec![Synapse { a: 1, b: 0, weights: vec![f64::NAN; 4] }]);
    assert!(e.is_err());
    let net = HierarchicalMemory::new(vec![l(2)], vec![]).unwrap();
    assert!(net.energy(&[1.0]).unwrap_err().to_string().contains("length 1, expected 2"));
    assert!(net.energy(&[1.0, f64::NAN]).is_err());
    let exp = HierarchicalMemory::new(vec![Layer::new(1, Lagrangian::Exp { beta: 1.0 }, 1.0)], vec![]).unwrap();
    assert!(matches!(exp.energy(&[1e4]), Err(Error::Numerical(_))));
    let bad = RelaxOptions { dt: 0.0, max_steps: 1, tol: 0.0 };
    assert!(net.relax(&mut [0.0, 0.0], &bad, &StopFlag::new()).is_err());
}
