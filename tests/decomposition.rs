//! Dynamic decomposition, checked from the journal: a planner's subtasks join the running DAG
//! before its dependents are released, an invalid plan is rejected and adds nothing, a real
//! (process) planner's output is used, and runs with planners replay and repeat exactly.

#[path = "support/scratch.rs"]
mod scratch;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use switchyard::core::{Coordinator, Event};
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::runtime::{LiveOptions, LiveRun, SimRun};
use switchyard::scenario::{self, CompactString, Scenario};

const BUNDLED: &str = "scenarios/planner-decomposition.json";

fn load(path: &str) -> Scenario {
    scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// Runs headless; returns the journal text and lines, checking the read-back and the rebuild.
fn sim(sc: Scenario) -> (String, Vec<Value>) {
    let mut run = SimRun::new(sc);
    let mut sinks = (Vec::<Event>::new(), JournalWriter::new(Vec::new()));
    run.run(&mut sinks).unwrap();
    let (events, writer) = sinks;
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    check_round_trip(run.coordinator(), &events, &text);
    let lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (text, lines)
}

/// The journal reads back into the same events, and they rebuild the same coordinator — from the
/// grown scenario copy and from the scenario as loaded.
fn check_round_trip(c: &Coordinator, events: &[Event], text: &str) {
    let back = read_journal(c.scenario(), text).unwrap();
    assert_eq!(back, events);
    let rebuilt = Coordinator::from_events(c.scenario().clone(), &back);
    assert_eq!(rebuilt.state().digest(), c.state().digest());
    let mut first = c.scenario().clone();
    let started = events[0].kind.clone();
    let switchyard::core::EventKind::RunStarted { tasks, .. } = started else { panic!("{started:?}") };
    first.tasks.truncate(tasks as usize);
    assert_eq!(read_journal(&first, text).unwrap(), events);
    assert_eq!(Coordinator::from_events(first, &back).state().digest(), c.state().digest());
}

fn of_kind<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["kind"] == kind).collect()
}

/// Every task ends exactly once, and none starts an attempt before each of its dependencies (as
/// the scenario and every `tasks_added` say) completed.
fn check_order(sc: &Scenario, lines: &[Value]) {
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in &sc.tasks {
        deps.entry(t.id.to_string()).or_default().extend(t.depends_on.iter().map(|d| d.to_string()));
    }
    for added in of_kind(lines, "tasks_added") {
        for t in added["tasks"].as_array().unwrap() {
            deps.entry(t["id"].as_str().unwrap().to_string()).or_default();
        }
        for e in added["edges"].as_array().unwrap() {
            let (from, to) = (e[0].as_str().unwrap(), e[1].as_str().unwrap());
            deps.get_mut(to).unwrap_or_else(|| panic!("edge to unknown `{to}`")).insert(from.to_string());
        }
    }
    let mut ended: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    let mut completed: BTreeMap<&str, u64> = BTreeMap::new();
    for l in lines {
        let (kind, task, seq) = (l["kind"].as_str().unwrap(), l["task"].as_str(), l["seq"].as_u64().unwrap());
        if let ("task_completed" | "task_failed" | "task_skipped", Some(t)) = (kind, task) {
            ended.entry(t).or_insert((seq, 0)).1 += 1;
            if kind == "task_completed" {
                completed.insert(t, seq);
            }
        }
        if let ("attempt_started", Some(t)) = (kind, task) {
            for d in &deps[t] {
                assert!(completed.get(d.as_str()).is_some_and(|&c| c < seq), "`{t}` started before `{d}` completed");
            }
        }
    }
    assert_eq!(ended.len(), deps.len(), "every task ends");
    assert!(ended.values().all(|&(_, n)| n == 1), "every task ends once: {ended:?}");
}

#[test]
fn the_bundled_plan_joins_the_run_and_publish_waits_for_it() {
    let sc = load(BUNDLED);
    let (_, lines) = sim(sc.clone());
    check_order(&sc, &lines);
    assert_eq!(lines[0]["tasks"], 5);
    let added = of_kind(&lines, "tasks_added");
    assert_eq!(added.len(), 1);
    let added = added[0];
    assert_eq!(added["by"], "plan-report");
    let ids: Vec<&str> = added["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["research-market", "research-papers", "research-competitors", "write-report"]);
    assert!(added["edges"].as_array().unwrap().contains(&serde_json::json!(["write-report", "publish"])));
    // Between the planner's attempt_succeeded and its task_completed, at the same instant.
    let seq = added["seq"].as_u64().unwrap() as usize;
    assert_eq!(lines[seq - 1]["kind"], "attempt_succeeded");
    assert_eq!(lines[seq + 1]["kind"], "task_completed");
    assert_eq!(lines[seq + 1]["task"], "plan-report");
    assert_eq!(lines[seq - 1]["t_ms"], added["t_ms"]);
    // The rejected planner: every attempt names both problems; its branch fails.
    let rejected = of_kind(&lines, "decomposition_rejected");
    assert_eq!(rejected.len(), 2);
    for (i, r) in rejected.iter().enumerate() {
        assert_eq!(r["task"], "plan-appendix");
        assert_eq!(r["attempt"], i as u64 + 1);
        assert_eq!(
            r["errors"],
            serde_json::json!([
                "`translate`: no agent has capability `translation`",
                "`tables`: dependency cycle: tables -> charts -> tables"
            ])
        );
        let next = &lines[r["seq"].as_u64().unwrap() as usize + 1];
        assert_eq!(next["kind"], "attempt_failed");
        assert!(next["error"].as_str().unwrap().starts_with("invalid plan: `translate`"));
    }
    let last = lines.last().unwrap();
    assert_eq!((&last["completed"], &last["failed"], &last["skipped"]), (&7.into(), &1.into(), &1.into()));
}

#[test]
fn a_run_with_planners_repeats_byte_for_byte() {
    let (a, _) = sim(load(BUNDLED));
    let (b, _) = sim(load(BUNDLED));
    assert_eq!(a, b);
    let mut other = load(BUNDLED);
    other.seed += 1;
    assert_ne!(sim(other).0, a);
}

#[test]
fn the_plan_field_gets_precise_errors() {
    let doc = |plan: &str| {
        format!(
            r#"{{"name": "p", "agents": [{{"id": "a", "capabilities": ["x"]}}],
"tasks": [{{"id": "t", "capability": "x", "plan": {plan}}}]}}"#
        )
    };
    let err = |plan: &str| {
        let e = scenario::parse("p.json", &doc(plan)).expect_err("invalid");
        e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect::<Vec<_>>()
    };
    assert_eq!(err("3"), ["2:50 tasks[0].plan: expected an object, found number `3`"]);
    assert_eq!(err(r#"{"subtasks": {}}"#), ["2:63 tasks[0].plan.subtasks: expected an array, found an object"]);
    assert_eq!(err(r#"{"max_subtasks": 0}"#), ["2:67 tasks[0].plan.max_subtasks: must be ≥ 1, found 0"]);
    assert_eq!(
        err(r#"{"subtask": []}"#),
        [
            "2:51 tasks[0].plan: unknown field \"subtask\" (expected one of: subtasks, max_subtasks); did you mean `subtasks`?"
        ]
    );
    assert_eq!(
        err(r#"{"subtasks": [{"id": "s", "timeout_ms": "soon"}]}"#),
        [
            "2:64 tasks[0].plan.subtasks[0]: missing required field \"capability\"",
            "2:90 tasks[0].plan.subtasks[0].timeout_ms: expected an integer, found string \"soon\"",
        ]
    );
    let dup = err(r#"{"subtasks": [{"id": "s", "capability": "x"}, {"id": "s", "capability": "x"}]}"#);
    assert_eq!(dup, ["2:103 tasks[0].plan.subtasks[1].id: duplicate task id `s` (first defined at line 2, column 71)"]);
    // What relates a plan to the run (ids, dependencies, capabilities) is checked when it is produced.
    let later = doc(r#"{"subtasks": [{"id": "t", "capability": "nobody", "depends_on": ["nowhere"]}]}"#);
    let sc = scenario::parse("p.json", &later).expect("loads: checked at run time");
    let (_, lines) = sim(sc);
    let rejected = of_kind(&lines, "decomposition_rejected");
    assert_eq!(
        rejected[0]["errors"],
        serde_json::json!([
            "`t`: a task with this id is already in the run",
            "`t`: no agent has capability `nobody`",
            "`t`: depends on unknown task `nowhere`"
        ])
    );
}

fn assets() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").display().to_string()
}

#[test]
fn a_process_planners_output_grows_the_dag_and_a_bad_one_is_rejected() {
    let text = r#"{"name": "live-plan", "heartbeat_ms": 200,
      "agents": [{"id": "planner", "capabilities": ["plan", "research"], "max_concurrent": 2, "kind": "process",
                  "command": ["python3", "{assets}/agents/planner.py", "planner"]}],
      "tasks": [
        {"id": "plan", "capability": "plan", "description": "topics: rivers, lakes", "plan": {"max_subtasks": 5}},
        {"id": "report", "capability": "research", "depends_on": ["plan"]},
        {"id": "plan-bad", "capability": "plan", "description": "cycle", "retry": {"max_attempts": 1},
         "plan": {}}
      ]}"#;
    let sc = scenario::parse("live.json", &text.replace("{assets}", &assets())).unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (lines, sc) = rt.block_on(async {
        let opts = LiveOptions { hello_timeout: Duration::from_secs(10), grace: Duration::from_millis(500) };
        let mut run = LiveRun::new(sc, opts);
        let mut sinks = (Vec::<Event>::new(), JournalWriter::new(Vec::new()));
        run.start(&mut sinks).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !run.is_done() {
            run.turn(&mut sinks).await.unwrap();
            assert!(tokio::time::Instant::now() < deadline, "the run takes too long");
        }
        run.stop().await;
        let (events, writer) = sinks;
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        check_round_trip(run.coordinator(), &events, &text);
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        (lines, run.coordinator().scenario().clone())
    });
    check_order(&sc, &lines);
    let added = of_kind(&lines, "tasks_added");
    assert_eq!(added.len(), 1);
    let ids: Vec<&str> = added[0]["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["research-rivers", "research-lakes", "merge"]);
    // The task message told the process it plans, and how much it may add.
    let plan_out = lines.iter().find(|l| l["kind"] == "attempt_succeeded" && l["task"] == "plan").unwrap();
    assert_eq!(plan_out["output"]["limit"], 5);
    assert!(added[0]["edges"].as_array().unwrap().contains(&serde_json::json!(["merge", "report"])));
    // `report` gets every input it waited for: the planner's output and the merge.
    let request =
        lines.iter().find(|l| l["kind"] == "attempt_succeeded" && l["task"] == "report").unwrap_or_else(|| {
            panic!("report completes: {:#?}", lines.iter().filter(|l| l["task"] == "report").collect::<Vec<_>>())
        });
    assert_eq!(request["output"]["inputs"], serde_json::json!(["merge", "plan"]));
    let rejected = of_kind(&lines, "decomposition_rejected");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["errors"], serde_json::json!(["`left`: dependency cycle: left -> right -> left"]));
    let failed = of_kind(&lines, "task_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["task"], "plan-bad");
}

#[test]
fn the_report_shows_what_each_planner_added_or_why_it_was_rejected() {
    let mut run = SimRun::new(load(BUNDLED));
    run.run(&mut ()).unwrap();
    let report = switchyard::report::Report::build(run.coordinator());
    let json = serde_json::to_value(&report).unwrap();
    let d = &json["decomposition"];
    assert_eq!((&d["added"], &d["rejected"]), (&4.into(), &2.into()));
    assert_eq!(d["planners"][0]["task"], "plan-report");
    let added = serde_json::json!(["research-market", "research-papers", "research-competitors", "write-report"]);
    assert_eq!(d["planners"][0]["added"], added);
    assert_eq!(d["planners"][1]["state"], "failed");
    assert_eq!(d["planners"][1]["rejections"][1]["attempt"], 2);
    assert_eq!(json["counts"]["tasks"], 9, "added tasks count as tasks of the run");
    let table = report.table(50);
    assert!(table.contains("decomposition: 4 tasks added by 1 plans, 2 plans rejected"), "{table}");
    assert!(table.contains("planner plan-report added 4: research-market, research-papers"), "{table}");
    // A run without planners has no such section.
    let mut plain = SimRun::new(load("scenarios/research-pipeline.json"));
    plain.run(&mut ()).unwrap();
    let json = serde_json::to_value(switchyard::report::Report::build(plain.coordinator())).unwrap();
    assert!(json.get("decomposition").is_none());
}

/// A random run with planners whose plans fit the DAG by construction: subtasks depend on earlier
/// subtasks of their plan and on tasks before their planner (never downstream of it), some are
/// planners themselves, and agents fail, crash and come back. (A dependency may still have failed
/// by the time the plan comes, which rejects it.)
fn random_planned(seed: u64, n_tasks: usize) -> Scenario {
    use switchyard::rng::SplitMix;
    use switchyard::scenario::{
        AgentSpec, DurationDist, FaultAction, FaultSpec, PlanSpec, Profile, RetryPolicy, TaskSpec,
    };
    let mut r = SplitMix::new(seed);
    let caps = ["a", "b"];
    let agents: Vec<AgentSpec> = (0..3)
        .map(|i| AgentSpec {
            id: format!("agent-{i}"),
            capabilities: if i == 2 { vec!["a".into(), "b".into()] } else { vec![caps[i].into()] },
            max_concurrent: 1 + r.below(2) as u32,
            profile: Profile {
                duration_ms: DurationDist { mean: 50.0 + r.below(300) as f64, jitter: r.unit() },
                failure_rate: 0.3 * r.unit(),
                ..AgentSpec::default().profile
            },
            ..Default::default()
        })
        .collect();
    let mut next = 0;
    let mut task = |r: &mut SplitMix, prefix: &str, deps: Vec<CompactString>| {
        next += 1;
        TaskSpec {
            id: format!("{prefix}{next}").into(),
            capability: caps[r.below(2) as usize].into(),
            depends_on: deps,
            timeout_ms: 2_000,
            retry: RetryPolicy { max_attempts: 1 + r.below(3) as u32, backoff_ms: r.below(100), ..Default::default() },
            ..Default::default()
        }
    };
    let mut tasks: Vec<TaskSpec> = Vec::new();
    for _ in 0..n_tasks {
        let deps: Vec<CompactString> = tasks.iter().filter(|_| r.below(4) == 0).map(|t| t.id.clone()).take(3).collect();
        let mut t = task(&mut r, "t", deps);
        if r.below(3) == 0 {
            // Its plan may name any task before it, and earlier subtasks of its own.
            let before: Vec<CompactString> = tasks.iter().map(|t| t.id.clone()).collect();
            let mut subtasks: Vec<TaskSpec> = Vec::new();
            for _ in 0..1 + r.below(4) {
                let mut deps: Vec<CompactString> =
                    subtasks.iter().filter(|_| r.below(2) == 0).map(|s| s.id.clone()).collect();
                deps.extend(before.iter().filter(|_| r.below(6) == 0).cloned());
                let mut s = task(&mut r, "s", deps);
                if r.below(5) == 0 {
                    let nested = (0..1 + r.below(2)).map(|_| task(&mut r, "n", Vec::new())).collect();
                    s.extras_mut().plan = Some(Box::new(PlanSpec { subtasks: nested, max_subtasks: 3 }));
                }
                subtasks.push(s);
            }
            t.extras_mut().plan = Some(Box::new(PlanSpec { subtasks, max_subtasks: 4 }));
        }
        tasks.push(t);
    }
    let faults = (0..r.below(3))
        .flat_map(|_| {
            let (agent, at_ms) = (format!("agent-{}", r.below(3)), r.below(1500));
            [
                FaultSpec { at_ms, action: FaultAction::Crash(agent.clone()) },
                FaultSpec { at_ms: at_ms + 1 + r.below(500), action: FaultAction::Revive(agent) },
            ]
        })
        .collect::<Vec<_>>();
    let mut sc =
        Scenario { name: format!("planned-{seed}"), seed, heartbeat_ms: 200, agents, tasks, ..Default::default() };
    // Overlapping crash/revive pairs of one agent would not load: keep one pair per agent.
    let mut seen = BTreeSet::new();
    sc.faults = faults
        .chunks(2)
        .filter(|pair| seen.insert(format!("{:?}", pair[0].action)))
        .flat_map(|pair| pair.to_vec())
        .collect();
    sc
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    #[test]
    fn random_plans_keep_the_invariants(seed in proptest::prelude::any::<u64>(), n in 1usize..12) {
        let sc = random_planned(seed, n);
        let (_, lines) = sim(sc.clone());
        // The only way such a plan fails is a dependency that ended badly before the plan came.
        for r in of_kind(&lines, "decomposition_rejected") {
            let seq = r["seq"].as_u64().unwrap() as usize;
            for e in r["errors"].as_array().unwrap() {
                let e = e.as_str().unwrap();
                let dep = e.split('`').nth(3).unwrap_or_default();
                let ended = lines[..seq].iter().any(|l| {
                    l["task"] == dep && (l["kind"] == "task_failed" || l["kind"] == "task_skipped")
                });
                let why = e.ends_with("which has failed") || e.ends_with("which was skipped");
                proptest::prop_assert!(why && ended, "seed {seed}: {e}");
            }
        }
        proptest::prop_assert_eq!(&lines.last().unwrap()["kind"], "run_finished", "seed {}", seed);
        // Every planner that completed added its plan, nested ones included.
        let completed: BTreeSet<&str> =
            of_kind(&lines, "task_completed").iter().map(|l| l["task"].as_str().unwrap()).collect();
        let adders: BTreeSet<&str> = of_kind(&lines, "tasks_added").iter().map(|l| l["by"].as_str().unwrap()).collect();
        let planners_done: BTreeSet<&str> = sc.tasks.iter().filter(|t| t.extras().plan.is_some()).map(|t| t.id.as_str())
            .filter(|t| completed.contains(t)).collect();
        proptest::prop_assert!(planners_done.is_subset(&adders), "seed {seed}");
        check_order(&sc, &lines);
    }
}

#[test]
fn the_headless_summary_and_report_file_show_the_decomposition() {
    let dir = scratch::dir("plan");
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["run", BUNDLED, "--headless", "--report"])
        .arg(&report)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "the run fails by design (the rejected branch):\n{stdout}");
    assert!(stdout.contains("decomposition: 4 tasks added by 1 plans, 2 plans rejected"), "{stdout}");
    assert!(stdout.contains("planner plan-appendix plan rejected 2× (failed): `translate`"), "{stdout}");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["decomposition"]["added"], 4);
    std::fs::remove_dir_all(&dir).unwrap();
}
