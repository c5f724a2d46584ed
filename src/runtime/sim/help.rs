//! Simulated agents in help exchanges. An agent running a task with `help` asks its question at
//! `help.at` of the attempt's drawn duration and holds its result until an answer (or the news
//! that none came) arrives, then works the rest of the duration. A peer answers after a quarter
//! of its profile's mean duration, spread by its jitter, drawn from the run's seed per exchange.

use std::collections::BTreeMap;

use super::{Due, SimRun};
use crate::core::timers::later;
use crate::core::{AgentId, Message, MsgKind, Payload};
use crate::rng;
use crate::scenario::bounds::clamp_ms;

/// Share of a peer's mean duration an answer takes.
const ANSWER_SHARE: f64 = 0.25;

/// Attempts waiting for an answer: `(agent, task, attempt)` → their held result and the rest of
/// their work, and the agent's epoch when it asked (a crash since drops it).
#[derive(Debug, Default, Clone)]
pub(super) struct Waiting(BTreeMap<(u32, u32, u32), (Message, u64, u32)>);

impl SimRun {
    /// Instead of sending `result` after `duration`, the agent asks for help part-way.
    pub(super) fn ask_for_help(&mut self, agent: AgentId, result: Message, duration: u64, at: f64) {
        let Payload::Result { task, attempt, .. } = result.payload else { return };
        let asked = (duration as f64 * at).round() as u64;
        let epoch = self.agents[agent.ix()].epoch;
        self.help.0.insert((agent.0, task.0, attempt), (result, duration - asked.min(duration), epoch));
        let question = Message::from_agent(agent, MsgKind::HelpRequest, None, Payload::HelpRequest { task, attempt });
        let slot = self.store(question);
        self.schedule(later(self.now, asked), question.priority, Due::Reply { agent: agent.0, epoch, msg: slot });
    }

    /// A help message reached a simulated agent: a peer answers a question; an asker goes on.
    pub(super) fn on_help(&mut self, agent: AgentId, msg: Message) {
        let epoch = self.agents[agent.ix()].epoch;
        match msg.payload {
            Payload::HelpRequest { task, attempt } => {
                let Some(id) = msg.correlation else { return };
                let profile = &self.coord.scenario().agents[agent.ix()].profile;
                let u = rng::unit(self.coord.scenario().seed, &[rng::domain::HELP, id, agent.0 as u64]);
                let spread = 1.0 + profile.duration_ms.jitter * (2.0 * u - 1.0);
                let delay = clamp_ms((profile.duration_ms.mean * ANSWER_SHARE * spread / self.sim_speed).round());
                let payload = Payload::HelpResponse { task, attempt, answered: true };
                let answer = Message::from_agent(agent, MsgKind::HelpResponse, Some(id), payload);
                let slot = self.store(answer);
                self.schedule(later(self.now, delay), answer.priority, Due::Reply { agent: agent.0, epoch, msg: slot });
            }
            Payload::HelpResponse { task, attempt, .. } => {
                let Some((result, rest, asked_epoch)) = self.help.0.remove(&(agent.0, task.0, attempt)) else { return };
                if asked_epoch != epoch {
                    return; // It crashed since it asked: that attempt is gone.
                }
                let slot = self.store(result);
                self.schedule(later(self.now, rest), result.priority, Due::Reply { agent: agent.0, epoch, msg: slot });
            }
            _ => {}
        }
    }
}
