//! Swarm self-allocation (`allocation: "swarm"`): a response-threshold model.
//!
//! A ready swarm task is *posted* to a shared board instead of being assigned. Its stimulus grows
//! with the time it waits (`s = stimulus_rate × waited ticks`); every agent has a threshold θ per
//! capability. On each tick every available agent looks at the board in order (priority, then
//! posting) and engages the first task it is able to run with probability `s² / (s² + θ²)`, a
//! seeded draw per (tick, agent, task). The coordinator chooses nobody: it only refuses a second
//! claim on a task already claimed in that tick (the first claimant in agent order wins). An agent
//! that claims a task of capability c specialises: θ_c falls by `learn`, its other θ rise by
//! `forget`, within bounds.
//!
//! This module is the state (board, thresholds, claim counts) folded from events by
//! [`SwarmState::apply`]; the decisions are in `protocols/swarm/ops.rs`. Ticks are timers armed only while
//! some available agent could claim something on the board, so a run whose board nobody can serve
//! stalls and fails those tasks like any other.

use crate::core::event::{GrowthEvent, SwarmEvent};
use std::sync::Arc;

use crate::core::event::{Event, EventKind};
use crate::core::ids::{AgentId, TaskId};
use crate::core::state::{AgentRt, TaskRt, TaskState};
use crate::core::timers::{Timer, Timers};
use crate::core::workflow::{ClassId, Workflow};
use crate::scenario::{Scenario, Strategy, SwarmConfig};

/// A task waiting on the board.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Posting {
    pub task: TaskId,
    /// The class it was posted from (its ladder tier's class, if it climbed): who may claim it.
    pub class: ClassId,
    pub posted_ms: u64,
    priority: i64,
}

/// One agent's decision in a tick, before double claims are resolved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pick {
    pub agent: AgentId,
    pub task: TaskId,
    pub stimulus: f64,
    pub threshold: f64,
    pub p: f64,
}

/// The probability that an agent with threshold `theta` engages a task of stimulus `s`:
/// `s² / (s² + θ²)`, 0 without stimulus and 1 for a threshold of 0.
pub fn engage_probability(s: f64, theta: f64) -> f64 {
    if s <= 0.0 || s.is_nan() {
        return 0.0;
    }
    // As 1 / (1 + (θ/s)²), which neither overflows nor divides infinities.
    let r = theta.max(0.0) / s;
    (1.0 / (1.0 + r * r)).clamp(0.0, 1.0)
}

#[derive(Debug, Clone, Default)]
pub struct SwarmState {
    /// Whether any task class allocates by swarm; everything else is empty when not.
    pub active: bool,
    pub cfg: SwarmConfig,
    /// Classes whose strategy is swarm (their ready tasks are posted).
    pub classes: Vec<ClassId>,
    /// Classes of the workflow looked at so far (planners add more).
    known_classes: usize,
    /// Agent `a`'s thresholds are `theta[first[a]..first[a + 1]]`, one per capability, in the
    /// order of its `capabilities`; `caps` holds the matching names.
    first: Vec<u32>,
    pub theta: Vec<f64>,
    caps: Vec<Arc<str>>,
    /// Tasks posted and not claimed yet, in the order agents look at them.
    pub board: Vec<Posting>,
    on_board: Vec<bool>,
    /// Claims won, per agent.
    pub claims: Vec<u32>,
    /// Claims refused because an earlier agent in the same tick took the task.
    pub refused: u32,
    /// Per task: the agent that claimed it last and with what probability (see [`Self::claim_of`]).
    last_claim: Vec<Option<(AgentId, f64)>>,
    /// The pending tick, while one is wanted.
    armed: Option<u64>,
    pub ticks: u64,
    /// Scratch for a tick's decisions (always empty between ticks; not state).
    pub(crate) picks: Vec<Pick>,
}

impl SwarmState {
    pub fn new(scenario: &Scenario, wf: &Workflow) -> SwarmState {
        let cfg = scenario.swarm.clone();
        let mut first = Vec::with_capacity(scenario.agents.len() + 1);
        let (mut theta, mut caps) = (Vec::new(), Vec::new());
        for a in &scenario.agents {
            first.push(theta.len() as u32);
            for c in &a.capabilities {
                let t = a.thresholds.get(c).copied().unwrap_or(cfg.initial_threshold);
                theta.push(t.clamp(cfg.min_threshold, cfg.max_threshold.max(cfg.min_threshold)));
                caps.push(Arc::from(c.as_str()));
            }
        }
        first.push(theta.len() as u32);
        let mut swarm = SwarmState {
            active: false,
            cfg,
            classes: Vec::new(),
            known_classes: 0,
            first,
            theta,
            caps,
            board: Vec::new(),
            on_board: Vec::new(),
            claims: vec![0; scenario.agents.len()],
            refused: 0,
            last_claim: Vec::new(),
            armed: None,
            ticks: 0,
            picks: Vec::new(),
        };
        swarm.grow(wf);
        swarm
    }

    /// Takes in the classes and tasks a planner added (and those of the scenario, at the start):
    /// the run allocates by swarm as soon as one class does.
    fn grow(&mut self, wf: &Workflow) {
        let new = (self.known_classes..wf.classes.len()).filter(|&c| wf.classes[c].strategy == Strategy::Swarm);
        self.classes.extend(new.map(|c| ClassId(c as u32)));
        self.known_classes = wf.classes.len();
        self.active = !self.classes.is_empty();
        if self.active {
            self.on_board.resize(wf.task_count(), false);
            self.last_claim.resize(wf.task_count(), None);
        }
    }

    /// The agent's capabilities and thresholds, in the order of its `capabilities`.
    pub fn thresholds(&self, agent: AgentId) -> impl Iterator<Item = (&str, f64)> {
        let r = self.range(agent);
        self.caps[r.clone()].iter().map(|c| &**c).zip(self.theta[r].iter().copied())
    }

    fn range(&self, agent: AgentId) -> std::ops::Range<usize> {
        match self.first.get(agent.ix()..agent.ix() + 2) {
            Some(&[a, b]) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// Index into `theta` of the agent's threshold for `capability`, if it has the capability.
    pub(crate) fn slot(&self, agent: AgentId, capability: &str) -> Option<usize> {
        self.range(agent).find(|&i| &*self.caps[i] == capability)
    }

    pub(crate) fn cap_name(&self, slot: usize) -> Arc<str> {
        self.caps[slot].clone()
    }

    pub(crate) fn agent_slots(&self, agent: AgentId) -> std::ops::Range<usize> {
        self.range(agent)
    }

    /// The agent that claimed the task last, and with what probability.
    pub fn claim_of(&self, task: TaskId) -> Option<(AgentId, f64)> {
        self.last_claim.get(task.ix()).copied().flatten()
    }

    pub fn is_posted(&self, task: TaskId) -> bool {
        self.on_board.get(task.ix()).copied().unwrap_or(false)
    }

    /// Whether a timer is the pending tick.
    pub fn tick_is_live(&self, at: u64) -> bool {
        self.armed == Some(at)
    }

    /// Whether `agent` may claim the posting now (it can run the class and the task is not held).
    pub(crate) fn can_claim(wf: &Workflow, tasks: &[TaskRt], p: &Posting, agent: AgentId) -> bool {
        !tasks[p.task.ix()].held && wf.classes[p.class.0 as usize].agents.binary_search(&agent).is_ok()
    }

    /// Folds one event (called by `State::apply` for swarm runs, after the rest of the state).
    #[allow(clippy::too_many_arguments, reason = "the parts of `State` a swarm event touches")]
    pub fn apply(
        &mut self,
        wf: &Workflow,
        ev: &Event,
        class: Option<ClassId>,
        priority: i64,
        tasks: &[TaskRt],
        agents: &[AgentRt],
        timers: &mut Timers,
    ) {
        let now = ev.t_ms;
        match ev.kind {
            EventKind::Growth(GrowthEvent::TasksAdded { .. }) => self.grow(wf),
            EventKind::Swarm(SwarmEvent::TaskPosted { task }) if !self.on_board[task.ix()] => {
                let class = class.unwrap_or(wf.task_class[task.ix()]);
                let at = self.board.partition_point(|p| p.priority >= priority);
                self.board.insert(at, Posting { task, class, posted_ms: now, priority });
                self.on_board[task.ix()] = true;
            }
            EventKind::Swarm(SwarmEvent::TaskClaimed { task, agent, p, .. }) => {
                self.take_off(task);
                self.claims[agent.ix()] += 1;
                self.last_claim[task.ix()] = Some((agent, p));
            }
            EventKind::Swarm(SwarmEvent::ClaimRefused { .. }) => self.refused += 1,
            EventKind::Swarm(SwarmEvent::ThresholdChanged { agent, ref capability, threshold }) => {
                if let Some(i) = self.slot(agent, capability) {
                    self.theta[i] = threshold;
                }
            }
            EventKind::Swarm(SwarmEvent::SwarmTick { .. }) => {
                self.armed = None;
                self.ticks += 1;
            }
            _ => {
                // A posted task that stopped waiting (assigned by an operator, cancelled, failed by a
                // stall…) leaves the board.
                if let Some(t) = ev.kind.task()
                    && self.is_posted(t)
                    && tasks[t.ix()].state != TaskState::Ready
                {
                    self.take_off(t);
                }
            }
        }
        if self.board.is_empty() || !self.wanted(wf, tasks, agents) {
            self.armed = None;
        } else if self.armed.is_none() {
            let at = crate::core::timers::later(now, self.cfg.tick_ms);
            self.armed = Some(at);
            timers.push_after(now, self.cfg.tick_ms, Timer::SwarmTick { at });
        }
    }

    fn take_off(&mut self, task: TaskId) {
        if std::mem::replace(&mut self.on_board[task.ix()], false) {
            self.board.retain(|p| p.task != task);
        }
    }

    /// Whether some available agent could claim something on the board (else ticking is pointless:
    /// the next event that frees an agent or posts a task arms it again).
    fn wanted(&self, wf: &Workflow, tasks: &[TaskRt], agents: &[AgentRt]) -> bool {
        agents
            .iter()
            .enumerate()
            .any(|(i, a)| a.available() && self.board.iter().any(|p| Self::can_claim(wf, tasks, p, AgentId(i as u32))))
    }

    /// What the digest compares (the scratch and the settings are left out).
    pub fn digest(&self) -> String {
        if !self.active {
            return String::new();
        }
        format!(
            "swarm board={:?} theta={:?} claims={:?} refused={} armed={:?} ticks={} last={:?}",
            self.board, self.theta, self.claims, self.refused, self.armed, self.ticks, self.last_claim
        )
    }
}
