//! Fuzzes the IDX label parser: any input must give `Ok` or `Err`, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(labels) = ebdm::data::parse_labels(data, Path::new("fuzz-input")) {
        // Header (8 bytes) plus one byte per label.
        assert_eq!(labels.len() + 8, data.len());
    }
});
