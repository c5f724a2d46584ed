//! `run FILE --serve URL --standby`: a hot standby coordinator. It listens for the leader's beats
//! on `switchyard.RUN.leader`; when none has come for [`LEASE`] it takes the lead (a compare-and-set
//! on the lease, see [`super::leader`]), waits for the old leader to notice, reads the run's stream
//! whole and hands it back: the caller folds it as `resume` folds a journal and serves the run on.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;

use super::leader::{BEAT_EVERY, Beat, LEASE, Lease, Lost};
use super::subjects::RunName;
use crate::core::StopSignal;
use crate::journal::file::Journal;
use crate::runtime::interrupt::Interrupts;

/// How often a standby looks around while it waits.
const LOOK_EVERY: Duration = Duration::from_millis(200);

/// The lead taken, and the run as its stream had it.
pub struct TakeOver {
    pub lease: Lease,
    /// The stream's lines, each ending with `\n`.
    pub lines: Vec<u8>,
    pub journal: Journal,
}

/// Why a standby did not take over.
#[derive(Debug)]
pub enum StandbyEnd {
    /// The run had ended: nothing to take over.
    RunOver,
    /// A signal stopped the standby.
    Signal(StopSignal),
    /// The stream could not be read or is not a journal.
    Failed(String),
    /// Told to stop waiting (the console on it quit).
    Cancelled,
}

/// Whether a coordinator leads `run` now: its beat, if one comes within two beats' time.
pub async fn live_leader(client: &async_nats::Client, run: &RunName) -> Option<Beat> {
    let mut beats = client.subscribe(run.leader_subject()).await.ok()?;
    let beat = tokio::time::timeout(BEAT_EVERY * 2, beats.next()).await.ok().flatten()?;
    serde_json::from_slice(&beat.payload).ok()
}

/// Waits until the run's leader has been silent for [`LEASE`], then takes the lead.
pub async fn await_lead(
    client: &async_nats::Client,
    js: &jetstream::Context,
    run: &RunName,
) -> Result<TakeOver, StandbyEnd> {
    let mut signals = Interrupts::new().map_err(|e| StandbyEnd::Failed(format!("cannot handle signals: {e}")))?;
    let mut beats = client
        .subscribe(run.leader_subject())
        .await
        .map_err(|e| StandbyEnd::Failed(format!("cannot listen for the leader: {e}")))?;
    let mut heard = Instant::now();
    let mut noted: Option<u64> = None;
    loop {
        tokio::select! {
            Some(_) = beats.next() => heard = Instant::now(),
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            signal = signals.recv() => return Err(StandbyEnd::Signal(signal)),
        }
        if heard.elapsed() < LEASE {
            continue;
        }
        // Silent. A lead that changed meanwhile (a run that just started) is given its lease.
        let current = Lease::current(js, run).await.ok().flatten().map(|b| b.epoch);
        if js.get_stream(run.stream()).await.is_err() || current != noted {
            noted = current;
            heard = Instant::now();
            continue;
        }
        match Lease::take_over(js, run, current.unwrap_or(0)).await {
            Ok(lease) => return take(js, run, lease, &mut signals).await,
            Err(Lost::Deposed(beat)) => {
                noted = Some(beat.epoch);
                heard = Instant::now();
            }
            Err(Lost::Unknown(why)) => tracing::warn!("cannot take the lead of run `{run}` yet: {why}"),
        }
    }
}

/// The lead is ours: once the old leader has had time to notice, the stream is read whole.
async fn take(
    js: &jetstream::Context,
    run: &RunName,
    lease: Lease,
    signals: &mut Interrupts,
) -> Result<TakeOver, StandbyEnd> {
    // The old leader checks the lease at every beat and before it publishes after a pause.
    tokio::select! {
        _ = tokio::time::sleep(BEAT_EVERY + LOOK_EVERY) => {}
        signal = signals.recv() => return Err(StandbyEnd::Signal(signal)),
    }
    let lines = read_stream(js, run).await.map_err(StandbyEnd::Failed)?;
    let journal = crate::journal::file::parse(&lines)
        .map_err(|(line, why)| StandbyEnd::Failed(format!("run `{run}`: its stream, line {line}: {why}")))?;
    if journal.events.last().is_some_and(|e| matches!(e.kind, crate::core::EventKind::RunFinished { .. })) {
        return Err(StandbyEnd::RunOver);
    }
    Ok(TakeOver { lease, lines, journal })
}

/// Every line of the run's stream, in order.
async fn read_stream(js: &jetstream::Context, run: &RunName) -> Result<Vec<u8>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot read the stream {}: {e}", run.stream());
    let mut stream = js.get_stream(run.stream()).await.map_err(|e| fail(&e))?;
    let last = stream.info().await.map_err(|e| fail(&e))?.state.last_sequence;
    let mut lines = Vec::new();
    if last == 0 {
        return Ok(lines);
    }
    let config = consumer::pull::OrderedConfig { deliver_policy: consumer::DeliverPolicy::All, ..Default::default() };
    let consumer = stream.create_consumer(config).await.map_err(|e| fail(&e))?;
    let mut messages = consumer.messages().await.map_err(|e| fail(&e))?;
    while let Some(msg) = messages.next().await {
        let msg = msg.map_err(|e| fail(&e))?;
        lines.extend_from_slice(&msg.payload);
        lines.push(b'\n');
        if msg.info().map_err(|e| fail(&e))?.stream_sequence >= last {
            return Ok(lines);
        }
    }
    Err(format!("the stream {} ended before its last line", run.stream()))
}
