//! The coordinator's end of its remote agents (kind `nats`): one task per agent that does for a
//! bridge on another machine what `runtime::fleet` does for a local process — the driver's
//! messages go out as NATS messages, the bridge's come back as [`Report`]s.
//!
//! A remote agent is ready at once: its bridge may start before the run or after it (it reads
//! its command from the run's first event), so nothing waits for it. Until its bridge says hello
//! it is silent, and the coordinator's heartbeat timeout decides about it like about any agent.
//! A hello is checked as a local agent's is ([`validate_hello`]); a refused one rejects the agent.
//! Every hello accepted is a sign of life, so a bridge that comes back after its agent was found
//! lost is seen back at once.
//!
//! With `work_queue` delivery ([`Delivery::WorkQueue`]) a task is a JetStream message on
//! `switchyard.RUN.work.ID`, which its bridge acknowledges when the coordinator says the
//! attempt's outcome is recorded ([`Recorded`]): a task sent while the bridge is away waits for
//! it, and one a dead bridge held is delivered again to the next. When the attempt ends otherwise
//! (cancelled, or the agent is down: [`Ctl::Fence`]) its message is deleted from the stream, so it
//! never runs after the coordinator gave up on it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use async_nats::{HeaderMap, Subscriber};
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};

use super::subjects::RunName;
use super::wire::{Exit, RUN_HEADER, Recorded, SESSION_HEADER, STREAM_HEADER, Welcome};
use crate::agents::process::truncate_chars;
use crate::agents::{AgentOutput, FromAgent, ProtocolError, ToAgent, decode_from_agent, encode_line, validate_hello};
use crate::runtime::{Ctl, RemoteAgents, RemoteJob, Report, ReportKind};
use crate::scenario::{AgentKind, Delivery, Scenario};

/// How long a bridge may hold a task without a word before JetStream delivers it again (a bridge
/// says "still working" every third of it).
pub const ACK_WAIT: Duration = Duration::from_secs(6);

/// How much of a misrouted message a protocol error keeps, in characters.
const KEEP_CHARS: usize = crate::agents::process::GARBAGE_KEEP_CHARS;

/// Starts the tasks of a served run's remote agents.
pub struct Link {
    client: async_nats::Client,
    js: jetstream::Context,
    run: RunName,
    /// The epoch this coordinator leads with (its bridges' hello answers say it).
    epoch: u64,
}

impl Link {
    pub fn new(client: async_nats::Client, js: jetstream::Context, run: RunName, epoch: u64) -> Link {
        Link { client, js, run, epoch }
    }
}

impl RemoteAgents for Link {
    fn start(&self, job: RemoteJob) {
        let agent = AgentLink {
            client: self.client.clone(),
            js: self.js.clone(),
            run: self.run.clone(),
            epoch: self.epoch,
            session: None,
            queued: HashMap::new(),
            acks: FuturesUnordered::new(),
            work: None,
        };
        tokio::spawn(agent.run(job));
    }
}

/// Makes the run's work-queue stream, new, with one consumer per remote agent whose tasks go
/// through it (none is made when no agent's do). Tasks left by an earlier run of the same name
/// are deleted with their stream.
pub async fn prepare_work_queue(js: &jetstream::Context, run: &RunName, scenario: &Scenario) -> Result<(), String> {
    let queued: Vec<&str> = scenario
        .agents
        .iter()
        .filter(|a| matches!(&a.kind, AgentKind::Nats(n) if n.delivery == Delivery::WorkQueue))
        .map(|a| a.id.as_str())
        .collect();
    if queued.is_empty() {
        return Ok(());
    }
    let name = run.work_stream();
    let fail = |e: &dyn std::fmt::Display| format!("cannot make the work queue {name}: {e}");
    if js.get_stream(&name).await.is_ok() {
        js.delete_stream(&name).await.map_err(|e| fail(&e))?;
    }
    let config = stream::Config {
        name: name.clone(),
        subjects: vec![run.work_subject("*")],
        retention: stream::RetentionPolicy::WorkQueue,
        description: Some(format!("the tasks of switchyard run {run}'s remote agents")),
        ..Default::default()
    };
    let stream = js.create_stream(config).await.map_err(|e| fail(&e))?;
    for id in queued {
        let config = consumer::pull::Config {
            durable_name: Some(id.to_string()),
            filter_subject: run.work_subject(id),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: ACK_WAIT,
            ..Default::default()
        };
        stream.create_consumer(config).await.map_err(|e| fail(&e))?;
    }
    Ok(())
}

/// Where a queued task's message stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Queued {
    /// Sent; the server has not said where it stored it yet.
    Sending,
    /// Stored as this stream sequence.
    Stored(u64),
    /// Given up on before the server answered: deleted once it does.
    Withdrawn,
}

type Key = (String, u32);
type AckFuture = BoxFuture<'static, (Key, Result<jetstream::publish::PublishAck, String>)>;

/// The task of one remote agent.
struct AgentLink {
    client: async_nats::Client,
    js: jetstream::Context,
    run: RunName,
    epoch: u64,
    /// The bridge whose hello was accepted last.
    session: Option<String>,
    /// Tasks on the work queue, by `(task, attempt)`, until recorded or withdrawn.
    queued: HashMap<Key, Queued>,
    acks: FuturesUnordered<AckFuture>,
    /// The work-queue stream, with `work_queue` delivery.
    work: Option<stream::Stream>,
}

/// The agent, as the scenario has it.
struct Who {
    id: String,
    capabilities: Vec<String>,
    delivery: Delivery,
}

/// What one agent task answers to.
struct Subscriptions {
    hello: Subscriber,
    out: Subscriber,
}

impl AgentLink {
    async fn run(mut self, job: RemoteJob) {
        let RemoteJob { agent, generation, id, capabilities, delivery, tx, mut ctl, mut kill } = job;
        let who = Who { id, capabilities, delivery };
        let report = |event| Report { agent, generation, event };
        let mut subs = match self.subscribe(&who.id, who.delivery).await {
            Ok(subs) => subs,
            Err(e) => {
                let _ = tx.send(report(ReportKind::Refused(e))).await;
                return;
            }
        };
        if tx.send(report(ReportKind::Ready)).await.is_err() {
            return;
        }
        loop {
            let event = tokio::select! {
                // Given up on: what it still has queued (a `shutdown`, for an agent taken down) goes
                // out first; a coordinator that stepped down has nothing queued.
                _ = &mut kill => {
                    while let Ok(Ctl::Send(msg)) = ctl.try_recv() {
                        self.send_to_agent(&who.id, &msg).await;
                    }
                    let _ = self.client.flush().await;
                    return;
                }
                c = ctl.recv() => match c {
                    None => return,
                    Some(Ctl::Shutdown(_, done)) => {
                        self.send_to_agent(&who.id, &ToAgent::Shutdown {}).await;
                        let _ = self.client.flush().await;
                        let _ = done.send(());
                        return;
                    }
                    Some(c) => {
                        self.control(&who.id, who.delivery, c).await;
                        continue;
                    }
                },
                Some((key, ack)) = self.acks.next(), if !self.acks.is_empty() => {
                    self.stored(key, ack).await;
                    continue;
                }
                Some(msg) = subs.hello.next() => self.hello(&who, msg).await,
                Some(msg) = subs.out.next() => self.line(msg),
            };
            if let Some(event) = event
                && tx.send(report(event)).await.is_err()
            {
                return;
            }
        }
    }

    async fn subscribe(&mut self, id: &str, delivery: Delivery) -> Result<Subscriptions, String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot listen for remote agent `{id}`: {e}");
        if delivery == Delivery::WorkQueue {
            self.work = Some(self.js.get_stream(self.run.work_stream()).await.map_err(|e| fail(&e))?);
        }
        let hello = self.client.subscribe(self.run.agent_subject(id, "hello")).await.map_err(|e| fail(&e))?;
        let out = self.client.subscribe(self.run.agent_subject(id, "out")).await.map_err(|e| fail(&e))?;
        Ok(Subscriptions { hello, out })
    }

    /// A message for the agent, on its `in` subject (lost if no bridge listens).
    async fn send_to_agent(&mut self, id: &str, msg: &ToAgent) {
        let line = encode_line(msg);
        if let Err(e) = self.client.publish(self.run.agent_subject(id, "in"), line.into_bytes().into()).await {
            tracing::warn!("agent {id}: cannot send a `{}` to its bridge: {e}", msg.type_name());
        }
    }

    async fn control(&mut self, id: &str, delivery: Delivery, ctl: Ctl) {
        match ctl {
            Ctl::Send(msg @ ToAgent::Task { .. }) if delivery == Delivery::WorkQueue => {
                let ToAgent::Task { id: task, attempt, .. } = &msg else { unreachable!() };
                let key = (task.clone(), *attempt);
                let line = encode_line(&msg);
                match self.js.publish(self.run.work_subject(id), line.into_bytes().into()).await {
                    Ok(ack) => {
                        self.queued.insert(key.clone(), Queued::Sending);
                        self.acks.push(async move { (key, ack.await.map_err(|e| e.to_string())) }.boxed());
                    }
                    // The attempt times out or is failed with the agent: nothing else to do.
                    Err(e) => tracing::warn!("agent {id}: cannot queue task `{task}`: {e}"),
                }
            }
            Ctl::Send(msg) => {
                if let ToAgent::Cancel { task, attempt } = &msg {
                    self.withdraw((task.clone(), *attempt)).await;
                }
                self.send_to_agent(id, &msg).await;
            }
            Ctl::Recorded { task, attempt } => {
                if self.queued.remove(&(task.clone(), attempt)).is_some() {
                    let recorded = serde_json::to_vec(&Recorded { task, attempt }).expect("serializes");
                    if let Err(e) = self.client.publish(self.run.agent_subject(id, "ack"), recorded.into()).await {
                        tracing::warn!("agent {id}: cannot tell its bridge a result was recorded: {e}");
                    }
                }
            }
            Ctl::Fence => {
                let keys: Vec<Key> = self.queued.keys().cloned().collect();
                for key in keys {
                    self.withdraw(key).await;
                }
            }
            Ctl::Shutdown(..) => unreachable!("handled by the loop"),
        }
    }

    /// The attempt ended without its result: its task must not run (again) from the queue.
    async fn withdraw(&mut self, key: Key) {
        match self.queued.get(&key) {
            Some(Queued::Sending) => {
                self.queued.insert(key, Queued::Withdrawn);
            }
            Some(Queued::Stored(seq)) => {
                let seq = *seq;
                self.queued.remove(&key);
                self.delete(seq).await;
            }
            Some(Queued::Withdrawn) | None => {}
        }
    }

    async fn delete(&mut self, seq: u64) {
        if let Some(work) = &self.work
            && let Err(e) = work.delete_message(seq).await
        {
            // Acknowledged meanwhile (it is gone), or the server is away (it comes back to the
            // bridge, whose result is then late): either way nothing runs twice unnoticed.
            tracing::debug!("cannot withdraw work-queue message {seq}: {e}");
        }
    }

    /// The server stored a queued task (or failed to).
    async fn stored(&mut self, key: Key, ack: Result<jetstream::publish::PublishAck, String>) {
        match (self.queued.get(&key).copied(), ack) {
            (Some(Queued::Sending), Ok(ack)) => {
                self.queued.insert(key, Queued::Stored(ack.sequence));
            }
            (Some(Queued::Withdrawn), Ok(ack)) => {
                self.queued.remove(&key);
                self.delete(ack.sequence).await;
            }
            (_, Err(e)) => {
                tracing::warn!("task `{}` attempt {} was not queued: {e}", key.0, key.1);
                self.queued.remove(&key);
            }
            _ => {}
        }
    }

    /// A bridge's hello, answered: accepted (a sign of life), or refused (the agent is rejected).
    async fn hello(&mut self, job: &Who, msg: async_nats::Message) -> Option<ReportKind> {
        let text = String::from_utf8_lossy(&msg.payload).into_owned();
        let outcome = match misrouted(&self.run, &msg) {
            Some(why) => Err((why.clone(), Some(garbage(&text, ProtocolError::Misrouted(why))))),
            None => match decode_from_agent(&text) {
                Ok(FromAgent::Hello(hello)) => {
                    validate_hello(&hello, &job.id, &job.capabilities).map_err(|why| (why.clone(), None))
                }
                Ok(other) => {
                    let why = format!("a `{}` where the bridge's hello was expected", other.type_name());
                    Err((why.clone(), Some(garbage(&text, ProtocolError::Misrouted(why)))))
                }
                Err(e) => Err((e.to_string(), Some(garbage(&text, e)))),
            },
        };
        let (welcome, report) = match outcome {
            Ok(()) => {
                let new = header(&msg, SESSION_HEADER).map(str::to_string);
                if let Some(old) = self.session.take().filter(|old| Some(old) != new.as_ref()) {
                    // Two bridges for one agent: the one replaced is told to stop, and only it.
                    self.replaced(&job.id, old).await;
                }
                self.session = new;
                let delivery = job.delivery.name().into();
                let welcome = Welcome { accepted: true, message: String::new(), delivery, epoch: self.epoch };
                (welcome, Some(ReportKind::Output(AgentOutput::Message(FromAgent::Heartbeat {}))))
            }
            // Not a hello at all: a protocol error, and the agent stays as it is.
            Err((why, Some(garbage))) => (refusal(why), Some(garbage)),
            Err((why, None)) => (refusal(why.clone()), Some(ReportKind::Refused(why))),
        };
        if let Some(reply) = msg.reply {
            let answer = serde_json::to_vec(&welcome).expect("serializes");
            if let Err(e) = self.client.publish(reply, answer.into()).await {
                tracing::warn!("agent {}: cannot answer its bridge's hello: {e}", job.id);
            }
        }
        report
    }

    /// Tells the bridge of session `old` (and no other) that it is replaced: `shutdown`.
    async fn replaced(&mut self, id: &str, old: String) {
        let mut headers = HeaderMap::new();
        headers.insert(SESSION_HEADER, old.as_str());
        let line = encode_line(&ToAgent::Shutdown {});
        let subject = self.run.agent_subject(id, "in");
        if let Err(e) = self.client.publish_with_headers(subject, headers, line.into_bytes().into()).await {
            tracing::warn!("agent {id}: cannot stop the bridge it replaced: {e}");
        }
    }

    /// A line from a bridge: the agent's stdout, its stderr, or its exit (`None`: nothing to
    /// report).
    fn line(&self, msg: async_nats::Message) -> Option<ReportKind> {
        let text = String::from_utf8_lossy(&msg.payload).into_owned();
        if let Some(why) = misrouted(&self.run, &msg) {
            return Some(garbage(&text, ProtocolError::Misrouted(why)));
        }
        let session = header(&msg, SESSION_HEADER);
        match (&self.session, session) {
            (Some(ours), Some(theirs)) if ours == theirs => {}
            // A bridge of the run before this coordinator took it over: it says hello again as
            // soon as it hears the new leader, and its lines meanwhile are not this run's yet.
            (None, Some(_)) => return None,
            // A bridge replaced by a newer one of the same agent, told to stop: its last words.
            (Some(_), Some(_)) => return None,
            _ => {
                let why = format!("a message without its bridge's session ({SESSION_HEADER} header)");
                return Some(garbage(&text, ProtocolError::Misrouted(why)));
            }
        }
        let output = match header(&msg, STREAM_HEADER) {
            Some("stderr") => AgentOutput::Stderr(text),
            Some("exit") => match serde_json::from_str::<Exit>(&text) {
                Ok(exit) => AgentOutput::Exited { status: exit.status, signal: exit.signal },
                Err(e) => return Some(garbage(&text, ProtocolError::Misrouted(format!("a bad exit report: {e}")))),
            },
            _ => match decode_from_agent(text.trim_end()) {
                Ok(msg) => AgentOutput::Message(msg),
                Err(e) => return Some(garbage(&text, e)),
            },
        };
        Some(ReportKind::Output(output))
    }
}

fn refusal(message: String) -> Welcome {
    Welcome { accepted: false, message, delivery: String::new(), epoch: 0 }
}

fn header<'a>(msg: &'a async_nats::Message, name: &str) -> Option<&'a str> {
    msg.headers.as_ref().and_then(|h: &HeaderMap| h.get(name)).map(|v| v.as_str())
}

/// Why a message on this run's agent subjects is not meant for it, if it is not.
fn misrouted(run: &RunName, msg: &async_nats::Message) -> Option<String> {
    match header(msg, RUN_HEADER) {
        Some(r) if r == run.as_str() => None,
        Some(r) => Some(format!("a message for run `{}`, not this run", truncate_chars(r, 64))),
        None => Some(format!("a message without its run ({RUN_HEADER} header)")),
    }
}

fn garbage(text: &str, error: ProtocolError) -> ReportKind {
    ReportKind::Output(AgentOutput::Garbage { line: truncate_chars(text.trim_end(), KEEP_CHARS), error })
}

/// Shared so the fleet can hold it.
pub fn shared(link: Link) -> Arc<dyn RemoteAgents> {
    Arc::new(link)
}
