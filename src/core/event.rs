//! Events: the record of every state change, in order. The journal writes them, the console folds
//! them, and [`super::Coordinator::from_events`] rebuilds the coordinator from them.

use std::sync::Arc;

use super::bus::{AgentError, Message};
use super::faults::{DropCause, LinkFault};
use super::health::BreakerState;
use super::ids::{AgentId, TaskId};
use crate::protocols::vote::Choice;
use crate::scenario::Strategy;

pub use super::refusal::Refusal;
pub use crate::protocols::auction::AuctionEvent;
pub use crate::protocols::context::ContextEvent;
pub use crate::protocols::elastic::ElasticEvent;
pub use crate::protocols::growth::GrowthEvent;
pub use crate::protocols::ladder::LadderEvent;
pub use crate::protocols::saga::SagaEvent;
pub use crate::protocols::swarm::SwarmEvent;
pub use crate::protocols::vote::VoteEvent;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// 0, 1, 2 … in emission order.
    pub seq: u64,
    /// Virtual time in milliseconds since the run started.
    pub t_ms: u64,
    pub kind: EventKind,
}

/// Faults a driver injects silently (the coordinator must detect their effects).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InjectedFault {
    /// The agent stops heartbeating and answering.
    Hang,
    /// The agent's work takes `factor` times longer than its profile says.
    Slow { factor: f64 },
    /// The agent's attempts fail with probability `rate` instead of its profile's `failure_rate`.
    Flaky { rate: f64 },
}

impl InjectedFault {
    pub fn name(self) -> &'static str {
        match self {
            InjectedFault::Hang => "hang",
            InjectedFault::Slow { .. } => "slow",
            InjectedFault::Flaky { .. } => "flaky",
        }
    }
}

/// Who asked for a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The scenario's `faults` list.
    Scenario,
    /// A person at the console or a script.
    Operator,
    /// The coordinator noticed by itself (an agent went silent, or spoke again).
    Detected,
    /// A blackboard write conflicted and the task's `on_conflict` policy escalates.
    Conflict,
    /// The task's escalation ladder sent it on (to the inbox).
    Ladder,
    /// The task's auction awarded nothing for `max_rounds` rounds.
    Auction,
    /// A review rejected the work past its `max_rework` with `on_limit: "escalate"`.
    Review,
    /// A decision's ballot ended in a tie and its tie rule says escalate.
    Vote,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Scenario => "scenario",
            Origin::Operator => "operator",
            Origin::Detected => "detected",
            Origin::Conflict => "conflict",
            Origin::Ladder => "ladder",
            Origin::Auction => "auction",
            Origin::Review => "review",
            Origin::Vote => "vote",
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
    /// An operator cancelled the task or moved it to another agent.
    Operator,
    /// The agent went silent past the heartbeat timeout and was given up on.
    AgentLost,
    /// The agent's process ended while the attempt ran (`status` its exit code, `signal` the
    /// signal that killed it).
    AgentExited { status: Option<i32>, signal: Option<i32> },
    /// The result's blackboard write found a key changed since the attempt read it.
    WriteConflict,
    /// The result's write carried a fencing token of a lock the task no longer held.
    StaleToken,
    /// The attempt was in flight when the coordinator's process died; a resumed run dispatches
    /// the task again, and the attempt is not charged to its retry budget.
    CoordinatorRestarted,
}

impl AttemptFailure {
    pub fn text(self) -> &'static str {
        match self {
            AttemptFailure::Agent(e) => e.text(),
            AttemptFailure::AgentCrashed => "agent_crashed",
            AttemptFailure::Operator => "operator",
            AttemptFailure::AgentLost => "agent_lost",
            AttemptFailure::AgentExited { .. } => "agent_exited",
            AttemptFailure::WriteConflict => "write_conflict",
            AttemptFailure::StaleToken => "stale_token",
            AttemptFailure::CoordinatorRestarted => "coordinator_restarted",
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
    /// An operator cancelled it.
    Cancelled,
    /// An operator resolved its inbox item as failed.
    Operator,
    /// The agent reported an error with `retryable: false` on attempt `attempts`.
    NotRetryable { attempts: u32 },
    /// Headless: it waited in the operator's inbox and no operator can act.
    Unresolved,
    /// Its inbox SLA ran out and the ladder's `on_expiry` said `fail`.
    SlaExpired,
    /// A reviewer whose review rejected the work past `max_rework`, with `on_limit: "fail"`.
    ReworkLimit,
    /// A decision task whose proposal was rejected, with no `on_reject` branch to take.
    Rejected,
}

impl TaskFailure {
    pub fn code(self) -> &'static str {
        match self {
            TaskFailure::AttemptsExhausted { .. } => "attempts_exhausted",
            TaskFailure::NoLiveAgent => "no_live_agent",
            TaskFailure::Cancelled => "cancelled",
            TaskFailure::Operator => "operator",
            TaskFailure::NotRetryable { .. } => "not_retryable",
            TaskFailure::Unresolved => "unresolved",
            TaskFailure::SlaExpired => "sla_expired",
            TaskFailure::ReworkLimit => "rework_limit",
            TaskFailure::Rejected => "rejected",
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

/// A signal that stops a run cleanly (SIGINT, SIGTERM, SIGHUP): see `run_interrupted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopSignal {
    Interrupt,
    Terminate,
    Hangup,
}

impl StopSignal {
    /// The name the journal and messages use: `SIGINT`, `SIGTERM`, `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Hangup => "SIGHUP",
        }
    }

    pub fn from_name(name: &str) -> Option<StopSignal> {
        [StopSignal::Interrupt, StopSignal::Terminate, StopSignal::Hangup].into_iter().find(|s| s.name() == name)
    }

    /// The POSIX signal number (the same on every Unix for these three).
    pub fn number(self) -> i32 {
        match self {
            StopSignal::Interrupt => 2,
            StopSignal::Terminate => 15,
            StopSignal::Hangup => 1,
        }
    }

    pub fn from_number(n: i32) -> Option<StopSignal> {
        [StopSignal::Interrupt, StopSignal::Terminate, StopSignal::Hangup].into_iter().find(|s| s.number() == n)
    }
}

/// Which limit of a headless run's horizon was reached, named after its `run` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HorizonLimit {
    /// Virtual time would pass `--max-time-ms`.
    Time,
    /// The run counted `--max-events` events.
    Events,
}

impl HorizonLimit {
    pub fn name(self) -> &'static str {
        match self {
            HorizonLimit::Time => "max_time_ms",
            HorizonLimit::Events => "max_events",
        }
    }

    pub fn from_name(name: &str) -> Option<HorizonLimit> {
        [HorizonLimit::Time, HorizonLimit::Events].into_iter().find(|l| l.name() == name)
    }

    /// The `run` flag that raises it.
    pub fn flag(self) -> &'static str {
        match self {
            HorizonLimit::Time => "--max-time-ms",
            HorizonLimit::Events => "--max-events",
        }
    }
}

/// What an operator asked for (the target, when there is one, is part of the action).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OpAction {
    Pause,
    Resume,
    Step,
    Speed(f64),
    Restart,
    Hold(TaskId),
    Release(TaskId),
    Retry(TaskId),
    Reassign(TaskId, AgentId),
    Escalate(TaskId),
    Cancel(TaskId),
    Resolve(TaskId, Resolution),
    Crash(AgentId),
    Revive(AgentId),
    Drain(AgentId),
    /// Faults injected by hand; the coordinator records them but is not told what they do.
    Hang(AgentId),
    /// Durations × factor from now on (1 restores them).
    Slow(AgentId, f64),
    /// The agent's failure rate from now on.
    Flaky(AgentId, f64),
    /// Cut the agent off from the coordinator (with every other agent cut off by hand).
    Partition(AgentId),
    /// End every link fault and partition.
    Heal,
    /// Give an auctioned task to an agent that bid validly in its latest auction.
    Award(TaskId, AgentId),
    /// Close the task's auction (if open) and announce a fresh one, from round 1.
    Reopen(TaskId),
    /// A deciding vote on a decision task's ballot (yes approves, no rejects).
    CastVote(TaskId, Choice),
    /// Reject a decision task's proposal outright.
    Veto(TaskId),
}

/// How an operator settles an inbox item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// Run it again with a fresh retry budget.
    Retry,
    /// Give up on it and its dependents.
    Skip,
    /// Mark it completed by hand (the note says what was done); dependents go ahead.
    Done,
    /// Mark it failed; dependents are skipped.
    Fail,
}

impl Resolution {
    pub const ALL: [Resolution; 4] = [Resolution::Retry, Resolution::Skip, Resolution::Done, Resolution::Fail];

    pub fn name(self) -> &'static str {
        match self {
            Resolution::Retry => "retry",
            Resolution::Skip => "skip",
            Resolution::Done => "done",
            Resolution::Fail => "fail",
        }
    }

    pub fn from_name(s: &str) -> Option<Resolution> {
        Resolution::ALL.into_iter().find(|r| r.name() == s)
    }
}

impl OpAction {
    /// The journal's `action` field (and the console command's name).
    pub fn name(&self) -> &'static str {
        match self {
            OpAction::Pause => "pause",
            OpAction::Resume => "resume",
            OpAction::Step => "step",
            OpAction::Speed(_) => "speed",
            OpAction::Restart => "restart",
            OpAction::Hold(_) => "hold",
            OpAction::Release(_) => "release",
            OpAction::Retry(_) => "retry",
            OpAction::Reassign(..) => "reassign",
            OpAction::Escalate(_) => "escalate",
            OpAction::Cancel(_) => "cancel",
            OpAction::Resolve(..) => "resolve",
            OpAction::Crash(_) => "crash",
            OpAction::Revive(_) => "revive",
            OpAction::Drain(_) => "drain",
            OpAction::Hang(_) => "hang",
            OpAction::Slow(..) => "slow",
            OpAction::Flaky(..) => "flaky",
            OpAction::Partition(_) => "partition",
            OpAction::Heal => "heal",
            OpAction::Award(..) => "award",
            OpAction::Reopen(_) => "reopen",
            OpAction::CastVote(..) => "vote",
            OpAction::Veto(_) => "veto",
        }
    }

    pub fn task(&self) -> Option<TaskId> {
        match *self {
            OpAction::Hold(t)
            | OpAction::Release(t)
            | OpAction::Retry(t)
            | OpAction::Reassign(t, _)
            | OpAction::Escalate(t)
            | OpAction::Cancel(t)
            | OpAction::Resolve(t, _)
            | OpAction::Award(t, _)
            | OpAction::Reopen(t) => Some(t),
            OpAction::CastVote(t, _) | OpAction::Veto(t) => Some(t),
            _ => None,
        }
    }

    pub fn agent(&self) -> Option<AgentId> {
        match *self {
            OpAction::Reassign(_, a)
            | OpAction::Award(_, a)
            | OpAction::Crash(a)
            | OpAction::Revive(a)
            | OpAction::Drain(a)
            | OpAction::Hang(a)
            | OpAction::Slow(a, _)
            | OpAction::Flaky(a, _)
            | OpAction::Partition(a) => Some(a),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
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
    /// `strategy` is `None` when an operator picked the agent.
    TaskAssigned {
        task: TaskId,
        agent: AgentId,
        strategy: Option<Strategy>,
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
        /// What the agent returned (see [`super::output`]).
        output: super::output::Output,
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
    /// `agent` is `None` when an operator marked the task done by hand.
    TaskCompleted {
        task: TaskId,
        agent: Option<AgentId>,
        attempts: u32,
    },
    TaskFailed {
        task: TaskId,
        reason: TaskFailure,
    },
    /// `cause` is the failed task upstream that makes this one impossible (the task itself when an
    /// operator skipped it).
    TaskSkipped {
        task: TaskId,
        cause: TaskId,
        reason: SkipReason,
    },
    AgentCrashed {
        agent: AgentId,
        origin: Origin,
    },
    /// No message from the agent for the heartbeat timeout (`silent_ms`): it is treated as down
    /// until it speaks again.
    AgentLost {
        agent: AgentId,
        silent_ms: u64,
    },
    /// The agent's circuit breaker changed state.
    BreakerChanged {
        agent: AgentId,
        state: BreakerState,
    },
    /// A driver injected a fault the coordinator is not told about (recorded for the audit only;
    /// it changes no coordinator state).
    FaultInjected {
        agent: AgentId,
        fault: InjectedFault,
    },
    /// A driver injected a fault on the network between endpoints (audit only, like
    /// `FaultInjected`; journaled as `fault_injected` too).
    LinkFaultInjected {
        fault: LinkFault,
    },
    /// A message a link fault lost on its way (a driver's audit record: the coordinator does not
    /// know). `msg.id` is 0 for an agent's message, which never reached the bus to be numbered.
    MessageDropped {
        msg: Message,
        cause: DropCause,
    },
    /// A crashed agent is back, or a draining one takes work again.
    AgentRevived {
        agent: AgentId,
        origin: Origin,
    },
    /// The task was taken back from `from` (which crashed, went silent or exited: `reason`) and
    /// goes back to the ready set.
    TaskReassigned {
        task: TaskId,
        from: AgentId,
        reason: AttemptFailure,
    },
    /// A result that no longer matches a running attempt (it timed out or was taken away).
    LateResultDiscarded {
        task: TaskId,
        agent: AgentId,
        attempt: u32,
    },
    /// A command that could not apply, with the reason. `action` is set for operator commands.
    CommandRefused {
        origin: Origin,
        reason: Refusal,
        action: Option<OpAction>,
    },
    /// An operator command was accepted; the events that carry it out follow.
    OperatorAction {
        who: Arc<str>,
        action: OpAction,
        reason: Option<Arc<str>>,
    },
    /// The task will not be dispatched until released.
    TaskHeld {
        task: TaskId,
    },
    TaskReleased {
        task: TaskId,
    },
    /// The task went to the operator's inbox and waits for a resolution. `sla_ms` starts its SLA
    /// countdown; `context` (from a ladder) is what the inbox shows of its failures.
    TaskEscalated {
        task: TaskId,
        origin: Origin,
        sla_ms: Option<u64>,
        context: Option<Arc<crate::protocols::ladder::EscalationContext>>,
    },
    /// A failed or skipped task is back in play (an operator retried it or its cause).
    TaskReopened {
        task: TaskId,
    },
    /// The agent finishes its current work and takes no more.
    AgentDraining {
        agent: AgentId,
        origin: Origin,
    },
    /// The run had finished, and an operator action gave it work again.
    RunReopened,
    /// A headless run stopped at its horizon (see `runtime::horizon`): `limit` reached `value` with
    /// `events` counted. The run is not finished: this is its journal's last line.
    HorizonReached {
        limit: HorizonLimit,
        value: u64,
        events: u64,
    },
    /// A process agent's process ended while the agent was up: it is down like a crashed agent.
    AgentExited {
        agent: AgentId,
        status: Option<i32>,
        signal: Option<i32>,
    },
    /// A real agent was refused (a failed handshake, or too many invalid lines: faulty) and is down
    /// like a crashed agent; `message` says why.
    AgentRejected {
        agent: AgentId,
        message: Arc<str>,
    },
    /// A line from an agent that is not a valid message (or names no task of the run): recorded
    /// and otherwise ignored. `line` is its start.
    ProtocolError {
        agent: AgentId,
        message: Arc<str>,
        line: Arc<str>,
    },
    /// The run stops (`paused: true`) or goes on advancing.
    RunPaused {
        paused: bool,
    },
    MessageSent {
        msg: Message,
    },
    /// The process hosting the run was told to stop (a signal): nothing was dispatched after
    /// this event, and the run's state is as of its time. The run did not finish.
    RunInterrupted {
        signal: StopSignal,
    },
    /// A standby coordinator took the run over from the stream of one that stopped (a run served
    /// over NATS): `epoch` is its lease's, higher than any before; `holder` names it (`host:pid`).
    CoordinatorTookOver {
        epoch: u64,
        holder: Arc<str>,
    },
    RunFinished {
        outcome: Outcome,
        makespan_ms: u64,
        completed: u32,
        failed: u32,
        skipped: u32,
    },
    /// Delegation, help, review and broadcast events (see `protocols/teams/event.rs`).
    Team(crate::protocols::teams::TeamEvent),
    /// Auction events (see `protocols/auction`).
    Auction(AuctionEvent),
    /// Vote events (see `protocols/vote`).
    Vote(VoteEvent),
    /// Swarm events (see `protocols/swarm`).
    Swarm(SwarmEvent),
    /// Elastic events (see `protocols/elastic`).
    Elastic(ElasticEvent),
    /// Growth events (see `protocols/growth`).
    Growth(GrowthEvent),
    /// Saga events (see `protocols/saga`).
    Saga(SagaEvent),
    /// Ladder events (see `protocols/ladder`).
    Ladder(LadderEvent),
    /// Context events (see `protocols/context`).
    Context(ContextEvent),
}

/// Why a task was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// `cause` failed or was skipped (or an operator skipped the task itself).
    UpstreamFailed,
    /// The decision `cause` rejected its proposal and took its `on_reject` branch instead.
    Rejected,
    /// The decision `cause` approved its proposal: its `on_reject` branch is not taken.
    NotTaken,
}

impl SkipReason {
    pub const ALL: [SkipReason; 3] = [SkipReason::UpstreamFailed, SkipReason::Rejected, SkipReason::NotTaken];

    pub fn code(self) -> &'static str {
        match self {
            SkipReason::UpstreamFailed => "upstream_failed",
            SkipReason::Rejected => "rejected",
            SkipReason::NotTaken => "not_taken",
        }
    }

    pub fn from_code(s: &str) -> Option<SkipReason> {
        SkipReason::ALL.into_iter().find(|r| r.code() == s)
    }
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
            EventKind::AgentLost { .. } => "agent_lost",
            EventKind::FaultInjected { .. } | EventKind::LinkFaultInjected { .. } => "fault_injected",
            EventKind::MessageDropped { .. } => "message_dropped",
            EventKind::BreakerChanged { state: BreakerState::Open { .. }, .. } => "breaker_opened",
            EventKind::BreakerChanged { state: BreakerState::HalfOpen, .. } => "breaker_half_open",
            EventKind::BreakerChanged { state: BreakerState::Closed, .. } => "breaker_closed",
            EventKind::AgentRevived { .. } => "agent_revived",
            EventKind::TaskReassigned { .. } => "task_reassigned",
            EventKind::LateResultDiscarded { .. } => "late_result_discarded",
            EventKind::CommandRefused { .. } => "command_refused",
            EventKind::MessageSent { .. } => "message_sent",
            EventKind::OperatorAction { .. } => "operator_action",
            EventKind::TaskHeld { .. } => "task_held",
            EventKind::TaskReleased { .. } => "task_released",
            EventKind::TaskEscalated { .. } => "task_escalated",
            EventKind::TaskReopened { .. } => "task_reopened",
            EventKind::AgentDraining { .. } => "agent_draining",
            EventKind::RunReopened => "run_reopened",
            EventKind::HorizonReached { .. } => "horizon_reached",
            EventKind::AgentExited { .. } => "agent_exited",
            EventKind::AgentRejected { .. } => "agent_rejected",
            EventKind::ProtocolError { .. } => "protocol_error",
            EventKind::RunPaused { paused: true } => "run_paused",
            EventKind::RunPaused { paused: false } => "run_resumed",
            EventKind::RunInterrupted { .. } => "run_interrupted",
            EventKind::CoordinatorTookOver { .. } => "coordinator_took_over",
            EventKind::RunFinished { .. } => "run_finished",
            EventKind::Team(e) => e.name(),
            EventKind::Auction(e) => e.name(),
            EventKind::Vote(e) => e.name(),
            EventKind::Swarm(e) => e.name(),
            EventKind::Elastic(e) => e.name(),
            EventKind::Growth(e) => e.name(),
            EventKind::Saga(e) => e.name(),
            EventKind::Ladder(e) => e.name(),
            EventKind::Context(e) => e.name(),
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
            | LateResultDiscarded { task, .. }
            | TaskHeld { task }
            | TaskReleased { task }
            | TaskEscalated { task, .. }
            | TaskReopened { task } => Some(task),
            OperatorAction { action, .. } => action.task(),
            Team(ref e) => e.task(),
            Auction(ref e) => e.task(),
            Vote(ref e) => e.task(),
            Swarm(ref e) => e.task(),
            Elastic(ref e) => e.task(),
            Growth(ref e) => e.task(),
            Saga(ref e) => e.task(),
            Ladder(ref e) => e.task(),
            Context(ref e) => e.task(),
            RunStarted { .. }
            | AgentCrashed { .. }
            | AgentLost { .. }
            | BreakerChanged { .. }
            | FaultInjected { .. }
            | LinkFaultInjected { .. }
            | MessageDropped { .. }
            | AgentRevived { .. }
            | CommandRefused { .. }
            | AgentDraining { .. }
            | RunReopened
            | HorizonReached { .. }
            | AgentExited { .. }
            | AgentRejected { .. }
            | ProtocolError { .. }
            | RunPaused { .. }
            | MessageSent { .. }
            | RunInterrupted { .. }
            | CoordinatorTookOver { .. }
            | RunFinished { .. } => None,
        }
    }
}
