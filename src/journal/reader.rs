//! Reads a journal back into events, resolving task and agent ids against the scenario.

use crate::core::event::GrowthEvent;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::core::bus::{AgentError, StatusNote};
use crate::core::event::{
    AttemptFailure, HorizonLimit, InjectedFault, OpAction, Refusal, Resolution, StopSignal, TaskFailure,
};
use crate::core::faults::{DropCause, LinkFault};
use crate::core::health::BreakerState;
use crate::core::output::intern;
use crate::core::state::AttemptEnd;
use crate::core::{
    AgentId, Endpoint, Event, EventKind, Message, MsgKind, Origin, Outcome, Output, Payload, SagaId, TaskId,
};
use crate::protocols::context::ContextIndex;
use crate::protocols::ladder::{AttemptNote, EscalationContext};
use crate::scenario::{Scenario, Strategy, TierName};

/// A journal line that could not be understood.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for JournalError {}

/// `exit_status` and `signal` (absent or `null`: not known).
fn exit_of(v: &Value) -> (Option<i32>, Option<i32>) {
    let int = |key| v.get(key).and_then(Value::as_i64).map(|n| n as i32);
    (int("exit_status"), int("signal"))
}

pub(crate) struct Resolver<'a> {
    pub(crate) tasks: HashMap<&'a str, u32>,
    pub(crate) agents: HashMap<&'a str, u32>,
    pub(crate) agent_names: Vec<&'a str>,
    pub(crate) sagas: HashMap<&'a str, u32>,
    pub(crate) ctx: ContextIndex,
    /// Tasks a planner added (`tasks_added`), by id, and how many tasks the run has so far.
    pub(crate) added: HashMap<String, u32>,
    pub(crate) count: u32,
}

pub(crate) type R<T> = Result<T, String>;

impl<'a> Resolver<'a> {
    pub(crate) fn field<'v>(&self, v: &'v Value, key: &str) -> R<&'v Value> {
        v.get(key).ok_or_else(|| format!("missing field `{key}`"))
    }
    pub(crate) fn u64(&self, v: &Value, key: &str) -> R<u64> {
        self.field(v, key)?.as_u64().ok_or_else(|| format!("`{key}` must be a non-negative integer"))
    }
    pub(crate) fn u32(&self, v: &Value, key: &str) -> R<u32> {
        u32::try_from(self.u64(v, key)?).map_err(|_| format!("`{key}` is too large"))
    }
    pub(crate) fn str<'v>(&self, v: &'v Value, key: &str) -> R<&'v str> {
        self.field(v, key)?.as_str().ok_or_else(|| format!("`{key}` must be a string"))
    }
    /// `reason` of `attempt_failed` and `task_reassigned`, with its error or exit details.
    pub(crate) fn attempt_failure(&self, v: &Value) -> R<AttemptFailure> {
        self.attempt_failure_at(v, "reason")
    }
    /// A failure named by `key` (`outcome` in an escalation's history).
    pub(crate) fn attempt_failure_at(&self, v: &Value, key: &str) -> R<AttemptFailure> {
        Ok(match self.str(v, key)? {
            "agent_crashed" => AttemptFailure::AgentCrashed,
            "operator" => AttemptFailure::Operator,
            "agent_lost" => AttemptFailure::AgentLost,
            "write_conflict" => AttemptFailure::WriteConflict,
            "stale_token" => AttemptFailure::StaleToken,
            "coordinator_restarted" => AttemptFailure::CoordinatorRestarted,
            "agent_exited" => {
                let (status, signal) = exit_of(v);
                AttemptFailure::AgentExited { status, signal }
            }
            "agent_error" => AttemptFailure::Agent(self.agent_error(v)?),
            other => return Err(format!("unknown attempt failure reason `{other}`")),
        })
    }

    /// `error` and, for a real agent's error, `retryable`.
    pub(crate) fn agent_error(&self, v: &Value) -> R<AgentError> {
        let e = self.str(v, "error")?;
        match v.get("retryable").and_then(Value::as_bool) {
            Some(retryable) => Ok(AgentError::Reported { message: intern(e), retryable }),
            None => AgentError::from_text(e).ok_or_else(|| format!("unknown error `{e}`")),
        }
    }
    pub(crate) fn task(&self, v: &Value, key: &str) -> R<TaskId> {
        let name = self.str(v, key)?;
        let found = self.tasks.get(name).or_else(|| self.added.get(name));
        found.map(|&i| TaskId(i)).ok_or_else(|| format!("unknown task `{name}`"))
    }

    /// `tasks_added`: the specs as scenario JSON, and edges naming them (numbered on from the
    /// run's task count).
    pub(crate) fn agent(&self, v: &Value, key: &str) -> R<AgentId> {
        let name = self.str(v, key)?;
        self.agents.get(name).map(|&i| AgentId(i)).ok_or_else(|| format!("unknown agent `{name}`"))
    }
    pub(crate) fn saga(&self, v: &Value) -> R<SagaId> {
        let name = self.str(v, "saga")?;
        self.sagas.get(name).map(|&i| SagaId(i)).ok_or_else(|| format!("unknown saga `{name}`"))
    }
    pub(crate) fn opt_task(&self, v: &Value) -> R<Option<TaskId>> {
        if v.get("task").is_some() { self.task(v, "task").map(Some) } else { Ok(None) }
    }
    pub(crate) fn opt_agent(&self, v: &Value) -> R<Option<AgentId>> {
        if v.get("agent").is_some() { self.agent(v, "agent").map(Some) } else { Ok(None) }
    }
    /// An operator action from its `action` name and target fields.
    pub(crate) fn action(&self, v: &Value) -> R<OpAction> {
        let name = self.str(v, "action")?;
        let t = || self.task(v, "task");
        let a = || self.agent(v, "agent");
        Ok(match name {
            "pause" => OpAction::Pause,
            "resume" => OpAction::Resume,
            "step" => OpAction::Step,
            "restart" => OpAction::Restart,
            "speed" => {
                let x = v.get("speed").and_then(Value::as_f64);
                // A refusal of a bad speed may not carry it.
                OpAction::Speed(x.unwrap_or(f64::NAN))
            }
            "hold" => OpAction::Hold(t()?),
            "release" => OpAction::Release(t()?),
            "retry" => OpAction::Retry(t()?),
            "reassign" => OpAction::Reassign(t()?, a()?),
            "escalate" => OpAction::Escalate(t()?),
            "cancel" => OpAction::Cancel(t()?),
            "resolve" => {
                let r = self.str(v, "resolution")?;
                OpAction::Resolve(t()?, Resolution::from_name(r).ok_or_else(|| format!("unknown resolution `{r}`"))?)
            }
            "vote" => {
                let c = self.str(v, "choice")?;
                let choice =
                    crate::protocols::vote::Choice::from_name(c).ok_or_else(|| format!("unknown choice `{c}`"))?;
                OpAction::CastVote(t()?, choice)
            }
            "veto" => OpAction::Veto(t()?),
            "crash" => OpAction::Crash(a()?),
            "revive" => OpAction::Revive(a()?),
            "drain" => OpAction::Drain(a()?),
            "hang" => OpAction::Hang(a()?),
            // A refusal of a bad number may not carry it.
            "slow" => OpAction::Slow(a()?, v.get("factor").and_then(Value::as_f64).unwrap_or(f64::NAN)),
            "flaky" => OpAction::Flaky(a()?, v.get("failure_rate").and_then(Value::as_f64).unwrap_or(f64::NAN)),
            "partition" => OpAction::Partition(a()?),
            "heal" => OpAction::Heal,
            "award" => OpAction::Award(t()?, a()?),
            "reopen" => OpAction::Reopen(t()?),
            other => return Err(format!("unknown operator action `{other}`")),
        })
    }
    pub(crate) fn origin(&self, v: &Value) -> R<Origin> {
        match self.str(v, "origin")? {
            "scenario" => Ok(Origin::Scenario),
            "operator" => Ok(Origin::Operator),
            "detected" => Ok(Origin::Detected),
            "conflict" => Ok(Origin::Conflict),
            "ladder" => Ok(Origin::Ladder),
            "auction" => Ok(Origin::Auction),
            "review" => Ok(Origin::Review),
            "vote" => Ok(Origin::Vote),
            other => Err(format!("unknown origin `{other}`")),
        }
    }
    pub(crate) fn tier_names(&self, v: &Value, key: &str) -> R<Vec<TierName>> {
        let list = self.field(v, key)?.as_array().ok_or_else(|| format!("`{key}` must be an array"))?;
        list.iter()
            .map(|t| {
                let name = t.as_str().ok_or_else(|| format!("`{key}` must hold strings"))?;
                TierName::from_name(name).ok_or_else(|| format!("unknown tier `{name}`"))
            })
            .collect()
    }
    /// The `tiers` and `history` of a task escalated by its ladder.
    pub(crate) fn context(&self, v: &Value) -> R<EscalationContext> {
        let list = self.field(v, "history")?.as_array().ok_or("`history` must be an array")?;
        let history = list
            .iter()
            .map(|h| {
                let end = match self.str(h, "outcome")? {
                    "running" => AttemptEnd::Running,
                    "succeeded" => AttemptEnd::Succeeded,
                    "timed_out" => AttemptEnd::TimedOut,
                    _ => AttemptEnd::Failed(self.attempt_failure_at(h, "outcome")?),
                };
                Ok(AttemptNote { attempt: self.u32(h, "attempt")?, agent: self.agent(h, "agent")?, end })
            })
            .collect::<R<Vec<_>>>()?;
        let note = v.get("note").and_then(Value::as_str).map(Arc::from);
        Ok(EscalationContext { tiers: self.tier_names(v, "tiers")?, history, note })
    }
    pub(crate) fn endpoint(&self, v: &Value, key: &str) -> R<Endpoint> {
        self.endpoint_named(self.str(v, key)?)
    }
    pub(crate) fn endpoint_named(&self, name: &str) -> R<Endpoint> {
        match name {
            "coordinator" => Ok(Endpoint::Coordinator),
            "*" => Ok(Endpoint::Broadcast),
            _ => self
                .agents
                .get(name)
                .map(|&i| Endpoint::Agent(AgentId(i)))
                .ok_or_else(|| format!("unknown agent `{name}`")),
        }
    }
    pub(crate) fn link_fault(&self, v: &Value) -> R<LinkFault> {
        let until_ms = match v.get("until_ms") {
            None => None,
            Some(_) => Some(self.u64(v, "until_ms")?),
        };
        let link = || -> R<[Endpoint; 2]> {
            let ends =
                self.field(v, "link")?.as_array().filter(|a| a.len() == 2).ok_or("`link` must be two endpoints")?;
            let end = |e: &Value| self.endpoint_named(e.as_str().ok_or("`link` must hold strings")?);
            Ok([end(&ends[0])?, end(&ends[1])?])
        };
        Ok(match self.str(v, "fault")? {
            "drop" => LinkFault::Drop { link: link()?, until_ms },
            "delay" => LinkFault::Delay { link: link()?, delay_ms: self.u64(v, "delay_ms")?, until_ms },
            "partition" => {
                let groups = self.field(v, "groups")?.as_array().ok_or("`groups` must be an array")?;
                let mut out = Vec::with_capacity(groups.len());
                for g in groups {
                    let g = g.as_array().ok_or("each of `groups` must be an array")?;
                    let mut ids = Vec::with_capacity(g.len());
                    for name in g {
                        let name = name.as_str().ok_or("`groups` must hold agent ids")?;
                        ids.push(AgentId(*self.agents.get(name).ok_or_else(|| format!("unknown agent `{name}`"))?));
                    }
                    out.push(ids.into_boxed_slice());
                }
                LinkFault::Partition { groups: out.into(), until_ms }
            }
            _ => LinkFault::Heal,
        })
    }

    pub(crate) fn event(&self, v: &Value) -> R<Event> {
        let seq = self.u64(v, "seq")?;
        let t_ms = self.u64(v, "t_ms")?;
        let name = self.str(v, "kind")?;
        let kind = match self.core_event(name, v)? {
            Some(kind) => kind,
            None => self.protocol_event(name, v)?.ok_or_else(|| format!("unknown event kind `{name}`"))?,
        };
        Ok(Event { seq, t_ms, kind })
    }

    /// A protocol's event: each protocol reads its own kinds (see `protocols/NAME/decode.rs`).
    fn protocol_event(&self, name: &str, v: &Value) -> R<Option<EventKind>> {
        macro_rules! try_protocol {
            ($read:ident, $arm:ident) => {
                if let Some(e) = self.$read(name, v)? {
                    return Ok(Some(EventKind::$arm(e)));
                }
            };
        }
        try_protocol!(team_event, Team);
        try_protocol!(auction_event, Auction);
        try_protocol!(vote_event, Vote);
        try_protocol!(swarm_event, Swarm);
        try_protocol!(elastic_event, Elastic);
        try_protocol!(growth_event, Growth);
        try_protocol!(saga_event, Saga);
        try_protocol!(ladder_event, Ladder);
        try_protocol!(context_event, Context);
        Ok(None)
    }

    /// A core event (tasks, attempts, agents, faults, the operator, the run) from its `kind` name.
    fn core_event(&self, name: &str, v: &Value) -> R<Option<EventKind>> {
        match self.task_event(name, v)? {
            Some(kind) => Ok(Some(kind)),
            None => self.run_event(name, v),
        }
    }

    /// A core event about a task and its attempts.
    fn task_event(&self, name: &str, v: &Value) -> R<Option<EventKind>> {
        Ok(Some(match name {
            "run_started" => EventKind::RunStarted {
                tasks: self.u32(v, "tasks")?,
                agents: self.u32(v, "agents")?,
                seed: self.u64(v, "seed")?,
            },
            "task_ready" => EventKind::TaskReady { task: self.task(v, "task")? },
            "task_assigned" => {
                let s = self.str(v, "strategy")?;
                let strategy = match s {
                    "operator" => None,
                    _ => Some(Strategy::from_name(s).ok_or_else(|| format!("unknown strategy `{s}`"))?),
                };
                EventKind::TaskAssigned { task: self.task(v, "task")?, agent: self.agent(v, "agent")?, strategy }
            }
            "attempt_started" => EventKind::AttemptStarted {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                attempt: self.u32(v, "attempt")?,
                deadline_ms: self.u64(v, "deadline_ms")?,
            },
            "attempt_succeeded" => {
                let (agent, attempt) = (self.agent(v, "agent")?, self.u32(v, "attempt")?);
                // Journals written before task data have no `output`: a simulated one is implied.
                let output = match v.get("output") {
                    Some(o) => Output::from_value(o, self.agent_names[agent.ix()], attempt),
                    None => Output::Sim,
                };
                EventKind::AttemptSucceeded {
                    task: self.task(v, "task")?,
                    agent,
                    attempt,
                    duration_ms: self.u64(v, "duration_ms")?,
                    output,
                }
            }
            "attempt_failed" => EventKind::AttemptFailed {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                attempt: self.u32(v, "attempt")?,
                reason: self.attempt_failure(v)?,
            },
            "attempt_timed_out" => EventKind::AttemptTimedOut {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                attempt: self.u32(v, "attempt")?,
                timeout_ms: self.u64(v, "timeout_ms")?,
            },
            "retry_scheduled" => EventKind::RetryScheduled {
                task: self.task(v, "task")?,
                attempt: self.u32(v, "attempt")?,
                delay_ms: self.u64(v, "delay_ms")?,
                at_ms: self.u64(v, "at_ms")?,
            },
            "task_completed" => EventKind::TaskCompleted {
                task: self.task(v, "task")?,
                agent: if v.get("agent").is_some_and(Value::is_null) { None } else { Some(self.agent(v, "agent")?) },
                attempts: self.u32(v, "attempts")?,
            },
            "task_failed" => {
                let reason = match self.str(v, "reason")? {
                    "attempts_exhausted" => TaskFailure::AttemptsExhausted { attempts: self.u32(v, "attempts")? },
                    "no_live_agent" => TaskFailure::NoLiveAgent,
                    "cancelled" => TaskFailure::Cancelled,
                    "operator" => TaskFailure::Operator,
                    "not_retryable" => TaskFailure::NotRetryable { attempts: self.u32(v, "attempts")? },
                    "unresolved" => TaskFailure::Unresolved,
                    "sla_expired" => TaskFailure::SlaExpired,
                    "rework_limit" => TaskFailure::ReworkLimit,
                    "rejected" => TaskFailure::Rejected,
                    other => return Err(format!("unknown task failure reason `{other}`")),
                };
                EventKind::TaskFailed { task: self.task(v, "task")?, reason }
            }
            "task_skipped" => {
                let r = self.str(v, "reason")?;
                let reason =
                    crate::core::SkipReason::from_code(r).ok_or_else(|| format!("unknown skip reason `{r}`"))?;
                EventKind::TaskSkipped { task: self.task(v, "task")?, cause: self.task(v, "cause")?, reason }
            }
            _ => return Ok(None),
        }))
    }

    /// A core event about agents, faults, the operator or the run as a whole.
    fn run_event(&self, name: &str, v: &Value) -> R<Option<EventKind>> {
        Ok(Some(match name {
            "agent_crashed" => EventKind::AgentCrashed { agent: self.agent(v, "agent")?, origin: self.origin(v)? },
            "agent_exited" => {
                let (status, signal) = exit_of(v);
                EventKind::AgentExited { agent: self.agent(v, "agent")?, status, signal }
            }
            "agent_rejected" => {
                EventKind::AgentRejected { agent: self.agent(v, "agent")?, message: self.str(v, "message")?.into() }
            }
            "protocol_error" => EventKind::ProtocolError {
                agent: self.agent(v, "agent")?,
                message: self.str(v, "error")?.into(),
                line: self.str(v, "line")?.into(),
            },
            "fault_injected" => match self.str(v, "fault")? {
                "hang" => EventKind::FaultInjected { agent: self.agent(v, "agent")?, fault: InjectedFault::Hang },
                "slow" => {
                    let factor = self.field(v, "factor")?.as_f64().ok_or("`factor` must be a number")?;
                    EventKind::FaultInjected { agent: self.agent(v, "agent")?, fault: InjectedFault::Slow { factor } }
                }
                "flaky" => {
                    let rate = self.field(v, "failure_rate")?.as_f64().ok_or("`failure_rate` must be a number")?;
                    EventKind::FaultInjected { agent: self.agent(v, "agent")?, fault: InjectedFault::Flaky { rate } }
                }
                "drop" | "delay" | "partition" | "heal" => EventKind::LinkFaultInjected { fault: self.link_fault(v)? },
                other => return Err(format!("unknown fault `{other}`")),
            },
            "agent_lost" => {
                EventKind::AgentLost { agent: self.agent(v, "agent")?, silent_ms: self.u64(v, "silent_ms")? }
            }
            "breaker_opened" => EventKind::BreakerChanged {
                agent: self.agent(v, "agent")?,
                state: BreakerState::Open { until_ms: self.u64(v, "until_ms")? },
            },
            "breaker_half_open" => {
                EventKind::BreakerChanged { agent: self.agent(v, "agent")?, state: BreakerState::HalfOpen }
            }
            "breaker_closed" => {
                EventKind::BreakerChanged { agent: self.agent(v, "agent")?, state: BreakerState::Closed }
            }
            "agent_revived" => EventKind::AgentRevived { agent: self.agent(v, "agent")?, origin: self.origin(v)? },
            "task_reassigned" => EventKind::TaskReassigned {
                task: self.task(v, "task")?,
                from: self.agent(v, "agent")?,
                reason: self.attempt_failure(v)?,
            },
            "late_result_discarded" => EventKind::LateResultDiscarded {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                attempt: self.u32(v, "attempt")?,
            },
            "command_refused" => {
                let code = self.str(v, "reason")?;
                let task = self.opt_task(v)?;
                let agent = self.opt_agent(v)?;
                let action = match v.get("action") {
                    Some(_) => Some(self.action(v)?),
                    None => None,
                };
                let reason = Refusal::from_code(code, task, agent)
                    .ok_or_else(|| format!("unknown refusal `{code}` (or its task/agent is missing)"))?;
                EventKind::CommandRefused { origin: self.origin(v)?, reason, action }
            }
            "operator_action" => {
                let reason = match v.get("reason") {
                    None | Some(Value::Null) => None,
                    Some(_) => Some(Arc::from(self.str(v, "reason")?)),
                };
                EventKind::OperatorAction { who: Arc::from(self.str(v, "who")?), action: self.action(v)?, reason }
            }
            "task_held" => EventKind::TaskHeld { task: self.task(v, "task")? },
            "task_released" => EventKind::TaskReleased { task: self.task(v, "task")? },
            "task_reopened" => EventKind::TaskReopened { task: self.task(v, "task")? },
            "task_escalated" => EventKind::TaskEscalated {
                task: self.task(v, "task")?,
                origin: self.origin(v)?,
                sla_ms: if v.get("sla_ms").is_some() { Some(self.u64(v, "sla_ms")?) } else { None },
                context: match v.get("history") {
                    Some(_) => Some(Arc::new(self.context(v)?)),
                    None => None,
                },
            },
            "agent_draining" => EventKind::AgentDraining { agent: self.agent(v, "agent")?, origin: self.origin(v)? },
            "run_reopened" => EventKind::RunReopened,
            "horizon_reached" => {
                let limit = self.str(v, "limit")?;
                let limit = HorizonLimit::from_name(limit).ok_or_else(|| format!("unknown horizon limit `{limit}`"))?;
                EventKind::HorizonReached { limit, value: self.u64(v, "value")?, events: self.u64(v, "events")? }
            }
            "run_paused" => EventKind::RunPaused { paused: true },
            "run_resumed" => EventKind::RunPaused { paused: false },
            "message_sent" => EventKind::MessageSent { msg: self.message(v)? },
            "message_dropped" => {
                let cause = self.str(v, "fault")?;
                let cause = DropCause::from_name(cause).ok_or_else(|| format!("unknown drop cause `{cause}`"))?;
                EventKind::MessageDropped { msg: self.message(v)?, cause }
            }
            "coordinator_took_over" => EventKind::CoordinatorTookOver {
                epoch: self.u64(v, "epoch")?,
                holder: Arc::from(self.str(v, "holder")?),
            },
            "run_interrupted" => {
                let name = self.str(v, "signal")?;
                let signal = StopSignal::from_name(name).ok_or_else(|| format!("unknown signal `{name}`"))?;
                EventKind::RunInterrupted { signal }
            }
            "run_finished" => EventKind::RunFinished {
                outcome: match self.str(v, "outcome")? {
                    "succeeded" => Outcome::Succeeded,
                    "failed" => Outcome::Failed,
                    other => return Err(format!("unknown outcome `{other}`")),
                },
                makespan_ms: self.u64(v, "makespan_ms")?,
                completed: self.u32(v, "completed")?,
                failed: self.u32(v, "failed")?,
                skipped: self.u32(v, "skipped")?,
            },
            _ => return Ok(None),
        }))
    }

    pub(crate) fn message(&self, v: &Value) -> R<Message> {
        let ty = self.str(v, "type")?;
        let kind = MsgKind::from_name(ty).ok_or_else(|| format!("unknown message type `{ty}`"))?;
        let p = self.field(v, "payload")?;
        let payload = match kind {
            MsgKind::TaskRequest => Payload::Task {
                task: self.task(v, "task")?,
                attempt: self.u32(v, "attempt")?,
                deadline_ms: self.u64(p, "deadline_ms")?,
                work: self.field(p, "work")?.as_f64().ok_or("`work` must be a number")?,
            },
            MsgKind::TaskResult => {
                let ok = self.field(p, "ok")?.as_bool().ok_or("`ok` must be a boolean")?;
                let error = if ok { None } else { Some(self.agent_error(p)?) };
                Payload::Result { task: self.task(v, "task")?, attempt: self.u32(v, "attempt")?, error }
            }
            MsgKind::Cancel => Payload::Cancel { task: self.task(v, "task")?, attempt: self.u32(v, "attempt")? },
            MsgKind::Status => Payload::Status(match self.str(p, "status")? {
                "run_started" => StatusNote::RunStarted,
                "run_finished" => StatusNote::RunFinished,
                "agent_down" => StatusNote::AgentDown(self.agent(p, "subject")?),
                "agent_up" => StatusNote::AgentUp(self.agent(p, "subject")?),
                other => return Err(format!("unknown status `{other}`")),
            }),
            MsgKind::Heartbeat => Payload::Heartbeat { running: self.u32(p, "running")? },
            MsgKind::Delegate => Payload::Delegate { task: self.task(v, "task")?, level: self.u32(p, "level")? },
            MsgKind::Report => Payload::Report { task: self.task(v, "task")? },
            MsgKind::Cfp | MsgKind::Bid | MsgKind::Decline | MsgKind::Award => self.auction_payload(kind, v, p)?,
            MsgKind::Ballot | MsgKind::Vote => self.vote_payload(kind, v, p)?,
            MsgKind::Broadcast => Payload::Broadcast { text: intern(self.str(p, "text")?) },
            MsgKind::HelpRequest => {
                Payload::HelpRequest { task: self.task(v, "task")?, attempt: self.u32(v, "attempt")? }
            }
            MsgKind::HelpResponse => Payload::HelpResponse {
                task: self.task(v, "task")?,
                attempt: self.u32(v, "attempt")?,
                answered: self.field(p, "answered")?.as_bool().ok_or("`answered` must be a boolean")?,
            },
        };
        let priority = self.u64(v, "priority")?;
        let correlation = match self.field(v, "correlation")? {
            Value::Null => None,
            c => Some(c.as_u64().ok_or("`correlation` must be an integer or null")?),
        };
        Ok(Message {
            // `null` is an agent's message lost before the bus numbered it (see `message_dropped`).
            id: if self.field(v, "msg_id")?.is_null() { 0 } else { self.u64(v, "msg_id")? },
            from: self.endpoint(v, "from")?,
            to: self.endpoint(v, "to")?,
            kind,
            priority: u8::try_from(priority).map_err(|_| "`priority` must be 0..=255".to_string())?,
            correlation,
            payload,
        })
    }
}

/// Parses journal text (JSON lines) into events. Blank lines are ignored; `seq` must count up
/// from 0 without gaps, so a truncated or spliced journal is caught.
pub fn read_journal(scenario: &Scenario, text: &str) -> Result<Vec<Event>, JournalError> {
    let mut reader = LineReader::new(scenario);
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        events.push(reader.read(line).map_err(|message| JournalError { line: i + 1, message })?);
    }
    Ok(events)
}

/// Reads a journal one line at a time, as it arrives (a served run's stream): each line must be
/// the next `seq`, and ids a planner added earlier in the run resolve as they do in a whole file.
pub struct LineReader<'a> {
    resolver: Resolver<'a>,
    next: u64,
}

impl<'a> LineReader<'a> {
    /// A reader for a journal of `scenario` (the one its first line embeds).
    pub fn new(scenario: &'a Scenario) -> LineReader<'a> {
        let resolver = Resolver {
            tasks: scenario.tasks.iter().enumerate().map(|(i, t)| (t.id.as_str(), i as u32)).collect(),
            agents: scenario.agents.iter().enumerate().map(|(i, a)| (a.id.as_str(), i as u32)).collect(),
            agent_names: scenario.agents.iter().map(|a| a.id.as_str()).collect(),
            sagas: scenario.sagas.iter().enumerate().map(|(i, s)| (s.id.as_str(), i as u32)).collect(),
            ctx: ContextIndex::new(scenario),
            added: HashMap::new(),
            count: scenario.tasks.len() as u32,
        };
        LineReader { resolver, next: 0 }
    }

    /// The `seq` the next line must have.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// Decodes the next line (without its `\n`).
    pub fn read(&mut self, line: &str) -> Result<Event, String> {
        let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
        let ev = self.resolver.event(&value)?;
        if ev.seq != self.next {
            return Err(format!("expected seq {}, found {}", self.next, ev.seq));
        }
        let resolver = &mut self.resolver;
        match &ev.kind {
            // The scenario may come from a run that grew: added tasks are numbered from its start.
            EventKind::RunStarted { tasks, .. } => resolver.count = (*tasks).min(resolver.count),
            EventKind::Growth(GrowthEvent::TasksAdded { tasks, .. }) => {
                for t in tasks.iter() {
                    resolver.added.insert(t.id.to_string(), resolver.count);
                    resolver.count += 1;
                }
            }
            _ => {}
        }
        self.next += 1;
        Ok(ev)
    }
}
