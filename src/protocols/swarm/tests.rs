//! Swarm allocation driven through the simulation driver: the engage probability, claims and
//! refusals, specialisation within bounds, ticks that stop, crashes and stalls, and replay.

use crate::core::event::SwarmEvent;
use crate::core::*;
use crate::protocols::swarm::engage_probability;
use crate::scenario::*;

use crate::core::tests::{agent, replay_at_every_step, run, scenario, task};

fn swarm(agents: Vec<AgentSpec>, tasks: Vec<TaskSpec>) -> Scenario {
    let mut s = scenario(agents, tasks);
    s.allocation = Strategy::Swarm;
    s
}

fn of<'a>(events: &'a [Event], name: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
    events.iter().filter(move |e| e.kind.name() == name)
}

#[test]
fn engage_probability_follows_the_formula_and_stays_in_bounds() {
    assert_eq!(engage_probability(0.0, 10.0), 0.0);
    assert_eq!(engage_probability(-1.0, 10.0), 0.0);
    assert_eq!(engage_probability(10.0, 10.0), 0.5);
    assert_eq!(engage_probability(3.0, 0.0), 1.0);
    assert!((engage_probability(2.0, 4.0) - 4.0 / 20.0).abs() < 1e-12);
    assert_eq!(engage_probability(f64::NAN, 1.0), 0.0);
    assert_eq!(engage_probability(f64::INFINITY, 1.0), 1.0);
    for (s, t) in [(1e-300, 1e300), (1e300, 1e-300), (5.0, 1e9), (1e9, 5.0)] {
        let p = engage_probability(s, t);
        assert!((0.0..=1.0).contains(&p), "p({s}, {t}) = {p}");
    }
}

#[test]
fn tasks_are_posted_then_claimed_never_assigned_centrally() {
    let s = swarm(
        vec![agent("a", &["x"], 1, 100.0, 0.0), agent("b", &["x"], 1, 100.0, 0.0)],
        (0..6).map(|i| task(&format!("t{i}"), "x", &[])).collect(),
    );
    let (r, events) = run(s);
    assert_eq!(r.coordinator().state().completed, 6);
    assert_eq!(of(&events, "task_posted").count(), 6);
    // Every assignment is preceded by the claim of the same agent at the same instant.
    for (i, e) in events.iter().enumerate() {
        if let EventKind::TaskAssigned { task, agent, strategy } = e.kind {
            assert_eq!(strategy, Some(Strategy::Swarm));
            let claim = events[..i]
                .iter()
                .rev()
                .find(|c| matches!(c.kind, EventKind::Swarm(SwarmEvent::TaskClaimed { task: t, .. }) if t == task));
            match claim.map(|c| (&c.kind, c.t_ms)) {
                Some((EventKind::Swarm(SwarmEvent::TaskClaimed { agent: by, p, .. }), t)) => {
                    assert_eq!((*by, t), (agent, e.t_ms));
                    assert!(*p > 0.0 && *p <= 1.0);
                }
                other => panic!("assigned without a claim: {other:?}"),
            }
        }
    }
    // A claim needs stimulus: nothing is claimed at the instant it is posted.
    let posted_at = of(&events, "task_posted").next().unwrap().t_ms;
    assert!(of(&events, "task_claimed").all(|e| e.t_ms > posted_at));
}

#[test]
fn first_claimant_in_agent_order_wins_and_later_ones_are_refused() {
    // Threshold 0: every idle agent engages the first task it sees, so all three want `t0`.
    // Long work, so `a` is still busy when the next tick comes.
    let mut agents: Vec<AgentSpec> = ["a", "b", "c"].iter().map(|n| agent(n, &["x"], 1, 1000.0, 0.0)).collect();
    for a in &mut agents {
        a.thresholds.insert("x".into(), 0.0);
    }
    let mut s = swarm(agents, vec![task("t0", "x", &[]), task("t1", "x", &[])]);
    s.swarm.min_threshold = 0.0;
    s.swarm.learn = 0.0;
    let (r, events) = run(s);
    assert_eq!(r.coordinator().state().completed, 2);
    let first: Vec<&EventKind> = events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Swarm(SwarmEvent::TaskClaimed { .. }) | EventKind::Swarm(SwarmEvent::ClaimRefused { .. })
            )
        })
        .map(|e| &e.kind)
        .take(3)
        .collect();
    let (a, b, c, t0) = (AgentId(0), AgentId(1), AgentId(2), TaskId(0));
    assert!(
        matches!(first[0], EventKind::Swarm(SwarmEvent::TaskClaimed { task, agent, p, .. }) if *task == t0 && *agent == a && *p == 1.0)
    );
    assert_eq!(first[1], &EventKind::Swarm(SwarmEvent::ClaimRefused { task: t0, agent: b, winner: a }));
    assert_eq!(first[2], &EventKind::Swarm(SwarmEvent::ClaimRefused { task: t0, agent: c, winner: a }));
    assert_eq!(r.coordinator().state().swarm.refused, of(&events, "claim_refused").count() as u32);
    // Refused agents try again on the next tick and one of them gets `t1`.
    let t1 = of(&events, "task_claimed").nth(1).unwrap();
    assert!(matches!(t1.kind, EventKind::Swarm(SwarmEvent::TaskClaimed { agent, .. }) if agent == b));
}

#[test]
fn thresholds_fall_for_the_claimed_capability_and_rise_for_the_others_within_bounds() {
    let mut s =
        swarm(vec![agent("a", &["x", "y"], 1, 100.0, 0.0)], (0..8).map(|i| task(&format!("t{i}"), "x", &[])).collect());
    s.swarm.initial_threshold = 5.0;
    s.swarm.min_threshold = 2.0;
    s.swarm.max_threshold = 6.0;
    s.swarm.learn = 2.0;
    s.swarm.forget = 0.5;
    let (r, events) = run(s);
    let changes: Vec<(String, f64)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Swarm(SwarmEvent::ThresholdChanged { capability, threshold, .. }) => {
                Some((capability.to_string(), *threshold))
            }
            _ => None,
        })
        .collect();
    let x: Vec<f64> = changes.iter().filter(|c| c.0 == "x").map(|c| c.1).collect();
    let y: Vec<f64> = changes.iter().filter(|c| c.0 == "y").map(|c| c.1).collect();
    assert_eq!(x, vec![3.0, 2.0], "falls by learn, then stops at the minimum (no event once unchanged)");
    assert_eq!(y, vec![5.5, 6.0], "rises by forget, then stops at the maximum");
    let final_: Vec<(&str, f64)> = r.coordinator().state().swarm.thresholds(AgentId(0)).collect();
    assert_eq!(final_, vec![("x", 2.0), ("y", 6.0)]);
    assert_eq!(r.coordinator().state().swarm.claims, vec![8]);
}

#[test]
fn the_tick_stops_when_the_board_is_empty_and_while_nobody_is_free() {
    let s = swarm(vec![agent("a", &["x"], 1, 1000.0, 0.0)], vec![task("t0", "x", &[]), task("t1", "x", &["t0"])]);
    let (r, events) = run(s.clone());
    assert!(r.coordinator().is_finished());
    let mut rebuilt = Coordinator::from_events(s, &events);
    assert_eq!(rebuilt.poll_work_timeout(), None, "no timer left at the end");
    // No tick while the only agent works: ticks come only between a posting and its claim.
    let claims: Vec<u64> = of(&events, "task_claimed").map(|e| e.t_ms).collect();
    let posts: Vec<u64> = of(&events, "task_posted").map(|e| e.t_ms).collect();
    for tick in of(&events, "swarm_tick") {
        assert!(posts.iter().zip(&claims).any(|(p, c)| (*p..=*c).contains(&tick.t_ms)), "tick at {}", tick.t_ms);
    }
}

#[test]
fn a_task_nobody_can_take_fails_when_the_run_stalls() {
    let mut s = swarm(vec![agent("a", &["x"], 1, 100.0, 0.0)], vec![task("t0", "x", &[]), task("t1", "x", &[])]);
    s.faults = vec![FaultSpec { at_ms: 0, action: FaultAction::Crash("a".into()) }];
    let (r, events) = run(s);
    assert_eq!(r.coordinator().state().failed, 2);
    assert!(
        of(&events, "task_failed")
            .all(|e| matches!(e.kind, EventKind::TaskFailed { reason: event::TaskFailure::NoLiveAgent, .. }))
    );
    assert_eq!(of(&events, "swarm_tick").count(), 0);
    assert!(r.coordinator().state().swarm.board.is_empty(), "failed tasks leave the board");
}

#[test]
fn swarm_tasks_complete_under_crashes_and_replay_at_every_step() {
    let mut agents: Vec<AgentSpec> = ["a", "b", "c"].iter().map(|n| agent(n, &["x", "y"], 1, 300.0, 0.1)).collect();
    agents[0].profile.duration_ms.jitter = 0.4;
    let tasks = (0..12).map(|i| task(&format!("t{i}"), if i % 3 == 0 { "y" } else { "x" }, &[])).collect();
    let mut s = swarm(agents, tasks);
    s.heartbeat_ms = 200;
    s.faults = vec![
        FaultSpec { at_ms: 450, action: FaultAction::Crash("a".into()) },
        FaultSpec { at_ms: 700, action: FaultAction::Crash("b".into()) },
        FaultSpec { at_ms: 1500, action: FaultAction::Revive("a".into()) },
    ];
    let (r, events) = replay_at_every_step(s);
    let st = r.coordinator().state();
    assert_eq!(st.completed, 12, "{:?}", st.finished);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::TaskReassigned { .. })), "a crash took running work");
    // A reassigned task goes back to the board and is claimed again.
    let reposted = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TaskReassigned { task, .. } => Some(task),
            _ => None,
        })
        .all(|t| of(&events, "task_posted").filter(|e| e.kind.task() == Some(t)).count() >= 2);
    assert!(reposted);
}
