//! Remote agents over a real `nats-server` (one per test) with real bridges (`switchyard agent`)
//! and real Python agents behind them: the bundled remote team ends as its local twin does; a
//! bridge killed with -9 mid-task takes its agent with it, its task is run again elsewhere and
//! nothing else runs twice, and the bridge started again is seen back; garbage on the agent's
//! subjects is a `protocol_error` and the run goes on.

#[path = "support/nats.rs"]
mod nats;

use std::path::Path;
use std::time::{Duration, Instant};

use nats::{NatsServer, Proc, switchyard, write_file};
use serde_json::Value;

const REMOTE_TEAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/remote-team.json");
const GARBAGE_AGENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nats/garbage_agent.py");

/// Long enough for a run of a few seconds of wall time on a loaded 2-core machine.
const RUN_WITHIN: Duration = Duration::from_secs(90);

fn events(journal: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

/// Waits until the journal has an event that `wanted` picks.
fn wait_for(journal: &Path, within: Duration, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        // The last line may be half written: only whole lines count.
        let text = std::fs::read_to_string(journal).unwrap_or_default();
        let whole = text.rfind('\n').map_or("", |i| &text[..i]);
        if let Some(found) = whole.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find(|e| wanted(e)) {
            return found;
        }
        assert!(Instant::now() < deadline, "no {what} in the journal within {within:?}:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The summary's first line after its name and time: `12 tasks: 10 completed, …`.
fn tally(stdout: &str) -> String {
    let first = stdout.lines().next().unwrap_or_default();
    let outcome = first.split(": ").nth(1).unwrap_or_default().split(' ').next().unwrap_or_default();
    format!("{outcome} {}", first.split(" — ").nth(1).unwrap_or_default())
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("these tests need /proc").flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // `pid (comm) state ppid …`: comm may hold spaces, so read after its closing parenthesis.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        if after.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            found.push(child);
        }
    }
    found
}

/// Whether `pid` is gone (or a zombie about to be reaped).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn the_remote_team_ends_as_its_local_twin_and_attach_prints_its_journal() {
    let server = NatsServer::start("remote-team");
    let (dir, url) = (server.dir(), server.url());
    // Bridges started before the run wait for it, then read their commands from its first event.
    let mut bridges: Vec<Proc> = ["gpu-writer", "gpu-reviewer"]
        .iter()
        .map(|id| Proc::start(dir, id, &["agent", "--nats", &url, "--run", "remote-team", "--id", id]))
        .collect();
    let journal = dir.join("served.jsonl");
    let mut run = Proc::start(
        dir,
        "serve",
        &["run", REMOTE_TEAM, "--headless", "--serve", &url, "--journal", journal.to_str().unwrap()],
    );
    let status = run.wait(RUN_WITHIN);
    assert_eq!(status.code(), Some(0), "{}\n{}", run.out(), run.err());
    for (bridge, id) in bridges.iter_mut().zip(["gpu-writer", "gpu-reviewer"]) {
        // Told `shutdown` at the end of the run: exit 0.
        assert_eq!(bridge.wait(Duration::from_secs(10)).code(), Some(0), "{id}: {}", bridge.err());
        assert!(bridge.err().contains(&format!("switchyard agent {id}: joined run `remote-team`")), "{}", bridge.err());
    }
    let events = events(&journal);
    let by_remote = |agent: &str| of_kind(&events, "attempt_succeeded").iter().filter(|e| e["agent"] == agent).count();
    assert!(by_remote("gpu-writer") >= 1, "the remote writer did no work");
    assert_eq!(of_kind(&events, "vote_cast").len(), 3, "every reviewer votes, the remote ones too");
    assert_eq!(of_kind(&events, "bid_received").len(), 2, "the remote writer bids, as the simulated one");
    assert!(of_kind(&events, "protocol_error").is_empty(), "{events:?}");

    // The local twin: the same team, its Python agents as local processes.
    let text = std::fs::read_to_string(REMOTE_TEAM).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let twin = write_file(
        dir,
        "twin.json",
        &text.replace(r#""kind": "nats""#, &format!(r#""kind": "process", "cwd": "{root}""#)),
    );
    let local = switchyard(dir, &["run", &twin, "--headless"]);
    assert_eq!(local.code, Some(0), "{}", local.stderr);
    assert_eq!(tally(&run.out()), tally(&local.stdout), "served:\n{}\nlocal:\n{}", run.out(), local.stdout);

    // The stream holds the journal's lines: attach prints them, and exits as the run did.
    let mut attach = Proc::start(dir, "attach", &["attach", &url, "--run", "remote-team", "--follow"]);
    assert_eq!(attach.wait(Duration::from_secs(30)).code(), Some(0), "{}", attach.err());
    assert!(attach.out_bytes() == std::fs::read(&journal).unwrap(), "attach --follow must print the journal exactly");
}

/// Two remote workers taking a second a task; a worker silent for a second is lost.
fn two_workers(dir: &Path, tasks: usize) -> String {
    let agent = |id: &str| {
        format!(
            r#"{{"id": "{id}", "capabilities": ["work"], "kind": "nats",
  "command": ["python3", "assets/agents/team_member.py", "{id}"],
  "env": {{"SWITCHYARD_CAPABILITIES": "work", "SWITCHYARD_WORK_MS": "1000", "SWITCHYARD_HEARTBEAT_MS": "150"}}}}"#
        )
    };
    let tasks: Vec<String> =
        (1..=tasks).map(|i| format!(r#"{{"id": "t{i}", "description": "job {i}", "capability": "work"}}"#)).collect();
    let scenario = format!(
        r#"{{"name": "workers", "seed": 1, "allocation": "least_loaded", "resilience": {{"heartbeat_timeout_ms": 1000}},
"defaults": {{"timeout_ms": 20000, "retry": {{"max_attempts": 3, "backoff_ms": 100}}}},
"agents": [{}, {}],
"tasks": [{}]}}"#,
        agent("w1"),
        agent("w2"),
        tasks.join(",\n")
    );
    write_file(dir, "workers.json", &scenario)
}

#[test]
fn a_bridge_killed_mid_task_takes_its_agent_along_its_task_runs_elsewhere_and_it_comes_back() {
    let server = NatsServer::start("bridge-kill");
    let (dir, url) = (server.dir(), server.url());
    let scenario = two_workers(dir, 6);
    let bridge =
        |name: &str, id: &str| Proc::start(dir, name, &["agent", "--nats", &url, "--run", "workers", "--id", id]);
    let mut w1 = bridge("w1", "w1");
    let mut w2 = bridge("w2", "w2");
    let journal = dir.join("served.jsonl");
    let mut run = Proc::start(
        dir,
        "serve",
        &["run", &scenario, "--headless", "--serve", &url, "--journal", journal.to_str().unwrap()],
    );
    // Once w1 works on a task: its bridge dies at once, and its agent with it.
    let started = wait_for(&journal, Duration::from_secs(30), "attempt of w1", |e| {
        e["kind"] == "attempt_started" && e["agent"] == "w1"
    });
    let interrupted = started["task"].as_str().unwrap().to_string();
    // The task waits on the work queue until the bridge has joined; then it runs for a second.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !w1.err().contains("joined run") {
        assert!(Instant::now() < deadline, "w1 did not join: {}", w1.err());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let agents = children(w1.pid());
    assert_eq!(agents.len(), 1, "the bridge runs one agent process: {agents:?}; bridge: {}", w1.err());
    nix_kill9(w1.pid());
    let _ = w1.wait(Duration::from_secs(5));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !gone(agents[0]) {
        assert!(Instant::now() < deadline, "agent process {} outlived its bridge", agents[0]);
        std::thread::sleep(Duration::from_millis(20));
    }
    // Silent past the heartbeat timeout: lost, its task given to w2.
    wait_for(&journal, Duration::from_secs(10), "w1 lost", |e| e["kind"] == "agent_lost" && e["agent"] == "w1");
    // The bridge started again says hello: w1 is back while the run still goes on.
    let mut again = bridge("w1-again", "w1");
    wait_for(&journal, Duration::from_secs(15), "w1 back", |e| {
        e["kind"] == "agent_revived" && e["agent"] == "w1" && e["origin"] == "detected"
    });
    assert_eq!(run.wait(RUN_WITHIN).code(), Some(0), "{}\n{}", run.out(), run.err());
    for b in [&mut w2, &mut again] {
        assert_eq!(b.wait(Duration::from_secs(10)).code(), Some(0), "{}", b.err());
    }

    let events = events(&journal);
    let failed = of_kind(&events, "attempt_failed");
    assert!(
        failed.iter().any(|e| e["task"] == interrupted.as_str() && e["agent"] == "w1" && e["reason"] == "agent_lost"),
        "the interrupted attempt fails as lost: {failed:?}"
    );
    assert!(of_kind(&events, "task_reassigned").iter().any(|e| e["task"] == interrupted.as_str()));
    // Nothing ran twice but the interrupted task: one more start than tasks, one success each.
    for i in 1..=6 {
        let task = format!("t{i}");
        let starts = of_kind(&events, "attempt_started").iter().filter(|e| e["task"] == task.as_str()).count();
        let done = of_kind(&events, "attempt_succeeded").iter().filter(|e| e["task"] == task.as_str()).count();
        assert_eq!(done, 1, "{task} succeeded {done} times");
        assert_eq!(starts, if task == interrupted { 2 } else { 1 }, "{task} started {starts} times");
    }
}

fn nix_kill9(pid: u32) {
    let status = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
    assert!(status.is_ok_and(|s| s.success()), "these tests need `kill`");
}

#[test]
fn garbage_on_an_agents_subjects_is_a_protocol_error_and_the_run_goes_on() {
    let server = NatsServer::start("agent-garbage");
    let (dir, url) = (server.dir(), server.url());
    let scenario = write_file(
        dir,
        "garbage.json",
        r#"{"name": "garbage", "seed": 1, "resilience": {"heartbeat_timeout_ms": 0},
"agents": [{"id": "w", "capabilities": ["work"], "kind": "nats"},
           {"id": "sim", "capabilities": ["other"]}],
"tasks": [{"id": "gate", "capability": "other"},
          {"id": "t1", "capability": "work", "depends_on": ["gate"]},
          {"id": "t2", "capability": "work", "depends_on": ["t1"]},
          {"id": "t3", "capability": "work", "depends_on": ["t2"]}]}"#,
    );
    let journal = dir.join("served.jsonl");
    let mut run = Proc::start(
        dir,
        "serve",
        &["run", &scenario, "--headless", "--serve", &url, "--paused", "--journal", journal.to_str().unwrap()],
    );
    let mut bridge = Proc::start(
        dir,
        "w",
        &["agent", "--nats", &url, "--run", "garbage", "--id", "w", "--", "python3", GARBAGE_AGENT, "w"],
    );
    nats::wait_until_served(dir, &url, "garbage", Duration::from_secs(30));
    // Strangers' messages on the agent's subject: no run named, another run's.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = async_nats::connect(url.as_str()).await.unwrap();
        let subject = "switchyard.garbage.agent.w.out";
        client.publish(subject, "{\"type\":\"heartbeat\"}".into()).await.unwrap();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Switchyard-Run", "another-run");
        client.publish_with_headers(subject, headers, "{\"type\":\"heartbeat\"}".into()).await.unwrap();
        client.flush().await.unwrap();
    });
    wait_for(&journal, Duration::from_secs(10), "the second stranger's error", |e| {
        e["kind"] == "protocol_error" && e["error"].as_str().unwrap_or_default().contains("another-run")
    });
    assert_eq!(nats::ctl(dir, &url, "garbage", ":resume").code, Some(0));
    assert_eq!(run.wait(RUN_WITHIN).code(), Some(0), "{}\n{}", run.out(), run.err());
    assert_eq!(bridge.wait(Duration::from_secs(10)).code(), Some(0), "{}", bridge.err());
    let events = events(&journal);
    let errors: Vec<String> =
        of_kind(&events, "protocol_error").iter().map(|e| e["error"].as_str().unwrap().to_string()).collect();
    let has = |part: &str| errors.iter().any(|m| m.contains(part));
    assert!(has("without its run"), "{errors:?}");
    assert!(has("for run `another-run`"), "{errors:?}");
    assert!(has("not JSON"), "{errors:?}");
    assert!(has("task `t3` attempt 9, which was never given out"), "{errors:?}");
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert_eq!(of_kind(&events, "task_completed").len(), 4, "the run went on to its end");
}

#[test]
fn a_nats_server_restart_mid_run_pauses_it_and_it_finishes_with_every_event_on_the_stream() {
    let mut server = NatsServer::start("server-restart");
    let (dir, url) = (server.dir().to_path_buf(), server.url());
    let scenario = two_workers(&dir, 6);
    let bridge = |id: &str| Proc::start(&dir, id, &["agent", "--nats", &url, "--run", "workers", "--id", id]);
    let mut bridges = [bridge("w1"), bridge("w2")];
    let journal = dir.join("served.jsonl");
    let mut run = Proc::start(
        &dir,
        "serve",
        &["run", &scenario, "--headless", "--serve", &url, "--journal", journal.to_str().unwrap()],
    );
    wait_for(&journal, Duration::from_secs(30), "a first result", |e| e["kind"] == "attempt_succeeded");
    server.kill();
    // Down for longer than the agents' heartbeat timeout: the run must not count it against them.
    std::thread::sleep(Duration::from_millis(1500));
    server.restart();
    assert_eq!(run.wait(RUN_WITHIN).code(), Some(0), "{}\n{}", run.out(), run.err());
    for b in &mut bridges {
        assert_eq!(b.wait(Duration::from_secs(10)).code(), Some(0), "{}", b.err());
    }
    let events = events(&journal);
    assert_eq!(of_kind(&events, "task_completed").len(), 6);
    assert!(of_kind(&events, "agent_lost").is_empty(), "the outage was counted as the agents' silence");
    let mut attach = Proc::start(&dir, "attach", &["attach", &url, "--run", "workers", "--follow"]);
    assert_eq!(attach.wait(Duration::from_secs(30)).code(), Some(0), "{}", attach.err());
    assert!(attach.out_bytes() == std::fs::read(&journal).unwrap(), "no event may be missing from the stream");
}

#[test]
fn a_second_bridge_for_an_agent_replaces_the_first_which_is_told_to_stop() {
    let server = NatsServer::start("bridge-twice");
    let (dir, url) = (server.dir(), server.url());
    let tasks: Vec<String> = (1..=6)
        .map(|i| {
            format!(
                r#"{{"id": "t{i}", "capability": "work"{}}}"#,
                if i > 1 { format!(r#", "depends_on": ["t{}"]"#, i - 1) } else { String::new() }
            )
        })
        .collect();
    let scenario = write_file(
        dir,
        "twice.json",
        &format!(
            r#"{{"name": "twice", "seed": 1, "resilience": {{"heartbeat_timeout_ms": 0}},
"agents": [{{"id": "w", "capabilities": ["work"], "kind": "nats",
  "command": ["python3", "assets/agents/team_member.py", "w"],
  "env": {{"SWITCHYARD_CAPABILITIES": "work", "SWITCHYARD_WORK_MS": "300", "SWITCHYARD_HEARTBEAT_MS": "100"}}}}],
"tasks": [{}]}}"#,
            tasks.join(",\n")
        ),
    );
    let bridge = |name: &str| Proc::start(dir, name, &["agent", "--nats", &url, "--run", "twice", "--id", "w"]);
    let mut first = bridge("first");
    let journal = dir.join("served.jsonl");
    let mut run = Proc::start(
        dir,
        "serve",
        &["run", &scenario, "--headless", "--serve", &url, "--journal", journal.to_str().unwrap()],
    );
    wait_for(&journal, Duration::from_secs(30), "a first result", |e| e["kind"] == "attempt_succeeded");
    let mut second = bridge("second");
    // Replaced: told to stop, and only it.
    assert_eq!(first.wait(Duration::from_secs(10)).code(), Some(0), "{}", first.err());
    assert_eq!(run.wait(RUN_WITHIN).code(), Some(0), "{}\n{}", run.out(), run.err());
    assert_eq!(second.wait(Duration::from_secs(10)).code(), Some(0), "{}", second.err());
    let events = events(&journal);
    assert!(of_kind(&events, "protocol_error").is_empty(), "the replaced bridge's last words are not errors");
    assert_eq!(of_kind(&events, "task_completed").len(), 6);
}
