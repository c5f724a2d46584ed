//! LLM agents against a real HTTP server on loopback, started by the test (no client mocks):
//! success, malformed JSON, 500, 429 with Retry-After, 400, and a reply slower than the timeout,
//! each checked from the journal; inputs reach the prompt; the API key never reaches the journal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[path = "support/http.rs"]
mod http;

use switchyard::journal::JournalWriter;
use switchyard::runtime::{LiveOptions, LiveRun};

const KEY: &str = "sk-test-secret-7f3a";

/// Requests the server saw (head and body as text).
type Seen = Arc<Mutex<Vec<String>>>;

/// An OpenAI-compatible endpoint whose behaviour the user message picks (`mode:NAME`).
async fn serve(listener: TcpListener, seen: Seen) {
    let tries = Arc::new(Mutex::new(0u32));
    loop {
        let Ok((mut sock, _)) = listener.accept().await else { return };
        let (seen, tries) = (seen.clone(), tries.clone());
        tokio::spawn(async move {
            let Some(request) = http::read_request(&mut sock).await else { return };
            seen.lock().unwrap().push(request.clone());
            let body: Value = serde_json::from_str(&request[request.find("\r\n\r\n").unwrap() + 4..]).unwrap();
            let user = body["messages"][1]["content"].as_str().unwrap_or_default().to_string();
            let ok = |content: &str| {
                let reply = serde_json::json!({"choices": [{"message": {"role": "assistant", "content": content}}]});
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{reply}",
                    reply.to_string().len()
                )
            };
            // Auctions: a call for proposals names the task (`bid-…`); the task itself does too.
            let cfp = user.starts_with("Call for proposals");
            // Ballots name the decision (`vote-…`).
            let ballot = user.starts_with("Vote on proposal");
            let response = if ballot && user.contains("vote-yes") {
                ok("{\"vote\": \"yes\", \"reason\": \"the tests pass\"}")
            } else if ballot {
                ok("I think so, yes.")
            } else if cfp && user.contains("bid-ok") {
                ok("{\"price\": 0.5, \"eta_ms\": 120, \"confidence\": 0.9}")
            } else if cfp && user.contains("bid-no") {
                ok("{\"decline\": \"too busy\"}")
            } else if cfp && user.contains("bid-junk") {
                ok("Happy to help! My price would be around five dollars.")
            } else if user.contains("bid-") {
                ok("\"done\"")
            } else if user.contains("mode:ok") {
                ok("{\"answer\": 42}")
            } else if user.contains("mode:next") {
                ok("plain text reply")
            } else if user.contains("mode:malformed") {
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnot json{".to_string()
            } else if user.contains("mode:500") {
                "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom".to_string()
            } else if user.contains("mode:400") {
                "HTTP/1.1 400 Bad Request\r\nContent-Length: 9\r\n\r\nbad model".to_string()
            } else if user.contains("mode:huge-retry-after") {
                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 18446744073709551615\r\nContent-Length: 4\r\n\r\nslow"
                    .to_string()
            } else if user.contains("mode:429") {
                let first = {
                    let mut t = tries.lock().unwrap();
                    *t += 1;
                    *t == 1
                };
                if first {
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 4\r\n\r\nslow".to_string()
                } else {
                    ok("\"after the wait\"")
                }
            } else {
                tokio::time::sleep(Duration::from_secs(3)).await; // mode:slow
                ok("too late")
            };
            let _ = sock.write_all(response.as_bytes()).await;
            let _ = sock.shutdown().await;
        });
    }
}

/// Starts the endpoint on a free loopback port; returns the port and what it will see.
async fn start_server() -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    tokio::spawn(serve(listener, seen.clone()));
    (port, seen)
}

/// Runs a scenario (JSON text) live to its end; returns the journal and its lines.
async fn run_live(text: &str) -> (String, Vec<Value>) {
    let sc = switchyard::scenario::parse("llm.json", text).unwrap();
    let mut run = LiveRun::new(sc, LiveOptions::default());
    let mut w = JournalWriter::new(Vec::new());
    tokio::time::timeout(Duration::from_secs(30), run.run(&mut w)).await.expect("the run ends").unwrap();
    let journal = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let lines = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (journal, lines)
}

#[test]
fn llm_agents_map_replies_and_failures_onto_the_retry_rules() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (port, seen) = start_server().await;
        // SAFETY: set before any thread of this test reads the environment; no other test uses it.
        unsafe { std::env::set_var("SWITCHYARD_TEST_LLM_KEY", KEY) };
        let text = r#"{"name": "llm", "heartbeat_ms": 100, "resilience": {"heartbeat_timeout_ms": 1000},
          "defaults": {"retry": {"max_attempts": 2, "backoff_ms": 10, "jitter": 0}},
          "agents": [
            {"id": "model", "capabilities": ["write"], "kind": "llm", "max_concurrent": 8,
             "base_url": "http://127.0.0.1:PORT/v1", "model": "tiny", "system": "Answer in JSON.",
             "api_key_env": "SWITCHYARD_TEST_LLM_KEY", "timeout_ms": 1500}
          ],
          "tasks": [
            {"id": "ok", "capability": "write", "description": "mode:ok"},
            {"id": "next", "capability": "write", "description": "mode:next", "depends_on": ["ok"]},
            {"id": "malformed", "capability": "write", "description": "mode:malformed"},
            {"id": "e500", "capability": "write", "description": "mode:500"},
            {"id": "e400", "capability": "write", "description": "mode:400"},
            {"id": "e429", "capability": "write", "description": "mode:429"},
            {"id": "slow", "capability": "write", "description": "mode:slow"}
          ]}"#
        .replace("PORT", &port.to_string());
        let (journal, lines) = run_live(&text).await;
        let find = |kind: &str, task: &str| -> Vec<&Value> {
            lines.iter().filter(|l| l["kind"] == kind && l["task"] == task).collect()
        };

        assert_eq!(find("attempt_succeeded", "ok")[0]["output"], serde_json::json!({"answer": 42}));
        assert_eq!(find("attempt_succeeded", "next")[0]["output"], "plain text reply");
        assert_eq!(find("attempt_succeeded", "e429")[0]["output"], "after the wait");
        assert_eq!(find("attempt_succeeded", "e429")[0]["attempt"], 1, "Retry-After honoured within the attempt");
        for (task, error) in [
            ("malformed", "malformed reply: not JSON"),
            ("e500", "HTTP 500: boom"),
            ("slow", "no reply within 1500 ms"),
        ] {
            let failed = find("attempt_failed", task);
            assert_eq!(failed.len(), 2, "{task}: retried once");
            assert!(failed[0]["error"].as_str().unwrap().starts_with(error), "{task}: {}", failed[0]["error"]);
            assert_eq!(failed[0]["retryable"], true);
            assert_eq!(find("task_failed", task)[0]["reason"], "attempts_exhausted");
        }
        let e400 = find("attempt_failed", "e400");
        assert_eq!(
            (e400.len(), &e400[0]["retryable"], &e400[0]["error"]),
            (1, &Value::Bool(false), &"HTTP 400: bad model".into())
        );
        assert_eq!(find("task_failed", "e400")[0]["reason"], "not_retryable");

        let seen = seen.lock().unwrap();
        let next = seen.iter().find(|r| r.contains("mode:next")).unwrap();
        assert!(next.contains("\\\"answer\\\": 42"), "the dependency's output is in the prompt: {next}");
        let bearer = format!("Bearer {KEY}");
        assert!(seen.iter().all(|r| http::header(r, "authorization") == Some(bearer.as_str())), "{seen:?}");
        assert!(seen.iter().all(|r| r.starts_with("POST /v1/chat/completions HTTP/1.1\r\n")), "{seen:?}");
        assert!(seen.iter().all(|r| r.contains("\"model\":\"tiny\"") && r.contains("Answer in JSON.")));
        assert!(!journal.contains(KEY), "the API key never reaches the journal");
        assert!(lines.iter().all(|l| l["kind"] != "agent_lost"), "heartbeats keep it up");
    });
}

#[test]
fn an_llm_agent_without_a_usable_key_is_refused() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        // SAFETY: set before any thread of this test reads the environment; no other test uses it.
        unsafe { std::env::set_var("SWITCHYARD_TEST_CTRL_KEY", "sk-\x01-rest-of-key") };
        let text = r#"{"name": "refused", "heartbeat_ms": 0,
          "agents": [
            {"id": "nokey", "capabilities": ["write"], "kind": "llm", "base_url": "http://127.0.0.1:9/v1",
             "model": "m", "api_key_env": "SWITCHYARD_TEST_UNSET_KEY"},
            {"id": "badkey", "capabilities": ["write"], "kind": "llm", "base_url": "https://127.0.0.1:9/v1",
             "model": "m", "api_key_env": "SWITCHYARD_TEST_CTRL_KEY"},
            {"id": "sim", "capabilities": ["write"], "profile": {"duration_ms": {"mean": 10}}}
          ],
          "tasks": [{"id": "t", "capability": "write"}]}"#;
        let sc = switchyard::scenario::parse("refused.json", text).unwrap();
        let mut run = LiveRun::new(sc, LiveOptions::default());
        let mut events = Vec::new();
        run.run(&mut events).await.unwrap();
        let coord = run.coordinator();
        let rejected: Vec<String> = events
            .iter()
            .filter_map(|e| match &e.kind {
                switchyard::core::EventKind::AgentRejected { agent, message } => {
                    Some(format!("{}: {message}", coord.agent_name(*agent)))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            rejected,
            [
                "nokey: the API key variable SWITCHYARD_TEST_UNSET_KEY (api_key_env) is not set",
                "badkey: the API key in SWITCHYARD_TEST_CTRL_KEY (api_key_env) holds a control character (U+0001) at \
                 byte 4: a key is visible ASCII only, with no spaces or control characters",
            ]
        );
        assert_eq!(coord.state().finished(), Some(switchyard::core::Outcome::Succeeded));
    });
}

#[test]
fn an_llm_agent_bids_in_strict_json_and_anything_else_is_a_decline() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (port, seen) = start_server().await;
        let text = r#"{"name": "llm-auction", "allocation": "auction", "heartbeat_ms": 0,
          "auction": {"bid_window_ms": 1000},
          "agents": [
            {"id": "model", "capabilities": ["write"], "kind": "llm", "max_concurrent": 4,
             "base_url": "http://127.0.0.1:PORT/v1", "model": "tiny", "system": "You bid.", "timeout_ms": 1500},
            {"id": "backup", "capabilities": ["write"], "cost": 5, "performance": 0.5,
             "profile": {"duration_ms": {"mean": 20, "jitter": 0}}}
          ],
          "tasks": [
            {"id": "bid-ok", "capability": "write"},
            {"id": "bid-no", "capability": "write"},
            {"id": "bid-junk", "capability": "write"}
          ]}"#
        .replace("PORT", &port.to_string());
        let (_, lines) = run_live(&text).await;
        let find = |kind: &str, task: &str| -> Vec<&Value> {
            lines.iter().filter(|l| l["kind"] == kind && l["task"] == task && l["agent"] == "model").collect()
        };
        let bid = find("bid_received", "bid-ok");
        assert_eq!(
            (&bid[0]["price"], &bid[0]["eta_ms"], &bid[0]["confidence"]),
            (&0.5.into(), &120.into(), &0.9.into())
        );
        let won = lines.iter().find(|l| l["kind"] == "auction_awarded" && l["task"] == "bid-ok").unwrap();
        assert_eq!(won["agent"], "model", "the cheap LLM bid wins");
        assert_eq!(find("bid_declined", "bid-no")[0]["reason"], "too busy");
        let junk = find("bid_declined", "bid-junk");
        assert_eq!(junk[0]["reason"], "unparsable bid: Happy to help! My price would be around five dollars.");
        for task in ["bid-no", "bid-junk"] {
            let award = lines.iter().find(|l| l["kind"] == "auction_awarded" && l["task"] == task).unwrap();
            assert_eq!(award["agent"], "backup", "{task}");
        }
        assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
        let seen = seen.lock().unwrap();
        assert!(seen.iter().any(|r| r.contains("Call for proposals: task `bid-ok` needs capability `write`")));
    });
}

#[test]
fn an_llm_agent_votes_in_strict_json_and_anything_else_is_an_abstention() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (port, seen) = start_server().await;
        let text = r#"{"name": "llm-vote", "heartbeat_ms": 0,
          "agents": [
            {"id": "model", "capabilities": ["review"], "kind": "llm",
             "base_url": "http://127.0.0.1:PORT/v1", "model": "tiny", "system": "You vote.", "timeout_ms": 1500}
          ],
          "tasks": [
            {"id": "vote-yes", "decision": {"proposal": "ship it?", "voters": ["model"]}},
            {"id": "vote-junk", "decision": {"proposal": "rewrite it?", "voters": {"capability": "review"}}}
          ]}"#
        .replace("PORT", &port.to_string());
        let (_, lines) = run_live(&text).await;
        let cast = |task: &str| lines.iter().find(|l| l["kind"] == "vote_cast" && l["task"] == task).unwrap().clone();
        let yes = cast("vote-yes");
        assert_eq!(
            (&yes["choice"], &yes["reason"], &yes["by"]),
            (&"yes".into(), &"the tests pass".into(), &"agent".into())
        );
        let junk = cast("vote-junk");
        assert_eq!(
            (&junk["choice"], &junk["reason"]),
            (&"abstain".into(), &"unparsable vote: I think so, yes.".into())
        );
        let decided = |task: &str| {
            let d = lines.iter().find(|l| l["kind"] == "proposal_decided" && l["task"] == task).unwrap();
            (d["outcome"].as_str().unwrap().to_string(), d["reason"].as_str().unwrap().to_string())
        };
        assert_eq!(decided("vote-yes"), ("approved".into(), "threshold".into()));
        // Only an abstention: a tie, which rejects by default.
        assert_eq!(decided("vote-junk"), ("rejected".into(), "tie".into()));
        let seen = seen.lock().unwrap();
        assert!(seen.iter().any(|r| r.contains("Vote on proposal `vote-yes`: ship it?")));
    });
}

/// Issue 11, class 4: a server's `Retry-After` of 2^64 − 1 seconds is too long to wait for, not a
/// panic on an Instant past the end of time.
#[test]
fn panics_none_on_a_retry_after_past_the_end_of_time() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (port, _) = start_server().await;
        let text = r#"{"name": "llm", "heartbeat_ms": 0,
          "defaults": {"retry": {"max_attempts": 1}},
          "agents": [{"id": "model", "capabilities": ["write"], "kind": "llm",
                      "base_url": "http://127.0.0.1:PORT/v1", "model": "tiny", "timeout_ms": 1500}],
          "tasks": [{"id": "t", "capability": "write", "description": "mode:huge-retry-after"}]}"#
            .replace("PORT", &port.to_string());
        let (_, lines) = run_live(&text).await;
        let failed: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "attempt_failed").collect();
        assert_eq!(failed.len(), 1, "{lines:#?}");
        assert!(failed[0]["error"].as_str().unwrap().contains("429"), "{:?}", failed[0]);
        assert_eq!(lines.last().unwrap()["outcome"], "failed");
    });
}
