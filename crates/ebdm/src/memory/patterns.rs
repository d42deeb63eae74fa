//! Sets of ±1 patterns: storage (K×N, one pattern per row), random generation and corruption.

use rand::seq::index::sample;
use rand::Rng;

use std::path::Path;

use crate::data::matrix::{read_matrix, Matrix};
use crate::error::{Error, Result};

/// Reads a file of ±1 patterns, one per row (the formats of [`read_matrix`]: text, `.npy`,
/// gzip). A value that is not ±1 is reported with the file name, the pattern and the component.
pub fn read_patterns(path: &Path) -> Result<Patterns> {
    Patterns::from_matrix(&read_matrix(path)?).map_err(|e| match e {
        Error::NotBipolar { .. } | Error::Shape(_) | Error::InvalidParameter { .. } => Error::Format {
            path: path.to_path_buf(),
            reason: format!("not a ±1 pattern file: {e} (patterns and components count from 0)"),
        },
        other => other,
    })
}

/// K bipolar patterns of N components, stored row-major as `i8` values in {−1, +1}.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Patterns {
    k: usize,
    n: usize,
    data: Vec<i8>,
}

impl Patterns {
    /// Interprets each row of `m` as a ±1 pattern. Fails with [`Error::NotBipolar`] (naming the
    /// pattern and component, counted from 0) if any value is not exactly ±1.
    pub fn from_matrix(m: &Matrix) -> Result<Self> {
        Self::from_f64(m.rows, m.cols, &m.data)
    }

    /// Wraps `data` (row-major, `k·n` values) after checking that every value is ±1 and that
    /// `n ≥ 1`.
    pub fn new(k: usize, n: usize, data: Vec<i8>) -> Result<Self> {
        if n == 0 {
            return Err(Error::param("neurons", "pattern length N must be at least 1"));
        }
        if data.len() != k * n {
            return Err(Error::Shape(format!("{} values cannot form {k} patterns of length {n}", data.len())));
        }
        if let Some(pos) = first_non_bipolar(&data) {
            return Err(Error::NotBipolar { pattern: pos / n, index: pos % n, value: data[pos] as f64 });
        }
        Ok(Self { k, n, data })
    }

    /// Builds patterns from real values that must each be exactly ±1.
    pub fn from_f64(k: usize, n: usize, values: &[f64]) -> Result<Self> {
        if n == 0 {
            return Err(Error::param("neurons", "pattern length N must be at least 1"));
        }
        if values.len() != k * n {
            return Err(Error::Shape(format!("{} values cannot form {k} patterns of length {n}", values.len())));
        }
        let mut data = Vec::with_capacity(values.len());
        for (pos, &v) in values.iter().enumerate() {
            if v == 1.0 || v == -1.0 {
                data.push(v as i8);
            } else {
                return Err(Error::NotBipolar { pattern: pos / n, index: pos % n, value: v });
            }
        }
        Ok(Self { k, n, data })
    }

    /// Builds patterns from rows, checking that all rows have the same length.
    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R]) -> Result<Self> {
        let n = rows.first().map_or(0, |r| r.as_ref().len());
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.as_ref().len() != n) {
            return Err(Error::Shape(format!(
                "pattern {i} has length {} but pattern 0 has length {n}; all patterns must have equal length",
                r.as_ref().len()
            )));
        }
        let flat: Vec<f64> = rows.iter().flat_map(|r| r.as_ref().iter().copied()).collect();
        Self::from_f64(rows.len(), n, &flat)
    }

    /// K independent uniform random ±1 patterns of length N.
    pub fn random<R: Rng + ?Sized>(k: usize, n: usize, rng: &mut R) -> Result<Self> {
        if n == 0 {
            return Err(Error::param("neurons", "N must be at least 1"));
        }
        crate::size::check_memory(
            "patterns",
            format!("{k} random patterns of {n} neurons"),
            crate::size::bytes(&[k, n], 1),
        )?;
        let mut data = vec![0i8; k * n];
        // 64 signs per random word, bit b of the word giving component b of the chunk.
        for chunk in data.chunks_mut(64) {
            let w = rng.next_u64();
            for (b, x) in chunk.iter_mut().enumerate() {
                *x = ((w >> b) & 1) as i8 * 2 - 1;
            }
        }
        Ok(Self { k, n, data })
    }

    /// Number of patterns K.
    pub fn count(&self) -> usize {
        self.k
    }
    /// Pattern length N.
    pub fn len(&self) -> usize {
        self.n
    }
    /// Whether the set holds no pattern.
    pub fn is_empty(&self) -> bool {
        self.k == 0
    }
    /// Pattern μ as a slice of ±1 values.
    pub fn row(&self, mu: usize) -> &[i8] {
        &self.data[mu * self.n..(mu + 1) * self.n]
    }
    /// All values, row-major.
    pub fn as_slice(&self) -> &[i8] {
        &self.data
    }
    /// Pattern μ as `f64` values.
    pub fn row_f64(&self, mu: usize) -> Vec<f64> {
        self.row(mu).iter().map(|&v| v as f64).collect()
    }
    /// Iterator over the patterns.
    pub fn rows(&self) -> impl Iterator<Item = &[i8]> {
        self.data.chunks_exact(self.n)
    }
}

/// The position of the first value that is not ±1, if any. Blocks are first scanned without
/// early exit (a vectorised OR: `v + 1 ∈ {0, 2}` exactly when v = ±1), about 30× faster than a
/// value-by-value search on large pattern sets.
pub fn first_non_bipolar(data: &[i8]) -> Option<usize> {
    const BLOCK: usize = 4096;
    for (b, block) in data.chunks(BLOCK).enumerate() {
        if block.iter().fold(0u8, |acc, &v| acc | ((v as u8).wrapping_add(1) & !2)) != 0 {
            return block.iter().position(|&v| v != 1 && v != -1).map(|p| b * BLOCK + p);
        }
    }
    None
}

/// Checks that a state is a ±1 vector of length `n`.
pub fn check_state(state: &[i8], n: usize) -> Result<()> {
    if state.len() != n {
        return Err(Error::Shape(format!("state has length {} but the network has {n} neurons", state.len())));
    }
    if let Some(i) = state.iter().position(|&v| v != 1 && v != -1) {
        return Err(Error::NotBipolar { pattern: 0, index: i, value: state[i] as f64 });
    }
    Ok(())
}

/// Flips exactly `⌊ρN⌋` distinct, uniformly chosen components of `pattern` (initial overlap
/// m₀ = 1 − 2⌊ρN⌋/N).
pub fn corrupt<R: Rng + ?Sized>(pattern: &[i8], rho: f64, rng: &mut R) -> Result<Vec<i8>> {
    crate::error::check_range("rho", rho, 0.0, 1.0)?;
    let n = pattern.len();
    let flips = (rho * n as f64).floor() as usize;
    let mut out = pattern.to_vec();
    for i in sample(rng, n, flips.min(n)) {
        out[i] = -out[i];
    }
    Ok(out)
}

/// Replaces a random fraction `rho` of components by a fixed value (masking), as used for
/// partial cues of images.
pub fn mask<R: Rng + ?Sized>(pattern: &[i8], rho: f64, value: i8, rng: &mut R) -> Result<Vec<i8>> {
    crate::error::check_range("rho", rho, 0.0, 1.0)?;
    let n = pattern.len();
    let count = (rho * n as f64).floor() as usize;
    let mut out = pattern.to_vec();
    for i in sample(rng, n, count.min(n)) {
        out[i] = value;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pattern_files_and_matrices() {
        use super::*;
        let dir = std::env::temp_dir();
        let good = dir.join(format!("ebdm-patterns-{}-good.txt", std::process::id()));
        std::fs::write(&good, "+-+--+\n1,-1,1,-1,-1,1\n").unwrap();
        let pats = read_patterns(&good).unwrap();
        assert_eq!((pats.count(), pats.len()), (2, 6));
        assert_eq!(pats.row(1), &[1, -1, 1, -1, -1, 1]);
        let bad = dir.join(format!("ebdm-patterns-{}-bad-pats.txt", std::process::id()));
        std::fs::write(&bad, "1 -1 1\n1 0.5 -1\n").unwrap();
        let e = read_patterns(&bad).unwrap_err().to_string();
        assert!(e.contains("bad-pats.txt") && e.contains("pattern 1, component 1") && e.contains("0.5"), "{e}");
        for p in [good, bad] {
            std::fs::remove_file(p).unwrap();
        }
        let m = Matrix { rows: 2, cols: 2, data: vec![1., -1., 1., 0.] };
        match Patterns::from_matrix(&m) {
            Err(Error::NotBipolar { pattern: 1, index: 1, value }) => assert_eq!(value, 0.0),
            other => panic!("{other:?}"),
        }
    }

    use super::*;
    use crate::engine::rng::stream;

    #[test]
    fn first_non_bipolar_finds_the_first_bad_value() {
        let mut data = vec![1i8; 10_000];
        assert_eq!(first_non_bipolar(&data), None);
        for (i, v) in [(9_999, 0i8), (5_000, 3), (4_096, -3), (17, i8::MIN), (0, i8::MAX), (0, -2)] {
            data[i] = v;
            assert_eq!(first_non_bipolar(&data), Some(i), "value {v} at {i}");
            data[i] = -1;
        }
        assert_eq!(first_non_bipolar(&data), None);
    }

    #[test]
    fn validation_names_the_problem() {
        assert!(matches!(Patterns::new(1, 0, vec![]), Err(Error::InvalidParameter { name: "neurons", .. })));
        assert!(matches!(Patterns::new(1, 3, vec![1, 0, 1]), Err(Error::NotBipolar { index: 1, .. })));
        assert!(matches!(Patterns::from_rows(&[vec![1.0, 1.0], vec![1.0]]), Err(Error::Shape(_))));
        assert!(matches!(Patterns::from_f64(1, 2, &[1.0, f64::NAN]), Err(Error::NotBipolar { .. })));
    }

    #[test]
    fn corruption_flips_exactly_floor_rho_n_bits() {
        let mut rng = stream(1, 0);
        let p = Patterns::random(1, 1000, &mut rng).unwrap();
        let c = corrupt(p.row(0), 0.237, &mut rng).unwrap();
        let flipped = p.row(0).iter().zip(&c).filter(|(a, b)| a != b).count();
        assert_eq!(flipped, 237);
        assert!(corrupt(p.row(0), 1.5, &mut rng).is_err());
        let frac_plus = p.as_slice().iter().filter(|&&v| v == 1).count() as f64 / 1000.0;
        assert!((frac_plus - 0.5).abs() < 0.06);
    }
}
