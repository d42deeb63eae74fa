//! A dense associative memory trained as a classifier (Krotov & Hopfield 2016, section 4 and
//! the authors' MNIST notebook).
//!
//! # Model
//!
//! The visible state is an input `x ∈ ℝᴺ` (pixels scaled to [−1, 1]) followed by `C` label
//! units, each `+1` ("on") or `−1` ("off"). `K` memories `ξ^μ ∈ [−1, 1]^{N+C}` interact with it
//! through the rectified polynomial `F(z) = max(z, 0)ⁿ`. The output for class `α` compares the
//! energy with label `α` on against the energy with every label off:
//!
//! ```text
//! c_α = tanh( β Σ_μ [ F(ξ^μ·v^{α on}) − F(ξ^μ·v^{all off}) ] ),      β = 1/Tⁿ,
//! ```
//!
//! where `v^{all off} = (x, −1, …, −1)` and `v^{α on}` has label unit `α` set to `+1`. Since `F`
//! is homogeneous of degree `n`, `β F(z) = F(z/T)`: everything is evaluated on the scaled
//! overlaps `a = ξ^μ·v / T`. With `h_μ = ξ^μ·v^{all off}`, the two overlaps differ only in one
//! label unit, `ξ^μ·v^{α on} = h_μ + 2 ξ^μ_{N+α}`, so one matrix product `X Ξᵀ` serves all `C`
//! classes.
//!
//! # Overflow-free evaluation
//!
//! Per sample, let `A = max(1, max_{μ,α} a)`. Then `S_α = Aⁿ s_α` with
//! `s_α = Σ_μ [F(a⁺_{μα}/A) − F(a⁰_μ/A)]`, every term of which lies in [0, 1]; `S_α` is formed as
//! `sign(s_α)·exp(ln|s_α| + n ln A)` (saturating `tanh` when it overflows), and the factor
//! `(1 − c²) Aⁿ⁻¹` of the gradient as `exp(ln sech² S + (n−1) ln A)`. No `n`, `T` or input scale
//! produces an infinity or a NaN.
//!
//! # Loss and gradient
//!
//! With targets `t_α = +1` for the true class and `−1` otherwise, the loss of a sample is
//! `L = Σ_α (t_α − c_α)^{2m}`. Its gradient with respect to memory `μ` (derived by hand):
//!
//! ```text
//! ∂L/∂ξ^μ = Σ_α w_α [ f(a⁺_{μα}) v^{α on} − f(a⁰_μ) v^{all off} ],
//! w_α = −2m (t_α − c_α)^{2m−1} (1 − c_α²) n/T,       f(a) = max(a, 0)ⁿ⁻¹.
//! ```
//!
//! On the pixels this is `G_μ x` with `G_μ = Σ_α w_α [f(a⁺_{μα}) − f(a⁰_μ)]` (a second matrix
//! product `Gᵀ X`); on label unit `β` it is `−G_μ + 2 w_β f(a⁺_{μβ})`.
//!
//! # Training (the notebook's recipe)
//!
//! Minibatch gradient descent with momentum `p`: `V ← p V − ∇L` (summed over the minibatch);
//! each memory then moves by `ε V_μ / max_j |V_{μj}|`, so that the largest change of every
//! memory equals the learning rate `ε`; memories are clipped to [−1, 1]; `ε` decays by a
//! constant factor per epoch. Memories start from N(mean, std²) draws (the notebook uses
//! N(−0.3, 0.3²)). Because the step is normalised, any positive constant factor of the gradient
//! (such as the notebook's omission of `2m n/Tⁿ`) leaves the trajectory unchanged.
//!
//! # Precision and determinism
//!
//! The two matrix products per minibatch run in single precision by default ([`Precision::F32`])
//! with faer; everything else (the polynomial, the loss, the momentum and the memories) is in
//! double precision. The gradient matrix `G` is divided by its largest entry before the
//! single-precision product and multiplied back afterwards, so large loss powers cannot overflow
//! it. Samples are processed in fixed chunks of [`CHUNK`] by sequential products, and the chunk
//! results are summed in chunk order, so training is bit-identical at any thread count.
//!
//! ```
//! use ebdm::engine::StopFlag;
//! use ebdm::memory::classifier::{ClassifierParams, DenseClassifier, Samples, TrainParams};
//!
//! // Two classes in four dimensions: the sign of the first input decides.
//! let mut inputs = Vec::new();
//! let mut labels = Vec::new();
//! for i in 0..64 {
//!     let s = if i % 2 == 0 { 1.0 } else { -1.0 };
//!     inputs.extend_from_slice(&[s, 0.5 * s, ((i % 7) as f32 - 3.0) / 3.0, -0.2]);
//!     labels.push(i % 2);
//! }
//! let data = Samples::new(inputs, labels, 4, 2)?;
//! let params = ClassifierParams { memories: 4, degree: 3, loss_power: 2, temperature: 2.0 };
//! let mut model = DenseClassifier::random(params, 4, 2, -0.3, 0.3, 7)?;
//! let train = TrainParams { epochs: 30, batch_size: 16, ..TrainParams::default() };
//! let report = model.train(&data, None, &train, &StopFlag::new(), None)?;
//! assert_eq!(report.history.len(), 30);
//! assert!(model.error_rate(&data)? < 0.1);
//! # Ok::<(), ebdm::Error>(())
//! ```

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Images;
use crate::engine::rng::stream_path;
use crate::engine::run::{RunControl, RunLimits, StopFlag};
use crate::error::{check_finite, check_positive, check_range, Error, Result};

/// Samples per chunk. A fixed size keeps results independent of the thread count.
pub const CHUNK: usize = 128;
/// The largest loss power: `(t − c)^{2m}` with `|t − c| ≤ 2` stays far inside `f64`.
pub const MAX_LOSS_POWER: u32 = 256;
/// The largest degree of the rectified polynomial.
pub const MAX_DEGREE: u32 = 1000;
/// Floor of the per-memory normaliser of the update (the notebook's `prec`).
const NORM_FLOOR: f64 = 1e-30;
/// Stream keys under the training seed.
const KEY_INIT: u64 = 1;
const KEY_SHUFFLE: u64 = 2;

pub use crate::engine::Precision;

mod params;
mod samples;
#[cfg(test)]
mod tests;

pub use params::{ClassifierParams, EpochStats, TrainParams, TrainReport};
pub use samples::Samples;

/// A dense associative memory classifier: K memories over N inputs and C label units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DenseClassifier {
    params: ClassifierParams,
    inputs: usize,
    classes: usize,
    /// K × (N + C), row-major; pixels first, then label units.
    memories: Vec<f64>,
}

/// Scalar type of the matrix products.
trait Scalar: faer::traits::ComplexField + Copy + Send + Sync {
    fn of_f32(x: f32) -> Self;
    fn of_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
}
impl Scalar for f32 {
    fn of_f32(x: f32) -> Self {
        x
    }
    fn of_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}
impl Scalar for f64 {
    fn of_f32(x: f32) -> Self {
        x as f64
    }
    fn of_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// `max(x, 0)^k` with `0⁰ = 0`: the rectified power and its derivative's shape.
#[inline]
fn rpow(x: f64, k: i32) -> f64 {
    if x > 0.0 {
        x.powi(k)
    } else {
        0.0
    }
}

/// `ln sech²(z) = ln(1 − tanh² z)`, accurate for every `z` (−∞ for infinite `z`).
#[inline]
fn ln_sech2(z: f64) -> f64 {
    let z = z.abs();
    if z.is_infinite() {
        return f64::NEG_INFINITY;
    }
    std::f64::consts::LN_2 * 2.0 - 2.0 * z - 2.0 * (-2.0 * z).exp().ln_1p()
}

/// `t − tanh(S)` for `t = ±1`, without cancellation: `1 − tanh S = 2/(1 + e^{2S})`.
#[inline]
fn target_gap(target_on: bool, s: f64) -> f64 {
    if target_on {
        2.0 / (1.0 + (2.0 * s).exp())
    } else {
        -2.0 / (1.0 + (-2.0 * s).exp())
    }
}

/// Per-chunk results.
struct ChunkOut {
    loss: f64,
    wrong: usize,
    /// K × (N + C) gradient of the summed loss, when asked for.
    grad: Option<Vec<f64>>,
    /// Per sample: predicted class and the C outputs c_α.
    predictions: Vec<usize>,
    outputs: Vec<f64>,
}

impl DenseClassifier {
    /// A classifier with the given memories (K × (N + C), row-major, each entry in [−1, 1]).
    pub fn new(params: ClassifierParams, inputs: usize, classes: usize, memories: Vec<f64>) -> Result<Self> {
        let model = Self { params, inputs, classes, memories };
        model.check()?;
        Ok(model)
    }

    /// A classifier whose memories are independent N(mean, std²) draws from the stream
    /// `(seed, init)`, clipped to [−1, 1].
    pub fn random(
        params: ClassifierParams,
        inputs: usize,
        classes: usize,
        mean: f64,
        std: f64,
        seed: u64,
    ) -> Result<Self> {
        params.check()?;
        check_finite("mean", mean)?;
        if !(std.is_finite() && std >= 0.0) {
            return Err(Error::param("std", format!("must be finite and ≥ 0, got {std}")));
        }
        Self::check_dims(inputs, classes)?;
        let normal = Normal::new(mean, std).map_err(|e| Error::param("std", e.to_string()))?;
        let mut rng = stream_path(seed, &[KEY_INIT]);
        let memories =
            (0..params.memories * (inputs + classes)).map(|_| normal.sample(&mut rng).clamp(-1.0, 1.0)).collect();
        Self::new(params, inputs, classes, memories)
    }

    fn check_dims(inputs: usize, classes: usize) -> Result<()> {
        if inputs == 0 {
            return Err(Error::param("inputs", "need at least one input unit"));
        }
        if classes < 2 {
            return Err(Error::param("classes", format!("need at least 2 classes, got {classes}")));
        }
        Ok(())
    }

    /// Validates parameters, shapes and memory values (e.g. after deserialising).
    pub fn check(&self) -> Result<()> {
        self.params.check()?;
        Self::check_dims(self.inputs, self.classes)?;
        let want = self.params.memories * (self.inputs + self.classes);
        if self.memories.len() != want {
            return Err(Error::Shape(format!(
                "{} memories of {} units need {want} values, got {}",
                self.params.memories,
                self.inputs + self.classes,
                self.memories.len()
            )));
        }
        if let Some(i) = self.memories.iter().position(|v| !(v.is_finite() && (-1.0..=1.0).contains(v))) {
            return Err(Error::param(
                "memories",
                format!("entry {i}: value {} must be finite and in [−1, 1]", self.memories[i]),
            ));
        }
        Ok(())
    }

    /// The hyper-parameters.
    pub fn params(&self) -> ClassifierParams {
        self.params
    }
    /// Input units N.
    pub fn inputs(&self) -> usize {
        self.inputs
    }
    /// Classes C.
    pub fn classes(&self) -> usize {
        self.classes
    }
    /// Units per memory, N + C.
    pub fn width(&self) -> usize {
        self.inputs + self.classes
    }
    /// The memories, K × (N + C), row-major: pixels first, then label units.
    pub fn memories(&self) -> &[f64] {
        &self.memories
    }

    fn check_samples(&self, s: &Samples) -> Result<()> {
        if s.dim != self.inputs || s.classes != self.classes {
            return Err(Error::Shape(format!(
                "the classifier takes {} inputs and {} classes, the samples have {} and {}",
                self.inputs, self.classes, s.dim, s.classes
            )));
        }
        Ok(())
    }

    /// Processes samples `x` (rows × N) with labels `labels` against memories `w` (the model's
    /// memories converted to the product precision).
    fn chunk<T: Scalar>(&self, w: &[T], x: &[f32], labels: &[usize], want_grad: bool) -> ChunkOut {
        let (k, n, c) = (self.params.memories, self.inputs, self.classes);
        let width = n + c;
        let rows = labels.len();
        let deg = self.params.degree as i32;
        let t = self.params.temperature;
        let m = self.params.loss_power as i32;

        // h = X Ξ_pixᵀ (rows × K), then subtract the label units (all off = −1).
        let xt: Vec<T> = x.iter().map(|&v| T::of_f32(v)).collect();
        let mut h_t = vec![T::of_f64(0.0); rows * k];
        matmul(
            MatMut::from_row_major_slice_mut(&mut h_t, rows, k),
            Accum::Replace,
            MatRef::from_row_major_slice(&xt, rows, n),
            MatRef::from_row_major_slice_with_stride(w, k, n, width).transpose(),
            T::of_f64(1.0),
            Par::Seq,
        );
        let label_sum: Vec<f64> =
            (0..k).map(|mu| self.memories[mu * width + n..(mu + 1) * width].iter().sum()).collect();
        // 2 ξ^μ_{N+α} / T: the change of the scaled overlap when label α is switched on.
        let offset: Vec<f64> = (0..k)
            .flat_map(|mu| self.memories[mu * width + n..(mu + 1) * width].iter().map(move |v| 2.0 * v / t))
            .collect();

        let mut loss = 0.0;
        let mut wrong = 0;
        let mut predictions = Vec::with_capacity(rows);
        let mut outputs = Vec::with_capacity(rows * c);
        let mut g = if want_grad { vec![0.0f64; rows * k] } else { Vec::new() };
        let mut label_grad = if want_grad { vec![0.0f64; k * c] } else { Vec::new() };
        let mut a0 = vec![0.0f64; k];
        // f(a/A) = max(a/A, 0)ⁿ⁻¹ for the all-off overlaps (K) and the label-on ones (K × C).
        let mut p0 = vec![0.0f64; k];
        let mut p_on = vec![0.0f64; k * c];
        let mut s = vec![0.0f64; c];
        let mut wts = vec![0.0f64; c];
        for r in 0..rows {
            // Scaled overlaps and the common scale A ≥ 1.
            let mut amax = 1.0f64;
            for (mu, a0m) in a0.iter_mut().enumerate() {
                let a = (h_t[r * k + mu].to_f64() - label_sum[mu]) / t;
                *a0m = a;
                let top = offset[mu * c..(mu + 1) * c].iter().fold(0.0f64, |x, &o| x.max(o));
                amax = amax.max(a + top);
            }
            let inv = 1.0 / amax;
            let ln_a = amax.ln();
            s.iter_mut().for_each(|v| *v = 0.0);
            for mu in 0..k {
                let u0 = a0[mu] * inv;
                let q0 = rpow(u0, deg - 1);
                p0[mu] = q0;
                let f0 = q0 * u0.max(0.0);
                let offs = &offset[mu * c..(mu + 1) * c];
                let pons = &mut p_on[mu * c..(mu + 1) * c];
                for ((sv, &o), pon) in s.iter_mut().zip(offs).zip(pons.iter_mut()) {
                    let u = (a0[mu] + o) * inv;
                    let q = rpow(u, deg - 1);
                    *pon = q;
                    *sv += q * u.max(0.0) - f0;
                }
            }
            // S_α = Aⁿ s_α; prediction by the largest s_α (same order as S_α and c_α).
            let mut best = 0;
            for (al, &sv) in s.iter().enumerate() {
                if sv > s[best] {
                    best = al;
                }
            }
            predictions.push(best);
            if best != labels[r] {
                wrong += 1;
            }
            for (al, &sv) in s.iter().enumerate() {
                let big_s = if sv == 0.0 { 0.0 } else { sv.signum() * (sv.abs().ln() + deg as f64 * ln_a).exp() };
                outputs.push(big_s.tanh());
                let gap = target_gap(al == labels[r], big_s);
                loss += gap.powi(2 * m);
                if want_grad {
                    let dl_dc = -2.0 * m as f64 * gap.powi(2 * m - 1);
                    wts[al] = dl_dc * deg as f64 / t * (ln_sech2(big_s) + (deg - 1) as f64 * ln_a).exp();
                }
            }
            if want_grad {
                for mu in 0..k {
                    let pons = &p_on[mu * c..(mu + 1) * c];
                    let lg = &mut label_grad[mu * c..(mu + 1) * c];
                    let mut gm = 0.0;
                    for ((&w, &pon), l) in wts.iter().zip(pons).zip(lg.iter_mut()) {
                        gm += w * (pon - p0[mu]);
                        *l += 2.0 * w * pon;
                    }
                    g[r * k + mu] = gm;
                }
            }
        }

        let grad = want_grad.then(|| {
            let mut grad = vec![0.0f64; k * width];
            // Pixels: Gᵀ X (K × N), with G scaled into [−1, 1] for the product.
            let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            if gmax > 0.0 {
                let gt: Vec<T> = g.iter().map(|&v| T::of_f64(v / gmax)).collect();
                let mut out = vec![T::of_f64(0.0); k * n];
                matmul(
                    MatMut::from_row_major_slice_mut(&mut out, k, n),
                    Accum::Replace,
                    MatRef::from_row_major_slice(&gt, rows, k).transpose(),
                    MatRef::from_row_major_slice(&xt, rows, n),
                    T::of_f64(1.0),
                    Par::Seq,
                );
                for mu in 0..k {
                    for j in 0..n {
                        grad[mu * width + j] = gmax * out[mu * n + j].to_f64();
                    }
                }
            }
            // Label units: −Σ_s G_{sμ} + 2 Σ_s w_{sβ} f(a⁺_{μβ}).
            for mu in 0..k {
                let gsum: f64 = (0..rows).map(|r| g[r * k + mu]).sum();
                for be in 0..c {
                    grad[mu * width + n + be] = -gsum + label_grad[mu * c + be];
                }
            }
            grad
        });
        ChunkOut { loss, wrong, grad, predictions, outputs }
    }

    /// Runs `chunk` over `x`/`labels` in fixed chunks, in parallel, and returns the chunk
    /// results in order.
    fn chunks(&self, x: &[f32], labels: &[usize], want_grad: bool, precision: Precision) -> Vec<ChunkOut> {
        let n = self.inputs;
        let count = labels.len();
        let nchunks = count.div_ceil(CHUNK);
        match precision {
            Precision::F32 => {
                let w: Vec<f32> = self.memories.iter().map(|&v| v as f32).collect();
                (0..nchunks)
                    .into_par_iter()
                    .map(|i| {
                        let (lo, hi) = (i * CHUNK, ((i + 1) * CHUNK).min(count));
                        self.chunk(&w, &x[lo * n..hi * n], &labels[lo..hi], want_grad)
                    })
                    .collect()
            }
            Precision::F64 => (0..nchunks)
                .into_par_iter()
                .map(|i| {
                    let (lo, hi) = (i * CHUNK, ((i + 1) * CHUNK).min(count));
                    self.chunk(&self.memories, &x[lo * n..hi * n], &labels[lo..hi], want_grad)
                })
                .collect(),
        }
    }

    /// Loss `Σ_samples Σ_α (t_α − c_α)^{2m}` and its gradient with respect to the memories
    /// (K × (N + C), row-major), summed over the samples.
    pub fn loss_and_gradient(&self, samples: &Samples, precision: Precision) -> Result<(f64, Vec<f64>)> {
        self.check_samples(samples)?;
        let parts = self.chunks(&samples.inputs, &samples.labels, true, precision);
        let (loss, grad) = reduce(parts, self.memories.len());
        check_finite("loss", loss).map_err(|_| Error::Numerical(format!("the loss is not finite ({loss})")))?;
        Ok((loss, grad))
    }

    /// The summed loss `Σ_samples Σ_α (t_α − c_α)^{2m}`.
    pub fn loss(&self, samples: &Samples, precision: Precision) -> Result<f64> {
        self.check_samples(samples)?;
        Ok(self.chunks(&samples.inputs, &samples.labels, false, precision).iter().map(|p| p.loss).sum())
    }

    /// The outputs `c_α` for every input (rows × C, row-major). `inputs` holds whole rows of N
    /// finite values.
    pub fn outputs(&self, inputs: &[f32]) -> Result<Vec<f64>> {
        let (x, labels) = self.unlabelled(inputs)?;
        let parts = self.chunks(&x, &labels, false, Precision::F64);
        Ok(parts.into_iter().flat_map(|p| p.outputs).collect())
    }

    /// The predicted class of every input: `argmax_α c_α` (ties to the lower class).
    pub fn predict(&self, inputs: &[f32]) -> Result<Vec<usize>> {
        let (x, labels) = self.unlabelled(inputs)?;
        let parts = self.chunks(&x, &labels, false, Precision::F32);
        Ok(parts.into_iter().flat_map(|p| p.predictions).collect())
    }

    fn unlabelled<'a>(&self, inputs: &'a [f32]) -> Result<(std::borrow::Cow<'a, [f32]>, Vec<usize>)> {
        if inputs.is_empty() || !inputs.len().is_multiple_of(self.inputs) {
            return Err(Error::Shape(format!(
                "inputs must be whole rows of {} values, got {} values",
                self.inputs,
                inputs.len()
            )));
        }
        if let Some(i) = inputs.iter().position(|v| !v.is_finite()) {
            return Err(Error::param(
                "inputs",
                format!("row {}, component {}: value {} is not finite", i / self.inputs, i % self.inputs, inputs[i]),
            ));
        }
        Ok((std::borrow::Cow::Borrowed(inputs), vec![0; inputs.len() / self.inputs]))
    }

    /// Fraction of `samples` misclassified.
    pub fn error_rate(&self, samples: &Samples) -> Result<f64> {
        Ok(self.evaluate(samples)?.0)
    }

    /// Error rate and mean loss per sample.
    pub fn evaluate(&self, samples: &Samples) -> Result<(f64, f64)> {
        self.check_samples(samples)?;
        let parts = self.chunks(&samples.inputs, &samples.labels, false, Precision::F32);
        let wrong: usize = parts.iter().map(|p| p.wrong).sum();
        let loss: f64 = parts.iter().map(|p| p.loss).sum();
        Ok((wrong as f64 / samples.len() as f64, loss / samples.len() as f64))
    }

    /// Trains the memories on `train` with the notebook's recipe (see the module docs),
    /// evaluating on `test` after every epoch when given.
    ///
    /// The stop flag is polled between minibatches; when it is raised, the current epoch is
    /// rolled back and the memories are those after the last completed epoch. `on_epoch` is
    /// called after every completed epoch.
    pub fn train(
        &mut self,
        train: &Samples,
        test: Option<&Samples>,
        params: &TrainParams,
        stop: &StopFlag,
        on_epoch: Option<&(dyn Fn(&EpochStats) + Sync)>,
    ) -> Result<TrainReport> {
        params.check()?;
        self.check_samples(train)?;
        if let Some(t) = test {
            self.check_samples(t)?;
        }
        let start = std::time::Instant::now();
        let (n, width, k) = (self.inputs, self.width(), self.params.memories);
        let count = train.len();
        let batch = params.batch_size.min(count);
        let batches = count / batch;
        let mut velocity = vec![0.0f64; self.memories.len()];
        let mut order: Vec<usize> = (0..count).collect();
        let mut history = Vec::with_capacity(params.epochs);
        let mut bx: Vec<f32> = Vec::with_capacity((batch + count % batch) * n);
        let mut by: Vec<usize> = Vec::with_capacity(batch + count % batch);
        let mut interrupted = false;
        // One step of the run is one minibatch; the flag is checked before each.
        let mut run = RunControl::start(&RunLimits::steps(usize::MAX), stop)?;
        for epoch in 0..params.epochs {
            if !run.proceed() {
                interrupted = true;
                break;
            }
            let t0 = std::time::Instant::now();
            let lr = params.learning_rate * params.lr_decay.powi(epoch as i32);
            let saved_memories = self.memories.clone();
            order.sort_unstable();
            order.shuffle(&mut stream_path(params.seed, &[KEY_SHUFFLE, epoch as u64]));
            let (mut loss, mut wrong) = (0.0, 0usize);
            for b in 0..batches {
                if !run.proceed() {
                    interrupted = true;
                    break;
                }
                let hi = if b + 1 == batches { count } else { (b + 1) * batch };
                bx.clear();
                by.clear();
                for &i in &order[b * batch..hi] {
                    bx.extend_from_slice(&train.inputs[i * n..(i + 1) * n]);
                    by.push(train.labels[i]);
                }
                let parts = self.chunks(&bx, &by, true, params.precision);
                wrong += parts.iter().map(|p| p.wrong).sum::<usize>();
                let (batch_loss, grad) = reduce(parts, self.memories.len());
                loss += batch_loss;
                if grad.iter().any(|g| !g.is_finite()) {
                    return Err(Error::Numerical(format!("non-finite gradient in epoch {}", epoch + 1)));
                }
                for mu in 0..k {
                    let v = &mut velocity[mu * width..(mu + 1) * width];
                    let gr = &grad[mu * width..(mu + 1) * width];
                    let mut norm = 0.0f64;
                    for (vj, gj) in v.iter_mut().zip(gr) {
                        *vj = params.momentum * *vj - gj;
                        norm = norm.max(vj.abs());
                    }
                    let scale = lr / norm.max(NORM_FLOOR);
                    for (xi, vj) in self.memories[mu * width..(mu + 1) * width].iter_mut().zip(v.iter()) {
                        *xi = (*xi + scale * vj).clamp(-1.0, 1.0);
                    }
                }
                run.advance();
            }
            if interrupted {
                self.memories = saved_memories;
                break;
            }
            let (test_error, test_loss) = match test {
                Some(t) => {
                    let (e, l) = self.evaluate(t)?;
                    (Some(e), Some(l))
                }
                None => (None, None),
            };
            let stats = EpochStats {
                epoch: epoch + 1,
                learning_rate: lr,
                train_loss: loss / count as f64,
                train_error: wrong as f64 / count as f64,
                test_error,
                test_loss,
                seconds: t0.elapsed().as_secs_f64(),
            };
            if let Some(f) = on_epoch {
                f(&stats);
            }
            history.push(stats);
        }
        Ok(TrainReport { history, interrupted, seconds: start.elapsed().as_secs_f64() })
    }
}

/// Sums chunk losses and gradients in chunk order.
fn reduce(parts: Vec<ChunkOut>, len: usize) -> (f64, Vec<f64>) {
    let mut loss = 0.0;
    let mut grad = vec![0.0f64; len];
    for p in parts {
        loss += p.loss;
        if let Some(g) = p.grad {
            grad.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
        }
    }
    (loss, grad)
}
