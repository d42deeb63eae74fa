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

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

/// Parses the text format described in the [module docs](self). `path` is only used in error
/// messages.
pub fn parse_matrix_text(text: &str, path: &Path) -> Result<Matrix> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut data = Vec::new();
    let mut first: Option<(usize, usize)> = None; // (columns, line number) of the first data row
    let mut rows = 0;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let before = data.len();
        parse_row(raw, line_no, path, &mut data)?;
        let n = data.len() - before;
        match first {
            None => first = Some((n, line_no)),
            Some((cols, first_line)) if cols != n => {
                return Err(format_err(
                    path,
                    format!(
                        "line {line_no}: row has {n} values but the first data row (line {first_line}) has {cols}; \
                         all rows must have the same length"
                    ),
                ))
            }
            Some(_) => {}
        }
        rows += 1;
    }
    match first {
        Some((cols, _)) => Ok(Matrix { rows, cols, data }),
        None => Err(format_err(path, "no data rows (the file is empty or holds only comments)")),
    }
}

/// Parses one non-blank, non-comment line (`raw`, untrimmed, so columns are exact) and appends
/// its values to `out`.
fn parse_row(raw: &str, line_no: usize, path: &Path, out: &mut Vec<f64>) -> Result<()> {
    let at = |offset: usize| format!("line {line_no}, column {}", raw[..offset].chars().count() + 1);
    let tokens = tokenize(raw).map_err(|offset| format_err(path, format!("{}: empty value before ','", at(offset))))?;
    if is_sign_row(raw) {
        out.extend(tokens.iter().flat_map(|(_, t)| t.chars()).map(|c| if c == '+' { 1.0 } else { -1.0 }));
        return Ok(());
    }
    for (offset, token) in tokens {
        match token.parse::<f64>() {
            Ok(v) if v.is_finite() => out.push(v),
            Ok(_) => {
                return Err(format_err(path, format!("{}: non-finite value {token:?} is not allowed", at(offset))))
            }
            Err(_) => return Err(format_err(path, format!("{}: cannot parse {token:?} as a number", at(offset)))),
        }
    }
    Ok(())
}

/// Whether a line is a row of `+`/`-` signs (separators allowed between them).
fn is_sign_row(line: &str) -> bool {
    line.chars().all(|c| c == '+' || c == '-' || is_separator(c)) && line.contains(['+', '-'])
}

/// Whether `c` separates values.
fn is_separator(c: char) -> bool {
    c == ',' || c.is_whitespace()
}

/// Splits a line into `(byte offset, token)` pairs. Runs of whitespace and single commas separate
/// tokens; a comma with no value since the previous comma (or the line start) is an error, given
/// as its byte offset. One trailing comma is tolerated.
fn tokenize(line: &str) -> std::result::Result<Vec<(usize, &str)>, usize> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut field_has_value = false;
    for (i, c) in line.char_indices() {
        match (is_separator(c), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
                field_has_value = true;
            }
            _ => {}
        }
        if c == ',' {
            if !field_has_value {
                return Err(i);
            }
            field_has_value = false;
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// NPY
// ---------------------------------------------------------------------------------------------

/// Element types that [`parse_npy`] understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dtype {
    F8,
    F4,
    I1,
    I2,
    I4,
    I8,
    U1,
    Bool,
}

impl Dtype {
    /// Recognises a `descr` string, or explains why it is not supported.
    fn from_descr(descr: &str) -> std::result::Result<Self, String> {
        let supported = "supported: '<f8', '<f4', '|i1', '<i2', '<i4', '<i8', '|u1', '|b1'";
        let (order, code) = match descr.chars().next() {
            Some(o @ ('<' | '>' | '|' | '=')) => (o, &descr[1..]),
            _ => ('|', descr),
        };
        let dtype = match code {
            "f8" => Dtype::F8,
            "f4" => Dtype::F4,
            "i1" => Dtype::I1,
            "i2" => Dtype::I2,
            "i4" => Dtype::I4,
            "i8" => Dtype::I8,
            "u1" => Dtype::U1,
            "b1" | "?" => Dtype::Bool,
            _ => return Err(format!("unsupported dtype {descr:?} ({supported})")),
        };
        match (order, dtype.size()) {
            (_, 1) | ('<', _) => Ok(dtype),
            ('>', _) => Err(format!(
                "big-endian dtype {descr:?} is not supported; save the array with .astype('<{code}') first"
            )),
            _ => Err(format!("dtype {descr:?} has no explicit little-endian byte order ({supported})")),
        }
    }

    /// Bytes per element.
    fn size(self) -> usize {
        match self {
            Dtype::F8 | Dtype::I8 => 8,
            Dtype::F4 | Dtype::I4 => 4,
            Dtype::I2 => 2,
            Dtype::I1 | Dtype::U1 | Dtype::Bool => 1,
        }
    }

    /// Decodes one little-endian element of exactly [`Self::size`] bytes.
    fn decode(self, b: &[u8]) -> f64 {
        match self {
            Dtype::F8 => f64::from_le_bytes(array(b)),
            Dtype::F4 => f64::from(f32::from_le_bytes(array(b))),
            Dtype::I8 => i64::from_le_bytes(array(b)) as f64,
            Dtype::I4 => f64::from(i32::from_le_bytes(array(b))),
            Dtype::I2 => f64::from(i16::from_le_bytes(array(b))),
            Dtype::I1 => f64::from(i8::from_le_bytes(array(b))),
            Dtype::U1 => f64::from(b[0]),
            Dtype::Bool => f64::from(u8::from(b[0] != 0)),
        }
    }
}

/// Copies a chunk of known length into a fixed-size array.
fn array<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// The three entries of an NPY header dict.
#[derive(Debug, Default)]
struct NpyHeader {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses the bytes of a `.npy` file (format in the [module docs](self)). `path` is only used in
/// error messages.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<Matrix> {
    let (header_bytes, body) = split_npy(bytes).map_err(|r| format_err(path, r))?;
    let header = parse_header(header_bytes).map_err(|r| format_err(path, format!("bad NPY header: {r}")))?;
    let dtype = Dtype::from_descr(&header.descr).map_err(|r| format_err(path, r))?;
    let (rows, cols) = matrix_shape(&header.shape).map_err(|r| format_err(path, r))?;
    check_npy_len(rows, cols, dtype, &header, body.len()).map_err(|r| format_err(path, r))?;
    let values = decode_all(body, dtype, rows, cols, header.fortran_order).map_err(|r| format_err(path, r))?;
    let data = if header.fortran_order { transpose_from_fortran(&values, rows, cols) } else { values };
    Ok(Matrix { rows, cols, data })
}

/// Checks the magic and version, and splits the file into the header text and the data.
fn split_npy(bytes: &[u8]) -> std::result::Result<(&[u8], &[u8]), String> {
    if !bytes.starts_with(NPY_MAGIC) {
        return Err("bad magic: not an NPY file (expected the bytes \\x93NUMPY)".into());
    }
    let (major, minor) = match bytes.get(6..8) {
        Some(&[major, minor]) => (major, minor),
        _ => return Err("truncated NPY preamble: no version bytes".into()),
    };
    let (len_bytes, start) = match (major, minor) {
        (1, 0) => (2, 10usize),
        (2, 0) | (3, 0) => (4, 12),
        _ => return Err(format!("unsupported NPY version {major}.{minor} (supported: 1.0, 2.0, 3.0)")),
    };
    let Some(raw_len) = bytes.get(8..8 + len_bytes) else {
        return Err("truncated NPY preamble: no header length".into());
    };
    let header_len = raw_len.iter().rev().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    match start.checked_add(header_len).and_then(|end| bytes.get(start..end).map(|h| (h, end))) {
        Some((header, end)) => Ok((header, &bytes[end..])),
        None => Err(format!(
            "truncated NPY header: declared {header_len} bytes but only {} follow",
            bytes.len().saturating_sub(start)
        )),
    }
}

/// Converts the array shape into matrix dimensions: `(n,)` → 1×n, `(r, c)` → r×c.
fn matrix_shape(shape: &[usize]) -> std::result::Result<(usize, usize), String> {
    match *shape {
        [n] => Ok((1, n)),
        [r, c] => Ok((r, c)),
        [] => Err("0-dimensional (scalar) array; expected a 1-D or 2-D array".into()),
        _ => Err(format!(
            "array has {} dimensions, shape {}; only 1-D and 2-D arrays are supported",
            shape.len(),
            shape_str(shape)
        )),
    }
}

/// Checks that the data holds exactly `rows · cols` elements of `dtype`, without overflow.
fn check_npy_len(
    rows: usize,
    cols: usize,
    dtype: Dtype,
    header: &NpyHeader,
    actual: usize,
) -> std::result::Result<(), String> {
    let what = format!("shape {} of {:?}", shape_str(&header.shape), header.descr);
    match rows.checked_mul(cols).and_then(|n| n.checked_mul(dtype.size())) {
        Some(needed) if needed == actual => Ok(()),
        Some(needed) if needed > actual => {
            Err(format!("truncated data: {what} needs {needed} bytes but only {actual} follow the header"))
        }
        Some(needed) => {
            Err(format!("{what} needs {needed} bytes but {actual} follow the header ({} extra)", actual - needed))
        }
        None => Err(format!("{what} is too large (size overflows)")),
    }
}

/// Decodes the data in file order, rejecting NaN and infinite values by their flat index.
fn decode_all(
    body: &[u8],
    dtype: Dtype,
    rows: usize,
    cols: usize,
    fortran: bool,
) -> std::result::Result<Vec<f64>, String> {
    let mut out = Vec::with_capacity(body.len() / dtype.size());
    for (i, chunk) in body.chunks_exact(dtype.size()).enumerate() {
        let v = dtype.decode(chunk);
        if !v.is_finite() {
            let (r, c) = if fortran { (i % rows, i / rows) } else { (i / cols, i % cols) };
            return Err(format!("value {v} at flat index {i} (row {r}, column {c}, counted from 0) is not finite"));
        }
        out.push(v);
    }
    Ok(out)
}

/// Reorders column-major values into row-major order.
fn transpose_from_fortran(values: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    for r in 0..rows {
        out.extend((0..cols).map(|c| values[c * rows + r]));
    }
    out
}

/// Formats a shape as Python does: `(5,)`, `(3, 4)`.
fn shape_str(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", shape.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// Parses the header dict `{'descr': ..., 'fortran_order': ..., 'shape': (...), }` followed by
/// blank padding. All three keys are required; no other key is allowed.
fn parse_header(bytes: &[u8]) -> std::result::Result<NpyHeader, String> {
    let mut cur = Cursor { s: bytes, pos: 0 };
    let mut header = NpyHeader::default();
    let mut seen = [false; 3];
    cur.expect(b'{')?;
    while !cur.eat(b'}') {
        let key = cur.string()?;
        cur.expect(b':')?;
        let slot = match key.as_str() {
            "descr" => {
                header.descr = cur.descr()?;
                0
            }
            "fortran_order" => {
                header.fortran_order = cur.boolean()?;
                1
            }
            "shape" => {
                header.shape = cur.tuple()?;
                2
            }
            other => return Err(format!("unexpected key {other:?}")),
        };
        if std::mem::replace(&mut seen[slot], true) {
            return Err(format!("duplicate key {key:?}"));
        }
        if !cur.eat(b',') {
            cur.expect(b'}')?;
            break;
        }
    }
    cur.skip_ws();
    if cur.pos != bytes.len() {
        return Err(format!("unexpected text after the dict at byte {}", cur.pos));
    }
    match seen.iter().position(|&s| !s) {
        Some(missing) => Err(format!("missing key {:?}", ["descr", "fortran_order", "shape"][missing])),
        None => Ok(header),
    }
}

/// A position in the header text; each method skips leading whitespace.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.pos).is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// Consumes `b` if it comes next.
    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        let found = self.s.get(self.pos) == Some(&b);
        self.pos += usize::from(found);
        found
    }

    fn expect(&mut self, b: u8) -> std::result::Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", char::from(b), self.pos))
        }
    }

    /// A quoted string (single or double quotes, no escapes).
    fn string(&mut self) -> std::result::Result<String, String> {
        self.skip_ws();
        let quote = match self.s.get(self.pos) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at byte {}", self.pos)),
        };
        let start = self.pos + 1;
        let Some(len) = self.s[start..].iter().position(|&b| b == quote) else {
            return Err(format!("unterminated string starting at byte {}", self.pos));
        };
        self.pos = start + len + 1;
        Ok(String::from_utf8_lossy(&self.s[start..start + len]).into_owned())
    }

    /// The `descr` value: a dtype string (structured dtypes, written as lists, are refused).
    fn descr(&mut self) -> std::result::Result<String, String> {
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b'[') {
            return Err("structured (record) dtypes are not supported".into());
        }
        self.string()
    }

    fn boolean(&mut self) -> std::result::Result<bool, String> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        for (word, value) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        Err(format!("expected True or False at byte {}", self.pos))
    }

    /// A tuple of non-negative integers: `()`, `(5,)`, `(3, 4)`.
    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        while !self.eat(b')') {
            if dims.len() >= 32 {
                return Err("shape has too many dimensions".into());
            }
            dims.push(self.integer()?);
            if !self.eat(b',') {
                self.expect(b')')?;
                break;
            }
        }
        Ok(dims)
    }

    /// A non-negative decimal integer (an old Python 2 `L` suffix is accepted).
    fn integer(&mut self) -> std::result::Result<usize, String> {
        self.skip_ws();
        let start = self.pos;
        let mut value: usize = 0;
        while let Some(d) = self.s.get(self.pos).filter(|b| b.is_ascii_digit()) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(usize::from(d - b'0')))
                .ok_or_else(|| format!("dimension too large at byte {start}"))?;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(format!("expected a non-negative integer at byte {start}"));
        }
        self.pos += usize::from(self.s.get(self.pos) == Some(&b'L'));
        Ok(value)
    }
}

// ---------------------------------------------------------------------------------------------
// Writing NPY
// ---------------------------------------------------------------------------------------------

/// Writes a 2-D `rows × cols` array of `f64` (`'<f8'`, C order, format version 1.0).
pub fn write_npy_f64(path: &Path, rows: usize, cols: usize, data: &[f64]) -> Result<()> {
    check_write_shape(rows, cols, data.len())?;
    let payload: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_file(path, &npy_bytes("<f8", rows, cols, &payload))
}

/// Writes a 2-D `rows × cols` array of `i8` (`'<i1'`, C order, format version 1.0).
pub fn write_npy_i8(path: &Path, rows: usize, cols: usize, data: &[i8]) -> Result<()> {
    check_write_shape(rows, cols, data.len())?;
    let payload: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_file(path, &npy_bytes("<i1", rows, cols, &payload))
}

/// Fails unless `len == rows · cols`.
fn check_write_shape(rows: usize, cols: usize, len: usize) -> Result<()> {
    if rows.checked_mul(cols) == Some(len) {
        Ok(())
    } else {
        Err(Error::Shape(format!("{len} values cannot form a {rows}×{cols} matrix")))
    }
}

/// Writes `bytes` to `path`, naming the path on failure.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| io_err(path, e))
}

/// Encodes a version-1.0 NPY file; the header is padded with spaces so that the data starts at a
/// multiple of 64 bytes, as NumPy does.
fn npy_bytes(descr: &str, rows: usize, cols: usize, payload: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    let unpadded = NPY_MAGIC.len() + 2 + 2 + header.len() + 1;
    header.extend(std::iter::repeat_n(' ', (64 - unpadded % 64) % 64));
    header.push('\n');
    // Two usizes and a short dtype name: the header is always far below u16::MAX bytes.
    let header_len = (header.len() as u16).to_le_bytes();
    let mut out = Vec::with_capacity(10 + header.len() + payload.len());
    out.extend_from_slice(NPY_MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&header_len);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn p() -> &'static Path {
        Path::new("m.txt")
    }

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("ebdm-matrix-{}-{name}", std::process::id()))
    }

    fn text_err(text: &str) -> String {
        parse_matrix_text(text, p()).unwrap_err().to_string()
    }

    /// A hand-made NPY file with any header dict and payload.
    fn npy_raw(version: u8, dict: &str, payload: &[u8]) -> Vec<u8> {
        let mut out = NPY_MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        let header = format!("{dict}\n");
        if version == 1 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn npy_err(bytes: &[u8]) -> String {
        parse_npy(bytes, Path::new("a.npy")).unwrap_err().to_string()
    }

    fn f8(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn text_whitespace_and_commas() {
        let m = parse_matrix_text("# comment\n1 2 3\n\n  4,5,  6  \n7 ,8,9,\n", p()).unwrap();
        assert_eq!((m.rows, m.cols), (3, 3));
        assert_eq!(m.data, vec![1., 2., 3., 4., 5., 6., 7., 8., 9.]);
        assert_eq!(m.row(1), &[4., 5., 6.]);
    }

    #[test]
    fn text_crlf_bom_and_trailing_spaces() {
        let m = parse_matrix_text("\u{feff}1.5 -2e1 \r\n# c\r\n  3 4\t\r\n", p()).unwrap();
        assert_eq!((m.rows, m.cols), (2, 2));
        assert_eq!(m.data, vec![1.5, -20., 3., 4.]);
    }

    #[test]
    fn text_sign_rows() {
        let m = parse_matrix_text("+-+--+\n+ - + - - +\n1,-1,1,-1,-1,1\n", p()).unwrap();
        assert_eq!((m.rows, m.cols), (3, 6));
        let pattern = [1., -1., 1., -1., -1., 1.];
        for r in 0..3 {
            assert_eq!(m.row(r), &pattern);
        }
    }

    #[test]
    fn text_ragged_rows_name_the_lines() {
        let e = text_err("# header\n1 2 3\n4 5 6\n\n7 8\n");
        assert!(e.contains("m.txt") && e.contains("line 5") && e.contains("2 values"), "{e}");
        assert!(e.contains("(line 2) has 3"), "{e}");
    }

    #[test]
    fn text_non_numeric_token_names_line_column_and_token() {
        let e = text_err("1 2 3\n4 x5 6\n");
        assert!(e.contains("line 2, column 3") && e.contains("\"x5\""), "{e}");
        let e = text_err("1 2 +-\n");
        assert!(e.contains("line 1, column 5") && e.contains("\"+-\""), "{e}");
    }

    #[test]
    fn text_non_finite_values_are_rejected() {
        for bad in ["nan", "NaN", "inf", "-inf", "infinity", "1e999"] {
            let e = text_err(&format!("1 {bad}\n"));
            assert!(e.contains("line 1, column 3") && e.contains("non-finite"), "{bad}: {e}");
        }
    }

    #[test]
    fn text_empty_values_between_commas_are_rejected() {
        let e = text_err("1,,2\n");
        assert!(e.contains("line 1, column 3") && e.contains("empty value"), "{e}");
        let e = text_err(" ,1\n");
        assert!(e.contains("line 1, column 2"), "{e}");
    }

    #[test]
    fn text_without_rows_is_rejected() {
        for text in ["", "\n\n", "# only\n  # comments\r\n"] {
            assert!(text_err(text).contains("no data rows"));
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = text_err("1 é 2\n");
        assert!(e.contains("column 3"), "{e}");
        let e = text_err("±1 2\n");
        assert!(e.contains("column 1"), "{e}");
    }

    #[test]
    fn npy_f64_round_trip() {
        let path = temp_path("f64.npy");
        let data = [0.5, -1.0, 2.25, 1e-300, -7.0, 3.0];
        write_npy_f64(&path, 2, 3, &data).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() % 64, 48, "the data (6 × 8 bytes) starts at a multiple of 64");
        let m = parse_npy(&bytes, &path).unwrap();
        assert_eq!((m.rows, m.cols), (2, 3));
        assert_eq!(m.data, data);
        assert_eq!(read_matrix(&path).unwrap(), m);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn npy_i8_round_trip() {
        let path = temp_path("i8.npy");
        let data = [1i8, -1, -1, 1, 1, 1, -1, -1];
        write_npy_i8(&path, 2, 4, &data).unwrap();
        let m = read_matrix(&path).unwrap();
        assert_eq!((m.rows, m.cols), (2, 4));
        assert_eq!(m.data, data.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn write_rejects_wrong_length() {
        let e = write_npy_f64(&temp_path("never.npy"), 2, 2, &[1.0; 3]).unwrap_err();
        assert!(matches!(e, Error::Shape(_)));
    }

    #[test]
    fn npy_fortran_order_is_transposed() {
        // The 2×3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column.
        let dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }";
        let m = parse_npy(&npy_raw(1, dict, &f8(&[1., 4., 2., 5., 3., 6.])), p()).unwrap();
        assert_eq!((m.rows, m.cols), (2, 3));
        assert_eq!(m.data, vec![1., 2., 3., 4., 5., 6.]);
    }

    #[test]
    fn npy_one_dimensional_and_versions() {
        for version in [1, 2, 3] {
            let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
            let m = parse_npy(&npy_raw(version, dict, &f8(&[1., 2., 3.])), p()).unwrap();
            assert_eq!((m.rows, m.cols, m.data.clone()), (1, 3, vec![1., 2., 3.]));
        }
    }

    #[test]
    fn npy_all_dtypes() {
        let cases: [(&str, Vec<u8>); 9] = [
            ("<f4", [1.5f32, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect()),
            ("|i1", vec![0xff, 2]),
            ("<i1", vec![0xff, 2]),
            ("<i2", [-1i16, 2].iter().flat_map(|v| v.to_le_bytes()).collect()),
            ("<i4", [-1i32, 2].iter().flat_map(|v| v.to_le_bytes()).collect()),
            ("<i8", [-1i64, 2].iter().flat_map(|v| v.to_le_bytes()).collect()),
            ("|u1", vec![255, 2]),
            ("|b1", vec![0, 1]),
            ("<f8", f8(&[-1.0, 2.0])),
        ];
        let expected: [[f64; 2]; 9] =
            [[1.5, -2.0], [-1., 2.], [-1., 2.], [-1., 2.], [-1., 2.], [-1., 2.], [255., 2.], [0., 1.], [-1., 2.]];
        for ((descr, payload), want) in cases.iter().zip(expected) {
            let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1, 2), }}");
            let m = parse_npy(&npy_raw(1, &dict, payload), p()).unwrap();
            assert_eq!(m.data, want, "{descr}");
        }
    }

    #[test]
    fn npy_bad_magic_and_version() {
        assert!(npy_err(b"NUMPY\x01\x00").contains("bad magic"));
        assert!(npy_err(b"").contains("bad magic"));
        assert!(npy_err(b"\x93NUMPY").contains("version"));
        let mut v4 = npy_raw(1, "{}", &[]);
        v4[6] = 4;
        assert!(npy_err(&v4).contains("unsupported NPY version 4.0"));
    }

    #[test]
    fn npy_truncated_header_and_data() {
        let full = npy_raw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", &f8(&[1.; 4]));
        let e = npy_err(&full[..20]);
        assert!(e.contains("a.npy") && e.contains("truncated NPY header"), "{e}");
        let e = npy_err(&full[..full.len() - 3]);
        assert!(e.contains("truncated data") && e.contains("32 bytes") && e.contains("29"), "{e}");
        let mut extra = full.clone();
        extra.push(0);
        assert!(npy_err(&extra).contains("1 extra"));
        assert!(npy_err(&full[..9]).contains("header length"));
    }

    #[test]
    fn npy_wrong_dims() {
        let e = npy_err(&npy_raw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", &f8(&[1.; 8])));
        assert!(e.contains("3 dimensions") && e.contains("(2, 2, 2)"), "{e}");
        let e = npy_err(&npy_raw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", &f8(&[1.])));
        assert!(e.contains("0-dimensional"), "{e}");
    }

    #[test]
    fn npy_huge_shape_does_not_allocate() {
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4000000000), }";
        let e = npy_err(&npy_raw(1, dict, &f8(&[1.; 2])));
        assert!(e.contains("too large") || e.contains("truncated data"), "{e}");
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }";
        assert!(npy_err(&npy_raw(1, dict, &[])).contains("dimension too large"));
    }

    #[test]
    fn npy_unsupported_dtypes() {
        let with = |descr: &str| {
            npy_err(&npy_raw(1, &format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}"), &[0; 8]))
        };
        assert!(with(">f8").contains("big-endian"));
        assert!(with("<c16").contains("unsupported dtype"));
        assert!(with("<U3").contains("unsupported dtype"));
        assert!(with("|f8").contains("byte order"));
        let e = npy_err(&npy_raw(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", &[0; 8]));
        assert!(e.contains("structured"), "{e}");
    }

    #[test]
    fn npy_malformed_headers() {
        let cases = [
            ("{'descr': '<f8', 'shape': (1,), }", "missing key \"fortran_order\""),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", "unexpected key"),
            ("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", "duplicate key"),
            ("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,)}", "True or False"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} junk", "after the dict"),
            ("{'descr: '<f8'}", "expected ':'"),
            ("['descr']", "expected '{'"),
            ("{'descr': '<f8", "unterminated string"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}", "non-negative integer"),
        ];
        for (dict, want) in cases {
            let e = npy_err(&npy_raw(1, dict, &[0; 8]));
            assert!(e.contains("bad NPY header") && e.contains(want), "{dict}: {e}");
        }
    }

    #[test]
    fn npy_nan_is_rejected_with_its_index() {
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
        let e = npy_err(&npy_raw(1, dict, &f8(&[1., 2., f64::NAN, 4.])));
        assert!(e.contains("NaN") && e.contains("flat index 2") && e.contains("row 1, column 0"), "{e}");
        let dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }";
        let e = npy_err(&npy_raw(1, dict, &f8(&[1., 2., f64::INFINITY, 4.])));
        assert!(e.contains("flat index 2") && e.contains("row 0, column 1"), "{e}");
    }

    #[test]
    fn npy_python2_style_header() {
        let dict = "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (1L, 2L)}";
        let m = parse_npy(&npy_raw(1, dict, &f8(&[3., 4.])), p()).unwrap();
        assert_eq!((m.rows, m.cols), (1, 2));
    }

    #[test]
    fn read_matrix_dispatches_and_decompresses() {
        use std::io::Write;
        let path = temp_path("pats.txt.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"+-+\n-+-\n").unwrap();
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        assert_eq!(read_matrix(&path).unwrap().data, vec![1., -1., 1., -1., 1., -1.]);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn read_matrix_rejects_invalid_utf8_with_line() {
        let path = temp_path("latin1.txt");
        std::fs::write(&path, b"1 2\n3 \xff\n").unwrap();
        let e = read_matrix(&path).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("UTF-8"), "{e}");
        std::fs::remove_file(path).unwrap();
    }
}
