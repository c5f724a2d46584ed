//! `switchyard attach URL --run NAME --follow`: prints a served run's events as JSON lines, from the
//! start of its stream, then live as they come, until the run ends — for scripts. What it prints
//! is byte for byte the served run's journal. The run's end decides the outcome: `run_finished`
//! succeeded → [`RunEnd::Succeeded`]; failed, stopped by a signal (`run_interrupted`) or at its
//! horizon (`horizon_reached`) → [`RunEnd::Failed`].

use std::io::Write;

use async_nats::jetstream::{self, ErrorCode, consumer, context::GetStreamErrorKind};
use futures_util::StreamExt;
use serde::Deserialize;

use super::access::Access;
use super::subjects::RunName;
use super::{Failure, server};
use crate::core::StopSignal;
use crate::runtime::interrupt::Interrupts;

/// How a followed run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    Succeeded,
    /// Failed, or stopped before its end (a signal, its horizon).
    Failed,
    /// The follower (not the run) was stopped by a signal.
    Interrupted(StopSignal),
}

/// The two fields of a line that say whether it ends the run.
#[derive(Deserialize)]
struct Head<'a> {
    kind: &'a str,
    #[serde(default)]
    outcome: Option<&'a str>,
}

/// Whether the journal line ends the run, and how.
pub fn run_end(line: &[u8]) -> Option<RunEnd> {
    // Only a few kinds end a run; most lines are not even parsed.
    let near_end = [&b"\"run_finished\""[..], b"\"run_interrupted\"", b"\"horizon_reached\""]
        .iter()
        .any(|kind| line.windows(kind.len()).any(|w| w == *kind));
    if !near_end {
        return None;
    }
    let head: Head = serde_json::from_slice(line).ok()?;
    match (head.kind, head.outcome) {
        ("run_finished", Some("succeeded")) => Some(RunEnd::Succeeded),
        ("run_finished" | "run_interrupted" | "horizon_reached", _) => Some(RunEnd::Failed),
        _ => None,
    }
}

/// Prints the run's events to `out` until it ends.
pub fn follow(access: &Access, run: &RunName, out: &mut impl Write) -> Result<RunEnd, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Output(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let server::Connected { client, mut denials } =
            server::connect_as(access, &format!("switchyard attach {run}")).await.map_err(Failure::Unreachable)?;
        let denied = |denial: String| {
            Failure::Denied(format!(
                "not allowed to read run `{run}` on {} as {} (permission denied by the server: {denial})",
                access.shown(),
                access.source()
            ))
        };
        denials.unless_denied(follow_async(client, access, run, out)).await.map_err(denied)?
    })
}

/// The run's stream on a connected client, or why it cannot be read (no such run, …).
pub(super) async fn open_stream(
    client: async_nats::Client,
    access: &Access,
    run: &RunName,
) -> Result<jetstream::stream::Stream, Failure> {
    let shown = access.shown();
    let js = jetstream::new(client);
    js.get_stream(run.stream()).await.map_err(|e| match e.kind() {
        GetStreamErrorKind::JetStream(j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND => {
            Failure::Unreachable(format!("no run `{run}` on {shown}: it has no stream {}", run.stream()))
        }
        _ => Failure::Unreachable(format!(
            "cannot read the stream {} on {shown}: {}",
            run.stream(),
            access.scrub(&e.to_string())
        )),
    })
}

async fn follow_async(
    client: async_nats::Client,
    access: &Access,
    run: &RunName,
    out: &mut impl Write,
) -> Result<RunEnd, Failure> {
    let shown = access.shown();
    let scrub = |e: &dyn std::fmt::Display| access.scrub(&e.to_string());
    let stream = open_stream(client, access, run).await?;
    let unreadable = |e: &dyn std::fmt::Display| {
        Failure::Unreachable(format!("cannot read the stream {} on {shown}: {}", run.stream(), scrub(e)))
    };
    let config = consumer::pull::OrderedConfig { deliver_policy: consumer::DeliverPolicy::All, ..Default::default() };
    let consumer = stream.create_consumer(config).await.map_err(|e| unreadable(&e))?;
    let mut messages = consumer.messages().await.map_err(|e| unreadable(&e))?;
    let write_failed = |e: std::io::Error| Failure::Output(format!("cannot write the events: {e}"));
    let mut signals = Interrupts::new().map_err(|e| Failure::Output(format!("cannot handle signals: {e}")))?;
    loop {
        let msg = tokio::select! {
            msg = messages.next() => msg,
            signal = signals.recv() => return Ok(RunEnd::Interrupted(signal)),
        };
        let Some(msg) = msg else { break };
        let msg = msg.map_err(|e| unreadable(&e))?;
        out.write_all(&msg.payload).map_err(write_failed)?;
        out.write_all(b"\n").map_err(write_failed)?;
        out.flush().map_err(write_failed)?;
        if let Some(end) = run_end(&msg.payload) {
            return Ok(end);
        }
    }
    Err(Failure::Unreachable(format!("the stream {} on {shown} ended before the run did", run.stream())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_that_end_a_run() {
        let done = br#"{"seq":99,"t_ms":4917,"kind":"run_finished","outcome":"succeeded","makespan_ms":4917}"#;
        assert_eq!(run_end(done), Some(RunEnd::Succeeded));
        let failed = br#"{"seq":9,"t_ms":1,"kind":"run_finished","outcome":"failed","makespan_ms":1}"#;
        assert_eq!(run_end(failed), Some(RunEnd::Failed));
        assert_eq!(run_end(br#"{"seq":9,"t_ms":1,"kind":"run_interrupted","signal":"SIGINT"}"#), Some(RunEnd::Failed));
        // The status message announcing the end is not the end.
        let status = br#"{"seq":98,"t_ms":4917,"kind":"message_sent","payload":{"status":"run_finished"}}"#;
        assert_eq!(run_end(status), None);
        assert_eq!(run_end(br#"{"seq":2,"t_ms":0,"kind":"task_ready","task":"fetch"}"#), None);
    }
}
