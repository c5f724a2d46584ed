//! Journal lines of elastic teams: field for field as `scenarios/JOURNAL.md` lists them.

use super::ElasticEvent;
use crate::journal::json::{push_str, push_u64};
use crate::journal::writer::{Names, push_key};

/// Appends the fields of an elastic-team event.
pub(crate) fn encode(event: &ElasticEvent, names: &Names, out: &mut Vec<u8>) {
    match *event {
        ElasticEvent::AgentCreated { agent: a, ref template, task: t, waited_ms } => {
            names.push_agent(out, "agent", a);
            push_key(out, "template");
            push_str(out, template);
            names.push_task(out, "task", t);
            push_key(out, "waited_ms");
            push_u64(out, waited_ms);
        }
        ElasticEvent::AgentRetired { agent: a, idle_ms } => {
            names.push_agent(out, "agent", a);
            push_key(out, "idle_ms");
            push_u64(out, idle_ms);
        }
    }
}
