//! "Rewind and amend": a new run that starts from the state right after an event of a recorded
//! run, with operator commands applied at that instant.
//!
//! The fork is brought to its point by running the source's scenario again ([`super::reexecute`]),
//! writing every event into its own journal (so the fork's journal is self-contained and repeats
//! the source's events up to the fork point); its header records `forked_from`. The commands are
//! the console's `:` commands, parsed by the same parser, so a fork can do whatever the operator
//! could have done there. The point is the end of the step the chosen event belongs to: a step's
//! events are one change (an attempt failing and its retry being scheduled), never split.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::journal::{JournalWriter, header};

use crate::core::{Coordinator, OpAction};
use crate::runtime::{EventSink, SimRun};
use crate::tui::cmdline::{self, Parsed};

/// Parses one `:` command (the leading `:` optional) for a fork: an error names the command, and
/// says so when it does not act on the run (`:filter`, `:quit` …) or cannot apply to a fork
/// (`:restart`).
pub fn check(text: &str, coord: &Coordinator) -> Result<Parsed, String> {
    let line = text.trim().trim_start_matches(':');
    match cmdline::parse(line, coord).map_err(|e| format!("`{text}`: {e}"))? {
        Parsed::Op(OpAction::Restart, _) => {
            Err(format!("`{text}`: a fork is a run of its own; restart the source instead"))
        }
        Parsed::Filter(_) | Parsed::Quit | Parsed::Help | Parsed::Goto(_) | Parsed::Fork | Parsed::WhatIf(_) => {
            Err(format!("`{text}`: only commands that act on the run apply to a fork"))
        }
        parsed => Ok(parsed),
    }
}

/// Applies `:` commands at the run's current instant, as `who`. Refused actions are recorded
/// like the console's (`command_refused`); a command [`check`] refuses is an error naming it.
pub fn apply(sim: &mut SimRun, commands: &[String], who: &str, sink: &mut impl EventSink) -> Result<(), String> {
    for text in commands {
        let parsed = check(text, sim.coordinator())?;
        let io = |e: io::Error| format!("`{text}`: {e}");
        match parsed {
            Parsed::Op(action, reason) => {
                let _ = sim.operator(action, who, reason.as_deref(), sink).map_err(io)?;
            }
            Parsed::Ops(actions, reason) => {
                for action in actions {
                    let _ = sim.operator(action, who, reason.as_deref(), sink).map_err(io)?;
                }
            }
            Parsed::Broadcast(to, message) => {
                let to = to.map(|c| std::sync::Arc::from(c.as_str()));
                let origin = crate::core::Origin::Operator;
                sim.mark(sink, |c, now| c.broadcast(now, to, message.as_str().into(), origin)).map_err(io)?;
            }
            Parsed::Filter(_) | Parsed::Quit | Parsed::Help | Parsed::Goto(_) | Parsed::Fork | Parsed::WhatIf(_) => {
                unreachable!("`check` refuses commands that do not act on the run")
            }
        }
    }
    Ok(())
}

/// A live run's fork journal, `new`: the source's header (from `source`, its journal's whole
/// lines) with `forked_from`, and its lines up to event `at` as written. A live run cannot be run again to its fork point: the fork folds them
/// and goes on like `resume` (its agents start again; what was in flight is done again). Returns
/// the writer appending to it (locked; `WouldBlock` if another writer holds it).
pub fn live_journal(source: &str, new: &Path, at: usize, sha: &str) -> io::Result<JournalWriter<File>> {
    let mut lines = source.split_inclusive('\n');
    let mut out = lines.next().unwrap_or_default().as_bytes().to_vec();
    header::insert_field(&mut out, header::forked_from_field(sha, at as u64).as_bytes());
    lines.take(at).for_each(|l| out.extend_from_slice(l.as_bytes()));
    // Created and locked first (refused if another writer holds it), then filled, then appended to.
    drop(JournalWriter::create(new)?);
    std::fs::write(new, &out)?;
    JournalWriter::append(new, out.len() as u64)
}
