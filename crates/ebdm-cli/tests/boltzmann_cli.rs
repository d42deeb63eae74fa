//! End-to-end tests of `ebdm boltzmann …`: bad input is a named error with exit code 2, and
//! train → eval → sample → resume work on a small IDX data set.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn ebdm() -> Command {
    let mut c = Command::cargo_bin("ebdm").unwrap();
    c.arg("--quiet");
    c
}

fn idx(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    dims.iter().for_each(|d| out.extend_from_slice(&d.to_be_bytes()));
    out.extend_from_slice(body);
    out
}

/// A directory with t10k images (count × 4 × 4, two alternating patterns with a moving pixel)
/// and `labels` labels.
fn dataset(dir: &Path, count: u32, labels: u32) -> PathBuf {
    let mut px = Vec::new();
    for i in 0..count {
        for p in 0..16u32 {
            let on = if i % 2 == 0 { p < 8 } else { p % 2 == 0 } || p == i % 16;
            px.push(if on { 255 } else { 0 });
        }
    }
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), idx(0x803, &[count, 4, 4], &px)).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), idx(0x801, &[labels], &vec![0; labels as usize])).unwrap();
    dir.to_path_buf()
}

fn fails_with(args: &[&str], needle: &str) {
    let out = ebdm().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "args {args:?}: stderr {err}");
    assert!(!err.contains("panicked"), "args {args:?} panicked: {err}");
    assert!(err.to_lowercase().contains(&needle.to_lowercase()), "args {args:?}: `{needle}` not in {err}");
}

#[test]
fn bad_input_is_a_named_error() {
    let tmp = tempfile::tempdir().unwrap();
    let good = dataset(&tmp.path().join("good").tap_mkdir(), 50, 50);
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let out = s(&tmp.path().join("out"));
    // Wrong magic.
    let bad = tmp.path().join("magic").tap_mkdir();
    dataset(&bad, 10, 10);
    std::fs::write(bad.join("t10k-images-idx3-ubyte"), idx(0x1234_5678, &[10, 4, 4], &[0; 160])).unwrap();
    fails_with(&["boltzmann", "train", "--data", &s(&bad), "--out", &out], "bad magic");
    // Truncated file.
    let trunc = tmp.path().join("trunc").tap_mkdir();
    dataset(&trunc, 10, 10);
    std::fs::write(trunc.join("t10k-images-idx3-ubyte"), idx(0x803, &[10, 4, 4], &[0; 100])).unwrap();
    fails_with(&["boltzmann", "train", "--data", &s(&trunc), "--out", &out], "truncated");
    // Label count differs from the image count.
    let mism = dataset(&tmp.path().join("mism").tap_mkdir(), 10, 9);
    fails_with(&["boltzmann", "train", "--data", &s(&mism), "--out", &out], "9 labels");
    // Parameters.
    fails_with(&["boltzmann", "train", "--data", &s(&good), "--hidden", "0", "--out", &out], "hidden");
    fails_with(&["boltzmann", "train", "--data", &s(&good), "--lr", "-0.1", "--out", &out], "learning_rate");
    fails_with(&["boltzmann", "train", "--data", &s(&good), "--algo", "xyz", "--out", &out], "--algo");
    fails_with(&["boltzmann", "train", "--data", &s(&good), "--resume", "--out", &out], "checkpoint");
    fails_with(
        &["boltzmann", "eval", "--model", &s(&good.join("t10k-labels-idx1-ubyte")), "--data", &s(&good)],
        "model",
    );
}

trait Mkdir {
    fn tap_mkdir(self) -> Self;
}
impl Mkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

#[test]
fn train_eval_sample_and_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let data = dataset(&tmp.path().join("d").tap_mkdir(), 200, 200);
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let run = tmp.path().join("run");
    let data_arg = s(&data);
    let train = |epochs: &str, extra: &[&str]| {
        let mut args = vec![
            "rbm", // the family's former command name stays an alias of `boltzmann`
            "train",
            "--data",
            data_arg.as_str(),
            "--hidden",
            "6",
            "--batch",
            "10",
            "--lr",
            "0.1",
            "--epochs",
            epochs,
        ];
        args.extend_from_slice(&["--out", run.to_str().unwrap()]);
        args.extend_from_slice(extra);
        ebdm().args(&args).assert().success();
    };
    train("2", &[]);
    for f in ["model.json", "checkpoint.json", "history.csv", "summary.json", "filters.png"] {
        assert!(run.join(f).exists(), "{f} missing");
    }
    let history = std::fs::read_to_string(run.join("history.csv")).unwrap();
    assert_eq!(history.lines().count(), 3, "{history}");
    // Resume to 4 epochs equals training 4 epochs at once.
    train("4", &["--resume"]);
    let resumed = std::fs::read_to_string(run.join("model.json")).unwrap();
    let fresh = tmp.path().join("fresh");
    ebdm()
        .args([
            "boltzmann",
            "train",
            "--data",
            &s(&data),
            "--hidden",
            "6",
            "--batch",
            "10",
            "--lr",
            "0.1",
            "--epochs",
            "4",
        ])
        .args(["--out", fresh.to_str().unwrap()])
        .assert()
        .success();
    let once = std::fs::read_to_string(fresh.join("model.json")).unwrap();
    let model = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap()["model"].clone();
    assert_eq!(model(&resumed), model(&once));
    // Evaluation: exact log Z for 6 hidden units.
    let out = ebdm()
        .args(["boltzmann", "eval", "--model", &s(&run.join("model.json")), "--data", &s(&data)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["log_partition"]["method"], "exact");
    assert!(v["log_partition"]["ll"].as_f64().unwrap() < 0.0);
    // AIS on the same model agrees with the exact value.
    let out = ebdm()
        .args(["boltzmann", "eval", "--model", &s(&run.join("model.json")), "--data", &s(&data), "--logz", "ais"])
        .args(["--schedule", "linear:2000"])
        .output()
        .unwrap();
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (exact, est) = (v["log_partition"]["log_z"].as_f64().unwrap(), a["log_partition"]["log_z"].as_f64().unwrap());
    assert!((exact - est).abs() < 0.1, "AIS {est} vs exact {exact}");
    // Sampling writes the grid and the array.
    let png = tmp.path().join("s.png");
    ebdm()
        .args([
            "boltzmann",
            "sample",
            "--model",
            &s(&run.join("model.json")),
            "--chains",
            "8",
            "--steps",
            "20",
            "--pt",
            "3",
        ])
        .args(["--out", png.to_str().unwrap()])
        .assert()
        .success();
    assert!(png.exists() && png.with_extension("npy").exists());
}
