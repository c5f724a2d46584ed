//! Announcements reach every up agent, or every up agent with the capability, in time order.

use crate::core::tests::{agent, run_rebuilding as run, scenario, task};
use crate::core::{AgentId, EventKind, MsgKind, Origin, Payload};
use crate::protocols::teams::TeamEvent;
use crate::scenario::{Announcement, Audience, FaultAction, FaultSpec};

#[test]
fn announcements_go_to_their_audience_in_time_order_and_skip_agents_that_are_down() {
    let mut s = scenario(
        vec![
            agent("a", &["x", "review"], 1, 1000.0, 0.0),
            agent("b", &["review"], 1, 1000.0, 0.0),
            agent("c", &["x"], 1, 1000.0, 0.0),
        ],
        vec![task("t", "x", &[])],
    );
    s.faults = vec![FaultSpec { at_ms: 100, action: FaultAction::Crash("b".into()) }];
    // Out of time order in the file: they still go out by `at_ms`.
    s.announcements = vec![
        Announcement { at_ms: 600, to: Audience::All, text: "late".into() },
        Announcement { at_ms: 300, to: Audience::Capability("review".into()), text: "early".into() },
    ];
    let events = run(s);
    let sent: Vec<(u64, Option<String>, Vec<AgentId>, String)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Team(TeamEvent::BroadcastSent { to, recipients, text, origin: Origin::Scenario }) => {
                Some((e.t_ms, to.as_deref().map(String::from), recipients.to_vec(), text.to_string()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        vec![
            (300, Some("review".into()), vec![AgentId(0)], "early".into()),
            (600, None, vec![AgentId(0), AgentId(2)], "late".into()),
        ]
    );
    let messages: Vec<(AgentId, &str)> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::MessageSent { msg } if msg.kind == MsgKind::Broadcast => match (msg.to, msg.payload) {
                (crate::core::Endpoint::Agent(a), Payload::Broadcast { text }) => Some((a, text)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(messages, vec![(AgentId(0), "early"), (AgentId(0), "late"), (AgentId(2), "late")]);
}
