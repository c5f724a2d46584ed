//! The events of the ladder protocol: one arm of [`EventKind`](crate::core::EventKind).

use std::sync::Arc;

use crate::core::ids::TaskId;
use crate::scenario::{Expiry, TierName};

#[derive(Debug, Clone, PartialEq)]
pub enum LadderEvent {
    /// The task moved up its escalation ladder to tier `level`, passing over the tiers between
    /// that could not apply.
    TierEntered { task: TaskId, tier: TierName, level: u32, limit: u32, passed: Arc<[TierName]> },
    /// The inbox item's SLA ran out; `action` (the ladder's `on_expiry`) follows as its own events.
    InboxSlaExpired { task: TaskId, action: Expiry },
}

impl LadderEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            LadderEvent::TierEntered { .. } => "tier_entered",
            LadderEvent::InboxSlaExpired { .. } => "inbox_sla_expired",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            LadderEvent::TierEntered { task, .. } => Some(task),
            LadderEvent::InboxSlaExpired { task, .. } => Some(task),
        }
    }
}
