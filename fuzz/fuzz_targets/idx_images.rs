//! Fuzzes the IDX image parser: any input must give `Ok` or `Err`, never a panic, and an `Ok`
//! must be internally consistent.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(images) = ebdm::data::parse_images(data, Path::new("fuzz-input")) {
        assert_eq!(images.pixels.len(), images.count * images.pixels_per_image());
        if images.count > 0 {
            let last = images.count - 1;
            assert_eq!(images.binarize(last, 127).len(), images.pixels_per_image());
        }
    }
});
