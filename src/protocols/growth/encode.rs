//! Journal lines of dynamic decomposition: field for field as `scenarios/JOURNAL.md` lists them.

use super::GrowthEvent;
use crate::journal::json::push_str;
use crate::journal::writer::{Names, num, push_key};

/// Appends the fields of one of its events after `kind`.
pub(crate) fn encode(event: &GrowthEvent, names: &Names, out: &mut Vec<u8>) {
    match *event {
        GrowthEvent::TasksAdded { by, ref tasks, ref edges } => {
            names.push_task(out, "by", by);
            push_key(out, "tasks");
            out.extend_from_slice(serde_json::to_string(&**tasks).expect("task specs serialize").as_bytes());
            push_key(out, "edges");
            out.push(b'[');
            for (i, &(from, to)) in edges.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"[" } else { b",[" });
                out.extend_from_slice(&names.tasks[from.ix()]);
                out.push(b',');
                out.extend_from_slice(&names.tasks[to.ix()]);
                out.push(b']');
            }
            out.push(b']');
        }
        GrowthEvent::DecompositionRejected { task: t, agent: a, attempt, ref errors } => {
            names.push_task(out, "task", t);
            names.push_agent(out, "agent", a);
            num(out, "attempt", attempt as u64);
            push_key(out, "errors");
            out.push(b'[');
            for (i, e) in errors.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_str(out, e);
            }
            out.push(b']');
        }
    }
}
