//! Dynamic decomposition, checked from the journal: a planner's subtasks join the running DAG
//! before its dependents are released, an invalid plan is rejected and adds nothing, a real
//! (process) planner's output is used, and runs with planners replay and repeat exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use switchyard::core::{Coordinator, Event};
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::runtime::{LiveOptions, LiveRun, SimRun};
use switchyard::scenario::{self, Scenario};

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
        deps.entry(t.id.clone()).or_default().extend(t.depends_on.iter().cloned());
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
