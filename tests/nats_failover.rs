//! Coordinator failover over a real `nats-server` (one per test): a hot standby
//! (`run --serve --standby`) takes a run over from its stream when its coordinator stops beating,
//! with a higher epoch; the stream never has a gap or a duplicate; a coordinator that comes back
//! (continued after SIGSTOP, or started again) steps down (exit 4) and none of its late lines
//! reach the stream. A simulated run carried on by a standby writes what the unserved run writes,
//! plus the takeover line.

#[path = "support/nats.rs"]
mod nats;

use std::path::Path;
use std::time::{Duration, Instant};

use nats::{NatsServer, Proc, switchyard};

const CRASH_REASSIGN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/crash-reassign.json");

const RUN_WITHIN: Duration = Duration::from_secs(60);

/// Waits until `path` holds `needle`.
fn wait_for_text(path: &Path, needle: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in {} within {within:?}:\n{text}", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill").args([name, &pid.to_string()]).status();
    assert!(status.is_ok_and(|s| s.success()), "these tests need `kill`");
}

/// The lines without their `seq` (which the takeover line shifts by one), the takeover left out.
fn without_seq_and_takeover(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.contains(r#""kind":"coordinator_took_over""#))
        .map(|l| l.split_once(',').map_or(l, |(_, rest)| rest).to_string())
        .collect()
}

/// The stream as `attach --follow` prints it; checks every line's seq is its position.
fn stream_of(dir: &Path, url: &str, run: &str) -> String {
    let mut attach = Proc::start(dir, "attach", &["attach", url, "--run", run, "--follow"]);
    assert_eq!(attach.wait(Duration::from_secs(30)).code(), Some(0), "{}", attach.err());
    let text = attach.out();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["seq"], i as u64, "a gap or a duplicate in the stream at line {i}: {line}");
    }
    text
}

/// Serves crash-reassign at speed 1 (about 5 s) with a standby beside it; returns both.
fn leader_and_standby(dir: &Path, url: &str) -> (Proc, Proc) {
    let leader_journal = dir.join("leader.jsonl");
    let leader = Proc::start(
        dir,
        "leader",
        &["run", CRASH_REASSIGN, "--headless", "--serve", url, "--journal", leader_journal.to_str().unwrap()],
    );
    let standby_journal = dir.join("standby.jsonl");
    let standby = Proc::start(
        dir,
        "standby",
        &[
            "run",
            CRASH_REASSIGN,
            "--headless",
            "--serve",
            url,
            "--standby",
            "--journal",
            standby_journal.to_str().unwrap(),
        ],
    );
    // The leader is under way: its crash of builder-1 is at 1.2 s.
    wait_for_text(&leader_journal, r#""kind":"agent_crashed""#, RUN_WITHIN);
    (leader, standby)
}

#[test]
fn a_standby_finishes_a_run_whose_coordinator_was_killed_and_the_old_one_started_again_steps_down() {
    let server = NatsServer::start("failover-kill");
    let (dir, url) = (server.dir(), server.url());
    let (mut leader, mut standby) = leader_and_standby(dir, &url);
    signal(leader.pid(), "-9");
    let _ = leader.wait(Duration::from_secs(5));
    wait_for_text(&standby.stderr, "took the lead of run `crash-reassign` (epoch 2)", Duration::from_secs(20));
    // Started again while the standby leads: it steps down.
    let again = switchyard(dir, &["run", CRASH_REASSIGN, "--headless", "--serve", &url]);
    assert_eq!(again.code, Some(4), "{}", again.stderr);
    assert!(again.stderr.contains("is led by another coordinator (epoch 2"), "{}", again.stderr);

    assert_eq!(standby.wait(RUN_WITHIN).code(), Some(0), "{}", standby.err());
    assert!(standby.out().starts_with("crash-reassign (seed 3): SUCCEEDED"), "{}", standby.out());
    let stream = stream_of(dir, &url, "crash-reassign");
    let took: Vec<&str> = stream.lines().filter(|l| l.contains("coordinator_took_over")).collect();
    assert_eq!(took.len(), 1, "{took:?}");
    assert!(took[0].contains(r#""epoch":2"#), "{}", took[0]);
    // The standby's journal is the stream; the run is the unserved run's.
    assert_eq!(std::fs::read_to_string(dir.join("standby.jsonl")).unwrap(), stream);
    let local = dir.join("unserved.jsonl");
    let plain = switchyard(dir, &["run", CRASH_REASSIGN, "--headless", "--journal", local.to_str().unwrap()]);
    assert_eq!(plain.code, Some(0));
    let unserved = std::fs::read_to_string(&local).unwrap();
    assert_eq!(without_seq_and_takeover(&stream), without_seq_and_takeover(&unserved));
}

#[test]
fn a_coordinator_continued_after_the_standby_took_over_steps_down_and_writes_nothing_to_the_stream() {
    let server = NatsServer::start("failover-stop");
    let (dir, url) = (server.dir(), server.url());
    let (mut leader, mut standby) = leader_and_standby(dir, &url);
    signal(leader.pid(), "-STOP");
    wait_for_text(&standby.stderr, "took the lead of run `crash-reassign` (epoch 2)", Duration::from_secs(20));
    signal(leader.pid(), "-CONT");
    assert_eq!(leader.wait(Duration::from_secs(10)).code(), Some(4), "{}", leader.err());
    let err = leader.err();
    assert!(err.contains("another coordinator took the lead (epoch 2") && err.contains("stepped down"), "{err}");

    assert_eq!(standby.wait(RUN_WITHIN).code(), Some(0), "{}", standby.err());
    let stream = stream_of(dir, &url, "crash-reassign");
    // Every line after the takeover is the standby's: its journal is the stream.
    assert_eq!(std::fs::read_to_string(dir.join("standby.jsonl")).unwrap(), stream);
    let local = dir.join("unserved.jsonl");
    assert_eq!(
        switchyard(dir, &["run", CRASH_REASSIGN, "--headless", "--journal", local.to_str().unwrap()]).code,
        Some(0)
    );
    assert_eq!(without_seq_and_takeover(&stream), without_seq_and_takeover(&std::fs::read_to_string(&local).unwrap()));
}

#[test]
fn a_standby_for_a_finished_run_has_nothing_to_take_over() {
    let server = NatsServer::start("failover-finished");
    let (dir, url) = (server.dir(), server.url());
    let run = switchyard(dir, &["run", CRASH_REASSIGN, "--headless", "--serve", &url, "--speed", "50"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut standby = Proc::start(dir, "standby", &["run", CRASH_REASSIGN, "--headless", "--serve", &url, "--standby"]);
    assert_eq!(standby.wait(Duration::from_secs(20)).code(), Some(0), "{}", standby.err());
    assert!(standby.err().contains("finished: nothing to take over"), "{}", standby.err());
}

#[test]
fn remote_agents_follow_the_run_to_the_standby_that_took_it_over() {
    const REMOTE_TEAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/remote-team.json");
    let server = NatsServer::start("failover-remote");
    let (dir, url) = (server.dir(), server.url());
    let mut bridges: Vec<Proc> = ["gpu-writer", "gpu-reviewer"]
        .iter()
        .map(|id| Proc::start(dir, id, &["agent", "--nats", &url, "--run", "team", "--id", id]))
        .collect();
    let journal = dir.join("leader.jsonl");
    let serve = ["run", REMOTE_TEAM, "--headless", "--serve", &url, "--run", "team"];
    let mut leader = Proc::start(dir, "leader", &[&serve[..], &["--journal", journal.to_str().unwrap()]].concat());
    let mut standby = Proc::start(dir, "standby", &[&serve[..], &["--standby"]].concat());
    // The remote writer is at work on the draft when its coordinator dies.
    wait_for_text(&journal, r#""kind":"attempt_started","task":"draft","agent":"gpu-writer""#, RUN_WITHIN);
    signal(leader.pid(), "-9");
    let _ = leader.wait(Duration::from_secs(5));
    assert_eq!(standby.wait(RUN_WITHIN).code(), Some(0), "{}", standby.err());
    for (bridge, id) in bridges.iter_mut().zip(["gpu-writer", "gpu-reviewer"]) {
        assert_eq!(bridge.wait(Duration::from_secs(10)).code(), Some(0), "{id}: {}", bridge.err());
        assert!(bridge.err().contains("joined run `team` again (its new coordinator, epoch 2)"), "{}", bridge.err());
    }
    let stream = stream_of(dir, &url, "team");
    assert!(!stream.contains(r#""kind":"protocol_error""#), "{stream}");
    assert!(!stream.contains(r#""kind":"agent_lost""#), "the takeover is not the agents' silence");
    // What the old coordinator had in flight is failed as such and done again.
    assert!(stream.contains(r#""reason":"coordinator_restarted""#), "{stream}");
    assert!(stream.contains(r#""kind":"run_finished","outcome":"succeeded""#));
}
