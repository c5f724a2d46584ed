//! Journal lines of swarm allocation: field for field as `scenarios/JOURNAL.md` lists them.

use super::SwarmEvent;
use crate::journal::json::{push_f64, push_str, push_u64};
use crate::journal::writer::{Names, push_key};

/// Appends the fields of a swarm event.
pub(crate) fn encode(event: &SwarmEvent, names: &Names, out: &mut Vec<u8>) {
    let float = |out: &mut Vec<u8>, key: &str, v: f64| {
        push_key(out, key);
        push_f64(out, v);
    };
    match *event {
        SwarmEvent::TaskPosted { task: t } => names.push_task(out, "task", t),
        SwarmEvent::SwarmTick { board } => {
            push_key(out, "board");
            push_u64(out, board as u64);
        }
        SwarmEvent::TaskClaimed { task: t, agent: a, stimulus, threshold, p } => {
            names.push_task(out, "task", t);
            names.push_agent(out, "agent", a);
            float(out, "stimulus", stimulus);
            float(out, "threshold", threshold);
            float(out, "p", p);
        }
        SwarmEvent::ClaimRefused { task: t, agent: a, winner } => {
            names.push_task(out, "task", t);
            names.push_agent(out, "agent", a);
            names.push_agent(out, "winner", winner);
        }
        SwarmEvent::ThresholdChanged { agent: a, ref capability, threshold } => {
            names.push_agent(out, "agent", a);
            push_key(out, "capability");
            push_str(out, capability);
            float(out, "threshold", threshold);
        }
    }
}
