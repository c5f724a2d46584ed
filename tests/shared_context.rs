//! The shared context end to end: headless runs of the bundled `shared-ledger` and `leader-failover`
//! scenarios and of random lock-and-write scenarios, checked from the journal alone — no two lock
//! holders overlap, tokens increase, every stale-token write is rejected, conflicts follow the task's
//! policy, terms strictly increase with one leader each — and rebuilt from the journal exactly.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use switchyard::core::{Coordinator, Event};
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::runtime::SimRun;
use switchyard::scenario::{self, Scenario};

fn run(sc: Scenario) -> (SimRun, Vec<Event>, Vec<Value>, String) {
    let mut run = SimRun::new(sc);
    let mut sinks = (Vec::new(), JournalWriter::new(Vec::new()));
    run.run(&mut sinks).unwrap();
    let (events, writer) = sinks;
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (run, events, lines, text)
}

fn bundled(name: &str) -> Scenario {
    scenario::load(std::path::Path::new(&format!("scenarios/{name}.json"))).unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// What the lock and blackboard audit found.
#[derive(Debug, Default)]
struct Audit {
    grants: usize,
    expiries: usize,
    rejected: usize,
    conflicts: BTreeMap<String, usize>,
    writes: usize,
}

/// Checks the journal's locks, fenced writes, versions and conflict policies.
fn audit(sc: &Scenario, journal: &[Value]) -> Result<Audit, String> {
    let policy: BTreeMap<&str, &str> =
        sc.tasks.iter().map(|t| (t.id.as_str(), t.context().on_conflict.name())).collect();
    let locks_of: BTreeMap<&str, &Vec<String>> = sc.tasks.iter().map(|t| (t.id.as_str(), &t.context().locks)).collect();
    let mut holder: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut latest: BTreeMap<String, u64> = BTreeMap::new();
    let mut version: BTreeMap<String, u64> = sc.context.initial.keys().map(|k| (k.clone(), 1)).collect();
    let mut a = Audit::default();
    for (i, ev) in journal.iter().enumerate() {
        let next = |kind: &str, task: &str| {
            journal[i + 1..]
                .iter()
                .find(|v| v["task"] == task && v["kind"] != "message_sent")
                .map(|v| s(v, "kind") == kind)
        };
        match s(ev, "kind") {
            "lock_granted" => {
                let (res, task, token) = (s(ev, "resource"), s(ev, "task"), u(ev, "token"));
                if let Some((other, _)) = holder.get(res) {
                    return Err(format!("seq {i}: {res} granted to {task} while {other} holds it"));
                }
                if token <= latest.get(res).copied().unwrap_or(0) {
                    return Err(format!("seq {i}: token {token} of {res} does not increase"));
                }
                latest.insert(res.into(), token);
                holder.insert(res.into(), (task.into(), token));
                a.grants += 1;
            }
            k @ ("lock_released" | "lock_expired") => {
                let (res, task, token) = (s(ev, "resource"), s(ev, "task"), u(ev, "token"));
                if holder.remove(res) != Some((task.into(), token)) {
                    return Err(format!("seq {i}: {k} of {res} by {task}/{token}, which does not hold it"));
                }
                a.expiries += usize::from(k == "lock_expired");
            }
            "attempt_started" => {
                let task = s(ev, "task");
                for res in locks_of[task] {
                    if holder.get(res).map(|h| h.0.as_str()) != Some(task) {
                        return Err(format!("seq {i}: {task} started without holding {res}"));
                    }
                }
            }
            "context_written" => {
                let (key, task) = (s(ev, "key"), s(ev, "task"));
                // Every write carries the newest token of each lock its task holds: no stale write passes.
                if let Some(token) = ev["token"].as_u64() {
                    // The token shown is that of the task's first lock in name order.
                    let res = locks_of[task].iter().min().unwrap();
                    if Some(token) != latest.get(res).copied() {
                        return Err(format!("seq {i}: {task} wrote {key} with stale token {token}"));
                    }
                } else if !locks_of[task].is_empty() {
                    return Err(format!("seq {i}: {task} holds locks but wrote unfenced"));
                }
                let v = version.entry(key.into()).or_default();
                if u(ev, "version") != *v + 1 {
                    return Err(format!("seq {i}: {key} went from version {v} to {}", ev["version"]));
                }
                *v += 1;
                a.writes += 1;
            }
            "write_rejected" => {
                let (token, current) = (u(ev, "token"), u(ev, "current_token"));
                if token >= current || Some(current) != latest.get(s(ev, "resource")).copied() {
                    return Err(format!("seq {i}: rejected token {token} is not stale (latest {current})"));
                }
                a.rejected += 1;
            }
            "context_conflict" => {
                let task = s(ev, "task");
                let p = s(ev, "policy");
                if p != policy[task] {
                    return Err(format!("seq {i}: {task} conflict reports policy {p}, not {}", policy[task]));
                }
                if u(ev, "read_version") == u(ev, "current_version")
                    || Some(&u(ev, "current_version")) != version.get(s(ev, "key")).or(Some(&0))
                {
                    return Err(format!("seq {i}: not a conflict: {ev}"));
                }
                let followed = match p {
                    "last_writer_wins" => next("context_written", task),
                    _ => next("attempt_failed", task),
                };
                if followed != Some(true) {
                    return Err(format!("seq {i}: {task}'s {p} conflict is not followed as its policy says"));
                }
                *a.conflicts.entry(p.into()).or_default() += 1;
            }
            _ => {}
        }
    }
    Ok(a)
}

fn rebuilt_digest(run: &SimRun, text: &str) -> String {
    let sc = run.coordinator().scenario();
    let back = read_journal(sc, text).unwrap();
    Coordinator::from_events(sc.clone(), &back).state().digest()
}

#[test]
fn shared_ledger_conflicts_retry_or_overwrite_and_fencing_rejects_the_late_holder() {
    let sc = bundled("shared-ledger");
    let (run, events, journal, text) = run(sc.clone());
    let a = audit(&sc, &journal).unwrap();
    assert_eq!(journal.last().unwrap()["outcome"], "succeeded");
    assert!(a.conflicts.get("retry").copied().unwrap_or(0) >= 2, "{a:?}");
    assert_eq!(a.conflicts.get("last_writer_wins"), Some(&1), "{a:?}");
    assert!(a.expiries >= 1 && a.rejected >= 1, "{a:?}");

    // The hung scribe's lease expired, the next waiter got a newer token, and the late write with the
    // old token was rejected and failed its attempt.
    let kinds = |k: &'static str| journal.iter().filter(move |v| v["kind"] == k);
    let expired = kinds("lock_expired").next().unwrap();
    assert_eq!((s(expired, "task"), s(expired, "agent")), ("append-1", "scribe-1"));
    let rejected = kinds("write_rejected").next().unwrap();
    assert_eq!((s(rejected, "task"), u(rejected, "token")), ("append-1", u(expired, "token")));
    let failed = kinds("attempt_failed").find(|v| v["task"] == "append-1").unwrap();
    assert_eq!(failed["reason"], "stale_token");
    assert!(u(rejected, "t_ms") > u(expired, "t_ms"));

    // Conflict retries do not use up the retry budget (max_attempts 3).
    let most = kinds("task_completed").map(|v| u(v, "attempts")).max().unwrap();
    assert!(most > 3, "some task needed more than three attempts, all but its budget conflict retries");

    // The ledger counter went up once per write, a lost update for last-writer-wins included.
    let c = run.coordinator();
    let (value, version) = c.state().context().board.read("ledger");
    assert_eq!(value, Some(&json!(version - 1)));
    let ledger_writes = kinds("context_written").filter(|v| v["key"] == "ledger").count() as u64;
    assert_eq!(version, 1 + ledger_writes);

    assert_eq!(read_journal(c.scenario(), &text).unwrap(), events);
    assert_eq!(rebuilt_digest(&run, &text), c.state().digest());
}

#[test]
fn leader_failover_elects_a_new_leader_with_a_higher_term_each_time() {
    let sc = bundled("leader-failover");
    let (run, _, journal, text) = run(sc);
    assert_eq!(journal.last().unwrap()["outcome"], "succeeded");
    let mut leader: Option<(String, u64)> = None;
    let mut last_term = 0;
    let mut down: Vec<String> = Vec::new();
    let mut elected = Vec::new();
    for ev in &journal {
        match s(ev, "kind") {
            "agent_crashed" | "agent_lost" => down.push(s(ev, "agent").into()),
            "agent_revived" => down.retain(|a| a != s(ev, "agent")),
            "leader_elected" => {
                let (agent, term) = (s(ev, "agent").to_string(), u(ev, "term"));
                assert!(leader.is_none(), "{agent} elected while {leader:?} leads");
                assert!(term > last_term, "term {term} after {last_term}");
                assert!(!down.contains(&agent), "{agent} elected while down");
                last_term = term;
                elected.push((agent.clone(), term));
                leader = Some((agent, term));
            }
            "leader_lost" => {
                assert_eq!(leader.take(), Some((s(ev, "agent").into(), u(ev, "term"))));
            }
            _ => {}
        }
    }
    assert_eq!(elected, [("node-a".into(), 1), ("node-b".into(), 2), ("node-c".into(), 3)]);
    // The crashed leader is replaced only once its lease ran out (last heartbeat 1.4 s + 0.8 s).
    let lost = journal.iter().find(|v| v["kind"] == "leader_lost").unwrap();
    assert_eq!(u(lost, "t_ms"), 2200);
    // The lost node's cancel could not be delivered: a dead letter, numbered like any message.
    let dead: Vec<&Value> = journal.iter().filter(|v| v["kind"] == "message_dead_lettered").collect();
    assert_eq!(dead.len(), 1);
    assert_eq!((s(dead[0], "to"), s(dead[0], "type"), s(dead[0], "reason")), ("node-b", "cancel", "receiver_down"));
    let mut ids: Vec<u64> = journal.iter().filter_map(|v| v["msg_id"].as_u64()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "message ids are unique");
    let c = run.coordinator();
    assert_eq!(c.state().context().dead_count, 1);
    assert_eq!(rebuilt_digest(&run, &text), c.state().digest());
}

/// A scenario text with `tasks` and `faults` spliced into a small two-agent team.
fn small(extra: &str, tasks: &str, faults: &str) -> Scenario {
    let text = format!(
        r#"{{"name": "t", "heartbeat_ms": 100, {extra}
            "agents": [{{"id": "a", "capabilities": ["x"], "profile": {{"duration_ms": {{"mean": 300, "jitter": 0}}}}}},
                       {{"id": "b", "capabilities": ["x"], "profile": {{"duration_ms": {{"mean": 200, "jitter": 0}}}}}}],
            "tasks": [{tasks}], "faults": [{faults}]}}"#
    );
    scenario::parse("t.json", &text).unwrap()
}

#[test]
fn an_escalating_conflict_sends_the_task_to_the_inbox() {
    let sc = small(
        "",
        r#"{"id": "slow", "capability": "x", "writes": ["k"], "on_conflict": "escalate"},
           {"id": "fast", "capability": "x", "writes": ["k"]}"#,
        "",
    );
    let (run, _, journal, text) = run(sc.clone());
    audit(&sc, &journal).unwrap();
    let esc = journal.iter().find(|v| v["kind"] == "task_escalated").expect("escalated");
    assert_eq!((s(esc, "task"), s(esc, "origin")), ("slow", "conflict"));
    let conflict = journal.iter().find(|v| v["kind"] == "context_conflict").unwrap();
    assert_eq!((u(conflict, "read_version"), u(conflict, "current_version")), (0, 1));
    assert_eq!(rebuilt_digest(&run, &text), run.coordinator().state().digest());
}

#[test]
fn a_request_that_waited_past_its_deadline_for_a_hung_agent_is_an_expired_dead_letter() {
    // `b` hangs at 150; `late` is assigned to it at 200 (the coordinator has not noticed) and times out
    // at 300; when `b` comes back at 1000 the request is stale.
    let sc = small(
        r#""resilience": {"heartbeat_timeout_ms": 10000},"#,
        r#"{"id": "first", "capability": "x"},
           {"id": "late", "capability": "x", "depends_on": ["first"], "timeout_ms": 100, "allocation": "round_robin"}"#,
        r#"{"at_ms": 150, "hang": "b"}, {"at_ms": 1000, "revive": "b"}"#,
    );
    let (run, _, journal, text) = run(sc);
    let dead = journal.iter().find(|v| v["kind"] == "message_dead_lettered").expect("a dead letter");
    assert_eq!((s(dead, "type"), s(dead, "reason"), u(dead, "t_ms")), ("task_request", "expired", 1000));
    assert_eq!(rebuilt_digest(&run, &text), run.coordinator().state().digest());
}

/// Random teams writing shared keys under shared locks, with crashes and hangs.
fn random_scenario(seed: u64, n_tasks: usize) -> Scenario {
    let mut r = switchyard::rng::SplitMix::new(seed);
    let agents: Vec<String> = (0..3)
        .map(|i| {
            format!(
                r#"{{"id": "w{i}", "capabilities": ["x"], "max_concurrent": {}, "profile": {{"duration_ms": {{"mean": {}}}, "failure_rate": 0.1}}}}"#,
                1 + r.below(2),
                100 + r.below(500)
            )
        })
        .collect();
    let policies = ["retry", "last_writer_wins", "escalate"];
    let tasks: Vec<String> = (0..n_tasks)
        .map(|i| {
            let locks = match r.below(3) {
                0 => "[]".to_string(),
                1 => r#"["l1"]"#.to_string(),
                _ => r#"["l2", "l1"]"#.to_string(),
            };
            let writes = ["[]", r#"["k1"]"#, r#"["k1", "k2"]"#][r.below(3) as usize];
            let deps = if i > 0 && r.below(3) == 0 { format!(r#"["t{}"]"#, r.below(i as u64)) } else { "[]".into() };
            format!(
                r#"{{"id": "t{i}", "capability": "x", "locks": {locks}, "reads": ["k2"], "writes": {writes}, "on_conflict": "{}", "depends_on": {deps}, "timeout_ms": {}}}"#,
                policies[r.below(3) as usize],
                300 + r.below(2000)
            )
        })
        .collect();
    // At most one crash or hang per agent, each revived later.
    let faults: Vec<String> = (0..r.below(3))
        .map(|agent| {
            let at = r.below(2000);
            let kind = ["crash", "hang"][r.below(2) as usize];
            format!(
                r#"{{"at_ms": {at}, "{kind}": "w{agent}"}}, {{"at_ms": {}, "revive": "w{agent}"}}"#,
                at + 500 + r.below(2000)
            )
        })
        .collect();
    let text = format!(
        r#"{{"name": "random", "seed": {seed}, "heartbeat_ms": 100, "context": {{"initial": {{"k1": 0}}, "lease_ms": {}}},
            "groups": [{{"id": "g", "agents": ["w0", "w1", "w2"], "lease_ms": 300}}],
            "agents": [{}], "tasks": [{}], "faults": [{}]}}"#,
        200 + r.below(800),
        agents.join(","),
        tasks.join(","),
        faults.join(",")
    );
    scenario::parse("random.json", &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    #[test]
    fn random_lock_and_write_runs_keep_the_invariants_and_replay_exactly(seed in any::<u64>(), n in 1usize..14) {
        let sc = random_scenario(seed, n);
        let mut live = SimRun::new(sc.clone());
        let mut events: Vec<Event> = Vec::new();
        // The coordinator rebuilt from the events so far matches the live one after every step.
        let mut steps = 0;
        while !live.is_done() {
            steps += 1;
            prop_assert!(steps < 20_000, "seed {}: the run does not end", seed);
            live.step(&mut events).unwrap();
            let rebuilt = Coordinator::from_events(sc.clone(), &events);
            prop_assert_eq!(rebuilt.state().digest(), live.coordinator().state().digest());
        }
        let (run2, _, journal, text) = run(sc.clone());
        if let Err(e) = audit(&sc, &journal) {
            prop_assert!(false, "seed {seed}: {e}");
        }
        prop_assert_eq!(read_journal(&sc, &text).unwrap(), events);
        prop_assert_eq!(run2.coordinator().state().digest(), live.coordinator().state().digest());
    }
}
