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
