//! Dynamic decomposition: a planner task's successful attempt adds subtasks to the running DAG.
//!
//! A task with a `plan` is a planner. When an attempt of it succeeds, its plan — a process or LLM
//! agent's `subtasks` output, else the `plan.subtasks` of the scenario (what a simulated planner
//! produces) — is checked against the run as it stands ([`Coordinator::check_plan`]): new and
//! distinct ids, known dependencies that can still complete, no cycle, a capable agent for each,
//! at most `max_subtasks`. A plan that does not fit adds nothing: `decomposition_rejected` lists
//! every problem and the attempt fails as an agent error, so retries and ladders apply. A plan
//! that fits is `tasks_added`, emitted between the planner's `attempt_succeeded` and its
//! `task_completed`, with every edge it adds: the planner before each subtask, the subtasks'
//! own dependencies, and the plan's last subtasks (those no other subtask waits for) before each
//! of the planner's dependents — so a join that depended on the planner waits for the work
//! planned for it.
//!
//! The run's static shapes grow in one place, [`grow`] (the scenario copy, the graph, classes and
//! pools, ladders), followed by [`State::apply`]'s part ([`State::apply_growth`]); both are driven
//! by the event alone, so a live run and one folded from its journal grow identically. Runs
//! without planners never get here: one flag on the workflow keeps the result path as it was.

use crate::core::event::GrowthEvent;
use std::sync::Arc;

use petgraph::graph::NodeIndex;

use crate::core::bus::AgentError;
use crate::core::event::{AttemptFailure, Event, EventKind};
use crate::core::ids::{AgentId, TaskId};
use crate::core::output::Output;
use crate::core::state::{State, TaskRt, TaskState};
use crate::core::workflow::{ClassId, Pool, PoolId, SkillClass, Workflow};
use crate::core::{Coordinator, clock};
use crate::protocols::ladder::{NO_LADDER, TierClass};
use crate::scenario::{Scenario, Strategy, TaskSpec};

/// Tasks and edges a checked plan adds.
pub(crate) type Addition = (Arc<[TaskSpec]>, Arc<[(TaskId, TaskId)]>);

/// One accepted plan: `by` added tasks `first..end` at `t_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    pub by: TaskId,
    pub first: u32,
    pub end: u32,
    pub t_ms: u64,
}

/// One rejected plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub task: TaskId,
    pub agent: AgentId,
    pub attempt: u32,
    pub errors: Arc<[String]>,
    pub t_ms: u64,
}

/// What planners did, in order (a fold of `tasks_added` and `decomposition_rejected`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plans {
    pub added: Vec<Added>,
    pub rejected: Vec<Rejected>,
}

impl Plans {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.rejected.is_empty()
    }

    /// The planner that added `task`, if a plan did.
    pub fn added_by(&self, task: TaskId) -> Option<TaskId> {
        self.added.iter().find(|a| (a.first..a.end).contains(&task.0)).map(|a| a.by)
    }

    /// The tasks `planner` added (empty if none).
    pub fn added_of(&self, planner: TaskId) -> impl Iterator<Item = TaskId> + '_ {
        self.added.iter().filter(move |a| a.by == planner).flat_map(|a| (a.first..a.end).map(TaskId))
    }

    /// The rejections of `planner`'s plans.
    pub fn rejected_of(&self, planner: TaskId) -> impl Iterator<Item = &Rejected> + '_ {
        self.rejected.iter().filter(move |r| r.task == planner)
    }
}

/// Grows the scenario copy and the workflow by a `tasks_added` event (before [`State`] folds it).
pub(crate) fn grow(sc: &mut Scenario, wf: &mut Workflow, tasks: &[TaskSpec], edges: &[(TaskId, TaskId)]) {
    // The default ladder per strategy, once found or compiled for this plan.
    let mut default_of: Vec<(Strategy, u32)> = Vec::new();
    for t in tasks {
        wf.graph.add_node(());
        wf.dep_count.push(0);
        let strategy = t.allocation.unwrap_or(sc.allocation);
        let mut specs: Vec<&str> = t.specializations.iter().map(|s| s.as_str()).collect();
        specs.sort_unstable();
        specs.dedup();
        let class = wf.class_for(sc, &t.capability, &specs, strategy);
        wf.task_class.push(class);
        let ladder = match t.extras().escalation.as_deref() {
            Some([]) => NO_LADDER,
            Some(tiers) => wf.add_ladder(sc, tiers, strategy),
            None if sc.escalation.is_empty() => NO_LADDER,
            // The default ladder compiled for this strategy: the one a task without its own has.
            None => match default_of.iter().find(|d| d.0 == strategy) {
                Some(&(_, l)) => l,
                None => {
                    let has_default = |s: &TaskSpec| {
                        s.extras().escalation.is_none() && s.allocation.unwrap_or(sc.allocation) == strategy
                    };
                    let l = match sc.tasks.iter().position(has_default) {
                        Some(i) => wf.task_ladder[i],
                        None => wf.add_ladder(sc, &sc.escalation, strategy),
                    };
                    default_of.push((strategy, l));
                    l
                }
            },
        };
        if ladder != NO_LADDER && wf.task_ladder.len() < wf.task_class.len() - 1 {
            wf.task_ladder.resize(wf.task_class.len() - 1, NO_LADDER);
        }
        if !wf.task_ladder.is_empty() {
            wf.task_ladder.push(ladder);
        }
        wf.planners |= t.extras().plan.is_some();
        wf.helpers |= t.extras().help.is_some();
    }
    for &(from, to) in edges {
        wf.graph.add_edge(NodeIndex::new(from.ix()), NodeIndex::new(to.ix()), ());
        wf.dep_count[to.ix()] += 1;
    }
    sc.tasks.extend(tasks.iter().cloned());
}

impl Workflow {
    /// The class of tasks needing `cap` and `specs` (sorted) under `strategy`, made if new.
    fn class_for(&mut self, sc: &Scenario, cap: &str, specs: &[&str], strategy: Strategy) -> ClassId {
        let agents: Vec<AgentId> = (0..sc.agents.len())
            .filter(|&i| {
                let a = &sc.agents[i];
                a.capabilities.iter().any(|c| c == cap)
                    && specs.iter().all(|s| a.specializations.iter().any(|x| x == s))
            })
            .map(|i| AgentId(i as u32))
            .collect();
        let specializations: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        self.find_or_add_class(cap.to_string(), specializations, strategy, agents)
    }

    /// Classes are few; a plan is rare: a scan finds an existing one.
    fn find_or_add_class(
        &mut self,
        cap: String,
        specs: Vec<String>,
        strategy: Strategy,
        agents: Vec<AgentId>,
    ) -> ClassId {
        let same = |c: &SkillClass| c.capability == cap && c.specializations == specs && c.strategy == strategy;
        if let Some(i) = self.classes.iter().position(|c| same(c) && c.agents == agents) {
            return ClassId(i as u32);
        }
        let id = ClassId(self.classes.len() as u32);
        let pool = match self.pools.iter().position(|p| p.strategy == strategy && p.agents == agents) {
            Some(p) => PoolId(p as u32),
            None => {
                let p = PoolId(self.pools.len() as u32);
                for a in &agents {
                    self.agent_pools[a.ix()].push(p);
                }
                self.pools.push(Pool { strategy, agents: agents.clone(), classes: Vec::new() });
                p
            }
        };
        self.pools[pool.0 as usize].classes.push(id);
        self.classes.push(SkillClass { capability: cap, specializations: specs, strategy, agents, pool });
        id
    }

    fn add_ladder(&mut self, sc: &Scenario, tiers: &[crate::scenario::Tier], strategy: Strategy) -> u32 {
        let ladder = crate::protocols::ladder::ladder(sc, tiers, |key| match key {
            TierClass::Skill(c) => self.class_for(sc, c, &[], strategy),
            TierClass::Pinned(a) => {
                let name = format!("@{}", sc.agents[a.ix()].id);
                self.find_or_add_class(name, Vec::new(), strategy, vec![a])
            }
        });
        self.ladders.push(ladder);
        self.ladders.len() as u32 - 1
    }
}

impl State {
    /// The state's part of `tasks_added` (after [`grow`]) and `decomposition_rejected`.
    pub(crate) fn apply_growth(&mut self, wf: &Workflow, event: &GrowthEvent) {
        match event {
            GrowthEvent::TasksAdded { by, tasks, edges } => {
                let first = self.tasks.len() as u32;
                for t in tasks.iter() {
                    self.tasks.push(TaskRt::fresh(0));
                    self.works.push(t.work);
                    self.priorities.push(t.priority);
                    self.timeouts.push(t.timeout_ms);
                }
                for &(from, to) in edges.iter() {
                    if self.tasks[from.ix()].state != TaskState::Completed {
                        self.tasks[to.ix()].remaining_deps += 1;
                    }
                }
                let (classes, pools) = (self.ready.len(), self.avail.len());
                self.ready.resize(wf.classes.len(), Default::default());
                self.is_dirty.resize(wf.classes.len(), false);
                self.avail.resize(wf.pools.len(), Default::default());
                if wf.pools.len() > pools || wf.classes.len() > classes {
                    // Indexing is idempotent for the pools an agent was already in.
                    let mut agents: Vec<AgentId> = wf.pools[pools..].iter().flat_map(|p| p.agents.clone()).collect();
                    agents.sort_unstable();
                    agents.dedup();
                    for a in agents {
                        self.index_agent(wf, a);
                    }
                }
                let end = self.tasks.len() as u32;
                self.plans.added.push(Added { by: *by, first, end, t_ms: self.now_ms });
            }
            GrowthEvent::DecompositionRejected { task, agent, attempt, errors } => {
                let (task, agent, attempt, errors) = (*task, *agent, *attempt, errors.clone());
                self.plans.rejected.push(Rejected { task, agent, attempt, errors, t_ms: self.now_ms });
            }
        }
    }
}

impl Coordinator {
    /// Folds one event: grows the static shapes first if it adds tasks, then the state.
    pub(crate) fn fold(&mut self, ev: &Event) {
        if let EventKind::Growth(GrowthEvent::TasksAdded { tasks, edges, .. }) = &ev.kind {
            grow(std::sync::Arc::make_mut(&mut self.scenario), &mut self.wf, tasks, edges);
        }
        self.state.apply(&self.wf, ev);
    }

    /// What a successful attempt of `task` returning `output` adds: `Ok(None)` for a task that is
    /// not a planner or a plan with no subtasks, `Err` with every problem for one that does not fit.
    pub(crate) fn check_plan(&self, task: TaskId, output: &Output) -> Result<Option<Addition>, Vec<String>> {
        if !self.wf.planners {
            return Ok(None);
        }
        let Some(plan) = self.scenario.tasks[task.ix()].extras().plan.as_deref() else { return Ok(None) };
        if self.state.plans.added.iter().any(|a| a.by == task) {
            // Its plan joined the run already; running again (rework after a review) adds nothing.
            return Ok(None);
        }
        let produced = match output {
            Output::Json(text) => crate::scenario::subtasks_of_output(text),
            Output::Sim => None,
        };
        let subtasks = match produced {
            Some(Ok(subtasks)) => subtasks,
            Some(Err(problems)) => return Err(problems),
            None => plan.subtasks.clone(),
        };
        if subtasks.is_empty() {
            return Ok(None);
        }
        crate::protocols::growth::plan_check::check(self, task, subtasks, plan.max_subtasks).map(Some)
    }

    /// The plan of the current attempt did not fit: record why, and fail the attempt.
    pub(crate) fn reject_plan(&mut self, now: u64, task: TaskId, agent: AgentId, attempt: u32, errors: Vec<String>) {
        let first = errors.first().map_or("", String::as_str);
        let more = match errors.len() {
            0 | 1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        tracing::warn!("{} planner {} plan rejected: {}{more}", clock(now), self.task_name(task), errors.join("; "));
        let message = crate::core::output::intern(&format!("invalid plan: {first}{more}"));
        let errors: Arc<[String]> = errors.into();
        self.emit(now, EventKind::Growth(GrowthEvent::DecompositionRejected { task, agent, attempt, errors }));
        let reason = AttemptFailure::Agent(AgentError::Reported { message, retryable: true });
        self.emit(now, EventKind::AttemptFailed { task, agent, attempt, reason });
        self.check_breaker(now, agent);
        self.retry_or_fail(now, task);
    }

    /// Adds a checked plan's tasks (right after the planner's `attempt_succeeded`).
    pub(crate) fn add_tasks(&mut self, now: u64, by: TaskId, (tasks, edges): Addition) {
        tracing::info!("{} planner {} added {} subtasks", clock(now), self.task_name(by), tasks.len());
        self.emit(now, EventKind::Growth(GrowthEvent::TasksAdded { by, tasks, edges }));
    }
}
