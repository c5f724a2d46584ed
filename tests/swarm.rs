//! Swarm self-allocation from the outside: the bundled `swarm-foraging` scenario and random swarm
//! scenarios run headless, and the protocol's rules are checked from the journal's JSON lines
//! alone; bad `swarm` and `thresholds` input is located precisely.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::Value;
use switchyard::journal::JournalWriter;
use switchyard::protocols::swarm::engage_probability;
use switchyard::runtime::SimRun;
use switchyard::scenario::{
    self, AgentSpec, DurationDist, FaultAction, FaultSpec, Profile, Scenario, Strategy, TaskSpec, parse,
};

const FORAGING: &str = "scenarios/swarm-foraging.json";

fn journal(sc: Scenario) -> (SimRun, String) {
    let mut run = SimRun::new(sc);
    let mut writer = JournalWriter::new(Vec::new());
    run.run(&mut writer).unwrap();
    (run, String::from_utf8(writer.into_inner().unwrap()).unwrap())
}

fn lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("`{key}` in {v}"))
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("`{key}` in {v}"))
}

/// Checks every swarm rule on a journal; returns the claims per agent.
fn check_rules(sc: &Scenario, text: &str) -> BTreeMap<String, u32> {
    let cfg = &sc.swarm;
    let cap_of: BTreeMap<&str, &str> = sc.tasks.iter().map(|t| (t.id.as_str(), t.capability.as_str())).collect();
    let mut theta: BTreeMap<(String, String), f64> = BTreeMap::new();
    for a in &sc.agents {
        for c in &a.capabilities {
            let t = a.thresholds.get(c).copied().unwrap_or(cfg.initial_threshold);
            theta.insert((a.id.clone(), c.clone()), t);
        }
    }
    let mut posted: BTreeMap<String, u64> = BTreeMap::new();
    // Tasks claimed whose attempt has not ended yet.
    let mut running: BTreeSet<String> = BTreeSet::new();
    let mut claimed_by: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut claims: BTreeMap<String, u32> = BTreeMap::new();
    for v in lines(text) {
        let t = v["t_ms"].as_u64().unwrap();
        match s(&v, "kind") {
            "task_posted" => {
                assert!(posted.insert(s(&v, "task").into(), t).is_none(), "posted twice without a claim: {v}");
            }
            "task_claimed" => {
                let (task, agent) = (s(&v, "task").to_string(), s(&v, "agent").to_string());
                let since = posted.remove(&task).unwrap_or_else(|| panic!("claimed off the board: {v}"));
                assert!(running.insert(task.clone()), "claimed twice while running: {v}");
                let stimulus = cfg.stimulus_rate * (t - since) as f64 / cfg.tick_ms as f64;
                let th = theta[&(agent.clone(), cap_of[task.as_str()].to_string())];
                assert!((f(&v, "stimulus") - stimulus).abs() < 1e-9, "stimulus of {v} (posted at {since})");
                assert_eq!(f(&v, "threshold"), th, "threshold recorded before {v}");
                let p = engage_probability(stimulus, th);
                assert!((f(&v, "p") - p).abs() < 1e-12 && p > 0.0, "p of {v}: expected {p}");
                claimed_by.insert(task, (agent.clone(), t));
                *claims.entry(agent).or_default() += 1;
            }
            "claim_refused" => {
                let task = s(&v, "task");
                assert!(!posted.contains_key(task), "refused while still on the board: {v}");
                let (winner, at) = &claimed_by[task];
                assert_eq!((winner.as_str(), *at), (s(&v, "winner"), t), "{v}");
                assert_ne!(s(&v, "agent"), winner, "{v}");
            }
            "threshold_changed" => {
                let th = f(&v, "threshold");
                assert!((cfg.min_threshold..=cfg.max_threshold).contains(&th), "out of bounds: {v}");
                let old = theta.insert((s(&v, "agent").into(), s(&v, "capability").into()), th).unwrap();
                assert_ne!(old, th, "a change that changes nothing: {v}");
            }
            "task_assigned" if s(&v, "strategy") == "swarm" => {
                let (winner, at) = &claimed_by[s(&v, "task")];
                assert_eq!((winner.as_str(), *at), (s(&v, "agent"), t), "assigned to another than the claimant: {v}");
            }
            "task_assigned" => assert!(!posted.contains_key(s(&v, "task")), "{v}"),
            "attempt_succeeded" | "attempt_failed" | "attempt_timed_out" => {
                running.remove(s(&v, "task"));
            }
            "swarm_tick" => assert!(!posted.is_empty(), "a tick with nothing on the board at {t}"),
            _ => {}
        }
    }
    claims
}

#[test]
fn foraging_runs_by_the_rules_and_the_colony_specialises() {
    let sc = scenario::load(FORAGING.as_ref()).unwrap();
    let (run, text) = journal(sc.clone());
    let st = run.coordinator().state();
    assert_eq!(st.completed() as usize, sc.tasks.len(), "{:?}", st.finished());
    let claims = check_rules(&sc, &text);
    // Every attempt, first or not (a retry, a task taken back from the crashed ant), was claimed.
    let attempts = text.matches("\"kind\":\"attempt_started\"").count();
    assert_eq!(claims.values().sum::<u32>() as usize, attempts);
    assert!(attempts > sc.tasks.len() && st.reassignments() > 0, "ant-3 crashed under a task");
    assert!(text.contains("\"kind\":\"claim_refused\""), "simultaneous claims happen and are refused");
    // Specialists of both kinds emerge from identical generalists.
    let leaning = |a: usize| {
        let th: Vec<f64> = st.swarm().thresholds(switchyard::core::AgentId(a as u32)).map(|(_, t)| t).collect();
        th[0].partial_cmp(&th[1]).unwrap()
    };
    let leanings: BTreeSet<_> = (0..sc.agents.len()).map(leaning).collect();
    assert!(leanings.contains(&std::cmp::Ordering::Less) && leanings.contains(&std::cmp::Ordering::Greater));
}

#[test]
fn foraging_is_deterministic() {
    let sc = scenario::load(FORAGING.as_ref()).unwrap();
    let (_, a) = journal(sc.clone());
    let (_, b) = journal(sc.clone());
    assert_eq!(a, b);
    let mut other = sc;
    other.seed += 1;
    assert_ne!(journal(other).1, a, "the seed drives the draws");
}

fn agent(id: usize, caps: &[&str], max: u32, mean: f64, failure_rate: f64) -> AgentSpec {
    AgentSpec {
        id: format!("a{id}"),
        capabilities: caps.iter().map(|c| c.to_string()).collect(),
        max_concurrent: max,
        profile: Profile { duration_ms: DurationDist { mean, jitter: 0.3 }, failure_rate, ..Default::default() },
        ..Default::default()
    }
}

prop_compose! {
    fn arb_swarm()(
        seed in 0u64..1000,
        agents in prop::collection::vec((0usize..3, 1u32..3, 50.0f64..400.0, 0.0f64..0.3, prop::option::of(0.0f64..20.0)), 1..5),
        tasks in prop::collection::vec((0usize..2, prop::option::of(0usize..8), -1i64..2), 1..16),
        tick in 20u64..200,
        rate in 0.2f64..3.0,
        learn in 0.0f64..4.0,
        forget in 0.0f64..2.0,
        crash in prop::option::of((0usize..5, 0u64..1500)),
    ) -> Scenario {
        const CAPS: [&[&str]; 3] = [&["x"], &["y"], &["x", "y"]];
        let mut agents: Vec<AgentSpec> = agents
            .iter()
            .enumerate()
            .map(|(i, &(caps, max, mean, fail, th))| {
                let mut a = agent(i, CAPS[caps], max, mean, fail);
                if let Some(th) = th {
                    a.thresholds.insert(a.capabilities[0].clone(), th.clamp(1.0, 20.0));
                }
                a
            })
            .collect();
        // Someone can run each capability.
        agents.push(agent(agents.len(), &["x", "y"], 1, 100.0, 0.0));
        let tasks: Vec<TaskSpec> = tasks
            .iter()
            .enumerate()
            .map(|(i, &(cap, dep, priority))| TaskSpec {
                id: format!("t{i}").into(),
                capability: ["x", "y"][cap].into(),
                depends_on: dep.filter(|&d| d < i).map(|d| format!("t{d}").into()).into_iter().collect(),
                priority,
                timeout_ms: 2000,
                ..Default::default()
            })
            .collect();
        let mut sc = Scenario { name: "prop".into(), seed, allocation: Strategy::Swarm, heartbeat_ms: 200, agents, tasks, ..Default::default() };
        sc.swarm.tick_ms = tick;
        sc.swarm.stimulus_rate = rate;
        sc.swarm.learn = learn;
        sc.swarm.forget = forget;
        sc.swarm.max_threshold = 20.0;
        if let Some((a, at)) = crash {
            let id = sc.agents[a % sc.agents.len()].id.clone();
            sc.faults = vec![FaultSpec { at_ms: at, action: FaultAction::Crash(id) }];
        }
        sc.dep_index = scenario::DepIndex::resolve(&sc.tasks);
        sc
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every claim's p is the formula at the threshold the journal last recorded, no task is claimed
    /// twice while it runs, and every run ends.
    #[test]
    fn random_swarms_follow_the_rules(sc in arb_swarm()) {
        let (run, text) = journal(sc.clone());
        prop_assert!(run.coordinator().is_finished());
        check_rules(&sc, &text);
    }
}

fn parse_err(text: &str) -> Vec<String> {
    let e = parse("inline.json", text).expect_err("the text is invalid");
    e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect()
}

fn with(root: &str, agent: &str) -> String {
    format!(
        "{{\"name\": \"s\", \"allocation\": \"swarm\",{root}\n\"agents\": [{{\"id\": \"a\", \"capabilities\": [\"x\", \"y\"]{agent}}}],\n\"tasks\": [{{\"id\": \"t\", \"capability\": \"x\"}}]}}"
    )
}

#[test]
fn swarm_fields_parse_with_their_defaults() {
    let sc = parse("inline.json", &with("", "")).unwrap();
    assert_eq!(sc.allocation, Strategy::Swarm);
    assert_eq!(sc.swarm, scenario::SwarmConfig::default());
    assert_eq!((sc.swarm.tick_ms, sc.swarm.initial_threshold, sc.swarm.max_threshold), (100, 10.0, 50.0));
    let sc = parse("inline.json", &with("\"swarm\": {\"tick_ms\": 50, \"learn\": 0},", ", \"thresholds\": {\"y\": 3}"))
        .unwrap();
    assert_eq!((sc.swarm.tick_ms, sc.swarm.learn, sc.agents[0].thresholds["y"]), (50, 0.0, 3.0));
}

#[test]
fn bad_swarm_fields_are_located() {
    assert_eq!(
        parse_err(&with("\"swarm\": {\"tick_ms\": 0, \"stimulus_rate\": \"fast\", \"learn\": -1, \"tik_ms\": 5},", "")),
        [
            "1:58 swarm.tick_ms: must be ≥ 1, found 0",
            "1:78 swarm.stimulus_rate: expected a number, found string \"fast\"",
            "1:95 swarm.learn: must be ≥ 0, found -1",
            "1:99 swarm: unknown field \"tik_ms\" (expected one of: tick_ms, initial_threshold, stimulus_rate, learn, forget, min_threshold, max_threshold); did you mean `tick_ms`?",
        ]
    );
    assert_eq!(
        parse_err(&with("\"swarm\": {\"min_threshold\": 5, \"max_threshold\": 2},", "")),
        ["1:84 swarm.max_threshold: must be ≥ min_threshold (5), found 2"]
    );
    assert_eq!(
        parse_err(&with("\"swarm\": {\"initial_threshold\": 60},", "")),
        ["1:68 swarm.initial_threshold: must be within min_threshold..=max_threshold (1..=50), found 60"]
    );
    assert_eq!(parse_err(&with("\"swarm\": 3,", "")), ["1:46 swarm: expected an object, found number `3`"]);
}

#[test]
fn bad_thresholds_are_located() {
    assert_eq!(
        parse_err(&with("", ", \"thresholds\": {\"z\": 2, \"y\": 99, \"x\": \"low\"}")),
        [
            "2:72 agents[0].thresholds.z: agent `a` has no capability `z`",
            "2:80 agents[0].thresholds.y: must be within swarm.min_threshold..=max_threshold (1..=50), found 99",
            "2:89 agents[0].thresholds: expected a number for \"x\", found string \"low\"",
        ]
    );
    assert_eq!(
        parse_err(&with("", ", \"thresholds\": [1]")),
        ["2:66 agents[0].thresholds: expected an object (capability → threshold), found an array"]
    );
    assert_eq!(
        parse_err(&with("", ", \"thresholds\": {\"x\": 2, \"x\": 3}")),
        ["2:75 agents[0].thresholds: capability \"x\" is given twice"]
    );
}

#[test]
fn an_unknown_allocation_names_swarm_among_the_choices() {
    let text = with("", "").replace("\"swarm\"", "\"swram\"");
    let errs = parse_err(&text);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].contains("swarm") && errs[0].starts_with("1:29 allocation"), "{errs:?}");
}
