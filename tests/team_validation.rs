//! Bad team fields (`reports_to`, …) are reported with their file position and path, like the
//! rest of the format; good ones load and round-trip through `switchyard gen`'s writer.

use switchyard::scenario::{Scenario, parse};

fn parse_err(text: &str) -> Vec<String> {
    let e = parse("inline.json", text).expect_err("the text is invalid");
    e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect()
}

fn round_trip(sc: &Scenario) {
    let mut out = Vec::new();
    switchyard::generate::write_json(sc, &mut out).unwrap();
    let back = parse("again.json", std::str::from_utf8(&out).unwrap()).unwrap();
    assert_eq!(&back, sc);
}

/// A scenario with `agents` (one per line, from line 2) and one task of capability `x`.
fn with_agents(agents: &[&str]) -> String {
    format!(
        "{{\"name\": \"t\", \"allocation\": \"hierarchy\", \"agents\": [\n{}\n],\n\"tasks\": [{{\"id\": \"t\", \"capability\": \"x\"}}]}}",
        agents.join(",\n")
    )
}

#[test]
fn reports_to_loads_and_round_trips() {
    let sc = parse(
        "ok.json",
        &with_agents(&[
            r#"{"id": "boss", "capabilities": ["lead"]}"#,
            r#"{"id": "w", "capabilities": ["x"], "reports_to": "boss"}"#,
        ]),
    )
    .unwrap();
    assert_eq!(sc.agents[1].reports_to.as_deref(), Some("boss"));
    assert_eq!(sc.allocation, switchyard::scenario::Strategy::Hierarchy);
    round_trip(&sc);
}

#[test]
fn reports_to_unknown_self_wrong_type_are_located() {
    assert_eq!(
        parse_err(&with_agents(&[
            r#"{"id": "boss", "capabilities": ["lead"]}"#,
            r#"{"id": "w1", "capabilities": ["x"], "reports_to": "bos"}"#,
            r#"{"id": "w2", "capabilities": ["x"], "reports_to": "w2"}"#,
            r#"{"id": "w3", "capabilities": ["x"], "reports_to": 7}"#,
        ])),
        [
            "3:51 agents[1].reports_to: unknown agent `bos`; did you mean `boss`?",
            "4:51 agents[2].reports_to: agent `w2` cannot report to itself",
            "5:51 agents[3].reports_to: expected a string, found number `7`",
        ]
    );
}

#[test]
fn a_reports_to_cycle_is_shown_whole_once() {
    assert_eq!(
        parse_err(&with_agents(&[
            r#"{"id": "a", "capabilities": ["x"], "reports_to": "c"}"#,
            r#"{"id": "b", "capabilities": ["x"], "reports_to": "a"}"#,
            r#"{"id": "c", "capabilities": ["x"], "reports_to": "b"}"#,
            r#"{"id": "d", "capabilities": ["x"], "reports_to": "c"}"#,
        ])),
        ["2:50 agents[0].reports_to: reports_to forms a cycle: a -> c -> b -> a"]
    );
}

/// Agents `w` (write) and `r` (review); tasks from `tasks` (one per line, from line 3).
fn with_tasks(tasks: &[&str]) -> String {
    format!(
        "{{\"name\": \"t\", \"agents\": [{{\"id\": \"w\", \"capabilities\": [\"write\"]}}, {{\"id\": \"r\", \"capabilities\": [\"review\"]}}],\n\"tasks\": [\n{}\n]}}",
        tasks.join(",\n")
    )
}

#[test]
fn review_loads_with_defaults_and_round_trips() {
    let sc = parse(
        "ok.json",
        &with_tasks(&[
            r#"{"id": "draft", "capability": "write"}"#,
            r#"{"id": "check", "capability": "review", "depends_on": ["draft"], "review": {"of": "draft"}}"#,
        ]),
    )
    .unwrap();
    let r = sc.tasks[1].extras().review.as_ref().unwrap();
    assert_eq!((r.of.as_str(), r.max_rework, r.on_limit), ("draft", 2, switchyard::scenario::OnLimit::Accept));
    round_trip(&sc);
}

#[test]
fn bad_review_fields_are_located() {
    assert_eq!(
        parse_err(&with_tasks(&[
            r#"{"id": "draft", "capability": "write"}"#,
            r#"{"id": "a", "capability": "review", "review": {"of": "draft", "max_rework": -1, "on_limit": "retry"}}"#,
            r#"{"id": "b", "capability": "review", "review": {"max_rework": "2"}}"#,
            r#"{"id": "c", "capability": "review", "review": "draft"}"#,
        ])),
        [
            "4:54 tasks[1].review.of: `draft` must also be in `depends_on`: a review runs after the work it reviews",
            "4:77 tasks[1].review.max_rework: must be ≥ 0, found -1",
            "4:93 tasks[1].review.on_limit: unknown on_limit action \"retry\" (expected one of: accept, escalate, fail)",
            "5:47 tasks[2].review: missing required field \"of\"",
            "5:62 tasks[2].review.max_rework: expected an integer, found string \"2\"",
            "6:47 tasks[3].review: expected an object, found string \"draft\"",
        ]
    );
}

#[test]
fn review_references_are_checked_across_the_file() {
    assert_eq!(
        parse_err(&with_tasks(&[
            r#"{"id": "draft", "capability": "write"}"#,
            r#"{"id": "a", "capability": "review", "depends_on": ["draft"], "review": {"of": "drfat"}}"#,
            r#"{"id": "b", "capability": "review", "depends_on": ["draft"], "review": {"of": "b"}}"#,
            r#"{"id": "c", "capability": "review", "depends_on": ["draft"], "review": {"of": "draft"}}"#,
            r#"{"id": "d", "capability": "review", "depends_on": ["draft"], "review": {"of": "draft"}}"#,
        ])),
        [
            "4:79 tasks[1].review.of: unknown task `drfat`; did you mean `draft`?",
            "5:79 tasks[2].review.of: task `b` cannot review itself",
            "6:79 tasks[3].review.of: task `draft` goes back for rework when `c` rejects it, so no other task may depend on it; `a` does (make it depend on `c`)",
            "7:79 tasks[4].review.of: task `draft` goes back for rework when `d` rejects it, so no other task may depend on it; `a` does (make it depend on `d`)",
        ]
    );
}

#[test]
fn help_loads_with_defaults_and_bad_help_is_located() {
    let sc = parse(
        "ok.json",
        &with_tasks(&[
            r#"{"id": "draft", "capability": "write", "help": {"capability": "review", "question": "ok?"}}"#,
        ]),
    )
    .unwrap();
    let h = sc.tasks[0].extras().help.as_ref().unwrap();
    assert_eq!((h.capability.as_str(), h.timeout_ms, h.at), ("review", 1000, 0.5));
    round_trip(&sc);
    assert_eq!(
        parse_err(&with_tasks(&[
            r#"{"id": "a", "capability": "write", "help": {"capability": "reviw", "timeout_ms": 0, "at": 1.5}}"#,
            r#"{"id": "b", "capability": "write", "help": {"question": 3}}"#,
        ])),
        [
            "3:59 tasks[0].help.capability: no agent has capability `reviw` to answer; did you mean `review`?",
            "3:82 tasks[0].help.timeout_ms: must be ≥ 1, found 0",
            "3:91 tasks[0].help.at: must be between 0 and 1, found 1.5",
            "4:44 tasks[1].help: missing required field \"capability\"",
            "4:57 tasks[1].help.question: expected a string, found number `3`",
        ]
    );
}

#[test]
fn announcements_load_and_bad_ones_are_located() {
    let ok = with_tasks(&[r#"{"id": "t", "capability": "write"}"#]).replace(
        "\n]}",
        "\n],\n\"announcements\": [{\"at_ms\": 5, \"to\": \"all\", \"text\": \"hi\"}, {\"at_ms\": 9, \"to\": {\"capability\": \"review\"}, \"text\": \"freeze\"}]}",
    );
    let sc = parse("ok.json", &ok).unwrap();
    assert_eq!(sc.announcements[1].to, switchyard::scenario::Audience::Capability("review".into()));
    round_trip(&sc);
    let bad = with_tasks(&[r#"{"id": "t", "capability": "write"}"#]).replace(
        "\n]}",
        "\n],\n\"announcements\": [{\"at_ms\": -1, \"to\": \"everyone\", \"text\": 3}, {\"to\": {\"capability\": \"reviw\"}, \"text\": \"x\"}]}",
    );
    assert_eq!(
        parse_err(&bad),
        [
            "5:29 announcements[0].at_ms: must be ≥ 0, found -1",
            "5:39 announcements[0].to: expected \"all\" or {\"capability\": …}, found \"everyone\"",
            "5:59 announcements[0].text: expected a string, found number `3`",
            "5:63 announcements[1]: missing required field \"at_ms\"",
            "5:85 announcements[1].to.capability: no agent has capability `reviw`; did you mean `review`?",
        ]
    );
}
