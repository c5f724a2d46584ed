//! Issue 11, class 4 (panics): no output path panics. The real binary with stdout or stderr on a
//! full device exits 3 (or its own code) with a message, and summary tables elide long ids.

#[path = "support/scratch.rs"]
mod scratch;

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_switchyard"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = scratch::dir("panics");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn full() -> Stdio {
    File::options().write(true).open("/dev/full").expect("this test needs /dev/full (a Linux device)").into()
}

/// Runs with stdout on /dev/full.
fn stdout_full(args: &[&str]) -> Output {
    bin().args(args).stdout(full()).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_output_error(o: &Output, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(3), "{what}: {err}");
    assert!(err.contains("cannot write to standard output"), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
}

#[test]
fn panics_no_subcommand_panics_with_stdout_full() {
    let scenario = "scenarios/crash-storm.json";
    assert_output_error(&stdout_full(&["validate", scenario]), "validate");
    assert_output_error(&stdout_full(&["run", "--headless", scenario]), "run --headless");
    assert_output_error(&stdout_full(&["gen", "--tasks", "10", "--agents", "2", "--shape", "chain"]), "gen");
    assert_output_error(&stdout_full(&["--help"]), "--help");
}

#[test]
fn panics_stderr_full_keeps_the_exit_code() {
    let missing = tmp("missing.json");
    let o = bin().args(["validate", missing.to_str().unwrap()]).stderr(full()).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "validate of a missing file");
    let o = bin().args(["validate", "scenarios/crash-storm.json"]).stdout(full()).stderr(full()).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "both streams full");
    let o = bin().args(["gen", "--tasks", "0", "--agents", "1", "--shape", "chain"]).stderr(full()).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "gen with bad options");
}

#[test]
fn panics_long_ids_are_elided_in_the_summary() {
    let long = "t".repeat(70_000);
    let agent = "a".repeat(70_000);
    let file = tmp("long-ids.json");
    let text = format!(
        r#"{{"name": "long", "agents": [{{"id": "{agent}", "capabilities": ["build"]}}],
            "tasks": [{{"id": "{long}", "capability": "build"}}]}}"#
    );
    std::fs::write(&file, text).unwrap();
    let report = tmp("long-ids-report.json");
    let o = bin()
        .args(["run", "--headless", file.to_str().unwrap(), "--report", report.to_str().unwrap()])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.contains(&format!("{}…", "t".repeat(39))), "{out}");
    assert!(out.contains(&format!("{}…", "a".repeat(39))), "{out}");
    assert!(out.lines().all(|l| l.chars().count() < 200), "no line carries a whole id: {out}");
    // The JSON report keeps the whole id.
    assert!(std::fs::read_to_string(&report).unwrap().contains(&long));
}
