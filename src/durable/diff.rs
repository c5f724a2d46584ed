//! Where two runs part: the first event at which two journals differ, with the events just
//! before it and both sides, then the tasks whose outcome differs.
//!
//! Event lines are compared as written, from the line after the header: the header embeds each
//! run's scenario and seed, which differ between a run and its variant by design (what differs
//! there is listed as a note). A fork repeats its source's events up to its fork point, so it is
//! compared from there like any other run.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::core::Coordinator;
use crate::journal::file::Journal;
use crate::report::Report;

/// Events shown before the divergence.
pub const CONTEXT: usize = 3;

/// One side of the comparison: the journal read, and its lines as written.
pub struct Side<'a> {
    pub name: &'a str,
    pub journal: &'a Journal,
    pub lines: Vec<&'a str>,
}

/// What `diff` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The seq of the first event that differs, if any does.
    pub diverges_at: Option<usize>,
    /// The text to print.
    pub text: String,
}

/// Compares two runs.
pub fn compare(a: &Side, b: &Side) -> Comparison {
    let mut text = String::new();
    header_notes(a, b, &mut text);
    let n = a.lines.len().max(b.lines.len());
    let at = (1..n).find(|&i| a.lines.get(i) != b.lines.get(i));
    let Some(at) = at else {
        let _ = writeln!(text, "no divergence: both journals have the same {} events", a.lines.len());
        return Comparison { diverges_at: None, text };
    };
    let when = a.journal.events.get(at).or_else(|| b.journal.events.get(at)).map_or(0, |e| e.t_ms);
    let _ = writeln!(text, "the journals diverge at #{at} (t = {when} ms)");
    for i in at.saturating_sub(CONTEXT).max(1)..at {
        let _ = writeln!(text, "  #{i:<6} {}", a.lines[i]);
    }
    for side in [a, b] {
        let line = side.lines.get(at).copied().unwrap_or("(the journal ends here)");
        let _ = writeln!(text, "  {}: #{at:<3} {line}", side.name);
    }
    outcome_differences(a, b, &mut text);
    Comparison { diverges_at: Some(at), text }
}

/// Differences of the headers that are not events: the scenario, its seed, the version.
fn header_notes(a: &Side, b: &Side, text: &mut String) {
    let (ha, hb) = (&a.journal.header, &b.journal.header);
    if ha.scenario.seed != hb.scenario.seed {
        let _ =
            writeln!(text, "note: seeds differ ({}: {}, {}: {})", a.name, ha.scenario.seed, b.name, hb.scenario.seed);
    }
    let mut other = ha.scenario.clone();
    other.seed = hb.scenario.seed;
    if other != hb.scenario {
        let _ = writeln!(text, "note: the runs' scenarios differ (beyond the seed)");
    }
    for side in [a, b] {
        if let Some((_, seq)) = &side.journal.header.forked_from {
            let _ = writeln!(text, "note: {} is a fork, at #{seq}", side.name);
        }
    }
    if ha.switchyard != hb.switchyard {
        let _ = writeln!(text, "note: written by switchyard {} and {}", ha.switchyard, hb.switchyard);
    }
}

/// The tasks whose end differs: state, agent, reason, by task id.
fn outcome_differences(a: &Side, b: &Side, text: &mut String) {
    let fold = |j: &Journal| Coordinator::from_events(j.header.scenario.clone(), &j.events);
    let (ca, cb) = (fold(a.journal), fold(b.journal));
    let describe = |r: &Report| -> BTreeMap<String, String> {
        r.tasks
            .iter()
            .map(|t| {
                let mut d = t.state.to_string();
                if let Some(agent) = t.agent {
                    let _ = write!(d, " on {agent}");
                }
                if let Some(reason) = &t.reason {
                    let _ = write!(d, " ({reason})");
                }
                (t.id.to_string(), d)
            })
            .collect()
    };
    let (ra, rb) = (describe(&Report::build(&ca)), describe(&Report::build(&cb)));
    let mut ids: Vec<&String> = ra.keys().chain(rb.keys()).collect();
    ids.sort();
    ids.dedup();
    let differing: Vec<&String> = ids.into_iter().filter(|id| ra.get(*id) != rb.get(*id)).collect();
    if differing.is_empty() {
        let _ = writeln!(text, "every task ends the same way in both");
        return;
    }
    let _ = writeln!(text, "tasks whose outcome differs ({}):", differing.len());
    let none = "(no such task)".to_string();
    for id in differing {
        let (x, y) = (ra.get(id).unwrap_or(&none), rb.get(id).unwrap_or(&none));
        let _ = writeln!(text, "  {id}: {}: {x} | {}: {y}", a.name, b.name);
    }
}
