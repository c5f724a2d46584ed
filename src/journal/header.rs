//! The journal's first line makes it self-contained: `run_started` also carries the journal
//! format version, the Switchyard version, the scenario **as loaded** (canonical JSON: every
//! default written out, the seed the run used) and that text's SHA-256, so a journal needs no
//! other file to be read, replayed or continued.
//!
//! The scenario is embedded as the exact JSON text the hash is taken over; serialising a
//! [`Scenario`] is deterministic (struct fields in order, maps sorted, floats round-tripped), and a
//! serialised scenario parses back unchanged (a property test in `tests/scenario_validation.rs`).

use serde_json::Value;

use crate::scenario::{self, Scenario};

/// The journal format this build writes and reads. Journals written before the header existed
/// have no `format` and are not self-contained.
pub const FORMAT: u64 = 1;

/// The extra fields of `run_started`, each preceded by a comma, the scenario last (it is big).
pub fn encode(scenario: &Scenario) -> Vec<u8> {
    let canonical = serde_json::to_string(scenario).expect("a scenario serializes");
    let mut out = Vec::with_capacity(canonical.len() + 160);
    out.extend_from_slice(b",\"format\":");
    out.extend_from_slice(FORMAT.to_string().as_bytes());
    out.extend_from_slice(b",\"switchyard\":\"");
    out.extend_from_slice(env!("CARGO_PKG_VERSION").as_bytes());
    out.extend_from_slice(b"\",\"scenario_sha256\":\"");
    out.extend_from_slice(sha256_hex(canonical.as_bytes()).as_bytes());
    out.extend_from_slice(b"\",\"scenario\":");
    out.extend_from_slice(canonical.as_bytes());
    out
}

/// A fork's `forked_from` field (with its leading comma): the source journal's SHA-256 and the
/// seq it was forked at.
pub fn forked_from_field(journal_sha256: &str, seq: u64) -> String {
    format!(",\"forked_from\":{{\"journal_sha256\":\"{journal_sha256}\",\"seq\":{seq}}}")
}

/// Puts `field` (`,"key":VALUE`) into a header, or a part of one, before the embedded scenario
/// (which stays last, being big); at the end when there is none.
pub fn insert_field(header: &mut Vec<u8>, field: &[u8]) {
    const SCENARIO: &[u8] = b",\"scenario\":";
    let at = header.windows(SCENARIO.len()).position(|w| w == SCENARIO).unwrap_or(header.len());
    header.splice(at..at, field.iter().copied());
}

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the first line says about the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub format: u64,
    /// The Switchyard version that wrote the journal.
    pub switchyard: String,
    pub scenario_sha256: String,
    pub scenario: Scenario,
    /// A fork's source: that journal's SHA-256 and the seq it was forked at.
    pub forked_from: Option<(String, u64)>,
}

/// Reads the header from the first line (already parsed as JSON). The errors say what is wrong
/// in words; the caller adds the file and line.
pub fn decode(first: &Value) -> Result<Header, String> {
    if first.get("kind").and_then(Value::as_str) != Some("run_started") {
        return Err("not a Switchyard journal: the first line is not `run_started`".into());
    }
    let format = match first.get("format") {
        None => return Err("written before journals carried their scenario (no `format`): not self-contained".into()),
        Some(v) => v.as_u64().ok_or("`format` must be a non-negative integer")?,
    };
    if format != FORMAT {
        return Err(format!("journal format {format} is not one this switchyard reads (it reads format {FORMAT})"));
    }
    let text = |key: &str| -> Result<String, String> {
        first.get(key).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("missing `{key}`"))
    };
    let switchyard = text("switchyard")?;
    let scenario_sha256 = text("scenario_sha256")?;
    let embedded = first.get("scenario").ok_or("missing `scenario`")?;
    // The hash is over the text as written, which is the serialisation of what it parses to.
    let canonical = embedded.to_string();
    let parsed = scenario::parse("<the journal's scenario>", &canonical).map_err(|e| format!("its scenario: {e}"))?;
    let again = serde_json::to_string(&parsed).map_err(|e| format!("its scenario: {e}"))?;
    if sha256_hex(again.as_bytes()) != scenario_sha256 {
        return Err("its scenario does not match its `scenario_sha256`: the journal was altered".into());
    }
    let forked_from = match first.get("forked_from") {
        None => None,
        Some(f) => {
            let sha = f.get("journal_sha256").and_then(Value::as_str).ok_or("`forked_from` lacks `journal_sha256`")?;
            let seq = f.get("seq").and_then(Value::as_u64).ok_or("`forked_from` lacks `seq`")?;
            Some((sha.to_string(), seq))
        }
    };
    Ok(Header { format, switchyard, scenario_sha256, scenario: parsed, forked_from })
}
