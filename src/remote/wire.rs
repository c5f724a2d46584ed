//! What a remote agent's bridge and the coordinator say to each other on the agent's subjects,
//! around the agent's own JSON lines (which cross unchanged, one per message).
//!
//! | subject | from | payload |
//! |---------|------|---------|
//! | `switchyard.RUN.agent.ID.hello` | bridge (request) | the agent's `hello` line; answered with a [`Welcome`] |
//! | `switchyard.RUN.agent.ID.out` | bridge | an agent line; [`STREAM_HEADER`] `stderr`: a stderr line; `exit`: an [`Exit`] |
//! | `switchyard.RUN.agent.ID.in` | coordinator | a line for the agent (`task` too, with `direct` delivery) |
//! | `switchyard.RUN.agent.ID.ack` | coordinator | a [`Recorded`]: the bridge acknowledges that task |
//! | `switchyard.RUN.work.ID` | coordinator (JetStream) | a `task` line, with `work_queue` delivery |
//!
//! Every message from a bridge names its run ([`RUN_HEADER`]) and its session ([`SESSION_HEADER`],
//! new each time a bridge starts): the coordinator takes lines from the session that last said
//! hello, ignores those of a bridge it replaced (a second bridge for the same agent), which it
//! tells to stop with a `shutdown` naming that session, and reports anything else as a protocol
//! error.

use serde::{Deserialize, Serialize};

/// The run a bridge's message is meant for.
pub const RUN_HEADER: &str = "Switchyard-Run";
/// Which start of a bridge sent the message.
pub const SESSION_HEADER: &str = "Switchyard-Session";
/// What an `out` message carries: absent for an agent's stdout line, `stderr` or `exit`.
pub const STREAM_HEADER: &str = "Switchyard-Stream";

/// The coordinator's answer to a bridge's hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub accepted: bool,
    /// Why not, when refused.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// How tasks come: `work_queue` or `direct`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub delivery: String,
    /// The epoch of the coordinator that answered (see `leader`): a beat of a higher one is a
    /// coordinator that took the run over, to say hello to again.
    #[serde(default)]
    pub epoch: u64,
}

/// The coordinator recorded the outcome of this attempt: its work-queue message may go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub task: String,
    pub attempt: u32,
}

/// The agent's process ended (the bridge ends too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub status: Option<i32>,
    pub signal: Option<i32>,
}

/// A fresh session name for a bridge that starts: its process id and the time, which no other
/// start of a bridge shares.
pub fn new_session() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{nanos:x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_round_trip_and_leave_out_what_is_empty() {
        let w = Welcome { accepted: true, message: String::new(), delivery: "direct".into(), epoch: 2 };
        let text = serde_json::to_string(&w).unwrap();
        assert_eq!(text, r#"{"accepted":true,"delivery":"direct","epoch":2}"#);
        assert_eq!(serde_json::from_str::<Welcome>(&text).unwrap(), w);
        let r = Recorded { task: "build".into(), attempt: 2 };
        assert_eq!(serde_json::from_str::<Recorded>(&serde_json::to_string(&r).unwrap()).unwrap(), r);
        assert_ne!(new_session(), "");
    }
}
