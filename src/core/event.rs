//! Events: the record of every state change, in order. The journal writes them, the console folds
//! them, and [`super::Coordinator::apply`] rebuilds the coordinator from them.

use super::bus::{AgentError, Message};
use super::ids::{AgentId, TaskId};
use crate::scenario::Strategy;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// 0, 1, 2 … in emission order.
    pub seq: u64,
    /// Virtual time in milliseconds since the run started.
    pub t_ms: u64,
    pub kind: EventKind,
}

/// Who asked for a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The scenario's `faults` list.
    Scenario,
    /// A person at the console or a script.
    Operator,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Scenario => "scenario",
            Origin::Operator => "operator",
        }
    }
}

/// Why an attempt ended without a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptFailure {
    /// The agent answered with an error.
    Agent(AgentError),
    /// The agent crashed while the attempt was running.
    AgentCrashed,
}

impl AttemptFailure {
    pub fn text(self) -> &'static str {
        match self {
            AttemptFailure::Agent(e) => e.text(),
            AttemptFailure::AgentCrashed => "agent_crashed",
        }
    }
}

/// Why a task failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskFailure {
    /// Every allowed attempt failed or timed out.
    AttemptsExhausted { attempts: u32 },
    /// No live agent can run it and nothing left in the run could change that.
    NoLiveAgent,
}

impl TaskFailure {
    pub fn code(self) -> &'static str {
        match self {
            TaskFailure::AttemptsExhausted { .. } => "attempts_exhausted",
            TaskFailure::NoLiveAgent => "no_live_agent",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Succeeded,
    Failed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventKind {
    RunStarted {
        tasks: u32,
        agents: u32,
        seed: u64,
    },
    /// All dependencies are done (or a retry is due): the task waits for an agent.
    TaskReady {
        task: TaskId,
    },
    TaskAssigned {
        task: TaskId,
        agent: AgentId,
        strategy: Strategy,
    },
    AttemptStarted {
        task: TaskId,
        agent: AgentId,
        attempt: u32,
        deadline_ms: u64,
    },
    AttemptSucceeded {
        task: TaskId,
        agent: AgentId,
        attempt: u32,
        duration_ms: u64,
    },
    AttemptFailed {
        task: TaskId,
        agent: AgentId,
        attempt: u32,
        reason: AttemptFailure,
    },
    AttemptTimedOut {
        task: TaskId,
        agent: AgentId,
        attempt: u32,
        timeout_ms: u64,
    },
    /// `attempt` is the number of the attempt that will run at `at_ms`.
    RetryScheduled {
        task: TaskId,
        attempt: u32,
        delay_ms: u64,
        at_ms: u64,
    },
    TaskCompleted {
        task: TaskId,
        agent: AgentId,
        attempts: u32,
    },
    TaskFailed {
        task: TaskId,
        reason: TaskFailure,
    },
    /// `cause` is the failed task upstream that makes this one impossible.
    TaskSkipped {
        task: TaskId,
        cause: TaskId,
    },
    AgentCrashed {
        agent: AgentId,
        origin: Origin,
    },
    AgentRevived {
        agent: AgentId,
        origin: Origin,
    },
    /// The task was taken back from `from` (which crashed) and goes back to the ready set.
    TaskReassigned {
        task: TaskId,
        from: AgentId,
    },
    /// A result that no longer matches a running attempt (it timed out or was taken away).
    LateResultDiscarded {
        task: TaskId,
        agent: AgentId,
        attempt: u32,
    },
    /// A command that could not apply, with the reason.
    CommandRefused {
        origin: Origin,
        reason: Refusal,
    },
    MessageSent {
        msg: Message,
    },
    RunFinished {
        outcome: Outcome,
        makespan_ms: u64,
        completed: u32,
        failed: u32,
        skipped: u32,
    },
}

/// Why a command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    AgentAlreadyDown(AgentId),
    AgentNotDown(AgentId),
    RunFinished,
}

impl EventKind {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::RunStarted { .. } => "run_started",
            EventKind::TaskReady { .. } => "task_ready",
            EventKind::TaskAssigned { .. } => "task_assigned",
            EventKind::AttemptStarted { .. } => "attempt_started",
            EventKind::AttemptSucceeded { .. } => "attempt_succeeded",
            EventKind::AttemptFailed { .. } => "attempt_failed",
            EventKind::AttemptTimedOut { .. } => "attempt_timed_out",
            EventKind::RetryScheduled { .. } => "retry_scheduled",
            EventKind::TaskCompleted { .. } => "task_completed",
            EventKind::TaskFailed { .. } => "task_failed",
            EventKind::TaskSkipped { .. } => "task_skipped",
            EventKind::AgentCrashed { .. } => "agent_crashed",
            EventKind::AgentRevived { .. } => "agent_revived",
            EventKind::TaskReassigned { .. } => "task_reassigned",
            EventKind::LateResultDiscarded { .. } => "late_result_discarded",
            EventKind::CommandRefused { .. } => "command_refused",
            EventKind::MessageSent { .. } => "message_sent",
            EventKind::RunFinished { .. } => "run_finished",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        use EventKind::*;
        match *self {
            TaskReady { task }
            | TaskAssigned { task, .. }
            | AttemptStarted { task, .. }
            | AttemptSucceeded { task, .. }
            | AttemptFailed { task, .. }
            | AttemptTimedOut { task, .. }
            | RetryScheduled { task, .. }
            | TaskCompleted { task, .. }
            | TaskFailed { task, .. }
            | TaskSkipped { task, .. }
            | TaskReassigned { task, .. }
            | LateResultDiscarded { task, .. } => Some(task),
            _ => None,
        }
    }
}
