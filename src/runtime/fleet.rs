//! The process agents of a live run, each owned by a Tokio task of its own.
//!
//! A task starts its process, checks the hello against the scenario, then writes what the driver
//! sends and forwards everything the process does as a [`Report`] on one channel shared by all
//! agents (bounded: a flooding agent waits on its own pipe). Each start of an agent has a new
//! *generation*, so reports from a process the driver has already given up on are recognised and
//! dropped. Killing an agent is dropping its handle: the task notices, drops its
//! [`ProcessAgent`], which kills and reaps the process. [`Fleet::kill`] and dropping the [`Fleet`]
//! also kill the process group at once, without waiting for a task to run (the run may be ending,
//! its runtime about to go), so no agent outlives its run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::llm_job::LlmJob;
use crate::agents::{AgentCommand, AgentOutput, ProcessAgent, ProcessOptions, ToAgent};
use crate::core::AgentId;
use crate::scenario::{AgentKind, Delivery, LlmSpec, Scenario};

/// Something an agent did, from the task that runs it.
#[derive(Debug)]
pub struct Report {
    pub agent: AgentId,
    pub generation: u32,
    pub event: ReportKind,
}

#[derive(Debug)]
pub enum ReportKind {
    /// The hello was right: the agent takes work.
    Ready,
    /// The agent could not be started, or its handshake failed: why.
    Refused(String),
    Output(AgentOutput),
}

/// Messages a driver can queue for one agent before it blocks it.
const QUEUE: usize = 1024;

/// What the driver tells an agent's task.
pub enum Ctl {
    Send(ToAgent),
    /// Stop the agent (`shutdown`, a kill after the grace period); answered when it is done.
    Shutdown(Duration, oneshot::Sender<()>),
    /// The coordinator recorded the outcome of this attempt (a remote agent's work-queue message
    /// may now be acknowledged).
    Recorded {
        task: String,
        attempt: u32,
    },
    /// The agent is down: no task sent to it may run any more (a remote agent's queued ones are
    /// withdrawn).
    Fence,
}

/// Starts the task of an agent that lives elsewhere (kind `nats`, see `crate::remote::link`).
pub trait RemoteAgents: Send + Sync {
    fn start(&self, job: RemoteJob);
}

/// What the task of a remote agent needs: who it is, where its reports go, what controls it.
pub struct RemoteJob {
    pub agent: AgentId,
    pub generation: u32,
    pub id: String,
    pub capabilities: Vec<String>,
    pub delivery: Delivery,
    pub tx: mpsc::Sender<Report>,
    pub ctl: mpsc::Receiver<Ctl>,
    /// Fires (or its sender goes) when the driver gives the agent up.
    pub kill: oneshot::Receiver<()>,
}

/// A running agent task. Dropping it kills the agent.
struct Handle {
    ctl: mpsc::Sender<Ctl>,
    pid: Arc<AtomicU32>,
    /// Dropped with the handle: the task stops and its process is killed.
    _kill: oneshot::Sender<()>,
}

struct Slot {
    /// How to start it; `None` for agents that are not processes.
    command: Option<AgentCommand>,
    /// How to reach it, for LLM agents.
    llm: Option<LlmSpec>,
    /// How its tasks go, for remote (NATS) agents.
    remote: Option<Delivery>,
    /// Its queued tasks were withdrawn since it was last up (remote agents).
    fenced: bool,
    id: String,
    capabilities: Vec<String>,
    handle: Option<Handle>,
    generation: u32,
    muted: bool,
}

pub struct Fleet {
    slots: Vec<Slot>,
    tx: mpsc::Sender<Report>,
    hello_timeout: Duration,
    /// How often an LLM agent (in-process, so alive by definition) heartbeats; 0: never.
    heartbeat: Duration,
    /// Reports that came in while waiting for the handshakes, other than their outcome.
    early: Vec<Report>,
    /// The pid (= process group) of every process started, 0 until known.
    started: Vec<Arc<AtomicU32>>,
    /// Starts remote agents' tasks; without it (a run not served over NATS) they are refused.
    remote: Option<Arc<dyn RemoteAgents>>,
}

impl Fleet {
    pub fn new(
        scenario: &Scenario,
        hello_timeout: Duration,
        remote: Option<Arc<dyn RemoteAgents>>,
    ) -> (Fleet, mpsc::Receiver<Report>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let slots = scenario
            .agents
            .iter()
            .map(|a| {
                let (command, llm, remote) = match &a.kind {
                    AgentKind::Sim => (None, None, None),
                    AgentKind::Process(p) => {
                        let mut cmd = AgentCommand::new(p.command.iter().cloned());
                        cmd.env = p.env.clone();
                        cmd.cwd = p.cwd.as_ref().map(Into::into);
                        (Some(cmd), None, None)
                    }
                    AgentKind::Llm(spec) => (None, Some(spec.clone()), None),
                    AgentKind::Nats(spec) => (None, None, Some(spec.delivery)),
                };
                Slot {
                    command,
                    llm,
                    remote,
                    fenced: false,
                    id: a.id.clone(),
                    capabilities: a.capabilities.clone(),
                    handle: None,
                    generation: 0,
                    muted: false,
                }
            })
            .collect();
        let heartbeat = Duration::from_millis(scenario.heartbeat_ms);
        (Fleet { slots, tx, hello_timeout, heartbeat, early: Vec::new(), started: Vec::new(), remote }, rx)
    }

    /// Starts every process agent and waits for each to be ready or refused. Returns the refused
    /// agents with the reason; other reports that arrived meanwhile are kept for [`Self::take_early`].
    pub async fn launch_all(&mut self, rx: &mut mpsc::Receiver<Report>) -> Vec<(AgentId, String)> {
        let mut refused = Vec::new();
        let mut waiting = 0;
        for i in 0..self.slots.len() {
            let agent = AgentId(i as u32);
            if self.start(agent) {
                waiting += 1;
            }
        }
        while waiting > 0 {
            let Some(report) = rx.recv().await else { break };
            match report.event {
                ReportKind::Ready => waiting -= 1,
                ReportKind::Refused(why) => {
                    waiting -= 1;
                    self.forget(report.agent);
                    refused.push((report.agent, why));
                }
                ReportKind::Output(_) => self.early.push(report),
            }
        }
        refused.sort_by_key(|(a, _)| *a);
        refused
    }

    /// Reports that arrived during [`Self::launch_all`], in order.
    pub fn take_early(&mut self) -> Vec<Report> {
        std::mem::take(&mut self.early)
    }

    /// Starts the agent's process or LLM client (a new generation); false for simulated agents.
    fn start(&mut self, agent: AgentId) -> bool {
        let slot = &mut self.slots[agent.ix()];
        let (ctl, ctl_rx) = mpsc::channel(QUEUE);
        let (kill, kill_rx) = oneshot::channel();
        let pid = Arc::new(AtomicU32::new(0));
        if let Some(delivery) = slot.remote {
            slot.generation += 1;
            slot.fenced = false;
            let generation = slot.generation;
            match &self.remote {
                Some(remote) => remote.start(RemoteJob {
                    agent,
                    generation,
                    id: slot.id.clone(),
                    capabilities: slot.capabilities.clone(),
                    delivery,
                    tx: self.tx.clone(),
                    ctl: ctl_rx,
                    kill: kill_rx,
                }),
                None => {
                    let why =
                        "an agent of kind \"nats\" is reached over NATS: serve the run (--serve nats://HOST:PORT)";
                    let report = Report { agent, generation, event: ReportKind::Refused(why.into()) };
                    let tx = self.tx.clone();
                    tokio::spawn(async move { tx.send(report).await });
                }
            }
            slot.handle = Some(Handle { ctl, pid, _kill: kill });
            return true;
        }
        if let Some(spec) = slot.llm.clone() {
            slot.generation += 1;
            slot.muted = false;
            let job =
                LlmJob { agent, generation: slot.generation, spec, heartbeat: self.heartbeat, tx: self.tx.clone() };
            tokio::spawn(job.run(ctl_rx, kill_rx));
            slot.handle = Some(Handle { ctl, pid, _kill: kill });
            return true;
        }
        let Some(command) = slot.command.clone() else { return false };
        self.started.push(pid.clone());
        slot.generation += 1;
        slot.muted = false;
        let job = Job {
            agent,
            generation: slot.generation,
            command,
            id: slot.id.clone(),
            capabilities: slot.capabilities.clone(),
            hello_timeout: self.hello_timeout,
            pid: pid.clone(),
            tx: self.tx.clone(),
        };
        tokio::spawn(job.run(ctl_rx, kill_rx));
        slot.handle = Some(Handle { ctl, pid, _kill: kill });
        true
    }

    /// Whether a report of this generation is about the agent's current process.
    pub fn is_current(&self, agent: AgentId, generation: u32) -> bool {
        self.slots[agent.ix()].generation == generation && self.slots[agent.ix()].handle.is_some()
    }

    /// Whether the agent lives elsewhere (kind `nats`): it is not started or killed here.
    pub fn is_remote(&self, agent: AgentId) -> bool {
        self.slots[agent.ix()].remote.is_some()
    }

    /// The coordinator recorded the attempt's outcome (remote agents acknowledge its task).
    pub fn recorded(&self, agent: AgentId, task: &str, attempt: u32) {
        let slot = &self.slots[agent.ix()];
        if let (Some(_), Some(handle)) = (slot.remote, &slot.handle) {
            let _ = handle.ctl.try_send(Ctl::Recorded { task: task.to_string(), attempt });
        }
    }

    /// The remote agent is down: its queued tasks are withdrawn, once until it is up again.
    pub fn fence(&mut self, agent: AgentId) {
        let slot = &mut self.slots[agent.ix()];
        if let (Some(_), Some(handle), false) = (slot.remote, &slot.handle, slot.fenced) {
            slot.fenced = handle.ctl.try_send(Ctl::Fence).is_ok();
        }
    }

    /// The remote agent is up: a later fall is fenced again.
    pub fn unfence(&mut self, agent: AgentId) {
        self.slots[agent.ix()].fenced = false;
    }

    pub fn is_muted(&self, agent: AgentId) -> bool {
        self.slots[agent.ix()].muted
    }

    /// Queues a message for the agent (dropped, with a warning, if it is not running or its queue
    /// is full: the attempt then times out).
    pub fn send(&self, agent: AgentId, msg: ToAgent) {
        let slot = &self.slots[agent.ix()];
        let Some(handle) = &slot.handle else { return };
        if handle.ctl.try_send(Ctl::Send(msg)).is_err() {
            tracing::warn!("agent {}: input queue full, message dropped", slot.id);
        }
    }

    /// Lets go of every remote agent without a word (its task ends; its bridge is not told).
    pub fn forsake_remote(&mut self) {
        for slot in self.slots.iter_mut().filter(|s| s.remote.is_some()) {
            slot.handle = None;
        }
    }

    /// Kills the agent's process, if it runs (a remote agent is told `shutdown`); its later
    /// reports are ignored.
    pub fn kill(&mut self, agent: AgentId) {
        let slot = &mut self.slots[agent.ix()];
        if let Some(handle) = slot.handle.take() {
            if slot.remote.is_some() {
                let _ = handle.ctl.try_send(Ctl::Send(ToAgent::Shutdown {}));
            }
            // Now, not when the agent's task next runs: the run may be about to end.
            crate::agents::reaper::kill_group(handle.pid.load(Ordering::Relaxed));
            tracing::info!("agent {}: process killed", slot.id);
            slot.generation += 1;
        }
    }

    /// Kills every process this fleet started that is still there, and what they left behind.
    pub fn kill_all(&mut self) {
        for slot in &mut self.slots {
            slot.handle = None;
        }
        let pids: Vec<u32> = self.started.iter().map(|p| p.load(Ordering::Relaxed)).collect();
        crate::agents::reaper::kill_groups(&pids);
    }

    /// The process is gone by itself (it exited, or its handshake failed).
    pub fn forget(&mut self, agent: AgentId) {
        let slot = &mut self.slots[agent.ix()];
        slot.handle = None;
        slot.generation += 1;
    }

    /// Starts the agent again (a new process) if it is a process agent that does not run.
    pub fn revive(&mut self, agent: AgentId) {
        if self.slots[agent.ix()].handle.is_none() {
            tracing::info!("agent {}: starting its process again", self.slots[agent.ix()].id);
            self.start(agent);
        }
    }

    /// While muted (a `hang` fault), the agent's messages are ignored (it will be lost and killed).
    pub fn set_muted(&mut self, agent: AgentId, muted: bool) {
        self.slots[agent.ix()].muted = muted;
    }

    /// Whether the agent runs as a process (started, not killed or gone).
    pub fn is_running(&self, agent: AgentId) -> bool {
        self.slots[agent.ix()].handle.is_some()
    }

    /// The agents that are not simulated (processes, LLM clients and remote agents).
    pub fn process_agents(&self) -> impl Iterator<Item = AgentId> + '_ {
        let real = |s: &Slot| s.command.is_some() || s.llm.is_some() || s.remote.is_some();
        self.slots.iter().enumerate().filter(move |(_, s)| real(s)).map(|(i, _)| AgentId(i as u32))
    }

    pub fn pids(&self) -> Vec<u32> {
        let running = self.slots.iter().filter_map(|s| s.handle.as_ref());
        running.map(|h| h.pid.load(Ordering::Relaxed)).filter(|&p| p != 0).collect()
    }

    /// Sends `shutdown` to every running agent and waits until each has exited or been killed
    /// after `grace`.
    pub async fn shutdown_all(&mut self, grace: Duration) {
        let mut done = Vec::new();
        for slot in &mut self.slots {
            if let Some(handle) = &slot.handle {
                let (tx, rx) = oneshot::channel();
                if handle.ctl.try_send(Ctl::Shutdown(grace, tx)).is_ok() {
                    done.push(rx);
                }
            }
        }
        // Each answers within the grace period plus the time to reap it.
        let all = async {
            for rx in done {
                let _ = rx.await;
            }
        };
        let _ = tokio::time::timeout(grace + Duration::from_secs(2), all).await;
        self.kill_all();
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        // Synchronous: also when the runtime that runs the agents' tasks is gone or never runs again.
        self.kill_all();
    }
}

/// What one agent task needs.
struct Job {
    agent: AgentId,
    generation: u32,
    command: AgentCommand,
    id: String,
    capabilities: Vec<String>,
    hello_timeout: Duration,
    pid: Arc<AtomicU32>,
    tx: mpsc::Sender<Report>,
}

impl Job {
    async fn run(self, mut ctl: mpsc::Receiver<Ctl>, mut kill: oneshot::Receiver<()>) {
        let report = |event| Report { agent: self.agent, generation: self.generation, event };
        let mut process = match ProcessAgent::spawn(&self.command, &ProcessOptions::default()) {
            Ok(p) => p,
            Err(e) => {
                let program = self.command.command.first().map_or("", String::as_str);
                let _ = self.tx.send(report(ReportKind::Refused(format!("cannot start `{program}`: {e}")))).await;
                return;
            }
        };
        self.pid.store(process.pid().unwrap_or(0), Ordering::Relaxed);
        let hello = tokio::select! {
            hello = process.handshake(self.hello_timeout, &self.id, &self.capabilities) => hello,
            _ = &mut kill => return,
        };
        if let Err(e) = hello {
            let _ = self.tx.send(report(ReportKind::Refused(e.to_string()))).await;
            return; // dropping the process kills it
        }
        if self.tx.send(report(ReportKind::Ready)).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                _ = &mut kill => return,
                c = ctl.recv() => match c {
                    Some(Ctl::Send(msg)) => {
                        if let Err(e) = process.send(&msg) {
                            tracing::warn!("agent {}: {e}", self.id);
                        }
                    }
                    Some(Ctl::Shutdown(grace, done)) => {
                        let stopped = process.shutdown(grace).await;
                        tracing::debug!("agent {}: stopped ({}, killed: {})", self.id, stopped.exit, stopped.killed);
                        let _ = done.send(());
                        return;
                    }
                    Some(Ctl::Recorded { .. } | Ctl::Fence) => {}
                    None => return,
                },
                item = process.recv() => match item {
                    Some(item) => {
                        let last = matches!(item, AgentOutput::Exited { .. });
                        if self.tx.send(report(ReportKind::Output(item))).await.is_err() || last {
                            return;
                        }
                    }
                    None => return,
                },
            }
        }
    }
}
