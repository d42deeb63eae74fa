//! Tests across the family: bundled G-set files, exact ground states against every solver,
//! thread-count and backend independence, stop rules.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::Rng;

use super::*;
use crate::engine::rng::stream;
use crate::engine::run::{StopFlag, StopReason};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/gset")
}

fn spins(rng: &mut impl Rng, n: usize) -> Vec<i8> {
    (0..n).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect()
}

#[test]
fn bundled_gset_files_match_the_reference_table() {
    let table = io::read_best_known(&data_dir().join("best_known.tsv")).unwrap();
    // n, m, W, negative edges, max degree, isolated vertices, c0 (spec §1.3 table).
    let reference = [
        ("G1", 800, 19176, 19176.0, 0, 67, 0, 0.0722),
        ("G11", 800, 1600, 34.0, 783, 4, 0, 0.2498),
        ("G43", 1000, 9990, 9990.0, 0, 36, 0, 0.1118),
    ];
    // Every bundled file has its row, so no bundled graph escapes these checks.
    for name in bundled_gset_names() {
        assert!(reference.iter().any(|r| r.0 == name), "{name}: bundled but not in the reference table");
    }
    for (name, n, m, w, neg, maxdeg, iso, c0) in reference {
        let path = data_dir().join(format!("{name}.txt"));
        let g = io::read_gset(&path).unwrap();
        assert_eq!((g.n, g.edges.len()), (n, m), "{name}");
        assert_eq!(g.total_weight(), w, "{name}");
        assert_eq!(g.edges.iter().filter(|e| e.2 < 0.0).count(), neg, "{name}");
        let mut deg = vec![0usize; g.n];
        for &(i, j, _) in &g.edges {
            deg[i as usize] += 1;
            deg[j as usize] += 1;
        }
        assert_eq!(*deg.iter().max().unwrap(), maxdeg, "{name}");
        assert_eq!(deg.iter().filter(|&&d| d == 0).count(), iso, "{name}");
        let row = io::lookup_best_known(&table, &path, &g).unwrap();
        assert_eq!((row.nodes, row.edges), (n, m));
        assert_eq!(g.to_ising(Backend::Auto).unwrap().j.backend(), Backend::Csr);
        let got = super::sb::c0_rule(&g.to_ising(Backend::Csr).unwrap());
        assert!((got - c0).abs() < 5e-5, "{name}: c0 {got}, table {c0}");
    }
}

/// The stems of the G-set files bundled in `data/gset`.
fn bundled_gset_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".txt").filter(|stem| stem.starts_with('G')).map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(!names.is_empty());
    names
}

#[test]
fn gset_identities_and_incremental_flips_are_exact() {
    for name in bundled_gset_names() {
        let g = io::read_gset(&data_dir().join(format!("{name}.txt"))).unwrap();
        let m = g.to_ising(Backend::Csr).unwrap();
        let q = g.to_qubo();
        let w = g.total_weight();
        let mut rng = stream(11, 0);
        // Spec E1: 1000 random spin vectors per file; the cut is symmetric under s → −s (h = 0).
        for _ in 0..1000 {
            let s = spins(&mut rng, g.n);
            let h = m.energy(&s);
            assert_eq!(g.cut(&s), (w - h) / 2.0, "{name}");
            let x: Vec<u8> = s.iter().map(|&v| u8::from(v > 0)).collect();
            assert_eq!(q.value(&x), -g.cut(&s), "{name}");
            let flipped: Vec<i8> = s.iter().map(|&v| -v).collect();
            assert_eq!(g.cut(&flipped), g.cut(&s), "{name}");
        }
        // 10⁴ single flips tracked incrementally against full recomputation.
        let mut s = spins(&mut rng, g.n);
        let mut f = m.local_fields(&s);
        let mut e = m.energy(&s);
        for t in 0..10_000 {
            let i = rng.random_range(0..g.n);
            e += 2.0 * f64::from(s[i]) * f[i];
            s[i] = -s[i];
            let d = 2.0 * f64::from(s[i]);
            m.j.row(i).for_each(|j, w| f[j] += d * w);
            if t % 1000 == 999 {
                assert_eq!(e, m.energy(&s));
                assert_eq!(f, m.local_fields(&s));
            }
        }
    }
}

/// Random instances of four families (complete ±1, Erdős–Rényi +1, ±1 torus, random h ≠ 0).
fn family_instance(family: usize, seed: u64, n: usize) -> IsingModel {
    let mut rng = stream(seed, family as u64);
    let mut pairs = Vec::new();
    let mut h = vec![0.0; n];
    match family {
        0 => {
            for i in 0..n as u32 {
                for j in i + 1..n as u32 {
                    pairs.push((i, j, if rng.random::<bool>() { 1.0 } else { -1.0 }));
                }
            }
        }
        1 => {
            for i in 0..n as u32 {
                for j in i + 1..n as u32 {
                    if rng.random_bool(0.3) {
                        pairs.push((i, j, -1.0)); // MaxCut weight +1
                    }
                }
            }
        }
        2 => {
            let side = 4;
            let rows = n / side;
            for r in 0..rows {
                for c in 0..side {
                    let i = (r * side + c) as u32;
                    let right = (r * side + (c + 1) % side) as u32;
                    let down = (((r + 1) % rows) * side + c) as u32;
                    for j in [right, down] {
                        if i < j && !pairs.iter().any(|p: &(u32, u32, f64)| p.0 == i && p.1 == j) {
                            pairs.push((i, j, if rng.random::<bool>() { 1.0 } else { -1.0 }));
                        } else if j < i && !pairs.iter().any(|p: &(u32, u32, f64)| p.0 == j && p.1 == i) {
                            pairs.push((j, i, if rng.random::<bool>() { 1.0 } else { -1.0 }));
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
    IsingModel::new(n, &pairs, h, 0.0, Backend::Auto).unwrap()
}

#[test]
fn every_solver_finds_the_exact_ground_state_on_small_instances() {
    let instances: Vec<IsingModel> = (0..4)
        .flat_map(|fam| [(8, 1), (12, 2), (16, 3), (20, 4)].map(|(n, seed)| family_instance(fam, seed, n)))
        .collect();
    let exact: Vec<f64> = instances.iter().map(|m| exact::ground_state(m).unwrap().0).collect();
    for name in SOLVERS {
        let solver = solver_by_name(name).unwrap();
        let mut found = 0;
        for (m, &e0) in instances.iter().zip(&exact) {
            let opts = SolveOptions { replicas: 16, steps: 1000, seed: 7, ..Default::default() };
            let r = solve(m, solver.as_ref(), &opts).unwrap();
            assert_eq!(r.energy, m.energy(&r.spins));
            assert!(r.energy >= e0, "{name}: energy {} below the exact minimum {e0}", r.energy);
            // The tracked best equals the recount (incremental energies are exact here).
            assert_eq!(r.replica_best[r.best_replica as usize], r.energy, "{name}");
            if r.energy == e0 {
                found += 1;
            }
        }
        assert_eq!(found, instances.len(), "{name} found {found} of {} ground states", instances.len());
    }
}

#[test]
fn greedy_returns_local_minima_and_polish_never_hurts() {
    let m = family_instance(3, 5, 30);
    let r = solve(&m, &Greedy, &SolveOptions { replicas: 4, steps: 3, ..Default::default() }).unwrap();
    assert!(greedy::is_local_minimum(&m, &r.spins));
    for name in ["bsb", "oim"] {
        let s = solver_by_name(name).unwrap();
        let plain = solve(&m, s.as_ref(), &SolveOptions { replicas: 4, steps: 50, ..Default::default() }).unwrap();
        let pol = solve(&m, s.as_ref(), &SolveOptions { replicas: 4, steps: 50, polish: true, ..Default::default() })
            .unwrap();
        assert!(pol.energy <= plain.energy);
        assert!(greedy::is_local_minimum(&m, &pol.spins));
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

#[test]
fn same_seed_same_result_at_one_and_two_threads_and_on_both_backends() {
    let g = io::k2000_like(60, 3).unwrap();
    let csr = g.to_ising(Backend::Csr).unwrap();
    let dense = g.to_ising(Backend::Dense).unwrap();
    for name in SOLVERS {
        let solver = solver_by_name(name).unwrap();
        let opts = SolveOptions { replicas: 6, steps: 200, runs: Some(2), seed: 42, ..Default::default() };
        let run = |m: &IsingModel, t: usize| pool(t).install(|| solve(m, solver.as_ref(), &opts).unwrap());
        let a = run(&csr, 1);
        let b = run(&csr, 2);
        let c = run(&dense, 2);
        for other in [&b, &c] {
            assert_eq!(a.spins, other.spins, "{name}");
            assert_eq!(a.energy, other.energy, "{name}");
            assert_eq!(a.replica_best, other.replica_best, "{name}");
            assert_eq!(a.replica_final, other.replica_final, "{name}");
            assert_eq!(
                (a.best_replica, a.best_step, a.steps_done),
                (other.best_replica, other.best_step, other.steps_done)
            );
        }
        assert_eq!(a.replica_best.len(), 12);
        assert_eq!(a.runs_done, 2);
        assert_eq!(a.stop, StopReason::MaxSteps);
        // Early in the run (before replicas converge to the same minima) seeds differ.
        let short = SolveOptions { steps: 3, ..opts.clone() };
        let d = pool(2).install(|| solve(&csr, solver.as_ref(), &short).unwrap());
        let e = pool(2).install(|| solve(&csr, solver.as_ref(), &SolveOptions { seed: 43, ..short }).unwrap());
        assert_ne!(d.replica_final, e.replica_final, "{name}: a different seed gave the same trajectories");
    }
}

#[test]
fn stop_rules() {
    let g = io::read_gset(&data_dir().join("G11.txt")).unwrap();
    let m = g.to_ising(Backend::Auto).unwrap();
    // Time limit with restarts: stops near the limit, reports the work done.
    let opts = SolveOptions {
        replicas: 2,
        steps: 1_000_000,
        time_limit: Some(Duration::from_millis(200)),
        ..Default::default()
    };
    let r = solve(&m, &Sa::default(), &opts).unwrap();
    assert_eq!(r.stop, StopReason::TimeLimit);
    assert!(r.wall_s < 5.0);
    assert!(r.steps_done > 0 && r.time_to_best_s <= r.wall_s);
    assert!(r.trace.windows(2).all(|w| w[0].0 <= w[1].0 && w[1].1 < w[0].1));
    assert_eq!(r.trace.last().unwrap().1, r.energy);
    // Target: a cut of 500 (best known 564) is reached quickly and stops the run.
    let target = -(2.0 * 500.0 - g.total_weight());
    let opts =
        SolveOptions { replicas: 2, steps: 1000, runs: Some(1000), target_energy: Some(target), ..Default::default() };
    let r = solve(&m, &Sa::default(), &opts).unwrap();
    assert_eq!(r.stop, StopReason::Target);
    assert!(g.cut(&r.spins) >= 500.0);
    // A raised flag stops at once, keeping the initial states.
    let stop = StopFlag::new();
    stop.raise();
    let r = solve(&m, &Sb::new(SbMode::Discrete, false), &SolveOptions { stop, ..Default::default() }).unwrap();
    assert_eq!(r.stop, StopReason::Interrupted);
    assert_eq!(r.runs_done, 1);
    // Invalid options are named errors.
    let e = solve(&m, &Greedy, &SolveOptions { replicas: 0, ..Default::default() }).unwrap_err();
    assert!(e.to_string().contains("replicas"));
    assert!(solver_by_name("nope").err().unwrap().to_string().contains("unknown solver"));
}

#[test]
fn readout_follows_signs_and_keeps_its_energy() {
    use super::solve::{sign, Readout};
    let mut rng = stream(21, 0);
    let n = 70;
    let mut pairs = Vec::new();
    for i in 0..n as u32 {
        for j in i + 1..n as u32 {
            if rng.random_bool(0.3) {
                pairs.push((i, j, rng.random_range(-1.0..1.0)));
            }
        }
    }
    let h: Vec<f64> = (0..n).map(|_| rng.random_range(-0.5..0.5)).collect();
    for backend in [Backend::Csr, Backend::Dense] {
        let m = IsingModel::new(n, &pairs, h.clone(), 0.25, backend).unwrap();
        let mut x: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut ro = Readout::new(&m, x.iter().map(|&v| sign(v)).collect());
        for step in 0..300 {
            // Move a random few coordinates across zero (and one to exactly ±0).
            for _ in 0..rng.random_range(0..12) {
                let i = rng.random_range(0..n);
                x[i] = -x[i] + rng.random_range(-0.1..0.1);
            }
            x[step % n] = if step % 2 == 0 { 0.0 } else { -0.0 };
            ro.follow(&m, &x);
            let s: Vec<i8> = x.iter().map(|&v| sign(v)).collect();
            assert_eq!(ro.s, s, "step {step}");
            let exact = m.energy(&s);
            assert!(
                (ro.energy() - exact).abs() < 1e-10 * exact.abs().max(1.0),
                "step {step}: {} vs {exact}",
                ro.energy()
            );
            let field = m.local_fields(&s);
            for ((a, b), hi) in ro.field.iter().zip(&field).zip(&h) {
                assert!((a + hi - b).abs() < 1e-10);
            }
        }
    }
}

#[test]
fn a_time_limit_fits_the_schedule_instead_of_cutting_it() {
    let g = io::read_gset(&data_dir().join("G11.txt")).unwrap();
    let m = g.to_ising(Backend::Auto).unwrap();
    let full = SolveOptions { replicas: 2, steps: 4000, seed: 5, ..Default::default() };
    let t = solve(&m, &Sa::default(), &full).unwrap().wall_s;
    // A quarter of one full run's time: a short measuring run, then schedules that fit.
    let limited = SolveOptions { time_limit: Some(Duration::from_secs_f64(t / 4.0)), ..full.clone() };
    let r = solve(&m, &Sa::default(), &limited).unwrap();
    assert_eq!(r.run_steps[0], PILOT_STEPS);
    assert!(r.run_steps.len() >= 2 && r.run_steps[1] < 4000, "run lengths {:?}", r.run_steps);
    assert_eq!(r.stop, StopReason::TimeLimit);
    // The first run is the completed shorter schedule at the same seed, so the time-limited
    // solve is never worse than it.
    let short = solve(&m, &Sa::default(), &SolveOptions { steps: PILOT_STEPS, ..full }).unwrap();
    assert!(r.energy <= short.energy, "{} against {}", r.energy, short.energy);
    assert!(g.cut(&r.spins) >= g.cut(&short.spins));
}
