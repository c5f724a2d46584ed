//! Journal lines of escalation ladders: field for field as `scenarios/JOURNAL.md` lists them.

use super::LadderEvent;
use crate::journal::writer::{Names, num, text, tier_names};

/// Appends the fields of one of its events after `kind`.
pub(crate) fn encode(event: &LadderEvent, names: &Names, out: &mut Vec<u8>) {
    match *event {
        LadderEvent::TierEntered { task: t, tier, level, limit, ref passed } => {
            names.push_task(out, "task", t);
            text(out, "tier", tier.name());
            num(out, "level", level as u64);
            num(out, "limit", limit as u64);
            out.extend_from_slice(b",\"passed\":");
            tier_names(out, passed);
        }
        LadderEvent::InboxSlaExpired { task: t, action } => {
            names.push_task(out, "task", t);
            text(out, "action", action.name());
        }
    }
}
