//! Coordinator unit tests, driven step by step through the sim driver or by hand (no runtime, no
//! sleeps). Its scenario builders are shared with the operator and health tests.

mod health;
mod operator;
mod output;

use super::event::{AttemptFailure, TaskFailure};
use super::*;
use crate::runtime::SimRun;
use crate::scenario::*;

pub(crate) fn agent(id: &str, caps: &[&str], max: u32, mean: f64, failure_rate: f64) -> AgentSpec {
    AgentSpec {
        id: id.into(),
        capabilities: caps.iter().map(|s| s.to_string()).collect(),
        max_concurrent: max,
        cost: 1.0,
        performance: 1.0,
        profile: Profile { duration_ms: DurationDist { mean, jitter: 0.0 }, failure_rate, ..Default::default() },
        ..Default::default()
    }
}

pub(crate) fn task(id: &str, cap: &str, deps: &[&str]) -> TaskSpec {
    TaskSpec {
        id: id.into(),
        capability: cap.into(),
        depends_on: deps.iter().map(|&s| s.into()).collect(),
        priority: 0,
        timeout_ms: 10_000,
        retry: RetryPolicy { jitter: 0.0, ..RetryPolicy::default() },
        work: 1.0,
        ..Default::default()
    }
}

pub(crate) fn scenario(agents: Vec<AgentSpec>, tasks: Vec<TaskSpec>) -> Scenario {
    Scenario {
        name: "test".into(),
        seed: 1,
        allocation: Strategy::LeastLoaded,
        heartbeat_ms: 0,
        agents,
        tasks,
        resilience: Resilience::default(),
        ..Default::default()
    }
}

/// Runs `s` step by step, checking after every step that folding the events so far rebuilds the
/// live coordinator's state.
pub(crate) fn run_rebuilding(s: Scenario) -> Vec<Event> {
    let mut r = SimRun::new(s.clone());
    let mut events: Vec<Event> = Vec::new();
    while !r.is_done() {
        r.step(&mut events).unwrap();
        let rebuilt = Coordinator::from_events(s.clone(), &events);
        assert_eq!(rebuilt.state().digest(), r.coordinator().state().digest(), "after {} events", events.len());
    }
    events
}

pub(crate) fn run(s: Scenario) -> (SimRun, Vec<Event>) {
    let mut r = SimRun::new(s);
    let mut events = Vec::new();
    r.run(&mut events).unwrap();
    (r, events)
}

fn kinds<'a>(events: &'a [Event], name: &str) -> impl Iterator<Item = &'a Event> + 'a {
    let name = name.to_string();
    events.iter().filter(move |e| e.kind.name() == name)
}

fn finished(events: &[Event]) -> (Outcome, u64) {
    match &events.last().unwrap().kind {
        EventKind::RunFinished { outcome, makespan_ms, .. } => (*outcome, *makespan_ms),
        k => panic!("last event is {k:?}"),
    }
}

#[test]
fn chain_runs_in_dependency_order_on_the_virtual_clock() {
    let s = scenario(
        vec![agent("a", &["x"], 1, 100.0, 0.0)],
        vec![task("t1", "x", &[]), task("t2", "x", &["t1"]), task("t3", "x", &["t2"])],
    );
    let (_, events) = run(s);
    let completed: Vec<(u64, TaskId)> =
        kinds(&events, "task_completed").map(|e| (e.t_ms, e.kind.task().unwrap())).collect();
    assert_eq!(completed, vec![(100, TaskId(0)), (200, TaskId(1)), (300, TaskId(2))]);
    assert_eq!(finished(&events), (Outcome::Succeeded, 300));
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..events.len() as u64).collect::<Vec<_>>());
}

#[test]
fn max_concurrent_bounds_parallelism_and_priority_orders_the_queue() {
    let mut tasks: Vec<TaskSpec> = (0..5).map(|i| task(&format!("t{i}"), "x", &[])).collect();
    tasks[3].priority = 10;
    tasks[4].priority = 5;
    let s = scenario(vec![agent("a", &["x"], 2, 100.0, 0.0)], tasks);
    let (_, events) = run(s);
    let order: Vec<u32> = kinds(&events, "task_assigned").map(|e| e.kind.task().unwrap().0).collect();
    assert_eq!(order, vec![3, 4, 0, 1, 2]);
    // 5 tasks, 2 at a time, 100 ms each.
    assert_eq!(finished(&events).1, 300);
}

#[test]
fn failed_attempts_back_off_exponentially_then_fail_and_skip_dependents() {
    let mut t = task("flaky", "x", &[]);
    t.retry = RetryPolicy { max_attempts: 3, backoff_ms: 100, multiplier: 2.0, max_backoff_ms: 150, jitter: 0.0 };
    let s = scenario(
        vec![agent("a", &["x"], 1, 10.0, 1.0)],
        vec![t, task("down1", "x", &["flaky"]), task("down2", "x", &["down1"]), task("other", "x", &[])],
    );
    let (run, events) = run(s);
    let delays: Vec<u64> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::RetryScheduled { task: TaskId(0), delay_ms, .. } => Some(delay_ms),
            _ => None,
        })
        .collect();
    // 100, then 200 capped at 150; no third delay because attempt 3 is the last.
    assert_eq!(delays, vec![100, 150]);
    let st = run.coordinator().state();
    assert_eq!(st.tasks[0].state, TaskState::Failed);
    assert_eq!(st.tasks[0].attempts, 3);
    assert_eq!(st.tasks[1].state, TaskState::Skipped);
    assert_eq!(st.tasks[2].state, TaskState::Skipped);
    let skipped: Vec<_> = kinds(&events, "task_skipped").map(|e| e.kind.clone()).collect();
    assert!(skipped.contains(&EventKind::TaskSkipped {
        task: TaskId(2),
        cause: TaskId(0),
        reason: SkipReason::UpstreamFailed
    }));
    assert!(matches!(
        kinds(&events, "task_failed").next().unwrap().kind,
        EventKind::TaskFailed { reason: TaskFailure::AttemptsExhausted { attempts: 3 }, .. }
    ));
    assert_eq!(finished(&events).0, Outcome::Failed);
}

#[test]
fn backoff_jitter_is_deterministic_and_only_shortens() {
    let p = RetryPolicy { max_attempts: 5, backoff_ms: 1000, multiplier: 2.0, max_backoff_ms: 3000, jitter: 0.5 };
    for attempt in 1..5 {
        let d = backoff_ms(9, TaskId(4), attempt, &p);
        let raw = (1000.0 * 2f64.powi(attempt as i32 - 1)).min(3000.0) as u64;
        assert!(d <= raw && d >= raw / 2, "attempt {attempt}: {d} vs {raw}");
        assert_eq!(d, backoff_ms(9, TaskId(4), attempt, &p));
    }
    assert_ne!(backoff_ms(9, TaskId(4), 1, &p), backoff_ms(9, TaskId(5), 1, &p));
}

#[test]
fn an_attempt_past_its_timeout_is_cancelled_and_retried() {
    let mut t = task("slow", "x", &[]);
    t.timeout_ms = 50;
    t.retry.max_attempts = 2;
    let s = scenario(vec![agent("a", &["x"], 1, 80.0, 0.0)], vec![t]);
    let (_, events) = run(s);
    let timeouts: Vec<u64> = kinds(&events, "attempt_timed_out").map(|e| e.t_ms).collect();
    assert_eq!(timeouts.len(), 2);
    assert_eq!(timeouts[0], 50);
    let cancels = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::MessageSent { msg } if msg.kind == MsgKind::Cancel))
        .count();
    assert_eq!(cancels, 2);
    // The cancelled work never reports back, so nothing late is discarded.
    assert_eq!(kinds(&events, "late_result_discarded").count(), 0);
    assert_eq!(finished(&events).0, Outcome::Failed);
}

#[test]
fn a_crashed_agents_running_tasks_move_to_another_capable_agent() {
    let mut s = scenario(
        vec![agent("a", &["x"], 2, 1000.0, 0.0), agent("b", &["x"], 1, 1000.0, 0.0)],
        vec![task("t1", "x", &[]), task("t2", "x", &[]), task("t3", "x", &[])],
    );
    s.faults = vec![FaultSpec { at_ms: 500, action: FaultAction::Crash("a".into()) }];
    let (run, events) = run(s);
    let crashed: Vec<_> = kinds(&events, "agent_crashed").collect();
    assert_eq!(crashed.len(), 1);
    assert_eq!(crashed[0].t_ms, 500);
    let reassigned: Vec<TaskId> = kinds(&events, "task_reassigned").map(|e| e.kind.task().unwrap()).collect();
    assert_eq!(reassigned.len(), 2, "a had two tasks running");
    let lost = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::AttemptFailed { reason: AttemptFailure::AgentCrashed, .. }))
        .count();
    assert_eq!(lost, 2);
    let st = run.coordinator().state();
    assert!(st.tasks.iter().all(|t| t.state == TaskState::Completed));
    assert!(st.tasks.iter().all(|t| t.agent == Some(AgentId(1))));
    assert_eq!(finished(&events).0, Outcome::Succeeded);
}

#[test]
fn work_waits_for_a_revived_agent_and_fails_clearly_when_none_can_come_back() {
    let base =
        || scenario(vec![agent("solo", &["x"], 1, 100.0, 0.0)], vec![task("t1", "x", &[]), task("t2", "x", &["t1"])]);
    let mut s = base();
    s.faults = vec![
        FaultSpec { at_ms: 50, action: FaultAction::Crash("solo".into()) },
        FaultSpec { at_ms: 1000, action: FaultAction::Revive("solo".into()) },
    ];
    let (_, events) = run(s);
    assert_eq!(finished(&events), (Outcome::Succeeded, 1200));

    let mut s = base();
    s.faults = vec![FaultSpec { at_ms: 50, action: FaultAction::Crash("solo".into()) }];
    let (run, events) = run(s);
    let st = run.coordinator().state();
    assert_eq!(st.tasks[0].state, TaskState::Failed);
    assert_eq!(st.tasks[0].end_reason, Some(state::TaskEnd::Failed(TaskFailure::NoLiveAgent)));
    assert_eq!(st.tasks[1].state, TaskState::Skipped);
    assert_eq!(finished(&events).0, Outcome::Failed);
}

#[test]
fn crash_during_the_last_allowed_attempt_fails_the_task() {
    let mut t = task("t1", "x", &[]);
    t.retry.max_attempts = 1;
    let mut s = scenario(vec![agent("a", &["x"], 1, 100.0, 0.0), agent("b", &["x"], 1, 100.0, 0.0)], vec![t]);
    s.faults = vec![FaultSpec { at_ms: 10, action: FaultAction::Crash("a".into()) }];
    let (run, _) = run(s);
    assert_eq!(run.coordinator().state().tasks[0].state, TaskState::Failed);
}

fn strategy_picks(strategy: Strategy, agents: Vec<AgentSpec>, n: usize) -> Vec<u32> {
    let mut s = scenario(agents, (0..n).map(|i| task(&format!("t{i}"), "x", &[])).collect());
    s.allocation = strategy;
    let (_, events) = run(s);
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TaskAssigned { agent, strategy: st, .. } => {
                assert_eq!(st, Some(strategy));
                Some(agent.0)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn least_loaded_spreads_work_by_load_ratio() {
    let agents = vec![agent("big", &["x"], 4, 100.0, 0.0), agent("small", &["x"], 1, 100.0, 0.0)];
    // big 0/4, small 0/1 → big (tie, lower index); big 1/4 < small 0/1? no: 0.25 > 0 → small; …
    assert_eq!(strategy_picks(Strategy::LeastLoaded, agents, 5), vec![0, 1, 0, 0, 0]);
}

#[test]
fn best_score_weighs_performance_by_availability() {
    let mut fast = agent("fast", &["x"], 2, 100.0, 0.0);
    fast.performance = 0.9;
    let mut slow = agent("slow", &["x"], 2, 100.0, 0.0);
    slow.performance = 0.5;
    // fast 0.9 → fast (0.45 left) vs slow 0.5 → slow (0.25 left) → fast → slow.
    assert_eq!(strategy_picks(Strategy::BestScore, vec![fast, slow], 4), vec![0, 1, 0, 1]);
}

#[test]
fn round_robin_cycles_through_free_agents() {
    let agents =
        vec![agent("a", &["x"], 5, 100.0, 0.0), agent("b", &["x"], 5, 100.0, 0.0), agent("c", &["x"], 5, 100.0, 0.0)];
    assert_eq!(strategy_picks(Strategy::RoundRobin, agents, 7), vec![0, 1, 2, 0, 1, 2, 0]);
}

#[test]
fn per_task_strategy_and_specializations_restrict_the_candidates() {
    let mut general = agent("general", &["x"], 4, 100.0, 0.0);
    general.performance = 1.0;
    let mut expert = agent("expert", &["x"], 4, 100.0, 0.0);
    expert.specializations = vec!["rust".into()];
    expert.performance = 0.5;
    let mut t1 = task("needs-rust", "x", &[]);
    t1.specializations = vec!["rust".into()];
    let mut t2 = task("scored", "x", &[]);
    t2.allocation = Some(Strategy::BestScore);
    let (run, events) = run(scenario(vec![general, expert], vec![t1, t2]));
    let st = run.coordinator().state();
    assert_eq!(st.tasks[0].agent, Some(AgentId(1)));
    assert_eq!(st.tasks[1].agent, Some(AgentId(0)));
    assert!(
        events.iter().any(|e| matches!(e.kind, EventKind::TaskAssigned { strategy: Some(Strategy::BestScore), .. }))
    );
}

#[test]
fn a_late_result_is_discarded_not_applied() {
    let mut t = task("t", "x", &[]);
    t.timeout_ms = 100;
    let mut c = Coordinator::new(scenario(vec![agent("a", &["x"], 1, 0.0, 0.0)], vec![t]));
    c.start(0);
    let req = std::iter::from_fn(|| c.poll_transmit()).find(|m| m.kind == MsgKind::TaskRequest).unwrap();
    assert_eq!(c.poll_timeout(), Some(100));
    c.handle_timeout(100);
    let result = Payload::Result { task: TaskId(0), attempt: 1, error: None };
    c.handle_message(150, Message::from_agent(AgentId(0), MsgKind::TaskResult, Some(req.id), result));
    let events: Vec<Event> = c.drain_events().collect();
    assert!(
        events
            .iter()
            .any(|e| e.kind == EventKind::LateResultDiscarded { task: TaskId(0), agent: AgentId(0), attempt: 1 })
    );
    assert!(!events.iter().any(|e| e.kind.name() == "task_completed"));
    assert_eq!(c.state().tasks[0].state, TaskState::Retrying);
}

#[test]
fn replies_correlate_with_their_request_and_the_bus_counts_them() {
    let s = scenario(vec![agent("a", &["x"], 1, 10.0, 0.0)], vec![task("t1", "x", &[]), task("t2", "x", &[])]);
    let (run, events) = run(s);
    let msgs: Vec<Message> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::MessageSent { msg } => Some(msg),
            _ => None,
        })
        .collect();
    for reply in msgs.iter().filter(|m| m.kind == MsgKind::TaskResult) {
        let req = msgs.iter().find(|m| Some(m.id) == reply.correlation).expect("request exists");
        assert_eq!(req.kind, MsgKind::TaskRequest);
        assert_eq!(req.to, reply.from);
    }
    let ids: Vec<u64> = msgs.iter().map(|m| m.id).collect();
    assert_eq!(ids, (1..=msgs.len() as u64).collect::<Vec<_>>());
    let bus = &run.coordinator().state().bus;
    assert_eq!(bus.total, msgs.len() as u64);
    assert_eq!(bus.of_kind(MsgKind::TaskRequest), 2);
    assert_eq!(bus.of_kind(MsgKind::TaskResult), 2);
    assert_eq!(bus.by_agent[0], (2, 2));
}

#[test]
fn folding_the_events_rebuilds_the_coordinator_at_every_step() {
    let mut agents = vec![agent("a", &["x"], 2, 300.0, 0.3), agent("b", &["x", "y"], 1, 200.0, 0.2)];
    agents[0].profile.duration_ms.jitter = 0.5;
    let tasks = vec![
        task("t1", "x", &[]),
        task("t2", "y", &["t1"]),
        task("t3", "x", &["t1"]),
        task("t4", "x", &["t2", "t3"]),
        task("t5", "y", &[]),
    ];
    let mut s = scenario(agents, tasks);
    s.heartbeat_ms = 250;
    s.faults = vec![
        FaultSpec { at_ms: 400, action: FaultAction::Crash("b".into()) },
        FaultSpec { at_ms: 900, action: FaultAction::Revive("b".into()) },
    ];
    let (r, _) = replay_at_every_step(s);
    assert!(r.coordinator().is_finished());
}

/// Runs `s` step by step, checking after each step that folding the events so far rebuilds the
/// live coordinator's state exactly.
pub(crate) fn replay_at_every_step(s: Scenario) -> (SimRun, Vec<Event>) {
    let mut r = SimRun::new(s.clone());
    let mut events: Vec<Event> = Vec::new();
    while !r.is_done() {
        r.step(&mut events).unwrap();
        let rebuilt = Coordinator::from_events(s.clone(), &events);
        assert_eq!(rebuilt.state().digest(), r.coordinator().state().digest(), "after {} events", events.len());
    }
    (r, events)
}

#[test]
fn same_seed_same_events_other_seed_other_events() {
    let mk = |seed| {
        let mut s = scenario(
            vec![agent("a", &["x"], 2, 100.0, 0.3), agent("b", &["x"], 2, 150.0, 0.3)],
            (0..20).map(|i| task(&format!("t{i}"), "x", &[])).collect(),
        );
        s.seed = seed;
        for a in &mut s.agents {
            a.profile.duration_ms.jitter = 0.5;
        }
        run(s).1
    };
    assert_eq!(mk(5), mk(5));
    assert_ne!(mk(5), mk(6));
}

#[test]
fn a_command_on_a_finished_run_or_a_dead_agent_is_refused_with_a_reason() {
    let mut c = Coordinator::new(scenario(vec![agent("a", &["x"], 1, 0.0, 0.0)], vec![task("t", "x", &[])]));
    c.start(0);
    c.handle_command(1, Command::ReviveAgent(AgentId(0)), Origin::Operator);
    c.handle_command(2, Command::CrashAgent(AgentId(0)), Origin::Operator);
    c.handle_command(3, Command::CrashAgent(AgentId(0)), Origin::Operator);
    let refused: Vec<_> = c
        .drain_events()
        .filter_map(|e| match e.kind {
            EventKind::CommandRefused { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    use super::event::Refusal;
    assert_eq!(refused, vec![Refusal::AgentNotDown(AgentId(0)), Refusal::AgentAlreadyDown(AgentId(0))]);
}

#[test]
fn the_dag_is_the_same_from_the_loaders_resolved_ids_a_stale_cache_or_none() {
    let text = r#"{"name": "d", "agents": [{"id": "a", "capabilities": ["x"]}],
        "tasks": [{"id": "late", "capability": "x", "depends_on": ["b", "a0"]},
                  {"id": "a0", "capability": "x"}, {"id": "b", "capability": "x", "depends_on": ["a0"]}]}"#;
    let loaded = crate::scenario::parse("d.json", text).unwrap();
    assert!(loaded.dep_index.0.is_some(), "the loader hands its resolution over");
    let edges = |s: &Scenario| {
        let wf = super::workflow::Workflow::new(s);
        let mut e: Vec<(usize, usize)> = wf
            .graph
            .edge_indices()
            .map(|i| wf.graph.edge_endpoints(i).unwrap())
            .map(|(a, b)| (a.index(), b.index()))
            .collect();
        e.sort_unstable();
        (e, wf.dep_count)
    };
    let expected = (vec![(1, 0), (1, 2), (2, 0)], vec![2, 0, 1]);
    assert_eq!(edges(&loaded), expected);
    let mut none = loaded.clone();
    none.dep_index = Default::default();
    assert_eq!(edges(&none), expected);
    // Edited after loading: the cache no longer matches and must not be trusted.
    let mut edited = loaded.clone();
    edited.tasks[0].depends_on = vec!["a0".into(), "b".into()];
    edited.tasks.swap(1, 2);
    edited.tasks[0].depends_on.reverse();
    let (e, _) = edges(&edited);
    assert_eq!(e, vec![(1, 0), (2, 0), (2, 1)], "late ← b, a0 and b ← a0 with a0 now third");
}

/// Events are a run's bulk (a million-task run keeps millions of them): a protocol's new kind must
/// not make every one bigger. Box a rare, large payload instead (as `message_dead_lettered` does).
#[test]
fn an_event_stays_within_104_bytes() {
    let size = std::mem::size_of::<super::Event>();
    assert!(size <= 104, "Event is {size} bytes (was 104): box the large payload of a rare kind");
}
