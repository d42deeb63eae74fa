//! The problem a user states, with the exact affine map between its objective and the canonical
//! Ising energy every solver minimises: MaxCut (cut = (W − H)/2, maximised), an Ising energy
//! (itself), or a QUBO value at x = (1 + s)/2 (equal to H with the QUBO's offset folded in).

use super::model::{IsingModel, MaxCutGraph, QuboModel};

/// A problem and the map from canonical energy to its objective.
#[derive(Clone, Debug)]
pub enum Problem {
    MaxCut(MaxCutGraph),
    Ising,
    Qubo(QuboModel),
}

impl Problem {
    /// The objective of spins `s`, recounted from the problem's own data: the cut, the Ising
    /// energy, or the QUBO value at x = (1 + s)/2.
    pub fn objective(&self, model: &IsingModel, s: &[i8]) -> f64 {
        match self {
            Problem::MaxCut(graph) => graph.cut(s),
            Problem::Ising => model.energy(s),
            Problem::Qubo(q) => q.value(&s.iter().map(|&v| u8::from(v > 0)).collect::<Vec<_>>()),
        }
    }

    /// The objective of a canonical energy.
    pub fn objective_of_energy(&self, energy: f64) -> f64 {
        match self {
            Problem::MaxCut(graph) => graph.cut_from_energy(energy),
            _ => energy,
        }
    }

    /// The canonical energy of an objective value (the inverse map).
    pub fn energy_of_objective(&self, value: f64) -> f64 {
        match self {
            Problem::MaxCut(graph) => graph.total_weight() - 2.0 * value,
            _ => value,
        }
    }

    /// Whether the objective is maximised (MaxCut) rather than minimised.
    pub fn maximise(&self) -> bool {
        matches!(self, Problem::MaxCut(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ising::model::Backend;

    #[test]
    fn objective_and_energy_maps_are_exact_inverses() {
        let g = MaxCutGraph::new(4, vec![(0, 1, 1.0), (1, 2, 2.0), (2, 3, -1.0), (0, 3, 3.0)]).unwrap();
        let m = g.to_ising(Backend::Csr).unwrap();
        let p = Problem::MaxCut(g.clone());
        for bits in 0..16u32 {
            let s: Vec<i8> = (0..4).map(|i| if bits >> i & 1 == 1 { 1 } else { -1 }).collect();
            let e = m.energy(&s);
            assert_eq!(p.objective(&m, &s), g.cut(&s));
            assert_eq!(p.objective_of_energy(e), g.cut(&s));
            assert_eq!(p.energy_of_objective(p.objective_of_energy(e)), e);
        }
        assert!(p.maximise() && !Problem::Ising.maximise());
        assert_eq!(Problem::Ising.objective_of_energy(-3.5), -3.5);
    }
}
