//! Reviews with rework: rejections send the reviewed task back up to `max_rework` times, then
//! `on_limit` decides; a process agent's verdict is read from its output.

use crate::core::event::TaskFailure;
use crate::core::tests::{agent, run_rebuilding as run, scenario, task};
use crate::core::{Coordinator, Event, EventKind, Origin, Output, SkipReason, TaskId};
use crate::protocols::teams::TeamEvent;
use crate::runtime::SimRun;
use crate::scenario::{OnLimit, ReviewSpec, Scenario};

use super::Verdict;

const DRAFT: TaskId = TaskId(1);
const REVIEW: TaskId = TaskId(2);

/// plan → draft → review (of draft) → ship; the reviewer rejects with `reject_rate`.
fn pipeline(reject_rate: f64, max_rework: u32, on_limit: OnLimit) -> Scenario {
    let mut critic = agent("critic", &["review"], 1, 50.0, 0.0);
    critic.profile.reject_rate = reject_rate;
    let mut review = task("review", "review", &["draft"]);
    review.extras_mut().review = Some(Box::new(ReviewSpec { of: "draft".into(), max_rework, on_limit }));
    scenario(
        vec![agent("writer", &["write"], 1, 100.0, 0.0), critic],
        vec![task("plan", "write", &[]), task("draft", "write", &["plan"]), review, task("ship", "write", &["review"])],
    )
}

fn team(events: &[Event]) -> Vec<TeamEvent> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Team(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn attempts_of(events: &[Event], t: TaskId) -> usize {
    events.iter().filter(|e| matches!(e.kind, EventKind::AttemptStarted { task, .. } if task == t)).count()
}

fn rework(round: u32) -> TeamEvent {
    let notes = Some(format!("round {round}: draft needs changes (simulated review)").into());
    TeamEvent::ReworkRequested { task: DRAFT, reviewer_task: REVIEW, round, notes }
}

#[test]
fn an_accepting_review_completes_after_one_round() {
    let events = run(pipeline(0.0, 2, OnLimit::Accept));
    assert_eq!(team(&events), vec![TeamEvent::ReviewAccepted { task: DRAFT, reviewer_task: REVIEW, rounds: 1 }]);
    assert_eq!((attempts_of(&events, DRAFT), attempts_of(&events, REVIEW)), (1, 1));
}

#[test]
fn rejections_send_the_work_back_up_to_the_limit_then_accept() {
    let events = run(pipeline(1.0, 2, OnLimit::Accept));
    assert_eq!(
        team(&events),
        vec![rework(1), rework(2), TeamEvent::ReworkLimitReached { task: DRAFT, action: OnLimit::Accept }]
    );
    // Draft and review each ran three times, alternating; then ship ran once and the run succeeded.
    assert_eq!((attempts_of(&events, DRAFT), attempts_of(&events, REVIEW)), (3, 3));
    let order: Vec<TaskId> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::AttemptStarted { task, .. } => Some(task),
            _ => None,
        })
        .collect();
    assert_eq!(order, [0, 1, 2, 1, 2, 1, 2, 3].map(TaskId));
    // Each rework makes the draft ready again right after the rejection.
    let i = events.iter().position(|e| matches!(e.kind, EventKind::Team(TeamEvent::ReworkRequested { .. }))).unwrap();
    assert_eq!(events[i + 1].kind, EventKind::TaskReady { task: DRAFT });
    assert!(matches!(events.last().unwrap().kind, EventKind::RunFinished { completed: 4, .. }));
}

#[test]
fn past_the_limit_escalate_sends_the_reviewer_to_the_inbox() {
    let events = run(pipeline(1.0, 1, OnLimit::Escalate));
    assert_eq!(
        team(&events),
        vec![rework(1), TeamEvent::ReworkLimitReached { task: DRAFT, action: OnLimit::Escalate }]
    );
    assert!(
        events.iter().any(|e| matches!(e.kind, EventKind::TaskEscalated { task: REVIEW, origin: Origin::Review, .. }))
    );
    // Headless, nobody resolves it: it fails unresolved and ship is skipped.
    assert!(events.iter().any(|e| e.kind == EventKind::TaskFailed { task: REVIEW, reason: TaskFailure::Unresolved }));
    assert!(events.iter().any(
        |e| e.kind == EventKind::TaskSkipped { task: TaskId(3), cause: REVIEW, reason: SkipReason::UpstreamFailed }
    ));
}

#[test]
fn past_the_limit_fail_fails_the_reviewer_and_skips_what_follows() {
    let events = run(pipeline(1.0, 0, OnLimit::Fail));
    assert_eq!(team(&events), vec![TeamEvent::ReworkLimitReached { task: DRAFT, action: OnLimit::Fail }]);
    assert!(events.iter().any(|e| e.kind == EventKind::TaskFailed { task: REVIEW, reason: TaskFailure::ReworkLimit }));
    assert!(events.iter().any(
        |e| e.kind == EventKind::TaskSkipped { task: TaskId(3), cause: REVIEW, reason: SkipReason::UpstreamFailed }
    ));
    assert_eq!(attempts_of(&events, DRAFT), 1);
}

#[test]
fn a_seeded_reviewer_rejects_some_rounds_the_same_way_every_run() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..20 {
        let mut s = pipeline(0.5, 3, OnLimit::Accept);
        s.seed = seed;
        let a = team(&run(s.clone()));
        assert_eq!(a, team(&run(s)), "seed {seed}");
        seen.insert(a.iter().filter(|e| matches!(e, TeamEvent::ReworkRequested { .. })).count());
    }
    assert!(seen.len() >= 3, "rejections vary with the seed: {seen:?}");
}

#[test]
fn a_real_reviewers_output_is_its_verdict_and_the_notes_become_the_reworks_input() {
    let c = Coordinator::new(pipeline(0.0, 2, OnLimit::Accept));
    let reject = Output::Json(r#"{"verdict":"reject","notes":"cite sources"}"#.into());
    assert_eq!(
        c.verdict_of(REVIEW, crate::core::AgentId(1), &reject),
        Some(Verdict::Reject(Some("cite sources".into())))
    );
    let ok = Output::Json(r#"{"verdict":"accept"}"#.into());
    assert_eq!(c.verdict_of(REVIEW, crate::core::AgentId(1), &ok), Some(Verdict::Accept));
    assert_eq!(c.verdict_of(DRAFT, crate::core::AgentId(0), &reject), None, "the draft reviews nothing");
    // After a rejection the draft's inputs carry the notes under the reviewer's id.
    let mut events = Vec::new();
    let mut r = SimRun::new(pipeline(1.0, 2, OnLimit::Accept));
    while !r.coordinator().state().teams.reviews.contains_key(&REVIEW) {
        r.step(&mut events).unwrap();
    }
    let inputs = r.coordinator().inputs(DRAFT);
    assert_eq!(inputs["review"]["round"], 1);
    assert_eq!(inputs["review"]["notes"], "round 1: draft needs changes (simulated review)");
}
