//! Dataset and matrix-file readers (±1 pattern files are read by [`crate::memory::read_patterns`]).
//!
//! - [`idx`]: the IDX format of MNIST and Fashion-MNIST (images and labels, raw or gzip);
//! - [`matrix`]: dense real matrices from text files (whitespace/comma
//!   separated numbers, or rows of `+`/`-` signs) and NumPy `.npy` files, and `.npy` writers.
//!
//! Every reader validates its input completely and never panics: malformed, truncated or
//! hostile files produce an [`Error::Format`](crate::Error::Format) that names the file (and, for
//! text, the 1-based line). Sizes declared in headers are checked against the actual byte length
//! before anything is allocated, and decompression is capped at
//! [`idx::MAX_DECOMPRESSED_BYTES`].
//!
//! ```no_run
//! use std::path::Path;
//! use ebdm::data::read_images;
//! use ebdm::memory::read_patterns;
//!
//! let images = read_images(Path::new("t10k-images-idx3-ubyte.gz"))?;
//! let first = images.binarize(0, 127); // ±1 pattern of 784 components
//! let patterns = read_patterns(Path::new("patterns.txt"))?;
//! # Ok::<(), ebdm::Error>(())
//! ```

pub mod bundled;
pub mod idx;
pub mod matrix;

pub use bundled::bundled;
pub use idx::{
    check_label_count, parse_images, parse_labels, read_images, read_labeled, read_labels, read_maybe_gz, Images,
};
pub use matrix::{parse_matrix_text, parse_npy, read_matrix, write_npy_f64, write_npy_i8, Matrix};

#[cfg(test)]
mod tests {
    //! Robustness: every parser returns `Ok` or `Err` on arbitrary input, never panics.

    use super::*;
    use proptest::prelude::*;
    use std::path::Path;

    fn p() -> &'static Path {
        Path::new("fuzz")
    }

    /// Feeds `bytes` to every parser; only a panic can fail this.
    fn all_parsers(bytes: &[u8]) {
        let _ = parse_images(bytes, p());
        let _ = parse_labels(bytes, p());
        let _ = parse_npy(bytes, p());
        let _ = parse_matrix_text(&String::from_utf8_lossy(bytes), p());
    }

    /// An IDX header (images or labels, possibly with a wrong number of dimensions) with
    /// arbitrary dimensions, followed by arbitrary bytes.
    fn idx_prefixed() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![Just(0x0803u32), Just(0x0801u32), 0u32..0x0fff],
            prop::collection::vec(prop_oneof![0u32..8, any::<u32>()], 0..4),
            prop::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(magic, dims, tail)| {
                let mut out = magic.to_be_bytes().to_vec();
                dims.iter().for_each(|d| out.extend_from_slice(&d.to_be_bytes()));
                out.extend(tail);
                out
            })
    }

    /// An NPY preamble and a plausible (often slightly wrong) header dict, then arbitrary bytes.
    fn npy_prefixed() -> impl Strategy<Value = Vec<u8>> {
        let descr = prop_oneof![
            Just("<f8"),
            Just("<f4"),
            Just("|i1"),
            Just("<i8"),
            Just("|b1"),
            Just(">f8"),
            Just("<c8"),
            Just("")
        ];
        let shape = prop::collection::vec(prop_oneof![0u64..5, any::<u64>()], 0..4);
        (1u8..4, descr, any::<bool>(), shape, prop::collection::vec(any::<u8>(), 0..80), any::<Option<u16>>()).prop_map(
            |(version, descr, fortran, shape, tail, len_override)| {
                let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
                let fortran = if fortran { "True" } else { "False" };
                let dict =
                    format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': ({},), }}\n", dims.join(", "));
                let len = len_override.map_or(dict.len(), usize::from);
                let mut out = b"\x93NUMPY".to_vec();
                out.extend_from_slice(&[version, 0]);
                if version == 1 {
                    out.extend_from_slice(&(len as u16).to_le_bytes());
                } else {
                    out.extend_from_slice(&(len as u32).to_le_bytes());
                }
                out.extend_from_slice(dict.as_bytes());
                out.extend(tail);
                out
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            all_parsers(&bytes);
        }

        #[test]
        fn idx_like_bytes_never_panic(bytes in idx_prefixed(), cut in any::<prop::sample::Index>()) {
            all_parsers(&bytes);
            all_parsers(&bytes[..cut.index(bytes.len() + 1)]);
        }

        #[test]
        fn npy_like_bytes_never_panic(bytes in npy_prefixed(), cut in any::<prop::sample::Index>()) {
            all_parsers(&bytes);
            all_parsers(&bytes[..cut.index(bytes.len() + 1)]);
        }

        #[test]
        fn text_like_input_never_panics(text in "[-+0-9.,eE# \t\r\nNaIfé±]{0,120}") {
            let _ = parse_matrix_text(&text, p());
        }

        #[test]
        fn valid_text_round_trips(rows in prop::collection::vec(prop::collection::vec(-1e6f64..1e6, 3), 1..6)) {
            let text: String = rows
                .iter()
                .map(|r| r.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ") + "\n")
                .collect();
            let m = parse_matrix_text(&text, p()).unwrap();
            prop_assert_eq!((m.rows, m.cols), (rows.len(), 3));
            prop_assert_eq!(m.data, rows.concat());
        }
    }
}
