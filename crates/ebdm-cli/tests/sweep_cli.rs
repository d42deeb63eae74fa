//! End-to-end tests of `ebdm sweep`: shards merge to the bytes of one run at any thread count, a
//! killed or interrupted run resumes without redoing or losing tasks, bad input exits with 2.

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn ebdm() -> Command {
    let mut c = Command::cargo_bin("ebdm").unwrap();
    c.arg("--quiet");
    c
}

fn ok(args: &[&str], cwd: &Path) -> String {
    let out = ebdm().args(args).current_dir(cwd).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str], cwd: &Path) -> String {
    let out = ebdm().args(args).current_dir(cwd).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

const RECALL: &str = "study = \"memory/recall\"\nseed = 3\nreplicates = 2\n[fixed]\nneurons = 100\n\
                      [grid]\nrule = [\"hebb\", \"pinv\"]\npatterns = [5, 10, 20]\n";

/// Slow enough tasks (a few tenths of a second each) to be caught mid-way.
const MAXCUT: &str = "study = \"ising/maxcut\"\nreplicates = 6\n[fixed]\ngraph = \"G1\"\nreplicas = 1\n\
                      [grid]\nsteps = [20000]\n";

#[test]
fn shards_merge_to_the_bytes_of_one_run_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), RECALL).unwrap();
    ok(&["--threads", "1", "sweep", "run", "s.toml", "--out", "one"], d);
    ok(&["sweep", "merge", "s.toml", "--out", "one"], d);
    for i in 1..=3 {
        ok(&["--threads", "2", "sweep", "run", "s.toml", "--out", "split", "--shard", &format!("{i}/3")], d);
    }
    let status = ok(&["sweep", "status", "s.toml", "--out", "split", "--json"], d);
    let st: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!((st["tasks"].as_u64(), st["done"].as_u64()), (Some(12), Some(12)));
    assert_eq!(st["shards"].as_array().unwrap().len(), 3);
    ok(&["sweep", "merge", "s.toml", "--out", "split"], d);
    let a = std::fs::read(d.join("one/merged.jsonl")).unwrap();
    let b = std::fs::read(d.join("split/merged.jsonl")).unwrap();
    assert_eq!(a, b);
    assert_eq!(String::from_utf8(a).unwrap().lines().count(), 13);
}

/// Starts `ebdm sweep run` on one thread and waits until its shard file holds `records`
/// records.
fn start_and_wait(d: &Path, out: &str, records: usize) -> std::process::Child {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ebdm"))
        .args(["--quiet", "--threads", "1", "sweep", "run", "s.toml", "--out", out])
        .current_dir(d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let file = d.join(out).join("tasks-1-of-1.jsonl");
    let start = Instant::now();
    while std::fs::read_to_string(&file).map_or(0, |t| t.lines().count().saturating_sub(1)) < records {
        assert!(start.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn task_ids(file: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["task"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_killed_run_resumes_without_redoing_or_losing_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), MAXCUT).unwrap();
    let mut child = start_and_wait(d, "killed", 2);
    child.kill().unwrap();
    child.wait().unwrap();
    let file = d.join("killed/tasks-1-of-1.jsonl");
    let before = task_ids(&file);
    assert!(before.len() >= 2 && before.len() < 6, "{before:?}");
    let out =
        ebdm().args(["--threads", "2", "sweep", "run", "s.toml", "--out", "killed"]).current_dir(d).output().unwrap();
    assert!(out.status.success());
    let after = task_ids(&file);
    // The finished tasks kept their lines; each task appears exactly once.
    assert_eq!(&after[..before.len()], &before[..]);
    let mut sorted = after.clone();
    sorted.sort();
    assert_eq!(sorted, (0..6).collect::<Vec<_>>());
    ok(&["sweep", "merge", "s.toml", "--out", "killed"], d);
    ok(&["--threads", "2", "sweep", "run", "s.toml", "--out", "clean"], d);
    ok(&["sweep", "merge", "s.toml", "--out", "clean"], d);
    assert_eq!(
        std::fs::read(d.join("killed/merged.jsonl")).unwrap(),
        std::fs::read(d.join("clean/merged.jsonl")).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_keeps_finished_tasks_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), MAXCUT).unwrap();
    let child = start_and_wait(d, "int", 1);
    // SAFETY: sending a signal to a child process we own.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("interrupted") && err.contains("run the same command again to resume"), "{err}");
    let kept = task_ids(&d.join("int/tasks-1-of-1.jsonl"));
    assert!(!kept.is_empty() && kept.len() < 6, "{kept:?}");
    let status = ok(&["sweep", "status", "s.toml", "--out", "int"], d);
    assert!(status.contains(&format!("{} of 6 tasks have results", kept.len())), "{status}");
}

#[test]
fn bad_sweep_files_and_shards_exit_with_2_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), RECALL).unwrap();
    let e = fails(&["sweep", "run", "s.toml", "--shard", "3/2"], d);
    assert!(e.contains("shard `3/2`") && e.contains("between 1 and N"), "{e}");
    std::fs::write(d.join("bad.toml"), "study = \"memory/recall\"\n[grid]\npatterns = [1, 2").unwrap();
    let e = fails(&["sweep", "run", "bad.toml"], d);
    assert!(e.contains("bad.toml: not a valid sweep file: TOML parse error at line 3"), "{e}");
    std::fs::write(d.join("bad.toml"), "experiment = \"memory/E42\"\n").unwrap();
    assert!(fails(&["sweep", "run", "bad.toml"], d).contains("unknown experiment `memory/E42`"));
    std::fs::write(d.join("bad.toml"), "study = \"memory/recall\"\n[grid]\nneuronz = [10]\n").unwrap();
    let e = fails(&["sweep", "status", "bad.toml"], d);
    assert!(e.contains("unknown parameter `neuronz` of study `memory/recall`"), "{e}");
    let e = fails(&["sweep", "run", "missing.toml"], d);
    assert!(e.contains("missing.toml"), "{e}");
    let e = fails(&["sweep", "merge", "s.toml", "--out", "nothing"], d);
    assert!(e.contains("12 of 12 tasks have no result"), "{e}");
    let listing = ok(&["sweep", "list"], d);
    assert!(listing.contains("ising/maxcut") && listing.contains("neurons"), "{listing}");
}

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sweeps")
}

/// Runs a script of examples/sweeps with bash, `ebdm` being the binary under test.
fn script(name: &str, args: &[&str], env: &[(&str, String)], cwd: &Path) -> std::process::Output {
    let mut c = std::process::Command::new("bash");
    c.arg(examples().join(name)).args(args).current_dir(cwd).env("EBDM", assert_cmd::cargo::cargo_bin("ebdm"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn the_slurm_array_example_runs_every_shard_and_merges_to_the_bytes_of_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), RECALL).unwrap();
    ok(&["sweep", "run", "s.toml", "--out", "one"], d);
    ok(&["sweep", "merge", "s.toml", "--out", "one"], d);
    let one = std::fs::read(d.join("one/merged.jsonl")).unwrap();
    // Arrays numbered from 0 (--array=0-4) and from 1 (--array=1-5), five jobs each.
    for (min, out) in [(0, "zero"), (1, "first")] {
        for id in min..min + 5 {
            let env = [
                ("SLURM_ARRAY_TASK_ID", id.to_string()),
                ("SLURM_ARRAY_TASK_MIN", min.to_string()),
                ("SLURM_ARRAY_TASK_COUNT", "5".to_string()),
                ("SLURM_CPUS_PER_TASK", "2".to_string()),
            ];
            let r = script("slurm-array.sh", &["s.toml", out], &env, d);
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            assert!(d.join(out).join(format!("tasks-{}-of-5.jsonl", id - min + 1)).is_file());
        }
        let r = script("slurm-merge.sh", &["s.toml", out], &[], d);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        assert!(String::from_utf8_lossy(&r.stdout).contains("12 of 12 tasks have results"));
        assert_eq!(std::fs::read(d.join(out).join("merged.jsonl")).unwrap(), one);
    }
    // Outside an array job the script says so instead of running everything.
    let r = script("slurm-array.sh", &["s.toml"], &[], d);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("not inside a Slurm array job"));
    // A merge with jobs missing names them and fails.
    let r = script("slurm-merge.sh", &["s.toml", "nothing"], &[], d);
    assert!(!r.status.success());
}

#[test]
fn the_example_sweep_files_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    for (file, tasks) in [("recall.toml", 160), ("gset-maxcut.toml", 180), ("edge-of-chaos.toml", 84)] {
        let out = ok(&["sweep", "status", examples().join(file).to_str().unwrap(), "--out", "x", "--json"], dir.path());
        let st: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(st["tasks"], tasks, "{file}");
    }
}

#[test]
fn a_command_sweep_runs_a_program_per_task_and_keeps_the_chosen_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let exe = assert_cmd::cargo::cargo_bin("ebdm");
    let graph = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/gset/G1.txt");
    let text = format!(
        "command = [\"{{ebdm}}\", \"-q\", \"--seed\", \"{{seed}}\", \"--threads\", \"1\", \"maxcut\", \"{{graph}}\",\n\
         \"--steps\", \"{{steps}}\", \"--replicas\", \"2\", \"--json\", \"-\", \"--no-spins\"]\n\
         result_keys = [\"cut\", \"energy\"]\nreplicates = 2\n[fixed]\nebdm = {:?}\ngraph = {:?}\n[grid]\nsteps = [50, 400]\n",
        exe.display().to_string(),
        graph.display().to_string()
    );
    std::fs::write(d.join("c.toml"), text).unwrap();
    ok(&["--threads", "1", "sweep", "run", "c.toml", "--out", "one"], d);
    ok(&["sweep", "merge", "c.toml", "--out", "one"], d);
    for i in 1..=2 {
        ok(&["--threads", "2", "sweep", "run", "c.toml", "--out", "two", "--shard", &format!("{i}/2")], d);
    }
    ok(&["sweep", "merge", "c.toml", "--out", "two"], d);
    let merged = std::fs::read_to_string(d.join("one/merged.jsonl")).unwrap();
    assert_eq!(merged.as_bytes(), std::fs::read(d.join("two/merged.jsonl")).unwrap());
    let recs: Vec<serde_json::Value> = merged.lines().skip(1).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(recs.len(), 4);
    for r in &recs {
        let keys: Vec<&String> = r["result"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["cut", "energy"]);
    }
    // A task's record is what the program prints for the task's seed.
    let seed = recs[3]["seed"].as_u64().unwrap().to_string();
    let out = ok(
        &[
            "--seed",
            &seed,
            "--threads",
            "1",
            "maxcut",
            graph.to_str().unwrap(),
            "--steps",
            "400",
            "--replicas",
            "2",
            "--json",
            "-",
            "--no-spins",
        ],
        d,
    );
    let direct: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(direct["cut"], recs[3]["result"]["cut"]);
    // A failing program stops the sweep with its message; finished tasks stay.
    std::fs::write(d.join("f.toml"), "command = [\"sh\", \"-c\", \"echo broken {n} >&2; exit 4\"]\n[grid]\nn = [1]\n")
        .unwrap();
    let e = fails(&["sweep", "run", "f.toml"], d);
    assert!(e.contains("task 0 ({\"n\":1}) failed") && e.contains("broken 1"), "{e}");
    std::fs::write(d.join("f.toml"), "command = [\"prog\", \"{n}\"]\n[grid]\nm = [1]\n").unwrap();
    assert!(fails(&["sweep", "run", "f.toml"], d).contains("parameter `m` is not used by the command"));
}
