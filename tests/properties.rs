//! Property test: random DAGs, agents and fault schedules; every run's journal must satisfy the
//! workflow invariants. Checked from the journal text alone, the way an auditor would.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use serde_json::Value;

use switchyard::journal::JournalWriter;
use switchyard::rng::SplitMix;
use switchyard::runtime::SimRun;
use switchyard::scenario::{
    AgentSpec, DurationDist, FaultAction, FaultSpec, Profile, RetryPolicy, Scenario, Strategy as Alloc, TaskSpec,
};

fn random_scenario(seed: u64, n_tasks: usize, n_agents: usize, n_faults: usize) -> Scenario {
    let mut r = SplitMix::new(seed);
    let caps = ["a", "b", "c"];
    let specs = ["s1", "s2"];
    let agents: Vec<AgentSpec> = (0..n_agents)
        .map(|i| {
            let mut capabilities: Vec<String> =
                caps.iter().filter(|_| r.below(2) == 0).map(|s| s.to_string()).collect();
            if capabilities.is_empty() {
                capabilities.push(caps[r.below(3) as usize].to_string());
            }
            AgentSpec {
                id: format!("agent-{i}"),
                capabilities,
                specializations: specs.iter().filter(|_| r.below(2) == 0).map(|s| s.to_string()).collect(),
                max_concurrent: 1 + r.below(3) as u32,
                cost: 1.0,
                performance: 0.3 + 0.7 * r.unit(),
                profile: Profile {
                    duration_ms: DurationDist { mean: (r.below(400)) as f64, jitter: r.unit() },
                    failure_rate: 0.4 * r.unit(),
                    ..Default::default()
                },
                ..Default::default()
            }
        })
        .collect();
    let tasks: Vec<TaskSpec> = (0..n_tasks)
        .map(|i| {
            // Pick a capability some agent has, and only specializations such an agent has.
            let who = &agents[r.below(n_agents as u64) as usize];
            let capability = who.capabilities[r.below(who.capabilities.len() as u64) as usize].as_str().into();
            let specializations =
                who.specializations.iter().filter(|_| r.below(3) == 0).map(|s| s.as_str().into()).collect();
            let mut depends_on: Vec<switchyard::scenario::CompactString> =
                (0..i).filter(|_| r.below(5) == 0).map(|d| format!("t{d}").into()).collect();
            depends_on.truncate(4);
            TaskSpec {
                id: format!("t{i}").into(),
                capability,
                specializations,
                depends_on,
                priority: r.below(3) as i64,
                timeout_ms: 100 + r.below(600),
                retry: RetryPolicy {
                    max_attempts: 1 + r.below(4) as u32,
                    backoff_ms: r.below(200),
                    multiplier: 1.0 + r.unit() * 2.0,
                    max_backoff_ms: 1000,
                    jitter: r.unit(),
                },
                allocation: [None, Some(Alloc::BestScore), Some(Alloc::RoundRobin)][r.below(3) as usize],
                work: 0.5 + r.unit(),
                ..Default::default()
            }
        })
        .collect();
    let faults = (0..n_faults)
        .map(|_| {
            let agent = format!("agent-{}", r.below(n_agents as u64));
            let at_ms = r.below(3000);
            let other = match r.below(n_agents as u64 + 1) as usize {
                i if i < n_agents && format!("agent-{i}") != agent => format!("agent-{i}"),
                _ => "coordinator".to_string(),
            };
            let until_ms = [None, Some(at_ms + 1 + r.below(2000))][r.below(2) as usize];
            let action = match r.below(11) {
                0 => FaultAction::Revive(agent),
                1 => FaultAction::Hang(agent),
                2 => FaultAction::Slow { agent, factor: 0.5 + 3.0 * r.unit() },
                3 => FaultAction::Flaky { agent, failure_rate: r.unit() },
                4 => FaultAction::Drop { link: [agent, other], until_ms },
                5 => FaultAction::Delay { link: [agent, other], delay_ms: r.below(500), until_ms },
                6 => FaultAction::Partition { groups: vec![vec!["coordinator".into()], vec![agent]], until_ms },
                7 => FaultAction::Heal,
                _ => FaultAction::Crash(agent),
            };
            FaultSpec { at_ms, action }
        })
        .collect();
    Scenario {
        name: format!("random-{seed}"),
        seed,
        allocation: [Alloc::LeastLoaded, Alloc::BestScore, Alloc::RoundRobin][r.below(3) as usize],
        heartbeat_ms: [0, 250, 100][r.below(3) as usize],
        agents,
        tasks,
        faults,
        ..Default::default()
    }
}

fn journal_of(scenario: &Scenario) -> Vec<Value> {
    let mut run = SimRun::new(scenario.clone());
    let mut w = JournalWriter::new(Vec::new());
    run.run(&mut w).unwrap();
    let bytes = w.into_inner().unwrap();
    String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

fn check_invariants(sc: &Scenario, journal: &[Value]) -> Result<(), String> {
    let task_spec: HashMap<&str, &TaskSpec> = sc.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    let max_conc: HashMap<&str, u32> = sc.agents.iter().map(|a| (a.id.as_str(), a.max_concurrent)).collect();
    let mut completed: HashSet<String> = HashSet::new();
    let mut ended: HashMap<String, String> = HashMap::new();
    let mut running: HashMap<String, u32> = HashMap::new();
    let mut attempts: HashMap<String, u32> = HashMap::new();
    let mut down: HashSet<String> = HashSet::new();
    let mut last_t = 0;
    for (i, ev) in journal.iter().enumerate() {
        if ev["seq"].as_u64() != Some(i as u64) {
            return Err(format!("seq gap at line {i}"));
        }
        let t = ev["t_ms"].as_u64().unwrap();
        if t < last_t {
            return Err(format!("time went backwards at seq {i}"));
        }
        last_t = t;
        match s(ev, "kind") {
            "attempt_started" => {
                let task = s(ev, "task");
                let agent = s(ev, "agent").to_string();
                let spec = task_spec[task];
                for d in &spec.depends_on {
                    if !completed.contains(d.as_str()) {
                        return Err(format!("{task} started before dependency {d} completed"));
                    }
                }
                if down.contains(&agent) {
                    return Err(format!("{task} started on crashed agent {agent}"));
                }
                let n = attempts.entry(task.to_string()).or_default();
                *n += 1;
                if *n > spec.retry.max_attempts || ev["attempt"].as_u64() != Some(*n as u64) {
                    return Err(format!("{task}: attempt {} of max {}", ev["attempt"], spec.retry.max_attempts));
                }
                let r = running.entry(agent.clone()).or_default();
                *r += 1;
                if *r > max_conc[agent.as_str()] {
                    return Err(format!("{agent} runs {r} > max_concurrent {}", max_conc[agent.as_str()]));
                }
            }
            "attempt_succeeded" | "attempt_failed" | "attempt_timed_out" => {
                let r = running.get_mut(s(ev, "agent")).ok_or("attempt ended on an idle agent")?;
                *r = r.checked_sub(1).ok_or("negative load")?;
            }
            "agent_crashed" | "agent_lost" => {
                down.insert(s(ev, "agent").to_string());
            }
            "agent_revived" => {
                down.remove(s(ev, "agent"));
            }
            k @ ("task_completed" | "task_failed" | "task_skipped") => {
                let task = s(ev, "task").to_string();
                if let Some(prev) = ended.insert(task.clone(), k.to_string()) {
                    return Err(format!("{task} ended twice: {prev} then {k}"));
                }
                if k == "task_completed" {
                    completed.insert(task);
                }
            }
            "run_finished" => {
                if i != journal.len() - 1 {
                    return Err("run_finished is not the last event".into());
                }
                let outcome = s(ev, "outcome");
                let all_done = completed.len() == sc.tasks.len();
                if (outcome == "succeeded") != all_done {
                    return Err(format!("outcome {outcome} with {}/{} completed", completed.len(), sc.tasks.len()));
                }
            }
            _ => {}
        }
    }
    if ended.len() != sc.tasks.len() {
        return Err(format!("{} of {} tasks never ended", sc.tasks.len() - ended.len(), sc.tasks.len()));
    }
    if s(journal.last().unwrap(), "kind") != "run_finished" {
        return Err("journal does not end with run_finished".into());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn journals_satisfy_workflow_invariants(
        seed in any::<u64>(), n_tasks in 1usize..40, n_agents in 1usize..6, n_faults in 0usize..5,
    ) {
        let sc = random_scenario(seed, n_tasks, n_agents, n_faults);
        let journal = journal_of(&sc);
        if let Err(e) = check_invariants(&sc, &journal) {
            prop_assert!(false, "seed {seed}: {e}");
        }
    }

    #[test]
    fn journals_read_back_and_rebuild_the_coordinator(seed in any::<u64>(), n_tasks in 1usize..30, n_faults in 0usize..6) {
        // Faults included: their audit records (`fault_injected`, `message_dropped`) fold harmlessly.
        let sc = random_scenario(seed, n_tasks, 3, n_faults);
        let mut run = SimRun::new(sc.clone());
        let mut sinks = (Vec::new(), JournalWriter::new(Vec::new()));
        run.run(&mut sinks).unwrap();
        let (events, w) = sinks;
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let back = switchyard::journal::read_journal(&sc, &text).unwrap();
        prop_assert_eq!(&back, &events);
        let rebuilt = switchyard::core::Coordinator::from_events(sc, &back);
        prop_assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
    }

    #[test]
    fn the_same_scenario_gives_the_same_journal(seed in any::<u64>(), n_tasks in 1usize..30) {
        let sc = random_scenario(seed, n_tasks, 3, 2);
        prop_assert_eq!(journal_of(&sc), journal_of(&sc));
    }
}

#[test]
fn the_checker_catches_a_broken_journal() {
    let sc = random_scenario(11, 10, 2, 0);
    let mut journal = journal_of(&sc);
    assert_eq!(check_invariants(&sc, &journal), Ok(()));
    // Drop a task_completed line (and renumber): a dependent now starts too early or a task never ends.
    let i = journal.iter().position(|v| v["kind"] == "task_completed").unwrap();
    journal.remove(i);
    for (n, v) in journal.iter_mut().enumerate() {
        v["seq"] = n.into();
    }
    assert!(check_invariants(&sc, &journal).is_err());
}
