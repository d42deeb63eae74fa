//! One entry point for least-squares problems with a named penalty, shared by the command line
//! and the Python package: penalties by name, `λ` absolute or relative to `λ_max`, and the
//! default solver (coordinate descent for separable ℓ1-type penalties, FISTA with restart
//! otherwise).

use std::str::FromStr;

use serde::Serialize;

use super::cd::{coordinate_descent, CdPenalty};
use super::problem::{Convention, DenseMatrix, LeastSquares, LinOp, RowMajorView};
use super::prox::{self, Prox};
use super::solvers::{solve, Method, Options, SolveReport};
use crate::error::{Error, Result};

/// The penalties and constraints available by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PenaltyKind {
    L1,
    L1Nonneg,
    ElasticNet,
    GroupL2,
    Box,
    Nonneg,
    Simplex,
    L2Ball,
    L1Ball,
    Tv1d,
    L0,
    Mcp,
}

impl PenaltyKind {
    pub const NAMES: [&'static str; 12] = [
        "l1",
        "l1_nonneg",
        "elastic_net",
        "group_l2",
        "box",
        "nonneg",
        "simplex",
        "l2_ball",
        "l1_ball",
        "tv1d",
        "l0",
        "mcp",
    ];

    /// ℓ1, nonnegative ℓ1 and the elastic net, which coordinate descent handles.
    pub fn is_separable_l1(self) -> bool {
        matches!(self, PenaltyKind::L1 | PenaltyKind::L1Nonneg | PenaltyKind::ElasticNet)
    }
}

impl FromStr for PenaltyKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let k = s.to_ascii_lowercase().replace('-', "_");
        let all = [
            PenaltyKind::L1,
            PenaltyKind::L1Nonneg,
            PenaltyKind::ElasticNet,
            PenaltyKind::GroupL2,
            PenaltyKind::Box,
            PenaltyKind::Nonneg,
            PenaltyKind::Simplex,
            PenaltyKind::L2Ball,
            PenaltyKind::L1Ball,
            PenaltyKind::Tv1d,
            PenaltyKind::L0,
            PenaltyKind::Mcp,
        ];
        Self::NAMES
            .iter()
            .position(|n| *n == k)
            .map(|i| all[i])
            .ok_or_else(|| Error::param("penalty", format!("`{s}` is not one of {}", Self::NAMES.join(", "))))
    }
}

/// A penalty by name with every parameter any of them takes.
#[derive(Clone, Debug)]
pub struct PenaltySpec {
    pub kind: PenaltyKind,
    /// `λ` of ℓ1, group, TV, ℓ0 and MCP; the total `α` of the elastic net.
    pub lambda: f64,
    /// Elastic net: the ℓ1 share of `α` (scikit-learn's `l1_ratio`).
    pub l1_ratio: f64,
    /// Group lasso: consecutive groups of this size, weights `√size`.
    pub group_size: usize,
    /// Box bounds.
    pub lo: f64,
    pub hi: f64,
    /// Simplex total or ball radius.
    pub radius: f64,
    /// MCP concavity.
    pub gamma_m: f64,
}

impl Default for PenaltySpec {
    fn default() -> Self {
        Self {
            kind: PenaltyKind::L1,
            lambda: 0.1,
            l1_ratio: 0.5,
            group_size: 5,
            lo: 0.0,
            hi: 1.0,
            radius: 1.0,
            gamma_m: 3.0,
        }
    }
}

impl PenaltySpec {
    /// The penalty with weight `lambda` in place of `self.lambda`, for `dim` unknowns.
    pub fn build(&self, lambda: f64, dim: usize) -> Result<Box<dyn Prox>> {
        Ok(match self.kind {
            PenaltyKind::L1 => Box::new(prox::L1::new(lambda)?),
            PenaltyKind::L1Nonneg => Box::new(prox::L1Nonneg::new(lambda)?),
            PenaltyKind::ElasticNet => Box::new(prox::ElasticNet::from_alpha(lambda, self.l1_ratio)?),
            PenaltyKind::GroupL2 => Box::new(prox::GroupL2::consecutive(lambda, dim, self.group_size)?),
            PenaltyKind::Box => Box::new(prox::BoxSet::new(self.lo, self.hi)?),
            PenaltyKind::Nonneg => Box::new(prox::Nonneg),
            PenaltyKind::Simplex => Box::new(prox::Simplex::new(self.radius)?),
            PenaltyKind::L2Ball => Box::new(prox::L2Ball::new(self.radius)?),
            PenaltyKind::L1Ball => Box::new(prox::L1Ball::new(self.radius)?),
            PenaltyKind::Tv1d => Box::new(prox::Tv1d::new(lambda)?),
            PenaltyKind::L0 => Box::new(prox::L0::new(lambda)?),
            PenaltyKind::Mcp => Box::new(prox::Mcp::new(lambda, self.gamma_m)?),
        })
    }

    /// The smallest weight for which `w = 0` is optimal, from the correlations `c = sXᵀy`:
    /// `‖c‖_∞` (ℓ1; `max c` for nonnegative ℓ1; `‖c‖_∞/l1_ratio` for the elastic net's α) or
    /// `max_g ‖c_g‖/√|g|` for groups. Other penalties use `‖c‖_∞` as their scale.
    pub fn lambda_max(&self, c: &[f64]) -> Result<f64> {
        let inf = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        Ok(match self.kind {
            PenaltyKind::GroupL2 => prox::GroupL2::consecutive(1.0, c.len(), self.group_size)?.lambda_max(c),
            PenaltyKind::L1Nonneg => c.iter().fold(0.0f64, |m, &v| m.max(v)),
            PenaltyKind::ElasticNet if self.l1_ratio > 0.0 => inf / self.l1_ratio,
            _ => inf,
        })
    }
}

/// The solver of [`fit`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Solver {
    Cd,
    Generic(Method),
}

/// The outcome of [`fit`].
#[derive(Clone, Debug, Serialize)]
pub struct Fit {
    #[serde(flatten)]
    pub report: SolveReport,
    pub penalty: String,
    pub lambda: f64,
    pub lambda_max: f64,
}

/// Solves `min f(w) + g(w)` for the named penalty with `λ = spec.lambda` (times `λ_max` when
/// `relative`), by `solver` or the default one.
pub fn fit<A: LinOp>(
    f: &LeastSquares<A>,
    spec: &PenaltySpec,
    relative: bool,
    solver: Option<Solver>,
    opts: &Options,
) -> Result<Fit> {
    let c0 = f.correlation(f.targets());
    let lambda_max = spec.lambda_max(&c0)?;
    let lambda = if relative { spec.lambda * lambda_max } else { spec.lambda };
    let dim = f.operator().cols();
    let g = spec.build(lambda, dim)?;
    let solver = solver.unwrap_or_else(|| default_solver(spec));
    let report = match solver {
        Solver::Cd => {
            if !spec.kind.is_separable_l1() {
                return Err(Error::param(
                    "solver",
                    format!("coordinate descent handles l1, l1_nonneg and elastic_net, not {}", g.describe()),
                ));
            }
            let (l1, l2) = match spec.kind {
                PenaltyKind::ElasticNet => (lambda * spec.l1_ratio, lambda * (1.0 - spec.l1_ratio)),
                _ => (lambda, 0.0),
            };
            coordinate_descent(f, CdPenalty { l1, l2, nonneg: spec.kind == PenaltyKind::L1Nonneg }, None, opts)?
        }
        Solver::Generic(m) => solve(f, g.as_ref(), None, m, opts)?,
    };
    Ok(Fit { report, penalty: g.describe(), lambda, lambda_max })
}

/// The solver [`fit`] uses when none is named: coordinate descent for the separable ℓ1
/// penalties (l1, l1_nonneg, elastic net), FISTA with restart otherwise.
pub fn default_solver(spec: &PenaltySpec) -> Solver {
    if spec.kind.is_separable_l1() {
        Solver::Cd
    } else {
        Solver::Generic(Method::Fista { restart: true })
    }
}

/// Whether [`fit`] with `solver` (or the default one) runs coordinate descent, which reads the
/// design column by column on one thread.
pub fn reads_columns(spec: &PenaltySpec, solver: Option<Solver>) -> bool {
    matches!(solver.unwrap_or_else(|| default_solver(spec)), Solver::Cd)
}

/// [`fit`] for a design matrix given row by row (`data[i·p + j] = X_ij`, as C-ordered arrays
/// and `.npy` files store it). Coordinate descent reads columns, so it gets a column-major
/// copy; the gradient methods read the rows in place ([`RowMajorView`]), forming both products
/// of a gradient in one pass over them, in parallel on the current rayon pool (results do not
/// depend on its size).
#[allow(clippy::too_many_arguments)]
pub fn fit_rows(
    rows: usize,
    cols: usize,
    data: &[f64],
    y: Vec<f64>,
    convention: Convention,
    spec: &PenaltySpec,
    relative: bool,
    solver: Option<Solver>,
    opts: &Options,
) -> Result<Fit> {
    if reads_columns(spec, solver) {
        let f = LeastSquares::new(DenseMatrix::from_row_major(rows, cols, data)?, y, convention)?;
        fit(&f, spec, relative, solver, opts)
    } else {
        let f = LeastSquares::new(RowMajorView::new(rows, cols, data)?, y, convention)?;
        fit(&f, spec, relative, solver, opts)
    }
}
