//! Validated sample matrices for the Boltzmann machines.

use serde::{Deserialize, Serialize};

use crate::data::Images;
use crate::error::{Error, Result};

/// `rows` samples of `cols` values, row-major, single precision, every value finite.
///
/// Binarised images hold exactly 0 and 1, which single precision represents exactly; real
/// valued data (for the Gaussian–Bernoulli RBM) keeps seven significant digits, far below any
/// statistical error of the models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    rows: usize,
    cols: usize,
    values: Vec<f32>,
}

impl Dataset {
    /// Wraps `values` as rows of `cols` values. Errors: `cols = 0`, a length that is not a
    /// multiple of `cols`, no rows, or a value that is NaN or infinite (named by row and column).
    pub fn new(values: Vec<f32>, cols: usize) -> Result<Self> {
        if cols == 0 {
            return Err(Error::param("cols", "samples need at least one component"));
        }
        if values.is_empty() {
            return Err(Error::Shape("no samples".into()));
        }
        if !values.len().is_multiple_of(cols) {
            return Err(Error::Shape(format!("{} values do not form rows of {cols}", values.len())));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::param(
                "data",
                format!("sample {}, component {}: value {} is not finite", i / cols, i % cols, values[i]),
            ));
        }
        Ok(Self { rows: values.len() / cols, cols, values })
    }

    /// Like [`Dataset::new`] from double-precision values.
    pub fn from_f64(values: &[f64], cols: usize) -> Result<Self> {
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            let c = cols.max(1);
            return Err(Error::param(
                "data",
                format!("sample {}, component {}: value {} is not finite", i / c, i % c, values[i]),
            ));
        }
        Self::new(values.iter().map(|&v| v as f32).collect(), cols)
    }

    /// Images binarised as `pixel > threshold` (1) or 0; `which` selects images (all when `None`).
    pub fn binarized_images(images: &Images, threshold: u8, which: Option<&[usize]>) -> Result<Self> {
        let p = images.pixels_per_image();
        let all: Vec<usize>;
        let idx = match which {
            Some(w) => w,
            None => {
                all = (0..images.count).collect();
                &all
            }
        };
        let mut values = Vec::with_capacity(idx.len() * p);
        for &i in idx {
            if i >= images.count {
                return Err(Error::param("which", format!("image {i} is out of range 0..{}", images.count)));
            }
            values.extend(images.image(i).iter().map(|&v| if v > threshold { 1.0f32 } else { 0.0 }));
        }
        Self::new(values, p)
    }

    /// Number of samples.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Components per sample.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// All values, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }
    /// Sample `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }
    /// The samples at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Result<Self> {
        let mut values = Vec::with_capacity(idx.len() * self.cols);
        for &i in idx {
            if i >= self.rows {
                return Err(Error::param("idx", format!("sample {i} is out of range 0..{}", self.rows)));
            }
            values.extend_from_slice(self.row(i));
        }
        Self::new(values, self.cols)
    }
    /// The first `k` samples (all of them if `k ≥ rows`).
    pub fn head(&self, k: usize) -> Self {
        let k = k.clamp(1, self.rows);
        Self { rows: k, cols: self.cols, values: self.values[..k * self.cols].to_vec() }
    }

    /// The strided split of the spec: held-out samples are those with `i % modulus == rem`.
    /// Returns `(train, held_out)`.
    pub fn strided_split(&self, modulus: usize, rem: usize) -> Result<(Self, Self)> {
        if modulus < 2 || rem >= modulus {
            return Err(Error::param(
                "modulus",
                format!("need modulus ≥ 2 and remainder < modulus, got {modulus}, {rem}"),
            ));
        }
        let (test, train): (Vec<usize>, Vec<usize>) = (0..self.rows).partition(|i| i % modulus == rem);
        Ok((self.subset(&train)?, self.subset(&test)?))
    }

    /// Fails unless every value lies in `[0, 1]` (Bernoulli visible units).
    pub fn check_unit_interval(&self) -> Result<()> {
        if let Some(i) = self.values.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(Error::param(
                "data",
                format!(
                    "sample {}, component {}: value {} lies outside [0, 1], which Bernoulli visible units need",
                    i / self.cols,
                    i % self.cols,
                    self.values[i]
                ),
            ));
        }
        Ok(())
    }

    /// Mean of every column, in double precision.
    pub fn column_means(&self) -> Vec<f64> {
        let mut s = vec![0.0f64; self.cols];
        for r in self.values.chunks_exact(self.cols) {
            s.iter_mut().zip(r).for_each(|(a, &v)| *a += v as f64);
        }
        s.iter_mut().for_each(|a| *a /= self.rows as f64);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_data_is_a_named_error() {
        let e = Dataset::new(vec![0.0, 1.0, f32::NAN, 0.0], 2).unwrap_err().to_string();
        assert!(e.contains("sample 1, component 0") && e.contains("NaN"), "{e}");
        assert!(Dataset::new(vec![0.0; 5], 2).unwrap_err().to_string().contains("rows of 2"));
        assert!(Dataset::new(vec![], 2).is_err());
        assert!(Dataset::new(vec![0.0], 0).is_err());
        let d = Dataset::new(vec![0.0, 1.5], 2).unwrap();
        assert!(d.check_unit_interval().unwrap_err().to_string().contains("outside [0, 1]"));
        assert!(Dataset::from_f64(&[0.0, f64::INFINITY], 2).is_err());
    }

    #[test]
    fn strided_split_takes_every_fifth() {
        let d = Dataset::new((0..10).map(|i| i as f32).collect(), 1).unwrap();
        let (tr, te) = d.strided_split(5, 4).unwrap();
        assert_eq!(te.values(), &[4.0, 9.0]);
        assert_eq!(tr.rows(), 8);
    }
}
