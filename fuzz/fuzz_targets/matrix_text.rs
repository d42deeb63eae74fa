//! Fuzzes the text matrix parser (on the input decoded as lossy UTF-8): any input must give `Ok`
//! or `Err`, never a panic, and an `Ok` must be a consistent matrix of finite values.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(m) = ebdm::data::parse_matrix_text(&text, Path::new("fuzz-input")) {
        assert!(m.rows >= 1 && m.cols >= 1);
        assert_eq!(m.data.len(), m.rows * m.cols);
        assert!(m.data.iter().all(|v| v.is_finite()));
        let _ = ebdm::memory::Patterns::from_matrix(&m);
    }
});
