//! The Ising-machine experiments as registry entries.

use super::{e4_brute_force, e5_determinism, e9_gw_bound};
use crate::error::{Error, Result};
use crate::experiment::{Entry, Outcome, RunContext};
use crate::ising::io::{read_best_known, read_gset};

/// The Ising family's experiments.
pub const ENTRIES: &[Entry] = &[
    Entry {
        id: "ising/E4",
        title: "Every Ising solver against exhaustive ground states, N = 4…20, four families",
        cost: "about 10 s on 2 cores (--quick: 3 s)",
        run: |ctx| {
            let r = e4_brute_force(if ctx.quick { 1 } else { 5 }, ctx.harness)?;
            let mut out = Outcome::from_checks(r.checks, ctx.harness.interrupted());
            out.table("brute_force", &r.rows)?;
            Ok(out)
        },
    },
    Entry {
        id: "ising/E5",
        title: "Same seed, same result at 1 and 2 threads, for every Ising solver",
        cost: "seconds",
        run: |ctx| {
            let r = e5_determinism(ctx.harness)?;
            let mut out = Outcome::from_checks(r.checks, ctx.harness.interrupted());
            out.table("determinism", &r.rows)?;
            Ok(out)
        },
    },
    Entry {
        id: "ising/E9",
        title: "Certified Goemans–Williamson bound on the bundled G-set files: at or above the best known",
        cost: "about 5 s",
        run: e9,
    },
];

fn e9(ctx: &RunContext) -> Result<Outcome> {
    let gset = ctx.data_dir("gset")?;
    let table = read_best_known(&gset.join("best_known.tsv"))?;
    let mut instances = Vec::new();
    for entry in &table {
        let path = gset.join(format!("{}.txt", entry.instance));
        if path.exists() {
            instances.push((entry.instance.clone(), read_gset(&path)?, entry.cut));
        }
    }
    if instances.is_empty() {
        return Err(Error::Missing(format!(
            "none of the instances listed in {} has its file in that directory",
            gset.join("best_known.tsv").display()
        )));
    }
    let r = e9_gw_bound(&instances, ctx.harness)?;
    let mut out = Outcome::from_checks(r.checks, ctx.harness.interrupted());
    out.table("gw_bound", &r.rows)?;
    Ok(out)
}
