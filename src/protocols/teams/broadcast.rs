//! Broadcasts: the scenario's `announcements` at their times, and the operator's `:broadcast`,
//! to every up agent or every up agent with a capability. One `broadcast_sent` event names the
//! recipients; each gets its own `broadcast` message. (Run-level status notes — run start and
//! finish, agents down and up — stay `status` messages to `*`.)

use std::sync::Arc;

use crate::core::bus::{Endpoint, MsgKind, Payload};
use crate::core::event::{EventKind, Origin};
use crate::core::ids::AgentId;
use crate::core::output::intern;
use crate::core::timers::{Timer, Timers};
use crate::core::{Coordinator, clock};
use crate::protocols::teams::TeamEvent;
use crate::protocols::teams::TeamState;
use crate::scenario::{Audience, Scenario};

/// Schedules every announcement (part of the initial state, so a rebuilt run has them too).
pub(crate) fn arm(sc: &Scenario, teams: &TeamState, timers: &mut Timers) {
    for (n, &i) in teams.announce_order.iter().enumerate() {
        timers.push_at(sc.announcements[i as usize].at_ms, Timer::Announce { n: n as u32 });
    }
}

impl Coordinator {
    /// The `n`-th announcement in time order is due.
    pub(crate) fn announce_due(&mut self, now: u64, n: u32) {
        let a = &self.scenario.announcements[self.state.teams.announce_order[n as usize] as usize];
        let to = match &a.to {
            Audience::All => None,
            Audience::Capability(c) => Some(Arc::from(c.as_str())),
        };
        let text: Arc<str> = a.text.as_str().into();
        self.broadcast(now, to, text, Origin::Scenario);
    }

    /// Sends `text` to every up agent, or every up agent with capability `to`.
    pub fn broadcast(&mut self, now: u64, to: Option<Arc<str>>, text: Arc<str>, origin: Origin) {
        let recipients: Arc<[AgentId]> = (0..self.scenario.agents.len())
            .filter(|&i| self.state.agents[i].alive)
            .filter(|&i| to.as_deref().is_none_or(|c| self.scenario.agents[i].capabilities.iter().any(|x| x == c)))
            .map(|i| AgentId(i as u32))
            .collect();
        tracing::info!("{} broadcast to {} agents: {text}", clock(now), recipients.len());
        let interned = intern(&text);
        self.emit(now, EventKind::Team(TeamEvent::BroadcastSent { to, recipients: recipients.clone(), text, origin }));
        for &a in recipients.iter() {
            self.send(now, Endpoint::Agent(a), MsgKind::Broadcast, None, Payload::Broadcast { text: interned });
        }
    }
}

#[cfg(test)]
mod tests;
