//! LLM agents over https against a real TLS server on loopback (tokio-rustls, started by the test):
//! trusted through the agent's `ca_file` (by IP address and by host name) the exchange succeeds;
//! without it the handshake fails with a clear, retryable TLS error in the journal. The API key
//! crosses the wire (inside TLS) but never reaches the journal.
//!
//! `tests/fixtures/tls/`: `ca.pem` is a self-signed test CA (its key was discarded), `server.pem`
//! and `server.key` a certificate it issued for `IP:127.0.0.1` and `DNS:localhost`, valid 100 years.

#[path = "support/scratch.rs"]
mod scratch;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, ServerConfig};

#[path = "support/http.rs"]
mod http;

use switchyard::journal::JournalWriter;
use switchyard::runtime::{LiveOptions, LiveRun};

const KEY: &str = "sk-tls-secret-91c2";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls")
}

/// Requests the server decrypted, and handshakes it saw fail.
#[derive(Default)]
struct Seen {
    requests: Vec<String>,
    failed_handshakes: u32,
}

/// An https endpoint answering every chat request with `{"answer": 42}`.
async fn start_tls_server() -> (u16, Arc<Mutex<Seen>>) {
    let certs: Vec<CertificateDer> =
        CertificateDer::pem_file_iter(fixtures().join("server.pem")).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(fixtures().join("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let shared = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else { return };
            let (acceptor, seen) = (acceptor.clone(), shared.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    seen.lock().unwrap().failed_handshakes += 1;
                    return;
                };
                let Some(request) = http::read_request(&mut tls).await else { return };
                seen.lock().unwrap().requests.push(request);
                let reply = serde_json::json!({"choices": [{"message": {"content": "{\"answer\": 42}"}}]}).to_string();
                let response = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{reply}", reply.len());
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, seen)
}

/// Writes the scenario next to a copy of the test CA and loads it as a user's file would be;
/// returns it and the directory to remove after the run.
fn load_scenario(text: &str) -> (switchyard::scenario::Scenario, PathBuf) {
    let dir = scratch::dir("tls");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixtures().join("ca.pem"), dir.join("test-ca.pem")).unwrap();
    std::fs::write(dir.join("tls.json"), text).unwrap();
    let sc = switchyard::scenario::load(&dir.join("tls.json")).unwrap_or_else(|e| panic!("{e}"));
    (sc, dir)
}

#[test]
fn https_endpoints_are_trusted_through_ca_file_and_refused_otherwise() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (port, seen) = start_tls_server().await;
        // SAFETY: set before any thread of this test reads the environment; no other test uses it.
        unsafe { std::env::set_var("SWITCHYARD_TEST_TLS_KEY", KEY) };
        let text = r#"{"name": "tls", "heartbeat_ms": 0,
          "defaults": {"retry": {"max_attempts": 2, "backoff_ms": 10, "jitter": 0}},
          "agents": [
            {"id": "trusting", "capabilities": ["by-ip"], "kind": "llm", "base_url": "https://127.0.0.1:PORT/v1",
             "model": "tiny", "api_key_env": "SWITCHYARD_TEST_TLS_KEY", "ca_file": "test-ca.pem", "timeout_ms": 5000},
            {"id": "named", "capabilities": ["by-name"], "kind": "llm", "base_url": "https://localhost:PORT/v1/",
             "model": "tiny", "api_key_env": "SWITCHYARD_TEST_TLS_KEY", "ca_file": "test-ca.pem", "timeout_ms": 5000},
            {"id": "stranger", "capabilities": ["untrusted"], "kind": "llm", "base_url": "https://127.0.0.1:PORT/v1",
             "model": "tiny", "api_key_env": "SWITCHYARD_TEST_TLS_KEY", "timeout_ms": 5000}
          ],
          "tasks": [
            {"id": "ip", "capability": "by-ip"},
            {"id": "name", "capability": "by-name"},
            {"id": "unknown", "capability": "untrusted"}
          ]}"#
        .replace("PORT", &port.to_string());
        let (sc, dir) = load_scenario(&text);
        let mut run = LiveRun::new(sc, LiveOptions::default());
        let mut w = JournalWriter::new(Vec::new());
        tokio::time::timeout(Duration::from_secs(30), run.run(&mut w)).await.expect("the run ends").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let journal = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let lines: Vec<Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let find = |kind: &str, task: &str| -> Vec<&Value> {
            lines.iter().filter(|l| l["kind"] == kind && l["task"] == task).collect()
        };

        for (task, agent) in [("ip", "trusting"), ("name", "named")] {
            let done = find("attempt_succeeded", task);
            assert_eq!(done.len(), 1, "{task}: {journal}");
            assert_eq!((&done[0]["output"], &done[0]["agent"]), (&serde_json::json!({"answer": 42}), &agent.into()));
        }
        let failed = find("attempt_failed", "unknown");
        assert_eq!(failed.len(), 2, "retried once, per the task's retry rules: {journal}");
        for f in &failed {
            assert_eq!(f["error"], "TLS handshake with 127.0.0.1 failed: invalid peer certificate: UnknownIssuer");
            assert_eq!(f["retryable"], true);
        }
        assert_eq!(find("task_failed", "unknown")[0]["reason"], "attempts_exhausted");

        let seen = seen.lock().unwrap();
        assert_eq!(seen.failed_handshakes, 2, "the untrusted agent sent nothing past the handshake");
        assert_eq!(seen.requests.len(), 2, "{:?}", seen.requests);
        for r in &seen.requests {
            assert!(r.starts_with("POST /v1/chat/completions HTTP/1.1\r\n"), "{r}");
            let bearer = format!("Bearer {KEY}");
            assert_eq!(http::header(r, "authorization"), Some(bearer.as_str()), "the key went inside TLS: {r}");
        }
        let host = format!("localhost:{port}");
        assert!(seen.requests.iter().any(|r| http::header(r, "host") == Some(host.as_str())), "{:?}", seen.requests);
        assert!(!journal.contains(KEY), "the API key never reaches the journal");
    });
}

#[test]
fn an_unreadable_ca_file_at_run_time_refuses_the_agent() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        // Valid when loaded, gone when the run starts.
        let dir = scratch::dir("tls-gone");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(fixtures().join("ca.pem"), dir.join("ca.pem")).unwrap();
        let text = r#"{"name": "gone", "heartbeat_ms": 0,
          "agents": [
            {"id": "model", "capabilities": ["write"], "kind": "llm", "base_url": "https://127.0.0.1:9/v1",
             "model": "m", "ca_file": "ca.pem"},
            {"id": "sim", "capabilities": ["write"], "profile": {"duration_ms": {"mean": 10}}}
          ],
          "tasks": [{"id": "t", "capability": "write"}]}"#;
        std::fs::write(dir.join("gone.json"), text).unwrap();
        let sc = switchyard::scenario::load(&dir.join("gone.json")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let mut run = LiveRun::new(sc, LiveOptions::default());
        let mut events = Vec::new();
        run.run(&mut events).await.unwrap();
        let rejected: Vec<String> = events
            .iter()
            .filter_map(|e| match &e.kind {
                switchyard::core::EventKind::AgentRejected { message, .. } => Some(message.to_string()),
                _ => None,
            })
            .collect();
        let ca = std::path::absolute(dir.join("ca.pem")).unwrap();
        assert_eq!(rejected, [format!("cannot read CA file {}: No such file or directory", ca.display())]);
        assert_eq!(run.coordinator().state().finished(), Some(switchyard::core::Outcome::Succeeded));
    });
}
