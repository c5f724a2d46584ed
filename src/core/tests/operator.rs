//! Operator commands, driven through the simulation driver like the console drives them.

use crate::core::event::{OpAction, Refusal, Resolution, TaskFailure};
use crate::core::*;
use crate::runtime::SimRun;
use crate::scenario::*;

fn agent(id: &str, max: u32, mean: f64, failure_rate: f64) -> AgentSpec {
    crate::core::tests::agent(id, &["x"], max, mean, failure_rate)
}

/// Two attempts, 10 ms apart: short enough for the retry tests to run out quickly.
fn task(id: &str, deps: &[&str]) -> TaskSpec {
    let mut t = crate::core::tests::task(id, "x", deps);
    t.retry = RetryPolicy { max_attempts: 2, backoff_ms: 10, jitter: 0.0, ..RetryPolicy::default() };
    t
}

/// a → b → c on one agent (plus an idle second one), in console mode (no failing on stall).
fn console_run(agents: Vec<AgentSpec>) -> (SimRun, Vec<Event>) {
    let sc = crate::core::tests::scenario(agents, vec![task("a", &[]), task("b", &["a"]), task("c", &["b"])]);
    let mut run = SimRun::new(sc);
    run.set_fail_on_stall(false);
    let mut events = Vec::new();
    run.advance_to(0, &mut events).unwrap();
    (run, events)
}

fn op(run: &mut SimRun, events: &mut Vec<Event>, action: OpAction) -> Result<(), Refusal> {
    run.operator(action, "ops@test", Some("because"), events).unwrap()
}

fn state(run: &SimRun, t: u32) -> TaskState {
    run.coordinator().state().tasks[t as usize].state
}

const A: TaskId = TaskId(0);
const B: TaskId = TaskId(1);
const C: TaskId = TaskId(2);

#[test]
fn every_action_is_journaled_with_who_what_and_why() {
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.0)]);
    op(&mut run, &mut events, OpAction::Hold(B)).unwrap();
    let ev = events.iter().find(|e| e.kind.name() == "operator_action").unwrap();
    match &ev.kind {
        EventKind::OperatorAction { who, action, reason } => {
            assert_eq!(&**who, "ops@test");
            assert_eq!(*action, OpAction::Hold(B));
            assert_eq!(reason.as_deref(), Some("because"));
        }
        k => panic!("{k:?}"),
    }
    assert!(events.iter().any(|e| e.kind == EventKind::TaskHeld { task: B }));
}

#[test]
fn a_held_task_is_not_dispatched_until_released() {
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.0)]);
    op(&mut run, &mut events, OpAction::Hold(B)).unwrap();
    run.advance_to(1_000, &mut events).unwrap();
    assert_eq!(state(&run, 0), TaskState::Completed);
    assert_eq!(state(&run, 1), TaskState::Waiting, "deps done, but held");
    assert!(run.is_waiting_for_operator());
    assert_eq!(run.coordinator().stuck_tasks(), 1);
    op(&mut run, &mut events, OpAction::Release(B)).unwrap();
    run.advance_to(2_000, &mut events).unwrap();
    assert_eq!(run.coordinator().state().finished, Some(Outcome::Succeeded));
}

#[test]
fn actions_that_do_not_apply_are_refused_with_a_reason_and_recorded() {
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.0), agent("v", 1, 100.0, 0.0)]);
    // `a` is running on w.
    assert_eq!(op(&mut run, &mut events, OpAction::Retry(A)), Err(Refusal::TaskRunning(A, AgentId(0))));
    assert_eq!(op(&mut run, &mut events, OpAction::Release(B)), Err(Refusal::NotHeld(B)));
    assert_eq!(op(&mut run, &mut events, OpAction::Reassign(B, AgentId(1))), Err(Refusal::TaskWaiting(B)));
    assert_eq!(op(&mut run, &mut events, OpAction::Resume), Err(Refusal::NoChange));
    assert_eq!(op(&mut run, &mut events, OpAction::Speed(0.0)), Err(Refusal::BadSpeed));
    let refused = events.iter().filter(|e| matches!(e.kind, EventKind::CommandRefused { .. })).count();
    assert_eq!(refused, 5);
    assert!(!events.iter().any(|e| e.kind.name() == "operator_action"));
}

#[test]
fn reassigning_a_running_task_cancels_its_attempt_and_starts_one_on_the_chosen_agent() {
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.0), agent("v", 1, 300.0, 0.0)]);
    run.advance_to(50, &mut events).unwrap();
    let impact = run.coordinator().impact(OpAction::Reassign(A, AgentId(1)));
    assert_eq!(impact.interrupted, vec![(A, AgentId(0))]);
    op(&mut run, &mut events, OpAction::Reassign(A, AgentId(1))).unwrap();
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::AttemptFailed {
            task: A,
            agent: AgentId(0),
            reason: crate::core::event::AttemptFailure::Operator,
            ..
        }
    )));
    assert!(events.iter().any(|e| e.kind == EventKind::TaskAssigned { task: A, agent: AgentId(1), strategy: None }));
    run.advance_to(10_000, &mut events).unwrap();
    let st = run.coordinator().state();
    assert_eq!(st.tasks[0].agent, Some(AgentId(1)));
    // The cancelled attempt on w never reports back, and the reassigned one finished at 50 + 300.
    assert_eq!(st.history(A).iter().map(|r| r.end_ms).collect::<Vec<_>>(), vec![Some(50), Some(350)]);
    assert_eq!(st.finished, Some(Outcome::Succeeded));
}

#[test]
fn cancel_skips_dependents_and_the_preview_says_which() {
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.0)]);
    let impact = run.coordinator().impact(OpAction::Cancel(A));
    assert_eq!(impact.skipped, vec![B, C]);
    assert!(impact.is_destructive());
    op(&mut run, &mut events, OpAction::Cancel(A)).unwrap();
    assert_eq!(state(&run, 0), TaskState::Failed);
    assert_eq!(run.coordinator().state().tasks[0].end_reason, Some(state::TaskEnd::Failed(TaskFailure::Cancelled)));
    assert_eq!((state(&run, 1), state(&run, 2)), (TaskState::Skipped, TaskState::Skipped));
    assert_eq!(run.coordinator().state().finished, Some(Outcome::Failed));
}

#[test]
fn retrying_a_failed_task_reopens_the_run_and_brings_back_its_skipped_dependents() {
    // The agent always fails: `a` exhausts its two attempts, b and c are skipped.
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 1.0)]);
    run.advance_to(10_000, &mut events).unwrap();
    assert_eq!(run.coordinator().state().finished, Some(Outcome::Failed));
    // Retrying a skipped task retries the failure that caused it.
    assert_eq!(run.coordinator().impact(OpAction::Retry(C)).reopened, vec![A, B, C]);
    op(&mut run, &mut events, OpAction::Retry(C)).unwrap();
    assert!(events.iter().any(|e| e.kind == EventKind::RunReopened));
    assert_eq!(run.coordinator().state().finished, None);
    assert_eq!((state(&run, 1), state(&run, 2)), (TaskState::Waiting, TaskState::Waiting));
    assert_eq!(run.coordinator().attempts_left(A), 1, "a fresh budget, one attempt started already");
    assert_eq!(run.coordinator().state().tasks[0].attempts, 3);
    run.advance_to(20_000, &mut events).unwrap();
    // Still failing: the run ends failed again, with the task's attempts capped by the new budget.
    assert_eq!(run.coordinator().state().tasks[0].attempts, 4);
    assert_eq!(run.coordinator().state().finished, Some(Outcome::Failed));
}

#[test]
fn an_escalated_task_waits_in_the_inbox_until_resolved_done_with_a_note() {
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.0)]);
    op(&mut run, &mut events, OpAction::Hold(B)).unwrap();
    run.advance_to(500, &mut events).unwrap();
    assert_eq!(op(&mut run, &mut events, OpAction::Escalate(C)), Err(Refusal::TaskWaiting(C)));
    op(&mut run, &mut events, OpAction::Escalate(B)).unwrap();
    assert_eq!(run.coordinator().state().inbox, vec![(B, 500)]);
    assert_eq!(state(&run, 1), TaskState::Escalated);
    assert_eq!(op(&mut run, &mut events, OpAction::Resolve(A, Resolution::Done)), Err(Refusal::NotEscalated(A)));
    op(&mut run, &mut events, OpAction::Resolve(B, Resolution::Done)).unwrap();
    assert!(run.coordinator().state().inbox.is_empty());
    assert!(events.iter().any(|e| e.kind == EventKind::TaskCompleted { task: B, agent: None, attempts: 0 }));
    run.advance_to(1_000, &mut events).unwrap();
    assert_eq!(run.coordinator().state().finished, Some(Outcome::Succeeded));
}

#[test]
fn resolving_skip_or_fail_ends_the_task_and_its_dependents() {
    for (resolution, end) in [(Resolution::Skip, TaskState::Skipped), (Resolution::Fail, TaskState::Failed)] {
        let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.0)]);
        op(&mut run, &mut events, OpAction::Hold(B)).unwrap();
        run.advance_to(500, &mut events).unwrap();
        op(&mut run, &mut events, OpAction::Escalate(B)).unwrap();
        assert_eq!(run.coordinator().impact(OpAction::Resolve(B, resolution)).skipped, vec![C]);
        op(&mut run, &mut events, OpAction::Resolve(B, resolution)).unwrap();
        assert_eq!((state(&run, 1), state(&run, 2)), (end, TaskState::Skipped));
        assert_eq!(run.coordinator().state().finished, Some(Outcome::Failed));
    }
}

#[test]
fn a_draining_agent_finishes_its_work_and_takes_no_more_until_revived() {
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.0), agent("v", 1, 100.0, 0.0)]);
    op(&mut run, &mut events, OpAction::Drain(AgentId(0))).unwrap();
    assert_eq!(op(&mut run, &mut events, OpAction::Drain(AgentId(0))), Err(Refusal::AgentDraining(AgentId(0))));
    run.advance_to(10_000, &mut events).unwrap();
    let st = run.coordinator().state();
    assert_eq!(st.tasks[0].agent, Some(AgentId(0)), "a was already running on w");
    assert_eq!((st.tasks[1].agent, st.tasks[2].agent), (Some(AgentId(1)), Some(AgentId(1))));
    // Revive takes a draining agent back into service.
    op(&mut run, &mut events, OpAction::Revive(AgentId(0))).unwrap();
    assert!(!run.coordinator().state().agents[0].draining);
}

#[test]
fn operator_crash_and_revive_reach_the_simulated_agent() {
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.0)]);
    op(&mut run, &mut events, OpAction::Crash(AgentId(0))).unwrap();
    run.advance_to(5_000, &mut events).unwrap();
    assert!(run.is_waiting_for_operator(), "no agent: the console waits instead of failing");
    assert_eq!(state(&run, 0), TaskState::Ready);
    op(&mut run, &mut events, OpAction::Revive(AgentId(0))).unwrap();
    run.advance_to(10_000, &mut events).unwrap();
    assert_eq!(run.coordinator().state().finished, Some(Outcome::Succeeded));
    assert_eq!(run.coordinator().state().makespan_ms, 5_300);
}

#[test]
fn pause_and_speed_are_state_and_replay_rebuilds_everything() {
    let (mut run, mut events) = console_run(vec![agent("w", 1, 100.0, 0.5), agent("v", 2, 70.0, 0.5)]);
    op(&mut run, &mut events, OpAction::Pause).unwrap();
    op(&mut run, &mut events, OpAction::Speed(4.0)).unwrap();
    assert!(run.coordinator().state().paused);
    assert_eq!(run.coordinator().state().speed, 4.0);
    op(&mut run, &mut events, OpAction::Resume).unwrap();
    op(&mut run, &mut events, OpAction::Hold(C)).unwrap();
    run.advance_to(150, &mut events).unwrap();
    let _ = op(&mut run, &mut events, OpAction::Cancel(A));
    let _ = op(&mut run, &mut events, OpAction::Retry(A));
    run.advance_to(400, &mut events).unwrap();
    let _ = op(&mut run, &mut events, OpAction::Escalate(C));
    let rebuilt = Coordinator::from_events(run.coordinator().scenario().clone(), &events);
    assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
}
