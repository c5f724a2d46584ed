//! The events of the saga protocol: one arm of [`EventKind`](crate::core::EventKind).

use crate::core::ids::TaskId;
use crate::protocols::saga::SagaId;

#[derive(Debug, Clone, PartialEq)]
pub enum SagaEvent {
    /// Every step of the saga completed.
    SagaCompleted { saga: SagaId },
    /// Every step of the saga ended and `cause` did not complete: compensations follow.
    SagaFailed { saga: SagaId, cause: TaskId },
    /// The compensator `task` of the completed `step` wakes up and goes through the ready set.
    CompensationStarted { saga: SagaId, task: TaskId, step: TaskId },
    /// Every compensation the saga needed has ended: `compensated` completed, `failed` did not.
    SagaCompensated { saga: SagaId, compensated: u32, failed: u32 },
}

impl SagaEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            SagaEvent::SagaCompleted { .. } => "saga_completed",
            SagaEvent::SagaFailed { .. } => "saga_failed",
            SagaEvent::CompensationStarted { .. } => "compensation_started",
            SagaEvent::SagaCompensated { .. } => "saga_compensated",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            SagaEvent::SagaCompleted { .. } => None,
            SagaEvent::SagaFailed { .. } => None,
            SagaEvent::CompensationStarted { task, .. } => Some(task),
            SagaEvent::SagaCompensated { .. } => None,
        }
    }
}
