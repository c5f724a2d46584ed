//! The events of the vote protocol: one arm of [`EventKind`](crate::core::EventKind).

use std::sync::Arc;

use crate::core::ids::{AgentId, TaskId};
use crate::protocols::vote::{Choice, DecideReason, Verdict};

#[derive(Debug, Clone, PartialEq)]
pub enum VoteEvent {
    /// A decision task's proposal is put to `voters` (with their weights); those `unreached` were
    /// down and got no ballot. It closes at `closes_ms` at the latest.
    BallotOpened {
        task: TaskId,
        proposal: Arc<str>,
        voters: Arc<[(AgentId, f64)]>,
        unreached: Arc<[AgentId]>,
        threshold: f64,
        quorum: f64,
        tie: crate::scenario::TieRule,
        closes_ms: u64,
    },
    /// A vote was counted; `voter` is `None` for the operator.
    VoteCast { task: TaskId, voter: Option<AgentId>, choice: Choice, weight: f64, reason: Option<Arc<str>> },
    /// The ballot closed with this outcome; `yes`, `no`, `abstain` are weights, `quorum` whether it
    /// was met.
    ProposalDecided {
        task: TaskId,
        verdict: Verdict,
        reason: DecideReason,
        yes: f64,
        no: f64,
        abstain: f64,
        quorum: bool,
    },
}

impl VoteEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            VoteEvent::BallotOpened { .. } => "ballot_opened",
            VoteEvent::VoteCast { .. } => "vote_cast",
            VoteEvent::ProposalDecided { .. } => "proposal_decided",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            VoteEvent::BallotOpened { task, .. } => Some(task),
            VoteEvent::VoteCast { task, .. } => Some(task),
            VoteEvent::ProposalDecided { task, .. } => Some(task),
        }
    }
}
