//! NumPy `.npy` files: the reader (version 1–3 headers, little- and big-endian, C and Fortran
//! order, the numeric dtypes) and the writers.

use super::*;

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

/// Parses the bytes of a `.npy` file (format in the [module docs](super)). `path` is only used in
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
    // An array without values is no matrix (as a text file without data rows is not), and a
    // shape such as (10¹⁸, 0) must not send a reader over 10¹⁸ empty rows.
    if shape.contains(&0) {
        return Err(format!("array of shape {} holds no values", shape_str(shape)));
    }
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
