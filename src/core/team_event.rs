//! Events of the team protocols: hierarchical delegation (and, in their own modules, peer help,
//! review rounds and broadcasts). One [`EventKind::Team`](super::EventKind::Team) variant wraps
//! them so the shared event enum grows by one arm.

use super::ids::{AgentId, TaskId};

#[derive(Debug, Clone, PartialEq)]
pub enum TeamEvent {
    /// One hop down the delegation tree: `from` hands `task` to `to`, which sits at `level` of the
    /// tree (0 = a root). `bypassed` is a manager between them that is down and was skipped.
    TaskDelegated { task: TaskId, from: AgentId, to: AgentId, level: u32, bypassed: Option<AgentId> },
    /// One hop back up: `from` reports the task's result to its manager `to`.
    ResultReported { task: TaskId, from: AgentId, to: AgentId },
}

impl TeamEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            TeamEvent::TaskDelegated { .. } => "task_delegated",
            TeamEvent::ResultReported { .. } => "result_reported",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            TeamEvent::TaskDelegated { task, .. } | TeamEvent::ResultReported { task, .. } => Some(task),
        }
    }
}
