//! The team protocols from the outside: bundled scenarios run headless and their rules checked
//! from the journal text alone (delegation hops, reports back up, managers that are down), plus
//! byte-identical journals for the same seed.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::runtime::SimRun;
use switchyard::scenario::{self, Scenario};

/// The bundled scenarios of the team protocols.
const TEAM_SCENARIOS: &[&str] = &["hierarchical-team.json", "peer-review.json"];

fn bundled(name: &str) -> Scenario {
    scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name)).unwrap()
}

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

fn kind(v: &Value) -> &str {
    s(v, "kind")
}

#[test]
fn hierarchical_team_delegates_down_and_reports_up_hop_by_hop() {
    let sc = bundled("hierarchical-team.json");
    let (text, j) = journal_of(&sc);
    let boss: HashMap<&str, &str> =
        sc.agents.iter().filter_map(|a| Some((a.id.as_str(), a.reports_to.as_deref()?))).collect();
    // Per task: the hops of its current delegation, (from, to, level).
    let mut chain: HashMap<&str, Vec<(&str, &str, u64)>> = HashMap::new();
    let mut down: Vec<&str> = Vec::new();
    let mut bypassed_lead_b = 0;
    let mut delegated_tasks = 0;
    for (i, ev) in j.iter().enumerate() {
        match kind(ev) {
            "agent_crashed" => down.push(s(ev, "agent")),
            "agent_revived" => down.retain(|a| *a != s(ev, "agent")),
            "task_delegated" => {
                let (task, from, to, level) =
                    (s(ev, "task"), s(ev, "from"), s(ev, "to"), ev["level"].as_u64().unwrap());
                assert!(!down.contains(&from) && !down.contains(&to), "hop through a down agent: {ev}");
                let hops = chain.entry(task).or_default();
                if hops.last().is_some_and(|h| h.1 != from) {
                    hops.clear();
                }
                match hops.last() {
                    None => assert_eq!(from, "director", "the first hop starts at the top: {ev}"),
                    Some(&(_, _, l)) => assert!(level > l, "levels go down: {ev}"),
                }
                // The hop follows `reports_to`, or skips exactly the manager it names as bypassed.
                match ev.get("bypassed") {
                    None => assert_eq!(boss.get(to), Some(&from), "{ev}"),
                    Some(b) => {
                        let b = b.as_str().unwrap();
                        assert!(down.contains(&b), "bypassed an agent that is up: {ev}");
                        assert_eq!((boss.get(to), boss.get(b)), (Some(&b), Some(&from)), "{ev}");
                        bypassed_lead_b += (b == "lead-b") as u32;
                    }
                }
                // The bus message for the hop comes right after it.
                let msg = &j[i + 1];
                assert_eq!(
                    (kind(msg), s(msg, "type"), s(msg, "from"), s(msg, "to")),
                    ("message_sent", "delegate", from, to)
                );
                hops.push((from, to, level));
            }
            "task_assigned" if s(ev, "strategy") == "hierarchy" => {
                let hops = &chain[s(ev, "task")];
                assert_eq!(hops.last().unwrap().1, s(ev, "agent"), "the worker at the end of the chain runs it");
                delegated_tasks += 1;
            }
            "task_completed" => {
                let task = s(ev, "task");
                let Some(hops) = chain.get(task) else { continue };
                // Reports came right before, back up the chain past anyone down.
                let up: Vec<&str> = std::iter::once(hops.last().unwrap().1)
                    .chain(hops.iter().rev().map(|h| h.0))
                    .filter(|a| !down.contains(a))
                    .collect();
                let reports: Vec<(&str, &str)> = j[..i]
                    .iter()
                    .rev()
                    .take_while(|e| kind(e) != "attempt_succeeded")
                    .filter(|e| kind(e) == "result_reported")
                    .map(|e| (s(e, "from"), s(e, "to")))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let expected: Vec<(&str, &str)> = up.windows(2).map(|w| (w[0], w[1])).collect();
                assert_eq!(reports, expected, "{task}");
            }
            _ => {}
        }
    }
    assert_eq!(delegated_tasks, 9, "every task but the director's own plan goes down the tree");
    assert!(bypassed_lead_b >= 1, "lead-b's team got work while lead-b was down");
    // The journal reads back into the same events the run produced.
    let events = read_journal(&sc, &text).unwrap();
    assert_eq!(events.len(), j.len());
    assert_eq!(s(j.last().unwrap(), "outcome"), "succeeded");
}

#[test]
fn peer_review_reworks_the_draft_until_the_reviewer_accepts_within_the_limit() {
    let sc = bundled("peer-review.json");
    let (_, j) = journal_of(&sc);
    let review = sc.tasks.iter().find(|t| t.extras().review.is_some()).unwrap();
    let (reviewer, spec) = (review.id.as_str(), review.extras().review.as_ref().unwrap());
    let draft = spec.of.as_str();
    let mut rounds = 0;
    // What must happen next: the draft reworked (ready, started, completed) before the review runs again.
    let mut reviewed_since_rework = true;
    let mut draft_done = true;
    let mut accepted_at = None;
    for (i, ev) in j.iter().enumerate() {
        let on = |t: &str| ev.get("task").and_then(Value::as_str) == Some(t);
        match kind(ev) {
            "rework_requested" => {
                rounds += 1;
                assert_eq!((s(ev, "task"), s(ev, "reviewer_task")), (draft, reviewer));
                assert_eq!(ev["round"], rounds, "rounds count up");
                assert!(rounds <= spec.max_rework, "no more than max_rework reworks");
                assert!(reviewed_since_rework, "a review ran between two rework requests");
                assert_eq!(
                    (kind(&j[i + 1]), s(&j[i + 1], "task")),
                    ("task_ready", draft),
                    "the draft is ready again at once"
                );
                reviewed_since_rework = false;
                draft_done = false;
            }
            "task_completed" if on(draft) => draft_done = true,
            "attempt_started" if on(reviewer) => {
                assert!(draft_done, "the review never runs on a draft being reworked");
                reviewed_since_rework = true;
            }
            "task_completed" if on(reviewer) => {
                assert!(accepted_at.is_some(), "the reviewer completes only once accepted")
            }
            "review_accepted" => {
                assert_eq!(ev["rounds"], rounds + 1);
                accepted_at = Some(i);
            }
            "attempt_started" if on("integrate") => assert!(accepted_at.is_some_and(|a| a < i)),
            "rework_limit_reached" => panic!("the bundled run is accepted within its limit"),
            _ => {}
        }
    }
    assert!(rounds >= 1, "the bundled run shows at least one rework");
    check_help(&sc, &j);
    check_broadcasts(&sc, &j);
    assert_eq!(s(j.last().unwrap(), "outcome"), "succeeded");
}

/// Every help request is routed to another agent with the capability (or given up with a reason),
/// answered or timed out once, and the asker's result comes only after that.
fn check_help(sc: &Scenario, j: &[Value]) {
    let caps: HashMap<&str, &Vec<String>> = sc.agents.iter().map(|a| (a.id.as_str(), &a.capabilities)).collect();
    // id → (task, asker, capability, settled)
    let mut open: HashMap<u64, (String, String, String, bool)> = HashMap::new();
    let mut answered = 0;
    for ev in j {
        match kind(ev) {
            "help_requested" => {
                let id = ev["id"].as_u64().unwrap();
                open.insert(id, (s(ev, "task").into(), s(ev, "agent").into(), s(ev, "capability").into(), false));
            }
            "help_routed" => {
                let (_, asker, cap, _) = &open[&ev["id"].as_u64().unwrap()];
                let to = s(ev, "to");
                assert_ne!(to, asker, "never the asker itself");
                assert!(caps[to].contains(cap), "{to} lacks {cap}");
            }
            "help_answered" | "help_timed_out" => {
                let h = open.get_mut(&ev["id"].as_u64().unwrap()).unwrap();
                assert!(!h.3, "settled twice: {ev}");
                h.3 = true;
                answered += (kind(ev) == "help_answered") as u32;
            }
            "attempt_succeeded" => {
                let (task, agent) = (s(ev, "task"), s(ev, "agent"));
                for (t, asker, _, settled) in open.values() {
                    assert!(!(t == task && asker == agent) || *settled, "{task} finished before its help was settled");
                }
            }
            _ => {}
        }
    }
    assert!(answered >= 1, "the bundled run shows an answered help request");
}

/// Each announcement went out at its time to exactly the up agents of its audience, one message each.
fn check_broadcasts(sc: &Scenario, j: &[Value]) {
    let mut down: Vec<&str> = Vec::new();
    let mut sent = 0;
    for (i, ev) in j.iter().enumerate() {
        match kind(ev) {
            "agent_crashed" => down.push(s(ev, "agent")),
            "agent_revived" => down.retain(|a| *a != s(ev, "agent")),
            "broadcast_sent" => {
                let a = &sc.announcements[sent];
                assert_eq!(ev["t_ms"].as_u64(), Some(a.at_ms));
                let cap = ev["to"].get("capability").and_then(Value::as_str);
                let expected: Vec<&str> = sc
                    .agents
                    .iter()
                    .filter(|x| {
                        !down.contains(&x.id.as_str()) && cap.is_none_or(|c| x.capabilities.iter().any(|y| y == c))
                    })
                    .map(|x| x.id.as_str())
                    .collect();
                let got: Vec<&str> = ev["recipients"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
                assert_eq!(got, expected, "{ev}");
                for (k, r) in got.iter().enumerate() {
                    let m = &j[i + 1 + k];
                    assert_eq!(
                        (s(m, "type"), s(m, "to"), m["payload"]["text"].as_str()),
                        ("broadcast", *r, Some(a.text.as_str()))
                    );
                }
                sent += 1;
            }
            _ => {}
        }
    }
    assert_eq!(sent, sc.announcements.len(), "every announcement went out");
}

#[test]
fn team_scenarios_are_deterministic() {
    for name in TEAM_SCENARIOS {
        let sc = bundled(name);
        assert_eq!(journal_of(&sc).0, journal_of(&sc).0, "{name}");
    }
}
