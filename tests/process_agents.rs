//! Real agent processes (`assets/agents/`, Python 3 and POSIX sh) driven through `ProcessAgent`:
//! handshake, task round trips, rejection, garbage, crashes, hangs, floods, stderr, and that no
//! child outlives its handle (no zombie, no orphan).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use switchyard::agents::{
    AgentCommand, AgentOutput, FromAgent, HelloError, LogLevel, ProcessAgent, ProcessOptions, ProtocolError, SendError,
    ToAgent, VoteChoice,
};
use tokio::time::{Instant, timeout};

const STEP: Duration = Duration::from_secs(5);
const HELLO: Duration = Duration::from_secs(5);

fn agents_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/agents")
}

fn python(script: &str, args: &[&str]) -> AgentCommand {
    let path = agents_dir().join(script).to_string_lossy().into_owned();
    let mut command = vec!["python3".to_string(), path];
    command.extend(args.iter().map(|a| a.to_string()));
    AgentCommand::new(command).env("PYTHONDONTWRITEBYTECODE", "1")
}

fn spawn(cmd: &AgentCommand) -> ProcessAgent {
    ProcessAgent::spawn(cmd, &ProcessOptions::default()).expect("spawn agent")
}

/// The next output item, failing the test if none comes within [`STEP`].
async fn next(agent: &mut ProcessAgent) -> AgentOutput {
    match timeout(STEP, agent.recv()).await {
        Ok(Some(item)) => item,
        Ok(None) => panic!("the agent's output ended"),
        Err(_) => panic!("no output within {STEP:?}"),
    }
}

/// Output items up to and including the first one matching `stop`.
async fn until(agent: &mut ProcessAgent, stop: impl Fn(&AgentOutput) -> bool) -> Vec<AgentOutput> {
    let mut seen = Vec::new();
    loop {
        let item = next(agent).await;
        let done = stop(&item);
        seen.push(item);
        if done {
            return seen;
        }
    }
}

fn is_result(item: &AgentOutput) -> bool {
    matches!(item, AgentOutput::Message(FromAgent::Result { .. }))
}

fn task_msg(id: &str, description: &str, inputs: Value) -> ToAgent {
    let Value::Object(inputs) = inputs else { panic!("inputs must be an object") };
    ToAgent::Task {
        id: id.into(),
        attempt: 1,
        capability: "summarize".into(),
        description: description.into(),
        inputs,
        deadline_ms: 5_000,
        max_subtasks: None,
    }
}

/// Whether a process with this pid exists (a zombie counts: it has not been reaped).
fn exists(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .expect("this test needs /proc or the `kill` command to see whether a process exists")
            .success()
    }
}

/// Waits until the pid is gone: killed and reaped.
async fn assert_gone(pid: u32, within: Duration) {
    let deadline = Instant::now() + within;
    while exists(pid) {
        assert!(Instant::now() < deadline, "process {pid} still exists after {within:?} (zombie or orphan)");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn handshake_and_task_round_trip_with_the_python_helper() {
    let mut agent = spawn(&python("summarize.py", &["researcher-1"]));
    let pid = agent.pid().unwrap();
    let hello = agent.handshake(HELLO, "researcher-1", &["summarize"]).await.expect("handshake");
    assert_eq!(hello.capabilities, ["summarize", "research"]);

    let inputs = json!({"plan": {"files": ["corpus/switchyards.txt"]}});
    agent.send(&task_msg("survey", "summarize corpus/rivers.txt", inputs)).unwrap();
    let seen = until(&mut agent, is_result).await;
    let progress: Vec<f64> = seen
        .iter()
        .filter_map(|i| match i {
            AgentOutput::Message(FromAgent::Progress { task, fraction, .. }) if task == "survey" => Some(*fraction),
            _ => None,
        })
        .collect();
    assert_eq!(progress, [0.5, 1.0]);
    let log = FromAgent::Log { level: LogLevel::Debug, message: "[survey#1] read corpus/rivers.txt (94 words)".into() };
    assert!(seen.contains(&AgentOutput::Message(log)), "{seen:?}");
    let Some(AgentOutput::Message(FromAgent::Result { task, attempt, output })) = seen.last() else { unreachable!() };
    assert_eq!((task.as_str(), *attempt), ("survey", 1));
    assert_eq!(output["files"][0]["path"], "corpus/rivers.txt");
    assert_eq!(output["files"][0]["words"], 94);
    assert!(output["files"][0]["summary"].as_str().unwrap().starts_with("Rivers shape the land they cross."));
    assert_eq!(output["files"][1]["path"], "corpus/switchyards.txt", "a file named in the inputs");
    assert_eq!(output["total_words"], 194);

    // A file outside assets/ fails the attempt, not retryable.
    agent.send(&task_msg("escape", "summarize ../Cargo.toml.txt", json!({}))).unwrap();
    let seen = until(&mut agent, |i| matches!(i, AgentOutput::Message(FromAgent::Error { .. }))).await;
    let Some(AgentOutput::Message(FromAgent::Error { task, message, retryable, .. })) = seen.last() else {
        unreachable!()
    };
    assert_eq!(task, "escape");
    assert!(message.contains("outside the assets directory"), "{message}");
    assert!(!retryable);

    // Auctions, ballots and help requests get their default or overridden answers.
    let cfp = ToAgent::Cfp { auction: "a1".into(), task: "t".into(), capability: "summarize".into(), deadline_ms: 100 };
    agent.send(&cfp).unwrap();
    agent.send(&ToAgent::Ballot { proposal: "p1".into(), question: "ship?".into(), deadline_ms: 100 }).unwrap();
    let help =
        ToAgent::HelpRequest { id: "h1".into(), from: "writer".into(), capability: "c".into(), question: "q".into() };
    agent.send(&help).unwrap();
    let seen = until(&mut agent, |i| matches!(i, AgentOutput::Message(FromAgent::HelpResponse { .. }))).await;
    let messages: Vec<&FromAgent> = seen
        .iter()
        .filter_map(|i| match i {
            AgentOutput::Message(FromAgent::Heartbeat {}) => None,
            AgentOutput::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(
        messages,
        [
            &FromAgent::Bid { auction: "a1".into(), price: 1.0, eta_ms: 200, confidence: 0.9 },
            &FromAgent::Vote { proposal: "p1".into(), choice: VoteChoice::Abstain, reason: None },
            &FromAgent::HelpResponse { id: "h1".into(), answer: "researcher-1 cannot help with c".into() },
        ]
    );

    let report = agent.shutdown(Duration::from_secs(5)).await;
    assert_eq!((report.exit.status, report.exit.signal, report.killed), (Some(0), None, false), "{report:?}");
    assert!(agent.recv().await.is_none(), "nothing after Exited");
    assert_eq!(agent.send(&ToAgent::Shutdown {}), Err(SendError::Closed));
    assert_eq!(agent.stats().garbage, 0);
    assert_gone(pid, Duration::from_secs(2)).await;
}

#[tokio::test]
async fn helper_heartbeats_retryable_errors_and_the_id_override() {
    let cmd = python("echo.py", &[]).env("SWITCHYARD_HEARTBEAT_MS", "50").env("SWITCHYARD_AGENT_ID", "echo-7");
    let mut agent = spawn(&cmd);
    agent.handshake(HELLO, "echo-7", &["echo"]).await.expect("handshake");
    let started = Instant::now();
    let mut beats = 0;
    while beats < 3 {
        if let AgentOutput::Message(FromAgent::Heartbeat {}) = next(&mut agent).await {
            beats += 1;
        }
    }
    assert!(started.elapsed() < Duration::from_secs(2), "3 heartbeats at 50 ms took {:?}", started.elapsed());

    agent.send(&task_msg("t1", "please fail", json!({}))).unwrap();
    let seen = until(&mut agent, |i| matches!(i, AgentOutput::Message(FromAgent::Error { .. }))).await;
    let Some(AgentOutput::Message(FromAgent::Error { message, retryable, .. })) = seen.last() else { unreachable!() };
    assert_eq!((message.as_str(), *retryable), ("asked to fail: please fail", true));

    agent.send(&task_msg("t2", "hello", json!({"b": 1, "a": {"x": 2}}))).unwrap();
    let seen = until(&mut agent, is_result).await;
    let Some(AgentOutput::Message(FromAgent::Result { output, .. })) = seen.last() else { unreachable!() };
    assert_eq!(output, &json!({"echo": "hello", "inputs": ["a", "b"], "by": "echo-7"}));

    // A cancelled attempt gets no reply; the agent keeps serving.
    agent.send(&ToAgent::Cancel { task: "nothing-running".into(), attempt: 1 }).unwrap();
    let report = agent.shutdown(Duration::from_secs(5)).await;
    assert!(!report.killed);
    assert!(report.outputs.iter().all(|o| !is_result(o)), "{:?}", report.outputs);
}

#[tokio::test]
async fn shell_agent_round_trip() {
    let dir = agents_dir();
    let cmd = AgentCommand::new(["sh", "shell_agent.sh", "sh-1"]).cwd(&dir);
    let mut agent = spawn(&cmd);
    agent.handshake(HELLO, "sh-1", &["echo"]).await.expect("handshake");
    agent.send(&task_msg("t\"1", "say \"hi\" \\ twice", json!({"dep": {"id": "x", "attempt": 9}}))).unwrap();
    let item = next(&mut agent).await;
    let expected = FromAgent::Result {
        task: "t\"1".into(),
        attempt: 1,
        output: json!({"echo": "say \"hi\" \\ twice", "by": "sh-1"}),
    };
    assert_eq!(item, AgentOutput::Message(expected));
    let report = agent.shutdown(Duration::from_secs(5)).await;
    assert_eq!((report.exit.status, report.killed), (Some(0), false));
}

#[tokio::test]
async fn hello_that_disagrees_with_the_scenario_is_rejected() {
    let mut agent = spawn(&python("summarize.py", &[]));
    let err = agent.handshake(HELLO, "writer", &["writing"]).await.unwrap_err();
    let HelloError::Rejected(why) = &err else { panic!("{err:?}") };
    assert!(why.contains("agent id `summarizer` does not match the scenario's `writer`"), "{why}");
    assert!(why.contains("capabilities [writing] not declared"), "{why}");
    assert!(err.to_string().starts_with("hello rejected: "));
    agent.shutdown(Duration::from_secs(5)).await;

    let mut agent = spawn(&python("summarize.py", &[]));
    let err = agent.handshake(HELLO, "summarizer", &["summarize", "translate"]).await.unwrap_err();
    assert_eq!(err, HelloError::Rejected("capabilities [translate] not declared by the agent".into()));
    agent.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn missing_or_wrong_first_line_and_early_exit() {
    let mut agent = spawn(&python("misbehave.py", &["silent"]));
    let started = Instant::now();
    let err = agent.wait_hello(Duration::from_millis(300)).await.unwrap_err();
    assert_eq!(err, HelloError::Timeout(Duration::from_millis(300)));
    assert!(started.elapsed() < Duration::from_secs(2));
    let report = agent.shutdown(Duration::from_millis(100)).await;
    assert!(report.killed, "a silent agent ignores shutdown: {report:?}");

    let mut agent = spawn(&python("misbehave.py", &["nohello"]));
    let err = agent.wait_hello(HELLO).await.unwrap_err();
    assert_eq!(err, HelloError::NotHello("a `heartbeat` message came first".into()));
    drop(agent);

    let mut agent = spawn(&AgentCommand::new(["sh", "-c", "echo 'oops' >&2; exit 5"]));
    let err = agent.wait_hello(HELLO).await.unwrap_err();
    assert_eq!(err, HelloError::Exited(switchyard::agents::ExitInfo { status: Some(5), signal: None }));
    // What came before is kept: the stderr line, then the exit.
    assert_eq!(next(&mut agent).await, AgentOutput::Stderr("oops".into()));
    assert_eq!(next(&mut agent).await, AgentOutput::Exited { status: Some(5), signal: None });

    let err = ProcessAgent::spawn(&AgentCommand::new(["/nonexistent/agent"]), &ProcessOptions::default()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    let err = ProcessAgent::spawn(&AgentCommand::default(), &ProcessOptions::default()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn garbage_lines_are_reported_and_counted() {
    let mut agent = spawn(&python("misbehave.py", &["garbage", "g"]));
    agent.handshake(HELLO, "g", &["chaos"]).await.expect("handshake");
    let seen = until(&mut agent, |i| matches!(i, AgentOutput::Message(FromAgent::Heartbeat {}))).await;
    let kinds: Vec<(&str, &str)> = seen
        .iter()
        .filter_map(|i| match i {
            AgentOutput::Garbage { line, error } => Some((line.as_str(), error.kind())),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("this is not JSON", "not_json"),
            (r#"{"type":"teleport","to":"mars"}"#, "unknown_type"),
            ("[1, 2, 3]", "not_object"),
            (r#"{"type":"result","task":"t","attempt":"one","output":null}"#, "invalid_field"),
        ]
    );
    assert_eq!(agent.garbage_count(), 4);

    // After garbage the agent still works, and so does the reader.
    agent.send(&task_msg("t1", "anything", json!({}))).unwrap();
    let seen = until(&mut agent, is_result).await;
    assert!(matches!(seen[0], AgentOutput::Garbage { error: ProtocolError::NotJson(_), .. }), "{seen:?}");
    assert_eq!(agent.stats().garbage, 5);
    assert_eq!(agent.stats().messages, 3, "hello, heartbeat, result");
    agent.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn exiting_mid_task_reports_status_3() {
    let mut agent = spawn(&python("misbehave.py", &["crash"]));
    let pid = agent.pid().unwrap();
    agent.handshake(HELLO, "misbehave", &["chaos"]).await.expect("handshake");
    agent.send(&task_msg("doomed", "crash please", json!({}))).unwrap();
    let seen = until(&mut agent, |i| matches!(i, AgentOutput::Exited { .. })).await;
    assert!(
        seen.iter().any(|i| matches!(i, AgentOutput::Message(FromAgent::Progress { task, .. }) if task == "doomed"))
    );
    assert!(seen.contains(&AgentOutput::Stderr("about to crash on doomed".into())), "{seen:?}");
    assert_eq!(seen.last(), Some(&AgentOutput::Exited { status: Some(3), signal: None }));
    assert_eq!(agent.exit_status().map(|e| e.status), Some(Some(3)));
    assert!(agent.recv().await.is_none(), "Exited is the last item");
    assert_eq!(agent.send(&ToAgent::Shutdown {}), Err(SendError::Closed));
    assert_gone(pid, Duration::from_secs(1)).await;
    let report = agent.shutdown(Duration::from_secs(5)).await;
    assert_eq!((report.exit.status, report.killed), (Some(3), false));
}

#[tokio::test]
async fn a_hung_agent_is_silent_and_killed_at_the_end_of_the_grace_period() {
    let mut agent = spawn(&python("misbehave.py", &["hang"]));
    let pid = agent.pid().unwrap();
    agent.handshake(HELLO, "misbehave", &["chaos"]).await.expect("handshake");
    agent.send(&task_msg("t1", "anything", json!({}))).unwrap();
    let quiet = timeout(Duration::from_millis(400), agent.recv()).await;
    assert!(quiet.is_err(), "a hung agent sends nothing, no heartbeat either: {quiet:?}");

    let grace = Duration::from_millis(300);
    let report = agent.shutdown(grace).await;
    assert!(report.killed, "{report:?}");
    assert_eq!((report.exit.status, report.exit.signal), (None, Some(9)));
    assert!(report.elapsed >= grace && report.elapsed < grace + Duration::from_secs(1), "{:?}", report.elapsed);
    assert_gone(pid, Duration::from_millis(500)).await;
}

#[tokio::test]
async fn an_output_flood_is_bounded() {
    let started = Instant::now();
    let mut agent = spawn(&python("misbehave.py", &["flood"]));
    let pid = agent.pid().unwrap();
    agent.handshake(HELLO, "misbehave", &["chaos"]).await.expect("handshake");
    // 2 MiB lines are rejected as too long, and the reader resyncs on the heartbeat after each.
    let (mut too_long, mut beats) = (0, 0);
    while too_long < 4 {
        match next(&mut agent).await {
            AgentOutput::Garbage { line, error: ProtocolError::LineTooLong { len, max } } => {
                assert_eq!((len, max), (2 << 20, 1 << 20));
                assert_eq!(line.chars().count(), 200);
                too_long += 1;
            }
            AgentOutput::Message(FromAgent::Heartbeat {}) => beats += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(beats >= 3, "{beats} heartbeats between {too_long} long lines");
    let report = agent.shutdown(Duration::from_millis(200)).await;
    assert!(report.killed, "a flooding agent never reads its shutdown");
    assert_gone(pid, Duration::from_secs(1)).await;

    // With nobody reading, the reader stops at the channel's capacity: the agent blocks on its
    // own stdout instead of our memory growing.
    let opts = ProcessOptions { channel_capacity: 4, max_line_bytes: 64 * 1024, ..ProcessOptions::default() };
    let agent = ProcessAgent::spawn(&python("misbehave.py", &["flood"]), &opts).unwrap();
    let pid = agent.pid().unwrap();
    let read = |agent: &ProcessAgent| agent.stats().messages + agent.stats().garbage;
    let deadline = Instant::now() + STEP;
    while read(&agent) < 5 {
        assert!(Instant::now() < deadline, "the flood did not start: {:?}", agent.stats());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Capacity 4 in the channel, plus the line waiting to be sent; then nothing more.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(read(&agent), 5, "{:?}", agent.stats());
    drop(agent);
    assert_gone(pid, Duration::from_secs(1)).await;
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn stderr_lines_are_captured() {
    let mut agent = spawn(&python("misbehave.py", &["noisy"]));
    agent.handshake(HELLO, "misbehave", &["chaos"]).await.expect("handshake");
    // Printed before the hello and kept by the handshake.
    assert_eq!(next(&mut agent).await, AgentOutput::Stderr("starting up".into()));
    assert_eq!(next(&mut agent).await, AgentOutput::Stderr("loading nothing in particular".into()));
    let AgentOutput::Stderr(long) = next(&mut agent).await else { panic!("expected the long stderr line") };
    assert!(long.starts_with("yyyy") && long.ends_with("… [20000 bytes, cut]"), "{}", &long[long.len() - 40..]);
    assert!(long.len() < 2000);
    agent.send(&task_msg("t1", "x", json!({}))).unwrap();
    let seen = until(&mut agent, is_result).await;
    assert!(seen.contains(&AgentOutput::Stderr("working on t1".into())), "{seen:?}");
    assert_eq!(agent.stats().stderr_lines, 4);
    let report = agent.shutdown(Duration::from_secs(5)).await;
    assert_eq!((report.exit.status, report.killed), (Some(0), false));
}

#[tokio::test]
async fn dropping_an_agent_kills_and_reaps_it() {
    for mode in ["hang", "noisy"] {
        let mut agent = spawn(&python("misbehave.py", &[mode]));
        let pid = agent.pid().unwrap();
        agent.handshake(HELLO, "misbehave", &["chaos"]).await.expect("handshake");
        assert!(exists(pid));
        drop(agent);
        assert_gone(pid, Duration::from_secs(1)).await;
    }
}

#[tokio::test]
async fn an_agent_that_does_not_read_its_input_fills_its_queue() {
    let opts = ProcessOptions { stdin_queue: 2, ..ProcessOptions::default() };
    let mut agent = ProcessAgent::spawn(&python("misbehave.py", &["hang"]), &opts).unwrap();
    let pid = agent.pid().unwrap();
    agent.wait_hello(HELLO).await.expect("hello");
    let big = task_msg("big", &"z".repeat(100_000), json!({}));
    let mut sent = 0;
    let err = loop {
        match agent.send(&big) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(sent < 100, "the queue never filled");
        tokio::task::yield_now().await;
    };
    assert_eq!(err, SendError::Full);
    drop(agent);
    assert_gone(pid, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn on_ballot_overrides_the_default_vote() {
    let mut agent = spawn(&python("echo.py", &[]).env("SWITCHYARD_HEARTBEAT_MS", "0"));
    agent.handshake(HELLO, "echo", &["echo"]).await.expect("handshake");
    agent.send(&ToAgent::HelpResponse { id: "h".into(), from: "x".into(), answer: "a".into() }).unwrap();
    agent.send(&ToAgent::Ballot { proposal: "p".into(), question: "q".into(), deadline_ms: 1 }).unwrap();
    let item = next(&mut agent).await;
    let expected =
        FromAgent::Vote { proposal: "p".into(), choice: VoteChoice::Yes, reason: Some("echo agrees".into()) };
    assert_eq!(item, AgentOutput::Message(expected));
    agent.shutdown(Duration::from_secs(5)).await;
}
