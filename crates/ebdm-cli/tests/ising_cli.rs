//! End-to-end tests of `ebdm maxcut | ising | qubo | gen`: results recounted from the JSON,
//! malformed files give exit code 2 and a message naming the line.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn ebdm() -> Command {
    let mut c = Command::cargo_bin("ebdm").unwrap();
    c.arg("--quiet");
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json_of(args: &[&str]) -> Value {
    let out = ebdm().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn cut_of(file: &Path, spins: &[i64]) -> f64 {
    let text = std::fs::read_to_string(file).unwrap();
    let mut cut = 0.0;
    for line in text.lines().skip(1) {
        let t: Vec<&str> = line.split_whitespace().collect();
        let (i, j, w): (usize, usize, f64) = (t[0].parse().unwrap(), t[1].parse().unwrap(), t[2].parse().unwrap());
        if spins[i - 1] != spins[j - 1] {
            cut += w;
        }
    }
    cut
}

#[test]
fn maxcut_json_is_consistent_and_reproducible() {
    let g11 = repo().join("data/gset/G11.txt");
    let bk = repo().join("data/gset/best_known.tsv");
    let args = [
        "--seed",
        "3",
        "maxcut",
        g11.to_str().unwrap(),
        "--solver",
        "dsb",
        "--replicas",
        "4",
        "--steps",
        "500",
        "--best-known",
        bk.to_str().unwrap(),
        "--json",
        "-",
    ];
    let a = json_of(&args);
    let spins: Vec<i64> = a["spins"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(spins.len(), 800);
    let cut = a["cut"].as_f64().unwrap();
    assert_eq!(cut, cut_of(&g11, &spins));
    assert_eq!(cut, (34.0 - a["energy"].as_f64().unwrap()) / 2.0);
    assert_eq!(a["instance"]["best_known"].as_f64(), Some(564.0));
    let gap = a["gap_percent"].as_f64().unwrap();
    assert!((gap - 100.0 * (564.0 - cut) / 564.0).abs() < 1e-9);
    assert_eq!(a["stop_reason"], "max_steps");
    assert_eq!(a["backend"], "csr");
    let mut threads1 = vec!["--threads", "1"];
    threads1.extend_from_slice(&args);
    let b = json_of(&threads1);
    assert_eq!(a["spins"], b["spins"]);
    assert_eq!(a["best_replica"], b["best_replica"]);
}

#[test]
fn ising_and_qubo_files_and_generator() {
    let dir = tempfile::tempdir().unwrap();
    // H = −s1 s2 + 2 s2 s3 − s1 (canonical J_12 = 1, J_23 = −2, h_1 = 1): minimum −4.
    let ising = dir.path().join("m.txt");
    std::fs::write(&ising, "ising 3\n1 2 1\n2 3 -2\n1 1 1\n").unwrap();
    let r = json_of(&["ising", ising.to_str().unwrap(), "--solver", "sa", "--steps", "50", "--json", "-"]);
    assert_eq!(r["energy"].as_f64(), Some(-4.0));
    // f = 3 x1 + x2 − 4 x1 x2 − 1: values 00 → −1, 10 → 2, 01 → 0, 11 → −1; minimum −1.
    let qubo = dir.path().join("q.txt");
    std::fs::write(&qubo, "qubo 2\n1 1 3\n2 2 1\n1 2 -4\noffset -1\n").unwrap();
    let r = json_of(&["qubo", qubo.to_str().unwrap(), "--solver", "greedy", "--steps", "5", "--json", "-"]);
    assert_eq!(r["qubo_value"].as_f64(), Some(-1.0));
    assert_eq!(r["energy"].as_f64(), Some(-1.0));
    let k = dir.path().join("k.txt");
    ebdm().args(["--seed", "1", "gen", "k2000-like", "--n", "30", "-o", k.to_str().unwrap()]).assert().success();
    let r = json_of(&["maxcut", k.to_str().unwrap(), "--solver", "sa", "--steps", "200", "--json", "-"]);
    assert_eq!(r["backend"], "dense");
    assert_eq!(r["instance"]["m"].as_u64(), Some(435));
    // The certified Goemans–Williamson bound lies above the cut found.
    let r = json_of(&["maxcut", k.to_str().unwrap(), "--solver", "sa", "--steps", "200", "--bound", "--json", "-"]);
    let (cut, ub) = (r["cut"].as_f64().unwrap(), r["upper_bound"].as_f64().unwrap());
    assert!(ub >= cut && r["sdp_value"].as_f64().unwrap() <= ub + 1e-9, "{cut} vs {ub}");
    assert!(r["gw_rounded_cut"].as_f64().unwrap() <= ub);
    // Repeated solves to a target: success counts and TTS(99 %).
    let r = json_of(&[
        "maxcut",
        k.to_str().unwrap(),
        "--steps",
        "200",
        "--target",
        &cut.to_string(),
        "--repeat",
        "5",
        "--json",
        "-",
    ]);
    let tts = &r["tts"];
    assert_eq!(tts["repeats"].as_array().unwrap().len(), 5);
    let p = tts["success_probability"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p));
    assert_eq!(tts["tts99_s"].is_null(), p == 0.0);
    let out = ebdm().args(["maxcut", k.to_str().unwrap(), "--repeat", "3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = ebdm().args(["ising", ising.to_str().unwrap(), "--bound"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("maxcut only"));
}

#[test]
fn malformed_files_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (text, needle) in [
        ("3 2\n1 2 1\n", "declares 2 edges"),
        ("3 1\n1 4 1\n", "line 2: vertex id 4 out of range"),
        ("3 1\n2 2 1\n", "line 2: self-loop"),
        ("3 2\n1 2 1\n2 1 1\n", "line 3: duplicate edge"),
        ("3 1\n1 2 x\n", "line 2: weight `x`"),
        ("3\n", "line 1: header"),
    ] {
        let f = dir.path().join("bad.txt");
        std::fs::write(&f, text).unwrap();
        let out = ebdm().args(["maxcut", f.to_str().unwrap()]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {err}");
        assert!(!err.contains("panicked") && err.contains(needle), "{text:?}: `{needle}` not in {err}");
    }
    let g = repo().join("data/gset/G11.txt");
    for (args, needle) in [
        (vec!["--solver", "nope"], "unknown solver"),
        (vec!["--replicas", "0"], "replicas"),
        (vec!["--backend", "gpu"], "backend"),
        (vec!["--time-limit", "5 parsecs"], "unit"),
    ] {
        let mut a = vec!["maxcut", g.to_str().unwrap()];
        a.extend(args);
        let out = ebdm().args(&a).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{a:?}: {err}");
        assert!(err.contains(needle), "{a:?}: `{needle}` not in {err}");
    }
}

#[test]
fn cim_solvers_and_the_sbpy2_preset() {
    let g11 = repo().join("data/gset/G11.txt");
    let g = g11.to_str().unwrap();
    for (solver, preset) in [("cac", "goto2021"), ("ahc", "goto2021"), ("dsb", "sbpy2"), ("hbsb", "sbpy2")] {
        let args =
            ["maxcut", g, "--solver", solver, "--preset", preset, "--replicas", "2", "--steps", "300", "--json", "-"];
        let a = json_of(&args);
        let spins: Vec<i64> = a["spins"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        assert_eq!(a["cut"].as_f64().unwrap(), cut_of(&g11, &spins), "{solver}");
        let params = &a["solver"]["params"];
        match solver {
            // β = 3N / Σ|J| on a ±1 graph with 3200 stored entries (1600 edges).
            "cac" => assert!((params["beta"].as_f64().unwrap() - 3.0 * 800.0 / 3200.0).abs() < 1e-12),
            "ahc" => assert_eq!(params["epsilon"].as_f64(), Some(0.07)),
            _ => {
                assert_eq!(params["preset"], "sbpy2");
                assert_eq!(params["dt"].as_f64(), Some(0.1));
            }
        }
    }
    let out = ebdm().args(["maxcut", g, "--solver", "cac", "--preset", "sbpy2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("preset"));
    let out = ebdm().args(["maxcut", g, "--solver", "dsb", "--preset", "fast"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown preset"));
}
