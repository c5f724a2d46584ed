//! Journal lines of the team protocols (`core::team_event`), field for field as
//! `scenarios/JOURNAL.md` lists them.

use super::super::json::push_u64;
use super::{Names, push_key};
use crate::core::team_event::TeamEvent;
use crate::core::{AgentId, TaskId};

pub(super) fn encode(ev: &TeamEvent, names: &Names, out: &mut Vec<u8>) {
    let task = |out: &mut Vec<u8>, key: &str, t: TaskId| {
        push_key(out, key);
        out.extend_from_slice(&names.tasks[t.ix()]);
    };
    let agent = |out: &mut Vec<u8>, key: &str, a: AgentId| {
        push_key(out, key);
        out.extend_from_slice(&names.agents[a.ix()]);
    };
    match *ev {
        TeamEvent::TaskDelegated { task: t, from, to, level, bypassed } => {
            task(out, "task", t);
            agent(out, "from", from);
            agent(out, "to", to);
            push_key(out, "level");
            push_u64(out, level as u64);
            if let Some(b) = bypassed {
                agent(out, "bypassed", b);
            }
        }
        TeamEvent::ResultReported { task: t, from, to } => {
            task(out, "task", t);
            agent(out, "from", from);
            agent(out, "to", to);
        }
    }
}
