//! The Goemans–Williamson relaxation of MaxCut, solved by a rank-`k` Burer–Monteiro
//! factorisation, with hyperplane rounding and a certified upper bound on the cut.
//!
//! With the Laplacian `L = Diag(d) − W`, the relaxation is
//!
//! ```text
//! SDP = max ¼⟨L, X⟩ = Σ_edges w_ij (1 − X_ij)/2   s.t.  X_ii = 1,  X ⪰ 0,
//! ```
//!
//! an upper bound on every cut. Writing `X = VVᵀ` with unit rows `v_i ∈ ℝᵏ` (Burer & Monteiro
//! 2003; `k ≥ √(2n)` keeps an optimum reachable, Barvinok–Pataki), block-coordinate ascent sets
//! `v_i ← −g_i/‖g_i‖` with `g_i = Σ_j w_ij v_j`, which maximises the objective in `v_i` with the
//! other rows fixed, so the objective never decreases.
//!
//! The bound is certified by weak duality, not by the ascent having converged: for any `y` with
//! `Diag(y) − L/4 ⪰ 0`, every cut is at most `Σ_i y_i`. From the factorisation,
//! `y_i = ¼(d_i − v_i·g_i)` (complementary slackness at the optimum; `Σ y_i` is the current SDP
//! objective), shifted by `max(0, −λ_min(Diag(y) − L/4))` so that it is feasible. The smallest
//! eigenvalue comes from a dense symmetric eigensolver, so the bound is limited to
//! [`MAX_BOUND_NODES`] vertices; a safety margin covers its rounding.
//!
//! Rounding (Goemans & Williamson 1995): `s_i = sign(v_i · r)` for Gaussian `r`, the best of
//! `roundings` hyperplanes, then greedy one-flip descent.

use faer::{Mat, Side};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

use super::greedy::polish;
use super::model::{Backend, MaxCutGraph};
use crate::engine::rng::stream_path;
use crate::engine::run::{RunControl, RunLimits, StepInfo, StopFlag, StopReason};
use crate::engine::simd::dot;
use crate::error::{Error, Result};

/// Largest graph for which [`gw`] certifies an upper bound (dense eigenvalues, `O(n³)`).
pub const MAX_BOUND_NODES: usize = 4000;

/// Settings of [`gw`].
#[derive(Clone, Debug)]
pub struct GwOptions {
    /// Rank `k`; `None` uses `⌈√(2n)⌉ + 1`.
    pub rank: Option<usize>,
    /// Most coordinate sweeps.
    pub max_sweeps: usize,
    /// Stop when a sweep raises the objective by less than this fraction.
    pub tol: f64,
    /// Random hyperplanes tried.
    pub roundings: usize,
    /// Compute the certified upper bound (needs at most [`MAX_BOUND_NODES`] vertices).
    pub bound: bool,
    pub seed: u64,
    pub stop: StopFlag,
}

impl Default for GwOptions {
    fn default() -> Self {
        Self { rank: None, max_sweeps: 5000, tol: 1e-12, roundings: 64, bound: true, seed: 0, stop: StopFlag::new() }
    }
}

/// The outcome of [`gw`].
#[derive(Clone, Debug, Serialize)]
pub struct GwResult {
    /// Best rounded and polished cut, and its spins.
    pub cut: f64,
    pub spins: Vec<i8>,
    /// `¼⟨L, VVᵀ⟩` at the last sweep (a lower estimate of the SDP optimum).
    pub sdp_value: f64,
    /// Certified upper bound on every cut (`None` when not requested or the graph is too large).
    pub upper_bound: Option<f64>,
    /// `−λ_min(Diag(y) − L/4)` before the shift (0 when already feasible).
    pub dual_shift: f64,
    pub rank: usize,
    pub sweeps: usize,
    pub interrupted: bool,
}

/// Adjacency lists `(j, w)` of every vertex.
fn adjacency(g: &MaxCutGraph) -> Vec<Vec<(usize, f64)>> {
    let mut adj = vec![Vec::new(); g.n];
    for &(i, j, w) in &g.edges {
        adj[i as usize].push((j as usize, w));
        adj[j as usize].push((i as usize, w));
    }
    adj
}

/// `g_i = Σ_j w_ij v_j`.
fn neighbour_sum(adj: &[(usize, f64)], v: &[f64], k: usize, out: &mut [f64]) {
    out.iter_mut().for_each(|x| *x = 0.0);
    for &(j, w) in adj {
        out.iter_mut().zip(&v[j * k..(j + 1) * k]).for_each(|(o, x)| *o += w * x);
    }
}

/// `y_i = ¼(d_i − v_i·g_i)`: the dual point of the factorisation; `Σ y_i = ¼⟨L, VVᵀ⟩` is the
/// relaxation's objective.
fn dual_point(adj: &[Vec<(usize, f64)>], degrees: &[f64], v: &[f64], k: usize) -> Vec<f64> {
    let mut gi = vec![0.0; k];
    (0..degrees.len())
        .map(|i| {
            neighbour_sum(&adj[i], v, k, &mut gi);
            0.25 * (degrees[i] - dot(&v[i * k..(i + 1) * k], &gi))
        })
        .collect()
}

/// Solves the rank-`k` relaxation of `g`, rounds it and, when asked, certifies an upper bound.
pub fn gw(g: &MaxCutGraph, opts: &GwOptions) -> Result<GwResult> {
    let n = g.n;
    if n == 0 {
        return Err(Error::param("graph", "has no vertices"));
    }
    if !(opts.tol.is_finite() && opts.tol >= 0.0) || opts.max_sweeps == 0 || opts.roundings == 0 {
        return Err(Error::param("tol / max_sweeps / roundings", "need tol ≥ 0, max_sweeps ≥ 1 and roundings ≥ 1"));
    }
    let k = opts.rank.unwrap_or(((2.0 * n as f64).sqrt().ceil() as usize) + 1).max(1);
    let adj = adjacency(g);
    let degrees = g.degrees();
    let mut rng = stream_path(opts.seed, &[1]);
    let mut v: Vec<f64> = (0..n * k).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
    for row in v.chunks_exact_mut(k) {
        let norm = dot(row, row).sqrt();
        row.iter_mut().for_each(|x| *x /= norm);
    }
    let objective = |v: &[f64]| dual_point(&adj, &degrees, v, k).iter().sum::<f64>();
    let mut value = objective(&v);
    let mut gi = vec![0.0; k];
    let mut run = RunControl::start(&RunLimits::steps(opts.max_sweeps), &opts.stop)?;
    while run.proceed() {
        for i in 0..n {
            neighbour_sum(&adj[i], &v, k, &mut gi);
            let norm = dot(&gi, &gi).sqrt();
            if norm > 0.0 {
                v[i * k..(i + 1) * k].iter_mut().zip(&gi).for_each(|(x, g)| *x = -g / norm);
            }
        }
        let next = objective(&v);
        let gain = next - value;
        value = next;
        run.stepped(&StepInfo { converged: gain <= opts.tol * value.abs().max(1.0), ..StepInfo::default() });
    }

    // Hyperplane rounding, best of `roundings`, then one-flip polish on the Ising form.
    let model = g.to_ising(Backend::Auto)?;
    let mut best: Option<(f64, Vec<i8>)> = None;
    for r in 0..opts.roundings {
        let mut rr = stream_path(opts.seed, &[2, r as u64]);
        let dir: Vec<f64> = (0..k).map(|_| rr.sample::<f64, _>(StandardNormal)).collect();
        let mut s: Vec<i8> = v.chunks_exact(k).map(|vi| if dot(vi, &dir) >= 0.0 { 1 } else { -1 }).collect();
        polish(&model, &mut s);
        let cut = g.cut(&s);
        if best.as_ref().is_none_or(|(c, _)| cut > *c) {
            best = Some((cut, s));
        }
    }
    let (cut, spins) = best.expect("at least one rounding");

    let (upper_bound, dual_shift) = if opts.bound && n <= MAX_BOUND_NODES {
        let (ub, shift) = certified_bound(g, &adj, &degrees, &v, k)?;
        (Some(ub), shift)
    } else {
        (None, 0.0)
    };
    Ok(GwResult {
        cut,
        spins,
        sdp_value: value,
        upper_bound,
        dual_shift,
        rank: k,
        sweeps: run.steps(),
        interrupted: run.reason() == StopReason::Interrupted,
    })
}

/// `Σ y_i` for the dual point `y_i = ¼(d_i − v_i·g_i) + max(0, −λ_min(Diag(y) − L/4))`, plus a
/// margin for the rounding of the eigensolver; returns the bound and the shift.
fn certified_bound(
    g: &MaxCutGraph,
    adj: &[Vec<(usize, f64)>],
    degrees: &[f64],
    v: &[f64],
    k: usize,
) -> Result<(f64, f64)> {
    let n = g.n;
    let y = dual_point(adj, degrees, v, k);
    // M = Diag(y) − L/4 = Diag(y − d/4) + W/4.
    let mut m = Mat::<f64>::zeros(n, n);
    for i in 0..n {
        m[(i, i)] = y[i] - 0.25 * degrees[i];
    }
    for &(i, j, w) in &g.edges {
        let (i, j) = (i as usize, j as usize);
        m[(i, j)] += 0.25 * w;
        m[(j, i)] += 0.25 * w;
    }
    let eig = m
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| Error::Numerical(format!("eigenvalues of the dual matrix: {e:?}")))?;
    let lambda_min = eig.iter().copied().fold(f64::INFINITY, f64::min);
    let frobenius = m.norm_l2();
    // Backward-stable eigensolvers err by a small multiple of u·‖M‖.
    let margin = 1e-10 * frobenius.max(1.0);
    let shift = (margin - lambda_min).max(0.0);
    Ok((y.iter().sum::<f64>() + n as f64 * shift, (-lambda_min).max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::ising::exact::ground_state;

    fn random_graph(n: usize, density: f64, signed: bool, seed: u64) -> MaxCutGraph {
        let mut rng = stream(seed, 7);
        let mut edges = Vec::new();
        for i in 0..n as u32 {
            for j in i + 1..n as u32 {
                if rng.random::<f64>() < density {
                    let w = if signed {
                        if rng.random::<bool>() {
                            1.0
                        } else {
                            -1.0
                        }
                    } else {
                        0.5 + rng.random::<f64>()
                    };
                    edges.push((i, j, w));
                }
            }
        }
        MaxCutGraph::new(n, edges).unwrap()
    }

    /// The bound holds against the exact maximum cut (brute force) on random graphs with
    /// positive and with ±1 weights, and the rounded cut never exceeds it.
    #[test]
    fn upper_bound_is_at_least_the_exact_maximum_cut() {
        for seed in 0..12 {
            let n = 8 + (seed as usize % 9);
            let g = random_graph(n, 0.5, seed % 2 == 1, seed);
            let (h, _) = ground_state(&g.to_ising(Backend::Dense).unwrap()).unwrap();
            let best = g.cut_from_energy(h);
            let r = gw(&g, &GwOptions { seed, ..GwOptions::default() }).unwrap();
            let ub = r.upper_bound.unwrap();
            assert!(ub >= best - 1e-9, "seed {seed}: bound {ub} below the maximum cut {best}");
            assert!(r.cut <= best + 1e-9 && (g.cut(&r.spins) - r.cut).abs() < 1e-12);
            // The ascent converged: the dual needed (almost) no shift, so the bound is close to
            // the SDP value.
            assert!(ub - r.sdp_value <= 1e-5 * ub.abs().max(1.0), "seed {seed}: {ub} vs SDP {}", r.sdp_value);
        }
    }

    /// The 5-cycle: SDP value (5/2)(1 − cos(4π/5)) = 4.5225 > 4, the maximum cut.
    #[test]
    fn five_cycle_has_the_closed_form_sdp_value() {
        let edges = (0..5u32).map(|i| (i, (i + 1) % 5, 1.0)).collect();
        let g = MaxCutGraph::new(5, edges).unwrap();
        let r = gw(&g, &GwOptions::default()).unwrap();
        let want = 2.5 * (1.0 - (4.0 * std::f64::consts::PI / 5.0).cos());
        assert!((r.sdp_value - want).abs() < 1e-6, "{} vs {want}", r.sdp_value);
        let ub = r.upper_bound.unwrap();
        assert!(ub >= want - 1e-9 && ub - want < 1e-5, "{ub} vs {want}");
        assert_eq!(r.cut, 4.0);
    }

    /// A bound computed from a poor factorisation (one sweep, rank 1) is still valid: the dual
    /// shift repairs feasibility.
    #[test]
    fn bound_from_an_unconverged_factorisation_is_still_valid() {
        let g = random_graph(14, 0.6, true, 99);
        let (h, _) = ground_state(&g.to_ising(Backend::Dense).unwrap()).unwrap();
        let best = g.cut_from_energy(h);
        let r = gw(&g, &GwOptions { rank: Some(1), max_sweeps: 1, ..GwOptions::default() }).unwrap();
        assert!(r.upper_bound.unwrap() >= best - 1e-9);
    }
}
