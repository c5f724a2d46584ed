//! The events of the growth protocol: one arm of [`EventKind`](crate::core::EventKind).

use std::sync::Arc;

use crate::core::ids::{AgentId, TaskId};

#[derive(Debug, Clone, PartialEq)]
pub enum GrowthEvent {
    /// The planner `by` succeeded and its plan joins the run: `tasks` are numbered on from the
    /// run's task count, and `to` waits for `from` along each of `edges` (the subtasks'
    /// dependencies, the planner before each subtask, and the plan's last subtasks before each of
    /// the planner's dependents).
    TasksAdded { by: TaskId, tasks: Arc<[crate::scenario::TaskSpec]>, edges: Arc<[(TaskId, TaskId)]> },
    /// The plan of `task`'s attempt did not fit the run (`errors`, each naming a subtask and what
    /// is wrong): nothing was added and the attempt fails next.
    DecompositionRejected { task: TaskId, agent: AgentId, attempt: u32, errors: Arc<[String]> },
}

impl GrowthEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            GrowthEvent::TasksAdded { .. } => "tasks_added",
            GrowthEvent::DecompositionRejected { .. } => "decomposition_rejected",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            GrowthEvent::TasksAdded { .. } => None,
            GrowthEvent::DecompositionRejected { task, .. } => Some(task),
        }
    }
}
