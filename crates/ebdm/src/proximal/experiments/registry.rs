//! The proximal-descent experiments as registry entries.

use super::{a1, a10, a11, a12, a13, a14, a15, a2, a3, a4, a5, a6, a7, a8, a9};
use crate::data::idx::{read_images, Images};
use crate::error::Result;
use crate::experiment::{Entry, RunContext};
use crate::proximal::phase::PhaseConfig;

/// The bundled MNIST test images.
fn mnist_images(ctx: &RunContext) -> Result<Images> {
    read_images(&ctx.data_dir("mnist")?.join("t10k-images-idx3-ubyte.gz"))
}

/// The proximal family's experiments.
pub const ENTRIES: &[Entry] = &[
    Entry {
        id: "proximal/A1",
        title: "Proximal operators: closed forms, Moreau identity, projections",
        cost: "< 1 s",
        run: |ctx| a1(ctx.seed()),
    },
    Entry {
        id: "proximal/A2",
        title: "SplitMix64 and the SM-LASSO generator check values",
        cost: "< 1 s",
        run: |_| a2(),
    },
    Entry {
        id: "proximal/A3",
        title: "SM-LASSO solved by ISTA, FISTA, FISTA+restart, PGD, LCA, CD: optimum, support, KKT, gap",
        cost: "about 5 s",
        run: |_| a3(),
    },
    Entry { id: "proximal/A4", title: "Euler steps (h = 1) of PGD and LCA equal ISTA", cost: "< 1 s", run: |_| a4() },
    Entry {
        id: "proximal/A5",
        title: "Iterations to 1e-4, 1e-8, 1e-10 for ISTA, FISTA, FISTA+restart; objective-gap plot",
        cost: "about 2 s",
        run: |_| a5(),
    },
    Entry {
        id: "proximal/A6",
        title: "Objective non-increasing along PGD and LCA, h = 1, 0.5, 0.1",
        cost: "about 15 s (--quick: h = 1, 0.5)",
        run: |ctx| a6(if ctx.quick { &[1.0, 0.5] } else { &[1.0, 0.5, 0.1] }),
    },
    Entry {
        id: "proximal/A7",
        title: "Continuous-time invariance of PGD and the local rate γ·λ_min(X_SᵀX_S/n)",
        cost: "about 10 s",
        run: |_| a7(),
    },
    Entry {
        id: "proximal/A8",
        title: "Nonnegative Lasso, elastic net, group lasso on SM-LASSO",
        cost: "about 5 s",
        run: |_| a8(),
    },
    Entry {
        id: "proximal/A9",
        title: "State-evolution phase curve ρ_SE(δ), signed and nonnegative",
        cost: "< 1 s",
        run: |_| a9(),
    },
    Entry {
        id: "proximal/A10",
        title: "Empirical ℓ1 phase transition, N = 400, δ = 0.25, 0.5, 20 trials per point",
        cost: "about 30 s on 2 cores (--quick: 6 trials)",
        run: |ctx| {
            let cfg = if ctx.quick { PhaseConfig { trials: 6, ..PhaseConfig::a10() } } else { PhaseConfig::a10() };
            ctx.harness.begin("trials", (cfg.deltas.len() * cfg.fractions.len() * cfg.trials) as u64);
            a10(&cfg, ctx.harness)
        },
    },
    Entry {
        id: "proximal/A11",
        title: "Batched sparse coding of 2000 MNIST patches (FISTA, LCA vs CD reference)",
        cost: "about 5 s",
        run: |ctx| a11(&mnist_images(ctx)?, ctx.seed(), &ctx.harness.stop),
    },
    Entry {
        id: "proximal/A12",
        title: "Inpainting 50 MNIST digits from 50 % of pixels, ℓ1 on the 2-D DCT",
        cost: "about 10 s",
        run: |ctx| a12(&mnist_images(ctx)?, ctx.seed()),
    },
    Entry {
        id: "proximal/A13",
        title: "TV-1D prox (Condat): optimality certificate and denoising",
        cost: "< 1 s",
        run: |ctx| a13(ctx.seed()),
    },
    Entry {
        id: "proximal/A14",
        title: "PI-PGD on the equality-constrained Lasso: feasibility and stationarity at T = 30",
        cost: "< 1 s",
        run: |ctx| a14(ctx.seed()),
    },
    Entry {
        id: "proximal/A15",
        title: "Contraction of PGD trajectories at the predicted rate",
        cost: "about 3 s",
        run: |ctx| a15(ctx.seed()),
    },
];
