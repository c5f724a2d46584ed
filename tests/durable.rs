//! Durable runs (issue 12): a journal alone is the record of a run. Its header embeds the
//! scenario; a torn last line is dropped and said; bad journals are refused with the file and
//! line; `replay --at` reports the run as of any event; `diff` finds where two runs part.

#[path = "support/scratch.rs"]
mod scratch;

#[path = "support/procs.rs"]
mod procs;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use switchyard::core::Coordinator;
use switchyard::journal::file;
use switchyard::runtime::SimRun;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_switchyard")
}

fn tmp(name: &str) -> PathBuf {
    let dir = scratch::dir("durable");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn switchyard(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().unwrap()
}

/// Runs a bundled scenario headless with a journal; returns the journal's path.
fn journal_of(scenario: &str, seed: Option<u64>, name: &str) -> PathBuf {
    let path = tmp(name);
    let scenario = format!("{}/scenarios/{scenario}.json", env!("CARGO_MANIFEST_DIR"));
    let seed = seed.map(|s| s.to_string());
    let mut args = vec!["run", &scenario, "--headless", "--journal", path.to_str().unwrap()];
    if let Some(s) = &seed {
        args.extend(["--seed", s.as_str()]);
    }
    let out = switchyard(&args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

#[test]
fn a_journal_alone_rebuilds_its_run() {
    for name in ["crash-reassign", "planner-decomposition", "market-auction", "elastic-team"] {
        let path = journal_of(name, Some(5), &format!("{name}.jsonl"));
        let journal = file::load(&path).unwrap();
        // The embedded scenario is the file as loaded, with the seed the run used.
        let mut loaded =
            switchyard::scenario::load(Path::new(&format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"))))
                .unwrap();
        loaded.seed = 5;
        assert_eq!(journal.header.scenario, loaded, "{name}");
        assert_eq!(journal.header.format, 1);
        assert_eq!(journal.torn_at, None);
        // Folding the events gives the state of a run of that scenario.
        let mut run = SimRun::new(loaded);
        run.run(&mut ()).unwrap();
        let rebuilt = Coordinator::from_events(journal.header.scenario.clone(), &journal.events);
        assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest(), "{name}");
    }
}

#[test]
fn a_torn_last_line_is_dropped_and_said() {
    let path = journal_of("crash-reassign", None, "torn-source.jsonl");
    let bytes = std::fs::read(&path).unwrap();
    let whole = file::parse(&bytes).unwrap();
    // Cut inside the 40th line: the first 39 are whole.
    let starts: Vec<usize> =
        std::iter::once(0).chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1)).collect();
    let cut = starts[39] + 7;
    let torn = tmp("torn.jsonl");
    std::fs::write(&torn, &bytes[..cut]).unwrap();
    let journal = file::load(&torn).unwrap();
    assert_eq!(journal.events.len(), 39);
    assert_eq!(journal.events[..], whole.events[..39]);
    assert_eq!(journal.torn_at, Some(starts[39] as u64));
    let report = tmp("torn-report.json");
    let out = switchyard(&["replay", torn.to_str().unwrap(), "--at", "38", "--report", report.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(&format!("journal ends mid-line at byte {}: dropped", starts[39])), "{stderr}");
}

/// `replay` on a bad journal: exit 2, a message naming the file and what is wrong, no panic.
fn refused(journal: &Path, needle: &str) {
    let report = tmp("refused-report.json");
    let out = switchyard(&["replay", journal.to_str().unwrap(), "--at", "0", "--report", report.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {stderr}", journal.display());
    assert!(stderr.contains(&journal.display().to_string()), "{stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_journals_are_refused_with_the_file_and_line() {
    let good = std::fs::read_to_string(journal_of("crash-reassign", None, "bad-source.jsonl")).unwrap();
    let other = std::fs::read_to_string(journal_of("market-auction", None, "bad-other.jsonl")).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let write = |name: &str, text: &[u8]| {
        let p = tmp(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    refused(&write("empty.jsonl", b""), "is empty");
    refused(&write("binary.jsonl", b"\x00\x01\xff\xfe\n\x02\n"), "not UTF-8");
    refused(&write("text.jsonl", b"hello\n"), "not a Switchyard journal");
    refused(tmp("").parent().unwrap(), "is a directory");
    refused(&tmp("missing.jsonl"), "cannot read");
    // Read without end: refused before a byte is read.
    refused(Path::new("/dev/zero"), "not a regular file");
    // A line moved: its seq is not the next one.
    let mut swapped = lines.clone();
    swapped.swap(10, 11);
    refused(&write("reordered.jsonl", (swapped.join("\n") + "\n").as_bytes()), ":11: expected seq 10, found 11");
    // A line from another run names what this run does not have (or comes out of order).
    let mut spliced = lines.clone();
    spliced[12] = other.lines().nth(12).unwrap();
    refused(&write("spliced.jsonl", (spliced.join("\n") + "\n").as_bytes()), ":13: ");
    // A corrupted line before the last is an error, not a torn tail.
    let mut corrupt = lines.clone();
    corrupt[20] = "{\"seq\":20,\"t_ms\":";
    refused(&write("corrupt.jsonl", (corrupt.join("\n") + "\n").as_bytes()), ":21: not JSON");
    // A format from the future.
    let future = good.replacen("\"format\":1,", "\"format\":99,", 1);
    refused(&write("future.jsonl", future.as_bytes()), "journal format 99");
    // The embedded scenario altered without its hash.
    let altered = good.replacen("\"name\":\"crash-reassign\"", "\"name\":\"crash-reassigned\"", 1);
    assert_ne!(altered, good);
    refused(&write("altered.jsonl", altered.as_bytes()), "does not match its `scenario_sha256`");
    // A journal from before the header.
    let old = format!(
        "{{\"seq\":0,\"t_ms\":0,\"kind\":\"run_started\",\"tasks\":7,\"agents\":3,\"seed\":3}}\n{}\n",
        lines[1]
    );
    refused(&write("old.jsonl", old.as_bytes()), "no `format`");
}

#[test]
fn replay_reports_the_run_as_of_any_event() {
    let path = journal_of("crash-reassign", None, "replay.jsonl");
    let journal = file::load(&path).unwrap();
    let report = tmp("replay-report.json");
    let read = |at: &str| -> Value {
        let out = switchyard(&["replay", path.to_str().unwrap(), "--at", at, "--report", report.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap()
    };
    let last = journal.events.len() - 1;
    // Early: running, nothing completed yet.
    let early = read("5");
    assert_eq!(early["outcome"], "running");
    assert_eq!(early["counts"]["completed"], 0);
    // At the end: the report `run --report` writes.
    let full = tmp("full-report.json");
    let scenario = format!("{}/scenarios/crash-reassign.json", env!("CARGO_MANIFEST_DIR"));
    switchyard(&["run", &scenario, "--headless", "--report", full.to_str().unwrap()]);
    let end = read(&format!("#{last}"));
    assert_eq!(end, serde_json::from_str::<Value>(&std::fs::read_to_string(&full).unwrap()).unwrap());
    // By time: the last event at or before it.
    let t = journal.events[40].t_ms;
    let by_time = read(&format!("{t}ms"));
    let at_seq = read(&journal.events.iter().rposition(|e| e.t_ms <= t).unwrap().to_string());
    assert_eq!(by_time, at_seq);
    // Past the end: a clear refusal.
    let out = switchyard(&["replay", path.to_str().unwrap(), "--at", "999999", "--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("the journal ends at #{last}")));
}

#[test]
fn diff_names_the_first_divergent_event() {
    let a = journal_of("crash-storm", Some(1), "diff-a.jsonl");
    let same = journal_of("crash-storm", Some(1), "diff-same.jsonl");
    let b = journal_of("crash-storm", Some(2), "diff-b.jsonl");
    let out = switchyard(&["diff", a.to_str().unwrap(), same.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no divergence"));
    // The first line (after the header) where the texts differ.
    let (ta, tb) = (std::fs::read_to_string(&a).unwrap(), std::fs::read_to_string(&b).unwrap());
    let first = ta.lines().zip(tb.lines()).skip(1).position(|(x, y)| x != y).unwrap() + 1;
    let out = switchyard(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("the journals diverge at #{first} ")), "{stdout}");
    assert!(stdout.contains("note: seeds differ"), "{stdout}");
    let bad = tmp("diff-bad.jsonl");
    std::fs::write(&bad, "nonsense\n").unwrap();
    let out = switchyard(&["diff", a.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn one_writer_per_journal() {
    let dir = procs::temp_dir("one-writer");
    let mark = procs::mark("one-writer");
    let agent = procs::sh_agent("slow", &mark, "DELAY=30 answer \"$1\"");
    let file = procs::write_scenario(&dir, &[agent], 1, r#""heartbeat_ms": 0,"#);
    let journal = dir.join("journal.jsonl");
    let mut first =
        procs::start(&["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()]);
    procs::wait_for_line(&journal, "attempt_started", std::time::Duration::from_secs(20));
    let before = std::fs::read(&journal).unwrap();
    let scenario = format!("{}/scenarios/crash-reassign.json", env!("CARGO_MANIFEST_DIR"));
    let second = switchyard(&["run", &scenario, "--headless", "--journal", journal.to_str().unwrap()]);
    let after = std::fs::read(&journal).unwrap();
    let _ = first.kill();
    let _ = first.wait();
    procs::kill_marked(&mark);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("being written by pid {}", first.id())), "{stderr}");
    assert_eq!(before, after, "the journal was touched");
}

#[test]
fn fsync_changes_durability_not_bytes() {
    let plain = journal_of("crash-storm", None, "plain.jsonl");
    let synced = tmp("synced.jsonl");
    let scenario = format!("{}/scenarios/crash-storm.json", env!("CARGO_MANIFEST_DIR"));
    let out = switchyard(&["run", &scenario, "--headless", "--fsync", "--journal", synced.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&plain).unwrap(), std::fs::read(&synced).unwrap());
    // Without a journal there is nothing to fsync: a usage error.
    let out = switchyard(&["run", &scenario, "--headless", "--fsync"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_fork_without_commands_does_not_diverge_and_one_with_a_crash_does() {
    let source = journal_of("crash-storm", None, "fork-source.jsonl");
    let plain = tmp("fork-plain.jsonl");
    let out = switchyard(&[
        "fork",
        source.to_str().unwrap(),
        "--at",
        "100",
        "--headless",
        "--journal",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let fork = file::load(&plain).unwrap();
    let sha = switchyard::journal::header::sha256_hex(&std::fs::read(&source).unwrap());
    assert_eq!(fork.header.forked_from, Some((sha, 100)));
    let out = switchyard(&["diff", source.to_str().unwrap(), plain.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // The same events, line for line, after the header.
    let (a, b) = (std::fs::read_to_string(&source).unwrap(), std::fs::read_to_string(&plain).unwrap());
    assert!(a.lines().skip(1).eq(b.lines().skip(1)));

    let crashed = tmp("fork-crash.jsonl");
    let out = switchyard(&[
        "fork",
        source.to_str().unwrap(),
        "--at",
        "100",
        "--headless",
        "--journal",
        crashed.to_str().unwrap(),
        "--then",
        ":crash worker-2 -- what if",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    // The fork point is the end of #100's step; the crash is the next event.
    let fork = file::load(&crashed).unwrap();
    let end =
        fork.events.iter().position(|e| matches!(e.kind, switchyard::core::EventKind::OperatorAction { .. })).unwrap();
    assert!(end > 100 && fork.events[..end].iter().all(|e| e.t_ms == fork.events[100].t_ms || e.seq <= 100));
    let out = switchyard(&["diff", source.to_str().unwrap(), crashed.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains(&format!("the journals diverge at #{end} ")), "{stdout}");
    assert!(
        stdout.contains("\"kind\":\"operator_action\",\"who\":") && stdout.contains("\"reason\":\"what if\""),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("note: {} is a fork, at #100", crashed.display())), "{stdout}");
}

#[test]
fn fork_refuses_bad_commands_and_paths_before_writing() {
    let source = journal_of("crash-storm", None, "fork-bad-source.jsonl");
    let new = tmp("fork-bad.jsonl");
    let _ = std::fs::remove_file(&new);
    let out = switchyard(&[
        "fork",
        source.to_str().unwrap(),
        "--at",
        "50",
        "--headless",
        "--journal",
        new.to_str().unwrap(),
        "--then",
        ":crash nobody",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no agent `nobody`"));
    assert!(!new.exists(), "nothing is written for a bad command");
    for bad in [":restart", ":filter x", ":quit"] {
        let out = switchyard(&[
            "fork",
            source.to_str().unwrap(),
            "--at",
            "50",
            "--headless",
            "--journal",
            new.to_str().unwrap(),
            "--then",
            bad,
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(!new.exists(), "{bad}: nothing is written");
    }
    let out = switchyard(&[
        "fork",
        source.to_str().unwrap(),
        "--at",
        "50",
        "--headless",
        "--journal",
        source.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("same file"));
    let out = switchyard(&["fork", source.to_str().unwrap(), "--at", "soon", "--headless"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_live_run_killed_with_sigkill_resumes_and_finishes_without_redoing_finished_work() {
    let dir = procs::temp_dir("resume-live");
    let mark = procs::mark("resume-live");
    let agents =
        [procs::sh_agent("a", &mark, "DELAY=1 answer \"$1\""), procs::sh_agent("b", &mark, "DELAY=1 answer \"$1\"")];
    // One attempt each: an attempt cut short by the crash must not use it up.
    let extra = r#""heartbeat_ms": 0, "defaults": {"retry": {"max_attempts": 1}},"#;
    let file = procs::write_scenario(&dir, &agents, 6, extra);
    let journal = dir.join("journal.jsonl");
    let mut first =
        procs::start(&["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()]);
    // Two tasks done, two in flight: kill it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&journal).map_or(0, |t| t.matches("\"kind\":\"task_completed\"").count()) < 2 {
        assert!(std::time::Instant::now() < deadline, "no progress");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    procs::signal(first.id(), "KILL");
    let _ = first.wait();
    let before = std::fs::read_to_string(&journal).unwrap();
    let done_before: Vec<String> = before
        .lines()
        .filter(|l| l.contains("\"kind\":\"task_completed\""))
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["task"].as_str().unwrap().to_string())
        .collect();
    // The old agents died with their coordinator: the resumed run never meets them.
    let left = procs::wait_all_gone(&mark, std::time::Duration::from_secs(5));
    assert!(left.is_empty(), "agents outlived a coordinator killed with -9: {left:#?}");

    let out = switchyard(&["resume", journal.to_str().unwrap(), "--headless"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    procs::kill_marked(&mark);
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{}", String::from_utf8_lossy(&out.stdout));
    let journal = file::load(&journal).unwrap();
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.last().unwrap()["kind"], "run_finished");
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
    assert!(journal.events.windows(2).all(|w| w[0].t_ms <= w[1].t_ms), "time goes on from the journal");
    // Nothing finished before the kill ran again.
    let resumed_at = before.lines().count();
    for task in &done_before {
        let again = lines[resumed_at..].iter().any(|l| l["kind"] == "attempt_started" && l["task"] == task.as_str());
        assert!(!again, "{task} completed before the kill and ran again");
    }
    // What was in flight was failed as coordinator_restarted and done again, with a new attempt.
    let restarted: Vec<&Value> = lines[resumed_at..]
        .iter()
        .filter(|l| l["kind"] == "attempt_failed" && l["reason"] == "coordinator_restarted")
        .collect();
    assert!(!restarted.is_empty(), "{text}");
    for r in restarted {
        let task = r["task"].as_str().unwrap();
        let redone =
            lines[resumed_at..].iter().find(|l| l["kind"] == "attempt_succeeded" && l["task"] == task).unwrap();
        assert!(redone["attempt"].as_u64() > r["attempt"].as_u64(), "{task}");
    }
    let left = procs::wait_all_gone(&mark, std::time::Duration::from_secs(5));
    assert!(left.is_empty(), "{left:#?}");
}

#[test]
fn a_disk_that_fills_during_a_resume_leaves_whole_lines() {
    let full = std::fs::read(journal_of("flaky-network", None, "full-resume-source.jsonl")).unwrap();
    let keep = full[..full.len() / 3].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let cut = tmp("full-resume.jsonl");
    // Whole lines and a torn tail: the tail is cut, then the disk fills a little further on.
    std::fs::write(&cut, &full[..keep + 9]).unwrap();
    let limit = (keep + 2_345) as u64;
    let out = procs::run_with_file_limit(&["resume", cut.to_str().unwrap(), "--headless"], limit);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot write journal"), "{stderr}");
    let after = std::fs::read(&cut).unwrap();
    assert!(after.len() as u64 <= limit && after.len() > keep, "{} bytes", after.len());
    assert!(after.ends_with(b"\n"), "the journal ends mid-line");
    // What it kept is the uninterrupted run's beginning.
    assert_eq!(after[..], full[..after.len()]);
}

#[test]
fn a_live_run_forks_from_its_journal_with_a_command_and_goes_on() {
    let dir = procs::temp_dir("fork-live");
    let mark = procs::mark("fork-live");
    let agents = [procs::sh_agent("a", &mark, "answer \"$1\""), procs::sh_agent("b", &mark, "answer \"$1\"")];
    let file = procs::write_scenario(&dir, &agents, 6, r#""heartbeat_ms": 0,"#);
    let source = dir.join("source.jsonl");
    let out = switchyard(&["run", file.to_str().unwrap(), "--headless", "--journal", source.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&source).unwrap();
    // After the second completion.
    let at = text.lines().enumerate().filter(|(_, l)| l.contains("\"kind\":\"task_completed\"")).nth(1).unwrap().0;
    let fork = dir.join("fork.jsonl");
    let out = switchyard(&[
        "fork",
        source.to_str().unwrap(),
        "--at",
        &at.to_string(),
        "--headless",
        "--journal",
        fork.to_str().unwrap(),
        "--then",
        ":crash a",
    ]);
    let left = procs::wait_all_gone(&mark, std::time::Duration::from_secs(5));
    procs::kill_marked(&mark);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(left.is_empty(), "{left:#?}");
    let forked = std::fs::read_to_string(&fork).unwrap();
    let loaded = file::load(&fork).unwrap();
    assert_eq!(loaded.header.forked_from.as_ref().map(|f| f.1), Some(at as u64));
    // Its own journal: the source's events up to the fork point, then the operator's crash.
    assert!(text.lines().skip(1).take(at).eq(forked.lines().skip(1).take(at)));
    let next: Value = serde_json::from_str(forked.lines().nth(at + 1).unwrap()).unwrap();
    assert_eq!(
        (next["kind"].as_str(), next["action"].as_str(), next["agent"].as_str()),
        (Some("operator_action"), Some("crash"), Some("a"))
    );
    assert!(forked.lines().last().unwrap().contains("\"outcome\":\"succeeded\""));
    // Nothing after the fork point ran on the crashed agent.
    let lines: Vec<Value> = forked.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines[at + 1..].iter().all(|l| !(l["kind"] == "attempt_started" && l["agent"] == "a")));
    let out = switchyard(&["diff", source.to_str().unwrap(), fork.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("diverge at #{} ", at + 1)));
}
