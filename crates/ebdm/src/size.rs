//! Sizes are input: the memory a size implies is checked before anything is allocated, so an
//! oversized request is a named error instead of an allocation failure.
//!
//! The limit is the machine's physical memory (`MemTotal` of `/proc/meminfo`; 1 TiB where that
//! cannot be read), or the value of `EBDM_MEMORY_LIMIT` in bytes (suffixes K, M, G, T allowed).

use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The environment variable that overrides the memory limit.
pub const MEMORY_LIMIT_ENV: &str = "EBDM_MEMORY_LIMIT";

/// The memory limit in bytes.
pub fn memory_limit() -> u64 {
    static LIMIT: OnceLock<u64> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var(MEMORY_LIMIT_ENV).ok().and_then(|v| parse_bytes(&v)).or_else(physical_memory).unwrap_or(1 << 40)
    })
}

fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// `"512"`, `"64K"`, `"8G"`, … in bytes (binary multiples).
fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, shift) = match t.chars().last()?.to_ascii_uppercase() {
        'K' => (&t[..t.len() - 1], 10),
        'M' => (&t[..t.len() - 1], 20),
        'G' => (&t[..t.len() - 1], 30),
        'T' => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(1u64 << shift)
}

/// The number of bytes of `count` elements of `elem` bytes each, for a product of dimensions
/// that may not fit in `usize` (saturating at `u128::MAX`).
pub fn bytes(dims: &[usize], elem: usize) -> u128 {
    dims.iter().fold(elem as u128, |acc, &d| acc.saturating_mul(d as u128))
}

/// Human-readable bytes.
pub fn format_bytes(b: u128) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Fails with [`Error::TooLarge`] naming `param` when `needed` bytes (for `what`) exceed the
/// memory limit.
pub fn check_memory(param: &'static str, what: impl Into<String>, needed: u128) -> Result<()> {
    let limit = memory_limit();
    if needed > limit as u128 {
        return Err(Error::TooLarge { name: param, what: what.into(), needed, limit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_beyond_the_machine_are_named_errors() {
        assert_eq!(parse_bytes("8G"), Some(8 << 30));
        assert_eq!(parse_bytes("512"), Some(512));
        assert_eq!(parse_bytes("x"), None);
        assert_eq!(bytes(&[3, 4], 8), 96);
        assert_eq!(bytes(&[usize::MAX, usize::MAX, usize::MAX], 8), u128::MAX);
        assert!(check_memory("n", "small", 1024).is_ok());
        let e = check_memory("neurons", "the N×N weights", bytes(&[300_000, 300_000], 8)).unwrap_err().to_string();
        assert!(e.contains("`neurons`") && e.contains("670.6 GiB") && e.contains(MEMORY_LIMIT_ENV), "{e}");
    }
}
