//! End-to-end checks of `ebdm sparse`: solving from files, JSON output, and named errors.

use std::path::Path;

use assert_cmd::Command;

fn ebdm() -> Command {
    let mut c = Command::cargo_bin("ebdm").unwrap();
    c.arg("--quiet");
    c
}

fn fails_with(args: &[&str], needle: &str) {
    let out = ebdm().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: stderr {err}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(err.to_lowercase().contains(&needle.to_lowercase()), "{args:?}: stderr {err:?} lacks {needle:?}");
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn lasso_from_files_writes_the_solution_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    // y = 2·x₁ exactly; with a small λ the solution is close to (2, 0).
    let x = write(dir.path(), "X.txt", "1 0\n0 1\n1 1\n2 0\n");
    let y = write(dir.path(), "y.txt", "2\n0\n2\n4\n");
    let out = dir.path().join("w.npy");
    let summary = dir.path().join("s.json");
    ebdm()
        .args(["proximal", "lasso", "--data", x.to_str().unwrap(), "--target", y.to_str().unwrap(), "--lambda", "0.01"])
        .args(["--tol", "1e-12", "--out", out.to_str().unwrap(), "--json", summary.to_str().unwrap()])
        .assert()
        .success();
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["problem"]["convention"], "ml");
    assert_eq!(s["solver"], "cd");
    assert!(s["duality_gap"].as_f64().unwrap() <= 1e-12 * s["objective"].as_f64().unwrap());
    let w = ebdm::data::matrix::read_matrix(&out).unwrap();
    assert_eq!((w.rows, w.cols), (2, 1));
    assert!((w.data[0] - 2.0).abs() < 0.05 && w.data[1].abs() < 0.05, "{:?}", w.data);
}

#[test]
fn bad_sparse_input_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let x = write(dir.path(), "X.txt", "1 0\n0 1\n1 1\n");
    let y = write(dir.path(), "y.txt", "2\n0\n");
    let nan = write(dir.path(), "nan.txt", "1 nan\n0 1\n");
    let y2 = write(dir.path(), "y2.txt", "1\n2\n");
    let (xs, ys) = (x.to_str().unwrap(), y.to_str().unwrap());
    fails_with(&["proximal", "lasso", "--data", xs, "--target", ys], "rows");
    fails_with(&["proximal", "lasso", "--lambda", "-1"], "lambda");
    fails_with(&["proximal", "lasso", "--penalty", "simplex", "--radius", "0"], "z");
    fails_with(&["proximal", "lasso", "--penalty", "box", "--lo", "1", "--hi", "0"], "empty");
    fails_with(&["proximal", "lasso", "--solver", "pgd", "--dt", "1.5"], "Euler step");
    fails_with(&["proximal", "lasso", "--data", nan.to_str().unwrap(), "--target", y2.to_str().unwrap()], "NaN");
    fails_with(&["proximal", "phase-curve", "--delta", "1.5"], "delta");
}

#[test]
fn phase_grid_writes_the_points_and_the_diagram() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("phase");
    ebdm()
        .args(["proximal", "phase", "--signal", "60", "--deltas", "0.3,0.6", "--fractions", "0.7,1.3", "--trials", "3"])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("phase.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
    let font = std::env::var_os("EBDM_FONT").is_some()
        || Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists();
    if font {
        assert!(out.join("phase_diagram.png").exists() && out.join("phase_diagram.svg").exists());
    }
}
