//! A run's journal on its JetStream stream: every line one message, in order.
//!
//! [`StreamSink`] is an [`EventSink`] that encodes events exactly as the journal file does (it
//! *is* a journal writer, writing into memory), so the stream and a local `--journal` hold the
//! same bytes. [`Publisher`] sends those lines: each message's id (`Nats-Msg-Id`) is its event's
//! `seq`, so the server drops a line sent twice, and each states the stream's expected last
//! sequence (`Nats-Expected-Last-Sequence`), so a line is never stored after a gap or out of
//! order. A line whose acknowledgement does not come is sent again, with the same id, until
//! [`PUBLISH_PATIENCE`] has passed; then publishing has failed and the run stops.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, message::PublishMessage};

use crate::core::{Coordinator, Event};
use crate::journal::{JournalOut, JournalWriter};
use crate::runtime::EventSink;

/// Room left in a message for its headers (`Nats-Msg-Id`, `Nats-Expected-Last-Sequence`).
const HEADER_ALLOWANCE: usize = 256;

/// Lines sent before their acknowledgements are awaited. A step of a fast run can make thousands
/// of lines; sending them all before awaiting any stalled the client for good (a 98 000-event run
/// stopped publishing at line 5 478 and never ended).
const IN_FLIGHT: usize = 256;

/// How long a line may take to be stored, retries included, before publishing has failed; also
/// how long a served run waits for a server that went away (a restart takes a second or two).
pub const PUBLISH_PATIENCE: Duration = Duration::from_secs(30);

/// Bytes a journal writer writes out, shared with the [`StreamSink`] that takes them.
#[derive(Clone, Default)]
struct Tap(Rc<RefCell<Vec<u8>>>);

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl JournalOut for Tap {
    fn cut_to(&mut self, len: u64) -> io::Result<()> {
        self.0.borrow_mut().truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(())
    }
}

/// Encodes every event as its journal line, for the stream.
pub struct StreamSink {
    writer: JournalWriter<Tap>,
    tap: Tap,
}

impl Default for StreamSink {
    fn default() -> Self {
        let tap = Tap::default();
        StreamSink { writer: JournalWriter::new(tap.clone()), tap }
    }
}

impl StreamSink {
    /// The whole lines encoded since the last call (each ends with `\n`).
    pub fn take_lines(&mut self) -> io::Result<Vec<u8>> {
        self.writer.step_done()?;
        Ok(std::mem::take(&mut *self.tap.0.borrow_mut()))
    }
}

impl EventSink for StreamSink {
    fn event(&mut self, ev: &Event, coord: &Coordinator) -> io::Result<()> {
        self.writer.event(ev, coord)
    }
}

/// The `seq` a journal line starts with (`{"seq":17,…`).
pub fn line_seq(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(b"{\"seq\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// Sends journal lines to the run's stream, in order, each stored once.
pub struct Publisher {
    js: jetstream::Context,
    subject: String,
    /// Lines stored so far: the stream's last sequence (it started empty).
    stored: u64,
}

impl Publisher {
    /// `stored`: how many messages the stream holds already (0 for a new run).
    pub fn new(js: jetstream::Context, subject: String, stored: u64) -> Publisher {
        Publisher { js, subject, stored }
    }

    /// Lines stored so far.
    pub fn stored(&self) -> u64 {
        self.stored
    }

    fn message(&self, line: &[u8], position: u64) -> Result<PublishMessage, String> {
        let seq = line_seq(line).ok_or_else(|| "a journal line without its seq".to_string())?;
        Ok(PublishMessage::build()
            .payload(line.to_vec().into())
            .message_id(seq.to_string())
            .expected_last_sequence(position))
    }

    /// Stores `lines` (whole journal lines, each ending with `\n`) on the stream, in order. The
    /// lines go out at once and their acknowledgements are awaited in order; from the first that
    /// fails, the rest go one by one, each retried until [`PUBLISH_PATIENCE`] has passed.
    pub async fn publish(&mut self, lines: &[u8]) -> Result<(), String> {
        let lines: Vec<&[u8]> = lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        self.check_sizes(&lines)?;
        for window in lines.chunks(IN_FLIGHT) {
            self.publish_window(window).await?;
        }
        Ok(())
    }

    /// Up to [`IN_FLIGHT`] lines: sent at once, their acknowledgements awaited in order.
    async fn publish_window(&mut self, lines: &[&[u8]]) -> Result<(), String> {
        let mut pending = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let msg = self.message(line, self.stored + i as u64)?;
            match self.js.send_publish(self.subject.clone(), msg).await {
                Ok(ack) => pending.push(ack),
                Err(_) => break,
            }
        }
        let mut done = 0;
        for ack in pending {
            match ack.await {
                Ok(ack) if ack.sequence == self.stored + 1 => {
                    self.stored += 1;
                    done += 1;
                }
                _ => break,
            }
        }
        for line in &lines[done..] {
            self.publish_one(line).await?;
        }
        Ok(())
    }

    /// A line the server will never take (larger than its `max_payload`) fails at once, saying
    /// what to change, rather than after [`PUBLISH_PATIENCE`] of retries.
    fn check_sizes(&self, lines: &[&[u8]]) -> Result<(), String> {
        let limit = self.js.client().server_info().max_payload;
        for line in lines {
            // The headers (message id, expected sequence) travel in the same message.
            if line.len() + HEADER_ALLOWANCE > limit {
                let seq = line_seq(line).unwrap_or_default();
                let why = if seq == 0 { " (the first event embeds the scenario)" } else { "" };
                return Err(format!(
                    "event #{seq} is {} bytes{why}, more than the server's max_payload of {limit} bytes allows; \
                     raise max_payload in the server's configuration (for example `max_payload: 8MB`)",
                    line.len()
                ));
            }
        }
        Ok(())
    }

    /// One line, sent again (same id: the server keeps one) until it is stored or time is up.
    async fn publish_one(&mut self, line: &[u8]) -> Result<(), String> {
        let start = Instant::now();
        let mut wait = Duration::from_millis(100);
        loop {
            let msg = self.message(line, self.stored)?;
            let error = match self.js.send_publish(self.subject.clone(), msg).await {
                Ok(ack) => match ack.await {
                    Ok(ack) if ack.sequence == self.stored + 1 => {
                        self.stored += 1;
                        return Ok(());
                    }
                    Ok(ack) => format!(
                        "the stream stored the line as #{} where #{} was expected (another publisher?)",
                        ack.sequence,
                        self.stored + 1
                    ),
                    // Another publisher stored lines meanwhile (a coordinator that took over):
                    // waiting will not change that.
                    Err(e) if e.kind() == async_nats::jetstream::context::PublishErrorKind::WrongLastSequence => {
                        let seq = line_seq(line).unwrap_or_default();
                        return Err(format!("event #{seq} was refused: the stream has lines this run did not write"));
                    }
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if start.elapsed() + wait > PUBLISH_PATIENCE {
                let seq = line_seq(line).unwrap_or_default();
                return Err(format!("event #{seq} was not stored within {} s: {error}", PUBLISH_PATIENCE.as_secs()));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seq_of_a_line() {
        assert_eq!(line_seq(br#"{"seq":0,"t_ms":0,"kind":"run_started"}"#), Some(0));
        assert_eq!(line_seq(br#"{"seq":12345,"t_ms":7}"#), Some(12345));
        assert_eq!(line_seq(br#"{"t_ms":7}"#), None);
    }
}
