//! Journal lines of swarm allocation (`core::swarm`) and elastic teams (`core::elastic`): field for
//! field as `scenarios/JOURNAL.md` lists them.

use crate::core::EventKind;
use crate::core::event::{ElasticEvent, SwarmEvent};
use crate::journal::json::{push_f64, push_str, push_u64};
use crate::journal::writer::{Names, push_key};

/// Appends the fields of a swarm or elastic-team event; other kinds append nothing.
pub(crate) fn encode(kind: &EventKind, names: &Names, out: &mut Vec<u8>) {
    let float = |out: &mut Vec<u8>, key: &str, v: f64| {
        push_key(out, key);
        push_f64(out, v);
    };
    match *kind {
        EventKind::Swarm(SwarmEvent::TaskPosted { task: t }) => names.push_task(out, "task", t),
        EventKind::Swarm(SwarmEvent::SwarmTick { board }) => {
            push_key(out, "board");
            push_u64(out, board as u64);
        }
        EventKind::Swarm(SwarmEvent::TaskClaimed { task: t, agent: a, stimulus, threshold, p }) => {
            names.push_task(out, "task", t);
            names.push_agent(out, "agent", a);
            float(out, "stimulus", stimulus);
            float(out, "threshold", threshold);
            float(out, "p", p);
        }
        EventKind::Swarm(SwarmEvent::ClaimRefused { task: t, agent: a, winner }) => {
            names.push_task(out, "task", t);
            names.push_agent(out, "agent", a);
            names.push_agent(out, "winner", winner);
        }
        EventKind::Swarm(SwarmEvent::ThresholdChanged { agent: a, ref capability, threshold }) => {
            names.push_agent(out, "agent", a);
            push_key(out, "capability");
            push_str(out, capability);
            float(out, "threshold", threshold);
        }
        EventKind::Elastic(ElasticEvent::AgentCreated { agent: a, ref template, task: t, waited_ms }) => {
            names.push_agent(out, "agent", a);
            push_key(out, "template");
            push_str(out, template);
            names.push_task(out, "task", t);
            push_key(out, "waited_ms");
            push_u64(out, waited_ms);
        }
        EventKind::Elastic(ElasticEvent::AgentRetired { agent: a, idle_ms }) => {
            names.push_agent(out, "agent", a);
            push_key(out, "idle_ms");
            push_u64(out, idle_ms);
        }
        _ => {}
    }
}
