//! Reading back the journal lines of `writer/swarm.rs` (swarm and elastic-team kinds).

use crate::core::event::{ElasticEvent, SwarmEvent};
use serde_json::Value;

use crate::core::EventKind;
use crate::journal::reader::{R, Resolver};

/// The kinds this module reads.
pub(crate) const KINDS: &[&str] = &[
    "task_posted",
    "swarm_tick",
    "task_claimed",
    "claim_refused",
    "threshold_changed",
    "agent_created",
    "agent_retired",
];

impl Resolver<'_> {
    fn number(&self, v: &Value, key: &str) -> R<f64> {
        self.field(v, key)?.as_f64().ok_or_else(|| format!("`{key}` must be a number"))
    }

    pub(crate) fn swarm_event(&self, kind: &str, v: &Value) -> R<EventKind> {
        Ok(match kind {
            "task_posted" => EventKind::Swarm(SwarmEvent::TaskPosted { task: self.task(v, "task")? }),
            "swarm_tick" => EventKind::Swarm(SwarmEvent::SwarmTick { board: self.u32(v, "board")? }),
            "task_claimed" => EventKind::Swarm(SwarmEvent::TaskClaimed {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                stimulus: self.number(v, "stimulus")?,
                threshold: self.number(v, "threshold")?,
                p: self.number(v, "p")?,
            }),
            "claim_refused" => EventKind::Swarm(SwarmEvent::ClaimRefused {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                winner: self.agent(v, "winner")?,
            }),
            "agent_created" => EventKind::Elastic(ElasticEvent::AgentCreated {
                agent: self.agent(v, "agent")?,
                template: self.str(v, "template")?.into(),
                task: self.task(v, "task")?,
                waited_ms: self.u64(v, "waited_ms")?,
            }),
            "agent_retired" => EventKind::Elastic(ElasticEvent::AgentRetired {
                agent: self.agent(v, "agent")?,
                idle_ms: self.u64(v, "idle_ms")?,
            }),
            _ => EventKind::Swarm(SwarmEvent::ThresholdChanged {
                agent: self.agent(v, "agent")?,
                capability: self.str(v, "capability")?.into(),
                threshold: self.number(v, "threshold")?,
            }),
        })
    }
}
