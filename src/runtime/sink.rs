//! Where a driver puts the events it drains from the coordinator.

use std::io;

use crate::core::{Coordinator, Event};

/// Receives every event of a run, in order.
pub trait EventSink {
    /// `coord` is the coordinator after the event was applied (for names and context).
    fn event(&mut self, ev: &Event, coord: &Coordinator) -> io::Result<()>;

    /// A driver step of a live or console run ended: a durable sink writes out what it holds
    /// (headless simulated runs never call it, and keep their big buffers).
    fn step_done(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called once when the run stops, normally or not.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// True if the sink drops every event unseen: a driver may then not hand it any.
    fn discards(&self) -> bool {
        false
    }
}

/// Discards events (the coordinator's own state is all that is needed).
impl EventSink for () {
    fn event(&mut self, _: &Event, _: &Coordinator) -> io::Result<()> {
        Ok(())
    }

    fn discards(&self) -> bool {
        true
    }
}

/// Collects events in memory (tests, the console's history).
impl EventSink for Vec<Event> {
    fn event(&mut self, ev: &Event, _: &Coordinator) -> io::Result<()> {
        self.push(ev.clone());
        Ok(())
    }
}

impl<A: EventSink, B: EventSink> EventSink for (A, B) {
    fn event(&mut self, ev: &Event, coord: &Coordinator) -> io::Result<()> {
        self.0.event(ev, coord)?;
        self.1.event(ev, coord)
    }

    fn step_done(&mut self) -> io::Result<()> {
        let a = self.0.step_done();
        let b = self.1.step_done();
        a.and(b)
    }

    fn finish(&mut self) -> io::Result<()> {
        let a = self.0.finish();
        let b = self.1.finish();
        a.and(b)
    }
}

/// An optional sink (a journal the user may not have asked for).
impl<S: EventSink> EventSink for Option<S> {
    fn event(&mut self, ev: &Event, coord: &Coordinator) -> io::Result<()> {
        match self {
            Some(s) => s.event(ev, coord),
            None => Ok(()),
        }
    }

    fn step_done(&mut self) -> io::Result<()> {
        match self {
            Some(s) => s.step_done(),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        match self {
            Some(s) => s.finish(),
            None => Ok(()),
        }
    }
}
