//! Journal lines of the shared context (blackboard, locks, leaders, dead letters): field for field
//! as `scenarios/JOURNAL.md` lists them.

use super::ContextEvent;
use crate::journal::json::{push_str, push_u64};
use crate::journal::writer::{Names, encode_message, num, push_key, text};

/// Appends the fields of a shared-context event.
pub(crate) fn encode(event: &ContextEvent, names: &Names, out: &mut Vec<u8>) {
    let ix = &names.ctx;
    let task = |out: &mut Vec<u8>, t: crate::core::TaskId| {
        push_key(out, "task");
        out.extend_from_slice(&names.tasks[t.ix()]);
    };
    let agent = |out: &mut Vec<u8>, a: crate::core::AgentId| {
        push_key(out, "agent");
        out.extend_from_slice(&names.agents[a.ix()]);
    };
    match *event {
        ContextEvent::LockWaiting { lock, task: t, agent: a, position } => {
            text(out, "resource", ix.lock(lock));
            task(out, t);
            agent(out, a);
            num(out, "position", position as u64);
        }
        ContextEvent::LockGranted { lock, task: t, agent: a, token, expires_ms } => {
            text(out, "resource", ix.lock(lock));
            task(out, t);
            agent(out, a);
            num(out, "token", token);
            num(out, "expires_ms", expires_ms);
        }
        ContextEvent::LockReleased { lock, task: t, agent: a, token }
        | ContextEvent::LockExpired { lock, task: t, agent: a, token } => {
            text(out, "resource", ix.lock(lock));
            task(out, t);
            agent(out, a);
            num(out, "token", token);
        }
        ContextEvent::LockWithdrawn { lock, task: t, agent: a } => {
            text(out, "resource", ix.lock(lock));
            task(out, t);
            agent(out, a);
        }
        ContextEvent::ContextRead { task: t, agent: a, attempt, ref versions } => {
            task(out, t);
            agent(out, a);
            num(out, "attempt", attempt as u64);
            push_key(out, "versions");
            out.push(b'{');
            for (i, &(k, v)) in versions.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_str(out, ix.key(k));
                out.push(b':');
                push_u64(out, v);
            }
            out.push(b'}');
        }
        ContextEvent::ContextWritten { key, task: t, agent: a, version, token, ref value } => {
            text(out, "key", ix.key(key));
            task(out, t);
            agent(out, a);
            num(out, "version", version);
            if let Some(token) = token {
                num(out, "token", token);
            }
            push_key(out, "value");
            out.extend_from_slice(value.to_string().as_bytes());
        }
        ContextEvent::ContextConflict { key, task: t, agent: a, read_version, current_version, policy } => {
            text(out, "key", ix.key(key));
            task(out, t);
            agent(out, a);
            num(out, "read_version", read_version);
            num(out, "current_version", current_version);
            text(out, "policy", policy.name());
        }
        ContextEvent::WriteRejected { key, task: t, agent: a, lock, token, current_token } => {
            text(out, "key", ix.key(key));
            task(out, t);
            agent(out, a);
            text(out, "resource", ix.lock(lock));
            num(out, "token", token);
            num(out, "current_token", current_token);
        }
        ContextEvent::LeaderElected { group, agent: a, term } | ContextEvent::LeaderLost { group, agent: a, term } => {
            text(out, "group", ix.group(group));
            agent(out, a);
            num(out, "term", term);
        }
        ContextEvent::MessageDeadLettered { ref msg, reason } => {
            encode_message(msg, names, out);
            text(out, "reason", reason.name());
        }
    }
}
