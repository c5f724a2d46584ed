//! The commands on a journal: `replay --at … --report …` and `diff A B` (the CLI side of
//! `switchyard::durable`).

use std::io::{self, Write};
use std::path::Path;

use switchyard::durable::diff::{self, Side};
use switchyard::durable::replay::{self, Cursor};
use switchyard::journal::file::{self, Journal};

use crate::cli_output::{Named, distinct_paths, out, stdout_failed, warn};
use crate::exit;

/// Reads a journal, saying on stderr when its torn last line was dropped.
pub fn load(path: &Path) -> Result<Journal, u8> {
    match file::load(path) {
        Ok(journal) => {
            if let Some(note) = journal.torn_note() {
                warn(format_args!("switchyard: {}: {note}", path.display()));
            }
            Ok(journal)
        }
        Err(e) => {
            warn(format_args!("switchyard: {e}"));
            Err(exit::BAD_INPUT)
        }
    }
}

/// `replay JOURNAL --at CURSOR --report PATH`: the report of the run as of that event.
pub fn replay_report(path: &Path, at: &str, report: &Path) -> u8 {
    let cursor = match Cursor::parse(at) {
        Ok(c) => c,
        Err(e) => {
            warn(format_args!("switchyard replay: --at: {e}"));
            return exit::BAD_INPUT;
        }
    };
    let paths = [Named { option: "the journal", path }, Named { option: "--report", path: report }];
    if let Err(e) = distinct_paths(&paths) {
        warn(format_args!("switchyard replay: {e}"));
        return exit::BAD_INPUT;
    }
    let journal = match load(path) {
        Ok(j) => j,
        Err(code) => return code,
    };
    let at = match cursor.resolve(&journal.events) {
        Ok(i) => i,
        Err(e) => {
            warn(format_args!("switchyard replay: {}: {e}", path.display()));
            return exit::BAD_INPUT;
        }
    };
    let coord = replay::state_at(&journal, at);
    let summary = replay::report_at(&coord);
    let written = std::fs::File::create(report).and_then(|f| {
        let mut out = io::BufWriter::new(f);
        serde_json::to_writer_pretty(&mut out, &summary).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
        out.flush()
    });
    if let Err(e) = written {
        warn(format_args!("switchyard replay: cannot write report {}: {e}", report.display()));
        return exit::OUTPUT_ERROR;
    }
    exit::OK
}

/// `diff A B`: 0 when the runs do not diverge, 1 when they do, 2 for bad input.
pub fn diff(a: &Path, b: &Path) -> u8 {
    let read = |p: &Path| -> Result<(Journal, String), u8> {
        let journal = load(p)?;
        let text = std::fs::read(p).map_err(|e| {
            warn(format_args!("switchyard diff: {}: {e}", p.display()));
            exit::BAD_INPUT
        })?;
        // `load` checked it: whole lines of UTF-8 up to `whole_len`.
        let whole = usize::try_from(journal.whole_len).unwrap_or(text.len()).min(text.len());
        Ok((journal, String::from_utf8_lossy(&text[..whole]).into_owned()))
    };
    let ((ja, ta), (jb, tb)) = match (read(a), read(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let (na, nb) = (a.display().to_string(), b.display().to_string());
    let sa = Side { name: &na, journal: &ja, lines: ta.lines().collect() };
    let sb = Side { name: &nb, journal: &jb, lines: tb.lines().collect() };
    let found = diff::compare(&sa, &sb);
    if let Err(e) = out(format_args!("{}", found.text)) {
        stdout_failed(" diff", &e);
        return exit::OUTPUT_ERROR;
    }
    if found.diverges_at.is_some() { exit::WORKFLOW_FAILED } else { exit::OK }
}
