//! Finding the data bundled with ebdm (`data/mnist`, `data/gset`) wherever a program runs.
//!
//! Looked up in order: the directory named by `EBDM_DATA` (which holds `mnist/`, `gset/`), a
//! `data/` folder in the working directory or any directory above it, and the source tree ebdm
//! was built from.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable naming a directory of bundled data sets.
pub const DATA_ENV: &str = "EBDM_DATA";

/// The bundled data set `name` (for example `"mnist"`), under `root` when given, else found as
/// described in the module documentation.
pub fn bundled(name: &str, root: Option<&Path>) -> Result<PathBuf> {
    let mut tried = Vec::new();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(root) = root {
        candidates.push(root.join(name));
    } else {
        if let Some(dir) = std::env::var_os(DATA_ENV) {
            candidates.push(PathBuf::from(dir).join(name));
        }
        if let Ok(cwd) = std::env::current_dir() {
            candidates.extend(cwd.ancestors().map(|d| d.join("data").join(name)));
        }
        candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(name));
    }
    for c in candidates {
        if c.is_dir() {
            return Ok(c);
        }
        tried.push(c.display().to_string());
    }
    Err(Error::Missing(format!(
        "bundled data set `{name}` not found; looked in {} (set {DATA_ENV} to the directory that holds `{name}/`)",
        tried.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_source_tree_copy_and_names_what_it_tried() {
        assert!(bundled("mnist", None).unwrap().join("t10k-images-idx3-ubyte.gz").exists());
        let e = bundled("mnist", Some(Path::new("/nonexistent-root"))).unwrap_err().to_string();
        assert!(e.contains("/nonexistent-root/mnist") && e.contains(DATA_ENV), "{e}");
    }
}
