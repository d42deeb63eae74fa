//! Ising, QUBO and MaxCut models, their coupling storage and the exact conversions between them.
//!
//! # Sign convention (the only one used inside ebdm)
//!
//! ```text
//! H(s) = −½ Σ_{i≠j} J_ij s_i s_j − Σ_i h_i s_i + c,      s ∈ {−1, +1}^N, minimised,
//! ```
//!
//! with J symmetric and zero on the diagonal. The local field is `f_i = Σ_j J_ij s_j + h_i`
//! (= −∂H/∂s_i) and flipping spin i changes the energy by `ΔH_i = 2 s_i f_i`.
//!
//! The dimod / dwave-samplers convention `E_d = Σ h^d_i s_i + Σ_{i<j} J^d_ij s_i s_j + c` maps to
//! it by `J^d = −J`, `h^d = −h`, `c_d = c`.
//!
//! A QUBO is `f(x) = Σ_i Q_ii x_i + Σ_{i<j} Q_ij x_i x_j + q0` over `x ∈ {0,1}^N`, minimised, with
//! `x = (1 + s)/2`. A MaxCut instance is a list of undirected edges with weights `w_ij`, and
//!
//! ```text
//! cut(s) = Σ_edges w_ij (1 − s_i s_j)/2 = (W − H(s))/2,    W = Σ_edges w_ij,
//! ```
//!
//! for the antiferromagnetic Ising model `J_ij = −w_ij`, `h = 0`, `c = 0`.
//!
//! # Exactness
//!
//! Coefficients are stored as `f64`. Every conversion only adds, negates and multiplies or
//! divides by 2 or 4, so it is exact whenever the coefficients are integers (or dyadic
//! rationals) of magnitude below 2⁵⁰ — the case for every G-set file. Energies of integer
//! models are then exact integers (or half-integers) and are compared with `==` in the tests.

use serde::Serialize;

use crate::error::{Error, Result};

/// Which coupling storage to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// CSR below [`DENSE_THRESHOLD`] density, dense row-major at or above it.
    #[default]
    Auto,
    /// Compressed sparse rows.
    Csr,
    /// Dense row-major N × N.
    Dense,
}

impl std::str::FromStr for Backend {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Backend::Auto),
            "csr" | "sparse" => Ok(Backend::Csr),
            "dense" => Ok(Backend::Dense),
            _ => Err(Error::param("backend", format!("expected auto, csr or dense, got `{s}`"))),
        }
    }
}

/// Fraction of non-zero off-diagonal entries at or above which [`Backend::Auto`] stores the
/// couplings densely. A CSR row costs an index load per entry and a dense row touches every
/// column, so the two break even when roughly a quarter of the entries are non-zero.
pub const DENSE_THRESHOLD: f64 = 0.25;

/// One row of the coupling matrix.
#[derive(Clone, Copy, Debug)]
pub enum Row<'a> {
    /// Column indices and values of the non-zeros.
    Sparse(&'a [u32], &'a [f64]),
    /// The whole row (zeros included).
    Dense(&'a [f64]),
}

impl Row<'_> {
    /// Calls `f(j, J_ij)` for every stored entry of the row.
    #[inline]
    pub fn for_each(self, mut f: impl FnMut(usize, f64)) {
        match self {
            Row::Sparse(c, v) => {
                for (&j, &w) in c.iter().zip(v) {
                    f(j as usize, w);
                }
            }
            Row::Dense(v) => {
                for (j, &w) in v.iter().enumerate() {
                    f(j, w);
                }
            }
        }
    }
    /// `Σ_j J_ij x_j`.
    #[inline]
    pub fn dot(self, x: &[f64]) -> f64 {
        match self {
            Row::Sparse(c, v) => c.iter().zip(v).map(|(&j, &w)| w * x[j as usize]).sum(),
            Row::Dense(v) => v.iter().zip(x).map(|(w, x)| w * x).sum(),
        }
    }
    /// `Σ_j J_ij s_j` for ±1 spins.
    #[inline]
    pub fn dot_spins(self, s: &[i8]) -> f64 {
        match self {
            Row::Sparse(c, v) => c.iter().zip(v).map(|(&j, &w)| w * f64::from(s[j as usize])).sum(),
            Row::Dense(v) => v.iter().zip(s).map(|(w, &s)| w * f64::from(s)).sum(),
        }
    }
}

/// A symmetric coupling matrix with zero diagonal, stored as CSR or dense.
#[derive(Clone, Debug)]
pub struct Couplings {
    n: usize,
    storage: Storage,
    pairs: usize,
}

#[derive(Clone, Debug)]
enum Storage {
    Csr { row_ptr: Vec<usize>, cols: Vec<u32>, vals: Vec<f64> },
    Dense(Vec<f64>),
}

impl Couplings {
    /// Builds the symmetric matrix with `J_ij = J_ji = w` for each `(i, j, w)` (i ≠ j, each
    /// unordered pair at most once; zero weights are dropped).
    pub fn from_pairs(n: usize, pairs: &[(u32, u32, f64)], backend: Backend) -> Result<Self> {
        if n > u32::MAX as usize {
            return Err(Error::param("n", format!("at most {} variables, got {n}", u32::MAX)));
        }
        let mut deg = vec![0usize; n];
        let mut kept = 0usize;
        for (k, &(i, j, w)) in pairs.iter().enumerate() {
            let (iu, ju) = (i as usize, j as usize);
            if iu >= n || ju >= n {
                return Err(Error::Shape(format!("pair {k}: index ({i}, {j}) out of range for n = {n}")));
            }
            if i == j {
                return Err(Error::Shape(format!("pair {k}: diagonal entry ({i}, {i}) is not a coupling")));
            }
            if !w.is_finite() {
                return Err(Error::param("couplings", format!("pair {k}: weight {w} is not finite")));
            }
            if w != 0.0 {
                deg[iu] += 1;
                deg[ju] += 1;
                kept += 1;
            }
        }
        let density = if n > 1 { 2.0 * kept as f64 / (n as f64 * (n as f64 - 1.0)) } else { 0.0 };
        let dense = match backend {
            Backend::Dense => true,
            Backend::Csr => false,
            Backend::Auto => density >= DENSE_THRESHOLD,
        };
        let storage = if dense {
            crate::size::check_memory("n", format!("the dense {n}×{n} couplings"), crate::size::bytes(&[n, n], 8))?;
            let mut v = vec![0.0; n * n];
            for &(i, j, w) in pairs {
                let (i, j) = (i as usize, j as usize);
                if v[i * n + j] != 0.0 && w != 0.0 {
                    return Err(Error::Shape(format!("pair ({i}, {j}) given twice")));
                }
                v[i * n + j] = w;
                v[j * n + i] = w;
            }
            Storage::Dense(v)
        } else {
            let mut row_ptr = vec![0usize; n + 1];
            for i in 0..n {
                row_ptr[i + 1] = row_ptr[i] + deg[i];
            }
            let mut fill = row_ptr.clone();
            let mut cols = vec![0u32; row_ptr[n]];
            let mut vals = vec![0.0; row_ptr[n]];
            for &(i, j, w) in pairs {
                if w == 0.0 {
                    continue;
                }
                for (a, b) in [(i, j), (j, i)] {
                    let p = &mut fill[a as usize];
                    cols[*p] = b;
                    vals[*p] = w;
                    *p += 1;
                }
            }
            for i in 0..n {
                let (lo, hi) = (row_ptr[i], row_ptr[i + 1]);
                let mut idx: Vec<usize> = (lo..hi).collect();
                idx.sort_by_key(|&p| cols[p]);
                let c: Vec<u32> = idx.iter().map(|&p| cols[p]).collect();
                let v: Vec<f64> = idx.iter().map(|&p| vals[p]).collect();
                if let Some(w) = c.windows(2).find(|w| w[0] == w[1]) {
                    return Err(Error::Shape(format!("pair ({i}, {}) given twice", w[0])));
                }
                cols[lo..hi].copy_from_slice(&c);
                vals[lo..hi].copy_from_slice(&v);
            }
            Storage::Csr { row_ptr, cols, vals }
        };
        Ok(Self { n, storage, pairs: kept })
    }

    /// Number of variables.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of non-zero unordered pairs.
    pub fn nnz_pairs(&self) -> usize {
        self.pairs
    }
    /// The storage actually used (`Csr` or `Dense`, never `Auto`).
    pub fn backend(&self) -> Backend {
        match self.storage {
            Storage::Csr { .. } => Backend::Csr,
            Storage::Dense(_) => Backend::Dense,
        }
    }
    /// Row i.
    #[inline]
    pub fn row(&self, i: usize) -> Row<'_> {
        match &self.storage {
            Storage::Csr { row_ptr, cols, vals } => {
                let (lo, hi) = (row_ptr[i], row_ptr[i + 1]);
                Row::Sparse(&cols[lo..hi], &vals[lo..hi])
            }
            Storage::Dense(v) => Row::Dense(&v[i * self.n..(i + 1) * self.n]),
        }
    }
    /// `y_j += d · J_ij` for every stored entry of row i (the field update of a spin flip).
    #[inline]
    pub fn add_row_scaled(&self, i: usize, d: f64, y: &mut [f64]) {
        assert_eq!(y.len(), self.n, "vector length");
        match self.row(i) {
            Row::Sparse(c, v) => {
                for (&j, &w) in c.iter().zip(v) {
                    // SAFETY: every stored column index is below n (checked when the matrix was
                    // built) and y.len() = n (asserted above).
                    unsafe { *y.get_unchecked_mut(j as usize) += d * w };
                }
            }
            Row::Dense(v) => y.iter_mut().zip(v).for_each(|(yj, &w)| *yj += d * w),
        }
    }
    /// `J_ij`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match self.row(i) {
            Row::Sparse(c, v) => c.binary_search(&(j as u32)).map_or(0.0, |p| v[p]),
            Row::Dense(v) => v[j],
        }
    }
    /// The non-zero pairs `(i, j, J_ij)` with `i < j`, in row-major order.
    pub fn pairs(&self) -> Vec<(u32, u32, f64)> {
        let mut out = Vec::with_capacity(self.pairs);
        for i in 0..self.n {
            self.row(i).for_each(|j, w| {
                if j > i && w != 0.0 {
                    out.push((i as u32, j as u32, w));
                }
            });
        }
        out
    }
    /// `y = J x`.
    pub fn matvec(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = self.row(i).dot(x);
        }
    }
    /// `Σ_j |J_ij|` for every row.
    pub fn abs_row_sums(&self) -> Vec<f64> {
        (0..self.n)
            .map(|i| {
                let mut s = 0.0;
                self.row(i).for_each(|_, w| s += w.abs());
                s
            })
            .collect()
    }
    /// `Σ_{i,j} J_ij²` (each pair counted twice).
    pub fn sum_squares(&self) -> f64 {
        2.0 * self.pairs().iter().map(|p| p.2 * p.2).sum::<f64>()
    }
}

/// An Ising model in the canonical convention (module docs): `H(s) = −½ sᵀJs − hᵀs + c`.
///
/// ```
/// use ebdm::ising::{Backend, IsingModel};
/// // Two spins that prefer to align: J_01 = 1.
/// let m = IsingModel::new(2, &[(0, 1, 1.0)], vec![0.0, 0.0], 0.0, Backend::Auto).unwrap();
/// assert_eq!(m.energy(&[1, 1]), -1.0);
/// assert_eq!(m.energy(&[1, -1]), 1.0);
/// ```
#[derive(Clone, Debug)]
pub struct IsingModel {
    /// Couplings J (symmetric, zero diagonal).
    pub j: Couplings,
    /// Linear terms h.
    pub h: Vec<f64>,
    /// Constant c.
    pub offset: f64,
}

impl IsingModel {
    /// Builds a model from pairs `(i, j, J_ij)` with i ≠ j, each unordered pair once.
    pub fn new(n: usize, pairs: &[(u32, u32, f64)], h: Vec<f64>, offset: f64, backend: Backend) -> Result<Self> {
        if h.len() != n {
            return Err(Error::Shape(format!("h has {} entries for {n} spins", h.len())));
        }
        if let Some(i) = h.iter().position(|x| !x.is_finite()) {
            return Err(Error::param("h", format!("entry {i} is not finite")));
        }
        if !offset.is_finite() {
            return Err(Error::param("offset", "must be finite"));
        }
        Ok(Self { j: Couplings::from_pairs(n, pairs, backend)?, h, offset })
    }
    /// Number of spins.
    pub fn n(&self) -> usize {
        self.h.len()
    }
    /// Whether every h_i is zero.
    pub fn has_no_field(&self) -> bool {
        self.h.iter().all(|&x| x == 0.0)
    }
    /// `H(s)`.
    pub fn energy(&self, s: &[i8]) -> f64 {
        let mut quad = 0.0;
        let mut lin = 0.0;
        for i in 0..self.n() {
            let si = f64::from(s[i]);
            quad += si * self.j.row(i).dot_spins(s);
            lin += self.h[i] * si;
        }
        -0.5 * quad - lin + self.offset
    }
    /// Local fields `f_i = Σ_j J_ij s_j + h_i`.
    pub fn local_fields(&self, s: &[i8]) -> Vec<f64> {
        (0..self.n()).map(|i| self.j.row(i).dot_spins(s) + self.h[i]).collect()
    }
    /// Checks a spin vector: right length, entries ±1.
    pub fn check_spins(&self, s: &[i8]) -> Result<()> {
        if s.len() != self.n() {
            return Err(Error::Shape(format!("{} spins for a model of {} spins", s.len(), self.n())));
        }
        if let Some(i) = s.iter().position(|&v| v != 1 && v != -1) {
            return Err(Error::param("spins", format!("entry {i} is {}, not ±1", s[i])));
        }
        Ok(())
    }
    /// The equivalent QUBO: `f((1 + s)/2) = H(s)` for every s.
    ///
    /// `Q_ij = −4 J_ij` (i < j), `Q_ii = −2 h_i + 2 Σ_j J_ij`, `q0 = c − Σ_{i<j} J_ij + Σ_i h_i`.
    pub fn to_qubo(&self) -> QuboModel {
        let n = self.n();
        let pairs = self.j.pairs();
        let mut lin: Vec<f64> = self.h.iter().map(|&h| -2.0 * h).collect();
        let mut q0 = self.offset + self.h.iter().sum::<f64>();
        let mut quad = Vec::with_capacity(pairs.len());
        for &(i, j, w) in &pairs {
            lin[i as usize] += 2.0 * w;
            lin[j as usize] += 2.0 * w;
            q0 -= w;
            quad.push((i, j, -4.0 * w));
        }
        QuboModel { n, linear: lin, quad, offset: q0 }
    }
    /// The model in the dimod convention: `(h^d, J^d pairs, c_d)` with `E_d(s) = H(s)`.
    pub fn to_dimod(&self) -> (Vec<f64>, Vec<(u32, u32, f64)>, f64) {
        let hd = self.h.iter().map(|&h| -h).collect();
        let jd = self.j.pairs().into_iter().map(|(i, j, w)| (i, j, -w)).collect();
        (hd, jd, self.offset)
    }
    /// The model with one auxiliary spin `s_N` (last index) carrying the field:
    /// `J_{i,N} = h_i`, `h = 0`. Its energy at `(s, +1)` equals `H(s)`, and it is symmetric
    /// under a global flip, so any of its states maps back by [`Self::drop_auxiliary`].
    pub fn with_auxiliary_spin(&self, backend: Backend) -> Result<IsingModel> {
        let n = self.n();
        let mut pairs = self.j.pairs();
        for (i, &h) in self.h.iter().enumerate() {
            if h != 0.0 {
                pairs.push((i as u32, n as u32, h));
            }
        }
        IsingModel::new(n + 1, &pairs, vec![0.0; n + 1], self.offset, backend)
    }
    /// Maps a state of [`Self::with_auxiliary_spin`] back: flip everything if `s_N = −1`,
    /// then drop `s_N`.
    pub fn drop_auxiliary(s: &[i8]) -> Vec<i8> {
        let last = s[s.len() - 1];
        s[..s.len() - 1].iter().map(|&v| v * last).collect()
    }
}

/// A QUBO `f(x) = Σ_i Q_ii x_i + Σ_{i<j} Q_ij x_i x_j + q0`, `x ∈ {0,1}^N`, minimised.
#[derive(Clone, Debug, PartialEq)]
pub struct QuboModel {
    /// Number of variables.
    pub n: usize,
    /// Diagonal `Q_ii`.
    pub linear: Vec<f64>,
    /// Off-diagonal `(i, j, Q_ij)` with i < j, each pair once.
    pub quad: Vec<(u32, u32, f64)>,
    /// Constant `q0`.
    pub offset: f64,
}

impl QuboModel {
    /// `f(x)` for `x ∈ {0,1}^N`.
    pub fn value(&self, x: &[u8]) -> f64 {
        let mut v = self.offset;
        for (i, &q) in self.linear.iter().enumerate() {
            if x[i] != 0 {
                v += q;
            }
        }
        for &(i, j, q) in &self.quad {
            if x[i as usize] != 0 && x[j as usize] != 0 {
                v += q;
            }
        }
        v
    }
    /// The equivalent canonical Ising model: `H(s) = f((1 + s)/2)` for every s.
    ///
    /// `J_ij = −Q_ij/4`, `h_i = −Q_ii/2 − Σ_{j≠i} Q_ij/4`, `c = q0 + Σ_i Q_ii/2 + Σ_{i<j} Q_ij/4`.
    pub fn to_ising(&self, backend: Backend) -> Result<IsingModel> {
        let mut h: Vec<f64> = self.linear.iter().map(|&q| -q / 2.0).collect();
        let mut c = self.offset + self.linear.iter().sum::<f64>() / 2.0;
        let mut pairs = Vec::with_capacity(self.quad.len());
        for &(i, j, q) in &self.quad {
            if i >= j {
                return Err(Error::Shape(format!("QUBO entry ({i}, {j}) is not strictly upper-triangular")));
            }
            h[i as usize] -= q / 4.0;
            h[j as usize] -= q / 4.0;
            c += q / 4.0;
            pairs.push((i, j, -q / 4.0));
        }
        IsingModel::new(self.n, &pairs, h, c, backend)
    }
}

/// A weighted undirected graph for MaxCut: `cut(s) = Σ_edges w_ij (1 − s_i s_j)/2`.
#[derive(Clone, Debug, PartialEq)]
pub struct MaxCutGraph {
    /// Number of vertices (isolated vertices included).
    pub n: usize,
    /// Edges `(i, j, w)`, 0-based, i ≠ j, each unordered pair once.
    pub edges: Vec<(u32, u32, f64)>,
}

impl MaxCutGraph {
    /// Checks and builds a graph.
    pub fn new(n: usize, edges: Vec<(u32, u32, f64)>) -> Result<Self> {
        let mut seen = std::collections::HashSet::with_capacity(edges.len());
        for (k, &(i, j, w)) in edges.iter().enumerate() {
            if i as usize >= n || j as usize >= n {
                return Err(Error::Shape(format!("edge {k}: ({i}, {j}) out of range for n = {n}")));
            }
            if i == j {
                return Err(Error::Shape(format!("edge {k}: self-loop at {i}")));
            }
            if !w.is_finite() {
                return Err(Error::param("weights", format!("edge {k}: weight {w} is not finite")));
            }
            if !seen.insert((i.min(j), i.max(j))) {
                return Err(Error::Shape(format!("edge {k}: ({i}, {j}) appears twice")));
            }
        }
        Ok(Self { n, edges })
    }
    /// `W = Σ_edges w_ij`.
    pub fn total_weight(&self) -> f64 {
        self.edges.iter().map(|e| e.2).sum()
    }
    /// `cut(s)`, summed edge by edge.
    pub fn cut(&self, s: &[i8]) -> f64 {
        self.edges.iter().filter(|&&(i, j, _)| s[i as usize] != s[j as usize]).map(|e| e.2).sum()
    }
    /// Weighted degrees `d_i = Σ_j w_ij`.
    pub fn degrees(&self) -> Vec<f64> {
        let mut d = vec![0.0; self.n];
        for &(i, j, w) in &self.edges {
            d[i as usize] += w;
            d[j as usize] += w;
        }
        d
    }
    /// The antiferromagnetic Ising model `J = −w`, `h = 0`, `c = 0`: `cut = (W − H)/2`.
    pub fn to_ising(&self, backend: Backend) -> Result<IsingModel> {
        let pairs: Vec<_> = self.edges.iter().map(|&(i, j, w)| (i, j, -w)).collect();
        IsingModel::new(self.n, &pairs, vec![0.0; self.n], 0.0, backend)
    }
    /// The QUBO `Q_ii = −d_i`, `Q_ij = 2 w_ij`, `q0 = 0`, whose value is `−cut` (side 1 ↔ x = 1).
    pub fn to_qubo(&self) -> QuboModel {
        let linear = self.degrees().into_iter().map(|d| -d).collect();
        let quad = self.edges.iter().map(|&(i, j, w)| (i.min(j), i.max(j), 2.0 * w)).collect();
        QuboModel { n: self.n, linear, quad, offset: 0.0 }
    }
    /// The cut in terms of the canonical energy of [`Self::to_ising`]: `(W − H)/2`.
    pub fn cut_from_energy(&self, energy: f64) -> f64 {
        (self.total_weight() - energy) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use rand::Rng;

    fn random_model(rng: &mut impl Rng, n: usize, backend: Backend) -> IsingModel {
        let mut pairs = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                if rng.random_bool(0.5) {
                    pairs.push((i as u32, j as u32, f64::from(rng.random_range(-5i32..=5))));
                }
            }
        }
        let h = (0..n).map(|_| f64::from(rng.random_range(-5i32..=5))).collect();
        IsingModel::new(n, &pairs, h, f64::from(rng.random_range(-9i32..=9)), backend).unwrap()
    }

    fn random_spins(rng: &mut impl Rng, n: usize) -> Vec<i8> {
        (0..n).map(|_| if rng.random_bool(0.5) { 1 } else { -1 }).collect()
    }

    /// Energy from the definition, pair by pair, independent of the storage.
    fn energy_by_pairs(n: usize, pairs: &[(u32, u32, f64)], h: &[f64], c: f64, s: &[i8]) -> f64 {
        let mut e = c;
        for &(i, j, w) in pairs {
            e -= w * f64::from(s[i as usize] * s[j as usize]);
        }
        for i in 0..n {
            e -= h[i] * f64::from(s[i]);
        }
        e
    }

    #[test]
    fn ising_qubo_dimod_identities_are_exact() {
        let mut rng = stream(1, 0);
        for t in 0..200 {
            let n = 1 + t % 30;
            let backend = if t % 2 == 0 { Backend::Csr } else { Backend::Dense };
            let m = random_model(&mut rng, n, backend);
            let q = m.to_qubo();
            let back = q.to_ising(backend).unwrap();
            assert_eq!(back.j.pairs(), m.j.pairs());
            assert_eq!(back.h, m.h);
            assert_eq!(back.offset, m.offset);
            let (hd, jd, cd) = m.to_dimod();
            let pairs = m.j.pairs();
            for _ in 0..100 {
                let s = random_spins(&mut rng, n);
                let e = m.energy(&s);
                assert_eq!(e, energy_by_pairs(n, &pairs, &m.h, m.offset, &s));
                let x: Vec<u8> = s.iter().map(|&v| u8::from(v > 0)).collect();
                assert_eq!(q.value(&x), e);
                let ed: f64 = cd
                    + hd.iter().zip(&s).map(|(h, &v)| h * f64::from(v)).sum::<f64>()
                    + jd.iter().map(|&(i, j, w)| w * f64::from(s[i as usize] * s[j as usize])).sum::<f64>();
                assert_eq!(ed, e);
                // Local fields against finite differences of the energy.
                let f = m.local_fields(&s);
                for i in 0..n {
                    let mut t = s.clone();
                    t[i] = -t[i];
                    assert_eq!(m.energy(&t) - e, 2.0 * f64::from(s[i]) * f[i]);
                }
                // Auxiliary spin: same energy at s_aux = +1 and at the global flip.
                let aux = m.with_auxiliary_spin(Backend::Csr).unwrap();
                let mut sa = s.clone();
                sa.push(1);
                assert_eq!(aux.energy(&sa), e);
                let flipped: Vec<i8> = sa.iter().map(|v| -v).collect();
                assert_eq!(aux.energy(&flipped), e);
                assert_eq!(IsingModel::drop_auxiliary(&flipped), s);
            }
        }
    }

    #[test]
    fn dimod_to_qubo_reference_example() {
        // E_d = s_1 s_2  ↔  Q_12 = 4, Q_11 = Q_22 = −2, q0 = 1.
        let m = IsingModel::new(2, &[(0, 1, -1.0)], vec![0.0; 2], 0.0, Backend::Csr).unwrap();
        let q = m.to_qubo();
        assert_eq!(q.quad, vec![(0, 1, 4.0)]);
        assert_eq!(q.linear, vec![-2.0, -2.0]);
        assert_eq!(q.offset, 1.0);
    }

    #[test]
    fn maxcut_identities_under_every_conversion() {
        let mut rng = stream(2, 0);
        for t in 0..100 {
            let n = 2 + t % 25;
            let mut edges = Vec::new();
            for i in 0..n as u32 {
                for j in i + 1..n as u32 {
                    // Leave the last vertex isolated on odd t.
                    if (t % 2 == 1 && j == n as u32 - 1) || !rng.random_bool(0.4) {
                        continue;
                    }
                    let w = if t % 3 != 0 && rng.random_bool(0.5) { -1.0 } else { 1.0 };
                    edges.push((i, j, w));
                }
            }
            let g = MaxCutGraph::new(n, edges).unwrap();
            let w = g.total_weight();
            let q = g.to_qubo();
            for backend in [Backend::Csr, Backend::Dense] {
                let m = g.to_ising(backend).unwrap();
                let back = q.to_ising(backend).unwrap();
                for _ in 0..100 {
                    let s = random_spins(&mut rng, n);
                    let cut = g.cut(&s);
                    let h = m.energy(&s);
                    assert_eq!(cut, (w - h) / 2.0);
                    assert_eq!(cut, g.cut_from_energy(h));
                    let x: Vec<u8> = s.iter().map(|&v| u8::from(v > 0)).collect();
                    assert_eq!(q.value(&x), -cut);
                    assert_eq!(back.energy(&s), -cut);
                    let (hd, jd, cd) = m.to_dimod();
                    assert!(hd.iter().all(|&v| v == 0.0));
                    let ed = cd + jd.iter().map(|&(i, j, v)| v * f64::from(s[i as usize] * s[j as usize])).sum::<f64>();
                    assert_eq!(cut, (w - ed) / 2.0);
                    let minus: Vec<i8> = s.iter().map(|v| -v).collect();
                    assert_eq!(g.cut(&minus), cut);
                }
            }
        }
    }

    #[test]
    fn storage_choice_and_errors() {
        let full: Vec<_> = (0..10u32).flat_map(|i| (i + 1..10).map(move |j| (i, j, 1.0))).collect();
        assert_eq!(Couplings::from_pairs(10, &full, Backend::Auto).unwrap().backend(), Backend::Dense);
        assert_eq!(Couplings::from_pairs(10, &full[..5], Backend::Auto).unwrap().backend(), Backend::Csr);
        assert!(Couplings::from_pairs(3, &[(0, 3, 1.0)], Backend::Csr).is_err());
        assert!(Couplings::from_pairs(3, &[(1, 1, 1.0)], Backend::Csr).is_err());
        assert!(Couplings::from_pairs(3, &[(0, 1, 1.0), (1, 0, 2.0)], Backend::Csr).is_err());
        assert!(Couplings::from_pairs(3, &[(0, 1, 1.0), (1, 0, 2.0)], Backend::Dense).is_err());
        assert!(Couplings::from_pairs(3, &[(0, 1, f64::NAN)], Backend::Csr).is_err());
        assert!(MaxCutGraph::new(3, vec![(0, 1, 1.0), (1, 0, 1.0)]).is_err());
        assert!(IsingModel::new(2, &[], vec![0.0], 0.0, Backend::Csr).is_err());
        let c = Couplings::from_pairs(4, &[(2, 0, 3.0), (1, 3, -2.0)], Backend::Csr).unwrap();
        assert_eq!((c.get(0, 2), c.get(2, 0), c.get(3, 1), c.get(0, 1)), (3.0, 3.0, -2.0, 0.0));
        assert_eq!(c.pairs(), vec![(0, 2, 3.0), (1, 3, -2.0)]);
    }
}
