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
use crate::journal::file::Journal;
use crate::runtime::interrupt::Interrupts;
use crate::runtime::{EventSink, Horizon, Report, SimRun};
use crate::scenario::Scenario;

use super::access::Access;
use super::commands::{OPERATOR_HEADER, operator_name};
use super::host::Host;
use super::leader::{BEAT_EVERY, Beat, Lease, Lost};
use super::publish::{PUBLISH_PATIENCE, Publisher};
use super::reply::Reply;
use super::server;
use super::standby::StandbyEnd;
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
    /// Wait as a hot standby and take the run over when its leader stops (`--standby`).
    pub standby: bool,
}

/// Why a run is not served.
#[derive(Debug)]
pub enum NotServed {
    /// The server, the input or the permissions: the message (exit 2).
    Input(String),
    /// Another coordinator leads the run now: this one steps down.
    Led(Beat),
}

impl From<String> for NotServed {
    fn from(message: String) -> NotServed {
        NotServed::Input(message)
    }
}

/// A server reached, the run's stream ready and its command subject subscribed.
pub struct Connection {
    rt: tokio::runtime::Runtime,
    client: async_nats::Client,
    js: jetstream::Context,
    /// Taken by [`Connection::serve`]; dropped within the runtime (a subscription's drop needs it).
    commands: Option<async_nats::Subscriber>,
    opts: ServeOptions,
    /// The lead of the run (a standby has it once it took over).
    lease: Option<Lease>,
    /// What a standby took over: the run as its stream had it.
    taken: Option<Journal>,
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
    /// Another coordinator took the lead: this one stepped down.
    Deposed(Beat),
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
pub fn connect(opts: ServeOptions, scenario: &Scenario) -> Result<Connection, NotServed> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (client, js, commands, lease) = rt.block_on(prepare(&opts, scenario))?;
    Ok(Connection { rt, client, js, commands: Some(commands), opts, lease: Some(lease), taken: None })
}

/// Reaches the server as a standby: nothing is made until [`Connection::await_lead`] takes over.
pub fn connect_standby(opts: ServeOptions) -> Result<Connection, NotServed> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let name = format!("switchyard run {} (standby)", opts.run);
    let (client, js) = rt.block_on(async {
        let connected = server::connect_as(&opts.access, &name).await?;
        let js = jetstream::ContextBuilder::new().timeout(ACK_WITHIN).build(connected.client.clone());
        Ok::<_, String>((connected.client, js))
    })?;
    Ok(Connection { rt, client, js, commands: None, opts, lease: None, taken: None })
}

type Prepared = (async_nats::Client, jetstream::Context, async_nats::Subscriber, Lease);

async fn prepare(opts: &ServeOptions, scenario: &Scenario) -> Result<Prepared, NotServed> {
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
    denials.unless_denied(make_stream(client, opts, scenario)).await.map_err(|d| NotServed::Input(denied(d)))?
}

async fn make_stream(
    client: async_nats::Client,
    opts: &ServeOptions,
    scenario: &Scenario,
) -> Result<Prepared, NotServed> {
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
        if let Some(leader) = super::standby::live_leader(&client, run).await {
            return Err(NotServed::Led(leader));
        }
        if state.messages > 0 && !opts.replace {
            return Err(NotServed::Input(format!(
                "run `{run}` already has {} events on {shown} (stream {}): name this run with --run NAME, \
                 pass --replace to delete them, or --standby to carry it on",
                state.messages,
                run.stream()
            )));
        }
        // A fresh stream: its sequence starts again at 1, and no old message id is remembered.
        js.delete_stream(run.stream()).await.map_err(|e| no_stream(&e))?;
        js.create_stream(config).await.map_err(|e| no_stream(&e))?;
    }
    super::link::prepare_work_queue(&js, run, scenario).await.map_err(|e| scrub(&e))?;
    let lease = Lease::first(&js, run).await.map_err(|e| scrub(&e))?;
    let commands = subscribe_commands(&client, opts).await?;
    Ok((client, js, commands, lease))
}

/// Operator commands, in a queue group: of two coordinators that both think they lead for a
/// moment, only one gets each request.
async fn subscribe_commands(
    client: &async_nats::Client,
    opts: &ServeOptions,
) -> Result<async_nats::Subscriber, String> {
    let (run, shown) = (&opts.run, opts.access.shown());
    let scrub = |e: &dyn std::fmt::Display| opts.access.scrub(&e.to_string());
    let commands = client
        .queue_subscribe(run.cmd_subject(), "switchyard-leader".into())
        .await
        .map_err(|e| format!("cannot subscribe to {} on {shown}: {}", run.cmd_subject(), scrub(&e)))?;
    client.flush().await.map_err(|e| format!("cannot reach the NATS server at {shown}: {}", scrub(&e)))?;
    Ok(commands)
}

impl Connection {
    /// A standby's wait: until the run's leader has been silent for its lease, then the lead
    /// taken and the run read from its stream. Returns the stream's lines (for a local journal).
    /// `stop` firing (or its sender going) ends the wait: [`StandbyEnd::Cancelled`].
    pub fn await_lead(&mut self, stop: Option<&mut tokio::sync::oneshot::Receiver<()>>) -> Result<Vec<u8>, StandbyEnd> {
        let (client, js, run) = (&self.client, &self.js, &self.opts.run);
        let taken = self.rt.block_on(async {
            let stopped = async {
                match stop {
                    Some(stop) => drop(stop.await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                taken = super::standby::await_lead(client, js, run) => taken,
                () = stopped => Err(StandbyEnd::Cancelled),
            }
        })?;
        let scenario = taken.journal.header.scenario.clone();
        let commands = self.rt.block_on(async {
            // Tasks queued for the old leader's attempts go: those attempts are failed anew.
            match js.get_stream(run.work_stream()).await {
                Ok(work) => drop(work.purge().await),
                Err(_) => super::link::prepare_work_queue(js, run, &scenario).await?,
            }
            subscribe_commands(client, &self.opts).await
        });
        self.commands = Some(commands.map_err(StandbyEnd::Failed)?);
        self.lease = Some(taken.lease);
        self.taken = Some(taken.journal);
        Ok(taken.lines)
    }

    /// Waits until the run's stream exists (a console standing by needs it to attach), at most
    /// `within`; false when it did not come.
    pub fn wait_for_run(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        self.rt.block_on(async {
            while self.js.get_stream(self.opts.run.stream()).await.is_err() {
                if Instant::now() > deadline {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            true
        })
    }

    /// The scenario of the run a standby took over (as its stream's first event has it).
    pub fn taken_scenario(&self) -> Option<&Scenario> {
        self.taken.as_ref().map(|j| &j.header.scenario)
    }

    /// The epoch this coordinator leads with, once it leads.
    pub fn epoch(&self) -> Option<u64> {
        self.lease.as_ref().map(|l| l.beat.epoch)
    }

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
        let lease = self.lease.take().expect("a served run leads");
        let link = super::link::Link::new(self.client.clone(), self.js.clone(), opts.run.clone(), lease.beat.epoch);
        let remote = Some(super::link::shared(link));
        let (mut host, stored) = match self.taken.take() {
            None => (Host::new(scenario, horizon, journal, opts.speed, remote), 0),
            Some(taken) => {
                let stored = taken.events.len() as u64;
                match Host::taken_over(&taken, &lease.beat, journal, opts.speed, remote) {
                    Ok(host) => (host, stored),
                    Err(e) => {
                        let run = SimRun::resumed(crate::core::Coordinator::from_events(scenario, &taken.events), 0);
                        let why = format!("cannot carry run `{}` on from its stream: {e}", opts.run);
                        return Served { run, interrupted: None, stopped: Some(Stop::Other(why)), published: stored };
                    }
                }
            }
        };
        let mut publisher = Publisher::new(self.js.clone(), opts.run.events_subject(), stored);
        let client = &self.client;
        let mut lead = Lead { lease, client, run: &opts.run, checked: Instant::now() };
        let result = self.rt.block_on(async {
            tokio::select! {
                result = serve_loop(&mut host, &mut publisher, &mut lead, &mut commands, opts) => result,
                _ = &mut stop => Ok(None),
            }
        });
        let deposed = matches!(result, Err(Stop::Deposed(_)));
        let finished = host.sink.finish();
        self.rt.block_on(async {
            if deposed {
                // The bridges serve the new leader now: they are left alone.
                host.forsake_remote();
            }
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

/// The lead, as a serving coordinator keeps it: it beats, and checks it still leads, every
/// [`BEAT_EVERY`] — also before it publishes after a pause (a process stopped and continued).
struct Lead<'a> {
    lease: Lease,
    client: &'a async_nats::Client,
    run: &'a RunName,
    checked: Instant,
}

impl Lead<'_> {
    async fn keep(&mut self) -> Result<(), Stop> {
        // Away from the server nothing can be checked (nor published): the first look once it is
        // back is a check, as the time since the last one has passed.
        let connected = self.client.connection_state() == async_nats::connection::State::Connected;
        if self.checked.elapsed() < BEAT_EVERY || !connected {
            return Ok(());
        }
        self.checked = Instant::now();
        if let Ok(Err(Lost::Deposed(beat))) = tokio::time::timeout(ACK_WITHIN, self.lease.check()).await {
            return Err(Stop::Deposed(beat));
        }
        self.lease.beat(self.client, self.run).await;
        Ok(())
    }

    /// Why publishing failed: deposed, or the server.
    async fn publish_failed(&self, why: String) -> Stop {
        match tokio::time::timeout(ACK_WITHIN, self.lease.check()).await {
            Ok(Err(Lost::Deposed(beat))) => Stop::Deposed(beat),
            _ => Stop::Publish(why),
        }
    }
}

async fn serve_loop(
    host: &mut Host,
    publisher: &mut Publisher,
    lead: &mut Lead<'_>,
    commands: &mut async_nats::Subscriber,
    opts: &ServeOptions,
) -> Result<Option<StopSignal>, Stop> {
    let client = lead.client;
    let mut signals = Interrupts::new().map_err(|e| Stop::Other(format!("cannot handle signals: {e}")))?;
    // A signal while real agents shake hands stops at once (the run has not started: nothing to record).
    tokio::select! {
        started = host.start() => started?,
        signal = signals.recv() => return Ok(Some(signal)),
    }
    if opts.paused && host.run.now() == 0 {
        host.pause_at_start(&opts.who)?;
    }
    lead.checked = Instant::now() - BEAT_EVERY;
    lead.keep().await?;
    flush(host, publisher, lead).await?;
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
            Wake::Command(Some(msg)) => answer(host, publisher, lead, msg).await?,
            Wake::Command(None) => return Err(Stop::Other("the subscription to operator commands ended".into())),
            Wake::Signal(signal) => {
                host.run.interrupt(signal, &mut host.sink)?;
                // The journal has it at once; the stream, if the server takes it soon.
                if let Ok(flushed) = tokio::time::timeout(GOODBYE_WITHIN, flush(host, publisher, lead)).await {
                    flushed?;
                }
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
        lead.keep().await?;
        // A signal is heard while the lines wait for a server that is away: the run stops there,
        // its journal ending with `run_interrupted` (the stream may lack its last lines).
        tokio::select! {
            flushed = flush(host, publisher, lead) => drop(flushed?),
            signal = signals.recv() => {
                host.run.interrupt(signal, &mut host.sink)?;
                host.sink.0.step_done()?;
                return Ok(Some(signal));
            }
        }
        // Time spent waiting for the server to store the lines (it was away) is not the run's.
        let flushed = Instant::now();
        if flushed.duration_since(now) > STALLED {
            last = flushed;
        }
    }
    Ok(None)
}

/// Ends a step: the journal's lines written out, then stored on the stream. Returns them.
async fn flush(host: &mut Host, publisher: &mut Publisher, lead: &Lead<'_>) -> Result<Vec<u8>, Stop> {
    host.sink.0.step_done()?;
    let lines = host.sink.1.take_lines()?;
    if !lines.is_empty()
        && let Err(why) = publisher.publish(&lines).await
    {
        return Err(lead.publish_failed(why).await);
    }
    Ok(lines)
}

/// Carries out an operator request and answers it once its lines are on the stream.
async fn answer(
    host: &mut Host,
    publisher: &mut Publisher,
    lead: &mut Lead<'_>,
    msg: async_nats::Message,
) -> Result<(), Stop> {
    let client = lead.client;
    // A coordinator that no longer leads takes no command (the leader gets it again).
    lead.keep().await?;
    // What happened before the command goes first.
    flush(host, publisher, lead).await?;
    let who = operator_name(msg.headers.as_ref().and_then(|h| h.get(OPERATOR_HEADER)).map(|v| v.as_str()));
    let (accepted, message) = host.command(&msg.payload, &who)?;
    let lines = flush(host, publisher, lead).await?;
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
