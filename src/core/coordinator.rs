//! The coordinator: a sans-IO state machine that runs a workflow.
//!
//! Drivers feed it inputs — [`Coordinator::handle_message`] (an agent spoke),
//! [`Coordinator::handle_timeout`] (time passed), [`Coordinator::handle_command`] (a fault or an
//! operator) — each with the current time, and collect its outputs: messages to deliver
//! ([`Coordinator::poll_transmit`]), the next instant it wants to be woken
//! ([`Coordinator::poll_timeout`]) and the events describing what changed
//! ([`Coordinator::drain_events`]). It owns no clock, thread, socket or file.

use std::cmp::Reverse;
use std::collections::VecDeque;

use super::bus::{Endpoint, Message, MsgKind, Payload, StatusNote};
use super::event::{AttemptFailure, Event, EventKind, Origin, Outcome, Refusal, SkipReason, TaskFailure};
use super::health::BreakerState;
use super::ids::{AgentId, TaskId};
use super::output::Output;
use super::state::{State, TaskState};
use super::timers::Timer;
use super::workflow::Workflow;
use crate::rng;
use crate::scenario::{Scenario, Strategy};

/// How an agent went down.
#[derive(Debug, Clone)]
pub(crate) enum Down {
    Crashed(Origin),
    Lost {
        silent_ms: u64,
    },
    /// Its process ended.
    Exited {
        status: Option<i32>,
        signal: Option<i32>,
    },
    /// Refused at its handshake, or faulty.
    Rejected(std::sync::Arc<str>),
}

/// What dispatching a ready task came to.
enum Placement {
    /// Assign it to this agent now.
    Agent(AgentId),
    /// Its protocol took it (an auction opened for it).
    Elsewhere,
    /// No agent fits yet: back in its queue once no class can move.
    Parked,
}

/// Something asked of the coordinator from outside the agent protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    CrashAgent(AgentId),
    ReviveAgent(AgentId),
}

/// Cloning it is cheap where it can be (a replay keeps snapshots): the scenario is shared until a
/// planner grows it.
#[derive(Clone)]
pub struct Coordinator {
    pub(crate) scenario: std::sync::Arc<Scenario>,
    pub(crate) wf: Workflow,
    pub(crate) state: State,
    events: Vec<Event>,
    /// Whether emitted events are kept for the driver to drain (a headless run without a journal
    /// has no use for them: see [`Coordinator::set_keep_events`]).
    keep_events: bool,
    pub(crate) outbox: VecDeque<Message>,
    /// Reused buffer for tasks released by a completion.
    scratch: Vec<TaskId>,
}

impl Coordinator {
    /// A coordinator for a validated scenario, before [`Coordinator::start`].
    pub fn new(scenario: Scenario) -> Coordinator {
        let wf = Workflow::new(&scenario);
        let state = State::new(&scenario, &wf);
        let scenario = std::sync::Arc::new(scenario);
        Coordinator {
            scenario,
            wf,
            state,
            events: Vec::new(),
            keep_events: true,
            outbox: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    /// Rebuilds a coordinator by folding recorded events into a fresh one.
    pub fn from_events<'a>(scenario: Scenario, events: impl IntoIterator<Item = &'a Event>) -> Coordinator {
        let mut events = events.into_iter().peekable();
        let mut scenario = scenario;
        // A scenario taken from a run that grew (`Coordinator::scenario`) has the tasks its
        // planners added at the end: the run started without them, and its events add them again.
        if let Some(Event { kind: EventKind::RunStarted { tasks, .. }, .. }) = events.peek() {
            scenario.tasks.truncate(*tasks as usize);
        }
        let mut c = Coordinator::new(scenario);
        for ev in events {
            c.fold(ev);
        }
        c
    }

    /// A what-if branch goes on under another seed: every draw from now on is made with it (the
    /// draws are functions of the seed and what is drawn, see `rng`).
    pub fn reseed(&mut self, seed: u64) {
        std::sync::Arc::make_mut(&mut self.scenario).seed = seed;
    }

    /// A what-if branch's agents from index `first` on joined the run at `now` (they were not in
    /// its events): they are heard from now, so the heartbeat watchdog counts from their arrival.
    pub fn welcome_agents(&mut self, first: usize, now: u64) {
        for a in first..self.state.agents.len() {
            self.state.heard_from(AgentId(a as u32), now);
        }
    }

    /// Folds one recorded event into the state (what [`Coordinator::from_events`] does for each):
    /// a replay moving forward on its timeline.
    pub fn apply_recorded(&mut self, ev: &Event) {
        self.fold(ev);
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn workflow(&self) -> &Workflow {
        &self.wf
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn is_finished(&self) -> bool {
        self.state.finished.is_some()
    }

    pub fn task_name(&self, t: TaskId) -> &str {
        &self.scenario.tasks[t.ix()].id
    }

    pub fn agent_name(&self, a: AgentId) -> &str {
        &self.scenario.agents[a.ix()].id
    }

    /// Events produced since the last call, in order.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, Event> {
        self.events.drain(..)
    }

    /// Events produced since the last drain, without draining them.
    pub fn pending_events(&self) -> &[Event] {
        &self.events
    }

    /// Whether events are kept for [`Coordinator::drain_events`] (the default) or only folded into
    /// the state and dropped: a driver whose events go nowhere saves buffering every one of them.
    pub fn set_keep_events(&mut self, keep: bool) {
        self.keep_events = keep;
    }

    /// Moves the pending events into `buf` (which must be empty) without copying them.
    pub fn take_events(&mut self, buf: &mut Vec<Event>) {
        debug_assert!(buf.is_empty());
        std::mem::swap(&mut self.events, buf);
    }

    /// The next message to deliver to an agent (or to every agent, for a broadcast).
    pub fn poll_transmit(&mut self) -> Option<Message> {
        self.outbox.pop_front()
    }

    /// The earliest instant at which [`Coordinator::handle_timeout`] has work to do.
    pub fn poll_timeout(&mut self) -> Option<u64> {
        match (self.poll_work_timeout(), self.poll_watchdog()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next timer that can move the workflow (deadlines, retries, breaker probes) — not the
    /// heartbeat watchdog, which runs as long as agents do. `None` means only agents, faults or an
    /// operator can change the run.
    pub fn poll_work_timeout(&mut self) -> Option<u64> {
        while let Some((at, _, timer)) = self.state.timers.peek() {
            if self.state.timer_is_live(timer) {
                return Some(at);
            }
            self.state.timers.pop();
        }
        None
    }

    fn poll_watchdog(&mut self) -> Option<u64> {
        while let Some((at, _, timer)) = self.state.watchdog.peek() {
            if self.state.timer_is_live(timer) {
                return Some(at);
            }
            self.state.watchdog.pop();
        }
        None
    }

    pub(crate) fn emit(&mut self, now: u64, kind: EventKind) {
        // Time never goes back: an operator command between two simulated instants still lands after
        // the last event.
        let ev = Event { seq: self.state.next_seq, t_ms: now.max(self.state.now_ms), kind };
        self.fold(&ev);
        // An attempt that ended releases its locks, unless its agent is down (its leases run out).
        let ended = match ev.kind {
            _ if self.state.ctx.index.locks.is_empty() => None,
            EventKind::AttemptSucceeded { task, attempt, .. } | EventKind::AttemptTimedOut { task, attempt, .. } => {
                Some((task, attempt))
            }
            EventKind::AttemptFailed { task, attempt, reason, .. }
                if !matches!(
                    reason,
                    AttemptFailure::AgentCrashed | AttemptFailure::AgentLost | AttemptFailure::AgentExited { .. }
                ) =>
            {
                Some((task, attempt))
            }
            _ => None,
        };
        if self.keep_events {
            self.events.push(ev);
        }
        if let Some((task, attempt)) = ended {
            self.release_locks(now, task, attempt);
        }
    }

    /// Puts a message on the bus: numbers it, records it, and queues it for delivery.
    pub(crate) fn send(&mut self, now: u64, to: Endpoint, kind: MsgKind, correlation: Option<u64>, payload: Payload) {
        let down = matches!(to, Endpoint::Agent(a) if !self.state.agents[a.ix()].alive);
        let msg = Message {
            id: self.state.next_msg_id,
            from: Endpoint::Coordinator,
            to,
            kind,
            priority: kind.default_priority(),
            correlation,
            payload,
        };
        if down {
            self.dead_letter(now, msg, crate::protocols::context::DeadReason::ReceiverDown);
            return;
        }
        self.emit(now, EventKind::MessageSent { msg });
        self.outbox.push_back(msg);
    }

    /// Starts the run: announces it, makes the root tasks ready and assigns what it can.
    pub fn start(&mut self, now: u64) {
        self.announce(now);
        self.dispatch(now);
    }

    /// [`Coordinator::start`] without the first assignments.
    pub(crate) fn announce(&mut self, now: u64) {
        let kind = EventKind::RunStarted {
            tasks: self.wf.task_count() as u32,
            agents: self.scenario.agents.len() as u32,
            seed: self.scenario.seed,
        };
        self.emit(now, kind);
        self.send(now, Endpoint::Broadcast, MsgKind::Status, None, Payload::Status(StatusNote::RunStarted));
        self.elect_vacant(now);
        for i in 0..self.wf.task_count() {
            if self.state.tasks[i].remaining_deps == 0 && !self.state.tasks[i].state.is_dormant() {
                self.make_ready(now, TaskId(i as u32));
            }
        }
        self.check_finished(now);
    }

    /// A message from an agent; a successful result carries a simulated agent's output.
    pub fn handle_message(&mut self, now: u64, msg: Message) {
        self.handle_result(now, msg, Output::Sim);
    }

    /// A message from an agent; if it is a successful result, `output` is what the agent returned.
    pub fn handle_result(&mut self, now: u64, mut msg: Message, output: Output) {
        msg.id = self.state.next_msg_id;
        self.emit(now, EventKind::MessageSent { msg });
        let Endpoint::Agent(agent) = msg.from else { return };
        let a = &self.state.agents[agent.ix()];
        if !a.alive && a.lost {
            // It was given up for silent, and speaks again: it is back (its old work is not).
            tracing::info!("{} agent {} is back", clock(now), self.agent_name(agent));
            self.revive_agent(now, agent, Origin::Detected);
        }
        if let Payload::Vote { task, choice, reason } = msg.payload {
            self.on_vote(now, agent, task, choice, reason);
        }
        if let Payload::Result { task, attempt, error } = msg.payload {
            let t = &self.state.tasks[task.ix()];
            let current = t.state == TaskState::Running
                && t.attempts == attempt
                && t.agent == Some(agent)
                && self.state.attempt_running(task);
            if !current {
                if error.is_none() {
                    self.late_write(now, task, agent, attempt);
                }
                self.emit(now, EventKind::LateResultDiscarded { task, agent, attempt });
            } else if let Some(error) = error {
                let reason = AttemptFailure::Agent(error);
                tracing::warn!(
                    "{} {} attempt {attempt} failed on {}: {}",
                    clock(now),
                    self.task_name(task),
                    self.agent_name(agent),
                    error.text()
                );
                self.emit(now, EventKind::AttemptFailed { task, agent, attempt, reason });
                self.check_breaker(now, agent);
                if error.retryable() {
                    self.retry_or_fail(now, task);
                } else if self.wf.ladder_of(task).and_then(crate::protocols::ladder::Ladder::inbox).is_some() {
                    // Retrying is pointless, but the task's ladder ends with a person: they decide.
                    self.escalate(now, task, Origin::Ladder);
                } else {
                    self.give_up(now, task, TaskFailure::NotRetryable { attempts: attempt });
                    self.check_finished(now);
                }
            } else {
                match self.check_plan(task, &output) {
                    Err(errors) => self.reject_plan(now, task, agent, attempt, errors),
                    Ok(plan) => self.succeed(now, task, agent, attempt, output, plan),
                }
            }
        } else if let Payload::Bid { .. } | Payload::Decline { .. } = msg.payload {
            self.handle_auction_reply(now, agent, msg.payload);
        } else if let Payload::HelpRequest { .. } | Payload::HelpResponse { .. } = msg.payload {
            self.handle_help(now, agent, msg);
        }
        self.dispatch(now);
    }

    /// A result that passed every check: the attempt succeeded (and the planner's plan, if any,
    /// joins the run before the task's dependents are released).
    fn succeed(
        &mut self,
        now: u64,
        task: TaskId,
        agent: AgentId,
        attempt: u32,
        output: Output,
        plan: Option<crate::protocols::growth::Addition>,
    ) {
        if !self.commit_writes(now, task, agent, attempt) {
            return;
        }
        let duration_ms = now - self.state.last_attempt(task).map_or(now, |r| r.start_ms);
        let verdict = self.verdict_of(task, agent, &output);
        self.emit(now, EventKind::AttemptSucceeded { task, agent, attempt, duration_ms, output });
        self.check_breaker(now, agent);
        if verdict.is_some_and(|v| !self.review_passes(now, task, v)) {
            // Sent back for rework, escalated or failed: the reviewer does not complete.
            return;
        }
        tracing::info!("{} {} completed on {}", clock(now), self.task_name(task), self.agent_name(agent));
        if let Some(plan) = plan {
            self.add_tasks(now, task, plan);
        }
        if !self.state.teams.is_idle() {
            self.report_up(now, task);
        }
        self.emit(now, EventKind::TaskCompleted { task, agent: Some(agent), attempts: attempt });
        self.release_dependents(now, task);
        self.check_finished(now);
    }

    /// Fires every timer due at or before `now` (work timers before the watchdog at equal times).
    pub fn handle_timeout(&mut self, now: u64) {
        loop {
            // A timer due at the instant the run finished must not add events after `run_finished`.
            if self.is_finished() {
                break;
            }
            let work = self.state.timers.peek().filter(|(at, ..)| *at <= now);
            let watch = self.state.watchdog.peek().filter(|(at, ..)| *at <= now);
            let timer = match (work, watch) {
                (Some(w), Some(h)) if h.0 < w.0 => self.state.watchdog.pop(),
                (Some(_), _) => self.state.timers.pop(),
                (None, Some(_)) => self.state.watchdog.pop(),
                (None, None) => break,
            };
            let Some((_, _, timer)) = timer else { break };
            if !self.state.timer_is_live(timer) {
                continue;
            }
            match timer {
                Timer::AttemptDeadline { task, attempt } => {
                    let agent = self.state.tasks[task.ix()].agent.expect("running task has an agent");
                    let timeout_ms = self.scenario.tasks[task.ix()].timeout_ms;
                    tracing::warn!(
                        "{} {} attempt {attempt} timed out on {} after {timeout_ms} ms",
                        clock(now),
                        self.task_name(task),
                        self.agent_name(agent)
                    );
                    self.emit(now, EventKind::AttemptTimedOut { task, agent, attempt, timeout_ms });
                    self.check_breaker(now, agent);
                    let payload = Payload::Cancel { task, attempt };
                    self.send(now, Endpoint::Agent(agent), MsgKind::Cancel, None, payload);
                    self.retry_or_fail(now, task);
                }
                Timer::RetryDue { task, .. } => self.make_ready(now, task),
                Timer::HeartbeatDeadline { agent, seen_ms } => {
                    self.take_down(now, agent, Down::Lost { silent_ms: now.saturating_sub(seen_ms) });
                }
                Timer::BreakerProbe { agent, .. } => {
                    tracing::info!("{} {} breaker half-open: one probe allowed", clock(now), self.agent_name(agent));
                    self.emit(now, EventKind::BreakerChanged { agent, state: BreakerState::HalfOpen });
                }
                Timer::LockLease { lock, .. } => self.free_lock(now, crate::protocols::context::LockId(lock), true),
                Timer::LeaderLease { group, .. } => self.tick_election(now, crate::protocols::context::GroupId(group)),
                Timer::InboxSla { task, .. } => self.sla_expired(now, task),
                Timer::AuctionClose { auction } => self.close_auction(now, auction),
                Timer::SwarmTick { .. } => self.swarm_tick(now),
                Timer::BallotClose { task, .. } => self.close_ballot(now, task),
                Timer::SpawnCheck { task, .. } => self.spawn_check(now, task),
                Timer::RetireCheck { agent, .. } => self.retire(now, agent),
                Timer::HelpTimeout { id } => self.help_timed_out(now, id),
                Timer::Announce { n } => self.announce_due(now, n),
            }
        }
        self.dispatch(now);
    }

    /// A fault from the scenario (operators go through [`Coordinator::handle_operator`]).
    pub fn handle_command(&mut self, now: u64, cmd: Command, origin: Origin) {
        let refusal = match cmd {
            _ if self.is_finished() => Some(Refusal::RunFinished),
            Command::CrashAgent(agent) if !self.state.agents[agent.ix()].alive => {
                Some(Refusal::AgentAlreadyDown(agent))
            }
            Command::ReviveAgent(agent) if !self.state.elastic.is_present(agent) => Some(Refusal::AgentAbsent(agent)),
            Command::ReviveAgent(agent) if self.state.agents[agent.ix()].alive => Some(Refusal::AgentNotDown(agent)),
            _ => None,
        };
        if let Some(reason) = refusal {
            self.emit(now, EventKind::CommandRefused { origin, reason, action: None });
            return;
        }
        match cmd {
            Command::CrashAgent(agent) => self.crash_agent(now, agent, origin),
            Command::ReviveAgent(agent) => self.revive_agent(now, agent, origin),
        }
        self.dispatch(now);
    }

    pub(crate) fn crash_agent(&mut self, now: u64, agent: AgentId, origin: Origin) {
        self.take_down(now, agent, Down::Crashed(origin));
    }

    /// An agent is down — it crashed (and someone told us) or went silent (and we noticed): its
    /// running attempts fail and their tasks go back to the ready set, without backoff.
    pub(crate) fn take_down(&mut self, now: u64, agent: AgentId, how: Down) {
        let lost = matches!(how, Down::Lost { .. });
        let reason = match how {
            Down::Crashed(origin) => {
                tracing::warn!("{} agent {} crashed ({})", clock(now), self.agent_name(agent), origin.name());
                self.emit(now, EventKind::AgentCrashed { agent, origin });
                AttemptFailure::AgentCrashed
            }
            Down::Lost { silent_ms } => {
                tracing::warn!("{} agent {} lost: silent for {silent_ms} ms", clock(now), self.agent_name(agent));
                self.emit(now, EventKind::AgentLost { agent, silent_ms });
                AttemptFailure::AgentLost
            }
            Down::Exited { status, signal } => {
                tracing::warn!(
                    "{} agent {} process exited ({status:?}, signal {signal:?})",
                    clock(now),
                    self.agent_name(agent)
                );
                self.emit(now, EventKind::AgentExited { agent, status, signal });
                AttemptFailure::AgentExited { status, signal }
            }
            Down::Rejected(message) => {
                tracing::error!("{} agent {} rejected: {message}", clock(now), self.agent_name(agent));
                self.emit(now, EventKind::AgentRejected { agent, message });
                AttemptFailure::AgentCrashed
            }
        };
        let note = Payload::Status(StatusNote::AgentDown(agent));
        self.send(now, Endpoint::Broadcast, MsgKind::Status, None, note);
        let running = self.state.agents[agent.ix()].running.clone();
        for task in running {
            if self.leave_lock_queue(now, task) {
                // It was waiting for a lock: no attempt ran, it simply goes elsewhere.
                self.emit(now, EventKind::TaskReassigned { task, from: agent, reason });
                self.make_ready(now, task);
                continue;
            }
            let attempt = self.state.tasks[task.ix()].attempts;
            self.emit(now, EventKind::AttemptFailed { task, agent, attempt, reason });
            if lost {
                // It may still be working: tell it to stop. It is down, so this is a dead letter.
                self.send(now, Endpoint::Agent(agent), MsgKind::Cancel, None, Payload::Cancel { task, attempt });
            }
            if self.wf.ladder_of(task).is_some() {
                self.climb(now, task, Some(agent));
            } else if self.attempts_left(task) > 0 {
                // Not the task's fault: it goes straight back to the ready set, no backoff.
                self.emit(now, EventKind::TaskReassigned { task, from: agent, reason });
                self.make_ready(now, task);
            } else {
                self.give_up(now, task, TaskFailure::AttemptsExhausted { attempts: attempt });
            }
        }
        self.check_finished(now);
    }

    /// Records a fault a driver injected without telling the coordinator's logic (audit only).
    pub fn note_fault(&mut self, now: u64, agent: AgentId, fault: super::event::InjectedFault) {
        self.emit(now, EventKind::FaultInjected { agent, fault });
    }

    /// After an attempt outcome: open, close or reopen the agent's breaker as its window says.
    pub(crate) fn check_breaker(&mut self, now: u64, agent: AgentId) {
        let cfg = self.state.health_cfg;
        if let Some(state) = self.state.agents[agent.ix()].health.transition_after_outcome(now, &cfg) {
            let name = self.agent_name(agent);
            match state {
                BreakerState::Open { until_ms } => {
                    tracing::warn!("{} {name} breaker open until {}", clock(now), clock(until_ms))
                }
                _ => tracing::info!("{} {name} breaker closed", clock(now)),
            }
            self.emit(now, EventKind::BreakerChanged { agent, state });
        }
    }

    pub(crate) fn revive_agent(&mut self, now: u64, agent: AgentId, origin: Origin) {
        self.emit(now, EventKind::AgentRevived { agent, origin });
        let note = Payload::Status(StatusNote::AgentUp(agent));
        self.send(now, Endpoint::Broadcast, MsgKind::Status, None, note);
        self.elect_vacant(now);
    }

    /// Attempts the task may still start under its retry budget.
    pub fn attempts_left(&self, task: TaskId) -> u32 {
        let t = &self.state.tasks[task.ix()];
        (t.budget_base + self.scenario.tasks[task.ix()].retry.max_attempts).saturating_sub(t.attempts)
    }

    /// Puts a task whose dependencies are done into the ready set, unless an operator holds it.
    /// A decision task opens its ballot instead.
    pub(crate) fn make_ready(&mut self, now: u64, task: TaskId) {
        if self.state.tasks[task.ix()].held {
            return;
        }
        if self.wf.decision_of(task).is_some() {
            self.open_ballot(now, task);
        } else {
            self.emit(now, EventKind::TaskReady { task });
        }
    }

    /// A standby coordinator took the run over (epoch `epoch`, held by `holder`): recorded, so the
    /// stream's next line is the new leader's and fences the old one out.
    pub fn took_over(&mut self, now: u64, epoch: u64, holder: &str) {
        self.emit(now, EventKind::CoordinatorTookOver { epoch, holder: std::sync::Arc::from(holder) });
    }

    /// The host was told to stop by `signal`: records it (the driver stops dispatching after
    /// this; a finished run is left as it is).
    pub fn interrupt_run(&mut self, now: u64, signal: crate::core::StopSignal) {
        if !self.is_finished() {
            self.emit(now, EventKind::RunInterrupted { signal });
        }
    }

    /// The driver has nothing left that could change the run (no messages in flight, no timers, no
    /// future faults, no operator): tasks still waiting for an agent can never run, so they fail.
    /// Returns whether the run goes on (failing them woke compensations, which may yet run).
    pub fn handle_stall(&mut self, now: u64) -> bool {
        if self.is_finished() {
            return false;
        }
        let before = self.state.next_seq;
        for i in 0..self.wf.task_count() {
            let task = TaskId(i as u32);
            let rt = &self.state.tasks[i];
            if !rt.state.is_terminal() && !rt.state.is_dormant() && rt.remaining_deps == 0 {
                let reason =
                    if rt.state == TaskState::Escalated { TaskFailure::Unresolved } else { TaskFailure::NoLiveAgent };
                self.fail_task(now, task, reason);
            }
        }
        // Failing them may wake compensations, which get their chance to run.
        self.check_finished(now);
        self.dispatch(now);
        self.state.next_seq != before && !self.is_finished()
    }

    /// Tasks that wait for an agent none of which is available, or for the operator (held or in the
    /// inbox): what a stalled run is stuck on.
    pub fn stuck_tasks(&self) -> usize {
        self.state
            .tasks
            .iter()
            .filter(|t| {
                t.held || t.state == TaskState::Escalated || (t.state == TaskState::Ready && t.remaining_deps == 0)
            })
            .count()
    }

    pub(crate) fn retry_or_fail(&mut self, now: u64, task: TaskId) {
        if self.wf.ladder_of(task).is_some() {
            self.climb(now, task, None);
            return;
        }
        let attempts = self.state.tasks[task.ix()].attempts;
        let policy = &self.scenario.tasks[task.ix()].retry;
        if self.attempts_left(task) == 0 {
            self.give_up(now, task, TaskFailure::AttemptsExhausted { attempts });
            self.check_finished(now);
            return;
        }
        let failed_in_budget = attempts - self.state.tasks[task.ix()].budget_base;
        let delay_ms = backoff_ms(self.scenario.seed, task, failed_in_budget, policy);
        tracing::info!("{} {} retries in {delay_ms} ms (attempt {})", clock(now), self.task_name(task), attempts + 1);
        let kind = EventKind::RetryScheduled {
            task,
            attempt: attempts + 1,
            delay_ms,
            at_ms: super::timers::later(now, delay_ms),
        };
        self.emit(now, kind);
    }

    pub(crate) fn fail_task(&mut self, now: u64, task: TaskId, reason: TaskFailure) {
        tracing::error!("{} {} failed: {}", clock(now), self.task_name(task), reason.code());
        self.emit(now, EventKind::TaskFailed { task, reason });
        self.skip_downstream(now, task, task);
    }

    /// Skips everything downstream of `from` that has not ended, naming `cause` as the reason.
    pub(crate) fn skip_downstream(&mut self, now: u64, from: TaskId, cause: TaskId) {
        self.skip_downstream_for(now, from, cause, SkipReason::UpstreamFailed);
    }

    /// [`Coordinator::skip_downstream`] with the reason of the skips.
    pub(crate) fn skip_downstream_for(&mut self, now: u64, from: TaskId, cause: TaskId, reason: SkipReason) {
        // Walk it once, depth first: a skipped task is terminal, so it is never visited twice.
        let mut stack = vec![from];
        while let Some(t) = stack.pop() {
            let dependents: Vec<TaskId> = self.wf.dependents(t).collect();
            for d in dependents {
                if !self.state.tasks[d.ix()].state.is_terminal() {
                    self.emit(now, EventKind::TaskSkipped { task: d, cause, reason });
                    stack.push(d);
                }
            }
        }
    }

    pub(crate) fn release_dependents(&mut self, now: u64, task: TaskId) {
        let mut ready = std::mem::take(&mut self.scratch);
        ready.extend(self.wf.dependents(task).filter(|d| {
            let t = &self.state.tasks[d.ix()];
            t.remaining_deps == 0 && t.state == TaskState::Waiting
        }));
        // petgraph lists neighbours newest edge first; scenario order reads better in the journal.
        for &d in ready.iter().rev() {
            self.make_ready(now, d);
        }
        ready.clear();
        self.scratch = ready;
    }

    pub(crate) fn check_finished(&mut self, now: u64) {
        if !self.state.sagas.is_empty() {
            self.advance_sagas(now);
        }
        let s = &self.state;
        // Compensators still dormant were not needed: the other tasks decide the outcome.
        if s.finished.is_some() || (s.terminal + s.sagas.dormant) as usize != self.wf.task_count() {
            return;
        }
        // A branch a decision did not take is not a failure.
        let branches = s.votes.branch_skipped.len() as u32;
        let outcome = if s.failed == 0 && s.skipped == branches { Outcome::Succeeded } else { Outcome::Failed };
        let (completed, failed, skipped) = (s.completed, s.failed, s.skipped);
        self.send(now, Endpoint::Broadcast, MsgKind::Status, None, Payload::Status(StatusNote::RunFinished));
        tracing::info!(
            "{} run {}: {completed} completed, {failed} failed, {skipped} skipped",
            clock(now),
            outcome.name()
        );
        self.emit(now, EventKind::RunFinished { outcome, makespan_ms: now, completed, failed, skipped });
    }

    /// A headless driver stops the run at its horizon: `horizon_reached` is the journal's last line,
    /// and the run stays unfinished (see `runtime::horizon`).
    pub fn reach_horizon(&mut self, now: u64, limit: super::HorizonLimit, value: u64, events: u64) {
        tracing::warn!("{} run stopped at the horizon: {} = {value} reached", clock(now), limit.name());
        self.emit(now, EventKind::HorizonReached { limit, value, events });
    }

    /// Matches ready tasks with available agents, best ready task first, until no class can move.
    pub(crate) fn dispatch(&mut self, now: u64) {
        // Tasks on an `other_agent` tier whose only free agents already failed them: put back in
        // their queues once no class can move (they wake when their pool gains an agent).
        let mut parked: Vec<(usize, i64, u32)> = Vec::new();
        if self.state.swarm.active {
            self.post_ready(now);
        }
        loop {
            let mut best: Option<(i64, Reverse<u32>, usize)> = None;
            let mut i = 0;
            while i < self.state.dirty.len() {
                let c = self.state.dirty[i].0 as usize;
                let pool = self.wf.classes[c].pool.0 as usize;
                let q = &mut self.state.ready[c];
                while let Some(&(_, Reverse(t))) = q.peek() {
                    let task = &self.state.tasks[t as usize];
                    // A task that climbed its ladder may have left an entry in its former class.
                    if task.state == TaskState::Ready
                        && !task.held
                        && self.state.ladder.class_of(TaskId(t)).is_none_or(|k| k.0 as usize == c)
                        && !self.state.auctions.is_open_task(TaskId(t))
                    {
                        break;
                    }
                    q.pop();
                }
                match q.peek() {
                    // Swarm classes are never dispatched: their tasks were posted (above).
                    Some(&(p, r))
                        if !self.state.avail[pool].is_empty() && self.wf.classes[c].strategy != Strategy::Swarm =>
                    {
                        if best.is_none_or(|(bp, br, _)| (p, r) > (bp, br)) {
                            best = Some((p, r, c));
                        }
                        i += 1;
                    }
                    _ => {
                        self.state.is_dirty[c] = false;
                        self.state.dirty.swap_remove(i);
                    }
                }
            }
            let Some((p, Reverse(t), c)) = best else { break };
            self.state.ready[c].pop();
            match self.place(now, TaskId(t), c) {
                Placement::Agent(agent) => self.assign(now, TaskId(t), agent, Some(self.wf.classes[c].strategy)),
                Placement::Elsewhere => {}
                Placement::Parked => parked.push((c, p, t)),
            }
        }
        for (c, p, t) in parked {
            self.state.ready[c].push((p, Reverse(t)));
        }
    }

    /// Where the best ready task of class `c` goes: the one place a class's strategy decides.
    #[inline]
    fn place(&mut self, now: u64, task: TaskId, c: usize) -> Placement {
        let strategy = self.wf.classes[c].strategy;
        let pool = self.wf.classes[c].pool.0 as usize;
        if strategy == Strategy::Auction {
            // Bids choose the agent: the task waits, undispatched, until its auction closes.
            self.open_auction(now, task, c);
            return Placement::Elsewhere;
        }
        if self.state.ladder.avoids_failed(task) {
            return self.fresh_agent(task, pool).map_or(Placement::Parked, Placement::Agent);
        }
        match strategy {
            Strategy::LeastLoaded | Strategy::BestScore | Strategy::RoundRobin => {
                // The pool's availability set is ordered by the strategy's key (see `state.rs`).
                Placement::Agent(AgentId(self.state.avail[pool].first().expect("checked non-empty").1))
            }
            Strategy::Hierarchy => self.delegate(now, task, pool).map_or(Placement::Parked, Placement::Agent),
            Strategy::Auction => Placement::Elsewhere,
            // Swarm classes are skipped by `dispatch`: their tasks are on the board, for agents to claim.
            Strategy::Swarm => Placement::Elsewhere,
        }
    }

    /// Starts an attempt of `task` on `agent`; `strategy` is `None` when an operator chose the agent.
    pub(crate) fn assign(&mut self, now: u64, task: TaskId, agent: AgentId, strategy: Option<Strategy>) {
        tracing::debug!("{} {} assigned to {}", clock(now), self.task_name(task), self.agent_name(agent));
        self.emit(now, EventKind::TaskAssigned { task, agent, strategy });
        if self.state.ctx.index.locks.is_empty() {
            self.start_attempt(now, task, agent);
        } else {
            self.acquire_and_start(now, task, agent);
        }
    }
}

/// Virtual time as `[s.mmm]` for log lines.
pub(crate) fn clock(ms: u64) -> String {
    format!("[{}.{:03}]", ms / 1000, ms % 1000)
}

/// Delay before attempt `failed_attempts + 1`: exponential, capped, reduced by deterministic jitter.
pub fn backoff_ms(seed: u64, task: TaskId, failed_attempts: u32, policy: &crate::scenario::RetryPolicy) -> u64 {
    let exp = policy.multiplier.powi(failed_attempts.saturating_sub(1) as i32);
    let raw = (policy.backoff_ms as f64 * exp).min(policy.max_backoff_ms as f64);
    let u = rng::unit(seed, &[rng::domain::BACKOFF, task.0 as u64, failed_attempts as u64]);
    crate::scenario::bounds::clamp_ms((raw * (1.0 - policy.jitter * u)).round())
}
