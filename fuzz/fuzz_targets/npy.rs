//! Fuzzes the `.npy` parser: any input must give `Ok` or `Err`, never a panic, and an `Ok` must
//! be a consistent matrix of finite values.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ebdm::data::parse_npy(data, Path::new("fuzz-input")) {
        assert_eq!(m.data.len(), m.rows * m.cols);
        assert!(m.data.iter().all(|v| v.is_finite()));
        let _ = ebdm::memory::Patterns::from_matrix(&m);
    }
});
