//! Escalation ladders: where a failing task goes next, tier by tier, up to the operator's inbox
//! and its SLA.
//!
//! A ladder is compiled once per scenario ([`compile`]): each tier that sends work somewhere else
//! (a fallback capability, a named agent) gets a dispatch class of its own, so moving a task up
//! a tier is just a different class for its next `task_ready`. The per-task progress
//! ([`LadderState`]) is a fold of `tier_entered`, `attempt_started`, `task_escalated`,
//! `inbox_sla_expired` and `task_reopened` events, and the decisions ([`Coordinator::climb`],
//! [`Coordinator::sla_expired`]) read it and emit those events. Tasks without a ladder never
//! touch any of this: the state stays an empty map.

use crate::core::event::LadderEvent;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::core::event::{AttemptFailure, EventKind, Origin, Resolution, TaskFailure};
use crate::core::ids::{AgentId, TaskId};
use crate::core::state::{AttemptEnd, TaskState};
use crate::core::timers::{Timer, Timers};
use crate::core::workflow::{ClassId, Classes, Workflow};
use crate::core::{Coordinator, backoff_ms, clock};
use crate::scenario::{Expiry, Scenario, Strategy, Target, Tier, TierName};

/// `Workflow::task_ladder` entry of a task without a ladder.
pub const NO_LADDER: u32 = u32::MAX;

/// One tier, with the class its attempts are dispatched to (`None`: the task's own class).
#[derive(Debug, Clone)]
pub struct Rung {
    pub tier: Tier,
    pub class: Option<ClassId>,
}

#[derive(Debug, Clone)]
pub struct Ladder {
    pub rungs: Vec<Rung>,
}

impl Ladder {
    /// The inbox tier's SLA and expiry action, if the ladder ends in the inbox.
    pub fn inbox(&self) -> Option<(Option<u64>, Expiry)> {
        self.rungs.iter().find_map(|r| match r.tier {
            Tier::Inbox { sla_ms, on_expiry } => Some((sla_ms, on_expiry)),
            _ => None,
        })
    }
}

/// Compiles the scenario's ladders: one per allocation strategy for the default ladder, one per
/// task that has its own. Returns them and each task's ladder index (empty when none has one).
pub(crate) fn compile<'s>(sc: &'s Scenario, b: &mut Classes<'s>) -> (Vec<Ladder>, Vec<u32>) {
    let own = |t: &crate::scenario::TaskSpec| t.extras().escalation.as_ref().is_some_and(|l| !l.is_empty());
    if sc.escalation.is_empty() && !sc.tasks.iter().any(own) {
        return (Vec::new(), Vec::new());
    }
    let mut ladders = Vec::new();
    let mut default_of: BTreeMap<Strategy, u32> = BTreeMap::new();
    let mut build = |tiers: &'s [Tier], strategy: Strategy, ladders: &mut Vec<Ladder>| {
        ladders.push(ladder(sc, tiers, |key| match key {
            TierClass::Skill(c) => b.skill(sc, c, Vec::new(), strategy),
            TierClass::Pinned(a) => b.pinned(sc, a, strategy),
        }));
        ladders.len() as u32 - 1
    };
    let task_ladder = sc
        .tasks
        .iter()
        .map(|t| {
            let strategy = t.allocation.unwrap_or(sc.allocation);
            match t.extras().escalation.as_deref() {
                Some([]) => NO_LADDER,
                Some(tiers) => build(tiers, strategy, &mut ladders),
                None if sc.escalation.is_empty() => NO_LADDER,
                None => match default_of.get(&strategy) {
                    Some(&l) => l,
                    None => {
                        let l = build(&sc.escalation, strategy, &mut ladders);
                        default_of.insert(strategy, l);
                        l
                    }
                },
            }
        })
        .collect();
    (ladders, task_ladder)
}

/// The class a tier sends work to: agents with a capability, or one agent.
pub(crate) enum TierClass<'s> {
    Skill(&'s str),
    Pinned(AgentId),
}

/// Compiles one ladder; `class` finds (or makes) the class of a tier that sends work elsewhere.
pub(crate) fn ladder<'s>(sc: &Scenario, tiers: &'s [Tier], mut class: impl FnMut(TierClass<'s>) -> ClassId) -> Ladder {
    let rungs = tiers
        .iter()
        .map(|tier| {
            let agent = |name: &str| {
                let i = sc.agents.iter().position(|a| a.id == name).expect("validated agent");
                AgentId(i as u32)
            };
            let class = match tier {
                Tier::Fallback { target: Target::Capability(c), .. } => Some(class(TierClass::Skill(c))),
                Tier::Fallback { target: Target::Agent(a), .. } | Tier::EscalateTo { agent: a, .. } => {
                    Some(class(TierClass::Pinned(agent(a))))
                }
                _ => None,
            };
            Rung { tier: tier.clone(), class }
        })
        .collect();
    Ladder { rungs }
}

/// What the inbox got with a task escalated by its ladder: the tiers it went through and every
/// attempt it made.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationContext {
    pub tiers: Vec<TierName>,
    pub history: Vec<AttemptNote>,
    /// What else the inbox should know (an auction's record, for a task no bid could win).
    pub note: Option<Arc<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptNote {
    pub attempt: u32,
    pub agent: AgentId,
    pub end: AttemptEnd,
}

/// An inbox item's SLA: due at `due_ms`; `expired` once it ran out (with the action taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    pub due_ms: u64,
    pub expired: Option<Expiry>,
}

/// One task's progress up its ladder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskLadder {
    /// Index of the current tier; `None` before the first (the plain first attempt).
    pub level: Option<u32>,
    pub tier: Option<TierName>,
    /// Attempts started in the current tier.
    pub used: u32,
    /// Where it is dispatched now, once it has climbed (its own class again after a reopen): a
    /// ready-queue entry in any other class is stale.
    pub class: Option<ClassId>,
    /// Levels of the tiers entered since the task was last (re)opened, in order, the inbox left out.
    pub tried: Vec<u32>,
    pub sla: Option<Sla>,
    /// Its ladder took it to the inbox at some point (so it did not heal by itself).
    pub escalated: bool,
    /// An SLA expiry already retried it: the next expiry waits for a person instead (a task that
    /// keeps failing must not loop through its ladder forever with nobody watching).
    pub sla_retried: bool,
}

/// Ladder progress of every task that has started climbing, or has an inbox SLA.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LadderState {
    pub tasks: BTreeMap<TaskId, TaskLadder>,
}

impl LadderState {
    pub fn get(&self, task: TaskId) -> Option<&TaskLadder> {
        self.tasks.get(&task)
    }

    /// The class a ready task is dispatched to, once its ladder decides it (`None`: its own).
    pub fn class_of(&self, task: TaskId) -> Option<ClassId> {
        if self.tasks.is_empty() {
            return None;
        }
        self.tasks.get(&task).and_then(|t| t.class)
    }

    /// Whether dispatch must avoid the agents that already failed the task.
    pub fn avoids_failed(&self, task: TaskId) -> bool {
        !self.tasks.is_empty() && self.tasks.get(&task).is_some_and(|t| t.tier == Some(TierName::OtherAgent))
    }

    /// Whether an `InboxSla` timer for `task` due at `at` still counts down.
    pub fn sla_live(&self, task: TaskId, at: u64) -> bool {
        self.tasks.get(&task).and_then(|t| t.sla) == Some(Sla { due_ms: at, expired: None })
    }

    /// Folds one event in (called from `State::apply` for the kinds that concern ladders).
    pub fn apply(&mut self, wf: &Workflow, now: u64, kind: &EventKind, timers: &mut Timers) {
        match *kind {
            EventKind::Ladder(LadderEvent::TierEntered { task, tier, level, .. }) => {
                let rung = wf.ladder_of(task).map(|l| &l.rungs[level as usize]);
                let t = self.tasks.entry(task).or_default();
                t.level = Some(level);
                t.tier = Some(tier);
                t.used = 0;
                t.class = Some(rung.and_then(|r| r.class).unwrap_or(wf.task_class[task.ix()]));
                if tier != TierName::Inbox {
                    t.tried.push(level);
                }
            }
            EventKind::AttemptStarted { task, .. } => {
                if let Some(t) = self.tasks.get_mut(&task)
                    && t.level.is_some()
                {
                    t.used += 1;
                }
            }
            EventKind::TaskEscalated { task, origin, sla_ms, .. } => {
                let t = self.tasks.entry(task).or_default();
                t.escalated |= origin == Origin::Ladder;
                t.sla = sla_ms.map(|ms| Sla { due_ms: crate::core::timers::later(now, ms), expired: None });
                if let Some(sla) = t.sla {
                    timers.push_at(sla.due_ms, Timer::InboxSla { task, at: sla.due_ms });
                }
            }
            EventKind::Ladder(LadderEvent::InboxSlaExpired { task, action }) => {
                if let Some(t) = self.tasks.get_mut(&task) {
                    t.sla_retried |= action == Expiry::Retry;
                    if let Some(sla) = t.sla.as_mut() {
                        sla.expired = Some(action);
                    }
                }
            }
            EventKind::TaskReopened { task } => {
                // A fresh budget: the task starts its ladder again from the bottom.
                if let Some(t) = self.tasks.get_mut(&task) {
                    let class = t.class.map(|_| wf.task_class[task.ix()]);
                    *t = TaskLadder {
                        escalated: t.escalated,
                        sla_retried: t.sla_retried,
                        class,
                        ..TaskLadder::default()
                    };
                }
            }
            _ => {}
        }
    }
}

impl Coordinator {
    /// After an attempt of a task with a ladder failed: another attempt in the same tier while
    /// its limit allows, else the next tier that can apply, else the inbox or failure.
    /// `crashed_on` is the agent that went down under the attempt (its task goes back at once,
    /// without backoff).
    pub(crate) fn climb(&mut self, now: u64, task: TaskId, crashed_on: Option<AgentId>) {
        let Some(ladder) = self.wf.ladder_of(task) else { return };
        let rungs = ladder.rungs.len() as u32;
        let (level, used) = self.state.ladder.get(task).map_or((None, 0), |t| (t.level, t.used));
        if let Some(l) = level {
            let (tier, limit) = self.rung(task, l);
            if tier != TierName::Inbox && used < limit && self.tier_applies(task, l) {
                self.next_attempt(now, task, tier, used, crashed_on);
                return;
            }
        }
        let mut passed = Vec::new();
        for l in level.map_or(0, |l| l + 1)..rungs {
            let (tier, limit) = self.rung(task, l);
            if tier == TierName::Inbox || (limit > 0 && self.tier_applies(task, l)) {
                tracing::info!("{} {} moves to tier {} ({})", clock(now), self.task_name(task), l, tier.name());
                let passed = Arc::from(std::mem::take(&mut passed));
                self.emit(now, EventKind::Ladder(LadderEvent::TierEntered { task, tier, level: l, limit, passed }));
                if tier == TierName::Inbox {
                    self.escalate(now, task, Origin::Ladder);
                } else {
                    self.next_attempt(now, task, tier, 0, crashed_on);
                }
                return;
            }
            passed.push(tier);
        }
        let attempts = self.state.tasks[task.ix()].attempts;
        self.give_up(now, task, TaskFailure::AttemptsExhausted { attempts });
        self.check_finished(now);
    }

    /// The name and attempt limit of tier `level` of the task's ladder.
    fn rung(&self, task: TaskId, level: u32) -> (TierName, u32) {
        let tier = &self.wf.ladder_of(task).expect("task has a ladder").rungs[level as usize].tier;
        (tier.name(), tier.limit(&self.scenario.tasks[task.ix()].retry))
    }

    /// Whether tier `level` can run the task at all now: some live agent it would go to.
    fn tier_applies(&self, task: TaskId, level: u32) -> bool {
        let rung = &self.wf.ladder_of(task).expect("task has a ladder").rungs[level as usize];
        let alive = |a: &AgentId| self.state.agents[a.ix()].alive;
        match (&rung.tier, rung.class) {
            (Tier::OtherAgent { .. }, _) => {
                let failed = self.failed_agents(task);
                self.capable_agents(task).iter().any(|a| alive(a) && !failed.contains(a))
            }
            (_, Some(class)) => self.wf.classes[class.0 as usize].agents.iter().any(alive),
            _ => true,
        }
    }

    /// Agents on which an attempt of the task ended without a result.
    pub(crate) fn failed_agents(&self, task: TaskId) -> Vec<AgentId> {
        let mut out: Vec<AgentId> = Vec::new();
        for rec in self.state.history(task) {
            if !matches!(rec.end, AttemptEnd::Succeeded | AttemptEnd::Running) && !out.contains(&rec.agent) {
                out.push(rec.agent);
            }
        }
        out
    }

    /// The first available agent of `pool` that has not failed the task (`other_agent` tier).
    pub(crate) fn fresh_agent(&self, task: TaskId, pool: usize) -> Option<AgentId> {
        let failed = self.failed_agents(task);
        self.state.avail[pool].iter().map(|&(_, a)| AgentId(a)).find(|a| !failed.contains(a))
    }

    fn next_attempt(&mut self, now: u64, task: TaskId, tier: TierName, used: u32, crashed_on: Option<AgentId>) {
        if let Some(from) = crashed_on {
            // The attempt that just ended says how the agent went down.
            let reason = match self.state.last_attempt(task).map(|r| r.end) {
                Some(AttemptEnd::Failed(reason)) => reason,
                _ => AttemptFailure::AgentCrashed,
            };
            self.emit(now, EventKind::TaskReassigned { task, from, reason });
            self.make_ready(now, task);
        } else if tier == TierName::Retry {
            let delay_ms = backoff_ms(self.scenario.seed, task, used + 1, &self.scenario.tasks[task.ix()].retry);
            let attempt = self.state.tasks[task.ix()].attempts + 1;
            self.emit(
                now,
                EventKind::RetryScheduled { task, attempt, delay_ms, at_ms: crate::core::timers::later(now, delay_ms) },
            );
        } else {
            self.make_ready(now, task);
        }
    }

    /// Sends the task to the inbox with everything known about its failures: the tiers its ladder
    /// tried and every attempt (agent and outcome). Every way into the inbox goes through here, so
    /// no inbox item lacks its context; the SLA is the task's ladder's, else the default ladder's.
    pub(crate) fn escalate(&mut self, now: u64, task: TaskId, origin: Origin) {
        self.escalate_noted(now, task, origin, None);
    }

    /// [`Coordinator::escalate`] with a note for the inbox.
    pub(crate) fn escalate_noted(&mut self, now: u64, task: TaskId, origin: Origin, note: Option<Arc<str>>) {
        let tried = self.state.ladder.get(task).map(|t| t.tried.as_slice()).unwrap_or_default();
        let tiers = tried.iter().map(|&l| self.rung(task, l).0).collect();
        let history = self
            .state
            .history(task)
            .iter()
            .map(|r| AttemptNote { attempt: r.attempt, agent: r.agent, end: r.end })
            .collect();
        let sla_ms = self.inbox_policy(task).and_then(|(sla, _)| sla);
        tracing::warn!("{} {} escalated to the inbox ({})", clock(now), self.task_name(task), origin.name());
        let context = Some(Arc::new(EscalationContext { tiers, history, note }));
        self.emit(now, EventKind::TaskEscalated { task, origin, sla_ms, context });
    }

    /// The inbox SLA and expiry action that apply to the task: its ladder's, else the default
    /// ladder's (an operator may escalate a task that has none).
    pub(crate) fn inbox_policy(&self, task: TaskId) -> Option<(Option<u64>, Expiry)> {
        self.wf.ladder_of(task).and_then(Ladder::inbox).or_else(|| {
            self.scenario.escalation.iter().find_map(|t| match *t {
                Tier::Inbox { sla_ms, on_expiry } => Some((sla_ms, on_expiry)),
                _ => None,
            })
        })
    }

    /// Nobody settled the inbox item in time: record it, then do the default action the way an
    /// operator's `resolve` would.
    pub(crate) fn sla_expired(&mut self, now: u64, task: TaskId) {
        let action = match self.inbox_policy(task).map_or(Expiry::Wait, |(_, e)| e) {
            // One automatic retry per task; after that the item waits for a person.
            Expiry::Retry if self.state.ladder.get(task).is_some_and(|t| t.sla_retried) => Expiry::Wait,
            action => action,
        };
        tracing::warn!("{} {} inbox SLA expired: {}", clock(now), self.task_name(task), action.name());
        self.emit(now, EventKind::Ladder(LadderEvent::InboxSlaExpired { task, action }));
        match action {
            Expiry::Retry => self.resolve(now, task, Resolution::Retry),
            Expiry::Skip => self.resolve(now, task, Resolution::Skip),
            Expiry::Fail => {
                self.fail_task(now, task, TaskFailure::SlaExpired);
                self.check_finished(now);
            }
            Expiry::Wait => {}
        }
    }

    /// Whether the task is in the inbox with an SLA still running.
    pub fn sla_running(&self, task: TaskId) -> Option<u64> {
        let sla = self.state.ladder.get(task)?.sla?;
        (self.state.tasks[task.ix()].state == TaskState::Escalated && sla.expired.is_none()).then_some(sla.due_ms)
    }
}
