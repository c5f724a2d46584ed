//! Real agents: external processes that speak the JSON-lines protocol on stdin/stdout.
//!
//! [`protocol`] is the wire format (see `assets/protocol.md`); [`process`] runs one agent process
//! and turns its output into a bounded stream of [`AgentOutput`] items. Nothing here knows about
//! the coordinator: a driver maps these messages to and from the bus.

mod lines;
pub mod llm;
pub mod llm_bid;
pub mod llm_key;
pub mod llm_tls;
pub mod llm_url;
pub mod llm_vote;
pub mod process;
pub mod protocol;
pub mod reaper;
pub mod redact;

pub use process::{
    AgentCommand, AgentOutput, AgentStats, ExitInfo, HelloError, ProcessAgent, ProcessOptions, SendError,
    ShutdownReport,
};
pub use protocol::{
    FromAgent, Hello, LogLevel, MAX_LINE_BYTES, PROTOCOL_VERSION, ProtocolError, ToAgent, VoteChoice,
    decode_from_agent, decode_to_agent, encode_line, validate_hello,
};
