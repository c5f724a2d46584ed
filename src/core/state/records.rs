//! What the state keeps per task, per attempt and per agent.

use super::super::event::{AttemptFailure, TaskFailure};
use super::super::health::{Health, HealthConfig};
use super::super::ids::{AgentId, TaskId};
use crate::scenario::Strategy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Some dependency is not done yet.
    Waiting,
    /// Waiting for a free capable agent.
    Ready,
    Running,
    /// An attempt failed; the next one is scheduled (or about to be decided).
    Retrying,
    /// In the operator's inbox, waiting for a resolution.
    Escalated,
    Completed,
    Failed,
    Skipped,
    /// A compensator its saga has not needed (yet): never dispatched, not counted as ended.
    Dormant,
}

impl TaskState {
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Waiting => "waiting",
            TaskState::Ready => "ready",
            TaskState::Running => "running",
            TaskState::Retrying => "retrying",
            TaskState::Escalated => "escalated",
            TaskState::Completed => "completed",
            TaskState::Failed => "failed",
            TaskState::Skipped => "skipped",
            TaskState::Dormant => "dormant",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, TaskState::Completed | TaskState::Failed | TaskState::Skipped)
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptEnd {
    Running,
    Succeeded,
    Failed(AttemptFailure),
    TimedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRecord {
    pub task: TaskId,
    pub attempt: u32,
    pub agent: AgentId,
    pub start_ms: u64,
    pub end_ms: Option<u64>,
    pub end: AttemptEnd,
    /// The task's previous attempt in `State::attempt_log` (`NO_ATTEMPT` for the first).
    pub(super) prev: u32,
}

pub(super) const NO_ATTEMPT: u32 = u32::MAX;

/// Why a task ended without completing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskEnd {
    Failed(TaskFailure),
    /// `cause` is the failed task upstream.
    Skipped {
        cause: TaskId,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRt {
    pub state: TaskState,
    /// Dependencies not completed yet.
    pub remaining_deps: u32,
    /// Attempts started so far.
    pub attempts: u32,
    /// The agent of the current or last attempt.
    pub agent: Option<AgentId>,
    pub retry_at_ms: u64,
    /// An operator holds the task: it is never dispatched until released.
    pub held: bool,
    /// Attempts started before the current retry budget (an operator retry grants a fresh one).
    pub budget_base: u32,
    /// Index of the latest attempt in `State::attempt_log` (`u32::MAX` before the first).
    pub(super) last_attempt: u32,
    /// Set when the task failed or was skipped.
    pub end_reason: Option<TaskEnd>,
    /// An operator acted on this task (so its recovery, if any, was not automatic).
    pub operator_touched: bool,
}

impl TaskRt {
    /// A task that has not run, waiting for `remaining_deps` dependencies.
    pub(crate) fn fresh(remaining_deps: u32) -> TaskRt {
        TaskRt {
            state: TaskState::Waiting,
            remaining_deps,
            attempts: 0,
            agent: None,
            retry_at_ms: 0,
            held: false,
            budget_base: 0,
            last_attempt: NO_ATTEMPT,
            end_reason: None,
            operator_touched: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentRt {
    pub alive: bool,
    /// Finishes its current work, takes no more.
    pub draining: bool,
    pub max_concurrent: u32,
    pub performance: f64,
    /// Tasks with a running attempt on this agent (small: at most `max_concurrent`).
    pub running: Vec<TaskId>,
    pub completed: u32,
    pub failed: u32,
    pub busy_ms: u64,
    /// Value of the assignment counter when this agent last got work (0 = never): round-robin key.
    pub last_assigned: u64,
    /// When the coordinator last heard from the agent (any message: heartbeats, results).
    pub last_heartbeat_ms: Option<u64>,
    /// Down because its heartbeats stopped (as opposed to a crash it was told about): it comes back
    /// by itself when it speaks again.
    pub lost: bool,
    /// Circuit breaker and the smoothed latency / error rate used by adaptive routing.
    pub health: Health,
    /// Its profile's mean duration: what "slow" is measured against.
    pub expected_ms: f64,
}

impl AgentRt {
    pub fn available(&self) -> bool {
        self.alive
            && !self.draining
            && (self.running.len() as u32) < self.max_concurrent
            && self.health.admits(self.running.len())
    }

    /// Sort key among available agents of a class: smaller is picked first. With adaptive routing
    /// a slow or flaky agent counts as more loaded (least_loaded) or scores lower (best_score) in
    /// proportion to its routing factor; round robin ignores it.
    pub(super) fn key(&self, strategy: Strategy, cfg: &HealthConfig) -> u64 {
        let running = self.running.len() as u64;
        let factor = self.health.routing_factor(cfg);
        match strategy {
            Strategy::LeastLoaded => {
                let penalty = ((1.0 - factor).clamp(0.0, 1.0) * (1u64 << 32) as f64) as u64;
                (running << 32) / self.max_concurrent as u64 + penalty
            }
            Strategy::BestScore => {
                let free = 1.0 - running as f64 / self.max_concurrent as f64;
                let score = (self.performance * free * factor).clamp(0.0, 1.0);
                u64::MAX - (score * (1u64 << 52) as f64) as u64
            }
            Strategy::RoundRobin => self.last_assigned,
            // Only whether a worker is free matters here: `hierarchy.rs` picks the team and worker.
            Strategy::Hierarchy => (running << 32) / self.max_concurrent as u64,
            // Bids decide, not this order: any available agent means an auction can open.
            Strategy::Auction => 0,
            // Swarm agents pick their own tasks (see `protocols/swarm`): the set is only kept in index order.
            Strategy::Swarm => 0,
        }
    }
}
