//! Proximal operators and projections.
//!
//! For a convex, closed, proper `g` and a step `γ > 0`,
//!
//! ```text
//! prox_{γg}(v) = argmin_z  g(z) + ‖z − v‖² / (2γ).
//! ```
//!
//! A projection onto a closed convex set `C` is the prox of its indicator `ι_C` (for any `γ`).
//! Every operator here also evaluates `g` itself (`+∞` outside the domain), which the solvers
//! need for objective (energy) traces, and the norm-like penalties report their polar gauge and
//! the distance of a vector to their subdifferential, which give duality gaps and KKT checks.
//!
//! Thresholds are the scalar building blocks: [`soft`] is the prox of `t|·|`, [`hard`] the prox
//! of `(t²/2)·1{x ≠ 0}`, [`firm`] the prox of the minimax-concave penalty.

use std::ops::Range;

use crate::error::{Error, Result};

/// A proximable function `g`.
pub trait Prox: Sync {
    /// `out = prox_{γg}(v)`.
    fn prox(&self, v: &[f64], gamma: f64, out: &mut [f64]);
    /// `g(x)`; `+∞` outside the domain.
    fn value(&self, x: &[f64]) -> f64;
    /// A short name with the parameters, for output files.
    fn describe(&self) -> String;
    /// For `g = g₁ + (λ₂/2)‖x‖²` with `g₁` a gauge (positively homogeneous, such as a norm):
    /// the polar `g₁°(u) = sup{uᵀx : g₁(x) ≤ 1}`. Dual feasibility in the Lasso-type dual is
    /// `g₁°(u) ≤ 1`. `None` for functions that are not of this form.
    fn polar(&self, _u: &[f64]) -> Option<f64> {
        None
    }
    /// The ridge part `λ₂` of `g = g₁ + (λ₂/2)‖x‖²` (0 unless the penalty has one).
    fn ridge(&self) -> f64 {
        0.0
    }
    /// `dist_∞(u, ∂g(x))` where it is cheap to compute: the KKT violation of `x` when
    /// `u = −∇f(x)`. `None` when not available.
    fn subgradient_distance(&self, _x: &[f64], _u: &[f64]) -> Option<f64> {
        None
    }
}

/// Soft thresholding `sign(u)·max(|u| − t, 0)`, the prox of `t|·|`.
///
/// Written as `u − clamp(u, −t, t)`: the same rounding as the three-case form (`u − t`,
/// `u + t` or an exact zero) without branches, so loops over it vectorize and do not pay for
/// mispredicted signs. The comparisons map onto single min/max instructions; a NaN `u` stays
/// NaN.
#[inline]
pub fn soft(u: f64, t: f64) -> f64 {
    let low = if u < -t { -t } else { u };
    let clamped = if low > t { t } else { low };
    u - clamped
}

/// One-sided soft thresholding `max(u − t, 0)`, the prox of `t|·| + ι_{≥0}`.
#[inline]
pub fn nonneg_soft(u: f64, t: f64) -> f64 {
    (u - t).max(0.0)
}

/// Hard thresholding `u·1{|u| > t}`, the prox of `(t²/2)·1{x ≠ 0}`.
#[inline]
pub fn hard(u: f64, t: f64) -> f64 {
    if u.abs() > t {
        u
    } else {
        0.0
    }
}

/// Firm thresholding (Gao & Bruce 1997) with `0 ≤ t1 < t2`: 0 for `|u| ≤ t1`, the line
/// `sign(u)·t2(|u| − t1)/(t2 − t1)` for `t1 < |u| < t2`, and `u` for `|u| ≥ t2`. It is the prox
/// of the minimax-concave penalty with `λ = t1`, `γ_mcp = t2/t1` at unit step.
#[inline]
pub fn firm(u: f64, t1: f64, t2: f64) -> f64 {
    let a = u.abs();
    if a <= t1 {
        0.0
    } else if a < t2 {
        u.signum() * t2 * (a - t1) / (t2 - t1)
    } else {
        u
    }
}

fn check_lambda(name: &'static str, lambda: f64) -> Result<()> {
    if lambda.is_finite() && lambda >= 0.0 {
        Ok(())
    } else {
        Err(Error::param(name, format!("must be finite and ≥ 0, got {lambda}")))
    }
}

fn l1_norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v.abs()).sum()
}

fn l2_norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn max_abs(u: &[f64]) -> f64 {
    u.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// Polar of `λ‖·‖₁`: `‖u‖_∞/λ` (`+∞` when λ = 0 and u ≠ 0).
fn l1_polar(u: &[f64], lambda: f64) -> f64 {
    let m = max_abs(u);
    if m == 0.0 {
        0.0
    } else {
        m / lambda
    }
}

/// `dist_∞(u, λ·∂‖x‖₁)`, coordinatewise: `|u − λ sign x|` on the support, `(|u| − λ)₊` off it.
fn l1_subgradient_distance(x: &[f64], u: &[f64], lambda: f64) -> f64 {
    x.iter().zip(u).fold(0.0f64, |m, (&x, &u)| {
        let d = if x != 0.0 { (u - lambda * x.signum()).abs() } else { (u.abs() - lambda).max(0.0) };
        m.max(d)
    })
}

/// `g(x) = λ‖x‖₁`; `prox_{γg}(v) = soft(v, γλ)`.
#[derive(Clone, Debug)]
pub struct L1 {
    pub lambda: f64,
}

impl L1 {
    pub fn new(lambda: f64) -> Result<Self> {
        check_lambda("lambda", lambda)?;
        Ok(Self { lambda })
    }
}

impl Prox for L1 {
    fn prox(&self, v: &[f64], gamma: f64, out: &mut [f64]) {
        let t = gamma * self.lambda;
        for (o, &v) in out.iter_mut().zip(v) {
            *o = soft(v, t);
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.lambda * l1_norm(x)
    }
    fn describe(&self) -> String {
        format!("l1(lambda={})", self.lambda)
    }
    fn polar(&self, u: &[f64]) -> Option<f64> {
        Some(l1_polar(u, self.lambda))
    }
    fn subgradient_distance(&self, x: &[f64], u: &[f64]) -> Option<f64> {
        Some(l1_subgradient_distance(x, u, self.lambda))
    }
}

/// `g(x) = λ‖x‖₁ + ι_{x ≥ 0}`; `prox_{γg}(v) = max(v − γλ, 0)`.
#[derive(Clone, Debug)]
pub struct L1Nonneg {
    pub lambda: f64,
}

impl L1Nonneg {
    pub fn new(lambda: f64) -> Result<Self> {
        check_lambda("lambda", lambda)?;
        Ok(Self { lambda })
    }
}

impl Prox for L1Nonneg {
    fn prox(&self, v: &[f64], gamma: f64, out: &mut [f64]) {
        let t = gamma * self.lambda;
        for (o, &v) in out.iter_mut().zip(v) {
            *o = nonneg_soft(v, t);
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        if x.iter().any(|&v| v < 0.0) {
            f64::INFINITY
        } else {
            self.lambda * x.iter().sum::<f64>()
        }
    }
    fn describe(&self) -> String {
        format!("l1_nonneg(lambda={})", self.lambda)
    }
    /// The polar of `λ‖·‖₁ + ι_{≥0}` (a gauge of the orthant) is `max(max_j u_j, 0)/λ`.
    fn polar(&self, u: &[f64]) -> Option<f64> {
        let m = u.iter().fold(0.0f64, |m, &v| m.max(v));
        Some(if m == 0.0 { 0.0 } else { m / self.lambda })
    }
    fn subgradient_distance(&self, x: &[f64], u: &[f64]) -> Option<f64> {
        Some(x.iter().zip(u).fold(0.0f64, |m, (&x, &u)| {
            let d = if x > 0.0 { (u - self.lambda).abs() } else { (u - self.lambda).max(0.0) };
            m.max(d)
        }))
    }
}

/// `g(x) = λ₁‖x‖₁ + (λ₂/2)‖x‖²`; `prox_{γg}(v) = soft(v, γλ₁)/(1 + γλ₂)`.
#[derive(Clone, Debug)]
pub struct ElasticNet {
    pub l1: f64,
    pub l2: f64,
}

impl ElasticNet {
    pub fn new(l1: f64, l2: f64) -> Result<Self> {
        check_lambda("l1", l1)?;
        check_lambda("l2", l2)?;
        Ok(Self { l1, l2 })
    }

    /// From scikit-learn's parametrisation `alpha·(ρ‖x‖₁ + (1 − ρ)/2·‖x‖²)`, ρ = `l1_ratio`.
    pub fn from_alpha(alpha: f64, l1_ratio: f64) -> Result<Self> {
        check_lambda("alpha", alpha)?;
        if !(0.0..=1.0).contains(&l1_ratio) {
            return Err(Error::param("l1_ratio", format!("must lie in [0, 1], got {l1_ratio}")));
        }
        Self::new(alpha * l1_ratio, alpha * (1.0 - l1_ratio))
    }
}

impl Prox for ElasticNet {
    fn prox(&self, v: &[f64], gamma: f64, out: &mut [f64]) {
        let t = gamma * self.l1;
        let s = 1.0 / (1.0 + gamma * self.l2);
        for (o, &v) in out.iter_mut().zip(v) {
            *o = soft(v, t) * s;
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.l1 * l1_norm(x) + 0.5 * self.l2 * x.iter().map(|v| v * v).sum::<f64>()
    }
    fn describe(&self) -> String {
        format!("elastic_net(l1={}, l2={})", self.l1, self.l2)
    }
    fn polar(&self, u: &[f64]) -> Option<f64> {
        Some(l1_polar(u, self.l1))
    }
    fn ridge(&self) -> f64 {
        self.l2
    }
    fn subgradient_distance(&self, x: &[f64], u: &[f64]) -> Option<f64> {
        // u ∈ ∂g(x) ⇔ u − λ₂x ∈ λ₁∂‖x‖₁.
        let shifted: Vec<f64> = u.iter().zip(x).map(|(u, x)| u - self.l2 * x).collect();
        Some(l1_subgradient_distance(x, &shifted, self.l1))
    }
}

/// Group lasso `g(x) = λ Σ_g w_g ‖x_g‖₂` over disjoint contiguous groups that cover every
/// coordinate; `prox_{γg}(v)_g = (1 − γλw_g/‖v_g‖)₊ v_g` (0 when `v_g = 0`).
#[derive(Clone, Debug)]
pub struct GroupL2 {
    pub lambda: f64,
    groups: Vec<Range<usize>>,
    weights: Vec<f64>,
}

impl GroupL2 {
    /// Groups given as contiguous ranges that partition `0..dim`, with positive weights.
    pub fn new(lambda: f64, groups: Vec<Range<usize>>, weights: Vec<f64>) -> Result<Self> {
        check_lambda("lambda", lambda)?;
        if groups.len() != weights.len() {
            return Err(Error::Shape(format!("{} groups but {} weights", groups.len(), weights.len())));
        }
        let mut next = 0;
        for (i, g) in groups.iter().enumerate() {
            if g.start != next || g.end <= g.start {
                return Err(Error::param(
                    "groups",
                    format!("group {i} ({}..{}) must be non-empty and start at {next}", g.start, g.end),
                ));
            }
            next = g.end;
        }
        if let Some((i, w)) = weights.iter().enumerate().find(|(_, w)| !(w.is_finite() && **w > 0.0)) {
            return Err(Error::param("weights", format!("weight {i} must be finite and > 0, got {w}")));
        }
        Ok(Self { lambda, groups, weights })
    }

    /// Consecutive groups of `size` coordinates (the last may be shorter), weights `√|g|`.
    pub fn consecutive(lambda: f64, dim: usize, size: usize) -> Result<Self> {
        if size == 0 || dim == 0 {
            return Err(Error::param("group size", format!("groups of {size} over {dim} coordinates")));
        }
        let groups: Vec<_> = (0..dim).step_by(size).map(|s| s..(s + size).min(dim)).collect();
        let weights = groups.iter().map(|g| (g.len() as f64).sqrt()).collect();
        Self::new(lambda, groups, weights)
    }

    pub fn groups(&self) -> &[Range<usize>] {
        &self.groups
    }

    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The dimension the groups cover.
    pub fn dim(&self) -> usize {
        self.groups.last().map_or(0, |g| g.end)
    }

    /// `max_g ‖u_g‖/w_g`: the smallest λ for which `x = 0` is optimal when `u = −∇f(0)`.
    pub fn lambda_max(&self, u: &[f64]) -> f64 {
        self.groups.iter().zip(&self.weights).fold(0.0f64, |m, (g, w)| m.max(l2_norm(&u[g.clone()]) / w))
    }
}

impl Prox for GroupL2 {
    fn prox(&self, v: &[f64], gamma: f64, out: &mut [f64]) {
        for (g, w) in self.groups.iter().zip(&self.weights) {
            let vg = &v[g.clone()];
            let norm = l2_norm(vg);
            let scale = if norm > 0.0 { (1.0 - gamma * self.lambda * w / norm).max(0.0) } else { 0.0 };
            for (o, &v) in out[g.clone()].iter_mut().zip(vg) {
                *o = scale * v;
            }
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.lambda * self.groups.iter().zip(&self.weights).map(|(g, w)| w * l2_norm(&x[g.clone()])).sum::<f64>()
    }
    fn describe(&self) -> String {
        format!("group_l2(lambda={}, groups={})", self.lambda, self.groups.len())
    }
    fn polar(&self, u: &[f64]) -> Option<f64> {
        let m = self.lambda_max(u);
        Some(if m == 0.0 { 0.0 } else { m / self.lambda })
    }
    fn subgradient_distance(&self, x: &[f64], u: &[f64]) -> Option<f64> {
        let mut worst = 0.0f64;
        for (g, w) in self.groups.iter().zip(&self.weights) {
            let (xg, ug) = (&x[g.clone()], &u[g.clone()]);
            let nx = l2_norm(xg);
            let t = self.lambda * w;
            let d = if nx > 0.0 {
                xg.iter().zip(ug).map(|(x, u)| (u - t * x / nx).powi(2)).sum::<f64>().sqrt()
            } else {
                (l2_norm(ug) - t).max(0.0)
            };
            worst = worst.max(d);
        }
        Some(worst)
    }
}

/// The box `[lo, hi]` in every coordinate; the prox is `clip(v, lo, hi)`.
#[derive(Clone, Debug)]
pub struct BoxSet {
    pub lo: f64,
    pub hi: f64,
}

impl BoxSet {
    pub fn new(lo: f64, hi: f64) -> Result<Self> {
        if lo.is_nan() || hi.is_nan() || lo > hi || lo == f64::INFINITY || hi == f64::NEG_INFINITY {
            return Err(Error::param("box", format!("[{lo}, {hi}] is empty")));
        }
        Ok(Self { lo, hi })
    }
}

impl Prox for BoxSet {
    fn prox(&self, v: &[f64], _gamma: f64, out: &mut [f64]) {
        for (o, &v) in out.iter_mut().zip(v) {
            *o = v.clamp(self.lo, self.hi);
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        if x.iter().all(|&v| v >= self.lo && v <= self.hi) {
            0.0
        } else {
            f64::INFINITY
        }
    }
    fn describe(&self) -> String {
        format!("box(lo={}, hi={})", self.lo, self.hi)
    }
}

/// The nonnegative orthant; the prox is `max(v, 0)`.
#[derive(Clone, Debug, Default)]
pub struct Nonneg;

impl Prox for Nonneg {
    fn prox(&self, v: &[f64], _gamma: f64, out: &mut [f64]) {
        for (o, &v) in out.iter_mut().zip(v) {
            *o = v.max(0.0);
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        if x.iter().all(|&v| v >= 0.0) {
            0.0
        } else {
            f64::INFINITY
        }
    }
    fn describe(&self) -> String {
        "nonneg".into()
    }
}

/// The relative slack within which a point counts as inside the simplex and the balls. The
/// sorting projections themselves are accurate to about `n·ε·max|v|` absolutely, which relative
/// to a small radius can reach 1e-14; points that close to the set are returned unchanged, so a
/// projection applied twice gives exactly its first result.
const SET_RTOL: f64 = 1e-12;

/// Projection onto the simplex `{x ≥ 0, Σx = z}` by sorting: with `v` sorted in descending
/// order, `ρ = max{j : v_(j) > (Σ_{i≤j} v_(i) − z)/j}` and `τ = (Σ_{i≤ρ} v_(i) − z)/ρ`, the
/// projection is `max(v − τ, 0)` (Held, Wolfe & Crowder 1974; Duchi et al. 2008).
pub fn project_simplex(v: &[f64], z: f64, out: &mut [f64]) {
    if v.iter().all(|&x| x >= 0.0) && (v.iter().sum::<f64>() - z).abs() <= SET_RTOL * z {
        out.copy_from_slice(v);
        return;
    }
    let mut sorted = v.to_vec();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let (mut sum, mut tau) = (0.0, 0.0);
    for (j, &s) in sorted.iter().enumerate() {
        sum += s;
        let t = (sum - z) / (j + 1) as f64;
        if s > t {
            tau = t;
        }
    }
    for (o, &v) in out.iter_mut().zip(v) {
        *o = (v - tau).max(0.0);
    }
}

/// The simplex `{x ≥ 0, Σx = z}`, `z > 0`.
#[derive(Clone, Debug)]
pub struct Simplex {
    pub z: f64,
}

impl Simplex {
    pub fn new(z: f64) -> Result<Self> {
        if !(z.is_finite() && z > 0.0) {
            return Err(Error::param("z", format!("the simplex needs a finite total z > 0, got {z}")));
        }
        Ok(Self { z })
    }
}

impl Prox for Simplex {
    fn prox(&self, v: &[f64], _gamma: f64, out: &mut [f64]) {
        project_simplex(v, self.z, out);
    }
    fn value(&self, x: &[f64]) -> f64 {
        let sum: f64 = x.iter().sum();
        if x.iter().all(|&v| v >= 0.0) && (sum - self.z).abs() <= SET_RTOL * self.z {
            0.0
        } else {
            f64::INFINITY
        }
    }
    fn describe(&self) -> String {
        format!("simplex(z={})", self.z)
    }
}

/// The Euclidean ball `{‖x‖₂ ≤ r}`; the prox is `v·min(1, r/‖v‖₂)`.
#[derive(Clone, Debug)]
pub struct L2Ball {
    pub r: f64,
}

impl L2Ball {
    pub fn new(r: f64) -> Result<Self> {
        check_lambda("r", r)?;
        Ok(Self { r })
    }
}

impl Prox for L2Ball {
    fn prox(&self, v: &[f64], _gamma: f64, out: &mut [f64]) {
        let norm = l2_norm(v);
        let s = if norm > self.r * (1.0 + SET_RTOL) { self.r / norm } else { 1.0 };
        for (o, &v) in out.iter_mut().zip(v) {
            *o = s * v;
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        if l2_norm(x) <= self.r * (1.0 + SET_RTOL) {
            0.0
        } else {
            f64::INFINITY
        }
    }
    fn describe(&self) -> String {
        format!("l2_ball(r={})", self.r)
    }
}

/// The ℓ1 ball `{‖x‖₁ ≤ r}`: `v` if inside, else `sign(v)·P_{simplex(r)}(|v|)`.
#[derive(Clone, Debug)]
pub struct L1Ball {
    pub r: f64,
}

impl L1Ball {
    pub fn new(r: f64) -> Result<Self> {
        check_lambda("r", r)?;
        Ok(Self { r })
    }
}

impl Prox for L1Ball {
    fn prox(&self, v: &[f64], _gamma: f64, out: &mut [f64]) {
        if l1_norm(v) <= self.r * (1.0 + SET_RTOL) {
            out.copy_from_slice(v);
            return;
        }
        if self.r == 0.0 {
            out.fill(0.0);
            return;
        }
        let abs: Vec<f64> = v.iter().map(|x| x.abs()).collect();
        project_simplex(&abs, self.r, out);
        for (o, &v) in out.iter_mut().zip(v) {
            *o = o.copysign(v);
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        if l1_norm(x) <= self.r * (1.0 + SET_RTOL) {
            0.0
        } else {
            f64::INFINITY
        }
    }
    fn describe(&self) -> String {
        format!("l1_ball(r={})", self.r)
    }
}

/// Exact 1-D total-variation denoising,
/// `x = argmin ½‖x − s‖² + t Σ_i |x_{i+1} − x_i|`, by the direct algorithm of Condat (IEEE
/// Signal Processing Letters 20(11), 2013): it sweeps once from left to right, keeping the
/// range of values the current constant segment may take, and fixes a segment as soon as the
/// running dual variable leaves `[−t, t]`. Linear time in practice, no tolerance.
pub fn tv1d_denoise(s: &[f64], t: f64, out: &mut [f64]) {
    let n = s.len();
    if n == 0 {
        return;
    }
    if t <= 0.0 || n == 1 {
        out.copy_from_slice(s);
        return;
    }
    // Segment start k0; candidate ends of the lower (kminus) and upper (kplus) value bounds.
    let (mut k, mut k0, mut kminus, mut kplus) = (0usize, 0usize, 0usize, 0usize);
    let (mut vmin, mut vmax) = (s[0] - t, s[0] + t);
    let (mut umin, mut umax) = (t, -t);
    loop {
        while k == n - 1 {
            if umin < 0.0 {
                // The segment ends at kminus with value vmin.
                out[k0..=kminus].fill(vmin);
                k0 = kminus + 1;
                k = k0;
                kminus = k0;
                vmin = s[k0];
                umin = t;
                umax = vmin + umin - vmax;
            } else if umax > 0.0 {
                out[k0..=kplus].fill(vmax);
                k0 = kplus + 1;
                k = k0;
                kplus = k0;
                vmax = s[k0];
                umax = -t;
                umin = vmax + umax - vmin;
            } else {
                vmin += umin / (k - k0 + 1) as f64;
                out[k0..=k].fill(vmin);
                return;
            }
        }
        umin += s[k + 1] - vmin;
        if umin < -t {
            out[k0..=kminus].fill(vmin);
            k0 = kminus + 1;
            (k, kminus, kplus) = (k0, k0, k0);
            vmin = s[k0];
            vmax = vmin + 2.0 * t;
            umin = t;
            umax = -t;
            continue;
        }
        umax += s[k + 1] - vmax;
        if umax > t {
            out[k0..=kplus].fill(vmax);
            k0 = kplus + 1;
            (k, kminus, kplus) = (k0, k0, k0);
            vmax = s[k0];
            vmin = vmax - 2.0 * t;
            umin = t;
            umax = -t;
            continue;
        }
        k += 1;
        if umin >= t {
            kminus = k;
            vmin += (umin - t) / (k - k0 + 1) as f64;
            umin = t;
        }
        if umax <= -t {
            kplus = k;
            vmax += (umax + t) / (k - k0 + 1) as f64;
            umax = -t;
        }
    }
}

/// 1-D total variation `g(x) = λ Σ_i |x_{i+1} − x_i|`, prox by [`tv1d_denoise`] with `t = γλ`.
#[derive(Clone, Debug)]
pub struct Tv1d {
    pub lambda: f64,
}

impl Tv1d {
    pub fn new(lambda: f64) -> Result<Self> {
        check_lambda("lambda", lambda)?;
        Ok(Self { lambda })
    }
}

impl Prox for Tv1d {
    fn prox(&self, v: &[f64], gamma: f64, out: &mut [f64]) {
        tv1d_denoise(v, gamma * self.lambda, out);
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.lambda * x.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>()
    }
    fn describe(&self) -> String {
        format!("tv1d(lambda={})", self.lambda)
    }
}

/// The non-convex `g(x) = (λ²/2)‖x‖₀`; `prox_{γg}(v) = hard(v, λ√γ)`.
#[derive(Clone, Debug)]
pub struct L0 {
    pub lambda: f64,
}

impl L0 {
    pub fn new(lambda: f64) -> Result<Self> {
        check_lambda("lambda", lambda)?;
        Ok(Self { lambda })
    }
}

impl Prox for L0 {
    fn prox(&self, v: &[f64], gamma: f64, out: &mut [f64]) {
        let t = self.lambda * gamma.sqrt();
        for (o, &v) in out.iter_mut().zip(v) {
            *o = hard(v, t);
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        0.5 * self.lambda * self.lambda * x.iter().filter(|&&v| v != 0.0).count() as f64
    }
    fn describe(&self) -> String {
        format!("l0(lambda={})", self.lambda)
    }
}

/// The non-convex minimax-concave penalty (Zhang 2010)
/// `p(x) = λ|x| − x²/(2γ_m)` for `|x| ≤ γ_mλ`, `γ_mλ²/2` beyond. For a step `γ < γ_m` its prox
/// is [`firm`]`(v, γλ, γ_mλ)`; for `γ ≥ γ_m` it is hard thresholding at `λ√(γγ_m)`.
#[derive(Clone, Debug)]
pub struct Mcp {
    pub lambda: f64,
    pub gamma_m: f64,
}

impl Mcp {
    pub fn new(lambda: f64, gamma_m: f64) -> Result<Self> {
        check_lambda("lambda", lambda)?;
        if !(gamma_m.is_finite() && gamma_m > 0.0) {
            return Err(Error::param("gamma_m", format!("must be finite and > 0, got {gamma_m}")));
        }
        Ok(Self { lambda, gamma_m })
    }

    /// The penalty whose unit-step prox is `firm(·, t1, t2)`, `0 < t1 < t2`.
    pub fn from_firm(t1: f64, t2: f64) -> Result<Self> {
        if !(t1 > 0.0 && t2 > t1 && t2.is_finite()) {
            return Err(Error::param("t2", format!("firm thresholds need 0 < t1 < t2, got t1 = {t1}, t2 = {t2}")));
        }
        Self::new(t1, t2 / t1)
    }
}

impl Prox for Mcp {
    fn prox(&self, v: &[f64], gamma: f64, out: &mut [f64]) {
        if gamma < self.gamma_m {
            let (t1, t2) = (gamma * self.lambda, self.gamma_m * self.lambda);
            for (o, &v) in out.iter_mut().zip(v) {
                *o = firm(v, t1, t2);
            }
        } else {
            let t = self.lambda * (gamma * self.gamma_m).sqrt();
            for (o, &v) in out.iter_mut().zip(v) {
                *o = hard(v, t);
            }
        }
    }
    fn value(&self, x: &[f64]) -> f64 {
        let (l, g) = (self.lambda, self.gamma_m);
        x.iter()
            .map(|&v| {
                let a = v.abs();
                if a <= g * l {
                    l * a - a * a / (2.0 * g)
                } else {
                    0.5 * g * l * l
                }
            })
            .sum()
    }
    fn describe(&self) -> String {
        format!("mcp(lambda={}, gamma_m={})", self.lambda, self.gamma_m)
    }
}

/// `c·g` for `c > 0`: `prox_{γcg} = prox_{(γc)g}`.
pub struct Scaled<G> {
    pub inner: G,
    pub c: f64,
}

impl<G: Prox> Scaled<G> {
    pub fn new(inner: G, c: f64) -> Result<Self> {
        if !(c.is_finite() && c > 0.0) {
            return Err(Error::param("scale", format!("must be finite and > 0, got {c}")));
        }
        Ok(Self { inner, c })
    }
}

impl<G: Prox> Prox for Scaled<G> {
    fn prox(&self, v: &[f64], gamma: f64, out: &mut [f64]) {
        self.inner.prox(v, gamma * self.c, out);
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.c * self.inner.value(x)
    }
    fn describe(&self) -> String {
        format!("{}*{}", self.c, self.inner.describe())
    }
    fn polar(&self, u: &[f64]) -> Option<f64> {
        self.inner.polar(u).map(|p| p / self.c)
    }
    fn ridge(&self) -> f64 {
        self.c * self.inner.ridge()
    }
    fn subgradient_distance(&self, x: &[f64], u: &[f64]) -> Option<f64> {
        let scaled: Vec<f64> = u.iter().map(|u| u / self.c).collect();
        self.inner.subgradient_distance(x, &scaled).map(|d| d * self.c)
    }
}

/// The indicator of a closed convex set given by its projection.
pub struct Indicator<P, M> {
    project: P,
    contains: M,
    name: String,
}

impl<P, M> Indicator<P, M>
where
    P: Fn(&[f64], &mut [f64]) + Sync,
    M: Fn(&[f64]) -> bool + Sync,
{
    /// `project(v, out)` writes `P_C(v)`; `contains(x)` tells membership (for the value).
    pub fn new(name: impl Into<String>, project: P, contains: M) -> Self {
        Self { project, contains, name: name.into() }
    }
}

impl<P, M> Prox for Indicator<P, M>
where
    P: Fn(&[f64], &mut [f64]) + Sync,
    M: Fn(&[f64]) -> bool + Sync,
{
    fn prox(&self, v: &[f64], _gamma: f64, out: &mut [f64]) {
        (self.project)(v, out);
    }
    fn value(&self, x: &[f64]) -> f64 {
        if (self.contains)(x) {
            0.0
        } else {
            f64::INFINITY
        }
    }
    fn describe(&self) -> String {
        format!("indicator({})", self.name)
    }
}

/// The penalty `g = 0` (plain gradient descent).
#[derive(Clone, Debug, Default)]
pub struct Zero;

impl Prox for Zero {
    fn prox(&self, v: &[f64], _gamma: f64, out: &mut [f64]) {
        out.copy_from_slice(v);
    }
    fn value(&self, _x: &[f64]) -> f64 {
        0.0
    }
    fn describe(&self) -> String {
        "zero".into()
    }
    fn subgradient_distance(&self, _x: &[f64], u: &[f64]) -> Option<f64> {
        Some(max_abs(u))
    }
}

#[cfg(test)]
mod tests;
