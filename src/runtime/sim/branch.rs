//! What-if branches: the simulation as it stands, continued under a changed scenario.
//!
//! A branch keeps this run's driver exactly as it is — what each agent is doing and when it will
//! answer, the messages on delayed links, the faults still ahead — and puts in its place a
//! coordinator of the changed scenario, folded from this run's events (the coordinator's state is
//! a function of its events; `Coordinator::from_events`). From there the run goes on under the
//! change: another allocation, other profiles, other retry budgets, agents added at the end of
//! the team. The caller checks that the change keeps what the driver refers to by index (tasks,
//! agents, faults) where it was.

use super::{SimAgent, SimRun};
use crate::core::Coordinator;
use crate::core::timers::later;

use super::Due;

impl SimRun {
    /// This run's simulation around `coord` (see the module's doc). Agents `coord`'s scenario has
    /// beyond this run's are up and idle, heartbeating from now. The branch is headless: it fails
    /// what can never run once nothing is left to happen, instead of waiting for an operator.
    pub fn branch(&self, coord: Coordinator) -> SimRun {
        let mut run = self.clone();
        let before = run.agents.len();
        let after = coord.scenario().agents.len();
        run.coord = coord;
        run.fail_on_stall = true;
        run.external.resize(after.max(before), false);
        run.agents.resize_with(after.max(before), || SimAgent { alive: true, slow_factor: 1.0, ..Default::default() });
        run.net.grow(after);
        let hb = run.coord.scenario().heartbeat_ms;
        if hb > 0 && run.started && !run.stopped {
            for a in before..after {
                run.schedule(later(run.now, hb), 0, Due::Heartbeat(a as u32));
            }
        }
        run
    }

    /// The rest of the run is drawn with `seed` (see [`Coordinator::reseed`]).
    pub fn reseed(&mut self, seed: u64) {
        self.coord.reseed(seed);
    }
}
