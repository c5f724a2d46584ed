//! Failure detection end to end: silent agents are lost and their work moves, breakers open and
//! probe, and adaptive routing steers work away from slow agents.

use crate::core::event::AttemptFailure;
use crate::core::health::BreakerState;
use crate::core::*;
use crate::runtime::SimRun;
use crate::scenario::*;

fn agent(id: &str, max: u32, mean: f64, failure_rate: f64) -> AgentSpec {
    crate::core::tests::agent(id, &["x"], max, mean, failure_rate)
}

/// `n` independent tasks with a generous timeout and five quick attempts.
fn tasks(n: usize) -> Vec<TaskSpec> {
    (0..n)
        .map(|i| {
            let mut t = crate::core::tests::task(&format!("t{i}"), "x", &[]);
            t.timeout_ms = 60_000;
            t.retry = RetryPolicy { max_attempts: 5, backoff_ms: 10, jitter: 0.0, ..RetryPolicy::default() };
            t
        })
        .collect()
}

/// Heartbeats every 100 ms, so the watchdog (3 × 100 ms) is on.
fn scenario(agents: Vec<AgentSpec>, tasks: Vec<TaskSpec>) -> Scenario {
    let mut s = crate::core::tests::scenario(agents, tasks);
    s.name = "health".into();
    s.seed = 3;
    s.heartbeat_ms = 100;
    s
}

fn run(s: Scenario) -> (SimRun, Vec<Event>) {
    crate::core::tests::run(s)
}

#[test]
fn a_hung_agent_is_lost_after_the_heartbeat_timeout_and_its_work_moves() {
    let mut s = scenario(vec![agent("hangs", 1, 1_000.0, 0.0), agent("steady", 1, 1_000.0, 0.0)], tasks(2));
    s.faults = vec![FaultSpec { at_ms: 250, action: FaultAction::Hang("hangs".into()) }];
    let (run, events) = run(s);
    // Timeout = 3 × 100 ms after the last heartbeat (at 200 ms).
    let lost = events.iter().find(|e| e.kind.name() == "agent_lost").expect("detected");
    assert_eq!(lost.t_ms, 500);
    assert_eq!(lost.kind, EventKind::AgentLost { agent: AgentId(0), silent_ms: 300 });
    assert!(events.iter().any(|e| e.kind.name() == "fault_injected" && e.t_ms == 250));
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::AttemptFailed { agent: AgentId(0), reason: AttemptFailure::AgentLost, .. }
    )));
    let st = run.coordinator().state();
    assert!(st.tasks.iter().all(|t| t.state == TaskState::Completed && t.agent == Some(AgentId(1))));
    assert_eq!(st.finished, Some(Outcome::Succeeded));
}

#[test]
fn a_lost_agent_that_speaks_again_is_back_and_its_late_result_is_discarded() {
    let mut c = Coordinator::new(scenario(vec![agent("a", 1, 0.0, 0.0), agent("b", 1, 0.0, 0.0)], tasks(1)));
    c.start(0);
    let req = std::iter::from_fn(|| c.poll_transmit()).find(|m| m.kind == MsgKind::TaskRequest).unwrap();
    let Endpoint::Agent(worker) = req.to else { panic!() };
    let other = AgentId(1 - worker.0);
    // The other agent keeps heartbeating; the worker stays silent past 300 ms.
    for t in [100, 200, 300, 400] {
        c.handle_timeout(t);
        let hb = Message::from_agent(other, MsgKind::Heartbeat, None, Payload::Heartbeat { running: 0 });
        c.handle_message(t, hb);
    }
    assert!(!c.state().agents[worker.ix()].alive);
    assert!(c.state().agents[worker.ix()].lost);
    // Its result arrives late: the agent is back, but the attempt was given up and reassigned.
    let result = Payload::Result { task: TaskId(0), attempt: 1, error: None };
    c.handle_message(450, Message::from_agent(worker, MsgKind::TaskResult, Some(req.id), result));
    let events: Vec<Event> = c.drain_events().collect();
    assert!(events.iter().any(|e| e.kind == EventKind::AgentRevived { agent: worker, origin: Origin::Detected }));
    assert!(
        events.iter().any(|e| e.kind == EventKind::LateResultDiscarded { task: TaskId(0), agent: worker, attempt: 1 })
    );
    assert_eq!(c.state().tasks[0].attempts, 2, "the reassigned attempt runs; the late one is not applied");
}

#[test]
fn failures_open_the_breaker_then_a_probe_closes_it() {
    let mut s = scenario(vec![agent("flaky", 1, 100.0, 1.0), agent("ok", 1, 100.0, 0.0)], tasks(12));
    s.resilience.health.failure_threshold = 2;
    s.resilience.health.window = 3;
    s.resilience.health.cooldown_ms = 400;
    s.resilience.health.adaptive = false;
    let (run, events) = run(s);
    let transitions: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::BreakerChanged { agent: AgentId(0), .. }))
        .map(|e| (e.t_ms, e.kind.name()))
        .collect();
    assert_eq!(transitions[0], (200, "breaker_opened"), "{transitions:?}");
    assert_eq!(transitions[1], (600, "breaker_half_open"));
    // The probe fails (the agent always fails): open again.
    assert_eq!(transitions[2].1, "breaker_opened");
    // While open, the flaky agent gets no work.
    for e in &events {
        if let EventKind::TaskAssigned { agent: AgentId(0), .. } = e.kind {
            let open = transitions.iter().rev().find(|(t, _)| *t <= e.t_ms).map(|(_, k)| *k);
            assert_ne!(open, Some("breaker_opened"), "assigned to an open breaker at {}", e.t_ms);
        }
    }
    assert_eq!(run.coordinator().state().finished, Some(Outcome::Succeeded));
    assert!(matches!(
        run.coordinator().state().agents[0].health.breaker,
        BreakerState::Open { .. } | BreakerState::HalfOpen
    ));
}

#[test]
fn a_recovered_agent_closes_its_breaker_after_a_good_probe() {
    let mut sc = scenario(vec![agent("a", 1, 0.0, 0.0)], tasks(4));
    sc.heartbeat_ms = 0; // driven by hand: no heartbeats, so no silence detection either
    let mut c = Coordinator::new(sc);
    let cfg = c.state().health_cfg;
    c.start(0);
    let mut t = 0;
    // Three failures with the default threshold of 5 do not open; five do.
    for i in 0..cfg.failure_threshold {
        let req = std::iter::from_fn(|| c.poll_transmit()).find(|m| m.kind == MsgKind::TaskRequest).unwrap();
        let Payload::Task { task, attempt, .. } = req.payload else { panic!() };
        t += 10;
        let err = Payload::Result { task, attempt, error: Some(bus::AgentError::Simulated) };
        c.handle_message(t, Message::from_agent(AgentId(0), MsgKind::TaskResult, Some(req.id), err));
        let open = matches!(c.state().agents[0].health.breaker, BreakerState::Open { .. });
        assert_eq!(open, i + 1 == cfg.failure_threshold, "after {} failures", i + 1);
        c.handle_timeout(t + 1_000); // retries become ready
    }
    let until = t + cfg.cooldown_ms;
    assert_eq!(c.poll_timeout(), Some(until));
    c.handle_timeout(until);
    assert_eq!(c.state().agents[0].health.breaker, BreakerState::HalfOpen);
    let req = std::iter::from_fn(|| c.poll_transmit()).find(|m| m.kind == MsgKind::TaskRequest).unwrap();
    assert!(std::iter::from_fn(|| c.poll_transmit()).all(|m| m.kind != MsgKind::TaskRequest), "one probe only");
    let Payload::Task { task, attempt, .. } = req.payload else { panic!() };
    let ok = Payload::Result { task, attempt, error: None };
    c.handle_message(until + 5, Message::from_agent(AgentId(0), MsgKind::TaskResult, Some(req.id), ok));
    assert_eq!(c.state().agents[0].health.breaker, BreakerState::Closed);
}

#[test]
fn adaptive_routing_sends_less_work_to_a_slow_agent() {
    let mk = |adaptive: bool| {
        // A chain: one task ready at a time, both agents free, so the strategy really chooses.
        // `slow` comes first, so it wins least_loaded's ties; both promise 100 ms, a slow fault
        // makes it take 400.
        let mut ts = tasks(20);
        for (i, t) in ts.iter_mut().enumerate().skip(1) {
            t.depends_on = vec![format!("t{}", i - 1).into()];
        }
        let mut s = scenario(vec![agent("slow", 1, 100.0, 0.0), agent("fast", 1, 100.0, 0.0)], ts);
        s.resilience.health.adaptive = adaptive;
        let mut r = SimRun::new(s);
        let mut events = Vec::new();
        r.inject_slow(AgentId(0), 4.0, &mut events).unwrap();
        r.run(&mut events).unwrap();
        let st = r.coordinator().state();
        (st.agents[0].completed, st.makespan_ms)
    };
    let (plain, plain_span) = mk(false);
    let (adaptive, adaptive_span) = mk(true);
    assert_eq!((plain, plain_span), (20, 8_000), "without adaptive routing the slow agent takes every task");
    assert_eq!(adaptive, 1, "after one slow task it is passed over");
    assert_eq!(adaptive_span, 400 + 19 * 100);
}

#[test]
fn health_folds_from_events_like_everything_else() {
    let mut s = scenario(vec![agent("flaky", 2, 50.0, 0.6), agent("ok", 1, 80.0, 0.1)], tasks(30));
    s.resilience.health.failure_threshold = 2;
    s.faults = vec![FaultSpec { at_ms: 300, action: FaultAction::Hang("ok".into()) }];
    let (run, events) = run(s.clone());
    let rebuilt = Coordinator::from_events(s, &events);
    assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
}
