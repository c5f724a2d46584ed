//! Bringing a simulated run back to a point of its journal by running it again.
//!
//! A simulated run is a function of its scenario, its seed and the operator's inputs, and the
//! journal holds all three (the header embeds the scenario with its seed; operator actions are
//! events). So instead of deriving the simulation driver's queue from a folded state, we run the
//! simulation again from the start and check every event it produces against the journal, line
//! for line, feeding it the operator's actions at the instants they were taken. Where the two
//! disagree the journal does not belong to this build's simulation of its scenario, and we say so
//! rather than continue from a state nobody recorded. The cost is a fresh run up to the point,
//! which a simulated run does at over a million events a second. (Temporal replays workflow code
//! against its history the same way.)
//!
//! What the journal records that the simulation does not produce by itself is given back to it
//! as input: an operator's command (`operator_action`, or its `command_refused`), an operator's
//! broadcast, a stall the console waited out and a headless run did not, and the markers of a
//! stop (`run_interrupted`, `horizon_reached`), which the coordinator records again and goes on.

use std::fmt;
use std::io;

use crate::core::event::TaskFailure;
use crate::core::{Event, EventKind, Origin, Refusal};
use crate::protocols::teams::TeamEvent;
use crate::runtime::{EventSink, SimRun};
use crate::scenario::Scenario;

/// Where the simulation and the journal disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    pub seq: usize,
    pub message: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}: {}", self.seq, self.message)
    }
}

/// Checks each event against the journal's while there are recorded ones to check, and hands
/// them (`forward_checked`) and every later one to `out`.
struct Checked<'a, S> {
    expected: &'a [Event],
    next: usize,
    out: &'a mut S,
    forward_checked: bool,
    divergence: Option<Divergence>,
}

impl<S: EventSink> EventSink for Checked<'_, S> {
    fn event(&mut self, ev: &Event, coord: &crate::core::Coordinator) -> io::Result<()> {
        let Some(want) = self.expected.get(self.next) else { return self.out.event(ev, coord) };
        if want != ev {
            let message = format!(
                "the journal has `{}` at {} ms; running its scenario again gives `{}` at {} ms",
                want.kind.name(),
                want.t_ms,
                ev.kind.name(),
                ev.t_ms
            );
            self.divergence = Some(Divergence { seq: self.next, message });
            return Err(io::Error::other("the journal and the simulation diverge"));
        }
        self.next += 1;
        if self.forward_checked { self.out.event(ev, coord) } else { Ok(()) }
    }

    fn step_done(&mut self) -> io::Result<()> {
        self.out.step_done()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.finish()
    }
}

/// Why bringing the run back failed.
#[derive(Debug)]
pub enum ReexecError {
    /// The journal is not what its scenario's simulation gives.
    Diverged(Divergence),
    /// The sink (a journal being written) failed.
    Output(io::Error),
}

impl fmt::Display for ReexecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReexecError::Diverged(d) => write!(f, "the journal does not match its scenario's simulation at {d}"),
            ReexecError::Output(e) => write!(f, "{e}"),
        }
    }
}

/// Runs `scenario` again through `expected[..upto]` and on to the end of the step that produced
/// `expected[upto - 1]` (a step's events are one change: what it produced after that event goes
/// to `out` too). `forward_checked` also hands `out` the events that matched the journal (a fork
/// writes them into its own journal; a resume has them already). Returns the simulation there,
/// waiting like the console does (`fail_on_stall` off): the caller sets what it needs.
pub fn reexecute(
    scenario: Scenario,
    expected: &[Event],
    upto: usize,
    out: &mut impl EventSink,
    forward_checked: bool,
) -> Result<SimRun, ReexecError> {
    let mut sim = SimRun::new(scenario);
    sim.set_fail_on_stall(false);
    let mut sink = Checked { expected: &expected[..upto], next: 0, out, forward_checked, divergence: None };
    let result = drive(&mut sim, &mut sink, upto);
    match (result, sink.divergence.take()) {
        (_, Some(d)) => Err(ReexecError::Diverged(d)),
        (Err(e), None) => Err(ReexecError::Output(e)),
        (Ok(()), None) => Ok(sim),
    }
}

fn drive<S: EventSink>(sim: &mut SimRun, sink: &mut Checked<S>, upto: usize) -> io::Result<()> {
    let mut idle = 0u32;
    while sink.next < upto {
        let before = sink.next;
        let want = sink.expected[sink.next].clone();
        input(sim, sink, &want)?;
        if sink.next == before {
            // Nothing was produced: the simulation stalled short of the journal.
            idle += 1;
            if sim.is_done() || idle > 1_000_000 {
                let message = format!(
                    "the journal goes on with `{}` at {} ms, but running its scenario again stops at {} ms",
                    want.kind.name(),
                    want.t_ms,
                    sim.now()
                );
                sink.divergence = Some(Divergence { seq: sink.next, message });
                return Err(io::Error::other("the journal and the simulation diverge"));
            }
        } else {
            idle = 0;
        }
    }
    Ok(())
}

/// Gives the simulation what it needs to produce `want`, the next recorded event.
fn input<S: EventSink>(sim: &mut SimRun, sink: &mut Checked<S>, want: &Event) -> io::Result<()> {
    match &want.kind {
        EventKind::OperatorAction { who, action, reason } => {
            sim.advance_to(want.t_ms, sink)?;
            if at(sink, want) {
                let _ = sim.operator(*action, who, reason.as_deref(), sink)?;
            }
        }
        EventKind::CommandRefused { origin: Origin::Operator, action: Some(action), reason } => {
            sim.advance_to(want.t_ms, sink)?;
            if at(sink, want) && *reason != Refusal::ReadOnly {
                let _ = sim.operator(*action, "operator", None, sink)?;
            } else if at(sink, want) {
                // A read-only console refused it before the coordinator saw it.
                sim.mark(sink, |c, now| c.refuse_operator(now, *action, Refusal::ReadOnly))?;
            }
        }
        EventKind::Team(TeamEvent::BroadcastSent { to, text, origin: Origin::Operator, .. }) => {
            sim.advance_to(want.t_ms, sink)?;
            if at(sink, want) {
                let (to, text) = (to.clone(), text.clone());
                sim.mark(sink, move |c, now| c.broadcast(now, to, text, Origin::Operator))?;
            }
        }
        EventKind::CoordinatorTookOver { epoch, holder } => {
            let (epoch, holder) = (*epoch, holder.clone());
            sim.mark(sink, move |c, now| c.took_over(now, epoch, &holder))?;
        }
        EventKind::RunInterrupted { signal } => {
            let signal = *signal;
            sim.mark(sink, move |c, now| c.interrupt_run(now, signal))?;
        }
        EventKind::HorizonReached { limit, value, events } => {
            let (limit, value, events) = (*limit, *value, *events);
            sim.mark(sink, move |c, now| c.reach_horizon(now, limit, value, events))?;
        }
        // A headless run fails what can never run once nothing is left to happen; the console
        // waits for its operator instead. The journal says which.
        EventKind::TaskFailed { reason: TaskFailure::NoLiveAgent | TaskFailure::Unresolved, .. }
            if sim.is_waiting_for_operator() =>
        {
            sim.set_fail_on_stall(true);
            let stepped = sim.step(sink);
            sim.set_fail_on_stall(false);
            stepped?;
        }
        _ => sim.step(sink)?,
    }
    Ok(())
}

/// Whether the next event to check is still `want` (advancing produced nothing before it).
fn at<S>(sink: &Checked<S>, want: &Event) -> bool {
    sink.expected.get(sink.next).is_some_and(|e| e.seq == want.seq)
}
