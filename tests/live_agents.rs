//! Live runs with real agent processes (Python 3 and sh), checked from the journal: outputs flow
//! into inputs, a process that exits or hangs is detected and its task reassigned, garbage is
//! recorded and a faulty agent rejected, and no process is left behind.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use switchyard::core::{Coordinator, Event};
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::runtime::{LiveOptions, LiveRun};
use switchyard::scenario::{self, Scenario};

fn assets() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").display().to_string()
}

/// A scenario from JSON text in which `{assets}` stands for the assets directory.
fn scenario(text: &str) -> Scenario {
    scenario::parse("live.json", &text.replace("{assets}", &assets())).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs to the end; returns the journal lines, the events, the coordinator's digest check, and
/// every agent pid seen during the run.
fn run(sc: Scenario) -> (Vec<Value>, Vec<Event>, BTreeSet<u32>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let opts = LiveOptions { hello_timeout: Duration::from_secs(10), grace: Duration::from_millis(500) };
        let mut run = LiveRun::new(sc, opts);
        let mut sinks = (Vec::new(), JournalWriter::new(Vec::new()));
        let mut pids = BTreeSet::new();
        run.start(&mut sinks).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !run.is_done() {
            pids.extend(run.pids());
            run.turn(&mut sinks).await.unwrap();
            assert!(tokio::time::Instant::now() < deadline, "the run takes too long");
        }
        run.stop().await;
        let (events, writer) = sinks;
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        // The journal reads back into the same events and rebuilds the same coordinator.
        let sc = run.coordinator().scenario().clone();
        let back = read_journal(&sc, &text).unwrap();
        assert_eq!(back, events);
        let rebuilt = Coordinator::from_events(sc, &back);
        assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
        assert!(run.pids().is_empty(), "agents still running after stop: {:?}", run.pids());
        let lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        (lines, events, pids)
    })
}

fn of_kind<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["kind"] == kind).collect()
}

/// No process of the run exists any more (a zombie would: it is only gone once reaped).
fn assert_all_gone(pids: &BTreeSet<u32>) {
    assert!(!pids.is_empty(), "no agent process was seen");
    assert!(Path::new("/proc/self").exists(), "this test needs /proc (Linux) to see that the processes are gone");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    for pid in pids {
        while Path::new(&format!("/proc/{pid}")).exists() {
            assert!(std::time::Instant::now() < deadline, "process {pid} outlived the run");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn the_real_pipeline_passes_outputs_into_inputs() {
    let sc = scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/real-pipeline.json")).unwrap();
    let (lines, _, pids) = run(sc);
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded", "{lines:#?}");
    let out = |task: &str| {
        let l = of_kind(&lines, "attempt_succeeded").into_iter().find(|l| l["task"] == task).unwrap();
        l["output"].clone()
    };
    assert_eq!(out("summarize-rivers")["files"][0]["path"], "corpus/rivers.txt");
    let counts = out("count-words");
    assert!(counts["counts"]["corpus/rivers.txt"].as_u64().unwrap() > 50, "{counts}");
    // The report could only say this if both summaries and the count reached it as inputs.
    let report = out("report");
    assert_eq!(report["files"], 2, "{report}");
    let agree = &report["counts_agree"];
    assert_eq!(
        (&agree["corpus/rivers.txt"], &agree["corpus/switchyards.txt"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    assert!(report["markdown"].as_str().unwrap().contains("## corpus/switchyards.txt"));
    assert_eq!(pids.len(), 3);
    assert_all_gone(&pids);
}

#[test]
fn a_process_that_exits_mid_task_fails_the_attempt_and_the_task_moves_on() {
    let sc = scenario(
        r#"{"name": "exit", "allocation": "best_score", "heartbeat_ms": 200, "resilience": {"heartbeat_timeout_ms": 2000},
        "agents": [
          {"id": "crasher", "capabilities": ["chaos"], "kind": "process", "performance": 1.0,
           "command": ["python3", "{assets}/agents/misbehave.py", "crash", "crasher"]},
          {"id": "steady", "capabilities": ["chaos"], "performance": 0.5, "profile": {"duration_ms": {"mean": 50}}}
        ],
        "tasks": [{"id": "t", "capability": "chaos", "timeout_ms": 10000}]}"#,
    );
    let (lines, _, pids) = run(sc);
    let failed = of_kind(&lines, "attempt_failed");
    assert_eq!(failed.len(), 1, "{lines:#?}");
    assert_eq!(
        (&failed[0]["agent"], &failed[0]["reason"], &failed[0]["exit_status"]),
        (&"crasher".into(), &"agent_exited".into(), &Value::from(3))
    );
    let exited = of_kind(&lines, "agent_exited");
    assert_eq!((exited.len(), &exited[0]["exit_status"]), (1, &Value::from(3)));
    assert_eq!(of_kind(&lines, "task_reassigned")[0]["task"], "t");
    assert_eq!(of_kind(&lines, "task_completed")[0]["agent"], "steady");
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
    assert_all_gone(&pids);
}

#[test]
fn garbage_is_recorded_and_a_faulty_agent_is_rejected_and_killed() {
    let sc = scenario(
        r#"{"name": "garbage", "heartbeat_ms": 0,
        "agents": [
          {"id": "messy", "capabilities": ["chaos"], "kind": "process",
           "command": ["python3", "{assets}/agents/misbehave.py", "garbage", "messy"]},
          {"id": "junk", "capabilities": ["junk"], "kind": "process",
           "command": ["sh", "-c", "echo '{\"type\":\"hello\",\"protocol\":1,\"agent\":\"junk\",\"capabilities\":[\"junk\"]}'; i=0; while [ $i -lt 12 ]; do echo not json $i; i=$((i+1)); done; exec sleep 30"]},
          {"id": "spare", "capabilities": ["junk"], "profile": {"duration_ms": {"mean": 20}}}
        ],
        "tasks": [{"id": "a", "capability": "chaos"}, {"id": "b", "capability": "junk", "depends_on": ["a"]}]}"#,
    );
    let (lines, _, pids) = run(sc);
    let errors = of_kind(&lines, "protocol_error");
    let messy = errors.iter().filter(|l| l["agent"] == "messy").count();
    // Four bad lines after its hello, one more with its result.
    assert_eq!(messy, 5, "{errors:#?}");
    assert!(
        errors.iter().any(|l| l["line"] == "this is not JSON" && l["error"].as_str().unwrap().starts_with("not JSON"))
    );
    let junk = errors.iter().filter(|l| l["agent"] == "junk").count();
    assert_eq!(junk, 10, "rejected at the limit, the rest ignored");
    let rejected = of_kind(&lines, "agent_rejected");
    assert_eq!(
        (rejected.len(), &rejected[0]["agent"], &rejected[0]["message"]),
        (1, &"junk".into(), &"faulty: 10 invalid lines".into())
    );
    // The messy agent still did its work; `b` ran on the simulated spare.
    let done: Vec<(&Value, &Value)> =
        of_kind(&lines, "task_completed").iter().map(|l| (&l["task"], &l["agent"])).collect();
    assert_eq!(done, [(&"a".into(), &"messy".into()), (&"b".into(), &"spare".into())]);
    assert_all_gone(&pids);
}

#[test]
fn a_hung_agent_is_lost_killed_and_its_task_reassigned() {
    let sc = scenario(
        r#"{"name": "hang", "allocation": "best_score", "heartbeat_ms": 100, "resilience": {"heartbeat_timeout_ms": 600},
        "agents": [
          {"id": "stuck", "capabilities": ["chaos"], "kind": "process", "performance": 1.0,
           "command": ["python3", "{assets}/agents/misbehave.py", "hang", "stuck"]},
          {"id": "steady", "capabilities": ["chaos"], "performance": 0.5, "profile": {"duration_ms": {"mean": 50}}}
        ],
        "tasks": [{"id": "t", "capability": "chaos", "timeout_ms": 20000}]}"#,
    );
    let (lines, _, pids) = run(sc);
    let lost = of_kind(&lines, "agent_lost");
    assert_eq!((lost.len(), &lost[0]["agent"]), (1, &"stuck".into()), "{lines:#?}");
    assert!(lost[0]["silent_ms"].as_u64().unwrap() >= 600);
    let failed = of_kind(&lines, "attempt_failed");
    assert_eq!((&failed[0]["agent"], &failed[0]["reason"]), (&"stuck".into(), &"agent_lost".into()));
    assert_eq!(of_kind(&lines, "task_completed")[0]["agent"], "steady");
    // It ignores SIGTERM: only the kill after losing it ends it, long before the grace period.
    assert_all_gone(&pids);
}

#[test]
fn handshakes_that_fail_reject_the_agent_and_results_that_do_not_fit_are_protocol_errors() {
    let sc = scenario(
        r#"{"name": "refused", "heartbeat_ms": 0,
        "agents": [
          {"id": "wrong", "capabilities": ["chaos"], "kind": "process",
           "command": ["python3", "{assets}/agents/echo.py", "wrong"]},
          {"id": "nobody", "capabilities": ["chaos"], "kind": "process", "command": ["/nonexistent/agent"]},
          {"id": "liar", "capabilities": ["lies"], "kind": "process",
           "command": ["sh", "-c", "echo '{\"type\":\"hello\",\"protocol\":1,\"agent\":\"liar\",\"capabilities\":[\"lies\"]}'; read line; echo '{\"type\":\"result\",\"task\":\"nope\",\"attempt\":1,\"output\":1}'; echo '{\"type\":\"result\",\"task\":\"l\",\"attempt\":7,\"output\":2}'; echo '{\"type\":\"error\",\"task\":\"l\",\"attempt\":1,\"message\":\"no such file\",\"retryable\":false}'; exec sleep 30"]},
          {"id": "spare", "capabilities": ["chaos"], "profile": {"duration_ms": {"mean": 20}}}
        ],
        "tasks": [{"id": "t", "capability": "chaos"}, {"id": "l", "capability": "lies"}]}"#,
    );
    let (lines, _, pids) = run(sc);
    let rejected: Vec<(&Value, &str)> =
        of_kind(&lines, "agent_rejected").iter().map(|l| (&l["agent"], l["message"].as_str().unwrap())).collect();
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert_eq!(rejected[0].0, "wrong");
    assert!(rejected[0].1.contains("capabilities [chaos] not declared"), "{}", rejected[0].1);
    assert_eq!(rejected[1].0, "nobody");
    let started = of_kind(&lines, "attempt_started");
    assert!(started.iter().all(|l| l["agent"] != "wrong" && l["agent"] != "nobody"), "no work for refused agents");
    assert!(rejected[1].1.starts_with("cannot start `/nonexistent/agent`"), "{}", rejected[1].1);
    let errors: Vec<&Value> = of_kind(&lines, "protocol_error").iter().map(|l| &l["error"]).collect();
    // An attempt that was never given out does not fit either (it used to pass as a late result).
    assert_eq!(
        errors,
        [
            &Value::from("result for unknown task `nope`"),
            &"result for task `l` attempt 7, which was never given out".into()
        ]
    );
    assert!(of_kind(&lines, "late_result_discarded").is_empty());
    let failed = of_kind(&lines, "task_failed");
    assert_eq!((&failed[0]["task"], &failed[0]["reason"]), (&"l".into(), &"not_retryable".into()));
    assert_eq!(of_kind(&lines, "attempt_failed")[0]["error"], "no such file");
    assert_eq!(of_kind(&lines, "task_completed")[0]["agent"], "spare");
    assert_all_gone(&pids);
}

#[test]
fn a_crashed_process_agent_is_killed_and_a_revive_starts_it_again() {
    let sc = scenario(
        r#"{"name": "revive", "heartbeat_ms": 0,
        "agents": [
          {"id": "worker", "capabilities": ["echo"], "kind": "process", "env": {"SWITCHYARD_HEARTBEAT_MS": "0"},
           "command": ["python3", "{assets}/agents/echo.py", "worker"]},
          {"id": "gate", "capabilities": ["wait"], "profile": {"duration_ms": {"mean": 700, "jitter": 0}}}
        ],
        "tasks": [{"id": "w", "capability": "wait"}, {"id": "t", "capability": "echo", "depends_on": ["w"]}],
        "faults": [{"at_ms": 100, "crash": "worker"}, {"at_ms": 300, "revive": "worker"}]}"#,
    );
    let (lines, _, pids) = run(sc);
    assert_eq!(of_kind(&lines, "agent_crashed")[0]["agent"], "worker");
    assert_eq!(of_kind(&lines, "agent_revived")[0]["agent"], "worker");
    assert!(of_kind(&lines, "agent_exited").is_empty(), "a killed agent's exit is not news");
    assert_eq!(pids.len(), 2, "a second process after the revive: {pids:?}");
    let done = of_kind(&lines, "attempt_succeeded");
    let t = done.iter().find(|l| l["task"] == "t").unwrap();
    assert_eq!((&t["agent"], &t["output"]["inputs"]), (&"worker".into(), &serde_json::json!(["w"])));
    assert_all_gone(&pids);
}

#[test]
fn a_process_agent_bids_in_an_auction_and_wins_on_price() {
    let sc = scenario(
        r#"{"name": "live-auction", "allocation": "auction", "heartbeat_ms": 0,
        "auction": {"bid_window_ms": 1500},
        "agents": [
          {"id": "echo", "capabilities": ["echo"], "kind": "process", "env": {"SWITCHYARD_PRICE": "0.2"},
           "command": ["python3", "{assets}/agents/echo.py", "echo"]},
          {"id": "pricey", "capabilities": ["echo"], "cost": 10, "profile": {"duration_ms": {"mean": 50, "jitter": 0}}},
          {"id": "odd", "capabilities": ["echo"], "kind": "process",
           "command": ["sh", "-c", "echo '{\"type\":\"hello\",\"protocol\":1,\"agent\":\"odd\",\"capabilities\":[\"echo\"]}'; read line; echo '{\"type\":\"bid\",\"auction\":\"999\",\"price\":1,\"eta_ms\":5,\"confidence\":1}'; exec sleep 30"]}
        ],
        "tasks": [{"id": "a", "capability": "echo", "description": "first"}, {"id": "b", "capability": "echo", "description": "second"}]}"#,
    );
    let (lines, _, pids) = run(sc);
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
    // The process answered each cfp with its declared bid, correlated with the cfp.
    let bids: Vec<&Value> = of_kind(&lines, "bid_received").into_iter().filter(|b| b["agent"] == "echo").collect();
    assert!(!bids.is_empty());
    assert!(bids.iter().all(|b| b["price"] == 0.2 && b["eta_ms"] == 50 && b["valid"] == true), "{bids:?}");
    let cfp_id = |agent: &str, auction: u64| {
        lines.iter().find(|v| v["type"] == "cfp" && v["to"] == agent && v["payload"]["auction"] == auction).unwrap()["msg_id"].clone()
    };
    let bid_msg = lines.iter().find(|v| v["type"] == "bid" && v["from"] == "echo").unwrap();
    assert_eq!(bid_msg["correlation"], cfp_id("echo", bid_msg["payload"]["auction"].as_u64().unwrap()));
    // It wins the first task on price; the second finds it busy and goes to the next best bid.
    let awards = of_kind(&lines, "auction_awarded");
    let second = awards.iter().find(|a| a["task"] == "b").unwrap();
    assert_eq!((second["agent"].as_str(), &second["passed"]), (Some("pricey"), &serde_json::json!(["echo"])));
    let first = awards.iter().find(|a| a["task"] == "a").unwrap();
    assert_eq!((first["agent"].as_str(), first["by"].as_str()), (Some("echo"), Some("score")));
    assert_eq!(of_kind(&lines, "task_completed").iter().find(|t| t["task"] == "a").unwrap()["agent"], "echo");
    // A bid for an auction the run never opened is a protocol error, not a crash.
    let errs = of_kind(&lines, "protocol_error");
    assert!(
        errs.iter().any(|e| e["agent"] == "odd" && e["error"].as_str().unwrap().contains("unknown auction `999`")),
        "{errs:?}"
    );
    assert_all_gone(&pids);
}

#[test]
fn a_process_agent_votes_on_a_ballot_with_its_reason() {
    let sc = scenario(
        r#"{"name": "live-vote", "heartbeat_ms": 0,
        "agents": [
          {"id": "echo", "capabilities": ["echo"], "kind": "process",
           "command": ["python3", "{assets}/agents/echo.py", "echo"]},
          {"id": "sceptic", "capabilities": ["review"], "profile": {"approve_rate": 0, "abstain_rate": 0}},
          {"id": "odd", "capabilities": ["review"], "kind": "process",
           "command": ["sh", "-c", "echo '{\"type\":\"hello\",\"protocol\":1,\"agent\":\"odd\",\"capabilities\":[\"review\"]}'; read line; echo '{\"type\":\"vote\",\"proposal\":\"nope\",\"choice\":\"yes\"}'; exec sleep 30"]}
        ],
        "tasks": [
          {"id": "start", "capability": "echo", "description": "warm up"},
          {"id": "vote", "depends_on": ["start"],
           "decision": {"proposal": "go ahead?", "voters": ["echo", "sceptic", "odd"], "weights": {"echo": 2},
                        "quorum": 0.5, "deadline_ms": 3000, "on_reject": ["plan-b"]}},
          {"id": "go", "capability": "echo", "depends_on": ["vote"], "description": "go"},
          {"id": "plan-b", "capability": "echo", "depends_on": ["vote"], "description": "plan b"}
        ]}"#,
    );
    let (lines, _, pids) = run(sc);
    // The echo agent's vote (yes, weight 2, with the reason its handler gave) outweighs the no.
    let cast = of_kind(&lines, "vote_cast");
    let echo = cast.iter().find(|v| v["agent"] == "echo").expect("the process agent voted");
    assert_eq!(
        (&echo["choice"], &echo["weight"], &echo["reason"]),
        (&"yes".into(), &2.0.into(), &"echo agrees".into())
    );
    let ballot = lines.iter().find(|v| v["type"] == "ballot" && v["to"] == "echo").unwrap();
    let vote = lines.iter().find(|v| v["type"] == "vote" && v["from"] == "echo").unwrap();
    assert_eq!(vote["correlation"], ballot["msg_id"]);
    let decided = &of_kind(&lines, "proposal_decided")[0];
    assert_eq!((decided["outcome"].as_str(), decided["yes"].as_f64()), (Some("approved"), Some(2.0)));
    let skipped = of_kind(&lines, "task_skipped");
    assert!(skipped.iter().any(|s| s["task"] == "plan-b" && s["reason"] == "not_taken"), "{skipped:?}");
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
    // A vote on a proposal the run does not have is a protocol error, not a crash.
    let errs = of_kind(&lines, "protocol_error");
    assert!(
        errs.iter().any(|e| e["agent"] == "odd" && e["error"].as_str().unwrap().contains("unknown proposal `nope`"))
    );
    assert_all_gone(&pids);
}

#[test]
fn the_mixed_team_scenario_has_process_agents_bid_win_and_vote() {
    let sc = scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mixed-team.json")).unwrap();
    let (lines, _, pids) = run(sc);
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded", "{lines:#?}");
    // Both auctions hear from the process writer and both simulated writers.
    for task in ["draft", "headline"] {
        let bidders: BTreeSet<&str> = of_kind(&lines, "bid_received")
            .into_iter()
            .filter(|b| b["task"] == task && b["valid"] == true)
            .map(|b| b["agent"].as_str().unwrap())
            .collect();
        assert_eq!(bidders, BTreeSet::from(["py-writer", "sim-writer-1", "sim-writer-2"]), "{task}");
    }
    // The cheap process agent wins the price-weighted draft; the confidence-weighted headline goes to
    // the most confident simulated writer. Each winner then runs the task.
    let winner = |task: &str| {
        let award = of_kind(&lines, "auction_awarded").into_iter().find(|a| a["task"] == task).unwrap();
        let done = of_kind(&lines, "task_completed").into_iter().find(|t| t["task"] == task).unwrap();
        assert_eq!(award["agent"], done["agent"], "{task}");
        award["agent"].as_str().unwrap().to_string()
    };
    assert_eq!((winner("draft").as_str(), winner("headline").as_str()), ("py-writer", "sim-writer-1"));
    // Every reviewer votes, the two processes with the reasons their stances give.
    let votes: Vec<(&str, &str, &str)> = of_kind(&lines, "vote_cast")
        .into_iter()
        .map(|v| (v["agent"].as_str().unwrap(), v["choice"].as_str().unwrap(), v["reason"].as_str().unwrap_or("")))
        .collect();
    assert!(votes.contains(&("py-writer", "yes", "approve approves")), "{votes:?}");
    assert!(votes.contains(&("py-reviewer", "no", "cautious about production")), "{votes:?}");
    assert_eq!(votes.len(), 3, "{votes:?}");
    // The outcome follows the rule (threshold 0.5 of yes among yes + no, ties rejected) and gates
    // the branches: the one not taken is skipped, the other runs.
    let yes = votes.iter().filter(|v| v.1 == "yes").count();
    let no = votes.iter().filter(|v| v.1 == "no").count();
    let approved = yes > no;
    let decided = &of_kind(&lines, "proposal_decided")[0];
    assert_eq!(decided["outcome"], if approved { "approved" } else { "rejected" });
    let completed: BTreeSet<&str> =
        of_kind(&lines, "task_completed").into_iter().map(|t| t["task"].as_str().unwrap()).collect();
    let taken: &[&str] = if approved { &["publish"] } else { &["stage", "tell-team"] };
    assert!(taken.iter().all(|t| completed.contains(t)), "{completed:?}");
    assert_all_gone(&pids);
}

#[test]
fn process_agents_ask_and_answer_help_requests_and_hear_broadcasts() {
    let sc = scenario(
        r#"{"name": "live-help", "heartbeat_ms": 0,
        "announcements": [{"at_ms": 0, "to": "all", "text": "freeze at five"}],
        "agents": [
          {"id": "asker", "capabilities": ["write"], "kind": "process", "env": {"SWITCHYARD_CAPABILITIES": "write"},
           "command": ["python3", "{assets}/agents/helpful.py", "asker"]},
          {"id": "sage", "capabilities": ["research"], "kind": "process",
           "command": ["python3", "{assets}/agents/helpful.py", "sage"]},
          {"id": "sim-writer", "capabilities": ["draft"], "profile": {"duration_ms": {"mean": 300, "jitter": 0}}}
        ],
        "tasks": [
          {"id": "essay", "capability": "write", "description": "ask research: why do rivers meander?"},
          {"id": "wrap", "capability": "write", "description": "wrap up", "depends_on": ["essay"]},
          {"id": "notes", "capability": "draft", "description": "notes",
           "help": {"capability": "research", "question": "which rivers?", "timeout_ms": 5000}}
        ]}"#,
    );
    let (lines, _, pids) = run(sc);
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded", "{lines:#?}");
    // The process asker's question went to the process peer, whose answer came back into its output.
    let output = |task: &str| {
        of_kind(&lines, "attempt_succeeded").into_iter().find(|l| l["task"] == task).unwrap()["output"].clone()
    };
    let essay = output("essay");
    assert_eq!(essay["answered_by"], "sage");
    assert_eq!(essay["answer"], "sage says: think about why do rivers meander?");
    // Both questions (the process asker's, the simulated one's) were routed to and answered by sage.
    let asked: Vec<(&str, u64)> = of_kind(&lines, "help_requested")
        .into_iter()
        .map(|h| (h["agent"].as_str().unwrap(), h["id"].as_u64().unwrap()))
        .collect();
    assert_eq!(asked.iter().map(|a| a.0).collect::<BTreeSet<_>>(), BTreeSet::from(["asker", "sim-writer"]));
    for (_, id) in &asked {
        let routed = of_kind(&lines, "help_routed").into_iter().find(|h| h["id"] == *id).unwrap();
        assert_eq!(routed["to"], "sage");
        let answered = of_kind(&lines, "help_answered").into_iter().find(|h| h["id"] == *id);
        assert_eq!(answered.expect("answered")["by"], "sage");
    }
    // The announcement reached the process agent (it lists what it heard in its next output).
    assert_eq!(output("wrap")["heard"], serde_json::json!(["freeze at five"]));
    assert_all_gone(&pids);
}

#[test]
fn a_help_request_outside_a_task_or_an_unknown_help_response_is_a_protocol_error() {
    let sc = scenario(
        r#"{"name": "live-help-errors", "heartbeat_ms": 0,
        "agents": [
          {"id": "odd", "capabilities": ["y"], "kind": "process",
           "command": ["sh", "-c", "echo '{\"type\":\"hello\",\"protocol\":1,\"agent\":\"odd\",\"capabilities\":[\"y\"]}'; echo '{\"type\":\"request_help\",\"id\":\"q1\",\"capability\":\"x\",\"question\":\"?\"}'; echo '{\"type\":\"help_response\",\"id\":\"77\",\"answer\":\"!\"}'; read line; exec sleep 30"]},
          {"id": "w", "capabilities": ["x"], "profile": {"duration_ms": {"mean": 300, "jitter": 0}}}
        ],
        "tasks": [{"id": "t", "capability": "x"}]}"#,
    );
    let (lines, _, pids) = run(sc);
    let errs: Vec<&str> = of_kind(&lines, "protocol_error").iter().map(|e| e["error"].as_str().unwrap()).collect();
    assert!(errs.iter().any(|e| e.contains("request_help `q1` while running no task")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("help_response for unknown request `77`")), "{errs:?}");
    assert_all_gone(&pids);
}
