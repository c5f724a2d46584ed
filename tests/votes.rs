//! Decision tasks from the outside: the bundled consensus-release scenario and random ballots,
//! checked from the journal text alone — every `proposal_decided` follows the rule applied to its
//! ballot's `vote_cast` records, votes come only from reached voters, once each and before the
//! deadline, and the DAG takes exactly the branch the outcome says.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

use switchyard::core::Coordinator;
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::rng::SplitMix;
use switchyard::runtime::SimRun;
use switchyard::scenario::{self, AgentSpec, DecisionSpec, Profile, Scenario, TaskSpec, TieRule, Voters};

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

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// The rule as `scenarios/README.md` states it, written again from the text: no quorum ⇒ rejected;
/// else the yes share above / below the threshold approves / rejects, and exactly at it (or nobody
/// voting yes or no) is a tie for the tie rule. `None`: escalated to the operator.
fn rule(yes: f64, no: f64, abstain: f64, total: f64, threshold: f64, quorum: f64, tie: &str) -> Option<(&str, &str)> {
    let eps = 1e-9;
    if yes + no + abstain < quorum * total - eps * total.max(1.0) {
        return Some(("rejected", "no_quorum"));
    }
    let tied = yes + no <= eps || (yes / (yes + no) - threshold).abs() <= eps;
    if tied {
        return match tie {
            "approve" => Some(("approved", "tie")),
            "reject" => Some(("rejected", "tie")),
            _ => None,
        };
    }
    Some(if yes / (yes + no) > threshold { ("approved", "threshold") } else { ("rejected", "threshold") })
}

#[derive(Debug, Default)]
struct Ballot {
    voters: BTreeMap<String, f64>,
    unreached: BTreeSet<String>,
    threshold: f64,
    quorum: f64,
    tie: String,
    closes_ms: u64,
    votes: BTreeMap<String, (String, f64)>,
    asked: BTreeSet<String>,
    answered: BTreeSet<String>,
}

/// Checks every ballot of the journal; returns `(task, outcome, reason)` per decision made.
fn check_decisions(sc: &Scenario, journal: &[Value]) -> Result<Vec<(String, String, String)>, String> {
    let mut ballots: BTreeMap<String, Ballot> = BTreeMap::new();
    let mut decided = Vec::new();
    let mut states: BTreeMap<String, (String, Option<String>, Option<String>)> = BTreeMap::new();
    for e in journal {
        let t = e["t_ms"].as_u64().unwrap();
        match s(e, "kind") {
            "ballot_opened" => {
                let names = |k: &str| e[k].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string());
                let weights = e["weights"].as_array().unwrap().iter().map(|w| w.as_f64().unwrap());
                let b = Ballot {
                    voters: names("voters").zip(weights).collect(),
                    unreached: names("unreached").collect(),
                    threshold: f(e, "threshold"),
                    quorum: f(e, "quorum"),
                    tie: s(e, "tie").to_string(),
                    closes_ms: e["closes_ms"].as_u64().unwrap(),
                    ..Ballot::default()
                };
                ballots.insert(s(e, "task").to_string(), b);
            }
            "message_sent" if matches!(s(e, "type"), "ballot" | "vote") => {
                let b = ballots.get_mut(s(e, "task")).ok_or("a ballot message before its ballot_opened")?;
                let agent = s(e, "agent").to_string();
                if s(e, "type") == "ballot" {
                    if b.unreached.contains(&agent) || !b.voters.contains_key(&agent) {
                        return Err(format!("ballot sent to {agent}, not a reachable voter"));
                    }
                    b.asked.insert(agent);
                } else {
                    b.answered.insert(agent);
                }
            }
            "vote_cast" => {
                let task = s(e, "task");
                let b = ballots.get_mut(task).ok_or("a vote before its ballot")?;
                if s(e, "by") == "operator" {
                    b.votes.insert("operator".into(), (s(e, "choice").into(), 0.0));
                    continue;
                }
                let agent = s(e, "agent").to_string();
                if !b.asked.contains(&agent) || !b.answered.contains(&agent) {
                    return Err(format!("{task}: vote of {agent} without its ballot and vote messages"));
                }
                if b.voters.get(&agent) != Some(&f(e, "weight")) {
                    return Err(format!("{task}: {agent} voted with a weight not its own"));
                }
                if t > b.closes_ms {
                    return Err(format!("{task}: vote of {agent} after the deadline"));
                }
                if b.votes.insert(agent.clone(), (s(e, "choice").into(), f(e, "weight"))).is_some() {
                    return Err(format!("{task}: {agent} counted twice"));
                }
            }
            "proposal_decided" => {
                let task = s(e, "task").to_string();
                let b = &ballots[&task];
                let (outcome, reason) = (s(e, "outcome"), s(e, "reason"));
                if t > b.closes_ms && !matches!(reason, "operator" | "veto") {
                    return Err(format!("{task}: decided after its deadline"));
                }
                let sum =
                    |c: &str| b.votes.iter().filter(|(v, x)| *v != "operator" && x.0 == c).map(|(_, x)| x.1).sum();
                let (yes, no, abstain): (f64, f64, f64) = (sum("yes"), sum("no"), sum("abstain"));
                if (yes, no, abstain) != (f(e, "yes"), f(e, "no"), f(e, "abstain")) {
                    return Err(format!("{task}: the tally {yes}/{no}/{abstain} is not the one recorded: {e}"));
                }
                let total = b.voters.values().sum();
                let expected = match reason {
                    "operator" => Some((outcome, reason)),
                    "veto" => Some(("rejected", "veto")),
                    _ => rule(yes, no, abstain, total, b.threshold, b.quorum, &b.tie),
                };
                if expected != Some((outcome, reason)) {
                    return Err(format!("{task}: decided {outcome}/{reason}, the rule says {expected:?}: {e}"));
                }
                decided.push((task, outcome.to_string(), reason.to_string()));
            }
            "task_completed" | "task_failed" | "task_skipped" => {
                let reason = e.get("reason").and_then(Value::as_str).map(str::to_string);
                let cause = e.get("cause").and_then(Value::as_str).map(str::to_string);
                states.insert(s(e, "task").to_string(), (s(e, "kind").to_string(), reason, cause));
            }
            _ => {}
        }
    }
    // The branch taken: each decision's dependents end as its outcome says.
    for (task, outcome, _) in &decided {
        let spec = sc.tasks.iter().find(|t| t.id == *task).unwrap().extras().decision.as_deref().unwrap();
        for dep in sc.tasks.iter().filter(|t| t.depends_on.iter().any(|d| d == task)) {
            let on_reject = spec.on_reject.iter().any(|x| dep.id == *x);
            let got = states.get(dep.id.as_str()).cloned().unwrap_or_default();
            let skipped_as = |why: &str| got == ("task_skipped".into(), Some(why.into()), Some(task.clone()));
            let ok = match (outcome.as_str(), on_reject, spec.on_reject.is_empty()) {
                ("approved", true, _) => skipped_as("not_taken"),
                ("rejected", false, false) => skipped_as("rejected"),
                ("rejected", _, true) => skipped_as("upstream_failed"),
                // The branch taken runs (its agents never fail here).
                _ => got.0 == "task_completed",
            };
            if !ok {
                return Err(format!("{}: ended {got:?} after {task} was {outcome}", dep.id));
            }
        }
    }
    Ok(decided)
}

fn bundled() -> Scenario {
    scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/consensus-release.json")).unwrap()
}

#[test]
fn consensus_release_ships_v2_and_schedules_the_migration_for_later() {
    let sc = bundled();
    let (text, journal) = journal_of(&sc);
    let decided = check_decisions(&sc, &journal).unwrap();
    let by_task: BTreeMap<&str, (&str, &str)> =
        decided.iter().map(|(t, o, r)| (t.as_str(), (o.as_str(), r.as_str()))).collect();
    assert_eq!(by_task["release-vote"], ("approved", "threshold"));
    assert_eq!(by_task["migrate-vote"], ("rejected", "threshold"));
    // A close vote: the weighted yes (qa counts twice) beats one no.
    let release = journal.iter().find(|e| s(e, "kind") == "proposal_decided" && s(e, "task") == "release-vote");
    let release = release.unwrap();
    assert!(f(release, "no") > 0.0 && f(release, "yes") > f(release, "no"));
    // Four reviewers by capability, each asked.
    let opened = journal.iter().find(|e| s(e, "kind") == "ballot_opened" && s(e, "task") == "migrate-vote").unwrap();
    assert_eq!(opened["voters"], serde_json::json!(["qa", "ops", "lead", "dba"]));
    // Both declared branches were taken, so the run succeeded despite three skipped tasks.
    let last = journal.last().unwrap();
    assert_eq!((s(last, "outcome"), last["skipped"].as_u64()), ("succeeded", Some(3)));
    // The journal reads back and rebuilds the run.
    let events = read_journal(&sc, &text).unwrap();
    let mut run = SimRun::new(sc.clone());
    run.run(&mut Vec::new()).unwrap();
    assert_eq!(Coordinator::from_events(sc, &events).state().digest(), run.coordinator().state().digest());
}

#[test]
fn the_same_seed_gives_the_same_journal() {
    let sc = bundled();
    assert_eq!(journal_of(&sc).0, journal_of(&sc).0);
    let mut other = sc.clone();
    other.seed += 1;
    assert_ne!(journal_of(&sc).0, journal_of(&other).0);
}

#[test]
fn a_rejected_release_rolls_back_and_notifies() {
    // The same file with a sceptical qa: the release is rejected and the on_reject branch runs.
    let mut sc = bundled();
    for a in sc.agents.iter_mut().filter(|a| a.id == "qa" || a.id == "ops") {
        a.profile.approve_rate = 0.0;
        a.profile.abstain_rate = 0.0;
    }
    let (_, journal) = journal_of(&sc);
    let decided = check_decisions(&sc, &journal).unwrap();
    assert!(decided.contains(&("release-vote".into(), "rejected".into(), "threshold".into())));
    let skipped: Vec<(&str, &str)> = journal
        .iter()
        .filter(|e| s(e, "kind") == "task_skipped" && s(e, "cause") == "release-vote")
        .map(|e| (s(e, "task"), s(e, "message")))
        .collect();
    assert!(skipped.contains(&("deploy", "rejected by release-vote")));
    assert!(skipped.contains(&("announce", "rejected by release-vote")));
    assert_eq!(s(journal.last().unwrap(), "outcome"), "succeeded");
}

/// A random decision: `n` voters with random rates and weights (by id or all by capability),
/// random threshold, quorum, deadline and tie rule, gating a task and an `on_reject` branch.
fn random_ballot(seed: u64, n: usize) -> Scenario {
    let mut r = SplitMix::new(seed);
    let mut agents = vec![AgentSpec { id: "w".into(), capabilities: vec!["x".into()], ..Default::default() }];
    for i in 0..n {
        agents.push(AgentSpec {
            id: format!("v{i}"),
            capabilities: vec!["vote".into()],
            profile: Profile { approve_rate: r.unit(), abstain_rate: r.unit() * 0.5, ..Profile::default() },
            ..Default::default()
        });
    }
    let voters = if r.below(2) == 0 {
        Voters::Capability { capability: "vote".into() }
    } else {
        Voters::Agents((0..n).filter(|_| r.below(4) > 0).map(|i| format!("v{i}")).chain(["v0".into()]).collect())
    };
    let voters = match voters {
        Voters::Agents(mut ids) => {
            ids.sort();
            ids.dedup();
            Voters::Agents(ids)
        }
        v => v,
    };
    // Weights in quarters, so exact ties happen.
    let mut weights = BTreeMap::new();
    for i in 0..n {
        let (given, w) = (r.below(2) == 0, (1 + r.below(8)) as f64 / 4.0);
        let voter = match &voters {
            Voters::Agents(ids) => ids.contains(&format!("v{i}")),
            Voters::Capability { .. } => true,
        };
        if given && voter {
            weights.insert(format!("v{i}"), w);
        }
    }
    let tie = [TieRule::Reject, TieRule::Approve, TieRule::Escalate][r.below(3) as usize];
    let decision = DecisionSpec {
        proposal: "go?".into(),
        voters,
        weights,
        threshold: [0.0, 0.25, 0.5, 0.5, 2.0 / 3.0, 0.75, 1.0][r.below(7) as usize],
        quorum: [0.0, 0.5, 0.5, 0.75, 1.0][r.below(5) as usize],
        deadline_ms: 100 + r.below(200),
        tie,
        on_reject: if r.below(3) == 0 { Vec::new() } else { vec!["plan-b".into()] },
    };
    let task = |id: &str, deps: &[&str]| TaskSpec {
        id: id.into(),
        capability: "x".into(),
        depends_on: deps.iter().map(|&d| d.into()).collect(),
        ..Default::default()
    };
    // Without an alternative branch, plan-b is just another task.
    let plan_b = task("plan-b", if decision.on_reject.is_empty() { &[] } else { &["vote"] });
    let mut vote = task("vote", &["start"]);
    vote.capability.clear();
    vote.extras_mut().decision = Some(Box::new(decision));
    let mut faults = Vec::new();
    if r.below(3) == 0 {
        // A voter crashes around the time the ballot opens (before, or before it answers).
        let at = 900 + r.below(250);
        faults.push(scenario::FaultSpec {
            at_ms: at,
            action: scenario::FaultAction::Crash(format!("v{}", r.below(n as u64))),
        });
    }
    Scenario {
        name: "random-ballot".into(),
        seed,
        heartbeat_ms: 0,
        agents,
        tasks: vec![task("start", &[]), vote, task("go", &["vote"]), plan_b, task("end", &["go"])],
        faults,
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_decision_follows_the_rule_from_the_journal(seed in any::<u64>(), n in 1usize..7) {
        let sc = random_ballot(seed, n);
        let (text, journal) = journal_of(&sc);
        if let Err(e) = check_decisions(&sc, &journal) {
            prop_assert!(false, "seed {seed}, {n} voters: {e}");
        }
        let events = read_journal(&sc, &text).unwrap();
        let mut run = SimRun::new(sc.clone());
        run.run(&mut Vec::new()).unwrap();
        prop_assert_eq!(Coordinator::from_events(sc, &events).state().digest(), run.coordinator().state().digest());
    }
}

#[test]
fn the_random_ballots_reach_every_outcome() {
    // Guards the property above against passing vacuously.
    let mut seen = BTreeSet::new();
    for seed in 0..300 {
        let sc = random_ballot(seed, 1 + (seed % 6) as usize);
        let (_, journal) = journal_of(&sc);
        for (_, outcome, reason) in check_decisions(&sc, &journal).unwrap() {
            seen.insert(format!("{outcome}/{reason}"));
        }
        if journal.iter().any(|e| s(e, "kind") == "task_escalated") {
            seen.insert("escalated".into());
        }
    }
    for want in
        ["approved/threshold", "rejected/threshold", "rejected/no_quorum", "approved/tie", "rejected/tie", "escalated"]
    {
        assert!(seen.contains(want), "{want} never happened: {seen:?}");
    }
}

/// Problems of `text` as `LINE:COL PATH: MESSAGE`.
fn problems(text: &str) -> Vec<String> {
    let e = scenario::parse("inline.json", text).expect_err("the text is invalid");
    e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect()
}

/// A scenario whose third task is a decision `{DECISION}`, and whose fourth depends on it.
fn with_decision(decision: &str) -> String {
    format!(
        r#"{{"name": "d",
"agents": [{{"id": "qa", "capabilities": ["review"], "profile": {{"approve_rate": 0.5}}}},
           {{"id": "ops", "capabilities": ["review", "deploy"]}}],
"tasks": [{{"id": "build", "capability": "deploy"}},
          {{"id": "other", "capability": "deploy"}},
          {{"id": "vote", "depends_on": ["build"], "decision": {decision}}},
          {{"id": "rollback", "capability": "deploy", "depends_on": ["vote"]}}]}}"#
    )
}

#[test]
fn a_valid_decision_loads_with_its_defaults() {
    let sc = scenario::parse("inline.json", &with_decision(r#"{"proposal": "ship?", "voters": ["qa"]}"#)).unwrap();
    let d = sc.tasks[2].extras().decision.as_deref().unwrap();
    assert_eq!((d.threshold, d.quorum, d.deadline_ms, d.tie), (0.5, 0.5, 1000, TieRule::Reject));
    assert!(sc.tasks[2].capability.is_empty() && d.on_reject.is_empty() && d.weights.is_empty());
    assert_eq!((sc.agents[0].profile.approve_rate, sc.agents[0].profile.abstain_rate), (0.5, 0.1));
    assert_eq!((sc.agents[1].profile.approve_rate, sc.agents[1].profile.abstain_rate), (0.7, 0.1));
}

#[test]
fn decision_fields_of_the_wrong_type_or_out_of_range_are_located() {
    let d = r#"{"proposal": 3, "voters": "qa", "weights": {"qa": -1}, "threshold": 1.5, "quorum": "half",
                "deadline_ms": 0, "tie": "coin", "on_reject": "rollback", "color": 1}"#;
    assert_eq!(
        problems(&with_decision(d)),
        [
            "6:76 tasks[2].decision.proposal: expected a string, found number `3`",
            "6:89 tasks[2].decision.voters: expected an array of agent ids or {\"capability\": …}, found string \"qa\"",
            "6:113 tasks[2].decision.weights: must be > 0, found -1",
            "6:131 tasks[2].decision.threshold: must be between 0 and 1, found 1.5",
            "6:146 tasks[2].decision.quorum: expected a number, found string \"half\"",
            "7:32 tasks[2].decision.deadline_ms: must be ≥ 1, found 0",
            "7:42 tasks[2].decision.tie: unknown tie rule \"coin\" (expected one of: reject, approve, escalate)",
            "7:63 tasks[2].decision.on_reject: expected an array, found string \"rollback\"",
            "7:75 tasks[2].decision: unknown field \"color\" (expected one of: proposal, voters, weights, threshold, quorum, deadline_ms, tie, on_reject)",
        ]
    );
    assert_eq!(
        problems(&with_decision(r#"{"voters": []}"#)),
        [
            "6:63 tasks[2].decision: missing required field \"proposal\"",
            "6:74 tasks[2].decision.voters: at least one voter is required",
        ]
    );
    let bad_rate =
        with_decision(r#"{"proposal": "p", "voters": ["qa"]}"#).replace("0.5}", "1.2, \"abstain_rate\": -0.1}");
    assert_eq!(
        problems(&bad_rate),
        [
            "2:81 agents[0].profile.approve_rate: must be between 0 and 1, found 1.2",
            "2:102 agents[0].profile.abstain_rate: must be between 0 and 1, found -0.1",
        ]
    );
}

#[test]
fn decision_references_are_checked_against_agents_and_tasks() {
    let d = r#"{"proposal": "p", "voters": ["qa", "opz", "qa"], "weights": {"ops": 2, "qa": 1},
                "on_reject": ["rollbak", "other", "rollback", "rollback"]}"#;
    assert_eq!(
        problems(&with_decision(d)),
        [
            "6:98 tasks[2].decision.voters[1]: unknown agent `opz`; did you mean `ops`?",
            "6:105 tasks[2].decision.voters[2]: voter `qa` is listed more than once",
            "6:124 tasks[2].decision.weights: `ops` is not a voter of this decision, so it has no weight",
            "7:31 tasks[2].decision.on_reject[0]: unknown task `rollbak`; did you mean `rollback`?",
            "7:42 tasks[2].decision.on_reject[1]: task `other` does not depend on `vote`: an on_reject task must list the decision in depends_on",
            "7:63 tasks[2].decision.on_reject[3]: task `rollback` is listed more than once",
        ]
    );
    let by_cap = r#"{"proposal": "p", "voters": {"capability": "reviw"}, "weights": {"qa": 2}}"#;
    assert_eq!(
        problems(&with_decision(by_cap)),
        [
            "6:106 tasks[2].decision.voters.capability: no agent has capability `reviw`; did you mean `review`?",
            "6:128 tasks[2].decision.weights: `qa` is not a voter of this decision, so it has no weight",
        ]
    );
}

#[test]
fn a_decision_takes_no_capability_and_other_tasks_need_one() {
    let text = with_decision(r#"{"proposal": "p", "voters": ["qa"]}"#)
        .replace(r#""id": "vote","#, r#""id": "vote", "capability": "deploy","#)
        .replace(r#"{"id": "other", "capability": "deploy"}"#, r#"{"id": "other"}"#);
    assert_eq!(
        problems(&text),
        [
            "5:11 tasks[1]: missing required field \"capability\"",
            "6:40 tasks[2].capability: a decision task takes no capability: its voters decide it",
        ]
    );
}
