//! Saga unit tests: verdicts, compensation order, escalation of failing compensations, dormant
//! compensators and replay, driven through the simulation driver.

use crate::core::event::SagaEvent;
use crate::core::event::{OpAction, Refusal, Resolution, TaskFailure};
use crate::core::tests::{agent, run, scenario, task};
use crate::core::*;
use crate::protocols::saga::{Phase, SagaId};
use crate::runtime::SimRun;
use crate::scenario::*;

/// Steps `s0..sN` on agents `step-i` (one per step, so each step's duration is its agent's mean),
/// each compensated by `undo-i` on agent `undo` (which fails with `undo_failure_rate`).
fn saga_scenario(step_means: &[f64], step_failure: &[f64], undo_failure_rate: f64) -> Scenario {
    let mut agents: Vec<AgentSpec> = step_means
        .iter()
        .zip(step_failure)
        .enumerate()
        .map(|(i, (&mean, &fail))| agent(&format!("step-{i}"), &[&format!("s{i}")], 1, mean, fail))
        .collect();
    agents.push(agent("undo", &["undo"], 1, 50.0, undo_failure_rate));
    let mut tasks = Vec::new();
    for i in 0..step_means.len() {
        let mut t = task(&format!("s{i}"), &format!("s{i}"), &[]);
        t.retry.max_attempts = 1;
        t.extras_mut().compensate = Some(format!("undo-{i}").into());
        tasks.push(t);
    }
    for i in 0..step_means.len() {
        let mut t = task(&format!("undo-{i}"), "undo", &[]);
        t.retry = RetryPolicy { max_attempts: 2, backoff_ms: 10, jitter: 0.0, ..RetryPolicy::default() };
        tasks.push(t);
    }
    let mut s = scenario(agents, tasks);
    s.sagas = vec![SagaSpec { id: "trip".into(), tasks: (0..step_means.len()).map(|i| format!("s{i}")).collect() }];
    s
}

fn names<'a>(events: &'a [Event], kind: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
    events.iter().filter(move |e| e.kind.name() == kind)
}

fn started(events: &[Event]) -> Vec<(u32, u32)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Saga(SagaEvent::CompensationStarted { task, step, .. }) => Some((step.0, task.0)),
            _ => None,
        })
        .collect()
}

const SAGA: SagaId = SagaId(0);

#[test]
fn a_saga_whose_steps_all_complete_needs_no_compensation() {
    let (r, events) = run(saga_scenario(&[100.0, 200.0, 300.0], &[0.0; 3], 0.0));
    assert_eq!(names(&events, "saga_completed").count(), 1);
    assert!(started(&events).is_empty());
    let st = r.coordinator().state();
    assert!((3..6).all(|i| st.tasks[i].state == TaskState::Dormant), "compensators stay dormant");
    assert_eq!(st.sagas.rt[0].phase, Phase::Completed);
    assert_eq!(st.finished, Some(Outcome::Succeeded));
    // The run ends when the last step does, not waiting for the dormant compensators.
    assert_eq!(st.makespan_ms, 300);
}

#[test]
fn compensations_run_one_at_a_time_in_reverse_order_of_completion() {
    // s1 completes first (100), s2 next (200), s0 fails at 300: undo s2, then s1; never s0.
    let (r, events) = run(saga_scenario(&[300.0, 100.0, 200.0], &[1.0, 0.0, 0.0], 0.0));
    assert_eq!(started(&events), vec![(2, 5), (1, 4)]);
    let failed = names(&events, "saga_failed").next().unwrap();
    assert_eq!(failed.kind, EventKind::Saga(SagaEvent::SagaFailed { saga: SAGA, cause: TaskId(0) }));
    // The second compensation starts only once the first has completed.
    let done_5 = events.iter().position(|e| e.kind.name() == "task_completed" && e.kind.task() == Some(TaskId(5)));
    let start_4 = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Saga(SagaEvent::CompensationStarted { task: TaskId(4), .. })));
    assert!(done_5.unwrap() < start_4.unwrap());
    let closing = names(&events, "saga_compensated").next().unwrap();
    assert_eq!(closing.kind, EventKind::Saga(SagaEvent::SagaCompensated { saga: SAGA, compensated: 2, failed: 0 }));
    let st = r.coordinator().state();
    assert_eq!(st.tasks[3].state, TaskState::Dormant, "s0 never completed: nothing to undo");
    assert_eq!(st.finished, Some(Outcome::Failed));
    assert_eq!(events.last().unwrap().kind.name(), "run_finished");
}

#[test]
fn a_failure_before_any_step_completes_leaves_nothing_to_compensate() {
    // s1 depends on s0, which fails: s1 is skipped, and no step ever completed.
    let mut s = saga_scenario(&[100.0, 100.0], &[1.0, 0.0], 0.0);
    s.tasks[1].depends_on = vec!["s0".into()];
    let (_, events) = run(s);
    assert!(started(&events).is_empty());
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).filter(|k| k.starts_with("saga_")).collect();
    assert_eq!(kinds, ["saga_failed", "saga_compensated"]);
    let closing = names(&events, "saga_compensated").next().unwrap();
    assert_eq!(closing.kind, EventKind::Saga(SagaEvent::SagaCompensated { saga: SAGA, compensated: 0, failed: 0 }));
}

#[test]
fn an_exhausted_compensation_goes_to_the_inbox_and_the_next_waits_for_the_operator() {
    let mut run = SimRun::new(saga_scenario(&[100.0, 200.0, 300.0], &[0.0, 0.0, 1.0], 1.0));
    run.set_fail_on_stall(false);
    let mut events = Vec::new();
    run.advance_to(10_000, &mut events).unwrap();
    // undo-1 (for s1, the last step to complete) failed twice: it is escalated, not failed.
    let undo1 = TaskId(4);
    assert_eq!(run.coordinator().state().tasks[undo1.ix()].state, TaskState::Escalated);
    assert_eq!(run.coordinator().state().inbox.iter().map(|i| i.0).collect::<Vec<_>>(), vec![undo1]);
    assert!(!events.iter().any(|e| e.kind.name() == "task_failed" && e.kind.task() == Some(undo1)));
    assert_eq!(started(&events), vec![(1, 4)], "undo-0 waits for undo-1");
    assert!(run.is_waiting_for_operator());
    // Dormant compensators cannot be touched by hand.
    let refused = run.operator(OpAction::Cancel(TaskId(3)), "ops", None, &mut events).unwrap();
    assert_eq!(refused, Err(Refusal::TaskDormant(TaskId(3))));
    // The operator undoes the booking by hand: the next compensation starts.
    run.operator(OpAction::Resolve(undo1, Resolution::Done), "ops", None, &mut events).unwrap().unwrap();
    assert_eq!(started(&events), vec![(1, 4), (0, 3)]);
    // undo-0 fails too; resolving it as failed closes the saga with one failure.
    run.advance_to(20_000, &mut events).unwrap();
    run.operator(OpAction::Resolve(TaskId(3), Resolution::Fail), "ops", None, &mut events).unwrap().unwrap();
    let closing = names(&events, "saga_compensated").next().unwrap();
    assert_eq!(closing.kind, EventKind::Saga(SagaEvent::SagaCompensated { saga: SAGA, compensated: 1, failed: 1 }));
    assert_eq!(run.coordinator().state().finished, Some(Outcome::Failed));
    assert_eq!(run.coordinator().state().tasks[5].state, TaskState::Dormant);
}

#[test]
fn headless_an_unresolved_compensation_fails_and_the_rest_still_run() {
    // Headless (fail on stall): nobody can resolve the inbox, so undo-1 fails as unresolved, and
    // undo-0 still gets its turn (and fails the same way, as `undo` always fails).
    let (r, events) = run(saga_scenario(&[100.0, 200.0, 300.0], &[0.0, 0.0, 1.0], 1.0));
    assert_eq!(started(&events), vec![(1, 4), (0, 3)]);
    let st = r.coordinator().state();
    for t in [3, 4] {
        assert_eq!(st.tasks[t].end_reason, Some(state::TaskEnd::Failed(TaskFailure::Unresolved)));
    }
    let closing = names(&events, "saga_compensated").next().unwrap();
    assert_eq!(closing.kind, EventKind::Saga(SagaEvent::SagaCompensated { saga: SAGA, compensated: 0, failed: 2 }));
    assert_eq!(events.last().unwrap().kind.name(), "run_finished");
}

#[test]
fn a_rebuilt_coordinator_matches_the_live_one_after_every_saga_event() {
    let s = saga_scenario(&[150.0, 100.0, 200.0, 250.0], &[0.0, 0.0, 0.0, 1.0], 0.3);
    let (r, events) = crate::core::tests::replay_at_every_step(s);
    assert_eq!(started(&events).len(), 3);
    assert!(r.coordinator().state().sagas.digest().contains("Compensated"));
}

#[test]
fn a_scenario_without_sagas_allocates_no_saga_state() {
    let (r, _) = run(scenario(vec![agent("a", &["x"], 1, 10.0, 0.0)], vec![task("t", "x", &[])]));
    let sagas = &r.coordinator().state().sagas;
    assert!(sagas.is_empty());
    assert_eq!(sagas.role(TaskId(0)), None);
    assert_eq!(sagas.dormant, 0);
}

#[test]
fn a_compensation_whose_agent_says_retrying_is_pointless_goes_to_the_inbox_at_once() {
    use crate::core::bus::{AgentError, Message, MsgKind, Payload};
    let mut c = Coordinator::new(saga_scenario(&[100.0, 100.0], &[0.0, 0.0], 0.0));
    c.start(0);
    let fatal = AgentError::Reported { message: crate::core::output::intern("no such booking"), retryable: false };
    let reply = |c: &mut Coordinator, now: u64, t: u32, error: Option<AgentError>| {
        let (task, agent) = (TaskId(t), c.state().tasks[t as usize].agent.unwrap());
        let attempt = c.state().tasks[t as usize].attempts;
        let msg = Message::from_agent(agent, MsgKind::TaskResult, None, Payload::Result { task, attempt, error });
        c.handle_result(now, msg, crate::core::Output::Sim);
        while c.poll_transmit().is_some() {}
    };
    reply(&mut c, 100, 0, None);
    reply(&mut c, 150, 1, Some(fatal));
    assert_eq!(c.state().tasks[2].state, TaskState::Running, "undo-0 woke for the completed s0");
    reply(&mut c, 200, 2, Some(fatal));
    let events: Vec<Event> = c.drain_events().collect();
    assert_eq!(c.state().tasks[2].state, TaskState::Escalated);
    assert!(events.iter().any(|e| matches!(&e.kind,
        EventKind::TaskEscalated { task: TaskId(2), origin: Origin::Detected, sla_ms: None, context: Some(ctx) }
            if ctx.history.len() == 1)));
    assert_eq!(c.state().tasks[2].attempts, 1, "not retried: the agent said it cannot help");
    assert!(!c.is_finished());
}
