//! The part of the input the lexer can see: a window sliding over a reader.
//!
//! A scenario file can be hundreds of megabytes, several times the size of the lexer's working
//! set; holding all of it while the scenario is built was the largest single cost in memory (and
//! in page faults). Streamed, only a chunk or so is resident: the lexer asks for [`more`] when it
//! reaches the end of what it can see, naming the first byte it still needs (`keep`); everything
//! before that is dropped and the rest moves to the front. Offsets the lexer reports stay absolute
//! (`base` + index).
//!
//! The visible text is always valid UTF-8: each chunk is checked as it arrives, and a character
//! split between two reads waits for its last bytes. Anything that stops the stream early (a read
//! error, invalid UTF-8, an input too large for `u32` offsets) just ends the visible input and is
//! remembered in [`failed`]; the caller then re-reads the file whole to report it precisely.
//!
//! [`more`]: Window::more
//! [`failed`]: Window::failed

use super::decode::NONE;
use std::io::{ErrorKind, Read};

pub(crate) struct Window<'a> {
    /// The visible input: `text[i]` is byte `base + i` of the whole input.
    pub(crate) text: String,
    pub(crate) base: usize,
    reader: Box<dyn Read + 'a>,
    /// Read buffer; `buf[..held]` is the start of a character whose other bytes are still unread.
    buf: Box<[u8]>,
    held: usize,
    /// No more input will become visible (end of input, or a failure).
    done: bool,
    failed: bool,
}

impl<'a> Window<'a> {
    /// Input read from `reader` `chunk` bytes at a time (tests use tiny chunks). Nothing is
    /// visible until the first call to [`more`](Self::more).
    pub(crate) fn new(reader: Box<dyn Read + 'a>, chunk: usize) -> Window<'a> {
        let buf = vec![0; chunk.max(4)].into();
        Window { text: String::with_capacity(2 * chunk), base: 0, reader, buf, held: 0, done: false, failed: false }
    }

    /// Whether the input ended early: a read error, invalid UTF-8, or more than `u32` offsets can
    /// address.
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    /// Make more input visible, dropping the text before index `keep`. Returns how far the text
    /// moved (subtract it from indices held across the call), or `None` when there is no more.
    #[cold]
    #[inline(never)]
    pub(crate) fn more(&mut self, keep: usize) -> Option<usize> {
        while !self.done {
            let n = match self.reader.read(&mut self.buf[self.held..]) {
                Ok(0) => {
                    // The end; a character still incomplete means the input was cut short.
                    self.done = true;
                    self.failed = self.held > 0;
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.done = true;
                    self.failed = true;
                    break;
                }
            };
            let filled = self.held + n;
            let (chunk, bad) = match std::str::from_utf8(&self.buf[..filled]) {
                Ok(chunk) => (chunk, false),
                // Invalid, or a character cut at the end of the buffer (`error_len` is `None`).
                Err(e) => (std::str::from_utf8(&self.buf[..e.valid_up_to()]).expect("valid"), e.error_len().is_some()),
            };
            let valid = chunk.len();
            if valid == 0 {
                if bad {
                    self.done = true;
                    self.failed = true;
                    break;
                }
                self.held = filled; // Only part of one character so far.
                continue;
            }
            if self.base + self.text.len() + valid >= NONE as usize {
                self.done = true;
                self.failed = true;
                break;
            }
            let shift = keep.min(self.text.len());
            self.text.drain(..shift);
            self.text.push_str(chunk);
            self.base += shift;
            self.buf.copy_within(valid..filled, 0);
            self.held = filled - valid;
            if bad {
                self.done = true;
                self.failed = true;
            }
            return Some(shift);
        }
        None
    }
}
