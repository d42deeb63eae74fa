//! Fuzzes the G-set/rudy reader and the Ising/QUBO text reader (on the input decoded as lossy
//! UTF-8): any input must give `Ok` or `Err`, never a panic, and an `Ok` graph must be consistent.
#![no_main]

use std::path::Path;

use ebdm::ising::{io, Backend};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(g) = io::parse_gset(&text, Path::new("fuzz-input")) {
        assert!(g.edges.iter().all(|&(i, j, w)| i != j && (i as usize) < g.n && (j as usize) < g.n && w.is_finite()));
    }
    let _ = io::parse_model(&text, Path::new("fuzz-input"), Backend::Auto);
});
