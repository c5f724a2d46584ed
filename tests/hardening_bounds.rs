//! Issue 11, class 5: runs that never end. The most extreme values the scenario format accepts run
//! headless with the real binary and finish fast (at their horizon if need be), with time that
//! never wraps or goes back; one past each bound is an error at its line:column; the `run` flags
//! `--max-time-ms` and `--max-events` stop a run with exit 1 and a `horizon_reached` last line;
//! random large numbers never make the coordinator panic (debug builds check every overflow).

#[path = "support/scratch.rs"]
mod scratch;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{Value, json};
use switchyard::runtime::horizon::{DEFAULT_MAX_TIME_MS, default_max_events};
use switchyard::runtime::{Horizon, SimRun, needs_live};
use switchyard::scenario::bounds::{MAX_ATTEMPTS, MAX_MS};

const M: u64 = MAX_MS;

fn tmp(name: &str) -> PathBuf {
    let dir = scratch::dir("bounds");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write(name: &str, scenario: &Value) -> PathBuf {
    let path = tmp(name);
    std::fs::write(&path, serde_json::to_string_pretty(scenario).unwrap()).unwrap();
    path
}

fn switchyard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchyard")).args(args).output().unwrap()
}

/// What a run of the binary did.
struct Ran {
    /// `None` when it had to be killed at [`WALL_LIMIT`].
    code: Option<i32>,
    stderr: String,
}

/// Longer than any of these runs may take, even in a debug build (they take a few seconds at most).
const WALL_LIMIT: Duration = Duration::from_secs(60);

/// Runs `scenario` headless with a journal, killing it at [`WALL_LIMIT`] (a run that never ends
/// fails the test instead of hanging it); returns what it did, the wall time and the journal.
fn run_headless(name: &str, scenario: &Value, extra: &[&str]) -> (Ran, Duration, Vec<Value>, String) {
    let file = write(&format!("{name}.json"), scenario);
    let journal = tmp(&format!("{name}.jsonl"));
    let err = tmp(&format!("{name}.stderr"));
    let mut args = vec!["run", file.to_str().unwrap(), "--headless", "--rows", "3", "--journal"];
    args.push(journal.to_str().unwrap());
    args.extend_from_slice(extra);
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if start.elapsed() > WALL_LIMIT {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = start.elapsed();
    let ran = Ran { code, stderr: std::fs::read_to_string(&err).unwrap() };
    assert!(ran.code.is_some(), "{name} still ran after {WALL_LIMIT:?}");
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines = text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}"))).collect();
    (ran, wall, lines, text)
}

/// Time in the journal never goes back nor past `max_t`, `seq` has no gaps, and every successful
/// attempt took no longer than its timeout.
fn check_journal(name: &str, lines: &[Value], max_t: u64) {
    let mut last = 0;
    let mut started: HashMap<(String, u64), (u64, u64)> = HashMap::new();
    for (i, ev) in lines.iter().enumerate() {
        assert_eq!(ev["seq"].as_u64(), Some(i as u64), "{name}: {ev}");
        let t = ev["t_ms"].as_u64().unwrap_or_else(|| panic!("{name}: t_ms not a u64: {ev}"));
        assert!(t >= last, "{name}: time went back from {last} to {t}: {ev}");
        assert!(t <= max_t, "{name}: t_ms {t} past {max_t}: {ev}");
        last = t;
        let key = || (ev["task"].as_str().unwrap().to_string(), ev["attempt"].as_u64().unwrap());
        match ev["kind"].as_str().unwrap() {
            "attempt_started" => {
                let deadline = ev["deadline_ms"].as_u64().unwrap();
                assert!(deadline >= t, "{name}: deadline before start: {ev}");
                started.insert(key(), (t, deadline - t));
            }
            "attempt_succeeded" => {
                let (at, timeout) = started[&key()];
                let d = ev["duration_ms"].as_u64().unwrap();
                assert!(d <= timeout, "{name}: duration_ms {d} over the timeout {timeout}: {ev}");
                assert_eq!(d, t - at, "{name}: {ev}");
            }
            _ => {}
        }
    }
}

/// A scenario with every feature, every time at the format's maximum and every count at its.
fn all_at_max(heartbeat_ms: u64) -> Value {
    let profile = json!({"duration_ms": {"mean": M, "jitter": 1}, "failure_rate": 0.5, "reject_rate": 1});
    json!({
        "name": "all-at-max", "seed": u64::MAX, "heartbeat_ms": heartbeat_ms,
        "defaults": {"timeout_ms": M, "priority": i64::MIN,
            "retry": {"max_attempts": MAX_ATTEMPTS, "backoff_ms": M, "multiplier": 1000, "max_backoff_ms": M, "jitter": 1}},
        "resilience": {"heartbeat_timeout_ms": M, "breaker_window": 1000, "breaker_failures": 1000,
            "breaker_cooldown_ms": M, "smoothing": 1},
        "auction": {"bid_window_ms": M, "reannounce_ms": M, "max_rounds": 1000},
        "swarm": {"tick_ms": M, "stimulus_rate": 1e300, "initial_threshold": 1e300, "max_threshold": 1e300},
        "context": {"lease_ms": M, "initial": {"k": 1}},
        "groups": [{"id": "g", "agents": ["w1", "w2"], "lease_ms": M}],
        "escalation": [{"tier": "retry", "limit": 1000}, {"tier": "other_agent", "limit": 1000},
            {"tier": "inbox", "sla_ms": M, "on_expiry": "retry"}],
        "announcements": [{"at_ms": M, "text": "late"}],
        "templates": [{"id": "tp", "capabilities": ["c"], "max": 1000, "max_concurrent": 100_000,
            "spawn_after_ms": M, "retire_after_ms": M, "profile": profile}],
        "agents": [
            {"id": "w1", "capabilities": ["c", "r"], "max_concurrent": 100_000, "cost": 1e300, "profile": profile},
            {"id": "w2", "capabilities": ["c", "r"], "max_concurrent": 100_000, "profile": profile}
        ],
        "tasks": [
            {"id": "plain", "capability": "c", "work": 1_000_000, "priority": i64::MAX, "locks": ["L"],
                "reads": ["k"], "writes": ["k"]},
            {"id": "auc", "capability": "c", "allocation": "auction"},
            {"id": "sw", "capability": "c", "allocation": "swarm"},
            {"id": "helped", "capability": "c", "help": {"capability": "r", "timeout_ms": M, "at": 1}},
            {"id": "draft", "capability": "c"},
            {"id": "rev", "capability": "r", "depends_on": ["draft"],
                "review": {"of": "draft", "max_rework": 1000, "on_limit": "escalate"}},
            {"id": "vote", "decision": {"proposal": "p", "voters": ["w1", "w2"], "deadline_ms": M, "quorum": 1,
                "threshold": 1, "tie": "escalate"}},
            {"id": "plan", "capability": "c",
                "plan": {"max_subtasks": 10_000, "subtasks": [{"id": "sub", "capability": "c", "timeout_ms": M}]}}
        ],
        "faults": [
            {"at_ms": 0, "delay": ["w1", "coordinator"], "delay_ms": M, "until_ms": M},
            {"at_ms": 0, "slow": "w2", "factor": 1_000_000},
            {"at_ms": 1, "partition": [["w1"], ["w2"]], "until_ms": M},
            {"at_ms": M - 1, "drop": ["w2", "coordinator"], "until_ms": M},
            {"at_ms": M, "crash": "w1"},
            {"at_ms": M, "revive": "w1"},
            {"at_ms": M, "heal": true}
        ]
    })
}

fn extremes() -> Vec<(&'static str, Value)> {
    let always_fails = |backoff: u64| {
        json!({"name": "always-fails", "heartbeat_ms": 0,
            "agents": [{"id": "a", "capabilities": ["c"], "profile": {"failure_rate": 1, "duration_ms": {"mean": 0}}}],
            "tasks": [{"id": "t", "capability": "c", "timeout_ms": M,
                "retry": {"max_attempts": MAX_ATTEMPTS, "backoff_ms": backoff, "max_backoff_ms": backoff,
                    "multiplier": 1000, "jitter": 0}}]})
    };
    vec![
        // A revive at the latest time while 1 ms heartbeats tick (the other agent is hung).
        (
            "far-revive",
            json!({"name": "far-revive", "heartbeat_ms": 1,
            "agents": [{"id": "a", "capabilities": ["c"]}, {"id": "b", "capabilities": ["c"]}],
            "tasks": [{"id": "t", "capability": "c", "timeout_ms": M}],
            "faults": [{"at_ms": 0, "crash": "a"}, {"at_ms": 0, "hang": "b"}, {"at_ms": M, "revive": "a"}]}),
        ),
        // The longest work: mean × work × slow factor far past the timeout, both at the maximum.
        (
            "longest-work",
            json!({"name": "longest-work",
            "agents": [{"id": "a", "capabilities": ["c"], "profile": {"duration_ms": {"mean": M, "jitter": 1}}}],
            "tasks": [{"id": "t", "capability": "c", "timeout_ms": M, "work": 1_000_000,
                "retry": {"max_attempts": MAX_ATTEMPTS, "backoff_ms": M, "max_backoff_ms": M, "multiplier": 1000}}],
            "faults": [{"at_ms": 0, "slow": "a", "factor": 1_000_000}]}),
        ),
        // Work a little shorter than its timeout, with no heartbeats: it must succeed, in time.
        (
            "just-in-time",
            json!({"name": "just-in-time", "heartbeat_ms": 0,
            "agents": [{"id": "a", "capabilities": ["c"], "profile": {"duration_ms": {"mean": M, "jitter": 0}}}],
            "tasks": [{"id": "t", "capability": "c", "timeout_ms": M}]}),
        ),
        ("always-fails-far-apart", always_fails(M)),
        ("always-fails-at-once", always_fails(0)),
        ("all-at-max", all_at_max(M)),
        ("all-at-max-1ms-heartbeat", all_at_max(1)),
    ]
}

#[test]
fn runs_that_never_end_extreme_values_finish_fast() {
    for (name, scenario) in extremes() {
        let (out, wall, lines, text) = run_headless(name, &scenario, &[]);
        let stderr = &out.stderr;
        assert!(matches!(out.code, Some(0 | 1)), "{name}: {:?}\n{stderr}", out.code);
        // Release builds take well under a second for each; debug builds a few.
        assert!(wall < Duration::from_secs(30), "{name} took {wall:?}");
        assert!(text.ends_with('\n'), "{name}: the journal ends mid-line");
        check_journal(name, &lines, DEFAULT_MAX_TIME_MS);
        let last = lines.last().unwrap();
        match last["kind"].as_str().unwrap() {
            "run_finished" => assert!(!stderr.contains("horizon"), "{name}: {stderr}"),
            "horizon_reached" => {
                assert_eq!(out.code, Some(1), "{name}");
                assert!(stderr.contains("switchyard: run stopped at the horizon: "), "{name}: {stderr}");
            }
            other => panic!("{name}: the journal ends with {other}"),
        }
    }
}

#[test]
fn runs_that_never_end_stop_where_the_issue_said_they_ran_for_ever() {
    // The 1 ms heartbeats of a run waiting for a revive a year away: stopped by the event count.
    let (out, _, lines, _) = run_headless("far-revive-events", &extremes()[0].1, &[]);
    assert_eq!(out.code, Some(1));
    let last = lines.last().unwrap();
    assert_eq!((last["limit"].as_str(), last["value"].as_u64()), (Some("max_events"), Some(default_max_events(1))));
    // A thousand attempts a year apart: stopped by virtual time, long before the thousandth.
    let (out, _, lines, _) = run_headless("fails-far-apart-time", &extremes()[3].1, &[]);
    assert_eq!(out.code, Some(1));
    let last = lines.last().unwrap();
    assert_eq!((last["limit"].as_str(), last["value"].as_u64()), (Some("max_time_ms"), Some(DEFAULT_MAX_TIME_MS)));
    // Work as long as the timeout allows succeeds on its deadline, not past it.
    let (out, _, lines, _) = run_headless("just-in-time", &extremes()[2].1, &[]);
    assert_eq!(out.code, Some(0));
    let done = lines.iter().find(|e| e["kind"] == "attempt_succeeded").unwrap();
    assert_eq!(done["duration_ms"].as_u64(), Some(M));
    // A thousand attempts that fail at once: all of them are made, and the run ends by itself.
    let (out, _, lines, _) = run_headless("fails-at-once", &extremes()[4].1, &[]);
    assert_eq!(out.code, Some(1));
    let failed = lines.iter().filter(|e| e["kind"] == "attempt_failed").count();
    assert_eq!(failed, MAX_ATTEMPTS as usize);
    assert_eq!(lines.last().unwrap()["kind"], "run_finished");
}

/// Each bounded field, one over its bound, on a line of its own: `(path, value, bound)`.
fn one_over() -> Vec<(&'static str, String, String)> {
    let ms = (M + 1).to_string();
    let m = M.to_string();
    let (ms, m) = (ms.as_str(), m.as_str());
    let v = vec![
        ("heartbeat_ms", ms, m),
        ("defaults.timeout_ms", ms, m),
        ("defaults.retry.max_attempts", "1001", "1000"),
        ("defaults.retry.backoff_ms", ms, m),
        ("defaults.retry.multiplier", "1000.5", "1000"),
        ("defaults.retry.max_backoff_ms", ms, m),
        ("resilience.heartbeat_timeout_ms", ms, m),
        ("resilience.breaker_window", "1001", "1000"),
        ("resilience.breaker_failures", "1001", "1000"),
        ("resilience.breaker_cooldown_ms", ms, m),
        ("auction.bid_window_ms", ms, m),
        ("auction.reannounce_ms", ms, m),
        ("auction.max_rounds", "1001", "1000"),
        ("swarm.tick_ms", ms, m),
        ("context.lease_ms", ms, m),
        ("groups[0].lease_ms", ms, m),
        ("escalation[0].limit", "1001", "1000"),
        ("escalation[1].sla_ms", ms, m),
        ("announcements[0].at_ms", ms, m),
        ("templates[0].max_concurrent", "100001", "100000"),
        ("templates[0].max", "1001", "1000"),
        ("templates[0].spawn_after_ms", ms, m),
        ("templates[0].retire_after_ms", ms, m),
        ("agents[0].max_concurrent", "100001", "100000"),
        ("agents[0].profile.duration_ms.mean", "31536000000.5", m),
        ("agents[1].timeout_ms", ms, m),
        ("tasks[0].timeout_ms", ms, m),
        ("tasks[0].work", "1000001", "1000000"),
        ("tasks[0].help.timeout_ms", ms, m),
        ("tasks[1].review.max_rework", "1001", "1000"),
        ("tasks[2].decision.deadline_ms", ms, m),
        ("tasks[3].plan.max_subtasks", "10001", "10000"),
        ("faults[0].at_ms", ms, m),
        ("faults[1].delay_ms", ms, m),
        ("faults[1].until_ms", ms, m),
        ("faults[2].factor", "1000001", "1000000"),
    ];
    v.into_iter().map(|(p, val, b)| (p, val.to_string(), b.to_string())).collect()
}

/// A scenario with each field's value at the start of a line of its own, in the order of `fields`.
fn over_scenario(fields: &[(&str, String, String)]) -> String {
    let get = |p: &str| fields.iter().find(|f| f.0 == p).map(|f| f.1.clone()).unwrap();
    let f = |p: &str| format!("\n{}", get(p));
    format!(
        r#"{{"name": "over", "heartbeat_ms": {},
"defaults": {{"timeout_ms": {}, "retry": {{"max_attempts": {}, "backoff_ms": {}, "multiplier": {}, "max_backoff_ms": {}}}}},
"resilience": {{"heartbeat_timeout_ms": {}, "breaker_window": {}, "breaker_failures": {}, "breaker_cooldown_ms": {}}},
"auction": {{"bid_window_ms": {}, "reannounce_ms": {}, "max_rounds": {}}},
"swarm": {{"tick_ms": {}}}, "context": {{"lease_ms": {}}},
"groups": [{{"id": "g", "agents": ["a"], "lease_ms": {}}}],
"escalation": [{{"tier": "retry", "limit": {}}}, {{"tier": "inbox", "sla_ms": {}}}],
"announcements": [{{"at_ms": {}, "text": "x"}}],
"templates": [{{"id": "tp", "capabilities": ["c"], "max_concurrent": {}, "max": {}, "spawn_after_ms": {}, "retire_after_ms": {}}}],
"agents": [{{"id": "a", "capabilities": ["c"], "max_concurrent": {}, "profile": {{"duration_ms": {{"mean": {}}}}}}},
  {{"id": "l", "capabilities": ["c"], "kind": "llm", "base_url": "http://127.0.0.1:1/v1", "model": "m", "timeout_ms": {}}}],
"tasks": [{{"id": "t", "capability": "c", "timeout_ms": {}, "work": {}, "help": {{"capability": "c", "timeout_ms": {}}}}},
  {{"id": "r", "capability": "c", "depends_on": ["t"], "review": {{"of": "t", "max_rework": {}}}}},
  {{"id": "d", "decision": {{"proposal": "p", "voters": ["a"], "deadline_ms": {}}}}},
  {{"id": "p", "capability": "c", "plan": {{"max_subtasks": {}}}}}],
"faults": [{{"at_ms": {}, "crash": "a"}}, {{"at_ms": 0, "delay": ["a", "l"], "delay_ms": {}, "until_ms": {}}},
  {{"at_ms": 0, "slow": "a", "factor": {}}}]}}"#,
        f("heartbeat_ms"),
        f("defaults.timeout_ms"),
        f("defaults.retry.max_attempts"),
        f("defaults.retry.backoff_ms"),
        f("defaults.retry.multiplier"),
        f("defaults.retry.max_backoff_ms"),
        f("resilience.heartbeat_timeout_ms"),
        f("resilience.breaker_window"),
        f("resilience.breaker_failures"),
        f("resilience.breaker_cooldown_ms"),
        f("auction.bid_window_ms"),
        f("auction.reannounce_ms"),
        f("auction.max_rounds"),
        f("swarm.tick_ms"),
        f("context.lease_ms"),
        f("groups[0].lease_ms"),
        f("escalation[0].limit"),
        f("escalation[1].sla_ms"),
        f("announcements[0].at_ms"),
        f("templates[0].max_concurrent"),
        f("templates[0].max"),
        f("templates[0].spawn_after_ms"),
        f("templates[0].retire_after_ms"),
        f("agents[0].max_concurrent"),
        f("agents[0].profile.duration_ms.mean"),
        f("agents[1].timeout_ms"),
        f("tasks[0].timeout_ms"),
        f("tasks[0].work"),
        f("tasks[0].help.timeout_ms"),
        f("tasks[1].review.max_rework"),
        f("tasks[2].decision.deadline_ms"),
        f("tasks[3].plan.max_subtasks"),
        f("faults[0].at_ms"),
        f("faults[1].delay_ms"),
        f("faults[1].until_ms"),
        f("faults[2].factor"),
    )
}

#[test]
fn runs_that_never_end_one_over_each_bound_is_rejected_at_its_position() {
    let fields = one_over();
    let text = over_scenario(&fields);
    let file = tmp("over.json");
    std::fs::write(&file, &text).unwrap();
    let out = switchyard(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Each value sits alone at the start of a line, in the order of `fields`: each message must point
    // at a line that starts with its value, column 1, after the previous field's.
    let lines: Vec<&str> = text.lines().collect();
    let mut previous = 0;
    for (path, value, bound) in &fields {
        let found = stderr.lines().find(|l| l.contains(&format!(": {path}: must be at most {bound}")));
        let found = found.unwrap_or_else(|| panic!("no bound error for {path}:\n{stderr}"));
        let (_, rest) = found.split_once(".json:").unwrap();
        let mut pos = rest.split(':');
        let (l, c): (usize, usize) = (pos.next().unwrap().parse().unwrap(), pos.next().unwrap().parse().unwrap());
        assert_eq!(c, 1, "{found}");
        assert!(lines[l - 1].starts_with(value.as_str()), "{found}: line {l} is {:?}", lines[l - 1]);
        assert!(l > previous, "{found}: not after the previous field's line {previous}");
        previous = l;
        assert!(found.ends_with(&format!("found {value}")), "{found}");
    }
    assert_eq!(stderr.lines().count(), fields.len(), "{stderr}");
    // At the bound, the same fields are fine (the run-time extremes above use them too).
    let at: Vec<_> = fields.iter().map(|(p, _, b)| (*p, b.clone(), b.clone())).collect();
    std::fs::write(&file, over_scenario(&at)).unwrap();
    let out = switchyard(&["validate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn runs_that_never_end_the_horizon_flags_stop_a_run() {
    let scenario: Value =
        serde_json::from_str(&std::fs::read_to_string("scenarios/research-pipeline.json").unwrap()).unwrap();
    let report = tmp("horizon-report.json");
    for (flags, limit, value) in
        [(["--max-events", "20"], "max_events", 20), (["--max-time-ms", "1500"], "max_time_ms", 1500)]
    {
        let mut extra = flags.to_vec();
        extra.extend(["--report", report.to_str().unwrap()]);
        let (out, _, lines, text) = run_headless(&format!("horizon-{limit}"), &scenario, &extra);
        let stderr = &out.stderr;
        assert_eq!(out.code, Some(1), "{stderr}");
        assert!(stderr.contains("switchyard: run stopped at the horizon: "), "{stderr}");
        assert!(stderr.contains(&format!("raise it with {}", flags[0])), "{stderr}");
        assert!(text.ends_with('\n'));
        let last = lines.last().unwrap();
        assert_eq!(last["kind"], "horizon_reached");
        assert_eq!((last["limit"].as_str(), last["value"].as_u64()), (Some(limit), Some(value)));
        assert!(last["events"].as_u64().unwrap() >= lines.len() as u64 - 1, "{last}");
        if limit == "max_events" {
            assert!(last["events"].as_u64().unwrap() >= 20, "{last}");
        }
        check_journal(limit, &lines, if limit == "max_time_ms" { 1500 } else { u64::MAX });
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(report["outcome"], "unfinished");
        // The journal reads back, horizon included.
        let sc = switchyard::scenario::load(Path::new("scenarios/research-pipeline.json")).unwrap();
        let events = switchyard::journal::read_journal(&sc, &text).unwrap();
        assert_eq!(events.len(), lines.len());
    }
    // Far enough, the same run succeeds.
    let (out, ..) = run_headless("horizon-far", &scenario, &["--max-events", "1000", "--max-time-ms", "60000"]);
    assert_eq!(out.code, Some(0));
    // The flags belong to headless runs.
    let out = switchyard(&["run", "scenarios/research-pipeline.json", "--max-events", "5"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn runs_that_never_end_bundled_scenarios_are_far_from_the_default_horizon() {
    let mut checked = 0;
    for entry in std::fs::read_dir("scenarios").expect("this test reads the bundled scenarios/") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let sc = switchyard::scenario::load(&path).unwrap();
        if needs_live(&sc) {
            continue;
        }
        let horizon = Horizon::new(&sc, None, None);
        let mut run = SimRun::new(sc);
        run.set_horizon(horizon);
        let mut events = Vec::new();
        run.run(&mut events).unwrap();
        assert!(run.horizon_stop().is_none(), "{}", path.display());
        assert!((events.len() as u64) * 100 < horizon.max_events, "{}: {} events", path.display(), events.len());
        assert!(run.now() * 1000 < horizon.max_time_ms, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 17, "only {checked} simulated bundled scenarios found");
}

fn arb_ms() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0), Just(1), Just(M), Just(M - 1), 0..=M]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random large numbers anywhere the format takes a time or a count: the coordinator and the
    /// simulation never panic (debug builds check every addition), and time never goes back.
    #[test]
    fn runs_that_never_end_large_numbers_never_panic(
        times in prop::collection::vec(arb_ms(), 12),
        heartbeat in prop_oneof![Just(0u64), Just(1), 1..=M],
        attempts in 1..=MAX_ATTEMPTS,
        mean in prop_oneof![Just(M as f64), 0.0..=M as f64],
        work in prop_oneof![Just(1e6), 1e-6..1e6f64],
        multiplier in 1.0..=1000.0f64,
        failure_rate in 0.0..=1.0f64,
        seed in any::<u64>(),
    ) {
        let t = |i: usize| times[i].max(1);
        let scenario = json!({
            "name": "large", "seed": seed, "heartbeat_ms": heartbeat,
            "resilience": {"heartbeat_timeout_ms": times[0], "breaker_cooldown_ms": times[1], "breaker_failures": 2},
            "context": {"lease_ms": t(2)},
            "auction": {"bid_window_ms": t(3), "reannounce_ms": t(4)},
            "escalation": [{"tier": "retry", "limit": attempts}, {"tier": "inbox", "sla_ms": t(5), "on_expiry": "skip"}],
            "agents": [
                {"id": "a", "capabilities": ["c"], "profile": {"duration_ms": {"mean": mean}, "failure_rate": failure_rate}},
                {"id": "b", "capabilities": ["c"], "profile": {"duration_ms": {"mean": mean}, "failure_rate": failure_rate}}
            ],
            "tasks": [
                {"id": "x", "capability": "c", "timeout_ms": t(6), "work": work, "locks": ["L"],
                    "retry": {"max_attempts": attempts, "backoff_ms": times[7], "max_backoff_ms": times[8], "multiplier": multiplier}},
                {"id": "y", "capability": "c", "allocation": "auction", "timeout_ms": t(9), "depends_on": ["x"]},
                {"id": "z", "capability": "c", "help": {"capability": "c", "timeout_ms": t(10)}, "timeout_ms": t(11)}
            ],
            "faults": [{"at_ms": times[0], "crash": "a"}, {"at_ms": times[1], "revive": "a"},
                {"at_ms": times[2], "delay": ["b", "coordinator"], "delay_ms": times[3]}]
        });
        // A revive before its crash is not valid: order the two.
        let mut scenario = scenario;
        let (c, r) = (times[0].min(times[1]), times[0].max(times[1]));
        scenario["faults"][0]["at_ms"] = json!(c);
        scenario["faults"][1]["at_ms"] = json!(r);
        let sc = switchyard::scenario::parse("large.json", &scenario.to_string()).unwrap();
        let horizon = Horizon::new(&sc, None, Some(20_000));
        let mut run = SimRun::new(sc);
        run.set_horizon(horizon);
        let mut events = Vec::new();
        run.run(&mut events).unwrap();
        let mut last = 0;
        for ev in &events {
            prop_assert!(ev.t_ms >= last);
            prop_assert!(ev.t_ms <= DEFAULT_MAX_TIME_MS);
            last = ev.t_ms;
        }
        prop_assert!(events.len() <= 20_001 + 64);
    }
}
