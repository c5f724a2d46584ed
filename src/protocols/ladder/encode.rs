//! Journal lines of escalation ladders: field for field as `scenarios/JOURNAL.md` lists them.

use super::LadderEvent;
use crate::journal::json::{push_str, push_u64};
use crate::journal::writer::tier_names;
use crate::journal::writer::{Names, push_key};

/// Appends the fields of a LadderEvent after `kind`.
pub(crate) fn encode(event: &LadderEvent, names: &Names, out: &mut Vec<u8>) {
    let task = |out: &mut Vec<u8>, key: &str, t: crate::core::TaskId| names.push_task(out, key, t);
    let num = |out: &mut Vec<u8>, key: &str, v: u64| {
        push_key(out, key);
        push_u64(out, v);
    };
    let text = |out: &mut Vec<u8>, key: &str, v: &str| {
        push_key(out, key);
        push_str(out, v);
    };
    match *event {
        LadderEvent::TierEntered { task: t, tier, level, limit, ref passed } => {
            task(out, "task", t);
            text(out, "tier", tier.name());
            num(out, "level", level as u64);
            num(out, "limit", limit as u64);
            out.extend_from_slice(b",\"passed\":");
            tier_names(out, passed);
        }
        LadderEvent::InboxSlaExpired { task: t, action } => {
            task(out, "task", t);
            text(out, "action", action.name());
        }
    }
}
