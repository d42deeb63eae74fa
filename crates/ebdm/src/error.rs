//! Typed errors shared by the library's modules.

use std::path::PathBuf;

/// Everything that can go wrong in the library. Each variant names the offending parameter or
/// input so the message can be shown to a user as it is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter lies outside its allowed range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// Shapes of the inputs do not agree.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Values that must be ±1 are not.
    #[error("pattern {pattern}, component {index}: value {value} is not ±1")]
    NotBipolar { pattern: usize, index: usize, value: f64 },
    /// A numerical operation failed (for example a singular matrix).
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// A file could not be read. The message includes the system's reason, so `error` is not
    /// also reported as the source (a chain printer would repeat it).
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// Something the run needs (a data set, an experiment) does not exist; the message says
    /// what and where it was looked for.
    #[error("{0}")]
    Missing(String),
    /// A size implies more memory than the machine has.
    #[error(
        "`{name}` too large: {what} needs {}, more than the {} this machine has (set EBDM_MEMORY_LIMIT to change the limit)",
        crate::size::format_bytes(*needed),
        crate::size::format_bytes(*limit as u128)
    )]
    TooLarge { name: &'static str, what: String, needed: u128, limit: u64 },
    /// A description of work (a sweep, its parameters) names something that does not fit; the
    /// message says what and where.
    #[error("{0}")]
    Invalid(String),
    /// A file was read but its contents are malformed.
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter { name, reason: reason.into() }
    }
}

/// Fails with a named error unless `value` is finite.
pub fn check_finite(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::param(name, format!("must be finite, got {value}")))
    }
}

/// Fails with a named error unless `value` is finite and strictly positive.
pub fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::param(name, format!("must be finite and > 0, got {value}")))
    }
}

/// Fails with a named error unless `value` lies in the closed interval `[lo, hi]`.
pub fn check_range(name: &'static str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(Error::param(name, format!("must lie in [{lo}, {hi}], got {value}")))
    }
}
