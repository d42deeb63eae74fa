//! The replica executor: independent tasks (replicas, restarts, cues, trials) run in parallel
//! on the current rayon pool, task `i` drawing from its own stream `stream_path(seed, key ++
//! [i])`, and results are collected in index order. The same seed therefore gives the same
//! results at any thread count. Tasks not yet started when the stop flag is raised are `None`;
//! finished ones are kept.

use rayon::prelude::*;

use super::rng::{stream_path, Rng64};
use super::run::StopFlag;
use crate::error::Result;

/// Runs `f(i)` for `i < count` in parallel, results in index order.
pub fn run_indexed<T: Send>(
    count: usize,
    stop: &StopFlag,
    f: impl Fn(usize) -> Result<T> + Sync,
) -> Result<Vec<Option<T>>> {
    (0..count).into_par_iter().map(|i| if stop.is_raised() { Ok(None) } else { f(i).map(Some) }).collect()
}

/// Runs `f(i, rng)` for `i < count` in parallel, `rng` the stream `stream_path(seed, key ++ [i])`.
pub fn run_seeded<T: Send>(
    count: usize,
    seed: u64,
    key: &[u64],
    stop: &StopFlag,
    f: impl Fn(usize, &mut Rng64) -> Result<T> + Sync,
) -> Result<Vec<Option<T>>> {
    run_indexed(count, stop, |i| {
        let mut path = key.to_vec();
        path.push(i as u64);
        f(i, &mut stream_path(seed, &path))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn same_streams_in_index_order_at_any_thread_count() {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| run_seeded(50, 7, &[3], &StopFlag::new(), |i, rng| Ok((i, rng.next_u64())))).unwrap()
        };
        let one = run(1);
        assert_eq!(one, run(3));
        assert_eq!(one[4], Some((4, stream_path(7, &[3, 4]).next_u64())));
        let stop = StopFlag::new();
        stop.raise();
        assert!(run_indexed(5, &stop, Ok).unwrap().iter().all(Option::is_none));
        assert!(run_indexed(5, &StopFlag::new(), |i| if i == 3 {
            Err(crate::Error::Numerical("x".into()))
        } else {
            Ok(i)
        })
        .is_err());
    }
}
