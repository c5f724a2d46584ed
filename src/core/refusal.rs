//! Why a command (an operator's, or a scenario fault) could not apply: the journal's
//! `command_refused` reason codes, and the words the console's status line shows.

use super::ids::{AgentId, TaskId};

/// Why a command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    AgentAlreadyDown(AgentId),
    AgentNotDown(AgentId),
    RunFinished,
    /// The task is running (on this agent); the action applies to tasks that are not.
    TaskRunning(TaskId, AgentId),
    /// The task already ended this way.
    TaskEnded(TaskId),
    /// Nothing to retry: the task has not failed, been skipped or escalated.
    NotRetryable(TaskId),
    /// The task still waits for dependencies.
    TaskWaiting(TaskId),
    NotHeld(TaskId),
    AlreadyHeld(TaskId),
    NotEscalated(TaskId),
    AlreadyEscalated(TaskId),
    /// The agent lacks the task's capability or specializations.
    AgentIncapable(TaskId, AgentId),
    AgentDown(AgentId),
    AgentDraining(AgentId),
    AgentBusy(AgentId),
    AlreadyOnAgent(TaskId, AgentId),
    /// The console was opened with `--read-only`.
    ReadOnly,
    /// The run is already paused / not paused.
    NoChange,
    /// A speed outside 0.01..=1000.
    BadSpeed,
    /// The task is a compensation its saga has not needed.
    TaskDormant(TaskId),
    /// A `slow` factor that is not a positive number.
    BadFactor,
    /// A failure rate outside 0..=1.
    BadRate,
    /// `slow` or `flaky` for an agent that is not simulated (its durations and failures are real).
    NotSimulated(AgentId),
    /// `award` or `reopen` for a task that is not allocated by auction.
    NotAuctioned(TaskId),
    /// `award` to an agent without a valid bid in the task's latest auction.
    NoValidBid(TaskId, AgentId),
    /// `vote` or `veto` on a task that is not a decision.
    NotDecision(TaskId),
    /// `vote` or `veto` on a decision with no ballot open or waiting for the operator.
    NoBallot(TaskId),
    /// An action for agents' tasks (hold, reassign, escalate) on a decision task.
    DecisionTask(TaskId),
    /// `revive` of a template's slot that is not in the team: the coordinator creates it when work
    /// waits for it.
    AgentAbsent(AgentId),
}

impl Refusal {
    /// The journal's `reason` code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::AgentAlreadyDown(_) => "agent_already_down",
            Refusal::AgentNotDown(_) => "agent_not_down",
            Refusal::RunFinished => "run_finished",
            Refusal::TaskRunning(..) => "task_running",
            Refusal::TaskEnded(_) => "task_ended",
            Refusal::NotRetryable(_) => "not_retryable",
            Refusal::TaskWaiting(_) => "task_waiting",
            Refusal::NotHeld(_) => "not_held",
            Refusal::AlreadyHeld(_) => "already_held",
            Refusal::NotEscalated(_) => "not_escalated",
            Refusal::AlreadyEscalated(_) => "already_escalated",
            Refusal::AgentIncapable(..) => "agent_incapable",
            Refusal::AgentDown(_) => "agent_down",
            Refusal::AgentDraining(_) => "agent_draining",
            Refusal::AgentBusy(_) => "agent_busy",
            Refusal::AlreadyOnAgent(..) => "already_on_agent",
            Refusal::ReadOnly => "read_only",
            Refusal::NoChange => "no_change",
            Refusal::BadSpeed => "bad_speed",
            Refusal::TaskDormant(_) => "task_dormant",
            Refusal::BadFactor => "bad_factor",
            Refusal::BadRate => "bad_rate",
            Refusal::NotSimulated(_) => "not_simulated",
            Refusal::NotAuctioned(_) => "not_auctioned",
            Refusal::NoValidBid(..) => "no_valid_bid",
            Refusal::NotDecision(_) => "not_a_decision",
            Refusal::NoBallot(_) => "no_open_ballot",
            Refusal::DecisionTask(_) => "decision_task",
            Refusal::AgentAbsent(_) => "agent_absent",
        }
    }

    /// The refusal in words, for the journal's `message` and the console's status line.
    pub fn describe<'a>(&self, task: impl Fn(TaskId) -> &'a str, agent: impl Fn(AgentId) -> &'a str) -> String {
        match *self {
            Refusal::AgentAlreadyDown(a) => format!("agent `{}` is already down", agent(a)),
            Refusal::AgentNotDown(a) => format!("agent `{}` is up and not draining", agent(a)),
            Refusal::RunFinished => "the run has finished".into(),
            Refusal::TaskRunning(t, a) => format!("task `{}` is running on `{}`; cancel it or wait", task(t), agent(a)),
            Refusal::TaskEnded(t) => format!("task `{}` has already ended", task(t)),
            Refusal::NotRetryable(t) => format!("task `{}` has not failed: nothing to retry", task(t)),
            Refusal::TaskWaiting(t) => format!("task `{}` still waits for its dependencies", task(t)),
            Refusal::NotHeld(t) => format!("task `{}` is not held", task(t)),
            Refusal::AlreadyHeld(t) => format!("task `{}` is already held", task(t)),
            Refusal::NotEscalated(t) => format!("task `{}` is not in the inbox", task(t)),
            Refusal::AlreadyEscalated(t) => format!("task `{}` is already in the inbox", task(t)),
            Refusal::AgentIncapable(t, a) => {
                format!("agent `{}` lacks the capability or specializations of task `{}`", agent(a), task(t))
            }
            Refusal::AgentDown(a) => format!("agent `{}` is down", agent(a)),
            Refusal::AgentDraining(a) => format!("agent `{}` is draining", agent(a)),
            Refusal::AgentBusy(a) => format!("agent `{}` is at max_concurrent", agent(a)),
            Refusal::AlreadyOnAgent(t, a) => format!("task `{}` already runs on `{}`", task(t), agent(a)),
            Refusal::ReadOnly => "the console is read-only (--read-only)".into(),
            Refusal::NoChange => "nothing to change".into(),
            Refusal::BadSpeed => "speed must be between 0.01 and 1000".into(),
            Refusal::TaskDormant(t) => {
                format!("task `{}` is a compensation that runs only if its saga fails", task(t))
            }
            Refusal::BadFactor => "the factor must be a number above 0".into(),
            Refusal::BadRate => "the failure rate must be between 0 and 1".into(),
            Refusal::NotSimulated(a) => {
                format!("agent `{}` is not simulated: its durations and failures are real", agent(a))
            }
            Refusal::NotAuctioned(t) => format!("task `{}` is not allocated by auction", task(t)),
            Refusal::NoValidBid(t, a) => {
                format!("agent `{}` has no valid bid in the latest auction of task `{}`", agent(a), task(t))
            }
            Refusal::NotDecision(t) => format!("task `{}` is not a decision", task(t)),
            Refusal::NoBallot(t) => format!("decision `{}` has no ballot open or waiting for a vote", task(t)),
            Refusal::DecisionTask(t) => format!("task `{}` is a decision: vote on it or veto it instead", task(t)),
            Refusal::AgentAbsent(a) => {
                format!("agent `{}` is a template slot not in the team: it is created when work waits", agent(a))
            }
        }
    }

    /// The inverse of [`Refusal::code`] given its subjects (for reading journals back).
    pub fn from_code(code: &str, task: Option<TaskId>, agent: Option<AgentId>) -> Option<Refusal> {
        let (t, a) = (task, agent);
        Some(match code {
            "agent_already_down" => Refusal::AgentAlreadyDown(a?),
            "agent_not_down" => Refusal::AgentNotDown(a?),
            "run_finished" => Refusal::RunFinished,
            "task_running" => Refusal::TaskRunning(t?, a?),
            "task_ended" => Refusal::TaskEnded(t?),
            "not_retryable" => Refusal::NotRetryable(t?),
            "task_waiting" => Refusal::TaskWaiting(t?),
            "not_held" => Refusal::NotHeld(t?),
            "already_held" => Refusal::AlreadyHeld(t?),
            "not_escalated" => Refusal::NotEscalated(t?),
            "already_escalated" => Refusal::AlreadyEscalated(t?),
            "agent_incapable" => Refusal::AgentIncapable(t?, a?),
            "agent_down" => Refusal::AgentDown(a?),
            "agent_draining" => Refusal::AgentDraining(a?),
            "agent_busy" => Refusal::AgentBusy(a?),
            "already_on_agent" => Refusal::AlreadyOnAgent(t?, a?),
            "read_only" => Refusal::ReadOnly,
            "no_change" => Refusal::NoChange,
            "bad_speed" => Refusal::BadSpeed,
            "task_dormant" => Refusal::TaskDormant(t?),
            "bad_factor" => Refusal::BadFactor,
            "bad_rate" => Refusal::BadRate,
            "not_simulated" => Refusal::NotSimulated(a?),
            "not_auctioned" => Refusal::NotAuctioned(t?),
            "no_valid_bid" => Refusal::NoValidBid(t?, a?),
            "not_a_decision" => Refusal::NotDecision(t?),
            "no_open_ballot" => Refusal::NoBallot(t?),
            "decision_task" => Refusal::DecisionTask(t?),
            "agent_absent" => Refusal::AgentAbsent(a?),
            _ => return None,
        })
    }

    /// The task and agent the refusal is about, where it names them.
    pub fn subjects(&self) -> (Option<TaskId>, Option<AgentId>) {
        match *self {
            Refusal::AgentAlreadyDown(a)
            | Refusal::AgentNotDown(a)
            | Refusal::AgentDown(a)
            | Refusal::AgentDraining(a)
            | Refusal::AgentBusy(a)
            | Refusal::NotSimulated(a)
            | Refusal::AgentAbsent(a) => (None, Some(a)),
            Refusal::TaskRunning(t, a)
            | Refusal::AgentIncapable(t, a)
            | Refusal::AlreadyOnAgent(t, a)
            | Refusal::NoValidBid(t, a) => (Some(t), Some(a)),
            Refusal::TaskEnded(t)
            | Refusal::NotRetryable(t)
            | Refusal::TaskWaiting(t)
            | Refusal::NotHeld(t)
            | Refusal::AlreadyHeld(t)
            | Refusal::NotEscalated(t)
            | Refusal::AlreadyEscalated(t)
            | Refusal::TaskDormant(t)
            | Refusal::NotAuctioned(t) => (Some(t), None),
            Refusal::NotDecision(t) | Refusal::NoBallot(t) | Refusal::DecisionTask(t) => (Some(t), None),
            Refusal::RunFinished
            | Refusal::ReadOnly
            | Refusal::NoChange
            | Refusal::BadSpeed
            | Refusal::BadFactor
            | Refusal::BadRate => (None, None),
        }
    }
}
