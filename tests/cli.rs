//! The command line as a user meets it: the real binary, real files, exit codes and output.

#[path = "support/scratch.rs"]
mod scratch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_switchyard"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = scratch::dir("cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn bundled_scenarios_validate() {
    let o = run(&[
        "validate",
        "scenarios/research-pipeline.json",
        "scenarios/parallel-fanout.json",
        "scenarios/crash-reassign.json",
        "scenarios/saga-booking.json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().filter(|l| l.ends_with("agents)")).count(), 4);
}

#[test]
fn headless_run_prints_a_summary_and_writes_journal_and_report() {
    let (journal, report) = (tmp("pipeline.jsonl"), tmp("pipeline.json"));
    let o = run(&[
        "run",
        "scenarios/research-pipeline.json",
        "--headless",
        "--journal",
        journal.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("research-pipeline (seed 2): SUCCEEDED"), "{out}");
    assert!(out.contains("research-ai") && out.contains("researcher-1"), "{out}");

    let r = json(&report);
    assert_eq!(r["outcome"], "succeeded");
    assert!(r["makespan_ms"].as_u64().unwrap() > 0);
    assert_eq!(r["tasks"].as_array().unwrap().len(), 7);
    for t in r["tasks"].as_array().unwrap() {
        assert_eq!(t["state"], "completed");
        assert!(t["agent"].is_string() && t["attempts"].as_u64().unwrap() >= 1);
    }
    let agents = r["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 5);
    let done: u64 = agents.iter().map(|a| a["completed"].as_u64().unwrap()).sum();
    assert_eq!(done, 7);
    assert!(agents.iter().all(|a| a["busy_ms"].is_u64() && a["failed"].is_u64()));
    assert_eq!(
        r["messages"]["by_type"]["task_request"].as_u64().unwrap(),
        r["messages"]["by_type"]["task_result"].as_u64().unwrap()
    );

    let text = std::fs::read_to_string(&journal).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!((first["seq"].as_u64(), first["kind"].as_str()), (Some(0), Some("run_started")));
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "run_finished");
    assert_eq!(last["makespan_ms"], r["makespan_ms"]);
}

#[test]
fn the_same_scenario_and_seed_give_a_byte_identical_journal() {
    let paths: Vec<PathBuf> = (0..3).map(|i| tmp(&format!("det-{i}.jsonl"))).collect();
    for (i, p) in paths.iter().enumerate() {
        let seed = if i == 2 { "77" } else { "5" };
        let o = run(&[
            "run",
            "scenarios/parallel-fanout.json",
            "--headless",
            "--seed",
            seed,
            "--journal",
            p.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let bytes: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(bytes[0], bytes[1]);
    assert_ne!(bytes[0], bytes[2], "--seed must change the run");
}

#[test]
fn a_failing_workflow_exits_1_and_names_the_failure() {
    let scenario = tmp("doomed.json");
    std::fs::write(
        &scenario,
        r#"{"name": "doomed", "seed": 1,
            "agents": [{"id": "flaky", "capabilities": ["x"], "profile": {"failure_rate": 1.0}}],
            "tasks": [{"id": "first", "capability": "x", "retry": {"max_attempts": 2, "backoff_ms": 10}},
                      {"id": "second", "capability": "x", "depends_on": ["first"]}]}"#,
    )
    .unwrap();
    let report = tmp("doomed-report.json");
    let o = run(&["run", scenario.to_str().unwrap(), "--headless", "--report", report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("FAILED"), "{out}");
    assert!(out.contains("all 2 allowed attempts failed"), "{out}");
    assert!(out.contains("upstream task `first` failed"), "{out}");
    let r = json(&report);
    assert_eq!(r["outcome"], "failed");
    assert_eq!(r["tasks"][0]["state"], "failed");
    assert_eq!(r["tasks"][0]["attempts"], 2);
    assert_eq!(r["tasks"][1]["state"], "skipped");
}

#[test]
fn invalid_scenarios_exit_2_with_every_problem_located() {
    let o = run(&["validate", "tests/fixtures/bad/many-problems.json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.lines().count() >= 5, "{err}");
    for line in err.lines() {
        assert!(line.starts_with("tests/fixtures/bad/many-problems.json:"), "{line}");
    }

    let journal = tmp("never.jsonl");
    let o = run(&["run", "tests/fixtures/bad/typo.json", "--headless", "--journal", journal.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dependson"), "{}", stderr(&o));
    assert!(!journal.exists(), "no journal is started for unusable input");

    let o = run(&["validate", "scenarios/research-pipeline.json", "does/not/exist.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does/not/exist.json"), "{}", stderr(&o));
}

#[test]
fn output_errors_exit_3_and_keep_the_journal_complete() {
    let journal = tmp("kept.jsonl");
    let o = run(&[
        "run",
        "scenarios/crash-reassign.json",
        "--headless",
        "--journal",
        journal.to_str().unwrap(),
        "--report",
        "/nonexistent-dir/report.json",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("cannot write report /nonexistent-dir/report.json"), "{}", stderr(&o));
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.lines().last().unwrap().contains("\"kind\":\"run_finished\""));

    // A test that needs /dev/full says so rather than passing without it.
    assert!(Path::new("/dev/full").exists(), "this test needs /dev/full (Linux)");
    let o = run(&["run", "scenarios/research-pipeline.json", "--headless", "--journal", "/dev/full"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("cannot write journal"), "{}", stderr(&o));
}

#[test]
fn gen_writes_scenarios_that_validate_and_run() {
    for shape in ["chain", "fanout", "layered"] {
        let o = run(&["gen", "--tasks", "200", "--agents", "8", "--shape", shape, "--seed", "3"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let file = tmp(&format!("gen-{shape}.json"));
        std::fs::write(&file, &o.stdout).unwrap();
        let again = run(&["gen", "--tasks", "200", "--agents", "8", "--shape", shape, "--seed", "3"]);
        assert_eq!(o.stdout, again.stdout, "gen is deterministic");
        let v = run(&["validate", file.to_str().unwrap()]);
        assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
        let r = run(&["run", file.to_str().unwrap(), "--headless"]);
        assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
        assert!(stdout(&r).contains("200 tasks: 200 completed"), "{}", stdout(&r));
    }
    let o = run(&["gen", "--tasks", "10", "--agents", "2", "--shape", "star"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown shape"), "{}", stderr(&o));
}

#[test]
fn headless_runs_with_process_agents_use_the_live_driver() {
    // Run from another directory: the scenario's paths are resolved against its own file.
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/real-pipeline.json");
    let journal = tmp("real-pipeline.jsonl");
    let out = bin()
        .current_dir(std::env::temp_dir())
        .args(["run", scenario.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("4 completed"), "{}", stdout(&out));
    let text = std::fs::read_to_string(&journal).unwrap();
    let report = text.lines().find(|l| l.contains("\"kind\":\"attempt_succeeded\",\"task\":\"report\"")).unwrap();
    assert!(report.contains("\"counts_agree\":{\"corpus/rivers.txt\":true"), "{report}");
}

#[test]
fn completions_cover_every_command_and_load_in_bash() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = String::from_utf8(o.stdout).unwrap();
        for command in ["validate", "run", "resume", "fork", "replay", "diff", "gen", "completions"] {
            assert!(script.contains(command), "{shell} completions lack `{command}`");
        }
        // Fish spells options `-l journal`, the others `--journal`.
        for option in ["headless", "journal", "max-events", "then", "fsync"] {
            assert!(script.contains(option), "{shell} completions lack `--{option}`");
        }
        if shell == "bash" {
            let path = tmp("completions.bash");
            std::fs::write(&path, &script).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .status()
                .expect("this test needs bash to check the completions");
            assert!(check.success(), "bash cannot parse the completions");
        }
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

/// `run --set` changes the scenario as an edited copy of the file would: the same journal, byte
/// for byte (its header embeds the scenario as loaded); a bad `--set` is exit 2 naming it.
#[test]
fn run_set_is_an_edited_copy_of_the_file_and_bad_sets_exit_2() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/parallel-fanout.json");
    let mut doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    doc["allocation"] = "least_loaded".into();
    let agents = doc["agents"].as_array_mut().unwrap();
    let first = agents[0]["id"].as_str().unwrap().to_string();
    agents[0]["profile"]["failure_rate"] = 0.5.into();
    let edited = tmp("edited-parallel-fanout.json");
    // Next to the original, so that relative paths (none here) would resolve the same way.
    std::fs::write(&edited, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let (a, b) = (tmp("set.jsonl"), tmp("edited.jsonl"));
    let failure = format!("agents.{first}.profile.failure_rate=0.5");
    let set = run(&[
        "run",
        file,
        "--headless",
        "--set",
        "allocation=least_loaded",
        "--set",
        &failure,
        "--journal",
        a.to_str().unwrap(),
    ]);
    let copy = run(&["run", edited.to_str().unwrap(), "--headless", "--journal", b.to_str().unwrap()]);
    assert!(matches!(set.status.code(), Some(0 | 1)), "{}", stderr(&set));
    assert_eq!(set.status.code(), copy.status.code(), "{}", stderr(&set));
    let (ja, jb) = (std::fs::read_to_string(&a).unwrap(), std::fs::read_to_string(&b).unwrap());
    let differ = ja.lines().zip(jb.lines()).find(|(x, y)| x != y);
    assert!(ja == jb, "--set must give the edited file's journal; first difference:\n{differ:?}");

    let bad = run(&["run", file, "--headless", "--set", "agents.nobody.cost=1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--set agents.nobody.cost=1: no agent `nobody` in `agents`"), "{}", stderr(&bad));
    let bad = run(&["run", file, "--headless", "--set", &format!("agents.{first}.cost=free")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("expected a number, found string \"free\""), "{}", stderr(&bad));
}
