//! LLM agents: one OpenAI-compatible `POST {base_url}/chat/completions` per attempt.
//!
//! The client is a small HTTP/1.1 exchange over Tokio's `TcpStream` (one request per connection,
//! `Connection: close`, plain or chunked bodies), which keeps the dependency list short; `https://`
//! runs the same exchange inside rustls (see [`super::llm_tls`]), with the URL's host as the server
//! name. The whole exchange runs under the agent's `timeout_ms`. The task's description and inputs
//! become the user message, the reply's content becomes the output (parsed as JSON when it is JSON,
//! else kept as a string). Failures map onto the retry rules through [`LlmError::retryable`]:
//! timeouts, connection and TLS errors, 5xx, 429 and unparsable replies may succeed on another
//! attempt; other 4xx will not. A 429's `Retry-After` is honoured within the same attempt when it
//! fits in the time left. The API key is read from the environment variable the scenario names and
//! only ever goes into the `Authorization` header.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;

use crate::scenario::LlmSpec;

/// Largest response accepted.
pub const MAX_RESPONSE_BYTES: usize = 4 << 20;

/// Why a chat request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmError {
    /// `base_url` cannot be used (not `http://` or `https://`, no host).
    BadUrl(String),
    Connect(String),
    /// The TLS handshake with `host` failed (an untrusted or mismatched certificate, say).
    Tls {
        host: String,
        why: String,
    },
    Timeout(Duration),
    /// A non-2xx status; `retry_after` from the header of a 429 or 503.
    Status {
        code: u16,
        retry_after: Option<Duration>,
        body: String,
    },
    /// The response is not HTTP, not JSON, or has no `choices[0].message.content`.
    Malformed(String),
}

impl LlmError {
    /// Whether another attempt may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            LlmError::BadUrl(_) => false,
            LlmError::Status { code, .. } => *code == 429 || *code == 408 || *code >= 500,
            LlmError::Connect(_) | LlmError::Tls { .. } | LlmError::Timeout(_) | LlmError::Malformed(_) => true,
        }
    }
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlmError::BadUrl(why) => write!(f, "unusable base_url: {why}"),
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

/// The output of a reply's content: its JSON value if it is JSON, else the text.
pub fn output_of(content: &str) -> Value {
    serde_json::from_str(content.trim()).unwrap_or_else(|_| Value::String(content.to_string()))
}

/// Asks the endpoint; `api_key` goes into the `Authorization` header; `tls` is the agent's client
/// configuration, needed for an `https://` endpoint. The whole exchange, a wait for `Retry-After`
/// included, is bounded by `spec.timeout_ms`.
pub async fn chat(
    spec: &LlmSpec,
    tls: Option<&Arc<ClientConfig>>,
    api_key: Option<&str>,
    user: &str,
) -> Result<String, LlmError> {
    let budget = Duration::from_millis(spec.timeout_ms);
    let deadline = Instant::now() + budget;
    let body = json!({
        "model": spec.model,
        "messages": [{"role": "system", "content": spec.system}, {"role": "user", "content": user}],
    })
    .to_string();
    loop {
        let exchange = exchange(&spec.base_url, tls, api_key, &body);
        let result = match tokio::time::timeout_at(deadline, exchange).await {
            Ok(r) => r,
            Err(_) => Err(LlmError::Timeout(budget)),
        };
        match result {
            Err(LlmError::Status { code: 429, retry_after: Some(wait), .. }) if Instant::now() + wait < deadline => {
                tracing::info!("{}: rate limited; retrying in {} ms", spec.model, wait.as_millis());
                tokio::time::sleep(wait).await;
            }
            other => return other,
        }
    }
}

/// The parts of a `base_url` a request needs.
#[derive(Debug, PartialEq)]
pub struct Url {
    pub https: bool,
    /// The host alone (the TLS server name), without brackets for an IPv6 address.
    pub host: String,
    /// `host:port`, the port made explicit (80 or 443 by default).
    pub authority: String,
    /// The authority as the URL wrote it, for the `Host` header.
    pub host_header: String,
    /// From the first `/` on, without a trailing `/`.
    pub path: String,
}

/// Splits an `http://` or `https://` URL.
pub fn split_url(url: &str) -> Result<Url, LlmError> {
    let (https, rest) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
        (Some(rest), _) => (false, rest),
        (_, Some(rest)) => (true, rest),
        _ => return Err(LlmError::BadUrl(format!("{url}: expected an http:// or https:// URL"))),
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    // A port is what follows the last `:` outside an IPv6 address's brackets.
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, Some(p)),
        _ => (authority, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(LlmError::BadUrl(format!("{url}: no host")));
    }
    let host_header = authority.to_string();
    let authority = match port {
        Some(_) => host_header.clone(),
        None => format!("{authority}:{}", if https { 443 } else { 80 }),
    };
    let (host, path) = (host.to_string(), format!("/{}", path.trim_end_matches('/')));
    Ok(Url { https, host, authority, host_header, path })
}

async fn exchange(
    base_url: &str,
    tls: Option<&Arc<ClientConfig>>,
    api_key: Option<&str>,
    body: &str,
) -> Result<String, LlmError> {
    let url = split_url(base_url)?;
    let stream = TcpStream::connect(&url.authority).await.map_err(|e| LlmError::Connect(e.to_string()))?;
    let auth = api_key.map_or(String::new(), |k| format!("Authorization: Bearer {k}\r\n"));
    let head = format!(
        "POST {}/chat/completions HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        url.path.trim_end_matches('/'),
        url.host_header,
        body.len()
    );
    let raw = if url.https {
        let Some(config) = tls else {
            return Err(LlmError::BadUrl(format!("{base_url}: https:// without a TLS configuration")));
        };
        let tls_error = |why: String| LlmError::Tls { host: url.host.clone(), why };
        let name = ServerName::try_from(url.host.clone()).map_err(|e| tls_error(e.to_string()))?;
        let stream = TlsConnector::from(config.clone())
            .connect(name, stream)
            .await
            .map_err(|e| tls_error(e.get_ref().map_or_else(|| e.to_string(), |inner| inner.to_string())))?;
        send_and_read(stream, &head, body, true).await?
    } else {
        send_and_read(stream, &head, body, false).await?
    };
    let (code, headers, body) = parse_response(&raw)?;
    if !(200..300).contains(&code) {
        let retry_after = header(&headers, "retry-after").and_then(|v| v.trim().parse::<u64>().ok());
        let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        return Err(LlmError::Status { code, retry_after: retry_after.map(Duration::from_secs), body: text });
    }
    let value: Value = serde_json::from_slice(&body).map_err(|e| LlmError::Malformed(format!("not JSON: {e}")))?;
    match value.pointer("/choices/0/message/content").and_then(Value::as_str) {
        Some(content) => Ok(content.to_string()),
        None => Err(LlmError::Malformed("no choices[0].message.content".into())),
    }
}

/// Writes the request and reads the whole response (the server closes the connection). Over TLS a
/// close without `close_notify` is common and harmless here: the response is checked whole anyway
/// (its headers, its length or chunks, its JSON).
async fn send_and_read<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    head: &str,
    body: &str,
    tls: bool,
) -> Result<Vec<u8>, LlmError> {
    let io = |e: std::io::Error| LlmError::Connect(e.to_string());
    stream.write_all(head.as_bytes()).await.map_err(io)?;
    stream.write_all(body.as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut raw = Vec::new();
    let mut limited = (&mut stream).take(MAX_RESPONSE_BYTES as u64 + 1);
    match limited.read_to_end(&mut raw).await {
        Ok(_) => {}
        Err(e) if tls && e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(io(e)),
    }
    if raw.len() > MAX_RESPONSE_BYTES {
        return Err(LlmError::Malformed(format!("response over {MAX_RESPONSE_BYTES} bytes")));
    }
    Ok(raw)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

type Response = (u16, Vec<(String, String)>, Vec<u8>);

/// Status, headers and body (de-chunked) of a complete HTTP/1.1 response.
fn parse_response(raw: &[u8]) -> Result<Response, LlmError> {
    let bad = |why: &str| LlmError::Malformed(why.to_string());
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status
        .strip_prefix("HTTP/1.")
        .and_then(|s| s.get(2..5))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("not an HTTP status line"))?;
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut body = raw[end + 4..].to_vec();
    if header(&headers, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body).ok_or_else(|| bad("broken chunked body"))?;
    } else if let Some(len) = header(&headers, "content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.truncate(len);
    }
    Ok((code, headers, body))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_responses_are_read_strictly() {
        let parts = |u: &str| split_url(u).map(|u| (u.https, u.host, u.authority, u.path));
        assert_eq!(
            parts("http://127.0.0.1:11434/v1"),
            Ok((false, "127.0.0.1".into(), "127.0.0.1:11434".into(), "/v1".into()))
        );
        assert_eq!(parts("http://host/"), Ok((false, "host".into(), "host:80".into(), "/".into())));
        assert_eq!(
            parts("https://api.example.com/v1"),
            Ok((true, "api.example.com".into(), "api.example.com:443".into(), "/v1".into()))
        );
        assert_eq!(parts("https://[::1]:8443/v1"), Ok((true, "::1".into(), "[::1]:8443".into(), "/v1".into())));
        assert_eq!(parts("https://[::1]"), Ok((true, "::1".into(), "[::1]:443".into(), "/".into())));
        assert!(matches!(split_url("ftp://host/v1"), Err(LlmError::BadUrl(_))));
        assert!(matches!(split_url("https:///v1"), Err(LlmError::BadUrl(_))));
        let tls =
            LlmError::Tls { host: "api.example.com".into(), why: "invalid peer certificate: UnknownIssuer".into() };
        assert_eq!(
            tls.to_string(),
            "TLS handshake with api.example.com failed: invalid peer certificate: UnknownIssuer"
        );
        assert!(tls.retryable());
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
        assert_eq!(parse_response(raw).unwrap().2, b"Wikipedia");
        let raw = b"HTTP/1.1 429 Too Many\r\nRetry-After: 2\r\nContent-Length: 4\r\n\r\nslowEXTRA";
        let (code, headers, body) = parse_response(raw).unwrap();
        assert_eq!((code, header(&headers, "retry-after"), body.as_slice()), (429, Some("2"), &b"slow"[..]));
        assert!(parse_response(b"garbage").is_err());
        assert_eq!(output_of(" {\"a\": 1} "), json!({"a": 1}));
        assert_eq!(output_of("plain words"), json!("plain words"));
        let note = planning_note(4);
        assert!(note.contains(r#"{"subtasks": [...]}"#) && note.contains("at most 4 tasks"), "{note}");
    }
}
