//! Delegation down the `reports_to` tree: who gets picked, the hops' order, managers that are
//! down, and rebuilding a delegated run from its events.

use crate::core::tests::{agent, run_rebuilding as run, scenario, task};
use crate::core::{AgentId, Event, EventKind, Payload, TaskId};
use crate::protocols::teams::TeamEvent;
use crate::scenario::{AgentSpec, FaultAction, FaultSpec, Scenario, Strategy};

fn reports(mut a: AgentSpec, boss: &str) -> AgentSpec {
    a.reports_to = Some(boss.into());
    a
}

/// director → lead-a (a1, a2), lead-b (b1); `n` tasks of capability x, 100 ms each.
fn team(n: usize) -> Scenario {
    let mut s = scenario(
        vec![
            agent("director", &["boss"], 1, 100.0, 0.0),
            reports(agent("lead-a", &["boss"], 1, 100.0, 0.0), "director"),
            reports(agent("lead-b", &["boss"], 1, 100.0, 0.0), "director"),
            reports(agent("a1", &["x"], 1, 100.0, 0.0), "lead-a"),
            reports(agent("a2", &["x"], 1, 100.0, 0.0), "lead-a"),
            reports(agent("b1", &["x"], 1, 100.0, 0.0), "lead-b"),
        ],
        (0..n).map(|i| task(&format!("t{i}"), "x", &[])).collect(),
    );
    s.allocation = Strategy::Hierarchy;
    s
}

fn hops(events: &[Event]) -> Vec<(u32, u32, u32, u32, Option<u32>)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Team(TeamEvent::TaskDelegated { task, from, to, level, bypassed }) => {
                Some((task.0, from.0, to.0, level, bypassed.map(|b| b.0)))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_least_loaded_team_then_its_least_loaded_worker_gets_each_task() {
    let events = run(team(4));
    // t0: both teams idle, lead-a first by order; its a1. t1: team a half busy (1/2) vs b (0/1):
    // team b. t2: a (1/2) vs b (1/1): team a, its free a2. t3 waits for the first to finish.
    let first: Vec<_> = hops(&events).into_iter().take(6).collect();
    assert_eq!(
        first,
        vec![
            (0, 0, 1, 1, None),
            (0, 1, 3, 2, None),
            (1, 0, 2, 1, None),
            (1, 2, 5, 2, None),
            (2, 0, 1, 1, None),
            (2, 1, 4, 2, None),
        ]
    );
    let assigned: Vec<_> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TaskAssigned { task, agent, strategy } => Some((task.0, agent.0, strategy)),
            _ => None,
        })
        .collect();
    let h = Some(Strategy::Hierarchy);
    assert_eq!(&assigned[..3], &[(0, 3, h), (1, 5, h), (2, 4, h)]);
}

#[test]
fn every_hop_is_a_message_and_results_go_back_up_in_order() {
    let events = run(team(1));
    let trail: Vec<String> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Team(ref t) => Some(t.name().to_string()),
            EventKind::MessageSent { msg } => match msg.payload {
                Payload::Delegate { level, .. } => Some(format!("delegate@{level}")),
                Payload::Report { .. } => Some("report".into()),
                _ => None,
            },
            EventKind::TaskAssigned { .. } | EventKind::AttemptSucceeded { .. } | EventKind::TaskCompleted { .. } => {
                Some(e.kind.name().to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        trail,
        [
            "task_delegated",
            "delegate@1",
            "task_delegated",
            "delegate@2",
            "task_assigned",
            "attempt_succeeded",
            "result_reported",
            "report",
            "result_reported",
            "report",
            "task_completed"
        ]
    );
    let reported: Vec<(u32, u32)> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Team(TeamEvent::ResultReported { from, to, .. }) => Some((from.0, to.0)),
            _ => None,
        })
        .collect();
    assert_eq!(reported, vec![(3, 1), (1, 0)]);
}

#[test]
fn a_lead_that_is_down_is_bypassed_both_ways_and_its_team_keeps_working() {
    let mut s = team(6);
    // Mid-way through the first three tasks (all delegated at 0).
    s.faults = vec![FaultSpec { at_ms: 50, action: FaultAction::Crash("lead-a".into()) }];
    let events = run(s);
    let crashed = events.iter().position(|e| e.kind.name() == "agent_crashed").unwrap();
    let after = hops(&events[crashed..]);
    assert!(!after.is_empty());
    for &(task, from, to, level, bypassed) in &after {
        assert_ne!(from, 1, "t{task}: a down lead delegates nothing");
        assert_ne!(to, 1, "t{task}: nothing is delegated to a down lead");
        if to == 3 || to == 4 {
            assert_eq!((from, level, bypassed), (0, 2, Some(1)), "t{task}");
        }
    }
    assert!(after.iter().any(|h| h.4 == Some(1)), "team a got work past its lead: {after:?}");
    let up: Vec<(u32, u32, u32)> = events[crashed..]
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Team(TeamEvent::ResultReported { task, from, to }) => Some((task.0, from.0, to.0)),
            _ => None,
        })
        .collect();
    // t0 ran on a1 under lead-a: its result skips the down lead.
    assert!(up.contains(&(0, 3, 0)), "{up:?}");
    assert_eq!(events.iter().filter(|e| e.kind.name() == "task_completed").count(), 6);
}

#[test]
fn without_a_tree_hierarchy_assigns_like_least_loaded_with_no_hops() {
    let mut s = scenario(
        vec![agent("a", &["x"], 1, 10.0, 0.0), agent("b", &["x"], 1, 10.0, 0.0)],
        vec![task("t0", "x", &[]), task("t1", "x", &[])],
    );
    s.allocation = Strategy::Hierarchy;
    let events = run(s);
    assert!(hops(&events).is_empty());
    let agents: Vec<AgentId> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TaskAssigned { agent, .. } => Some(agent),
            _ => None,
        })
        .collect();
    assert_eq!(agents, vec![AgentId(0), AgentId(1)]);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::TaskCompleted { task: TaskId(1), .. })));
}
