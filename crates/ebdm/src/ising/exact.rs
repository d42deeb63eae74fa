//! Exact ground states of small models by exhaustive enumeration in Gray-code order: each of
//! the 2^N states differs from the previous one by one flip, so each costs O(degree).

use super::model::IsingModel;
use crate::error::{Error, Result};

/// Largest model [`ground_state`] accepts.
pub const MAX_SPINS: usize = 26;

/// The minimum of H over all 2^N states and one state attaining it (the first in Gray order).
pub fn ground_state(model: &IsingModel) -> Result<(f64, Vec<i8>)> {
    let n = model.n();
    if n > MAX_SPINS {
        return Err(Error::param("n", format!("exhaustive search is limited to {MAX_SPINS} spins, got {n}")));
    }
    let mut s = vec![1i8; n];
    let mut f = model.local_fields(&s);
    let mut e = model.energy(&s);
    let mut best = (e, s.clone());
    for k in 1u64..(1u64 << n) {
        let i = k.trailing_zeros() as usize;
        e += 2.0 * f64::from(s[i]) * f[i];
        s[i] = -s[i];
        let d = 2.0 * f64::from(s[i]);
        model.j.row(i).for_each(|j, w| f[j] += d * w);
        if e < best.0 {
            best = (e, s.clone());
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ising::model::Backend;

    #[test]
    fn matches_naive_enumeration() {
        let m = IsingModel::new(
            5,
            &[(0, 1, 2.0), (1, 2, -1.0), (2, 3, 3.0), (3, 4, -2.0), (0, 4, 1.0), (1, 3, 1.0)],
            vec![0.5, -1.0, 0.0, 2.0, 0.0],
            1.0,
            Backend::Csr,
        )
        .unwrap();
        let mut naive = f64::INFINITY;
        for k in 0..32u32 {
            let s: Vec<i8> = (0..5).map(|i| if k >> i & 1 == 1 { -1 } else { 1 }).collect();
            naive = naive.min(m.energy(&s));
        }
        let (e, s) = ground_state(&m).unwrap();
        assert_eq!(e, naive);
        assert_eq!(m.energy(&s), e);
    }
}
