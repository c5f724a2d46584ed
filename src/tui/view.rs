//! The console's view model: what the screen needs that the coordinator does not keep — the
//! recent message flow, per-agent load history, per-agent task history, the message rate — folded
//! from the same events the journal writes. Task and agent states are read from the coordinator.

use crate::core::event::ContextEvent;
use std::collections::VecDeque;
use std::io;

use crate::core::event::InjectedFault;
use crate::core::faults::LinkFault;
use crate::core::{AgentId, Coordinator, Endpoint, Event, EventKind, Message, TaskId};
use crate::protocols::context::DeadReason;
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
    /// The message could not be delivered (a dead letter), and why.
    pub dead: Option<DeadReason>,
}

#[derive(Debug, Default, Clone)]
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
    /// Per agent: the silent faults injected into it, as `fault_injected` said (the coordinator
    /// does not know them; the operator should).
    pub injected: Vec<Injected>,
    /// Active `drop` and `delay` faults (cleared by a heal; expired ones are filtered when shown).
    pub link_faults: Vec<LinkFault>,
    /// Messages lost to link faults (`message_dropped`).
    pub lost_messages: u64,
}

/// Silent faults on one agent, folded from the journal's `fault_injected` and `message_dropped`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Injected {
    pub hung: bool,
    /// The `slow` factor, unless back to 1.
    pub slow: Option<f64>,
    pub flaky: Option<f64>,
    /// Cut off from the coordinator by a partition, until then (`u64::MAX`: until healed).
    pub cut_off_until: Option<u64>,
    /// Its messages (to or from it) lost to link faults.
    pub lost: u64,
}

impl View {
    pub fn new(agents: usize) -> View {
        View {
            load: vec![VecDeque::new(); agents],
            agent_tasks: vec![Vec::new(); agents],
            injected: vec![Injected::default(); agents],
            ..Default::default()
        }
    }

    /// Records each agent's current load; the console calls this on every virtual-clock tick.
    pub fn sample_load(&mut self, coord: &Coordinator) {
        for (i, a) in coord.state().agents().iter().enumerate() {
            let h = &mut self.load[i];
            if h.len() == LOAD_SAMPLES {
                h.pop_front();
            }
            h.push_back(a.running.len() as u64);
        }
    }

    /// Takes in one event (what the journal says, in order).
    pub fn fold(&mut self, ev: &Event) {
        self.events += 1;
        match &ev.kind {
            EventKind::MessageSent { msg } => {
                if self.messages.len() == MESSAGE_CAPACITY {
                    self.messages.pop_front();
                    self.dropped_messages += 1;
                }
                self.messages.push_back(MsgRow { t_ms: ev.t_ms, msg: *msg, dead: None });
                // A one-second sliding window of virtual time, restarted when it is over.
                if ev.t_ms >= self.window_start_ms + 1_000 {
                    let span = (ev.t_ms - self.window_start_ms).max(1);
                    self.msgs_per_sec = self.window_count as f64 * 1_000.0 / span as f64;
                    self.window_start_ms = ev.t_ms;
                    self.window_count = 0;
                }
                self.window_count += 1;
            }
            EventKind::Context(ContextEvent::MessageDeadLettered { msg, reason }) => {
                // A message that was sent and then expired is marked where it is listed; one that was
                // never sent (its receiver was down) is listed, marked. Either way ids stay ascending.
                match self.messages.binary_search_by_key(&msg.id, |r| r.msg.id) {
                    Ok(i) => self.messages[i].dead = Some(*reason),
                    Err(i) if i == self.messages.len() => {
                        if self.messages.len() == MESSAGE_CAPACITY {
                            self.messages.pop_front();
                            self.dropped_messages += 1;
                        }
                        self.messages.push_back(MsgRow { t_ms: ev.t_ms, msg: **msg, dead: Some(*reason) });
                    }
                    Err(_) => {}
                }
            }
            EventKind::TaskAssigned { task, agent, .. } => self.agent_tasks[agent.ix()].push(*task),
            EventKind::OperatorAction { .. } | EventKind::CommandRefused { .. } => {
                self.last_operator_event = Some(ev.clone());
            }
            EventKind::FaultInjected { agent, fault } => {
                let i = &mut self.injected[agent.ix()];
                match *fault {
                    InjectedFault::Hang => i.hung = true,
                    InjectedFault::Slow { factor } => i.slow = (factor != 1.0).then_some(factor),
                    InjectedFault::Flaky { rate } => i.flaky = Some(rate),
                }
            }
            EventKind::AgentRevived { agent, .. } => self.injected[agent.ix()].hung = false,
            EventKind::LinkFaultInjected { fault } => self.fold_link_fault(fault),
            EventKind::MessageDropped { msg, .. } => {
                self.lost_messages += 1;
                for end in [msg.from, msg.to] {
                    if let Endpoint::Agent(a) = end {
                        self.injected[a.ix()].lost += 1;
                    }
                }
            }
            _ => {}
        }
    }

    fn fold_link_fault(&mut self, fault: &LinkFault) {
        match fault {
            LinkFault::Drop { .. } | LinkFault::Delay { .. } => self.link_faults.push(fault.clone()),
            LinkFault::Partition { groups, until_ms } => {
                let until = until_ms.unwrap_or(u64::MAX);
                for a in groups.iter().skip(1).flat_map(|g| g.iter()) {
                    let i = &mut self.injected[a.ix()];
                    i.cut_off_until = Some(i.cut_off_until.map_or(until, |u| u.max(until)));
                }
            }
            LinkFault::Heal => {
                self.link_faults.clear();
                for i in &mut self.injected {
                    i.cut_off_until = None;
                }
            }
        }
    }

    /// The silent faults on `agent` still in effect at `now`, in words (empty when there are none).
    pub fn injected_summary(&self, agent: AgentId, now: u64, name: impl Fn(Endpoint) -> String) -> Vec<String> {
        let Some(i) = self.injected.get(agent.ix()) else { return Vec::new() };
        let mut out = Vec::new();
        if i.hung {
            out.push("hung".to_string());
        }
        if let Some(f) = i.slow {
            out.push(format!("slow ×{f}"));
        }
        if let Some(r) = i.flaky {
            out.push(format!("flaky {:.0}%", r * 100.0));
        }
        match i.cut_off_until {
            Some(u64::MAX) => out.push("cut off from the coordinator".to_string()),
            Some(until) if now < until => out.push(format!("cut off from the coordinator until {until} ms")),
            _ => {}
        }
        for f in &self.link_faults {
            let (LinkFault::Drop { link, until_ms } | LinkFault::Delay { link, until_ms, .. }) = f else { continue };
            let Some(other) = link.iter().position(|&e| e == Endpoint::Agent(agent)).map(|k| link[1 - k]) else {
                continue;
            };
            if until_ms.is_some_and(|u| now >= u) {
                continue;
            }
            let what = match f {
                LinkFault::Delay { delay_ms, .. } => format!("+{delay_ms} ms"),
                _ => "messages lost".to_string(),
            };
            out.push(format!("link to {}: {what}", name(other)));
        }
        if i.lost > 0 {
            out.push(format!("{} messages lost", i.lost));
        }
        out
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
