//! Hierarchical (Lagrangian) associative memories: layers of neurons with convex Lagrangians
//! joined by dense synapses (Krotov 2021, arXiv:2107.06446), with the two-layer network of
//! Krotov & Hopfield 2021 (arXiv:2008.06996) as the main special case.
//!
//! Layer ℓ has state xₗ, Lagrangian Lₗ, activation x̂ₗ = ∇Lₗ(xₗ), time constant τₗ and a bias
//! (external input) bₗ. A dense synapse s between layers a and b has weights Wₛ (|a| × |b|).
//!
//! ```text
//! E = Σ_ℓ [⟨xₗ, x̂ₗ⟩ − Lₗ(xₗ) − ⟨bₗ, x̂ₗ⟩] − Σ_s x̂ₐᵀ Wₛ x̂_b
//! ∂E/∂x̂ₗ = xₗ − Iₗ,   Iₗ = bₗ + Σ_{s: a=ℓ} Wₛ x̂_b + Σ_{s: b=ℓ} Wₛᵀ x̂ₐ      (x̂ held fixed in x)
//! ∇_{xₗ} E = ∇²Lₗ(xₗ) (xₗ − Iₗ)
//! τₗ dxₗ/dt = Iₗ − xₗ = −∂E/∂x̂ₗ
//! dE/dt = −Σ_ℓ τₗ ẋₗᵀ ∇²Lₗ(xₗ) ẋₗ ≤ 0
//! ```
//!
//! A layer with τ = 0 is instantaneous: its state is slaved to its input, xₗ = Iₗ, which
//! integrates it out (for the two-layer network with an instantaneous softmax hidden layer this
//! gives back the modern Hopfield network). Instantaneous layers must not be joined to each
//! other, so that each one's input depends on dynamic layers only; they contribute nothing to
//! dE/dt because ∇_{xₗ} E = 0 there.
//!
//! The state of the whole network is one flat vector: the layers' states in order.

use serde::{Deserialize, Serialize};

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::lagrangian::Lagrangian;
use crate::engine::integrators::{Energy, Integrator, OdeSystem, Rk4};
use crate::engine::run::{RunControl, RunLimits, StepInfo, StopFlag};
use crate::engine::simd::clear_upper_registers;
use crate::error::{check_finite, Error, Result};

mod block;
#[cfg(test)]
mod tests;

use block::Block;

/// One layer of neurons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub size: usize,
    pub lagrangian: Lagrangian,
    /// Time constant τ ≥ 0; 0 makes the layer instantaneous.
    pub tau: f64,
    /// External input b (energy −⟨b, x̂⟩); empty means zero.
    #[serde(default)]
    pub bias: Vec<f64>,
}

impl Layer {
    pub fn new(size: usize, lagrangian: Lagrangian, tau: f64) -> Self {
        Self { size, lagrangian, tau, bias: Vec::new() }
    }
    pub fn with_bias(mut self, bias: Vec<f64>) -> Self {
        self.bias = bias;
        self
    }
}

/// A dense synapse with energy `−x̂ₐᵀ W x̂_b`, W row-major |a| × |b|.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Synapse {
    pub a: usize,
    pub b: usize,
    pub weights: Vec<f64>,
}

/// A network of Lagrangian layers and dense synapses.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HierarchicalMemory {
    layers: Vec<Layer>,
    synapses: Vec<Synapse>,
    offsets: Vec<usize>,
}

impl HierarchicalMemory {
    /// Builds and validates a network.
    pub fn new(layers: Vec<Layer>, synapses: Vec<Synapse>) -> Result<Self> {
        if layers.is_empty() {
            return Err(Error::param("layers", "a network needs at least one layer"));
        }
        let mut offsets = vec![0];
        for (i, l) in layers.iter().enumerate() {
            if l.size == 0 {
                return Err(Error::param("layers", format!("layer {i} has size 0")));
            }
            l.lagrangian.check()?;
            if !(l.tau.is_finite() && l.tau >= 0.0) {
                return Err(Error::param("tau", format!("layer {i}: must be finite and >= 0, got {}", l.tau)));
            }
            if !l.bias.is_empty() && l.bias.len() != l.size {
                return Err(Error::Shape(format!("layer {i}: bias has length {}, expected {}", l.bias.len(), l.size)));
            }
            if l.bias.iter().any(|v| !v.is_finite()) {
                return Err(Error::param("bias", format!("layer {i}: bias contains a non-finite value")));
            }
            offsets.push(offsets[i] + l.size);
        }
        if layers.iter().all(|l| l.tau == 0.0) {
            return Err(Error::param("tau", "at least one layer must have tau > 0"));
        }
        for (k, s) in synapses.iter().enumerate() {
            if s.a >= layers.len() || s.b >= layers.len() {
                return Err(Error::param(
                    "synapses",
                    format!("synapse {k} joins layers {} and {}, but there are {}", s.a, s.b, layers.len()),
                ));
            }
            if s.a == s.b {
                return Err(Error::param("synapses", format!("synapse {k} joins layer {} to itself", s.a)));
            }
            let (ra, rb) = (layers[s.a].size, layers[s.b].size);
            if s.weights.len() != ra * rb {
                return Err(Error::Shape(format!(
                    "synapse {k}: {} weights, expected {ra} x {rb} = {}",
                    s.weights.len(),
                    ra * rb
                )));
            }
            if s.weights.iter().any(|v| !v.is_finite()) {
                return Err(Error::param("weights", format!("synapse {k} contains a non-finite weight")));
            }
            if layers[s.a].tau == 0.0 && layers[s.b].tau == 0.0 {
                return Err(Error::param(
                    "tau",
                    format!(
                        "synapse {k} joins two instantaneous layers ({} and {}); give one of them tau > 0",
                        s.a, s.b
                    ),
                ));
            }
        }
        Ok(Self { layers, synapses, offsets })
    }

    /// The two-layer network of Krotov & Hopfield (2021): feature neurons v (N units, L_v,
    /// τ_f, input I) and memory neurons h (K units, L_h, τ_h) joined by the K × N memory
    /// matrix ξ, energy `−Σ_{μ,i} f_μ ξ_{μi} g_i`.
    ///
    /// Integrating out h (τ_h = 0) gives `E(v) = [⟨v, g⟩ − L_v − ⟨I, g⟩] − L_h(ξ g)`:
    /// with L_v = ½v² and L_h = Σ F(h) the dense associative memory, with L_h the softmax
    /// Lagrangian the modern Hopfield network.
    #[allow(clippy::too_many_arguments)]
    pub fn two_layer(
        memories: &[f64],
        k: usize,
        n: usize,
        visible: Lagrangian,
        hidden: Lagrangian,
        tau_visible: f64,
        tau_hidden: f64,
        input: Vec<f64>,
    ) -> Result<Self> {
        if memories.len() != k * n {
            return Err(Error::Shape(format!("memories have {} entries, expected K x N = {k} x {n}", memories.len())));
        }
        if !input.is_empty() && input.len() != n {
            return Err(Error::Shape(format!("input has length {}, expected N = {n}", input.len())));
        }
        Self::new(
            vec![Layer::new(n, visible, tau_visible).with_bias(input), Layer::new(k, hidden, tau_hidden)],
            vec![Synapse { a: 1, b: 0, weights: memories.to_vec() }],
        )
    }

    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }
    pub fn synapses(&self) -> &[Synapse] {
        &self.synapses
    }
    /// Length of the flat state vector.
    pub fn state_len(&self) -> usize {
        *self.offsets.last().unwrap()
    }
    /// The index range of layer `l` in the flat state.
    pub fn range(&self, l: usize) -> std::ops::Range<usize> {
        self.offsets[l]..self.offsets[l + 1]
    }

    fn check_state(&self, x: &[f64]) -> Result<()> {
        if x.len() != self.state_len() {
            return Err(Error::Shape(format!("state has length {}, expected {}", x.len(), self.state_len())));
        }
        x.iter().try_for_each(|&v| check_finite("state", v))
    }

    fn one(&self) -> Block<'_> {
        Block { net: self, b: 1 }
    }

    /// Replaces the states of instantaneous layers by their equilibrium `xₗ = Iₗ`.
    pub fn settle(&self, x: &mut [f64]) {
        self.one().settle(x);
    }

    /// Every layer's activation, flat.
    pub fn activations(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.check_state(x)?;
        let mut g = vec![0.0; x.len()];
        self.one().activations(x, &mut g);
        Ok(g)
    }

    /// The total energy at state `x` as given (instantaneous layers are not settled first).
    pub fn energy(&self, x: &[f64]) -> Result<f64> {
        self.check_state(x)?;
        finite_energy(self.one().energies(x)[0])
    }

    /// The energy after settling the instantaneous layers: the Lyapunov function of
    /// [`OdeSystem::rhs`].
    pub fn settled_energy(&self, x: &[f64]) -> Result<f64> {
        self.check_state(x)?;
        let mut y = x.to_vec();
        self.settle(&mut y);
        self.energy(&y)
    }

    /// `∂E/∂x̂ₗ = xₗ − Iₗ` for every layer, with activations held fixed in the layer energies
    /// (the quantity HAMUX calls `dEdact`).
    pub fn activation_gradient(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.check_state(x)?;
        let one = self.one();
        let mut g = vec![0.0; x.len()];
        one.activations(x, &mut g);
        let mut d = vec![0.0; x.len()];
        for l in 0..self.layers.len() {
            let r = self.range(l);
            one.input(l, &g, &mut d[r]);
        }
        d.iter_mut().zip(x).for_each(|(di, xi)| *di = xi - *di);
        Ok(d)
    }

    /// The gradient of the energy with respect to the states: `∇²Lₗ(xₗ)(xₗ − Iₗ)` per layer.
    pub fn state_gradient(&self, x: &[f64]) -> Result<Vec<f64>> {
        let d = self.activation_gradient(x)?;
        let mut out = vec![0.0; x.len()];
        for (l, layer) in self.layers.iter().enumerate() {
            let r = self.range(l);
            layer.lagrangian.hessian_times(&x[r.clone()], &d[r.clone()], &mut out[r]);
        }
        Ok(out)
    }

    /// The rate of energy change the theory predicts along the flow from `x` (instantaneous
    /// layers settled): `−Σ_ℓ τₗ ẋₗᵀ ∇²Lₗ ẋₗ` over the dynamic layers.
    pub fn energy_rate(&self, x: &[f64]) -> Result<f64> {
        self.check_state(x)?;
        let mut y = x.to_vec();
        self.settle(&mut y);
        let mut v = vec![0.0; y.len()];
        self.rhs(0.0, &y, &mut v);
        let mut rate = 0.0;
        for (l, layer) in self.layers.iter().enumerate() {
            if layer.tau > 0.0 {
                let r = self.range(l);
                rate -= layer.tau * layer.lagrangian.hessian_quad(&y[r.clone()], &v[r]);
            }
        }
        Ok(rate)
    }

    /// Integrates the dynamics from `x` with RK4 steps of `dt` until `max_steps` steps, the
    /// largest |ẋ| falls below `tol`, or `stop` is raised; instantaneous layers are settled
    /// before and after every step. Returns the energy after each step (the first entry is the
    /// initial energy).
    pub fn relax(&self, x: &mut [f64], opts: &RelaxOptions, stop: &StopFlag) -> Result<Relaxation> {
        Ok(self.relax_batch(x, opts, stop)?.pop().expect("one state"))
    }

    /// [`relax`](Self::relax) for a batch of states (`B × state_len`, row-major), processed in
    /// fixed chunks of states with matrix products, chunks in parallel. Each state stops on its
    /// own at its tolerance; results do not depend on the thread count.
    pub fn relax_batch(&self, states: &mut [f64], opts: &RelaxOptions, stop: &StopFlag) -> Result<Vec<Relaxation>> {
        opts.check()?;
        let s = self.state_len();
        if states.is_empty() || !states.len().is_multiple_of(s) {
            return Err(Error::Shape(format!(
                "states have {} entries, not a positive multiple of the state length {s}",
                states.len()
            )));
        }
        if let Some(i) = states.iter().position(|v| !v.is_finite()) {
            return Err(Error::param("state", format!("state {}, component {}: not finite", i / s, i % s)));
        }
        let chunks: Vec<Vec<Relaxation>> = states
            .par_chunks_mut(RELAX_CHUNK * s)
            .map(|chunk| self.relax_chunk(chunk, opts, stop))
            .collect::<Result<_>>()?;
        Ok(chunks.into_iter().flatten().collect())
    }

    fn relax_chunk(&self, rows: &mut [f64], opts: &RelaxOptions, stop: &StopFlag) -> Result<Vec<Relaxation>> {
        let s = self.state_len();
        let b = rows.len() / s;
        let block = Block { net: self, b };
        let mut x = block.layer_major(rows);
        block.settle(&mut x);
        let mut out: Vec<Relaxation> = block
            .energies(&x)
            .into_iter()
            .map(|e| Relaxation { steps: 0, converged: false, energies: vec![e] })
            .collect();
        let mut active: Vec<bool> = vec![true; b];
        let mut rk = Rk4::default();
        let mut field = vec![0.0; x.len()];
        let mut run = RunControl::start(&opts.limits(), stop)?;
        while run.proceed() {
            let step = run.steps() + 1;
            rk.step(&block, 0.0, &mut x, opts.dt)?;
            block.settle(&mut x);
            let energies = block.energies(&x);
            block.rhs(0.0, &x, &mut field);
            let residual = block.row_max_abs(&field);
            for r in 0..b {
                if !active[r] {
                    continue;
                }
                let e = finite_energy(energies[r])?;
                out[r].energies.push(e);
                out[r].steps = step;
                if residual[r] <= opts.tol {
                    out[r].converged = true;
                    active[r] = false;
                    block.copy_row_out(&x, r, &mut rows[r * s..(r + 1) * s]);
                }
            }
            run.stepped(&StepInfo { dt: opts.dt, converged: active.iter().all(|a| !a), ..StepInfo::default() });
        }
        for r in (0..b).filter(|&r| active[r]) {
            block.copy_row_out(&x, r, &mut rows[r * s..(r + 1) * s]);
        }
        Ok(out)
    }
}

/// States per chunk of [`HierarchicalMemory::relax_batch`]: fixed, so that results do not
/// depend on the thread count.
const RELAX_CHUNK: usize = 32;

fn finite_energy(e: f64) -> Result<f64> {
    if e.is_finite() {
        Ok(e)
    } else {
        Err(Error::Numerical(format!("the energy is {e}: a Lagrangian overflowed at this state")))
    }
}

/// Settings of [`HierarchicalMemory::relax`].
#[derive(Clone, Debug, Serialize)]
pub struct RelaxOptions {
    pub dt: f64,
    pub max_steps: usize,
    /// Stop when max |ẋ| ≤ tol (0 runs every step).
    pub tol: f64,
}

impl RelaxOptions {
    /// The run limits of a relaxation.
    pub fn limits(&self) -> RunLimits {
        RunLimits::steps(self.max_steps).with_tol(self.tol)
    }

    pub fn check(&self) -> Result<()> {
        crate::error::check_positive("dt", self.dt)?;
        if self.max_steps == 0 {
            return Err(Error::param("steps", "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::param("tol", format!("must be finite and >= 0, got {}", self.tol)));
        }
        Ok(())
    }
}

/// The outcome of [`HierarchicalMemory::relax`] for one state.
#[derive(Clone, Debug, Serialize)]
pub struct Relaxation {
    pub steps: usize,
    pub converged: bool,
    /// Energy before the first step and after every step.
    pub energies: Vec<f64>,
}

impl OdeSystem for HierarchicalMemory {
    fn dim(&self) -> usize {
        self.state_len()
    }

    /// `ẋₗ = (Iₗ − xₗ)/τₗ` for dynamic layers; instantaneous layers are evaluated at their
    /// equilibrium and have zero velocity.
    fn rhs(&self, t: f64, x: &[f64], dxdt: &mut [f64]) {
        self.one().rhs(t, x, dxdt);
    }
}

impl Energy for HierarchicalMemory {
    /// The settled energy (see [`HierarchicalMemory::settled_energy`]); NaN for a bad state.
    fn energy(&self, x: &[f64]) -> f64 {
        let mut y = x.to_vec();
        self.settle(&mut y);
        self.one().energies(&y)[0]
    }
}
