//! The bundled flaky-network scenario from the outside: a flaky agent, a slow one, a link that loses
//! a result (timeout, retry) and a partition that heals — all read back from the journal, which is
//! the same byte for byte on every run and rebuilds the coordinator.

use serde_json::Value;
use switchyard::core::Coordinator;
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::runtime::SimRun;
use switchyard::scenario;

fn journal() -> (SimRun, String) {
    let sc = scenario::load(std::path::Path::new("scenarios/flaky-network.json")).unwrap();
    let mut run = SimRun::new(sc);
    let mut w = JournalWriter::new(Vec::new());
    run.run(&mut w).unwrap();
    (run, String::from_utf8(w.into_inner().unwrap()).unwrap())
}

#[test]
fn the_same_seed_gives_the_same_journal_bytes() {
    let (_, a) = journal();
    let (_, b) = journal();
    assert!(a.contains("\"kind\":\"message_dropped\""));
    assert_eq!(a, b);
}

#[test]
fn flaky_network_heals_itself_and_the_journal_says_how() {
    let (run, text) = journal();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kind = |k: &str| lines.iter().filter(|v| v["kind"] == k).collect::<Vec<_>>();
    let injected: Vec<&str> = kind("fault_injected").iter().map(|v| v["fault"].as_str().unwrap()).collect();
    assert_eq!(injected, ["flaky", "slow", "drop", "delay", "partition"]);

    // The flaky node fails at its new rate; its profile says 2%.
    let errors = kind("attempt_failed").iter().filter(|v| v["reason"] == "agent_error").count();
    assert!(
        kind("attempt_failed").iter().filter(|v| v["agent"] == "node-2" && v["reason"] == "agent_error").count() >= 2
    );
    assert!(errors >= 2);
    // The slow node's attempts take about three times its 700 ms (jitter 30%).
    let slow = kind("attempt_succeeded");
    let slow: Vec<_> = slow.iter().filter(|v| v["agent"] == "node-3" && v["t_ms"].as_u64() > Some(2_000)).collect();
    assert!(!slow.is_empty());
    for v in slow {
        assert!(v["duration_ms"].as_u64().unwrap() >= 1_400, "{v}");
    }

    // A result lost on node-4's link: the coordinator only sees the timeout, then retries.
    let lost = kind("message_dropped");
    let result = lost.iter().find(|v| v["fault"] == "drop" && v["type"] == "task_result").expect("a lost result");
    assert_eq!(result["msg_id"], Value::Null);
    let task = &result["task"];
    let timed_out = kind("attempt_timed_out");
    assert!(timed_out.iter().any(|v| &v["task"] == task && v["agent"] == "node-4"));
    assert!(kind("retry_scheduled").iter().any(|v| &v["task"] == task && v["attempt"] == 2));
    assert!(kind("task_completed").iter().any(|v| &v["task"] == task));

    // The partition: node-6 and node-7 go silent, are lost, and come back when it heals at 6.5 s.
    for node in ["node-6", "node-7"] {
        let lost_at = kind("agent_lost").iter().find(|v| v["agent"] == node).expect("lost")["t_ms"].as_u64().unwrap();
        let back = kind("agent_revived").into_iter().find(|v| v["agent"] == node).expect("back");
        assert_eq!((back["origin"].as_str(), back["t_ms"].as_u64()), (Some("detected"), Some(6_500)));
        assert!((3_500..6_500).contains(&lost_at));
        assert!(lost.iter().any(|v| v["fault"] == "partition" && v["from"] == node && v["type"] == "heartbeat"));
    }
    assert!(kind("attempt_failed").iter().any(|v| v["reason"] == "agent_lost"));

    // Everything finished, once each; and the audit events fold back harmlessly.
    let last = lines.last().unwrap();
    assert_eq!((last["outcome"].as_str(), last["completed"].as_u64()), (Some("succeeded"), Some(49)));
    let sc = run.coordinator().scenario().clone();
    let events = read_journal(&sc, &text).unwrap();
    assert_eq!(events.len(), lines.len());
    let rebuilt = Coordinator::from_events(sc, &events);
    assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
}
