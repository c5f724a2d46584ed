//! Dynamic decomposition: plans that fit grow the run (and its replay) the same way; plans that
//! do not are rejected with every problem named, and add nothing.

use crate::core::event::AttemptFailure;
use crate::core::event::{GrowthEvent, LadderEvent};
use crate::core::tests::{agent, replay_at_every_step, run, scenario, task};
use crate::core::*;
use crate::scenario::*;

fn planner(id: &str, deps: &[&str], subtasks: Vec<TaskSpec>) -> TaskSpec {
    let mut t = task(id, "plan", deps);
    t.extras_mut().plan = Some(Box::new(PlanSpec { subtasks, max_subtasks: DEFAULT_MAX_SUBTASKS }));
    t
}

fn agents() -> Vec<AgentSpec> {
    vec![
        agent("p", &["plan"], 1, 50.0, 0.0),
        agent("w1", &["x"], 2, 100.0, 0.0),
        agent("w2", &["x", "y"], 1, 150.0, 0.0),
    ]
}

fn names(c: &Coordinator, ids: impl IntoIterator<Item = TaskId>) -> Vec<String> {
    ids.into_iter().map(|t| c.task_name(t).to_string()).collect()
}

/// Per task: (ready, started, ended) instants and how often it ended, from the events.
fn timeline(c: &Coordinator, events: &[Event]) -> std::collections::BTreeMap<String, (u64, u64, u32)> {
    let mut out = std::collections::BTreeMap::new();
    for e in events {
        let Some(t) = e.kind.task() else { continue };
        let entry = out.entry(c.task_name(t).to_string()).or_insert((0, 0, 0));
        match e.kind {
            EventKind::AttemptStarted { .. } => entry.0 = e.t_ms,
            EventKind::TaskCompleted { .. } | EventKind::TaskFailed { .. } | EventKind::TaskSkipped { .. } => {
                entry.1 = e.t_ms;
                entry.2 += 1;
            }
            _ => {}
        }
    }
    out
}

fn report_plan() -> Scenario {
    let subtasks = vec![task("s1", "x", &[]), task("s2", "y", &[]), task("s3", "x", &["s1", "s2", "root"])];
    scenario(agents(), vec![task("root", "x", &[]), planner("p", &["root"], subtasks), task("join", "x", &["p"])])
}

#[test]
fn a_plan_joins_the_run_before_its_planner_completes_and_the_join_waits_for_it() {
    let (r, events) = run(report_plan());
    let c = r.coordinator();
    assert_eq!(c.state().finished, Some(Outcome::Succeeded));
    assert_eq!(c.workflow().task_count(), 6);
    let at = |name: &str| events.iter().position(|e| e.kind.name() == name).unwrap();
    let added = at("tasks_added");
    let planner_done =
        events.iter().position(|e| matches!(e.kind, EventKind::TaskCompleted { task: TaskId(1), .. })).unwrap();
    assert_eq!(added + 1, planner_done, "tasks_added right before the planner's task_completed");
    assert!(matches!(events[added - 1].kind, EventKind::AttemptSucceeded { task: TaskId(1), .. }));
    let EventKind::Growth(GrowthEvent::TasksAdded { by, tasks, edges }) = &events[added].kind else { unreachable!() };
    assert_eq!(*by, TaskId(1));
    assert_eq!(tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["s1", "s2", "s3"]);
    let edge_names: Vec<(String, String)> =
        edges.iter().map(|&(a, b)| (c.task_name(a).to_string(), c.task_name(b).to_string())).collect();
    let want = [("p", "s1"), ("p", "s2"), ("p", "s3"), ("s1", "s3"), ("s2", "s3"), ("root", "s3"), ("s3", "join")];
    assert_eq!(edge_names, want.map(|(a, b)| (a.to_string(), b.to_string())));
    // Every task ends exactly once; nothing starts before its dependencies ended.
    let tl = timeline(c, &events);
    assert!(tl.values().all(|&(_, _, n)| n == 1), "{tl:?}");
    for t in 0..c.workflow().task_count() {
        let t = TaskId(t as u32);
        for d in c.workflow().dependencies(t) {
            let (start, dep_end) = (tl[c.task_name(t)].0, tl[c.task_name(d)].1);
            assert!(
                start >= dep_end,
                "{} started at {start} before {} ended at {dep_end}",
                c.task_name(t),
                c.task_name(d)
            );
        }
    }
    assert!(tl["join"].0 >= tl["s3"].1, "the join waits for the plan's last subtask");
    assert_eq!(names(c, c.state().plans.added_of(TaskId(1))), ["s1", "s2", "s3"]);
    assert_eq!(c.state().plans.added_by(TaskId(4)), Some(TaskId(1)));
}

#[test]
fn a_grown_run_folds_back_from_its_events_at_every_step() {
    let mut s = report_plan();
    s.heartbeat_ms = 100;
    for a in &mut s.agents {
        a.profile.failure_rate = 0.3;
        a.profile.duration_ms.jitter = 0.5;
    }
    // A nested planner whose subtasks need classes no task had: one on a pool of its own (round
    // robin over w1 and w2), one on an existing pool (x with a specialization only w2 has); and a
    // fault mid-plan.
    let mut n2 = task("n2", "x", &["n1"]);
    n2.allocation = Some(Strategy::RoundRobin);
    let mut n3 = task("n3", "x", &[]);
    n3.specializations = vec!["gpu".into()];
    s.agents[2].specializations = vec!["gpu".into()];
    let nested = planner("p2", &[], vec![task("n1", "y", &[]), n2, n3]);
    s.tasks[1].extras_mut().plan.as_mut().unwrap().subtasks.push(nested);
    s.tasks.push(task("tail", "y", &["join"]));
    s.faults = vec![
        FaultSpec { at_ms: 120, action: FaultAction::Crash("w2".into()) },
        FaultSpec { at_ms: 400, action: FaultAction::Revive("w2".into()) },
    ];
    let (classes, pools) = {
        let wf = crate::core::workflow::Workflow::new(&s);
        (wf.classes.len(), wf.pools.len())
    };
    let (r, events) = replay_at_every_step(s.clone());
    let c = r.coordinator();
    assert!(c.is_finished());
    assert_eq!(c.workflow().task_count(), 11, "4 + 4 from p + 3 from p2");
    assert_eq!((c.workflow().classes.len(), c.workflow().pools.len()), (classes + 2, pools + 1));
    let rr = c.workflow().task_class[9];
    assert_eq!(c.workflow().classes[rr.0 as usize].strategy, Strategy::RoundRobin);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::TaskCompleted { task: TaskId(10), .. })));
    assert_eq!(events.iter().filter(|e| e.kind.name() == "tasks_added").count(), 2);
    // The grown scenario copy folds back too: the run started without the added tasks.
    let rebuilt = Coordinator::from_events(c.scenario().clone(), &events);
    assert_eq!(rebuilt.state().digest(), c.state().digest());
    assert_eq!(rebuilt.scenario().tasks, c.scenario().tasks);
}

/// Runs a scenario whose planner `p` (task 1) has `subtasks`; returns the rejection's errors and
/// checks that nothing was added and the attempt failed as an invalid plan.
fn rejected(tasks: Vec<TaskSpec>, subtasks: Vec<TaskSpec>, max: u32) -> Vec<String> {
    let mut tasks = tasks;
    let mut p = planner("p", &[], subtasks);
    p.extras_mut().plan.as_mut().unwrap().max_subtasks = max;
    p.retry.max_attempts = 1;
    tasks.insert(1, p);
    let s = scenario(agents(), tasks);
    let n = s.tasks.len();
    let (r, events) = run(s);
    assert!(!events.iter().any(|e| e.kind.name() == "tasks_added"));
    assert_eq!(r.coordinator().workflow().task_count(), n, "nothing added");
    let failed = events.iter().find_map(|e| match e.kind {
        EventKind::AttemptFailed { task: TaskId(1), reason: AttemptFailure::Agent(err), .. } => Some(err.text()),
        _ => None,
    });
    assert!(failed.unwrap().starts_with("invalid plan: "), "{failed:?}");
    let errors = events.iter().find_map(|e| match &e.kind {
        EventKind::Growth(GrowthEvent::DecompositionRejected { task: TaskId(1), errors, .. }) => Some(errors.to_vec()),
        _ => None,
    });
    errors.expect("decomposition_rejected")
}

#[test]
fn each_problem_of_a_plan_is_named_and_nothing_is_added() {
    let base = || vec![task("root", "x", &[]), task("join", "x", &["p"]), task("after", "x", &["join"])];
    let cases: Vec<(Vec<TaskSpec>, u32, &str)> = vec![
        (vec![task("root", "x", &[])], 50, "`root`: a task with this id is already in the run"),
        (vec![task("a", "x", &[]), task("a", "x", &[])], 50, "`a`: the plan lists this id twice"),
        (vec![task("a", "x", &["nope"])], 50, "`a`: depends on unknown task `nope`"),
        (vec![task("a", "x", &["a"])], 50, "`a`: depends on itself"),
        (vec![task("a", "x", &["b"]), task("b", "x", &["a"])], 50, "`a`: dependency cycle: a -> b -> a"),
        (
            vec![task("a", "x", &["after"])],
            50,
            "`a`: depends on `after`, which comes after planner `p`, whose dependents will wait for this plan: a dependency cycle",
        ),
        (vec![task("a", "z", &[])], 50, "`a`: no agent has capability `z`"),
        (vec![task("a", "x", &[]), task("b", "x", &[])], 1, "the plan has 2 subtasks, more than its max_subtasks (1)"),
    ];
    for (subtasks, max, want) in cases {
        let errors = rejected(base(), subtasks, max);
        assert!(errors.iter().any(|e| e == want), "want {want:?}, got {errors:?}");
    }
    let mut special = task("a", "x", &[]);
    special.specializations = vec!["gpu".into()];
    let errors = rejected(base(), vec![special], 50);
    assert!(
        errors[0].starts_with("`a`: no agent with capability `x` has all of the specializations `gpu`"),
        "{errors:?}"
    );
    let mut saga = task("a", "x", &[]);
    saga.extras_mut().compensate = Some("root".into());
    let errors = rejected(base(), vec![saga], 50);
    assert_eq!(errors, ["`a`: `compensate` is not allowed in a plan (sagas are fixed when the run starts)"]);
    // Every problem at once, in subtask order.
    let errors = rejected(base(), vec![task("root", "z", &["nope"])], 50);
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn a_rejected_plan_is_retried_and_its_branch_fails_when_every_attempt_is_rejected() {
    let mut s = scenario(agents(), vec![planner("p", &[], vec![task("a", "z", &[])]), task("join", "x", &["p"])]);
    s.tasks[0].retry.max_attempts = 2;
    let (r, events) = run(s);
    let c = r.coordinator();
    assert_eq!(events.iter().filter(|e| e.kind.name() == "decomposition_rejected").count(), 2);
    assert_eq!(c.state().tasks[0].state, TaskState::Failed);
    assert_eq!(c.state().tasks[1].state, TaskState::Skipped);
    assert_eq!(c.state().plans.rejected.len(), 2);
}

#[test]
fn a_real_planners_output_replaces_the_scenarios_subtasks() {
    let s = scenario(agents(), vec![planner("p", &[], vec![task("fallback", "x", &[])]), task("join", "x", &["p"])]);
    let mut c = Coordinator::new(s);
    c.start(0);
    let request = std::iter::from_fn(|| c.poll_transmit()).find(|m| m.kind == MsgKind::TaskRequest).unwrap();
    let result = |error| Payload::Result { task: TaskId(0), attempt: 1, error };
    let reply = Message::from_agent(AgentId(0), MsgKind::TaskResult, Some(request.id), result(None));
    let output = r#"{"notes":"two steps","subtasks":[{"id":"a","capability":"x"},{"id":"b","capability":"y","depends_on":["a"]}]}"#;
    c.handle_result(10, reply, Output::Json(output.into()));
    assert_eq!(names(&c, c.state().plans.added_of(TaskId(0))), ["a", "b"]);
    assert_eq!(c.state().tasks[2].state, TaskState::Running, "`a` is dispatched at once");
    assert_eq!(c.state().tasks[1].remaining_deps, 1, "the join waits for `b`");

    // Output that is not valid task objects is rejected with the format's own messages.
    let s = scenario(agents(), vec![planner("p", &[], Vec::new())]);
    let mut c = Coordinator::new(s);
    c.start(0);
    let request = std::iter::from_fn(|| c.poll_transmit()).find(|m| m.kind == MsgKind::TaskRequest).unwrap();
    let reply = Message::from_agent(AgentId(0), MsgKind::TaskResult, Some(request.id), result(None));
    c.handle_result(10, reply, Output::Json(r#"{"subtasks":[{"id":"a","timeout_ms":0}]}"#.into()));
    let errors: Vec<String> = c
        .drain_events()
        .find_map(|e| match e.kind {
            EventKind::Growth(GrowthEvent::DecompositionRejected { errors, .. }) => Some(errors.to_vec()),
            _ => None,
        })
        .unwrap();
    // In the order of their place in the output: the object's start, then the field.
    assert_eq!(
        errors,
        ["subtasks[0]: missing required field \"capability\"", "subtasks[0].timeout_ms: must be ≥ 1, found 0",]
    );
}

#[test]
fn added_tasks_take_the_default_escalation_ladder() {
    let mut s = report_plan();
    s.escalation = vec![Tier::Retry { limit: Some(1) }, Tier::OtherAgent { limit: Some(1) }];
    for a in &mut s.agents {
        a.profile.failure_rate = 0.4;
    }
    let (r, _) = replay_at_every_step(s);
    let wf = r.coordinator().workflow();
    assert_eq!(wf.task_ladder.len(), 6);
    assert_eq!(wf.task_ladder[3], wf.task_ladder[0], "s1 shares the ladder root has");
}

#[test]
fn a_subtask_brings_its_own_escalation_ladder_and_its_tiers_are_checked() {
    let mut climber = task("s1", "x", &[]);
    let fallback = Tier::Fallback { target: Target::Capability("y".into()), limit: Some(2) };
    climber.extras_mut().escalation = Some(vec![Tier::Retry { limit: Some(0) }, fallback].into_boxed_slice());
    let mut s = scenario(agents(), vec![planner("p", &[], vec![climber]), task("join", "y", &["p"])]);
    s.agents[1].profile.failure_rate = 1.0; // w1 always fails: s1 must fall back to `y` (w2)
    s.agents[2].capabilities = vec!["y".into()];
    let (r, events) = replay_at_every_step(s);
    let c = r.coordinator();
    let wf = c.workflow();
    let ladder = wf.ladder_of(TaskId(2)).expect("s1 has its own ladder");
    let class = ladder.rungs[1].class.expect("the fallback tier has a class");
    assert_eq!(wf.classes[class.0 as usize].capability, "y");
    assert!(
        events.iter().any(|e| matches!(e.kind, EventKind::Ladder(LadderEvent::TierEntered { task: TaskId(2), .. })))
    );
    assert_eq!(c.state().tasks[2].state, TaskState::Completed);
    assert_eq!(c.state().finished, Some(Outcome::Succeeded));

    let mut ghost = task("a", "x", &[]);
    ghost.extras_mut().escalation =
        Some(vec![Tier::EscalateTo { agent: "ghost".into(), limit: None }].into_boxed_slice());
    let errors = rejected(vec![task("root", "x", &[])], vec![ghost], 50);
    assert_eq!(errors, ["`a`: escalation[0].agent: unknown agent `ghost`"]);
}

#[test]
fn subtasks_run_under_every_allocation_strategy_and_replay_exactly() {
    for strategy in Strategy::ALL {
        let subtasks = Strategy::ALL
            .iter()
            .map(|&own| {
                let mut t = task(&format!("s-{}", own.name()), "x", &[]);
                t.allocation = Some(own);
                t
            })
            .collect();
        let mut s = scenario(agents(), vec![planner("p", &[], subtasks), task("join", "x", &["p"])]);
        s.allocation = strategy;
        let (r, _) = replay_at_every_step(s);
        let c = r.coordinator();
        assert_eq!(c.state().finished, Some(Outcome::Succeeded), "{}", strategy.name());
        assert_eq!(c.workflow().task_count(), 2 + Strategy::ALL.len());
    }
}

#[test]
fn a_planner_sent_back_for_rework_keeps_the_plan_it_added() {
    let mut agents = agents();
    let mut reviewer = agent("rv", &["review"], 1, 40.0, 0.0);
    reviewer.profile.reject_rate = 1.0;
    agents.push(reviewer);
    let mut review = task("review-plan", "review", &["p"]);
    review.extras_mut().review =
        Some(Box::new(ReviewSpec { of: "p".into(), max_rework: 1, on_limit: OnLimit::Accept }));
    let s = scenario(agents, vec![planner("p", &[], vec![task("s1", "x", &[])]), review]);
    let (r, events) = replay_at_every_step(s);
    let c = r.coordinator();
    let count = |name: &str| events.iter().filter(|e| e.kind.name() == name).count();
    assert_eq!(count("tasks_added"), 1);
    assert_eq!(count("decomposition_rejected"), 0);
    let planner_done = events.iter().filter(|e| matches!(e.kind, EventKind::TaskCompleted { task: TaskId(0), .. }));
    assert_eq!(planner_done.count(), 2, "the planner ran again after the rejection");
    assert_eq!(c.state().finished, Some(Outcome::Succeeded));

    let mut reviewing = task("a", "x", &[]);
    reviewing.extras_mut().review =
        Some(Box::new(ReviewSpec { of: "root".into(), max_rework: 1, on_limit: OnLimit::Accept }));
    let errors = rejected(vec![task("root", "x", &[])], vec![reviewing], 50);
    assert_eq!(errors, ["`a`: `review` is not allowed in a plan (reviews are fixed when the run starts)"]);
    let mut deciding = task("d", "x", &[]);
    deciding.extras_mut().decision = Some(Box::default());
    let errors = rejected(vec![task("root", "x", &[])], vec![deciding], 50);
    assert_eq!(
        errors,
        ["`d`: `decision` is not allowed in a plan (decisions and their voters are fixed when the run starts)"]
    );
}
