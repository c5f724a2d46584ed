//! The events of the elastic protocol: one arm of [`EventKind`](crate::core::EventKind).

use std::sync::Arc;

use crate::core::ids::{AgentId, TaskId};

#[derive(Debug, Clone, PartialEq)]
pub enum ElasticEvent {
    /// An absent slot of `template` became a live agent: `task` had waited `waited_ms` with no
    /// capable agent free.
    AgentCreated { agent: AgentId, template: Arc<str>, task: TaskId, waited_ms: u64 },
    /// A created agent idle for `idle_ms` left the team (its slot may be created again).
    AgentRetired { agent: AgentId, idle_ms: u64 },
}

impl ElasticEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            ElasticEvent::AgentCreated { .. } => "agent_created",
            ElasticEvent::AgentRetired { .. } => "agent_retired",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            ElasticEvent::AgentCreated { .. } => None,
            ElasticEvent::AgentRetired { .. } => None,
        }
    }
}
