//! Simulated agents of template slots (see `protocols::elastic`): a slot is silent until the coordinator
//! creates it, then works and heartbeats like any simulated agent, until it is retired.

use crate::core::EventKind;
use crate::core::event::ElasticEvent;

use super::SimRun;

impl SimRun {
    /// Brings the slots the coordinator just created to life (before their first task is
    /// delivered) and silences those it retired.
    pub(super) fn follow_slots(&mut self) {
        for ev in self.coord.pending_events() {
            let (agent, alive) = match ev.kind {
                EventKind::Elastic(ElasticEvent::AgentCreated { agent, .. }) => (agent, true),
                EventKind::Elastic(ElasticEvent::AgentRetired { agent, .. }) => (agent, false),
                _ => continue,
            };
            let a = &mut self.agents[agent.ix()];
            a.alive = alive;
            a.hung = false;
            // Whatever an earlier life of the slot left scheduled is dropped.
            a.epoch += 1;
            a.cancelled.clear();
        }
    }
}
