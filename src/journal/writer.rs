//! Writes events as JSON lines. See `scenarios/README.md` ("Journal") for every kind and field.

use super::json::{push_f64, push_str, push_u64};
use crate::core::bus::StatusNote;
use crate::core::event::{AttemptFailure, OpAction, TaskFailure};
use crate::core::faults::LinkFault;
use crate::core::state::AttemptEnd;
use crate::core::{AgentId, Endpoint, Event, EventKind, Message, Output, Payload, TaskId};
use crate::protocols::ladder::EscalationContext;
use crate::scenario::{CompactString, Scenario};

/// Task and agent ids, pre-quoted as JSON strings so writing a line copies bytes only.
pub struct Names {
    pub(crate) tasks: Vec<Vec<u8>>,
    pub(crate) agents: Vec<Vec<u8>>,
    pub(crate) sagas: Vec<Vec<u8>>,
    plain_tasks: Vec<CompactString>,
    plain_agents: Vec<String>,
    capabilities: Vec<CompactString>,
    pub(crate) ctx: std::sync::Arc<crate::protocols::context::ContextIndex>,
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

/// `,"KEY":N`
pub(crate) fn num(out: &mut Vec<u8>, key: &str, v: u64) {
    push_key(out, key);
    push_u64(out, v);
}

/// `,"KEY":"TEXT"`
pub(crate) fn text(out: &mut Vec<u8>, key: &str, v: &str) {
    push_key(out, key);
    push_str(out, v);
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
        EventKind::TaskReady { task: t } => names.push_task(out, "task", t),
        EventKind::TaskAssigned { task: t, agent: a, strategy } => {
            names.push_task(out, "task", t);
            names.push_agent(out, "agent", a);
            text(out, "strategy", strategy.map_or("operator", |s| s.name()));
        }
        EventKind::AttemptStarted { task: t, agent: a, attempt, deadline_ms } => {
            attempt_head(names, out, t, a, attempt);
            num(out, "deadline_ms", deadline_ms);
        }
        EventKind::AttemptSucceeded { task: t, agent: a, attempt, duration_ms, ref output } => {
            encode_attempt_succeeded(names, out, t, a, attempt, duration_ms, output)
        }
        EventKind::AttemptFailed { task: t, agent: a, attempt, reason } => {
            attempt_head(names, out, t, a, attempt);
            push_attempt_failure(out, "reason", reason);
        }
        EventKind::AttemptTimedOut { task: t, agent: a, attempt, timeout_ms } => {
            attempt_head(names, out, t, a, attempt);
            num(out, "timeout_ms", timeout_ms);
        }
        EventKind::RetryScheduled { task: t, attempt, delay_ms, at_ms } => {
            names.push_task(out, "task", t);
            num(out, "attempt", attempt as u64);
            num(out, "delay_ms", delay_ms);
            num(out, "at_ms", at_ms);
        }
        EventKind::TaskCompleted { task: t, agent: a, attempts } => encode_task_completed(names, out, t, a, attempts),
        EventKind::TaskFailed { task: t, reason } => encode_task_failed(names, out, t, reason),
        EventKind::TaskSkipped { task: t, cause, reason } => encode_task_skipped(names, out, t, cause, reason),
        EventKind::FaultInjected { agent: a, fault } => encode_fault_injected(names, out, a, fault),
        EventKind::LinkFaultInjected { ref fault } => encode_link_fault(fault, names, out),
        EventKind::MessageDropped { msg, cause } => {
            encode_message(&msg, names, out);
            text(out, "fault", cause.name());
        }
        EventKind::AgentLost { agent: a, silent_ms } => {
            names.push_agent(out, "agent", a);
            num(out, "silent_ms", silent_ms);
        }
        EventKind::BreakerChanged { agent: a, state } => encode_breaker_changed(names, out, a, state),
        EventKind::AgentExited { agent: a, status, signal } => {
            names.push_agent(out, "agent", a);
            push_exit(out, status, signal);
        }
        EventKind::AgentRejected { agent: a, ref message } => {
            names.push_agent(out, "agent", a);
            text(out, "message", message);
        }
        EventKind::ProtocolError { agent: a, ref message, ref line } => {
            names.push_agent(out, "agent", a);
            text(out, "error", message);
            text(out, "line", line);
        }
        EventKind::AgentCrashed { agent: a, origin } | EventKind::AgentRevived { agent: a, origin } => {
            names.push_agent(out, "agent", a);
            text(out, "origin", origin.name());
        }
        EventKind::TaskReassigned { task: t, from, reason } => {
            names.push_task(out, "task", t);
            names.push_agent(out, "agent", from);
            push_attempt_failure(out, "reason", reason);
        }
        EventKind::LateResultDiscarded { task: t, agent: a, attempt } => {
            attempt_head(names, out, t, a, attempt);
        }
        EventKind::CommandRefused { origin, reason, action } => {
            encode_command_refused(names, out, origin, reason, action)
        }
        EventKind::OperatorAction { ref who, action, ref reason } => {
            encode_operator_action(names, out, who, action, reason)
        }
        EventKind::TaskHeld { task: t } | EventKind::TaskReleased { task: t } | EventKind::TaskReopened { task: t } => {
            names.push_task(out, "task", t)
        }
        EventKind::TaskEscalated { task: t, origin, sla_ms, ref context } => {
            encode_task_escalated(names, out, t, origin, sla_ms, context)
        }
        EventKind::AgentDraining { agent: a, origin } => {
            names.push_agent(out, "agent", a);
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
        EventKind::CoordinatorTookOver { epoch, ref holder } => {
            num(out, "epoch", epoch);
            text(out, "holder", holder);
        }
        EventKind::RunFinished { outcome, makespan_ms, completed, failed, skipped } => {
            encode_run_finished(out, outcome, makespan_ms, completed, failed, skipped)
        }
        EventKind::Team(ref e) => crate::protocols::teams::encode::encode(e, names, out),
        EventKind::Auction(ref e) => crate::protocols::auction::encode::encode(e, names, out),
        EventKind::Vote(ref e) => crate::protocols::vote::encode::encode(e, names, out),
        EventKind::Swarm(ref e) => crate::protocols::swarm::encode::encode(e, names, out),
        EventKind::Elastic(ref e) => crate::protocols::elastic::encode::encode(e, names, out),
        EventKind::Growth(ref e) => crate::protocols::growth::encode::encode(e, names, out),
        EventKind::Saga(ref e) => crate::protocols::saga::encode::encode(e, names, out),
        EventKind::Ladder(ref e) => crate::protocols::ladder::encode::encode(e, names, out),
        EventKind::Context(ref e) => crate::protocols::context::encode::encode(e, names, out),
    }
    out.push(b'}');
}

fn encode_attempt_succeeded(
    names: &Names,
    out: &mut Vec<u8>,
    t: TaskId,
    a: AgentId,
    attempt: u32,
    duration_ms: u64,
    output: &Output,
) {
    names.push_task(out, "task", t);
    names.push_agent(out, "agent", a);
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

fn encode_task_failed(names: &Names, out: &mut Vec<u8>, t: TaskId, reason: TaskFailure) {
    names.push_task(out, "task", t);
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
        TaskFailure::Unresolved => text(out, "message", "left in the operator's inbox: no operator in a headless run"),
        TaskFailure::SlaExpired => text(out, "message", "its inbox SLA expired and its ladder says fail"),
        TaskFailure::ReworkLimit => text(out, "message", "its review rejected the work past max_rework"),
        TaskFailure::Rejected => text(out, "message", "its proposal was rejected and it has no on_reject branch"),
        TaskFailure::NoLiveAgent => {
            let cap = &names.capabilities[t.ix()];
            text(out, "message", &format!("no live agent can run capability `{cap}` and none can come back"));
        }
    }
}

fn encode_task_skipped(names: &Names, out: &mut Vec<u8>, t: TaskId, cause: TaskId, reason: crate::core::SkipReason) {
    names.push_task(out, "task", t);
    text(out, "reason", reason.code());
    names.push_task(out, "cause", cause);
    let by = &names.plain_tasks[cause.ix()];
    match reason {
        crate::core::SkipReason::UpstreamFailed => {}
        crate::core::SkipReason::Rejected => text(out, "message", &format!("rejected by {by}")),
        crate::core::SkipReason::NotTaken => text(out, "message", &format!("not taken: {by} approved its proposal")),
    }
}

fn encode_fault_injected(names: &Names, out: &mut Vec<u8>, a: AgentId, fault: crate::core::event::InjectedFault) {
    names.push_agent(out, "agent", a);
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

fn encode_command_refused(
    names: &Names,
    out: &mut Vec<u8>,
    origin: crate::core::Origin,
    reason: crate::core::Refusal,
    action: Option<OpAction>,
) {
    text(out, "origin", origin.name());
    if let Some(action) = action {
        text(out, "action", action.name());
        action_details(out, action);
    }
    let (t, a) = reason.subjects();
    if let Some(t) = t.or(action.and_then(|x| x.task())) {
        names.push_task(out, "task", t);
    }
    if let Some(a) = a.or(action.and_then(|x| x.agent())) {
        names.push_agent(out, "agent", a);
    }
    text(out, "reason", reason.code());
    let message = reason.describe(|t| &names.plain_tasks[t.ix()], |a| &names.plain_agents[a.ix()]);
    text(out, "message", &message);
}

fn encode_operator_action(
    names: &Names,
    out: &mut Vec<u8>,
    who: &str,
    action: OpAction,
    reason: &Option<std::sync::Arc<str>>,
) {
    text(out, "who", who);
    text(out, "action", action.name());
    if let Some(t) = action.task() {
        names.push_task(out, "task", t);
    }
    if let Some(a) = action.agent() {
        names.push_agent(out, "agent", a);
    }
    action_details(out, action);
    if let Some(r) = reason {
        text(out, "reason", r);
    }
}

fn encode_task_escalated(
    names: &Names,
    out: &mut Vec<u8>,
    t: TaskId,
    origin: crate::core::Origin,
    sla_ms: Option<u64>,
    context: &Option<std::sync::Arc<EscalationContext>>,
) {
    names.push_task(out, "task", t);
    text(out, "origin", origin.name());
    if let Some(ms) = sla_ms {
        num(out, "sla_ms", ms);
    }
    if let Some(ctx) = context {
        escalation_context(out, names, ctx);
    }
}

/// `,"task":T,"agent":A,"attempt":N`: the head of every attempt's event.
fn attempt_head(names: &Names, out: &mut Vec<u8>, t: TaskId, a: AgentId, attempt: u32) {
    names.push_task(out, "task", t);
    names.push_agent(out, "agent", a);
    num(out, "attempt", attempt as u64);
}

fn encode_breaker_changed(names: &Names, out: &mut Vec<u8>, a: AgentId, state: crate::core::health::BreakerState) {
    names.push_agent(out, "agent", a);
    if let crate::core::health::BreakerState::Open { until_ms } = state {
        num(out, "until_ms", until_ms);
    }
}

fn encode_task_completed(names: &Names, out: &mut Vec<u8>, t: TaskId, a: Option<AgentId>, attempts: u32) {
    names.push_task(out, "task", t);
    match a {
        Some(a) => names.push_agent(out, "agent", a),
        None => out.extend_from_slice(b",\"agent\":null"),
    }
    num(out, "attempts", attempts as u64);
}

fn encode_run_finished(
    out: &mut Vec<u8>,
    outcome: crate::core::Outcome,
    makespan_ms: u64,
    completed: u32,
    failed: u32,
    skipped: u32,
) {
    text(out, "outcome", outcome.name());
    num(out, "makespan_ms", makespan_ms);
    num(out, "completed", completed as u64);
    num(out, "failed", failed as u64);
    num(out, "skipped", skipped as u64);
}

/// `["retry","other_agent"]`
pub(crate) fn tier_names(out: &mut Vec<u8>, tiers: &[crate::scenario::TierName]) {
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
    text(out, "fault", fault.name());
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

pub(crate) fn encode_message(msg: &Message, names: &Names, out: &mut Vec<u8>) {
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
