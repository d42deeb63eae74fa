//! Acceptance experiments of the proximal specification (`spec/proximal.md`, section 5), as
//! library functions returning pass/fail checks and the curves to plot.
//!
//! All run on the SM-LASSO fixture (seed 42, n = 500, p = 2000, k = 50, λ = 0.1·λ_max, `Ml`
//! convention) unless stated, in double precision, one thread, from `x₀ = 0`, with `γ = 1/L`
//! and `L = ‖X‖₂²/n` from a dense eigensolver.

use faer::Mat;
use rand_distr::{Distribution, StandardNormal};

use super::cd::{coordinate_descent, CdPenalty};
use super::coding::{encode, Codes, CodingOptions, CodingSolver, Dictionary};
use super::fixture::{sm_lasso, LassoFixture};
use super::phase::{self, PhaseConfig, PhasePoint};
use super::pi_pgd::{pi_pgd, PiPgdOptions};
use super::problem::{Convention, DenseMatrix, LeastSquares, Quadratic, Smooth};
use super::prox::{tv1d_denoise, BoxSet, ElasticNet, GroupL2, L1Ball, L1Nonneg, L2Ball, Nonneg, Prox, Simplex, L1};
use super::reconstruction::{inpaint, mnist_patches, psnr, random_dictionary};
use super::solvers::{solve, solve_observed, Method, Options, SolveReport};
use crate::data::idx::Images;
use crate::engine::rng::stream_path;
use crate::engine::run::RunLimits;
use crate::error::Result;
use crate::experiment::{Chart, Check, Figure, Harness, ImageGrid, Outcome, Palette, PhaseDiagram, Series};

mod flows;
mod images;
mod lasso;
mod operators;
pub mod registry;
#[cfg(test)]
mod tests;
mod transition;

pub use flows::{a14, a15, pi_pgd_problem};
pub use images::{a11, a12};
pub use lasso::{a3, a3_solvers, a4, a5, a6, a7, a8};
pub use operators::{a1, a13, a2};
pub use transition::{a10, a9};

/// Reference values of spec §4.1.
pub mod reference {
    pub const LAMBDA_MAX: f64 = 2.545342289395892;
    pub const LAMBDA: f64 = 0.2545342289395892;
    pub const LIPSCHITZ: f64 = 9.101234793036463;
    pub const F0: f64 = 60.51525662893073;
    pub const P_STAR: f64 = 17.422686926803852;
    pub const W_L1: f64 = 61.88339345779114;
    pub const EXTRA_SUPPORT: [usize; 4] = [77, 156, 795, 1493];
    pub const KKT_MARGIN: f64 = 0.011445;
    pub const SUPPORT_EIG: (f64, f64) = (0.47645, 1.70108);
    pub const NONNEG_P: f64 = 30.42061278916951;
    pub const ENET_P: f64 = 24.74105937178389;
    pub const ENET_ALPHA: f64 = 0.5090684578791784;
    pub const GROUP_LAMBDA_MAX: f64 = 1.2340409115982303;
}

/// Stream ids of the proximal experiments (disjoint from the other families').
use crate::experiment::streams as ids;

/// A curve for a figure.
#[derive(Clone, Debug)]
struct Curve {
    name: String,
    points: Vec<(f64, f64)>,
}

/// A figure: curves against a common axis.
#[derive(Clone, Debug)]
struct Plot {
    stem: String,
    title: String,
    x_label: String,
    y_label: String,
    log_y: bool,
    curves: Vec<Curve>,
}

impl From<Plot> for Figure {
    fn from(p: Plot) -> Self {
        let mut chart = Chart::new(&p.stem, p.title, &p.x_label, &p.y_label);
        chart.log_y = p.log_y;
        chart.series(p.curves.into_iter().map(|c| Series::line(c.name, c.points))).into()
    }
}

/// The SM-LASSO problem with its exact Lipschitz constant.
pub struct SmLasso {
    pub fixture: LassoFixture,
    pub f: LeastSquares<DenseMatrix>,
    pub lambda: f64,
}

impl SmLasso {
    pub fn new() -> Result<Self> {
        let fixture = sm_lasso(42, 500, 2000, 50)?;
        let a = DenseMatrix::from_mat(&fixture.x)?;
        let norm_sq = a.spectral_norm_sq()?;
        let f = LeastSquares::new(a, fixture.y.clone(), Convention::Ml)?.with_norm_sq(norm_sq)?;
        let lambda = 0.1 * f.lambda_max();
        Ok(Self { fixture, f, lambda })
    }

    pub fn l1(&self) -> L1 {
        L1 { lambda: self.lambda }
    }

    /// The reference support `{0, 40, …, 1960} ∪ {77, 156, 795, 1493}`.
    pub fn reference_support() -> Vec<usize> {
        let mut s: Vec<usize> = (0..50).map(|j| 40 * j).chain(reference::EXTRA_SUPPORT).collect();
        s.sort_unstable();
        s
    }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

fn fmt(v: f64) -> String {
    format!("{v:.6e}")
}

/// KKT on the Lasso: the worst `|X_jᵀr/n − λ sign w_j|` on the support and the worst
/// `|X_jᵀr/n|/λ` off it.
fn lasso_kkt(p: &SmLasso, w: &[f64]) -> (f64, f64) {
    let c = p.f.correlation(&p.f.residual(w));
    let (mut active, mut inactive) = (0.0f64, 0.0f64);
    for (c, w) in c.iter().zip(w) {
        if *w != 0.0 {
            active = active.max((c - p.lambda * w.signum()).abs());
        } else {
            inactive = inactive.max(c.abs() / p.lambda);
        }
    }
    (active, inactive)
}

fn support(w: &[f64], threshold: f64) -> Vec<usize> {
    w.iter().enumerate().filter(|(_, v)| v.abs() > threshold).map(|(j, _)| j).collect()
}

fn first_below(trace: &[crate::proximal::solvers::TracePoint], level: f64) -> Option<usize> {
    trace.iter().find(|t| (t.objective - reference::P_STAR) / reference::P_STAR <= level).map(|t| t.iter)
}

fn gap_curve(r: &SolveReport) -> Vec<(f64, f64)> {
    r.trace
        .iter()
        .map(|t| (t.iter as f64, (t.objective - reference::P_STAR) / reference::P_STAR))
        .filter(|p| p.1 > 0.0)
        .collect()
}
