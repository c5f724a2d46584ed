//! The console's view model: what the screen needs that the coordinator does not keep — the
//! recent message flow, per-agent load history, per-agent task history, the message rate — folded
//! from the same events the journal writes. Task and agent states are read from the coordinator.

use std::collections::VecDeque;
use std::io;

use crate::core::{AgentId, Coordinator, Event, EventKind, Message, TaskId};
use crate::runtime::EventSink;

/// How many messages the Messages pane keeps (older ones are counted, not shown).
pub const MESSAGE_CAPACITY: usize = 5_000;
/// Samples of each agent's load kept for its sparkline.
pub const LOAD_SAMPLES: usize = 60;

/// A message as the Messages pane lists it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MsgRow {
    pub t_ms: u64,
    pub msg: Message,
}

#[derive(Debug, Default)]
pub struct View {
    /// Most recent messages, oldest first.
    pub messages: VecDeque<MsgRow>,
    /// Messages that no longer fit in `messages`.
    pub dropped_messages: u64,
    /// Per agent: running attempts sampled on the virtual clock (see [`View::sample_load`]).
    pub load: Vec<VecDeque<u64>>,
    /// Per agent: every task assigned to it, in order (for the agent's detail popup).
    pub agent_tasks: Vec<Vec<TaskId>>,
    /// Messages per second of *virtual* time over the last sampling window.
    pub msgs_per_sec: f64,
    window_start_ms: u64,
    window_count: u64,
    /// Events folded so far.
    pub events: u64,
    /// The last event of each kind that the status line shows (refusals, operator actions).
    pub last_operator_event: Option<Event>,
}

impl View {
    pub fn new(agents: usize) -> View {
        View { load: vec![VecDeque::new(); agents], agent_tasks: vec![Vec::new(); agents], ..Default::default() }
    }

    /// Records each agent's current load; the console calls this on every virtual-clock tick.
    pub fn sample_load(&mut self, coord: &Coordinator) {
        for (i, a) in coord.state().agents.iter().enumerate() {
            let h = &mut self.load[i];
            if h.len() == LOAD_SAMPLES {
                h.pop_front();
            }
            h.push_back(a.running.len() as u64);
        }
    }

    fn fold(&mut self, ev: &Event) {
        self.events += 1;
        match &ev.kind {
            EventKind::MessageSent { msg } => {
                if self.messages.len() == MESSAGE_CAPACITY {
                    self.messages.pop_front();
                    self.dropped_messages += 1;
                }
                self.messages.push_back(MsgRow { t_ms: ev.t_ms, msg: *msg });
                // A one-second sliding window of virtual time, restarted when it is over.
                if ev.t_ms >= self.window_start_ms + 1_000 {
                    let span = (ev.t_ms - self.window_start_ms).max(1);
                    self.msgs_per_sec = self.window_count as f64 * 1_000.0 / span as f64;
                    self.window_start_ms = ev.t_ms;
                    self.window_count = 0;
                }
                self.window_count += 1;
            }
            EventKind::TaskAssigned { task, agent, .. } => self.agent_tasks[agent.ix()].push(*task),
            EventKind::OperatorAction { .. } | EventKind::CommandRefused { .. } => {
                self.last_operator_event = Some(ev.clone());
            }
            _ => {}
        }
    }

    /// Messages involving `agent` (sent, received, or broadcast), newest last.
    pub fn messages_of(&self, agent: AgentId) -> impl Iterator<Item = &MsgRow> {
        use crate::core::Endpoint;
        self.messages.iter().filter(move |r| {
            r.msg.from == Endpoint::Agent(agent)
                || r.msg.to == Endpoint::Agent(agent)
                || r.msg.to == Endpoint::Broadcast
        })
    }
}

impl EventSink for View {
    fn event(&mut self, ev: &Event, _: &Coordinator) -> io::Result<()> {
        self.fold(ev);
        Ok(())
    }
}
