//! Issue 11, class 2 — signals lose the journal. On SIGINT, SIGTERM or SIGHUP a run stops
//! dispatching, records `run_interrupted`, flushes the journal, stops its agents and exits with
//! 130, 143 or 129; a journal ends on a complete line in every case we control, a full disk (here:
//! a file size limit) included.

#[path = "support/procs.rs"]
mod procs;
#[path = "support/scratch.rs"]
mod scratch;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use procs::*;

/// A generated scenario big enough that a debug build takes seconds to run it.
fn big_scenario(dir: &Path, tasks: u32) -> std::path::PathBuf {
    let out = Command::new(bin())
        .args(["gen", "--tasks", &tasks.to_string(), "--agents", "50", "--shape", "layered"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let path = dir.join("big.json");
    std::fs::write(&path, out.stdout).unwrap();
    path
}

#[test]
fn signals_stop_a_live_run_with_run_interrupted_last_and_the_right_exit_code() {
    for (sig, name, code) in [("TERM", "SIGTERM", 143), ("INT", "SIGINT", 130), ("HUP", "SIGHUP", 129)] {
        let dir = temp_dir("signals-live");
        let mark = mark("signals-live");
        let slow = "DELAY=30 answer \"$1\"";
        let agents = [sh_agent("a", &mark, slow), sh_agent("b", &mark, slow)];
        let file = write_scenario(&dir, &agents, 3, r#""heartbeat_ms": 0,"#);
        let journal = dir.join("journal.jsonl");
        let report = dir.join("report.json");
        let mut run = start(&[
            "run",
            file.to_str().unwrap(),
            "--headless",
            "--journal",
            journal.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ]);
        // The journal is written step by step in a live run: the start is there before the end.
        wait_for_line(&journal, "attempt_started", Duration::from_secs(20));
        signal(run.id(), sig);
        let status = wait_with_deadline(&mut run, Duration::from_secs(20));
        let stderr = std::io::read_to_string(run.stderr.take().unwrap()).unwrap();
        let stdout = std::io::read_to_string(run.stdout.take().unwrap()).unwrap();
        kill_marked(&mark);
        assert_eq!(status.code(), Some(code), "{name}: {stderr}");
        // The summary says when it stopped, on the clock the run had.
        assert!(stdout.contains("INTERRUPTED at ") && stdout.contains(" ms wall-clock — 3 tasks"), "{stdout}");
        assert!(stderr.contains(&format!("stopped by {name}")), "{stderr}");
        let lines = journal_lines(&journal);
        let last = lines.last().unwrap();
        assert_eq!(last["kind"], "run_interrupted", "{name}");
        assert_eq!(last["signal"], name);
        assert!(!lines.iter().any(|l| l["kind"] == "run_finished"));
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(report["outcome"], "interrupted");
        // It reads back: the journal is a valid record of the run so far.
        let replay = Command::new(bin()).args(["validate", file.to_str().unwrap()]).output().unwrap();
        assert!(replay.status.success());
    }
}

#[test]
fn signals_stop_a_headless_simulated_run_with_its_buffer_flushed() {
    let dir = temp_dir("signals-sim");
    let file = big_scenario(&dir, 300_000);
    let journal = dir.join("journal.jsonl");
    let mut run = start(&["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()]);
    // The first 1 MiB buffer went out: the run is well under way, with more buffered.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&journal).map_or(0, |m| m.len()) == 0 {
        assert!(std::time::Instant::now() < deadline, "the journal stays empty");
        assert!(run.try_wait().unwrap().is_none(), "the run ended before it could be interrupted");
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(run.id(), "TERM");
    let status = wait_with_deadline(&mut run, Duration::from_secs(30));
    assert_eq!(status.code(), Some(143));
    let lines = journal_lines(&journal);
    let last = lines.last().unwrap();
    assert_eq!(last["kind"], "run_interrupted");
    assert_eq!(last["signal"], "SIGTERM");
    // Nothing was lost: sequence numbers run without a gap up to the interruption.
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["seq"].as_u64(), Some(i as u64), "line {}", i + 1);
    }
}

/// How long the journal's first line (the header, which embeds the scenario) is for this scenario.
fn header_len(file: &Path, dir: &Path) -> u64 {
    let journal = dir.join("header.jsonl");
    let args =
        ["run", file.to_str().unwrap(), "--headless", "--max-events", "1", "--journal", journal.to_str().unwrap()];
    Command::new(bin()).args(args).output().unwrap();
    let text = std::fs::read_to_string(&journal).unwrap();
    text.find('\n').expect("a first line") as u64 + 1
}

#[test]
fn signals_a_full_disk_leaves_the_journal_on_a_whole_line() {
    let dir = temp_dir("signals-full");
    let file = big_scenario(&dir, 20_000);
    let journal = dir.join("journal.jsonl");
    // Past the header, and not a multiple of anything: the write that meets the limit is cut
    // inside a line.
    let limit = header_len(&file, &dir) + 1_234_567;
    let out = run_with_file_limit(
        &["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()],
        limit,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot write journal"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let len = std::fs::metadata(&journal).unwrap().len();
    assert!(len > 0 && len <= limit, "{len}");
    let lines = journal_lines(&journal);
    assert_eq!(lines[0]["kind"], "run_started");
}

#[test]
fn signals_a_full_disk_in_a_live_run_leaves_the_journal_on_a_whole_line() {
    let dir = temp_dir("signals-full-live");
    let mark = mark("signals-full-live");
    let agents = [sh_agent("a", &mark, "answer \"$1\""), sh_agent("b", &mark, "answer \"$1\"")];
    let file = write_scenario(&dir, &agents, 40, r#""heartbeat_ms": 0,"#);
    let journal = dir.join("journal.jsonl");
    // The header and about twenty lines more.
    let limit = header_len(&file, &dir) + 3_001;
    let out = run_with_file_limit(
        &["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()],
        limit,
    );
    let left = wait_all_gone(&mark, Duration::from_secs(5));
    kill_marked(&mark);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(left.is_empty(), "agents outlived a run stopped by a write error: {left:#?}");
    let len = std::fs::metadata(&journal).unwrap().len();
    assert!(len > 0 && len <= limit, "{len}");
    journal_lines(&journal);
}

#[test]
fn signals_during_the_handshakes_stop_at_once_and_leave_no_agent() {
    let dir = temp_dir("signals-hello");
    let mark = mark("signals-hello");
    // It never says hello: the run would wait out the handshake timeout (10 s) before starting.
    let mute = format!(
        r#"{{"id": "mute", "capabilities": ["work"], "kind": "process",
            "command": ["sh", "-c", "sleep 300 & exec sleep 300"], "env": {{"SWITCHYARD_TEST_MARK": "{mark}"}}}}"#
    );
    let file = write_scenario(&dir, &[mute], 1, r#""heartbeat_ms": 0,"#);
    let journal = dir.join("journal.jsonl");
    let mut run = start(&["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while marked(&mark).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the agent did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = std::time::Instant::now();
    signal(run.id(), "TERM");
    let status = wait_with_deadline(&mut run, Duration::from_secs(20));
    let took = sent.elapsed();
    let left = wait_all_gone(&mark, Duration::from_secs(5));
    kill_marked(&mark);
    assert_eq!(status.code(), Some(143));
    assert!(took < Duration::from_secs(5), "it waited for the handshake: {took:?}");
    assert!(left.is_empty(), "{left:#?}");
    // Nothing ran, so nothing is recorded; what is there is whole lines.
    assert!(journal_lines(&journal).is_empty());
}
