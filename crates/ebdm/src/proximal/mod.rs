//! Proximal-descent dynamics for composite and constrained reconstruction
//! (`spec/proximal.md`): proximal operators and projections, least-squares data terms in two
//! named conventions, the proximal gradient and LCA dynamics with their discrete limits ISTA and
//! FISTA, coordinate descent, proportional–integral dynamics for equality constraints, batched
//! sparse coding, and the sparse-recovery phase transition.

pub mod cd;
pub mod coding;
pub mod estimator;
pub mod experiments;
pub mod fixture;
pub mod phase;
pub mod pi_pgd;
pub mod problem;
pub mod prox;
pub mod reconstruction;
pub mod solvers;

pub use problem::{Convention, DenseMatrix, LeastSquares, LinOp, Quadratic, Smooth};
pub use prox::Prox;
pub use solvers::{solve, Method, Options, SolveReport};
