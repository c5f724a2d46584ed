//! Issue 11, class 6 (quadratic validation): `validate` stays near-linear in the file's size on
//! adversarial files. Each test builds such a file and asserts the real binary finishes well
//! within a generous wall bound (a regression guard for a debug build, not a benchmark).

#[path = "support/scratch.rs"]
mod scratch;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Each of these took from 10 s to well over a minute before.
const BOUND: Duration = Duration::from_secs(5);

fn tmp(name: &str) -> PathBuf {
    let dir = scratch::dir("quadratic");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Validates `text` (written to a file called `name`); the output and how long it took.
fn validate(name: &str, text: &str) -> (Output, Duration) {
    let file = tmp(name);
    std::fs::write(&file, text).unwrap();
    let start = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_switchyard")).arg("validate").arg(&file).output().unwrap();
    (o, start.elapsed())
}

fn scenario(agents: &str, tasks: &str, rest: &str) -> String {
    format!(r#"{{"name": "x", "agents": [{agents}], "tasks": [{tasks}]{rest}}}"#)
}

fn list(n: usize, item: impl Fn(usize) -> String) -> String {
    (0..n).map(item).collect::<Vec<_>>().join(",")
}

fn check(name: &str, text: &str, expect_code: i32) -> String {
    let (o, took) = validate(name, text);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(expect_code), "{name}: {}", &err[..err.len().min(2000)]);
    assert!(took < BOUND, "{name}: validate took {took:?}");
    err
}

const AGENT: &str = r#"{"id": "a", "capabilities": ["build"]}"#;

#[test]
fn quadratic_long_ids_and_misspellings() {
    // A 1 MB id, and a dependency that misspells it.
    let big = "t".repeat(1_000_000);
    let near = format!("{}x", &big[1..]);
    let tasks = format!(
        r#"{{"id": "{big}", "capability": "build"}}, {{"id": "u", "capability": "build", "depends_on": ["{near}"]}}"#
    );
    let err = check("big-id.json", &scenario(AGENT, &tasks, ""), 2);
    assert!(err.contains("unknown task"), "{}", &err[..200]);
    // 100 000 misspelled dependencies of one task, among 1000 tasks.
    let mut tasks = list(1000, |i| format!(r#"{{"id": "task-{i:06}", "capability": "build"}}"#));
    let deps = list(100_000, |i| format!(r#""tsak-{i:06}""#));
    tasks.push_str(&format!(r#", {{"id": "last", "capability": "build", "depends_on": [{deps}]}}"#));
    let err = check("misspelled-deps.json", &scenario(AGENT, &tasks, ""), 2);
    assert!(err.contains("did you mean `task-000000`?"), "the first ones still get a hint");
    assert!(err.contains("… and 99900 more problems"), "{}", err.lines().last().unwrap());
    assert_eq!(err.lines().count(), 101);
    // 100 000 tasks, each with a capability no agent has but many almost have.
    let agents = list(1000, |i| format!(r#"{{"id": "a{i}", "capabilities": ["k{i:06}"]}}"#));
    let tasks = list(100_000, |i| format!(r#"{{"id": "t{i}", "capability": "c{i:06}"}}"#));
    check("misspelled-caps.json", &scenario(&agents, &tasks, ""), 2);
}

#[test]
fn quadratic_duplicates_on_one_line() {
    // 100 000 duplicate ids on one (minified) line: positions are found without rescanning it.
    let tasks = list(100_000, |_| r#"{"id":"same","capability":"build"}"#.to_string());
    let err = check("duplicates.json", &scenario(AGENT, &tasks, ""), 2);
    assert!(err.contains("duplicate"), "{}", err.lines().next().unwrap());
}

#[test]
fn quadratic_references_are_looked_up_not_scanned() {
    const N: usize = 50_000;
    let agents = list(N, |i| format!(r#"{{"id": "a{i:06}", "capabilities": ["c{i:06}"]}}"#));
    // A decision with N voters and N on_reject tasks.
    let voters = list(N, |i| format!(r#""a{i:06}""#));
    let rejects = list(N, |i| format!(r#""r{i:06}""#));
    let mut tasks =
        format!(r#"{{"id": "vote", "decision": {{"proposal": "p", "voters": [{voters}], "on_reject": [{rejects}]}}}}"#);
    tasks.push(',');
    tasks.push_str(&list(N, |i| format!(r#"{{"id": "r{i:06}", "capability": "c000000", "depends_on": ["vote"]}}"#)));
    check("voters.json", &scenario(&agents, &tasks, ""), 0);
    // N escalation ladders and help requests naming the last agent and capability.
    let last = N - 1;
    let tasks = list(N, |i| {
        format!(
            r#"{{"id": "t{i}", "capability": "c{i:06}", "escalation": [{{"tier": "escalate_to", "agent": "a{last:06}"}}, {{"tier": "fallback", "capability": "c{last:06}"}}, {{"tier": "inbox"}}],
                "help": {{"capability": "c{last:06}", "question": "q", "timeout_ms": 600, "at": 0.5}}}}"#
        )
    });
    check("ladders.json", &scenario(&agents, &tasks, ""), 0);
    // A group of N agents, and N groups.
    let members = list(N, |i| format!(r#""a{i:06}""#));
    let groups = format!(
        r#", "groups": [{{"id": "all", "agents": [{members}]}}, {}]"#,
        list(N, |i| format!(r#"{{"id": "g{i}", "agents": ["a{i:06}"]}}"#))
    );
    check("groups.json", &scenario(&agents, r#"{"id": "t", "capability": "c000000"}"#, &groups), 0);
}
