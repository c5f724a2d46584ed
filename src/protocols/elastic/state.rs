//! Elastic teams: agents created from templates under load and retired when idle.
//!
//! The loader expands each template into `max` agent slots (see `protocols::elastic::spec`), so every
//! index of the run stays static; a slot is *absent* (not alive, not counted as down) until created.
//! When a ready task that a template can run has waited `spawn_after_ms` and no capable agent is
//! free, the coordinator creates the template's first absent slot (`agent_created`); a created agent
//! idle for `retire_after_ms` is retired (`agent_retired`): it leaves the pools, and its slot can be
//! created again later. This module is the state folded from events; the decisions are in
//! `elastic_ops.rs`.

use crate::core::event::{ContextEvent, ElasticEvent};
use crate::core::event::{Event, EventKind};
use crate::core::ids::{AgentId, TaskId};
use crate::core::state::{AgentRt, AvailSet, TaskRt, TaskState};
use crate::core::timers::{Timer, Timers};
use crate::core::workflow::Workflow;
use crate::scenario::Scenario;

const NONE: u32 = u32::MAX;

/// A template's slots and timings.
#[derive(Debug, Clone)]
pub struct Template {
    pub first: AgentId,
    pub max: u32,
    pub spawn_after_ms: u64,
    pub retire_after_ms: u64,
}

/// One created agent's time in the team.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stint {
    pub agent: AgentId,
    pub created_ms: u64,
    /// The task whose wait created it.
    pub task: TaskId,
    pub retired_ms: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct ElasticState {
    /// Whether the scenario has templates; everything else is empty when not.
    pub active: bool,
    pub templates: Vec<Template>,
    /// Per agent: its template, `NONE` for a declared agent.
    template_of: Vec<u32>,
    /// Per class: the first template whose agents can run it, `NONE` if none.
    class_template: Vec<u32>,
    /// Per agent: created and not retired (declared agents are always present).
    present: Vec<bool>,
    /// Per agent: idle since, while a created agent runs nothing.
    idle_since: Vec<Option<u64>>,
    /// Per task: when it last became ready, and when its spawn check is due (0: none).
    ready_at: Vec<u64>,
    spawn_at: Vec<u64>,
    /// Per task: the template and the pool (of its class) its spawn check looks at.
    spawn_for: Vec<(u32, u32)>,
    /// Every creation, in order, with its retirement.
    pub stints: Vec<Stint>,
    /// Created agents present now, and the most at once.
    pub size: u32,
    pub peak: u32,
}

impl ElasticState {
    pub fn new(scenario: &Scenario, wf: &Workflow) -> ElasticState {
        if scenario.templates.is_empty() {
            return ElasticState::default();
        }
        let template_of: Vec<u32> = scenario.agents.iter().map(|a| a.template.unwrap_or(NONE)).collect();
        let templates = (0..scenario.templates.len() as u32)
            .filter_map(|i| {
                let first = template_of.iter().position(|&t| t == i)?;
                let t = &scenario.templates[i as usize];
                let (spawn_after_ms, retire_after_ms) = (t.spawn_after_ms, t.retire_after_ms);
                Some(Template { first: AgentId(first as u32), max: t.max, spawn_after_ms, retire_after_ms })
            })
            .collect::<Vec<_>>();
        // A template that failed to expand has no slots: look templates up by index, not position.
        let by_index =
            |i: u32| templates.iter().position(|t| template_of[t.first.ix()] == i).map_or(NONE, |p| p as u32);
        let class_template = wf
            .classes
            .iter()
            .map(|c| {
                c.agents.iter().find(|a| template_of[a.ix()] != NONE).map_or(NONE, |a| by_index(template_of[a.ix()]))
            })
            .collect();
        let template_of = template_of.iter().map(|&t| if t == NONE { NONE } else { by_index(t) }).collect::<Vec<_>>();
        ElasticState {
            active: true,
            present: template_of.iter().map(|&t| t == NONE).collect(),
            idle_since: vec![None; template_of.len()],
            ready_at: vec![0; wf.task_count()],
            spawn_at: vec![0; wf.task_count()],
            spawn_for: vec![(NONE, NONE); wf.task_count()],
            template_of,
            class_template,
            templates,
            stints: Vec::new(),
            size: 0,
            peak: 0,
        }
    }

    /// The agent's template (index into `templates`), if it is a slot.
    pub fn template_of(&self, agent: AgentId) -> Option<usize> {
        self.template_of.get(agent.ix()).filter(|&&t| t != NONE).map(|&t| t as usize)
    }

    /// Whether the agent is part of the team now (declared, or created and not retired).
    pub fn is_present(&self, agent: AgentId) -> bool {
        self.present.get(agent.ix()).copied().unwrap_or(true)
    }

    /// The template that can run the task (by its class), and when the task became ready.
    pub(crate) fn spawn_target(&self, wf: &Workflow, task: TaskId) -> Option<(&Template, u64)> {
        let t = *self.class_template.get(wf.task_class.get(task.ix())?.0 as usize)?;
        let ready_at = *self.ready_at.get(task.ix())?;
        self.templates.get(t as usize).map(|tm| (tm, ready_at))
    }

    /// The first slot of the template that is absent, if any.
    pub(crate) fn free_slot(&self, template: &Template, agents: &[AgentRt]) -> Option<AgentId> {
        (0..template.max)
            .map(|k| AgentId(template.first.0 + k))
            .find(|a| !self.present[a.ix()] && !agents[a.ix()].alive)
    }

    pub(crate) fn idle_since(&self, agent: AgentId) -> Option<u64> {
        self.idle_since.get(agent.ix()).copied().flatten()
    }

    /// Whether the spawn check would create an agent: the task still waits (this readiness), no
    /// capable agent is free (`avail` of its pool) and the template has an absent slot. A check that
    /// would do nothing is dead, so firing it changes nothing that folding events would not.
    pub fn spawn_is_live(
        &self,
        tasks: &[TaskRt],
        agents: &[AgentRt],
        avail: &[AvailSet],
        task: TaskId,
        at: u64,
    ) -> bool {
        let t = &tasks[task.ix()];
        let Some(&(tmpl, pool)) = self.spawn_for.get(task.ix()) else { return false };
        t.state == TaskState::Ready
            && !t.held
            && self.spawn_at[task.ix()] == at
            && avail.get(pool as usize).is_some_and(|a| a.is_empty())
            && self.templates.get(tmpl as usize).is_some_and(|tm| self.free_slot(tm, agents).is_some())
    }

    pub fn retire_is_live(&self, agent: AgentId, at: u64) -> bool {
        let Some(t) = self.template_of(agent) else { return false };
        self.present[agent.ix()]
            && self
                .idle_since(agent)
                .is_some_and(|s| crate::core::timers::later(s, self.templates[t].retire_after_ms) == at)
    }

    /// Folds one event (called by `State::apply` when the scenario has templates, after the rest).
    pub fn apply(&mut self, wf: &Workflow, ev: &Event, agents: &[AgentRt], timers: &mut Timers) {
        let now = ev.t_ms;
        let agent = match ev.kind {
            EventKind::TaskReady { task } => {
                if let Some(r) = self.ready_at.get_mut(task.ix()) {
                    *r = now;
                }
                if let Some(after) = self.spawn_target(wf, task).map(|(tm, _)| tm.spawn_after_ms) {
                    let class = wf.task_class[task.ix()].0 as usize;
                    self.spawn_at[task.ix()] = crate::core::timers::later(now, after);
                    self.spawn_for[task.ix()] = (self.class_template[class], wf.classes[class].pool.0);
                    timers.push_after(
                        now,
                        after,
                        Timer::SpawnCheck { task, at: crate::core::timers::later(now, after) },
                    );
                }
                return;
            }
            EventKind::Elastic(ElasticEvent::AgentCreated { agent, task, .. }) => {
                self.present[agent.ix()] = true;
                self.size += 1;
                self.peak = self.peak.max(self.size);
                self.stints.push(Stint { agent, created_ms: now, task, retired_ms: None });
                agent
            }
            EventKind::Elastic(ElasticEvent::AgentRetired { agent, .. }) => {
                self.present[agent.ix()] = false;
                self.size -= 1;
                if let Some(s) = self.stints.iter_mut().rev().find(|s| s.agent == agent) {
                    s.retired_ms = Some(now);
                }
                agent
            }
            EventKind::TaskAssigned { agent, .. }
            | EventKind::AttemptSucceeded { agent, .. }
            | EventKind::AttemptFailed { agent, .. }
            | EventKind::AttemptTimedOut { agent, .. }
            | EventKind::Context(ContextEvent::LockWithdrawn { agent, .. })
            | EventKind::AgentCrashed { agent, .. }
            | EventKind::AgentLost { agent, .. }
            | EventKind::AgentRevived { agent, .. } => agent,
            _ => return,
        };
        let Some(t) = self.template_of(agent) else { return };
        let a = &agents[agent.ix()];
        if !self.present[agent.ix()] || !a.alive || !a.running.is_empty() {
            self.idle_since[agent.ix()] = None;
        } else if self.idle_since[agent.ix()].is_none() {
            self.idle_since[agent.ix()] = Some(now);
            let after = self.templates[t].retire_after_ms;
            timers.push_after(now, after, Timer::RetireCheck { agent, at: crate::core::timers::later(now, after) });
        }
    }

    pub fn digest(&self) -> String {
        if !self.active {
            return String::new();
        }
        format!(
            "elastic present={:?} idle={:?} ready_at={:?} spawn_at={:?} stints={:?} size={} peak={}",
            self.present, self.idle_since, self.ready_at, self.spawn_at, self.stints, self.size, self.peak
        )
    }
}

/// Folds an elastic-team event into the run's state: a slot joins the team like a revived agent,
/// and leaves it like a crashed one (idle: nothing to take back). The rest is [`ElasticState::apply`]'s.
pub(crate) fn apply(s: &mut crate::core::state::State, wf: &Workflow, now: u64, event: &ElasticEvent) {
    match *event {
        ElasticEvent::AgentCreated { agent, .. } => {
            let a = &mut s.agents[agent.ix()];
            a.alive = true;
            a.lost = false;
            a.draining = false;
            s.heard_from(agent, now);
            s.index_agent(wf, agent);
        }
        ElasticEvent::AgentRetired { agent, .. } => {
            s.unindex_agent(wf, agent);
            s.agents[agent.ix()].alive = false;
        }
    }
}
