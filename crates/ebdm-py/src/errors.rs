//! Mapping of library errors onto Python exceptions, message intact.
//!
//! | `ebdm::Error` | Python |
//! |---|---|
//! | `InvalidParameter`, `Shape`, `NotBipolar`, `Numerical`, `Format` | `ValueError` |
//! | `Missing` (a bundled data set not found) | `FileNotFoundError` |
//! | `TooLarge` (a size beyond the machine's memory) | `MemoryError` |
//! | `Io` | `OSError` (the subclass that fits: `FileNotFoundError`, `PermissionError`, …) |

use std::io::ErrorKind;

use ebdm::Error;
use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyMemoryError, PyNotADirectoryError, PyOSError, PyPermissionError,
    PyRuntimeError, PyValueError,
};
use pyo3::PyErr;

/// Converts a library error into the Python exception that fits it, keeping its message.
pub fn to_pyerr(e: Error) -> PyErr {
    let msg = e.to_string();
    match &e {
        Error::Io { error, .. } => match error.kind() {
            ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
            ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
            ErrorKind::IsADirectory => PyIsADirectoryError::new_err(msg),
            ErrorKind::NotADirectory => PyNotADirectoryError::new_err(msg),
            _ => PyOSError::new_err(msg),
        },
        Error::Missing(_) => PyFileNotFoundError::new_err(msg),
        Error::TooLarge { .. } => PyMemoryError::new_err(msg),
        _ => PyValueError::new_err(msg),
    }
}

/// `?`-friendly conversion of library results.
pub trait OrRaise<T> {
    /// Turns an `ebdm::Error` into the matching Python exception.
    fn or_raise(self) -> Result<T, PyErr>;
}

impl<T> OrRaise<T> for ebdm::Result<T> {
    fn or_raise(self) -> Result<T, PyErr> {
        self.map_err(to_pyerr)
    }
}

/// A `ValueError` carrying a library-style parameter message.
pub fn param(name: &'static str, reason: impl Into<String>) -> PyErr {
    to_pyerr(Error::param(name, reason))
}

/// A `ValueError` carrying a library-style shape message.
pub fn shape(reason: impl Into<String>) -> PyErr {
    to_pyerr(Error::Shape(reason.into()))
}

/// The `RuntimeError` raised if a worker thread panicked (a bug in ebdm, never expected).
pub fn internal(payload: &(dyn std::any::Any + Send)) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    PyRuntimeError::new_err(format!("internal error in ebdm (please report): {what}"))
}
