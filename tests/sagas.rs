//! Sagas from the outside: the bundled saga-booking scenario and random sagas, checked from the
//! journal text alone — compensations run in reverse order of their steps' completion, each
//! completed step is compensated exactly once, steps that never completed are not, and the saga
//! events come in order.

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::Value;

use switchyard::core::Coordinator;
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::rng::SplitMix;
use switchyard::runtime::SimRun;
use switchyard::scenario::{self, AgentSpec, DurationDist, Profile, RetryPolicy, SagaSpec, Scenario, TaskSpec};

fn journal_of(sc: &Scenario) -> (String, Vec<Value>) {
    let mut run = SimRun::new(sc.clone());
    let mut w = JournalWriter::new(Vec::new());
    run.run(&mut w).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (text, lines)
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// Checks every saga of `sc` against its journal; returns the compensations started per saga.
fn check_sagas(sc: &Scenario, journal: &[Value]) -> Result<HashMap<String, Vec<(String, String)>>, String> {
    let saga_of: HashMap<&str, &str> =
        sc.sagas.iter().flat_map(|g| g.tasks.iter().map(move |t| (t.as_str(), g.id.as_str()))).collect();
    let compensator: HashMap<&str, &str> =
        sc.tasks.iter().filter_map(|t| Some((t.id.as_str(), t.extras().compensate.as_deref()?))).collect();
    // Per saga: steps completed in order, the verdict seen, compensations started (step, task).
    let mut completed: HashMap<&str, Vec<String>> = HashMap::new();
    let mut verdict: HashMap<String, &str> = HashMap::new();
    let mut started: HashMap<String, Vec<(String, String)>> = HashMap::new();
    // Per saga, its latest compensation (one at a time within a saga; sagas run side by side).
    let mut running: HashMap<String, String> = HashMap::new();
    let mut ended: Vec<String> = Vec::new();
    for ev in journal {
        let kind = s(ev, "kind");
        match kind {
            "task_completed" | "task_failed" | "task_skipped" => {
                let task = s(ev, "task").to_string();
                if kind == "task_completed"
                    && let Some(saga) = saga_of.get(task.as_str())
                {
                    if verdict.contains_key(*saga) {
                        return Err(format!("step {task} completed after saga {saga}'s verdict"));
                    }
                    completed.entry(saga).or_default().push(task.clone());
                }
                ended.push(task);
            }
            "saga_completed" | "saga_failed" => {
                let saga = s(ev, "saga").to_string();
                if verdict.insert(saga.clone(), kind).is_some() {
                    return Err(format!("saga {saga} got two verdicts"));
                }
                let steps = &sc.sagas.iter().find(|g| g.id == saga).unwrap().tasks;
                if let Some(open) = steps.iter().find(|t| !ended.contains(t)) {
                    return Err(format!("saga {saga}: {kind} while step {open} has not ended"));
                }
            }
            "compensation_started" => {
                let (saga, step, task) = (s(ev, "saga"), s(ev, "step"), s(ev, "task"));
                if verdict.get(saga) != Some(&"saga_failed") {
                    return Err(format!("compensation {task} started without saga_failed"));
                }
                if let Some(prev) = running.get(saga)
                    && !ended.contains(prev)
                {
                    return Err(format!("{task} started while {prev} still runs"));
                }
                if compensator.get(step) != Some(&task) {
                    return Err(format!("{task} is not the compensation of {step}"));
                }
                running.insert(saga.to_string(), task.to_string());
                started.entry(saga.to_string()).or_default().push((step.to_string(), task.to_string()));
            }
            "saga_compensated" => {
                let saga = s(ev, "saga");
                if let Some(prev) = running.get(saga)
                    && !ended.contains(prev)
                {
                    return Err(format!("saga {saga} closed while {prev} still runs"));
                }
                let ran = started.get(saga).map_or(0, Vec::len) as u64;
                let (ok, bad) = (ev["compensated"].as_u64().unwrap(), ev["failed"].as_u64().unwrap());
                if ok + bad != ran {
                    return Err(format!("saga {saga}: {ok} + {bad} compensations reported, {ran} started"));
                }
            }
            _ => {}
        }
    }
    for g in &sc.sagas {
        let done = completed.get(g.id.as_str()).cloned().unwrap_or_default();
        let ran = started.get(&g.id).cloned().unwrap_or_default();
        match verdict.get(&g.id) {
            Some(&"saga_completed") if ran.is_empty() => {}
            Some(&"saga_completed") => return Err(format!("saga {} completed yet compensated", g.id)),
            Some(_) => {
                // Reverse order of completion, each completed step with a compensator exactly once.
                let expected: Vec<(String, String)> = done
                    .iter()
                    .rev()
                    .filter_map(|step| Some((step.clone(), compensator.get(step.as_str())?.to_string())))
                    .collect();
                if ran != expected {
                    return Err(format!("saga {}: compensations {ran:?}, expected {expected:?}", g.id));
                }
                if !journal.iter().any(|e| s(e, "kind") == "saga_compensated" && s(e, "saga") == g.id) {
                    return Err(format!("saga {} never closed", g.id));
                }
            }
            None => return Err(format!("saga {} got no verdict", g.id)),
        }
    }
    if s(journal.last().unwrap(), "kind") != "run_finished" {
        return Err("journal does not end with run_finished".into());
    }
    Ok(started)
}

#[test]
fn saga_booking_compensates_hotel_then_flight_and_never_the_car() {
    let sc = scenario::load(std::path::Path::new("scenarios/saga-booking.json")).unwrap();
    let (text, journal) = journal_of(&sc);
    let started = check_sagas(&sc, &journal).unwrap();
    let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    assert_eq!(started["booking"], pairs(&[("hotel", "cancel-hotel"), ("flight", "cancel-flight")]));
    let kinds: Vec<&str> = journal.iter().map(|e| s(e, "kind")).collect();
    let saga_kinds: Vec<&str> =
        kinds.iter().copied().filter(|k| k.starts_with("saga_") || *k == "compensation_started").collect();
    assert_eq!(saga_kinds, ["saga_failed", "compensation_started", "compensation_started", "saga_compensated"]);
    let failed = journal.iter().find(|e| s(e, "kind") == "saga_failed").unwrap();
    assert_eq!(s(failed, "cause"), "car");
    let closing = journal.iter().find(|e| s(e, "kind") == "saga_compensated").unwrap();
    assert_eq!((closing["compensated"].as_u64(), closing["failed"].as_u64()), (Some(2), Some(0)));
    // The hotel cancellation failed once and succeeded on its retry.
    let of = |kind: &str, task: &str| {
        journal.iter().filter(|e| s(e, "kind") == kind && e["task"].as_str() == Some(task)).count()
    };
    assert_eq!((of("attempt_failed", "cancel-hotel"), of("task_completed", "cancel-hotel")), (1, 1));
    assert_eq!(of("retry_scheduled", "cancel-hotel"), 1);
    // The car never completed: its compensation never ran.
    assert_eq!(of("task_ready", "cancel-car") + of("attempt_started", "cancel-car"), 0);
    assert_eq!(s(journal.last().unwrap(), "outcome"), "failed");
    // The journal reads back and rebuilds the same state.
    let events = read_journal(&sc, &text).unwrap();
    let mut run = SimRun::new(sc.clone());
    run.run(&mut Vec::new()).unwrap();
    let rebuilt = Coordinator::from_events(sc.clone(), &events);
    assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
}

/// Two sagas of random steps (some depending on earlier ones, some without a compensator) among
/// tasks in no saga, on flaky agents; compensators may fail too.
fn random_sagas(seed: u64, n_steps: usize) -> Scenario {
    let mut r = SplitMix::new(seed);
    let agents: Vec<AgentSpec> = (0..3)
        .map(|i| AgentSpec {
            id: format!("w{i}"),
            capabilities: vec!["x".into()],
            max_concurrent: 1 + r.below(2) as u32,
            cost: 1.0,
            performance: 1.0,
            profile: Profile {
                duration_ms: DurationDist { mean: 20.0 + r.below(200) as f64, jitter: r.unit() },
                failure_rate: 0.5 * r.unit(),
                ..Default::default()
            },
            ..Default::default()
        })
        .collect();
    let retry = |r: &mut SplitMix| RetryPolicy {
        max_attempts: 1 + r.below(3) as u32,
        backoff_ms: r.below(50),
        multiplier: 2.0,
        max_backoff_ms: 500,
        jitter: r.unit(),
    };
    let task = |id: String, depends_on: Vec<String>, r: &mut SplitMix| TaskSpec {
        id: id.into(),
        capability: "x".into(),
        depends_on: depends_on.into_iter().map(Into::into).collect(),
        priority: r.below(3) as i64,
        timeout_ms: 1000,
        retry: retry(r),
        work: 0.5 + r.unit(),
        ..Default::default()
    };
    let mut tasks = vec![task("prep".into(), vec![], &mut r)];
    let mut sagas = vec![SagaSpec { id: "g0".into(), tasks: vec![] }, SagaSpec { id: "g1".into(), tasks: vec![] }];
    for i in 0..n_steps {
        let deps = if i > 0 && r.below(4) == 0 { vec![format!("step{}", r.below(i as u64))] } else { vec![] };
        let mut t = task(format!("step{i}"), deps, &mut r);
        if r.below(5) != 0 {
            t.extras_mut().compensate = Some(format!("undo{i}").into());
        }
        tasks.push(t);
        sagas[r.below(2) as usize].tasks.push(format!("step{i}"));
    }
    tasks.push(task("after".into(), vec!["prep".into()], &mut r));
    for i in 0..n_steps {
        if tasks[i + 1].extras().compensate.is_some() {
            tasks.push(task(format!("undo{i}"), vec![], &mut r));
        }
    }
    sagas.retain(|g| !g.tasks.is_empty());
    Scenario {
        name: format!("sagas-{seed}"),
        seed,
        allocation: switchyard::scenario::Strategy::LeastLoaded,
        heartbeat_ms: 0,
        agents,
        tasks,
        sagas,
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn compensations_run_in_reverse_order_of_completion(seed in any::<u64>(), n_steps in 1usize..8) {
        let sc = random_sagas(seed, n_steps);
        let (_, journal) = journal_of(&sc);
        if let Err(e) = check_sagas(&sc, &journal) {
            prop_assert!(false, "seed {seed}, {n_steps} steps: {e}");
        }
    }
}

#[test]
fn the_random_sagas_exercise_compensation() {
    // Guards the property above against passing vacuously.
    let (mut failed, mut multi) = (0, 0);
    for seed in 0..60 {
        let sc = random_sagas(seed, 5);
        let (_, journal) = journal_of(&sc);
        let started = check_sagas(&sc, &journal).unwrap();
        failed += journal.iter().filter(|e| s(e, "kind") == "saga_failed").count();
        multi += started.values().filter(|v| v.len() >= 2).count();
    }
    assert!(failed >= 20 && multi >= 10, "{failed} failed sagas, {multi} with two or more compensations");
}
