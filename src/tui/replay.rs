//! The console on a recorded run (`switchyard replay JOURNAL`): read-only, with a cursor on the
//! journal's timeline. Every pane shows the run as of the cursor — the coordinator folded up to
//! that event and the console's view model with it — taken from a [`Timeline`] that keeps
//! snapshots, so a jump anywhere is one short fold.
//!
//! Keys (by default; see `keymap.rs`): `[` / `]` one event back / forward, `{` / `}` the previous
//! / next notable event (a failure, an escalation, a crash or loss, an operator action, a decision,
//! the end), Space plays forward at the run's speed (`+` / `-` as usual), `Home` / `End` the first
//! / last event.
//! Commands: `:goto #SEQ`, `:goto 12.5s`, `:goto TASK` (its last event), `:goto failure` (the
//! first failure). A journal still being written is read again when the cursor reaches its end
//! (`End`, or playing): playing then follows the run as it goes.

use super::app::{App, ConsoleOptions, StatusKind};
use super::keymap::Action;
use super::view::View;
use crate::core::{Coordinator, Event, EventKind};
use crate::durable::replay::{Cursor, is_notable};
use crate::durable::timeline::{Folds, Timeline};
use crate::journal::file::Journal;
use crate::runtime::SimRun;

/// What the console shows as of an event: the coordinator and the view model.
#[derive(Clone)]
pub struct Frame {
    coord: Coordinator,
    view: View,
}

impl Folds for Frame {
    fn fold(&mut self, ev: &Event) {
        self.coord.apply_recorded(ev);
        self.view.fold(ev);
    }
}

/// A replay's cursor and timeline.
pub struct Replay {
    timeline: Timeline<Frame>,
    /// The journal's scenario as it embeds it (what a fork runs again).
    scenario: crate::scenario::Scenario,
    /// The journal file and its SHA-256 (of its whole lines), for a fork's `forked_from`.
    pub source: Option<(std::path::PathBuf, String)>,
    /// The state before the first event (to fold a journal that grew again).
    empty: Frame,
    /// How long the file was when last read: a journal still being written grows.
    read_len: u64,
    /// Space: the cursor moves forward on the run's clock.
    pub playing: bool,
    /// Virtual milliseconds owed to the cursor (speeds below 1).
    carry_ms: f64,
}

impl Replay {
    /// Reads the journal again if it grew since (a run still writing it): true when there are
    /// new events, which the timeline then includes.
    pub fn refresh(&mut self) -> bool {
        let Some((path, _)) = &self.source else { return false };
        if std::fs::metadata(path).map_or(true, |m| m.len() <= self.read_len) {
            return false;
        }
        let Ok(journal) = crate::journal::file::load(path) else { return false };
        self.read_len = journal.whole_len;
        if journal.events.len() <= self.total() {
            return false;
        }
        let at = self.cursor();
        self.timeline = Timeline::new(journal.events, self.empty.clone());
        self.timeline.seek(at);
        true
    }

    /// The event under the cursor.
    pub fn event(&self) -> &Event {
        &self.timeline.events()[self.timeline.cursor()]
    }

    pub fn cursor(&self) -> usize {
        self.timeline.cursor()
    }

    /// Events in the journal.
    pub fn total(&self) -> usize {
        self.timeline.events().len()
    }
}

impl App {
    /// The console on a recorded run, its cursor on the event at `at`.
    pub fn replaying(journal: &Journal, mut opts: ConsoleOptions, at: usize) -> App {
        opts.read_only = true;
        opts.journal = None;
        let scenario = crate::durable::replay::starting_scenario(journal);
        let agents = scenario.agents.len();
        let empty = Frame { coord: Coordinator::new(scenario.clone()), view: View::new(agents) };
        let mut app = App::with_journal(scenario, opts, None);
        // Nothing runs here: no agent process starts, no clock advances.
        app.live = None;
        app.live_pending = false;
        let timeline = Timeline::new(journal.events.clone(), empty.clone());
        let scenario = journal.header.scenario.clone();
        let read_len = journal.whole_len;
        app.replay = Some(Replay { timeline, scenario, source: None, empty, read_len, playing: false, carry_ms: 0.0 });
        app.seek(at);
        app
    }

    /// Moves the cursor to event `to` and shows the run as of it.
    pub fn seek(&mut self, to: usize) {
        let Some(replay) = &mut self.replay else { return };
        let frame = replay.timeline.seek(to).clone();
        self.run = SimRun::frozen(frame.coord, replay.event().t_ms);
        self.sink.view = frame.view;
        self.sink.view.sample_load(self.run.coordinator());
    }

    /// What an action means in a replay: its own (events, fork), and a few of the console's that
    /// act on the replay instead of a run (the first and last rows are the first and last event,
    /// pause plays, the speed is the replay's, quit asks nothing: nothing would be lost). False
    /// when the action is none of these (the console's other keys apply).
    pub(super) fn replay_act(&mut self, action: Action) -> bool {
        let Some(replay) = &mut self.replay else { return false };
        let (at, last) = (replay.cursor(), replay.total() - 1);
        let to = match action {
            Action::EventBack => at.saturating_sub(1),
            Action::EventForward => (at + 1).min(last),
            Action::NotableBack => notable(replay.timeline.events(), at, false).unwrap_or(0),
            Action::NotableForward => notable(replay.timeline.events(), at, true).unwrap_or(last),
            Action::First => 0,
            Action::Last => {
                replay.refresh();
                replay.total() - 1
            }
            Action::Pause => {
                replay.playing = !replay.playing && at < last;
                replay.carry_ms = 0.0;
                return true;
            }
            Action::Faster => {
                self.speed = (self.speed * 2.0).min(1000.0);
                return true;
            }
            Action::Slower => {
                self.speed = (self.speed / 2.0).max(0.01);
                return true;
            }
            Action::Quit => {
                self.quit = true;
                return true;
            }
            Action::Fork => {
                self.fork_here();
                return true;
            }
            _ => return false,
        };
        replay.playing = false;
        self.seek(to);
        true
    }

    /// Playing: the cursor follows the run's clock at the console's speed.
    pub(super) fn replay_tick(&mut self, wall_ms: f64) -> bool {
        let speed = self.speed;
        let Some(replay) = &mut self.replay else { return false };
        if !replay.playing {
            return false;
        }
        replay.carry_ms += wall_ms * speed;
        let step = replay.carry_ms.floor();
        if step < 1.0 {
            return false;
        }
        replay.carry_ms -= step;
        let at = replay.cursor();
        if at + 1 == replay.total() && !replay.refresh() {
            // At the end: a finished run stops playing; one still being written is followed.
            let ended = matches!(
                replay.event().kind,
                EventKind::RunFinished { .. } | EventKind::RunInterrupted { .. } | EventKind::HorizonReached { .. }
            );
            replay.playing = !ended;
            replay.carry_ms = 0.0;
            return false;
        }
        let events = replay.timeline.events();
        let until = replay.event().t_ms.saturating_add(step as u64);
        // The last event at or before the clock, and at least the next one.
        let to = events.partition_point(|e| e.t_ms <= until).saturating_sub(1).max(at + 1).min(events.len() - 1);
        self.seek(to);
        true
    }

    /// `:goto #SEQ | TIME | TASK | failure`.
    pub(super) fn goto(&mut self, target: &str) {
        let Some(replay) = &self.replay else {
            self.status = Some(("goto: only in a replay (switchyard replay JOURNAL)".into(), StatusKind::Error));
            return;
        };
        let events = replay.timeline.events();
        let target = target.trim();
        let found = if target == "failure" {
            events.iter().position(|e| is_failure(&e.kind)).ok_or_else(|| "no failure in this run".to_string())
        } else if let Some(t) = self.coord().scenario().tasks.iter().position(|t| t.id == target) {
            let task = crate::core::TaskId(t as u32);
            events
                .iter()
                .rposition(|e| e.kind.task() == Some(task))
                .ok_or_else(|| format!("no event of task `{target}`"))
        } else {
            Cursor::parse(target).and_then(|c| c.resolve(events))
        };
        match found {
            Ok(at) => {
                if let Some(r) = &mut self.replay {
                    r.playing = false;
                }
                self.seek(at);
            }
            Err(e) => self.status = Some((format!("goto: {e}"), StatusKind::Error)),
        }
    }
}

impl App {
    /// `F` / `:fork`: a new run from the state right after the event under the cursor (the end
    /// of its step), in a journal of its own beside the source (`JOURNAL.fork-SEQ.jsonl`, its
    /// header records `forked_from`), opened in this console — live, paused, not read-only — so
    /// the operator can retry, reassign, revive, vote or veto right there.
    pub(super) fn fork_here(&mut self) {
        let Some(replay) = &self.replay else {
            self.status = Some(("fork: only in a replay (switchyard replay JOURNAL)".into(), StatusKind::Error));
            return;
        };
        let fail = |why: String| Some((format!("fork: {why}"), StatusKind::Error));
        let Some((source, sha)) = replay.source.clone() else {
            self.status = fail("this replay has no journal file to fork from".into());
            return;
        };
        let at = replay.cursor();
        let new = source.with_extension(format!("fork-{at}.jsonl"));
        if crate::runtime::needs_live(&replay.scenario) {
            // Folded, not run again: its agents start again when the console starts it.
            let text = std::fs::read(&source).map(|b| String::from_utf8_lossy(&b).into_owned());
            let written = text.and_then(|text| crate::durable::fork::live_journal(&text, &new, at, &sha));
            let writer = match written {
                Ok(w) => w,
                Err(e) => {
                    self.status = fail(format!("cannot write {}: {e}", new.display()));
                    return;
                }
            };
            let events = &replay.timeline.events()[..=at];
            let coord = Coordinator::from_events(replay.scenario.clone(), events);
            let mut view = View::new(replay.scenario.agents.len());
            events.iter().for_each(|ev| view.fold(ev));
            let sim = SimRun::resumed(coord, events[at].t_ms);
            return self.open_fork(sim, view, writer, at, new, None);
        }
        let mut writer = match crate::journal::JournalWriter::create(&new) {
            Ok(w) => w,
            Err(e) => {
                self.status = fail(format!("cannot create {}: {e}", new.display()));
                return;
            }
        };
        writer.set_forked_from(&sha, at as u64);
        let mut out = ((View::new(replay.scenario.agents.len()), Vec::new()), writer);
        let events = replay.timeline.events();
        let sim = match crate::durable::reexecute::reexecute(replay.scenario.clone(), events, at + 1, &mut out, true) {
            Ok(sim) => sim,
            Err(e) => {
                self.status = fail(e.to_string());
                return;
            }
        };
        let ((view, history), writer) = out;
        self.open_fork(sim, view, writer, at, new, Some(history));
    }

    /// This console goes on with the fork: live, paused, writable.
    fn open_fork(
        &mut self,
        sim: SimRun,
        view: View,
        writer: crate::journal::JournalWriter<std::fs::File>,
        at: usize,
        new: std::path::PathBuf,
        history: Option<Vec<crate::core::Event>>,
    ) {
        let mut opts = self.opts.clone();
        opts.read_only = false;
        opts.journal = Some(new.clone());
        *self = App::continuing(sim, view, opts, Some(writer));
        if let Some(history) = history {
            self.set_history(history);
        }
        self.request(crate::core::OpAction::Pause, Some("forked".into()), true);
        let note = format!(
            "forked at #{at} into {}: paused; act, then {}",
            new.display(),
            self.opts.settings.keys.label(Action::Pause)
        );
        self.status = Some((note, StatusKind::Info));
    }
}

/// The index of the previous (`forward` false) or next notable event from `at`.
fn notable(events: &[Event], at: usize, forward: bool) -> Option<usize> {
    if forward {
        events.iter().skip(at + 1).position(|e| is_notable(&e.kind)).map(|i| at + 1 + i)
    } else {
        events[..at].iter().rposition(|e| is_notable(&e.kind))
    }
}

fn is_failure(kind: &EventKind) -> bool {
    matches!(kind, EventKind::AttemptFailed { .. } | EventKind::AttemptTimedOut { .. } | EventKind::TaskFailed { .. })
}

#[cfg(test)]
mod tests;
