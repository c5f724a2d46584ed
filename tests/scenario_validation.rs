//! Scenario loading from the outside: every problem of a file reported at once, each located.

#[path = "support/scratch.rs"]
mod scratch;

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use switchyard::scenario::bounds::{MAX_FACTOR, MAX_MS};
use switchyard::scenario::{
    AgentSpec, DurationDist, FaultAction, FaultSpec, Profile, RetryPolicy, Scenario, ScenarioError,
    Strategy as Allocation, TaskSpec, load, parse,
};
use switchyard::scenario::{Expiry, Target, Tier};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad").join(name)
}

/// Problems as `LINE:COL PATH: MESSAGE`.
fn located(e: &ScenarioError) -> Vec<String> {
    e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect()
}

fn load_err(name: &str) -> ScenarioError {
    load(&fixture(name)).expect_err("the fixture is invalid")
}

fn parse_err(text: &str) -> Vec<String> {
    located(&parse("inline.json", text).expect_err("the text is invalid"))
}

const VALID: &str = r#"{
  "name": "valid",
  "description": "Everything at once, \"escaped\" and \u00fcnicode.",
  "seed": 12345678901234,
  "allocation": "round_robin",
  "heartbeat_ms": 250,
  "defaults": {"timeout_ms": 4000, "priority": 2, "retry": {"max_attempts": 4, "backoff_ms": 100}},
  "agents": [
    {"id": "builder", "capabilities": ["build", "test"], "specializations": ["rust", "wasm"], "max_concurrent": 3,
     "cost": 12.5, "performance": 0.9, "profile": {"duration_ms": {"mean": 800, "jitter": 0.25}, "failure_rate": 0.02}},
    {"id": "tester", "capabilities": ["test"]}
  ],
  "tasks": [
    {"id": "compile", "description": "Compile it", "capability": "build", "specializations": ["rust"], "work": 2.5},
    {"id": "unit", "capability": "test", "depends_on": ["compile"], "priority": -1, "allocation": "best_score"},
    {"id": "wasm", "capability": "build", "specializations": ["wasm", "rust"], "depends_on": ["compile"],
     "timeout_ms": 1e4, "retry": {"multiplier": 1.5, "max_backoff_ms": 1000, "jitter": 0}},
    {"id": "ship", "capability": "test", "depends_on": ["unit", "wasm"]}
  ],
  "faults": [{"at_ms": 500, "crash": "tester"}, {"at_ms": 900, "revive": "tester"}]
}"#;

#[test]
fn syntax_error_is_located() {
    let e = load_err("syntax-error.json");
    assert_eq!(located(&e), ["8:5 tasks: expected `,` or `]`, found `{` (missing comma?)"]);
    assert!(
        e.to_string().ends_with(
            "tests/fixtures/bad/syntax-error.json:8:5: tasks: expected `,` or `]`, found `{` (missing comma?)"
        )
    );
    assert_eq!(
        parse_err("{\n  \"name\": \"x\",\n  \"seed\": 01\n}"),
        ["3:11 seed: invalid number: leading zeros are not allowed"]
    );
    assert_eq!(parse_err("{\"name\": \"x\\q\"}"), ["1:12 name: invalid escape `\\q` in string"]);
    assert_eq!(parse_err("{\"name\": \"x\"} x"), ["1:15 : expected end of file after the top-level value, found `x`"]);
}

#[test]
fn unknown_field_is_named_with_a_hint() {
    let e = load_err("typo.json");
    assert_eq!(
        located(&e),
        ["9:44 tasks[1]: unknown field \"dependson\" (expected one of: id, description, capability, specializations, \
          depends_on, priority, timeout_ms, retry, allocation, work, compensate, reads, writes, on_conflict, locks, \
          escalation, auction, plan, review, decision, help); did you mean `depends_on`?"]
    );
}

#[test]
fn type_and_range_errors() {
    let e = load_err("bad-values.json");
    assert_eq!(
        located(&e),
        [
            "3:11 seed: expected an integer, found string \"42\"",
            "4:17 allocation: unknown allocation strategy \"fastest\" (expected one of: least_loaded, best_score, round_robin, hierarchy, auction, swarm)",
            "6:55 agents[0].cost: must be ≥ 0, found -1",
            "6:74 agents[0].performance: expected a number, found string \"high\"",
            "9:57 tasks[0].timeout_ms: must be ≥ 1, found -5",
            "9:73 tasks[0].priority: expected an integer, found number `1.5`",
            "10:70 tasks[1].retry.max_attempts: must be ≥ 1, found 0",
            "10:87 tasks[1].retry.multiplier: must be ≥ 1, found 0.5",
            "13:30 faults[0].revive: agent `coder` is revived at 100 ms but is not crashed at that time",
            "14:29 faults[1].crash: unknown agent `cdoer`; did you mean `coder`?",
        ]
    );
}

#[test]
fn negative_timeout_is_a_range_error() {
    let text = r#"{"name": "n", "agents": [{"id": "a", "capabilities": ["c"]}],
        "tasks": [{"id": "t", "capability": "c", "timeout_ms": -5}], "defaults": {"timeout_ms": -1}}"#;
    assert_eq!(
        parse_err(text),
        ["2:64 tasks[0].timeout_ms: must be ≥ 1, found -5", "2:97 defaults.timeout_ms: must be ≥ 1, found -1"]
    );
}

#[test]
fn many_problems_are_reported_together_each_at_its_line() {
    let e = load_err("many-problems.json");
    assert_eq!(
        located(&e),
        [
            "5:65 agents[0].max_concurrent: must be ≥ 1, found 0",
            "6:76 agents[1].profile.failure_rate: must be between 0 and 1, found 1.5",
            "10:68 tasks[1].depends_on[1]: unknown task `lint`",
            "11:12 tasks[2].id: duplicate task id `design` (first defined at line 9, column 12)",
            "12:12 tasks[3]: dependency cycle: a -> b -> c -> a",
        ]
    );
    let shown = e.to_string();
    assert_eq!(shown.lines().count(), 5);
    let origin = fixture("many-problems.json").display().to_string();
    for line in shown.lines() {
        assert!(line.starts_with(&format!("{origin}:")), "{line}");
    }
}

#[test]
fn cycle_is_shown_as_a_path() {
    let e = load_err("cycle.json");
    assert_eq!(located(&e), ["9:12 tasks[1]: dependency cycle: a -> b -> c -> a"]);
}

#[test]
fn specialization_mismatch_names_what_is_missing() {
    let e = load_err("no-capable-agent.json");
    assert_eq!(
        located(&e),
        [
            "9:63 tasks[0].specializations: no agent with capability `build` has all of the specializations \
             `rust`, `wasm`: `builder-1` lacks `wasm`; `builder-2` lacks `rust`",
            "10:36 tasks[1].capability: no agent has capability `deploy`",
        ]
    );
}

#[test]
fn defaults_are_applied() {
    let s = parse("valid.json", VALID).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.description, "Everything at once, \"escaped\" and ünicode.");
    assert_eq!((s.seed, s.allocation, s.heartbeat_ms), (12345678901234, Allocation::RoundRobin, 250));
    let base = RetryPolicy { max_attempts: 4, backoff_ms: 100, ..RetryPolicy::default() };
    let [compile, unit, wasm, ship] = &s.tasks[..] else { panic!("four tasks") };
    assert_eq!((compile.priority, compile.timeout_ms, compile.work), (2, 4000, 2.5));
    assert_eq!(compile.retry, base);
    assert_eq!((unit.priority, unit.allocation), (-1, Some(Allocation::BestScore)));
    assert_eq!(wasm.timeout_ms, 10_000);
    assert_eq!(wasm.retry, RetryPolicy { multiplier: 1.5, max_backoff_ms: 1000, jitter: 0.0, ..base });
    assert_eq!(ship.depends_on, ["unit", "wasm"]);
    assert_eq!((ship.allocation, ship.work), (None, 1.0));
    assert_eq!(
        s.agents[1].profile,
        Profile { duration_ms: DurationDist { mean: 1000.0, jitter: 0.2 }, failure_rate: 0.0, ..Default::default() }
    );
    assert_eq!(s.faults[1], FaultSpec { at_ms: 900, action: FaultAction::Revive("tester".into()) });
}

fn round_trip(s: &Scenario) {
    let text = serde_json::to_string_pretty(s).unwrap();
    let again = parse("round-trip.json", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(&again, s);
}

#[test]
fn valid_file_round_trips() {
    round_trip(&parse("valid.json", VALID).unwrap());
}

#[test]
fn bundled_scenarios_load_and_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("this test reads {}: {e}", dir.display()));
    let mut checked = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let s = load(&path).unwrap_or_else(|e| panic!("{e}"));
            round_trip(&s);
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} bundled scenarios found in {}", dir.display());
}

#[test]
fn unreadable_files() {
    let missing = Path::new("does/not/exist.json");
    let e = load(missing).unwrap_err();
    assert_eq!(e.to_string(), "does/not/exist.json: cannot read file: No such file or directory");
    assert_eq!((e.problems[0].line, e.problems[0].column), (0, 0));

    let path = scratch::dir("validation").join("not-utf8.json");
    std::fs::write(&path, b"{\n  \"name\": \"caf\xe9\"\n}").unwrap();
    let e = load(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(located(&e), ["2:15 : file is not valid UTF-8"]);
}

#[test]
fn large_scenarios_load() {
    let n = 20_000;
    let mut text = String::from(r#"{"name": "big", "agents": [{"id": "a", "capabilities": ["c"]}], "tasks": ["#);
    for i in 0..n {
        let deps = match i {
            0 => String::new(),
            1 | 2 => format!(r#""t{}""#, i - 1),
            _ => format!(r#""t{}", "t{}""#, i - 1, i / 2),
        };
        text.push_str(&format!(
            r#"{}{{"id": "t{i}", "capability": "c", "depends_on": [{deps}]}}"#,
            if i > 0 { "," } else { "" }
        ));
    }
    text.push_str("]}");
    let s = parse("big.json", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.tasks.len(), n);
    // Close the loop: t0 now depends on the last task, through a long chain.
    let looped = text.replacen(
        r#""t0", "capability": "c", "depends_on": []"#,
        &format!(r#""t0", "capability": "c", "depends_on": ["t{}"]"#, n - 1),
        1,
    );
    let p = parse_err(&looped);
    assert_eq!(p.len(), 1, "{p:?}");
    // The shortest way round: t0 -> t19999 -> t9999 -> … halving … -> t0, shortened for display.
    assert_eq!(
        p[0],
        "1:82 tasks[0]: dependency cycle: t0 -> t19999 -> t9999 -> t4999 -> t2499 -> t1249 -> t624 -> t312 -> … \
         (5 more) … -> t4 -> t3 -> t1 -> t0"
    );
}

/// A temporary file removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> TempFile {
        let path = scratch::dir("validation").join(format!("{name}.json"));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn files_larger_than_the_read_window_load_like_text() {
    // `load` streams a file through a small window (reading it again whole only to report
    // problems); `parse` gets the text at once. Megabytes of it, so that chunk boundaries fall
    // everywhere, with non-ASCII text throughout and dependencies written with escapes.
    let n = 30_000;
    let mut text = String::from(r#"{"name": "big", "description": "d\u00e9j\u00e0 vu","#);
    text.push_str(
        "\n\"agents\": [{\"id\": \"a\", \"capabilities\": [\"c\"]}, {\"id\": \"bé\", \"capabilities\": [\"c\"]}],",
    );
    text.push_str("\n\"tasks\": [\n");
    for i in 0..n {
        let deps = match i {
            0 => String::new(),
            1..4 => format!(r#""t\u00e9{:05}""#, i - 1),
            _ => format!(r#""t\u00e9{:05}", "t\u00e9{:05}""#, i - 1, i / 3),
        };
        let sep = if i > 0 { ",\n" } else { "" };
        text.push_str(&format!(
            r#"{sep}{{"id": "té{i:05}", "description": "étape {i}", "capability": "c", "depends_on": [{deps}]}}"#
        ));
    }
    text.push_str("\n],\n");
    text.push_str(r#""faults": [{"at_ms": 5, "crash": "b\u00e9"}]}"#);
    assert!(text.len() > 2_000_000);

    let file = TempFile::new("large-valid", text.as_bytes());
    let loaded = load(&file.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded, parse("x.json", &text).unwrap());
    assert_eq!((loaded.tasks.len(), loaded.tasks[n - 1].depends_on.len()), (n, 2));

    // Line and column of byte offset `at` in `text`.
    let locate = |text: &str, at: usize| {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        (text[..at].matches('\n').count() + 1, text[line_start..at].chars().count() + 1)
    };

    // Problems late in the file are found and located as in text.
    let broken = text.replacen(r#""t\u00e929998", "t\u00e909999""#, r#""t\u00e929998", "nope""#, 1);
    let file = TempFile::new("large-broken", broken.as_bytes());
    let name = file.0.display().to_string();
    let from_file = load(&file.0).unwrap_err();
    assert_eq!(from_file, parse(&name, &broken).unwrap_err());
    let (line, column) = locate(&broken, broken.find("\"nope\"").unwrap());
    assert_eq!(located(&from_file), [format!("{line}:{column} tasks[29999].depends_on[1]: unknown task `nope`")]);

    // So is a byte that is not UTF-8, megabytes in.
    let mut bytes = text.clone().into_bytes();
    let at = text.find("\"étape 29990\"").unwrap();
    bytes[at] = 0xff;
    let file = TempFile::new("large-not-utf8", &bytes);
    let (line, column) = locate(&text, at);
    assert_eq!(located(&load(&file.0).unwrap_err()), [format!("{line}:{column} : file is not valid UTF-8")]);
}

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_-]{0,12}",
        // Escapes and non-ASCII must survive a round trip too.
        "[a-z]{1,3}[\"\\\\/\u{e9}\u{1F600}\u{7f}]{1,3}",
    ]
}

prop_compose! {
    fn arb_agent(i: usize)(
        caps in prop::collection::vec(prop_oneof![Just("code"), Just("test"), Just("doc")], 0..3),
        specs in prop::collection::vec(prop_oneof![Just("rust"), Just("go")], 0..3),
        max_concurrent in 1u32..20,
        cost in 0.0f64..1e6,
        performance in 0.0f64..=1.0,
        mean in 0.0f64..1e5,
        jitter in 0.0f64..=1.0,
        failure_rate in 0.0f64..=1.0,
    ) -> AgentSpec {
        let mut capabilities: Vec<String> = vec!["code".into()];
        capabilities.extend(caps.into_iter().map(String::from));
        let mut specializations: Vec<String> = vec!["rust".into()];
        specializations.extend(specs.into_iter().map(String::from));
        AgentSpec {
            id: format!("agent-{i}"),
            capabilities,
            specializations,
            max_concurrent,
            cost,
            performance,
            profile: Profile { duration_ms: DurationDist { mean, jitter }, failure_rate, ..Default::default() },
            ..Default::default()
        }
    }
}

prop_compose! {
    fn arb_retry()(
        max_attempts in 1u32..10,
        backoff_ms in 0..=MAX_MS,
        multiplier in 1.0f64..10.0,
        max_backoff_ms in 0..=MAX_MS,
        jitter in 0.0f64..=1.0,
    ) -> RetryPolicy {
        RetryPolicy { max_attempts, backoff_ms, multiplier, max_backoff_ms, jitter }
    }
}

prop_compose! {
    fn arb_task(i: usize)(
        description in arb_name(),
        dep_picks in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        priority in any::<i64>(),
        timeout_ms in 1u64..=MAX_MS,
        retry in arb_retry(),
        allocation in prop::option::of(prop_oneof![
            Just(Allocation::LeastLoaded), Just(Allocation::BestScore), Just(Allocation::RoundRobin)
        ]),
        work in 1e-9f64..=MAX_FACTOR,
        rust in any::<bool>(),
    ) -> TaskSpec {
        // Dependencies only on earlier tasks, each at most once: always acyclic and valid.
        let mut depends_on: Vec<switchyard::scenario::CompactString> = Vec::new();
        if i > 0 {
            for pick in dep_picks {
                let dep: switchyard::scenario::CompactString = format!("task-{}", pick.index(i)).into();
                if !depends_on.contains(&dep) {
                    depends_on.push(dep);
                }
            }
        }
        TaskSpec {
            id: format!("task-{i}").into(),
            description,
            capability: "code".into(),
            specializations: if rust { vec!["rust".into()] } else { vec![] },
            depends_on,
            priority,
            timeout_ms,
            retry,
            allocation,
            work,
            // Every third task uses the shared context, so it round-trips too; the others override
            // the default ladder, with none at all or with their own (the first third has neither,
            // so no extras at all).
            extras: (!i.is_multiple_of(3)).then(|| {
                Box::new(switchyard::scenario::TaskExtras {
                    context: if i % 3 == 1 {
                        switchyard::scenario::TaskContext {
                            reads: vec!["plan".into()],
                            writes: vec!["ledger".into(), "plan".into()],
                            on_conflict: switchyard::scenario::ConflictPolicy::LastWriterWins,
                            locks: vec!["ledger-file".into()],
                        }
                    } else {
                        Default::default()
                    },
                    escalation: if i % 3 == 1 {
                        Some(Box::new([]))
                    } else {
                        Some(Box::new([
                            Tier::OtherAgent { limit: None },
                            Tier::Fallback { target: Target::Capability("code".into()), limit: Some(2) },
                            Tier::Inbox { sla_ms: None, on_expiry: Expiry::Wait },
                        ]))
                    },
                    ..Default::default()
                })
            }),
        }
    }
}

fn arb_scenario() -> impl Strategy<Value = Scenario> {
    (1usize..4, 1usize..12, arb_name(), arb_name(), any::<u64>(), 0..=MAX_MS, 0u64..10_000).prop_flat_map(
        |(n_agents, n_tasks, name, description, seed, heartbeat_ms, crash_at)| {
            let agents: Vec<_> = (0..n_agents).map(arb_agent).collect();
            let tasks: Vec<_> = (0..n_tasks).map(arb_task).collect();
            (agents, tasks).prop_map(move |(agents, tasks)| {
                let victim = agents[0].id.clone();
                let leader = victim.clone();
                let escalation = vec![
                    Tier::Retry { limit: Some(2) },
                    Tier::EscalateTo { agent: victim.clone(), limit: None },
                    Tier::Fallback { target: Target::Agent(victim.clone()), limit: Some(1) },
                    Tier::Inbox { sla_ms: Some(heartbeat_ms % 9_000 + 1), on_expiry: Expiry::Skip },
                ];
                Scenario {
                    name: name.clone(),
                    description: description.clone(),
                    seed,
                    allocation: Allocation::BestScore,
                    heartbeat_ms,
                    agents,
                    tasks,
                    faults: vec![
                        FaultSpec { at_ms: crash_at, action: FaultAction::Crash(victim.clone()) },
                        FaultSpec { at_ms: crash_at, action: FaultAction::Revive(victim) },
                    ],
                    resilience: switchyard::scenario::Resilience {
                        heartbeat_timeout_ms: Some(heartbeat_ms % 10_000),
                        ..Default::default()
                    },
                    context: switchyard::scenario::SharedContext {
                        initial: [("ledger".to_string(), serde_json::json!(seed % 100))].into(),
                        lease_ms: 1 + crash_at,
                    },
                    groups: vec![switchyard::scenario::GroupSpec {
                        id: "leaders".into(),
                        agents: vec![leader],
                        lease_ms: 1500,
                    }],
                    escalation,
                    ..Default::default()
                }
            })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn serialized_scenarios_parse_back_unchanged(s in arb_scenario()) {
        let compact = serde_json::to_string(&s).unwrap();
        let again = parse("p.json", &compact).map_err(|e| TestCaseError::fail(format!("{e}\n{compact}")))?;
        prop_assert_eq!(&again, &s);
        let pretty = serde_json::to_string_pretty(&s).unwrap();
        prop_assert_eq!(parse("p.json", &pretty).unwrap(), s);
    }
}

/// A saga scenario with `tasks` and `sagas` spliced in (line 3 onwards).
fn saga_text(tasks: &str, sagas: &str) -> String {
    format!(
        "{{\"name\": \"s\",\n\"agents\": [{{\"id\": \"a\", \"capabilities\": [\"x\"]}}],\n\"tasks\": [\n{tasks}\n],\n\"sagas\": {sagas}\n}}"
    )
}

const SAGA_TASKS: &str = r#"{"id": "flight", "capability": "x", "compensate": "cancel-flight"},
{"id": "hotel", "capability": "x", "compensate": "cancel-hotel"},
{"id": "cancel-flight", "capability": "x"},
{"id": "cancel-hotel", "capability": "x"}"#;

#[test]
fn a_saga_scenario_loads_and_round_trips_through_the_generator_writer() {
    let text = saga_text(SAGA_TASKS, r#"[{"id": "trip", "tasks": ["flight", "hotel"]}]"#);
    let sc = parse("saga.json", &text).unwrap();
    assert_eq!(sc.sagas[0].tasks, ["flight", "hotel"]);
    assert_eq!(sc.tasks[0].extras().compensate.as_deref(), Some("cancel-flight"));
    assert_eq!(sc.tasks[2].extras().compensate, None);
    let mut out = Vec::new();
    switchyard::generate::write_json(&sc, &mut out).unwrap();
    assert_eq!(parse("again.json", std::str::from_utf8(&out).unwrap()).unwrap(), sc);
}

#[test]
fn saga_fields_of_the_wrong_type_are_located() {
    let tasks = r#"{"id": "flight", "capability": "x", "compensate": 7},
{"id": "hotel", "capability": "x"}"#;
    assert_eq!(
        parse_err(&saga_text(tasks, r#"[{"id": 1, "tasks": "flight"}, {"id": "b", "tasks": [2, "hotel"]}, 3]"#)),
        [
            "4:51 tasks[0].compensate: expected a string, found number `7`",
            "7:18 sagas[0].id: expected a string, found number `1`",
            "7:30 sagas[0].tasks: expected an array, found string \"flight\"",
            "7:63 sagas[1].tasks[0]: expected a string, found number `2`",
            "7:77 sagas[2]: expected an object, found number `3`",
        ]
    );
    // The sagas are unreadable, so "declares compensate but is in no saga" would only echo that.
    assert_eq!(parse_err(&saga_text(SAGA_TASKS, "{}")), ["9:10 sagas: expected an array, found an object"]);
}

#[test]
fn saga_references_to_unknown_tasks_are_located_with_a_hint() {
    let tasks = r#"{"id": "flight", "capability": "x", "compensate": "cancel-flite"},
{"id": "cancel-flight", "capability": "x"}"#;
    assert_eq!(
        parse_err(&saga_text(tasks, r#"[{"id": "trip", "tasks": ["flight", "hotell"]}]"#)),
        [
            "4:51 tasks[0].compensate: unknown task `cancel-flite`; did you mean `cancel-flight`?",
            "7:46 sagas[0].tasks[1]: unknown task `hotell`",
        ]
    );
}

#[test]
fn empty_duplicate_and_missing_saga_fields_are_reported() {
    let sagas = r#"[{"id": "", "tasks": []}, {"id": "trip", "tasks": ["flight", "flight"]},
{"id": "trip", "tasks": ["hotel"]}, {"tasks": ["hotel"]}, {"id": "t"}]"#;
    let problems = parse_err(&saga_text(SAGA_TASKS, sagas));
    assert_eq!(
        problems,
        [
            "9:18 sagas[0].id: saga id must not be empty",
            "9:31 sagas[0].tasks: a saga needs at least one task",
            "9:71 sagas[1].tasks[1]: task `flight` is listed more than once (first at line 9, column 61)",
            "10:8 sagas[2].id: duplicate saga id `trip` (first defined at line 9, column 43)",
            "10:37 sagas[3]: missing required field \"id\"",
            "10:48 sagas[3].tasks[0]: task `hotel` is already a step of saga `trip` (listed at line 10, column 26)",
            "10:59 sagas[4]: missing required field \"tasks\"",
        ]
    );
}

#[test]
fn compensators_must_stay_out_of_the_workflow() {
    let tasks = r#"{"id": "flight", "capability": "x", "compensate": "cancel-flight"},
{"id": "hotel", "capability": "x", "compensate": "cancel-flight"},
{"id": "car", "capability": "x", "compensate": "car"},
{"id": "cancel-flight", "capability": "x", "depends_on": ["car"], "compensate": "refund"},
{"id": "refund", "capability": "x"},
{"id": "lonely", "capability": "x", "compensate": "refund2"},
{"id": "refund2", "capability": "x"},
{"id": "report", "capability": "x", "depends_on": ["flight", "refund"]}"#;
    let problems = parse_err(&saga_text(tasks, r#"[{"id": "trip", "tasks": ["flight", "hotel", "car", "refund"]}]"#));
    assert_eq!(
        problems,
        [
            "5:50 tasks[1].compensate: task `cancel-flight` already compensates `flight`; a compensation undoes one step only (first at line 4, column 51)",
            "6:48 tasks[2].compensate: task `car` cannot compensate itself",
            "7:59 tasks[3].depends_on[0]: task `cancel-flight` is the compensation of `flight` and cannot have dependencies (it runs when its saga fails)",
            "7:81 tasks[3].compensate: task `cancel-flight` declares compensate but is in no saga",
            "7:81 tasks[3].compensate: task `cancel-flight` is the compensation of `flight` and cannot declare compensate itself",
            "9:51 tasks[5].compensate: task `lonely` declares compensate but is in no saga",
            "11:62 tasks[7].depends_on[1]: task `refund` is the compensation of `cancel-flight` and cannot be depended on",
            "13:62 sagas[0].tasks[3]: task `refund` is the compensation of `cancel-flight` and cannot be a saga step",
        ]
    );
}

/// A small valid file with `extra` root fields and `task` fields spliced in.
fn with_context(root: &str, task: &str) -> String {
    format!(
        r#"{{"name": "ctx",{root}
  "agents": [{{"id": "a", "capabilities": ["x"]}}, {{"id": "b", "capabilities": ["x"]}}],
  "tasks": [{{"id": "t", "capability": "x"{task}}}]}}"#
    )
}

#[test]
fn shared_context_fields_parse_with_their_defaults() {
    let text = with_context(
        r#" "context": {"initial": {"ledger": 0, "plan": {"steps": [1, 2.5, "x", null, true]}}, "lease_ms": 700},
  "groups": [{"id": "leads", "agents": ["b", "a"]}],"#,
        r#", "reads": ["plan"], "writes": ["ledger"], "on_conflict": "last_writer_wins", "locks": ["file"]"#,
    );
    let sc = parse("ok.json", &text).unwrap();
    assert_eq!(sc.context.lease_ms, 700);
    assert_eq!(sc.context.initial["plan"], serde_json::json!({"steps": [1, 2.5, "x", null, true]}));
    assert_eq!((sc.groups[0].agents.clone(), sc.groups[0].lease_ms), (vec!["b".to_string(), "a".into()], 1500));
    let c = sc.tasks[0].context();
    assert_eq!(
        (c.reads.as_slice(), c.writes.as_slice(), c.locks.as_slice()),
        (&["plan".to_string()][..], &["ledger".to_string()][..], &["file".to_string()][..])
    );
    assert_eq!(c.on_conflict, switchyard::scenario::ConflictPolicy::LastWriterWins);
    round_trip(&sc);
    let plain = parse("plain.json", &with_context("", "")).unwrap();
    assert_eq!(plain.tasks[0].context().on_conflict, switchyard::scenario::ConflictPolicy::Retry);
    assert_eq!(plain.context.lease_ms, 2000);
}

#[test]
fn bad_task_context_fields_are_located() {
    let text =
        with_context("", r#", "reads": "plan", "writes": ["k", "", "k"], "on_conflict": "first_wins", "locks": [3]"#);
    assert_eq!(
        parse_err(&text),
        [
            "3:53 tasks[0].reads: expected an array, found string \"plan\"",
            "3:77 tasks[0].writes[1]: key name must not be empty",
            "3:81 tasks[0].writes[2]: key `k` is listed twice",
            "3:102 tasks[0].on_conflict: unknown conflict policy \"first_wins\" (expected one of: retry, last_writer_wins, escalate)",
            "3:126 tasks[0].locks[0]: expected a string, found number `3`",
        ]
    );
}

#[test]
fn bad_context_and_groups_are_located() {
    let text = with_context(
        r#" "context": {"initial": [1], "lease_ms": 0},
  "groups": [{"id": "g", "agents": ["a", "bee", "a"]}, {"id": "g", "agents": [], "lease_ms": -5}, {"agents": ["a"]}],"#,
        "",
    );
    assert_eq!(
        parse_err(&text),
        [
            "1:40 context.initial: expected an object (key → value), found an array",
            "1:57 context.lease_ms: must be ≥ 1, found 0",
            "2:42 groups[0].agents[1]: unknown agent `bee`",
            "2:49 groups[0].agents[2]: agent `a` is listed twice in group `g`",
            "2:63 groups[1].id: duplicate group id `g` (first defined at line 2, column 21)",
            "2:78 groups[1].agents: at least one agent is required",
            "2:94 groups[1].lease_ms: must be ≥ 1, found -5",
            "2:99 groups[2]: missing required field \"id\"",
        ]
    );
}
