//! A journal file as the record of a run: its header (the scenario it embeds), its events, and
//! what a crash may have left at its end.
//!
//! A process that dies while writing may leave the last line torn: it is dropped, and
//! [`Journal::torn_at`] says where (`journal ends mid-line at byte N: dropped`). A bad line anywhere
//! else is an error naming its line.

use std::fmt;
use std::path::Path;

use super::header::{self, Header};
use super::reader::read_journal;
use crate::core::Event;

/// A journal read whole.
#[derive(Debug, Clone)]
pub struct Journal {
    pub header: Header,
    pub events: Vec<Event>,
    /// The byte offset of a torn last line that was dropped.
    pub torn_at: Option<u64>,
    /// Bytes of the whole lines read (where a writer appending to it would go on).
    pub whole_len: u64,
}

impl Journal {
    /// The note to print when the last line was torn.
    pub fn torn_note(&self) -> Option<String> {
        self.torn_at.map(|n| format!("journal ends mid-line at byte {n}: dropped"))
    }
}

/// Why a journal file cannot be used: the file, the line (0: the file as a whole) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalFileError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for JournalFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.path, self.message),
            n => write!(f, "{}:{n}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for JournalFileError {}

/// Reads and checks a journal file.
pub fn load(path: &Path) -> Result<Journal, JournalFileError> {
    load_with_text(path).map(|(journal, _)| journal)
}

/// [`load`], keeping the journal's whole lines as read (for a diff, or a fork's `forked_from`
/// hash), so that nobody reads the file twice.
pub fn load_with_text(path: &Path) -> Result<(Journal, String), JournalFileError> {
    let shown = path.display().to_string();
    let err = |line: usize, message: String| JournalFileError { path: shown.clone(), line, message };
    let meta = std::fs::metadata(path).map_err(|e| err(0, format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(err(0, "is a directory, not a journal".into()));
    }
    // A journal is a file: a device (`/dev/zero`) or a pipe would be read without end.
    if !meta.is_file() {
        return Err(err(0, "is not a regular file, not a journal".into()));
    }
    let mut bytes = std::fs::read(path).map_err(|e| err(0, format!("cannot read: {e}")))?;
    let journal = parse(&bytes).map_err(|(line, message)| err(line, message))?;
    // `parse` checked the whole lines are UTF-8; the torn tail goes.
    bytes.truncate(usize::try_from(journal.whole_len).unwrap_or(bytes.len()));
    let text = String::from_utf8(bytes).map_err(|_| err(0, "not UTF-8 text: not a journal".into()))?;
    Ok((journal, text))
}

/// Reads a journal from its bytes; errors are `(line, message)`, line 0 for the whole.
pub fn parse(bytes: &[u8]) -> Result<Journal, (usize, String)> {
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let torn_at = (whole < bytes.len()).then_some(whole as u64);
    let text = std::str::from_utf8(&bytes[..whole])
        .map_err(|e| (line_of(&bytes[..e.valid_up_to()]), "not UTF-8 text: not a journal".to_string()))?;
    let Some(first) = text.lines().next() else {
        return Err((0, if torn_at.is_some() { "holds no whole line" } else { "is empty" }.to_string()));
    };
    let value: serde_json::Value =
        serde_json::from_str(first).map_err(|e| (1, format!("not a Switchyard journal: not JSON ({e})")))?;
    let header = header::decode(&value).map_err(|m| (1, m))?;
    let events = read_journal(&header.scenario, text).map_err(|e| (e.line, e.message))?;
    Ok(Journal { header, events, torn_at, whole_len: whole as u64 })
}

/// The 1-based line of the byte after `before`.
fn line_of(before: &[u8]) -> usize {
    before.iter().filter(|&&b| b == b'\n').count() + 1
}
