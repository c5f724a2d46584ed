//! Elastic teams driven through the simulation driver: when a template's agent is created (and
//! when not), the `max` cap, retirement after idling, a retired slot created again, and replay.

use crate::core::event::ElasticEvent;
use crate::core::*;
use crate::scenario::*;

use crate::core::tests::{agent, replay_at_every_step, run, scenario, task};

/// One declared `x` agent (work takes `mean`), a template `t` of `x` agents (`max`, spawn after
/// 500 ms waiting, retire after 1 s idle) and `n` tasks ready at once.
fn team(n: usize, max: u32, mean: f64) -> Scenario {
    let mut s =
        scenario(vec![agent("lead", &["x"], 1, mean, 0.0)], (0..n).map(|i| task(&format!("t{i}"), "x", &[])).collect());
    s.templates = vec![TemplateSpec {
        id: "t".into(),
        capabilities: vec!["x".into()],
        max,
        spawn_after_ms: 500,
        retire_after_ms: 1000,
        profile: Profile { duration_ms: DurationDist { mean, jitter: 0.0 }, ..AgentSpec::default().profile },
        ..Default::default()
    }];
    expand(&mut s);
    s
}

/// What the loader does: the template's slots after the declared agents.
fn expand(s: &mut Scenario) {
    for (i, t) in s.templates.iter().enumerate() {
        for k in 1..=t.max {
            let mut a = agent(&t.slot_id(k), &["x"], t.max_concurrent, t.profile.duration_ms.mean, 0.0);
            a.template = Some(i as u32);
            s.agents.push(a);
        }
    }
}

fn created(events: &[Event]) -> Vec<(u64, AgentId, u64)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Elastic(ElasticEvent::AgentCreated { agent, waited_ms, .. }) => Some((e.t_ms, agent, waited_ms)),
            _ => None,
        })
        .collect()
}

fn retired(events: &[Event]) -> Vec<(u64, AgentId, u64)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Elastic(ElasticEvent::AgentRetired { agent, idle_ms }) => Some((e.t_ms, agent, idle_ms)),
            _ => None,
        })
        .collect()
}

#[test]
fn no_agent_is_created_before_a_task_has_waited_spawn_after() {
    // Two 400 ms tasks on the lead: the second waits 400 ms only, so nobody is created.
    let (r, events) = run(team(2, 3, 400.0));
    assert!(created(&events).is_empty());
    assert_eq!(r.coordinator().state().completed, 2);
}

#[test]
fn agents_are_created_after_the_wait_up_to_max_and_get_work_at_once() {
    let (r, events) = run(team(8, 3, 2000.0));
    let c = created(&events);
    assert_eq!(
        c.iter().map(|c| (c.0, c.1.0, c.2)).collect::<Vec<_>>(),
        vec![(500, 1, 500), (500, 2, 500), (500, 3, 500)]
    );
    // Each creation is followed by that agent's assignment at the same instant.
    for &(t, a, _) in &c {
        assert!(
            events.iter().any(|e| e.t_ms == t && matches!(e.kind, EventKind::TaskAssigned { agent, .. } if agent == a))
        );
    }
    // Never more than `max` created at once (here: never a fourth one, although tasks wait on).
    let mut present = 0i32;
    for e in &events {
        match e.kind {
            EventKind::Elastic(ElasticEvent::AgentCreated { .. }) => present += 1,
            EventKind::Elastic(ElasticEvent::AgentRetired { .. }) => present -= 1,
            _ => {}
        }
        assert!(present <= 3);
    }
    assert_eq!(r.coordinator().state().elastic.peak, 3);
    assert_eq!(r.coordinator().state().completed, 8);
}

#[test]
fn idle_agents_retire_and_a_retired_slot_is_created_again() {
    // Burst, then a long task on the lead alone, then another burst.
    let mut s = team(4, 2, 1000.0);
    s.agents[0].capabilities.push("y".into());
    let mut gate = task("gate", "y", &["t0", "t1", "t2", "t3"]);
    gate.work = 4.0;
    s.tasks.push(gate);
    for i in 0..3 {
        s.tasks.push(task(&format!("u{i}"), "x", &["gate"]));
    }
    let (r, events) = replay_at_every_step(s);
    let (c, ret) = (created(&events), retired(&events));
    assert!(ret.iter().all(|&(_, _, idle)| idle == 1000), "{ret:?}");
    // Retired while the lead worked on the gate, then created again for the second burst.
    let first_slot = AgentId(1);
    let lives: Vec<u64> = c.iter().filter(|x| x.1 == first_slot).map(|x| x.0).collect();
    assert_eq!(lives.len(), 2, "{c:?}");
    let gone = ret.iter().find(|x| x.1 == first_slot).unwrap().0;
    assert!(lives[0] < gone && gone < lives[1]);
    // Retired agents get no work, and every task completed.
    assert_eq!(r.coordinator().state().completed, 8);
    assert!(!r.coordinator().state().agents[2].alive || r.coordinator().state().elastic.is_present(AgentId(2)));
}

#[test]
fn a_task_only_a_template_can_run_gets_an_agent_and_a_slot_never_counts_as_down() {
    let mut s = team(1, 1, 100.0);
    s.agents[0].capabilities = vec!["z".into()];
    let (r, events) = run(s);
    assert_eq!(created(&events).len(), 1);
    assert_eq!(r.coordinator().state().completed, 1);
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::AgentCrashed { .. } | EventKind::AgentLost { .. })));
}

#[test]
fn reviving_a_slot_that_is_not_in_the_team_is_refused() {
    // One task the lead takes at once: nothing waits, so the template's slot stays absent.
    let mut r = crate::runtime::SimRun::new(team(1, 1, 100.0));
    r.set_fail_on_stall(false);
    let mut events: Vec<Event> = Vec::new();
    r.advance_to(0, &mut events).unwrap();
    let slot = AgentId(1);
    let refused = r.operator(OpAction::Revive(slot), "ops@test", None, &mut events).unwrap();
    assert_eq!(refused, Err(Refusal::AgentAbsent(slot)));
    assert!(!r.coordinator().state().agents[slot.ix()].alive, "the slot stays out of the team");
    // A scenario fault is refused the same way.
    let mut c = Coordinator::new(team(1, 1, 100.0));
    c.start(0);
    c.handle_command(0, Command::ReviveAgent(slot), Origin::Scenario);
    let last = c.drain_events().next_back().unwrap().kind.clone();
    assert!(matches!(last, EventKind::CommandRefused { reason: Refusal::AgentAbsent(a), .. } if a == slot), "{last:?}");
}
