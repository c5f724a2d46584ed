//! A line reader with a length cap, for output an agent controls.
//!
//! `read_line` into a `String` grows without bound on a line without newline; this reader keeps at
//! most `max` bytes of a line, remembers only a short prefix of a longer one (reported as
//! [`Line::TooLong`] with its full length) and resyncs at the next newline. Memory per reader is
//! bounded by `max` plus the `BufReader` buffer, whatever the other side prints.
//!
//! It also knows when the process has exited: from then on a read that brings nothing for
//! `drain` ends the stream, because a descendant of the agent may hold the pipe open forever.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::watch;

/// Bytes of an over-long line kept for the report.
pub(crate) const KEEP_PREFIX: usize = 1024;

/// Buffer size of the underlying `BufReader`.
const CHUNK: usize = 64 * 1024;

/// What [`LineReader::next_line`] found; the bytes are in [`LineReader::line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// A whole line (terminator stripped) of at most `max` bytes.
    Complete,
    /// A line of `len` bytes, over the cap; `line()` holds its first [`KEEP_PREFIX`] bytes.
    TooLong { len: usize },
}

pub(crate) struct LineReader<R> {
    inner: BufReader<R>,
    max: usize,
    buf: Vec<u8>,
    /// Becomes `Some` when the process exits (or changes at all: the sender went away).
    exit: watch::Receiver<Option<super::process::ExitInfo>>,
    exited: bool,
    drain: Duration,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    pub(crate) fn new(
        inner: R,
        max: usize,
        exit: watch::Receiver<Option<super::process::ExitInfo>>,
        drain: Duration,
    ) -> LineReader<R> {
        LineReader::with_chunk(inner, max, exit, drain, CHUNK)
    }

    fn with_chunk(
        inner: R,
        max: usize,
        exit: watch::Receiver<Option<super::process::ExitInfo>>,
        drain: Duration,
        chunk: usize,
    ) -> LineReader<R> {
        let exited = exit.borrow().is_some();
        LineReader { inner: BufReader::with_capacity(chunk, inner), max, buf: Vec::new(), exit, exited, drain }
    }

    /// The length cap.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// The bytes of the line last returned by [`next_line`](Self::next_line).
    pub(crate) fn line(&self) -> &[u8] {
        &self.buf
    }

    /// Reads the next line (`\n` or `\r\n` terminated, or the last bytes before the end of the
    /// stream); `None` at the end of the stream.
    pub(crate) async fn next_line(&mut self) -> io::Result<Option<Line>> {
        self.buf.clear();
        if self.buf.capacity() > 4 * CHUNK {
            self.buf.shrink_to(CHUNK);
        }
        let mut len = 0usize;
        let mut any = false;
        loop {
            if self.fill().await? == 0 {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let avail = self.inner.buffer();
            let (take, newline) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            len += take;
            if len <= self.max {
                self.buf.extend_from_slice(&avail[..take]);
            } else {
                self.buf.truncate(KEEP_PREFIX);
                let room = KEEP_PREFIX.saturating_sub(self.buf.len());
                self.buf.extend_from_slice(&avail[..take.min(room)]);
            }
            self.inner.consume(take + usize::from(newline));
            if newline {
                break;
            }
        }
        if len <= self.max + 1 && self.buf.last() == Some(&b'\r') {
            self.buf.pop();
            len -= 1;
        }
        Ok(Some(if len > self.max { Line::TooLong { len } } else { Line::Complete }))
    }

    /// Makes bytes available in the `BufReader`; returns how many (0 at the end of the stream).
    async fn fill(&mut self) -> io::Result<usize> {
        loop {
            if self.exited {
                return match tokio::time::timeout(self.drain, self.inner.fill_buf()).await {
                    Ok(r) => r.map(<[u8]>::len),
                    Err(_) => Ok(0),
                };
            }
            tokio::select! {
                r = self.inner.fill_buf() => return r.map(<[u8]>::len),
                _ = self.exit.changed() => self.exited = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(data: &[u8], max: usize, chunk: usize) -> Vec<(Line, Vec<u8>)> {
        let (_tx, rx) = watch::channel(None);
        let mut r = LineReader::with_chunk(data, max, rx, Duration::from_millis(10), chunk);
        let mut out = Vec::new();
        while let Some(line) = r.next_line().await.unwrap() {
            out.push((line, r.line().to_vec()));
        }
        out
    }

    fn complete(s: &str) -> (Line, Vec<u8>) {
        (Line::Complete, s.as_bytes().to_vec())
    }

    #[tokio::test]
    async fn splits_lines_at_any_chunk_size() {
        let data = b"one\ntwo\r\n\nlast without newline";
        for chunk in [1, 2, 3, 7, 64, CHUNK] {
            let lines = read_all(data, 100, chunk).await;
            assert_eq!(
                lines,
                vec![complete("one"), complete("two"), complete(""), complete("last without newline")],
                "chunk {chunk}"
            );
        }
        assert!(read_all(b"", 100, 8).await.is_empty());
    }

    #[tokio::test]
    async fn long_lines_are_cut_and_the_reader_resyncs() {
        let long = "x".repeat(5000);
        let data = format!("ok\n{long}\nafter\n{}\n", "y".repeat(10));
        for chunk in [1, 5, 300, CHUNK] {
            let lines = read_all(data.as_bytes(), 10, chunk).await;
            assert_eq!(lines.len(), 4, "chunk {chunk}");
            assert_eq!(lines[0], complete("ok"));
            assert_eq!(lines[1].0, Line::TooLong { len: 5000 });
            assert_eq!(lines[1].1, &long.as_bytes()[..KEEP_PREFIX]);
            assert_eq!(lines[2], complete("after"));
            assert_eq!(lines[3], complete("yyyyyyyyyy"), "exactly at the cap is fine");
        }
        // A too-long last line without newline is reported too; `\r` counts towards the length
        // only when it does not end the line.
        let lines = read_all(b"0123456789\r\n0123456789ab", 10, 4).await;
        assert_eq!(lines, vec![complete("0123456789"), (Line::TooLong { len: 12 }, b"0123456789ab".to_vec())]);
    }

    #[tokio::test]
    async fn after_exit_an_open_pipe_ends_after_the_drain_time() {
        let (tx, rx) = watch::channel(None);
        let (client, mut server) = tokio::io::duplex(64);
        let mut r = LineReader::new(client, 100, rx, Duration::from_millis(50));
        tokio::io::AsyncWriteExt::write_all(&mut server, b"a\nb\n").await.unwrap();
        assert_eq!(r.next_line().await.unwrap(), Some(Line::Complete));
        tx.send_replace(Some(super::super::process::ExitInfo { status: Some(0), signal: None }));
        assert_eq!(r.next_line().await.unwrap(), Some(Line::Complete), "buffered data is still read");
        assert_eq!(r.line(), b"b");
        let started = std::time::Instant::now();
        assert_eq!(r.next_line().await.unwrap(), None, "the writer is still open, but the process is gone");
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(server);
    }
}
