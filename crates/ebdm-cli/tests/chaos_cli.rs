//! End-to-end tests of `ebdm chaos`: the reference values through the command line, JSON out,
//! bad input exits with 2.

use assert_cmd::Command;

fn ebdm() -> Command {
    let mut c = Command::cargo_bin("ebdm").unwrap();
    c.arg("--quiet");
    c
}

/// Each command exits with 2 and names the parameter in its message.
fn refused(cases: &[(&[&str], &str)]) {
    for &(args, msg) in cases {
        let out = ebdm().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let out = ebdm().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn dmft_and_static_theories_print_the_reference_values() {
    let v = json_of(&["chaos", "dmft", "--g", "2", "--json", "-"]);
    let r = &v["results"][0];
    assert!((r["c0"].as_f64().unwrap() - 1.92481).abs() < 1e-4);
    assert!((r["lambda_max"].as_f64().unwrap() - 0.11246).abs() < 1e-3);
    let v = json_of(&["chaos", "dmft", "--g", "1.5", "--sigma", "1", "--nodes", "61", "--json", "-"]);
    assert!(v["expansive_gain"].as_f64().unwrap() < v["critical_gain"].as_f64().unwrap());
    let v = json_of(&["chaos", "static", "--g", "0.5,0.9", "--gamma", "0.2", "--json", "-"]);
    let rows = v["results"].as_array().unwrap();
    assert!((rows[0]["r_int"].as_f64().unwrap() - 1.05573).abs() < 1e-5);
    assert!((rows[1]["c"].as_f64().unwrap() - 0.0769).abs() < 1e-3);
    assert!(rows[1]["r_ell"].is_null());
}

#[test]
fn bad_parameters_exit_with_2() {
    refused(&[
        (&["chaos", "dmft", "--g", "0"][..], "`g`"),
        (&["chaos", "dmft", "--sigma", "-1"], "`sigma`"),
        (&["chaos", "static", "--gamma", "-1.5"], "`gamma`"),
        (&["chaos", "static", "--response", "exact"], "unknown response"),
    ]);
}

#[test]
fn lyapunov_exponents_are_seeded_and_the_same_at_any_thread_count() {
    let args = [
        "chaos",
        "lyapunov",
        "--n",
        "100",
        "--g",
        "0.5,2",
        "--networks",
        "3",
        "--transient",
        "20",
        "--time",
        "300",
        "--twin",
        "--json",
        "-",
    ];
    let one = json_of(&[&["--threads", "1"][..], &args[..]].concat());
    let two = json_of(&[&["--threads", "2"][..], &args[..]].concat());
    assert_eq!(one["results"], two["results"]);
    let ordered = &one["results"][0];
    assert_eq!(ordered["theory"], -0.5);
    assert!(ordered["lambda_mean"].as_f64().unwrap() < -0.2, "{ordered}");
    let chaotic = &one["results"][1];
    assert_eq!(chaotic["networks"].as_array().unwrap().len(), 3);
    assert!(
        (chaotic["lambda_mean"].as_f64().unwrap() - chaotic["twin_mean"].as_f64().unwrap()).abs() < 0.02,
        "{chaotic}"
    );
    refused(&[
        (&["chaos", "lyapunov", "--n", "0"], "`n`"),
        (&["chaos", "lyapunov", "--dt", "-0.1"], "`dt`"),
        (&["chaos", "lyapunov", "--sigma", "-1"], "`sigma`"),
    ]);
}

#[test]
fn spectra_are_seeded_the_same_at_any_thread_count_and_keep_their_invariants() {
    let args = [
        "chaos",
        "spectrum",
        "--n",
        "64",
        "--g",
        "4",
        "--networks",
        "2",
        "--transient",
        "20",
        "--ons-warmup",
        "10",
        "--time",
        "50",
        "--json",
        "-",
    ];
    let one = json_of(&[&["--threads", "1"][..], &args[..]].concat());
    let two = json_of(&[&["--threads", "2"][..], &args[..]].concat());
    assert_eq!(one["networks"], two["networks"]);
    assert_eq!(one["mode"], "ode");
    let nets = one["networks"].as_array().unwrap();
    assert_eq!(nets.len(), 2);
    for net in nets {
        let l: Vec<f64> =
            net["spectrum"]["exponents"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(l.len(), 64);
        // Liouville: the flow's exponents sum to −N (zero diagonal), RK4 to O(dt⁴).
        assert!((l.iter().sum::<f64>() / 64.0 + 1.0).abs() < 1e-5);
    }
    let map =
        json_of(&["chaos", "spectrum", "--n", "32", "--k", "4", "--mode", "euler-map", "--time", "20", "--json", "-"]);
    assert_eq!(map["mode"], "euler-map");
    assert_eq!(map["networks"][0]["spectrum"]["exponents"].as_array().unwrap().len(), 4);
    refused(&[
        (&["chaos", "spectrum", "--k", "0"][..], "`k`"),
        (&["chaos", "spectrum", "--n", "8", "--k", "9"], "`k`"),
        (&["chaos", "spectrum", "--mode", "map"], "euler-map"),
        (&["chaos", "spectrum", "--t-ons", "0.01"], "`t_ons`"),
        (&["chaos", "spectrum", "--n", "0"], "`n`"),
        (&["chaos", "spectrum", "--g", "-1"], "`g`"),
        (&["chaos", "spectrum", "--gamma", "2"], "`gamma`"),
    ]);
}

#[test]
fn langevin_on_the_quasi_potential_is_seeded_and_refuses_bad_steps() {
    let args = [
        "chaos", "langevin", "--n", "60", "--g", "0.5", "--beta", "50", "--time", "40", "--anneal", "0", "--window",
        "20", "--chains", "2", "--json", "-",
    ];
    let one = json_of(&[&["--threads", "1"][..], &args[..]].concat());
    let two = json_of(&[&["--threads", "2"][..], &args[..]].concat());
    assert_eq!(one["networks"], two["networks"]);
    let chains = one["networks"][0]["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 2);
    refused(&[
        (&["chaos", "langevin", "--dt", "1"][..], "`dt`"),
        (&["chaos", "langevin", "--beta", "0"], "`beta`"),
        (&["chaos", "langevin", "--chains", "0"], "`chains`"),
        (&["chaos", "langevin", "--eta", "-1"], "`eta`"),
        (&["chaos", "langevin", "--g", "nan"], "`g`"),
    ]);
}

#[test]
fn autocorrelation_is_seeded_and_refuses_lags_longer_than_the_run() {
    let args = [
        "chaos",
        "autocorrelation",
        "--n",
        "120",
        "--g",
        "2",
        "--transient",
        "20",
        "--time",
        "60",
        "--lag-max",
        "5",
        "--json",
        "-",
    ];
    let one = json_of(&[&["--threads", "1"][..], &args[..]].concat());
    let two = json_of(&[&["--threads", "2"][..], &args[..]].concat());
    assert_eq!(one["networks"], two["networks"]);
    let c = one["networks"][0]["c"].as_array().unwrap();
    assert_eq!(c.len(), 51);
    assert_eq!(c[0], one["networks"][0]["c0"]);
    assert!((one["dmft"]["c0"].as_f64().unwrap() - 1.92481).abs() < 1e-4);
    refused(&[
        (&["chaos", "autocorrelation", "--time", "10", "--lag-max", "20"][..], "`lag_max`"),
        (&["chaos", "autocorrelation", "--lag-step", "0"], "`lag_step`"),
        (&["chaos", "autocorrelation", "--n", "0"], "`n`"),
        (&["chaos", "autocorrelation", "--g", "-2"], "`g`"),
    ]);
}

#[test]
fn fixed_points_are_roots_the_same_at_any_thread_count() {
    let args = ["chaos", "fixed-points", "--n", "80", "--g", "2", "--starts", "8", "--coordinates", "--json", "-"];
    let one = json_of(&[&["--threads", "1"][..], &args[..]].concat());
    let two = json_of(&[&["--threads", "2"][..], &args[..]].concat());
    assert_eq!(one["networks"], two["networks"]);
    let net = &one["networks"][0];
    assert_eq!(net["starts"], 8);
    for p in net["points"].as_array().unwrap() {
        let e = p["energy"].as_f64().unwrap();
        match p["kind"].as_str().unwrap() {
            "fixed" => assert!(e < 1e-18, "{p}"),
            "slow" => assert!(e > 0.0, "{p}"),
            other => panic!("{other}"),
        }
        assert_eq!(p["x"].as_array().unwrap().len(), 80);
    }
    refused(&[
        (&["chaos", "fixed-points", "--from", "grid"][..], "`from`"),
        (&["chaos", "fixed-points", "--starts", "0"], "`starts`"),
        (&["chaos", "fixed-points", "--tol", "0"], "`tol`"),
        (&["chaos", "fixed-points", "--gamma", "1.5"], "`gamma`"),
    ]);
}
