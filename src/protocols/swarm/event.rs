//! The events of the swarm protocol: one arm of [`EventKind`](crate::core::EventKind).

use std::sync::Arc;

use crate::core::ids::{AgentId, TaskId};

#[derive(Debug, Clone, PartialEq)]
pub enum SwarmEvent {
    /// A ready swarm task went on the board, for an agent to claim.
    TaskPosted { task: TaskId },
    /// Agents looked at the board (`board` tasks on it); claims follow.
    SwarmTick { board: u32 },
    /// `agent` engaged the task with probability `p` = s² / (s² + θ²) at stimulus `stimulus` and its
    /// threshold `threshold`; the assignment follows.
    TaskClaimed { task: TaskId, agent: AgentId, stimulus: f64, threshold: f64, p: f64 },
    /// `agent` engaged a task that `winner`, earlier in agent order, claimed in the same tick.
    ClaimRefused { task: TaskId, agent: AgentId, winner: AgentId },
    /// An agent's threshold for a capability changed (it claimed a task of this one, or another).
    ThresholdChanged { agent: AgentId, capability: Arc<str>, threshold: f64 },
}

impl SwarmEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            SwarmEvent::TaskPosted { .. } => "task_posted",
            SwarmEvent::SwarmTick { .. } => "swarm_tick",
            SwarmEvent::TaskClaimed { .. } => "task_claimed",
            SwarmEvent::ClaimRefused { .. } => "claim_refused",
            SwarmEvent::ThresholdChanged { .. } => "threshold_changed",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            SwarmEvent::TaskPosted { task, .. } => Some(task),
            SwarmEvent::SwarmTick { .. } => None,
            SwarmEvent::TaskClaimed { task, .. } => Some(task),
            SwarmEvent::ClaimRefused { task, .. } => Some(task),
            SwarmEvent::ThresholdChanged { .. } => None,
        }
    }
}
