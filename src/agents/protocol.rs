//! The JSON-lines protocol between the coordinator and an agent process (version [`PROTOCOL_VERSION`]).
//!
//! Every message is one JSON object on one line with a `type` field: [`ToAgent`] goes to the agent's
//! stdin, [`FromAgent`] comes from its stdout. The full reference, with an example session, is
//! `assets/protocol.md`.
//!
//! Decoding is two-step so that errors are precise: the line is parsed as JSON, then checked
//! against a per-type field table (which names the missing or mistyped field and what was found),
//! and only then turned into the typed enum by serde. Unknown fields are ignored (forward
//! compatibility); an unknown `type` is an error.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The protocol version this implementation speaks; an agent's `hello` must declare it.
pub const PROTOCOL_VERSION: u32 = 1;

/// Longest accepted line, in bytes, not counting the newline.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Coordinator → agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToAgent {
    /// Run one attempt of a task.
    Task {
        id: String,
        attempt: u32,
        capability: String,
        description: String,
        /// Dependency task id → that dependency's `output`.
        inputs: Map<String, Value>,
        /// Time budget in milliseconds, counted from when the agent receives the message.
        deadline_ms: u64,
        /// Only for a planner: its result may add up to this many subtasks (`{"subtasks": [...]}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_subtasks: Option<u32>,
    },
    /// Stop working on an attempt; no reply is expected (a late one is ignored).
    Cancel { task: String, attempt: u32 },
    /// Call for proposals: bid for a task or decline.
    Cfp { auction: String, task: String, capability: String, deadline_ms: u64 },
    /// Vote on a proposal.
    Ballot { proposal: String, question: String, deadline_ms: u64 },
    /// Another agent (`from`) asks a question this agent's capability can answer.
    HelpRequest { id: String, from: String, capability: String, question: String },
    /// The answer (given by agent `from`) to this agent's own `request_help` with the same `id`.
    HelpResponse { id: String, from: String, answer: String },
    /// An announcement to every agent (or every agent with a capability): nothing to answer.
    Broadcast { text: String },
    /// Finish up and exit; the process is killed if it has not exited after a grace period.
    Shutdown {},
}

/// The first line an agent prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub agent: String,
    pub capabilities: Vec<String>,
}

/// Agent → coordinator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromAgent {
    Hello(Hello),
    /// The attempt succeeded.
    Result {
        task: String,
        attempt: u32,
        output: Value,
    },
    /// The attempt failed; `retryable` says whether another attempt may succeed.
    Error {
        task: String,
        attempt: u32,
        message: String,
        retryable: bool,
    },
    /// `fraction` of the attempt is done (0 to 1).
    Progress {
        task: String,
        attempt: u32,
        fraction: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Heartbeat {},
    Log {
        level: LogLevel,
        message: String,
    },
    Bid {
        auction: String,
        price: f64,
        eta_ms: u64,
        confidence: f64,
    },
    Decline {
        auction: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Vote {
        proposal: String,
        choice: VoteChoice,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The answer to a `help_request` with the same `id`.
    HelpResponse {
        id: String,
        answer: String,
    },
    /// Ask the team a question (the coordinator routes it to an agent with `capability`).
    RequestHelp {
        id: String,
        capability: String,
        question: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteChoice {
    Yes,
    No,
    Abstain,
}

impl ToAgent {
    /// The `type` field.
    pub fn type_name(&self) -> &'static str {
        match self {
            ToAgent::Task { .. } => "task",
            ToAgent::Cancel { .. } => "cancel",
            ToAgent::Cfp { .. } => "cfp",
            ToAgent::Ballot { .. } => "ballot",
            ToAgent::HelpRequest { .. } => "help_request",
            ToAgent::HelpResponse { .. } => "help_response",
            ToAgent::Broadcast { .. } => "broadcast",
            ToAgent::Shutdown {} => "shutdown",
        }
    }
}

impl FromAgent {
    /// The `type` field.
    pub fn type_name(&self) -> &'static str {
        match self {
            FromAgent::Hello(_) => "hello",
            FromAgent::Result { .. } => "result",
            FromAgent::Error { .. } => "error",
            FromAgent::Progress { .. } => "progress",
            FromAgent::Heartbeat {} => "heartbeat",
            FromAgent::Log { .. } => "log",
            FromAgent::Bid { .. } => "bid",
            FromAgent::Decline { .. } => "decline",
            FromAgent::Vote { .. } => "vote",
            FromAgent::HelpResponse { .. } => "help_response",
            FromAgent::RequestHelp { .. } => "request_help",
        }
    }
}

/// Why a line is not a valid message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The line is longer than the limit (`len` bytes, newline excluded).
    LineTooLong { len: usize, max: usize },
    /// The line is not JSON (or not UTF-8); the parser's message.
    NotJson(String),
    /// The line is JSON but not an object; what it is instead.
    NotObject(&'static str),
    /// The `type` names no message of this direction.
    UnknownType(String),
    /// A required field is absent. `msg_type` is `None` when the missing field is `type` itself.
    MissingField { msg_type: Option<String>, field: &'static str },
    /// A field has the wrong JSON type or is out of range.
    InvalidField { msg_type: Option<String>, field: &'static str, reason: String },
    /// A message on a remote agent's NATS subject that is not its bridge's (another run's, or
    /// from a bridge that has not said hello): why.
    Misrouted(String),
}

impl ProtocolError {
    /// A stable short name for the error kind (for logs and counters).
    pub fn kind(&self) -> &'static str {
        match self {
            ProtocolError::LineTooLong { .. } => "line_too_long",
            ProtocolError::NotJson(_) => "not_json",
            ProtocolError::NotObject(_) => "not_object",
            ProtocolError::UnknownType(_) => "unknown_type",
            ProtocolError::MissingField { .. } => "missing_field",
            ProtocolError::InvalidField { .. } => "invalid_field",
            ProtocolError::Misrouted(_) => "misrouted",
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = |f: &mut fmt::Formatter<'_>, t: &Option<String>| match t {
            Some(t) => write!(f, "`{t}` message: "),
            None => Ok(()),
        };
        match self {
            ProtocolError::LineTooLong { len, max } => write!(f, "line too long: {len} bytes (limit {max})"),
            ProtocolError::NotJson(e) => write!(f, "not JSON: {e}"),
            ProtocolError::NotObject(found) => write!(f, "not a JSON object: found {found}"),
            ProtocolError::UnknownType(t) => write!(f, "unknown message type `{t}`"),
            ProtocolError::MissingField { msg_type, field } => {
                prefix(f, msg_type)?;
                write!(f, "missing field `{field}`")
            }
            ProtocolError::InvalidField { msg_type, field, reason } => {
                prefix(f, msg_type)?;
                write!(f, "field `{field}`: {reason}")
            }
            ProtocolError::Misrouted(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Encodes a message as one line, newline included.
pub fn encode_line<T: Serialize>(msg: &T) -> String {
    // The message types hold only strings, numbers, booleans and JSON values: serializing cannot fail.
    let mut line = serde_json::to_string(msg).expect("protocol messages always serialize");
    line.push('\n');
    line
}

/// Decodes a line printed by an agent (a trailing `\n` or `\r\n` is allowed).
pub fn decode_from_agent(line: &str) -> Result<FromAgent, ProtocolError> {
    decode(line, FROM_AGENT)
}

/// Decodes a line sent to an agent (what an agent written in Rust, or a test, would read).
pub fn decode_to_agent(line: &str) -> Result<ToAgent, ProtocolError> {
    decode(line, TO_AGENT)
}

/// Checks an agent's `hello` against what the scenario says about it: the protocol version, the
/// agent id, and that the declared capabilities include every capability the scenario gives it.
pub fn validate_hello(hello: &Hello, expected_id: &str, expected_caps: &[impl AsRef<str>]) -> Result<(), String> {
    let mut problems = Vec::new();
    if hello.protocol != PROTOCOL_VERSION {
        problems.push(format!("protocol version {} is not supported (expected {PROTOCOL_VERSION})", hello.protocol));
    }
    if hello.agent != expected_id {
        problems.push(format!("agent id `{}` does not match the scenario's `{expected_id}`", hello.agent));
    }
    let missing: Vec<&str> =
        expected_caps.iter().map(AsRef::as_ref).filter(|c| !hello.capabilities.iter().any(|h| h == c)).collect();
    if !missing.is_empty() {
        problems.push(format!("capabilities [{}] not declared by the agent", missing.join(", ")));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

// ---- field tables --------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    U32,
    U64,
    Bool,
    /// A number from 0 to 1.
    Fraction,
    /// A finite number ≥ 0.
    NonNegative,
    /// Any JSON value, `null` included.
    Any,
    Object,
    StrList,
    OneOf(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
struct Field {
    name: &'static str,
    kind: Kind,
    required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, required: true }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, required: false }
}

type Schema = (&'static str, &'static [Field]);

const LEVELS: &[&str] = &["error", "warn", "info", "debug"];
const CHOICES: &[&str] = &["yes", "no", "abstain"];

const TO_AGENT: &[Schema] = &[
    (
        "task",
        &[
            req("id", Kind::Str),
            req("attempt", Kind::U32),
            req("capability", Kind::Str),
            req("description", Kind::Str),
            req("inputs", Kind::Object),
            req("deadline_ms", Kind::U64),
            opt("max_subtasks", Kind::U32),
        ],
    ),
    ("cancel", &[req("task", Kind::Str), req("attempt", Kind::U32)]),
    (
        "cfp",
        &[
            req("auction", Kind::Str),
            req("task", Kind::Str),
            req("capability", Kind::Str),
            req("deadline_ms", Kind::U64),
        ],
    ),
    ("ballot", &[req("proposal", Kind::Str), req("question", Kind::Str), req("deadline_ms", Kind::U64)]),
    (
        "help_request",
        &[req("id", Kind::Str), req("from", Kind::Str), req("capability", Kind::Str), req("question", Kind::Str)],
    ),
    ("help_response", &[req("id", Kind::Str), req("from", Kind::Str), req("answer", Kind::Str)]),
    ("broadcast", &[req("text", Kind::Str)]),
    ("shutdown", &[]),
];

const FROM_AGENT: &[Schema] = &[
    ("hello", &[req("protocol", Kind::U32), req("agent", Kind::Str), req("capabilities", Kind::StrList)]),
    ("result", &[req("task", Kind::Str), req("attempt", Kind::U32), req("output", Kind::Any)]),
    (
        "error",
        &[req("task", Kind::Str), req("attempt", Kind::U32), req("message", Kind::Str), req("retryable", Kind::Bool)],
    ),
    (
        "progress",
        &[req("task", Kind::Str), req("attempt", Kind::U32), req("fraction", Kind::Fraction), opt("note", Kind::Str)],
    ),
    ("heartbeat", &[]),
    ("log", &[req("level", Kind::OneOf(LEVELS)), req("message", Kind::Str)]),
    (
        "bid",
        &[
            req("auction", Kind::Str),
            req("price", Kind::NonNegative),
            req("eta_ms", Kind::U64),
            req("confidence", Kind::Fraction),
        ],
    ),
    ("decline", &[req("auction", Kind::Str), opt("reason", Kind::Str)]),
    ("vote", &[req("proposal", Kind::Str), req("choice", Kind::OneOf(CHOICES)), opt("reason", Kind::Str)]),
    ("help_response", &[req("id", Kind::Str), req("answer", Kind::Str)]),
    ("request_help", &[req("id", Kind::Str), req("capability", Kind::Str), req("question", Kind::Str)]),
];

/// Every message type and its fields, `(direction, type, fields)`, for documentation checks.
#[cfg(test)]
pub(crate) fn all_fields() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    let dir = |d: &'static str, s: &'static [Schema]| {
        s.iter().map(move |(t, fs)| (d, *t, fs.iter().map(|f| f.name).collect()))
    };
    dir("to_agent", TO_AGENT).chain(dir("from_agent", FROM_AGENT)).collect()
}

fn decode<T: DeserializeOwned>(line: &str, schemas: &[Schema]) -> Result<T, ProtocolError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.len() > MAX_LINE_BYTES {
        return Err(ProtocolError::LineTooLong { len: line.len(), max: MAX_LINE_BYTES });
    }
    let value: Value = serde_json::from_str(line).map_err(|e| ProtocolError::NotJson(e.to_string()))?;
    let Value::Object(obj) = &value else { return Err(ProtocolError::NotObject(describe_kind(&value))) };
    let msg_type = match obj.get("type") {
        None => return Err(ProtocolError::MissingField { msg_type: None, field: "type" }),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            let reason = format!("expected a string, found {}", describe(other));
            return Err(ProtocolError::InvalidField { msg_type: None, field: "type", reason });
        }
    };
    let Some((_, fields)) = schemas.iter().find(|(name, _)| *name == msg_type) else {
        return Err(ProtocolError::UnknownType(msg_type.to_string()));
    };
    for field in fields.iter() {
        check_field(obj, msg_type, field)?;
    }
    // The table guarantees what serde needs; an error here means the table and the types disagree.
    serde_json::from_value(value.clone()).map_err(|e| ProtocolError::InvalidField {
        msg_type: Some(msg_type.to_string()),
        field: "type",
        reason: e.to_string(),
    })
}

fn check_field(obj: &Map<String, Value>, msg_type: &str, field: &Field) -> Result<(), ProtocolError> {
    let value = match obj.get(field.name) {
        None => None,
        Some(Value::Null) if !matches!(field.kind, Kind::Any) => None,
        Some(v) => Some(v),
    };
    let Some(value) = value else {
        if field.required {
            if let Some(Value::Null) = obj.get(field.name) {
                let reason = format!("expected {}, found null", expected(field.kind));
                return Err(ProtocolError::InvalidField { msg_type: Some(msg_type.into()), field: field.name, reason });
            }
            return Err(ProtocolError::MissingField { msg_type: Some(msg_type.into()), field: field.name });
        }
        return Ok(());
    };
    let ok = match field.kind {
        Kind::Str => value.is_string(),
        Kind::U32 => value.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)),
        Kind::U64 => value.as_u64().is_some(),
        Kind::Bool => value.is_boolean(),
        Kind::Fraction => value.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x)),
        Kind::NonNegative => value.as_f64().is_some_and(|x| x.is_finite() && x >= 0.0),
        Kind::Any => true,
        Kind::Object => value.is_object(),
        Kind::StrList => value.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Kind::OneOf(names) => value.as_str().is_some_and(|s| names.contains(&s)),
    };
    if ok {
        return Ok(());
    }
    let reason = format!("expected {}, found {}", expected(field.kind), describe(value));
    Err(ProtocolError::InvalidField { msg_type: Some(msg_type.into()), field: field.name, reason })
}

fn expected(kind: Kind) -> String {
    match kind {
        Kind::Str => "a string".into(),
        Kind::U32 => format!("an integer from 0 to {}", u32::MAX),
        Kind::U64 => format!("an integer from 0 to {}", u64::MAX),
        Kind::Bool => "true or false".into(),
        Kind::Fraction => "a number from 0 to 1".into(),
        Kind::NonNegative => "a number ≥ 0".into(),
        Kind::Any => "any JSON value".into(),
        Kind::Object => "an object".into(),
        Kind::StrList => "an array of strings".into(),
        Kind::OneOf(names) => format!("one of {}", names.join(", ")),
    }
}

fn describe_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A short description of a value for error messages (scalars are shown, long strings cut).
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() > 40 => {
            format!("the string {:?}…", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(a) if a.iter().any(|x| !x.is_string()) => "an array with a non-string element".into(),
        other => describe_kind(other).into(),
    }
}

#[cfg(test)]
mod tests;
