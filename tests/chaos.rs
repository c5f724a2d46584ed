//! Chaos property test: random DAGs, agents, escalation ladders, sagas, shared context and fault
//! schedules, written as scenario *files* and loaded through the public format, then checked from
//! the journal alone — the way an auditor would read it:
//!
//! - no task is lost or completed twice (reopened tasks excepted), and `run_finished` agrees;
//! - every inbox item carries its context (tiers tried, attempt history);
//! - no two holders of a lock overlap, tokens only grow;
//! - fencing rejects every stale write, and every accepted write carries the newest token;
//! - compensations run in reverse order of their steps' completion, once each;
//! - the journal reads back into the run's events and rebuilds its final state;
//! - the same scenario gives the same journal, byte for byte.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::{Value, json};

use switchyard::core::{Coordinator, Event};
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::rng::SplitMix;
use switchyard::runtime::{EventSink, SimRun};
use switchyard::scenario::{self, Scenario};

const CAPS: [&str; 3] = ["a", "b", "c"];
const RESOURCES: [&str; 2] = ["res-x", "res-y"];
const KEYS: [&str; 3] = ["ledger", "notes", "count"];

fn pick<'a>(r: &mut SplitMix, items: &[&'a str]) -> &'a str {
    items[r.below(items.len() as u64) as usize]
}

fn ladder(r: &mut SplitMix, agents: &[String]) -> Value {
    let mut tiers = Vec::new();
    if r.below(2) == 0 {
        tiers.push(json!({"tier": "retry", "limit": 1 + r.below(2)}));
    }
    if r.below(2) == 0 {
        tiers.push(json!({"tier": "other_agent", "limit": 1}));
    }
    if r.below(3) == 0 {
        tiers.push(json!({"tier": "fallback", "capability": pick(r, &CAPS)}));
    }
    if r.below(3) == 0 {
        let agent = &agents[r.below(agents.len() as u64) as usize];
        tiers.push(json!({"tier": "escalate_to", "agent": agent}));
    }
    if r.below(2) == 0 {
        let on_expiry = pick(r, &["retry", "skip", "fail", "wait"]);
        tiers.push(json!({"tier": "inbox", "sla_ms": 200 + r.below(2000), "on_expiry": on_expiry}));
    }
    Value::Array(tiers)
}

/// A random scenario file that is valid by construction.
fn random_file(seed: u64) -> String {
    let mut r = SplitMix::new(seed);
    let n_agents = 2 + r.below(4) as usize;
    let agent_ids: Vec<String> = (0..n_agents).map(|i| format!("ag{i}")).collect();
    let mut agents = Vec::new();
    for (i, id) in agent_ids.iter().enumerate() {
        // Every capability has at least one agent, so any task or fallback can be placed.
        let mut caps: BTreeSet<&str> = CAPS.iter().copied().filter(|_| r.below(2) == 0).collect();
        caps.insert(CAPS[i % CAPS.len()]);
        if i == 0 {
            caps.extend(CAPS);
        }
        agents.push(json!({
            "id": id,
            "capabilities": caps.into_iter().collect::<Vec<_>>(),
            "max_concurrent": 1 + r.below(2),
            "profile": {"duration_ms": {"mean": 50 + r.below(300), "jitter": 0.5}, "failure_rate": 0.3 * r.unit()},
        }));
    }

    let n_tasks = 4 + r.below(12) as usize;
    let mut tasks: Vec<Value> = Vec::new();
    for i in 0..n_tasks {
        let deps: Vec<String> = (0..i).filter(|_| r.below(4) == 0).take(3).map(|d| format!("t{d}")).collect();
        let mut t = json!({
            "id": format!("t{i}"),
            "capability": pick(&mut r, &CAPS),
            "depends_on": deps,
            "timeout_ms": 300 + r.below(700),
            "retry": {"max_attempts": 1 + r.below(3), "backoff_ms": r.below(150)},
        });
        if r.below(3) == 0 {
            t["escalation"] = ladder(&mut r, &agent_ids);
        }
        let writes = r.below(3) == 0;
        // Most writers hold a lock, so that fencing has stale writes to reject.
        if (writes && r.below(4) != 0) || (!writes && r.below(4) == 0) {
            t["locks"] = json!([pick(&mut r, &RESOURCES)]);
        }
        if writes {
            t["writes"] = json!([pick(&mut r, &KEYS)]);
            t["reads"] = json!([pick(&mut r, &KEYS)]);
            t["on_conflict"] = json!(pick(&mut r, &["retry", "last_writer_wins", "escalate"]));
        }
        tasks.push(t);
    }

    // Up to two sagas over disjoint runs of steps, each step with its own compensator (whose
    // ladder ends in the inbox with an SLA, so that headless runs settle it by themselves).
    let mut sagas = Vec::new();
    let mut next_step = 0;
    for s in 0..r.below(3) {
        let len = (2 + r.below(3) as usize).min(n_tasks - next_step);
        if len < 2 {
            break;
        }
        let steps: Vec<String> = (next_step..next_step + len).map(|i| format!("t{i}")).collect();
        for i in next_step..next_step + len {
            let comp = format!("undo-t{i}");
            tasks[i]["compensate"] = json!(comp);
            tasks.push(json!({
                "id": comp,
                "capability": pick(&mut r, &CAPS),
                "timeout_ms": 500,
                "retry": {"max_attempts": 2, "backoff_ms": 20},
                "escalation": [{"tier": "retry", "limit": 1}, {"tier": "inbox", "sla_ms": 500, "on_expiry": "skip"}],
            }));
        }
        next_step += len;
        sagas.push(json!({"id": format!("saga{s}"), "tasks": steps}));
    }

    // Faults in time order; crash, hang and revive only where the agent's state allows it.
    let mut faults = Vec::new();
    let mut times: Vec<u64> = (0..r.below(7)).map(|_| r.below(3000)).collect();
    times.sort_unstable();
    let mut down: BTreeSet<String> = BTreeSet::new();
    for at_ms in times {
        let a = agent_ids[r.below(n_agents as u64) as usize].clone();
        let b = agent_ids[r.below(n_agents as u64) as usize].clone();
        let is_down = down.contains(&a);
        let f = match r.below(8) {
            0 | 1 if !is_down => {
                down.insert(a.clone());
                if r.below(2) == 0 { json!({"at_ms": at_ms, "crash": a}) } else { json!({"at_ms": at_ms, "hang": a}) }
            }
            0 | 1 => {
                down.remove(&a);
                json!({"at_ms": at_ms, "revive": a})
            }
            2 => json!({"at_ms": at_ms, "slow": a, "factor": 1.0 + 3.0 * r.unit()}),
            3 => json!({"at_ms": at_ms, "flaky": a, "failure_rate": r.unit()}),
            4 => json!({"at_ms": at_ms, "drop": [a, "coordinator"], "until_ms": at_ms + 1 + r.below(1500)}),
            5 if a != b => json!({"at_ms": at_ms, "partition": [[a], [b]], "until_ms": at_ms + 1 + r.below(2000)}),
            6 => json!({"at_ms": at_ms, "delay": [a, "coordinator"], "delay_ms": r.below(300)}),
            _ => json!({"at_ms": at_ms, "heal": true}),
        };
        faults.push(f);
    }
    // Agents still down come back later, so that most runs can finish.
    for id in down {
        let at_ms = 3000 + r.below(1500);
        faults.push(json!({"at_ms": at_ms, "revive": id}));
    }

    let heartbeat_ms = [100, 250][r.below(2) as usize];
    let lease_ms = 400 + r.below(800);
    let default_ladder = if r.below(2) == 0 { ladder(&mut r, &agent_ids) } else { json!([]) };
    let file = json!({
        "name": format!("chaos-{seed}"),
        "seed": seed,
        "heartbeat_ms": heartbeat_ms,
        "agents": agents,
        "tasks": tasks,
        "sagas": sagas,
        "faults": faults,
        "context": {"initial": {"count": 0}, "lease_ms": lease_ms},
        "escalation": default_ladder,
    });
    serde_json::to_string_pretty(&file).unwrap()
}

fn journal_bytes(sc: &Scenario) -> Vec<u8> {
    journal_and_run(sc).0
}

/// Collects events, and stops a run that has clearly stopped converging (a livelock must fail
/// with its seed, not hang the suite): these scenarios take a few hundred events.
struct Capped(Vec<Event>);

const EVENT_CAP: usize = 200_000;

impl EventSink for Capped {
    fn event(&mut self, ev: &Event, _: &Coordinator) -> std::io::Result<()> {
        if self.0.len() >= EVENT_CAP {
            let last = self.0.iter().rev().take(12).map(|e| format!("{:?}", e.kind)).collect::<Vec<_>>();
            return Err(std::io::Error::other(format!("over {EVENT_CAP} events; the last ones: {last:#?}")));
        }
        self.0.push(ev.clone());
        Ok(())
    }
}

/// The journal of a run, and the run's events and final state digest.
fn journal_and_run(sc: &Scenario) -> (Vec<u8>, Vec<Event>, String) {
    let mut run = SimRun::new(sc.clone());
    let mut sink = (JournalWriter::new(Vec::new()), Capped(Vec::new()));
    if let Err(e) = run.run(&mut sink) {
        panic!("seed {}: {e}", sc.seed);
    }
    let (w, Capped(events)) = sink;
    (w.into_inner().unwrap(), events, run.coordinator().state().digest())
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("`{k}` missing in {v}"))
}

fn u64_of(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("`{k}` missing in {v}"))
}

/// Every invariant of the module doc, from the journal lines.
fn audit(sc: &Scenario, journal: &[Value]) -> Result<(), String> {
    let compensators: BTreeSet<&str> = sc.tasks.iter().filter_map(|t| t.extras().compensate.as_deref()).collect();
    let first_lock: BTreeMap<&str, &str> =
        sc.tasks.iter().filter_map(|t| t.context().locks.iter().min().map(|l| (t.id.as_str(), l.as_str()))).collect();
    let saga_of: BTreeMap<&str, &str> =
        sc.sagas.iter().flat_map(|s| s.tasks.iter().map(move |t| (t.as_str(), s.id.as_str()))).collect();

    // Task ends: the latest terminal event per task, cleared by `task_reopened`.
    let mut end: BTreeMap<String, &str> = BTreeMap::new();
    let mut completions: BTreeMap<String, u32> = BTreeMap::new();
    // Locks: the current holder (task, token) and the newest token granted, per resource.
    let mut holder: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut newest: BTreeMap<String, u64> = BTreeMap::new();
    // Sagas: step completion order before the verdict, and compensations started.
    let mut completed_steps: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut compensated: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut failed_sagas: BTreeSet<String> = BTreeSet::new();
    let mut finished = None;

    for (i, ev) in journal.iter().enumerate() {
        if finished.is_some() {
            return Err(format!("line {i} after run_finished: {ev}"));
        }
        let kind = str_of(ev, "kind");
        let task = ev["task"].as_str().unwrap_or("");
        match kind {
            "task_completed" | "task_failed" | "task_skipped" => {
                if let Some(prev) = end.insert(task.to_string(), kind) {
                    return Err(format!("line {i}: {task} ended twice ({prev}, then {kind})"));
                }
                if kind == "task_completed" {
                    *completions.entry(task.to_string()).or_default() += 1;
                    if let Some(saga) = saga_of.get(task)
                        && !failed_sagas.contains(*saga)
                    {
                        completed_steps.entry(saga).or_default().push(task.to_string());
                    }
                }
            }
            "task_reopened" => {
                end.remove(task);
            }
            "task_escalated" => {
                let history = ev["history"].as_array().ok_or(format!("line {i}: inbox item without history: {ev}"))?;
                if ev["tiers"].as_array().is_none() {
                    return Err(format!("line {i}: inbox item without tiers: {ev}"));
                }
                let attempts =
                    journal[..i].iter().filter(|e| e["kind"] == "attempt_started" && e["task"] == ev["task"]).count();
                if history.len() != attempts {
                    return Err(format!("line {i}: history lists {} attempts, journal has {attempts}", history.len()));
                }
            }
            "lock_granted" => {
                let res = str_of(ev, "resource").to_string();
                let token = u64_of(ev, "token");
                if let Some((other, _)) = holder.get(&res) {
                    return Err(format!("line {i}: {res} granted to {task} while {other} holds it"));
                }
                if newest.get(&res).is_some_and(|&t| t >= token) {
                    return Err(format!("line {i}: token {token} of {res} does not grow"));
                }
                newest.insert(res.clone(), token);
                holder.insert(res, (task.to_string(), token));
            }
            "lock_released" | "lock_expired" => {
                let res = str_of(ev, "resource");
                let token = u64_of(ev, "token");
                match holder.remove(res) {
                    Some((t, tok)) if t == task && tok == token => {}
                    other => return Err(format!("line {i}: {kind} of {res} by {task}/{token}, holder {other:?}")),
                }
            }
            "context_written" => {
                if let Some(token) = ev["token"].as_u64() {
                    let res = first_lock.get(task).ok_or(format!("line {i}: token on a write of lockless {task}"))?;
                    if newest.get(*res) != Some(&token) {
                        return Err(format!(
                            "line {i}: write with token {token} of {res}, newest {:?}",
                            newest.get(*res)
                        ));
                    }
                }
            }
            "write_rejected" => {
                let (token, current) = (u64_of(ev, "token"), u64_of(ev, "current_token"));
                if token >= current || newest.get(str_of(ev, "resource")) != Some(&current) {
                    return Err(format!("line {i}: rejection of a write that was not stale: {ev}"));
                }
            }
            "saga_failed" => {
                failed_sagas.insert(str_of(ev, "saga").to_string());
            }
            "compensation_started" => {
                compensated.entry(str_of(ev, "saga").to_string()).or_default().push(str_of(ev, "step").to_string());
            }
            "run_finished" => finished = Some(ev),
            _ => {}
        }
    }

    // A run may end without `run_finished` only when nothing can move (it then stalls first).
    let Some(fin) = finished else { return Err("no run_finished".into()) };
    for t in &sc.tasks {
        let dormant = compensators.contains(t.id.as_str());
        match end.get(t.id.as_str()) {
            None if !dormant => return Err(format!("task {} never ended", t.id)),
            Some(_) if completions.get(t.id.as_str()).copied().unwrap_or(0) > 1 && !has_reopen(journal, &t.id) => {
                return Err(format!("task {} completed twice", t.id));
            }
            _ => {}
        }
    }
    let count = |k: &str| end.values().filter(|&&v| v == k).count() as u64;
    for (field, k) in [("completed", "task_completed"), ("failed", "task_failed"), ("skipped", "task_skipped")] {
        if fin[field].as_u64() != Some(count(k)) {
            return Err(format!("run_finished {field}={} but the journal ends {} tasks so", fin[field], count(k)));
        }
    }
    for (saga, steps) in &compensated {
        let mut expected = completed_steps.get(saga.as_str()).cloned().unwrap_or_default();
        expected.reverse();
        if *steps != expected {
            return Err(format!("saga {saga}: compensated {steps:?}, completion order reversed is {expected:?}"));
        }
    }
    for saga in &failed_sagas {
        if completed_steps.get(saga.as_str()).is_some_and(|s| !s.is_empty()) && !compensated.contains_key(saga) {
            return Err(format!("saga {saga} failed with completed steps and nothing was compensated"));
        }
    }
    Ok(())
}

fn has_reopen(journal: &[Value], task: &str) -> bool {
    journal.iter().any(|e| e["kind"] == "task_reopened" && e["task"] == task)
}

fn load(seed: u64) -> Scenario {
    let text = random_file(seed);
    scenario::parse("chaos.json", &text).unwrap_or_else(|e| panic!("generated scenario invalid: {e}\n{text}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn chaos_runs_keep_every_invariant(seed in any::<u64>()) {
        let sc = load(seed);
        let (bytes, events, digest) = journal_and_run(&sc);
        let text = String::from_utf8(bytes.clone()).unwrap();
        // The journal is the whole truth: read back, it gives the same events and rebuilds the run.
        let back = read_journal(&sc, &text).unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
        prop_assert_eq!(&back, &events, "seed {}: the journal reads back into other events", seed);
        prop_assert_eq!(Coordinator::from_events(sc.clone(), &back).state().digest(), digest, "seed {}", seed);
        let journal: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        if let Err(e) = audit(&sc, &journal) {
            panic!("seed {seed}: {e}\n{}", random_file(seed));
        }
        prop_assert_eq!(bytes, journal_bytes(&sc), "seed {}: journal differs between two runs", seed);
    }
}

/// The generator really exercises what the audit checks (otherwise the property proves little).
#[test]
fn chaos_generator_reaches_every_mechanism() {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for seed in 0..150 {
        let text = String::from_utf8(journal_bytes(&load(seed))).unwrap();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            seen.insert(str_of(&v, "kind").to_string());
        }
    }
    for kind in [
        "tier_entered",
        "task_escalated",
        "inbox_sla_expired",
        "lock_granted",
        "lock_expired",
        "context_conflict",
        "write_rejected",
        "compensation_started",
        "saga_compensated",
        "agent_lost",
        "message_dropped",
        "task_reassigned",
    ] {
        assert!(seen.contains(kind), "no `{kind}` in 150 chaos runs");
    }
}
