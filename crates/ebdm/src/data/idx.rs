//! Readers for the IDX format of MNIST and Fashion-MNIST.
//!
//! # Format
//!
//! An IDX file is a big-endian header followed by the raw values, row-major:
//!
//! | offset | size | meaning |
//! | ---: | ---: | --- |
//! | 0 | 2 | zero bytes `00 00` |
//! | 2 | 1 | element type; only `0x08` (unsigned byte) is supported |
//! | 3 | 1 | number of dimensions *d* |
//! | 4 | 4·*d* | the dimensions, each a big-endian `u32` |
//! | 4 + 4·*d* | product of the dimensions | the values |
//!
//! Image files have magic `0x00000803` (2051, three dimensions: count, rows, columns); label files
//! have magic `0x00000801` (2049, one dimension: count). The files are usually distributed
//! gzip-compressed; [`read_images`] and [`read_labels`] detect compression by the gzip magic bytes
//! `1f 8b`, not by the file name.
//!
//! The parsers never panic and never allocate more than the input warrants: declared sizes are
//! checked against the actual byte length before any buffer is created, and decompression stops
//! at [`MAX_DECOMPRESSED_BYTES`].

use std::fs::File;
use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// Magic number of an IDX image file (unsigned bytes, three dimensions).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX label file (unsigned bytes, one dimension).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Upper bound on the size of a file after decompression (1 GiB), which defuses zip bombs. Raw
/// files larger than this are refused too.
pub const MAX_DECOMPRESSED_BYTES: u64 = 1 << 30;

/// The two magic bytes that open every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// IDX element-type code for unsigned bytes.
const TYPE_U8: u8 = 0x08;

/// A stack of grey-scale images, as stored in an IDX image file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub count: usize,
    /// Pixel rows per image.
    pub rows: usize,
    /// Pixel columns per image.
    pub cols: usize,
    /// All pixels, image after image, each image row-major: `count × (rows·cols)` values.
    pub pixels: Vec<u8>,
}

impl Images {
    /// Number of pixels in one image (`rows · cols`).
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// The pixels of image `i`, row-major.
    ///
    /// # Panics
    ///
    /// If `i >= self.count`.
    pub fn image(&self, i: usize) -> &[u8] {
        let p = self.pixels_per_image();
        &self.pixels[i * p..(i + 1) * p]
    }

    /// Image `i` as a ±1 pattern: `+1` where the pixel is strictly greater than `threshold`,
    /// `−1` elsewhere.
    ///
    /// # Panics
    ///
    /// If `i >= self.count`.
    pub fn binarize(&self, i: usize, threshold: u8) -> Vec<i8> {
        self.image(i).iter().map(|&p| if p > threshold { 1 } else { -1 }).collect()
    }
}

/// Reads an IDX image file (magic 2051), gzip-compressed or raw.
pub fn read_images(path: &Path) -> Result<Images> {
    let bytes = read_maybe_gz(path)?;
    parse_images(&bytes, path)
}

/// Reads an IDX label file (magic 2049), gzip-compressed or raw.
pub fn read_labels(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_maybe_gz(path)?;
    parse_labels(&bytes, path)
}

/// Reads an image file and its label file and checks that they hold the same number of items;
/// a mismatch is a [`Error::Format`] naming the label file and both counts.
pub fn read_labeled(images: &Path, labels: &Path) -> Result<(Images, Vec<u8>)> {
    let img = read_images(images)?;
    let lab = read_labels(labels)?;
    check_label_count(&img, &lab, images, labels)?;
    Ok((img, lab))
}

/// Fails unless there is exactly one label per image.
pub fn check_label_count(img: &Images, labels: &[u8], images_path: &Path, labels_path: &Path) -> Result<()> {
    if img.count != labels.len() {
        return Err(format_err(
            labels_path,
            format!("{} labels, but {} has {} images", labels.len(), images_path.display(), img.count),
        ));
    }
    Ok(())
}

/// Parses the bytes of an (already decompressed) IDX image file. `path` is only used in error
/// messages.
pub fn parse_images(bytes: &[u8], path: &Path) -> Result<Images> {
    let (dims, body) = parse_idx(bytes, path, IMAGES_MAGIC)?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows == 0 || cols == 0 {
        return Err(format_err(path, format!("image size {rows}×{cols} is empty; both must be at least 1")));
    }
    Ok(Images { count, rows, cols, pixels: body.to_vec() })
}

/// Parses the bytes of an (already decompressed) IDX label file. `path` is only used in error
/// messages.
pub fn parse_labels(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let (_, body) = parse_idx(bytes, path, LABELS_MAGIC)?;
    Ok(body.to_vec())
}

/// Reads a whole file, decompressing it if it starts with the gzip magic bytes `1f 8b`.
///
/// Both the raw file and the decompressed stream are limited to [`MAX_DECOMPRESSED_BYTES`];
/// larger inputs are refused with an error rather than exhausting memory.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let raw = read_capped(file, MAX_DECOMPRESSED_BYTES)
        .map_err(|e| io_err(path, e))?
        .ok_or_else(|| too_large(path, "file", MAX_DECOMPRESSED_BYTES))?;
    if raw.starts_with(&GZIP_MAGIC) {
        decompress_capped(&raw, MAX_DECOMPRESSED_BYTES, path)
    } else {
        Ok(raw)
    }
}

/// Decompresses a (possibly multi-member) gzip stream, refusing output beyond `limit` bytes.
pub(crate) fn decompress_capped(gz: &[u8], limit: u64, path: &Path) -> Result<Vec<u8>> {
    read_capped(MultiGzDecoder::new(gz), limit)
        .map_err(|e| format_err(path, format!("corrupt gzip stream: {e}")))?
        .ok_or_else(|| too_large(path, "decompressed data", limit))
}

/// Reads `reader` to its end; `None` once more than `limit` bytes have been produced.
fn read_capped<R: Read>(reader: R, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= limit).then_some(out))
}

/// The error for an input beyond the size limit.
fn too_large(path: &Path, what: &str, limit: u64) -> Error {
    format_err(path, format!("{what} exceeds the size limit of {limit} bytes"))
}

/// Checks the IDX header against `magic` and the byte length, and returns the dimensions and
/// the value bytes.
fn parse_idx<'a>(bytes: &'a [u8], path: &Path, magic: u32) -> Result<(Vec<usize>, &'a [u8])> {
    check_magic(bytes, path, magic)?;
    let ndim = usize::from(bytes[3]);
    let header_len = 4 + 4 * ndim;
    let Some(dim_bytes) = bytes.get(4..header_len) else {
        return Err(format_err(
            path,
            format!("truncated IDX header: {} bytes, but {ndim} dimensions need {header_len}", bytes.len()),
        ));
    };
    let dims: Vec<usize> = dim_bytes.chunks_exact(4).map(be_u32_usize).collect();
    let body = &bytes[header_len..];
    check_body_len(&dims, body.len(), path)?;
    Ok((dims, body))
}

/// Checks the four magic bytes: two zeros, the unsigned-byte type code, and the number of
/// dimensions that `expected` implies.
fn check_magic(bytes: &[u8], path: &Path, expected: u32) -> Result<()> {
    let Some(head) = bytes.get(..4) else {
        return Err(format_err(path, format!("file too short for an IDX header: {} bytes", bytes.len())));
    };
    let found = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if found == expected {
        return Ok(());
    }
    let kind = |m: u32| match m {
        IMAGES_MAGIC => "an IDX image file (magic 2051)",
        LABELS_MAGIC => "an IDX label file (magic 2049)",
        _ => "an IDX file",
    };
    let reason = if head.starts_with(&GZIP_MAGIC) {
        "data is gzip-compressed; decompress it first (read_images/read_labels do)".to_string()
    } else if found == IMAGES_MAGIC || found == LABELS_MAGIC {
        format!("this is {}, expected {}", kind(found), kind(expected))
    } else if head[0] != 0 || head[1] != 0 {
        format!("bad magic number 0x{found:08x}: not an IDX file, expected {}", kind(expected))
    } else if head[2] != TYPE_U8 {
        format!("unsupported IDX element type 0x{:02x}: only unsigned bytes (0x08) are supported", head[2])
    } else {
        format!("IDX file has {} dimensions, expected {}", head[3], expected & 0xff)
    };
    Err(format_err(path, reason))
}

/// Checks that the body holds exactly the product of the dimensions, without overflow.
fn check_body_len(dims: &[usize], actual: usize, path: &Path) -> Result<()> {
    let shape = dims.iter().map(ToString::to_string).collect::<Vec<_>>().join("×");
    let needed = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match needed {
        Some(n) if n == actual => Ok(()),
        Some(n) if n > actual => Err(format_err(
            path,
            format!("truncated data: header declares {shape} = {n} values but only {actual} bytes follow"),
        )),
        Some(n) => Err(format_err(
            path,
            format!("header declares {shape} = {n} values but {actual} bytes follow ({} extra)", actual - n),
        )),
        None => Err(format_err(path, format!("header declares {shape} values, which overflows"))),
    }
}

/// A big-endian `u32` from a 4-byte chunk, widened to `usize`.
fn be_u32_usize(chunk: &[u8]) -> usize {
    let mut b = [0u8; 4];
    b.copy_from_slice(chunk);
    u32::from_be_bytes(b) as usize
}

/// A [`Error::Format`] naming `path`.
pub(crate) fn format_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Format { path: path.to_path_buf(), reason: reason.into() }
}

/// An [`Error::Io`] naming `path`.
pub(crate) fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.to_path_buf(), error: source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    fn p() -> &'static Path {
        Path::new("test.idx")
    }

    /// Builds an IDX file by hand: magic, big-endian dims, body.
    fn idx_bytes(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
        let mut out = magic.to_be_bytes().to_vec();
        for d in dims {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out.extend_from_slice(body);
        out
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("ebdm-idx-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn message(e: Error) -> String {
        e.to_string()
    }

    #[test]
    fn images_round_trip() {
        let body: Vec<u8> = (0..2 * 2 * 3).map(|v| (v * 20) as u8).collect();
        let img = parse_images(&idx_bytes(IMAGES_MAGIC, &[2, 2, 3], &body), p()).unwrap();
        assert_eq!((img.count, img.rows, img.cols), (2, 2, 3));
        assert_eq!(img.pixels_per_image(), 6);
        assert_eq!(img.image(1), &body[6..]);
        assert_eq!(img.binarize(0, 50), vec![-1, -1, -1, 1, 1, 1]);
    }

    #[test]
    fn labels_round_trip() {
        let labels = parse_labels(&idx_bytes(LABELS_MAGIC, &[4], &[7, 2, 1, 0]), p()).unwrap();
        assert_eq!(labels, vec![7, 2, 1, 0]);
    }

    #[test]
    fn empty_image_set_is_accepted() {
        let img = parse_images(&idx_bytes(IMAGES_MAGIC, &[0, 28, 28], &[]), p()).unwrap();
        assert_eq!(img.count, 0);
        assert!(img.pixels.is_empty());
    }

    #[test]
    fn bad_magic_is_rejected() {
        let e = message(parse_images(&idx_bytes(0x1234_5678, &[1, 1, 1], &[0]), p()).unwrap_err());
        assert!(e.contains("test.idx") && e.contains("bad magic"), "{e}");
        let e = message(parse_images(&idx_bytes(LABELS_MAGIC, &[1], &[0]), p()).unwrap_err());
        assert!(e.contains("label file") && e.contains("expected an IDX image file"), "{e}");
        let e = message(parse_labels(&idx_bytes(0x0000_0d01, &[1], &[0; 4]), p()).unwrap_err());
        assert!(e.contains("element type 0x0d"), "{e}");
    }

    #[test]
    fn short_and_truncated_inputs_are_rejected() {
        let e = message(parse_labels(&[0, 0, 8], p()).unwrap_err());
        assert!(e.contains("too short"), "{e}");
        let e = message(parse_images(&[0, 0, 8, 3, 0, 0, 0, 1, 0, 0], p()).unwrap_err());
        assert!(e.contains("truncated IDX header"), "{e}");
        let e = message(parse_images(&idx_bytes(IMAGES_MAGIC, &[2, 2, 2], &[0; 7]), p()).unwrap_err());
        assert!(e.contains("truncated data") && e.contains("8 values") && e.contains("7 bytes"), "{e}");
        let e = message(parse_labels(&idx_bytes(LABELS_MAGIC, &[2], &[0; 3]), p()).unwrap_err());
        assert!(e.contains("1 extra"), "{e}");
    }

    #[test]
    fn huge_declared_sizes_do_not_allocate() {
        let e = message(parse_images(&idx_bytes(IMAGES_MAGIC, &[u32::MAX; 3], &[1, 2, 3]), p()).unwrap_err());
        assert!(e.contains("truncated data") || e.contains("overflows"), "{e}");
    }

    #[test]
    fn zero_sized_images_are_rejected() {
        let e = message(parse_images(&idx_bytes(IMAGES_MAGIC, &[3, 0, 28], &[]), p()).unwrap_err());
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes() {
        let raw = idx_bytes(LABELS_MAGIC, &[3], &[5, 6, 7]);
        let gz_path = temp_file("labels.bin", &gzip(&raw));
        let raw_path = temp_file("labels-raw.gz", &raw); // misleading extension on purpose
        assert_eq!(read_labels(&gz_path).unwrap(), vec![5, 6, 7]);
        assert_eq!(read_labels(&raw_path).unwrap(), vec![5, 6, 7]);
        let e = message(parse_labels(&gzip(&raw), p()).unwrap_err());
        assert!(e.contains("gzip-compressed"), "{e}");
        std::fs::remove_file(gz_path).unwrap();
        std::fs::remove_file(raw_path).unwrap();
    }

    #[test]
    fn gzip_images_from_file() {
        let body: Vec<u8> = (0..3 * 4 * 5).map(|v| v as u8).collect();
        let path = temp_file("images.gz", &gzip(&idx_bytes(IMAGES_MAGIC, &[3, 4, 5], &body)));
        let img = read_images(&path).unwrap();
        assert_eq!((img.count, img.rows, img.cols), (3, 4, 5));
        assert_eq!(img.pixels, body);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn corrupt_gzip_is_a_format_error() {
        let mut gz = gzip(&idx_bytes(LABELS_MAGIC, &[100], &[1; 100]));
        gz.truncate(gz.len() / 2);
        let path = temp_file("corrupt.gz", &gz);
        let e = read_labels(&path).unwrap_err();
        assert!(matches!(e, Error::Format { .. }), "{e:?}");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn decompression_is_capped() {
        let gz = gzip(&vec![0u8; 10_000]);
        let e = message(decompress_capped(&gz, 1000, p()).unwrap_err());
        assert!(e.contains("size limit"), "{e}");
        assert_eq!(decompress_capped(&gz, 10_000, p()).unwrap().len(), 10_000);
    }

    #[test]
    fn mismatched_label_count_is_rejected() {
        let img = temp_file("pair-images", &idx_bytes(IMAGES_MAGIC, &[3, 1, 2], &[0; 6]));
        let lab = temp_file("pair-labels", &idx_bytes(LABELS_MAGIC, &[2], &[1, 2]));
        let e = message(read_labeled(&img, &lab).unwrap_err());
        assert!(e.contains("pair-labels") && e.contains("2 labels") && e.contains("3 images"), "{e}");
        let ok = temp_file("pair-labels-ok", &idx_bytes(LABELS_MAGIC, &[3], &[1, 2, 3]));
        assert_eq!(read_labeled(&img, &ok).unwrap().1, vec![1, 2, 3]);
        for p in [img, lab, ok] {
            std::fs::remove_file(p).unwrap();
        }
    }

    #[test]
    fn missing_file_is_an_io_error_naming_the_path() {
        let e = read_images(Path::new("/nonexistent/dir/images.gz")).unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        assert!(e.to_string().contains("/nonexistent/dir/images.gz"));
    }

    /// An MNIST file, if present: the copy bundled with the repository (`data/mnist/`) or the
    /// shared one beside the project (CI has it); the tests that use it skip when neither exists.
    fn mnist(name: &str) -> Option<PathBuf> {
        let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist");
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/mnist");
        [bundled, shared].iter().map(|dir| Path::new(dir).join(name)).find(|path| path.exists())
    }

    #[test]
    fn real_mnist_test_labels() {
        let Some(path) = mnist("t10k-labels-idx1-ubyte.gz") else {
            return;
        };
        let labels = read_labels(&path).unwrap();
        assert_eq!(labels.len(), 10_000);
        let mut counts = [0usize; 10];
        for &l in &labels {
            counts[usize::from(l)] += 1;
        }
        assert_eq!(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    }

    #[test]
    fn real_mnist_test_images() {
        let Some(path) = mnist("t10k-images-idx3-ubyte.gz") else {
            return;
        };
        let img = read_images(&path).unwrap();
        assert_eq!((img.count, img.rows, img.cols), (10_000, 28, 28));
        assert_eq!(img.pixels.len(), 10_000 * 784);
        // Documented on-fraction after binarising at pixel/255 > 0.5: 0.1342.
        let on: usize = (0..img.count).map(|i| img.binarize(i, 127).iter().filter(|&&v| v == 1).count()).sum();
        let fraction = on as f64 / img.pixels.len() as f64;
        assert!((fraction - 0.1342).abs() < 5e-4, "on-fraction {fraction}");
    }
}
