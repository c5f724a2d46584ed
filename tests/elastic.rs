//! Elastic teams from the outside: the bundled `elastic-team` scenario runs headless and its rules
//! are checked from the journal's JSON lines alone; bad `templates` input is located precisely.

use std::collections::BTreeMap;

use serde_json::Value;
use switchyard::journal::JournalWriter;
use switchyard::runtime::SimRun;
use switchyard::scenario::{self, Scenario, parse};

const ELASTIC: &str = "scenarios/elastic-team.json";

fn journal(sc: Scenario) -> (SimRun, String) {
    let mut run = SimRun::new(sc);
    let mut writer = JournalWriter::new(Vec::new());
    run.run(&mut writer).unwrap();
    (run, String::from_utf8(writer.into_inner().unwrap()).unwrap())
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("`{key}` in {v}"))
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("`{key}` in {v}"))
}

#[test]
fn the_team_grows_under_the_burst_shrinks_when_idle_and_grows_again() {
    let sc = scenario::load(ELASTIC.as_ref()).unwrap();
    let t = &sc.templates[0];
    let (run, text) = journal(sc.clone());
    assert_eq!(run.coordinator().state().completed() as usize, sc.tasks.len());
    let mut ready_at: BTreeMap<String, u64> = BTreeMap::new();
    // Created agents in the team, with the instant they last became idle (None while working).
    let mut team: BTreeMap<String, Option<u64>> = BTreeMap::new();
    let (mut created, mut retired, mut recreated) = (0, 0, 0);
    let mut ever: Vec<String> = Vec::new();
    for v in text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()) {
        let at = n(&v, "t_ms");
        match s(&v, "kind") {
            "task_ready" => drop(ready_at.insert(s(&v, "task").into(), at)),
            "agent_created" => {
                let (agent, task) = (s(&v, "agent").to_string(), s(&v, "task"));
                assert_eq!(s(&v, "template"), t.id);
                assert!(agent.starts_with("coder-"));
                // Created exactly when the task had waited spawn_after_ms, not before.
                assert_eq!((n(&v, "waited_ms"), at - ready_at[task]), (t.spawn_after_ms, t.spawn_after_ms), "{v}");
                assert!(team.insert(agent.clone(), Some(at)).is_none(), "created twice: {v}");
                assert!(team.len() as u32 <= t.max, "more than max at once: {v}");
                recreated += ever.contains(&agent) as u32;
                ever.push(agent);
                created += 1;
            }
            "agent_retired" => {
                let agent = s(&v, "agent");
                let idle = team.remove(agent).unwrap_or_else(|| panic!("retired but not in the team: {v}"));
                let since = idle.unwrap_or_else(|| panic!("retired while working: {v}"));
                assert_eq!((n(&v, "idle_ms"), at - since), (t.retire_after_ms, t.retire_after_ms), "{v}");
                retired += 1;
            }
            "task_assigned" => {
                let agent = s(&v, "agent");
                if agent.starts_with("coder-") {
                    assert!(team.insert(agent.into(), None).is_some(), "work for an agent not in the team: {v}");
                }
            }
            "attempt_succeeded" | "attempt_failed" | "attempt_timed_out" => {
                if let Some(idle) = team.get_mut(s(&v, "agent")) {
                    *idle = Some(at);
                }
            }
            "heartbeat" => {}
            "message_sent" if s(&v, "type") == "heartbeat" => {
                let from = s(&v, "from");
                assert!(!from.starts_with("coder-") || team.contains_key(from), "an absent slot heartbeats: {v}");
            }
            "agent_crashed" | "agent_lost" => panic!("nobody crashes in this scenario: {v}"),
            _ => {}
        }
    }
    assert_eq!(created, 6, "three coders in each burst");
    assert!(retired >= 5 && recreated == 3, "retired {retired}, created again {recreated}");
    let report = switchyard::report::Report::build(run.coordinator());
    let e = report.elastic.as_ref().expect("an elastic section");
    assert_eq!((e.created, e.retired, e.peak), (6, retired, 3));
    assert!(report.table(40).contains("elastic team: 6 agents created from templates"));
}

#[test]
fn elastic_team_is_deterministic() {
    let sc = scenario::load(ELASTIC.as_ref()).unwrap();
    assert_eq!(journal(sc.clone()).1, journal(sc).1);
}

fn parse_err(text: &str) -> Vec<String> {
    let e = parse("inline.json", text).expect_err("the text is invalid");
    e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect()
}

fn with(templates: &str) -> String {
    format!(
        "{{\"name\": \"e\", \"agents\": [{{\"id\": \"a\", \"capabilities\": [\"x\"]}}, {{\"id\": \"c-2\", \"capabilities\": [\"y\"]}}],\n\"templates\": {templates},\n\"tasks\": [{{\"id\": \"t\", \"capability\": \"x\"}}]}}"
    )
}

#[test]
fn templates_expand_into_absent_slots_and_write_back_as_templates() {
    let sc =
        parse("inline.json", &with(r#"[{"id": "w", "capabilities": ["x"], "max": 2, "spawn_after_ms": 50}]"#)).unwrap();
    let ids: Vec<&str> = sc.agents.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["a", "c-2", "w-1", "w-2"]);
    assert_eq!(sc.agents[2].template, Some(0));
    assert_eq!((sc.templates[0].spawn_after_ms, sc.templates[0].retire_after_ms), (50, 5000));
    // Written back: the declared agents and the template, never the slots.
    let text = serde_json::to_string(&sc).unwrap();
    assert!(!text.contains("w-1") && text.contains("\"templates\""));
    assert_eq!(parse("again.json", &text).unwrap(), sc);
    let mut out = Vec::new();
    switchyard::generate::write_json(&sc, &mut out).unwrap();
    assert_eq!(parse("gen.json", std::str::from_utf8(&out).unwrap()).unwrap(), sc);
}

#[test]
fn bad_templates_are_located() {
    assert_eq!(
        parse_err(&with(r#"[{"id": "c", "capabilities": ["y"], "max": 3}]"#)),
        ["2:22 templates[0].id: template `c` would create agent `c-2`, but an agent already has that id"]
    );
    assert_eq!(
        parse_err(&with(
            r#"[{"id": "w", "capabilities": ["x"], "max": 0, "retire_after_ms": "soon", "spwan_after_ms": 1}]"#
        )),
        [
            "2:57 templates[0].max: must be ≥ 1, found 0",
            "2:79 templates[0].retire_after_ms: expected an integer, found string \"soon\"",
            "2:87 templates[0]: unknown field \"spwan_after_ms\" (expected one of: id, capabilities, specializations, max_concurrent, cost, performance, profile, max, spawn_after_ms, retire_after_ms); did you mean `spawn_after_ms`?",
        ]
    );
    assert_eq!(
        parse_err(&with(r#"[{"id": "w", "capabilities": ["x"]}, {"id": "w", "capabilities": ["x"]}]"#)),
        ["2:58 templates[1].id: duplicate template id `w` (first at line 2, column 22)"]
    );
    assert_eq!(
        parse_err(&with(r#"[{"capabilities": []}]"#)),
        [
            "2:15 templates[0]: missing required field \"id\"",
            "2:32 templates[0].capabilities: at least one capability is required",
        ]
    );
    assert_eq!(parse_err(&with("{}")), ["2:14 templates: expected an array, found an object"]);
}
