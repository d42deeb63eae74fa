use std::path::Path;

use serde_json::json;

use super::*;

const RECALL: &str = r#"
name = "recall"
study = "memory/recall"
seed = 5
replicates = 2

[fixed]
neurons = 64
flip = 0.1

[grid]
rule = ["hebb", "storkey"]
patterns = [2, 4, 8]
"#;

fn parse(text: &str) -> Result<Sweep> {
    Sweep::parse(text, Path::new("test.toml"))
}

fn err(text: &str) -> String {
    parse(text).err().expect("an error").to_string()
}

fn run_all(sweep: &Sweep, dir: &Path, shard: Shard, threads: usize) -> usize {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let mut file = ShardFile::open(dir, sweep, shard).unwrap();
    pool.install(|| run_shard(sweep, &mut file, &StopFlag::new(), None, &|_| {})).unwrap()
}

#[test]
fn tasks_run_through_the_grid_with_the_last_key_fastest_and_replicates_innermost() {
    let s = parse(RECALL).unwrap();
    assert_eq!((s.cells(), s.replicates(), s.tasks()), (6, 2, 12));
    let t = s.task(7).unwrap();
    // Task 7: cell 3 = (storkey, 2), replicate 1.
    assert_eq!((t.cell, t.replicate), (3, 1));
    assert_eq!(
        Value::Object(t.params),
        json!({"neurons": 64, "patterns": 2, "rule": "storkey", "flip": 0.1, "max_sweeps": 50})
    );
    // Seeds come from (master seed, task index) and differ between tasks.
    assert_eq!(t.seed, stream_path(5, &[streams::SWEEP, 7]).next_u64());
    let seeds: std::collections::BTreeSet<u64> = (0..12).map(|i| s.task(i).unwrap().seed).collect();
    assert_eq!(seeds.len(), 12);
    assert!(s.task(12).unwrap_err().to_string().contains("task 12 does not exist; the sweep has 12 tasks"));
    // Listed seeds are used as they are, the same in every cell.
    let listed = parse(&RECALL.replace("seed = 5\nreplicates = 2", "seeds = [3, 9]")).unwrap();
    assert_eq!((listed.task(4).unwrap().seed, listed.task(5).unwrap().seed), (3, 9));
}

#[test]
fn malformed_files_unknown_targets_and_parameters_are_named() {
    assert!(err("study = [").contains("test.toml: not a valid sweep file: TOML parse error at line 1"));
    assert!(err("name = \"x\"").contains("`study = \"…\"`, `experiment = \"…\"` or `command = [\"program\", …]`"));
    assert!(err("study = \"memory/nothing\"").contains("unknown study `memory/nothing`; known: memory/recall"));
    assert!(err("experiment = \"memory/E99\"").contains("unknown experiment `memory/E99`"));
    assert!(err("study = \"memory/recall\"\nsteps = 3").contains("unknown key `steps`"));
    let e = err("study = \"memory/recall\"\n[grid]\nneuron = [1]");
    assert!(
        e.contains("unknown parameter `neuron` of study `memory/recall`") && e.contains("neurons, patterns"),
        "{e}"
    );
    let e = err("study = \"memory/recall\"\n[grid]\nrule = [\"hebb\", \"oja\"]");
    assert!(
        e.contains("in the grid: parameter `rule`") && e.contains("`oja` is not one of hebb, pinv, storkey"),
        "{e}"
    );
    assert!(err("study = \"memory/recall\"\n[fixed]\nflip = 2").contains("2 is outside [0, 1]"));
    assert!(err("study = \"memory/recall\"\n[grid]\nflip = []").contains("`flip` must be a non-empty list"));
    assert!(err("study = \"memory/recall\"\n[grid]\nflip = 0.1").contains("`flip` must be a non-empty list"));
    assert!(err("study = \"memory/recall\"\nreplicates = 0").contains("`replicates` must be at least 1"));
    assert!(err("study = \"memory/recall\"\nseeds = [1]\nreplicates = 2").contains("either `seeds` or `replicates`"));
    assert!(err("study = \"memory/recall\"\n[fixed]\nflip = 0.1\n[grid]\nflip = [0.2]")
        .contains("both fixed and in the grid"));
    assert!(err("experiment = \"memory/E1\"\n[fixed]\nneurons = 3").contains("its parameters are quick"));
    let huge = "study = \"memory/recall\"\nreplicates = 100000\n[grid]\nneurons = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101]";
    assert!(err(huge).contains("more than 10000000 tasks"));
}

#[test]
fn shard_specs_are_checked() {
    assert_eq!("2/8".parse::<Shard>().unwrap(), Shard { index: 2, count: 8 });
    for bad in ["3/2", "0/2", "1/0"] {
        let e = bad.parse::<Shard>().unwrap_err().to_string();
        assert!(e.contains(&format!("shard `{bad}`")) && e.contains("between 1 and N"), "{e}");
    }
    for bad in ["1", "a/2", "1/2/3", ""] {
        assert!(bad.parse::<Shard>().unwrap_err().to_string().contains("expected `I/N`"), "{bad}");
    }
    let s: Shard = "2/3".parse().unwrap();
    assert_eq!(s.tasks(8).collect::<Vec<_>>(), vec![1, 4, 7]);
    let sweep = parse(RECALL).unwrap();
    let dir = tempdir("too-many-shards");
    let e = ShardFile::open(&dir, &sweep, Shard::new(13, 13).unwrap()).err().unwrap().to_string();
    assert!(e.contains("the sweep has 12 tasks, so at most 12 shards"), "{e}");
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ebdm-sweep-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn merged_results_are_the_same_bytes_for_any_split_and_thread_count() {
    let sweep = parse(RECALL).unwrap();
    let whole = tempdir("whole");
    assert_eq!(run_all(&sweep, &whole, Shard::ALL, 1), 12);
    let a = std::fs::read(merge(&whole, &sweep, false).unwrap().path).unwrap();
    let split = tempdir("split");
    for i in 1..=3 {
        run_all(&sweep, &split, Shard::new(i, 3).unwrap(), 2);
    }
    let report = merge(&split, &sweep, false).unwrap();
    assert_eq!((report.records, report.files), (12, 3));
    let b = std::fs::read(report.path).unwrap();
    assert_eq!(a, b);
    let text = String::from_utf8(a).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 13);
    assert_eq!(lines[0]["spec"]["grid"], json!({"rule": ["hebb", "storkey"], "patterns": [2, 4, 8]}));
    assert!(lines[0].get("shard").is_none());
    for (t, l) in lines[1..].iter().enumerate() {
        assert_eq!(l["task"], t);
        assert!(l.get("wall_s").is_none());
    }
    // Two stored patterns in 64 neurons are recalled exactly under either rule.
    assert_eq!(lines[1]["result"]["exact_recall"], 1.0);
    // A task's record does not depend on the sweep around it: rerun alone, same line.
    let again = sweep.run_task(9, &StopFlag::new(), None).unwrap().unwrap();
    assert_eq!(again.line, lines[10]);
}

#[test]
fn a_run_cut_short_resumes_without_redoing_or_losing_tasks() {
    let sweep = parse(RECALL).unwrap();
    let dir = tempdir("resume");
    let shard = Shard::new(1, 2).unwrap();
    // Run two tasks, then leave a half-written record as a killed process would.
    {
        let mut file = ShardFile::open(&dir, &sweep, shard).unwrap();
        for t in [0, 2] {
            file.append(&sweep.run_task(t, &StopFlag::new(), None).unwrap().unwrap()).unwrap();
        }
    }
    let path = dir.join(shard.file_name());
    let full = sweep.run_task(4, &StopFlag::new(), None).unwrap().unwrap().shard_line();
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(&full.as_bytes()[..full.len() / 2]).unwrap();
    drop(f);
    let st = status(&dir, &sweep).unwrap();
    assert_eq!((st.done, st.shards.len(), st.shards[0].partial_tail), (2, 1, true));
    let e = merge(&dir, &sweep, false).unwrap_err().to_string();
    assert!(e.contains("10 of 12 tasks have no result") && e.contains("tasks 1, 3, 4, 5"), "{e}");
    // Reopening drops the cut line; task 4 is pending again, tasks 0 and 2 are not.
    let file = ShardFile::open(&dir, &sweep, shard).unwrap();
    assert_eq!(file.pending(), vec![4, 6, 8, 10]);
    drop(file);
    assert_eq!(run_all(&sweep, &dir, shard, 2), 4);
    assert_eq!(run_all(&sweep, &dir, Shard::new(2, 2).unwrap(), 2), 6);
    assert_eq!(run_all(&sweep, &dir, shard, 2), 0, "a finished shard runs nothing");
    let resumed = std::fs::read(merge(&dir, &sweep, false).unwrap().path).unwrap();
    let whole = tempdir("resume-whole");
    run_all(&sweep, &whole, Shard::ALL, 2);
    assert_eq!(resumed, std::fs::read(merge(&whole, &sweep, false).unwrap().path).unwrap());
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 1 + 6, "header and six records, none twice");
}

#[test]
fn a_shard_file_has_one_writer_at_a_time() {
    let sweep = parse(RECALL).unwrap();
    let dir = tempdir("one-writer");
    let first = ShardFile::open(&dir, &sweep, Shard::ALL).unwrap();
    let e = ShardFile::open(&dir, &sweep, Shard::ALL).err().unwrap().to_string();
    assert!(e.contains("another run of shard 1/1 is writing this file"), "{e}");
    // Other shards and readers are not blocked.
    ShardFile::open(&dir, &sweep, Shard::new(1, 2).unwrap()).unwrap();
    assert_eq!(status(&dir, &sweep).unwrap().done, 0);
    drop(first);
    ShardFile::open(&dir, &sweep, Shard::ALL).unwrap();
}

#[test]
fn a_stopped_run_keeps_finished_tasks_and_starts_no_more() {
    let sweep = parse(RECALL).unwrap();
    let dir = tempdir("stopped");
    let stop = StopFlag::new();
    stop.raise();
    let mut file = ShardFile::open(&dir, &sweep, Shard::ALL).unwrap();
    assert_eq!(run_shard(&sweep, &mut file, &stop, None, &|_| {}).unwrap(), 0);
    assert_eq!(file.pending().len(), 12);
}

#[test]
fn files_of_another_sweep_or_shard_are_refused() {
    let sweep = parse(RECALL).unwrap();
    let dir = tempdir("other");
    run_all(&sweep, &dir, Shard::ALL, 1);
    let other = parse(&RECALL.replace("seed = 5", "seed = 6")).unwrap();
    let e = ShardFile::open(&dir, &other, Shard::ALL).err().unwrap().to_string();
    assert!(e.contains("holds results of another sweep"), "{e}");
    assert!(merge(&dir, &other, false).unwrap_err().to_string().contains("another sweep"));
    // A record whose result differs from another file's record of the same task.
    let path = dir.join(Shard::ALL.file_name());
    let text = std::fs::read_to_string(&path).unwrap();
    let mut v: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    v["result"]["overlap"] = json!(-1.0);
    let t = v["task"].as_u64().unwrap() as usize;
    let shard = Shard::new(t % 2 + 1, 2).unwrap();
    let mut f = ShardFile::open(&dir, &sweep, shard).unwrap();
    f.append_line(&v.to_string()).unwrap();
    let e = merge(&dir, &sweep, false).unwrap_err().to_string();
    assert!(e.contains(&format!("task {t} has different results")), "{e}");
    assert!(f.append_line("{\"task\": 99}").unwrap_err().to_string().contains("below 12"));
}

#[test]
fn experiment_tasks_give_the_numbers_of_reproduce_with_the_listed_seed() {
    let sweep = parse("experiment = \"ising/E4\"\nseeds = [4]\n[fixed]\nquick = true").unwrap();
    let line = sweep.run_task(0, &StopFlag::new(), None).unwrap().unwrap().line;
    let harness = Harness::new(4);
    let outcome =
        experiment::find("ising/E4").unwrap().run(&RunContext { harness: &harness, quick: true, data: None }).unwrap();
    assert_eq!(line["result"]["passed"], outcome.passed());
    assert_eq!(line["result"]["values"], Value::Object(outcome.values));
    assert_eq!(line["seed"], 4);
}

use std::fs::OpenOptions;
use std::io::Write;

#[test]
fn command_sweeps_check_their_placeholders_against_the_parameters() {
    let ok = parse("command = [\"prog\", \"--n={n}\", \"{seed}\"]\nresult_keys = [\"x\"]\n[grid]\nn = [1, 2]").unwrap();
    assert_eq!(ok.tasks(), 2);
    assert_eq!(ok.spec()["command"], json!(["prog", "--n={n}", "{seed}"]));
    assert_eq!(Value::Object(ok.task(1).unwrap().params), json!({"n": 2}));
    assert!(
        err("command = [\"prog\", \"{n}\"]").contains("the command uses `{n}`, which is neither fixed nor in the grid")
    );
    assert!(err("command = [\"prog\"]\n[fixed]\nn = 1").contains("parameter `n` is not used by the command"));
    assert!(err("command = [\"prog\", \"{seed}\"]\n[fixed]\nseed = 1").contains("`{seed}` is filled in by the sweep"));
    assert!(err("command = [\"prog\", \"{n}\"]\n[grid]\nn = [[1]]").contains("is not a string, number or boolean"));
    assert!(err("command = []").contains("must name a program"));
    assert!(err("command = \"prog\"").contains("`command` must be a list of strings"));
    assert!(err("command = [\"prog\", \"{n\"]\n[fixed]\nn = 1").contains("is not a placeholder"));
    assert!(
        err("study = \"memory/recall\"\ncommand = [\"prog\"]").contains("one of `study`, `experiment` and `command`")
    );
    assert!(
        err("study = \"memory/recall\"\nresult_keys = [\"x\"]").contains("`result_keys` applies to a `command` only")
    );
}
