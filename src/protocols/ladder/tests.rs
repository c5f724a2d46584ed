//! Escalation ladders driven through the simulation driver: tier by tier, the agents each tier
//! picks, tiers passed over, inbox SLAs and replay.

use crate::core::event::LadderEvent;
use crate::core::event::{OpAction, Resolution, TaskFailure};
use crate::core::*;
use crate::protocols::ladder::EscalationContext;
use crate::runtime::SimRun;
use crate::scenario::*;

use crate::core::tests::{agent, run, scenario, task};

fn inbox(sla_ms: Option<u64>, on_expiry: Expiry) -> Tier {
    Tier::Inbox { sla_ms, on_expiry }
}

/// Every tier, each once: retry → other_agent → fallback (capability y) → escalate_to senior → inbox.
fn full_ladder(on_expiry: Expiry) -> Vec<Tier> {
    vec![
        Tier::Retry { limit: Some(1) },
        Tier::OtherAgent { limit: None },
        Tier::Fallback { target: Target::Capability("y".into()), limit: None },
        Tier::EscalateTo { agent: "senior".into(), limit: None },
        inbox(Some(500), on_expiry),
    ]
}

/// Three failing `x` agents, a failing `y` agent and a failing senior: one task walks every tier.
fn walker(on_expiry: Expiry) -> Scenario {
    let agents = vec![
        agent("a", &["x"], 1, 100.0, 1.0),
        agent("b", &["x"], 1, 100.0, 1.0),
        agent("c", &["x"], 1, 100.0, 1.0),
        agent("alt", &["y"], 1, 100.0, 1.0),
        agent("senior", &["z"], 1, 100.0, 1.0),
    ];
    let mut s = scenario(agents, vec![task("t", "x", &[]), task("after", "x", &["t"])]);
    s.escalation = full_ladder(on_expiry);
    s
}

fn names(events: &[Event], kind: &str) -> Vec<Event> {
    events.iter().filter(|e| e.kind.name() == kind).cloned().collect()
}

/// The agent of each attempt of `task`, in order.
fn attempt_agents(events: &[Event], task: TaskId) -> Vec<u32> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::AttemptStarted { task: t, agent, .. } if t == task => Some(agent.0),
            _ => None,
        })
        .collect()
}

fn tiers_entered(events: &[Event]) -> Vec<(TierName, u32, u32, Vec<TierName>)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Ladder(LadderEvent::TierEntered { tier, level, limit, passed, .. }) => {
                Some((*tier, *level, *limit, passed.to_vec()))
            }
            _ => None,
        })
        .collect()
}

const T: TaskId = TaskId(0);

#[test]
fn a_task_walks_every_tier_to_the_inbox_and_its_sla_fails_it() {
    let (r, events) = run(walker(Expiry::Fail));
    use TierName::*;
    let entered = tiers_entered(&events);
    assert_eq!(
        entered,
        vec![
            (Retry, 0, 1, vec![]),
            (OtherAgent, 1, 1, vec![]),
            (Fallback, 2, 1, vec![]),
            (EscalateTo, 3, 1, vec![]),
            (Inbox, 4, 0, vec![]),
        ]
    );
    // Plain, retry (any x agent), other_agent (the x agent that has not failed it), fallback (the
    // y agent), escalate_to (senior, without the capability).
    let agents = attempt_agents(&events, T);
    assert_eq!(agents.len(), 5, "{agents:?}");
    assert!(agents[1] <= 2);
    assert!(agents[2] <= 2 && !agents[..2].contains(&agents[2]), "{agents:?}");
    assert_eq!(&agents[3..], [3, 4]);
    // The inbox gets the whole context.
    let escalated = names(&events, "task_escalated");
    assert_eq!(escalated.len(), 1);
    let EventKind::TaskEscalated { origin, sla_ms, context: Some(ctx), .. } = &escalated[0].kind else {
        panic!("{escalated:?}")
    };
    assert_eq!((*origin, *sla_ms), (Origin::Ladder, Some(500)));
    let EscalationContext { tiers, history, .. } = &**ctx;
    assert_eq!(tiers, &[Retry, OtherAgent, Fallback, EscalateTo]);
    assert_eq!(history.iter().map(|h| h.agent.0).collect::<Vec<_>>(), agents);
    assert!(history.iter().all(|h| matches!(h.end, state::AttemptEnd::Failed(_))));
    // 500 ms later nobody has acted: the default action fails it, and its dependent is skipped.
    let expired = names(&events, "inbox_sla_expired");
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].t_ms, escalated[0].t_ms + 500);
    assert_eq!(expired[0].kind, EventKind::Ladder(LadderEvent::InboxSlaExpired { task: T, action: Expiry::Fail }));
    let failed = names(&events, "task_failed");
    assert_eq!(failed[0].kind, EventKind::TaskFailed { task: T, reason: TaskFailure::SlaExpired });
    assert_eq!(r.coordinator().state().tasks[1].state, TaskState::Skipped);
    assert!(r.coordinator().state().inbox.is_empty());
}

#[test]
fn limits_count_attempts_per_tier_and_a_ladder_without_inbox_fails_when_spent() {
    let agents = ["a", "b", "c", "d", "e"].map(|id| agent(id, &["x"], 1, 100.0, 1.0)).to_vec();
    let mut t = task("t", "x", &[]);
    t.retry.max_attempts = 3;
    // Retry without a limit: max_attempts - 1 = 2 retries; then two agents that have not failed it.
    t.extras_mut().escalation = Some(Box::new([Tier::Retry { limit: None }, Tier::OtherAgent { limit: Some(2) }]));
    let (r, events) = run(scenario(agents, vec![t]));
    let entered: Vec<(TierName, u32)> = tiers_entered(&events).iter().map(|e| (e.0, e.2)).collect();
    assert_eq!(entered, [(TierName::Retry, 2), (TierName::OtherAgent, 2)]);
    let mut agents = attempt_agents(&events, T);
    assert_eq!(agents.len(), 5, "{agents:?}");
    agents.sort();
    agents.dedup();
    assert_eq!(agents.len(), 5, "adaptive routing steers even retries away from failed agents");
    assert_eq!(names(&events, "retry_scheduled").len(), 2, "only the retry tier backs off");
    assert!(names(&events, "task_escalated").is_empty());
    let end = r.coordinator().state().tasks[0].end_reason;
    assert_eq!(end, Some(state::TaskEnd::Failed(TaskFailure::AttemptsExhausted { attempts: 5 })));
}

#[test]
fn tiers_that_cannot_apply_are_passed_over_and_named() {
    let agents = vec![
        agent("a", &["x"], 1, 100.0, 1.0),
        agent("gone", &["x2"], 1, 100.0, 0.0),
        agent("senior", &["z"], 1, 100.0, 0.0),
    ];
    let mut s = scenario(agents, vec![task("t", "x", &[])]);
    s.faults = vec![FaultSpec { at_ms: 0, action: FaultAction::Crash("gone".into()) }];
    s.escalation = vec![
        Tier::OtherAgent { limit: None },
        Tier::Fallback { target: Target::Agent("gone".into()), limit: None },
        Tier::EscalateTo { agent: "senior".into(), limit: None },
        inbox(None, Expiry::Wait),
    ];
    let (r, events) = run(s);
    use TierName::*;
    assert_eq!(tiers_entered(&events), vec![(EscalateTo, 2, 1, vec![OtherAgent, Fallback])]);
    assert_eq!(attempt_agents(&events, T), [0, 2]);
    assert_eq!(r.coordinator().state().finished, Some(Outcome::Succeeded));
    // Healed without a human, by escalating to a senior agent.
    let rec = crate::report::Recovery::of(r.coordinator());
    assert_eq!((rec.recovered, rec.by_tier.escalate_to), (1, 1));
}

#[test]
fn a_crash_uses_an_attempt_of_the_tier_and_goes_back_without_backoff() {
    let agents = vec![agent("a", &["x"], 1, 1000.0, 0.0), agent("b", &["x"], 1, 1000.0, 0.0)];
    let mut s = scenario(agents, vec![task("t", "x", &[])]);
    s.escalation = vec![Tier::Retry { limit: Some(1) }, inbox(None, Expiry::Wait)];
    s.faults = vec![
        FaultSpec { at_ms: 100, action: FaultAction::Crash("a".into()) },
        FaultSpec { at_ms: 300, action: FaultAction::Crash("b".into()) },
    ];
    let mut r = SimRun::new(s);
    r.set_fail_on_stall(false);
    let mut events = Vec::new();
    r.advance_to(5_000, &mut events).unwrap();
    // The plain attempt dies with a; the retry tier's one attempt goes to b at once, and dies too.
    assert_eq!(attempt_agents(&events, T), [0, 1]);
    assert!(names(&events, "retry_scheduled").is_empty());
    let reassigned = names(&events, "task_reassigned");
    assert_eq!(reassigned.len(), 1);
    assert_eq!(reassigned[0].t_ms, 100);
    assert_eq!(tiers_entered(&events).iter().map(|e| e.0).collect::<Vec<_>>(), [TierName::Retry, TierName::Inbox]);
    assert_eq!(r.coordinator().state().inbox.len(), 1);
}

#[test]
fn other_agent_waits_for_a_fresh_agent_without_blocking_its_queue() {
    // a fails everything; b is busy with `long` (which only it can run) until 1000 ms.
    let agents = vec![agent("a", &["x"], 1, 100.0, 1.0), agent("b", &["x", "y"], 1, 1000.0, 0.0)];
    let mut t = task("t", "x", &[]);
    t.priority = 10;
    t.extras_mut().escalation = Some(Box::new([Tier::OtherAgent { limit: None }]));
    let mut later = task("later", "x", &[]);
    later.retry.max_attempts = 1;
    let mut long = task("long", "y", &[]);
    long.priority = 20;
    let s = scenario(agents, vec![t, long, later]);
    let (r, events) = run(s);
    let (t, long, later) = (TaskId(0), TaskId(1), TaskId(2));
    assert_eq!(attempt_agents(&events, long), [1]);
    assert_eq!(attempt_agents(&events, t), [0, 1], "the fresh agent, once free");
    // Meanwhile `later`, behind `t` in the same queue, got the free agent `t` may not use.
    let started = |task: TaskId, n: usize| {
        events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::AttemptStarted { task: x, .. } if x == task))
            .nth(n)
            .unwrap()
            .t_ms
    };
    assert_eq!(attempt_agents(&events, later), [0]);
    assert!(started(later, 0) < started(t, 1));
    assert!(started(t, 1) >= 900, "{}", started(t, 1));
    assert_eq!(r.coordinator().state().tasks[0].state, TaskState::Completed);
}

/// Runs `walker` in console mode (no failing on stall) until the task reaches the inbox.
fn console(on_expiry: Expiry) -> (SimRun, Vec<Event>) {
    let mut r = SimRun::new(walker(on_expiry));
    r.set_fail_on_stall(false);
    let mut events = Vec::new();
    while names(&events, "task_escalated").is_empty() {
        r.step(&mut events).unwrap();
    }
    (r, events)
}

fn escalated_at(events: &[Event]) -> u64 {
    names(events, "task_escalated")[0].t_ms
}

#[test]
fn sla_expiry_retry_reopens_the_task_and_starts_its_ladder_again() {
    let (mut r, mut events) = console(Expiry::Retry);
    let due = escalated_at(&events) + 500;
    r.advance_to(due, &mut events).unwrap();
    let after: Vec<&str> =
        events.iter().filter(|e| e.t_ms == due && e.kind.name() != "message_sent").map(|e| e.kind.name()).collect();
    assert_eq!(&after[..4], ["inbox_sla_expired", "task_reopened", "task_ready", "task_assigned"], "{after:?}");
    let ladder = r.coordinator().state().ladder.get(T).unwrap();
    assert_eq!((ladder.level, ladder.escalated), (None, true), "a fresh ladder; the escalation is remembered");
    assert!(!r.coordinator().state().tasks[0].operator_touched);
}

#[test]
fn sla_expiry_skip_skips_the_task_and_its_dependents() {
    let (r, events) = run(walker(Expiry::Skip));
    let expired = names(&events, "inbox_sla_expired");
    assert_eq!(expired[0].kind, EventKind::Ladder(LadderEvent::InboxSlaExpired { task: T, action: Expiry::Skip }));
    let s = r.coordinator().state();
    assert_eq!((s.tasks[0].state, s.tasks[1].state), (TaskState::Skipped, TaskState::Skipped));
}

#[test]
fn sla_expiry_wait_is_recorded_and_the_item_stays() {
    let (mut r, mut events) = console(Expiry::Wait);
    let due = escalated_at(&events) + 500;
    assert_eq!(r.coordinator().sla_running(T), Some(due));
    r.advance_to(due + 10_000, &mut events).unwrap();
    let expired = names(&events, "inbox_sla_expired");
    assert_eq!(expired.len(), 1, "once");
    assert_eq!(expired[0].kind, EventKind::Ladder(LadderEvent::InboxSlaExpired { task: T, action: Expiry::Wait }));
    assert_eq!(events.last().unwrap().kind.name(), "inbox_sla_expired", "nothing else happens");
    let s = r.coordinator().state();
    assert_eq!(s.inbox.iter().map(|i| i.0).collect::<Vec<_>>(), [T]);
    assert_eq!(r.coordinator().sla_running(T), None);
    assert_eq!(s.ladder.get(T).unwrap().sla.unwrap().expired, Some(Expiry::Wait));
}

#[test]
fn resolving_before_the_sla_cancels_the_countdown() {
    let (mut r, mut events) = console(Expiry::Fail);
    let due = escalated_at(&events) + 500;
    r.operator(OpAction::Resolve(T, Resolution::Done), "ops", None, &mut events).unwrap().unwrap();
    assert_eq!(r.coordinator().sla_running(T), None);
    r.advance_to(due + 1_000, &mut events).unwrap();
    // (`after` may have walked its own ladder by then.)
    assert!(!names(&events, "inbox_sla_expired").iter().any(|e| e.kind.task() == Some(T)));
    assert_eq!(r.coordinator().state().tasks[0].state, TaskState::Completed);
}

#[test]
fn an_operator_escalation_gets_the_default_ladders_sla() {
    let agents = vec![agent("a", &["x"], 1, 100.0, 0.0)];
    let mut s = scenario(agents, vec![task("t", "x", &[]), task("u", "x", &[])]);
    s.escalation = vec![inbox(Some(300), Expiry::Skip)];
    let mut r = SimRun::new(s);
    r.set_fail_on_stall(false);
    let mut events = Vec::new();
    r.advance_to(0, &mut events).unwrap();
    let u = TaskId(1);
    r.operator(OpAction::Escalate(u), "ops", None, &mut events).unwrap().unwrap();
    let esc = names(&events, "task_escalated");
    let EventKind::TaskEscalated { task, origin: Origin::Operator, sla_ms: Some(300), context: Some(ctx) } =
        &esc[0].kind
    else {
        panic!("{:?}", esc[0].kind)
    };
    assert_eq!((*task, ctx.history.len(), ctx.tiers.len()), (u, 0, 0), "nothing tried yet, and it says so");
    r.advance_to(1_000, &mut events).unwrap();
    assert_eq!(names(&events, "inbox_sla_expired")[0].t_ms, 300);
    assert_eq!(r.coordinator().state().tasks[1].state, TaskState::Skipped);
}

#[test]
fn folding_the_events_rebuilds_a_laddered_run_at_every_step() {
    for on_expiry in Expiry::ALL {
        let mut s = walker(on_expiry);
        s.agents.push(agent("d", &["x"], 2, 150.0, 0.5));
        s.tasks.push(task("side", "x", &[]));
        s.tasks.push(task("side2", "x", &[]));
        s.faults = vec![
            FaultSpec { at_ms: 250, action: FaultAction::Crash("d".into()) },
            FaultSpec { at_ms: 700, action: FaultAction::Revive("d".into()) },
        ];
        let mut r = SimRun::new(s.clone());
        let mut events: Vec<Event> = Vec::new();
        // `retry` on expiry walks the ladder again and again: a few rounds are enough.
        while !r.is_done() && events.len() < 1_500 {
            r.step(&mut events).unwrap();
            let rebuilt = Coordinator::from_events(s.clone(), &events);
            assert_eq!(rebuilt.state().digest(), r.coordinator().state().digest(), "after {} events", events.len());
        }
        assert!(names(&events, "tier_entered").len() >= 5);
        assert!(!names(&events, "inbox_sla_expired").is_empty(), "{on_expiry:?}");
    }
}

#[test]
fn a_late_result_does_not_take_an_escalated_task_out_of_the_inbox() {
    let mut s = scenario(vec![agent("a", &["x"], 1, 100.0, 0.0)], vec![task("t", "x", &[])]);
    s.tasks[0].timeout_ms = 50;
    s.escalation = vec![inbox(None, Expiry::Wait)];
    let mut c = Coordinator::new(s);
    c.start(0);
    c.handle_timeout(50);
    assert_eq!(c.state().tasks[0].state, TaskState::Escalated);
    assert_eq!(c.state().inbox.iter().map(|(t, _)| *t).collect::<Vec<_>>(), vec![T]);
    // The timed-out attempt's result arrives after all: discarded, and the item stays.
    let late = Payload::Result { task: T, attempt: 1, error: None };
    c.handle_message(80, Message::from_agent(AgentId(0), MsgKind::TaskResult, None, late));
    let events: Vec<Event> = c.drain_events().collect();
    assert!(events.iter().any(|e| e.kind.name() == "late_result_discarded"));
    assert_eq!(c.state().inbox.iter().map(|(t, _)| *t).collect::<Vec<_>>(), vec![T], "still waits for the operator");
}

#[test]
fn a_non_retryable_error_goes_straight_to_the_ladders_inbox() {
    let mut s = scenario(vec![agent("a", &["x"], 1, 100.0, 0.0)], vec![task("t", "x", &[])]);
    s.escalation = vec![Tier::Retry { limit: Some(3) }, inbox(Some(1_000), Expiry::Wait)];
    let mut c = Coordinator::new(s);
    c.start(0);
    let fatal = bus::AgentError::Reported { message: crate::core::output::intern("bad input"), retryable: false };
    let reply = Payload::Result { task: T, attempt: 1, error: Some(fatal) };
    c.handle_message(40, Message::from_agent(AgentId(0), MsgKind::TaskResult, None, reply));
    let events: Vec<Event> = c.drain_events().collect();
    assert_eq!(c.state().tasks[0].state, TaskState::Escalated, "not failed: the ladder ends in the inbox");
    assert_eq!(c.state().tasks[0].attempts, 1, "and not retried: the agent said it is pointless");
    let esc = names(&events, "task_escalated");
    let EventKind::TaskEscalated { origin: Origin::Ladder, sla_ms: Some(1_000), context: Some(ctx), .. } = &esc[0].kind
    else {
        panic!("{:?}", esc[0].kind)
    };
    assert_eq!(ctx.history.len(), 1);
}

#[test]
fn an_sla_retries_a_task_once_then_leaves_it_to_a_person() {
    // `t` fails on every tier; its SLA says retry. The second time it reaches the inbox, the expiry
    // waits instead of looping through the ladder forever.
    let mut s = walker(Expiry::Retry);
    s.faults.clear();
    let mut r = SimRun::new(s);
    r.set_fail_on_stall(false);
    let mut events = Vec::new();
    r.advance_to(60_000, &mut events).unwrap();
    let actions: Vec<Expiry> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Ladder(LadderEvent::InboxSlaExpired { action, .. }) => Some(action),
            _ => None,
        })
        .collect();
    assert_eq!(actions, vec![Expiry::Retry, Expiry::Wait]);
    assert_eq!(r.coordinator().state().tasks[0].state, TaskState::Escalated, "waits for the operator");
}
