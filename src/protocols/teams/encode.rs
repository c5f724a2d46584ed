//! Journal lines of the team protocols (`protocols::teams`), field for field as
//! `scenarios/JOURNAL.md` lists them.

use crate::journal::json::{push_str, push_u64};
use crate::journal::writer::{Names, push_key};
use crate::protocols::teams::TeamEvent;

pub(crate) fn encode(ev: &TeamEvent, names: &Names, out: &mut Vec<u8>) {
    match *ev {
        TeamEvent::TaskDelegated { task: t, from, to, level, bypassed } => {
            names.push_task(out, "task", t);
            names.push_agent(out, "from", from);
            names.push_agent(out, "to", to);
            push_key(out, "level");
            push_u64(out, level as u64);
            if let Some(b) = bypassed {
                names.push_agent(out, "bypassed", b);
            }
        }
        TeamEvent::ResultReported { task: t, from, to } => {
            names.push_task(out, "task", t);
            names.push_agent(out, "from", from);
            names.push_agent(out, "to", to);
        }
        TeamEvent::ReworkRequested { task: t, reviewer_task, round, ref notes } => {
            names.push_task(out, "task", t);
            names.push_task(out, "reviewer_task", reviewer_task);
            push_key(out, "round");
            push_u64(out, round as u64);
            if let Some(n) = notes {
                push_key(out, "notes");
                push_str(out, n);
            }
        }
        TeamEvent::ReviewAccepted { task: t, reviewer_task, rounds } => {
            names.push_task(out, "task", t);
            names.push_task(out, "reviewer_task", reviewer_task);
            push_key(out, "rounds");
            push_u64(out, rounds as u64);
        }
        TeamEvent::ReworkLimitReached { task: t, action } => {
            names.push_task(out, "task", t);
            push_key(out, "action");
            push_str(out, action.name());
        }
        TeamEvent::HelpRequested { task: t, agent: a, id, ref capability } => {
            names.push_task(out, "task", t);
            names.push_agent(out, "agent", a);
            push_key(out, "id");
            push_u64(out, id);
            push_key(out, "capability");
            push_str(out, capability);
        }
        TeamEvent::HelpRouted { id, to } => {
            push_key(out, "id");
            push_u64(out, id);
            names.push_agent(out, "to", to);
        }
        TeamEvent::HelpAnswered { id, by, waited_ms } => {
            push_key(out, "id");
            push_u64(out, id);
            names.push_agent(out, "by", by);
            push_key(out, "waited_ms");
            push_u64(out, waited_ms);
        }
        TeamEvent::BroadcastSent { ref to, ref recipients, ref text, origin } => {
            push_key(out, "to");
            match to {
                None => push_str(out, "all"),
                Some(c) => {
                    out.extend_from_slice(b"{\"capability\":");
                    push_str(out, c);
                    out.push(b'}');
                }
            }
            push_key(out, "recipients");
            out.push(b'[');
            for (i, &r) in recipients.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&names.agents[r.ix()]);
            }
            out.push(b']');
            push_key(out, "text");
            push_str(out, text);
            push_key(out, "origin");
            push_str(out, origin.name());
        }
        TeamEvent::HelpTimedOut { id, reason } => {
            push_key(out, "id");
            push_u64(out, id);
            push_key(out, "reason");
            push_str(out, reason.name());
        }
    }
}
