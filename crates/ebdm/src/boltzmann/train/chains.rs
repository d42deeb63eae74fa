//! Negative-phase chains: persistent Gibbs chains and parallel-tempering ladders.

use super::*;

/// Negative-phase chains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Chains {
    /// CD keeps no state.
    None,
    /// Persistent hidden states, `chains × m`, values 0/1.
    Persistent { h: Vec<f32> },
    /// Tempered replicas: `K·C` rows of visible and hidden states (replica-major), swap counts
    /// per neighbour pair.
    Tempered { betas: Vec<f64>, chains: usize, v: Vec<f32>, h: Vec<f32>, attempts: Vec<u64>, accepts: Vec<u64> },
}

impl Chains {
    /// Persistent chains from hidden states.
    pub fn persistent(h: Vec<f32>) -> Self {
        Chains::Persistent { h }
    }

    /// Tempered chains: `chains` per inverse temperature, all starting at visible rows `v0`
    /// (`chains × n`, repeated per replica) with hidden units off.
    pub fn tempered(betas: Vec<f64>, chains: usize, v0: &[f32], n: usize, m: usize) -> Self {
        let k = betas.len();
        let v: Vec<f32> = (0..k).flat_map(|_| v0[..chains * n].iter().copied()).collect();
        Chains::Tempered {
            betas,
            chains,
            v,
            h: vec![0.0; k * chains * m],
            attempts: vec![0; k - 1],
            accepts: vec![0; k - 1],
        }
    }

    /// Advances the chains `k` steps (PCD) or one step with swaps (PT) under `kern`, and returns
    /// the negative samples `V` and their hidden probabilities `P_H` (for PT, those of the `β = 1`
    /// replica). Random draws come from `(seed, path ++ …)`.
    #[allow(clippy::needless_range_loop)]
    pub fn advance<T: Real>(&mut self, kern: &Kernel<T>, k: usize, seed: u64, path: &[u64]) -> (Vec<T>, Vec<T>) {
        let (n, m) = (kern.n, kern.m);
        let key = |extra: &[u64]| path.iter().chain(extra).copied().collect::<Vec<u64>>();
        match self {
            Chains::None => (Vec::new(), Vec::new()),
            Chains::Persistent { h } => {
                let c = h.len() / m;
                let mut ht: Vec<T> = h.iter().map(|&x| T::of(x as f64)).collect();
                let mut y = vec![T::of(0.0); c * n];
                let mut v = vec![T::of(0.0); c * n];
                let mut x = vec![T::of(0.0); c * m];
                let mut ph = vec![T::of(0.0); c * m];
                for step in 0..k as u64 {
                    kern.visible_pre(&ht, &mut y);
                    sample_rows(&y, &kern.b, None, None, Some(&mut v), seed, &key(&[step, 0]));
                    kern.hidden_pre(&v, &mut x);
                    sample_rows(&x, &kern.c, None, Some(&mut ph), Some(&mut ht), seed, &key(&[step, 1]));
                }
                h.iter_mut().zip(&ht).for_each(|(a, &b)| *a = b.to() as f32);
                (v, ph)
            }
            Chains::Tempered { betas, chains, v, h, attempts, accepts } => {
                let (kk, c) = (betas.len(), *chains);
                let rows = kk * c;
                let row_beta: Vec<f64> = (0..rows).map(|r| betas[r / c]).collect();
                let mut vt: Vec<T> = v.iter().map(|&x| T::of(x as f64)).collect();
                let mut ht = vec![T::of(0.0); rows * m];
                let mut x = vec![T::of(0.0); rows * m];
                let mut y = vec![T::of(0.0); rows * n];
                kern.hidden_pre(&vt, &mut x);
                sample_rows(&x, &kern.c, Some(&row_beta), None, Some(&mut ht), seed, &key(&[0]));
                kern.visible_pre(&ht, &mut y);
                sample_rows(&y, &kern.b, Some(&row_beta), None, Some(&mut vt), seed, &key(&[1]));
                kern.hidden_pre(&vt, &mut x);
                // Joint energies E(v, h) = −bᵀv − cᵀh − Σ_j X_j h_j, in double precision.
                let mut energy: Vec<f64> = (0..rows)
                    .map(|r| {
                        let vr = &vt[r * n..(r + 1) * n];
                        let hr = &ht[r * m..(r + 1) * m];
                        let xr = &x[r * m..(r + 1) * m];
                        let mut e = 0.0;
                        for i in 0..n {
                            e -= kern.b[i].to() * vr[i].to();
                        }
                        for j in 0..m {
                            e -= (kern.c[j].to() + xr[j].to()) * hr[j].to();
                        }
                        e
                    })
                    .collect();
                let mut rng = stream_path(seed, &key(&[KEY_SWAP]));
                for parity in [0usize, 1] {
                    for pair in (parity..kk.saturating_sub(1)).step_by(2) {
                        let db = betas[pair + 1] - betas[pair];
                        for ch in 0..c {
                            let (r0, r1) = (pair * c + ch, (pair + 1) * c + ch);
                            let log_a = db * (energy[r1] - energy[r0]);
                            attempts[pair] += 1;
                            if log_a >= 0.0 || rng.random::<f64>() < log_a.exp() {
                                accepts[pair] += 1;
                                swap_rows(&mut vt, n, r0, r1);
                                swap_rows(&mut ht, m, r0, r1);
                                swap_rows(&mut x, m, r0, r1);
                                energy.swap(r0, r1);
                            }
                        }
                    }
                }
                v.iter_mut().zip(&vt).for_each(|(a, &b)| *a = b.to() as f32);
                h.iter_mut().zip(&ht).for_each(|(a, &b)| *a = b.to() as f32);
                let top = (kk - 1) * c;
                let vneg = vt[top * n..].to_vec();
                let mut ph = vec![T::of(0.0); c * m];
                sample_rows(&x[top * m..], &kern.c, None, Some(&mut ph), None, seed, &key(&[2]));
                (vneg, ph)
            }
        }
    }

    /// PT swap acceptance per pair since the last reset (empty for other chains).
    pub fn swap_acceptance(&self) -> Vec<f64> {
        match self {
            Chains::Tempered { attempts, accepts, .. } => attempts
                .iter()
                .zip(accepts)
                .map(|(&a, &b)| if a == 0 { f64::NAN } else { b as f64 / a as f64 })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(super) fn reset_swaps(&mut self) {
        if let Chains::Tempered { attempts, accepts, .. } = self {
            attempts.iter_mut().for_each(|a| *a = 0);
            accepts.iter_mut().for_each(|a| *a = 0);
        }
    }
}

pub(super) fn swap_rows<T: Copy>(x: &mut [T], width: usize, r0: usize, r1: usize) {
    let (lo, hi) = x.split_at_mut(r1 * width);
    lo[r0 * width..(r0 + 1) * width].swap_with_slice(&mut hi[..width]);
}
