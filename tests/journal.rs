//! The journal round-trips: written lines read back into the same events, and folding them
//! rebuilds the coordinator that produced them.

use switchyard::core::{Coordinator, Event};
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::runtime::SimRun;
use switchyard::scenario;

fn run_with_journal(path: &str, seed: Option<u64>) -> (SimRun, Vec<Event>, String) {
    let mut sc = scenario::load(std::path::Path::new(path)).unwrap();
    if let Some(s) = seed {
        sc.seed = s;
    }
    let mut run = SimRun::new(sc);
    let mut sinks = (Vec::new(), JournalWriter::new(Vec::new()));
    run.run(&mut sinks).unwrap();
    let (events, writer) = sinks;
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    (run, events, text)
}

#[test]
fn every_bundled_scenario_journal_reads_back_into_the_same_events() {
    // Every simulated scenario in the directory (those with process agents need the live driver:
    // tests/live_agents.rs runs them), so a new bundled scenario is covered without a list to edit.
    let mut paths: Vec<_> = std::fs::read_dir("scenarios")
        .expect("this test reads the bundled scenarios/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut checked = 0;
    for path in &paths {
        let path = path.to_str().unwrap();
        if !scenario::load(std::path::Path::new(path)).unwrap().agents.iter().all(|a| a.kind.is_sim()) {
            continue;
        }
        let (run, events, text) = run_with_journal(path, None);
        assert_eq!(text.lines().count(), events.len());
        let back = read_journal(run.coordinator().scenario(), &text).unwrap();
        assert_eq!(back, events, "{path}");
        let rebuilt = Coordinator::from_events(run.coordinator().scenario().clone(), &back);
        assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest(), "{path}");
        checked += 1;
    }
    assert!(checked >= 16, "only {checked} simulated scenarios found in {paths:?}");
}

#[test]
fn the_crash_scenario_journal_shows_the_crash_and_the_reassignment() {
    let (_, _, text) = run_with_journal("scenarios/crash-reassign.json", None);
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let crash = lines.iter().position(|v| v["kind"] == "agent_crashed").expect("a crash");
    assert_eq!(lines[crash]["agent"], "builder-1");
    assert_eq!(lines[crash]["t_ms"], 1200);
    let reassigned: Vec<&serde_json::Value> = lines.iter().filter(|v| v["kind"] == "task_reassigned").collect();
    assert!(!reassigned.is_empty());
    for r in reassigned {
        let task = &r["task"];
        // Each reassigned task later completes on another agent.
        let done = lines.iter().find(|v| v["kind"] == "task_completed" && &v["task"] == task).unwrap();
        assert_ne!(done["agent"], "builder-1");
    }
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
}

#[test]
fn a_damaged_journal_is_rejected_with_its_line_number() {
    let (run, _, text) = run_with_journal("scenarios/research-pipeline.json", None);
    let sc = run.coordinator().scenario();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(3);
    let err = read_journal(sc, &lines.join("\n")).unwrap_err();
    assert_eq!(err.line, 4);
    assert!(err.message.contains("expected seq 3"), "{err}");

    let bad = text.replacen("\"task\":\"analysis\"", "\"task\":\"analysys\"", 1);
    let err = read_journal(sc, &bad).unwrap_err();
    assert!(err.message.contains("unknown task `analysys`"), "{err}");

    let err = read_journal(sc, "{\"seq\":0,\"t_ms\":0,\"kind\":\"teleported\"}").unwrap_err();
    assert_eq!(err.to_string(), "line 1: unknown event kind `teleported`");
}

#[test]
fn seeds_change_the_run_and_only_the_seed_does() {
    let (_, _, a) = run_with_journal("scenarios/research-pipeline.json", Some(9));
    let (_, _, b) = run_with_journal("scenarios/research-pipeline.json", Some(9));
    let (_, _, c) = run_with_journal("scenarios/research-pipeline.json", Some(10));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn operator_actions_and_refusals_round_trip_through_the_journal() {
    use switchyard::core::{AgentId, OpAction, Resolution, TaskId};
    let sc = scenario::load(std::path::Path::new("scenarios/research-pipeline.json")).unwrap();
    let mut run = SimRun::new(sc);
    run.set_fail_on_stall(false);
    let mut sinks = (Vec::new(), JournalWriter::new(Vec::new()));
    let (ai, market, analysis, draft) = (TaskId(0), TaskId(1), TaskId(3), TaskId(4));
    run.advance_to(100, &mut sinks).unwrap();
    let act = |run: &mut SimRun, sinks: &mut _, a: OpAction, reason: Option<&str>| {
        let _ = run.operator(a, "tester", reason, sinks).unwrap();
    };
    act(&mut run, &mut sinks, OpAction::Pause, None);
    act(&mut run, &mut sinks, OpAction::Speed(2.5), Some("faster \"please\""));
    act(&mut run, &mut sinks, OpAction::Speed(0.0), None); // refused
    act(&mut run, &mut sinks, OpAction::Resume, None);
    act(&mut run, &mut sinks, OpAction::Hold(draft), Some("wait for legal"));
    act(&mut run, &mut sinks, OpAction::Retry(ai), None); // refused: running
    act(&mut run, &mut sinks, OpAction::Reassign(ai, AgentId(3)), None); // refused: incapable
    act(&mut run, &mut sinks, OpAction::Cancel(market), Some("not needed"));
    act(&mut run, &mut sinks, OpAction::Retry(analysis), None); // retries `market`, the cause
    act(&mut run, &mut sinks, OpAction::Drain(AgentId(4)), None);
    act(&mut run, &mut sinks, OpAction::Crash(AgentId(1)), None);
    run.advance_to(5_000, &mut sinks).unwrap();
    act(&mut run, &mut sinks, OpAction::Revive(AgentId(1)), None);
    run.advance_to(60_000, &mut sinks).unwrap();
    act(&mut run, &mut sinks, OpAction::Escalate(draft), None);
    act(&mut run, &mut sinks, OpAction::Resolve(draft, Resolution::Done), Some("written by hand"));
    run.advance_to(120_000, &mut sinks).unwrap();
    let (events, writer) = sinks;
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    for kind in ["operator_action", "command_refused", "task_held", "task_reopened", "task_escalated", "agent_draining"]
    {
        assert!(text.contains(&format!("\"kind\":\"{kind}\"")), "no {kind} in the journal");
    }
    assert!(
        text.contains("\"message\":\"agent `writer` lacks the capability or specializations of task `research-ai`\"")
    );
    let back = read_journal(run.coordinator().scenario(), &text).unwrap();
    assert_eq!(back, events);
    let rebuilt = Coordinator::from_events(run.coordinator().scenario().clone(), &back);
    assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
}

#[test]
fn operator_faults_round_trip_through_the_journal() {
    use switchyard::core::{AgentId, OpAction};
    let sc = scenario::load(std::path::Path::new("scenarios/crash-storm.json")).unwrap();
    let mut run = SimRun::new(sc);
    run.set_fail_on_stall(false);
    let mut sinks = (Vec::new(), JournalWriter::new(Vec::new()));
    run.advance_to(100, &mut sinks).unwrap();
    for a in [
        OpAction::Slow(AgentId(0), 2.5),
        OpAction::Slow(AgentId(0), -1.0), // refused: bad_factor
        OpAction::Flaky(AgentId(1), 0.25),
        OpAction::Flaky(AgentId(1), 2.0), // refused: bad_rate
        OpAction::Partition(AgentId(4)),
        OpAction::Partition(AgentId(5)),
        OpAction::Partition(AgentId(5)), // refused: no_change
        OpAction::Hang(AgentId(3)),
        OpAction::Hang(AgentId(3)), // refused: agent_already_down
    ] {
        let _ = run.operator(a, "tester", Some("chaos"), &mut sinks).unwrap();
    }
    run.advance_to(3_000, &mut sinks).unwrap();
    let _ = run.operator(OpAction::Heal, "tester", None, &mut sinks).unwrap();
    run.advance_to(60_000, &mut sinks).unwrap();
    let (events, writer) = sinks;
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    for needle in [
        r#""kind":"operator_action","who":"tester","action":"slow","agent":"worker-1","factor":2.5"#,
        r#""kind":"fault_injected","agent":"worker-2","fault":"flaky","failure_rate":0.25"#,
        r#""reason":"bad_factor","message":"the factor must be a number above 0""#,
        r#""reason":"bad_rate""#,
        r#""reason":"no_change""#,
        r#""reason":"agent_already_down""#,
        r#""fault":"partition","groups":[["worker-1","worker-2","worker-3","worker-4","flaky","integrator"],["worker-5","worker-6"]]"#,
        r#""kind":"operator_action","who":"tester","action":"heal"}"#,
        r#""kind":"message_dropped""#,
    ] {
        assert!(text.contains(needle), "no {needle} in the journal");
    }
    let back = read_journal(run.coordinator().scenario(), &text).unwrap();
    assert_eq!(back, events);
    let rebuilt = Coordinator::from_events(run.coordinator().scenario().clone(), &back);
    assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
}
