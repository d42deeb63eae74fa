//! Ising machines and MaxCut: Ising, QUBO and MaxCut models with exact conversions, G-set and
//! text readers, and solvers that share one run framework — simulated annealing and greedy
//! descent as baselines, simulated bifurcation, the oscillator Ising machine and the coherent-Ising-machine amplitude
//! models as dynamics.
//!
//! The sign convention is documented once, in [`model`]: `H(s) = −½ sᵀJs − hᵀs + c`, and a
//! MaxCut graph maps to `J = −w`, so that `cut = (W − H)/2`.
//!
//! ```
//! use ebdm::ising::{io::parse_gset, solve, Backend, Sa, SolveOptions};
//! use std::path::Path;
//! // A 4-cycle: the best cut takes all four edges.
//! let g = parse_gset("4 4\n1 2 1\n2 3 1\n3 4 1\n4 1 1\n", Path::new("c4")).unwrap();
//! let m = g.to_ising(Backend::Auto).unwrap();
//! let r = solve(&m, &Sa::default(), &SolveOptions { replicas: 2, steps: 100, ..Default::default() }).unwrap();
//! assert_eq!(g.cut_from_energy(r.energy), 4.0);
//! assert_eq!(g.cut(&r.spins), 4.0);
//! ```

pub mod cim;
pub mod exact;
pub mod experiments;
pub mod greedy;
pub mod gw;
pub mod io;
pub mod model;
pub mod oim;
pub mod problem;
pub mod sa;
pub mod sb;
pub mod solve;
pub mod tts;

#[cfg(test)]
mod tests;

pub use cim::{Cim, CimMode};
pub use greedy::Greedy;
pub use model::{Backend, Couplings, IsingModel, MaxCutGraph, QuboModel};
pub use oim::Oim;
pub use problem::Problem;
pub use sa::Sa;
pub use sb::{Sb, SbMode, SbPreset};
pub use solve::{solve, SolveOptions, SolveResult, Solver, PILOT_STEPS};

/// A solver chosen by name: `sa`, `greedy`, `asb`, `bsb`, `dsb` (alias `sb`), `hbsb`, `hdsb`,
/// `oim`, `ahc`, `cac`, each with its default parameters.
pub fn solver_by_name(name: &str) -> crate::Result<Box<dyn Solver>> {
    Ok(match name {
        "sa" => Box::new(Sa::default()),
        "greedy" => Box::new(Greedy),
        _ if sb::variant(name).is_some() => {
            let (mode, heated) = sb::variant(name).expect("checked");
            Box::new(Sb::new(mode, heated))
        }
        "oim" => Box::new(Oim::default()),
        "ahc" => Box::new(Cim::new(CimMode::Ahc)),
        "cac" => Box::new(Cim::new(CimMode::Cac)),
        _ => {
            return Err(crate::Error::param(
                "solver",
                format!("unknown solver `{name}`; known: sa, greedy, asb, bsb, dsb (sb), hbsb, hdsb, oim, ahc, cac"),
            ))
        }
    })
}

/// A solver by name with the simulated-bifurcation parameter set `preset`; presets other than
/// `goto2021` apply to bsb, dsb, hbsb and hdsb only.
pub fn solver_with_preset(name: &str, preset: SbPreset) -> crate::Result<Box<dyn Solver>> {
    if preset == SbPreset::Goto2021 {
        return solver_by_name(name);
    }
    match sb::variant(name) {
        Some((mode, heated)) if mode != SbMode::Adiabatic => Ok(Box::new(Sb::with_preset(mode, heated, preset))),
        _ => {
            solver_by_name(name)?;
            Err(crate::Error::param(
                "preset",
                format!("solver `{name}` has no presets; they apply to bsb, dsb, hbsb, hdsb"),
            ))
        }
    }
}

/// Names accepted by [`solver_by_name`].
pub const SOLVERS: &[&str] = &["sa", "greedy", "asb", "bsb", "dsb", "hbsb", "hdsb", "oim", "ahc", "cac"];
