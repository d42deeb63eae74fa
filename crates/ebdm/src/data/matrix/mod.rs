//! Dense real matrices read from text files or NumPy `.npy` files, and pattern files built on
//! them.
//!
//! # Text format
//!
//! One matrix row per line. Values are separated by whitespace and/or commas (so whitespace-
//! separated tables and simple CSV both work; one trailing comma per line is tolerated, an empty
//! value between two commas is not). Empty lines and lines whose first non-blank character is `#`
//! are ignored. CRLF line endings, a UTF-8 byte-order mark and trailing blanks are accepted.
//! A row may also be written as a string of `+` and `-` characters (`+-+--+`, optionally spaced
//! or comma-separated), meaning `+1` and `−1`. Every value must be a finite number; all rows must
//! have the same length. Errors name the file and the 1-based line (and column) at fault.
//!
//! ```text
//! # three patterns of six neurons
//! +-+--+
//! 1, -1, 1, 1, -1, -1
//! -1 -1 -1 1 1 1
//! ```
//!
//! # NPY format
//!
//! Versions 1.0, 2.0 and 3.0 of the NumPy file format: the magic bytes `\x93NUMPY`, a major and
//! a minor version byte, the header length (little-endian `u16` in version 1, `u32` in versions 2
//! and 3), then a Python dict literal such as
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`, then the raw data.
//! Supported element types: little-endian `<f8`, `<f4`, `<i2`, `<i4`, `<i8`, the one-byte `i1`
//! and `u1`, and booleans `|b1` (read as 0/1). A 1-D array of shape `(n,)` becomes a 1×n matrix,
//! a 2-D array `(r, c)` an r×c matrix; Fortran (column-major) order is transposed into the row-major
//! [`Matrix`]. Big-endian data, other types, arrays of more than two dimensions, a data length that
//! does not match the shape, and NaN or infinite values are rejected with an error.
//!
//! Either kind of file may be gzip-compressed ([`read_matrix`] detects it by its magic bytes).

use std::path::Path;

use super::idx::{format_err, io_err, read_maybe_gz};
use crate::error::{Error, Result};

mod npy;
#[cfg(test)]
mod tests;
mod text;

pub use npy::{parse_npy, write_npy_f64, write_npy_i8};
pub use text::parse_matrix_text;

/// The six bytes that open every `.npy` file.
const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";

/// A dense real matrix, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// The `rows · cols` values, row after row.
    pub data: Vec<f64>,
}

impl Matrix {
    /// Row `r` as a slice.
    ///
    /// # Panics
    ///
    /// If `r >= self.rows`.
    pub fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// Reads a matrix from `path`: as NPY if the extension is `.npy` (any case) or the content starts
/// with the NPY magic bytes, as text otherwise. Gzip-compressed files are decompressed first.
pub fn read_matrix(path: &Path) -> Result<Matrix> {
    let bytes = read_maybe_gz(path)?;
    let npy_ext = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if npy_ext || bytes.starts_with(NPY_MAGIC) {
        return parse_npy(&bytes, path);
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        format_err(path, format!("line {line}: not valid UTF-8 text (byte offset {})", e.valid_up_to()))
    })?;
    parse_matrix_text(text, path)
}
