//! The simulation driver: simulated agents on a virtual clock.
//!
//! A discrete-event queue ordered by `(time, priority, sequence)` holds everything that will happen
//! outside the coordinator: agents' replies, heartbeats and scheduled faults. The driver always takes
//! the earliest of that queue's head and the coordinator's next timer, so a run takes as long as the
//! CPU needs, not as long as the virtual clock says.

use std::collections::HashSet;
use std::io;

use crate::core::event::InjectedFault;
use crate::core::timers::later;
use crate::core::{
    AgentId, Coordinator, Endpoint, Event, HorizonLimit, Message, MsgKind, OpAction, Payload, Refusal, TaskId,
};
use crate::protocols::context::DeadReason;
use crate::rng;
use crate::scenario::Scenario;
use crate::scenario::bounds::clamp_ms;

use super::horizon::{Horizon, HorizonStop};
use super::network::{Network, Verdict};
use super::sink::EventSink;

mod bids;
mod branch;
mod durable;
mod elastic;
mod faults;
mod help;
mod queue;
#[cfg(test)]
mod tests;
mod votes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// A reply from an agent; dropped if the agent crashed since (`epoch` changed).
    Reply {
        agent: u32,
        epoch: u32,
        msg: usize,
    },
    Fault(usize),
    Heartbeat(u32),
    /// A message a delayed link held back reaches its agent (`mail` slot) …
    Deliver(usize),
    /// … or the coordinator.
    Arrive(usize),
    /// A link fault ends (`until_ms`): nothing to do but keep a run waiting for it from stalling.
    LinkExpiry,
}

/// A simulated agent's runtime side.
#[derive(Debug, Default, Clone)]
struct SimAgent {
    alive: bool,
    /// Bumped on every crash so replies scheduled before it are dropped.
    epoch: u32,
    /// Attempts the coordinator cancelled; their replies are never sent.
    cancelled: HashSet<(u32, u32)>,
    /// Multiplies drawn durations (a `slow` fault); 1 normally.
    slow_factor: f64,
    /// Replaces the profile's failure rate (a `flaky` fault).
    failure_rate: Option<f64>,
    /// Hung (not crashed): it neither heartbeats nor answers, but keeps what it was doing. When it
    /// is revived it answers late with the replies it was holding (`parked`, mail slots) and reads
    /// the messages that reached it meanwhile (`inbox`).
    hung: bool,
    parked: Vec<usize>,
    inbox: Vec<Message>,
}

/// Cloning it copies the whole simulation as it stands (a what-if branches from it: see
/// `sim/branch.rs`).
#[derive(Clone)]
pub struct SimRun {
    coord: Coordinator,
    /// Attempts holding their result until a help answer comes.
    help: help::Waiting,
    agents: Vec<SimAgent>,
    /// By `(time, 255 − priority, seq)`: earlier first, then higher priority, then first scheduled.
    queue: queue::Queue<Due>,
    /// Messages referenced by `Due::Reply` (kept aside so queue entries stay small and ordered).
    mail: Vec<Option<Message>>,
    free_mail: Vec<usize>,
    /// Queue entries other than heartbeats: when zero and no timers remain, nothing can change.
    pending: usize,
    now: u64,
    /// Reused buffer for events drained from the coordinator.
    buf: Vec<Event>,
    started: bool,
    stopped: bool,
    fail_on_stall: bool,
    /// Agents that are not simulated (process, LLM): a live driver runs them.
    external: Vec<bool>,
    /// Messages for external agents, for the live driver to take.
    external_out: Vec<Message>,
    /// Simulated work takes `1 / sim_speed` of its drawn duration (live runs with a speed control).
    sim_speed: f64,
    /// Link faults and partitions between endpoints.
    net: Network,
    /// Headless runs stop here (see [`super::horizon`]); the console has none.
    horizon: Option<Horizon>,
    /// Inputs handled that wrote no event (they count toward the horizon's events too).
    silent: u64,
    /// Set when the run stopped at its horizon.
    horizon_stop: Option<HorizonStop>,
}

impl SimRun {
    pub fn new(scenario: Scenario) -> SimRun {
        let mut run = SimRun::around(Coordinator::new(scenario));
        run.schedule_faults(None);
        run.arm_heartbeats();
        run
    }

    /// Puts the scenario's faults on the queue: all of them, or those after `past` (a run
    /// brought back at that time has been through the others).
    fn schedule_faults(&mut self, past: Option<u64>) {
        let faults: Vec<u64> = self.coord.scenario().faults.iter().map(|f| f.at_ms).collect();
        for (i, at) in faults.into_iter().enumerate() {
            if past.is_none_or(|t| at > t) {
                self.schedule(at, 255, Due::Fault(i));
            }
        }
    }

    /// The driver's parts around a coordinator, nothing scheduled yet.
    fn around(coord: Coordinator) -> SimRun {
        let agents = coord
            .scenario()
            .agents
            .iter()
            // A template's slot is silent until the coordinator creates it (see `sim/elastic.rs`).
            .map(|a| SimAgent { alive: a.template.is_none(), slow_factor: 1.0, ..Default::default() })
            .collect();
        let external = coord.scenario().agents.iter().map(|a| !a.kind.is_sim()).collect();
        SimRun {
            coord,
            agents,
            queue: Default::default(),
            mail: Vec::new(),
            free_mail: Vec::new(),
            pending: 0,
            now: 0,
            buf: Vec::new(),
            started: false,
            stopped: false,
            fail_on_stall: true,
            external,
            external_out: Vec::new(),
            sim_speed: 1.0,
            net: Network::default(),
            help: Default::default(),
            horizon: None,
            silent: 0,
            horizon_stop: None,
        }
    }

    pub fn coordinator(&self) -> &Coordinator {
        &self.coord
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    /// True once the run finished and its last events went to the sink.
    pub fn is_done(&self) -> bool {
        self.stopped
    }

    /// Gives the run a horizon: it stops there with `horizon_reached` (headless runs).
    pub fn set_horizon(&mut self, horizon: Horizon) {
        self.horizon = Some(horizon);
    }

    /// Where the run stopped at its horizon, if it did.
    pub fn horizon_stop(&self) -> Option<HorizonStop> {
        self.horizon_stop
    }

    /// Events counted toward the horizon: journal lines, and inputs that wrote none.
    fn events_counted(&self) -> u64 {
        self.coord.state().next_seq().saturating_add(self.silent)
    }

    /// Stops the run at its horizon if the next input, at `next`, would pass it.
    fn check_horizon(&mut self, next: u64, sink: &mut impl EventSink) -> io::Result<bool> {
        let Some(h) = self.horizon else { return Ok(false) };
        let events = self.events_counted();
        let (limit, value) = if events >= h.max_events {
            (HorizonLimit::Events, h.max_events)
        } else if next > h.max_time_ms {
            (HorizonLimit::Time, h.max_time_ms)
        } else {
            return Ok(false);
        };
        self.horizon_stop = Some(HorizonStop { limit, value, t_ms: self.now, events });
        self.coord.reach_horizon(self.now, limit, value, events);
        self.pump(sink)?;
        self.stopped = true;
        Ok(true)
    }

    /// Whether a run with nothing left to do fails its waiting tasks (headless, the default) or
    /// waits for an operator to revive an agent or release a task (the console).
    pub fn set_fail_on_stall(&mut self, fail: bool) {
        self.fail_on_stall = fail;
    }

    /// Nothing will happen until an operator acts (only heartbeats, if any, go on).
    pub fn is_waiting_for_operator(&mut self) -> bool {
        self.started && !self.coord.is_finished() && self.pending == 0 && self.coord.poll_work_timeout().is_none()
    }

    /// Processes everything due up to virtual time `t`, then moves the clock to `t` (unless the run
    /// finished earlier: its clock stops at the end).
    pub fn advance_to(&mut self, t: u64, sink: &mut impl EventSink) -> io::Result<()> {
        if !self.started {
            self.step(sink)?;
        }
        while !self.stopped {
            match self.next_instant() {
                Some(next) if next <= t => self.step(sink)?,
                _ => break,
            }
        }
        if !self.coord.is_finished() {
            self.now = self.now.max(t);
        }
        Ok(())
    }

    /// Processes everything at the next instant something happens (single-stepping a paused run).
    pub fn step_instant(&mut self, sink: &mut impl EventSink) -> io::Result<()> {
        if !self.started {
            return self.step(sink);
        }
        match self.next_instant() {
            Some(next) => self.advance_to(next, sink),
            None => Ok(()),
        }
    }

    /// An operator command at the current virtual time. The outer `Result` is the sink's; the
    /// inner one says whether the coordinator accepted the command (a refusal is journaled too).
    pub fn operator(
        &mut self,
        action: OpAction,
        who: &str,
        reason: Option<&str>,
        sink: &mut impl EventSink,
    ) -> io::Result<Result<(), Refusal>> {
        if let Err(refusal) = self.check_fault(action) {
            self.coord.refuse_operator(self.now, action, refusal);
            self.pump(sink)?;
            return Ok(Err(refusal));
        }
        let accepted = self.coord.handle_operator(self.now, action, who, reason);
        if accepted.is_ok() {
            match action {
                OpAction::Crash(a) => self.sim_crash(a.ix()),
                OpAction::Revive(a) => self.heal(a.ix()),
                _ => self.operator_fault(action),
            }
            if !self.coord.is_finished() && self.stopped {
                // The operator reopened a finished run.
                self.stopped = false;
                self.arm_heartbeats();
            }
        }
        self.pump(sink)?;
        Ok(accepted)
    }

    /// Injects a `slow` fault: the agent's attempts take `factor` times longer from now on
    /// (1 restores it). The coordinator is not told; adaptive routing has to notice.
    pub fn inject_slow(&mut self, agent: AgentId, factor: f64, sink: &mut impl EventSink) -> io::Result<()> {
        self.inject(agent, InjectedFault::Slow { factor });
        self.pump(sink)
    }

    /// Starts the run with `start` (instead of [`Coordinator::start`]) at time 0.
    pub fn start_with(&mut self, sink: &mut impl EventSink, start: impl FnOnce(&mut Coordinator)) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        start(&mut self.coord);
        self.pump(sink)
    }

    /// Messages the coordinator sent to external (process, LLM) agents since the last call.
    pub fn take_external(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.external_out)
    }

    /// Whether a fault or an operator silenced the agent here (crashed, or hung): a live driver
    /// ignores an external agent's messages while the coordinator still counts it up.
    pub fn is_silenced(&self, agent: AgentId) -> bool {
        !self.agents[agent.ix()].alive
    }

    /// Whether the agent is run by a live driver rather than simulated here.
    pub fn is_external(&self, agent: AgentId) -> bool {
        self.external[agent.ix()]
    }

    /// Live runs: simulated work takes `1 / speed` of its drawn duration from now on.
    pub fn set_sim_speed(&mut self, speed: f64) {
        self.sim_speed = speed.max(1e-3);
    }

    /// Processes everything due up to `now`, then lets `f` feed the coordinator at `now` (what a
    /// live driver's agents said or did), and hands the resulting events to the sink.
    pub fn feed(
        &mut self,
        now: u64,
        sink: &mut impl EventSink,
        f: impl FnOnce(&mut Coordinator, u64),
    ) -> io::Result<()> {
        self.advance_to(now, sink)?;
        if self.stopped {
            return Ok(());
        }
        f(&mut self.coord, self.now);
        self.pump(sink)?;
        // What live agents say counts toward the horizon too, even while no timer runs.
        if self.horizon.is_some() && !self.coord.is_finished() {
            self.check_horizon(self.now, sink)?;
        }
        Ok(())
    }

    fn sim_crash(&mut self, agent: usize) {
        let a = &mut self.agents[agent];
        if a.alive || a.hung {
            a.alive = false;
            a.hung = false;
            a.epoch += 1;
            a.cancelled.clear();
            a.inbox.clear();
            for slot in a.parked.drain(..) {
                self.mail[slot] = None;
                self.free_mail.push(slot);
            }
        }
    }

    /// The agent stops without dying: see [`SimAgent::hung`].
    pub(super) fn sim_hang(&mut self, agent: usize) {
        let a = &mut self.agents[agent];
        if a.alive {
            a.alive = false;
            a.hung = true;
        }
    }

    /// A crashed agent comes back empty-handed; a hung one catches up: it reads what reached it
    /// (requests past their deadline are dead letters, `expired`), then sends the replies it held.
    pub(super) fn heal(&mut self, agent: usize) {
        let a = &mut self.agents[agent];
        a.alive = true;
        if !std::mem::take(&mut a.hung) {
            return;
        }
        let (inbox, parked) = (std::mem::take(&mut a.inbox), std::mem::take(&mut a.parked));
        for msg in inbox {
            match msg.payload {
                Payload::Task { deadline_ms, .. } if deadline_ms <= self.now => {
                    self.coord.handle_undeliverable(self.now, msg, DeadReason::Expired)
                }
                _ => self.deliver(AgentId(agent as u32), msg),
            }
        }
        let epoch = self.agents[agent].epoch;
        for slot in parked {
            let priority = self.mail[slot].map_or(0, |m| m.priority);
            self.schedule(self.now, priority, Due::Reply { agent: agent as u32, epoch, msg: slot });
        }
    }

    /// (Re)starts every agent's heartbeat, dropping any still queued (rare: at start and reopen).
    fn arm_heartbeats(&mut self) {
        self.queue.retain(|due| !matches!(due, Due::Heartbeat(_)));
        let hb = self.coord.scenario().heartbeat_ms;
        if hb > 0 {
            for a in 0..self.agents.len() as u32 {
                if !self.external.get(a as usize).copied().unwrap_or(false) {
                    self.schedule(later(self.now, hb), 0, Due::Heartbeat(a));
                }
            }
        }
    }

    /// Runs to the end. Sink errors stop the run (after `finish` is called on the sink).
    pub fn run(&mut self, sink: &mut impl EventSink) -> io::Result<()> {
        self.run_interruptible(sink, || None).map(|_| ())
    }

    /// The instant of the next thing that will happen, if anything will.
    pub fn next_instant(&mut self) -> Option<u64> {
        let q = self.queue.peek().map(|(t, _)| t);
        let t = self.coord.poll_timeout();
        match (q, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Processes one input (one queue entry or one batch of due timers).
    pub fn step(&mut self, sink: &mut impl EventSink) -> io::Result<()> {
        if self.stopped {
            return Ok(());
        }
        if !self.started {
            self.started = true;
            self.coord.start(0);
            // Faults at 0 are in place before the first messages arrive (the run's first requests
            // meet a slow agent or a broken link, as the scenario says).
            while let Some((0, due @ Due::Fault(_))) = self.queue.peek() {
                self.queue.pop();
                self.handle_due(due);
            }
            return self.pump(sink);
        }
        if self.coord.is_finished() {
            self.stopped = true;
            return Ok(());
        }
        let timer = self.coord.poll_timeout();
        let stalled = self.pending == 0 && self.coord.poll_work_timeout().is_none();
        // Only heartbeats (and their watchdog) would go on: nothing can change the run any more.
        if stalled && (self.fail_on_stall || (self.queue.is_empty() && timer.is_none())) {
            if self.fail_on_stall {
                let woke = self.coord.handle_stall(self.now);
                self.pump(sink)?;
                // Failing what was stuck may have woken compensations: the run goes on for them.
                self.stopped = !woke;
            }
            return Ok(());
        }
        let head = self.queue.peek().map(|(t, _)| t);
        // Replies and faults due at the same instant as a timer go first: a reply that arrives
        // exactly on its deadline is in time.
        let take_queue = match (head, timer) {
            (Some(h), Some(t)) => h <= t,
            (Some(_), None) => true,
            _ => false,
        };
        let next = if take_queue { head } else { timer };
        if self.horizon.is_some() && self.check_horizon(next.unwrap_or(self.now), sink)? {
            return Ok(());
        }
        let before = self.coord.state().next_seq();
        if take_queue {
            let (at, due) = self.queue.pop().expect("peeked");
            self.now = at;
            self.handle_due(due);
        } else {
            self.now = timer.expect("a timer is due");
            self.coord.handle_timeout(self.now);
        }
        self.pump(sink)?;
        if self.coord.state().next_seq() == before {
            self.silent += 1;
        }
        Ok(())
    }

    fn schedule(&mut self, at: u64, priority: u8, due: Due) {
        if !self.is_chatter(due) {
            self.pending += 1;
        }
        self.queue.push(at, 255 - priority, due);
    }

    /// Heartbeats, also those held up on a delayed link: they go on as long as agents live, so
    /// they never keep a stalled run going (else a delayed link would make it run forever).
    fn is_chatter(&self, due: Due) -> bool {
        match due {
            Due::Heartbeat(_) => true,
            Due::Deliver(slot) | Due::Arrive(slot) => self.mail[slot].is_some_and(|m| m.kind == MsgKind::Heartbeat),
            _ => false,
        }
    }

    fn handle_due(&mut self, due: Due) {
        let now = self.now;
        match due {
            Due::Reply { agent, epoch, msg } => {
                self.pending -= 1;
                let a = &mut self.agents[agent as usize];
                if a.hung && a.epoch == epoch {
                    a.parked.push(msg);
                    return;
                }
                let message = self.mail[msg].take().expect("reply stored");
                self.free_mail.push(msg);
                let a = &mut self.agents[agent as usize];
                if !a.alive || a.epoch != epoch {
                    return;
                }
                if let Payload::Result { task, attempt, .. } = message.payload
                    && !a.cancelled.is_empty()
                    && a.cancelled.remove(&(task.0, attempt))
                {
                    return;
                }
                self.send_to_coordinator(message);
            }
            Due::Fault(i) => {
                self.pending -= 1;
                self.scenario_fault(i);
            }
            Due::Deliver(slot) | Due::Arrive(slot) => {
                if !self.is_chatter(due) {
                    self.pending -= 1;
                }
                let message = self.mail[slot].take().expect("message stored");
                self.free_mail.push(slot);
                match message.to {
                    Endpoint::Agent(agent) => self.deliver(agent, message),
                    _ => self.coord.handle_message(now, message),
                }
            }
            Due::LinkExpiry => self.pending -= 1,
            Due::Heartbeat(agent) => {
                if self.coord.is_finished() {
                    return;
                }
                let hb = self.coord.scenario().heartbeat_ms;
                self.schedule(later(now, hb), 0, Due::Heartbeat(agent));
                if self.agents[agent as usize].alive {
                    let running = self.coord.state().agents()[agent as usize].running.len() as u32;
                    let msg =
                        Message::from_agent(AgentId(agent), MsgKind::Heartbeat, None, Payload::Heartbeat { running });
                    self.send_to_coordinator(msg);
                }
            }
        }
    }

    /// Delivers the coordinator's outgoing messages to agents and hands its events to the sink.
    fn pump(&mut self, sink: &mut impl EventSink) -> io::Result<()> {
        if self.coord.state().elastic().active {
            self.follow_slots();
        }
        while let Some(msg) = self.coord.poll_transmit() {
            if let Endpoint::Agent(agent) = msg.to {
                match self.net.verdict(msg.from, msg.to, self.now) {
                    Verdict::Pass => self.deliver(agent, msg),
                    // The last messages of a finished run go nowhere; the journal ends with `run_finished`.
                    Verdict::Lost(_) if self.coord.is_finished() => {}
                    Verdict::Lost(cause) => self.coord.note_dropped(self.now, msg, cause),
                    Verdict::Delay(d) => {
                        let slot = self.store(msg);
                        self.schedule(later(self.now, d), msg.priority, Due::Deliver(slot));
                    }
                }
            }
        }
        let mut events = std::mem::take(&mut self.buf);
        self.coord.take_events(&mut events);
        let mut result = Ok(());
        for ev in &events {
            if let Err(e) = sink.event(ev, &self.coord) {
                result = Err(e);
                break;
            }
        }
        events.clear();
        self.buf = events;
        if result.is_err() {
            self.stopped = true;
        }
        result
    }

    /// A simulated agent receives a message: it draws how long the work takes and whether it fails.
    fn deliver(&mut self, agent: AgentId, msg: Message) {
        let now = self.now;
        let seed = self.coord.scenario().seed;
        if self.external[agent.ix()] {
            self.external_out.push(msg);
            return;
        }
        let a = &mut self.agents[agent.ix()];
        if !a.alive {
            if a.hung {
                a.inbox.push(msg);
            }
            return;
        }
        match msg.payload {
            Payload::Task { task, attempt, work, .. } => {
                let profile = &self.coord.scenario().agents[agent.ix()].profile;
                let keys = [task.0 as u64, attempt as u64, agent.0 as u64];
                // Draws are stateless, so skipping one that cannot matter changes no other draw.
                let factor = if profile.duration_ms.jitter > 0.0 {
                    let u = rng::unit(seed, &[rng::domain::DURATION, keys[0], keys[1], keys[2]]);
                    1.0 + profile.duration_ms.jitter * (2.0 * u - 1.0)
                } else {
                    1.0
                };
                let scale = a.slow_factor / self.sim_speed;
                // Clamped: `mean × work × slow factor` may exceed the format's longest time (or be
                // infinite); such an attempt simply outlasts its timeout.
                let duration = clamp_ms((profile.duration_ms.mean * work * factor * scale).round());
                let rate = a.failure_rate.unwrap_or(profile.failure_rate);
                let fails = rate > 0.0 && rng::unit(seed, &[rng::domain::FAILURE, keys[0], keys[1], keys[2]]) < rate;
                let error = fails.then_some(crate::core::bus::AgentError::Simulated);
                let reply = Message::from_agent(
                    agent,
                    MsgKind::TaskResult,
                    Some(msg.id),
                    Payload::Result { task: TaskId(task.0), attempt, error },
                );
                let epoch = a.epoch;
                // Most runs have no help at all: their task specs are not looked at.
                if self.coord.workflow().helpers
                    && let Some(h) = &self.coord.scenario().tasks[task.ix()].extras().help
                {
                    let at = h.at;
                    self.ask_for_help(agent, reply, duration, at);
                    return;
                }
                let slot = self.store(reply);
                self.schedule(later(now, duration), reply.priority, Due::Reply { agent: agent.0, epoch, msg: slot });
            }
            Payload::HelpRequest { .. } | Payload::HelpResponse { .. } => self.on_help(agent, msg),
            Payload::Cancel { task, attempt } => {
                a.cancelled.insert((task.0, attempt));
            }
            Payload::Cfp { auction, task, .. } => {
                let epoch = a.epoch;
                let (reply, latency) = bids::answer(&self.coord, agent, auction, task, msg.id);
                let latency = clamp_ms((latency as f64 / self.sim_speed).round());
                let slot = self.store(reply);
                self.schedule(later(now, latency), reply.priority, Due::Reply { agent: agent.0, epoch, msg: slot });
            }
            Payload::Ballot { task, .. } => {
                let profile = &self.coord.scenario().agents[agent.ix()].profile;
                let (choice, latency) = votes::answer(seed, profile, task.0, agent.0);
                let payload = Payload::Vote { task, choice, reason: None };
                let reply = Message::from_agent(agent, MsgKind::Vote, Some(msg.id), payload);
                let epoch = a.epoch;
                let slot = self.store(reply);
                self.schedule(later(now, latency), reply.priority, Due::Reply { agent: agent.0, epoch, msg: slot });
            }
            _ => {}
        }
    }

    /// Keeps a message aside for a queue entry; returns its `mail` slot.
    fn store(&mut self, msg: Message) -> usize {
        match self.free_mail.pop() {
            Some(i) => {
                self.mail[i] = Some(msg);
                i
            }
            None => {
                self.mail.push(Some(msg));
                self.mail.len() - 1
            }
        }
    }

    /// An agent's message enters the network towards the coordinator.
    fn send_to_coordinator(&mut self, msg: Message) {
        match self.net.verdict(msg.from, msg.to, self.now) {
            Verdict::Pass => self.coord.handle_message(self.now, msg),
            Verdict::Lost(cause) => self.coord.note_dropped(self.now, msg, cause),
            Verdict::Delay(d) => {
                let slot = self.store(msg);
                self.schedule(later(self.now, d), msg.priority, Due::Arrive(slot));
            }
        }
    }
}
