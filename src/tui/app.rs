//! The console's state and behaviour, independent of the terminal: keys, mouse and ticks go in,
//! operator commands go to the coordinator (through the simulation driver), and `ui.rs` draws the
//! result. Tests drive an `App` with key events and a `TestBackend`.

use std::fs::File;
use std::path::PathBuf;

use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};
use ratatui::layout::Rect;

use super::cmdline::{self, CmdLine, Parsed};
use super::log::LogPane;
use super::panes::agents::AgentsPane;
use super::panes::dag::DagPane;
use super::panes::inbox::InboxPane;
use super::panes::market::MarketPane;
use super::panes::messages::MessagesPane;
use super::panes::{Ctx, Selection, contains};
use super::view::View;
use crate::core::{AgentId, Coordinator, OpAction, Refusal, Resolution, TaskId};
use crate::journal::JournalWriter;
use crate::runtime::{EventSink, SimRun};
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
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions { journal: None, read_only: false, speed: 1.0, who: "operator".into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneId {
    Dag,
    Agents,
    Market,
    Messages,
    Inbox,
    Log,
}

impl PaneId {
    pub const ALL: [PaneId; 6] =
        [PaneId::Dag, PaneId::Agents, PaneId::Market, PaneId::Messages, PaneId::Inbox, PaneId::Log];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Dag => "DAG",
            PaneId::Agents => "Agents",
            PaneId::Market => "Auctions & votes",
            PaneId::Messages => "Messages",
            PaneId::Inbox => "Inbox",
            PaneId::Log => "Log",
        }
    }

    fn index(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).expect("listed")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help {
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
}

impl EventSink for ConsoleSink {
    fn event(&mut self, ev: &crate::core::Event, coord: &Coordinator) -> std::io::Result<()> {
        self.view.event(ev, coord)?;
        if let Some(j) = &mut self.journal
            && let Err(e) = j.event(ev, coord)
        {
            let _ = j.finish();
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
    pub focus: PaneId,
    pub dag: DagPane,
    pub agents: AgentsPane,
    pub market: MarketPane,
    pub messages: MessagesPane,
    pub inbox: InboxPane,
    pub log: LogPane,
    pub popup: Option<Popup>,
    pub mode: Mode,
    pub cmdline: CmdLine,
    pub filter_text: String,
    pub status: Option<(String, StatusKind)>,
    pub quit: bool,
    pub speed: f64,
    /// Virtual milliseconds owed to the clock (speeds below 1 advance less than a ms per tick).
    carry_ms: f64,
    /// Where each pane was drawn last (for mouse clicks).
    pub areas: Vec<(PaneId, Rect)>,
    /// The size of the last frame (to keep popup scrolling within its content).
    pub screen: Rect,
    pub restarts: u32,
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
        let sink = ConsoleSink { view: View::new(scenario.agents.len()), journal, journal_error: None };
        let mut app = App {
            run: SimRun::new(scenario.clone()),
            scenario,
            speed: opts.speed,
            opts,
            sink,
            focus: PaneId::Dag,
            dag: DagPane::default(),
            agents: AgentsPane::default(),
            market: MarketPane::default(),
            messages: MessagesPane::default(),
            inbox: InboxPane::default(),
            log: LogPane::default(),
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
        };
        app.start_run();
        Ok(app)
    }

    fn start_run(&mut self) {
        self.run.set_fail_on_stall(false);
        let _ = self.run.advance_to(0, &mut self.sink);
        self.sink.view.sample_load(self.run.coordinator());
    }

    pub fn coord(&self) -> &Coordinator {
        self.run.coordinator()
    }

    pub fn ctx(&self, focused: bool) -> Ctx<'_> {
        Ctx { coord: self.run.coordinator(), view: &self.sink.view, focused, now_ms: self.run.now() }
    }

    /// Whether the virtual clock is moving (the loop ticks faster then).
    pub fn is_advancing(&self) -> bool {
        !self.coord().state().paused && !self.coord().is_finished()
    }

    /// Advances the virtual clock by `wall_ms × speed`. Returns whether anything changed.
    pub fn tick(&mut self, wall_ms: f64) -> bool {
        if !self.is_advancing() {
            return false;
        }
        self.carry_ms += wall_ms * self.speed;
        let step = self.carry_ms.floor();
        if step < 1.0 {
            return false;
        }
        self.carry_ms -= step;
        let target = self.run.now() + step as u64;
        let _ = self.run.advance_to(target, &mut self.sink);
        self.sink.view.sample_load(self.run.coordinator());
        self.surface_journal_error();
        true
    }

    fn surface_journal_error(&mut self) {
        if let Some(e) = self.sink.journal_error.take() {
            self.status = Some((e, StatusKind::Error));
        }
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

    fn describe(&self, r: Refusal) -> String {
        let c = self.coord();
        r.describe(|t| c.task_name(t), |a| c.agent_name(a))
    }

    /// What a destructive action will do, for the confirmation popup; `None` when it needs none.
    fn preview(&self, action: OpAction) -> Option<Vec<String>> {
        let impact = self.coord().impact(action);
        let names = |ts: &[TaskId]| ts.iter().map(|&t| self.task_name(t)).collect::<Vec<_>>().join(", ");
        let mut lines = Vec::new();
        match action {
            OpAction::Cancel(t) => {
                lines.push(format!(
                    "cancel {}: {} dependents will be skipped",
                    self.task_name(t),
                    impact.skipped.len()
                ));
            }
            OpAction::Resolve(t, r @ (Resolution::Skip | Resolution::Fail)) => lines.push(format!(
                "resolve {} as {}: {} dependents will be skipped",
                self.task_name(t),
                r.name(),
                impact.skipped.len()
            )),
            OpAction::Crash(a) => lines.push(format!(
                "crash {}: {} running tasks lose their attempt and are reassigned",
                self.agent_name(a),
                impact.interrupted.len()
            )),
            OpAction::Reassign(t, a) if !impact.interrupted.is_empty() => {
                let (_, from) = impact.interrupted[0];
                lines.push(format!(
                    "reassign {} to {}: its running attempt on {} is cancelled",
                    self.task_name(t),
                    self.agent_name(a),
                    self.agent_name(from)
                ));
            }
            OpAction::Restart => {
                let kept = match &self.opts.journal {
                    Some(p) => format!("; its journal is kept as {}", rotated_name(p, self.restarts + 1).display()),
                    None => String::new(),
                };
                lines.push(format!("restart {}: the current run is discarded{kept}", self.scenario.name));
            }
            _ => return None,
        }
        if !impact.skipped.is_empty() {
            lines.push(format!("skipped: {}", names(&impact.skipped)));
        }
        if !impact.interrupted.is_empty() && !matches!(action, OpAction::Reassign(..)) {
            let ts: Vec<TaskId> = impact.interrupted.iter().map(|(t, _)| *t).collect();
            lines.push(format!("interrupted: {}", names(&ts)));
        }
        Some(lines)
    }

    /// An operator asks for `action`. Refusals are shown (and journaled by the coordinator);
    /// destructive actions ask for confirmation first unless `confirmed`.
    pub fn request(&mut self, action: OpAction, reason: Option<String>, confirmed: bool) {
        if self.opts.read_only {
            self.status = Some((format!("{}: {}", action.name(), self.describe(Refusal::ReadOnly)), StatusKind::Error));
            return;
        }
        if let Err(r) = self.coord().check_operator(action) {
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
                    OpAction::Speed(x) => self.speed = x,
                    OpAction::Step => {
                        let _ = self.run.step_instant(&mut self.sink);
                        self.sink.view.sample_load(self.run.coordinator());
                    }
                    _ => {}
                }
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
            OpAction::Speed(x) => format!(" ×{x}"),
            OpAction::Resolve(_, r) => format!(" as {}", r.name()),
            OpAction::Step => format!(" to {}", super::panes::clock(self.run.now())),
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
                Ok(w) => self.sink.journal = Some(w),
                Err(e) => note.push_str(&format!("; cannot create journal {}: {e}", path.display())),
            }
        }
        self.sink.view = View::new(self.scenario.agents.len());
        self.run = SimRun::new(self.scenario.clone());
        self.carry_ms = 0.0;
        self.start_run();
        self.status = Some((format!("restarted {}{note}", self.scenario.name), StatusKind::Info));
    }

    /// The selection of the focused pane.
    pub fn selection(&self) -> Option<Selection> {
        let ctx = self.ctx(true);
        match self.focus {
            PaneId::Dag => self.dag.selection(&ctx),
            PaneId::Agents => self.agents.selection(&ctx),
            PaneId::Market => self.market.selection(&ctx),
            PaneId::Messages => self.messages.selection(&ctx),
            PaneId::Inbox => self.inbox.selection(&ctx),
            PaneId::Log => None,
        }
    }

    fn selected_task(&self) -> Option<TaskId> {
        match self.selection() {
            Some(Selection::Task(t)) => Some(t),
            _ => None,
        }
    }

    fn selected_agent(&self) -> Option<AgentId> {
        match self.selection() {
            Some(Selection::Agent(a)) => Some(a),
            _ => None,
        }
    }

    fn need(&mut self, what: &str) {
        self.status = Some((format!("select {what} first (focus the DAG, Inbox or Agents pane)"), StatusKind::Error));
    }

    /// Any terminal event. Returns whether the screen should be redrawn.
    pub fn handle_event(&mut self, ev: TermEvent) -> bool {
        match ev {
            // Windows reports key releases too: act on presses only.
            TermEvent::Key(key) if key.kind == KeyEventKind::Press => self.handle_key(key),
            TermEvent::Mouse(m) => match m.kind {
                MouseEventKind::Down(_) => self.click(m.column, m.row),
                MouseEventKind::ScrollDown => self.pane_key(KeyEvent::from(KeyCode::Down)),
                MouseEventKind::ScrollUp => self.pane_key(KeyEvent::from(KeyCode::Up)),
                _ => return false,
            },
            TermEvent::Resize(..) => {}
            _ => return false,
        }
        true
    }

    fn click(&mut self, column: u16, row: u16) {
        if self.popup.is_some() {
            return;
        }
        let Some(&(pane, _)) = self.areas.iter().find(|(_, r)| contains(*r, column, row)) else { return };
        self.focus = pane;
        let ctx = Ctx { coord: self.run.coordinator(), view: &self.sink.view, focused: true, now_ms: self.run.now() };
        match pane {
            PaneId::Dag => self.dag.click(column, row, &ctx),
            PaneId::Agents => {
                self.agents.click(column, row, &ctx);
            }
            PaneId::Market => {
                self.market.click(column, row, &ctx);
            }
            PaneId::Messages => {
                self.messages.click(column, row, &ctx);
            }
            PaneId::Inbox => {
                self.inbox.click(column, row, &ctx);
            }
            PaneId::Log => {}
        }
    }

    fn pane_key(&mut self, key: KeyEvent) {
        let ctx = Ctx { coord: self.run.coordinator(), view: &self.sink.view, focused: true, now_ms: self.run.now() };
        match self.focus {
            PaneId::Dag => {
                self.dag.handle_key(key, &ctx);
            }
            PaneId::Agents => {
                self.agents.handle_key(key, &ctx);
            }
            PaneId::Market => {
                self.market.handle_key(key, &ctx);
            }
            PaneId::Messages => {
                self.messages.handle_key(key, &ctx);
            }
            PaneId::Inbox => {
                self.inbox.handle_key(key, &ctx);
            }
            PaneId::Log => self.log.handle_key(key),
        }
    }

    fn set_filter(&mut self, filter: &str) {
        match self.focus {
            PaneId::Dag => self.dag.set_filter(filter),
            PaneId::Agents => self.agents.set_filter(filter),
            PaneId::Market => self.market.set_filter(filter),
            PaneId::Messages => self.messages.set_filter(filter),
            PaneId::Inbox => self.inbox.set_filter(filter),
            PaneId::Log => {}
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        match self.mode {
            Mode::Command => return self.command_key(key),
            Mode::Filter => return self.filter_key(key),
            Mode::Normal => {}
        }
        if self.popup.is_some() {
            return self.popup_key(key);
        }
        match key.code {
            KeyCode::Char('q') => {
                if self.coord().is_finished() {
                    self.quit = true;
                } else {
                    self.popup = Some(Popup::Quit);
                }
            }
            KeyCode::Char('?') => self.popup = Some(Popup::Help { scroll: 0 }),
            KeyCode::Tab => self.focus = PaneId::ALL[(self.focus.index() + 1) % PaneId::ALL.len()],
            KeyCode::BackTab => {
                self.focus = PaneId::ALL[(self.focus.index() + PaneId::ALL.len() - 1) % PaneId::ALL.len()]
            }
            KeyCode::Char(c @ '1'..='6') => self.focus = PaneId::ALL[c as usize - '1' as usize],
            KeyCode::Enter => {
                if let Some(sel) = self.selection() {
                    self.popup = Some(Popup::Detail { sel, scroll: 0 });
                }
            }
            KeyCode::Esc => {
                if !self.filter_text.is_empty() {
                    self.filter_text.clear();
                    self.set_filter("");
                }
                self.status = None;
            }
            KeyCode::Char(':') => {
                self.mode = Mode::Command;
                self.cmdline.clear();
            }
            KeyCode::Char('/') => {
                self.mode = Mode::Filter;
                self.filter_text.clear();
            }
            KeyCode::Char(' ') => {
                let action = if self.coord().state().paused { OpAction::Resume } else { OpAction::Pause };
                self.request(action, None, false);
            }
            KeyCode::Char('.') => self.request(OpAction::Step, None, false),
            KeyCode::Char('+') | KeyCode::Char('=') => {
                self.request(OpAction::Speed((self.speed * 2.0).min(1000.0)), None, false)
            }
            KeyCode::Char('-') => self.request(OpAction::Speed((self.speed / 2.0).max(0.01)), None, false),
            KeyCode::Char('R') => self.request(OpAction::Restart, None, false),
            KeyCode::Char(c @ ('p' | 'r' | 'a' | 'e' | 'x' | 'o')) => {
                let Some(t) = self.selected_task() else { return self.need("a task") };
                match c {
                    'p' => {
                        let held = self.coord().state().tasks[t.ix()].held;
                        self.request(if held { OpAction::Release(t) } else { OpAction::Hold(t) }, None, false);
                    }
                    'r' => self.request(OpAction::Retry(t), None, false),
                    'e' => self.request(OpAction::Escalate(t), None, false),
                    'x' => self.request(OpAction::Cancel(t), None, false),
                    'a' => {
                        let agents = self.coord().capable_agents(t).to_vec();
                        self.popup = Some(Popup::PickAgent { task: t, agents, index: 0 });
                    }
                    _ => {
                        if let Err(r) = self.coord().check_operator(OpAction::Resolve(t, Resolution::Retry)) {
                            self.status = Some((format!("resolve refused: {}", self.describe(r)), StatusKind::Error));
                        } else {
                            self.popup = Some(Popup::PickResolution { task: t, index: 0 });
                        }
                    }
                }
            }
            KeyCode::Char(c @ ('c' | 'v' | 'd')) => {
                let Some(a) = self.selected_agent() else { return self.need("an agent") };
                let action = match c {
                    'c' => OpAction::Crash(a),
                    'v' => OpAction::Revive(a),
                    _ => OpAction::Drain(a),
                };
                self.request(action, None, false);
            }
            KeyCode::Char('L') if self.focus == PaneId::Log => self.log.cycle_level(),
            _ => self.pane_key(key),
        }
    }

    fn popup_key(&mut self, key: KeyEvent) {
        let Some(popup) = self.popup.take() else { return };
        match popup {
            Popup::Help { .. } | Popup::Detail { .. } => match key.code {
                KeyCode::Up | KeyCode::Char('k') => self.popup = Some(self.scrolled(popup, -1)),
                KeyCode::Down | KeyCode::Char('j') => self.popup = Some(self.scrolled(popup, 1)),
                KeyCode::PageUp => self.popup = Some(self.scrolled(popup, -10)),
                KeyCode::PageDown => self.popup = Some(self.scrolled(popup, 10)),
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::Char('?') => {}
                _ => self.popup = Some(popup),
            },
            Popup::Confirm { action, reason, preview } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.request(action, reason, true),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    self.status = Some((format!("{} not done", action.name()), StatusKind::Info))
                }
                _ => self.popup = Some(Popup::Confirm { action, reason, preview }),
            },
            Popup::PickAgent { task, agents, index } => match key.code {
                KeyCode::Up | KeyCode::Char('k') => {
                    self.popup = Some(Popup::PickAgent { task, index: index.saturating_sub(1), agents })
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    let index = (index + 1).min(agents.len().saturating_sub(1));
                    self.popup = Some(Popup::PickAgent { task, agents, index });
                }
                KeyCode::Enter => {
                    if let Some(&a) = agents.get(index) {
                        self.request(OpAction::Reassign(task, a), None, false);
                    }
                }
                KeyCode::Esc => {}
                _ => self.popup = Some(Popup::PickAgent { task, agents, index }),
            },
            Popup::PickResolution { task, index } => match key.code {
                KeyCode::Up | KeyCode::Char('k') => {
                    self.popup = Some(Popup::PickResolution { task, index: index.saturating_sub(1) })
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    self.popup = Some(Popup::PickResolution { task, index: (index + 1).min(3) })
                }
                KeyCode::Enter => self.request(OpAction::Resolve(task, Resolution::ALL[index]), None, false),
                KeyCode::Esc => {}
                _ => self.popup = Some(Popup::PickResolution { task, index }),
            },
            Popup::Quit => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Char('q') => self.quit = true,
                _ => {}
            },
        }
    }

    /// A scrollable popup moved by `delta` lines, kept within its content.
    fn scrolled(&self, popup: Popup, delta: i32) -> Popup {
        let apply = |s: u16, max: u16| (s as i32 + delta).clamp(0, max as i32) as u16;
        match popup {
            Popup::Help { scroll } => Popup::Help { scroll: apply(scroll, super::ui::help_max_scroll(self.screen)) },
            Popup::Detail { sel, scroll } => {
                let max = super::panes::detail::max_scroll(self.screen, sel, &self.ctx(true));
                Popup::Detail { sel, scroll: apply(scroll, max) }
            }
            other => other,
        }
    }

    fn command_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                let line = self.cmdline.submit();
                if line.trim().is_empty() {
                    return;
                }
                match cmdline::parse(&line, self.coord()) {
                    Ok(Parsed::Op(action, reason)) => self.request(action, reason, false),
                    Ok(Parsed::Filter(f)) => {
                        self.filter_text = f.clone();
                        self.set_filter(&f);
                    }
                    Ok(Parsed::Quit) => self.handle_key(KeyEvent::from(KeyCode::Char('q'))),
                    Ok(Parsed::Help) => self.popup = Some(Popup::Help { scroll: 0 }),
                    Err(e) => self.status = Some((format!(":{line}: {e}"), StatusKind::Error)),
                }
            }
            KeyCode::Tab => {
                let coord = self.run.coordinator();
                self.cmdline.complete(coord);
            }
            KeyCode::Up => self.cmdline.history_prev(),
            KeyCode::Down => self.cmdline.history_next(),
            KeyCode::Backspace => {
                if self.cmdline.text.is_empty() {
                    self.mode = Mode::Normal;
                } else {
                    self.cmdline.backspace();
                }
            }
            KeyCode::Char(c) => self.cmdline.push(c),
            _ => {}
        }
    }

    fn filter_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                self.filter_text.clear();
                self.set_filter("");
            }
            KeyCode::Enter => self.mode = Mode::Normal,
            KeyCode::Backspace => {
                self.filter_text.pop();
                let f = self.filter_text.clone();
                self.set_filter(&f);
            }
            KeyCode::Char(c) => {
                self.filter_text.push(c);
                let f = self.filter_text.clone();
                self.set_filter(&f);
            }
            _ => {}
        }
    }
}

/// `journal.jsonl` → `journal.jsonl.1`, `.2` … for the runs before a restart.
pub fn rotated_name(path: &std::path::Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}
