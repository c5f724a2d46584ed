//! Scenario agents of kind `process` and `llm`: what they may and must say, and the errors.

#[path = "support/scratch.rs"]
mod scratch;

use std::path::Path;

use switchyard::scenario::{AgentKind, DEFAULT_LLM_TIMEOUT_MS, Scenario, load, parse};

fn with_agents(agents: &str) -> String {
    format!(
        "{{\"name\": \"kinds\",\n\"agents\": [\n{agents}\n],\n\"tasks\": [{{\"id\": \"t\", \"capability\": \"c\"}}]}}"
    )
}

fn ok(agents: &str) -> Scenario {
    parse("kinds.json", &with_agents(agents)).unwrap_or_else(|e| panic!("{e}"))
}

/// Problems as `LINE:COL PATH: MESSAGE` (agents start on line 3).
fn errors(agents: &str) -> Vec<String> {
    let e = parse("kinds.json", &with_agents(agents)).expect_err("invalid");
    e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect()
}

#[test]
fn process_and_llm_agents_are_read_with_their_fields() {
    let s = ok(r#"{"id": "p", "capabilities": ["c"], "kind": "process", "command": ["python3", "x.py", "-v"],
 "env": {"A": "1", "B": ""}, "cwd": "work"},
{"id": "l", "capabilities": ["c"], "kind": "llm", "base_url": "http://127.0.0.1:11434/v1", "model": "m",
 "api_key_env": "KEY", "system": "be brief", "timeout_ms": 5000},
{"id": "l2", "capabilities": ["c"], "base_url": "https://x/v1", "model": "m", "kind": "llm"},
{"id": "s", "capabilities": ["c"], "kind": "sim"}"#);
    let AgentKind::Process(p) = &s.agents[0].kind else { panic!("{:?}", s.agents[0].kind) };
    assert_eq!(p.command, ["python3", "x.py", "-v"]);
    assert_eq!(p.env.get("A").map(String::as_str), Some("1"));
    assert_eq!(p.env.get("B").map(String::as_str), Some(""));
    assert_eq!(p.cwd.as_deref(), Some("work"));
    let AgentKind::Llm(l) = &s.agents[1].kind else { panic!() };
    assert_eq!(
        (l.base_url.as_str(), l.model.as_str(), l.api_key_env.as_deref()),
        ("http://127.0.0.1:11434/v1", "m", Some("KEY"))
    );
    assert_eq!((l.system.as_str(), l.timeout_ms), ("be brief", 5000));
    let AgentKind::Llm(l2) = &s.agents[2].kind else { panic!() };
    assert_eq!((l2.api_key_env.as_deref(), l2.system.as_str(), l2.timeout_ms), (None, "", DEFAULT_LLM_TIMEOUT_MS));
    assert_eq!(s.agents[3].kind, AgentKind::Sim);
    // The kinds survive a write and a read (what `switchyard gen` and the round-trip tests rely on).
    let text = serde_json::to_string(&s).unwrap();
    assert_eq!(parse("again.json", &text).unwrap(), s);
    assert!(!text.contains("\"kind\":\"sim\""), "sim is the default and is not written: {text}");
}

#[test]
fn bad_kind_fields_are_reported_each_at_its_place() {
    let got = errors(
        r#"{"id": "a", "capabilities": ["c"], "kind": "robot"},
{"id": "b", "capabilities": ["c"], "kind": "process"},
{"id": "c", "capabilities": ["c"], "kind": "process", "command": []},
{"id": "d", "capabilities": ["c"], "kind": "process", "command": [""], "env": {"X": 1, "Y": "y"}, "cwd": ""},
{"id": "e", "capabilities": ["c"], "kind": "llm", "base_url": "ftp://x", "model": "", "timeout_ms": 0},
{"id": "f", "capabilities": ["c"], "kind": "llm"},
{"id": "g", "capabilities": ["c"], "command": ["x"], "model": "m"},
{"id": "h", "capabilities": ["c"], "kind": 3, "command": "x"}"#,
    );
    let expected = [
        r#"3:44 agents[0].kind: unknown agent kind "robot" (expected one of: sim, process, llm, nats)"#,
        r#"4:1 agents[1]: missing required field "command" (agents of kind "process" need it)"#,
        "5:66 agents[2].command: at least the program is required",
        "6:66 agents[3].command: the program (first element) must not be empty",
        r#"6:85 agents[3].env: expected a string for "X", found number `1`"#,
        "6:106 agents[3].cwd: must not be empty",
        r#"7:63 agents[4].base_url: expected an http:// or https:// URL, found "ftp://x""#,
        "7:83 agents[4].model: must not be empty",
        "7:101 agents[4].timeout_ms: must be ≥ 1, found 0",
        r#"8:1 agents[5]: missing required field "base_url" (agents of kind "llm" need it)"#,
        r#"8:1 agents[5]: missing required field "model" (agents of kind "llm" need it)"#,
        r#"9:47 agents[6]: "command" applies only to agents of kind "process" or "nats" (this agent's kind is "sim")"#,
        r#"9:63 agents[6]: "model" applies only to agents of kind "llm" (this agent's kind is "sim")"#,
        "10:44 agents[7].kind: expected a string, found number `3`",
        "10:58 agents[7].command: expected an array, found string \"x\"",
    ];
    assert_eq!(got, expected, "\n{}", got.join("\n"));
}

#[test]
fn load_resolves_working_directories_against_the_scenario_file() {
    let dir = scratch::dir("kinds");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.json");
    let agents = r#"{"id": "p", "capabilities": ["c"], "kind": "process", "command": ["./bin/agent", "a.txt"], "cwd": "sub"},
{"id": "q", "capabilities": ["c"], "kind": "process", "command": ["python3", "q.py"]},
{"id": "r", "capabilities": ["c"], "kind": "process", "command": ["/bin/sh"], "cwd": "/tmp"}"#;
    std::fs::write(&file, with_agents(agents)).unwrap();
    let s = load(&file).unwrap();
    let abs = std::path::absolute(&dir).unwrap();
    let kinds: Vec<_> = s
        .agents
        .iter()
        .map(|a| match &a.kind {
            AgentKind::Process(p) => (p.command[0].clone(), p.cwd.clone().unwrap()),
            k => panic!("{k:?}"),
        })
        .collect();
    let sub = abs.join("sub");
    assert_eq!(kinds[0], (sub.join("./bin/agent").display().to_string(), sub.display().to_string()));
    assert_eq!(kinds[1], ("python3".to_string(), abs.display().to_string()));
    assert_eq!(kinds[2], ("/bin/sh".to_string(), "/tmp".to_string()));
    // The arguments are the program's business.
    let AgentKind::Process(p) = &s.agents[0].kind else { unreachable!() };
    assert_eq!(p.command[1], "a.txt");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(Path::new(&kinds[1].1).is_absolute());
}

#[test]
fn ca_file_is_checked_where_it_is_written() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
    let agents = format!(
        r#"{{"id": "a", "capabilities": ["c"], "kind": "llm", "base_url": "https://x/v1", "model": "m", "ca_file": 7}},
{{"id": "b", "capabilities": ["c"], "kind": "llm", "base_url": "https://x/v1", "model": "m", "ca_file": ""}},
{{"id": "c", "capabilities": ["c"], "kind": "llm", "base_url": "https://x/v1", "model": "m", "ca_file": "nope.pem"}},
{{"id": "d", "capabilities": ["c"], "kind": "llm", "base_url": "https://x/v1", "model": "m", "ca_file": "{fixtures}/server.key"}},
{{"id": "e", "capabilities": ["c"], "ca_file": "{fixtures}/ca.pem"}}"#
    );
    let got = errors(&agents);
    let expected = [
        "3:104 agents[0].ca_file: expected a string, found number `7`".to_string(),
        "4:104 agents[1].ca_file: must not be empty".to_string(),
        "5:104 agents[2].ca_file: cannot read CA file nope.pem: No such file or directory".to_string(),
        format!(
            "6:104 agents[3].ca_file: CA file {fixtures}/server.key: contains no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ),
        r#"7:47 agents[4]: "ca_file" applies only to agents of kind "llm" (this agent's kind is "sim")"#.to_string(),
    ];
    assert_eq!(got, expected, "\n{}", got.join("\n"));

    // A relative `ca_file` is taken from the scenario file's directory, at load and in the result.
    let dir = scratch::dir("ca");
    std::fs::create_dir_all(dir.join("certs")).unwrap();
    std::fs::copy(format!("{fixtures}/ca.pem"), dir.join("certs/ca.pem")).unwrap();
    let file = dir.join("s.json");
    let agent = r#"{"id": "l", "capabilities": ["c"], "kind": "llm", "base_url": "https://x/v1", "model": "m",
 "ca_file": "certs/ca.pem"}"#;
    std::fs::write(&file, with_agents(agent)).unwrap();
    let s = load(&file).unwrap_or_else(|e| panic!("{e}"));
    let AgentKind::Llm(l) = &s.agents[0].kind else { panic!() };
    let abs = std::path::absolute(dir.join("certs/ca.pem")).unwrap();
    assert_eq!(l.ca_file.as_deref(), Some(abs.to_str().unwrap()));
    // Loaded from elsewhere, the same relative path is not found (and is named as written).
    let err = parse("elsewhere.json", &with_agents(agent)).expect_err("not found from here");
    assert!(err.to_string().contains("cannot read CA file certs/ca.pem"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nats_agents_take_a_command_and_a_delivery_and_an_id_that_is_a_subject_token() {
    let agents = r#"{"id": "gpu-1", "capabilities": ["c"], "kind": "nats"},
{"id": "gpu_2", "capabilities": ["c"], "kind": "nats", "command": ["python3", "a.py"], "env": {"K": "v"}, "cwd": "w", "delivery": "direct"},
{"id": "gpu.3", "capabilities": ["c"], "kind": "nats"},
{"id": "e", "capabilities": ["c"], "kind": "nats", "delivery": "carrier-pigeon"},
{"id": "f", "capabilities": ["c"], "kind": "process", "command": ["x"], "delivery": "direct"}"#;
    let got = errors(agents);
    let expected = [
        r#"5:8 agents[2]: agent id "gpu.3" has '.': the id of an agent of kind "nats" is letters, digits, `-` and `_` (it is a NATS subject token)"#,
        r#"6:64 agents[3].delivery: unknown delivery "carrier-pigeon" (expected work_queue or direct)"#,
        r#"7:85 agents[4]: "delivery" applies only to agents of kind "nats" (this agent's kind is "process")"#,
    ];
    assert_eq!(got, expected, "\n{}", got.join("\n"));

    let dir = scratch::dir("nats-kind");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.json");
    std::fs::write(&file, with_agents(agents.lines().take(2).collect::<Vec<_>>().join("\n").trim_end_matches(',')))
        .unwrap();
    let s = load(&file).unwrap();
    let AgentKind::Nats(first) = &s.agents[0].kind else { panic!("{:?}", s.agents[0].kind) };
    assert!(first.command.is_empty());
    assert_eq!(first.delivery, switchyard::scenario::Delivery::WorkQueue);
    let AgentKind::Nats(second) = &s.agents[1].kind else { panic!("{:?}", s.agents[1].kind) };
    // Taken as written: it runs on the bridge's machine, not against this file's directory.
    assert_eq!(second.command, ["python3", "a.py"]);
    assert_eq!(second.cwd.as_deref(), Some("w"));
    assert_eq!(second.delivery, switchyard::scenario::Delivery::Direct);
    // The journal header embeds it, and it reads back the same.
    let json = serde_json::to_string(&s.agents[1].kind).unwrap();
    assert_eq!(json, r#"{"kind":"nats","command":["python3","a.py"],"env":{"K":"v"},"cwd":"w","delivery":"direct"}"#);
}
