//! `switchyard run FILE --headless --serve URL [--run NAME] [--paused]`: a run whose journal goes to
//! the run's JetStream stream as it is written and which takes operator commands as NATS requests.
//!
//! [`connect`] does everything that can fail before the run starts — reach the server, make the
//! stream (`switchyard_RUN`, capturing `switchyard.RUN.events`), subscribe to `switchyard.RUN.cmd`
//! — so an unreachable server leaves nothing written. [`Connection::serve`] then runs the
//! coordinator as the console does (`host`: paced by the wall clock at the run's speed,
//! waiting for an operator when nothing else can happen) and after every step writes the journal
//! out and stores the step's lines on the stream before it goes on: every event is on the stream
//! before the run moves past it, and before the process exits. Commands are answered between
//! steps (see [`super::commands`] and [`super::reply`]).
//!
//! A publish that is not acknowledged is retried (see [`super::publish`]); when that fails too,
//! or the journal cannot be written, the run stops there: no further step, the journal written
//! out up to that point, the agents stopped, and the caller reports it (exit 3).

use std::fs::File;
use std::io;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use futures_util::StreamExt;

use crate::core::StopSignal;
use crate::journal::JournalWriter;
use crate::runtime::interrupt::Interrupts;
use crate::runtime::{EventSink, Horizon, Report, SimRun};
use crate::scenario::Scenario;

use super::access::Access;
use super::commands::{OPERATOR_HEADER, operator_name};
use super::host::Host;
use super::publish::{PUBLISH_PATIENCE, Publisher};
use super::reply::Reply;
use super::server;
use super::subjects::RunName;

/// How often the clock moves while the run advances, and how often an idle loop looks around.
const RUNNING_TICK: Duration = Duration::from_millis(50);
const IDLE_TICK: Duration = Duration::from_millis(250);

/// Reports already waiting that one step handles after the one it woke for.
const BURST: usize = 1024;

/// A flush longer than this was the server being away, not the run's time.
const STALLED: Duration = Duration::from_millis(250);

/// How long the server has to acknowledge a line (or answer a JetStream request).
const ACK_WITHIN: Duration = Duration::from_secs(2);

/// How long a finished run waits to say goodbye to the server (unsubscribe, flush).
const GOODBYE_WITHIN: Duration = Duration::from_secs(2);

/// What `--serve` was asked for.
pub struct ServeOptions {
    /// The server (`nats://HOST:PORT`) and how to log in.
    pub access: Access,
    pub run: RunName,
    /// Start paused (`--paused`): the run waits for a `:resume`.
    pub paused: bool,
    /// Virtual milliseconds per wall millisecond.
    pub speed: f64,
    /// Who the journal names for `--paused`.
    pub who: String,
    /// Delete the events of an earlier run of the same name (`--replace`).
    pub replace: bool,
}

/// A server reached, the run's stream ready and its command subject subscribed.
pub struct Connection {
    rt: tokio::runtime::Runtime,
    client: async_nats::Client,
    js: jetstream::Context,
    /// Taken by [`Connection::serve`]; dropped within the runtime (a subscription's drop needs it).
    commands: Option<async_nats::Subscriber>,
    opts: ServeOptions,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(commands) = self.commands.take() {
            let _in_runtime = self.rt.enter();
            drop(commands);
        }
    }
}

/// Why a served run stopped before its end.
#[derive(Debug)]
pub enum Stop {
    /// The journal could not be written.
    Journal(io::Error),
    /// A line could not be stored on the stream (the message says which and why).
    Publish(String),
    /// Something else went wrong around the run (signals, the subscription).
    Other(String),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Journal(e)
    }
}

/// How a served run ended.
pub struct Served {
    pub run: SimRun,
    /// A signal stopped it (its journal and stream end with `run_interrupted`).
    pub interrupted: Option<StopSignal>,
    /// It stopped early: see [`Stop`].
    pub stopped: Option<Stop>,
    /// Lines on the stream.
    pub published: u64,
}

/// Reaches the server and gets the run's stream and command subject ready. Errors name the
/// server (without its credentials) and are bad input: exit 2, nothing written.
pub fn connect(opts: ServeOptions, scenario: &Scenario) -> Result<Connection, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (client, js, commands) = rt.block_on(prepare(&opts, scenario))?;
    Ok(Connection { rt, client, js, commands: Some(commands), opts })
}

async fn prepare(
    opts: &ServeOptions,
    scenario: &Scenario,
) -> Result<(async_nats::Client, jetstream::Context, async_nats::Subscriber), String> {
    let run = &opts.run;
    let server::Connected { client, mut denials } =
        server::connect_as(&opts.access, &format!("switchyard run {run}")).await?;
    let shown = opts.access.shown();
    let denied = |denial: String| {
        format!(
            "not allowed to serve run `{run}` on {shown} as {} (permission denied by the server: {denial})",
            opts.access.source()
        )
    };
    denials.unless_denied(make_stream(client, opts, scenario)).await.map_err(denied)?
}

async fn make_stream(
    client: async_nats::Client,
    opts: &ServeOptions,
    scenario: &Scenario,
) -> Result<(async_nats::Client, jetstream::Context, async_nats::Subscriber), String> {
    let run = &opts.run;
    let shown = opts.access.shown();
    let scrub = |e: &dyn std::fmt::Display| opts.access.scrub(&e.to_string());
    // An acknowledgement that does not come within this is asked for again (see `publish`).
    let js = jetstream::ContextBuilder::new().timeout(ACK_WITHIN).build(client.clone());
    let config = stream::Config {
        name: run.stream(),
        subjects: vec![run.events_subject()],
        description: Some(format!("the journal of switchyard run {run}, one event per message")),
        ..Default::default()
    };
    let no_stream = |e: &dyn std::fmt::Display| {
        format!(
            "cannot make the stream {} on {shown}: {} (does the server run JetStream? `nats-server -js`)",
            run.stream(),
            scrub(e)
        )
    };
    let mut stream = js.get_or_create_stream(config.clone()).await.map_err(|e| no_stream(&e))?;
    let state = stream.info().await.map_err(|e| no_stream(&e))?.state.clone();
    if state.last_sequence > 0 {
        if state.messages > 0 && !opts.replace {
            return Err(format!(
                "run `{run}` already has {} events on {shown} (stream {}): name this run with --run NAME, \
                 or pass --replace to delete them",
                state.messages,
                run.stream()
            ));
        }
        // A fresh stream: its sequence starts again at 1, and no old message id is remembered.
        js.delete_stream(run.stream()).await.map_err(|e| no_stream(&e))?;
        js.create_stream(config).await.map_err(|e| no_stream(&e))?;
    }
    super::link::prepare_work_queue(&js, run, scenario).await.map_err(|e| scrub(&e))?;
    let commands = client
        .subscribe(run.cmd_subject())
        .await
        .map_err(|e| format!("cannot subscribe to {} on {shown}: {}", run.cmd_subject(), scrub(&e)))?;
    client.flush().await.map_err(|e| format!("cannot reach the NATS server at {shown}: {}", scrub(&e)))?;
    Ok((client, js, commands))
}

impl Connection {
    /// Runs `scenario` served: to its end, a signal, or a failure to write the journal or the
    /// stream. The journal is written out and the agents are stopped whatever happened.
    pub fn serve(self, scenario: Scenario, horizon: Horizon, journal: Option<JournalWriter<File>>) -> Served {
        let (_never, stop) = tokio::sync::oneshot::channel();
        self.serve_until(scenario, horizon, journal, stop)
    }

    /// [`Connection::serve`], stopping early when `stop` fires (or its sender goes): the console
    /// on a served run quit. The run stops there as a console run whose console quits does: the
    /// journal written out, unfinished, the agents stopped.
    pub fn serve_until(
        mut self,
        scenario: Scenario,
        horizon: Horizon,
        journal: Option<JournalWriter<File>>,
        mut stop: tokio::sync::oneshot::Receiver<()>,
    ) -> Served {
        let Some(mut commands) = self.commands.take() else { unreachable!("a connection serves once") };
        let opts = &self.opts;
        let link = super::link::Link::new(self.client.clone(), self.js.clone(), opts.run.clone());
        let mut host = Host::new(scenario, horizon, journal, opts.speed, Some(super::link::shared(link)));
        let mut publisher = Publisher::new(self.js.clone(), opts.run.events_subject(), 0);
        let client = &self.client;
        let result = self.rt.block_on(async {
            tokio::select! {
                result = serve_loop(&mut host, &mut publisher, client, &mut commands, opts) => result,
                _ = &mut stop => Ok(None),
            }
        });
        let finished = host.sink.finish();
        self.rt.block_on(async {
            host.stop_agents().await;
            // The server may be gone (that may be why the run stopped): do not wait long for it.
            let goodbye = async {
                let _ = commands.unsubscribe().await;
                let _ = client.flush().await;
            };
            let _ = tokio::time::timeout(GOODBYE_WITHIN, goodbye).await;
            drop(commands);
        });
        let (interrupted, mut stopped) = match result {
            Ok(signal) => (signal, None),
            Err(stop) => (None, Some(stop)),
        };
        if let (None, Err(e)) = (&stopped, finished) {
            stopped = Some(Stop::Journal(e));
        }
        Served { run: host.run, interrupted, stopped, published: publisher.stored() }
    }
}

/// What woke the loop.
enum Wake {
    Agent(Option<Report>),
    Command(Option<async_nats::Message>),
    Tick,
    Signal(StopSignal),
}

/// The next thing a real agent did; never, when the run has none.
async fn next_report(live: &mut Option<crate::runtime::LiveAgents>) -> Option<Report> {
    match live {
        Some(live) => live.recv().await,
        None => std::future::pending().await,
    }
}

async fn serve_loop(
    host: &mut Host,
    publisher: &mut Publisher,
    client: &async_nats::Client,
    commands: &mut async_nats::Subscriber,
    opts: &ServeOptions,
) -> Result<Option<StopSignal>, Stop> {
    let mut signals = Interrupts::new().map_err(|e| Stop::Other(format!("cannot handle signals: {e}")))?;
    // A signal while real agents shake hands stops at once (the run has not started: nothing to record).
    tokio::select! {
        started = host.start() => started?,
        signal = signals.recv() => return Ok(Some(signal)),
    }
    if opts.paused {
        host.pause_at_start(&opts.who)?;
    }
    flush(host, publisher).await?;
    let mut last = Instant::now();
    let mut away_since: Option<Instant> = None;
    while !host.is_over() {
        let tick = if host.is_advancing() { RUNNING_TICK } else { IDLE_TICK };
        let wake = tokio::select! {
            report = next_report(&mut host.live) => Wake::Agent(report),
            msg = commands.next() => Wake::Command(msg),
            _ = tokio::time::sleep(tick) => Wake::Tick,
            signal = signals.recv() => Wake::Signal(signal),
        };
        match wake {
            Wake::Agent(Some(report)) => {
                host.on_report(report)?;
                // What else the agents said meanwhile is part of this step: one flush for a
                // burst, not a round trip to the server for every line.
                for _ in 0..BURST {
                    let Some(report) = host.live.as_mut().and_then(|live| live.try_recv()) else { break };
                    host.on_report(report)?;
                }
            }
            Wake::Agent(None) | Wake::Tick => {}
            Wake::Command(Some(msg)) => answer(host, publisher, client, msg).await?,
            Wake::Command(None) => return Err(Stop::Other("the subscription to operator commands ended".into())),
            Wake::Signal(signal) => {
                host.run.interrupt(signal, &mut host.sink)?;
                flush(host, publisher).await?;
                return Ok(Some(signal));
            }
        }
        let now = Instant::now();
        // While the server is away the run waits: its clock stands still, so nothing falls due
        // (no dispatch, no timeout) and no agent is found silent for the outage.
        if client.connection_state() == async_nats::connection::State::Connected {
            away_since = None;
            host.tick(now.duration_since(last).as_secs_f64() * 1000.0)?;
        } else {
            let since = *away_since.get_or_insert(now);
            if now.duration_since(since) > PUBLISH_PATIENCE {
                let secs = PUBLISH_PATIENCE.as_secs();
                return Err(Stop::Publish(format!("the server was unreachable for {secs} s: nothing more was stored")));
            }
        }
        last = now;
        flush(host, publisher).await?;
        // Time spent waiting for the server to store the lines (it was away) is not the run's.
        let flushed = Instant::now();
        if flushed.duration_since(now) > STALLED {
            last = flushed;
        }
    }
    Ok(None)
}

/// Ends a step: the journal's lines written out, then stored on the stream. Returns them.
async fn flush(host: &mut Host, publisher: &mut Publisher) -> Result<Vec<u8>, Stop> {
    host.sink.0.step_done()?;
    let lines = host.sink.1.take_lines()?;
    if !lines.is_empty() {
        publisher.publish(&lines).await.map_err(Stop::Publish)?;
    }
    Ok(lines)
}

/// Carries out an operator request and answers it once its lines are on the stream.
async fn answer(
    host: &mut Host,
    publisher: &mut Publisher,
    client: &async_nats::Client,
    msg: async_nats::Message,
) -> Result<(), Stop> {
    // What happened before the command goes first.
    flush(host, publisher).await?;
    let who = operator_name(msg.headers.as_ref().and_then(|h| h.get(OPERATOR_HEADER)).map(|v| v.as_str()));
    let (accepted, message) = host.command(&msg.payload, &who)?;
    let lines = flush(host, publisher).await?;
    let lines = String::from_utf8_lossy(&lines).lines().map(str::to_string).collect();
    let reply = Reply { accepted, message, lines };
    if let Some(to) = msg.reply {
        // A requester that went away is no reason to stop the run.
        if let Err(e) = client.publish(to, reply.encode().into()).await {
            tracing::warn!("cannot answer an operator command: {e}");
        }
    }
    Ok(())
}
