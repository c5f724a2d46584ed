//! Escalation ladders from the outside: the bundled escalation-ladder scenario walks one task up
//! every tier to the inbox and its SLA, heals the others on lower tiers, and says so in its journal
//! and report; bad `escalation` fields get the scenario format's precise errors.

use serde_json::Value;
use switchyard::core::Coordinator;
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::report::Report;
use switchyard::runtime::SimRun;
use switchyard::scenario::{self, Expiry, Target, Tier, parse};

fn journal(path: &str) -> (SimRun, String, Vec<Value>) {
    let sc = scenario::load(std::path::Path::new(path)).unwrap();
    let mut run = SimRun::new(sc);
    let mut w = JournalWriter::new(Vec::new());
    run.run(&mut w).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (run, text, lines)
}

#[test]
fn the_archive_walks_every_tier_to_the_inbox_and_its_sla_skips_it() {
    let (run, text, lines) = journal("scenarios/escalation-ladder.json");
    let of = |kind: &str, task: &str| -> Vec<&Value> {
        lines.iter().filter(|v| v["kind"] == kind && v["task"] == task).collect()
    };
    let archive = "ingest-archive";
    let tiers: Vec<&str> = of("tier_entered", archive).iter().map(|v| v["tier"].as_str().unwrap()).collect();
    assert_eq!(tiers, ["retry", "other_agent", "fallback", "escalate_to", "inbox"]);
    // One attempt per tier, each on the agent its tier calls for.
    let agents: Vec<&str> = of("attempt_started", archive).iter().map(|v| v["agent"].as_str().unwrap()).collect();
    assert_eq!(agents.len(), 5, "{agents:?}");
    assert!(agents[..3].iter().all(|a| a.starts_with("ingest-")));
    assert_ne!(agents[2], agents[0], "other_agent avoids the agents that failed it");
    assert_ne!(agents[2], agents[1]);
    assert_eq!(&agents[3..], ["legacy", "senior"]);
    assert_eq!(of("attempt_timed_out", archive).len(), 5);

    let esc = of("task_escalated", archive);
    assert_eq!(esc.len(), 1);
    assert_eq!((esc[0]["origin"].as_str(), esc[0]["sla_ms"].as_u64()), (Some("ladder"), Some(3000)));
    assert_eq!(esc[0]["tiers"], serde_json::json!(["retry", "other_agent", "fallback", "escalate_to"]));
    let history = esc[0]["history"].as_array().unwrap();
    let tried: Vec<&str> = history.iter().map(|h| h["agent"].as_str().unwrap()).collect();
    assert_eq!(tried, agents);
    assert!(history.iter().all(|h| h["outcome"] == "timed_out"));

    let expired = of("inbox_sla_expired", archive);
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["action"], "skip");
    assert_eq!(expired[0]["t_ms"].as_u64().unwrap(), esc[0]["t_ms"].as_u64().unwrap() + 3000);
    let skipped = of("task_skipped", archive);
    assert_eq!(skipped[0]["seq"].as_u64().unwrap(), expired[0]["seq"].as_u64().unwrap() + 1);
    assert_eq!(of("task_skipped", "index-archive")[0]["cause"], archive);

    // The rest healed without a human, on lower tiers.
    assert_eq!(of("tier_entered", "render-report").last().unwrap()["tier"], "fallback");
    assert_eq!(of("task_completed", "render-report")[0]["agent"], "lite-renderer");
    assert_eq!(of("tier_entered", "sign-report")[0]["tier"], "escalate_to");
    assert_eq!(of("task_completed", "sign-report")[0]["agent"], "senior");
    assert_eq!(of("task_completed", "publish").len(), 1);

    let report = Report::build(run.coordinator());
    let r = &report.recovery;
    assert_eq!(r.escalated, 1);
    assert_eq!(r.recovered, r.tasks_hit - 1, "all but the archive healed: {r:?}");
    let t = &r.by_tier;
    assert_eq!(t.retry + t.other_agent + t.fallback + t.escalate_to, r.recovered);
    assert!(t.retry > 0 && t.other_agent > 0 && t.fallback >= 1 && t.escalate_to == 1, "{r:?}");
    let reason = report.tasks.iter().find(|t| t.id == archive).unwrap().reason.clone();
    assert_eq!(reason.as_deref(), Some("skipped when its inbox SLA expired"));

    // The journal reads back into the same run.
    let sc = run.coordinator().scenario().clone();
    let events = read_journal(&sc, &text).unwrap();
    let rebuilt = Coordinator::from_events(sc, &events);
    assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
}

#[test]
fn without_escalation_the_journal_has_no_ladder_events() {
    let (_, _, lines) = journal("scenarios/crash-storm.json");
    assert!(!lines.iter().any(|v| v["kind"] == "tier_entered" || v["kind"] == "inbox_sla_expired"));
}

const AGENTS: &str = r#"[{"id": "a", "capabilities": ["x"]}, {"id": "senior", "capabilities": ["y"]}]"#;

fn with(escalation: &str, task_escalation: &str) -> String {
    format!(
        r#"{{"name": "e", "agents": {AGENTS}, "escalation": {escalation},
            "tasks": [{{"id": "t", "capability": "x"{task_escalation}}}]}}"#
    )
}

#[test]
fn escalation_parses_at_the_root_and_per_task() {
    let sc = parse(
        "ok.json",
        &with(
            r#"[{"tier": "retry"}, {"tier": "other_agent", "limit": 2}, {"tier": "fallback", "capability": "y"},
                {"tier": "fallback", "agent": "senior"}, {"tier": "escalate_to", "agent": "senior", "limit": 1},
                {"tier": "inbox", "sla_ms": 500, "on_expiry": "retry"}]"#,
            r#", "escalation": [{"tier": "inbox"}]"#,
        ),
    )
    .unwrap();
    assert_eq!(
        sc.escalation,
        [
            Tier::Retry { limit: None },
            Tier::OtherAgent { limit: Some(2) },
            Tier::Fallback { target: Target::Capability("y".into()), limit: None },
            Tier::Fallback { target: Target::Agent("senior".into()), limit: None },
            Tier::EscalateTo { agent: "senior".into(), limit: Some(1) },
            Tier::Inbox { sla_ms: Some(500), on_expiry: Expiry::Retry },
        ]
    );
    assert_eq!(
        sc.tasks[0].extras().escalation.as_deref(),
        Some(&[Tier::Inbox { sla_ms: None, on_expiry: Expiry::Wait }][..])
    );
    // Written back by `gen`'s writer (serde), it loads unchanged.
    let again = parse("again.json", &serde_json::to_string(&sc).unwrap()).unwrap();
    assert_eq!(again, sc);
}

fn problems(escalation: &str, task_escalation: &str) -> Vec<String> {
    let err = parse("bad.json", &with(escalation, task_escalation)).unwrap_err();
    err.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect()
}

#[test]
fn bad_tiers_are_reported_at_the_tier_or_its_field() {
    let p = problems(
        r#"[{"tier": "retyr"}, {"tier": "retry", "limit": 0}, {"tier": "other_agent", "agent": "a"},
            {"tier": "inbox", "on_expiry": "later", "sla_ms": 5}, {"tier": "fallback"}, {"limit": 1}, "retry",
            {"tier": 3}, {"tier": "inbox", "sla_ms": -1}]"#,
        "",
    );
    assert_eq!(
        p,
        [
            "escalation[0].tier: unknown tier \"retyr\" (expected one of: retry, other_agent, fallback, escalate_to, \
             inbox); did you mean `retry`?",
            "escalation[1].limit: must be ≥ 1, found 0",
            "escalation[2].agent: field \"agent\" does not apply to tier \"other_agent\"",
            "escalation[3]: the inbox tier must be the last one",
            "escalation[3].on_expiry: unknown on_expiry action \"later\" (expected one of: retry, skip, fail, wait)",
            "escalation[4]: a fallback tier takes exactly one of \"capability\" or \"agent\"",
            "escalation[5]: missing required field \"tier\"",
            "escalation[6]: expected an object, found string \"retry\"",
            "escalation[7].tier: expected a string, found number `3`",
            "escalation[8].sla_ms: must be ≥ 1, found -1",
        ],
        "{p:#?}"
    );
}

#[test]
fn tiers_name_known_agents_and_capabilities() {
    let p = problems(
        r#"[{"tier": "escalate_to", "agent": "senoir"}, {"tier": "fallback", "capability": "z"}]"#,
        r#", "escalation": [{"tier": "fallback", "agent": "b"}, {"tier": "escalate_to"},
            {"tier": "inbox", "on_expiry": "fail"}]"#,
    );
    assert_eq!(
        p,
        [
            "escalation[0].agent: unknown agent `senoir`; did you mean `senior`?",
            "escalation[1].capability: no agent has capability `z`",
            "tasks[0].escalation[0].agent: unknown agent `b`",
            "tasks[0].escalation[1]: an escalate_to tier needs \"agent\"",
            "tasks[0].escalation[2].on_expiry: \"on_expiry\" needs \"sla_ms\" (without an SLA nothing expires)",
        ],
        "{p:#?}"
    );
    let p = problems(r#"{"tier": "retry"}"#, r#", "escalation": [{"tier": "retry", "capability": "x"}]"#);
    assert_eq!(
        p,
        [
            "escalation: expected an array, found an object",
            "tasks[0].escalation[0].capability: field \"capability\" does not apply to tier \"retry\"",
        ]
    );
}

mod random {
    //! Random scenarios with random ladders: every run's journal reads back into the same
    //! coordinator, and each tier sends attempts only where it should, no more than its limit.

    use std::collections::{HashMap, HashSet};

    use proptest::prelude::*;
    use serde_json::Value;
    use switchyard::core::Coordinator;
    use switchyard::journal::{JournalWriter, read_journal};
    use switchyard::rng::SplitMix;
    use switchyard::runtime::SimRun;
    use switchyard::scenario::{
        AgentSpec, DurationDist, Expiry, FaultAction, FaultSpec, Profile, RetryPolicy, Scenario, Strategy, Target,
        TaskExtras, TaskSpec, Tier,
    };

    fn ladder(r: &mut SplitMix, n_agents: usize) -> Vec<Tier> {
        let limit = |r: &mut SplitMix| [None, Some(1), Some(2)][r.below(3) as usize];
        let mut tiers = Vec::new();
        for _ in 0..1 + r.below(4) {
            let agent = format!("agent-{}", r.below(n_agents as u64));
            tiers.push(match r.below(5) {
                0 => Tier::Retry { limit: limit(r) },
                1 => Tier::OtherAgent { limit: limit(r) },
                2 => Tier::Fallback {
                    target: Target::Capability(["a", "b"][r.below(2) as usize].into()),
                    limit: limit(r),
                },
                3 => Tier::Fallback { target: Target::Agent(agent), limit: limit(r) },
                _ => Tier::EscalateTo { agent, limit: limit(r) },
            });
        }
        if r.below(2) == 0 {
            // No `retry` on expiry: a headless run of always-failing work would never end.
            let on_expiry = [Expiry::Skip, Expiry::Fail, Expiry::Wait][r.below(3) as usize];
            tiers.push(Tier::Inbox { sla_ms: Some(1 + r.below(2_000)), on_expiry });
        }
        tiers
    }

    fn scenario(seed: u64) -> Scenario {
        let mut r = SplitMix::new(seed);
        let n_agents = 2 + r.below(4) as usize;
        let agents: Vec<AgentSpec> = (0..n_agents)
            .map(|i| AgentSpec {
                id: format!("agent-{i}"),
                // agent-0 can do `a` and agent-1 `b`, so every capability has someone.
                capabilities: match i {
                    0 => vec!["a".into()],
                    1 => vec!["b".into()],
                    _ => ["a", "b"]
                        .iter()
                        .filter(|_| r.below(2) == 0)
                        .map(|s| s.to_string())
                        .chain(["c".into()])
                        .collect(),
                },
                max_concurrent: 1 + r.below(2) as u32,
                cost: 1.0,
                performance: 0.5 + 0.5 * r.unit(),
                profile: Profile {
                    duration_ms: DurationDist { mean: 50.0 + r.below(300) as f64, jitter: r.unit() * 0.5 },
                    failure_rate: 0.8 * r.unit(),
                    ..Default::default()
                },
                ..Default::default()
            })
            .collect();
        let n_tasks = 1 + r.below(15) as usize;
        let tasks = (0..n_tasks)
            .map(|i| TaskSpec {
                id: format!("t{i}").into(),
                capability: ["a", "b"][r.below(2) as usize].into(),
                depends_on: (0..i).filter(|_| r.below(6) == 0).map(|d| format!("t{d}").into()).collect(),
                priority: r.below(3) as i64,
                timeout_ms: 100 + r.below(800),
                retry: RetryPolicy {
                    max_attempts: 1 + r.below(3) as u32,
                    backoff_ms: r.below(100),
                    ..Default::default()
                },
                allocation: [None, Some(Strategy::BestScore), Some(Strategy::RoundRobin)][r.below(3) as usize],
                work: 0.5 + r.unit(),
                extras: match r.below(3) {
                    0 => Some(ladder(&mut r, n_agents).into_boxed_slice()),
                    1 => Some(Box::<[Tier]>::from([])),
                    _ => None,
                }
                .map(|escalation| Box::new(TaskExtras { escalation: Some(escalation), ..Default::default() })),
                ..Default::default()
            })
            .collect();
        let faults = (0..r.below(3))
            .flat_map(|_| {
                let agent = format!("agent-{}", r.below(n_agents as u64));
                let at_ms = r.below(2_000);
                [
                    FaultSpec { at_ms, action: FaultAction::Crash(agent.clone()) },
                    FaultSpec { at_ms: at_ms + 1 + r.below(2_000), action: FaultAction::Revive(agent) },
                ]
            })
            .collect();
        let escalation = ladder(&mut r, n_agents);
        Scenario {
            name: format!("ladder-{seed}"),
            seed,
            allocation: Strategy::LeastLoaded,
            heartbeat_ms: 0,
            agents,
            tasks,
            faults,
            escalation,
            ..Default::default()
        }
    }

    /// The agents each tier of `task` may send attempts to (`None`: any capable one).
    fn allowed(sc: &Scenario, tier: &Tier) -> Option<Vec<String>> {
        match tier {
            Tier::Fallback { target: Target::Capability(c), .. } => {
                Some(sc.agents.iter().filter(|a| a.capabilities.contains(c)).map(|a| a.id.clone()).collect())
            }
            Tier::Fallback { target: Target::Agent(a), .. } | Tier::EscalateTo { agent: a, .. } => {
                Some(vec![a.clone()])
            }
            _ => None,
        }
    }

    fn check(sc: &Scenario, journal: &[Value]) -> Result<(), String> {
        // Per task: current level, attempts in it, agents that failed it.
        let mut level: HashMap<&str, Option<usize>> = HashMap::new();
        let mut used: HashMap<&str, u32> = HashMap::new();
        let mut failed: HashMap<&str, HashSet<&str>> = HashMap::new();
        let ladder_of = |task: &str| {
            let t = sc.tasks.iter().find(|t| t.id == task).unwrap();
            (t.extras().escalation.as_deref().unwrap_or(&sc.escalation), t)
        };
        for ev in journal {
            let task = ev["task"].as_str().unwrap_or("");
            match ev["kind"].as_str().unwrap() {
                "tier_entered" => {
                    let l = ev["level"].as_u64().unwrap() as usize;
                    if level.get(task).copied().flatten().is_some_and(|prev| prev >= l) {
                        return Err(format!("{task}: tier {l} after tier {:?}", level[task]));
                    }
                    let (tiers, spec) = ladder_of(task);
                    if tiers[l].name().name() != ev["tier"] || tiers[l].limit(&spec.retry) as u64 != ev["limit"] {
                        return Err(format!("{task}: tier_entered {ev} does not match {:?}", tiers[l]));
                    }
                    level.insert(task, Some(l));
                    used.insert(task, 0);
                }
                "task_reopened" => {
                    level.insert(task, None);
                }
                "attempt_started" => {
                    let agent = ev["agent"].as_str().unwrap();
                    let Some(Some(l)) = level.get(task).copied() else { continue };
                    let (tiers, spec) = ladder_of(task);
                    let n = used.entry(task).or_default();
                    *n += 1;
                    if *n > tiers[l].limit(&spec.retry) {
                        return Err(format!("{task}: {n} attempts in tier {l} ({:?})", tiers[l]));
                    }
                    if let Some(ok) = allowed(sc, &tiers[l])
                        && !ok.iter().any(|a| a == agent)
                    {
                        return Err(format!("{task}: tier {:?} ran on {agent}", tiers[l]));
                    }
                    if matches!(tiers[l], Tier::OtherAgent { .. })
                        && failed.get(task).is_some_and(|f| f.contains(agent))
                    {
                        return Err(format!("{task}: other_agent went back to {agent}, which failed it"));
                    }
                }
                "attempt_failed" | "attempt_timed_out" => {
                    failed.entry(task).or_default().insert(ev["agent"].as_str().unwrap());
                }
                _ => {}
            }
        }
        Ok(())
    }

    #[test]
    fn random_ladders_do_climb_and_the_checker_notices_a_wrong_agent() {
        let mut kinds: HashMap<String, usize> = HashMap::new();
        let mut tampered = 0;
        for seed in 0..60 {
            let sc = scenario(seed);
            let mut run = SimRun::new(sc.clone());
            let mut w = JournalWriter::new(Vec::new());
            run.run(&mut w).unwrap();
            let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
            let mut journal: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            for v in &journal {
                *kinds.entry(v["kind"].as_str().unwrap().to_string()).or_default() += 1;
            }
            // Move an escalate_to attempt to another agent: the checker must object.
            let target = journal.iter().position(|v| v["kind"] == "tier_entered" && v["tier"] == "escalate_to");
            if let Some(i) = target {
                let task = journal[i]["task"].clone();
                if let Some(j) =
                    (i..journal.len()).find(|&j| journal[j]["kind"] == "attempt_started" && journal[j]["task"] == task)
                {
                    journal[j]["agent"] = Value::from("nobody");
                    assert!(check(&sc, &journal).is_err(), "seed {seed}");
                    tampered += 1;
                }
            }
        }
        for kind in ["tier_entered", "task_escalated", "inbox_sla_expired", "task_reassigned"] {
            assert!(kinds.get(kind).copied().unwrap_or(0) > 0, "no {kind} in 60 runs: {kinds:?}");
        }
        assert!(tampered > 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn random_ladders_keep_their_tiers_and_replay_exactly(seed in any::<u64>()) {
            let sc = scenario(seed);
            let mut run = SimRun::new(sc.clone());
            let mut w = JournalWriter::new(Vec::new());
            run.run(&mut w).unwrap();
            prop_assert!(run.coordinator().is_finished());
            let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
            let journal: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            if let Err(e) = check(&sc, &journal) {
                prop_assert!(false, "seed {seed}: {e}");
            }
            let events = read_journal(&sc, &text).unwrap();
            let rebuilt = Coordinator::from_events(sc, &events);
            prop_assert_eq!(rebuilt.state().digest(), run.coordinator().state().digest());
        }
    }
}
