//! Writes events as JSON lines. See `scenarios/README.md` ("Journal") for every kind and field.

use super::json::{push_f64, push_str, push_u64};
use crate::core::bus::StatusNote;
use crate::core::event::{AttemptFailure, OpAction, TaskFailure};
use crate::core::event::{ContextEvent, ElasticEvent, GrowthEvent, LadderEvent, SagaEvent, SwarmEvent};
use crate::core::faults::LinkFault;
use crate::core::state::AttemptEnd;
use crate::core::{Endpoint, Event, EventKind, Message, Output, Payload};
use crate::protocols::ladder::EscalationContext;
use crate::scenario::Scenario;

/// Task and agent ids, pre-quoted as JSON strings so writing a line copies bytes only.
pub struct Names {
    pub(crate) tasks: Vec<Vec<u8>>,
    pub(crate) agents: Vec<Vec<u8>>,
    sagas: Vec<Vec<u8>>,
    plain_tasks: Vec<String>,
    plain_agents: Vec<String>,
    capabilities: Vec<String>,
    ctx: std::sync::Arc<crate::protocols::context::ContextIndex>,
    /// The self-contained journal's fields of `run_started` (see [`super::header`]).
    header: Vec<u8>,
}

impl Names {
    pub fn new(scenario: &Scenario) -> Names {
        let quote = |s: &str| {
            let mut v = Vec::with_capacity(s.len() + 2);
            push_str(&mut v, s);
            v
        };
        Names {
            tasks: scenario.tasks.iter().map(|t| quote(&t.id)).collect(),
            agents: scenario.agents.iter().map(|a| quote(&a.id)).collect(),
            sagas: scenario.sagas.iter().map(|s| quote(&s.id)).collect(),
            plain_tasks: scenario.tasks.iter().map(|t| t.id.clone()).collect(),
            plain_agents: scenario.agents.iter().map(|a| a.id.clone()).collect(),
            capabilities: scenario.tasks.iter().map(|t| t.capability.clone()).collect(),
            ctx: std::sync::Arc::new(crate::protocols::context::ContextIndex::new(scenario)),
            header: super::header::encode(scenario),
        }
    }

    /// Adds fields to the header (`run_started`), after the ones every journal has and before
    /// the embedded scenario: `extra` is `,"key":VALUE…`.
    pub fn extend_header(&mut self, extra: &[u8]) {
        super::header::insert_field(&mut self.header, extra);
    }

    /// Writes `,"key":` and the task's quoted id.
    pub(crate) fn push_task(&self, out: &mut Vec<u8>, key: &str, t: crate::core::TaskId) {
        push_key(out, key);
        out.extend_from_slice(&self.tasks[t.ix()]);
    }

    /// Writes `,"key":` and the agent's quoted id.
    pub(crate) fn push_agent(&self, out: &mut Vec<u8>, key: &str, a: crate::core::AgentId) {
        push_key(out, key);
        out.extend_from_slice(&self.agents[a.ix()]);
    }

    /// Takes in the tasks a planner added since (the run's scenario copy grows at the end), if any.
    pub(crate) fn grow(&mut self, scenario: &Scenario) {
        if self.tasks.len() == scenario.tasks.len() {
            return;
        }
        for t in &scenario.tasks[self.tasks.len().min(scenario.tasks.len())..] {
            let mut quoted = Vec::with_capacity(t.id.len() + 2);
            push_str(&mut quoted, &t.id);
            self.tasks.push(quoted);
            self.plain_tasks.push(t.id.clone());
            self.capabilities.push(t.capability.clone());
        }
    }
}

/// Why an attempt ended without a result, under `key`, plus the error or exit details it has.
fn push_attempt_failure(out: &mut Vec<u8>, key: &str, reason: crate::core::event::AttemptFailure) {
    use crate::core::event::AttemptFailure;
    push_key(out, key);
    match reason {
        AttemptFailure::Agent(e) => {
            push_str(out, "agent_error");
            push_error(out, e);
        }
        AttemptFailure::AgentExited { status, signal } => {
            push_str(out, "agent_exited");
            push_exit(out, status, signal);
        }
        r => push_str(out, r.text()),
    }
}

/// `,"KEY":` — what every field after the first starts with.
pub(crate) fn push_key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// `,"exit_status":N,"signal":N` (each `null` when unknown or not applicable).
fn push_exit(out: &mut Vec<u8>, status: Option<i32>, signal: Option<i32>) {
    for (key, v) in [("exit_status", status), ("signal", signal)] {
        push_key(out, key);
        match v {
            Some(v) => out.extend_from_slice(v.to_string().as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
    }
}

/// `,"error":TEXT` and, for a real agent's error, `,"retryable":BOOL`.
fn push_error(out: &mut Vec<u8>, e: crate::core::bus::AgentError) {
    out.extend_from_slice(b",\"error\":");
    push_str(out, e.text());
    if let crate::core::bus::AgentError::Reported { retryable, .. } = e {
        out.extend_from_slice(if retryable { b",\"retryable\":true" } else { b",\"retryable\":false" });
    }
}

/// Appends one event as a JSON object (no newline).
pub fn encode(ev: &Event, names: &Names, out: &mut Vec<u8>) {
    let task = |out: &mut Vec<u8>, key: &str, t: crate::core::TaskId| {
        push_key(out, key);
        out.extend_from_slice(&names.tasks[t.ix()]);
    };
    let agent = |out: &mut Vec<u8>, key: &str, a: crate::core::AgentId| {
        push_key(out, key);
        out.extend_from_slice(&names.agents[a.ix()]);
    };
    let saga = |out: &mut Vec<u8>, s: crate::core::SagaId| {
        out.extend_from_slice(b",\"saga\":");
        out.extend_from_slice(&names.sagas[s.ix()]);
    };
    let num = |out: &mut Vec<u8>, key: &str, v: u64| {
        push_key(out, key);
        push_u64(out, v);
    };
    let text = |out: &mut Vec<u8>, key: &str, v: &str| {
        push_key(out, key);
        push_str(out, v);
    };

    out.extend_from_slice(b"{\"seq\":");
    push_u64(out, ev.seq);
    num(out, "t_ms", ev.t_ms);
    text(out, "kind", ev.kind.name());
    match ev.kind {
        EventKind::RunStarted { tasks, agents, seed } => {
            num(out, "tasks", tasks as u64);
            num(out, "agents", agents as u64);
            num(out, "seed", seed);
            out.extend_from_slice(&names.header);
        }
        EventKind::TaskReady { task: t } => task(out, "task", t),
        EventKind::TaskAssigned { task: t, agent: a, strategy } => {
            task(out, "task", t);
            agent(out, "agent", a);
            text(out, "strategy", strategy.map_or("operator", |s| s.name()));
        }
        EventKind::AttemptStarted { task: t, agent: a, attempt, deadline_ms } => {
            task(out, "task", t);
            agent(out, "agent", a);
            num(out, "attempt", attempt as u64);
            num(out, "deadline_ms", deadline_ms);
        }
        EventKind::AttemptSucceeded { task: t, agent: a, attempt, duration_ms, ref output } => {
            task(out, "task", t);
            agent(out, "agent", a);
            num(out, "attempt", attempt as u64);
            num(out, "duration_ms", duration_ms);
            out.extend_from_slice(b",\"output\":");
            match output {
                Output::Sim => {
                    out.extend_from_slice(b"{\"agent\":");
                    out.extend_from_slice(&names.agents[a.ix()]);
                    out.extend_from_slice(b",\"attempt\":");
                    push_u64(out, attempt as u64);
                    out.extend_from_slice(b",\"simulated\":true}");
                }
                Output::Json(text) => out.extend_from_slice(text.as_bytes()),
            }
        }
        EventKind::AttemptFailed { task: t, agent: a, attempt, reason } => {
            task(out, "task", t);
            agent(out, "agent", a);
            num(out, "attempt", attempt as u64);
            push_attempt_failure(out, "reason", reason);
        }
        EventKind::AttemptTimedOut { task: t, agent: a, attempt, timeout_ms } => {
            task(out, "task", t);
            agent(out, "agent", a);
            num(out, "attempt", attempt as u64);
            num(out, "timeout_ms", timeout_ms);
        }
        EventKind::RetryScheduled { task: t, attempt, delay_ms, at_ms } => {
            task(out, "task", t);
            num(out, "attempt", attempt as u64);
            num(out, "delay_ms", delay_ms);
            num(out, "at_ms", at_ms);
        }
        EventKind::TaskCompleted { task: t, agent: a, attempts } => {
            task(out, "task", t);
            match a {
                Some(a) => agent(out, "agent", a),
                None => out.extend_from_slice(b",\"agent\":null"),
            }
            num(out, "attempts", attempts as u64);
        }
        EventKind::TaskFailed { task: t, reason } => {
            task(out, "task", t);
            text(out, "reason", reason.code());
            match reason {
                TaskFailure::AttemptsExhausted { attempts } => {
                    num(out, "attempts", attempts as u64);
                    text(out, "message", &format!("all {attempts} allowed attempts failed"));
                }
                TaskFailure::Cancelled => text(out, "message", "cancelled by an operator"),
                TaskFailure::NotRetryable { attempts } => {
                    num(out, "attempts", attempts as u64);
                    text(out, "message", &format!("attempt {attempts} reported an error that is not retryable"));
                }
                TaskFailure::Operator => text(out, "message", "failed by an operator resolving its inbox item"),
                TaskFailure::Unresolved => {
                    text(out, "message", "left in the operator's inbox: no operator in a headless run")
                }
                TaskFailure::SlaExpired => text(out, "message", "its inbox SLA expired and its ladder says fail"),
                TaskFailure::ReworkLimit => text(out, "message", "its review rejected the work past max_rework"),
                TaskFailure::Rejected => {
                    text(out, "message", "its proposal was rejected and it has no on_reject branch")
                }
                TaskFailure::NoLiveAgent => {
                    let cap = &names.capabilities[t.ix()];
                    text(out, "message", &format!("no live agent can run capability `{cap}` and none can come back"));
                }
            }
        }
        EventKind::TaskSkipped { task: t, cause, reason } => {
            task(out, "task", t);
            text(out, "reason", reason.code());
            task(out, "cause", cause);
            let by = &names.plain_tasks[cause.ix()];
            match reason {
                crate::core::SkipReason::UpstreamFailed => {}
                crate::core::SkipReason::Rejected => text(out, "message", &format!("rejected by {by}")),
                crate::core::SkipReason::NotTaken => {
                    text(out, "message", &format!("not taken: {by} approved its proposal"))
                }
            }
        }
        EventKind::FaultInjected { agent: a, fault } => {
            agent(out, "agent", a);
            text(out, "fault", fault.name());
            match fault {
                crate::core::event::InjectedFault::Slow { factor } => {
                    out.extend_from_slice(b",\"factor\":");
                    push_f64(out, factor);
                }
                crate::core::event::InjectedFault::Flaky { rate } => {
                    out.extend_from_slice(b",\"failure_rate\":");
                    push_f64(out, rate);
                }
                crate::core::event::InjectedFault::Hang => {}
            }
        }
        EventKind::LinkFaultInjected { ref fault } => {
            text(out, "fault", fault.name());
            encode_link_fault(fault, names, out);
        }
        EventKind::MessageDropped { msg, cause } => {
            encode_message(&msg, names, out);
            text(out, "fault", cause.name());
        }
        EventKind::AgentLost { agent: a, silent_ms } => {
            agent(out, "agent", a);
            num(out, "silent_ms", silent_ms);
        }
        EventKind::BreakerChanged { agent: a, state } => {
            agent(out, "agent", a);
            if let crate::core::health::BreakerState::Open { until_ms } = state {
                num(out, "until_ms", until_ms);
            }
        }
        EventKind::AgentExited { agent: a, status, signal } => {
            agent(out, "agent", a);
            push_exit(out, status, signal);
        }
        EventKind::AgentRejected { agent: a, ref message } => {
            agent(out, "agent", a);
            text(out, "message", message);
        }
        EventKind::ProtocolError { agent: a, ref message, ref line } => {
            agent(out, "agent", a);
            text(out, "error", message);
            text(out, "line", line);
        }
        EventKind::AgentCrashed { agent: a, origin } | EventKind::AgentRevived { agent: a, origin } => {
            agent(out, "agent", a);
            text(out, "origin", origin.name());
        }
        EventKind::TaskReassigned { task: t, from, reason } => {
            task(out, "task", t);
            agent(out, "agent", from);
            push_attempt_failure(out, "reason", reason);
        }
        EventKind::LateResultDiscarded { task: t, agent: a, attempt } => {
            task(out, "task", t);
            agent(out, "agent", a);
            num(out, "attempt", attempt as u64);
        }
        EventKind::CommandRefused { origin, reason, action } => {
            text(out, "origin", origin.name());
            if let Some(action) = action {
                text(out, "action", action.name());
                action_details(out, action);
            }
            let (t, a) = reason.subjects();
            if let Some(t) = t.or(action.and_then(|x| x.task())) {
                task(out, "task", t);
            }
            if let Some(a) = a.or(action.and_then(|x| x.agent())) {
                agent(out, "agent", a);
            }
            text(out, "reason", reason.code());
            let message = reason.describe(|t| &names.plain_tasks[t.ix()], |a| &names.plain_agents[a.ix()]);
            text(out, "message", &message);
        }
        EventKind::OperatorAction { ref who, action, ref reason } => {
            text(out, "who", who);
            text(out, "action", action.name());
            if let Some(t) = action.task() {
                task(out, "task", t);
            }
            if let Some(a) = action.agent() {
                agent(out, "agent", a);
            }
            action_details(out, action);
            if let Some(r) = reason {
                text(out, "reason", r);
            }
        }
        EventKind::TaskHeld { task: t } | EventKind::TaskReleased { task: t } | EventKind::TaskReopened { task: t } => {
            task(out, "task", t)
        }
        EventKind::TaskEscalated { task: t, origin, sla_ms, ref context } => {
            task(out, "task", t);
            text(out, "origin", origin.name());
            if let Some(ms) = sla_ms {
                num(out, "sla_ms", ms);
            }
            if let Some(ctx) = context {
                escalation_context(out, names, ctx);
            }
        }
        EventKind::Ladder(LadderEvent::TierEntered { task: t, tier, level, limit, ref passed }) => {
            task(out, "task", t);
            text(out, "tier", tier.name());
            num(out, "level", level as u64);
            num(out, "limit", limit as u64);
            out.extend_from_slice(b",\"passed\":");
            tier_names(out, passed);
        }
        EventKind::Ladder(LadderEvent::InboxSlaExpired { task: t, action }) => {
            task(out, "task", t);
            text(out, "action", action.name());
        }
        EventKind::AgentDraining { agent: a, origin } => {
            agent(out, "agent", a);
            text(out, "origin", origin.name());
        }
        EventKind::RunReopened | EventKind::RunPaused { .. } => {}
        EventKind::HorizonReached { limit, value, events } => {
            text(out, "limit", limit.name());
            num(out, "value", value);
            num(out, "events", events);
        }
        EventKind::MessageSent { msg } => encode_message(&msg, names, out),
        EventKind::RunInterrupted { signal } => text(out, "signal", signal.name()),
        EventKind::RunFinished { outcome, makespan_ms, completed, failed, skipped } => {
            text(out, "outcome", outcome.name());
            num(out, "makespan_ms", makespan_ms);
            num(out, "completed", completed as u64);
            num(out, "failed", failed as u64);
            num(out, "skipped", skipped as u64);
        }
        EventKind::Saga(SagaEvent::SagaCompleted { saga: s }) => saga(out, s),
        EventKind::Saga(SagaEvent::SagaFailed { saga: s, cause }) => {
            saga(out, s);
            task(out, "cause", cause);
        }
        EventKind::Saga(SagaEvent::CompensationStarted { saga: s, task: t, step }) => {
            task(out, "task", t);
            saga(out, s);
            task(out, "step", step);
        }
        EventKind::Saga(SagaEvent::SagaCompensated { saga: s, compensated, failed }) => {
            saga(out, s);
            num(out, "compensated", compensated as u64);
            num(out, "failed", failed as u64);
        }
        EventKind::Team(ref e) => crate::protocols::teams::encode::encode(e, names, out),
        EventKind::Growth(GrowthEvent::TasksAdded { by, ref tasks, ref edges }) => {
            task(out, "by", by);
            push_key(out, "tasks");
            out.extend_from_slice(serde_json::to_string(&**tasks).expect("task specs serialize").as_bytes());
            push_key(out, "edges");
            out.push(b'[');
            for (i, &(from, to)) in edges.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"[" } else { b",[" });
                out.extend_from_slice(&names.tasks[from.ix()]);
                out.push(b',');
                out.extend_from_slice(&names.tasks[to.ix()]);
                out.push(b']');
            }
            out.push(b']');
        }
        EventKind::Growth(GrowthEvent::DecompositionRejected { task: t, agent: a, attempt, ref errors }) => {
            task(out, "task", t);
            agent(out, "agent", a);
            num(out, "attempt", attempt as u64);
            push_key(out, "errors");
            out.push(b'[');
            for (i, e) in errors.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_str(out, e);
            }
            out.push(b']');
        }
        ref k if crate::protocols::auction::encode::encode_event(k, names, out) => {}
        ref k @ (EventKind::Swarm(SwarmEvent::TaskPosted { .. })
        | EventKind::Swarm(SwarmEvent::SwarmTick { .. })
        | EventKind::Swarm(SwarmEvent::TaskClaimed { .. })
        | EventKind::Swarm(SwarmEvent::ClaimRefused { .. })
        | EventKind::Swarm(SwarmEvent::ThresholdChanged { .. })
        | EventKind::Elastic(ElasticEvent::AgentCreated { .. })
        | EventKind::Elastic(ElasticEvent::AgentRetired { .. })) => {
            crate::protocols::swarm::encode::encode(k, names, out)
        }
        ref k => encode_context(k, names, out),
    }
    out.push(b'}');
}

/// The shared-context kinds (see `core::context`), field for field as `scenarios/JOURNAL.md` lists them.
fn encode_context(kind: &EventKind, names: &Names, out: &mut Vec<u8>) {
    let ix = &names.ctx;
    let text = |out: &mut Vec<u8>, key: &str, v: &str| {
        push_key(out, key);
        push_str(out, v);
    };
    let num = |out: &mut Vec<u8>, key: &str, v: u64| {
        push_key(out, key);
        push_u64(out, v);
    };
    let task = |out: &mut Vec<u8>, t: crate::core::TaskId| {
        push_key(out, "task");
        out.extend_from_slice(&names.tasks[t.ix()]);
    };
    let agent = |out: &mut Vec<u8>, a: crate::core::AgentId| {
        push_key(out, "agent");
        out.extend_from_slice(&names.agents[a.ix()]);
    };
    match *kind {
        EventKind::Context(ContextEvent::LockWaiting { lock, task: t, agent: a, position }) => {
            text(out, "resource", ix.lock(lock));
            task(out, t);
            agent(out, a);
            num(out, "position", position as u64);
        }
        EventKind::Context(ContextEvent::LockGranted { lock, task: t, agent: a, token, expires_ms }) => {
            text(out, "resource", ix.lock(lock));
            task(out, t);
            agent(out, a);
            num(out, "token", token);
            num(out, "expires_ms", expires_ms);
        }
        EventKind::Context(ContextEvent::LockReleased { lock, task: t, agent: a, token })
        | EventKind::Context(ContextEvent::LockExpired { lock, task: t, agent: a, token }) => {
            text(out, "resource", ix.lock(lock));
            task(out, t);
            agent(out, a);
            num(out, "token", token);
        }
        EventKind::Context(ContextEvent::LockWithdrawn { lock, task: t, agent: a }) => {
            text(out, "resource", ix.lock(lock));
            task(out, t);
            agent(out, a);
        }
        EventKind::Context(ContextEvent::ContextRead { task: t, agent: a, attempt, ref versions }) => {
            task(out, t);
            agent(out, a);
            num(out, "attempt", attempt as u64);
            push_key(out, "versions");
            out.push(b'{');
            for (i, &(k, v)) in versions.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_str(out, ix.key(k));
                out.push(b':');
                push_u64(out, v);
            }
            out.push(b'}');
        }
        EventKind::Context(ContextEvent::ContextWritten { key, task: t, agent: a, version, token, ref value }) => {
            text(out, "key", ix.key(key));
            task(out, t);
            agent(out, a);
            num(out, "version", version);
            if let Some(token) = token {
                num(out, "token", token);
            }
            push_key(out, "value");
            out.extend_from_slice(value.to_string().as_bytes());
        }
        EventKind::Context(ContextEvent::ContextConflict {
            key,
            task: t,
            agent: a,
            read_version,
            current_version,
            policy,
        }) => {
            text(out, "key", ix.key(key));
            task(out, t);
            agent(out, a);
            num(out, "read_version", read_version);
            num(out, "current_version", current_version);
            text(out, "policy", policy.name());
        }
        EventKind::Context(ContextEvent::WriteRejected { key, task: t, agent: a, lock, token, current_token }) => {
            text(out, "key", ix.key(key));
            task(out, t);
            agent(out, a);
            text(out, "resource", ix.lock(lock));
            num(out, "token", token);
            num(out, "current_token", current_token);
        }
        EventKind::Context(ContextEvent::LeaderElected { group, agent: a, term })
        | EventKind::Context(ContextEvent::LeaderLost { group, agent: a, term }) => {
            text(out, "group", ix.group(group));
            agent(out, a);
            num(out, "term", term);
        }
        EventKind::Context(ContextEvent::MessageDeadLettered { msg, reason }) => {
            encode_message(&msg, names, out);
            text(out, "reason", reason.name());
        }
        ref other => {
            crate::protocols::vote::encode::encode_event(other, names, out);
        }
    }
}

/// `["retry","other_agent"]`
fn tier_names(out: &mut Vec<u8>, tiers: &[crate::scenario::TierName]) {
    out.push(b'[');
    for (i, t) in tiers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, t.name());
    }
    out.push(b']');
}

/// `tiers` and `history` of a task the ladder escalated: each attempt with its agent and outcome.
fn escalation_context(out: &mut Vec<u8>, names: &Names, ctx: &EscalationContext) {
    out.extend_from_slice(b",\"tiers\":");
    tier_names(out, &ctx.tiers);
    out.extend_from_slice(b",\"history\":[");
    for (i, note) in ctx.history.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"attempt\":");
        push_u64(out, note.attempt as u64);
        out.extend_from_slice(b",\"agent\":");
        out.extend_from_slice(&names.agents[note.agent.ix()]);
        match note.end {
            AttemptEnd::Failed(f) => push_attempt_failure(out, "outcome", f),
            end => {
                out.extend_from_slice(b",\"outcome\":");
                push_str(out, outcome_of(end).0);
            }
        }
        out.push(b'}');
    }
    out.push(b']');
    if let Some(note) = &ctx.note {
        out.extend_from_slice(b",\"note\":");
        push_str(out, note);
    }
}

/// An attempt's end as the journal names it (`agent_error` with its error text).
pub fn outcome_of(end: AttemptEnd) -> (&'static str, Option<&'static str>) {
    match end {
        AttemptEnd::Running => ("running", None),
        AttemptEnd::Succeeded => ("succeeded", None),
        AttemptEnd::TimedOut => ("timed_out", None),
        AttemptEnd::Failed(AttemptFailure::Agent(e)) => ("agent_error", Some(e.text())),
        AttemptEnd::Failed(f) => (f.text(), None),
    }
}

/// The parameters of an operator action beyond its task and agent.
fn action_details(out: &mut Vec<u8>, action: OpAction) {
    match action {
        OpAction::Speed(x) => {
            out.extend_from_slice(b",\"speed\":");
            push_f64(out, x);
        }
        OpAction::Resolve(_, r) => {
            out.extend_from_slice(b",\"resolution\":");
            push_str(out, r.name());
        }
        OpAction::Slow(_, f) => {
            out.extend_from_slice(b",\"factor\":");
            push_f64(out, f);
        }
        OpAction::Flaky(_, r) => {
            out.extend_from_slice(b",\"failure_rate\":");
            push_f64(out, r);
        }
        OpAction::CastVote(_, c) => {
            out.extend_from_slice(b",\"choice\":");
            push_str(out, c.name());
        }
        _ => {}
    }
}

/// `link` / `delay_ms` / `groups` and `until_ms` of a link fault (its `fault` name is written already).
fn encode_link_fault(fault: &LinkFault, names: &Names, out: &mut Vec<u8>) {
    let link = |out: &mut Vec<u8>, [a, b]: [Endpoint; 2]| {
        out.extend_from_slice(b",\"link\":[");
        endpoint(out, names, a);
        out.push(b',');
        endpoint(out, names, b);
        out.push(b']');
    };
    match fault {
        LinkFault::Drop { link: l, .. } => link(out, *l),
        LinkFault::Delay { link: l, delay_ms, .. } => {
            link(out, *l);
            out.extend_from_slice(b",\"delay_ms\":");
            push_u64(out, *delay_ms);
        }
        LinkFault::Partition { groups, .. } => {
            out.extend_from_slice(b",\"groups\":[");
            for (i, group) in groups.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"[" } else { b",[" });
                for (j, a) in group.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(&names.agents[a.ix()]);
                }
                out.push(b']');
            }
            out.push(b']');
        }
        LinkFault::Heal => {}
    }
    if let Some(until) = fault.until_ms() {
        out.extend_from_slice(b",\"until_ms\":");
        push_u64(out, until);
    }
}

fn endpoint(out: &mut Vec<u8>, names: &Names, e: Endpoint) {
    match e {
        Endpoint::Coordinator => out.extend_from_slice(b"\"coordinator\""),
        Endpoint::Broadcast => out.extend_from_slice(b"\"*\""),
        Endpoint::Agent(a) => out.extend_from_slice(&names.agents[a.ix()]),
    }
}

fn encode_message(msg: &Message, names: &Names, out: &mut Vec<u8>) {
    // `task` / `agent` / `attempt` at top level make messages easy to filter like other events.
    let party = match (msg.from, msg.to) {
        (Endpoint::Agent(a), _) | (_, Endpoint::Agent(a)) => Some(a),
        _ => None,
    };
    let (task, attempt) = match msg.payload {
        Payload::Task { task, attempt, .. }
        | Payload::Result { task, attempt, .. }
        | Payload::Cancel { task, attempt } => (Some(task), Some(attempt)),
        Payload::Delegate { task, .. } | Payload::Report { task } => (Some(task), None),
        Payload::HelpRequest { task, attempt } | Payload::HelpResponse { task, attempt, .. } => {
            (Some(task), Some(attempt))
        }
        Payload::Cfp { task, .. } | Payload::Award { task, .. } => (Some(task), None),
        Payload::Ballot { task, .. } | Payload::Vote { task, .. } => (Some(task), None),
        _ => (None, None),
    };
    if let Some(t) = task {
        out.extend_from_slice(b",\"task\":");
        out.extend_from_slice(&names.tasks[t.ix()]);
    }
    if let Some(a) = party {
        out.extend_from_slice(b",\"agent\":");
        out.extend_from_slice(&names.agents[a.ix()]);
    }
    if let Some(n) = attempt {
        out.extend_from_slice(b",\"attempt\":");
        push_u64(out, n as u64);
    }
    out.extend_from_slice(b",\"msg_id\":");
    // Numbers start at 1: 0 is an agent's message that a fault lost before the bus numbered it.
    match msg.id {
        0 => out.extend_from_slice(b"null"),
        id => push_u64(out, id),
    }
    out.extend_from_slice(b",\"from\":");
    endpoint(out, names, msg.from);
    out.extend_from_slice(b",\"to\":");
    endpoint(out, names, msg.to);
    out.extend_from_slice(b",\"type\":");
    push_str(out, msg.kind.name());
    out.extend_from_slice(b",\"priority\":");
    push_u64(out, msg.priority as u64);
    out.extend_from_slice(b",\"correlation\":");
    match msg.correlation {
        Some(c) => push_u64(out, c),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"payload\":{");
    match msg.payload {
        Payload::Task { deadline_ms, work, .. } => {
            out.extend_from_slice(b"\"deadline_ms\":");
            push_u64(out, deadline_ms);
            out.extend_from_slice(b",\"work\":");
            push_f64(out, work);
        }
        Payload::Result { error, .. } => {
            out.extend_from_slice(b"\"ok\":");
            match error {
                None => out.extend_from_slice(b"true"),
                Some(e) => {
                    out.extend_from_slice(b"false");
                    push_error(out, e);
                }
            }
        }
        Payload::Cancel { .. } => {}
        Payload::Status(note) => {
            out.extend_from_slice(b"\"status\":");
            let (name, who) = match note {
                StatusNote::RunStarted => ("run_started", None),
                StatusNote::AgentDown(a) => ("agent_down", Some(a)),
                StatusNote::AgentUp(a) => ("agent_up", Some(a)),
                StatusNote::RunFinished => ("run_finished", None),
            };
            push_str(out, name);
            if let Some(a) = who {
                out.extend_from_slice(b",\"subject\":");
                out.extend_from_slice(&names.agents[a.ix()]);
            }
        }
        Payload::Heartbeat { running } => {
            out.extend_from_slice(b"\"running\":");
            push_u64(out, running as u64);
        }
        Payload::Delegate { level, .. } => {
            out.extend_from_slice(b"\"level\":");
            push_u64(out, level as u64);
        }
        Payload::Report { .. } | Payload::HelpRequest { .. } => {}
        Payload::Broadcast { text } => {
            out.extend_from_slice(b"\"text\":");
            push_str(out, text);
        }
        Payload::HelpResponse { answered, .. } => {
            out.extend_from_slice(if answered { b"\"answered\":true" } else { b"\"answered\":false" });
        }
        ref p @ (Payload::Ballot { .. } | Payload::Vote { .. }) => {
            crate::protocols::vote::encode::encode_payload(p, out);
        }
        ref p => {
            crate::protocols::auction::encode::encode_payload(p, out);
        }
    }
    out.extend_from_slice(b"}");
}
