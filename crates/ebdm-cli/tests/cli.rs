//! End-to-end tests of the `ebdm` binary: bad input gives a clear message and exit code 2,
//! never a panic; commands write what they promise.

use std::path::Path;

use assert_cmd::Command;

fn ebdm() -> Command {
    let mut c = Command::cargo_bin("ebdm").unwrap();
    c.arg("--quiet");
    c
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs the command, expects exit code 2, no panic, and `needle` in the error message.
fn fails_with(args: &[&str], needle: &str) {
    let out = ebdm().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "args {args:?}: stderr {err}");
    assert!(!err.contains("panicked"), "args {args:?} panicked: {err}");
    assert!(err.to_lowercase().contains(&needle.to_lowercase()), "args {args:?}: `{needle}` not in {err}");
}

#[test]
fn bad_pattern_files_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ragged = write(dir.path(), "ragged.txt", "1 -1 1\n1 -1\n");
    let not_pm = write(dir.path(), "notpm.txt", "1 -1 1\n1 0 1\n");
    let junk = write(dir.path(), "junk.txt", "1 -1 x\n");
    let empty = write(dir.path(), "empty.txt", "# nothing\n");
    let bad_npy = write(dir.path(), "bad.npy", "not an npy file");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    fails_with(&["memory", "retrieve", "--patterns", &s(&ragged)], "line 2");
    fails_with(&["memory", "retrieve", "--patterns", &s(&not_pm)], "not ±1");
    fails_with(&["memory", "retrieve", "--patterns", &s(&junk)], "x");
    fails_with(&["memory", "retrieve", "--patterns", &s(&empty)], "no data");
    fails_with(&["memory", "retrieve", "--patterns", &s(&bad_npy)], "bad.npy");
    fails_with(&["memory", "retrieve", "--patterns", "/nonexistent/p.txt"], "/nonexistent/p.txt");
    fails_with(&["memory", "retrieve", "--mnist", "/nonexistent"], "nonexistent");
    // The system's reason appears once, not again as the error's source.
    let out = ebdm().args(["maxcut", "/nonexistent/G1.txt"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.starts_with("error: /nonexistent/G1.txt: "), "{err}");
    assert_eq!(err.matches("(os error").count(), 1, "{err}");
}

#[test]
fn bad_parameters_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.txt", "1 -1 1 1\n-1 -1 1 -1\n");
    let ps = p.to_str().unwrap();
    fails_with(&["memory", "retrieve", "--patterns", ps, "--mode", "glauber", "--beta", "NaN"], "beta");
    fails_with(&["memory", "retrieve", "--patterns", ps, "--rho", "NaN"], "rho");
    fails_with(&["memory", "retrieve", "--patterns", ps, "--rho", "1.5"], "rho");
    fails_with(&["memory", "retrieve", "--patterns", ps, "--max-sweeps", "0"], "max_sweeps");
    fails_with(&["memory", "capacity", "--neurons", "0", "--trials", "1"], "neurons");
    fails_with(&["memory", "capacity", "--neurons", "100", "--alphas", "nan", "--trials", "1"], "alphas");
    fails_with(&["memory", "recall", "--neurons", "0"], "neurons");
    fails_with(&["memory", "graded", "--gain=-1"], "gain");
    fails_with(&["memory", "capacity", "--neurons", "abc"], "invalid value");
    fails_with(&["reproduce", "memory/E99"], "unknown experiment");
    let cues = write(dir.path(), "c.txt", "1 -1 1\n");
    fails_with(&["memory", "retrieve", "--patterns", ps, "--cues", cues.to_str().unwrap()], "length");
}

#[test]
fn retrieve_writes_states_json_and_trace() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.txt", "+-+-++--+-+-++--\n++++----++++----\n");
    let out = dir.path().join("states.npy");
    let json = dir.path().join("summary.json");
    let trace = dir.path().join("trace.csv");
    ebdm()
        .args(["memory", "retrieve", "--patterns", p.to_str().unwrap(), "--rule", "pinv", "--rho", "0.0"])
        .args(["--out", out.to_str().unwrap(), "--json", json.to_str().unwrap(), "--trace", trace.to_str().unwrap()])
        .assert()
        .success();
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["exact_recalls"], 2);
    assert_eq!(summary["meta"]["seed"], 0);
    assert!(std::fs::read_to_string(&trace).unwrap().starts_with("cue,sweep,energy"));
    assert!(std::fs::metadata(&out).unwrap().len() > 0);
}

#[test]
fn same_seed_same_output_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str, sub: &str| {
        let out = dir.path().join(sub);
        ebdm()
            .args([
                "--threads",
                threads,
                "--seed",
                "3",
                "memory",
                "capacity",
                "--neurons",
                "200",
                "--alphas",
                "0.1,0.2",
                "--trials",
                "6",
            ])
            .args(["--out", out.to_str().unwrap()])
            .assert()
            .success();
        std::fs::read_to_string(out.join("capacity_trials.csv")).unwrap()
    };
    assert_eq!(run("1", "a"), run("2", "b"));
}

#[test]
fn reproduce_lists_namespaced_ids() {
    let out = ebdm().args(["reproduce", "--list"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for id in ["memory/E1", "memory/E2", "memory/E3", "memory/E4", "memory/E6", "memory/E8", "memory/E10"] {
        assert!(text.contains(id));
    }
}

#[test]
fn reproduce_finds_bundled_data_from_any_directory_and_writes_the_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ebdm()
        .current_dir(dir.path())
        .args(["reproduce", "proximal/A12", "--quiet", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("proximal_A12/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["passed"], true);
    assert_eq!(summary["checks"].as_array().unwrap().len(), 1);
    assert_eq!(summary["meta"]["seed"], 0);
    // A data directory that lacks the set is named in the error, with exit code 2.
    let got = ebdm()
        .current_dir(dir.path())
        .args(["reproduce", "proximal/A11", "--quiet", "--data", "/nonexistent-data"])
        .output()
        .unwrap();
    assert_eq!(got.status.code(), Some(2));
    let err = String::from_utf8_lossy(&got.stderr);
    assert!(err.contains("/nonexistent-data/mnist") && err.contains("EBDM_DATA"), "{err}");
    fails_with(&["reproduce", "memory/E99"], "unknown experiment `memory/E99`");
}

#[test]
fn dense_memory_retrieves_and_rejects_bad_separations() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.txt", "+-+-++--+-+-++--\n++++----++++----\n+--+-++-+--+-++-\n");
    let ps = p.to_str().unwrap();
    let json = dir.path().join("dam.json");
    ebdm()
        .args([
            "memory",
            "dam",
            "--patterns",
            ps,
            "--separation",
            "exp",
            "--rho",
            "0.125",
            "--json",
            json.to_str().unwrap(),
        ])
        .assert()
        .success();
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["exact_recalls"], 3);
    fails_with(&["memory", "dam", "--patterns", ps, "--separation", "poly:1"], "degree");
    fails_with(&["memory", "dam", "--patterns", ps, "--separation", "lse:-2"], "beta");
    fails_with(&["memory", "dam", "--patterns", ps, "--separation", "cubic"], "unknown separation");
    fails_with(&["memory", "dam", "--patterns", ps, "--update", "sideways"], "update");
}

#[test]
fn modern_hopfield_retrieves_generated_queries() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("m.json");
    ebdm()
        .args(["memory", "modern", "--dim", "64", "--count", "32", "--flip", "0.1", "--beta", "1", "--steps", "2"])
        .args(["--json", json.to_str().unwrap()])
        .assert()
        .success();
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["sign_recovered"], 32);
    fails_with(&["memory", "modern", "--beta", "0"], "beta");
    fails_with(&["memory", "modern", "--steps", "0"], "steps");
    fails_with(&["memory", "modern", "--dim", "0"], "neurons");
}

#[test]
fn lagrangian_memory_retrieves_and_rejects_bad_lagrangians() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("l.json");
    ebdm()
        .args(["memory", "lagrangian", "--count", "20", "--dim", "32", "--flip", "0.1", "--json"])
        .arg(&json)
        .arg("--trace")
        .arg(dir.path().join("trace"))
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["sign_recovered"], 20);
    let energies = std::fs::read_to_string(dir.path().join("trace/energy_traces.csv")).unwrap();
    assert!(energies.lines().count() > 20);
    fails_with(&["memory", "lagrangian", "--hidden", "cosh"], "unknown Lagrangian");
    fails_with(&["memory", "lagrangian", "--hidden", "softmax:beta=0"], "beta");
    fails_with(&["memory", "lagrangian", "--visible", "repu:n=1"], "`n`");
    fails_with(&["memory", "lagrangian", "--tau-visible", "0", "--tau-hidden", "0"], "tau");
    fails_with(&["memory", "lagrangian", "--dt=-1"], "dt");
    fails_with(&["memory", "lagrangian", "--count", "0"], "");
}

#[test]
fn classify_trains_evaluates_and_rejects_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let m = model.to_str().unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist");
    let args = ["--data", root, "--train-count", "300", "--test-count", "100", "--epochs", "2", "--batch", "100"];
    let out = ebdm().args(["memory", "classify", "train"]).args(args).args(["--n", "3", "--out", m]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["m.json", "m_history.csv"] {
        assert!(dir.path().join(f).exists(), "{f} missing");
    }
    let history = std::fs::read_to_string(dir.path().join("m_history.csv")).unwrap();
    assert_eq!(history.lines().count(), 3);
    let text = std::fs::read_to_string(&model).unwrap();
    assert!(text.contains("ebdm-dense-classifier") && text.contains("\"degree\": 3"));
    let out = ebdm()
        .args(["memory", "classify", "evaluate", "--model", m, "--data", root, "--heldout"])
        .args(["--train-count", "300", "--test-count", "100"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!((0.0..=1.0).contains(&err));
    let train = ["memory", "classify", "train", "--data", root, "--epochs", "1", "--out", m];
    fails_with(&[&train[..], &["--n", "0"]].concat(), "degree");
    fails_with(&[&train[..], &["--m", "0"]].concat(), "loss_power");
    fails_with(&[&train[..], &["--memories", "0"]].concat(), "memories");
    fails_with(&[&train[..], &["--temperature", "0"]].concat(), "temperature");
    fails_with(&[&train[..], &["--momentum", "1.5"]].concat(), "momentum");
    fails_with(&[&train[..], &["--precision", "f16"]].concat(), "precision");
    fails_with(&["memory", "classify", "train", "--data", "/nonexistent", "--out", m], "nonexistent");
    fails_with(&["memory", "classify", "evaluate", "--model", "/nonexistent/m.json"], "nonexistent");
}

#[test]
fn sizes_beyond_the_machine_are_named_errors_in_every_family() {
    let dir = tempfile::tempdir().unwrap();
    let big = write(dir.path(), "big.txt", "200000 1\n1 2 1\n");
    let mnist = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist");
    // memory
    fails_with(&["memory", "capacity", "--neurons", "100000000", "--trials", "5"], "`neurons` too large");
    fails_with(&["memory", "modern", "--dim", "1000000", "--count", "1000000"], "`patterns` too large");
    // ising
    fails_with(&["maxcut", big.to_str().unwrap(), "--backend", "dense"], "`n` too large");
    // boltzmann
    fails_with(
        &["boltzmann", "train", "--data", mnist, "--hidden", "100000000000", "--epochs", "1"],
        "`hidden` too large",
    );
    // proximal
    fails_with(&["proximal", "code", "--mnist", mnist, "--atoms", "100000000000"], "`atoms` too large");
}
