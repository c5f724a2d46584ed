//! A recorded run on a timeline: the state as of any event, quickly.
//!
//! The state after event `i` is a fold of the events up to it. Folding a million events from the
//! start for every move of a cursor would be slow, so the timeline keeps **snapshots** — copies
//! of the state every `every` events — and folds forward from the nearest one at or before the
//! cursor; moving forward from where it already is folds only the events in between. The spacing
//! grows with the journal so that the snapshots stay few (their memory is a copy of the state
//! each) while a jump folds at most `every` events.

use crate::core::{Coordinator, Event};

/// A state that recorded events fold into (the coordinator; the console adds its view).
pub trait Folds: Clone {
    fn fold(&mut self, ev: &Event);
}

impl Folds for Coordinator {
    fn fold(&mut self, ev: &Event) {
        self.apply_recorded(ev);
    }
}

/// Events between snapshots: at least this many …
pub const MIN_EVERY: usize = 4096;
/// … and at most this many snapshots in all.
pub const MAX_SNAPSHOTS: usize = 16;

/// A run's events with snapshots of its state.
pub struct Timeline<S: Folds> {
    events: Vec<Event>,
    /// `snapshots[k]` is the state before event `k × every` (the first: before any event).
    snapshots: Vec<S>,
    every: usize,
    /// The state after event `at`, kept for moves forward.
    current: S,
    at: usize,
}

impl<S: Folds> Timeline<S> {
    /// Folds `events` once into `empty` (the state before the first event), keeping snapshots.
    /// There must be at least one event.
    pub fn new(events: Vec<Event>, empty: S) -> Timeline<S> {
        assert!(!events.is_empty(), "a timeline needs an event");
        let every = events.len().div_ceil(MAX_SNAPSHOTS).max(MIN_EVERY);
        let mut snapshots = Vec::with_capacity(events.len() / every + 1);
        let mut state = empty;
        for (i, ev) in events.iter().enumerate() {
            if i % every == 0 {
                snapshots.push(state.clone());
            }
            state.fold(ev);
        }
        let at = events.len() - 1;
        Timeline { events, snapshots, every, current: state, at }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Where the cursor is: the index of the last event folded into [`Timeline::state`].
    pub fn cursor(&self) -> usize {
        self.at
    }

    /// The state after the event under the cursor.
    pub fn state(&self) -> &S {
        &self.current
    }

    /// Moves the cursor to event `to` (clamped to the last) and returns the state after it.
    pub fn seek(&mut self, to: usize) -> &S {
        let to = to.min(self.events.len() - 1);
        // From where we are when it is ahead and no snapshot is nearer; else from the snapshot.
        let snap = to / self.every;
        let from_snapshot = snap * self.every;
        if to < self.at || from_snapshot > self.at + 1 {
            self.current = self.snapshots[snap].clone();
            for ev in &self.events[from_snapshot..=to] {
                self.current.fold(ev);
            }
        } else {
            for ev in &self.events[self.at + 1..=to] {
                self.current.fold(ev);
            }
        }
        self.at = to;
        &self.current
    }
}
