//! `switchyard attach URL --run NAME [--read-only]`: the console on a served run, from any machine.
//!
//! [`open`] reaches the server, finds the run's stream and reads its first line (the journal's
//! header, which embeds the scenario) before the terminal is touched, so an unreachable server or
//! an unknown run is a plain error (exit 2). Then three tasks on the console's runtime fill its
//! [`Link`] (see `crate::tui::attach`):
//! - the follower reads the stream from the start and then live, decodes each line
//!   ([`LineReader`]) and hands it over as an event; when the server goes away its consumer is
//!   made again from the next stream sequence once the client has reconnected, so nothing is
//!   missed or folded twice; it stops at the run's end;
//! - the sender sends each command line as a request on `switchyard.RUN.cmd` (one at a time, in
//!   the order typed, as `ctl` does) and hands the answer over;
//! - the watcher tells the console when the connection goes and comes back.

use std::time::Duration;

use async_nats::jetstream::{consumer, stream::Stream};
use futures_util::StreamExt;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;

use super::access::Access;
use super::subjects::RunName;
use super::{Failure, ctl, follow, server};
use crate::journal::reader::LineReader;
use crate::scenario::Scenario;
use crate::tui::attach::{Feed, Link};
use crate::tui::{App, ConsoleOptions};

/// How long the first line of a run's stream may take to come.
const FIRST_LINE_WITHIN: Duration = Duration::from_secs(10);
/// How often the follower tries again to read a stream it lost, and the watcher looks.
const RETRY: Duration = Duration::from_millis(250);

/// Opens the console on the served run `run` and runs it until the operator quits. Returns the
/// exit code as the console does (1 when the run failed). `speed` is the served run's, when the
/// caller knows it (it serves the run); otherwise the console learns it from a `:speed` taken.
pub fn attach_console(access: &Access, run: &RunName, opts: ConsoleOptions, speed: Option<f64>) -> Result<u8, Failure> {
    if !crate::tui::console::has_terminal() {
        return Err(Failure::Unreachable(
            "the console needs a terminal (stdin and stdout); `attach … --follow` prints the events for scripts".into(),
        ));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Output(format!("cannot start the runtime: {e}")))?;
    let (scenario, link) = rt.block_on(open(access, run, &opts.who))?;
    let mut app = App::attached(scenario, opts, link, access.shown(), run.to_string());
    if let Some(x) = speed {
        app.served_speed(x);
    }
    crate::tui::console::run_app_on(rt, app).map_err(Failure::Output)
}

/// Reaches the run and starts following it: the scenario its journal embeds, and the link the
/// console reads. Call within the runtime the console will run on (the tasks live there).
pub async fn open(access: &Access, run: &RunName, who: &str) -> Result<(Scenario, Link), Failure> {
    let server::Connected { client, denials } =
        server::connect_as(access, &format!("switchyard attach {run}")).await.map_err(Failure::Unreachable)?;
    let stream = follow::open_stream(client.clone(), access, run).await?;
    let shown = access.shown();
    let unreadable = |e: &dyn std::fmt::Display| {
        Failure::Unreachable(format!(
            "cannot read the stream {} on {shown}: {}",
            run.stream(),
            access.scrub(&e.to_string())
        ))
    };
    let mut messages = subscribe(&stream, 1).await.map_err(|e| unreadable(&e))?;
    let first = match tokio::time::timeout(FIRST_LINE_WITHIN, messages.next()).await {
        Ok(Some(Ok(msg))) => msg,
        Ok(Some(Err(e))) => return Err(unreadable(&e)),
        Ok(None) | Err(_) => {
            return Err(Failure::Unreachable(format!(
                "run `{run}` on {shown} has no events (its stream {} is empty)",
                run.stream()
            )));
        }
    };
    let header: serde_json::Value = serde_json::from_slice(&first.payload)
        .map_err(|e| Failure::Unreachable(format!("run `{run}` on {shown}: its first line is not JSON: {e}")))?;
    let scenario = crate::journal::header::decode(&header)
        .map_err(|e| Failure::Unreachable(format!("run `{run}` on {shown}: its first line: {e}")))?
        .scenario;
    let (feed, feed_rx) = mpsc::unbounded_channel();
    let (commands, commands_rx) = mpsc::unbounded_channel();
    // The first message goes through the follower like any other.
    drop(first);
    drop(messages);
    let (reconnected, reconnections) = watch::channel(0u64);
    tokio::spawn(follower(stream, scenario.clone(), feed.clone(), reconnections));
    tokio::spawn(sender(
        client.clone(),
        (access.clone(), denials),
        run.clone(),
        who.to_string(),
        commands_rx,
        feed.clone(),
    ));
    tokio::spawn(watcher(client, feed, reconnected));
    Ok((scenario, Link { feed: feed_rx, commands }))
}

/// An ordered consumer of the stream from stream sequence `from`.
async fn subscribe(stream: &Stream, from: u64) -> Result<consumer::pull::Ordered, String> {
    let config = consumer::pull::OrderedConfig {
        deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence: from },
        ..Default::default()
    };
    let consumer = stream.create_consumer(config).await.map_err(|e| e.to_string())?;
    consumer.messages().await.map_err(|e| e.to_string())
}

/// Reads the stream from the start, then live, to the run's end; each line decoded and handed
/// over. A consumer that fails, or outlives a reconnection (it would wait on a server that forgot
/// it), is made again from where it stopped.
async fn follower(
    stream: Stream,
    scenario: Scenario,
    feed: UnboundedSender<Feed>,
    mut reconnections: watch::Receiver<u64>,
) {
    let mut reader = LineReader::new(&scenario);
    let mut next = 1u64;
    loop {
        let mut messages = match subscribe(&stream, next).await {
            Ok(m) => m,
            Err(_) => {
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        reconnections.mark_unchanged();
        loop {
            let msg = tokio::select! {
                msg = messages.next() => msg,
                changed = reconnections.changed() => match changed {
                    Ok(()) => break,
                    Err(_) => return,
                },
            };
            let Some(Ok(msg)) = msg else { break };
            let seq = msg.info().map_or(next, |i| i.stream_sequence);
            if seq < next {
                continue;
            }
            next = seq + 1;
            let line = String::from_utf8_lossy(&msg.payload);
            let ev = match reader.read(&line) {
                Ok(ev) => ev,
                Err(e) => {
                    let _ = feed.send(Feed::Broken(format!("event {}: {e}", reader.next_seq())));
                    return;
                }
            };
            let end = follow::run_end(&msg.payload).is_some();
            if feed.send(Feed::Event(Box::new(ev))).is_err() || end {
                return;
            }
        }
        if feed.is_closed() {
            return;
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Sends each command line as a request, in order, and hands over the answer.
async fn sender(
    client: async_nats::Client,
    (access, mut denials): (Access, server::Denials),
    run: RunName,
    who: String,
    mut commands: UnboundedReceiver<String>,
    feed: UnboundedSender<Feed>,
) {
    while let Some(line) = commands.recv().await {
        let command = line.split_whitespace().next().unwrap_or_default().to_string();
        let text = format!(":{line}");
        let request = ctl::request(&client, &access, &run, &text, &who);
        let answer = match denials.unless_denied(request).await {
            Ok(Ok(reply)) => Feed::Answer { accepted: reply.accepted, message: reply.message },
            Ok(Err(why)) => Feed::Unanswered { command, why },
            // The server's own refusal: this user may watch the run but not command it.
            Err(denial) => Feed::Answer {
                accepted: false,
                message: format!("not allowed to command this run (permission denied by the server: {denial})"),
            },
        };
        if feed.send(answer).is_err() {
            return;
        }
    }
}

/// Tells the console when the connection to the server goes and comes back, and the follower
/// when it came back.
async fn watcher(client: async_nats::Client, feed: UnboundedSender<Feed>, reconnected: watch::Sender<u64>) {
    let connects = || client.statistics().connects.load(std::sync::atomic::Ordering::Relaxed);
    let (mut up, mut seen) = (true, connects());
    loop {
        tokio::time::sleep(RETRY).await;
        // A connection that went and came back between two looks still counts.
        let now = connects();
        if now != seen {
            seen = now;
            reconnected.send_modify(|n| *n += 1);
        }
        let connected = client.connection_state() == async_nats::connection::State::Connected;
        if connected != up {
            up = connected;
            if feed.send(Feed::Link(up)).is_err() {
                return;
            }
        }
        if feed.is_closed() {
            return;
        }
    }
}
