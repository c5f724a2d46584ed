//! `switchyard agent --nats URL --run NAME --id ID [-- COMMAND …]`: a local agent process,
//! speaking the JSON-lines protocol on its stdin and stdout as under a local coordinator, bridged
//! to a served run's coordinator over NATS (see [`super::wire`] for what crosses).
//!
//! The bridge starts its agent (the command given, or the scenario's for this agent, read from
//! the run's first event: it waits for the run to exist), waits for the agent's hello, and offers
//! it to the run as a request until the coordinator answers: so it may start before the run. Then
//! it forwards lines both ways; tasks come from the run's work queue (acknowledged when the
//! coordinator says their outcome is recorded, and kept alive meanwhile) or, with `direct`
//! delivery, as plain messages. It ends with its agent: when the coordinator says `shutdown`, the
//! agent exits, or a signal comes. The agent dies with the bridge, however the bridge ends (its
//! process group is killed, `PR_SET_PDEATHSIG`, and its stdin closes).

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer};
use async_nats::{HeaderMap, Subscriber};
use futures_util::StreamExt;

use super::Failure;
use super::access::Access;
use super::server;
use super::subjects::RunName;
use super::wire::{Exit, RUN_HEADER, Recorded, SESSION_HEADER, STREAM_HEADER, Welcome};
use crate::agents::{AgentCommand, AgentOutput, FromAgent, ProcessAgent, ProcessOptions, ToAgent, encode_line};
use crate::runtime::interrupt::Interrupts;
use crate::scenario::AgentKind;

/// How long the agent has to say hello once started.
const HELLO_WITHIN: Duration = Duration::from_secs(10);
/// How often a bridge asks again for a run that is not there yet.
const RETRY_EVERY: Duration = Duration::from_millis(250);
/// How long the agent has to exit after `shutdown` before it is killed.
const GRACE: Duration = Duration::from_secs(2);

/// What `switchyard agent` was asked for.
pub struct BridgeOptions {
    pub access: Access,
    pub run: RunName,
    pub id: String,
    /// The agent's command; empty: the scenario's.
    pub command: Vec<String>,
}

/// How a bridge ended.
#[derive(Debug, PartialEq)]
pub enum BridgeEnd {
    /// The coordinator told the agent to stop (the run is over, or gave the agent up).
    Shutdown,
    /// The agent's process ended by itself.
    AgentExited(crate::agents::ExitInfo),
    /// The coordinator refused the agent's hello: why.
    Refused(String),
    /// A signal stopped the bridge (and its agent).
    Signal(crate::core::StopSignal),
}

/// Runs the bridge to its end. Errors: the server, the run or the agent cannot be reached or
/// started (exit 2 for the caller).
pub fn run(opts: BridgeOptions) -> Result<BridgeEnd, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Unreachable(format!("cannot start the runtime: {e}")))?;
    rt.block_on(bridge(opts))
}

async fn bridge(opts: BridgeOptions) -> Result<BridgeEnd, Failure> {
    crate::scenario::agent_kind::check_subject_token(&opts.id).map_err(Failure::Unreachable)?;
    let mut signals = Interrupts::new().map_err(|e| Failure::Unreachable(format!("cannot handle signals: {e}")))?;
    let name = format!("switchyard agent {} ({})", opts.id, opts.run);
    let connected = server::connect_as(&opts.access, &name).await.map_err(Failure::Unreachable)?;
    let client = connected.client;
    let js = jetstream::new(client.clone());
    let mut waiting = Waiting::new(&opts);
    let command = tokio::select! {
        command = agent_command(&js, &opts, &mut waiting) => command?,
        signal = signals.recv() => return Ok(BridgeEnd::Signal(signal)),
    };
    let program = command.command.first().cloned().unwrap_or_default();
    let mut agent = ProcessAgent::spawn(&command, &ProcessOptions::default())
        .map_err(|e| Failure::Unreachable(format!("cannot start agent `{}` (`{program}`): {e}", opts.id)))?;
    let hello = tokio::select! {
        hello = first_hello(&mut agent, &opts.id) => hello?,
        signal = signals.recv() => return Ok(BridgeEnd::Signal(signal)),
    };
    let mut link = Bridged::new(client, &opts);
    let subs = link.subscribe().await?;
    let welcome = tokio::select! {
        welcome = link.offer(&hello, &mut waiting) => welcome?,
        signal = signals.recv() => {
            agent.shutdown(GRACE).await;
            return Ok(BridgeEnd::Signal(signal));
        }
    };
    if !welcome.accepted {
        agent.shutdown(GRACE).await;
        return Ok(BridgeEnd::Refused(welcome.message));
    }
    eprintln!("switchyard agent {}: joined run `{}` (tasks: {})", opts.id, opts.run, welcome.delivery);
    let work = match welcome.delivery.as_str() {
        "work_queue" => Some(work_queue(&js, &opts).await?),
        _ => None,
    };
    link.epoch = welcome.epoch;
    link.forward(agent, subs, work, &hello, &mut signals).await
}

/// Tells once that the bridge waits for the run, and how often it asks again.
struct Waiting {
    said: bool,
    what: String,
}

impl Waiting {
    fn new(opts: &BridgeOptions) -> Waiting {
        Waiting { said: false, what: format!("run `{}` on {}", opts.run, opts.access.shown()) }
    }

    async fn again(&mut self, id: &str) {
        if !self.said {
            eprintln!("switchyard agent {id}: waiting for {}", self.what);
            self.said = true;
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

/// The command given, or the scenario's for this agent (read from the run's first event).
async fn agent_command(
    js: &jetstream::Context,
    opts: &BridgeOptions,
    waiting: &mut Waiting,
) -> Result<AgentCommand, Failure> {
    if !opts.command.is_empty() {
        return Ok(AgentCommand::new(opts.command.iter().cloned()));
    }
    let (run, id) = (&opts.run, &opts.id);
    let first = loop {
        if let Ok(stream) = js.get_stream(run.stream()).await
            && let Ok(first) = stream.get_raw_message(1).await
        {
            break first;
        }
        waiting.again(id).await;
    };
    let bad = |why: String| Failure::Unreachable(format!("run `{run}`: {why}"));
    let header: serde_json::Value =
        serde_json::from_slice(&first.payload).map_err(|e| bad(format!("its first event is not JSON: {e}")))?;
    let scenario = crate::journal::header::decode(&header).map_err(|e| bad(format!("its first event: {e}")))?.scenario;
    let Some(spec) = scenario.agents.iter().find(|a| a.id == *id) else {
        return Err(bad(format!("its scenario has no agent `{id}`")));
    };
    match &spec.kind {
        AgentKind::Nats(n) if n.command.is_empty() => Err(bad(format!(
            "agent `{id}` has no command in the scenario: give one after `--` (switchyard agent … -- COMMAND)"
        ))),
        AgentKind::Nats(n) => {
            let mut command = AgentCommand::new(n.command.iter().cloned());
            command.env = n.env.clone();
            command.cwd = n.cwd.as_ref().map(Into::into);
            Ok(command)
        }
        other => {
            Err(bad(format!("agent `{id}` is of kind \"{}\", not \"nats\": the run starts it itself", other.name())))
        }
    }
}

/// The agent's hello, as its first line; its stderr meanwhile goes to ours.
async fn first_hello(agent: &mut ProcessAgent, id: &str) -> Result<String, Failure> {
    let failed = |why: String| Failure::Unreachable(format!("agent `{id}`: {why}"));
    let deadline = tokio::time::Instant::now() + HELLO_WITHIN;
    loop {
        let item = tokio::time::timeout_at(deadline, agent.recv())
            .await
            .map_err(|_| failed(format!("no hello within {} s", HELLO_WITHIN.as_secs())))?;
        match item {
            Some(AgentOutput::Message(hello @ FromAgent::Hello(_))) => return Ok(encode_line(&hello)),
            Some(AgentOutput::Stderr(line)) => eprintln!("{id} (stderr): {line}"),
            Some(AgentOutput::Message(other)) => {
                return Err(failed(format!("its first line is a `{}`, not its hello", other.type_name())));
            }
            Some(AgentOutput::Garbage { error, .. }) => return Err(failed(format!("its first line: {error}"))),
            Some(AgentOutput::Exited { status, signal }) => {
                let exit = crate::agents::ExitInfo { status, signal };
                return Err(failed(format!("it {exit} before its hello")));
            }
            None => return Err(failed("it ended before its hello".into())),
        }
    }
}

/// This agent's consumer on the run's work queue.
async fn work_queue(js: &jetstream::Context, opts: &BridgeOptions) -> Result<consumer::pull::Stream, Failure> {
    let fail = |e: &dyn std::fmt::Display| {
        Failure::Unreachable(format!("cannot take tasks from {}: {e}", opts.run.work_stream()))
    };
    let stream = js.get_stream(opts.run.work_stream()).await.map_err(|e| fail(&e))?;
    let consumer: consumer::PullConsumer = stream.get_consumer(&opts.id).await.map_err(|e| fail(&e))?;
    consumer.messages().await.map_err(|e| fail(&e))
}

/// What the bridge listens to besides the agent.
struct Subscriptions {
    inbox: Subscriber,
    acks: Subscriber,
    /// The leader's beats: a new epoch is a coordinator that took the run over.
    leader: Subscriber,
}

/// A bridge on its way: its connection, session and the tasks its agent holds.
struct Bridged {
    client: async_nats::Client,
    run: RunName,
    id: String,
    session: String,
    /// Work-queue messages whose task the agent has, by `(task, attempt)`.
    holding: HashMap<(String, u32), jetstream::Message>,
    /// The epoch of the coordinator that accepted the hello (0: not heard yet).
    epoch: u64,
}

impl Bridged {
    fn new(client: async_nats::Client, opts: &BridgeOptions) -> Bridged {
        let session = super::wire::new_session();
        Bridged { client, run: opts.run.clone(), id: opts.id.clone(), session, holding: HashMap::new(), epoch: 0 }
    }

    async fn subscribe(&self) -> Result<Subscriptions, Failure> {
        let fail = |e: &dyn std::fmt::Display| Failure::Unreachable(format!("cannot listen for the run: {e}"));
        let inbox = self.client.subscribe(self.run.agent_subject(&self.id, "in")).await.map_err(|e| fail(&e))?;
        let acks = self.client.subscribe(self.run.agent_subject(&self.id, "ack")).await.map_err(|e| fail(&e))?;
        let leader = self.client.subscribe(self.run.leader_subject()).await.map_err(|e| fail(&e))?;
        Ok(Subscriptions { inbox, acks, leader })
    }

    fn headers(&self, stream: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RUN_HEADER, self.run.as_str());
        headers.insert(SESSION_HEADER, self.session.as_str());
        if let Some(stream) = stream {
            headers.insert(STREAM_HEADER, stream);
        }
        headers
    }

    /// Offers the agent's hello until the run's coordinator answers.
    async fn offer(&self, hello: &str, waiting: &mut Waiting) -> Result<Welcome, Failure> {
        let subject = self.run.agent_subject(&self.id, "hello");
        loop {
            let asked =
                self.client.request_with_headers(subject.clone(), self.headers(None), hello.to_string().into()).await;
            match asked {
                Ok(answer) => {
                    return serde_json::from_slice(&answer.payload).map_err(|e| {
                        Failure::Unreachable(format!("run `{}` answered the hello with something else: {e}", self.run))
                    });
                }
                Err(e) if e.kind() == async_nats::RequestErrorKind::NoResponders => waiting.again(&self.id).await,
                Err(e) if e.kind() == async_nats::RequestErrorKind::TimedOut => waiting.again(&self.id).await,
                Err(e) => {
                    return Err(Failure::Unreachable(format!("cannot offer the agent to run `{}`: {e}", self.run)));
                }
            }
        }
    }

    async fn publish(&self, stream: Option<&str>, payload: Vec<u8>) {
        let subject = self.run.agent_subject(&self.id, "out");
        if let Err(e) = self.client.publish_with_headers(subject, self.headers(stream), payload.into()).await {
            eprintln!("switchyard agent {}: cannot send to the run: {e}", self.id);
        }
    }

    /// Forwards lines both ways until the agent, the coordinator or a signal ends it.
    async fn forward(
        mut self,
        mut agent: ProcessAgent,
        mut subs: Subscriptions,
        mut work: Option<consumer::pull::Stream>,
        hello: &str,
        signals: &mut Interrupts,
    ) -> Result<BridgeEnd, Failure> {
        let mut progress = tokio::time::interval(super::link::ACK_WAIT / 3);
        loop {
            tokio::select! {
                item = agent.recv() => match item {
                    Some(AgentOutput::Message(msg)) => self.publish(None, encode_line(&msg).into_bytes()).await,
                    Some(AgentOutput::Garbage { line, .. }) => self.publish(None, line.into_bytes()).await,
                    Some(AgentOutput::Stderr(line)) => self.publish(Some("stderr"), line.into_bytes()).await,
                    Some(AgentOutput::Exited { status, signal }) => {
                        let exit = serde_json::to_vec(&Exit { status, signal }).expect("serializes");
                        self.publish(Some("exit"), exit).await;
                        let _ = self.client.flush().await;
                        return Ok(BridgeEnd::AgentExited(crate::agents::ExitInfo { status, signal }));
                    }
                    None => return Ok(BridgeEnd::AgentExited(Default::default())),
                },
                Some(msg) = subs.inbox.next() => {
                    // A line for another start of a bridge of this agent (one the run replaced).
                    let to = msg.headers.as_ref().and_then(|h| h.get(SESSION_HEADER)).map(|v| v.as_str());
                    if to.is_some_and(|to| to != self.session) {
                        continue;
                    }
                    if self.write_to_agent(&agent, &msg.payload) {
                        agent.shutdown(GRACE).await;
                        return Ok(BridgeEnd::Shutdown);
                    }
                }
                Some(msg) = subs.acks.next() => self.recorded(&msg.payload).await,
                Some(beat) = subs.leader.next() => {
                    if let Some(welcome) = self.new_leader(&beat.payload, hello).await? && !welcome.accepted {
                        agent.shutdown(GRACE).await;
                        return Ok(BridgeEnd::Refused(welcome.message));
                    }
                }
                Some(msg) = next_task(&mut work) => self.task(&agent, msg).await,
                _ = progress.tick() => self.still_working().await,
                signal = signals.recv() => {
                    agent.shutdown(GRACE).await;
                    return Ok(BridgeEnd::Signal(signal));
                }
            }
        }
    }

    /// A leader's beat: a new epoch is a coordinator that took the run over, which has not heard
    /// this bridge's hello — it is offered again, and the tasks held for the old one are let go
    /// (their attempts are failed and sent again). The answer, when the hello was offered.
    async fn new_leader(&mut self, beat: &[u8], hello: &str) -> Result<Option<Welcome>, Failure> {
        let Ok(beat) = serde_json::from_slice::<super::leader::Beat>(beat) else { return Ok(None) };
        if beat.epoch <= self.epoch {
            return Ok(None);
        }
        self.holding.clear();
        let welcome = self.offer(hello, &mut Waiting { said: true, what: String::new() }).await?;
        self.epoch = welcome.epoch.max(beat.epoch);
        eprintln!(
            "switchyard agent {}: joined run `{}` again (its new coordinator, epoch {})",
            self.id, self.run, beat.epoch
        );
        Ok(Some(welcome))
    }

    /// A line from the coordinator, written to the agent. True when it is `shutdown`.
    fn write_to_agent(&self, agent: &ProcessAgent, payload: &[u8]) -> bool {
        let line = String::from_utf8_lossy(payload);
        match crate::agents::decode_to_agent(line.trim_end()) {
            Ok(ToAgent::Shutdown {}) => true,
            Ok(msg) => {
                if let Err(e) = agent.send(&msg) {
                    eprintln!("switchyard agent {}: {e}", self.id);
                }
                false
            }
            Err(e) => {
                eprintln!("switchyard agent {}: a line from the run that is not a message: {e}", self.id);
                false
            }
        }
    }

    /// A task from the work queue, unless the agent has it already (delivered again).
    async fn task(&mut self, agent: &ProcessAgent, msg: Result<jetstream::Message, impl std::fmt::Display>) {
        let msg = match msg {
            Ok(msg) => msg,
            Err(e) => {
                eprintln!("switchyard agent {}: the work queue: {e}", self.id);
                return;
            }
        };
        let line = String::from_utf8_lossy(&msg.payload).into_owned();
        let task = match crate::agents::decode_to_agent(line.trim_end()) {
            Ok(task @ ToAgent::Task { .. }) => task,
            other => {
                let why = other.map_or_else(|e| e.to_string(), |m| format!("a `{}`", m.type_name()));
                eprintln!("switchyard agent {}: dropped a work-queue message that is not a task: {why}", self.id);
                let _ = msg.ack_with(AckKind::Term).await;
                return;
            }
        };
        let ToAgent::Task { id, attempt, .. } = &task else { unreachable!() };
        let key = (id.clone(), *attempt);
        if self.holding.contains_key(&key) {
            return;
        }
        if let Err(e) = agent.send(&task) {
            eprintln!("switchyard agent {}: {e}", self.id);
            return;
        }
        self.holding.insert(key, msg);
    }

    /// The coordinator recorded a task's outcome: its message goes from the queue.
    async fn recorded(&mut self, payload: &[u8]) {
        let Ok(Recorded { task, attempt }) = serde_json::from_slice(payload) else { return };
        if let Some(msg) = self.holding.remove(&(task, attempt))
            && let Err(e) = msg.ack().await
        {
            eprintln!("switchyard agent {}: cannot acknowledge a task: {e}", self.id);
        }
    }

    /// Tells the queue the tasks the agent holds are still being worked on.
    async fn still_working(&self) {
        for msg in self.holding.values() {
            let _ = msg.ack_with(AckKind::Progress).await;
        }
    }
}

async fn next_task(
    work: &mut Option<consumer::pull::Stream>,
) -> Option<Result<jetstream::Message, consumer::pull::MessagesError>> {
    match work {
        Some(work) => work.next().await,
        None => std::future::pending().await,
    }
}
