//! Issue 11, class 1 — agent processes outlive their run. Every process a run starts, and
//! everything those start (in the agent's group, in a new session, through a double fork), is gone
//! when the run ends, when an agent is declared lost, and when switchyard is stopped by a signal;
//! killed with -9, the agents themselves still die. Checked on the process table afterwards.

#[path = "support/procs.rs"]
mod procs;
#[path = "support/scratch.rs"]
mod scratch;

use std::time::Duration;

use procs::*;

const GONE: Duration = Duration::from_secs(5);

/// Fails with the processes left behind (after killing them, so they do not pile up).
fn assert_none_left(mark: &str) {
    let left = wait_all_gone(mark, GONE);
    kill_marked(mark);
    assert!(left.is_empty(), "processes outlived the run: {left:#?}");
}

/// A headless live run whose two agents started descendants and are busy with a task for 30 s.
fn start_busy_run(test: &str) -> (std::process::Child, String) {
    let dir = temp_dir(test);
    let mark = mark(test);
    let slow = "descend; DELAY=30 answer \"$1\"";
    let agents = [sh_agent("a", &mark, slow), sh_agent("b", &mark, slow)];
    let file = write_scenario(&dir, &agents, 2, r#""heartbeat_ms": 0,"#);
    let journal = dir.join("journal.jsonl");
    let run = start(&["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()]);
    wait_for_line(&journal, "attempt_started", Duration::from_secs(20));
    (run, mark)
}

#[test]
fn orphans_none_after_a_run_that_ends_normally() {
    let dir = temp_dir("orphans-normal");
    let mark = mark("orphans-normal");
    let agents = [sh_agent("a", &mark, "descend; answer \"$1\""), sh_agent("b", &mark, "descend; answer \"$1\"")];
    let file = write_scenario(&dir, &agents, 4, r#""heartbeat_ms": 0,"#);
    let mut run = start(&["run", file.to_str().unwrap(), "--headless"]);
    let status = wait_with_deadline(&mut run, Duration::from_secs(30));
    let stderr = std::io::read_to_string(run.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_none_left(&mark);
}

#[test]
fn orphans_none_when_silent_agents_are_lost_as_the_run_ends() {
    let dir = temp_dir("orphans-lost");
    let mark = mark("orphans-lost");
    // Each says hello, starts descendants, then goes silent in its own way.
    let agents = [
        sh_agent("hangs", &mark, "descend; exec sleep 300"),
        sh_agent("closes-stdout", &mark, "descend; exec >&-; exec sleep 300"),
        sh_agent("endless-line", &mark, "descend; while :; do printf xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done"),
    ];
    let extra = r#""heartbeat_ms": 100, "resilience": {"heartbeat_timeout_ms": 400},
                   "defaults": {"retry": {"max_attempts": 1}},"#;
    let file = write_scenario(&dir, &agents, 3, extra);
    let journal = dir.join("journal.jsonl");
    let mut run = start(&["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()]);
    let status = wait_with_deadline(&mut run, Duration::from_secs(30));
    assert_eq!(status.code(), Some(1), "every task fails with its agent lost");
    let lines = journal_lines(&journal);
    let lost = lines.iter().filter(|l| l["kind"] == "agent_lost").count();
    assert!(lost >= 3, "all three agents are lost: {lost}");
    assert_eq!(lines.last().unwrap()["kind"], "run_finished");
    assert_none_left(&mark);
}

#[test]
fn orphans_none_after_sigterm_sigint_or_sighup() {
    for (sig, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let (mut run, mark) = start_busy_run("orphans-signal");
        signal(run.id(), sig);
        let status = wait_with_deadline(&mut run, Duration::from_secs(20));
        assert_eq!(status.code(), Some(code), "SIG{sig}");
        assert_none_left(&mark);
    }
}

#[test]
fn orphans_the_agents_die_with_a_switchyard_killed_by_sigkill() {
    let (mut run, mark) = start_busy_run("orphans-kill9");
    // The agents themselves: children of switchyard running the script (the others are orphans
    // of the double fork, which came back to switchyard as their subreaper).
    let agents: Vec<u32> = marked(&mark)
        .into_iter()
        .filter(|(pid, cmd)| parent(*pid) == Some(run.id()) && cmd.contains("\"type\":\"hello\""))
        .map(|(pid, _)| pid)
        .collect();
    assert_eq!(agents.len(), 2, "both agents run: {:#?}", marked(&mark));
    signal(run.id(), "KILL");
    let _ = run.wait();
    let deadline = std::time::Instant::now() + GONE;
    let agents_left = loop {
        let left: Vec<u32> = agents.iter().copied().filter(|&p| is_running(p)).collect();
        if left.is_empty() || std::time::Instant::now() > deadline {
            break left;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    kill_marked(&mark);
    assert!(agents_left.is_empty(), "agents outlived a switchyard killed with -9: {agents_left:#?}");
}
