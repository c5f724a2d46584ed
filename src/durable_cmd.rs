//! The commands on a journal: `resume`, `replay --at … --report …` and `diff A B` (the CLI side
//! of `switchyard::durable`).

use std::io::{self, Write};
use std::path::Path;

use switchyard::core::{EventKind, OpAction};
use switchyard::durable::diff::{self, Side};
use switchyard::durable::reexecute::{self, ReexecError};
use switchyard::durable::replay::{self, Cursor};
use switchyard::journal::file::{self, Journal};
use switchyard::journal::{Durability, JournalWriter};
use switchyard::runtime::{Horizon, interrupt, needs_live};

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

/// What `resume` was asked to do.
pub struct Resume<'a> {
    pub journal: &'a Path,
    pub report: Option<&'a Path>,
    pub rows: usize,
    pub horizon: (Option<u64>, Option<u64>),
    pub durability: Durability,
}

/// `resume JOURNAL --headless`: a simulated run brought back to the journal's last event (by
/// running it again, checked event by event) and carried on to its end, appending to the file.
pub fn resume_headless(args: Resume) -> u8 {
    let path = args.journal;
    let journal = match load(path) {
        Ok(j) => j,
        Err(code) => return code,
    };
    let scenario = journal.header.scenario.clone();
    if let Some(last) = journal.events.last()
        && let EventKind::RunFinished { outcome, makespan_ms, .. } = last.kind
    {
        let done = format!("nothing to resume: {} finished at {makespan_ms} ms ({})\n", scenario.name, outcome.name());
        return match out(format_args!("{done}")) {
            Ok(()) => exit::OK,
            Err(e) => {
                stdout_failed(" resume", &e);
                exit::OUTPUT_ERROR
            }
        };
    }
    if journal.events.iter().any(|e| matches!(e.kind, EventKind::OperatorAction { action: OpAction::Restart, .. })) {
        warn(format_args!(
            "switchyard resume: {}: the operator restarted this run; the journal of the restart is its own file",
            path.display()
        ));
        return exit::BAD_INPUT;
    }
    if needs_live(&scenario) {
        warn(format_args!(
            "switchyard resume: {}: the run has real agents; resuming live runs is not supported yet",
            path.display()
        ));
        return exit::BAD_INPUT;
    }
    let mut writer = match JournalWriter::append(path, journal.whole_len) {
        Ok(w) => w,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            warn(format_args!("switchyard resume: refusing to write journal {}: {e}", path.display()));
            return exit::BAD_INPUT;
        }
        Err(e) => {
            warn(format_args!("switchyard resume: cannot write journal {}: {e}", path.display()));
            return exit::BAD_INPUT;
        }
    };
    writer.set_durability(args.durability);
    let upto = journal.events.len();
    let mut sim = match reexecute::reexecute(scenario.clone(), &journal.events, upto, &mut writer, false) {
        Ok(sim) => sim,
        Err(ReexecError::Diverged(d)) => {
            warn(format_args!(
                "switchyard resume: {}: the journal does not match its scenario's simulation at {d}",
                path.display()
            ));
            return exit::BAD_INPUT;
        }
        Err(ReexecError::Output(e)) => {
            warn(format_args!("switchyard resume: cannot write journal {}: {e}", path.display()));
            return exit::OUTPUT_ERROR;
        }
    };
    sim.set_fail_on_stall(true);
    sim.set_horizon(Horizon::new(&scenario, args.horizon.0, args.horizon.1));
    let interrupted = match sim.run_interruptible(&mut writer, interrupt::received) {
        Ok(signal) => signal,
        Err(e) => {
            warn(format_args!("switchyard resume: cannot write journal {}: {e}", path.display()));
            return exit::OUTPUT_ERROR;
        }
    };
    drop(writer);
    crate::conclude(sim.coordinator(), sim.horizon_stop(), interrupted, args.report, args.rows)
}
