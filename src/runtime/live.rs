//! The live driver: real agents (processes) and simulated ones together, on the wall clock.
//!
//! The simulated side stays a [`SimRun`] — its queue of simulated replies, heartbeats and faults,
//! and the coordinator's timers — advanced to the wall clock's milliseconds since the run started;
//! messages the coordinator addresses to process agents are taken from it and written to them.
//! Each process agent is owned by a task of its own (`runtime::fleet`), which turns everything the
//! process does into [`Report`]s on one channel; this loop sleeps until the next timer or the
//! next report, whichever comes first.
//!
//! What the agents do maps onto the coordinator as follows: `result` / `error` are task results
//! (with the output beside the message, see [`crate::core::output`]); `heartbeat` and `progress`
//! are heartbeats; `log` and stderr lines go to tracing (the console's log pane); a line that is
//! not a valid message, or a result for a task the run does not have or for an attempt that was
//! not given to this agent, is a `protocol_error` event, and after [`GARBAGE_LIMIT`] of them the
//! agent is rejected as faulty and killed; a process
//! that exits is `agent_exited` (its attempts fail and are reassigned); a failed handshake is
//! `agent_rejected`. The coordinator's own events drive the processes in turn: an agent that
//! crashed (a fault, an operator) or was lost (it hung) is killed, one revived is started again,
//! and a `hang` fault mutes it (the driver reconciles the processes with the coordinator's view
//! after every input). At the end every process gets `shutdown` and is killed after
//! [`LiveOptions::grace`]; dropping a [`LiveAgents`] kills whatever is still running.
//!
//! [`LiveAgents`] is the part that owns the processes and works on a [`SimRun`] it is handed, so the
//! console can keep its own clock (pause, step) and pass its current time; [`LiveRun`] is the
//! headless driver, whose clock is the wall clock.

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::fleet::{Fleet, Report, ReportKind};
use super::interrupt::Interrupts;
use super::live_help::HelpIn;
use super::sim::SimRun;
use super::sink::EventSink;
use crate::agents::{AgentOutput, FromAgent, LogLevel, ToAgent};
use crate::core::bus::AgentError;
use crate::core::output::intern;
use crate::core::{AgentId, Coordinator, Endpoint, Message, MsgKind, Output, Payload, StopSignal, TaskId};
use crate::scenario::Scenario;

/// Reports already waiting that one step of the live loop handles after the one it woke for.
const BURST: usize = 256;

/// Invalid lines after which an agent is rejected as faulty.
pub const GARBAGE_LIMIT: u32 = 10;

/// Timing of a live run.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveOptions {
    /// How long an agent has to say hello.
    pub hello_timeout: Duration,
    /// How long an agent has to exit after `shutdown` before it is killed.
    pub grace: Duration,
}

impl Default for LiveOptions {
    fn default() -> LiveOptions {
        LiveOptions { hello_timeout: Duration::from_secs(10), grace: Duration::from_secs(2) }
    }
}

/// Whether a scenario needs the live driver (it has agents that are not simulated).
pub fn needs_live(scenario: &Scenario) -> bool {
    scenario.agents.iter().any(|a| !a.kind.is_sim())
}

/// The real agents of a run, and how what they do reaches the coordinator. Must be used inside a
/// Tokio runtime with IO and time enabled.
pub struct LiveAgents {
    fleet: Fleet,
    reports: mpsc::Receiver<Report>,
    /// Task id by name, for results that name tasks.
    task_ids: HashMap<String, u32>,
    /// The `msg_id` of each outstanding task request, by `(task, attempt)`: replies correlate to it.
    requests: HashMap<(u32, u32), u64>,
    /// Who each attempt sent to a real agent went to, by `(task, attempt)`: a result is only taken
    /// from that agent (a late one included); from anyone else it is a protocol error.
    given: HashMap<(u32, u32), AgentId>,
    /// The `msg_id` of each `cfp` sent, by `(agent, auction)`: bids correlate to it.
    cfps: HashMap<(u32, u32), u64>,
    /// `(agent, decision task)` → the `msg_id` of the ballot sent to it, to correlate the vote.
    ballots: HashMap<(u32, u32), u64>,
    /// The texts of help exchanges with real agents.
    help: super::live_help::HelpDesk,
    garbage: Vec<u32>,
    opts: LiveOptions,
}

impl LiveAgents {
    pub fn new(scenario: &Scenario, opts: LiveOptions) -> LiveAgents {
        LiveAgents::with_remote(scenario, opts, None)
    }

    /// [`LiveAgents::new`], with `remote` starting the agents of kind `nats` (a served run).
    pub fn with_remote(
        scenario: &Scenario,
        opts: LiveOptions,
        remote: Option<std::sync::Arc<dyn super::RemoteAgents>>,
    ) -> LiveAgents {
        let task_ids = scenario.tasks.iter().enumerate().map(|(i, t)| (t.id.to_string(), i as u32)).collect();
        let (fleet, reports) = Fleet::new(scenario, opts.hello_timeout, remote);
        let garbage = vec![0; scenario.agents.len()];
        LiveAgents {
            fleet,
            reports,
            task_ids,
            requests: HashMap::new(),
            given: HashMap::new(),
            cfps: HashMap::new(),
            help: Default::default(),
            ballots: HashMap::new(),
            garbage,
            opts,
        }
    }

    /// Process ids of the agent processes running now.
    pub fn pids(&self) -> Vec<u32> {
        self.fleet.pids()
    }

    /// Starts every process agent and waits for their handshakes, then starts the run at time 0
    /// with the refused agents down from the start.
    pub async fn start(&mut self, sim: &mut SimRun, sink: &mut impl EventSink) -> io::Result<()> {
        let refused = self.fleet.launch_all(&mut self.reports).await;
        sim.start_with(sink, |c| c.start_refusing(0, &refused))?;
        for report in self.fleet.take_early() {
            self.on_report(sim, 0, report, sink)?;
        }
        self.sync(sim);
        Ok(())
    }

    /// A resumed run (see [`SimRun::resumed`]): starts every process agent again and waits for
    /// their handshakes, then, at `now`, fails what was in flight as `coordinator_restarted` and
    /// rejects the agents that did not come back ([`Coordinator::restart_in_flight`]).
    pub async fn restart(&mut self, sim: &mut SimRun, now: u64, sink: &mut impl EventSink) -> io::Result<()> {
        let refused = self.fleet.launch_all(&mut self.reports).await;
        sim.mark(sink, |c, _| c.restart_in_flight(now, &refused))?;
        for report in self.fleet.take_early() {
            self.on_report(sim, now, report, sink)?;
        }
        self.sync(sim);
        Ok(())
    }

    /// Something an agent did, if it is already there.
    pub fn try_recv(&mut self) -> Option<Report> {
        self.reports.try_recv().ok()
    }

    /// The next thing an agent did (cancel-safe: use it in `select!`).
    pub async fn recv(&mut self) -> Option<Report> {
        self.reports.recv().await
    }

    /// Stops every agent process: `shutdown`, then a kill after the grace period.
    pub async fn stop(&mut self) {
        self.fleet.shutdown_all(self.opts.grace).await;
    }

    /// Lets go of the remote agents without telling them (another coordinator leads them now).
    pub fn forsake_remote(&mut self) {
        self.fleet.forsake_remote();
    }

    /// Brings the processes in line with the coordinator: an agent it counts down is killed, one
    /// it counts up again (revived) is started, one the simulation silenced (a `hang` fault) is
    /// muted. A remote agent that is down has its queued tasks withdrawn; one that went silent
    /// (lost) is still listened to, as its bridge may come back. Call after every input to the
    /// coordinator.
    pub fn sync(&mut self, sim: &SimRun) {
        let coord = sim.coordinator();
        let agents: Vec<AgentId> = self.fleet.process_agents().collect();
        for agent in agents {
            let record = &coord.state().agents()[agent.ix()];
            let up = record.alive;
            if self.fleet.is_remote(agent) {
                if up {
                    self.fleet.unfence(agent);
                } else {
                    self.fleet.fence(agent);
                    if record.lost && !coord.is_finished() {
                        continue;
                    }
                }
            }
            if !up || coord.is_finished() {
                if up {
                    continue; // the run is over: `stop` shuts it down gracefully
                }
                self.fleet.kill(agent);
            } else if !self.fleet.is_running(agent) {
                self.garbage[agent.ix()] = 0;
                self.fleet.revive(agent);
            }
            self.fleet.set_muted(agent, sim.is_silenced(agent));
        }
    }

    /// Writes the coordinator's messages for process agents to them.
    pub fn deliver(&mut self, sim: &mut SimRun) {
        // A planner may have added tasks, whose results name them.
        let tasks = &sim.coordinator().scenario().tasks;
        for (i, t) in tasks.iter().enumerate().skip(self.task_ids.len()) {
            self.task_ids.insert(t.id.to_string(), i as u32);
        }
        for msg in sim.take_external() {
            let Endpoint::Agent(agent) = msg.to else { continue };
            let coord = sim.coordinator();
            let line = match msg.payload {
                Payload::Task { task, attempt, deadline_ms, .. } => {
                    self.requests.insert((task.0, attempt), msg.id);
                    self.given.insert((task.0, attempt), agent);
                    let spec = &coord.scenario().tasks[task.ix()];
                    ToAgent::Task {
                        id: spec.id.to_string(),
                        attempt,
                        capability: spec.capability.to_string(),
                        description: spec.description.clone(),
                        inputs: coord.inputs(task),
                        deadline_ms: deadline_ms.saturating_sub(coord.state().now_ms()),
                        max_subtasks: spec.extras().plan.as_ref().map(|p| p.max_subtasks),
                    }
                }
                Payload::Cancel { task, attempt } => {
                    self.requests.remove(&(task.0, attempt));
                    ToAgent::Cancel { task: coord.task_name(task).to_string(), attempt }
                }
                Payload::Cfp { auction, .. } => {
                    self.cfps.insert((agent.0, auction), msg.id);
                    super::live_bids::cfp_line(coord, msg.payload).expect("a cfp")
                }
                Payload::Ballot { task, .. } => {
                    self.ballots.insert((agent.0, task.0), msg.id);
                    super::live_votes::ballot_line(coord, msg.payload).expect("a ballot of a decision")
                }
                _ => match self.help.line(coord, &msg) {
                    Some(line) => line,
                    None => continue,
                },
            };
            self.fleet.send(agent, line);
        }
    }

    /// Handles what an agent did, at time `now`.
    pub fn on_report(
        &mut self,
        sim: &mut SimRun,
        now: u64,
        report: Report,
        sink: &mut impl EventSink,
    ) -> io::Result<()> {
        let Report { agent, generation, event } = report;
        if !self.fleet.is_current(agent, generation) {
            return Ok(()); // from a process already given up on
        }
        let mut cx = Cx { sim, now, sink };
        match event {
            ReportKind::Ready => Ok(()),
            ReportKind::Refused(message) => {
                self.fleet.forget(agent);
                cx.feed(|c, now| c.reject_agent(now, agent, &message))
            }
            ReportKind::Output(output) => self.on_output(&mut cx, agent, output),
        }?;
        self.sync(sim);
        Ok(())
    }

    fn on_output(&mut self, cx: &mut Cx<impl EventSink>, agent: AgentId, output: AgentOutput) -> io::Result<()> {
        let name = cx.sim.coordinator().agent_name(agent).to_string();
        match output {
            AgentOutput::Stderr(line) => {
                tracing::info!("{name} (stderr): {line}");
                Ok(())
            }
            AgentOutput::Exited { status, signal } => {
                self.fleet.forget(agent);
                cx.feed(|c, now| c.agent_exited(now, agent, status, signal))
            }
            AgentOutput::Garbage { line, error } => self.garbage(cx, agent, &error.to_string(), &line),
            AgentOutput::Message(_) if self.fleet.is_muted(agent) => Ok(()),
            AgentOutput::Message(msg) => self.on_message(cx, agent, &name, msg),
        }
    }

    fn garbage(&mut self, cx: &mut Cx<impl EventSink>, agent: AgentId, message: &str, line: &str) -> io::Result<()> {
        self.garbage[agent.ix()] += 1;
        let count = self.garbage[agent.ix()];
        cx.feed(|c, now| c.protocol_error(now, agent, message, line))?;
        if count >= GARBAGE_LIMIT {
            let why = format!("faulty: {count} invalid lines");
            self.fleet.kill(agent);
            cx.feed(|c, now| c.reject_agent(now, agent, &why))?;
        }
        Ok(())
    }

    fn on_message(
        &mut self,
        cx: &mut Cx<impl EventSink>,
        agent: AgentId,
        name: &str,
        msg: FromAgent,
    ) -> io::Result<()> {
        let cfps = &mut self.cfps;
        match super::live_bids::reply(cx.sim.coordinator(), agent, &msg, |id| cfps.remove(&(agent.0, id))) {
            Some(Ok(reply)) => return cx.feed(|c, now| c.handle_message(now, reply)),
            Some(Err(why)) => return self.garbage(cx, agent, &why, &format!("{{\"type\":\"{}\",…}}", msg.type_name())),
            None => {}
        }
        match self.help.incoming(cx.sim.coordinator(), agent, &msg) {
            Some(HelpIn::Reply(reply)) => return cx.feed(|c, now| c.handle_message(now, reply)),
            Some(HelpIn::Ask { id, capability, question }) => {
                let mut exchange = None;
                cx.feed(|c, now| exchange = c.request_help(now, agent, &capability))?;
                // Recorded before the coordinator's messages go out (`deliver`), which need the texts.
                if let Some(x) = exchange {
                    self.help.asked(x, id, question);
                }
                return Ok(());
            }
            Some(HelpIn::Bad(why)) => {
                return self.garbage(cx, agent, &why, &format!("{{\"type\":\"{}\",…}}", msg.type_name()));
            }
            None => {}
        }
        let ballots = &mut self.ballots;
        match super::live_votes::reply(cx.sim.coordinator(), agent, &msg, |t| ballots.remove(&(agent.0, t.0))) {
            Some(Ok(vote)) => return cx.feed(|c, now| c.handle_message(now, vote)),
            Some(Err(why)) => return self.garbage(cx, agent, &why, "{\"type\":\"vote\",…}"),
            None => {}
        }
        let (task, attempt, error, output) = match msg {
            FromAgent::Result { task, attempt, output } => (task, attempt, None, Some(output)),
            FromAgent::Error { task, attempt, message, retryable } => {
                (task, attempt, Some(AgentError::Reported { message: intern(&message), retryable }), None)
            }
            FromAgent::Heartbeat {} | FromAgent::Progress { .. } => {
                let running = cx.sim.coordinator().state().agents()[agent.ix()].running.len() as u32;
                let hb = Message::from_agent(agent, MsgKind::Heartbeat, None, Payload::Heartbeat { running });
                return cx.feed(|c, now| c.handle_message(now, hb));
            }
            FromAgent::Log { level, message } => {
                match level {
                    LogLevel::Error => tracing::error!("{name}: {message}"),
                    LogLevel::Warn => tracing::warn!("{name}: {message}"),
                    LogLevel::Info => tracing::info!("{name}: {message}"),
                    LogLevel::Debug => tracing::debug!("{name}: {message}"),
                }
                return Ok(());
            }
            FromAgent::Hello(_) => return self.garbage(cx, agent, "a second hello", "{\"type\":\"hello\",…}"),
            other => {
                // Bids, votes and help went to their handlers above: nothing else is left.
                tracing::debug!("{name}: `{}` message ignored", other.type_name());
                return Ok(());
            }
        };
        let Some(&t) = self.task_ids.get(&task) else {
            let line = format!("{{\"type\":\"result\",\"task\":{task:?},\"attempt\":{attempt},…}}");
            return self.garbage(cx, agent, &format!("result for unknown task `{task}`"), &line);
        };
        if self.given.get(&(t, attempt)) != Some(&agent) {
            let kind = if error.is_some() { "error" } else { "result" };
            let line = format!("{{\"type\":\"{kind}\",\"task\":{task:?},\"attempt\":{attempt},…}}");
            let why = match self.given.get(&(t, attempt)) {
                Some(_) => format!("{kind} for task `{task}` attempt {attempt}, which was given to another agent"),
                None => format!("{kind} for task `{task}` attempt {attempt}, which was never given out"),
            };
            return self.garbage(cx, agent, &why, &line);
        }
        let correlation = self.requests.remove(&(t, attempt));
        let payload = Payload::Result { task: TaskId(t), attempt, error };
        let reply = Message::from_agent(agent, MsgKind::TaskResult, correlation, payload);
        let output = match output {
            Some(value) => Output::Json(value.to_string().into()),
            None => Output::Sim,
        };
        cx.feed(|c, now| c.handle_result(now, reply, output))?;
        self.fleet.recorded(agent, &task, attempt);
        Ok(())
    }
}

/// Where an input goes: the simulation (advanced to `now` first) and the sink.
struct Cx<'a, S> {
    sim: &'a mut SimRun,
    now: u64,
    sink: &'a mut S,
}

impl<S: EventSink> Cx<'_, S> {
    fn feed(&mut self, f: impl FnOnce(&mut Coordinator, u64)) -> io::Result<()> {
        self.sim.feed(self.now, self.sink, f)
    }
}

/// A headless run with real agents on the wall clock.
pub struct LiveRun {
    sim: SimRun,
    agents: LiveAgents,
    start: Instant,
    /// A run resumed from its journal goes on from this time (ms), not from 0.
    resumed_at: Option<u64>,
}

impl LiveRun {
    /// Must be called inside a Tokio runtime with IO and time enabled.
    pub fn new(scenario: Scenario, opts: LiveOptions) -> LiveRun {
        let agents = LiveAgents::new(&scenario, opts);
        LiveRun { sim: SimRun::new(scenario), agents, start: Instant::now(), resumed_at: None }
    }

    /// A run brought back from its journal: `coord` is the journal folded, `now` the time of its
    /// last event. Its clock goes on from there (must be called inside a Tokio runtime).
    pub fn resumed(coord: Coordinator, now: u64, opts: LiveOptions) -> LiveRun {
        let agents = LiveAgents::new(coord.scenario(), opts);
        LiveRun { sim: SimRun::resumed(coord, now), agents, start: Instant::now(), resumed_at: Some(now) }
    }

    pub fn coordinator(&self) -> &Coordinator {
        self.sim.coordinator()
    }

    /// Gives the run a horizon (see [`super::horizon`]): wall-clock milliseconds and events.
    pub fn set_horizon(&mut self, horizon: super::Horizon) {
        self.sim.set_horizon(horizon);
    }

    /// Where the run stopped at its horizon, if it did.
    pub fn horizon_stop(&self) -> Option<super::HorizonStop> {
        self.sim.horizon_stop()
    }

    /// Milliseconds since the run started (a resumed run's clock goes on from its journal).
    pub fn now_ms(&self) -> u64 {
        let since = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.resumed_at.unwrap_or(0).saturating_add(since)
    }

    pub fn pids(&self) -> Vec<u32> {
        self.agents.pids()
    }

    /// True once the run finished and its last events went to the sink.
    pub fn is_done(&self) -> bool {
        self.sim.is_done()
    }

    /// Starts the agents and the run (time 0 is when the last agent said hello or was refused).
    pub async fn start(&mut self, sink: &mut impl EventSink) -> io::Result<()> {
        match self.resumed_at {
            None => {
                self.agents.start(&mut self.sim, sink).await?;
                self.start = Instant::now();
            }
            Some(at) => {
                self.agents.restart(&mut self.sim, at, sink).await?;
                self.start = Instant::now();
            }
        }
        Ok(())
    }

    /// Runs to the end (see [`LiveRun::start`]), then stops every agent. Sink errors stop the run.
    pub async fn run(&mut self, sink: &mut impl EventSink) -> io::Result<()> {
        self.run_interruptible(sink, None).await.map(|_| ())
    }

    /// [`LiveRun::run`], which also stops at one of `signals`: the run records the signal
    /// (`run_interrupted`) and dispatches nothing more, and every agent is stopped. Returns the
    /// signal that stopped it, if one did.
    pub async fn run_interruptible(
        &mut self,
        sink: &mut impl EventSink,
        mut signals: Option<&mut Interrupts>,
    ) -> io::Result<Option<StopSignal>> {
        let result = async {
            tokio::select! {
                started = self.start(sink) => started?,
                signal = next_signal(&mut signals) => return Ok(Some(signal)),
            }
            sink.step_done()?;
            while !self.sim.is_done() {
                tokio::select! {
                    turned = self.turn(sink) => turned?,
                    signal = next_signal(&mut signals) => return Ok(Some(signal)),
                }
                sink.step_done()?;
            }
            Ok(None)
        }
        .await;
        let result = match result {
            // Recorded at the time of the last thing handled: nothing due after it is dispatched.
            // A run stopped during the handshakes never started, and has nothing to record.
            Ok(Some(signal)) => self.sim.interrupt(signal, sink).map(|()| Some(signal)),
            other => other,
        };
        // Flushed before the agents are stopped: their shutdown may take the grace period.
        let flushed = sink.step_done();
        self.stop().await;
        let finished = sink.finish();
        let signal = result?;
        flushed.and(finished).map(|()| signal)
    }

    /// Stops every agent process: `shutdown`, then a kill after the grace period.
    pub async fn stop(&mut self) {
        self.agents.stop().await;
    }

    /// Applies the console's `:` commands at the run's current instant (a fork's `--then`),
    /// before it starts.
    pub fn apply(&mut self, commands: &[String], who: &str, sink: &mut impl EventSink) -> Result<(), String> {
        crate::durable::fork::apply(&mut self.sim, commands, who, sink)
    }

    /// One turn of the loop: deliver, then wait for the next timer or report and handle it.
    pub async fn turn(&mut self, sink: &mut impl EventSink) -> io::Result<()> {
        self.agents.deliver(&mut self.sim);
        if self.sim.coordinator().is_finished() {
            return self.sim.step(sink); // stops the run, without waiting for the watchdog
        }
        let now = self.now_ms();
        match self.sim.next_instant() {
            Some(next) if next <= now => return self.advance(now, sink),
            None => {
                // Nothing scheduled: let the simulation decide whether the run is stalled.
                self.sim.step(sink)?;
                self.agents.sync(&self.sim);
                if self.sim.is_done() {
                    return Ok(());
                }
            }
            Some(_) => {}
        }
        // An instant too far to represent is never: the run waits for its agents instead.
        let offset = self.resumed_at.unwrap_or(0);
        let wake = self
            .sim
            .next_instant()
            .and_then(|t| self.start.checked_add(Duration::from_millis(t.saturating_sub(offset))));
        tokio::select! {
            _ = sleep_until(wake) => {
                let now = self.now_ms();
                self.advance(now, sink)
            }
            report = self.agents.recv() => match report {
                Some(report) => {
                    let now = self.now_ms();
                    self.agents.on_report(&mut self.sim, now, report, sink)?;
                    // What else the agents said meanwhile is part of this step: one journal
                    // write for a burst, not one per line.
                    for _ in 0..BURST {
                        let Some(report) = self.agents.try_recv() else { break };
                        let now = self.now_ms();
                        self.agents.on_report(&mut self.sim, now, report, sink)?;
                    }
                    Ok(())
                }
                None => Ok(()),
            },
        }
    }

    fn advance(&mut self, now: u64, sink: &mut impl EventSink) -> io::Result<()> {
        self.sim.advance_to(now, sink)?;
        self.agents.sync(&self.sim);
        Ok(())
    }
}

/// The next stopping signal; never, without `signals`.
async fn next_signal(signals: &mut Option<&mut Interrupts>) -> StopSignal {
    match signals {
        Some(signals) => signals.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
