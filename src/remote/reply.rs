//! The answer to an operator command sent to a served run:
//!
//! ```json
//! {"accepted":true,"message":"pause","lines":[{"seq":41,"t_ms":1200,"kind":"operator_action",…},…]}
//! ```
//!
//! `accepted` says whether the run took the command; `message` is what the console's status line
//! would say (`pause`, `retry refused: task `build` is running on `w1`; cancel it or wait`);
//! `lines` are the journal lines the command produced, byte for byte as in the journal (a refusal
//! has its `command_refused` line; a command that does not parse has none).

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub accepted: bool,
    pub message: String,
    /// Journal lines, without their `\n`.
    pub lines: Vec<String>,
}

#[derive(Deserialize)]
struct Wire<'a> {
    accepted: bool,
    message: String,
    #[serde(borrow)]
    lines: Vec<&'a RawValue>,
}

impl Reply {
    /// A refusal that produced no journal line.
    pub fn refused(message: impl Into<String>) -> Reply {
        Reply { accepted: false, message: message.into(), lines: Vec::new() }
    }

    /// The reply's JSON, its lines embedded as they are.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.lines.iter().map(|l| l.len() + 1).sum::<usize>());
        out.extend_from_slice(b"{\"accepted\":");
        out.extend_from_slice(if self.accepted { b"true" } else { b"false" });
        out.extend_from_slice(b",\"message\":");
        out.extend_from_slice(serde_json::to_string(&self.message).unwrap_or_default().as_bytes());
        out.extend_from_slice(b",\"lines\":[");
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(line.as_bytes());
        }
        out.extend_from_slice(b"]}");
        out
    }

    /// Reads a reply; its lines come back byte for byte.
    pub fn decode(bytes: &[u8]) -> Result<Reply, String> {
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| format!("not a reply from a served run: {e}"))?;
        Ok(Reply {
            accepted: wire.accepted,
            message: wire.message,
            lines: wire.lines.iter().map(|l| l.get().to_string()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_round_trips_its_lines_byte_for_byte() {
        let reply = Reply {
            accepted: true,
            message: "pause \"now\"".into(),
            lines: vec![
                r#"{"seq":3,"t_ms":10,"kind":"operator_action","x":1.50}"#.into(),
                r#"{"seq":4,"t_ms":10,"kind":"run_paused"}"#.into(),
            ],
        };
        let bytes = reply.encode();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["lines"][1]["kind"], "run_paused");
        assert_eq!(Reply::decode(&bytes).unwrap(), reply);
        assert_eq!(Reply::refused("no").encode(), br#"{"accepted":false,"message":"no","lines":[]}"#);
        assert!(Reply::decode(b"garbage").is_err());
    }
}
