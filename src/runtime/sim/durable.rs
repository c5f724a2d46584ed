//! The simulation driver for durable runs: a run brought back from its journal (resumed or
//! frozen at a replay's cursor), inputs recorded exactly where a journal says they were, and the
//! stop a signal asks for.

use std::io;

use super::SimRun;
use crate::core::Coordinator;
use crate::runtime::EventSink;

impl SimRun {
    /// A run brought back from its journal at time `now` (`resume` of a live run): `coord` is
    /// the journal folded. Simulated agents are up or down as the coordinator saw them, with
    /// nothing in hand (what was in flight is failed as `coordinator_restarted` by the caller);
    /// scheduled faults still ahead are kept, those already past are not replayed.
    pub fn resumed(coord: Coordinator, now: u64) -> SimRun {
        let mut run = SimRun::around(coord);
        run.now = now;
        run.started = true;
        for (sim, agent) in run.agents.iter_mut().zip(run.coord.state().agents()) {
            sim.alive = agent.alive;
        }
        run.schedule_faults(Some(now));
        run.arm_heartbeats();
        run
    }

    /// A run that only shows a recorded state (a replay's cursor): stopped, at time `now`.
    pub fn frozen(coord: Coordinator, now: u64) -> SimRun {
        let mut run = SimRun::around(coord);
        run.now = now;
        run.started = true;
        run.stopped = true;
        run
    }

    /// A frozen run follows a run recorded elsewhere (an attached console on a served run's
    /// stream): `ev`, the next event of that run, is folded in and the clock moves to its time.
    pub fn fold_recorded(&mut self, ev: &crate::core::Event) {
        self.coord.apply_recorded(ev);
        self.now = self.now.max(ev.t_ms);
    }

    /// The host was told to stop by `signal`: the run records it (`run_interrupted`) and stops
    /// here, unfinished (a run that has not started, or has finished, records nothing).
    pub fn interrupt(&mut self, signal: crate::core::StopSignal, sink: &mut impl EventSink) -> io::Result<()> {
        if !self.started || self.coord.is_finished() {
            // Nothing ran (or it all ended): there is nothing to record.
            self.stopped = true;
            return Ok(());
        }
        self.coord.interrupt_run(self.now, signal);
        self.stopped = true;
        self.pump(sink)
    }

    /// Runs to the end, or until `interrupted` says a signal came (checked every few hundred
    /// steps: a load of an atomic). Returns the signal if one stopped the run. Sink errors stop
    /// the run (after `finish` is called on the sink).
    pub fn run_interruptible(
        &mut self,
        sink: &mut impl EventSink,
        interrupted: impl Fn() -> Option<crate::core::StopSignal>,
    ) -> io::Result<Option<crate::core::StopSignal>> {
        // Events nobody reads are not buffered (template slots follow the pending events, so a
        // run with templates keeps them).
        let keep = !sink.discards() || self.coord.state().elastic().active;
        self.coord.set_keep_events(keep);
        let result = (|| -> io::Result<Option<crate::core::StopSignal>> {
            let mut steps = 0u32;
            while !self.stopped {
                self.step(sink)?;
                steps = steps.wrapping_add(1);
                if steps.is_multiple_of(256)
                    && let Some(signal) = interrupted()
                {
                    self.interrupt(signal, sink)?;
                    return Ok(Some(signal));
                }
            }
            Ok(None)
        })();
        self.coord.set_keep_events(true);
        let finished = sink.finish();
        let signal = result?;
        finished.map(|()| signal)
    }

    /// Lets `f` record something at the current time, without advancing the clock first (a
    /// replayed journal's markers and operator inputs land exactly where they were recorded).
    pub fn mark(&mut self, sink: &mut impl EventSink, f: impl FnOnce(&mut Coordinator, u64)) -> io::Result<()> {
        f(&mut self.coord, self.now);
        self.pump(sink)
    }
}
