//! Operator commands: what a person at the console (or a script) may ask of a running workflow.
//!
//! Every command is first checked ([`Coordinator::check_operator`]) — a command that does not apply
//! is refused with a reason and recorded as `command_refused` — then recorded as an
//! `operator_action` event (who, what, when, why) and carried out by ordinary events, so the journal
//! tells the whole story and replay rebuilds it. [`Coordinator::impact`] previews what a destructive
//! command would do, for the console's confirmation prompt.

use std::sync::Arc;

use super::bus::{Endpoint, MsgKind, Payload};
use super::coordinator::Coordinator;
use super::event::{AttemptFailure, EventKind, OpAction, Origin, Refusal, Resolution, TaskFailure};
use super::ids::{AgentId, TaskId};
use super::state::{TaskEnd, TaskState};

/// What a command would change, beyond its target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impact {
    /// Tasks that would be skipped because of it.
    pub skipped: Vec<TaskId>,
    /// A running attempt that would be cancelled (task, agent).
    pub interrupted: Vec<(TaskId, AgentId)>,
    /// Tasks that would come back into play.
    pub reopened: Vec<TaskId>,
}

impl Impact {
    pub fn is_destructive(&self) -> bool {
        !self.skipped.is_empty() || !self.interrupted.is_empty()
    }
}

impl Coordinator {
    /// Whether `action` applies right now, and why not.
    pub fn check_operator(&self, action: OpAction) -> Result<(), Refusal> {
        let s = &self.state;
        let task_state = |t: TaskId| &s.tasks[t.ix()];
        if let Some(t) = action.task()
            && task_state(t).state.is_dormant()
        {
            return Err(Refusal::TaskDormant(t));
        }
        if let Some(refusal) = self.check_vote_operator(action) {
            return Err(refusal);
        }
        match action {
            OpAction::Pause if s.paused => Err(Refusal::NoChange),
            OpAction::Resume if !s.paused => Err(Refusal::NoChange),
            OpAction::Speed(x) if !(0.01..=1000.0).contains(&x) => Err(Refusal::BadSpeed),
            OpAction::Pause | OpAction::Resume | OpAction::Step | OpAction::Speed(_) | OpAction::Restart => Ok(()),
            OpAction::Hold(t) => self.check_hold(t),
            OpAction::Release(t) => {
                if task_state(t).held {
                    Ok(())
                } else {
                    Err(Refusal::NotHeld(t))
                }
            }
            OpAction::Retry(t) => self.check_retry(t),
            OpAction::Reassign(t, a) => self.check_reassign(t, a),
            OpAction::Escalate(t) => self.check_escalate(t),
            OpAction::Cancel(t) => {
                if task_state(t).state.is_terminal() {
                    Err(Refusal::TaskEnded(t))
                } else {
                    Ok(())
                }
            }
            OpAction::Resolve(t, _) => {
                if task_state(t).state == TaskState::Escalated {
                    Ok(())
                } else {
                    Err(Refusal::NotEscalated(t))
                }
            }
            OpAction::Crash(a) => {
                if s.agents[a.ix()].alive {
                    Ok(())
                } else {
                    Err(Refusal::AgentAlreadyDown(a))
                }
            }
            OpAction::Revive(a) => self.check_revive(a),
            OpAction::Drain(a) => self.check_drain(a),
            // The coordinator cannot judge injected faults by its own state (it is not told about
            // them): the driver refuses those that cannot apply. Only the numbers are checked here.
            OpAction::Slow(_, f) if !(f.is_finite() && f > 0.0) => Err(Refusal::BadFactor),
            OpAction::Flaky(_, r) if !(0.0..=1.0).contains(&r) => Err(Refusal::BadRate),
            OpAction::Hang(_) | OpAction::Slow(..) | OpAction::Flaky(..) | OpAction::Partition(_) | OpAction::Heal => {
                Ok(())
            }
            OpAction::Award(t, a) => self.check_award(t, a),
            OpAction::Reopen(t) => self.check_reopen(t),
            // Checked by `check_vote_operator`.
            OpAction::CastVote(..) | OpAction::Veto(_) => Ok(()),
        }
    }

    /// The agent running the task, if it runs.
    fn running_on(&self, t: TaskId) -> Option<AgentId> {
        let rt = &self.state.tasks[t.ix()];
        (rt.state == TaskState::Running).then(|| rt.agent.expect("running task has an agent"))
    }

    fn check_hold(&self, t: TaskId) -> Result<(), Refusal> {
        let rt = &self.state.tasks[t.ix()];
        if rt.state.is_terminal() {
            Err(Refusal::TaskEnded(t))
        } else if let Some(a) = self.running_on(t) {
            Err(Refusal::TaskRunning(t, a))
        } else if rt.held {
            Err(Refusal::AlreadyHeld(t))
        } else if rt.state == TaskState::Escalated {
            Err(Refusal::AlreadyEscalated(t))
        } else {
            Ok(())
        }
    }

    fn check_retry(&self, t: TaskId) -> Result<(), Refusal> {
        match self.state.tasks[t.ix()].state {
            TaskState::Running => Err(Refusal::TaskRunning(t, self.running_on(t).expect("running"))),
            TaskState::Completed => Err(Refusal::TaskEnded(t)),
            TaskState::Waiting | TaskState::Ready | TaskState::Dormant => Err(Refusal::NotRetryable(t)),
            TaskState::Retrying | TaskState::Failed | TaskState::Skipped | TaskState::Escalated => Ok(()),
        }
    }

    fn check_reassign(&self, t: TaskId, a: AgentId) -> Result<(), Refusal> {
        let rt = &self.state.tasks[t.ix()];
        let agent = &self.state.agents[a.ix()];
        if rt.state.is_terminal() {
            Err(Refusal::TaskEnded(t))
        } else if rt.state == TaskState::Waiting && rt.remaining_deps > 0 {
            Err(Refusal::TaskWaiting(t))
        } else if !self.capable_agents(t).contains(&a) {
            Err(Refusal::AgentIncapable(t, a))
        } else if !agent.alive {
            Err(Refusal::AgentDown(a))
        } else if agent.draining {
            Err(Refusal::AgentDraining(a))
        } else if self.running_on(t) == Some(a) {
            Err(Refusal::AlreadyOnAgent(t, a))
        } else if agent.running.len() as u32 >= agent.max_concurrent {
            Err(Refusal::AgentBusy(a))
        } else {
            Ok(())
        }
    }

    fn check_escalate(&self, t: TaskId) -> Result<(), Refusal> {
        let rt = &self.state.tasks[t.ix()];
        if rt.state.is_terminal() {
            Err(Refusal::TaskEnded(t))
        } else if let Some(a) = self.running_on(t) {
            Err(Refusal::TaskRunning(t, a))
        } else if rt.state == TaskState::Escalated {
            Err(Refusal::AlreadyEscalated(t))
        } else if rt.remaining_deps > 0 {
            Err(Refusal::TaskWaiting(t))
        } else {
            Ok(())
        }
    }

    fn check_revive(&self, a: AgentId) -> Result<(), Refusal> {
        let agent = &self.state.agents[a.ix()];
        if !self.state.elastic.is_present(a) {
            Err(Refusal::AgentAbsent(a))
        } else if !agent.alive || agent.draining {
            Ok(())
        } else {
            Err(Refusal::AgentNotDown(a))
        }
    }

    fn check_drain(&self, a: AgentId) -> Result<(), Refusal> {
        let agent = &self.state.agents[a.ix()];
        if !agent.alive {
            Err(Refusal::AgentDown(a))
        } else if agent.draining {
            Err(Refusal::AgentDraining(a))
        } else {
            Ok(())
        }
    }

    /// Agents that have the task's capability and specializations.
    pub fn capable_agents(&self, task: TaskId) -> &[AgentId] {
        &self.wf.classes[self.wf.task_class[task.ix()].0 as usize].agents
    }

    /// What `action` would do beyond its target (for a confirmation prompt). Assumes it applies.
    pub fn impact(&self, action: OpAction) -> Impact {
        let mut impact = Impact::default();
        let running = |t: TaskId| {
            let rt = &self.state.tasks[t.ix()];
            (rt.state == TaskState::Running).then(|| (t, rt.agent.expect("running task has an agent")))
        };
        match action {
            OpAction::Cancel(t) | OpAction::Resolve(t, Resolution::Fail | Resolution::Skip) => {
                impact.interrupted.extend(running(t));
                impact.skipped = self.downstream_open(t);
            }
            OpAction::Reassign(t, _) => impact.interrupted.extend(running(t)),
            // A hung or cut-off agent's running work is lost once the coordinator notices.
            OpAction::Crash(a) | OpAction::Hang(a) | OpAction::Partition(a) => {
                let agent = &self.state.agents[a.ix()];
                impact.interrupted = agent.running.iter().map(|&t| (t, a)).collect();
            }
            OpAction::Retry(t) => {
                let root = self.retry_root(t);
                impact.reopened.push(root);
                impact.reopened.extend(self.skipped_by(root));
            }
            _ => {}
        }
        impact
    }

    /// Carries out an operator command: refused (recorded, `Err`) or recorded and applied.
    pub fn handle_operator(
        &mut self,
        now: u64,
        action: OpAction,
        who: &str,
        reason: Option<&str>,
    ) -> Result<(), Refusal> {
        if let Err(refusal) = self.check_operator(action) {
            let kind = EventKind::CommandRefused { origin: Origin::Operator, reason: refusal, action: Some(action) };
            self.emit(now, kind);
            return Err(refusal);
        }
        tracing::info!(
            "{} {who}: {}{}",
            super::coordinator::clock(now),
            action.name(),
            reason.map(|r| format!(" — {r}")).unwrap_or_default()
        );
        let kind = EventKind::OperatorAction { who: Arc::from(who), action, reason: reason.map(Arc::from) };
        self.emit(now, kind);
        match action {
            OpAction::Pause => self.emit(now, EventKind::RunPaused { paused: true }),
            OpAction::Resume => self.emit(now, EventKind::RunPaused { paused: false }),
            // Driver concerns: the event above is their record.
            OpAction::Step | OpAction::Speed(_) | OpAction::Restart => {}
            OpAction::Hold(task) => self.emit(now, EventKind::TaskHeld { task }),
            OpAction::Release(task) => {
                self.emit(now, EventKind::TaskReleased { task });
                let rt = &self.state.tasks[task.ix()];
                let due = match rt.state {
                    TaskState::Ready => true,
                    TaskState::Waiting => rt.remaining_deps == 0,
                    TaskState::Retrying => rt.retry_at_ms <= now,
                    _ => false,
                };
                if due {
                    self.make_ready(now, task);
                }
            }
            OpAction::Retry(task) => self.operator_retry(now, task),
            OpAction::Reassign(task, agent) => {
                self.interrupt(now, task);
                if self.state.tasks[task.ix()].held {
                    self.emit(now, EventKind::TaskReleased { task });
                }
                if self.attempts_left(task) == 0 || self.state.tasks[task.ix()].state == TaskState::Escalated {
                    // An operator's choice of agent comes with a fresh retry budget.
                    self.emit(now, EventKind::TaskReopened { task });
                }
                self.assign(now, task, agent, None);
            }
            OpAction::Escalate(task) => self.escalate(now, task, Origin::Operator),
            OpAction::Cancel(task) => {
                self.interrupt(now, task);
                self.fail_task(now, task, TaskFailure::Cancelled);
                self.check_finished(now);
            }
            OpAction::Resolve(task, resolution) => self.resolve(now, task, resolution),
            OpAction::Crash(agent) => self.crash_agent(now, agent, Origin::Operator),
            OpAction::Revive(agent) => self.revive_agent(now, agent, Origin::Operator),
            OpAction::Drain(agent) => self.emit(now, EventKind::AgentDraining { agent, origin: Origin::Operator }),
            // Injected by the driver, which records what it did as `fault_injected`.
            OpAction::Hang(_) | OpAction::Slow(..) | OpAction::Flaky(..) | OpAction::Partition(_) | OpAction::Heal => {}
            OpAction::Award(task, agent) => self.operator_award(now, task, agent),
            OpAction::Reopen(task) => self.operator_reopen(now, task),
            OpAction::CastVote(task, choice) => self.operator_vote(now, task, choice),
            OpAction::Veto(task) => {
                use crate::protocols::vote::{DecideReason, Verdict};
                self.decide_proposal(now, task, Verdict::Rejected, DecideReason::Veto)
            }
        }
        self.dispatch(now);
        Ok(())
    }

    /// Settles an inbox item (an operator's `resolve`, or an SLA's default action).
    pub(crate) fn resolve(&mut self, now: u64, task: TaskId, resolution: Resolution) {
        if self.wf.decision_of(task).is_some() && self.decide_by_resolution(now, task, resolution) {
            return;
        }
        match resolution {
            Resolution::Retry => {
                self.emit(now, EventKind::TaskReopened { task });
                self.make_ready(now, task);
            }
            Resolution::Skip => {
                let reason = super::event::SkipReason::UpstreamFailed;
                self.emit(now, EventKind::TaskSkipped { task, cause: task, reason });
                self.skip_downstream(now, task, task);
            }
            Resolution::Done => {
                let attempts = self.state.tasks[task.ix()].attempts;
                self.emit(now, EventKind::TaskCompleted { task, agent: None, attempts });
                self.release_dependents(now, task);
            }
            Resolution::Fail => self.fail_task(now, task, TaskFailure::Operator),
        }
        self.check_finished(now);
    }

    /// Cancels the task's running attempt, if it has one.
    pub(crate) fn interrupt(&mut self, now: u64, task: TaskId) {
        if self.state.tasks[task.ix()].state != TaskState::Running || self.leave_lock_queue(now, task) {
            return;
        }
        let rt = &self.state.tasks[task.ix()];
        let (agent, attempt) = (rt.agent.expect("running task has an agent"), rt.attempts);
        let reason = AttemptFailure::Operator;
        self.emit(now, EventKind::AttemptFailed { task, agent, attempt, reason });
        self.send(now, Endpoint::Agent(agent), MsgKind::Cancel, None, Payload::Cancel { task, attempt });
    }

    /// The task a retry of `task` really retries: a skipped task is retried through the failure that
    /// caused it.
    fn retry_root(&self, task: TaskId) -> TaskId {
        match self.state.tasks[task.ix()].end_reason {
            Some(TaskEnd::Skipped { cause }) if cause != task => cause,
            _ => task,
        }
    }

    /// Skipped tasks downstream of `root` whose skip it caused, in dependency order.
    fn skipped_by(&self, root: TaskId) -> Vec<TaskId> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        let mut seen = std::collections::HashSet::new();
        while let Some(t) = stack.pop() {
            for d in self.wf.dependents(t) {
                let rt = &self.state.tasks[d.ix()];
                if rt.end_reason == Some(TaskEnd::Skipped { cause: root }) && seen.insert(d) {
                    out.push(d);
                    stack.push(d);
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Tasks downstream of `task` that have not ended (what cancelling it would skip).
    fn downstream_open(&self, task: TaskId) -> Vec<TaskId> {
        let mut out = Vec::new();
        let mut stack = vec![task];
        let mut seen = std::collections::HashSet::new();
        while let Some(t) = stack.pop() {
            for d in self.wf.dependents(t) {
                if !self.state.tasks[d.ix()].state.is_terminal() && seen.insert(d) {
                    out.push(d);
                    stack.push(d);
                }
            }
        }
        out.sort_unstable();
        out
    }

    fn operator_retry(&mut self, now: u64, task: TaskId) {
        match self.state.tasks[task.ix()].state {
            // Waiting out a backoff: go now.
            TaskState::Retrying => {
                if self.state.tasks[task.ix()].held {
                    self.emit(now, EventKind::TaskReleased { task });
                }
                self.make_ready(now, task);
            }
            TaskState::Escalated => {
                self.emit(now, EventKind::TaskReopened { task });
                self.make_ready(now, task);
            }
            _ => {
                let root = self.retry_root(task);
                if self.is_finished() {
                    self.emit(now, EventKind::RunReopened);
                }
                let restored = self.skipped_by(root);
                self.emit(now, EventKind::TaskReopened { task: root });
                for &d in &restored {
                    self.emit(now, EventKind::TaskReopened { task: d });
                }
                // A restored task may also depend on another failure: it stays skipped for that one.
                for &d in &restored {
                    let other = self.wf.dependencies(d).find(|&dep| {
                        matches!(self.state.tasks[dep.ix()].state, TaskState::Failed | TaskState::Skipped)
                    });
                    if let Some(dep) = other
                        && self.state.tasks[d.ix()].state == TaskState::Waiting
                    {
                        let cause = self.retry_root(dep);
                        let reason = super::event::SkipReason::UpstreamFailed;
                        self.emit(now, EventKind::TaskSkipped { task: d, cause, reason });
                        self.skip_downstream(now, d, cause);
                    }
                }
                if self.state.tasks[root.ix()].remaining_deps == 0 {
                    self.make_ready(now, root);
                }
            }
        }
    }
}
