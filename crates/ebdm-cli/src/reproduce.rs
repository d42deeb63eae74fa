//! `ebdm reproduce`: the acceptance experiments of the library's registry, by namespaced id
//! (`family/E<n>`), each printing measured against reference values with PASS/FAIL.

use std::path::Path;

use anyhow::{bail, Result};
use ebdm::experiment::{find, registry, Entry, RunContext};

use crate::experiments::run_and_render;
use crate::output::Env;

/// Prints the registry.
pub fn list() {
    println!("{:<14} {:<80} cost", "id", "experiment");
    for e in registry() {
        println!("{:<14} {:<80} {}", e.id, e.title, e.cost);
    }
}

/// Runs one experiment (or `all`) and returns whether every check passed.
pub fn run(env: &Env, id: &str, out: &Path, quick: bool, data: Option<&Path>) -> Result<bool> {
    let selected: Vec<&Entry> = if id.eq_ignore_ascii_case("all") { registry() } else { vec![find(id)?] };
    let mut all_pass = true;
    for e in selected {
        let dir = out.join(e.id.replace('/', "_"));
        let title = format!("{}: {}", e.id, e.title);
        let outcome = run_and_render(env, &dir, &title, |ctx| {
            e.run(&RunContext { harness: ctx.harness, quick, data: data.map(Path::to_path_buf) })
        })?;
        all_pass &= outcome.passed();
        if outcome.interrupted {
            bail!("interrupted; partial results kept in {}", dir.display());
        }
    }
    Ok(all_pass)
}
