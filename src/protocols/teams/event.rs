//! Events of the team protocols: hierarchical delegation (and, in their own modules, peer help,
//! review rounds and broadcasts). One [`EventKind::Team`](crate::core::EventKind::Team) variant wraps
//! them so the shared event enum grows by one arm.

use std::sync::Arc;

use crate::core::ids::{AgentId, TaskId};
use crate::scenario::OnLimit;

#[derive(Debug, Clone, PartialEq)]
pub enum TeamEvent {
    /// One hop down the delegation tree: `from` hands `task` to `to`, which sits at `level` of the
    /// tree (0 = a root). `bypassed` is a manager between them that is down and was skipped.
    TaskDelegated { task: TaskId, from: AgentId, to: AgentId, level: u32, bypassed: Option<AgentId> },
    /// One hop back up: `from` reports the task's result to its manager `to`.
    ResultReported { task: TaskId, from: AgentId, to: AgentId },
    /// The review `reviewer_task` rejected `task` (rejection number `round`): `task` runs again,
    /// with the reviewer's `notes` as input, and the review after it.
    ReworkRequested { task: TaskId, reviewer_task: TaskId, round: u32, notes: Option<Arc<str>> },
    /// The review passed `task` after `rounds` reviews; the reviewer completes.
    ReviewAccepted { task: TaskId, reviewer_task: TaskId, rounds: u32 },
    /// A rejection past `max_rework`: the reviewer's `on_limit` applies (its own events follow).
    ReworkLimitReached { task: TaskId, action: OnLimit },
    /// `agent`, running `task`, asks a peer with `capability` (exchange `id`: the bus id of its
    /// request).
    HelpRequested { task: TaskId, agent: AgentId, id: u64, capability: Arc<str> },
    /// The question went to peer `to`.
    HelpRouted { id: u64, to: AgentId },
    /// Peer `by` answered after `waited_ms`; the answer goes on to the asker.
    HelpAnswered { id: u64, by: AgentId, waited_ms: u64 },
    /// No answer: `no_peer` (no other up agent has the capability: at once) or `timeout`; the
    /// asker goes on without.
    HelpTimedOut { id: u64, reason: HelpMiss },
    /// `text` went to every up agent (`to: None`) or every up agent with capability `to`; one
    /// `broadcast` message per recipient follows. `origin` is `scenario` (an announcement) or
    /// `operator` (the `:broadcast` command).
    BroadcastSent {
        to: Option<Arc<str>>,
        recipients: Arc<[AgentId]>,
        text: Arc<str>,
        origin: crate::core::event::Origin,
    },
}

/// Why a help request went unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HelpMiss {
    NoPeer,
    Timeout,
}

impl HelpMiss {
    pub fn name(self) -> &'static str {
        match self {
            HelpMiss::NoPeer => "no_peer",
            HelpMiss::Timeout => "timeout",
        }
    }

    pub fn from_name(s: &str) -> Option<HelpMiss> {
        [HelpMiss::NoPeer, HelpMiss::Timeout].into_iter().find(|m| m.name() == s)
    }
}

impl TeamEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            TeamEvent::TaskDelegated { .. } => "task_delegated",
            TeamEvent::ResultReported { .. } => "result_reported",
            TeamEvent::ReworkRequested { .. } => "rework_requested",
            TeamEvent::ReviewAccepted { .. } => "review_accepted",
            TeamEvent::ReworkLimitReached { .. } => "rework_limit_reached",
            TeamEvent::HelpRequested { .. } => "help_requested",
            TeamEvent::HelpRouted { .. } => "help_routed",
            TeamEvent::HelpAnswered { .. } => "help_answered",
            TeamEvent::HelpTimedOut { .. } => "help_timed_out",
            TeamEvent::BroadcastSent { .. } => "broadcast_sent",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            TeamEvent::TaskDelegated { task, .. }
            | TeamEvent::ResultReported { task, .. }
            | TeamEvent::ReworkRequested { task, .. }
            | TeamEvent::ReviewAccepted { task, .. }
            | TeamEvent::ReworkLimitReached { task, .. }
            | TeamEvent::HelpRequested { task, .. } => Some(task),
            TeamEvent::HelpRouted { .. }
            | TeamEvent::HelpAnswered { .. }
            | TeamEvent::HelpTimedOut { .. }
            | TeamEvent::BroadcastSent { .. } => None,
        }
    }
}
