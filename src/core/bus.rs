//! The message bus vocabulary: every coordinator–agent interaction is a [`Message`].
//!
//! The bus itself lives inside the coordinator (it numbers messages, correlates replies and keeps
//! counts); drivers only move messages between the coordinator and the agents.

use super::ids::{AgentId, TaskId};

/// Who sent or receives a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Coordinator,
    Agent(AgentId),
    /// Every live agent.
    Broadcast,
}

/// The message type; the bus keeps counts per type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MsgKind {
    /// Coordinator → agent: run this attempt.
    TaskRequest,
    /// Agent → coordinator: the attempt's outcome (correlated with its request).
    TaskResult,
    /// Coordinator → agent: stop working on an attempt (it timed out or was taken away).
    Cancel,
    /// Coordinator → all: run-level announcements.
    Status,
    /// Agent → coordinator: I am alive.
    Heartbeat,
    /// Manager → report: run this task (or hand it further down). Relayed by the coordinator.
    Delegate,
    /// Report → manager: the delegated task is done. Relayed by the coordinator.
    Report,
    /// Coordinator → agent: call for proposals (an auction opened).
    Cfp,
    /// Agent → coordinator: a bid in an auction (correlated with its `cfp`).
    Bid,
    /// Agent → coordinator: no bid in an auction.
    Decline,
    /// Coordinator → agent: you won the auction (the task request follows).
    Award,
    /// Coordinator → voter: a decision task's proposal to vote on.
    Ballot,
    /// Voter → coordinator: its vote on a ballot.
    Vote,
    /// Agent → coordinator → peer: a question during an attempt (the bus id of the asker's
    /// message is the exchange's id; the forwarded copy carries it as `correlation`).
    HelpRequest,
    /// Peer → coordinator → asker: the answer (or, to the asker, that none came in time).
    HelpResponse,
    /// Coordinator → agent: an announcement (one message per recipient).
    Broadcast,
}

impl MsgKind {
    pub const ALL: [MsgKind; 16] = [
        MsgKind::TaskRequest,
        MsgKind::TaskResult,
        MsgKind::Cancel,
        MsgKind::Status,
        MsgKind::Heartbeat,
        MsgKind::Delegate,
        MsgKind::Report,
        MsgKind::Cfp,
        MsgKind::Bid,
        MsgKind::Decline,
        MsgKind::Award,
        MsgKind::Ballot,
        MsgKind::Vote,
        MsgKind::HelpRequest,
        MsgKind::HelpResponse,
        MsgKind::Broadcast,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MsgKind::TaskRequest => "task_request",
            MsgKind::TaskResult => "task_result",
            MsgKind::Cancel => "cancel",
            MsgKind::Status => "status",
            MsgKind::Heartbeat => "heartbeat",
            MsgKind::Delegate => "delegate",
            MsgKind::Report => "report",
            MsgKind::Cfp => "cfp",
            MsgKind::Bid => "bid",
            MsgKind::Decline => "decline",
            MsgKind::Award => "award",
            MsgKind::Ballot => "ballot",
            MsgKind::Vote => "vote",
            MsgKind::HelpRequest => "help_request",
            MsgKind::HelpResponse => "help_response",
            MsgKind::Broadcast => "broadcast",
        }
    }

    /// Sent by the coordinator on an agent's behalf (its `from` is that agent, who said nothing).
    pub fn is_relayed(self) -> bool {
        matches!(self, MsgKind::Delegate | MsgKind::Report)
    }

    pub fn from_name(name: &str) -> Option<MsgKind> {
        MsgKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Default priority: control traffic overtakes bulk traffic delivered at the same instant.
    pub fn default_priority(self) -> u8 {
        match self {
            MsgKind::Cancel => 3,
            MsgKind::TaskResult
            | MsgKind::Status
            | MsgKind::Report
            | MsgKind::Bid
            | MsgKind::Decline
            | MsgKind::Vote
            | MsgKind::HelpResponse
            | MsgKind::Broadcast => 2,
            MsgKind::TaskRequest
            | MsgKind::Delegate
            | MsgKind::Cfp
            | MsgKind::Award
            | MsgKind::Ballot
            | MsgKind::HelpRequest => 1,
            MsgKind::Heartbeat => 0,
        }
    }
}

/// Why an agent says an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentError {
    /// A simulated failure drawn from the agent's `failure_rate`.
    Simulated,
    /// A real agent's `error` message ([interned](super::output::intern)); `retryable: false` means
    /// another attempt cannot help, so the task fails at once.
    Reported { message: &'static str, retryable: bool },
}

impl AgentError {
    pub fn text(self) -> &'static str {
        match self {
            AgentError::Simulated => "simulated failure",
            AgentError::Reported { message, .. } => message,
        }
    }

    pub fn retryable(self) -> bool {
        match self {
            AgentError::Simulated => true,
            AgentError::Reported { retryable, .. } => retryable,
        }
    }

    pub fn from_text(s: &str) -> Option<AgentError> {
        (s == "simulated failure").then_some(AgentError::Simulated)
    }
}

/// Run-level announcements broadcast to agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusNote {
    RunStarted,
    AgentDown(AgentId),
    AgentUp(AgentId),
    RunFinished,
}

/// What a message carries. Small and copyable so that sending one never allocates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Payload {
    Task {
        task: TaskId,
        attempt: u32,
        deadline_ms: u64,
        work: f64,
    },
    Result {
        task: TaskId,
        attempt: u32,
        error: Option<AgentError>,
    },
    Cancel {
        task: TaskId,
        attempt: u32,
    },
    Status(StatusNote),
    Heartbeat {
        running: u32,
    },
    /// A delegation hop; `level` is the receiver's depth in the tree.
    Delegate {
        task: TaskId,
        level: u32,
    },
    Report {
        task: TaskId,
    },
    /// An auction's call for proposals: bids are taken until `closes_ms`.
    Cfp {
        auction: u32,
        task: TaskId,
        closes_ms: u64,
    },
    /// `eta_ms` is the bidder's estimate of the work's duration.
    Bid {
        auction: u32,
        eta_ms: u32,
        price: f64,
        confidence: f64,
    },
    /// `reason` is [interned](super::output::intern).
    Decline {
        auction: u32,
        reason: &'static str,
    },
    Award {
        auction: u32,
        task: TaskId,
    },
    /// A decision task's proposal, open until `closes_ms`.
    Ballot {
        task: TaskId,
        closes_ms: u64,
    },
    /// `reason` (a real agent's, [interned](super::output::intern)) is `None` for simulated voters.
    Vote {
        task: TaskId,
        choice: crate::protocols::vote::Choice,
        reason: Option<&'static str>,
    },
    /// A question about the asker's attempt of `task`.
    HelpRequest {
        task: TaskId,
        attempt: u32,
    },
    /// `answered` is false when the coordinator tells the asker no answer came (no peer, or a timeout).
    HelpResponse {
        task: TaskId,
        attempt: u32,
        answered: bool,
    },
    /// An announcement's text ([interned](super::output::intern)).
    Broadcast {
        text: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Message {
    /// Assigned by the bus when the message enters it; 0 before that.
    pub id: u64,
    pub from: Endpoint,
    pub to: Endpoint,
    pub kind: MsgKind,
    /// Higher is delivered first among messages due at the same instant.
    pub priority: u8,
    /// For replies: the id of the request being answered.
    pub correlation: Option<u64>,
    pub payload: Payload,
}

impl Message {
    /// A message from an agent to the coordinator, not yet numbered by the bus.
    pub fn from_agent(agent: AgentId, kind: MsgKind, correlation: Option<u64>, payload: Payload) -> Message {
        Message {
            id: 0,
            from: Endpoint::Agent(agent),
            to: Endpoint::Coordinator,
            kind,
            priority: kind.default_priority(),
            correlation,
            payload,
        }
    }
}

/// Per-type and per-agent message counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BusStats {
    pub total: u64,
    pub by_kind: [u64; MsgKind::ALL.len()],
    /// Index = agent; (sent by the agent, addressed to the agent directly).
    pub by_agent: Vec<(u64, u64)>,
    pub broadcasts: u64,
}

impl BusStats {
    pub fn new(agents: usize) -> Self {
        BusStats { by_agent: vec![(0, 0); agents], ..Default::default() }
    }

    pub fn count(&mut self, msg: &Message) {
        self.total += 1;
        self.by_kind[msg.kind as usize] += 1;
        if let Endpoint::Agent(a) = msg.from {
            self.by_agent[a.ix()].0 += 1;
        }
        match msg.to {
            Endpoint::Agent(a) => self.by_agent[a.ix()].1 += 1,
            Endpoint::Broadcast => self.broadcasts += 1,
            Endpoint::Coordinator => {}
        }
    }

    pub fn of_kind(&self, kind: MsgKind) -> u64 {
        self.by_kind[kind as usize]
    }
}

#[cfg(test)]
mod size_tests {
    /// Messages are copied through queues by value: team payloads must not grow them.
    #[test]
    fn payload_stays_small() {
        assert!(std::mem::size_of::<super::Payload>() <= 32, "{}", std::mem::size_of::<super::Payload>());
    }
}
