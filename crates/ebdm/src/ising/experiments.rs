//! Acceptance experiments of the Ising-machine specification that run in seconds: exact ground
//! states against every solver (E4), thread-count independence (E5) and the certified
//! Goemans–Williamson bound on G-set instances (E9).

use rand::Rng;
use serde::Serialize;

use super::gw::{gw, GwOptions, MAX_BOUND_NODES};
use super::{exact, greedy, io, solve, solver_by_name, Backend, IsingModel, MaxCutGraph, SolveOptions, SOLVERS};
use crate::engine::rng::stream_path;
use crate::experiment::{Check, Harness};

pub mod registry;
use crate::Result;

/// Names of the instance families of E4.
pub const FAMILIES: [&str; 4] = ["complete ±1", "Erdős–Rényi p = 0.3, MaxCut +1", "±1 torus 4 × n/4", "random J and h"];

/// A random instance of family `family` (index into [`FAMILIES`]) with `n` spins; integer
/// coefficients, so energies are exact.
pub fn random_instance(family: usize, n: usize, rng: &mut impl Rng) -> Result<IsingModel> {
    let pm = |rng: &mut dyn rand::RngCore| if rng.random::<bool>() { 1.0 } else { -1.0 };
    let mut pairs = Vec::new();
    let mut h = vec![0.0; n];
    match family {
        0 => {
            for i in 0..n as u32 {
                for j in i + 1..n as u32 {
                    pairs.push((i, j, pm(rng)));
                }
            }
        }
        1 => {
            for i in 0..n as u32 {
                for j in i + 1..n as u32 {
                    if rng.random_bool(0.3) {
                        pairs.push((i, j, -1.0));
                    }
                }
            }
        }
        2 => {
            let side = 4usize;
            let rows = (n / side).max(1);
            let mut seen = std::collections::HashSet::new();
            for r in 0..rows {
                for c in 0..side {
                    let i = r * side + c;
                    for j in [r * side + (c + 1) % side, ((r + 1) % rows) * side + c] {
                        let key = (i.min(j) as u32, i.max(j) as u32);
                        if i != j && j < n && i < n && seen.insert(key) {
                            pairs.push((key.0, key.1, pm(rng)));
                        }
                    }
                }
            }
        }
        _ => {
            for i in 0..n as u32 {
                for j in i + 1..n as u32 {
                    if rng.random_bool(0.5) {
                        pairs.push((i, j, f64::from(rng.random_range(-3i32..=3))));
                    }
                }
            }
            for v in h.iter_mut() {
                *v = f64::from(rng.random_range(-3i32..=3));
            }
        }
    }
    IsingModel::new(n, &pairs, h, 0.0, Backend::Auto)
}

/// One (instance, solver) cell of E4.
#[derive(Clone, Debug, Serialize)]
pub struct BruteForceRow {
    pub family: usize,
    pub n: usize,
    pub instance: usize,
    pub solver: &'static str,
    pub exact_energy: f64,
    pub energy: f64,
    pub optimal: bool,
    pub local_minimum: bool,
    /// The solver's numerical failure on this instance, if any (the other solvers still run).
    pub failure: Option<String>,
}

/// Rows and checks of E4.
#[derive(Clone, Debug, Serialize)]
pub struct Report<R> {
    pub rows: Vec<R>,
    pub checks: Vec<Check>,
}

/// E4: every solver with default settings (16 replicas, 1000 steps) against exhaustive ground
/// states, N = 4, 8, …, 20, `per_size` instances per family and size.
pub fn e4_brute_force(per_size: usize, h: &Harness) -> Result<Report<BruteForceRow>> {
    let sizes = [4usize, 8, 12, 16, 20];
    let cells: Vec<(usize, usize, usize)> = (0..FAMILIES.len())
        .flat_map(|f| sizes.iter().flat_map(move |&n| (0..per_size).map(move |k| (f, n, k))))
        .collect();
    let results = h.trials(cells.len(), |t| {
        let (family, n, k) = cells[t];
        let mut rng = stream_path(h.seed, &[crate::experiment::streams::ISING_E4, family as u64, n as u64, k as u64]);
        let m = random_instance(family, n, &mut rng)?;
        let (e0, _) = exact::ground_state(&m)?;
        let mut rows = Vec::new();
        for (si, name) in SOLVERS.iter().enumerate() {
            let solver = solver_by_name(name)?;
            let opts = SolveOptions {
                replicas: 16,
                steps: 1000,
                seed: h.seed ^ (t as u64) << 8 ^ si as u64,
                ..Default::default()
            };
            let row = BruteForceRow {
                family,
                n,
                instance: k,
                solver: name,
                exact_energy: e0,
                energy: f64::NAN,
                optimal: false,
                local_minimum: false,
                failure: None,
            };
            rows.push(match solve(&m, solver.as_ref(), &opts) {
                Ok(r) => BruteForceRow {
                    energy: r.energy,
                    optimal: r.energy == e0,
                    local_minimum: greedy::is_local_minimum(&m, &r.spins),
                    ..row
                },
                Err(crate::Error::Numerical(reason)) => BruteForceRow { failure: Some(reason), ..row },
                Err(e) => return Err(e),
            });
        }
        Ok(rows)
    })?;
    let rows: Vec<BruteForceRow> = results.into_iter().flatten().flatten().collect();
    let mut checks = Vec::new();
    for name in SOLVERS {
        let mine: Vec<&BruteForceRow> = rows.iter().filter(|r| r.solver == *name).collect();
        let below = mine.iter().filter(|r| r.energy < r.exact_energy).count();
        checks.push(Check::new(
            format!("{name}: never beats the exact optimum"),
            "0 cases",
            format!("{below} cases"),
            below == 0,
        ));
        let failed: Vec<String> = mine
            .iter()
            .filter(|r| r.failure.is_some())
            .map(|r| format!("{} n={} #{}", FAMILIES[r.family], r.n, r.instance))
            .collect();
        checks.push(Check::new(
            format!("{name}: no numerical failure"),
            "0 cases",
            if failed.is_empty() { "0 cases".to_string() } else { format!("{}: {}", failed.len(), failed.join("; ")) },
            failed.is_empty(),
        ));
        let hits = mine.iter().filter(|r| r.optimal).count();
        let rate = hits as f64 / mine.len().max(1) as f64;
        let need = match *name {
            "sa" => 1.0,
            "dsb" | "bsb" | "cac" => 0.95,
            _ => 0.90,
        };
        checks.push(Check::new(
            format!("{name}: optimum found"),
            format!("≥ {:.0} %", 100.0 * need),
            format!("{:.1} % ({hits}/{})", 100.0 * rate, mine.len()),
            rate >= need,
        ));
    }
    let greedy_ok = rows.iter().filter(|r| r.solver == "greedy").all(|r| r.local_minimum);
    checks.push(Check::new(
        "greedy returns 1-flip local minima",
        "all",
        if greedy_ok { "all" } else { "not all" },
        greedy_ok,
    ));
    Ok(Report { rows, checks })
}

/// One solver's determinism result in E5.
#[derive(Clone, Debug, Serialize)]
pub struct DeterminismRow {
    pub solver: &'static str,
    pub energy_1_thread: f64,
    pub energy_2_threads: f64,
    pub identical: bool,
    pub other_seed_differs: bool,
}

/// E5: the same seed and step budget give identical results (best spins, per-replica best and
/// final energies, work counters) on 1 and 2 threads, on a K2000-like graph with 200 vertices.
pub fn e5_determinism(h: &Harness) -> Result<Report<DeterminismRow>> {
    let g = io::k2000_like(200, h.seed)?;
    let m = g.to_ising(Backend::Auto)?;
    let mut rows = Vec::new();
    for name in SOLVERS {
        if h.interrupted() {
            break;
        }
        let solver = solver_by_name(name)?;
        let opts = SolveOptions { replicas: 8, steps: 300, runs: Some(2), seed: h.seed, ..Default::default() };
        let run = |threads: usize, opts: &SolveOptions| -> Result<solve::SolveResult> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| crate::Error::Numerical(format!("thread pool: {e}")))?;
            pool.install(|| solve(&m, solver.as_ref(), opts))
        };
        let a = run(1, &opts)?;
        let b = run(2, &opts)?;
        let short = SolveOptions { steps: 3, ..opts.clone() };
        let c = run(2, &short)?;
        let d = run(2, &SolveOptions { seed: h.seed.wrapping_add(1), ..short })?;
        rows.push(DeterminismRow {
            solver: name,
            energy_1_thread: a.energy,
            energy_2_threads: b.energy,
            identical: a.spins == b.spins
                && a.replica_best == b.replica_best
                && a.replica_final == b.replica_final
                && (a.best_replica, a.best_step, a.steps_done) == (b.best_replica, b.best_step, b.steps_done),
            other_seed_differs: c.replica_final != d.replica_final,
        });
    }
    let all_same = rows.iter().all(|r| r.identical);
    let seeds_differ = rows.iter().all(|r| r.other_seed_differs);
    let checks = vec![
        Check::new(
            "identical results at 1 and 2 threads",
            format!("{} solvers", SOLVERS.len()),
            format!("{} of {}", rows.iter().filter(|r| r.identical).count(), rows.len()),
            all_same && rows.len() == SOLVERS.len(),
        ),
        Check::new(
            "a different seed changes the trajectories",
            "all solvers",
            if seeds_differ { "all" } else { "not all" },
            seeds_differ,
        ),
    ];
    Ok(Report { rows, checks })
}

/// One instance of E9.
#[derive(Clone, Debug, Serialize)]
pub struct BoundRow {
    pub instance: String,
    pub n: usize,
    pub best_known: f64,
    /// Certified upper bound on every cut.
    pub upper_bound: f64,
    /// `upper_bound / best_known − 1`, in percent.
    pub bound_gap_percent: f64,
    /// The relaxation's objective at the last sweep.
    pub sdp_value: f64,
    /// Best hyperplane-rounded and 1-flip-polished cut.
    pub rounded_cut: f64,
    pub seconds: f64,
}

/// E9: the certified Goemans–Williamson bound (default settings, seed `h.seed`) of each
/// `(name, graph, best known cut)`: it must lie at or above the best-known cut, and the rounded
/// cut at or below the bound. Graphs above [`MAX_BOUND_NODES`] vertices are skipped.
pub fn e9_gw_bound(instances: &[(String, MaxCutGraph, f64)], h: &Harness) -> Result<Report<BoundRow>> {
    let eligible: Vec<_> = instances.iter().filter(|(_, g, _)| g.n <= MAX_BOUND_NODES).collect();
    let mut rows = Vec::new();
    for &(name, g, best) in &eligible {
        if h.interrupted() {
            break;
        }
        let start = std::time::Instant::now();
        let r = gw(g, &GwOptions { seed: h.seed, stop: h.stop.clone(), ..Default::default() })?;
        let ub = r.upper_bound.unwrap_or(f64::NAN);
        rows.push(BoundRow {
            instance: name.clone(),
            n: g.n,
            best_known: *best,
            upper_bound: ub,
            bound_gap_percent: 100.0 * (ub / best - 1.0),
            sdp_value: r.sdp_value,
            rounded_cut: r.cut,
            seconds: start.elapsed().as_secs_f64(),
        });
    }
    let done = rows.len() == eligible.len();
    let above = rows.iter().filter(|r| r.upper_bound >= r.best_known).count();
    let rounded_ok = rows.iter().filter(|r| r.rounded_cut <= r.upper_bound && r.rounded_cut <= r.best_known).count();
    let gaps: Vec<String> = rows.iter().map(|r| format!("{} {:.2} %", r.instance, r.bound_gap_percent)).collect();
    let checks = vec![
        Check::new(
            "certified bound ≥ best-known cut",
            format!("all {} instances", rows.len()),
            format!("{above} of {}", rows.len()),
            done && above == rows.len() && !rows.is_empty(),
        ),
        Check::new(
            "rounded + polished cut ≤ bound and ≤ best known",
            "all",
            format!("{rounded_ok} of {}", rows.len()),
            rounded_ok == rows.len(),
        ),
        Check::new("bound above the best known (reported)", "reported", gaps.join(", "), true),
    ];
    Ok(Report { rows, checks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_e4_and_e5_pass() {
        let h = Harness::new(5);
        let r = e4_brute_force(1, &h).unwrap();
        assert_eq!(r.rows.len(), 4 * 5 * SOLVERS.len());
        for c in &r.checks {
            assert!(c.pass, "{}: measured {}, expected {}", c.name, c.measured, c.expected);
        }
        let r = e5_determinism(&h).unwrap();
        for c in &r.checks {
            assert!(c.pass, "{}: measured {}, expected {}", c.name, c.measured, c.expected);
        }
    }

    #[test]
    fn e9_fails_when_a_claimed_best_cut_lies_above_the_bound() {
        // A 5-cycle: maximum cut 4, so the bound lies in [4, 5).
        let g = MaxCutGraph::new(5, (0..5).map(|i| (i, (i + 1) % 5, 1.0)).collect()).unwrap();
        let h = Harness::new(1);
        let ok = e9_gw_bound(&[("C5".into(), g.clone(), 4.0)], &h).unwrap();
        assert!(ok.checks.iter().all(|c| c.pass), "{:?}", ok.checks);
        assert!(ok.rows[0].upper_bound >= 4.0 && ok.rows[0].upper_bound < 5.0);
        let wrong = e9_gw_bound(&[("C5".into(), g, 5.0)], &h).unwrap();
        assert!(!wrong.checks[0].pass);
    }
}
