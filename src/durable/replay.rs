//! The run as of one event of its journal: the coordinator folded up to that event (included),
//! and its report.

use super::timeline::Timeline;
use crate::core::event::VoteEvent;
use crate::core::{Coordinator, Event, EventKind};
use crate::journal::file::Journal;
use crate::report::Report;
use crate::scenario::Scenario;

/// Which event a cursor names: `#SEQ`, or the last event at or before a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Seq(u64),
    TimeMs(u64),
}

impl Cursor {
    /// `SEQ` (a number), `#SEQ`, or a time: `12.5s`, `800ms`.
    pub fn parse(text: &str) -> Result<Cursor, String> {
        let t = text.trim();
        let bad = || format!("`{text}` is not an event (`SEQ`, `#SEQ`) or a time (`12.5s`, `800ms`)");
        if let Some(ms) = t.strip_suffix("ms") {
            return ms.trim().parse::<u64>().map(Cursor::TimeMs).map_err(|_| bad());
        }
        if let Some(s) = t.strip_suffix('s') {
            let secs: f64 = s.trim().parse().map_err(|_| bad())?;
            if !(0.0..1e15).contains(&secs) {
                return Err(bad());
            }
            return Ok(Cursor::TimeMs((secs * 1000.0).round() as u64));
        }
        t.strip_prefix('#').unwrap_or(t).parse::<u64>().map(Cursor::Seq).map_err(|_| bad())
    }

    /// The index of the event it names in `events`, or why there is none.
    pub fn resolve(self, events: &[Event]) -> Result<usize, String> {
        let last = events.len().checked_sub(1).ok_or("the journal has no events")?;
        match self {
            Cursor::Seq(seq) => usize::try_from(seq)
                .ok()
                .filter(|&i| i <= last)
                .ok_or_else(|| format!("there is no event #{seq}: the journal ends at #{last}")),
            Cursor::TimeMs(t) => {
                // Events are in time order: the last one at or before `t`.
                let after = events.partition_point(|e| e.t_ms <= t);
                after.checked_sub(1).ok_or_else(|| format!("no event happened by {t} ms"))
            }
        }
    }
}

/// The coordinator as of `events[at]` (that event included).
pub fn state_at(journal: &Journal, at: usize) -> Coordinator {
    Coordinator::from_events(journal.header.scenario.clone(), &journal.events[..=at])
}

/// The report of the run as of `events[at]`: the same format as `run --report`, with `outcome`
/// `running` when the run had not ended by then.
pub fn report_at(coord: &Coordinator) -> Report<'_> {
    let mut report = Report::build(coord);
    if report.outcome == "unfinished" {
        report.outcome = "running";
    }
    report
}

/// The journal's run on a timeline (the coordinator's state at any event).
pub fn timeline_of(journal: &Journal) -> Timeline<Coordinator> {
    Timeline::new(journal.events.clone(), Coordinator::new(starting_scenario(journal)))
}

/// The scenario the journal's run started with: the tasks `run_started` counts (planners' tasks
/// come with their events).
pub fn starting_scenario(journal: &Journal) -> Scenario {
    let mut scenario = journal.header.scenario.clone();
    if let Some(Event { kind: EventKind::RunStarted { tasks, .. }, .. }) = journal.events.first() {
        scenario.tasks.truncate(*tasks as usize);
    }
    scenario
}

/// Whether an event is one a replay's `{` / `}` stop at: a failure, an escalation, a crash or a
/// loss, an operator action, a decision, or the end of the run.
pub fn is_notable(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::AttemptFailed { .. }
            | EventKind::AttemptTimedOut { .. }
            | EventKind::TaskFailed { .. }
            | EventKind::TaskEscalated { .. }
            | EventKind::AgentCrashed { .. }
            | EventKind::AgentLost { .. }
            | EventKind::AgentExited { .. }
            | EventKind::AgentRejected { .. }
            | EventKind::OperatorAction { .. }
            | EventKind::CommandRefused { .. }
            | EventKind::Vote(VoteEvent::ProposalDecided { .. })
            | EventKind::RunInterrupted { .. }
            | EventKind::HorizonReached { .. }
            | EventKind::RunFinished { .. }
    )
}
