//! A batch of network states stored layer-major, the unit on which energies, gradients and the
//! relaxation act as matrix products.

use super::*;

/// `b` states of a network stored layer-major: layer ℓ of all states is one b × |ℓ| row-major
/// block, so that every synapse acts on the batch as one matrix product. With b = 1 this is the
/// flat state of a single network.
#[derive(Clone, Copy)]
pub(super) struct Block<'a> {
    pub(super) net: &'a HierarchicalMemory,
    pub(super) b: usize,
}

impl Block<'_> {
    pub(super) fn range(&self, l: usize) -> std::ops::Range<usize> {
        self.b * self.net.offsets[l]..self.b * self.net.offsets[l + 1]
    }

    pub(super) fn layer_major(&self, rows: &[f64]) -> Vec<f64> {
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

    pub(super) fn copy_row_out(&self, x: &[f64], r: usize, row: &mut [f64]) {
        for l in 0..self.net.layers.len() {
            let (lr, size) = (self.net.range(l), self.net.layers[l].size);
            row[lr].copy_from_slice(&x[self.range(l)][r * size..(r + 1) * size]);
        }
    }

    /// max |v| over each state's entries.
    pub(super) fn row_max_abs(&self, v: &[f64]) -> Vec<f64> {
        let mut m = vec![0.0f64; self.b];
        for l in 0..self.net.layers.len() {
            let size = self.net.layers[l].size;
            for (r, row) in v[self.range(l)].chunks_exact(size).enumerate() {
                m[r] = row.iter().fold(m[r], |a, x| a.max(x.abs()));
            }
        }
        m
    }

    pub(super) fn activations(&self, x: &[f64], g: &mut [f64]) {
        for (l, layer) in self.net.layers.iter().enumerate() {
            let r = self.range(l);
            for (xr, gr) in x[r.clone()].chunks_exact(layer.size).zip(g[r].chunks_exact_mut(layer.size)) {
                layer.lagrangian.activation(xr, gr);
            }
        }
    }

    /// Writes the input `Iₗ` of layer `l` for every state into `out` (b × |l|).
    pub(super) fn input(&self, l: usize, g: &[f64], out: &mut [f64]) {
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
    pub(super) fn energies(&self, x: &[f64]) -> Vec<f64> {
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

    pub(super) fn settle(&self, x: &mut [f64]) {
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
