//! State of the team protocols, folded from [`TeamEvent`]s (and the few core events they follow).
//!
//! The delegation tree is static (from `reports_to`); what changes is each delegated task's chain
//! of managers, from its `task_delegated` hops (what its result travels back up), and counts for
//! the report. Runs without teams keep every collection empty, and `State::apply` only calls in
//! here for team events or when a collection is non-empty.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::core::event::EventKind;
use crate::core::ids::{AgentId, TaskId};
use crate::core::state::{State, TaskState};
use crate::core::timers::{Timer, later};
use crate::protocols::teams::{HelpMiss, TeamEvent};
use crate::scenario::{OnLimit, Scenario};

/// The `reports_to` forest.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// Each agent's manager (empty when no agent reports to anyone).
    pub parent: Vec<Option<AgentId>>,
    /// Each agent's distance from its root (0 for a root).
    pub depth: Vec<u32>,
}

impl Tree {
    pub fn new(sc: &Scenario) -> Tree {
        if sc.agents.iter().all(|a| a.reports_to.is_none()) {
            return Tree::default();
        }
        let ids: BTreeMap<&str, u32> = sc.agents.iter().enumerate().map(|(i, a)| (a.id.as_str(), i as u32)).collect();
        let parent: Vec<Option<AgentId>> =
            sc.agents.iter().map(|a| a.reports_to.as_deref().and_then(|b| ids.get(b)).map(|&j| AgentId(j))).collect();
        let depth = (0..parent.len())
            .map(|i| {
                // Validation rules out cycles; the bound keeps an unvalidated scenario finite.
                let mut d = 0;
                let mut at = parent[i];
                while let Some(p) = at
                    && d < parent.len() as u32
                {
                    d += 1;
                    at = parent[p.ix()];
                }
                d
            })
            .collect();
        Tree { parent, depth }
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    pub fn parent(&self, a: AgentId) -> Option<AgentId> {
        self.parent.get(a.ix()).copied().flatten()
    }

    pub fn depth(&self, a: AgentId) -> u32 {
        self.depth.get(a.ix()).copied().unwrap_or(0)
    }

    /// `a` and its managers, from the root down to `a`.
    pub fn path_to(&self, a: AgentId) -> Vec<AgentId> {
        let mut path = vec![a];
        while let Some(p) = self.parent(*path.last().expect("non-empty"))
            && path.len() <= self.parent.len()
        {
            path.push(p);
        }
        path.reverse();
        path
    }
}

/// One task's delegations: its latest chain and counts over the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delegation {
    /// The agents its latest delegation went through, top first (the worker last); emptied when
    /// the task is assigned elsewhere without one.
    pub chain: Vec<AgentId>,
    /// `task_delegated` hops, `result_reported` hops, and hops that skipped a manager who was down.
    pub hops: u32,
    pub reports: u32,
    pub bypassed: u32,
}

/// A reviewer task's rounds so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewRt {
    /// Rejections so far (each sent the work back, or reached the limit).
    pub rejections: u32,
    /// The latest rejection's notes (the reworked task's input).
    pub notes: Option<Arc<str>>,
    /// How it ended: accepted after this many reviews, or the limit's action.
    pub accepted: Option<u32>,
    pub limit: Option<OnLimit>,
}

/// One help exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpRt {
    pub task: TaskId,
    pub attempt: u32,
    pub asker: AgentId,
    pub capability: Arc<str>,
    pub asked_ms: u64,
    pub peer: Option<AgentId>,
    /// `Ok((by, waited_ms))` once answered, `Err(why)` once given up; `None` while waiting.
    pub outcome: Option<Result<(AgentId, u64), HelpMiss>>,
}

/// One broadcast, for the report and the console.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastRt {
    pub t_ms: u64,
    pub to: Option<Arc<str>>,
    pub recipients: u32,
    pub text: Arc<str>,
}

#[derive(Debug, Clone, Default)]
pub struct TeamState {
    /// The scenario's announcements in time order (indices; static).
    pub announce_order: Vec<u32>,
    /// Announcements sent so far (they go out in `announce_order`).
    pub announced: u32,
    pub broadcasts: Vec<BroadcastRt>,
    /// Help exchanges by id (the bus id of the asker's request).
    pub help: BTreeMap<u64, HelpRt>,
    /// Each helping task's `help.timeout_ms` (static).
    pub help_timeout: BTreeMap<TaskId, u64>,
    pub tree: Tree,
    /// Tasks delegated at least once.
    pub delegations: BTreeMap<TaskId, Delegation>,
    /// Reviewed task → its reviewer (static, from the scenario).
    pub reviewer_of: BTreeMap<TaskId, TaskId>,
    /// Reviewer tasks whose review has run at least once.
    pub reviews: BTreeMap<TaskId, ReviewRt>,
}

impl TeamState {
    pub fn new(sc: &Scenario) -> TeamState {
        // One pass over the task specs finds both helpers and reviewers (usually none).
        let mut help_timeout = BTreeMap::new();
        let mut reviewers = false;
        for (i, t) in sc.tasks.iter().enumerate() {
            reviewers |= t.extras().review.is_some();
            if let Some(h) = &t.extras().help {
                help_timeout.insert(TaskId(i as u32), h.timeout_ms);
            }
        }
        let mut reviewer_of = BTreeMap::new();
        if reviewers {
            let ids = crate::scenario::DepIndex::id_map(&sc.tasks);
            for (i, t) in sc.tasks.iter().enumerate() {
                if let Some(&of) = t.extras().review.as_ref().and_then(|r| ids.get(r.of.as_str())) {
                    reviewer_of.insert(TaskId(of), TaskId(i as u32));
                }
            }
        }
        let mut announce_order: Vec<u32> = (0..sc.announcements.len() as u32).collect();
        announce_order.sort_by_key(|&i| (sc.announcements[i as usize].at_ms, i));
        TeamState { tree: Tree::new(sc), reviewer_of, help_timeout, announce_order, ..Default::default() }
    }

    /// Whether help exchange `id` was routed and is still waiting for its answer.
    pub fn help_waiting(&self, id: u64) -> bool {
        self.help.get(&id).is_some_and(|h| h.peer.is_some() && h.outcome.is_none())
    }

    /// The task a reviewer reviews.
    pub fn reviewed_by(&self, reviewer: TaskId) -> Option<TaskId> {
        self.reviewer_of.iter().find(|&(_, &r)| r == reviewer).map(|(&t, _)| t)
    }

    /// Whether any core event can concern this state (the usual run: no).
    pub fn is_idle(&self) -> bool {
        self.delegations.is_empty()
    }

    /// The chain of the task's current delegation, if it has one.
    pub fn chain(&self, task: TaskId) -> Option<&[AgentId]> {
        self.delegations.get(&task).map(|d| d.chain.as_slice()).filter(|c| !c.is_empty())
    }

    /// Folds a team event.
    pub fn apply_team(&mut self, ev: &TeamEvent) {
        match *ev {
            TeamEvent::TaskDelegated { task, from, to, bypassed, .. } => {
                let d = self.delegations.entry(task).or_default();
                // A hop from anyone but the last holder starts a new delegation (a retry).
                if d.chain.last() != Some(&from) {
                    d.chain.clear();
                    d.chain.push(from);
                }
                d.chain.push(to);
                d.hops += 1;
                d.bypassed += bypassed.is_some() as u32;
            }
            TeamEvent::ResultReported { task, .. } => {
                if let Some(d) = self.delegations.get_mut(&task) {
                    d.reports += 1;
                }
            }
            TeamEvent::ReworkRequested { reviewer_task, round, ref notes, .. } => {
                let r = self.reviews.entry(reviewer_task).or_default();
                r.rejections = round;
                r.notes = notes.clone();
            }
            TeamEvent::ReviewAccepted { reviewer_task, rounds, .. } => {
                self.reviews.entry(reviewer_task).or_default().accepted = Some(rounds);
            }
            TeamEvent::ReworkLimitReached { task, action } => {
                if let Some(&reviewer) = self.reviewer_of.get(&task) {
                    let r = self.reviews.entry(reviewer).or_default();
                    r.rejections += 1;
                    r.limit = Some(action);
                }
            }
            // Help exchanges need the whole state: see [`apply`].
            TeamEvent::HelpRequested { .. }
            | TeamEvent::HelpRouted { .. }
            | TeamEvent::HelpAnswered { .. }
            | TeamEvent::HelpTimedOut { .. } => {}
            TeamEvent::BroadcastSent { ref to, ref recipients, ref text, origin } => {
                if origin == crate::core::event::Origin::Scenario {
                    self.announced += 1;
                }
                let (to, text) = (to.clone(), text.clone());
                self.broadcasts.push(BroadcastRt { t_ms: 0, to, recipients: recipients.len() as u32, text });
            }
        }
    }

    /// Follows the core events that move a delegated task.
    pub fn apply_core(&mut self, kind: &EventKind) {
        // Assigned to someone its chain does not end at: not delegated this time.
        if let EventKind::TaskAssigned { task, agent, .. } = *kind
            && let Some(d) = self.delegations.get_mut(&task)
            && d.chain.last() != Some(&agent)
        {
            d.chain.clear();
        }
    }

    pub fn digest(&self) -> String {
        format!(
            "delegations={:?} reviews={:?} help={:?} announced={} broadcasts={:?}",
            self.delegations, self.reviews, self.help, self.announced, self.broadcasts
        )
    }
}

/// Applies a team event to the whole state: a rework request moves two tasks back.
pub(crate) fn apply(state: &mut State, ev: &TeamEvent) {
    if let TeamEvent::ReworkRequested { task, reviewer_task, .. } = *ev {
        // The reviewed task is done no more: it runs again with a fresh retry budget, and its
        // reviewer waits for it again (also with a fresh budget for its next review).
        let t = &mut state.tasks[task.ix()];
        if t.state == TaskState::Completed {
            state.completed -= 1;
            state.terminal -= 1;
        }
        t.state = TaskState::Waiting;
        t.budget_base = t.attempts;
        let r = &mut state.tasks[reviewer_task.ix()];
        r.state = TaskState::Waiting;
        r.remaining_deps += 1;
        r.budget_base = r.attempts;
    }
    let now = state.now_ms;
    match *ev {
        TeamEvent::HelpRequested { task, agent, id, ref capability } => {
            let attempt = state.tasks[task.ix()].attempts;
            let capability = capability.clone();
            let h = HelpRt { task, attempt, asker: agent, capability, asked_ms: now, peer: None, outcome: None };
            state.teams.help.insert(id, h);
        }
        TeamEvent::HelpRouted { id, to } => {
            if let Some(h) = state.teams.help.get_mut(&id) {
                h.peer = Some(to);
                let wait = state.teams.help_timeout.get(&h.task).copied().unwrap_or(DEFAULT_HELP_TIMEOUT_MS);
                state.timers.push_at(later(now, wait), Timer::HelpTimeout { id });
            }
        }
        TeamEvent::HelpAnswered { id, by, waited_ms } => {
            if let Some(h) = state.teams.help.get_mut(&id) {
                h.outcome = Some(Ok((by, waited_ms)));
            }
        }
        TeamEvent::HelpTimedOut { id, reason } => {
            if let Some(h) = state.teams.help.get_mut(&id) {
                h.outcome = Some(Err(reason));
            }
        }
        TeamEvent::BroadcastSent { .. } => {
            state.teams.apply_team(ev);
            if let Some(b) = state.teams.broadcasts.last_mut() {
                b.t_ms = now;
            }
        }
        _ => state.teams.apply_team(ev),
    }
}

/// How long a help request from a task without a `help` field (a process agent's own
/// `request_help`) waits.
pub const DEFAULT_HELP_TIMEOUT_MS: u64 = 5_000;
