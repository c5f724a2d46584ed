//! Self-healing from the outside: the bundled crash-storm scenario heals itself, its journal says
//! how, and the `resilience` settings and `hang` faults get the scenario format's precise errors.

use switchyard::core::Coordinator;
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::runtime::SimRun;
use switchyard::scenario::{self, parse};

#[test]
fn crash_storm_finishes_despite_crashes_a_hang_and_a_flaky_agent() {
    let sc = scenario::load(std::path::Path::new("scenarios/crash-storm.json")).unwrap();
    let mut run = SimRun::new(sc.clone());
    let mut w = JournalWriter::new(Vec::new());
    run.run(&mut w).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kind = |k: &str| lines.iter().filter(|v| v["kind"] == k).collect::<Vec<_>>();

    // The hang is injected silently and detected by the watchdog three heartbeats later.
    let hang = kind("fault_injected");
    assert_eq!((hang[0]["agent"].as_str(), hang[0]["t_ms"].as_u64()), (Some("worker-2"), Some(1200)));
    let lost = kind("agent_lost");
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0]["agent"], "worker-2");
    assert!(lost[0]["silent_ms"].as_u64().unwrap() >= 750);
    assert!(kind("attempt_failed").iter().any(|v| v["reason"] == "agent_lost"));
    assert!(kind("breaker_opened").iter().any(|v| v["agent"] == "flaky"));
    assert_eq!(kind("agent_crashed").len(), 2);
    // Nothing was done twice, and everything was done.
    let mut completed: Vec<&str> = kind("task_completed").iter().map(|v| v["task"].as_str().unwrap()).collect();
    completed.sort();
    let before = completed.len();
    completed.dedup();
    assert_eq!(before, completed.len());
    assert_eq!(completed.len(), sc.tasks.len());
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
    // And the journal rebuilds the coordinator, breakers and all.
    let events = read_journal(&sc, &text).unwrap();
    let rebuilt = Coordinator::from_events(sc, &events);
    assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
}

#[test]
fn resilience_settings_parse_with_defaults_and_precise_errors() {
    let base = |resilience: &str| {
        format!(
            r#"{{"name": "r", "heartbeat_ms": 200, "resilience": {resilience},
                "agents": [{{"id": "a", "capabilities": ["x"]}}],
                "tasks": [{{"id": "t", "capability": "x"}}]}}"#
        )
    };
    let sc = parse("ok.json", &base(r#"{"breaker_failures": 2, "adaptive_routing": false}"#)).unwrap();
    assert_eq!(sc.resilience.health.failure_threshold, 2);
    assert!(!sc.resilience.health.adaptive);
    assert_eq!(sc.resilience.health.window, 10, "unset fields keep their defaults");
    assert_eq!(sc.resilience.heartbeat_timeout(sc.heartbeat_ms), 600, "three heartbeats by default");

    let err = parse(
        "bad.json",
        &base(r#"{"breaker_window": 0, "adaptive_routing": "yes", "smoothing": 2, "breaker_cooldwn_ms": 5}"#),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("resilience.breaker_window: must be ≥ 1, found 0"), "{err}");
    assert!(err.contains("resilience.adaptive_routing: expected true or false"), "{err}");
    assert!(err.contains("resilience.smoothing: must be between 0 and 1, found 2"), "{err}");
    assert!(err.contains("did you mean `breaker_cooldown_ms`?"), "{err}");
    assert_eq!(err.lines().count(), 4, "{err}");
}

#[test]
fn hang_faults_name_known_agents_and_can_be_revived() {
    let text = |faults: &str| {
        format!(
            r#"{{"name": "h", "agents": [{{"id": "a", "capabilities": ["x"]}}],
                "tasks": [{{"id": "t", "capability": "x"}}], "faults": {faults}}}"#
        )
    };
    assert!(parse("ok.json", &text(r#"[{"at_ms": 5, "hang": "a"}, {"at_ms": 9, "revive": "a"}]"#)).is_ok());
    let err = parse("bad.json", &text(r#"[{"at_ms": 5, "hang": "b"}, {"at_ms": 1, "hang": "a", "crash": "a"}]"#))
        .unwrap_err()
        .to_string();
    assert!(err.contains("faults[0].hang: unknown agent `b`"), "{err}");
    assert!(err.contains("a fault takes exactly one of \"crash\", \"revive\", \"hang\", \"slow\", \"flaky\", \"drop\", \"delay\", \"partition\" or \"heal\""), "{err}");
}

#[test]
fn the_report_says_how_the_run_healed() {
    let sc = scenario::load(std::path::Path::new("scenarios/crash-storm.json")).unwrap();
    let mut run = SimRun::new(sc);
    run.run(&mut ()).unwrap();
    let r = switchyard::report::Recovery::of(run.coordinator());
    assert!(r.failures >= r.tasks_hit && r.tasks_hit > 0, "{r:?}");
    // Everything finished and nobody intervened: every task hit by a failure recovered by itself.
    assert_eq!(r.recovered, r.tasks_hit);
    assert_eq!(r.by_tier.retry + r.by_tier.other_agent, r.recovered);
    assert!(r.by_tier.other_agent > 0, "crashes and the hang moved work elsewhere");
    assert!(r.mean_time_to_recovery_ms.unwrap() > 0);
    assert_eq!(r.escalated, 0);
}

#[test]
fn a_task_an_operator_fixed_does_not_count_as_self_healed() {
    use switchyard::core::{OpAction, TaskId};
    let sc = parse(
        "op.json",
        r#"{"name": "op", "heartbeat_ms": 0,
            "agents": [{"id": "bad", "capabilities": ["x"], "profile": {"failure_rate": 1.0, "duration_ms": {"mean": 10}}},
                       {"id": "good", "capabilities": ["x"], "profile": {"duration_ms": {"mean": 10}}}],
            "tasks": [{"id": "t", "capability": "x", "retry": {"max_attempts": 1}}]}"#,
    )
    .unwrap();
    let mut run = SimRun::new(sc);
    run.set_fail_on_stall(false);
    run.advance_to(100, &mut ()).unwrap();
    assert_eq!(switchyard::report::Recovery::of(run.coordinator()).tasks_hit, 1);
    run.operator(OpAction::Retry(TaskId(0)), "me", None, &mut ()).unwrap().unwrap();
    run.advance_to(1_000, &mut ()).unwrap();
    let r = switchyard::report::Recovery::of(run.coordinator());
    assert_eq!(run.coordinator().state().tasks()[0].state, switchyard::core::TaskState::Completed);
    assert_eq!((r.tasks_hit, r.recovered), (1, 0), "{r:?}");
}
