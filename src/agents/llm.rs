//! LLM agents: one OpenAI-compatible `POST {base_url}/chat/completions` per attempt.
//!
//! An [`LlmClient`] is built per agent when the run starts: its key read and checked (see
//! [`super::llm_key`]), its `base_url` checked (see [`super::llm_url`]), its TLS configuration
//! built (see [`super::llm_tls`]), and one `reqwest` client (HTTP/1.1, rustls on ring, no proxy,
//! no redirects, a fresh connection per request) shared by all of its requests. The whole exchange
//! runs under the agent's `timeout_ms`. The task's description and inputs become the user message,
//! the reply's content becomes the output (parsed as JSON when it is JSON, else kept as a string).
//! Failures map onto the retry rules through [`LlmError::retryable`]: timeouts, connection and TLS
//! errors, 5xx, 408, 429 and unparsable replies may succeed on another attempt; other 4xx will
//! not. A 429's `Retry-After` is honoured within the same attempt when it fits in the time left.
//!
//! [`LlmClient::chat`] is the one door through which text from the network comes in: the
//! [`Reply`] and every error it returns have had the API key redacted (see [`super::redact`]), so
//! no event, journal line, screen or log can carry it. The key itself only ever goes into the
//! `Authorization` header, marked sensitive.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::llm_key::ApiKey;
use super::llm_tls::client_config;
use super::llm_url::{chat_endpoint, check_base_url};
use super::redact::Redactor;
use crate::scenario::LlmSpec;

/// Largest response accepted.
pub const MAX_RESPONSE_BYTES: usize = 4 << 20;
/// How much of an error response is read (its excerpt is cut shorter still).
const ERROR_BODY_BYTES: usize = 64 << 10;
/// Characters of an error response kept in the attempt's error.
const EXCERPT_CHARS: usize = 200;

/// Why a chat request failed. Every text in it has been redacted.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmError {
    Connect(String),
    /// The TLS handshake with `host` failed (an untrusted or mismatched certificate, say).
    Tls {
        host: String,
        why: String,
    },
    Timeout(Duration),
    /// A non-2xx status; `retry_after` from the header of a 429 or 503; `body` an excerpt.
    Status {
        code: u16,
        retry_after: Option<Duration>,
        body: String,
    },
    /// The response is not JSON, too large, or has no `choices[0].message.content`.
    Malformed(String),
}

impl LlmError {
    /// Whether another attempt may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            LlmError::Status { code, .. } => *code == 429 || *code == 408 || *code >= 500,
            LlmError::Connect(_) | LlmError::Tls { .. } | LlmError::Timeout(_) | LlmError::Malformed(_) => true,
        }
    }

    /// The same error with the secret redacted from each of its texts.
    fn redacted(self, r: &Redactor) -> LlmError {
        match self {
            LlmError::Connect(e) => LlmError::Connect(r.text(&e)),
            LlmError::Tls { host, why } => LlmError::Tls { host: r.text(&host), why: r.text(&why) },
            LlmError::Status { code, retry_after, body } => LlmError::Status { code, retry_after, body: r.text(&body) },
            LlmError::Malformed(why) => LlmError::Malformed(r.text(&why)),
            timeout @ LlmError::Timeout(_) => timeout,
        }
    }
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlmError::Connect(e) => write!(f, "cannot reach the endpoint: {e}"),
            LlmError::Tls { host, why } => write!(f, "TLS handshake with {host} failed: {why}"),
            LlmError::Timeout(d) => write!(f, "no reply within {} ms", d.as_millis()),
            LlmError::Status { code, retry_after: Some(d), body } => {
                write!(f, "HTTP {code} (retry after {} s): {body}", d.as_secs())
            }
            LlmError::Status { code, body, .. } => write!(f, "HTTP {code}: {body}"),
            LlmError::Malformed(why) => write!(f, "malformed reply: {why}"),
        }
    }
}

/// A reply's content, the secret already redacted; its JSON readings are redacted too (a JSON
/// string may spell the secret with `\u` escapes that only decoding reveals).
#[derive(Debug, Clone)]
pub struct Reply {
    text: String,
    redactor: Redactor,
}

impl Reply {
    /// Content as it came from the network, redacted with `redactor`.
    pub fn received(text: &str, redactor: &Redactor) -> Reply {
        Reply { text: redactor.text(text), redactor: redactor.clone() }
    }

    /// A reply from an endpoint that was sent no secret (and tests).
    pub fn plain(text: &str) -> Reply {
        Reply { text: text.to_string(), redactor: Redactor::none() }
    }

    /// The content, redacted.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `text` read as JSON, redacted.
    pub fn json(&self, text: &str) -> Option<Value> {
        let mut value = serde_json::from_str(text).ok()?;
        self.redactor.value(&mut value);
        Some(value)
    }

    /// The task output: the content's JSON value if it is JSON, else the text.
    pub fn output(&self) -> Value {
        self.json(self.text.trim()).unwrap_or_else(|| Value::String(self.text.clone()))
    }
}

/// The user message for a task.
pub fn prompt(id: &str, capability: &str, description: &str, inputs: &Map<String, Value>) -> String {
    let mut p = format!("Task `{id}` (capability `{capability}`): {description}");
    if !inputs.is_empty() {
        let inputs = serde_json::to_string_pretty(inputs).unwrap_or_default();
        p.push_str("\n\nInputs (the outputs of the tasks this one depends on, by task id):\n");
        p.push_str(&inputs);
    }
    p
}

/// What a planner task's prompt adds: the answer the coordinator can turn into subtasks.
pub fn planning_note(max_subtasks: u32) -> String {
    format!(
        "\n\nYou are planning this work. Answer with only a JSON object {{\"subtasks\": [...]}} listing at most \
         {max_subtasks} tasks, each {{\"id\", \"capability\", \"description\", \"depends_on\": [ids]}}; ids must be new, \
         dependencies must name earlier subtasks or existing tasks, without cycles."
    )
}

/// One agent's connection to its endpoint.
#[derive(Debug)]
pub struct LlmClient {
    http: reqwest::Client,
    endpoint: url::Url,
    host: String,
    model: String,
    system: String,
    budget: Duration,
    key: Option<ApiKey>,
    redactor: Redactor,
}

impl LlmClient {
    /// The client of an agent, or why the agent cannot run: its key variable is unset or holds an
    /// unusable key, its `base_url` is unusable, or its `ca_file` cannot be read.
    pub fn new(spec: &LlmSpec) -> Result<LlmClient, String> {
        let key = spec.api_key_env.as_deref().map(ApiKey::from_env).transpose()?;
        let base = check_base_url(&spec.base_url).map_err(|why| format!("unusable base_url: {why}"))?;
        let mut builder = reqwest::Client::builder()
            .http1_only()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .user_agent(concat!("switchyard/", env!("CARGO_PKG_VERSION")));
        // Only an https endpoint needs the roots (and reads ca_file); reqwest wants a TLS
        // configuration either way, and the built-in roots alone cost nothing to read.
        let ca_file = if base.scheme() == "https" { spec.ca_file.as_deref() } else { None };
        builder = builder.use_preconfigured_tls(client_config(ca_file)?);
        let http = builder.build().map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        let redactor = key.as_ref().map_or_else(Redactor::none, |k| k.redactor().clone());
        Ok(LlmClient {
            http,
            host: base.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string(),
            endpoint: chat_endpoint(&base),
            model: spec.model.clone(),
            system: spec.system.clone(),
            budget: Duration::from_millis(spec.timeout_ms),
            key,
            redactor,
        })
    }

    /// Asks the endpoint. The whole exchange, a wait for `Retry-After` included, is bounded by the
    /// agent's `timeout_ms`. The reply and errors come back redacted.
    pub async fn chat(&self, user: &str) -> Result<Reply, LlmError> {
        let deadline = Instant::now() + self.budget;
        let body = json!({
            "model": self.model,
            "messages": [{"role": "system", "content": self.system}, {"role": "user", "content": user}],
        })
        .to_string();
        loop {
            let result = match tokio::time::timeout_at(deadline, self.exchange(&body)).await {
                Ok(r) => r,
                Err(_) => Err(LlmError::Timeout(self.budget)),
            };
            match result {
                Err(LlmError::Status { code: 429, retry_after: Some(wait), .. })
                    // A server's `Retry-After` can be any number: an Instant past the end of time is "too late".
                    if Instant::now().checked_add(wait).is_some_and(|at| at < deadline) =>
                {
                    tracing::info!("{}: rate limited; retrying in {} ms", self.model, wait.as_millis());
                    tokio::time::sleep(wait).await;
                }
                Ok(text) => return Ok(Reply::received(&text, &self.redactor)),
                Err(e) => return Err(e.redacted(&self.redactor)),
            }
        }
    }

    /// One request and its response's content, not yet redacted (but for an error excerpt, which
    /// is redacted before it is cut, so that no piece of the key is left at the cut).
    async fn exchange(&self, body: &str) -> Result<String, LlmError> {
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body.to_string());
        if let Some(key) = &self.key {
            request = request.bearer_auth(key.expose());
        }
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let code = response.status().as_u16();
        if !(200..300).contains(&code) {
            let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok());
            let retry_after = retry_after.and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
            let (body, _) = self.read_body(response, ERROR_BODY_BYTES).await?;
            let body = excerpt(&self.redactor.text(&String::from_utf8_lossy(&body)));
            return Err(LlmError::Status { code, retry_after, body });
        }
        let (body, whole) = self.read_body(response, MAX_RESPONSE_BYTES).await?;
        if !whole {
            return Err(LlmError::Malformed(format!("response over {MAX_RESPONSE_BYTES} bytes")));
        }
        let value: Value = serde_json::from_slice(&body).map_err(|e| LlmError::Malformed(format!("not JSON: {e}")))?;
        match value.pointer("/choices/0/message/content").and_then(Value::as_str) {
            Some(content) => Ok(content.to_string()),
            None => Err(LlmError::Malformed("no choices[0].message.content".into())),
        }
    }

    /// At most `limit` bytes of the body, and whether that is all of it.
    async fn read_body(&self, mut response: reqwest::Response, limit: usize) -> Result<(Vec<u8>, bool), LlmError> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport_error(&e))? {
            if body.len() + chunk.len() > limit {
                body.extend_from_slice(&chunk[..limit - body.len()]);
                return Ok((body, false));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, true))
    }

    /// A failed exchange as an error: a rustls error anywhere in the chain is a failed handshake
    /// with the host; otherwise the innermost cause (`Connection refused`, …) says what happened.
    fn transport_error(&self, e: &reqwest::Error) -> LlmError {
        if e.is_timeout() {
            return LlmError::Timeout(self.budget);
        }
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
        let mut innermost = e.to_string();
        while let Some(err) = cause {
            if let Some(tls) = rustls_error(err) {
                return LlmError::Tls { host: self.host.clone(), why: tls.to_string() };
            }
            innermost = err.to_string();
            cause = err.source();
        }
        LlmError::Connect(innermost)
    }
}

/// `err` as a rustls error, looking inside `io::Error`s (whose `source` skips the error they
/// wrap; the handshake's error comes wrapped twice).
fn rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner: &(dyn std::error::Error + 'static) = err.downcast_ref::<std::io::Error>()?.get_ref()?;
    rustls_error(inner)
}

/// The start of an error body, on one line: control characters (a terminal's escape sequences
/// among them) become spaces.
fn excerpt(text: &str) -> String {
    text.chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_replies_read_as_documented() {
        let tls =
            LlmError::Tls { host: "api.example.com".into(), why: "invalid peer certificate: UnknownIssuer".into() };
        assert_eq!(
            tls.to_string(),
            "TLS handshake with api.example.com failed: invalid peer certificate: UnknownIssuer"
        );
        assert!(tls.retryable());
        let status = |code| LlmError::Status { code, retry_after: None, body: String::new() };
        assert!(status(429).retryable() && status(503).retryable() && !status(401).retryable());
        assert_eq!(excerpt(&format!("a\r\nb\u{1b}[2J{}", "x".repeat(500))).chars().count(), EXCERPT_CHARS);
        assert!(excerpt("a\r\nb\u{1b}[2J").starts_with("a  b [2J"));
        assert_eq!(Reply::plain(" {\"a\": 1} ").output(), json!({"a": 1}));
        assert_eq!(Reply::plain("plain words").output(), json!("plain words"));
        let key = "sk-unit-test-key-123";
        let redactor = Redactor::new(key);
        // No run of eight key characters in the text; the decoded string is the whole key.
        let escaped = r#"{"k": "sk-u\u006eit-t\u0065st-k\u0065y-123"}"#;
        let reply = Reply::received(escaped, &redactor);
        assert_eq!(reply.text(), escaped);
        assert_eq!(reply.output(), json!({"k": "[redacted]"}));
        let err = LlmError::Status { code: 401, retry_after: None, body: format!("bad key {key}") };
        assert_eq!(err.redacted(&Redactor::new(key)).to_string(), "HTTP 401: bad key [redacted]");
        let note = planning_note(4);
        assert!(note.contains(r#"{"subtasks": [...]}"#) && note.contains("at most 4 tasks"), "{note}");
    }
}
