//! Help exchanges: routed to the least-loaded capable peer, answered (the asker's result waits for
//! it), timed out, or with no peer at all; every step rebuilds from the events.

use crate::core::tests::{agent, run_rebuilding as run, scenario, task};
use crate::core::{AgentId, Event, EventKind, TaskId};
use crate::protocols::teams::{HelpMiss, TeamEvent};
use crate::scenario::{FaultAction, FaultSpec, HelpSpec, Scenario};

/// `asker` runs one 1000 ms task that asks `research` at half-way, waiting up to `timeout_ms`;
/// peers `p1` (mean `p1_mean`, busy with a side task) and `p2` (mean 400).
fn helped(timeout_ms: u64) -> Scenario {
    let mut t = task("build", "build", &[]);
    t.extras_mut().help =
        Some(Box::new(HelpSpec { capability: "research".into(), question: "which?".into(), timeout_ms, at: 0.5 }));
    scenario(
        vec![
            agent("asker", &["build"], 1, 1000.0, 0.0),
            agent("p1", &["research", "side"], 1, 4000.0, 0.0),
            agent("p2", &["research"], 1, 400.0, 0.0),
        ],
        vec![t, task("side", "side", &[])],
    )
}

fn team(events: &[Event]) -> Vec<(u64, TeamEvent)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Team(t) => Some((e.t_ms, t.clone())),
            _ => None,
        })
        .collect()
}

fn completed_at(events: &[Event], t: TaskId) -> u64 {
    events.iter().find(|e| matches!(e.kind, EventKind::TaskCompleted { task, .. } if task == t)).unwrap().t_ms
}

#[test]
fn a_question_goes_to_the_least_loaded_peer_and_the_result_waits_for_the_answer() {
    let events = run(helped(500));
    let t = team(&events);
    let id = match t[0].1 {
        TeamEvent::HelpRequested { task: TaskId(0), agent: AgentId(0), id, ref capability } => {
            assert_eq!(&**capability, "research");
            id
        }
        ref e => panic!("{e:?}"),
    };
    assert_eq!(t[0].0, 500, "asked at half of the 1000 ms");
    // p1 is busy with `side`: p2, idle, gets it and answers in a quarter of its 400 ms.
    assert_eq!(t[1], (500, TeamEvent::HelpRouted { id, to: AgentId(2) }));
    assert_eq!(t[2], (600, TeamEvent::HelpAnswered { id, by: AgentId(2), waited_ms: 100 }));
    assert_eq!(t.len(), 3);
    // The other half of the work starts once the answer is in: 600 + 500.
    assert_eq!(completed_at(&events, TaskId(0)), 1100);
}

#[test]
fn a_slow_answer_times_out_and_the_asker_goes_on_without_it() {
    let mut s = helped(50);
    s.agents[2].profile.duration_ms.mean = 4000.0; // p2 now answers after 1000 ms
    let events = run(s);
    let t = team(&events);
    let TeamEvent::HelpRouted { id, .. } = t[1].1 else { panic!("{t:?}") };
    assert_eq!(t[2], (550, TeamEvent::HelpTimedOut { id, reason: HelpMiss::Timeout }));
    assert_eq!(t.len(), 3, "the late answer is ignored: {t:?}");
    assert_eq!(completed_at(&events, TaskId(0)), 1050);
    // The asker was told at the timeout; the peer's late answer is on the bus and changes nothing.
    let late =
        events.iter().filter(|e| matches!(e.kind, EventKind::MessageSent { msg } if msg.correlation == Some(id)));
    assert_eq!(late.count(), 3, "request to the peer, no-answer to the asker, the late answer");
}

#[test]
fn with_no_peer_up_the_request_is_given_up_at_once() {
    let mut s = helped(500);
    s.faults = vec![
        FaultSpec { at_ms: 100, action: FaultAction::Crash("p1".into()) },
        FaultSpec { at_ms: 100, action: FaultAction::Crash("p2".into()) },
    ];
    s.tasks.pop();
    let events = run(s);
    let t = team(&events);
    let TeamEvent::HelpRequested { id, .. } = t[0].1 else { panic!("{t:?}") };
    assert_eq!(t[1], (500, TeamEvent::HelpTimedOut { id, reason: HelpMiss::NoPeer }));
    assert_eq!(completed_at(&events, TaskId(0)), 1000);
}
