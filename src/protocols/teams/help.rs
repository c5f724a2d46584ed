//! Peer-to-peer help: an agent running a task asks a question; the coordinator routes it to the
//! least-loaded other up agent with the capability, forwards the answer back, or tells the asker
//! that none came (no such peer: at once; else after the task's `help.timeout_ms`).
//!
//! The exchange's id is the bus id of the asker's `help_request`; the copy to the peer, the peer's
//! `help_response` and the one forwarded to the asker all carry it as their `correlation`.
//! Answering costs the peer no slot: help is side work next to its own attempts. An answer after
//! the timeout is recorded on the bus and otherwise ignored.

use std::sync::Arc;

use crate::core::bus::{Endpoint, Message, MsgKind, Payload};
use crate::core::event::EventKind;
use crate::core::ids::AgentId;
use crate::core::{Coordinator, clock};
use crate::protocols::teams::{HelpMiss, TeamEvent};

impl Coordinator {
    /// A `help_request` from an agent, or a peer's `help_response`.
    pub(crate) fn handle_help(&mut self, now: u64, agent: AgentId, msg: Message) {
        match msg.payload {
            Payload::HelpRequest { task, attempt } => {
                let t = &self.state.tasks[task.ix()];
                // A question from an attempt that already ended (timed out, taken away) is moot.
                let current = t.attempts == attempt && t.agent == Some(agent) && self.state.attempt_running(task);
                let Some(help) = self.scenario.tasks[task.ix()].extras().help.as_ref().filter(|_| current) else {
                    return;
                };
                let capability: Arc<str> = help.capability.as_str().into();
                self.ask_peer(now, agent, task, msg.id, capability);
            }
            Payload::HelpResponse { .. } => {
                let Some(id) = msg.correlation.filter(|&id| self.state.teams.help_waiting(id)) else { return };
                let h = &self.state.teams.help[&id];
                if h.peer != Some(agent) {
                    return;
                }
                let (asker, task, attempt, waited_ms) = (h.asker, h.task, h.attempt, now - h.asked_ms);
                tracing::info!(
                    "{} {} answered {}'s question after {waited_ms} ms",
                    clock(now),
                    self.agent_name(agent),
                    self.agent_name(asker)
                );
                self.emit(now, EventKind::Team(TeamEvent::HelpAnswered { id, by: agent, waited_ms }));
                let payload = Payload::HelpResponse { task, attempt, answered: true };
                self.send(now, Endpoint::Agent(asker), MsgKind::HelpResponse, Some(id), payload);
            }
            _ => {}
        }
    }

    /// A real agent's `request_help`: a question about its (first) running attempt, routed like a
    /// simulated agent's, with the task's `help.timeout_ms` or the default. Returns the exchange id
    /// (the bus id of the request), or `None` when the agent runs nothing to ask about.
    pub fn request_help(&mut self, now: u64, agent: AgentId, capability: &str) -> Option<u64> {
        let task = *self.state.agents[agent.ix()].running.first()?;
        let attempt = self.state.tasks[task.ix()].attempts;
        let mut msg = Message::from_agent(agent, MsgKind::HelpRequest, None, Payload::HelpRequest { task, attempt });
        msg.id = self.state.next_msg_id;
        self.emit(now, EventKind::MessageSent { msg });
        self.ask_peer(now, agent, task, msg.id, capability.into());
        Some(msg.id)
    }

    /// Records the question `id` of `asker` about `task` and routes it to a peer.
    pub(crate) fn ask_peer(
        &mut self,
        now: u64,
        asker: AgentId,
        task: crate::core::TaskId,
        id: u64,
        capability: Arc<str>,
    ) {
        let cap = capability.clone();
        self.emit(now, EventKind::Team(TeamEvent::HelpRequested { task, agent: asker, id, capability }));
        let attempt = self.state.teams.help[&id].attempt;
        match self.help_peer(asker, &cap) {
            Some(to) => {
                self.emit(now, EventKind::Team(TeamEvent::HelpRouted { id, to }));
                let payload = Payload::HelpRequest { task, attempt };
                self.send(now, Endpoint::Agent(to), MsgKind::HelpRequest, Some(id), payload);
            }
            None => {
                tracing::warn!("{} no peer with `{cap}` can answer {}", clock(now), self.agent_name(asker));
                self.help_missed(now, id, HelpMiss::NoPeer);
            }
        }
    }

    /// The exchange's time is up: the asker goes on without an answer.
    pub(crate) fn help_timed_out(&mut self, now: u64, id: u64) {
        self.help_missed(now, id, HelpMiss::Timeout);
    }

    fn help_missed(&mut self, now: u64, id: u64, reason: HelpMiss) {
        self.emit(now, EventKind::Team(TeamEvent::HelpTimedOut { id, reason }));
        let h = &self.state.teams.help[&id];
        let (asker, payload) = (h.asker, Payload::HelpResponse { task: h.task, attempt: h.attempt, answered: false });
        self.send(now, Endpoint::Agent(asker), MsgKind::HelpResponse, Some(id), payload);
    }

    /// The least-loaded up agent other than `asker` with `capability` (scenario order breaks ties).
    fn help_peer(&self, asker: AgentId, capability: &str) -> Option<AgentId> {
        let mut best: Option<(AgentId, u64, u64)> = None;
        for (i, spec) in self.scenario.agents.iter().enumerate() {
            let a = &self.state.agents[i];
            if i == asker.ix() || !a.alive || a.draining || !spec.capabilities.iter().any(|c| c == capability) {
                continue;
            }
            let (running, max) = (a.running.len() as u64, a.max_concurrent as u64);
            if best.is_none_or(|(_, r, m)| running * m < r * max) {
                best = Some((AgentId(i as u32), running, max));
            }
        }
        best.map(|(a, ..)| a)
    }
}

#[cfg(test)]
mod tests;
