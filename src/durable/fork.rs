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

use crate::journal::JournalWriter;

use crate::runtime::{EventSink, SimRun};
use crate::tui::cmdline::{self, Parsed};

/// Applies `:` commands (the leading `:` optional) at the run's current instant, as `who`.
/// Refused actions are recorded like the console's (`command_refused`); a command that does not
/// parse, or is not an action on the run, is an error naming it.
pub fn apply(sim: &mut SimRun, commands: &[String], who: &str, sink: &mut impl EventSink) -> Result<(), String> {
    for text in commands {
        let line = text.trim().trim_start_matches(':');
        let parsed = cmdline::parse(line, sim.coordinator()).map_err(|e| format!("`{text}`: {e}"))?;
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
            Parsed::Filter(_) | Parsed::Quit | Parsed::Help | Parsed::Goto(_) | Parsed::Fork => {
                return Err(format!("`{text}`: only commands that act on the run apply to a fork"));
            }
        }
    }
    Ok(())
}

/// A live run's fork journal, `new`: the source's header with `forked_from`, and its lines up to
/// event `at` as written. A live run cannot be run again to its fork point: the fork folds them
/// and goes on like `resume` (its agents start again; what was in flight is done again). Returns
/// the writer appending to it (locked; `WouldBlock` if another writer holds it).
pub fn live_journal(source: &Path, new: &Path, at: usize, sha: &str) -> io::Result<JournalWriter<File>> {
    let text = std::fs::read_to_string(source)?;
    let mut lines = text.split_inclusive('\n');
    let header = lines.next().unwrap_or_default();
    let forked = format!(",\"forked_from\":{{\"journal_sha256\":\"{sha}\",\"seq\":{at}}},\"scenario\":");
    let mut out = header.replacen(",\"scenario\":", &forked, 1);
    out.extend(lines.take(at));
    // Created and locked first (refused if another writer holds it), then filled, then appended to.
    drop(JournalWriter::create(new)?);
    std::fs::write(new, &out)?;
    JournalWriter::append(new, out.len() as u64)
}
