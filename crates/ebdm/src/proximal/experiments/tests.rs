//! Tests of the proximal experiments.

use super::*;

fn assert_all(o: &Outcome) {
    let failed: Vec<String> = o
        .checks
        .iter()
        .filter(|c| !c.pass)
        .map(|c| format!("{}: expected {}, measured {}", c.name, c.expected, c.measured))
        .collect();
    assert!(failed.is_empty(), "failed checks:\n{}", failed.join("\n"));
    assert!(!o.checks.is_empty());
}

#[test]
fn a1_and_a2_as_experiments() {
    assert_all(&a1(0).unwrap());
    assert_all(&a2().unwrap());
}

#[test]
fn a3_every_solver_reaches_the_reference_optimum() {
    assert_all(&a3().unwrap());
}

#[test]
fn a4_euler_steps_equal_ista() {
    assert_all(&a4().unwrap());
}

#[test]
fn a5_iteration_counts() {
    assert_all(&a5().unwrap());
}

/// A6 at h ∈ {1, 0.5}; `ebdm reproduce proximal/A6` adds h = 0.1.
#[test]
fn a6_objective_never_increases_along_the_dynamics() {
    assert_all(&a6(&[1.0, 0.5]).unwrap());
}

#[test]
fn a8_composite_problems() {
    assert_all(&a8().unwrap());
}

#[test]
fn a9_state_evolution() {
    assert_all(&a9().unwrap());
}

#[test]
fn a13_tv_denoising() {
    assert_all(&a13(0).unwrap());
}

#[test]
fn a14_pi_pgd() {
    assert_all(&a14(0).unwrap());
}

#[test]
fn a15_contraction() {
    assert_all(&a15(0).unwrap());
}

fn mnist() -> Option<Images> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist/t10k-images-idx3-ubyte.gz");
    crate::data::idx::read_images(&path).ok()
}

#[test]
fn a11_batched_sparse_coding_of_mnist_patches() {
    let images = mnist().expect("bundled MNIST images");
    assert_all(&a11(&images, 0, &crate::engine::run::StopFlag::new()).unwrap());
}

#[test]
fn a12_inpainting() {
    let images = mnist().expect("bundled MNIST images");
    assert_all(&a12(&images, 0).unwrap());
}

/// A small version of A10 that still separates easy from hopeless sparsities.
#[test]
fn a10_small_grid_separates_easy_and_hard_sparsity() {
    let cfg =
        PhaseConfig { signal: 200, deltas: vec![0.5], fractions: vec![0.5, 2.0], trials: 6, ..PhaseConfig::a10() };
    let (points, _) = phase::empirical(&cfg, &Harness::new(1), ids::PHASE).unwrap();
    assert_eq!(points[0].successes, 6, "{points:?}");
    assert_eq!(points[1].successes, 0, "{points:?}");
}
