//! `ebdm reproduce`: the acceptance experiments of the specifications, by namespaced id
//! (`family/E<n>`), each printing measured against reference values with PASS/FAIL.

use std::path::Path;

use anyhow::{bail, Result};
use ebdm::memory::experiments::classifier::E10Config;
use ebdm::memory::experiments::{
    basin::BasinConfig, capacity::CapacityConfig, graded_limit::GradedConfig, recall::RecallConfig,
};
use ebdm::memory::experiments::{dense, dense_capacity::ScalingConfig, lagrangian::LagrangianConfig, modern};

use ebdm::proximal::experiments as px;
use ebdm::proximal::phase::PhaseConfig;

use crate::classify;
use crate::experiments::{self, Outcome};
use crate::ising;
use crate::output::Env;
use crate::sparse;

/// One registered experiment.
pub struct Entry {
    pub id: &'static str,
    pub title: &'static str,
    pub cost: &'static str,
    run: fn(&Env, &Path, bool) -> Result<Outcome>,
}

/// Every experiment `ebdm reproduce` knows.
pub fn registry() -> Vec<Entry> {
    vec![
        Entry {
            id: "memory/E1",
            title: "Classical capacity curve, finite-size extrapolation of α_c (AGS 0.138)",
            cost: "about 10 s on 2 cores (--quick: 1 s)",
            run: |env, dir, quick| {
                let cfg = if quick { CapacityConfig::e1_quick() } else { CapacityConfig::e1() };
                experiments::capacity(env, &cfg, dir, "memory/E1: classical capacity")
            },
        },
        Entry {
            id: "memory/E2",
            title: "Exact-recall scaling (McEliece): fraction of patterns that are fixed points",
            cost: "seconds",
            run: |env, dir, _| experiments::recall(env, &RecallConfig::e2(), dir, "memory/E2: exact-recall scaling"),
        },
        Entry {
            id: "memory/E3",
            title: "Basins of attraction of the classical network",
            cost: "about 10 s (--quick: 2 s)",
            run: |env, dir, quick| {
                let cfg = if quick { BasinConfig::e3_quick() } else { BasinConfig::e3() };
                experiments::basin(env, &cfg, dir, "memory/E3: basins of attraction")
            },
        },
        Entry {
            id: "memory/E4",
            title: "Polynomial dense associative memory: one-step bit error against SNR theory",
            cost: "seconds",
            run: |env, dir, quick| {
                let networks = if quick { 2 } else { 10 };
                experiments::dense_snr(
                    env,
                    &dense::e4_grid(),
                    200,
                    networks,
                    dir,
                    "memory/E4: dense associative memory, SNR",
                )
            },
        },
        Entry {
            id: "memory/E5",
            title: "Polynomial dense associative memory: capacity scaling exponent K* ~ N^(n-1)/ln N",
            cost: "about 10 s (--quick: 2 s)",
            run: |env, dir, quick| {
                let cfg =
                    if quick { ScalingConfig { samples: 300, ..ScalingConfig::e5() } } else { ScalingConfig::e5() };
                experiments::dense_scaling(env, &cfg, dir, "memory/E5: dense associative memory capacity scaling")
            },
        },
        Entry {
            id: "memory/E6",
            title: "Exponential dense associative memory: K = e^(αN) patterns, up to 362k at N = 32",
            cost: "about 10 s",
            run: |env, dir, quick| {
                let cfg = if quick {
                    dense::ExpConfig { tests: 30, ..dense::ExpConfig::e6() }
                } else {
                    dense::ExpConfig::e6()
                };
                experiments::dense_exp(env, &cfg, dir, "memory/E6: exponential dense associative memory")
            },
        },
        Entry {
            id: "memory/E7",
            title: "Modern Hopfield network: one-step retrieval table and β regimes (d = 256, K = 1024)",
            cost: "about 20 s",
            run: |env, dir, quick| {
                let cfg = if quick {
                    modern::ModernConfig { seeds: 3, ..modern::ModernConfig::e7() }
                } else {
                    modern::ModernConfig::e7()
                };
                experiments::modern_table(env, &cfg, dir, "memory/E7: modern Hopfield retrieval")
            },
        },
        Entry {
            id: "memory/E8",
            title: "ODE memories (graded Hopfield, KH2021 A/B, HAM): descent, Lyapunov identity, limits",
            cost: "about 10 s (--quick: 3 s)",
            run: |env, dir, quick| {
                let cfg = if quick { GradedConfig { seeds: 8, ..GradedConfig::e8() } } else { GradedConfig::e8() };
                let graded = experiments::graded(env, &cfg, dir, "memory/E8: graded Hopfield network")?;
                let cfg = if quick {
                    LagrangianConfig { seeds: 4, horizon: 2.0, ..LagrangianConfig::e8() }
                } else {
                    LagrangianConfig::e8()
                };
                let lagr = experiments::lagrangian(env, &cfg, dir, "memory/E8: Lagrangian memories")?;
                Ok(experiments::Outcome {
                    checks: graded.checks.into_iter().chain(lagr.checks).collect(),
                    interrupted: graded.interrupted || lagr.interrupted,
                })
            },
        },
        Entry {
            id: "memory/E10",
            title: "DAM classifier, MNIST 8k/2k split of t10k, n = 2, 3, 20, 30 (not comparable with 60k-train)",
            cost: "about 17 min on 2 busy cores, 4-5 min per n (--quick: about 30 s)",
            run: |env, dir, quick| {
                let cfg = if quick { E10Config::e10_quick() } else { E10Config::e10() };
                classify::reproduce_e10(env, &cfg, dir, "memory/E10: dense associative memory classifier")
            },
        },
        Entry {
            id: "proximal/A1",
            title: "Proximal operators: closed forms, Moreau identity, projections",
            cost: "< 1 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A1: proximal operators", |h| px::a1(h.seed)),
        },
        Entry {
            id: "proximal/A2",
            title: "SplitMix64 and the SM-LASSO generator check values",
            cost: "< 1 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A2: SM-LASSO generator", |_| px::a2()),
        },
        Entry {
            id: "proximal/A3",
            title: "SM-LASSO solved by ISTA, FISTA, FISTA+restart, PGD, LCA, CD: optimum, support, KKT, gap",
            cost: "about 5 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A3: SM-LASSO by every solver", |_| px::a3()),
        },
        Entry {
            id: "proximal/A4",
            title: "Euler steps (h = 1) of PGD and LCA equal ISTA",
            cost: "< 1 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A4: Euler = ISTA", |_| px::a4()),
        },
        Entry {
            id: "proximal/A5",
            title: "Iterations to 1e-4, 1e-8, 1e-10 for ISTA, FISTA, FISTA+restart; objective-gap plot",
            cost: "about 2 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A5: iteration counts", |_| px::a5()),
        },
        Entry {
            id: "proximal/A6",
            title: "Objective non-increasing along PGD and LCA, h = 1, 0.5, 0.1",
            cost: "about 15 s (--quick: h = 1, 0.5)",
            run: |env, dir, quick| {
                prox_entry(env, dir, "proximal/A6: monotone objective", move |_| {
                    px::a6(if quick { &[1.0, 0.5] } else { &[1.0, 0.5, 0.1] })
                })
            },
        },
        Entry {
            id: "proximal/A7",
            title: "Continuous-time invariance of PGD and the local rate γ·λ_min(X_SᵀX_S/n)",
            cost: "about 10 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A7: continuous time", |_| px::a7()),
        },
        Entry {
            id: "proximal/A8",
            title: "Nonnegative Lasso, elastic net, group lasso on SM-LASSO",
            cost: "about 5 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A8: composite problems", |_| px::a8()),
        },
        Entry {
            id: "proximal/A9",
            title: "State-evolution phase curve ρ_SE(δ), signed and nonnegative",
            cost: "< 1 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A9: phase curve", |_| px::a9()),
        },
        Entry {
            id: "proximal/A10",
            title: "Empirical ℓ1 phase transition, N = 400, δ = 0.25, 0.5, 20 trials per point",
            cost: "about 30 s on 2 cores (--quick: 6 trials)",
            run: |env, dir, quick| {
                let cfg = if quick { PhaseConfig { trials: 6, ..PhaseConfig::a10() } } else { PhaseConfig::a10() };
                let total = (cfg.deltas.len() * cfg.fractions.len() * cfg.trials) as u64;
                sparse::run_outcome(env, dir, "proximal/A10: empirical phase transition", |h| px::a10(&cfg, h), total)
            },
        },
        Entry {
            id: "proximal/A11",
            title: "Batched sparse coding of 2000 MNIST patches (FISTA, LCA vs CD reference)",
            cost: "about 5 s",
            run: |env, dir, _| {
                let images = mnist_images()?;
                prox_entry(env, dir, "proximal/A11: batched sparse coding", |h| px::a11(&images, h.seed, &h.stop))
            },
        },
        Entry {
            id: "proximal/A12",
            title: "Inpainting 50 MNIST digits from 50 % of pixels, ℓ1 on the 2-D DCT",
            cost: "about 10 s",
            run: |env, dir, _| {
                let images = mnist_images()?;
                prox_entry(env, dir, "proximal/A12: inpainting", |h| px::a12(&images, h.seed))
            },
        },
        Entry {
            id: "proximal/A13",
            title: "TV-1D prox (Condat): optimality certificate and denoising",
            cost: "< 1 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A13: TV-1D", |h| px::a13(h.seed)),
        },
        Entry {
            id: "proximal/A14",
            title: "PI-PGD on the equality-constrained Lasso: feasibility and stationarity at T = 30",
            cost: "< 1 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A14: PI-PGD", |h| px::a14(h.seed)),
        },
        Entry {
            id: "proximal/A15",
            title: "Contraction of PGD trajectories at the predicted rate",
            cost: "about 3 s",
            run: |env, dir, _| prox_entry(env, dir, "proximal/A15: contraction", |h| px::a15(h.seed)),
        },
        Entry {
            id: "ising/E4",
            title: "Every Ising solver against exhaustive ground states, N = 4…20, four families",
            cost: "about 10 s on 2 cores (--quick: 3 s)",
            run: |env, dir, quick| ising::reproduce_e4(env, dir, quick, "ising/E4: exact ground states"),
        },
        Entry {
            id: "ising/E5",
            title: "Same seed, same result at 1 and 2 threads, for every Ising solver",
            cost: "seconds",
            run: |env, dir, _| ising::reproduce_e5(env, dir, "ising/E5: determinism"),
        },
        Entry {
            id: "ising/E9",
            title: "Certified Goemans–Williamson bound on the bundled G-set files: at or above the best known",
            cost: "about 5 s",
            run: |env, dir, _| ising::reproduce_e9(env, dir, "ising/E9: GW bound"),
        },
        Entry {
            id: "boltzmann/X4",
            title: "AIS (S&M schedule, 100 runs) vs exact log Z of a 20-hidden RBM trained on MNIST-8k",
            cost: "about 1-2 min on 2 cores (--quick: about 20 s)",
            run: |env, dir, quick| crate::rbm::reproduce_x4(env, dir, quick, "boltzmann/X4: AIS against exact log Z"),
        },
    ]
}

fn prox_entry(
    env: &Env,
    dir: &Path,
    title: &str,
    run: impl FnOnce(&ebdm::experiment::Harness) -> ebdm::Result<px::Outcome>,
) -> Result<Outcome> {
    sparse::run_outcome(env, dir, title, run, 0)
}

/// The bundled MNIST test images (the command runs from the repository root).
fn mnist_images() -> Result<ebdm::data::idx::Images> {
    let path = Path::new("data/mnist/t10k-images-idx3-ubyte.gz");
    ebdm::data::idx::read_images(path).map_err(|e| {
        anyhow::anyhow!("{e} (run from the repository root, where data/mnist holds the MNIST test images)")
    })
}

/// Prints the registry.
pub fn list() {
    println!("{:<14} {:<80} cost", "id", "experiment");
    for e in registry() {
        println!("{:<14} {:<80} {}", e.id, e.title, e.cost);
    }
}

/// Runs one experiment (or `all`) and returns whether every check passed.
pub fn run(env: &Env, id: &str, out: &Path, quick: bool) -> Result<bool> {
    let entries = registry();
    let selected: Vec<&Entry> = if id == "all" {
        entries.iter().collect()
    } else {
        entries.iter().filter(|e| e.id.eq_ignore_ascii_case(id)).collect()
    };
    if selected.is_empty() {
        let ids: Vec<&str> = entries.iter().map(|e| e.id).collect();
        bail!("unknown experiment `{id}`; known: {} (or `all`)", ids.join(", "));
    }
    let mut all_pass = true;
    for e in selected {
        let dir = out.join(e.id.replace('/', "_"));
        let outcome = (e.run)(env, &dir, quick)?;
        all_pass &= outcome.checks.iter().all(|c| c.pass);
        if outcome.interrupted {
            bail!("interrupted; partial results kept in {}", dir.display());
        }
    }
    Ok(all_pass)
}
