//! Unit tests for decoding and validation: messages, positions, recovery, defaults.

use super::*;

/// A valid scenario with the given extra top-level members, agents and tasks (JSON fragments).
fn doc(extra: &str, agents: &str, tasks: &str) -> String {
    format!("{{\"name\": \"t\",{extra}\n\"agents\": [\n{agents}\n],\n\"tasks\": [\n{tasks}\n]\n}}")
}

const AGENT: &str = r#"{"id": "a1", "capabilities": ["code"]}"#;
const TASK: &str = r#"{"id": "t1", "capability": "code"}"#;

/// [`parse`], checking on the way that streaming the text in small chunks, so that refills fall
/// inside every kind of token somewhere, finds exactly the same.
fn parse_checked(text: &str) -> Result<Scenario, ScenarioError> {
    let whole = parse("s.json", text);
    let chunks: &[usize] = if text.len() < 100_000 { &[4, 5, 13] } else { &[4096] };
    for &chunk in chunks {
        let mut diag = error::Diag::default();
        let streamed = check(Lexer::from_reader(text.as_bytes(), chunk), 0, &mut diag);
        let streamed = streamed.ok_or_else(|| diag.into_error("s.json", text));
        assert_eq!(streamed, whole, "streamed {chunk} bytes at a time");
    }
    whole
}

fn ok(text: &str) -> Scenario {
    parse_checked(text).unwrap_or_else(|e| panic!("{e}"))
}

/// Problems as `LINE:COL PATH: MESSAGE`, for compact assertions.
fn problems(text: &str) -> Vec<String> {
    let e = parse_checked(text).expect_err("expected problems");
    e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect()
}

fn one_problem(text: &str) -> String {
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:#?}");
    p.into_iter().next().unwrap()
}

#[test]
fn minimal_file_gets_builtin_defaults() {
    let s = ok(&doc("", AGENT, TASK));
    assert_eq!(s.name, "t");
    assert_eq!((s.seed, s.allocation, s.heartbeat_ms), (0, Strategy::LeastLoaded, 1000));
    assert!(s.faults.is_empty());
    let a = &s.agents[0];
    assert_eq!((a.max_concurrent, a.cost, a.performance), (1, 1.0, 1.0));
    assert_eq!(a.profile, Profile::default());
    let t = &s.tasks[0];
    assert_eq!((t.priority, t.timeout_ms, t.work, t.allocation), (0, 30_000, 1.0, None));
    assert_eq!(t.retry, RetryPolicy::default());
    assert!(t.depends_on.is_empty() && t.specializations.is_empty() && t.description.is_empty());
}

#[test]
fn defaults_fill_tasks_even_when_given_last() {
    let tasks = r#"{"id": "t1", "capability": "code"},
        {"id": "t2", "capability": "code", "priority": -3, "timeout_ms": 10, "retry": {"jitter": 0.5}}"#;
    let text = format!(
        "{{\"name\": \"t\", \"agents\": [{AGENT}], \"tasks\": [{tasks}],
        \"defaults\": {{\"timeout_ms\": 500, \"priority\": 7, \"retry\": {{\"max_attempts\": 5, \"multiplier\": 1.5}}}}}}"
    );
    let s = ok(&text);
    let (t1, t2) = (&s.tasks[0], &s.tasks[1]);
    assert_eq!((t1.priority, t1.timeout_ms), (7, 500));
    let merged = RetryPolicy { max_attempts: 5, multiplier: 1.5, ..RetryPolicy::default() };
    assert_eq!(t1.retry, merged);
    assert_eq!((t2.priority, t2.timeout_ms), (-3, 10));
    assert_eq!(t2.retry, RetryPolicy { jitter: 0.5, ..merged });
}

#[test]
fn every_field_is_read() {
    let agents = r#"{"id": "a1", "capabilities": ["code", "review"], "specializations": ["rust"],
        "max_concurrent": 4, "cost": 2.5, "performance": 0.75,
        "profile": {"duration_ms": {"mean": 250, "jitter": 0.1}, "failure_rate": 0.05}}"#;
    let tasks = r#"{"id": "t1", "description": "first", "capability": "code", "specializations": ["rust"],
        "priority": 9, "timeout_ms": 1e3, "allocation": "round_robin", "work": 2,
        "retry": {"max_attempts": 1, "backoff_ms": 0, "multiplier": 1, "max_backoff_ms": 0, "jitter": 0}},
        {"id": "t2", "capability": "review", "depends_on": ["t1"]}"#;
    let extra = r#" "description": "d\u00e9mo", "seed": 18446744073709551615, "allocation": "best_score",
        "heartbeat_ms": 0, "faults": [{"at_ms": 5, "crash": "a1"}, {"revive": "a1", "at_ms": 9}],"#;
    let s = ok(&doc(extra, agents, tasks));
    assert_eq!((s.description.as_str(), s.seed), ("démo", u64::MAX));
    assert_eq!((s.allocation, s.heartbeat_ms), (Strategy::BestScore, 0));
    let a = &s.agents[0];
    assert_eq!((a.max_concurrent, a.cost, a.performance, a.profile.failure_rate), (4, 2.5, 0.75, 0.05));
    assert_eq!(a.profile.duration_ms, DurationDist { mean: 250.0, jitter: 0.1 });
    let t = &s.tasks[0];
    assert_eq!((t.priority, t.timeout_ms, t.work), (9, 1000, 2.0));
    assert_eq!(t.allocation, Some(Strategy::RoundRobin));
    let r = RetryPolicy { max_attempts: 1, backoff_ms: 0, multiplier: 1.0, max_backoff_ms: 0, jitter: 0.0 };
    assert_eq!(t.retry, r);
    assert_eq!(s.tasks[1].depends_on, ["t1"]);
    assert_eq!(s.faults[0], FaultSpec { at_ms: 5, action: FaultAction::Crash("a1".into()) });
    assert_eq!(s.faults[1], FaultSpec { at_ms: 9, action: FaultAction::Revive("a1".into()) });
}

/// Tasks the fast path (`quick`) reads, and some it leaves to the general decoder, come out the
/// same either way: `parse_checked` also streams the text a few bytes at a time, where no task
/// fits in what the lexer sees and the general decoder reads them all.
#[test]
fn fast_path_reads_tasks_as_the_general_decoder_does() {
    let tasks = [
        r#"{"id":"t1","description":"d","capability":"code","specializations":["rust"],"depends_on":[],"priority":-3,"timeout_ms":5,"retry":{"max_attempts":2,"backoff_ms":0,"multiplier":1.5,"max_backoff_ms":9,"jitter":0.5},"allocation":"best_score","work":2.5}"#,
        r#"{ "id" : "t2" , "capability" : "code", "depends_on" : [ "t1" , "t3" ] }"#,
        r#"{"capability":"code","id":"t3","work":1}"#,
        r#"{"id":"t4","capability":"code","retry":{"jitter":0.1},"timeout_ms":1e3,"description":"\u00e9"}"#,
    ];
    let agent = r#"{"id": "a1", "capabilities": ["code"], "specializations": ["rust"]}"#;
    let extra = r#" "defaults": {"timeout_ms": 7, "retry": {"backoff_ms": 3}},"#;
    let s = ok(&doc(extra, agent, &tasks.join(",\n")));
    let t = &s.tasks;
    assert_eq!((t[0].priority, t[0].timeout_ms, t[0].work, t[0].allocation), (-3, 5, 2.5, Some(Strategy::BestScore)));
    assert_eq!(
        t[0].retry,
        RetryPolicy { max_attempts: 2, backoff_ms: 0, multiplier: 1.5, max_backoff_ms: 9, jitter: 0.5 }
    );
    assert_eq!((t[0].specializations.as_slice(), t[0].description.as_str()), (&["rust".into()][..], "d"));
    assert_eq!(
        (t[1].timeout_ms, t[1].retry.backoff_ms, t[1].depends_on.as_slice()),
        (7, 3, &["t1", "t3"].map(CompactString::from)[..])
    );
    assert_eq!((t[2].id.as_str(), t[2].work), ("t3", 1.0));
    assert_eq!(
        (t[3].timeout_ms, t[3].retry.jitter, t[3].retry.backoff_ms, t[3].description.as_str()),
        (1000, 0.1, 3, "é")
    );
    assert_eq!(s.dep_index.0.as_deref(), Some(&[0, 2][..]));
    // What the fast path declines is still reported where it is.
    let dup = format!("{TASK},\n{TASK}");
    let expected = "7:8 tasks[1].id: duplicate task id `t1` (first defined at line 6, column 8)";
    assert_eq!(one_problem(&doc("", AGENT, &dup)), expected);
}

#[test]
fn unknown_field_has_hint_and_list() {
    let p = one_problem(&doc("", AGENT, r#"{"id": "t1", "capability": "code", "dependson": []}"#));
    assert_eq!(
        p,
        "6:36 tasks[0]: unknown field \"dependson\" (expected one of: id, description, capability, \
         specializations, depends_on, priority, timeout_ms, retry, allocation, work, compensate, reads, writes, \
         on_conflict, locks, escalation, auction, plan, review, decision, help); did you mean `depends_on`?"
    );
    let p = one_problem(&doc(r#" "sed": 1,"#, AGENT, TASK));
    assert!(p.starts_with("1:15 : unknown field \"sed\""), "{p}");
    assert!(p.ends_with("did you mean `seed`?"), "{p}");
}

#[test]
fn type_errors_name_both_types() {
    let p = problems(&doc(
        r#" "seed": "5", "description": 3, "allocation": null,"#,
        r#"{"id": "a1", "capabilities": "code", "cost": true}"#,
        r#"{"id": ["t1"], "capability": "code", "priority": 1.5, "work": {}}"#,
    ));
    assert_eq!(
        p,
        [
            "1:23 seed: expected an integer, found string \"5\"",
            "1:43 description: expected a string, found number `3`",
            "1:60 allocation: expected a string, found null",
            "3:30 agents[0].capabilities: expected an array, found string \"code\"",
            "3:46 agents[0].cost: expected a number, found boolean `true`",
            "6:8 tasks[0].id: expected a string, found an array",
            "6:50 tasks[0].priority: expected an integer, found number `1.5`",
            "6:63 tasks[0].work: expected a number, found an object",
        ]
    );
}

#[test]
fn range_errors() {
    let agents = r#"{"id": "a1", "capabilities": ["code"], "max_concurrent": 0, "cost": -1, "performance": 2,
        "profile": {"duration_ms": {"mean": -5, "jitter": 1.01}, "failure_rate": 1.5}}"#;
    let tasks = r#"{"id": "t1", "capability": "code", "timeout_ms": -5, "work": 0,
        "retry": {"max_attempts": 0, "backoff_ms": -1, "multiplier": 0.5, "jitter": -0.1}}"#;
    let p = problems(&doc(r#" "seed": -1, "heartbeat_ms": 1e30,"#, agents, tasks));
    let msgs: Vec<&str> = p.iter().map(|p| p.split_once(' ').unwrap().1).collect();
    assert_eq!(
        msgs,
        [
            "seed: must be ≥ 0, found -1",
            "heartbeat_ms: must be at most 31536000000 (365 days of virtual time), found 1e30",
            "agents[0].max_concurrent: must be ≥ 1, found 0",
            "agents[0].cost: must be ≥ 0, found -1",
            "agents[0].performance: must be between 0 and 1, found 2",
            "agents[0].profile.duration_ms.mean: must be ≥ 0, found -5",
            "agents[0].profile.duration_ms.jitter: must be between 0 and 1, found 1.01",
            "agents[0].profile.failure_rate: must be between 0 and 1, found 1.5",
            "tasks[0].timeout_ms: must be ≥ 1, found -5",
            "tasks[0].work: must be > 0, found 0",
            "tasks[0].retry.max_attempts: must be ≥ 1, found 0",
            "tasks[0].retry.backoff_ms: must be ≥ 0, found -1",
            "tasks[0].retry.multiplier: must be ≥ 1, found 0.5",
            "tasks[0].retry.jitter: must be between 0 and 1, found -0.1",
        ]
    );
    let p = one_problem(&doc(r#" "seed": 123456789012345678901234567890123456789012,"#, AGENT, TASK));
    assert!(p.ends_with("seed: must be ≤ 18446744073709551615, found 123456789012345678901234567890123456789012"));
    let p = one_problem(&doc("", r#"{"id": "a1", "capabilities": ["code"], "cost": 1e999}"#, TASK));
    assert!(p.ends_with("agents[0].cost: number `1e999` is out of range"), "{p}");
}

#[test]
fn whole_numbers_in_other_forms_are_integers() {
    let s = ok(&doc(
        r#" "seed": 2.0, "heartbeat_ms": 25e1,"#,
        AGENT,
        r#"{"id": "t1", "capability": "code", "priority": -0}"#,
    ));
    assert_eq!((s.seed, s.heartbeat_ms, s.tasks[0].priority), (2, 250, 0));
}

#[test]
fn missing_required_fields_point_at_the_object() {
    let p = problems(r#"{"description": "x", "agents": [{"capabilities": ["code"]}], "tasks": [{"id": "t"}]}"#);
    assert_eq!(
        p,
        [
            "1:1 : missing required field \"name\"",
            "1:33 agents[0]: missing required field \"id\"",
            "1:72 tasks[0]: missing required field \"capability\"",
        ]
    );
    let p = problems(r#"{"name": ""}"#);
    assert_eq!(
        p,
        [
            "1:1 : missing required field \"agents\"",
            "1:1 : missing required field \"tasks\"",
            "1:10 name: must not be empty"
        ]
    );
    let p = problems(r#"{"name": "x", "agents": [], "tasks": [], "faults": {}}"#);
    assert_eq!(
        p,
        [
            "1:25 agents: at least one agent is required",
            "1:38 tasks: at least one task is required",
            "1:52 faults: expected an array, found an object",
        ]
    );
    let p = one_problem(&doc("", r#"{"id": "a1", "capabilities": []}"#, TASK));
    assert_eq!(p, "3:30 agents[0].capabilities: at least one capability is required");
}

#[test]
fn duplicate_keys_are_errors() {
    let p = one_problem(&doc("", AGENT, r#"{"id": "t1", "capability": "code", "id": "t2"}"#));
    assert_eq!(p, "6:36 tasks[0]: duplicate field \"id\" (first at line 6, column 2)");
}

#[test]
fn unknown_strategy_lists_valid_ones() {
    let p = one_problem(&doc(r#" "allocation": "best-score","#, AGENT, TASK));
    assert_eq!(
        p,
        "1:29 allocation: unknown allocation strategy \"best-score\" \
         (expected one of: least_loaded, best_score, round_robin, hierarchy, auction, swarm); did you mean `best_score`?"
    );
}

#[test]
fn root_must_be_an_object() {
    assert_eq!(one_problem("[1, 2]"), "1:1 : expected an object (the scenario), found an array");
    assert_eq!(one_problem(" "), "1:2 : expected a value, found end of file");
}

#[test]
fn syntax_error_stops_but_keeps_earlier_problems() {
    let text = "{\"name\": \"t\", \"seed\": -1,\n \"agents\": [{\"id\": \"a\" \"capabilities\": [\"x\"]}]}";
    assert_eq!(
        problems(text),
        ["1:23 seed: must be ≥ 0, found -1", "2:24 agents[0]: expected `,` or `}`, found `\"` (missing comma?)"]
    );
    let p = one_problem(&(doc("", AGENT, TASK) + "\n{}"));
    assert_eq!(p, "9:1 : expected end of file after the top-level value, found `{`");
}

#[test]
fn ids_are_checked() {
    let agents = r#"{"id": "a 1", "capabilities": ["code"]}, {"id": "", "capabilities": ["code"]},
        {"id": "a\t", "capabilities": ["code"]}, {"id": "a 1", "capabilities": ["code"]}"#;
    let tasks = r#"{"id": "t1", "capability": "code"}, {"id": "t1", "capability": "code"}"#;
    let p = problems(&doc("", agents, tasks));
    assert_eq!(
        p,
        [
            "3:8 agents[0].id: agent id \"a 1\" must not contain whitespace or control characters",
            "3:49 agents[1].id: agent id must not be empty",
            "4:16 agents[2].id: agent id \"a\\t\" must not contain whitespace or control characters",
            "4:57 agents[3].id: agent id \"a 1\" must not contain whitespace or control characters",
            "4:57 agents[3].id: duplicate agent id `a 1` (first defined at line 3, column 8)",
            "7:44 tasks[1].id: duplicate task id `t1` (first defined at line 7, column 8)",
        ]
    );
}

#[test]
fn dependency_problems() {
    let tasks = r#"{"id": "build", "capability": "code"},
{"id": "test", "capability": "code", "depends_on": ["test", "build", "buid", "build", "zzz"]}"#;
    let p = problems(&doc("", AGENT, tasks));
    assert_eq!(
        p,
        [
            "7:53 tasks[1].depends_on[0]: task `test` depends on itself",
            "7:70 tasks[1].depends_on[2]: unknown task `buid`; did you mean `build`?",
            "7:78 tasks[1].depends_on[3]: dependency `build` is listed more than once (first at line 7, column 61)",
            "7:87 tasks[1].depends_on[4]: unknown task `zzz`",
        ]
    );
}

#[test]
fn long_ids_depending_on_themselves() {
    // Ids too long to compare inside the id table are compared with the task's own copy, which for
    // the task being read is not in the list of tasks yet.
    let tasks = r#"{"id": "a-rather-long-task-id", "capability": "code", "depends_on": ["a-rather-long-task-id"]}"#;
    let p = one_problem(&doc("", AGENT, tasks));
    assert_eq!(p, "6:70 tasks[0].depends_on[0]: task `a-rather-long-task-id` depends on itself");
}

#[test]
fn unknown_dependencies_are_not_reported_when_an_id_is_unreadable() {
    let tasks = r#"{"id": 5, "capability": "code"}, {"id": "b", "capability": "code", "depends_on": ["a"]}"#;
    assert_eq!(one_problem(&doc("", AGENT, tasks)), "6:8 tasks[0].id: expected a string, found number `5`");
}

fn chain_tasks(deps: &[(&str, &[&str])]) -> String {
    let tasks: Vec<String> = deps
        .iter()
        .map(|(id, on)| format!(r#"{{"id": "{id}", "capability": "code", "depends_on": {on:?}}}"#))
        .collect();
    tasks.join(",\n")
}

#[test]
fn cycles_are_reported_once_with_their_path() {
    let tasks = chain_tasks(&[
        ("x", &[]),
        ("a", &["x", "b"]),
        ("b", &["c"]),
        ("c", &["a", "b"]),
        ("p", &["q"]),
        ("q", &["p"]),
        ("r", &["a", "p"]),
    ]);
    let p = problems(&doc("", AGENT, &tasks));
    assert_eq!(p, ["7:8 tasks[1]: dependency cycle: a -> b -> c -> a", "10:8 tasks[4]: dependency cycle: p -> q -> p"]);
}

#[test]
fn shortest_cycle_through_first_task_is_shown() {
    // a -> b -> c -> d -> a and a shortcut c -> a: the cycle shown is a -> b -> c -> a.
    let tasks = chain_tasks(&[("d", &["a"]), ("a", &["b"]), ("b", &["c"]), ("c", &["d", "a"])]);
    let p = one_problem(&doc("", AGENT, &tasks));
    assert!(p.ends_with("tasks[0]: dependency cycle: d -> a -> b -> c -> d"), "{p}");
    let tasks = chain_tasks(&[("a", &["b"]), ("b", &["c"]), ("c", &["d", "a"]), ("d", &["a"])]);
    let p = one_problem(&doc("", AGENT, &tasks));
    assert!(p.ends_with("tasks[0]: dependency cycle: a -> b -> c -> a"), "{p}");
}

fn big_graph(n: usize, ring: bool) -> String {
    let mut tasks = String::new();
    for i in 0..n {
        let dep = if i > 0 {
            format!("[\"t{}\"]", i - 1)
        } else if ring {
            format!("[\"t{}\"]", n - 1)
        } else {
            "[]".to_string()
        };
        tasks.push_str(&format!(
            "{}{{\"id\": \"t{i}\", \"capability\": \"code\", \"depends_on\": {dep}}}",
            if i > 0 { ",\n" } else { "" }
        ));
    }
    doc("", AGENT, &tasks)
}

#[test]
fn long_chains_and_rings() {
    // A chain this long would overflow the stack of a naive recursive search.
    let s = ok(&big_graph(200_000, false));
    assert_eq!(s.tasks.len(), 200_000);
    let p = one_problem(&big_graph(30_000, true));
    assert!(
        p.ends_with("tasks[0]: dependency cycle: t0 -> t29999 -> t29998 -> t29997 -> t29996 -> t29995 -> t29994 -> t29993 -> … (29989 more) … -> t3 -> t2 -> t1 -> t0"),
        "{p}"
    );
}

#[test]
fn capability_coverage() {
    let agents = r#"{"id": "a1", "capabilities": ["code"], "specializations": ["go"]},
        {"id": "a2", "capabilities": ["code", "test"], "specializations": ["rust"]},
        {"id": "a3", "capabilities": ["test"], "specializations": ["rust", "wasm"]}"#;
    let tasks = r#"{"id": "t1", "capability": "cod"},
{"id": "t2", "capability": "code", "specializations": ["rust", "wasm"]},
{"id": "t3", "capability": "code", "specializations": ["rust"]},
{"id": "t4", "capability": "test", "specializations": ["wasm", "rust"]},
{"id": "t5", "capability": "deploy"}"#;
    let p = problems(&doc("", agents, tasks));
    assert_eq!(
        p,
        [
            "8:28 tasks[0].capability: no agent has capability `cod`; did you mean `code`?",
            "9:55 tasks[1].specializations: no agent with capability `code` has all of the specializations \
             `rust`, `wasm`: `a1` lacks `rust`, `wasm`; `a2` lacks `wasm`",
            "12:28 tasks[4].capability: no agent has capability `deploy`",
        ]
    );
}

#[test]
fn coverage_is_skipped_when_an_agent_is_unreadable() {
    let agents = r#"{"id": "a1", "capabilities": ["code"]}, {"id": "a2", "capabilities": [7]}"#;
    let tasks = r#"{"id": "t1", "capability": "test"}"#;
    assert_eq!(
        one_problem(&doc("", agents, tasks)),
        "3:71 agents[1].capabilities[0]: expected a string, found number `7`"
    );
}

#[test]
fn fault_checks() {
    let agents = r#"{"id": "a1", "capabilities": ["code"]}, {"id": "a2", "capabilities": ["code"]}"#;
    let faults = r#" "faults": [
{"at_ms": 10, "crash": "a1"},
{"at_ms": 5, "revive": "a1"},
{"at_ms": 20, "revive": "a1"},
{"at_ms": 20, "revive": "a1"},
{"at_ms": 1, "crash": "a3"}
],"#;
    let p = problems(&doc(faults, agents, TASK));
    assert_eq!(
        p,
        [
            "3:24 faults[1].revive: agent `a1` is revived at 5 ms but is not crashed at that time",
            "5:25 faults[3].revive: agent `a1` is revived at 20 ms but is not crashed at that time",
            "6:23 faults[4].crash: unknown agent `a3`; did you mean `a1`?",
        ]
    );
    let faults = r#" "faults": [{"at_ms": 1}, {"at_ms": 2, "crash": "a1", "revive": "a1"}, {"crash": "a1"}],"#;
    let p = problems(&doc(faults, AGENT, TASK));
    assert_eq!(
        p,
        [
            "1:26 faults[0]: a fault needs one of \"crash\", \"revive\", \"hang\", \"slow\", \"flaky\", \"drop\", \"delay\", \"partition\" or \"heal\"",
            "1:40 faults[1]: a fault takes exactly one of \"crash\", \"revive\", \"hang\", \"slow\", \"flaky\", \"drop\", \"delay\", \"partition\" or \"heal\"",
            "1:85 faults[2]: missing required field \"at_ms\"",
        ]
    );
}

#[test]
fn display_and_sorting() {
    let text = doc(r#" "seed": -1,"#, r#"{"id": "a1", "capabilities": ["code"], "max_concurrent": 0}"#, TASK);
    let e = parse("dir/s.json", &text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "dir/s.json:1:23: seed: must be ≥ 0, found -1\ndir/s.json:3:58: agents[0].max_concurrent: must be ≥ 1, found 0"
    );
}

#[test]
fn positions_count_characters_not_bytes() {
    let text = doc(r#" "description": "héllo wörld", "seed": "x","#, AGENT, TASK);
    assert_eq!(one_problem(&text), "1:53 seed: expected an integer, found string \"x\"");
}

mod lexing {
    use super::super::lexer::{Kind, Lexer};
    use proptest::prelude::*;

    fn lex_string(json: &str) -> String {
        let mut lx = Lexer::new(json);
        assert_eq!(lx.peek().unwrap().0, Kind::String);
        let s = lx.string().unwrap().to_owned();
        lx.finish().unwrap();
        s
    }

    /// JSON with every non-ASCII character written as `\uXXXX` (surrogate pairs above U+FFFF).
    fn ascii_json(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                ' '..='~' => out.push(c),
                _ => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
        }
        out.push('"');
        out
    }

    proptest! {
        #[test]
        fn strings_round_trip(s in any::<String>()) {
            prop_assert_eq!(lex_string(&serde_json::to_string(&s).unwrap()), s.clone());
            prop_assert_eq!(lex_string(&ascii_json(&s)), s);
        }

        #[test]
        fn special_bytes_are_found_at_any_offset(prefix in "[a-z]{0,20}", special in prop_oneof![
            Just("\\\""), Just("\\\\"), Just("\\n"), Just("\\u00e9"), Just("é"), Just("\u{7f}")
        ], suffix in "[a-z]{0,20}") {
            let json = format!("\"{prefix}{special}{suffix}\"");
            let expected: String = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(lex_string(&json), expected);
            // An unescaped control character is always caught, wherever it is.
            let bad = format!("\"{prefix}\u{1}{suffix}\"");
            let mut lx = Lexer::new(&bad);
            lx.peek().unwrap();
            let e = lx.string().unwrap_err();
            prop_assert_eq!(e.pos, 1 + prefix.len());
        }

        #[test]
        fn numbers_round_trip(v in any::<f64>().prop_filter("finite", |v| v.is_finite()), i in any::<i64>()) {
            for text in [serde_json::to_string(&v).unwrap(), format!("{v:e}"), i.to_string()] {
                let mut lx = Lexer::new(&text);
                lx.peek().unwrap();
                let n = lx.number().unwrap();
                let (found, float) = (n.text.to_string(), n.scan.float());
                lx.finish().unwrap();
                prop_assert_eq!(found.as_str(), text.as_str());
                prop_assert_eq!(found.parse::<f64>().unwrap(), text.parse::<f64>().unwrap());
                if let Some(f) = float {
                    prop_assert_eq!(f.to_bits(), text.parse::<f64>().unwrap().to_bits());
                }
            }
        }
    }
}

/// A task is kept for the whole run, a million of them in the largest runs: its rarer parts are
/// boxed and its ids inline, so that one costs this much and no allocation but its dependencies.
#[test]
fn a_task_spec_stays_small() {
    let size = std::mem::size_of::<TaskSpec>();
    assert!(size <= 200, "TaskSpec is {size} bytes");
}

/// A task whose tail (what follows its `depends_on`) is the same text as the last one's gets the
/// same values without reading it again; anything that makes the same text mean something else
/// (a tail key given before `depends_on`, a head key in the tail, the file's `defaults`) is read
/// in full. `parse_checked` compares each with the general decoder.
#[test]
fn a_repeated_tail_means_what_it_says() {
    let retry = r#"{"max_attempts":2,"jitter":0.5}"#;
    let same = format!(r#","priority":1,"timeout_ms":5,"retry":{retry},"work":2.0}}"#);
    let short = r#","retry":{"max_attempts":2},"work":2.0}"#;
    let described = r#","description":"x","work":3.0}"#;
    let tasks = [
        format!(r#"{{"id":"t1","capability":"code","depends_on":[]{same}"#),
        format!(r#"{{"id":"t2","capability":"code","depends_on":["t1"]{same}"#),
        // A tail key before `depends_on`: the same tail text then means more than it says.
        format!(r#"{{"id":"t3","capability":"code","timeout_ms":9,"depends_on":[]{short}"#),
        format!(r#"{{"id":"t4","capability":"code","depends_on":[]{short}"#),
        format!(r#"{{"id":"t5","capability":"code","depends_on":["t4"]{short}"#),
        format!(r#"{{"id":"t6","capability":"code","depends_on":[]{described}"#),
        format!(r#"{{"id":"t7","capability":"code","depends_on":[]{described}"#),
        r#"{"id":"t8","capability":"code","depends_on":[],"allocation":"best_score"}"#.to_string(),
        r#"{"id":"t9","capability":"code","depends_on":[],"allocation":"best_score"}"#.to_string(),
        format!(r#"{{"id":"t10","capability":"code","depends_on":[]{same}"#),
        // Another tail each, with the last retry object: that alone is copied.
        format!(r#"{{"id":"t11","capability":"code","depends_on":[],"timeout_ms":6,"retry":{retry}}}"#),
        format!(r#"{{"id":"t12","capability":"code","depends_on":[],"retry":{retry},"timeout_ms":8}}"#),
    ];
    let extra = r#" "defaults": {"timeout_ms": 7, "retry": {"backoff_ms": 3}},"#;
    let s = ok(&doc(extra, AGENT, &tasks.join(",\n")));
    let t = &s.tasks;
    for i in [0, 1, 9] {
        let r = &t[i].retry;
        assert_eq!((t[i].priority, t[i].timeout_ms, t[i].work), (1, 5, 2.0), "{}", t[i].id);
        assert_eq!((r.max_attempts, r.jitter, r.backoff_ms), (2, 0.5, 3), "{}", t[i].id);
    }
    assert_eq!((t[2].priority, t[2].timeout_ms, t[2].retry.max_attempts), (0, 9, 2));
    for i in [3, 4] {
        let r = &t[i].retry;
        assert_eq!((t[i].priority, t[i].timeout_ms, r.max_attempts, r.jitter, r.backoff_ms), (0, 7, 2, 0.2, 3));
    }
    for i in [5, 6] {
        assert_eq!((t[i].description.as_str(), t[i].work, t[i].timeout_ms), ("x", 3.0, 7), "{}", t[i].id);
    }
    for i in [7, 8] {
        assert_eq!((t[i].allocation, t[i].work, t[i].timeout_ms), (Some(Strategy::BestScore), 1.0, 7));
    }
    for (i, timeout) in [(10, 6), (11, 8)] {
        let r = &t[i].retry;
        assert_eq!((t[i].priority, t[i].timeout_ms, t[i].work), (0, timeout, 1.0), "{}", t[i].id);
        assert_eq!((r.max_attempts, r.jitter, r.backoff_ms), (2, 0.5, 3), "{}", t[i].id);
    }
}

/// The fast path with its remembered tails reads any mix of tasks as the general decoder does:
/// tails drawn from a few texts (so that they repeat, next to tasks that give a tail key before
/// `depends_on`, or a head key, a duplicate or a bad value in the tail), with and without the
/// file's `defaults`. `parse_checked` compares the whole text read in memory, where the fast path
/// runs, with the same text streamed a few bytes at a time, where the general decoder reads every
/// task: the scenarios, or every problem with its position, must be equal.
mod tails {
    use super::*;
    use proptest::prelude::*;

    const TAILS: [&str; 8] = [
        r#","priority":1,"timeout_ms":5,"retry":{"max_attempts":2,"jitter":0.5},"work":2.0}"#,
        r#","retry":{"max_attempts":2,"jitter":0.5}}"#,
        r#", "timeout_ms": 5 , "work": 2.0 }"#,
        r#","description":"x","work":3.0}"#,
        r#","allocation":"best_score","priority":-2}"#,
        r#","priority":1,"priority":2}"#,
        r#","timeout_ms":0,"retry":{"max_attempts":2,"jitter":0.5}}"#,
        r#"}"#,
    ];
    const HEADS: [&str; 3] = ["", r#""timeout_ms":9,"#, r#""retry":{"backoff_ms":1},"#];

    proptest! {
        #[test]
        fn tails_read_as_the_general_decoder_reads_them(
            picks in prop::collection::vec((0..HEADS.len(), 0..TAILS.len()), 1..12),
            defaults in any::<bool>(),
        ) {
            let tasks: Vec<String> = picks
                .iter()
                .enumerate()
                .map(|(i, &(h, t))| {
                    let deps = if i > 0 { format!(r#""t{}""#, i - 1) } else { String::new() };
                    format!(r#"{{"id":"t{i}","capability":"code",{}"depends_on":[{deps}]{}"#, HEADS[h], TAILS[t])
                })
                .collect();
            let extra = if defaults { r#" "defaults": {"timeout_ms": 7, "retry": {"backoff_ms": 3}},"# } else { "" };
            let _ = parse_checked(&doc(extra, AGENT, &tasks.join(",\n")));
        }
    }
}
