//! The events of the context protocol: one arm of [`EventKind`](crate::core::EventKind).

use std::sync::Arc;

use crate::core::bus::Message;
use crate::core::ids::{AgentId, TaskId};
use crate::protocols::context::{DeadReason, GroupId, KeyId, LockId};
use crate::scenario::ConflictPolicy;

#[derive(Debug, Clone, PartialEq)]
pub enum ContextEvent {
    /// The task, assigned to `agent`, queues for a lock another task holds (`position` 1 is next).
    LockWaiting {
        lock: LockId,
        task: TaskId,
        agent: AgentId,
        position: u32,
    },
    LockGranted {
        lock: LockId,
        task: TaskId,
        agent: AgentId,
        token: u64,
        expires_ms: u64,
    },
    LockReleased {
        lock: LockId,
        task: TaskId,
        agent: AgentId,
        token: u64,
    },
    /// The holder was not heard from for the lease: the lock is free (or goes to the next waiter).
    LockExpired {
        lock: LockId,
        task: TaskId,
        agent: AgentId,
        token: u64,
    },
    /// A waiting task left the queue (its agent went down, or an operator moved it) and its slot.
    LockWithdrawn {
        lock: LockId,
        task: TaskId,
        agent: AgentId,
    },
    /// The versions of the task's keys when its attempt started.
    ContextRead {
        task: TaskId,
        agent: AgentId,
        attempt: u32,
        versions: Arc<[(KeyId, u64)]>,
    },
    ContextWritten {
        key: KeyId,
        task: TaskId,
        agent: AgentId,
        version: u64,
        token: Option<u64>,
        value: Arc<serde_json::Value>,
    },
    ContextConflict {
        key: KeyId,
        task: TaskId,
        agent: AgentId,
        read_version: u64,
        current_version: u64,
        policy: ConflictPolicy,
    },
    /// A write fenced with a token older than the lock's latest grant.
    WriteRejected {
        key: KeyId,
        task: TaskId,
        agent: AgentId,
        lock: LockId,
        token: u64,
        current_token: u64,
    },
    LeaderElected {
        group: GroupId,
        agent: AgentId,
        term: u64,
    },
    /// The leader's lease ran out (it crashed or went silent); a new term follows when possible.
    LeaderLost {
        group: GroupId,
        agent: AgentId,
        term: u64,
    },
    /// Boxed: rare, and the largest event otherwise (it would make every `Event` 8 bytes bigger).
    MessageDeadLettered {
        msg: Box<Message>,
        reason: DeadReason,
    },
}

impl ContextEvent {
    /// The journal's `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            ContextEvent::LockWaiting { .. } => "lock_waiting",
            ContextEvent::LockGranted { .. } => "lock_granted",
            ContextEvent::LockReleased { .. } => "lock_released",
            ContextEvent::LockExpired { .. } => "lock_expired",
            ContextEvent::LockWithdrawn { .. } => "lock_withdrawn",
            ContextEvent::ContextRead { .. } => "context_read",
            ContextEvent::ContextWritten { .. } => "context_written",
            ContextEvent::ContextConflict { .. } => "context_conflict",
            ContextEvent::WriteRejected { .. } => "write_rejected",
            ContextEvent::LeaderElected { .. } => "leader_elected",
            ContextEvent::LeaderLost { .. } => "leader_lost",
            ContextEvent::MessageDeadLettered { .. } => "message_dead_lettered",
        }
    }

    /// The task this event is about, if any.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            ContextEvent::LockWaiting { task, .. } => Some(task),
            ContextEvent::LockGranted { task, .. } => Some(task),
            ContextEvent::LockReleased { task, .. } => Some(task),
            ContextEvent::LockExpired { task, .. } => Some(task),
            ContextEvent::LockWithdrawn { task, .. } => Some(task),
            ContextEvent::ContextRead { task, .. } => Some(task),
            ContextEvent::ContextWritten { task, .. } => Some(task),
            ContextEvent::ContextConflict { task, .. } => Some(task),
            ContextEvent::WriteRejected { task, .. } => Some(task),
            ContextEvent::LeaderElected { .. } => None,
            ContextEvent::LeaderLost { .. } => None,
            ContextEvent::MessageDeadLettered { .. } => None,
        }
    }
}
