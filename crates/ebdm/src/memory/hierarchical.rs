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
use crate::engine::run::StopFlag;
use crate::engine::simd::clear_upper_registers;
use crate::error::{check_finite, Error, Result};

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
        for step in 1..=opts.max_steps {
            if stop.is_raised() {
                break;
            }
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
            if active.iter().all(|a| !a) {
                break;
            }
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

/// `b` states of a network stored layer-major: layer ℓ of all states is one b × |ℓ| row-major
/// block, so that every synapse acts on the batch as one matrix product. With b = 1 this is the
/// flat state of a single network.
#[derive(Clone, Copy)]
struct Block<'a> {
    net: &'a HierarchicalMemory,
    b: usize,
}

impl Block<'_> {
    fn range(&self, l: usize) -> std::ops::Range<usize> {
        self.b * self.net.offsets[l]..self.b * self.net.offsets[l + 1]
    }

    fn layer_major(&self, rows: &[f64]) -> Vec<f64> {
        let s = self.net.state_len();
        let mut x = vec![0.0; rows.len()];
        for l in 0..self.net.layers.len() {
            let (lr, size) = (self.net.range(l), self.net.layers[l].size);
            let dst = &mut x[self.range(l)];
            for r in 0..self.b {
                dst[r * size..(r + 1) * size].copy_from_slice(&rows[r * s + lr.start..r * s + lr.end]);
            }
        }
        x
    }

    fn copy_row_out(&self, x: &[f64], r: usize, row: &mut [f64]) {
        for l in 0..self.net.layers.len() {
            let (lr, size) = (self.net.range(l), self.net.layers[l].size);
            row[lr].copy_from_slice(&x[self.range(l)][r * size..(r + 1) * size]);
        }
    }

    /// max |v| over each state's entries.
    fn row_max_abs(&self, v: &[f64]) -> Vec<f64> {
        let mut m = vec![0.0f64; self.b];
        for l in 0..self.net.layers.len() {
            let size = self.net.layers[l].size;
            for (r, row) in v[self.range(l)].chunks_exact(size).enumerate() {
                m[r] = row.iter().fold(m[r], |a, x| a.max(x.abs()));
            }
        }
        m
    }

    fn activations(&self, x: &[f64], g: &mut [f64]) {
        for (l, layer) in self.net.layers.iter().enumerate() {
            let r = self.range(l);
            for (xr, gr) in x[r.clone()].chunks_exact(layer.size).zip(g[r].chunks_exact_mut(layer.size)) {
                layer.lagrangian.activation(xr, gr);
            }
        }
    }

    /// Writes the input `Iₗ` of layer `l` for every state into `out` (b × |l|).
    fn input(&self, l: usize, g: &[f64], out: &mut [f64]) {
        let layer = &self.net.layers[l];
        if layer.bias.is_empty() {
            out.fill(0.0);
        } else {
            out.chunks_exact_mut(layer.size).for_each(|row| row.copy_from_slice(&layer.bias));
        }
        for s in &self.net.synapses {
            let (na, nb) = (self.net.layers[s.a].size, self.net.layers[s.b].size);
            let w = MatRef::from_row_major_slice(&s.weights, na, nb);
            if s.a == l {
                let gb = MatRef::from_row_major_slice(&g[self.range(s.b)], self.b, nb);
                let dst = MatMut::from_row_major_slice_mut(out, self.b, na);
                matmul(dst, Accum::Add, gb, w.transpose(), 1.0, Par::Seq);
                clear_upper_registers();
            } else if s.b == l {
                let ga = MatRef::from_row_major_slice(&g[self.range(s.a)], self.b, na);
                let dst = MatMut::from_row_major_slice_mut(out, self.b, nb);
                matmul(dst, Accum::Add, ga, w, 1.0, Par::Seq);
                clear_upper_registers();
            }
        }
    }

    /// The energy of every state, as given.
    fn energies(&self, x: &[f64]) -> Vec<f64> {
        let mut g = vec![0.0; x.len()];
        self.activations(x, &mut g);
        let mut e = vec![0.0; self.b];
        for (l, layer) in self.net.layers.iter().enumerate() {
            let r = self.range(l);
            let rows = x[r.clone()].chunks_exact(layer.size).zip(g[r].chunks_exact(layer.size));
            for (er, (xr, gr)) in e.iter_mut().zip(rows) {
                *er += layer.lagrangian.layer_energy(xr, gr);
                *er -= layer.bias.iter().zip(gr).map(|(b, v)| b * v).sum::<f64>();
            }
        }
        for s in &self.net.synapses {
            let (na, nb) = (self.net.layers[s.a].size, self.net.layers[s.b].size);
            let mut wg = vec![0.0; self.b * na];
            let w = MatRef::from_row_major_slice(&s.weights, na, nb);
            let gb = MatRef::from_row_major_slice(&g[self.range(s.b)], self.b, nb);
            matmul(
                MatMut::from_row_major_slice_mut(&mut wg, self.b, na),
                Accum::Replace,
                gb,
                w.transpose(),
                1.0,
                Par::Seq,
            );
            clear_upper_registers();
            let ga = &g[self.range(s.a)];
            for (er, (wr, gr)) in e.iter_mut().zip(wg.chunks_exact(na).zip(ga.chunks_exact(na))) {
                *er -= wr.iter().zip(gr).map(|(a, b)| a * b).sum::<f64>();
            }
        }
        e
    }

    fn settle(&self, x: &mut [f64]) {
        if self.net.layers.iter().all(|l| l.tau > 0.0) {
            return;
        }
        let mut g = vec![0.0; x.len()];
        self.activations(x, &mut g);
        for (l, layer) in self.net.layers.iter().enumerate() {
            if layer.tau == 0.0 {
                let r = self.range(l);
                self.input(l, &g, &mut x[r]);
            }
        }
    }
}

impl OdeSystem for Block<'_> {
    fn dim(&self) -> usize {
        self.b * self.net.state_len()
    }

    fn rhs(&self, _t: f64, x: &[f64], dxdt: &mut [f64]) {
        let mut g = vec![0.0; x.len()];
        self.activations(x, &mut g);
        // Instantaneous layers are evaluated at their equilibrium; they see only dynamic
        // layers (checked at construction).
        for (l, layer) in self.net.layers.iter().enumerate() {
            if layer.tau == 0.0 {
                let r = self.range(l);
                let mut xs = vec![0.0; r.len()];
                self.input(l, &g, &mut xs);
                for (xr, gr) in xs.chunks_exact(layer.size).zip(g[r].chunks_exact_mut(layer.size)) {
                    layer.lagrangian.activation(xr, gr);
                }
            }
        }
        for (l, layer) in self.net.layers.iter().enumerate() {
            let r = self.range(l);
            if layer.tau == 0.0 {
                dxdt[r].fill(0.0);
                continue;
            }
            self.input(l, &g, &mut dxdt[r.clone()]);
            for (d, &xi) in dxdt[r.clone()].iter_mut().zip(&x[r]) {
                *d = (*d - xi) / layer.tau;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::memory::modern::ModernHopfield;
    use rand::Rng;
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian(len: usize, scale: f64, seed: u64) -> Vec<f64> {
        let mut r = stream(seed, 1);
        (0..len)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut r);
                scale * z
            })
            .collect()
    }

    fn lagrangians() -> Vec<Lagrangian> {
        vec![
            Lagrangian::Identity,
            Lagrangian::RectifiedPower { n: 3.0 },
            Lagrangian::Exp { beta: 0.5 },
            Lagrangian::Softmax { beta: 2.0 },
            Lagrangian::Tanh { beta: 1.0 },
            Lagrangian::Sigmoid { beta: 1.0 },
            Lagrangian::LayerNorm { gamma: 1.0, delta: 0.1, eps: 1e-2 },
            Lagrangian::SphericalNorm { gamma: 1.0, eps: 1e-2 },
        ]
    }

    /// Three layers in a chain plus a skip synapse, every pair of Lagrangians.
    fn three_layer(a: Lagrangian, b: Lagrangian, seed: u64) -> HierarchicalMemory {
        let (n0, n1, n2) = (5, 4, 3);
        HierarchicalMemory::new(
            vec![
                Layer::new(n0, a, 1.0).with_bias(gaussian(n0, 0.3, seed + 7)),
                Layer::new(n1, b, 0.5),
                Layer::new(n2, Lagrangian::Tanh { beta: 1.5 }, 0.25),
            ],
            vec![
                Synapse { a: 1, b: 0, weights: gaussian(n1 * n0, 0.4, seed) },
                Synapse { a: 2, b: 1, weights: gaussian(n2 * n1, 0.4, seed + 1) },
                Synapse { a: 0, b: 2, weights: gaussian(n0 * n2, 0.4, seed + 2) },
            ],
        )
        .unwrap()
    }

    fn state(net: &HierarchicalMemory, seed: u64) -> Vec<f64> {
        gaussian(net.state_len(), 0.8, seed + 100)
    }

    fn direct_energy(net: &HierarchicalMemory, x: &[f64]) -> f64 {
        // Term by term from the definitions, with ⟨x, g⟩ − L computed literally.
        let g = net.activations(x).unwrap();
        let mut e = 0.0;
        for (l, layer) in net.layers().iter().enumerate() {
            let r = net.range(l);
            for i in r.clone() {
                e += x[i] * g[i];
                if !layer.bias.is_empty() {
                    e -= layer.bias[i - r.start] * g[i];
                }
            }
            e -= layer.lagrangian.value(&x[r]);
        }
        for s in net.synapses() {
            let (ra, rb) = (net.range(s.a), net.range(s.b));
            for (i, ia) in ra.clone().enumerate() {
                for (j, jb) in rb.clone().enumerate() {
                    e -= g[ia] * s.weights[i * rb.len() + j] * g[jb];
                }
            }
        }
        e
    }

    #[test]
    fn energy_matches_a_literal_evaluation() {
        for a in lagrangians() {
            for b in lagrangians() {
                let net = three_layer(a, b, 3);
                let x = state(&net, 4);
                let (e, d) = (net.energy(&x).unwrap(), direct_energy(&net, &x));
                assert!((e - d).abs() <= 1e-10 * (1.0 + d.abs()), "{a:?}/{b:?}: {e} vs {d}");
            }
        }
    }

    /// ∂E/∂x̂ by finite differences of the energy written as a function of (x, x̂) with x̂ free.
    #[test]
    fn activation_gradient_matches_finite_differences() {
        let h = 1e-6;
        for a in lagrangians() {
            let net = three_layer(a, Lagrangian::Softmax { beta: 1.0 }, 11);
            let x = state(&net, 12);
            let g = net.activations(&x).unwrap();
            let e_of = |g: &[f64]| {
                let mut e = 0.0;
                for (l, layer) in net.layers().iter().enumerate() {
                    let r = net.range(l);
                    e += x[r.clone()].iter().zip(&g[r.clone()]).map(|(a, b)| a * b).sum::<f64>();
                    e -= layer.lagrangian.value(&x[r.clone()]);
                    e -= layer.bias.iter().zip(&g[r]).map(|(b, v)| b * v).sum::<f64>();
                }
                for s in net.synapses() {
                    let (ra, rb) = (net.range(s.a), net.range(s.b));
                    for (i, ia) in ra.clone().enumerate() {
                        for (j, jb) in rb.clone().enumerate() {
                            e -= g[ia] * s.weights[i * rb.len() + j] * g[jb];
                        }
                    }
                }
                e
            };
            let d = net.activation_gradient(&x).unwrap();
            for i in 0..g.len() {
                let (mut p, mut m) = (g.clone(), g.clone());
                p[i] += h;
                m[i] -= h;
                let fd = (e_of(&p) - e_of(&m)) / (2.0 * h);
                assert!((fd - d[i]).abs() <= 1e-6 * (1.0 + d[i].abs()), "{a:?} i={i}: {fd} vs {}", d[i]);
            }
        }
    }

    #[test]
    fn state_gradient_matches_finite_differences_of_the_energy() {
        let h = 1e-6;
        for a in lagrangians() {
            for b in lagrangians() {
                let net = three_layer(a, b, 21);
                let x = state(&net, 22);
                let grad = net.state_gradient(&x).unwrap();
                for i in 0..x.len() {
                    let (mut p, mut m) = (x.clone(), x.clone());
                    p[i] += h;
                    m[i] -= h;
                    let fd = (net.energy(&p).unwrap() - net.energy(&m).unwrap()) / (2.0 * h);
                    assert!(
                        (fd - grad[i]).abs() <= 2e-6 * (1.0 + grad[i].abs()),
                        "{a:?}/{b:?} i={i}: {fd} vs {}",
                        grad[i]
                    );
                }
            }
        }
    }

    /// The Lyapunov identity dE/dt = −Σ τ ẋᵀ∇²L ẋ against a central difference of E along the
    /// exact flow, and monotone descent along an RK4 trajectory.
    #[test]
    fn energy_descends_and_obeys_the_lyapunov_identity() {
        for a in lagrangians() {
            for b in lagrangians() {
                let net = three_layer(a, b, 31);
                let mut x = state(&net, 32);
                let mut rk = Rk4::default();
                let mut e = net.energy(&x).unwrap();
                for step in 0..200 {
                    if step % 20 == 0 {
                        let rate = net.energy_rate(&x).unwrap();
                        let h = 1e-4;
                        let (mut p, mut m) = (x.clone(), x.clone());
                        Rk4::default().step(&net, 0.0, &mut p, h).unwrap();
                        Rk4::default().step(&net, 0.0, &mut m, -h).unwrap();
                        let fd = (net.energy(&p).unwrap() - net.energy(&m).unwrap()) / (2.0 * h);
                        assert!(rate <= 0.0);
                        if rate.abs() > 1e-8 {
                            assert!((fd - rate).abs() <= 0.01 * rate.abs(), "{a:?}/{b:?}: fd {fd} vs {rate}");
                        }
                    }
                    rk.step(&net, 0.0, &mut x, 0.01).unwrap();
                    let e_new = net.energy(&x).unwrap();
                    assert!(e_new <= e + 1e-10 * e.abs().max(1.0), "{a:?}/{b:?} step {step}: {e} -> {e_new}");
                    e = e_new;
                }
            }
        }
    }

    fn memories(k: usize, n: usize, seed: u64) -> Vec<f64> {
        let mut r = stream(seed, 2);
        (0..k * n).map(|_| if r.random::<bool>() { 1.0 } else { -1.0 }).collect()
    }

    /// Model A: integrating out the memory neurons gives the dense associative memory energy
    /// ½‖v‖² − ⟨I, v⟩ − Σ_μ (1/n) max(ξ_μ·v, 0)ⁿ.
    #[test]
    fn model_a_reduces_to_the_dense_associative_memory() {
        let (k, n, deg) = (12, 8, 3.0);
        let xi = memories(k, n, 1);
        let input = gaussian(n, 0.2, 3);
        let net = HierarchicalMemory::two_layer(
            &xi,
            k,
            n,
            Lagrangian::Identity,
            Lagrangian::RectifiedPower { n: deg },
            1.0,
            0.0,
            input.clone(),
        )
        .unwrap();
        for seed in 0..5 {
            let mut x = vec![0.0; n + k];
            x[..n].copy_from_slice(&gaussian(n, 0.5, 10 + seed));
            let v = &x[..n].to_vec();
            let dam: f64 = 0.5 * v.iter().map(|a| a * a).sum::<f64>()
                - input.iter().zip(v).map(|(a, b)| a * b).sum::<f64>()
                - xi.chunks(n)
                    .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum::<f64>().max(0.0).powf(deg) / deg)
                    .sum::<f64>();
            let e = net.settled_energy(&x).unwrap();
            assert!((e - dam).abs() <= 1e-12 * (1.0 + dam.abs()), "{e} vs {dam}");
        }
    }

    /// Model B: with an instantaneous softmax layer, the energy is the modern Hopfield energy up
    /// to a constant, and one Euler step of size τ_f is the update ξᵀ softmax(βξq).
    #[test]
    fn model_b_reduces_to_the_modern_hopfield_network() {
        let (k, n, beta) = (40, 16, 0.3);
        let xi = memories(k, n, 2);
        let net = HierarchicalMemory::two_layer(
            &xi,
            k,
            n,
            Lagrangian::Identity,
            Lagrangian::Softmax { beta },
            1.0,
            0.0,
            Vec::new(),
        )
        .unwrap();
        let xi32: Vec<f32> = xi.iter().map(|&v| v as f32).collect();
        let modern = ModernHopfield::new(&xi32, k, n).unwrap();
        let mut offset = None;
        for seed in 0..5 {
            let mut x = vec![0.0; n + k];
            // Queries representable in f32 exactly, so both models see the same point.
            let q: Vec<f32> = gaussian(n, 1.0, 30 + seed).iter().map(|&v| (v * 8.0).round() as f32 / 8.0).collect();
            x.iter_mut().zip(&q).for_each(|(a, &b)| *a = b as f64);
            let diff = net.settled_energy(&x).unwrap() - modern.energy(&q, beta).unwrap();
            let c = *offset.get_or_insert(diff);
            assert!((diff - c).abs() < 1e-9, "energy difference {diff} not constant ({c})");
            // One explicit Euler step with dt = τ_f.
            let mut f = vec![0.0; n + k];
            net.rhs(0.0, &x, &mut f);
            let stepped: Vec<f64> = (0..n).map(|i| x[i] + f[i]).collect();
            let mut z: Vec<f64> =
                xi.chunks(n).map(|r| beta * r.iter().zip(&q).map(|(a, &b)| a * b as f64).sum::<f64>()).collect();
            let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            z.iter_mut().for_each(|v| *v = (*v - m).exp());
            let s: f64 = z.iter().sum();
            for (i, &out) in stepped.iter().enumerate() {
                let want: f64 = (0..k).map(|mu| xi[mu * n + i] * z[mu] / s).sum();
                assert!((out - want).abs() < 1e-12, "component {i}: {out} vs {want}");
            }
        }
        // The constant is −½M² − β⁻¹ ln K with M the largest pattern norm (Ramsauer et al.).
        let expected = -0.5 * n as f64 - (k as f64).ln() / beta;
        assert!((offset.unwrap() - expected).abs() < 1e-9, "{offset:?} vs {expected}");
    }

    #[test]
    fn relax_descends_and_stops_at_a_fixed_point() {
        let (k, n) = (6, 20);
        let xi = memories(k, n, 5);
        let net = HierarchicalMemory::two_layer(
            &xi,
            k,
            n,
            Lagrangian::Tanh { beta: 1.0 },
            Lagrangian::Softmax { beta: 1.0 },
            1.0,
            0.2,
            Vec::new(),
        )
        .unwrap();
        let mut x = vec![0.0; n + k];
        // Cue: memory 0 with four signs flipped, at half strength.
        for i in 0..n {
            x[i] = 0.5 * xi[i] * if i < 4 { -1.0 } else { 1.0 };
        }
        let r = net.relax(&mut x, &RelaxOptions { dt: 0.05, max_steps: 5000, tol: 1e-9 }, &StopFlag::new()).unwrap();
        assert!(r.converged, "{} steps", r.steps);
        assert!(r.energies.windows(2).all(|w| w[1] <= w[0] + 1e-12 * w[0].abs().max(1.0)));
        let signs_ok = (0..n).all(|i| x[i].signum() == xi[i]);
        assert!(signs_ok, "did not retrieve memory 0: {:?}", &x[..n]);
    }

    #[test]
    fn batch_relaxation_matches_single_states_at_any_thread_count() {
        let (k, n) = (10, 12);
        let xi = memories(k, n, 8);
        let net = HierarchicalMemory::two_layer(
            &xi,
            k,
            n,
            Lagrangian::Tanh { beta: 1.0 },
            Lagrangian::Softmax { beta: 2.0 },
            1.0,
            0.3,
            Vec::new(),
        )
        .unwrap();
        let s = net.state_len();
        let b = 45; // two chunks, the second partial
        let start = gaussian(b * s, 0.7, 9);
        let opts = RelaxOptions { dt: 0.05, max_steps: 400, tol: 1e-7 };
        let run_in = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut x = start.clone();
            let r = pool.install(|| net.relax_batch(&mut x, &opts, &StopFlag::new())).unwrap();
            (x, r)
        };
        let (x1, r1) = run_in(1);
        let (x2, r2) = run_in(2);
        assert_eq!(x1, x2);
        assert!(r1.iter().zip(&r2).all(|(a, b)| a.energies == b.energies && a.steps == b.steps));
        for i in 0..b {
            let mut y = start[i * s..(i + 1) * s].to_vec();
            let single = net.relax(&mut y, &opts, &StopFlag::new()).unwrap();
            assert_eq!(single.steps, r1[i].steps, "state {i}");
            assert_eq!(single.converged, r1[i].converged);
            for (a, b) in y.iter().zip(&x1[i * s..(i + 1) * s]) {
                assert!((a - b).abs() < 1e-12, "state {i}: {a} vs {b}");
            }
        }
        assert!(r1.iter().filter(|r| r.converged).count() > b / 2);
        assert!(net.relax_batch(&mut [0.0; 5], &opts, &StopFlag::new()).is_err());
    }

    #[test]
    fn bad_networks_and_states_are_named_errors() {
        let l = |n| Layer::new(n, Lagrangian::Identity, 1.0);
        assert!(HierarchicalMemory::new(vec![], vec![]).is_err());
        assert!(HierarchicalMemory::new(vec![l(0)], vec![]).is_err());
        let e = HierarchicalMemory::new(vec![l(2), l(3)], vec![Synapse { a: 1, b: 0, weights: vec![0.0; 5] }]);
        assert!(e.unwrap_err().to_string().contains("expected 3 x 2"));
        let e = HierarchicalMemory::new(vec![l(2)], vec![Synapse { a: 0, b: 0, weights: vec![0.0; 4] }]);
        assert!(e.unwrap_err().to_string().contains("itself"));
        let e = HierarchicalMemory::new(vec![l(2), l(2)], vec![Synapse { a: 1, b: 2, weights: vec![0.0; 4] }]);
        assert!(e.is_err());
        let fast = |n| Layer::new(n, Lagrangian::Identity, 0.0);
        let e =
            HierarchicalMemory::new(vec![fast(2), fast(2), l(1)], vec![Synapse { a: 1, b: 0, weights: vec![0.0; 4] }]);
        assert!(e.unwrap_err().to_string().contains("instantaneous"));
        assert!(HierarchicalMemory::new(vec![fast(2)], vec![]).is_err());
        let e = HierarchicalMemory::new(vec![Layer::new(2, Lagrangian::Softmax { beta: -1.0 }, 1.0)], vec![]);
        assert!(e.unwrap_err().to_string().contains("beta"));
        let e = HierarchicalMemory::new(vec![l(2), l(2)], vec![Synapse { a: 1, b: 0, weights: vec![f64::NAN; 4] }]);
        assert!(e.is_err());
        let net = HierarchicalMemory::new(vec![l(2)], vec![]).unwrap();
        assert!(net.energy(&[1.0]).unwrap_err().to_string().contains("length 1, expected 2"));
        assert!(net.energy(&[1.0, f64::NAN]).is_err());
        let exp = HierarchicalMemory::new(vec![Layer::new(1, Lagrangian::Exp { beta: 1.0 }, 1.0)], vec![]).unwrap();
        assert!(matches!(exp.energy(&[1e4]), Err(Error::Numerical(_))));
        let bad = RelaxOptions { dt: 0.0, max_steps: 1, tol: 0.0 };
        assert!(net.relax(&mut [0.0, 0.0], &bad, &StopFlag::new()).is_err());
    }
}
