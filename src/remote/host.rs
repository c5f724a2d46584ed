//! The driver of a served run: the coordinator with its simulated agents, paced by the wall clock
//! at the run's speed as in the console, and its real agents (processes, LLMs) on the wall clock.
//! Every event goes to the local journal (if any) and to a [`StreamSink`]; [`super::serve`] moves
//! the lines to the server and [`super::commands`] brings operator commands in.

use std::fs::File;
use std::io;

use crate::core::OpAction;
use crate::journal::JournalWriter;
use std::sync::Arc;

use crate::core::Coordinator;
use crate::durable::reexecute::reexecute;
use crate::journal::file::Journal;
use crate::runtime::{Horizon, LiveAgents, LiveOptions, RemoteAgents, Report, SimRun, needs_live};

use super::leader::Beat;
use crate::scenario::Scenario;

use super::publish::StreamSink;

/// Where a served run's events go: the local journal, then the stream's encoder.
pub(super) type Sink = (Option<JournalWriter<File>>, StreamSink);

pub(super) struct Host {
    pub(super) run: SimRun,
    /// The real agents, when the scenario has any.
    pub(super) live: Option<LiveAgents>,
    pub(super) sink: Sink,
    /// Virtual milliseconds per wall millisecond (simulated work only, with real agents).
    pub(super) speed: f64,
    /// Virtual milliseconds owed to the clock (speeds below 1 advance less than a ms per tick).
    carry_ms: f64,
    /// A run taken over from its stream: the new lead (epoch, holder), recorded when it starts.
    took_over: Option<(u64, String)>,
}

impl Host {
    pub(super) fn new(
        scenario: Scenario,
        horizon: Horizon,
        journal: Option<JournalWriter<File>>,
        speed: f64,
        remote: Option<Arc<dyn RemoteAgents>>,
    ) -> Host {
        let live = needs_live(&scenario).then(|| LiveAgents::with_remote(&scenario, LiveOptions::default(), remote));
        let mut run = SimRun::new(scenario);
        // As in the console: with nothing left to do, the run waits for an operator.
        run.set_fail_on_stall(false);
        run.set_horizon(horizon);
        if live.is_some() {
            run.set_sim_speed(speed);
        }
        Host { run, live, sink: (journal, StreamSink::default()), speed, carry_ms: 0.0, took_over: None }
    }

    /// A run taken over from its stream (`journal`'s events) with the lead `lease`: folded as
    /// `resume` folds a journal — a simulated run executed again up to its last event (what the
    /// rest of that step makes goes to the sink), a live one rebuilt from its events.
    pub(super) fn taken_over(
        journal: &Journal,
        lease: &Beat,
        local: Option<JournalWriter<File>>,
        speed: f64,
        remote: Option<Arc<dyn RemoteAgents>>,
    ) -> Result<Host, String> {
        let scenario = journal.header.scenario.clone();
        let horizon = Horizon::new(&scenario, None, None);
        let mut sink: Sink = (local, StreamSink::default());
        let now = journal.events.last().map_or(0, |e| e.t_ms);
        let live = needs_live(&scenario).then(|| LiveAgents::with_remote(&scenario, LiveOptions::default(), remote));
        let mut run = if live.is_some() {
            SimRun::resumed(Coordinator::from_events(scenario, &journal.events), now)
        } else {
            let upto = journal.events.len();
            reexecute(scenario, &journal.events, upto, &mut sink, false).map_err(|e| e.to_string())?
        };
        run.set_fail_on_stall(false);
        run.set_horizon(horizon);
        if live.is_some() {
            run.set_sim_speed(speed);
        }
        let took_over = Some((lease.epoch, lease.holder.clone()));
        Ok(Host { run, live, sink, speed, carry_ms: 0.0, took_over })
    }

    /// Starts the run at time 0 (a live run's agents first, waiting for their handshakes); a run
    /// taken over records that first (its line fences the old leader out of the stream), then
    /// fails what was in flight, as `resume` does.
    pub(super) async fn start(&mut self) -> io::Result<()> {
        if let Some((epoch, holder)) = self.took_over.take() {
            self.run.mark(&mut self.sink, |c, now| c.took_over(now, epoch, &holder))?;
            if let Some(live) = &mut self.live {
                let now = self.run.now();
                live.restart(&mut self.run, now, &mut self.sink).await?;
                live.deliver(&mut self.run);
            }
            return Ok(());
        }
        match &mut self.live {
            Some(live) => {
                live.start(&mut self.run, &mut self.sink).await?;
                live.deliver(&mut self.run);
                Ok(())
            }
            None => self.run.advance_to(0, &mut self.sink),
        }
    }

    /// The run has ended: finished, or stopped at its horizon.
    pub(super) fn is_over(&self) -> bool {
        self.run.is_done() || self.run.coordinator().is_finished()
    }

    /// Whether the clock moves (not paused, not over).
    pub(super) fn is_advancing(&self) -> bool {
        !self.run.coordinator().state().paused() && !self.is_over()
    }

    /// Advances the clock by `wall_ms` × the speed (the wall clock itself with real agents).
    pub(super) fn tick(&mut self, wall_ms: f64) -> io::Result<()> {
        if !self.is_advancing() {
            return Ok(());
        }
        let factor = if self.live.is_some() { 1.0 } else { self.speed };
        self.carry_ms += wall_ms * factor;
        let step = self.carry_ms.floor();
        if step < 1.0 {
            return Ok(());
        }
        self.carry_ms -= step;
        let target = self.run.now().saturating_add(step as u64);
        self.run.advance_to(target, &mut self.sink)?;
        self.after_input();
        Ok(())
    }

    /// Something a real agent did, at the run's current time.
    pub(super) fn on_report(&mut self, report: Report) -> io::Result<()> {
        let Some(live) = &mut self.live else { return Ok(()) };
        let now = self.run.now();
        live.on_report(&mut self.run, now, report, &mut self.sink)?;
        self.after_input();
        Ok(())
    }

    /// After any input to the coordinator: real agents get their messages and follow its decisions.
    pub(super) fn after_input(&mut self) {
        if let Some(live) = &mut self.live {
            live.sync(&self.run);
            live.deliver(&mut self.run);
        }
    }

    /// An accepted speed change (`:speed X`) takes effect.
    pub(super) fn set_speed(&mut self, x: f64) {
        self.speed = x;
        if self.live.is_some() {
            self.run.set_sim_speed(x);
        }
    }

    /// Pauses the run as an operator would (`--paused`): journaled, so a replay sees it too.
    pub(super) fn pause_at_start(&mut self, who: &str) -> io::Result<()> {
        let _ = self.run.operator(OpAction::Pause, who, Some("started paused (--paused)"), &mut self.sink)?;
        Ok(())
    }

    /// Lets go of the remote agents without a word: another coordinator leads them now.
    pub(super) fn forsake_remote(&mut self) {
        if let Some(live) = &mut self.live {
            live.forsake_remote();
        }
    }

    /// Stops the real agents (`shutdown`, then a kill).
    pub(super) async fn stop_agents(&mut self) {
        if let Some(live) = &mut self.live {
            live.stop().await;
        }
    }
}
