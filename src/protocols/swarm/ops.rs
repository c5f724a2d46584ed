//! The coordinator's side of swarm allocation (see `protocols/swarm`): posting ready swarm tasks to the
//! board and running a tick, where agents decide and the coordinator only refuses double claims.

use crate::core::event::SwarmEvent;
use std::cmp::Reverse;

use crate::core::event::EventKind;
use crate::core::ids::{AgentId, TaskId};
use crate::core::state::TaskState;
use crate::core::workflow::ClassId;
use crate::core::{Coordinator, clock};
use crate::protocols::swarm::{Pick, SwarmState, engage_probability};
use crate::rng;
use crate::scenario::Strategy;

impl Coordinator {
    /// Moves every ready task of a swarm class from its ready queue to the board.
    pub(crate) fn post_ready(&mut self, now: u64) {
        for k in 0..self.state.swarm.classes.len() {
            let c = self.state.swarm.classes[k].0 as usize;
            while let Some(&(_, Reverse(t))) = self.state.ready[c].peek() {
                self.state.ready[c].pop();
                let task = &self.state.tasks[t as usize];
                let current = task.state == TaskState::Ready
                    && !task.held
                    && self.state.ladder.class_of(TaskId(t)).is_none_or(|k| k.0 as usize == c);
                if current && !self.state.swarm.is_posted(TaskId(t)) {
                    tracing::debug!("{} {} posted to the swarm board", clock(now), self.task_name(TaskId(t)));
                    self.emit(now, EventKind::Swarm(SwarmEvent::TaskPosted { task: TaskId(t) }));
                }
            }
        }
    }

    /// A tick: every available agent considers the board; claims are resolved in agent order.
    pub(crate) fn swarm_tick(&mut self, now: u64) {
        let board = self.state.swarm.board.len() as u32;
        self.emit(now, EventKind::Swarm(SwarmEvent::SwarmTick { board }));
        let mut picks = std::mem::take(&mut self.state.swarm.picks);
        self.decide(now, &mut picks);
        for pick in picks.drain(..) {
            // Decisions were simultaneous: a task an earlier agent took this tick is gone.
            if !self.state.swarm.is_posted(pick.task) {
                let winner = self.state.swarm.claim_of(pick.task).map_or(pick.agent, |(a, _)| a);
                self.emit(
                    now,
                    EventKind::Swarm(SwarmEvent::ClaimRefused { task: pick.task, agent: pick.agent, winner }),
                );
                continue;
            }
            tracing::info!(
                "{} {} claimed {} (s={:.1}, θ={:.1}, p={:.2})",
                clock(now),
                self.agent_name(pick.agent),
                self.task_name(pick.task),
                pick.stimulus,
                pick.threshold,
                pick.p
            );
            let Pick { agent, task, stimulus, threshold, p } = pick;
            let class = self.state.swarm.board.iter().find(|x| x.task == task).map(|x| x.class);
            self.emit(now, EventKind::Swarm(SwarmEvent::TaskClaimed { task, agent, stimulus, threshold, p }));
            self.specialise(now, agent, class.unwrap_or(self.wf.task_class[task.ix()]));
            self.assign(now, task, agent, Some(Strategy::Swarm));
        }
        self.state.swarm.picks = picks;
    }

    /// Each available agent, in scenario order, engages at most one task: the first on the board
    /// (that it may run) whose draw falls under its engage probability.
    fn decide(&self, now: u64, picks: &mut Vec<Pick>) {
        let swarm = &self.state.swarm;
        let (tick, rate, seed) = (swarm.cfg.tick_ms as f64, swarm.cfg.stimulus_rate, self.scenario.seed);
        for (i, a) in self.state.agents.iter().enumerate() {
            let agent = AgentId(i as u32);
            if !a.available() {
                continue;
            }
            for posting in &swarm.board {
                if !SwarmState::can_claim(&self.wf, &self.state.tasks, posting, agent) {
                    continue;
                }
                let stimulus = rate * (now - posting.posted_ms) as f64 / tick;
                let capability = &self.wf.classes[posting.class.0 as usize].capability;
                // A class pinned to this agent (an escalation target) is its job whatever its skills.
                let threshold = swarm.slot(agent, capability).map_or(swarm.cfg.min_threshold, |s| swarm.theta[s]);
                let p = engage_probability(stimulus, threshold);
                let u = rng::unit(seed, &[rng::domain::SWARM, now, i as u64, posting.task.0 as u64]);
                if u < p {
                    picks.push(Pick { agent, task: posting.task, stimulus, threshold, p });
                    break;
                }
            }
        }
    }

    /// After a claim: the agent's threshold for the task's capability falls, the others rise.
    fn specialise(&mut self, now: u64, agent: AgentId, class: ClassId) {
        let swarm = &self.state.swarm;
        let Some(claimed) = swarm.slot(agent, &self.wf.classes[class.0 as usize].capability) else { return };
        let (lo, hi) = (swarm.cfg.min_threshold, swarm.cfg.max_threshold.max(swarm.cfg.min_threshold));
        for slot in swarm.agent_slots(agent) {
            let swarm = &self.state.swarm;
            let old = swarm.theta[slot];
            let new = if slot == claimed { old - swarm.cfg.learn } else { old + swarm.cfg.forget }.clamp(lo, hi);
            if new != old {
                let capability = swarm.cap_name(slot);
                self.emit(now, EventKind::Swarm(SwarmEvent::ThresholdChanged { agent, capability, threshold: new }));
            }
        }
    }
}
