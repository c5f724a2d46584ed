//! Sagas: groups of steps whose completed work is undone, in reverse order of completion, when one
//! of them fails.
//!
//! [`Sagas`] holds the membership precomputed from the scenario (which task is a step of which
//! saga, which task compensates which step) and each saga's progress, rebuilt from events alone by
//! [`Sagas::apply`] (called from `State::apply`). The decisions — a saga's verdict, starting the
//! next compensation — are made in [`Coordinator::advance_sagas`], from that progress only, so they
//! are idempotent and a rebuilt coordinator makes the same ones.
//!
//! A compensator starts [`Dormant`](TaskState::Dormant): not ready, not terminal, invisible to the
//! dispatcher. It is woken (`compensation_started`) when its step's saga failed after the step
//! completed, and then runs like any task, except that when its retries are spent it goes to the
//! operator's inbox instead of failing. A saga's verdict is final: steps an operator brings back
//! afterwards do not change it.
//!
//! Tasks in no saga cost nothing: a scenario without sagas has an empty role table, and every
//! lookup is one bounds check.

use crate::core::Coordinator;
use crate::core::event::SagaEvent;
use crate::core::event::{Event, EventKind, Origin};
use crate::core::ids::TaskId;
use crate::core::state::{TaskRt, TaskState};
use crate::scenario::Scenario;

/// Index into the scenario's `sagas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SagaId(pub u32);

impl SagaId {
    #[inline]
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

/// What a task is to the sagas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A step of `saga`, undone by `compensator` if it has one.
    Step { saga: SagaId, compensator: Option<TaskId> },
    /// Undoes `step` of `saga`.
    Compensator { saga: SagaId, step: TaskId },
}

/// Where a saga is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Some step has not ended.
    Running,
    /// Every step completed.
    Completed,
    /// A step failed or was skipped: compensations run one at a time.
    Compensating,
    /// Every compensation that was needed has ended.
    Compensated,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Running => "running",
            Phase::Completed => "completed",
            Phase::Compensating => "compensating",
            Phase::Compensated => "compensated",
        }
    }
}

/// One saga's progress.
#[derive(Debug, Clone, PartialEq)]
pub struct SagaRt {
    pub phase: Phase,
    /// Steps that have not ended.
    pub pending: u32,
    /// Completed steps, in order of completion.
    pub done: Vec<TaskId>,
    /// Failed or skipped steps, in order.
    pub bad: Vec<TaskId>,
    /// The step whose failure failed the saga.
    pub cause: Option<TaskId>,
    /// Compensations still to start, next first: `(step, compensator)`.
    pub queue: Vec<(TaskId, TaskId)>,
    /// Compensations started, in order: `(step, compensator)`; the last one may still run.
    pub started: Vec<(TaskId, TaskId)>,
    /// Compensations that completed / that ended otherwise (failed or skipped, by an operator or a
    /// stalled run).
    pub compensated: u32,
    pub failed: u32,
}

impl SagaRt {
    /// The compensation running now, if any.
    pub fn current(&self) -> Option<(TaskId, TaskId)> {
        match self.phase {
            Phase::Compensating => self.started.last().copied(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sagas {
    /// Each task's role; empty when the scenario has no sagas.
    role: Vec<Option<Role>>,
    /// Each saga's steps, in the file's order.
    pub steps: Vec<Vec<TaskId>>,
    pub rt: Vec<SagaRt>,
    /// Compensators not woken (yet): the run is over when every other task has ended.
    pub dormant: u32,
    /// Sagas that may have a decision to make. A hint, not state (deciding is idempotent), so it is
    /// left out of the digest.
    pub(crate) dirty: Vec<SagaId>,
}

impl Sagas {
    /// Membership from a validated scenario.
    pub fn new(scenario: &Scenario) -> Sagas {
        let mut sagas = Sagas { role: Vec::new(), steps: Vec::new(), rt: Vec::new(), dormant: 0, dirty: Vec::new() };
        if scenario.sagas.is_empty() {
            return sagas;
        }
        let ids = crate::scenario::DepIndex::id_map(&scenario.tasks);
        let index = |name: &str| TaskId(ids[name]);
        sagas.role = vec![None; scenario.tasks.len()];
        for (s, spec) in scenario.sagas.iter().enumerate() {
            let saga = SagaId(s as u32);
            let steps: Vec<TaskId> = spec.tasks.iter().map(|name| index(name)).collect();
            for &step in &steps {
                let compensator = scenario.tasks[step.ix()].extras().compensate.as_deref().map(index);
                sagas.role[step.ix()] = Some(Role::Step { saga, compensator });
                if let Some(c) = compensator {
                    sagas.role[c.ix()] = Some(Role::Compensator { saga, step });
                    sagas.dormant += 1;
                }
            }
            sagas.rt.push(SagaRt {
                phase: Phase::Running,
                pending: steps.len() as u32,
                done: Vec::new(),
                bad: Vec::new(),
                cause: None,
                queue: Vec::new(),
                started: Vec::new(),
                compensated: 0,
                failed: 0,
            });
            sagas.steps.push(steps);
        }
        sagas
    }

    pub fn is_empty(&self) -> bool {
        self.rt.is_empty()
    }

    #[inline]
    pub fn role(&self, task: TaskId) -> Option<Role> {
        self.role.get(task.ix()).copied().flatten()
    }

    pub fn is_compensator(&self, task: TaskId) -> bool {
        matches!(self.role(task), Some(Role::Compensator { .. }))
    }

    /// Compensators, in task order (they start dormant).
    pub fn compensators(&self) -> impl Iterator<Item = TaskId> + '_ {
        (0..self.role.len()).map(|i| TaskId(i as u32)).filter(|&t| self.is_compensator(t))
    }

    /// Folds one event in; `tasks` is the task state *before* the event is applied.
    pub fn apply(&mut self, ev: &Event, tasks: &[TaskRt]) {
        match ev.kind {
            EventKind::TaskCompleted { task, .. } => self.task_ended(task, true, tasks),
            EventKind::TaskFailed { task, .. } | EventKind::TaskSkipped { task, .. } => {
                self.task_ended(task, false, tasks)
            }
            EventKind::TaskReopened { task } => {
                // A failed step brought back before the verdict: the saga waits for it again.
                if let Some(Role::Step { saga, .. }) = self.role(task) {
                    let rt = &mut self.rt[saga.ix()];
                    if rt.phase == Phase::Running && tasks[task.ix()].state.is_terminal() {
                        rt.pending += 1;
                        rt.bad.retain(|&t| t != task);
                    }
                }
            }
            EventKind::Saga(SagaEvent::SagaCompleted { saga }) => self.rt[saga.ix()].phase = Phase::Completed,
            EventKind::Saga(SagaEvent::SagaFailed { saga, cause }) => {
                let role = &self.role;
                let rt = &mut self.rt[saga.ix()];
                rt.phase = Phase::Compensating;
                rt.cause = Some(cause);
                rt.queue = rt
                    .done
                    .iter()
                    .rev()
                    .filter_map(|&step| match role[step.ix()] {
                        Some(Role::Step { compensator: Some(c), .. }) => Some((step, c)),
                        _ => None,
                    })
                    .collect();
            }
            EventKind::Saga(SagaEvent::CompensationStarted { saga, task, step }) => {
                let rt = &mut self.rt[saga.ix()];
                rt.queue.retain(|&(s, _)| s != step);
                rt.started.push((step, task));
                self.dormant -= 1;
            }
            EventKind::Saga(SagaEvent::SagaCompensated { saga, .. }) => self.rt[saga.ix()].phase = Phase::Compensated,
            _ => {}
        }
    }

    /// A step or the running compensator ended (`ok`: it completed).
    fn task_ended(&mut self, task: TaskId, ok: bool, tasks: &[TaskRt]) {
        match self.role(task) {
            Some(Role::Step { saga, .. }) => {
                let rt = &mut self.rt[saga.ix()];
                if rt.phase == Phase::Running && !tasks[task.ix()].state.is_terminal() {
                    rt.pending -= 1;
                    if ok {
                        rt.done.push(task)
                    } else {
                        rt.bad.push(task)
                    }
                    self.dirty.push(saga);
                }
            }
            Some(Role::Compensator { saga, .. }) => {
                let rt = &mut self.rt[saga.ix()];
                if rt.current().is_some_and(|(_, c)| c == task) {
                    if ok {
                        rt.compensated += 1
                    } else {
                        rt.failed += 1
                    }
                    self.dirty.push(saga);
                }
            }
            None => {}
        }
    }

    /// For the state digest.
    pub fn digest(&self) -> String {
        format!("dormant={} sagas={:?}", self.dormant, self.rt)
    }
}

impl Coordinator {
    /// Makes the decisions the latest events call for: a saga's verdict once all its steps have
    /// ended, the next compensation once the previous one has. Called before the run's own
    /// end-of-run check, so a run never ends between two compensations.
    pub(crate) fn advance_sagas(&mut self, now: u64) {
        while !self.state.sagas.dirty.is_empty() {
            let dirty = std::mem::take(&mut self.state.sagas.dirty);
            for saga in dirty {
                self.advance_saga(now, saga);
            }
        }
    }

    fn advance_saga(&mut self, now: u64, saga: SagaId) {
        let rt = &self.state.sagas.rt[saga.ix()];
        match rt.phase {
            Phase::Running if rt.pending == 0 => match rt.bad.first() {
                None => {
                    tracing::info!("{} saga {} completed", crate::core::clock(now), self.saga_name(saga));
                    self.emit(now, EventKind::Saga(SagaEvent::SagaCompleted { saga }));
                }
                Some(&cause) => {
                    tracing::warn!(
                        "{} saga {} failed at {}: compensating",
                        crate::core::clock(now),
                        self.saga_name(saga),
                        self.task_name(cause)
                    );
                    self.emit(now, EventKind::Saga(SagaEvent::SagaFailed { saga, cause }));
                    self.next_compensation(now, saga);
                }
            },
            Phase::Compensating => {
                let ended = rt.current().is_none_or(|(_, c)| self.state.tasks[c.ix()].state.is_terminal());
                if ended {
                    self.next_compensation(now, saga);
                }
            }
            _ => {}
        }
    }

    /// Wakes the next compensator of a failed saga, or closes the saga when none is left.
    fn next_compensation(&mut self, now: u64, saga: SagaId) {
        let rt = &self.state.sagas.rt[saga.ix()];
        match rt.queue.first() {
            Some(&(step, task)) => {
                tracing::info!(
                    "{} saga {}: {} compensates {}",
                    crate::core::clock(now),
                    self.saga_name(saga),
                    self.task_name(task),
                    self.task_name(step)
                );
                self.emit(now, EventKind::Saga(SagaEvent::CompensationStarted { saga, task, step }));
                self.make_ready(now, task);
            }
            None => {
                let (compensated, failed) = (rt.compensated, rt.failed);
                self.emit(now, EventKind::Saga(SagaEvent::SagaCompensated { saga, compensated, failed }));
            }
        }
    }

    /// A task cannot be retried (its attempts are spent, or its agent said retrying is pointless):
    /// it fails, unless it is a compensator, which goes to the operator's inbox instead (undoing
    /// work is not given up on silently).
    pub(crate) fn give_up(&mut self, now: u64, task: TaskId, failure: crate::core::event::TaskFailure) {
        if self.state.sagas.is_compensator(task) {
            tracing::warn!(
                "{} compensation {} cannot go on ({}): escalated",
                crate::core::clock(now),
                self.task_name(task),
                failure.code()
            );
            self.escalate(now, task, Origin::Detected);
        } else {
            self.fail_task(now, task, failure);
        }
    }

    pub fn saga_name(&self, saga: SagaId) -> &str {
        &self.scenario.sagas[saga.ix()].id
    }
}

impl TaskState {
    /// Dormant compensators are neither waiting for work nor done.
    pub fn is_dormant(self) -> bool {
        self == TaskState::Dormant
    }
}

/// Folds a saga's event into the run's state (the saga's own progress is folded by [`Sagas::apply`],
/// which sees every event).
pub(crate) fn apply(s: &mut crate::core::state::State, event: &SagaEvent) {
    match *event {
        // Dormant until now: waits for nothing, so it is made ready next (unless held).
        SagaEvent::CompensationStarted { task, .. } => s.tasks[task.ix()].state = crate::core::TaskState::Waiting,
        SagaEvent::SagaCompleted { .. } | SagaEvent::SagaFailed { .. } | SagaEvent::SagaCompensated { .. } => {}
    }
}
