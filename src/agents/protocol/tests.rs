//! Unit tests of the protocol codec: every message both ways, every error kind, hello validation,
//! and that `assets/protocol.md` documents every message and field.

use serde_json::json;

use super::*;

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

/// Every coordinator → agent message, with its expected wire form.
fn to_agent_samples() -> Vec<(ToAgent, Value)> {
    vec![
        (
            ToAgent::Task {
                id: "draft".into(),
                attempt: 2,
                capability: "writing".into(),
                description: "write the draft".into(),
                inputs: map(json!({"research": {"words": 12}})),
                deadline_ms: 30_000,
                max_subtasks: None,
            },
            json!({"type": "task", "id": "draft", "attempt": 2, "capability": "writing",
                   "description": "write the draft", "inputs": {"research": {"words": 12}}, "deadline_ms": 30000}),
        ),
        (
            ToAgent::Task {
                id: "outline".into(),
                attempt: 1,
                capability: "planning".into(),
                description: "plan the report".into(),
                inputs: Map::new(),
                deadline_ms: 5_000,
                max_subtasks: Some(8),
            },
            json!({"type": "task", "id": "outline", "attempt": 1, "capability": "planning",
                   "description": "plan the report", "inputs": {}, "deadline_ms": 5000, "max_subtasks": 8}),
        ),
        (
            ToAgent::Cancel { task: "draft".into(), attempt: 2 },
            json!({"type": "cancel", "task": "draft", "attempt": 2}),
        ),
        (
            ToAgent::Cfp { auction: "a1".into(), task: "draft".into(), capability: "writing".into(), deadline_ms: 500 },
            json!({"type": "cfp", "auction": "a1", "task": "draft", "capability": "writing", "deadline_ms": 500}),
        ),
        (
            ToAgent::Ballot { proposal: "p1".into(), question: "ship it?".into(), deadline_ms: 1000 },
            json!({"type": "ballot", "proposal": "p1", "question": "ship it?", "deadline_ms": 1000}),
        ),
        (
            ToAgent::HelpRequest {
                id: "h1".into(),
                from: "writer".into(),
                capability: "research".into(),
                question: "what is X?".into(),
            },
            json!({"type": "help_request", "id": "h1", "from": "writer", "capability": "research",
                   "question": "what is X?"}),
        ),
        (
            ToAgent::HelpResponse { id: "h1".into(), from: "researcher".into(), answer: "X is Y".into() },
            json!({"type": "help_response", "id": "h1", "from": "researcher", "answer": "X is Y"}),
        ),
        (
            ToAgent::Broadcast { text: "freeze at 17:00".into() },
            json!({"type": "broadcast", "text": "freeze at 17:00"}),
        ),
        (ToAgent::Shutdown {}, json!({"type": "shutdown"})),
    ]
}

/// Every agent → coordinator message, with its expected wire form.
fn from_agent_samples() -> Vec<(FromAgent, Value)> {
    vec![
        (
            FromAgent::Hello(Hello { protocol: 1, agent: "writer".into(), capabilities: vec!["writing".into()] }),
            json!({"type": "hello", "protocol": 1, "agent": "writer", "capabilities": ["writing"]}),
        ),
        (
            FromAgent::Result { task: "draft".into(), attempt: 1, output: json!({"text": "hi", "n": [1, 2]}) },
            json!({"type": "result", "task": "draft", "attempt": 1, "output": {"text": "hi", "n": [1, 2]}}),
        ),
        (
            FromAgent::Result { task: "draft".into(), attempt: 1, output: Value::Null },
            json!({"type": "result", "task": "draft", "attempt": 1, "output": null}),
        ),
        (
            FromAgent::Error { task: "draft".into(), attempt: 1, message: "boom".into(), retryable: true },
            json!({"type": "error", "task": "draft", "attempt": 1, "message": "boom", "retryable": true}),
        ),
        (
            FromAgent::Progress { task: "draft".into(), attempt: 1, fraction: 0.5, note: Some("half".into()) },
            json!({"type": "progress", "task": "draft", "attempt": 1, "fraction": 0.5, "note": "half"}),
        ),
        (
            FromAgent::Progress { task: "draft".into(), attempt: 1, fraction: 1.0, note: None },
            json!({"type": "progress", "task": "draft", "attempt": 1, "fraction": 1.0}),
        ),
        (FromAgent::Heartbeat {}, json!({"type": "heartbeat"})),
        (
            FromAgent::Log { level: LogLevel::Warn, message: "slow disk".into() },
            json!({"type": "log", "level": "warn", "message": "slow disk"}),
        ),
        (
            FromAgent::Bid { auction: "a1".into(), price: 2.5, eta_ms: 1200, confidence: 0.8 },
            json!({"type": "bid", "auction": "a1", "price": 2.5, "eta_ms": 1200, "confidence": 0.8}),
        ),
        (
            FromAgent::Decline { auction: "a1".into(), reason: Some("busy".into()) },
            json!({"type": "decline", "auction": "a1", "reason": "busy"}),
        ),
        (FromAgent::Decline { auction: "a1".into(), reason: None }, json!({"type": "decline", "auction": "a1"})),
        (
            FromAgent::Vote { proposal: "p1".into(), choice: VoteChoice::Abstain, reason: None },
            json!({"type": "vote", "proposal": "p1", "choice": "abstain"}),
        ),
        (
            FromAgent::Vote { proposal: "p1".into(), choice: VoteChoice::Yes, reason: Some("tests pass".into()) },
            json!({"type": "vote", "proposal": "p1", "choice": "yes", "reason": "tests pass"}),
        ),
        (
            FromAgent::HelpResponse { id: "h1".into(), answer: "X is Y".into() },
            json!({"type": "help_response", "id": "h1", "answer": "X is Y"}),
        ),
        (
            FromAgent::RequestHelp { id: "h2".into(), capability: "research".into(), question: "why?".into() },
            json!({"type": "request_help", "id": "h2", "capability": "research", "question": "why?"}),
        ),
    ]
}

#[test]
fn every_to_agent_message_round_trips() {
    let samples = to_agent_samples();
    let types: std::collections::BTreeSet<_> = samples.iter().map(|(m, _)| m.type_name()).collect();
    assert_eq!(types.len(), TO_AGENT.len(), "a sample for every coordinator → agent type");
    for (msg, wire) in samples {
        let line = encode_line(&msg);
        assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'), "one line: {line:?}");
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed, wire, "encoding of {}", msg.type_name());
        assert_eq!(parsed["type"], msg.type_name());
        assert_eq!(decode_to_agent(&line).unwrap(), msg);
        assert_eq!(decode_to_agent(&wire.to_string()).unwrap(), msg);
    }
}

#[test]
fn every_from_agent_message_round_trips() {
    let samples = from_agent_samples();
    let types: std::collections::BTreeSet<_> = samples.iter().map(|(m, _)| m.type_name()).collect();
    assert_eq!(types.len(), FROM_AGENT.len(), "a sample for every agent → coordinator type");
    for (msg, wire) in samples {
        let line = encode_line(&msg);
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed, wire, "encoding of {}", msg.type_name());
        assert_eq!(parsed["type"], msg.type_name());
        assert_eq!(decode_from_agent(&line).unwrap(), msg);
        assert_eq!(decode_from_agent(&wire.to_string()).unwrap(), msg);
    }
}

#[test]
fn directions_are_separate() {
    assert_eq!(decode_from_agent(r#"{"type":"shutdown"}"#), Err(ProtocolError::UnknownType("shutdown".into())));
    assert_eq!(decode_to_agent(r#"{"type":"heartbeat"}"#), Err(ProtocolError::UnknownType("heartbeat".into())));
}

#[test]
fn unknown_fields_are_ignored_and_crlf_accepted() {
    let msg = decode_from_agent("{\"type\":\"heartbeat\",\"load\":3,\"extra\":{\"a\":[1]}}\r\n").unwrap();
    assert_eq!(msg, FromAgent::Heartbeat {});
    let msg = decode_from_agent(r#"{"future":true,"type":"decline","auction":"a","reason":null}"#).unwrap();
    assert_eq!(msg, FromAgent::Decline { auction: "a".into(), reason: None });
    let msg = decode_to_agent(r#"{"type":"cancel","task":"t","attempt":1,"why":"timeout"}"#).unwrap();
    assert_eq!(msg, ToAgent::Cancel { task: "t".into(), attempt: 1 });
}

#[test]
fn not_json() {
    for line in ["hello world", "{\"type\":", "", "{'type':'heartbeat'}", "{\"type\":\"heartbeat\"} trailing"] {
        let err = decode_from_agent(line).unwrap_err();
        assert!(matches!(err, ProtocolError::NotJson(_)), "{line:?}: {err:?}");
        assert_eq!(err.kind(), "not_json");
        assert!(err.to_string().starts_with("not JSON: "), "{err}");
    }
}

#[test]
fn not_an_object() {
    assert_eq!(decode_from_agent("[1,2]"), Err(ProtocolError::NotObject("an array")));
    assert_eq!(decode_from_agent("42"), Err(ProtocolError::NotObject("a number")));
    assert_eq!(decode_from_agent("\"heartbeat\"").unwrap_err().to_string(), "not a JSON object: found a string");
}

#[test]
fn unknown_type() {
    let err = decode_from_agent(r#"{"type":"teleport","to":"mars"}"#).unwrap_err();
    assert_eq!(err, ProtocolError::UnknownType("teleport".into()));
    assert_eq!(err.kind(), "unknown_type");
    assert_eq!(err.to_string(), "unknown message type `teleport`");
}

#[test]
fn missing_or_invalid_type() {
    let err = decode_from_agent(r#"{"task":"t"}"#).unwrap_err();
    assert_eq!(err, ProtocolError::MissingField { msg_type: None, field: "type" });
    assert_eq!(err.to_string(), "missing field `type`");
    let err = decode_from_agent(r#"{"type":7}"#).unwrap_err();
    assert_eq!(err.kind(), "invalid_field");
    assert_eq!(err.to_string(), "field `type`: expected a string, found the number 7");
}

#[test]
fn missing_field() {
    let err = decode_from_agent(r#"{"type":"result","task":"t","attempt":1}"#).unwrap_err();
    assert_eq!(err, ProtocolError::MissingField { msg_type: Some("result".into()), field: "output" });
    assert_eq!(err.kind(), "missing_field");
    assert_eq!(err.to_string(), "`result` message: missing field `output`");
    let err = decode_from_agent(r#"{"type":"error","task":"t","attempt":1,"message":"m"}"#).unwrap_err();
    assert_eq!(err, ProtocolError::MissingField { msg_type: Some("error".into()), field: "retryable" });
    let err = decode_to_agent(r#"{"type":"task","id":"t","attempt":1,"capability":"c","description":"d"}"#);
    assert_eq!(err, Err(ProtocolError::MissingField { msg_type: Some("task".into()), field: "inputs" }));
}

#[test]
fn invalid_fields() {
    let cases = [
        (r#"{"type":"result","task":3,"attempt":1,"output":1}"#, "task", "expected a string, found the number 3"),
        (
            r#"{"type":"result","task":"t","attempt":-1,"output":1}"#,
            "attempt",
            "expected an integer from 0 to 4294967295, found the number -1",
        ),
        (r#"{"type":"result","task":"t","attempt":1.5,"output":1}"#, "attempt", "found the number 1.5"),
        (r#"{"type":"result","task":"t","attempt":4294967296,"output":1}"#, "attempt", "found the number 4294967296"),
        (r#"{"type":"error","task":"t","attempt":1,"message":"m","retryable":"yes"}"#, "retryable", "true or false"),
        (r#"{"type":"progress","task":"t","attempt":1,"fraction":1.5}"#, "fraction", "a number from 0 to 1"),
        (r#"{"type":"progress","task":"t","attempt":1,"fraction":0.5,"note":5}"#, "note", "expected a string"),
        (r#"{"type":"log","level":"fatal","message":"m"}"#, "level", "one of error, warn, info, debug"),
        (r#"{"type":"bid","auction":"a","price":-1,"eta_ms":1,"confidence":0.5}"#, "price", "a number ≥ 0"),
        (r#"{"type":"bid","auction":"a","price":1,"eta_ms":1,"confidence":2}"#, "confidence", "from 0 to 1"),
        (r#"{"type":"vote","proposal":"p","choice":"maybe"}"#, "choice", "one of yes, no, abstain"),
        (r#"{"type":"hello","protocol":1,"agent":"a","capabilities":"x"}"#, "capabilities", "an array of strings"),
        (r#"{"type":"hello","protocol":1,"agent":"a","capabilities":["x",1]}"#, "capabilities", "non-string element"),
        (r#"{"type":"hello","protocol":1,"agent":null,"capabilities":[]}"#, "agent", "found null"),
    ];
    for (line, field, reason) in cases {
        match decode_from_agent(line) {
            Err(ProtocolError::InvalidField { field: f, reason: r, .. }) => {
                assert_eq!(f, field, "{line}");
                assert!(r.contains(reason), "{line}: {r:?} should contain {reason:?}");
            }
            other => panic!("{line}: expected an invalid-field error, got {other:?}"),
        }
    }
    let err = decode_to_agent(
        r#"{"type":"task","id":"t","attempt":1,"capability":"c","description":"d","inputs":[],"deadline_ms":1}"#,
    );
    assert_eq!(err.unwrap_err().to_string(), "`task` message: field `inputs`: expected an object, found an array");
}

#[test]
fn long_strings_are_cut_in_errors() {
    let long = "x".repeat(500);
    let err = decode_from_agent(&format!(r#"{{"type":"result","task":"t","attempt":"{long}","output":1}}"#));
    let text = err.unwrap_err().to_string();
    assert!(text.len() < 200, "{text}");
    assert!(text.ends_with("…"), "{text}");
}

#[test]
fn line_too_long() {
    let pad = "x".repeat(MAX_LINE_BYTES);
    let line = format!(r#"{{"type":"heartbeat","pad":"{pad}"}}"#);
    let err = decode_from_agent(&line).unwrap_err();
    assert_eq!(err, ProtocolError::LineTooLong { len: line.len(), max: MAX_LINE_BYTES });
    assert_eq!(err.kind(), "line_too_long");
    assert!(err.to_string().starts_with("line too long: "), "{err}");
    // Just under the limit is fine.
    let pad = "x".repeat(MAX_LINE_BYTES - 40);
    let line = format!(r#"{{"type":"heartbeat","pad":"{pad}"}}"#);
    assert!(line.len() <= MAX_LINE_BYTES);
    assert_eq!(decode_from_agent(&format!("{line}\n")).unwrap(), FromAgent::Heartbeat {});
}

fn hello(protocol: u32, agent: &str, caps: &[&str]) -> Hello {
    Hello { protocol, agent: agent.into(), capabilities: caps.iter().map(|c| c.to_string()).collect() }
}

#[test]
fn hello_validation() {
    assert_eq!(validate_hello(&hello(1, "writer", &["writing", "review"]), "writer", &["writing"]), Ok(()));
    assert_eq!(validate_hello(&hello(1, "writer", &["writing"]), "writer", &[] as &[&str]), Ok(()));
    let caps = vec!["writing".to_string()];
    assert_eq!(validate_hello(&hello(1, "writer", &["writing"]), "writer", &caps), Ok(()));

    let err = validate_hello(&hello(1, "reader", &["writing"]), "writer", &["writing"]).unwrap_err();
    assert_eq!(err, "agent id `reader` does not match the scenario's `writer`");
    let err = validate_hello(&hello(1, "writer", &["review"]), "writer", &["writing", "review", "x"]).unwrap_err();
    assert_eq!(err, "capabilities [writing, x] not declared by the agent");
    let err = validate_hello(&hello(2, "w", &[]), "writer", &["writing"]).unwrap_err();
    assert_eq!(
        err,
        "protocol version 2 is not supported (expected 1); agent id `w` does not match the scenario's `writer`; \
         capabilities [writing] not declared by the agent"
    );
}

/// `assets/protocol.md` documents every message type, in a section per type, and every field.
#[test]
fn protocol_reference_documents_every_message_and_field() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/protocol.md");
    let doc = std::fs::read_to_string(path).expect("assets/protocol.md");
    for (direction, msg_type, fields) in all_fields() {
        let heading = format!("### `{msg_type}`");
        let sections: Vec<&str> = doc.split("\n### ").filter(|s| s.starts_with(&heading[4..])).collect();
        assert!(!sections.is_empty(), "{direction} `{msg_type}` has no `{heading}` section");
        for field in fields {
            let mention = format!("`{field}`");
            assert!(
                sections.iter().any(|s| s.contains(&mention)),
                "{direction} `{msg_type}`: field {mention} undocumented"
            );
        }
    }
}
