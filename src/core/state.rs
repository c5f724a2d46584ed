//! The coordinator's mutable state and the one function that changes it: [`State::apply`].
//!
//! Decisions live in `coordinator.rs`; they read this state and emit events. Every mutation happens
//! here, in `apply`, so folding a run's events into a fresh `State` rebuilds it exactly.

use crate::core::event::GrowthEvent;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

mod avail;
mod digest;
mod queries;
mod records;

pub use records::{AgentRt, AttemptEnd, AttemptRecord, TaskEnd, TaskRt, TaskState};

use super::bus::{BusStats, Message};
use super::event::{AttemptFailure, Event, EventKind, Outcome};
use super::health::{BreakerState, Health, HealthConfig};
use super::ids::{AgentId, TaskId};
use super::timers::{Timer, Timers};
use super::workflow::{ClassId, Workflow};
use crate::protocols::saga::Sagas;
use crate::scenario::Scenario;

/// Ready tasks of one class: highest priority first, then scenario order. May hold stale entries
/// (tasks no longer ready), which are dropped when they reach the top.
pub type ReadyQueue = BinaryHeap<(i64, Reverse<u32>)>;

/// Available agents of one pool, ordered by the pool's strategy key, then index.
pub use avail::AvailSet;

#[derive(Debug, Clone)]
pub struct State {
    pub(crate) now_ms: u64,
    pub(crate) tasks: Vec<TaskRt>,
    pub(crate) agents: Vec<AgentRt>,
    pub(crate) ready: Vec<ReadyQueue>,
    pub(crate) avail: Vec<AvailSet>,
    /// Classes that may be able to dispatch (gained a ready task or an available agent).
    pub(crate) dirty: Vec<ClassId>,
    pub(crate) is_dirty: Vec<bool>,
    /// Every attempt of the run, in start order; each task's attempts are chained through `prev`
    /// (one shared log instead of a vector per task keeps a million-task run small).
    pub(crate) attempt_log: Vec<AttemptRecord>,
    pub(crate) timers: Timers,
    /// Heartbeat deadlines, apart from `timers`: they never run out while agents live, so a run is
    /// stalled when `timers` is empty even if these are not.
    pub(crate) watchdog: Timers,
    pub(crate) next_msg_id: u64,
    pub(crate) next_seq: u64,
    pub(crate) assignments: u64,
    pub(crate) bus: BusStats,
    pub(crate) terminal: u32,
    pub(crate) completed: u32,
    pub(crate) failed: u32,
    pub(crate) skipped: u32,
    pub(crate) retries: u32,
    /// Tasks taken back from crashed agents.
    pub(crate) reassignments: u32,
    /// Tasks sent to the operator's inbox, ever.
    pub(crate) escalations: u32,
    pub(crate) finished: Option<Outcome>,
    /// The signal that stopped the run's host before it finished (`run_interrupted`).
    pub(crate) interrupted: Option<crate::core::StopSignal>,
    pub(crate) makespan_ms: u64,
    /// Set when a headless run stopped at its horizon (it is then not finished).
    pub(crate) horizon: Option<super::event::HorizonLimit>,
    /// Set by an operator; drivers stop advancing time while it is.
    pub(crate) paused: bool,
    /// The operator's last speed setting (virtual ms per wall ms).
    pub(crate) speed: f64,
    /// Escalated tasks, oldest first, with the time they arrived.
    pub(crate) inbox: Vec<(TaskId, u64)>,
    pub(crate) health_cfg: HealthConfig,
    /// An agent silent for this long is lost; 0 turns detection off.
    pub(crate) heartbeat_timeout_ms: u64,
    /// Saga membership and progress (empty without sagas).
    pub(crate) sagas: Sagas,
    /// Escalation ladder progress (empty unless the scenario has ladders or inbox SLAs).
    pub(crate) ladder: crate::protocols::ladder::LadderState,
    /// Each task's `work`, `priority` and `timeout_ms`, copied out of the scenario: a run reads them
    /// on every dispatch, and a large scenario's task specs are far apart in memory.
    pub(crate) works: Vec<f64>,
    pub(crate) priorities: Vec<i64>,
    pub(crate) timeouts: Vec<u64>,
    /// Real agents' outputs of completed tasks (see [`super::output`]).
    pub(crate) outputs: super::output::OutputStore,
    /// Blackboard, locks, elections and dead letters (see `protocols/context`).
    pub(crate) ctx: crate::protocols::context::ContextState,
    /// Delegation chains, help exchanges, review rounds (see `protocols/teams`).
    pub(crate) teams: crate::protocols::teams::TeamState,
    /// Every auction and its bids (empty unless tasks are allocated by auction).
    pub(crate) auctions: crate::protocols::auction::AuctionState,
    /// What planners added or had rejected (empty without planners; see `protocols/growth`).
    pub(crate) plans: crate::protocols::growth::Plans,
    /// The swarm board and thresholds (empty unless a class allocates by swarm).
    pub(crate) swarm: crate::protocols::swarm::SwarmState,
    /// Decision tasks' ballots (empty unless the scenario has decisions).
    pub(crate) votes: crate::protocols::vote::VoteState,
    /// Agents created from templates (empty without templates).
    pub(crate) elastic: crate::protocols::elastic::ElasticState,
}

impl State {
    pub fn new(scenario: &Scenario, wf: &Workflow) -> State {
        let tasks = wf.dep_count.iter().map(|&d| TaskRt::fresh(d)).collect();
        let agents = scenario
            .agents
            .iter()
            .map(|a| AgentRt {
                // A template's slot is absent until created (see `protocols/elastic`).
                alive: a.template.is_none(),
                draining: false,
                max_concurrent: a.max_concurrent.max(1),
                performance: a.performance,
                running: Vec::new(),
                completed: 0,
                failed: 0,
                busy_ms: 0,
                last_assigned: 0,
                last_heartbeat_ms: None,
                lost: false,
                health: Health::default(),
                expected_ms: a.profile.duration_ms.mean,
            })
            .collect();
        let mut state = State {
            now_ms: 0,
            tasks,
            agents,
            ready: vec![ReadyQueue::new(); wf.classes.len()],
            avail: vec![AvailSet::default(); wf.pools.len()],
            dirty: Vec::new(),
            is_dirty: vec![false; wf.classes.len()],
            // Most runs start one attempt per task: no regrowth (and no copy) on the way.
            attempt_log: Vec::with_capacity(wf.task_count()),
            timers: Timers::default(),
            watchdog: Timers::default(),
            next_msg_id: 1,
            next_seq: 0,
            assignments: 0,
            bus: BusStats::new(scenario.agents.len()),
            terminal: 0,
            completed: 0,
            failed: 0,
            skipped: 0,
            retries: 0,
            reassignments: 0,
            escalations: 0,
            finished: None,
            interrupted: None,
            makespan_ms: 0,
            horizon: None,
            paused: false,
            speed: 1.0,
            inbox: Vec::new(),
            health_cfg: scenario.resilience.health,
            heartbeat_timeout_ms: scenario.resilience.heartbeat_timeout(scenario.heartbeat_ms),
            sagas: Sagas::new(scenario),
            ladder: Default::default(),
            works: Vec::with_capacity(scenario.tasks.len()),
            priorities: Vec::with_capacity(scenario.tasks.len()),
            timeouts: Vec::with_capacity(scenario.tasks.len()),
            outputs: Default::default(),
            ctx: crate::protocols::context::ContextState::new(scenario),
            teams: crate::protocols::teams::TeamState::new(scenario),
            auctions: Default::default(),
            plans: Default::default(),
            swarm: crate::protocols::swarm::SwarmState::new(scenario, wf),
            votes: Default::default(),
            elastic: crate::protocols::elastic::ElasticState::new(scenario, wf),
        };
        // One pass over the task specs for the three copies.
        for t in &scenario.tasks {
            state.works.push(t.work);
            state.priorities.push(t.priority);
            state.timeouts.push(t.timeout_ms);
        }
        for a in 0..state.agents.len() {
            state.index_agent(wf, AgentId(a as u32));
        }
        crate::protocols::teams::broadcast::arm(scenario, &state.teams, &mut state.timers);
        for c in state.sagas.compensators().collect::<Vec<_>>() {
            state.tasks[c.ix()].state = TaskState::Dormant;
        }
        state
    }

    /// Applies one event. The only place state changes.
    pub fn apply(&mut self, wf: &Workflow, ev: &Event) {
        // Every escalated task is in the inbox, so an empty inbox means nothing to check (the usual run).
        let escalated = if self.inbox.is_empty() {
            None
        } else {
            ev.kind.task().filter(|t| self.tasks[t.ix()].state == TaskState::Escalated)
        };
        self.apply_event(wf, ev);
        if self.swarm.active || matches!(ev.kind, EventKind::Growth(GrowthEvent::TasksAdded { .. })) {
            let task = ev.kind.task();
            let class = task.and_then(|t| self.ladder.class_of(t));
            let priority = task.map_or(0, |t| self.priorities[t.ix()]);
            self.swarm.apply(wf, ev, class, priority, &self.tasks, &self.agents, &mut self.timers);
        }
        if self.elastic.active {
            self.elastic.apply(wf, ev, &self.agents, &mut self.timers);
        }
        // An item leaves the inbox when its task leaves the escalated state (resolved, retried,
        // reassigned…), not merely because an event names it: a late result or an expired lock of
        // an escalated task leaves it waiting for the operator.
        if let Some(task) = escalated
            && self.tasks[task.ix()].state != TaskState::Escalated
        {
            self.inbox.retain(|(t, _)| *t != task);
        }
    }

    fn apply_event(&mut self, wf: &Workflow, ev: &Event) {
        self.now_ms = ev.t_ms;
        self.next_seq = ev.seq + 1;
        let now = ev.t_ms;
        if !self.sagas.is_empty() {
            self.sagas.apply(ev, &self.tasks);
        }
        if !self.teams.is_idle() {
            self.teams.apply_core(&ev.kind);
        }
        match ev.kind {
            EventKind::RunStarted { .. } => {
                for a in 0..self.agents.len() {
                    self.heard_from(AgentId(a as u32), now);
                }
            }
            EventKind::TaskReady { task } => {
                self.tasks[task.ix()].state = TaskState::Ready;
                let class = self.ladder.class_of(task).unwrap_or(wf.task_class[task.ix()]);
                self.ready[class.0 as usize].push((self.priorities[task.ix()], Reverse(task.0)));
                self.mark_dirty(class);
            }
            EventKind::TaskAssigned { task, agent, .. } => self.assigned(wf, task, agent),
            EventKind::AttemptStarted { task, agent, attempt, deadline_ms } => {
                self.attempt_started(wf, ev, task, agent, attempt, deadline_ms)
            }
            EventKind::AttemptSucceeded { task, agent, duration_ms, ref output, .. } => {
                self.attempt_succeeded(wf, now, task, agent, duration_ms, output)
            }
            EventKind::AttemptFailed { task, agent, reason, .. } => self.attempt_failed(wf, now, task, agent, reason),
            EventKind::AttemptTimedOut { task, agent, .. } => {
                self.end_attempt(wf, task, agent, now, AttemptEnd::TimedOut, Some((false, 1.0)));
                self.agents[agent.ix()].failed += 1;
            }
            EventKind::RetryScheduled { task, attempt, at_ms, .. } => {
                let t = &mut self.tasks[task.ix()];
                t.state = TaskState::Retrying;
                t.retry_at_ms = at_ms;
                self.retries += 1;
                self.timers.push_at(at_ms, Timer::RetryDue { task, attempt });
            }
            EventKind::TaskCompleted { task, .. } => self.task_completed(wf, now, task),
            EventKind::TaskFailed { task, reason } => {
                let t = &mut self.tasks[task.ix()];
                t.state = TaskState::Failed;
                t.end_reason = Some(TaskEnd::Failed(reason));
                self.failed += 1;
                self.terminal += 1;
                self.makespan_ms = now;
            }
            EventKind::TaskSkipped { task, cause, reason } => self.task_skipped(ev, task, cause, reason),
            EventKind::AgentCrashed { agent, .. }
            | EventKind::AgentExited { agent, .. }
            | EventKind::AgentRejected { agent, .. } => {
                self.unindex_agent(wf, agent);
                self.agents[agent.ix()].alive = false;
            }
            EventKind::AgentLost { agent, .. } => {
                self.unindex_agent(wf, agent);
                let a = &mut self.agents[agent.ix()];
                a.alive = false;
                a.lost = true;
            }
            EventKind::BreakerChanged { agent, state } => self.breaker_changed(wf, agent, state),
            EventKind::AgentRevived { agent, .. } => self.agent_revived(wf, now, agent),
            EventKind::AgentDraining { agent, .. } => {
                self.unindex_agent(wf, agent);
                self.agents[agent.ix()].draining = true;
            }
            EventKind::TaskHeld { task } => self.tasks[task.ix()].held = true,
            EventKind::TaskReleased { task } => self.tasks[task.ix()].held = false,
            EventKind::TaskEscalated { task, .. } => self.task_escalated(wf, ev, task),
            EventKind::TaskReopened { task } => self.task_reopened(wf, ev, task),
            EventKind::RunReopened => self.finished = None,
            EventKind::HorizonReached { limit, .. } => self.horizon = Some(limit),
            EventKind::RunPaused { paused } => self.paused = paused,
            EventKind::OperatorAction { action, .. } => self.operator_acted(action),
            EventKind::TaskReassigned { .. } => self.reassignments += 1,
            EventKind::LateResultDiscarded { .. }
            | EventKind::CommandRefused { .. }
            | EventKind::FaultInjected { .. }
            | EventKind::ProtocolError { .. }
            | EventKind::LinkFaultInjected { .. }
            | EventKind::MessageDropped { .. } => {}
            EventKind::MessageSent { msg } => self.count_message(&msg, now),
            // Each protocol folds its own events (see `protocols/NAME/`).
            EventKind::Team(ref e) => crate::protocols::teams::apply(self, e),
            EventKind::Auction(ref e) => crate::protocols::auction::apply(self, now, e),
            EventKind::Vote(_) => crate::protocols::vote::apply(self, now, &ev.kind),
            // The swarm's observer in `apply` folds every event, its own included.
            EventKind::Swarm(_) => {}
            EventKind::Elastic(ref e) => crate::protocols::elastic::apply(self, wf, now, e),
            EventKind::Growth(ref e) => self.apply_growth(wf, e),
            EventKind::Saga(ref e) => crate::protocols::saga::apply(self, e),
            EventKind::Ladder(_) => self.ladder.apply(wf, now, &ev.kind, &mut self.timers),
            EventKind::Context(ref e) => self.apply_context(wf, e, now),
            EventKind::RunInterrupted { signal } => self.interrupted = Some(signal),
            EventKind::CoordinatorTookOver { .. } => {}
            EventKind::RunFinished { outcome, makespan_ms, .. } => {
                self.finished = Some(outcome);
                self.makespan_ms = makespan_ms;
            }
        }
    }

    /// An agent took the task.
    #[inline]
    fn assigned(&mut self, wf: &Workflow, task: TaskId, agent: AgentId) {
        self.assignments += 1;
        let n = self.assignments;
        self.reindex_agent(wf, agent, |a| {
            a.running.push(task);
            a.last_assigned = n;
        });
        let t = &mut self.tasks[task.ix()];
        t.state = TaskState::Running;
        t.agent = Some(agent);
    }

    #[inline]
    fn attempt_started(
        &mut self,
        wf: &Workflow,
        ev: &Event,
        task: TaskId,
        agent: AgentId,
        attempt: u32,
        deadline_ms: u64,
    ) {
        let t = &mut self.tasks[task.ix()];
        t.attempts = attempt;
        let prev = t.last_attempt;
        t.last_attempt = self.attempt_log.len() as u32;
        let end = AttemptEnd::Running;
        self.attempt_log.push(AttemptRecord { task, attempt, agent, start_ms: ev.t_ms, end_ms: None, end, prev });
        // Same-timeout deadlines share a FIFO: see `timers.rs`.
        self.timers.push_after(ev.t_ms, deadline_ms - ev.t_ms, Timer::AttemptDeadline { task, attempt });
        self.ladder.apply(wf, ev.t_ms, &ev.kind, &mut self.timers);
    }

    #[inline]
    fn attempt_succeeded(
        &mut self,
        wf: &Workflow,
        now: u64,
        task: TaskId,
        agent: AgentId,
        duration_ms: u64,
        output: &super::output::Output,
    ) {
        self.outputs.apply(task, output);
        // Health counts how slow the agent was against its own profile for this much work.
        let expected = (self.agents[agent.ix()].expected_ms * self.works[task.ix()]).max(1.0);
        let slowness = duration_ms as f64 / expected;
        self.end_attempt(wf, task, agent, now, AttemptEnd::Succeeded, Some((true, slowness)));
        self.agents[agent.ix()].completed += 1;
    }

    #[inline]
    fn attempt_failed(&mut self, wf: &Workflow, now: u64, task: TaskId, agent: AgentId, reason: AttemptFailure) {
        // Only the agent's own failures count against its health, not crashes or operators.
        let outcome = matches!(reason, AttemptFailure::Agent(_)).then_some((false, 1.0));
        self.end_attempt(wf, task, agent, now, AttemptEnd::Failed(reason), outcome);
        if reason == AttemptFailure::CoordinatorRestarted {
            // Nobody's failure: the attempt is not charged to the task's retry budget.
            self.tasks[task.ix()].budget_base += 1;
        } else {
            self.agents[agent.ix()].failed += 1;
        }
    }

    #[inline]
    fn task_completed(&mut self, wf: &Workflow, now: u64, task: TaskId) {
        self.tasks[task.ix()].state = TaskState::Completed;
        self.completed += 1;
        self.terminal += 1;
        self.makespan_ms = now;
        for d in wf.dependents(task) {
            // A task completing again (a planner back from rework) finds the subtasks it
            // added done already: they wait for nothing.
            let t = &mut self.tasks[d.ix()];
            t.remaining_deps = t.remaining_deps.saturating_sub(1);
        }
    }

    #[inline]
    fn task_skipped(&mut self, ev: &Event, task: TaskId, cause: TaskId, reason: super::event::SkipReason) {
        if reason != super::event::SkipReason::UpstreamFailed {
            self.votes.apply(ev.t_ms, &ev.kind, &mut self.timers);
        }
        let t = &mut self.tasks[task.ix()];
        t.state = TaskState::Skipped;
        t.end_reason = Some(TaskEnd::Skipped { cause });
        self.skipped += 1;
        self.terminal += 1;
        self.makespan_ms = ev.t_ms;
    }

    /// An agent came back (or an operator undid its draining).
    #[inline]
    fn agent_revived(&mut self, wf: &Workflow, now: u64, agent: AgentId) {
        let a = &mut self.agents[agent.ix()];
        if a.alive {
            a.draining = false;
        } else {
            a.alive = true;
            a.lost = false;
            self.heard_from(agent, now);
        }
        self.index_agent(wf, agent);
    }

    /// An ended task runs again: its counts are taken back and its retry budget starts over.
    #[inline]
    fn task_reopened(&mut self, wf: &Workflow, ev: &Event, task: TaskId) {
        let t = &mut self.tasks[task.ix()];
        match t.state {
            TaskState::Failed => self.failed -= 1,
            TaskState::Skipped => self.skipped -= 1,
            _ => {}
        }
        if t.state.is_terminal() {
            self.terminal -= 1;
        }
        t.state = TaskState::Waiting;
        t.end_reason = None;
        t.budget_base = t.attempts;
        self.ladder.apply(wf, ev.t_ms, &ev.kind, &mut self.timers);
        if !self.votes.branch_skipped.is_empty() {
            self.votes.apply(ev.t_ms, &ev.kind, &mut self.timers);
        }
    }

    #[inline]
    fn operator_acted(&mut self, action: super::event::OpAction) {
        if let super::event::OpAction::Speed(x) = action {
            self.speed = x;
        }
        if let Some(t) = action.task() {
            self.tasks[t.ix()].operator_touched = true;
        }
        if let super::event::OpAction::Reopen(t) = action {
            self.auctions.reset(t);
        }
    }

    #[inline]
    fn breaker_changed(&mut self, wf: &Workflow, agent: AgentId, state: BreakerState) {
        self.unindex_agent(wf, agent);
        self.agents[agent.ix()].health.set_breaker(state);
        if let BreakerState::Open { until_ms } = state {
            self.timers.push_at(until_ms, Timer::BreakerProbe { agent, at: until_ms });
        }
        self.index_agent(wf, agent);
    }

    /// The task went to the operator's inbox.
    #[inline]
    fn task_escalated(&mut self, wf: &Workflow, ev: &Event, task: TaskId) {
        self.tasks[task.ix()].state = TaskState::Escalated;
        self.inbox.push((task, ev.t_ms));
        self.escalations += 1;
        self.ladder.apply(wf, ev.t_ms, &ev.kind, &mut self.timers);
        self.votes.apply(ev.t_ms, &ev.kind, &mut self.timers);
    }

    fn count_message(&mut self, msg: &Message, now: u64) {
        self.next_msg_id = msg.id + 1;
        self.bus.count(msg);
        // A hop the coordinator relays for an agent is not a sign of life from it.
        if let super::bus::Endpoint::Agent(a) = msg.from
            && !msg.kind.is_relayed()
        {
            self.heard_from(a, now);
            if self.ctx.has_leases() {
                self.renew_leases(a, now);
            }
        }
    }

    /// Any message proves the agent alive: its silence deadline moves to `now + timeout`.
    pub(crate) fn heard_from(&mut self, agent: AgentId, now: u64) {
        self.agents[agent.ix()].last_heartbeat_ms = Some(now);
        if self.heartbeat_timeout_ms > 0 {
            // One shared delay, so these all go through one FIFO (see `timers.rs`).
            let timer = Timer::HeartbeatDeadline { agent, seen_ms: now };
            self.watchdog.push_after(now, self.heartbeat_timeout_ms, timer);
        }
    }

    fn end_attempt(
        &mut self,
        wf: &Workflow,
        task: TaskId,
        agent: AgentId,
        now: u64,
        end: AttemptEnd,
        health: Option<(bool, f64)>,
    ) {
        let t = &mut self.tasks[task.ix()];
        t.state = TaskState::Retrying;
        let mut started = now;
        if let Some(rec) = self.attempt_log.get_mut(t.last_attempt as usize) {
            rec.end_ms = Some(now);
            rec.end = end;
            started = rec.start_ms;
        }
        let cfg = self.health_cfg;
        self.reindex_agent(wf, agent, |a| {
            if let Some((ok, slowness)) = health {
                a.health.record(ok, slowness, &cfg);
            }
            a.running.retain(|&r| r != task);
            a.busy_ms += now - started;
        });
    }

    /// Whether the task's latest attempt is still running (a task waiting for a lock has been
    /// assigned but has no running attempt).
    pub fn attempt_running(&self, task: TaskId) -> bool {
        self.last_attempt(task).is_some_and(|r| r.end == AttemptEnd::Running)
    }

    /// Takes a task that never started its attempt off its agent (it left a lock queue).
    pub(crate) fn free_slot(&mut self, wf: &Workflow, task: TaskId, agent: AgentId) {
        self.unindex_agent(wf, agent);
        self.agents[agent.ix()].running.retain(|&r| r != task);
        self.tasks[task.ix()].state = TaskState::Retrying;
        self.index_agent(wf, agent);
    }

    /// The latest attempt of a task, if any started.
    pub fn last_attempt(&self, task: TaskId) -> Option<&AttemptRecord> {
        self.attempt_log.get(self.tasks[task.ix()].last_attempt as usize)
    }

    /// A task's attempts, oldest first.
    pub fn history(&self, task: TaskId) -> Vec<AttemptRecord> {
        let mut out = Vec::new();
        let mut i = self.tasks[task.ix()].last_attempt;
        while let Some(rec) = self.attempt_log.get(i as usize) {
            out.push(*rec);
            i = rec.prev;
        }
        out.reverse();
        out
    }

    /// Whether a timer still refers to the current attempt of its task.
    pub fn timer_is_live(&self, timer: Timer) -> bool {
        match timer {
            Timer::AttemptDeadline { task, attempt } => {
                let t = &self.tasks[task.ix()];
                t.state == TaskState::Running && t.attempts == attempt && self.attempt_running(task)
            }
            Timer::RetryDue { task, attempt } => {
                let t = &self.tasks[task.ix()];
                t.state == TaskState::Retrying && t.attempts + 1 == attempt && !t.held
            }
            Timer::HeartbeatDeadline { agent, seen_ms } => {
                let a = &self.agents[agent.ix()];
                a.alive && a.last_heartbeat_ms == Some(seen_ms)
            }
            Timer::BreakerProbe { agent, at } => {
                self.agents[agent.ix()].health.breaker == BreakerState::Open { until_ms: at }
            }
            Timer::LockLease { .. } | Timer::LeaderLease { .. } => self.ctx.timer_is_live(timer),
            Timer::InboxSla { task, at } => {
                self.tasks[task.ix()].state == TaskState::Escalated && self.ladder.sla_live(task, at)
            }
            Timer::AuctionClose { auction } => self.auctions.timer_is_live(auction),
            Timer::SwarmTick { at } => self.swarm.tick_is_live(at),
            Timer::BallotClose { task, at } => {
                !self.tasks[task.ix()].state.is_terminal() && self.votes.close_live(task, at)
            }
            Timer::SpawnCheck { task, at } => {
                self.elastic.spawn_is_live(&self.tasks, &self.agents, &self.avail, task, at)
            }
            Timer::RetireCheck { agent, at } => self.elastic.retire_is_live(agent, at),
            Timer::HelpTimeout { id } => self.teams.help_waiting(id),
            Timer::Announce { n } => self.teams.announced == n,
        }
    }

    fn mark_dirty(&mut self, class: ClassId) {
        let c = class.0 as usize;
        if !self.is_dirty[c] {
            self.is_dirty[c] = true;
            self.dirty.push(class);
        }
    }

    /// Changes the agent's load or health by `change`, keeping its pools' availability sets in
    /// step: [`State::unindex_agent`], `change`, [`State::index_agent`], with an agent of one pool
    /// that stays available moved within its set in one step (the usual assignment or result).
    pub(crate) fn reindex_agent(&mut self, wf: &Workflow, agent: AgentId, change: impl FnOnce(&mut AgentRt)) {
        let &[p] = wf.agent_pools[agent.ix()].as_slice() else {
            self.unindex_agent(wf, agent);
            change(&mut self.agents[agent.ix()]);
            self.index_agent(wf, agent);
            return;
        };
        let pool = &wf.pools[p.0 as usize];
        let set = &mut self.avail[p.0 as usize];
        // An available agent is in its set under its current key (what `unindex_agent` computes).
        let old = set.key_of(agent.0);
        debug_assert_eq!(old.is_some(), self.agents[agent.ix()].available());
        let a = &mut self.agents[agent.ix()];
        change(a);
        let new = a.available().then(|| a.key(pool.strategy, &self.health_cfg));
        match (old, new) {
            (Some(old), Some(new)) => set.update(agent.0, old, new),
            (Some(old), None) => {
                set.remove(&(old, agent.0));
            }
            (None, Some(new)) => {
                set.insert((new, agent.0));
            }
            (None, None) => return,
        }
        if new.is_some() {
            self.wake_classes(pool);
        }
    }

    /// Removes the agent from its pools' availability sets (call before changing its load).
    pub(crate) fn unindex_agent(&mut self, wf: &Workflow, agent: AgentId) {
        let a = &self.agents[agent.ix()];
        if !a.available() {
            return;
        }
        for &p in &wf.agent_pools[agent.ix()] {
            let key = a.key(wf.pools[p.0 as usize].strategy, &self.health_cfg);
            self.avail[p.0 as usize].remove(&(key, agent.0));
        }
    }

    /// Puts the agent back into its pools' availability sets (call after changing its load) and
    /// flags the classes that could now dispatch.
    pub(crate) fn index_agent(&mut self, wf: &Workflow, agent: AgentId) {
        if !self.agents[agent.ix()].available() {
            return;
        }
        for &p in &wf.agent_pools[agent.ix()] {
            let pool = &wf.pools[p.0 as usize];
            let key = self.agents[agent.ix()].key(pool.strategy, &self.health_cfg);
            self.avail[p.0 as usize].insert((key, agent.0));
            self.wake_classes(pool);
        }
    }

    /// An agent of `pool` became available: flags its classes that have tasks ready.
    fn wake_classes(&mut self, pool: &crate::core::workflow::Pool) {
        for &c in &pool.classes {
            if !self.ready[c.0 as usize].is_empty() {
                self.mark_dirty(c);
            }
        }
    }
}
