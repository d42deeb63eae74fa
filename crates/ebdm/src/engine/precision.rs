//! The precision of throughput kernels (minibatch and batch matrix products): single precision
//! where it is safe, double precision to verify it. Analysis (energies, log Z, certificates)
//! stays in double precision whatever this says.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Precision of a kernel's matrix products.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Single-precision products, double precision everywhere else (the default).
    #[default]
    F32,
    /// Double precision throughout (slower; used to verify the single-precision path).
    F64,
}

impl std::str::FromStr for Precision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "single" => Ok(Precision::F32),
            "f64" | "double" => Ok(Precision::F64),
            other => Err(Error::param("precision", format!("must be `f32` or `f64`, got `{other}`"))),
        }
    }
}
