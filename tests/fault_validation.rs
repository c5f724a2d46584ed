//! The scenario format's fault forms (`slow`, `flaky`, `drop`, `delay`, `partition`, `heal`): what
//! they mean once parsed, and a located error for every way to get one wrong.

use switchyard::scenario::{FaultAction, FaultSpec, ScenarioError, parse};

const HEAD: &str = r#"{"name": "f", "agents": [
  {"id": "w1", "capabilities": ["x"]}, {"id": "w2", "capabilities": ["x"]}, {"id": "w3", "capabilities": ["x"]}],
  "tasks": [{"id": "t", "capability": "x"}],
  "faults": ["#;

/// A scenario whose faults are `faults`, one per line starting at line 5.
fn doc(faults: &[&str]) -> String {
    format!("{HEAD}\n{}\n]}}", faults.join(",\n"))
}

fn problems(faults: &[&str]) -> Vec<String> {
    let e: ScenarioError = parse("f.json", &doc(faults)).expect_err("invalid");
    e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect()
}

#[test]
fn every_fault_form_parses_and_round_trips() {
    let faults = [
        r#"{"at_ms": 100, "slow": "w1", "factor": 3.0}"#,
        r#"{"at_ms": 200, "flaky": "w2", "failure_rate": 0.5}"#,
        r#"{"at_ms": 300, "drop": ["w1", "coordinator"], "until_ms": 5000}"#,
        r#"{"at_ms": 400, "delay": ["w1", "w2"], "delay_ms": 400}"#,
        r#"{"at_ms": 500, "partition": [["coordinator", "w1", "w2"], ["w3"]], "until_ms": 8000}"#,
        r#"{"heal": true, "at_ms": 9000}"#,
    ];
    let s = parse("ok.json", &doc(&faults)).unwrap_or_else(|e| panic!("{e}"));
    let pair = |a: &str, b: &str| [a.to_string(), b.to_string()];
    let expected = [
        FaultAction::Slow { agent: "w1".into(), factor: 3.0 },
        FaultAction::Flaky { agent: "w2".into(), failure_rate: 0.5 },
        FaultAction::Drop { link: pair("w1", "coordinator"), until_ms: Some(5000) },
        FaultAction::Delay { link: pair("w1", "w2"), delay_ms: 400, until_ms: None },
        FaultAction::Partition {
            groups: vec![vec!["coordinator".into(), "w1".into(), "w2".into()], vec!["w3".into()]],
            until_ms: Some(8000),
        },
        FaultAction::Heal,
    ];
    let at = [100, 200, 300, 400, 500, 9000];
    for (i, action) in expected.into_iter().enumerate() {
        assert_eq!(s.faults[i], FaultSpec { at_ms: at[i], action });
    }
    let text = serde_json::to_string(&s).unwrap();
    assert!(text.contains(r#"{"at_ms":100,"slow":"w1","factor":3.0}"#), "{text}");
    assert!(text.contains(r#"{"at_ms":9000,"heal":true}"#), "{text}");
    assert_eq!(parse("again.json", &text).unwrap(), s);
}

#[test]
fn agent_faults_check_their_agent_and_their_number() {
    assert_eq!(
        problems(&[
            r#"{"at_ms": 1, "slow": "w9", "factor": 2}"#,
            r#"{"at_ms": 1, "slow": "w1", "factor": 0}"#,
            r#"{"at_ms": 1, "slow": "w1", "factor": "x"}"#,
            r#"{"at_ms": 1, "slow": "w1"}"#,
            r#"{"at_ms": 1, "flaky": "w1", "failure_rate": 1.5}"#,
            r#"{"at_ms": 1, "flaky": 7, "failure_rate": 0.5}"#,
            r#"{"at_ms": 1, "flaky": "w1"}"#,
        ]),
        [
            "5:22 faults[0].slow: unknown agent `w9`; did you mean `w1`?",
            "6:38 faults[1].factor: must be > 0, found 0",
            "7:38 faults[2].factor: expected a number, found string \"x\"",
            "8:1 faults[3]: a `slow` fault needs \"factor\"",
            "9:45 faults[4].failure_rate: must be between 0 and 1, found 1.5",
            "10:23 faults[5].flaky: expected a string, found number `7`",
            "11:1 faults[6]: a `flaky` fault needs \"failure_rate\"",
        ]
    );
}

#[test]
fn links_join_two_different_known_endpoints() {
    assert_eq!(
        problems(&[
            r#"{"at_ms": 1, "drop": "w1"}"#,
            r#"{"at_ms": 1, "drop": ["w1"]}"#,
            r#"{"at_ms": 1, "drop": ["w1", "w1"]}"#,
            r#"{"at_ms": 1, "drop": ["w1", "cordinator"]}"#,
            r#"{"at_ms": 1, "delay": ["w1", "w2"]}"#,
            r#"{"at_ms": 1, "delay": ["w1", "w2"], "delay_ms": -5}"#,
            r#"{"at_ms": 1, "drop": [3, "w2"]}"#,
        ]),
        [
            "5:22 faults[0].drop: expected an array, found string \"w1\"",
            "6:22 faults[1].drop: a link is two endpoints: agent ids or \"coordinator\"",
            "7:29 faults[2].drop[1]: a link from `w1` to itself",
            "8:29 faults[3].drop[1]: unknown endpoint `cordinator` (an agent id or \"coordinator\")",
            "9:1 faults[4]: a `delay` fault needs \"delay_ms\"",
            "10:49 faults[5].delay_ms: must be ≥ 0, found -5",
            "11:23 faults[6].drop[0]: expected a string, found number `3`",
        ]
    );
}

#[test]
fn partitions_have_disjoint_groups_of_known_agents() {
    assert_eq!(
        problems(&[
            r#"{"at_ms": 1, "partition": [["w1"]]}"#,
            r#"{"at_ms": 1, "partition": [["w1"], []]}"#,
            r#"{"at_ms": 1, "partition": [["w1", "w2"], ["w2"]]}"#,
            r#"{"at_ms": 1, "partition": [["w1"], ["coordinator"]]}"#,
            r#"{"at_ms": 1, "partition": [["w1"], ["w4"]]}"#,
            r#"{"at_ms": 1, "partition": [["w1"], "w2"]}"#,
        ]),
        [
            "5:27 faults[0].partition: a partition needs at least two groups",
            "6:36 faults[1].partition[1]: a group needs at least one agent",
            "7:43 faults[2].partition[1][0]: agent `w2` is already in group 0",
            "8:37 faults[3].partition[1][0]: the coordinator is always with the first group",
            "9:37 faults[4].partition[1][0]: unknown agent `w4`; did you mean `w1`?",
            "10:36 faults[5].partition[1]: expected an array, found string \"w2\"",
        ]
    );
}

#[test]
fn parameters_belong_to_their_fault_and_until_comes_after_at() {
    assert_eq!(
        problems(&[
            r#"{"at_ms": 500, "drop": ["w1", "w2"], "until_ms": 500}"#,
            r#"{"at_ms": 500, "partition": [["w1"], ["w2"]], "until_ms": 20}"#,
            r#"{"at_ms": 1, "crash": "w1", "factor": 2}"#,
            r#"{"at_ms": 1, "slow": "w1", "factor": 2, "until_ms": 9}"#,
            r#"{"at_ms": 1, "heal": false}"#,
            r#"{"at_ms": 1, "heal": true, "hang": "w1"}"#,
            r#"{"at_ms": 1, "hel": true}"#,
        ]),
        [
            "5:50 faults[0].until_ms: must be after at_ms (500), found 500",
            "6:59 faults[1].until_ms: must be after at_ms (500), found 20",
            "7:39 faults[2].factor: `factor` does not apply to a `crash` fault (only to slow)",
            "8:53 faults[3].until_ms: `until_ms` does not apply to a `slow` fault (only to drop, delay and partition faults)",
            "9:22 faults[4].heal: must be true (leave the fault out to not heal)",
            "10:1 faults[5]: a fault takes exactly one of \"crash\", \"revive\", \"hang\", \"slow\", \"flaky\", \"drop\", \
             \"delay\", \"partition\" or \"heal\"",
            "11:1 faults[6]: a fault needs one of \"crash\", \"revive\", \"hang\", \"slow\", \"flaky\", \"drop\", \
             \"delay\", \"partition\" or \"heal\"",
            "11:14 faults[6]: unknown field \"hel\" (expected one of: at_ms, crash, revive, hang, slow, flaky, drop, \
             delay, partition, heal, factor, failure_rate, delay_ms, until_ms); did you mean `heal`?",
        ]
    );
}

#[test]
fn slow_and_flaky_apply_to_simulated_agents_only() {
    let text = r#"{"name": "p", "agents": [{"id": "sim", "capabilities": ["x"]},
        {"id": "proc", "capabilities": ["x"], "kind": "process", "command": ["python3", "agent.py"]}],
      "tasks": [{"id": "t", "capability": "x"}],
      "faults": [{"at_ms": 1, "slow": "proc", "factor": 2}, {"at_ms": 1, "hang": "proc"},
                 {"at_ms": 1, "flaky": "sim", "failure_rate": 0.5}, {"at_ms": 1, "drop": ["proc", "coordinator"]}]}"#;
    let e = parse("p.json", text).expect_err("slow on a process agent");
    let got: Vec<String> =
        e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect();
    assert_eq!(
        got,
        ["4:39 faults[0].slow: `slow` applies to simulated agents only: `proc` is a process agent (its durations and \
          failures are real)"]
    );
}
