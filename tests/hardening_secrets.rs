//! Issue 11, class 3 — "the API key reaches the journal", end to end: the real binary against a
//! real OpenAI-compatible server on loopback, started by the test.
//!
//! - `secret_echoes_never_reach_journal_report_or_screen`: an endpoint that echoes the key it was
//!   sent (in a 401 body, in a 200 reply as is, JSON-escaped, percent-encoded, `\u`-escaped, as a
//!   masked prefix, in a vote's reason) leaves no 8-character fragment of it anywhere the run writes.
//! - `secret_keys_with_control_characters_are_refused_and_nothing_is_sent`: a key ending in `\r\n`
//!   (a key file read as is) is refused with an error naming the variable, and no request is made.
//! - `secret_base_urls_are_checked_at_load`: control characters, a bad scheme, credentials, a
//!   query: scenario errors at their line:column, exit 2, a password never repeated.
//! - `secret_llm_team_runs_against_the_loopback_server`: the bundled `scenarios/llm-team.json`
//!   validates, and runs to success with its `base_url` pointed at the test server.

#[path = "support/scratch.rs"]
mod scratch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[path = "support/http.rs"]
mod http;

const KEY: &str = "sk-proj-Zq9X4vLm2Tn8Rb7Wc5Yd3Pk6Hs1Jf0Ga";

/// Requests the server saw (head and body as text).
type Seen = Arc<Mutex<Vec<String>>>;

fn tmp(name: &str) -> PathBuf {
    let dir = scratch::dir("secrets");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The first fragment of `key` of 8 characters or more found in `text`.
fn leak<'a>(text: &str, key: &'a str) -> Option<&'a str> {
    (0..=key.len() - 8).map(|i| &key[i..i + 8]).find(|piece| text.contains(piece))
}

fn reply(content: &str) -> String {
    let body = serde_json::json!({"choices": [{"message": {"role": "assistant", "content": content}}]}).to_string();
    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())
}

/// Serves on a free loopback port in a thread of its own: `answer` maps the request's user
/// message and the key it carried to a whole HTTP response.
fn start_server(answer: fn(&str, &str) -> String) -> (u16, Seen) {
    let seen: Seen = Arc::default();
    let shared = seen.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().port()).unwrap();
            loop {
                let Ok((mut sock, _)) = listener.accept().await else { return };
                let seen = shared.clone();
                tokio::spawn(async move {
                    let Some(request) = http::read_request(&mut sock).await else { return };
                    seen.lock().unwrap().push(request.clone());
                    let (head, body) = request.split_once("\r\n\r\n").unwrap();
                    let key = http::header(head, "authorization").and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
                    let body: Value = serde_json::from_str(body).unwrap();
                    let user = body["messages"][1]["content"].as_str().unwrap_or_default();
                    let _ = sock.write_all(answer(user, key).as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
    });
    (rx.recv().unwrap(), seen)
}

/// Runs `switchyard run FILE --headless` with the key in `SWITCHYARD_TEST_SECRET`; returns the
/// output, the journal and the report.
fn run(scenario: &Path, key: &str) -> (Output, String, String) {
    let stem = scenario.file_stem().unwrap().to_str().unwrap();
    let (journal, report) = (tmp(&format!("{stem}.jsonl")), tmp(&format!("{stem}-report.json")));
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["run", scenario.to_str().unwrap(), "--headless"])
        .args(["--journal", journal.to_str().unwrap(), "--report", report.to_str().unwrap()])
        .env("SWITCHYARD_TEST_SECRET", key)
        .output()
        .unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (out, read(&journal), read(&report))
}

fn lines(journal: &str) -> Vec<Value> {
    journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// An endpoint that repeats the key it was sent in every way a provider (or a careless proxy) might.
fn echo_the_key(user: &str, key: &str) -> String {
    if user.contains("mode:401") {
        let body = format!(
            "{{\"error\": {{\"message\": \"Incorrect API key provided: {key}. You can find your API key at \
             https://platform.example.com/account/api-keys.\", \"type\": \"invalid_request_error\"}}}}"
        );
        return format!("HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    }
    if user.starts_with("Vote on proposal") {
        return reply(&format!("{{\"vote\": \"yes\", \"reason\": \"approved for {key}\"}}"));
    }
    let escaped: String = key.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
    let percent = key.replace('-', "%2D");
    let masked = format!("{}****{}", &key[..8], &key[key.len() - 4..]);
    reply(&format!(
        "{{\"plain\": \"{key}\", \"escaped\": \"{escaped}\", \"url\": \"https://x.example/?k={percent}\", \
         \"masked\": \"{masked}\", \"prefix\": \"{}\", \"{key}\": 1}}",
        &key[..20]
    ))
}

#[test]
fn secret_echoes_never_reach_journal_report_or_screen() {
    let (port, seen) = start_server(echo_the_key);
    let scenario = tmp("echo.json");
    let text_of = format!(
        r#"{{"name": "echo", "heartbeat_ms": 0,
  "defaults": {{"retry": {{"max_attempts": 1}}}},
  "agents": [
    {{"id": "model", "capabilities": ["write", "review"], "kind": "llm", "base_url": "http://127.0.0.1:{port}/v1",
     "model": "tiny", "api_key_env": "SWITCHYARD_TEST_SECRET", "timeout_ms": 5000}}
  ],
  "tasks": [
    {{"id": "denied", "capability": "write", "description": "mode:401"}},
    {{"id": "echoed", "capability": "write", "description": "mode:200"}},
    {{"id": "vote", "decision": {{"proposal": "ship it?", "voters": ["model"]}}}}
  ]}}"#
    );
    std::fs::write(&scenario, text_of).unwrap();
    let (out, journal, report) = run(&scenario, KEY);
    assert_eq!(out.status.code(), Some(1), "the 401 fails the run: {}", text(&out));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    let bearer = format!("Bearer {KEY}");
    assert!(seen.iter().all(|r| http::header(r, "authorization") == Some(bearer.as_str())), "the key was sent");

    let lines = lines(&journal);
    let find = |kind: &str, task: &str| lines.iter().find(|l| l["kind"] == kind && l["task"] == task).cloned();
    let denied = find("attempt_failed", "denied").expect("the 401 is an attempt error");
    assert_eq!(
        denied["error"],
        "HTTP 401: {\"error\": {\"message\": \"Incorrect API key provided: [redacted]. You can find your API key at https://platform.example.com/account/api-keys.\", \"type\": \"invalid_request_error\"}}"
    );
    let echoed = find("attempt_succeeded", "echoed").expect("the 200 is an output");
    assert_eq!(
        echoed["output"],
        serde_json::json!({"plain": "[redacted]", "escaped": "[redacted]", "url": "https://x.example/?k=[redacted]",
                           "masked": "[redacted]****f0Ga", "prefix": "[redacted]", "[redacted]": 1})
    );
    assert_eq!(find("vote_cast", "vote").expect("a vote")["reason"], "approved for [redacted]");
    for (place, text) in [("journal", &journal), ("report", &report), ("screen", &text(&out))] {
        assert!(!text.is_empty(), "{place} is empty");
        assert_eq!(leak(text, KEY), None, "a fragment of the key reached the {place}: {text}");
    }
}

#[test]
fn secret_keys_with_control_characters_are_refused_and_nothing_is_sent() {
    let (port, seen) = start_server(echo_the_key);
    let scenario = tmp("crlf.json");
    let text_of = format!(
        r#"{{"name": "crlf", "heartbeat_ms": 0,
  "agents": [
    {{"id": "model", "capabilities": ["write"], "kind": "llm", "base_url": "http://127.0.0.1:{port}/v1",
     "model": "tiny", "api_key_env": "SWITCHYARD_TEST_SECRET"}},
    {{"id": "fallback", "capabilities": ["write"], "profile": {{"duration_ms": {{"mean": 10}}}}}}
  ],
  "tasks": [{{"id": "t", "capability": "write", "description": "mode:200"}}]}}"#
    );
    std::fs::write(&scenario, text_of).unwrap();
    for key in [format!("{KEY}\r\n"), format!("{KEY}\r\nX-Injected: yes"), format!("{KEY}\t")] {
        let (out, journal, report) = run(&scenario, &key);
        assert_eq!(out.status.code(), Some(0), "the fallback does the work: {}", text(&out));
        let lines = lines(&journal);
        let rejected: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "agent_rejected").collect();
        assert_eq!(rejected.len(), 1, "{journal}");
        let message = rejected[0]["message"].as_str().unwrap();
        assert!(message.starts_with("the API key in SWITCHYARD_TEST_SECRET (api_key_env) holds a "), "{message}");
        assert!(message.contains("a key is visible ASCII only"), "{message}");
        for (place, text) in [("journal", &journal), ("report", &report), ("screen", &text(&out))] {
            assert_eq!(leak(text, KEY), None, "a fragment of the key reached the {place}: {text}");
        }
    }
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent: {:?}", seen.lock().unwrap());
}

#[test]
fn secret_base_urls_are_checked_at_load() {
    let scenario = tmp("urls.json");
    let agent = |id: &str, url: &str| {
        format!(
            r#"    {{"id": "{id}", "capabilities": ["c"], "kind": "llm", "model": "m", "base_url": "{url}"}},
"#
        )
    };
    let mut text_of = String::from("{\"name\": \"urls\",\n  \"agents\": [\n");
    for (id, url) in [
        ("crlf", r"http://127.0.0.1:9/v1\r\nX-Injected: yes"),
        ("nul", r"http://127.0.0.1:9/v1\u0000"),
        ("scheme", "file:///etc/passwd"),
        ("creds", "https://user:hunter2-secret@api.example.com/v1"),
        ("query", "https://api.example.com/v1?key=abc"),
        ("nohost", "https:///v1"),
    ] {
        text_of.push_str(&agent(id, url));
    }
    text_of.push_str(
        r#"    {"id": "named", "capabilities": ["c"], "kind": "llm", "model": "m", "base_url": "http://h/v1",
     "api_key_env": "sk-pasted-key-by-mistake"}
  ],
  "tasks": [{"id": "t", "capability": "c"}]}
"#,
    );
    std::fs::write(&scenario, &text_of).unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_switchyard")).args(["validate", scenario.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let path = scenario.display().to_string();
    let expected = [
        "3:84: agents[0].base_url: must not contain a carriage return (CR) (whitespace and control characters are refused)",
        "4:83: agents[1].base_url: must not contain the character U+0000 (whitespace and control characters are refused)",
        "5:86: agents[2].base_url: expected an http:// or https:// URL, found \"file:///etc/passwd\"",
        "6:85: agents[3].base_url: must not contain credentials (user:password@): name the variable holding the key in api_key_env",
        "7:85: agents[4].base_url: must not have a query (?…), found \"https://api.example.com/v1?key=abc\"",
        "8:86: agents[5].base_url: no host after the scheme, found \"https:///v1\"",
        "10:21: agents[6].api_key_env: must be the name of an environment variable (ASCII letters, digits and _, not starting with a digit): the variable holds the key, the scenario never does",
    ];
    for line in expected {
        assert!(err.contains(&format!("{path}:{line}")), "missing {line:?} in:\n{err}");
    }
    assert!(!err.contains("hunter2") && !err.contains("pasted-key"), "{err}");
}

/// The answers of a well-behaved model for the bundled team: text for a task, a yes for a ballot.
fn team_answers(user: &str, _key: &str) -> String {
    if user.starts_with("Vote on proposal") {
        return reply("{\"vote\": \"yes\", \"reason\": \"clear and accurate\"}");
    }
    let task = user.split('`').nth(1).unwrap_or("?");
    reply(&format!("the {task} text"))
}

#[test]
fn secret_llm_team_runs_against_the_loopback_server() {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/llm-team.json");
    let out =
        Command::new(env!("CARGO_BIN_EXE_switchyard")).args(["validate", bundled.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let original = std::fs::read_to_string(&bundled).unwrap();
    assert_eq!(original.matches("\"base_url\": \"http://localhost:11434/v1\"").count(), 3, "Ollama's default URL");

    let (port, seen) = start_server(team_answers);
    let scenario = tmp("llm-team.json");
    let local = format!("\"base_url\": \"http://127.0.0.1:{port}/v1\"");
    std::fs::write(&scenario, original.replace("\"base_url\": \"http://localhost:11434/v1\"", &local)).unwrap();
    let (out, journal, _) = run(&scenario, "unused");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = lines(&journal);
    let output = |task: &str| {
        let done = lines.iter().find(|l| l["kind"] == "attempt_succeeded" && l["task"] == task);
        done.unwrap_or_else(|| panic!("{task} did not succeed: {journal}"))["output"].clone()
    };
    for task in ["facts", "draft", "critique", "finish"] {
        assert_eq!(output(task), format!("the {task} text"));
    }
    let decided = lines.iter().find(|l| l["kind"] == "proposal_decided").unwrap();
    assert_eq!(decided["outcome"], "approved");
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
    let seen = seen.lock().unwrap();
    let draft = seen.iter().find(|r| r.contains("Task `draft`")).unwrap();
    assert!(draft.contains("the facts text") && draft.contains("\"model\":\"llama3.2\""), "{draft}");
    assert!(seen.iter().all(|r| http::header(r, "authorization").is_none()), "Ollama needs no key");
}
