//! The Bernoulli–Bernoulli restricted Boltzmann machine.
//!
//! # Model
//!
//! Visible units `v ∈ {0,1}ⁿ`, hidden units `h ∈ {0,1}ᵐ`, weights `W ∈ ℝ^{n×m}` (row `i` belongs
//! to visible unit `i`), biases `b ∈ ℝⁿ`, `c ∈ ℝᵐ`:
//!
//! ```text
//! E(v, h) = −bᵀv − cᵀh − vᵀWh,            p(v, h) = e^{−E(v,h)} / Z,
//! p(h_j = 1 | v) = σ(c_j + vᵀW_{:j}),      p(v_i = 1 | h) = σ(b_i + W_{i:}h),
//! F(v)   = −bᵀv − Σ_j softplus(c_j + vᵀW_{:j}),     log p(v) = −F(v) − log Z,
//! F_h(h) = −cᵀh − Σ_i softplus(b_i + W_{i:}h)       (visible units summed out).
//! ```
//!
//! # Estimators
//!
//! - exact `log Z = logsumexp_h [cᵀh + Σ_i softplus(b_i + W_{i:}h)]`, enumerating the smaller
//!   layer in Gray-code order (one rank-one update of the pre-activations per configuration),
//!   in fixed blocks merged in block order, all in double precision;
//! - exact pseudo-likelihood `Σ_i log σ(F(ṽ⁽ⁱ⁾) − F(v))` (`ṽ⁽ⁱ⁾`: bit `i` flipped) and the
//!   stochastic form `n · log σ(F(ṽ⁽ⁱ⁾) − F(v))` for one index `i` per sample (scikit-learn's
//!   `score_samples`);
//! - reconstruction error `‖v − σ(b + W h̃)‖²`, `h̃ ~ p(h | v)`, and the features `σ(c + Wᵀv)`.
//!
//! Likelihoods and pseudo-likelihoods are means per sample, in nats.
//!
//! ```
//! use ebdm::boltzmann::{Layer, Rbm};
//!
//! let rbm = Rbm::random(6, 4, 0.5, 1)?;
//! let by_h = rbm.log_z_enumerate(Layer::Hidden)?;
//! let by_v = rbm.log_z_enumerate(Layer::Visible)?;
//! assert!((by_h - by_v).abs() < 1e-10);
//! # Ok::<(), ebdm::Error>(())
//! ```

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::data::Dataset;
use super::math::{log_sigmoid, sigmoid, softplus, LogSumExp};
use crate::engine::replicas::run_seeded;
use crate::engine::rng::{stream, stream_path, Rng64};
use crate::engine::run::{RunControl, RunLimits, StopFlag};
use crate::engine::simd::clear_upper_registers;
use crate::error::{Error, Result};

/// The largest layer that exact enumeration accepts (2³² configurations).
pub const MAX_EXACT_UNITS: usize = 32;
/// Samples per block of the batched estimators; fixed so results do not depend on threads.
const ROWS: usize = 256;
/// Gray-code steps between recomputations of the pre-activations from scratch.
const REFRESH: u64 = 1 << 10;
/// Stream key of the reconstruction error's hidden samples.
const KEY_RECON: u64 = 0x5EC0;

/// Which layer an enumeration runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Visible,
    Hidden,
}

/// A Bernoulli–Bernoulli RBM with plain (uncentered) parameters, in double precision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rbm {
    visible: usize,
    hidden: usize,
    /// `n × m`, row-major.
    w: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

impl Rbm {
    /// An RBM from its parameters. Errors: a layer of size 0, shapes that disagree, or a
    /// parameter that is not finite.
    pub fn new(visible: usize, hidden: usize, w: Vec<f64>, b: Vec<f64>, c: Vec<f64>) -> Result<Self> {
        check_sizes(visible, hidden)?;
        if w.len() != visible * hidden || b.len() != visible || c.len() != hidden {
            return Err(Error::Shape(format!(
                "an RBM with {visible} visible and {hidden} hidden units needs W of {} values, b of {visible} and \
                 c of {hidden}; got {}, {} and {}",
                visible * hidden,
                w.len(),
                b.len(),
                c.len()
            )));
        }
        for (name, v) in [("W", &w), ("b", &b), ("c", &c)] {
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(Error::param("rbm", format!("{name}[{i}] = {} is not finite", v[i])));
            }
        }
        Ok(Self { visible, hidden, w, b, c })
    }

    /// The same model after the checks of [`Rbm::new`] (for parameters read from a file).
    pub fn validated(self) -> Result<Self> {
        Self::new(self.visible, self.hidden, self.w, self.b, self.c)
    }

    /// Weights drawn from `N(0, std²)` with stream `(seed, 0)`, biases zero.
    pub fn random(visible: usize, hidden: usize, std: f64, seed: u64) -> Result<Self> {
        check_sizes(visible, hidden)?;
        crate::error::check_finite("std", std)?;
        let mut rng = stream(seed, 0);
        let w = (0..visible * hidden).map(|_| std * rng.sample::<f64, _>(StandardNormal)).collect();
        Self::new(visible, hidden, w, vec![0.0; visible], vec![0.0; hidden])
    }

    /// Number of visible units `n`.
    pub fn visible(&self) -> usize {
        self.visible
    }
    /// Number of hidden units `m`.
    pub fn hidden(&self) -> usize {
        self.hidden
    }
    /// `W`, `n × m` row-major.
    pub fn weights(&self) -> &[f64] {
        &self.w
    }
    /// Visible bias `b`.
    pub fn visible_bias(&self) -> &[f64] {
        &self.b
    }
    /// Hidden bias `c`.
    pub fn hidden_bias(&self) -> &[f64] {
        &self.c
    }
    /// `W_{ij}`.
    #[inline]
    pub fn weight(&self, i: usize, j: usize) -> f64 {
        self.w[i * self.hidden + j]
    }

    /// `E(v, h) = −bᵀv − cᵀh − vᵀWh`.
    pub fn energy(&self, v: &[f64], h: &[f64]) -> f64 {
        let mut e = -dot(&self.b, v) - dot(&self.c, h);
        for (i, &vi) in v.iter().enumerate() {
            if vi != 0.0 {
                e -= vi * dot(&self.w[i * self.hidden..(i + 1) * self.hidden], h);
            }
        }
        e
    }

    /// Hidden pre-activations `c + Wᵀv` into `out`.
    pub fn hidden_input(&self, v: &[f64], out: &mut [f64]) {
        out.copy_from_slice(&self.c);
        for (i, &vi) in v.iter().enumerate() {
            if vi != 0.0 {
                let row = &self.w[i * self.hidden..(i + 1) * self.hidden];
                out.iter_mut().zip(row).for_each(|(o, &w)| *o += vi * w);
            }
        }
    }

    /// Visible pre-activations `b + Wh` into `out`.
    pub fn visible_input(&self, h: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.b[i] + dot(&self.w[i * self.hidden..(i + 1) * self.hidden], h);
        }
    }

    /// `p(h_j = 1 | v) = σ(c_j + vᵀW_{:j})` into `out`.
    pub fn hidden_probs(&self, v: &[f64], out: &mut [f64]) {
        self.hidden_input(v, out);
        out.iter_mut().for_each(|x| *x = sigmoid(*x));
    }

    /// `p(v_i = 1 | h) = σ(b_i + W_{i:}h)` into `out`.
    pub fn visible_probs(&self, h: &[f64], out: &mut [f64]) {
        self.visible_input(h, out);
        out.iter_mut().for_each(|x| *x = sigmoid(*x));
    }

    /// `F(v) = −bᵀv − Σ_j softplus(c_j + vᵀW_{:j})`.
    pub fn free_energy(&self, v: &[f64]) -> f64 {
        let mut x = vec![0.0; self.hidden];
        self.hidden_input(v, &mut x);
        -dot(&self.b, v) - x.iter().map(|&t| softplus(t)).sum::<f64>()
    }

    /// `F_h(h) = −cᵀh − Σ_i softplus(b_i + W_{i:}h)`.
    pub fn free_energy_hidden(&self, h: &[f64]) -> f64 {
        let mut a = vec![0.0; self.visible];
        self.visible_input(h, &mut a);
        -dot(&self.c, h) - a.iter().map(|&t| softplus(t)).sum::<f64>()
    }

    /// Exact `log Z`, enumerating the smaller layer (hidden on ties).
    pub fn log_z_exact(&self) -> Result<f64> {
        self.log_z_enumerate(if self.visible < self.hidden { Layer::Visible } else { Layer::Hidden })
    }

    /// Exact `log Z` by enumerating `layer` in Gray-code order (at most [`MAX_EXACT_UNITS`]
    /// units), in double precision.
    pub fn log_z_enumerate(&self, layer: Layer) -> Result<f64> {
        let (k, p, rows, base, bias) = self.enumeration_terms(layer)?;
        Ok(gray_logsumexp(k, p, &rows, &base, &bias))
    }

    /// Exact `log Z` by direct enumeration of `layer`, recomputing every configuration from
    /// scratch: slow, used to check the Gray-code loop.
    pub fn log_z_naive(&self, layer: Layer) -> Result<f64> {
        let (k, p, rows, base, bias) = self.enumeration_terms(layer)?;
        let mut acc = LogSumExp::new();
        let mut a = vec![0.0; p];
        for x in 0..(1u64 << k) {
            a.copy_from_slice(&base);
            let mut t = 0.0;
            for j in 0..k {
                if x >> j & 1 == 1 {
                    t += bias[j];
                    a.iter_mut().zip(&rows[j * p..(j + 1) * p]).for_each(|(s, &r)| *s += r);
                }
            }
            acc.push(t + a.iter().map(|&s| softplus(s)).sum::<f64>());
        }
        Ok(acc.value())
    }

    /// The flip vectors (`k × p`), the other layer's bias and the enumerated layer's bias.
    #[allow(clippy::type_complexity)]
    fn enumeration_terms(&self, layer: Layer) -> Result<(usize, usize, Vec<f64>, Vec<f64>, Vec<f64>)> {
        let (n, m) = (self.visible, self.hidden);
        let k = if layer == Layer::Visible { n } else { m };
        if k > MAX_EXACT_UNITS {
            return Err(Error::param(
                "layer",
                format!("exact enumeration of {k} units is out of reach; at most {MAX_EXACT_UNITS}"),
            ));
        }
        Ok(match layer {
            Layer::Visible => (n, m, self.w.clone(), self.c.clone(), self.b.clone()),
            Layer::Hidden => (m, n, transpose(&self.w, n, m), self.b.clone(), self.c.clone()),
        })
    }

    /// Checks that `data` has `n` columns in `[0, 1]`.
    pub fn check_data(&self, data: &Dataset) -> Result<()> {
        if data.cols() != self.visible {
            return Err(Error::Shape(format!(
                "the RBM has {} visible units, the data has {} columns",
                self.visible,
                data.cols()
            )));
        }
        data.check_unit_interval()
    }

    /// `F(v)` of every sample, by blocks of matrix products in double precision.
    pub fn free_energies(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.check_data(data)?;
        Ok(self.blocks(data, |v, x, out| {
            let rows = out.len();
            for r in 0..rows {
                let vr = &v[r * self.visible..(r + 1) * self.visible];
                let xr = &x[r * self.hidden..(r + 1) * self.hidden];
                out[r] = -dot(&self.b, vr) - xr.iter().zip(&self.c).map(|(&t, &c)| softplus(t + c)).sum::<f64>();
            }
        }))
    }

    /// Mean `log p(v) = −F(v) − log Z` over the samples, for a given `log Z`.
    pub fn log_likelihood(&self, data: &Dataset, log_z: f64) -> Result<f64> {
        let f = self.free_energies(data)?;
        Ok(-f.iter().sum::<f64>() / f.len() as f64 - log_z)
    }

    /// Runs `f(v, x, out)` on fixed blocks of rows, where `x = VW` (no bias) in double precision
    /// and `out` receives one value per row; blocks run in parallel, results in row order.
    fn blocks(&self, data: &Dataset, f: impl Fn(&[f64], &[f64], &mut [f64]) + Sync) -> Vec<f64> {
        let (n, m) = (self.visible, self.hidden);
        let mut out = vec![0.0; data.rows()];
        out.par_chunks_mut(ROWS).enumerate().for_each(|(blk, o)| {
            let rows = o.len();
            let start = blk * ROWS;
            let v: Vec<f64> = data.values()[start * n..(start + rows) * n].iter().map(|&x| x as f64).collect();
            let mut x = vec![0.0; rows * m];
            matmul(
                MatMut::from_row_major_slice_mut(&mut x, rows, m),
                Accum::Replace,
                MatRef::from_row_major_slice(&v, rows, n),
                MatRef::from_row_major_slice(&self.w, n, m),
                1.0,
                Par::Seq,
            );
            clear_upper_registers();
            f(&v, &x, o);
        });
        out
    }

    /// Mean exact log pseudo-likelihood `Σ_i log σ(F(ṽ⁽ⁱ⁾) − F(v))` per sample, with `ṽ⁽ⁱ⁾ = v`
    /// but `ṽ_i = 1 − v_i`. Costs `n·m` softplus evaluations per sample.
    #[allow(clippy::needless_range_loop)]
    pub fn pseudo_likelihood(&self, data: &Dataset) -> Result<f64> {
        self.check_data(data)?;
        let (n, m) = (self.visible, self.hidden);
        let per = self.blocks(data, |v, x, out| {
            let mut xp = vec![0.0; m];
            for (r, o) in out.iter_mut().enumerate() {
                let vr = &v[r * n..(r + 1) * n];
                let xr = &x[r * m..(r + 1) * m];
                let sp0: f64 = xr.iter().zip(&self.c).map(|(&t, &c)| softplus(t + c)).sum();
                let mut total = 0.0;
                for i in 0..n {
                    let d = 1.0 - 2.0 * vr[i];
                    let wi = &self.w[i * m..(i + 1) * m];
                    xp.iter_mut().zip(xr.iter().zip(wi)).for_each(|(a, (&t, &w))| *a = t + d * w);
                    let sp1: f64 = xp.iter().zip(&self.c).map(|(&t, &c)| softplus(t + c)).sum();
                    // F(ṽ) − F(v) = −d·b_i − (sp1 − sp0)
                    total += log_sigmoid(-d * self.b[i] - (sp1 - sp0));
                }
                *o = total;
            }
        });
        Ok(per.iter().sum::<f64>() / per.len() as f64)
    }

    /// Stochastic pseudo-likelihood of every sample, `n · log σ(F(ṽ⁽ⁱ⁾) − F(v))` with `i =
    /// flips[s]` for sample `s` (scikit-learn's `score_samples` with explicit indices; the flip
    /// sets `ṽ_i = 1 − v_i`).
    pub fn pseudo_likelihood_stochastic(&self, data: &Dataset, flips: &[usize]) -> Result<Vec<f64>> {
        self.check_data(data)?;
        if flips.len() != data.rows() {
            return Err(Error::Shape(format!("{} flip indices for {} samples", flips.len(), data.rows())));
        }
        if let Some(s) = flips.iter().position(|&i| i >= self.visible) {
            return Err(Error::param("flips", format!("sample {s}: index {} is not below {}", flips[s], self.visible)));
        }
        self.stochastic_rows(data, flips)
    }

    fn stochastic_rows(&self, data: &Dataset, flips: &[usize]) -> Result<Vec<f64>> {
        let (n, m) = (self.visible, self.hidden);
        let mut x = vec![0.0; m];
        let mut v = vec![0.0; n];
        let mut out = Vec::with_capacity(data.rows());
        for (s, &i) in flips.iter().enumerate() {
            v.iter_mut().zip(data.row(s)).for_each(|(a, &b)| *a = b as f64);
            self.hidden_input(&v, &mut x);
            let f0 = -dot(&self.b, &v) - x.iter().map(|&t| softplus(t)).sum::<f64>();
            let old = v[i];
            v[i] = 1.0 - old;
            let d = v[i] - old;
            x.iter_mut().zip(&self.w[i * m..(i + 1) * m]).for_each(|(a, &w)| *a += d * w);
            let f1 = -dot(&self.b, &v) - x.iter().map(|&t| softplus(t)).sum::<f64>();
            out.push(n as f64 * log_sigmoid(f1 - f0));
        }
        Ok(out)
    }

    /// Hidden features `σ(c + Wᵀv)` of every sample, `rows × m` row-major.
    pub fn transform(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.check_data(data)?;
        let (n, m) = (self.visible, self.hidden);
        let mut out = vec![0.0; data.rows() * m];
        out.par_chunks_mut(ROWS * m).enumerate().for_each(|(blk, o)| {
            let rows = o.len() / m;
            let start = blk * ROWS;
            let v: Vec<f64> = data.values()[start * n..(start + rows) * n].iter().map(|&x| x as f64).collect();
            matmul(
                MatMut::from_row_major_slice_mut(o, rows, m),
                Accum::Replace,
                MatRef::from_row_major_slice(&v, rows, n),
                MatRef::from_row_major_slice(&self.w, n, m),
                1.0,
                Par::Seq,
            );
            clear_upper_registers();
            for row in o.chunks_exact_mut(m) {
                row.iter_mut().zip(&self.c).for_each(|(x, &c)| *x = sigmoid(*x + c));
            }
        });
        Ok(out)
    }

    /// Reconstruction error: the mean over samples of `‖v − σ(b + W h̃)‖²` with
    /// `h̃ ~ Bernoulli(σ(c + Wᵀv))` (returned first), and that value divided by `n` (per pixel).
    /// The hidden samples of block `k` of 256 samples draw from stream `(seed, [0x5EC0, k])`.
    pub fn reconstruction_error(&self, data: &Dataset, seed: u64) -> Result<(f64, f64)> {
        self.check_data(data)?;
        let (n, m) = (self.visible, self.hidden);
        let per = {
            let mut out = vec![0.0; data.rows()];
            out.par_chunks_mut(ROWS).enumerate().for_each(|(blk, o)| {
                let mut rng = stream_path(seed, &[KEY_RECON, blk as u64]);
                let mut v = vec![0.0; n];
                let mut h = vec![0.0; m];
                let mut r = vec![0.0; n];
                for (k, e) in o.iter_mut().enumerate() {
                    v.iter_mut().zip(data.row(blk * ROWS + k)).for_each(|(a, &b)| *a = b as f64);
                    self.hidden_probs(&v, &mut h);
                    h.iter_mut().for_each(|p| *p = bernoulli(&mut rng, *p));
                    self.visible_probs(&h, &mut r);
                    *e = v.iter().zip(&r).map(|(a, b)| (a - b) * (a - b)).sum();
                }
            });
            out
        };
        let sse = per.iter().sum::<f64>() / per.len() as f64;
        Ok((sse, sse / n as f64))
    }

    /// The Boltzmann machine on `n + m` units that this RBM is: `J = [[0, W], [Wᵀ, 0]]`, bias
    /// `(b, c)`.
    pub fn as_boltzmann_machine(&self) -> Result<super::bm::BoltzmannMachine> {
        let (n, m) = (self.visible, self.hidden);
        let nn = n + m;
        let mut j = vec![0.0; nn * nn];
        for i in 0..n {
            for k in 0..m {
                j[i * nn + n + k] = self.weight(i, k);
                j[(n + k) * nn + i] = self.weight(i, k);
            }
        }
        let bias = self.b.iter().chain(&self.c).copied().collect();
        super::bm::BoltzmannMachine::new(nn, j, bias)
    }

    /// Replaces the parameters (same shapes, finite values).
    pub fn set_parameters(&mut self, w: &[f64], b: &[f64], c: &[f64]) -> Result<()> {
        *self = Self::new(self.visible, self.hidden, w.to_vec(), b.to_vec(), c.to_vec())?;
        Ok(())
    }
}

/// Block Gibbs sampling of one chain: `h ~ p(h | v)`, then `v ~ p(v | h)`.
#[derive(Clone, Debug)]
pub struct GibbsChain<'a> {
    rbm: &'a Rbm,
    v: Vec<f64>,
    h: Vec<f64>,
    p: Vec<f64>,
    rng: Rng64,
}

impl<'a> GibbsChain<'a> {
    /// A chain from visible state `v0` with its own random stream.
    pub fn new(rbm: &'a Rbm, v0: Vec<f64>, rng: Rng64) -> Result<Self> {
        if v0.len() != rbm.visible {
            return Err(Error::Shape(format!("start state has {} units, the RBM {}", v0.len(), rbm.visible)));
        }
        Ok(Self { rbm, v: v0, h: vec![0.0; rbm.hidden], p: vec![0.0; rbm.visible.max(rbm.hidden)], rng })
    }
    /// One sweep: both layers resampled.
    pub fn step(&mut self) {
        let m = self.rbm.hidden;
        self.rbm.hidden_probs(&self.v, &mut self.p[..m]);
        for (h, &p) in self.h.iter_mut().zip(&self.p[..m]) {
            *h = bernoulli(&mut self.rng, p);
        }
        let n = self.rbm.visible;
        self.rbm.visible_probs(&self.h, &mut self.p[..n]);
        for (v, &p) in self.v.iter_mut().zip(&self.p[..n]) {
            *v = bernoulli(&mut self.rng, p);
        }
    }
    /// Current visible state.
    pub fn v(&self) -> &[f64] {
        &self.v
    }
    /// Hidden state sampled in the last sweep.
    pub fn h(&self) -> &[f64] {
        &self.h
    }
}

impl Rbm {
    /// `steps` block-Gibbs sweeps v → h → v from every row of `rows` (row-major, `visible`
    /// wide), row `i` drawing from the stream `(seed, [i])`; returns the final visible states.
    /// Rows run in parallel with the same results at any thread count; `stop` ends every chain
    /// at its next sweep.
    pub fn gibbs_rows(&self, rows: &[f64], steps: usize, seed: u64, stop: &StopFlag) -> Result<Vec<f64>> {
        let n = self.visible;
        if n == 0 || !rows.len().is_multiple_of(n) {
            return Err(Error::Shape(format!("{} values are not whole rows of {n} visible units", rows.len())));
        }
        let limits = RunLimits::steps(steps.max(1));
        let finals = run_seeded(rows.len() / n, seed, &[], stop, |i, rng| {
            let mut chain = GibbsChain::new(self, rows[i * n..(i + 1) * n].to_vec(), rng.clone())?;
            let mut run = RunControl::start(&limits, stop)?;
            while steps > 0 && run.proceed() {
                chain.step();
                run.advance();
            }
            Ok(chain.v)
        })?;
        Ok(finals.into_iter().flat_map(|v| v.unwrap_or_default()).collect())
    }
}

/// One uniformly drawn unit index in `0..n` per sample (stream `(seed, [0x51])`), for the
/// stochastic pseudo-likelihood.
pub fn random_flips(samples: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut rng = stream_path(seed, &[0x51]);
    (0..samples).map(|_| rng.random_range(0..n.max(1))).collect()
}

/// `1.0` with probability `p`, else `0.0` (`u < p` with a 53-bit uniform `u`).
#[inline]
pub(crate) fn bernoulli(rng: &mut Rng64, p: f64) -> f64 {
    if rng.random::<f64>() < p {
        1.0
    } else {
        0.0
    }
}

pub(crate) fn check_sizes(visible: usize, hidden: usize) -> Result<()> {
    if visible == 0 {
        return Err(Error::param("visible", "needs at least 1 visible unit, got 0"));
    }
    if hidden == 0 {
        return Err(Error::param("hidden", "needs at least 1 hidden unit, got 0"));
    }
    // The weights, their gradient and momentum in training.
    crate::size::check_memory(
        "hidden",
        format!("the {visible}×{hidden} weights with their gradient and momentum"),
        crate::size::bytes(&[visible, hidden], 24),
    )
}

#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(crate) fn transpose(w: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; rows * cols];
    for i in 0..rows {
        for j in 0..cols {
            t[j * rows + i] = w[i * cols + j];
        }
    }
    t
}

/// `logsumexp_x [biasᵀx + Σ_l softplus(a_l)]` over `x ∈ {0,1}ᵏ`, `a = base + Σ_{j: x_j = 1} row_j`,
/// with `rows` the `k × p` flip vectors. The top bits split the work into fixed blocks (run in
/// parallel, merged in block order); inside a block the low bits follow the Gray code, so each
/// step adds or subtracts one row, and the sums are rebuilt from scratch every 1024 steps.
pub(crate) fn gray_logsumexp(k: usize, p: usize, rows: &[f64], base: &[f64], bias: &[f64]) -> f64 {
    let top = k.min(6);
    let low = k - top;
    let parts: Vec<LogSumExp> = (0..1u64 << top)
        .into_par_iter()
        .map(|blk| {
            let mut acc = LogSumExp::new();
            let mut a = vec![0.0; p];
            let mut t = 0.0;
            let rebuild = |x: u64, a: &mut [f64], t: &mut f64| {
                a.copy_from_slice(base);
                *t = 0.0;
                for j in 0..k {
                    if x >> j & 1 == 1 {
                        *t += bias[j];
                        a.iter_mut().zip(&rows[j * p..(j + 1) * p]).for_each(|(s, &r)| *s += r);
                    }
                }
            };
            for s in 0..(1u64 << low) {
                let gray = s ^ (s >> 1);
                let cfg = (blk << low) | gray;
                if s % REFRESH == 0 {
                    rebuild(cfg, &mut a, &mut t);
                } else {
                    let j = s.trailing_zeros() as usize;
                    let on = cfg >> j & 1 == 1;
                    let sign = if on { 1.0 } else { -1.0 };
                    t += sign * bias[j];
                    a.iter_mut().zip(&rows[j * p..(j + 1) * p]).for_each(|(v, &r)| *v += sign * r);
                }
                acc.push(t + a.iter().map(|&v| softplus(v)).sum::<f64>());
            }
            acc
        })
        .collect();
    let mut total = LogSumExp::new();
    parts.iter().for_each(|p| total.merge(p));
    total.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A random RBM with W, b, c ~ N(0, 1) (spec X1).
    pub(crate) fn normal_rbm(n: usize, m: usize, seed: u64) -> Rbm {
        let mut rng = stream(seed, 99);
        let mut g = |k: usize| (0..k).map(|_| rng.sample::<f64, _>(StandardNormal)).collect::<Vec<_>>();
        let (w, b, c) = (g(n * m), g(n), g(m));
        Rbm::new(n, m, w, b, c).unwrap()
    }

    /// All 2ᵏ binary vectors of length k, as f64.
    pub(crate) fn configs(k: usize) -> Vec<Vec<f64>> {
        (0..1u64 << k).map(|x| (0..k).map(|j| (x >> j & 1) as f64).collect()).collect()
    }

    #[test]
    fn x1_log_z_by_visible_equals_by_hidden_and_gray_equals_naive() {
        for (n, m, seed) in [(10, 8, 1), (10, 8, 2), (10, 1, 3), (7, 7, 4), (1, 9, 5), (12, 11, 6)] {
            let rbm = normal_rbm(n, m, seed);
            let zh = rbm.log_z_enumerate(Layer::Hidden).unwrap();
            let zv = rbm.log_z_enumerate(Layer::Visible).unwrap();
            let nh = rbm.log_z_naive(Layer::Hidden).unwrap();
            let nv = rbm.log_z_naive(Layer::Visible).unwrap();
            assert!((zh - zv).abs() < 1e-9, "n={n} m={m}: {zh} vs {zv}");
            assert!((zh - nh).abs() < 1e-9 && (zv - nv).abs() < 1e-9, "gray vs naive n={n} m={m}");
            // Against the joint energy summed over all (v, h).
            let mut acc = LogSumExp::new();
            for v in configs(n) {
                for h in configs(m) {
                    acc.push(-rbm.energy(&v, &h));
                }
            }
            assert!((acc.value() - zh).abs() < 1e-9, "joint sum n={n} m={m}");
        }
    }

    #[test]
    fn gray_code_refresh_keeps_large_enumerations_exact() {
        // 2^13 configurations: crosses several refresh points and all block boundaries.
        let rbm = normal_rbm(3, 13, 7);
        let a = rbm.log_z_enumerate(Layer::Hidden).unwrap();
        let b = rbm.log_z_naive(Layer::Hidden).unwrap();
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }

    #[test]
    fn free_energy_is_the_marginal_of_the_joint() {
        let rbm = normal_rbm(5, 6, 11);
        let logz = rbm.log_z_exact().unwrap();
        let hs = configs(6);
        let mut total = LogSumExp::new();
        for v in configs(5) {
            let mut acc = LogSumExp::new();
            hs.iter().for_each(|h| acc.push(-rbm.energy(&v, h)));
            assert!((acc.value() + rbm.free_energy(&v)).abs() < 1e-10);
            total.push(-rbm.free_energy(&v) - logz);
        }
        assert!(total.value().abs() < 1e-10, "log Σ_v p(v) = {}", total.value());
        // Mirror form over h.
        for h in &hs {
            let mut acc = LogSumExp::new();
            configs(5).iter().for_each(|v| acc.push(-rbm.energy(v, h)));
            assert!((acc.value() + rbm.free_energy_hidden(h)).abs() < 1e-10);
        }
    }

    #[test]
    fn conditionals_are_ratios_of_the_joint() {
        let rbm = normal_rbm(4, 3, 12);
        let v = [1.0, 0.0, 1.0, 1.0];
        let mut p = vec![0.0; 3];
        rbm.hidden_probs(&v, &mut p);
        for j in 0..3 {
            // p(h_j=1|v) with the other hidden units summed out: factorises, so compare the
            // one-unit ratio at any fixed h_{−j}.
            let mut h1 = vec![0.0, 1.0, 0.0];
            let mut h0 = h1.clone();
            h1[j] = 1.0;
            h0[j] = 0.0;
            let e1 = (-rbm.energy(&v, &h1)).exp();
            let e0 = (-rbm.energy(&v, &h0)).exp();
            assert!((p[j] - e1 / (e1 + e0)).abs() < 1e-12);
        }
        let h = [1.0, 0.0, 1.0];
        let mut q = vec![0.0; 4];
        rbm.visible_probs(&h, &mut q);
        for i in 0..4 {
            let mut v1 = vec![1.0, 1.0, 0.0, 0.0];
            let mut v0 = v1.clone();
            v1[i] = 1.0;
            v0[i] = 0.0;
            let e1 = (-rbm.energy(&v1, &h)).exp();
            let e0 = (-rbm.energy(&v0, &h)).exp();
            assert!((q[i] - e1 / (e1 + e0)).abs() < 1e-12);
        }
    }

    fn dataset(rows: &[Vec<f64>]) -> Dataset {
        Dataset::from_f64(&rows.concat(), rows[0].len()).unwrap()
    }

    #[test]
    fn batched_free_energy_and_likelihood_match_the_scalar_forms() {
        let rbm = normal_rbm(9, 5, 13);
        let vs: Vec<Vec<f64>> = configs(9).into_iter().step_by(7).collect();
        let d = dataset(&vs);
        let f = rbm.free_energies(&d).unwrap();
        for (v, fb) in vs.iter().zip(&f) {
            assert!((rbm.free_energy(v) - fb).abs() < 1e-12);
        }
        let logz = rbm.log_z_exact().unwrap();
        let ll = rbm.log_likelihood(&d, logz).unwrap();
        let direct: f64 = vs.iter().map(|v| -rbm.free_energy(v) - logz).sum::<f64>() / vs.len() as f64;
        assert!((ll - direct).abs() < 1e-12);
    }

    #[test]
    fn x5_exact_pl_is_n_times_the_mean_stochastic_pl_over_all_bits() {
        let rbm = normal_rbm(8, 6, 14);
        let vs: Vec<Vec<f64>> = configs(8).into_iter().step_by(11).collect();
        let d = dataset(&vs);
        let exact = rbm.pseudo_likelihood(&d).unwrap();
        let n = 8;
        let mut sum = 0.0;
        for i in 0..n {
            let s = rbm.pseudo_likelihood_stochastic(&d, &vec![i; vs.len()]).unwrap();
            sum += s.iter().sum::<f64>() / vs.len() as f64;
        }
        assert!((exact - sum / n as f64).abs() < 1e-9, "{exact} vs {}", sum / n as f64);
        // Independent check: p(v_i | v_-i) from the joint by brute force.
        let logz = rbm.log_z_exact().unwrap();
        let mut brute = 0.0;
        for v in &vs {
            for i in 0..n {
                let mut u = v.clone();
                u[i] = 1.0 - u[i];
                let lp = -rbm.free_energy(v) - logz;
                let lq = -rbm.free_energy(&u) - logz;
                brute += lp - super::super::math::logaddexp(lp, lq);
            }
        }
        assert!((exact - brute / vs.len() as f64).abs() < 1e-9);
        // sklearn's expression: −n·logaddexp(0, −(F(ṽ) − F(v))).
        let s = rbm.pseudo_likelihood_stochastic(&d, &vec![3; vs.len()]).unwrap();
        for (v, sv) in vs.iter().zip(&s) {
            let mut u = v.clone();
            u[3] = 1.0 - u[3];
            let sk = -(n as f64) * super::super::math::logaddexp(0.0, -(rbm.free_energy(&u) - rbm.free_energy(v)));
            assert!((sk - sv).abs() < 1e-9);
        }
    }

    #[test]
    fn transform_and_reconstruction() {
        let rbm = normal_rbm(6, 4, 15);
        let vs: Vec<Vec<f64>> = configs(6).into_iter().step_by(5).collect();
        let d = dataset(&vs);
        let t = rbm.transform(&d).unwrap();
        let mut p = vec![0.0; 4];
        for (r, v) in vs.iter().enumerate() {
            rbm.hidden_probs(v, &mut p);
            for j in 0..4 {
                assert!((t[r * 4 + j] - p[j]).abs() < 1e-12);
            }
        }
        let (sse, mse) = rbm.reconstruction_error(&d, 3).unwrap();
        assert!((mse * 6.0 - sse).abs() < 1e-12 && sse > 0.0 && sse < 6.0);
        assert_eq!(rbm.reconstruction_error(&d, 3).unwrap(), (sse, mse));
        // Expected value of the SSE by enumerating h: E_h‖v − σ(b+Wh)‖² matches the sample mean
        // roughly (many samples: repeat the data).
        let big = dataset(&vs.iter().cycle().take(vs.len() * 400).cloned().collect::<Vec<_>>());
        let (sse_mc, _) = rbm.reconstruction_error(&big, 4).unwrap();
        let mut exact = 0.0;
        let mut q = vec![0.0; 6];
        for v in &vs {
            rbm.hidden_probs(v, &mut p);
            for h in configs(4) {
                let ph: f64 = h.iter().zip(&p).map(|(&x, &pj)| if x > 0.5 { pj } else { 1.0 - pj }).product();
                rbm.visible_probs(&h, &mut q);
                exact += ph * v.iter().zip(&q).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
            }
        }
        exact /= vs.len() as f64;
        assert!((sse_mc - exact).abs() < 0.05 * exact, "{sse_mc} vs {exact}");
    }

    #[test]
    fn bad_input_is_a_named_error() {
        assert!(Rbm::random(5, 0, 0.1, 1).unwrap_err().to_string().contains("hidden"));
        assert!(Rbm::random(0, 3, 0.1, 1).unwrap_err().to_string().contains("visible"));
        assert!(Rbm::new(2, 2, vec![0.0; 3], vec![0.0; 2], vec![0.0; 2]).is_err());
        assert!(Rbm::new(1, 1, vec![f64::NAN], vec![0.0], vec![0.0]).unwrap_err().to_string().contains("W[0]"));
        let rbm = Rbm::random(40, 40, 0.1, 1).unwrap();
        assert!(rbm.log_z_exact().unwrap_err().to_string().contains("out of reach"));
        let rbm = Rbm::random(3, 2, 0.1, 1).unwrap();
        let d = Dataset::new(vec![0.0; 4], 2).unwrap();
        assert!(matches!(rbm.free_energies(&d), Err(Error::Shape(_))));
        let d = Dataset::new(vec![0.0, 2.0, 1.0], 3).unwrap();
        assert!(rbm.pseudo_likelihood(&d).unwrap_err().to_string().contains("outside [0, 1]"));
    }
}
