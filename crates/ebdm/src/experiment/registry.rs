//! The registry of acceptance experiments: every `reproduce` id, its title and cost, and the
//! function that runs it into an [`Outcome`].

use std::path::PathBuf;

use super::{Harness, Outcome};
use crate::error::{Error, Result};

/// What an experiment runs under: seed, stop flag and progress (the harness), the size of the
/// run, and where bundled data lives.
pub struct RunContext<'a> {
    pub harness: &'a Harness<'a>,
    /// Smaller settings for a quick look.
    pub quick: bool,
    /// The directory holding the bundled data sets (`mnist/`, `gset/`); `None`: found as
    /// [`crate::data::bundled()`](fn@crate::data::bundled) describes.
    pub data: Option<PathBuf>,
}

impl RunContext<'_> {
    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.harness.seed
    }

    /// The directory of the bundled data set `name`.
    pub fn data_dir(&self, name: &str) -> Result<PathBuf> {
        crate::data::bundled(name, self.data.as_deref())
    }
}

/// One acceptance experiment.
pub struct Entry {
    /// `family/Ek`, the name used by `ebdm reproduce` and `ebdm.reproduce`.
    pub id: &'static str,
    pub title: &'static str,
    /// Rough run time on 2 cores, full and quick.
    pub cost: &'static str,
    pub run: fn(&RunContext) -> Result<Outcome>,
}

impl Entry {
    /// Runs the experiment.
    pub fn run(&self, ctx: &RunContext) -> Result<Outcome> {
        (self.run)(ctx)
    }

    /// The family part of the id (`memory`, `proximal`, `ising`, `boltzmann`, `chaos`).
    pub fn family(&self) -> &'static str {
        self.id.split('/').next().unwrap_or(self.id)
    }
}

/// Every experiment, family by family, in the order `reproduce all` runs them.
pub fn registry() -> Vec<&'static Entry> {
    [
        crate::memory::experiments::registry::ENTRIES,
        crate::proximal::experiments::registry::ENTRIES,
        crate::ising::experiments::registry::ENTRIES,
        crate::boltzmann::experiments::ENTRIES,
        crate::chaos::experiments::ENTRIES,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The experiment with id `id` (case-insensitive).
pub fn find(id: &str) -> Result<&'static Entry> {
    registry().into_iter().find(|e| e.id.eq_ignore_ascii_case(id)).ok_or_else(|| {
        let ids: Vec<&str> = registry().iter().map(|e| e.id).collect();
        Error::param("id", format!("unknown experiment `{id}`; known: {}", ids.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_namespaced() {
        let all = registry();
        assert_eq!(all.len(), 37);
        for (i, a) in all.iter().enumerate() {
            assert!(
                ["memory", "proximal", "ising", "boltzmann", "chaos"].contains(&a.family()),
                "{}: unknown family",
                a.id
            );
            assert!(all[i + 1..].iter().all(|b| !b.id.eq_ignore_ascii_case(a.id)), "{} twice", a.id);
        }
        assert_eq!(find("MEMORY/e1").unwrap().id, "memory/E1");
        let e = find("memory/E99").err().unwrap().to_string();
        assert!(e.contains("unknown experiment `memory/E99`") && e.contains("proximal/A14"), "{e}");
    }
}
