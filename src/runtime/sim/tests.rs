//! Each injected fault end to end through the simulation driver: what the agents and links do, and
//! what the coordinator notices (it is never told).

use crate::core::event::{AttemptFailure, InjectedFault};
use crate::core::faults::{DropCause, LinkFault};
use crate::core::health::BreakerState;
use crate::core::{AgentId, Coordinator, Endpoint, Event, EventKind, MsgKind, OpAction, Origin, Outcome, Refusal};
use crate::runtime::SimRun;
use crate::scenario::{Scenario, parse};

const W: &str = r#"{"id": "w", "capabilities": ["x"], "profile": {"duration_ms": {"mean": 100, "jitter": 0}}}"#;
const V: &str = r#"{"id": "v", "capabilities": ["x"], "profile": {"duration_ms": {"mean": 100, "jitter": 0}}}"#;
/// One task with a 500 ms timeout and quick, jitter-free retries.
const T: &str = r#"{"id": "t", "capability": "x", "timeout_ms": 500, "retry": {"backoff_ms": 10, "jitter": 0}}"#;

/// A scenario from JSON pieces; `extra` holds top-level fields (with a trailing comma).
fn scenario(extra: &str, agents: &[&str], tasks: &str, faults: &str) -> Scenario {
    let hb = if extra.contains("heartbeat_ms") { "" } else { r#""heartbeat_ms": 0,"# };
    let text = format!(
        r#"{{"name": "faults", "seed": 5, {hb} {extra} "agents": [{}], "tasks": [{tasks}], "faults": [{faults}]}}"#,
        agents.join(",")
    );
    parse("faults.json", &text).unwrap_or_else(|e| panic!("{e}"))
}

/// `n` independent tasks like [`T`].
fn tasks(n: usize) -> String {
    (0..n).map(|i| T.replace("\"t\"", &format!("\"t{i}\""))).collect::<Vec<_>>().join(",")
}

fn run_all(s: Scenario) -> (SimRun, Vec<Event>) {
    let mut r = SimRun::new(s);
    let mut events = Vec::new();
    r.run(&mut events).unwrap();
    (r, events)
}

fn of<'a>(events: &'a [Event], name: &str) -> Vec<&'a Event> {
    events.iter().filter(|e| e.kind.name() == name).collect()
}

/// The run rebuilt from its events matches the live one: audit events change nothing.
fn assert_rebuilds(run: &SimRun, events: &[Event]) {
    let rebuilt = Coordinator::from_events(run.coordinator().scenario().clone(), events);
    assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
}

#[test]
fn a_dropped_result_ends_as_a_timeout_and_the_retry_succeeds() {
    // The request (at 0) gets through; the result (at 100) is lost on the link.
    let s = scenario("", &[W], T, r#"{"at_ms": 50, "drop": ["w", "coordinator"], "until_ms": 300}"#);
    let (run, events) = run_all(s);
    let dropped = of(&events, "message_dropped");
    assert_eq!(dropped.len(), 1);
    let EventKind::MessageDropped { msg, cause } = dropped[0].kind else { panic!() };
    assert_eq!((dropped[0].t_ms, msg.kind, msg.id, cause), (100, MsgKind::TaskResult, 0, DropCause::Drop));
    assert_eq!(msg.from, Endpoint::Agent(AgentId(0)));
    let timed_out = of(&events, "attempt_timed_out");
    assert_eq!((timed_out.len(), timed_out[0].t_ms), (1, 500));
    let done = of(&events, "task_completed");
    assert_eq!(
        done[0].kind,
        EventKind::TaskCompleted { task: crate::core::TaskId(0), agent: Some(AgentId(0)), attempts: 2 }
    );
    assert_eq!(done[0].t_ms, 610, "retried after 10 ms, once the link works again");
    assert_rebuilds(&run, &events);
}

#[test]
fn a_dropped_request_is_numbered_and_also_ends_as_a_timeout() {
    let s = scenario("", &[W], T, r#"{"at_ms": 0, "drop": ["coordinator", "w"], "until_ms": 1}"#);
    let (run, events) = run_all(s);
    let EventKind::MessageDropped { msg, .. } = of(&events, "message_dropped")[0].kind else { panic!() };
    assert_eq!((msg.kind, msg.id > 0), (MsgKind::TaskRequest, true), "the bus numbered it: {msg:?}");
    assert_eq!(of(&events, "attempt_timed_out").len(), 1);
    assert_eq!(run.coordinator().state().finished(), Some(Outcome::Succeeded));
}

#[test]
fn a_delayed_link_delivers_late_but_delivers() {
    let s = scenario("", &[W], T, r#"{"at_ms": 0, "delay": ["w", "coordinator"], "delay_ms": 150}"#);
    let (run, events) = run_all(s);
    assert!(of(&events, "message_dropped").is_empty());
    // Request arrives at 150, work takes 100, the result leaves at 250 and arrives at 400.
    let ok = of(&events, "attempt_succeeded");
    assert_eq!((ok.len(), ok[0].t_ms), (1, 400));
    assert!(matches!(ok[0].kind, EventKind::AttemptSucceeded { duration_ms: 400, .. }));
    assert!(of(&events, "attempt_timed_out").is_empty());
    let fault = of(&events, "fault_injected");
    let link = [Endpoint::Agent(AgentId(0)), Endpoint::Coordinator];
    assert_eq!(
        fault[0].kind,
        EventKind::LinkFaultInjected { fault: LinkFault::Delay { link, delay_ms: 150, until_ms: None } }
    );
    assert_rebuilds(&run, &events);
}

#[test]
fn a_partitioned_agent_is_lost_then_back_after_the_heal() {
    let s = scenario(
        r#""heartbeat_ms": 100,"#,
        &[W, V],
        &tasks(20),
        r#"{"at_ms": 150, "partition": [["v"], ["w"]]}, {"at_ms": 1000, "heal": true}"#,
    );
    let (run, events) = run_all(s);
    let lost = of(&events, "agent_lost");
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].kind, EventKind::AgentLost { agent: AgentId(0), silent_ms: 300 });
    assert_eq!(lost[0].t_ms, 400, "last heartbeat heard at 100");
    let back = of(&events, "agent_revived");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].kind, EventKind::AgentRevived { agent: AgentId(0), origin: Origin::Detected });
    assert_eq!(back[0].t_ms, 1000, "its first heartbeat after the heal");
    // While cut off, its heartbeats (and the coordinator's requests to it) were lost.
    let cut: Vec<_> = of(&events, "message_dropped")
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::MessageDropped { msg, cause: DropCause::Partition } => Some((e.t_ms, msg.kind)),
            _ => None,
        })
        .collect();
    assert!(cut.iter().all(|&(t, _)| (150..1000).contains(&t)), "{cut:?}");
    assert!(cut.iter().any(|&(_, k)| k == MsgKind::Heartbeat));
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::AttemptFailed { agent: AgentId(0), reason: AttemptFailure::AgentLost, .. }
    )));
    assert_eq!(run.coordinator().state().finished(), Some(Outcome::Succeeded));
    assert_rebuilds(&run, &events);
}

#[test]
fn a_slow_agent_takes_longer_trips_its_breaker_and_is_routed_around() {
    // Slowed ×4, its attempts (400 ms) overrun the 250 ms timeout: failures open its breaker.
    let slow = r#"{"at_ms": 0, "slow": "w", "factor": 4}"#;
    let t = tasks(12).replace("\"timeout_ms\": 500", "\"timeout_ms\": 250");
    let res = r#""resilience": {"breaker_failures": 2, "breaker_window": 3, "adaptive_routing": false},"#;
    let (run, events) = run_all(scenario(res, &[W, V], &t, slow));
    let timeouts = of(&events, "attempt_timed_out");
    assert!(timeouts.iter().all(|e| matches!(e.kind, EventKind::AttemptTimedOut { agent: AgentId(0), .. })));
    assert!(timeouts.len() >= 2);
    assert!(
        events.iter().any(|e| matches!(
            e.kind,
            EventKind::BreakerChanged { agent: AgentId(0), state: BreakerState::Open { .. } }
        ))
    );
    assert_eq!(run.coordinator().state().finished(), Some(Outcome::Succeeded));

    // With a generous timeout, adaptive routing notices the slowness and passes the agent over.
    let chain: Vec<String> = (0..10)
        .map(|i| {
            let deps = if i == 0 { String::new() } else { format!("\"t{}\"", i - 1) };
            format!(r#"{{"id": "t{i}", "capability": "x", "depends_on": [{deps}]}}"#)
        })
        .collect();
    let (run, events) = run_all(scenario("", &[W, V], &chain.join(","), slow));
    let durations: Vec<(AgentId, u64)> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::AttemptSucceeded { agent, duration_ms, .. } => Some((agent, duration_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(durations[0], (AgentId(0), 400), "four times its profile's 100 ms");
    assert!(durations[1..].iter().all(|&d| d == (AgentId(1), 100)), "{durations:?}");
    assert_eq!(run.coordinator().state().agents()[0].completed, 1);
}

#[test]
fn a_flaky_agent_fails_at_the_new_rate_deterministically() {
    let faults = r#"{"at_ms": 0, "flaky": "w", "failure_rate": 0.6}, {"at_ms": 3000, "flaky": "w", "failure_rate": 0}"#;
    let make = || scenario(r#""resilience": {"breaker_failures": 0},"#, &[W], &tasks(20), faults);
    let (run1, a) = run_all(make());
    let (_, b) = run_all(make());
    assert_eq!(a, b, "same seed, same run");
    let errors: Vec<u64> = a
        .iter()
        .filter(|e| matches!(e.kind, EventKind::AttemptFailed { reason: AttemptFailure::Agent(_), .. }))
        .map(|e| e.t_ms)
        .collect();
    assert!(errors.len() >= 5, "a profile with failure_rate 0 now fails: {errors:?}");
    assert!(errors.iter().all(|&t| t <= 3000), "and stops failing when the rate is set back to 0");
    assert!(
        a.iter().any(
            |e| e.kind == EventKind::FaultInjected { agent: AgentId(0), fault: InjectedFault::Flaky { rate: 0.6 } }
        )
    );
    let (_, clean) = run_all(scenario("", &[W], &tasks(20), ""));
    assert!(!clean.iter().any(|e| matches!(e.kind, EventKind::AttemptFailed { .. })));
    assert_rebuilds(&run1, &a);
}

#[test]
fn operator_faults_are_injected_or_refused_with_a_reason() {
    let s = scenario(r#""heartbeat_ms": 100,"#, &[W, V], &tasks(8), "");
    let mut run = SimRun::new(s);
    run.set_fail_on_stall(false);
    let mut events = Vec::new();
    run.advance_to(50, &mut events).unwrap();
    let op = |run: &mut SimRun, events: &mut Vec<Event>, a| run.operator(a, "ops", None, events).unwrap();
    let (w, v) = (AgentId(0), AgentId(1));
    assert_eq!(op(&mut run, &mut events, OpAction::Heal), Err(Refusal::NoChange), "nothing to heal");
    assert_eq!(op(&mut run, &mut events, OpAction::Slow(w, 0.0)), Err(Refusal::BadFactor));
    assert_eq!(op(&mut run, &mut events, OpAction::Flaky(w, 1.5)), Err(Refusal::BadRate));
    op(&mut run, &mut events, OpAction::Partition(w)).unwrap();
    assert_eq!(op(&mut run, &mut events, OpAction::Partition(w)), Err(Refusal::NoChange));
    op(&mut run, &mut events, OpAction::Hang(v)).unwrap();
    assert_eq!(op(&mut run, &mut events, OpAction::Hang(v)), Err(Refusal::AgentAlreadyDown(v)));
    assert_eq!(op(&mut run, &mut events, OpAction::Partition(v)), Err(Refusal::AgentDown(v)));
    run.advance_to(600, &mut events).unwrap();
    assert_eq!(of(&events, "agent_lost").len(), 2, "both noticed by their silence");
    op(&mut run, &mut events, OpAction::Heal).unwrap();
    op(&mut run, &mut events, OpAction::Revive(v)).unwrap();
    run.advance_to(20_000, &mut events).unwrap();
    assert!(events.iter().any(|e| e.kind == EventKind::AgentRevived { agent: w, origin: Origin::Detected }));
    assert_eq!(run.coordinator().state().finished(), Some(Outcome::Succeeded));
    // Each accepted fault is an operator_action followed by its fault_injected record.
    let names: Vec<&str> = events
        .iter()
        .filter(|e| matches!(e.kind.name(), "operator_action" | "fault_injected" | "command_refused"))
        .map(|e| e.kind.name())
        .collect();
    assert_eq!(names[..4], ["command_refused", "command_refused", "command_refused", "operator_action"]);
    assert_eq!(names[4], "fault_injected");
    assert_eq!(of(&events, "command_refused").len(), 6);
    assert_rebuilds(&run, &events);
}

#[test]
fn slow_and_flaky_are_refused_for_agents_that_are_not_simulated() {
    let proc_agent = r#"{"id": "p", "capabilities": ["x"], "kind": "process", "command": ["python3", "agent.py"]}"#;
    let mut run = SimRun::new(scenario("", &[W, proc_agent], T, ""));
    run.set_fail_on_stall(false);
    let mut events = Vec::new();
    let p = AgentId(1);
    assert_eq!(run.check_operator(OpAction::Slow(p, 2.0)), Err(Refusal::NotSimulated(p)));
    assert_eq!(run.operator(OpAction::Flaky(p, 0.5), "ops", None, &mut events).unwrap(), Err(Refusal::NotSimulated(p)));
    assert!(matches!(events.last().unwrap().kind, EventKind::CommandRefused { reason: Refusal::NotSimulated(_), .. }));
    assert_eq!(run.check_operator(OpAction::Slow(AgentId(0), 2.0)), Ok(()));
    assert_eq!(run.check_operator(OpAction::Hang(p)), Ok(()), "a process agent can be muted");
}

#[test]
fn heartbeats_held_up_on_a_delayed_link_do_not_keep_a_stalled_run_going() {
    // Only `w` can run `t`, and it crashes for good; `u`'s heartbeats crawl over a delayed link
    // forever. The run must still see that nothing can change and end (it used to run on).
    let w =
        r#"{"id": "w", "capabilities": ["x"], "specializations": ["s"], "profile": {"duration_ms": {"mean": 9000}}}"#;
    let u = r#"{"id": "u", "capabilities": ["x"]}"#;
    let t = r#"{"id": "t", "capability": "x", "specializations": ["s"]}"#;
    let faults = r#"{"at_ms": 0, "delay": ["u", "coordinator"], "delay_ms": 275}, {"at_ms": 500, "crash": "w"}"#;
    let (run, events) = run_all(scenario(r#""heartbeat_ms": 100,"#, &[w, u], t, faults));
    assert!(run.is_done());
    let failed = of(&events, "task_failed");
    assert_eq!(failed.len(), 1, "the task no live agent can run fails");
    assert!(events.last().unwrap().t_ms < 10_000, "ended at {}", events.last().unwrap().t_ms);
}
