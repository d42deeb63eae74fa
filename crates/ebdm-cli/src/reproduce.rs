//! `ebdm reproduce`: the acceptance experiments of the specifications, by namespaced id
//! (`family/E<n>`), each printing measured against reference values with PASS/FAIL.

use std::path::Path;

use anyhow::{bail, Result};
use ebdm::memory::experiments::classifier::E10Config;
use ebdm::memory::experiments::{
    basin::BasinConfig, capacity::CapacityConfig, graded_limit::GradedConfig, recall::RecallConfig,
};
use ebdm::memory::experiments::{dense, dense_capacity::ScalingConfig, lagrangian::LagrangianConfig, modern};

use crate::classify;
use crate::experiments::{self, Outcome};
use crate::output::Env;

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
            id: "boltzmann/X4",
            title: "AIS (S&M schedule, 100 runs) vs exact log Z of a 20-hidden RBM trained on MNIST-8k",
            cost: "about 1-2 min on 2 cores (--quick: about 20 s)",
            run: |env, dir, quick| crate::rbm::reproduce_x4(env, dir, quick, "boltzmann/X4: AIS against exact log Z"),
        },
    ]
}

/// Prints the registry.
pub fn list() {
    println!("{:<12} {:<80} cost", "id", "experiment");
    for e in registry() {
        println!("{:<12} {:<80} {}", e.id, e.title, e.cost);
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
