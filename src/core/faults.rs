//! Network faults a driver injects between endpoints, and what they cost: the vocabulary of the
//! `fault_injected` (link faults) and `message_dropped` audit events.
//!
//! The coordinator is never told about these faults: it records them for the audit only (they change
//! no state) and has to notice their effects — a lost result becomes a timeout, a cut-off agent goes
//! silent and is lost, then speaks again once the network heals.

use std::sync::Arc;

use super::bus::Endpoint;
use super::ids::AgentId;

/// A fault on the links between endpoints (both directions), as the journal records it.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkFault {
    /// Every message between the two endpoints is silently lost (until `until_ms`, if given).
    Drop { link: [Endpoint; 2], until_ms: Option<u64> },
    /// Every message between the two endpoints arrives `delay_ms` later.
    Delay { link: [Endpoint; 2], delay_ms: u64, until_ms: Option<u64> },
    /// Endpoints in different groups cannot reach each other. The coordinator (and every agent the
    /// groups leave out) is with the first group.
    Partition { groups: Arc<[Box<[AgentId]>]>, until_ms: Option<u64> },
    /// Every link fault and partition ends.
    Heal,
}

impl LinkFault {
    /// The journal's `fault` field.
    pub fn name(&self) -> &'static str {
        match self {
            LinkFault::Drop { .. } => "drop",
            LinkFault::Delay { .. } => "delay",
            LinkFault::Partition { .. } => "partition",
            LinkFault::Heal => "heal",
        }
    }

    pub fn until_ms(&self) -> Option<u64> {
        match *self {
            LinkFault::Drop { until_ms, .. }
            | LinkFault::Delay { until_ms, .. }
            | LinkFault::Partition { until_ms, .. } => until_ms,
            LinkFault::Heal => None,
        }
    }
}

/// Which fault lost a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropCause {
    /// A `drop` fault on the link.
    Drop,
    /// The endpoints were on different sides of a partition.
    Partition,
}

impl DropCause {
    pub fn name(self) -> &'static str {
        match self {
            DropCause::Drop => "drop",
            DropCause::Partition => "partition",
        }
    }

    pub fn from_name(s: &str) -> Option<DropCause> {
        match s {
            "drop" => Some(DropCause::Drop),
            "partition" => Some(DropCause::Partition),
            _ => None,
        }
    }
}

impl super::Coordinator {
    /// Records a link fault a driver injected (audit only: no state changes, no decision).
    pub fn note_link_fault(&mut self, now: u64, fault: LinkFault) {
        self.emit(now, super::EventKind::LinkFaultInjected { fault });
    }

    /// Records a message a link fault lost (audit only: the coordinator must not learn from it).
    pub fn note_dropped(&mut self, now: u64, msg: super::Message, cause: DropCause) {
        self.emit(now, super::EventKind::MessageDropped { msg, cause });
    }

    /// Records an operator command a driver refused for a reason only it can see (the agent is
    /// already hung, the agent is already cut off …), like the coordinator's own refusals.
    pub fn refuse_operator(&mut self, now: u64, action: super::OpAction, reason: super::Refusal) {
        let origin = super::Origin::Operator;
        self.emit(now, super::EventKind::CommandRefused { origin, reason, action: Some(action) });
    }
}
