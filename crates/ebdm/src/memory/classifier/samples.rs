//! Labelled samples for the classifier: inputs scaled to [−1, 1] with their one-hot targets.

use super::*;

/// Labelled inputs: `count` rows of `dim` values (row-major, single precision) and a class in
/// `0..classes` for each.
#[derive(Clone, Debug)]
pub struct Samples {
    pub(super) inputs: Vec<f32>,
    pub(super) labels: Vec<usize>,
    pub(super) dim: usize,
    pub(super) classes: usize,
}

impl Samples {
    /// Validates and wraps labelled inputs: every value finite, `inputs.len() = labels.len()·dim`,
    /// every label below `classes`, at least one sample, `dim ≥ 1` and `classes ≥ 2`.
    pub fn new(inputs: Vec<f32>, labels: Vec<usize>, dim: usize, classes: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::param("dim", "inputs need at least one component"));
        }
        if classes < 2 {
            return Err(Error::param("classes", format!("need at least 2 classes, got {classes}")));
        }
        if labels.is_empty() {
            return Err(Error::Shape("no samples".into()));
        }
        if inputs.len() != labels.len() * dim {
            return Err(Error::Shape(format!(
                "{} labels of {dim}-component inputs need {} values, got {}",
                labels.len(),
                labels.len() * dim,
                inputs.len()
            )));
        }
        if let Some(i) = inputs.iter().position(|v| !v.is_finite()) {
            return Err(Error::param(
                "inputs",
                format!("sample {}, component {}: value {} is not finite", i / dim, i % dim, inputs[i]),
            ));
        }
        if let Some(i) = labels.iter().position(|&l| l >= classes) {
            return Err(Error::param(
                "labels",
                format!("sample {i}: label {} is out of range 0..{classes}", labels[i]),
            ));
        }
        Ok(Self { inputs, labels, dim, classes })
    }

    /// Images with pixels `p ∈ 0..=255` scaled to `2p/255 − 1 ∈ [−1, 1]` (the notebook's
    /// scaling), with their labels; `which` selects images (all of them when `None`).
    pub fn from_images(images: &Images, labels: &[u8], classes: usize, which: Option<&[usize]>) -> Result<Self> {
        if labels.len() != images.count {
            return Err(Error::Shape(format!("{} images but {} labels", images.count, labels.len())));
        }
        let all: Vec<usize>;
        let idx = match which {
            Some(w) => w,
            None => {
                all = (0..images.count).collect();
                &all
            }
        };
        let p = images.pixels_per_image();
        let mut inputs = Vec::with_capacity(idx.len() * p);
        let mut out_labels = Vec::with_capacity(idx.len());
        for &i in idx {
            if i >= images.count {
                return Err(Error::param("which", format!("image {i} is out of range 0..{}", images.count)));
            }
            inputs.extend(images.image(i).iter().map(|&v| 2.0 * v as f32 / 255.0 - 1.0));
            out_labels.push(labels[i] as usize);
        }
        Self::new(inputs, out_labels, p, classes)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// Never true: a `Samples` holds at least one sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Components per input.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }
    /// The labels.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }
    /// All inputs, row-major.
    pub fn inputs(&self) -> &[f32] {
        &self.inputs
    }
    /// The samples at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Result<Self> {
        let mut inputs = Vec::with_capacity(idx.len() * self.dim);
        let mut labels = Vec::with_capacity(idx.len());
        for &i in idx {
            if i >= self.len() {
                return Err(Error::param("idx", format!("sample {i} is out of range 0..{}", self.len())));
            }
            inputs.extend_from_slice(&self.inputs[i * self.dim..(i + 1) * self.dim]);
            labels.push(self.labels[i]);
        }
        Self::new(inputs, labels, self.dim, self.classes)
    }
}
