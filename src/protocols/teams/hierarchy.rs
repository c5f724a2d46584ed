//! Hierarchical delegation (`allocation: "hierarchy"`): a task goes down the `reports_to` tree,
//! one `delegate` hop per level, and its result goes back up, one `report` hop per level.
//!
//! The decision is made top-down: among the roots whose trees hold a free capable worker, the
//! least-loaded tree; within it, the least-loaded team (subtree) at each level; at the bottom, the
//! least-loaded worker. A subtree's load is the running attempts over the capacity of its capable
//! members, so a small busy team counts as more loaded than a big one with the same work. Managers
//! need not have the capability: they only route. The attempt itself then starts through the
//! normal `assign` path, so retries, timeouts and ladders work as for any task.
//!
//! A manager that is down is skipped, not avoided: its team still gets work, handed straight from
//! the manager above (`bypassed` names the one skipped), and results go back up past it. A team
//! keeps working while its lead restarts; the journal shows every hop that went around it.

use std::collections::BTreeMap;

use crate::core::bus::{Endpoint, Message, MsgKind, Payload};
use crate::core::event::EventKind;
use crate::core::ids::{AgentId, TaskId};
use crate::core::state::State;
use crate::core::{Coordinator, clock};
use crate::protocols::teams::TeamEvent;
use crate::protocols::teams::Tree;

/// Load of a subtree's capable members: `(running, capacity)`, and whether one of them is free.
#[derive(Debug, Clone, Copy, Default)]
struct Load {
    running: u64,
    capacity: u64,
    free: bool,
}

impl Load {
    /// `self` is strictly less loaded than `other` (cross-multiplied ratios).
    fn lighter(&self, other: &Load) -> bool {
        self.running * other.capacity.max(1) < other.running * self.capacity.max(1)
    }
}

/// The path from a root down to the chosen worker, or `None` if no capable worker is free.
pub(crate) fn pick_path(tree: &Tree, state: &State, candidates: &[AgentId]) -> Option<Vec<AgentId>> {
    let mut load: BTreeMap<AgentId, Load> = BTreeMap::new();
    for &a in candidates {
        let rt = &state.agents[a.ix()];
        if !rt.alive {
            continue;
        }
        let free = rt.available();
        for m in tree.path_to(a) {
            let l = load.entry(m).or_default();
            l.running += rt.running.len() as u64;
            l.capacity += rt.max_concurrent as u64;
            l.free |= free;
        }
    }
    let candidate = |a: AgentId| candidates.contains(&a) && state.agents[a.ix()].available();
    let best = |options: &mut dyn Iterator<Item = AgentId>| {
        // Scenario order breaks ties (`options` come in agent order).
        let mut best: Option<(AgentId, Load)> = None;
        for a in options {
            let Some(&l) = load.get(&a).filter(|l| l.free) else { continue };
            if best.is_none_or(|(_, b)| l.lighter(&b)) {
                best = Some((a, l));
            }
        }
        best.map(|(a, _)| a)
    };
    let roots = load.keys().copied().filter(|&a| tree.parent(a).is_none());
    let mut at = best(&mut roots.collect::<Vec<_>>().into_iter())?;
    let mut path = vec![at];
    loop {
        let children = load.keys().copied().filter(|&c| tree.parent(c) == Some(at));
        match best(&mut children.collect::<Vec<_>>().into_iter()) {
            Some(c) => {
                at = c;
                path.push(c);
            }
            None if candidate(at) => return Some(path),
            // Only a manager that is not free itself: its subtree's free worker is gone.
            None => return None,
        }
    }
}

impl Coordinator {
    /// Delegates `task` down the tree to a free capable agent of `pool`: emits one
    /// `task_delegated` and one `delegate` message per hop, and returns the worker.
    pub(crate) fn delegate(&mut self, now: u64, task: TaskId, pool: usize) -> Option<AgentId> {
        let candidates = &self.wf.pools[pool].agents;
        let path = pick_path(&self.state.teams.tree, &self.state, candidates)?;
        let worker = *path.last().expect("a path ends at its worker");
        let mut from: Option<AgentId> = None;
        let mut bypassed = None;
        for &to in &path {
            if !self.state.agents[to.ix()].alive {
                bypassed = Some(to);
                continue;
            }
            if let Some(from) = from {
                let level = self.state.teams.tree.depth(to);
                tracing::debug!(
                    "{} {} delegated by {} to {}",
                    clock(now),
                    self.task_name(task),
                    self.agent_name(from),
                    self.agent_name(to)
                );
                self.emit(now, EventKind::Team(TeamEvent::TaskDelegated { task, from, to, level, bypassed }));
                self.relay(now, from, to, MsgKind::Delegate, Payload::Delegate { task, level });
            }
            from = Some(to);
            bypassed = None;
        }
        Some(worker)
    }

    /// The worker finished a delegated task: its result goes back up the chain, hop by hop,
    /// past managers that are down now.
    pub(crate) fn report_up(&mut self, now: u64, task: TaskId) {
        let Some(chain) = self.state.teams.chain(task) else { return };
        let up: Vec<AgentId> = chain.iter().rev().copied().filter(|a| self.state.agents[a.ix()].alive).collect();
        for hop in up.windows(2) {
            let (from, to) = (hop[0], hop[1]);
            self.emit(now, EventKind::Team(TeamEvent::ResultReported { task, from, to }));
            self.relay(now, from, to, MsgKind::Report, Payload::Report { task });
        }
    }

    /// Puts a message between two agents on the bus (the coordinator carries it for them).
    pub(crate) fn relay(&mut self, now: u64, from: AgentId, to: AgentId, kind: MsgKind, payload: Payload) {
        let msg = Message {
            id: self.state.next_msg_id,
            from: Endpoint::Agent(from),
            to: Endpoint::Agent(to),
            kind,
            priority: kind.default_priority(),
            correlation: None,
            payload,
        };
        self.emit(now, EventKind::MessageSent { msg });
        self.outbox.push_back(msg);
    }
}

#[cfg(test)]
mod tests;
