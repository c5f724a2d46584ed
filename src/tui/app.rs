//! The console's state and behaviour, independent of the terminal: keys, mouse and ticks go in,
//! operator commands go to the coordinator (through the simulation driver), and `ui.rs` draws the
//! result. Tests drive an `App` with key events and a `TestBackend`.

use std::fs::File;
use std::path::PathBuf;

use ratatui::layout::Rect;

use super::cmdline::CmdLine;
use super::config::Settings;
use super::panes::{Ctx, Pane, Selection};
use super::view::View;
use crate::core::{AgentId, Coordinator, OpAction, Refusal, TaskId};
use crate::journal::JournalWriter;
use crate::runtime::{EventSink, LiveAgents, LiveOptions, Report, SimRun, needs_live};
use crate::scenario::Scenario;

/// How the console was opened.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    pub journal: Option<PathBuf>,
    pub read_only: bool,
    /// Initial speed: virtual milliseconds per wall millisecond.
    pub speed: f64,
    /// Who the journal names as the operator.
    pub who: String,
    /// Whether each step's journal lines are also fsynced (`--fsync`).
    pub durability: crate::journal::Durability,
    /// Keys and colours (the config file's, and none under `NO_COLOR`).
    pub settings: Settings,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions {
            journal: None,
            read_only: false,
            speed: 1.0,
            who: "operator".into(),
            durability: crate::journal::Durability::Flush,
            settings: Settings::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help {
        scroll: u16,
    },
    /// The shared context: blackboard, locks, leaders, dead letters.
    Context {
        scroll: u16,
    },
    Detail {
        sel: Selection,
        scroll: u16,
    },
    /// A destructive action waiting for y/n, with the preview lines.
    Confirm {
        action: OpAction,
        reason: Option<String>,
        preview: Vec<String>,
    },
    /// Choose the agent for a reassignment.
    PickAgent {
        task: TaskId,
        agents: Vec<AgentId>,
        index: usize,
    },
    /// A what-if's progress, then its table (`:whatif`; see `whatif.rs`).
    WhatIf {
        scroll: u16,
    },
    /// Choose how to resolve an inbox item.
    PickResolution {
        task: TaskId,
        index: usize,
    },
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a `:` command.
    Command,
    /// Typing a `/` filter for the focused pane.
    Filter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Error,
}

/// Where events go in the console: the view model, and the journal if one was asked for.
pub struct ConsoleSink {
    pub view: View,
    pub journal: Option<JournalWriter<File>>,
    /// Set when writing the journal failed (journaling then stops; what was written is flushed).
    pub journal_error: Option<String>,
    /// Every event of a simulated run so far, for `:whatif` to branch from (see
    /// `whatif::live`); `None` when the console does not have them all (a live run, a
    /// replay, an attached console).
    pub history: Option<Vec<crate::core::Event>>,
}

impl EventSink for ConsoleSink {
    fn event(&mut self, ev: &crate::core::Event, coord: &Coordinator) -> std::io::Result<()> {
        self.view.event(ev, coord)?;
        if let Some(history) = &mut self.history {
            history.push(ev.clone());
        }
        if let Some(j) = &mut self.journal
            && let Err(e) = j.event(ev, coord)
        {
            let _ = j.finish();
            self.journal = None;
            self.journal_error = Some(format!("journal write failed: {e}; journaling stopped"));
        }
        Ok(())
    }

    fn step_done(&mut self) -> std::io::Result<()> {
        if let Some(j) = &mut self.journal
            && let Err(e) = j.step_done()
        {
            self.journal = None;
            self.journal_error = Some(format!("journal write failed: {e}; journaling stopped"));
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.journal.finish()
    }
}

pub struct App {
    scenario: Scenario,
    pub opts: ConsoleOptions,
    pub run: SimRun,
    pub sink: ConsoleSink,
    /// The panes, in the order of the tabs (see `panes::registry`).
    pub panes: Vec<Box<dyn Pane>>,
    /// The index of the pane with the keyboard focus.
    pub focus: usize,
    pub popup: Option<Popup>,
    pub mode: Mode,
    pub cmdline: CmdLine,
    pub filter_text: String,
    pub status: Option<(String, StatusKind)>,
    pub quit: bool,
    pub speed: f64,
    /// Virtual milliseconds owed to the clock (speeds below 1 advance less than a ms per tick).
    carry_ms: f64,
    /// Where each pane (by index) was drawn last (for mouse clicks).
    pub areas: Vec<(usize, Rect)>,
    /// The size of the last frame (to keep popup scrolling within its content).
    pub screen: Rect,
    pub restarts: u32,
    /// The real agents of a live run (`None` when every agent is simulated). The clock stays the
    /// console's: real agents' messages land at its current time, and the speed control scales
    /// only simulated work.
    pub live: Option<LiveAgents>,
    /// A live run waits for its agents' handshakes before it starts (see [`App::start_live`]).
    pub(super) live_pending: bool,
    /// The console on a recorded run: its cursor and timeline (see `replay.rs`).
    pub replay: Option<super::replay::Replay>,
    /// A live run resumed from its journal goes on from this time when its agents are back.
    resumed_at: Option<u64>,
    /// `--paused` for a live run: the pause's reason, requested once the run has started.
    pause_on_start: Option<String>,
    /// The console on a served run, attached over NATS (see `attach.rs`).
    pub attached: Option<super::attach::Attached>,
    /// The last `:whatif`, under way or done (its popup shows it).
    pub whatif: Option<super::whatif::WhatIf>,
}

impl App {
    /// Builds the console state and starts the run (at virtual time 0). Fails only if the journal
    /// cannot be created.
    pub fn new(scenario: Scenario, opts: ConsoleOptions) -> Result<App, String> {
        let journal = match &opts.journal {
            Some(path) => Some(
                JournalWriter::create(path).map_err(|e| format!("cannot create journal {}: {e}", path.display()))?,
            ),
            None => None,
        };
        Ok(App::with_journal(scenario, opts, journal))
    }

    /// [`App::new`] with the journal already created (and locked) by the caller.
    pub fn with_journal(scenario: Scenario, opts: ConsoleOptions, journal: Option<JournalWriter<File>>) -> App {
        let view = View::new(scenario.agents.len());
        let mut app = App::around(scenario.clone(), SimRun::new(scenario), view, opts, journal);
        app.start_run();
        app
    }

    /// The console on a run that is already under way (resumed or forked from a journal): `run`
    /// as it stands, `view` folded from its events so far, `journal` where it goes on. A run with
    /// real agents starts them again and fails what was in flight as `coordinator_restarted`
    /// (see [`crate::core::Coordinator::restart_in_flight`]) when the console starts it.
    pub fn continuing(run: SimRun, view: View, opts: ConsoleOptions, journal: Option<JournalWriter<File>>) -> App {
        let scenario = run.coordinator().scenario().clone();
        let now = run.now();
        let mut app = App::around(scenario, run, view, opts, journal);
        app.run.set_fail_on_stall(false);
        if needs_live(&app.scenario) {
            app.live = Some(LiveAgents::new(&app.scenario, LiveOptions::default()));
            app.live_pending = true;
            app.resumed_at = Some(now);
        }
        app.sink.view.sample_load(app.run.coordinator());
        app
    }

    fn around(
        scenario: Scenario,
        run: SimRun,
        view: View,
        opts: ConsoleOptions,
        mut journal: Option<JournalWriter<File>>,
    ) -> App {
        if let Some(j) = &mut journal {
            j.set_durability(opts.durability);
        }
        let sink = ConsoleSink { view, journal, journal_error: None, history: None };
        App {
            run,
            scenario,
            speed: opts.speed,
            opts,
            sink,
            panes: super::panes::registry(),
            focus: 0,
            popup: None,
            mode: Mode::Normal,
            cmdline: CmdLine::default(),
            filter_text: String::new(),
            status: None,
            quit: false,
            carry_ms: 0.0,
            areas: Vec::new(),
            screen: Rect::default(),
            restarts: 0,
            live: None,
            live_pending: false,
            pause_on_start: None,
            replay: None,
            resumed_at: None,
            attached: None,
            whatif: None,
        }
    }

    /// The run's events so far (a run brought back from its journal), for `:whatif`. A
    /// simulated run's console keeps them from there on.
    pub fn set_history(&mut self, events: Vec<crate::core::Event>) {
        if !needs_live(&self.scenario) {
            self.sink.history = Some(events);
        }
    }

    fn start_run(&mut self) {
        self.set_history(Vec::new());
        self.run.set_fail_on_stall(false);
        if needs_live(&self.scenario) {
            self.live = Some(LiveAgents::new(&self.scenario, LiveOptions::default()));
            self.live_pending = true;
            self.run.set_sim_speed(self.speed);
            return;
        }
        let _ = self.run.advance_to(0, &mut self.sink);
        self.sink.view.sample_load(self.run.coordinator());
    }

    /// Whether a live run still has to start its agents ([`App::start_live`]).
    pub fn live_pending(&self) -> bool {
        self.live_pending
    }

    /// Starts a live run's agent processes, waits for their handshakes and starts the run.
    pub async fn start_live(&mut self) {
        self.live_pending = false;
        let resumed_at = self.resumed_at.take();
        if let Some(live) = &mut self.live {
            let _ = match resumed_at {
                // A run resumed from its journal: what was in flight is done again.
                Some(at) => live.restart(&mut self.run, at, &mut self.sink).await,
                None => live.start(&mut self.run, &mut self.sink).await,
            };
            live.deliver(&mut self.run);
        }
        if let Some(reason) = self.pause_on_start.take() {
            self.request(OpAction::Pause, Some(reason), true);
        }
        self.sink.view.sample_load(self.run.coordinator());
        self.surface_journal_error();
    }

    /// Pauses the run as an operator would, as soon as it has started (`--paused`): at once for a
    /// simulated run, once its agents have shaken hands for a live one. Journaled either way.
    pub fn start_paused(&mut self, reason: &str) {
        if self.live_pending {
            self.pause_on_start = Some(reason.to_string());
        } else {
            self.request(OpAction::Pause, Some(reason.to_string()), true);
        }
    }

    /// Stops a live run's agent processes (when the console closes).
    pub async fn stop_live(&mut self) {
        if let Some(live) = &mut self.live {
            live.stop().await;
        }
    }

    /// Something a real agent did, at the console's current time. Returns whether anything changed.
    pub fn on_report(&mut self, report: Report) -> bool {
        let Some(live) = &mut self.live else { return false };
        let now = self.run.now();
        let _ = live.on_report(&mut self.run, now, report, &mut self.sink);
        self.after_input();
        true
    }

    /// After any input to the coordinator: real agents get their messages and follow its decisions.
    fn after_input(&mut self) {
        if let Some(live) = &mut self.live {
            live.sync(&self.run);
            live.deliver(&mut self.run);
        }
        self.sink.view.sample_load(self.run.coordinator());
        self.surface_journal_error();
    }

    pub fn coord(&self) -> &Coordinator {
        self.run.coordinator()
    }

    pub fn ctx(&self, focused: bool) -> Ctx<'_> {
        Ctx::new(self.run.coordinator(), &self.sink.view, self.run.now(), &self.opts.settings, focused)
    }

    /// The pane with the keyboard focus.
    pub fn focused_pane(&self) -> &dyn Pane {
        self.panes[self.focus].as_ref()
    }

    /// Where the pane called `id` is among the panes.
    pub fn pane_index(&self, id: &str) -> Option<usize> {
        self.panes.iter().position(|p| p.id() == id)
    }

    /// Whether the virtual clock is moving (the loop ticks faster then).
    pub fn is_advancing(&self) -> bool {
        if let Some(replay) = &self.replay {
            return replay.playing;
        }
        !self.coord().state().paused() && !self.coord().is_finished()
    }

    /// Advances the virtual clock by `wall_ms × speed`. Returns whether anything changed.
    pub fn tick(&mut self, wall_ms: f64) -> bool {
        if self.replay.is_some() {
            return self.replay_tick(wall_ms);
        }
        // An attached console's clock is the served run's: it moves with the events.
        if self.attached.is_some() || !self.is_advancing() {
            return false;
        }
        // With real agents the clock runs at wall speed; the speed control scales simulated work.
        let factor = if self.live.is_some() { 1.0 } else { self.speed };
        self.carry_ms += wall_ms * factor;
        let step = self.carry_ms.floor();
        if step < 1.0 {
            return false;
        }
        self.carry_ms -= step;
        let target = self.run.now().saturating_add(step as u64);
        let _ = self.run.advance_to(target, &mut self.sink);
        self.after_input();
        true
    }

    fn surface_journal_error(&mut self) {
        if let Some(e) = self.sink.journal_error.take() {
            self.status = Some((e, StatusKind::Error));
        }
    }

    /// Writes out the journal lines of the step that just ended (a console run's journal is
    /// durable step by step), and shows a write error if there was one.
    pub fn step_done(&mut self) {
        let _ = self.sink.step_done();
        self.surface_journal_error();
    }

    /// A signal stops the console: the run records it and dispatches nothing more.
    pub fn interrupt(&mut self, signal: crate::core::StopSignal) {
        // An attached console stops alone: the served run goes on.
        if self.attached.is_some() {
            return;
        }
        let _ = self.run.interrupt(signal, &mut self.sink);
    }

    /// Flushes the journal; call when the console closes.
    pub fn finish(&mut self) -> Result<(), String> {
        self.sink.finish().map_err(|e| format!("cannot flush the journal: {e}"))
    }

    fn task_name(&self, t: TaskId) -> String {
        self.coord().task_name(t).to_string()
    }

    fn agent_name(&self, a: AgentId) -> String {
        self.coord().agent_name(a).to_string()
    }

    pub(super) fn describe(&self, r: Refusal) -> String {
        let c = self.coord();
        r.describe(|t| c.task_name(t), |a| c.agent_name(a))
    }

    /// `:broadcast`: the coordinator sends it (journaled as `broadcast_sent` with origin `operator`).
    pub(super) fn broadcast(&mut self, to: Option<String>, text: String) {
        if self.opts.read_only {
            self.status = Some((format!("broadcast: {}", self.describe(Refusal::ReadOnly)), StatusKind::Error));
            return;
        }
        if self.attached.is_some() {
            return self.broadcast_remote(to, text);
        }
        let now = self.run.now();
        let to = to.map(|c| std::sync::Arc::from(c.as_str()));
        let origin = crate::core::Origin::Operator;
        let _ = self.run.feed(now, &mut self.sink, |c, now| c.broadcast(now, to, text.as_str().into(), origin));
    }

    /// An operator asks for `action`. Refusals are shown (and journaled by the coordinator);
    /// destructive actions ask for confirmation first unless `confirmed`.
    pub fn request(&mut self, action: OpAction, reason: Option<String>, confirmed: bool) {
        if self.opts.read_only {
            self.status = Some((format!("{}: {}", action.name(), self.describe(Refusal::ReadOnly)), StatusKind::Error));
            return;
        }
        if self.attached.is_some() {
            return self.request_remote(action, reason, confirmed);
        }
        if let Err(r) = self.run.check_operator(action) {
            // Let the coordinator record the refusal, then show why.
            let _ = self.run.operator(action, &self.opts.who, reason.as_deref(), &mut self.sink);
            self.status = Some((format!("{} refused: {}", action.name(), self.describe(r)), StatusKind::Error));
            return;
        }
        if !confirmed && let Some(preview) = self.preview(action) {
            self.popup = Some(Popup::Confirm { action, reason, preview });
            return;
        }
        if action == OpAction::Restart {
            self.restart(reason);
            return;
        }
        let who = self.opts.who.clone();
        match self.run.operator(action, &who, reason.as_deref(), &mut self.sink) {
            Ok(Ok(())) => {
                match action {
                    OpAction::Speed(x) => {
                        self.speed = x;
                        if self.live.is_some() {
                            self.run.set_sim_speed(x);
                        }
                    }
                    OpAction::Step => {
                        let _ = self.run.step_instant(&mut self.sink);
                    }
                    _ => {}
                }
                self.after_input();
                self.status = Some((self.done_text(action), StatusKind::Info));
            }
            Ok(Err(r)) => {
                self.status = Some((format!("{} refused: {}", action.name(), self.describe(r)), StatusKind::Error))
            }
            Err(e) => self.status = Some((format!("journal write failed: {e}"), StatusKind::Error)),
        }
        self.surface_journal_error();
    }

    fn done_text(&self, action: OpAction) -> String {
        let target = match (action.task(), action.agent()) {
            (Some(t), Some(a)) => format!(" {} → {}", self.task_name(t), self.agent_name(a)),
            (Some(t), None) => format!(" {}", self.task_name(t)),
            (None, Some(a)) => format!(" {}", self.agent_name(a)),
            (None, None) => String::new(),
        };
        let extra = match action {
            OpAction::Speed(x) | OpAction::Slow(_, x) => format!(" ×{x}"),
            OpAction::Flaky(_, r) => format!(" (failure rate {r})"),
            OpAction::Resolve(_, r) => format!(" as {}", r.name()),
            OpAction::Step => format!(" to {}", super::panes::text::clock(self.run.now())),
            _ => String::new(),
        };
        format!("{}{target}{extra}", action.name())
    }

    /// Restarts the scenario: records the restart, closes and rotates the journal, starts afresh.
    fn restart(&mut self, reason: Option<String>) {
        let who = self.opts.who.clone();
        let _ = self.run.operator(OpAction::Restart, &who, reason.as_deref(), &mut self.sink);
        let _ = self.sink.finish();
        self.restarts += 1;
        let mut note = String::new();
        if let Some(path) = self.opts.journal.clone() {
            let kept = rotated_name(&path, self.restarts);
            self.sink.journal = None;
            if let Err(e) = std::fs::rename(&path, &kept) {
                note = format!("; could not keep the old journal: {e}");
            } else {
                note = format!("; previous journal kept as {}", kept.display());
            }
            match JournalWriter::create(&path) {
                Ok(mut w) => {
                    w.set_durability(self.opts.durability);
                    self.sink.journal = Some(w);
                }
                Err(e) => note.push_str(&format!("; cannot create journal {}: {e}", path.display())),
            }
        }
        self.sink.view = View::new(self.scenario.agents.len());
        // The log keeps the previous run's lines: mark where the new run begins.
        tracing::info!("──────── restart {}: a new run of {} begins ────────", self.restarts, self.scenario.name);
        // Dropping the old agents kills their processes; the new run starts its own.
        self.live = None;
        self.run = SimRun::new(self.scenario.clone());
        self.carry_ms = 0.0;
        self.start_run();
        self.status = Some((format!("restarted {}{note}", self.scenario.name), StatusKind::Info));
    }

    /// The selection of the focused pane.
    pub fn selection(&self) -> Option<Selection> {
        self.focused_pane().selection(&self.ctx(true))
    }

    pub(super) fn selected_task(&self) -> Option<TaskId> {
        match self.selection() {
            Some(Selection::Task(t)) => Some(t),
            _ => None,
        }
    }

    pub(super) fn selected_agent(&self) -> Option<AgentId> {
        match self.selection() {
            Some(Selection::Agent(a)) => Some(a),
            _ => None,
        }
    }

    pub(super) fn need(&mut self, what: &str) {
        self.status = Some((format!("select {what} first (focus the DAG, Inbox or Agents pane)"), StatusKind::Error));
    }
}

/// `journal.jsonl` → `journal.jsonl.1`, `.2` … for the runs before a restart.
pub fn rotated_name(path: &std::path::Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

mod preview;
#[cfg(test)]
pub(super) mod tests;
