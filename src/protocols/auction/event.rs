//! The events of the auction protocol: one arm of [`EventKind`](crate::core::EventKind).

use std::sync::Arc;

use crate::core::ids::{AgentId, TaskId};

#[derive(Debug, Clone, PartialEq)]
pub enum AuctionEvent {
    /// A call for proposals went to `invited`; bids are taken until `closes_ms`.
    AuctionOpened {
        auction: u32,
        task: TaskId,
        round: u32,
        invited: Arc<[AgentId]>,
        closes_ms: u64,
    },
    /// A bid, valid or not (`flaw` says why not: late, below the minimum confidence…).
    BidReceived {
        auction: u32,
        task: TaskId,
        agent: AgentId,
        price: f64,
        eta_ms: u64,
        confidence: f64,
        flaw: Option<crate::protocols::auction::BidFlaw>,
    },
    BidDeclined {
        auction: u32,
        task: TaskId,
        agent: AgentId,
        reason: Arc<str>,
    },
    /// The task goes to `agent`; `ranking` lists every valid bid best first, `passed` the better
    /// bidders that could not take the task when the auction closed.
    AuctionAwarded {
        auction: u32,
        task: TaskId,
        agent: AgentId,
        score: f64,
        by: crate::protocols::auction::AwardBy,
        ranking: Arc<[(AgentId, f64)]>,
        passed: Arc<[AgentId]>,
    },
    /// The auction closed without a winner; `then` says what happens next.
    AuctionNoAward {
        auction: u32,
        task: TaskId,
        round: u32,
        reason: crate::protocols::auction::NoAward,
        then: crate::protocols::auction::Then,
    },
}

impl AuctionEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            AuctionEvent::AuctionOpened { .. } => "auction_opened",
            AuctionEvent::BidReceived { .. } => "bid_received",
            AuctionEvent::BidDeclined { .. } => "bid_declined",
            AuctionEvent::AuctionAwarded { .. } => "auction_awarded",
            AuctionEvent::AuctionNoAward { .. } => "auction_no_award",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            AuctionEvent::AuctionOpened { task, .. } => Some(task),
            AuctionEvent::BidReceived { task, .. } => Some(task),
            AuctionEvent::BidDeclined { task, .. } => Some(task),
            AuctionEvent::AuctionAwarded { task, .. } => Some(task),
            AuctionEvent::AuctionNoAward { task, .. } => Some(task),
        }
    }
}
