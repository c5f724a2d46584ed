//! The journal as an [`EventSink`]: whole lines only, written out per driver step in live and
//! console runs (and fsynced with `--fsync`), one writer per file.
//!
//! - **Whole lines.** Lines wait in a 1 MiB buffer of complete lines; when a write fails
//!   part-way (a full disk, a file size limit), the file is cut back to the end of its last whole
//!   line and nothing more is written, so a journal always ends on a complete line.
//! - **Durability.** Headless simulated runs keep the big buffer (they can be run again); live and
//!   console runs call [`EventSink::step_done`] after every driver step, which writes out what is
//!   held, and with `--fsync` also fsyncs it: one fsync per step (group commit), not per event.
//! - **One writer.** [`JournalWriter::create`] takes an advisory lock (`flock`) on the file before it
//!   truncates it, and holds it while the writer lives; a second writer is refused, naming the
//!   holder's pid (from `/proc/locks`), and the file is left untouched.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use super::writer::{Names, encode};
use crate::core::{Coordinator, Event};
use crate::runtime::EventSink;

/// How many bytes of complete lines the writer holds before it writes them out.
const BUFFER: usize = 1 << 20;

/// Where a journal goes: a `Write` that can be cut back to a length, so that a failed write
/// (a full disk, a file size limit) never leaves half a line behind.
pub trait JournalOut: Write {
    /// Drops everything past the first `len` bytes written, and writes on from there.
    fn cut_to(&mut self, len: u64) -> io::Result<()>;

    /// Makes what was written durable (fsync); a no-op where that means nothing.
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl JournalOut for File {
    fn cut_to(&mut self, len: u64) -> io::Result<()> {
        use std::io::Seek;
        self.set_len(len)?;
        self.seek(io::SeekFrom::Start(len)).map(|_| ())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

impl JournalOut for Vec<u8> {
    fn cut_to(&mut self, len: u64) -> io::Result<()> {
        self.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(())
    }
}

/// How much a journal's writer does to make each step's lines durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Lines reach the file at each step of a live or console run (the page cache: they survive
    /// our death, not the machine's).
    #[default]
    Flush,
    /// Also fsync at each step (and at each buffer write): they survive a power cut.
    Fsync,
}

/// An [`EventSink`] writing JSON lines through a 1 MiB buffer of whole lines. A journal always
/// ends on a complete line: when a write fails part-way, the output is cut back to the end of the
/// last line written whole, and nothing more is written. Live and console runs call
/// [`EventSink::step_done`] after every driver step, which writes out what is held.
pub struct JournalWriter<W: JournalOut> {
    out: W,
    /// Complete lines not yet written.
    buf: Vec<u8>,
    /// Bytes of whole lines in `out` (where the next line starts).
    committed: u64,
    /// A write failed: the output was cut back, and every later call returns this error.
    failed: Option<io::ErrorKind>,
    names: Option<Names>,
    line: Vec<u8>,
    lines: u64,
    durability: Durability,
    /// Appending: the output must first be cut back to `committed` (a torn tail dropped).
    cut_pending: bool,
    /// More header fields (a fork's `forked_from`).
    header_extra: Vec<u8>,
}

impl JournalWriter<File> {
    /// Creates (truncates) the journal file, once it holds the file's lock: a file another
    /// writer holds is refused (`ErrorKind::WouldBlock`, naming its pid) and left as it was.
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
        lock(&file)?;
        // Truncated only now, under the lock (a device such as /dev/null has nothing to cut).
        if file.metadata()?.is_file() {
            file.set_len(0)?;
        }
        Ok(JournalWriter::new(file))
    }
}

impl JournalWriter<File> {
    /// Opens a journal to go on writing it: locked like [`JournalWriter::create`], its first
    /// `whole_len` bytes kept (its whole lines), and a torn tail past them cut off — only when
    /// the first line is written, so a resume refused before that leaves the file as it was.
    pub fn append(path: &Path, whole_len: u64) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new().write(true).open(path)?;
        lock(&file)?;
        let mut w = JournalWriter::new(file);
        w.committed = whole_len;
        w.cut_pending = true;
        Ok(w)
    }
}

/// Takes the exclusive advisory lock of a journal, without waiting.
fn lock(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor we own has no memory effects.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.kind() != io::ErrorKind::WouldBlock {
        return Err(err);
    }
    let holder = lock_holder(file).map_or("another process".to_string(), |pid| format!("pid {pid}"));
    Err(io::Error::new(io::ErrorKind::WouldBlock, format!("it is being written by {holder} (one writer per journal)")))
}

/// The pid holding a `flock` on the file, from `/proc/locks` (Linux), matched by inode.
fn lock_holder(file: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let ino = file.metadata().ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        // `1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF` (a blocked waiter's line has `->`).
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (kind, pid, id) = (fields.get(1)?, fields.get(4)?, fields.get(5)?);
        let same = *kind == "FLOCK" && id.rsplit(':').next()?.parse::<u64>().ok()? == ino;
        if same { pid.parse().ok() } else { None }
    })
}

impl<W: JournalOut> JournalWriter<W> {
    pub fn new(out: W) -> Self {
        JournalWriter {
            out,
            buf: Vec::with_capacity(BUFFER),
            committed: 0,
            failed: None,
            names: None,
            line: Vec::with_capacity(512),
            lines: 0,
            durability: Durability::Flush,
            cut_pending: false,
            header_extra: Vec::new(),
        }
    }

    /// Records where this run was forked from, in its header: `forked_from` is the source
    /// journal's SHA-256 (of its whole lines) and the seq of the event it was forked after.
    pub fn set_forked_from(&mut self, journal_sha256: &str, seq: u64) {
        self.header_extra = super::header::forked_from_field(journal_sha256, seq).into_bytes();
    }

    /// Fsyncs each step's lines (`--fsync`), or not.
    pub fn set_durability(&mut self, durability: Durability) {
        self.durability = durability;
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.write_out()?;
        Ok(self.out)
    }

    /// After a failed write nothing more goes out: every later call says so.
    fn still_writable(&self) -> io::Result<()> {
        match self.failed {
            Some(kind) => Err(io::Error::new(kind, "an earlier write to the journal failed")),
            None => Ok(()),
        }
    }

    /// Writes the held lines. On an error, cuts the output back to its last whole line.
    fn write_out(&mut self) -> io::Result<()> {
        self.still_writable()?;
        if std::mem::take(&mut self.cut_pending) {
            self.out.cut_to(self.committed)?;
        }
        let mut written = 0;
        let result = loop {
            if written == self.buf.len() {
                break self.out.flush();
            }
            match self.out.write(&self.buf[written..]) {
                Ok(0) => break Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        match result {
            Ok(()) => {
                self.committed += written as u64;
                self.buf.clear();
                match self.durability {
                    Durability::Fsync => self.out.sync(),
                    Durability::Flush => Ok(()),
                }
            }
            Err(e) => {
                // Keep the lines that went out whole; drop the torn one.
                let whole = self.buf[..written].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                self.committed += whole as u64;
                self.failed = Some(e.kind());
                self.buf.clear();
                if let Err(cut) = self.out.cut_to(self.committed) {
                    tracing::error!("cannot cut the journal back to its last whole line: {cut}");
                }
                Err(e)
            }
        }
    }
}

impl<W: JournalOut> EventSink for JournalWriter<W> {
    fn event(&mut self, ev: &Event, coord: &Coordinator) -> io::Result<()> {
        let extra = &self.header_extra;
        let names = self.names.get_or_insert_with(|| {
            let mut names = Names::new(coord.scenario());
            names.extend_header(extra);
            names
        });
        names.grow(coord.scenario());
        self.line.clear();
        encode(ev, names, &mut self.line);
        self.line.push(b'\n');
        if self.buf.len() + self.line.len() > BUFFER && !self.buf.is_empty() {
            self.write_out()?;
        }
        self.still_writable()?;
        self.buf.extend_from_slice(&self.line);
        self.lines += 1;
        Ok(())
    }

    fn step_done(&mut self) -> io::Result<()> {
        if self.buf.is_empty() { Ok(()) } else { self.write_out() }
    }

    fn finish(&mut self) -> io::Result<()> {
        self.write_out()
    }
}
