//! Tests of the matrix readers and writers.

use super::*;
use std::path::{Path, PathBuf};

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

#[test]
fn npy_arrays_without_values_are_rejected_at_once() {
    // Fortran order with a huge row count and no columns: nothing to read, and nothing to loop over.
    let dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (8183009064746115374, 0), }\n";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    let e = parse_npy(&bytes, Path::new("x.npy")).unwrap_err().to_string();
    assert!(e.contains("x.npy") && e.contains("holds no values"), "{e}");
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }\n";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    assert!(parse_npy(&bytes, Path::new("x.npy")).unwrap_err().to_string().contains("(0,) holds no values"));
}
