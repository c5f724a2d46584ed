//! Input handling for the console: terminal events become actions through the keymap (the only
//! place keys are matched, `keymap.rs`), and actions become focus changes, pane moves, popups,
//! `:` commands and `/` filters, and operator requests through [`App::request`].
//!
//! Which contexts of the keymap are active follows what is on screen: the command line or the
//! filter while one is open, else the popup while one is open, else the console's own keys with
//! the focused pane's (and a replay's, in a replay).

use ratatui::crossterm::event::{Event as TermEvent, KeyEvent, KeyEventKind, MouseEventKind};

use super::app::{App, Mode, Popup, StatusKind};
use super::cmdline::{self, Parsed};
use super::keymap::{Action, Context, Key};
use super::panes::{Ctx, Reply, contains};
use crate::core::{OpAction, Resolution};

impl App {
    /// Any terminal event. Returns whether the screen should be redrawn.
    pub fn handle_event(&mut self, ev: TermEvent) -> bool {
        match ev {
            // Windows reports key releases too: act on presses only.
            TermEvent::Key(key) if key.kind == KeyEventKind::Press => self.handle_key(key),
            TermEvent::Mouse(m) => match m.kind {
                MouseEventKind::Down(_) => self.click(m.column, m.row),
                MouseEventKind::ScrollDown => self.pane_act(Action::Down),
                MouseEventKind::ScrollUp => self.pane_act(Action::Up),
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
        let ctx = Ctx::new(self.run.coordinator(), &self.sink.view, self.run.now(), &self.opts.settings, true);
        self.panes[pane].click(column, row, &ctx);
    }

    /// A key, as the keymap reads it in the contexts active now.
    pub fn handle_key(&mut self, key: KeyEvent) {
        let keys = &self.opts.settings.keys;
        if keys.action(&[Context::Always], &key) == Some(Action::QuitNow) {
            self.quit = true;
            return;
        }
        if self.mode != Mode::Normal {
            return self.line_key(key);
        }
        if self.popup.is_some() {
            return self.popup_key(key);
        }
        if let Some(action) = keys.action(&self.contexts(), &key) {
            self.act(action);
        }
    }

    /// The keymap's contexts with no popup and no line open: the console's, the focused pane's,
    /// and a replay's in a replay.
    pub fn contexts(&self) -> Vec<Context> {
        let mut contexts = vec![Context::Console, Context::Pane, Context::Run, Context::Task, Context::Agent];
        if self.replay.is_some() {
            contexts.push(Context::Replay);
        }
        contexts.extend_from_slice(self.focused_pane().contexts(&self.ctx(true)));
        contexts
    }

    /// Does what `action` asks, as if its key had been pressed with no popup or line open.
    pub fn act(&mut self, action: Action) {
        if self.replay.is_some() && self.replay_act(action) {
            return;
        }
        match action.context() {
            Context::Console => self.console_act(action),
            Context::Run => self.run_act(action),
            Context::Task => self.task_act(action),
            Context::Agent => self.agent_act(action),
            _ => self.pane_act(action),
        }
    }

    fn console_act(&mut self, action: Action) {
        let panes = self.panes.len();
        match action {
            // Nothing is lost when an attached console quits: the served run goes on.
            Action::Quit if self.coord().is_finished() || self.attached.is_some() => self.quit = true,
            Action::Quit => self.popup = Some(Popup::Quit),
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::SharedContext => self.popup = Some(Popup::Context { scroll: 0 }),
            Action::NextPane => self.focus = (self.focus + 1) % panes,
            Action::PreviousPane => self.focus = (self.focus + panes - 1) % panes,
            Action::Focus(i) if i < panes => self.focus = i,
            Action::Open => {
                if let Some(sel) = self.selection() {
                    self.popup = Some(Popup::Detail { sel, scroll: 0 });
                }
            }
            Action::Clear => {
                if !self.filter_text.is_empty() {
                    self.filter_text.clear();
                    self.set_filter("");
                }
                self.status = None;
            }
            Action::Command => {
                self.mode = Mode::Command;
                self.cmdline.clear();
            }
            Action::Filter => {
                self.mode = Mode::Filter;
                self.filter_text.clear();
            }
            _ => {}
        }
    }

    fn run_act(&mut self, action: Action) {
        let op = match action {
            Action::Pause if self.coord().state().paused() => OpAction::Resume,
            Action::Pause => OpAction::Pause,
            Action::Step => OpAction::Step,
            Action::Faster | Action::Slower if !self.remote_speed_known() => return,
            Action::Faster => OpAction::Speed((self.speed * 2.0).min(1000.0)),
            Action::Slower => OpAction::Speed((self.speed / 2.0).max(0.01)),
            Action::Restart => OpAction::Restart,
            _ => return,
        };
        self.request(op, None, false);
    }

    /// The keys of the selected task (in the DAG, the Inbox, or an auction's or a ballot's).
    fn task_act(&mut self, action: Action) {
        let Some(t) = self.selected_task() else { return self.need("a task") };
        let op = match action {
            Action::Hold if self.coord().state().tasks()[t.ix()].held => OpAction::Release(t),
            Action::Hold => OpAction::Hold(t),
            Action::Retry => OpAction::Retry(t),
            Action::Escalate => OpAction::Escalate(t),
            Action::Cancel => OpAction::Cancel(t),
            Action::Reassign => {
                let agents = super::pick::ranked(self.coord(), t).into_iter().map(|c| c.agent).collect();
                self.popup = Some(Popup::PickAgent { task: t, agents, index: 0 });
                return;
            }
            Action::Resolve => {
                match self.run.check_operator(OpAction::Resolve(t, Resolution::Retry)) {
                    Err(r) => self.status = Some((format!("resolve refused: {}", self.describe(r)), StatusKind::Error)),
                    Ok(()) => self.popup = Some(Popup::PickResolution { task: t, index: 0 }),
                }
                return;
            }
            _ => return,
        };
        self.request(op, None, false);
    }

    fn agent_act(&mut self, action: Action) {
        let Some(a) = self.selected_agent() else { return self.need("an agent") };
        let op = match action {
            Action::Crash => OpAction::Crash(a),
            Action::Revive => OpAction::Revive(a),
            Action::Drain => OpAction::Drain(a),
            Action::Hang => OpAction::Hang(a),
            Action::Partition => OpAction::Partition(a),
            // These take a number: the command line opens with the agent filled in.
            Action::Slow | Action::Flaky => {
                let command = if action == Action::Slow { "slow" } else { "flaky" };
                self.mode = Mode::Command;
                self.cmdline.clear();
                self.cmdline.text = format!("{command} {} ", self.coord().agent_name(a));
                return;
            }
            _ => return,
        };
        self.request(op, None, false);
    }

    /// An action for the focused pane: a move, or one of the pane's own.
    fn pane_act(&mut self, action: Action) {
        let ctx = Ctx::new(self.run.coordinator(), &self.sink.view, self.run.now(), &self.opts.settings, true);
        match self.panes[self.focus].handle(action, &ctx) {
            Reply::Ignored | Reply::Done => {}
            Reply::Request(op) => self.request(op, None, false),
            Reply::Need(what) => self.need(what),
        }
    }

    fn set_filter(&mut self, filter: &str) {
        self.panes[self.focus].set_filter(filter);
    }

    fn popup_key(&mut self, key: KeyEvent) {
        let Some(popup) = self.popup.take() else { return };
        let keys = &self.opts.settings.keys;
        match popup {
            Popup::Help { .. } | Popup::Detail { .. } | Popup::Context { .. } | Popup::WhatIf { .. } => {
                match keys.action(&[Context::Pane, Context::Popup], &key) {
                    Some(Action::Up) => self.popup = Some(self.scrolled(popup, -1)),
                    Some(Action::Down) => self.popup = Some(self.scrolled(popup, 1)),
                    Some(Action::PageUp) => self.popup = Some(self.scrolled(popup, -10)),
                    Some(Action::PageDown) => self.popup = Some(self.scrolled(popup, 10)),
                    Some(Action::ClosePopup) if matches!(popup, Popup::WhatIf { .. }) => self.close_whatif(),
                    Some(Action::ClosePopup) => {}
                    _ => self.popup = Some(popup),
                }
            }
            Popup::Confirm { action, reason, preview } => match keys.action(&[Context::Confirm], &key) {
                Some(Action::Confirm) => self.request(action, reason, true),
                Some(Action::Decline) => self.status = Some((format!("{} not done", action.name()), StatusKind::Info)),
                _ => self.popup = Some(Popup::Confirm { action, reason, preview }),
            },
            Popup::PickAgent { task, agents, index } => match keys.action(&[Context::Pane, Context::Picker], &key) {
                Some(Action::Up) => {
                    self.popup = Some(Popup::PickAgent { task, index: index.saturating_sub(1), agents })
                }
                Some(Action::Down) => {
                    let index = (index + 1).min(agents.len().saturating_sub(1));
                    self.popup = Some(Popup::PickAgent { task, agents, index });
                }
                Some(Action::Pick) => {
                    if let Some(&a) = agents.get(index) {
                        self.request(OpAction::Reassign(task, a), None, false);
                    }
                }
                Some(Action::Dismiss) => {}
                _ => self.popup = Some(Popup::PickAgent { task, agents, index }),
            },
            Popup::PickResolution { task, index } => match keys.action(&[Context::Pane, Context::Picker], &key) {
                Some(Action::Up) => self.popup = Some(Popup::PickResolution { task, index: index.saturating_sub(1) }),
                Some(Action::Down) => self.popup = Some(Popup::PickResolution { task, index: (index + 1).min(3) }),
                Some(Action::Pick) => self.request(OpAction::Resolve(task, Resolution::ALL[index]), None, false),
                Some(Action::Dismiss) => {}
                _ => self.popup = Some(Popup::PickResolution { task, index }),
            },
            // Yes, or the quit key again, quits; any other key stays.
            Popup::Quit => {
                let yes = keys.action(&[Context::Confirm], &key) == Some(Action::Confirm);
                self.quit = yes || keys.action(&[Context::Console], &key) == Some(Action::Quit);
            }
        }
    }

    /// A scrollable popup moved by `delta` lines, kept within its content.
    fn scrolled(&self, popup: Popup, delta: i32) -> Popup {
        let apply = |s: u16, max: u16| (s as i32 + delta).clamp(0, max as i32) as u16;
        let settings = &self.opts.settings;
        match popup {
            Popup::Help { scroll } => {
                Popup::Help { scroll: apply(scroll, super::help::max_scroll(self.screen, settings)) }
            }
            Popup::Context { scroll } => {
                let max = super::panes::context::max_scroll(self.screen, self.coord(), &settings.theme);
                Popup::Context { scroll: apply(scroll, max) }
            }
            Popup::Detail { sel, scroll } => {
                let max = super::panes::detail::max_scroll(self.screen, sel, &self.ctx(true));
                Popup::Detail { sel, scroll: apply(scroll, max) }
            }
            Popup::WhatIf { scroll } => Popup::WhatIf { scroll: apply(scroll, super::whatif::max_scroll(self)) },
            other => other,
        }
    }

    /// A key while the command line or the filter is open: its own keys, else it types itself.
    fn line_key(&mut self, key: KeyEvent) {
        let action = self.opts.settings.keys.action(&[Context::Line], &key);
        let typed = Key::of(&key).typed();
        match self.mode {
            Mode::Command => self.command_key(action, typed),
            _ => self.filter_key(action, typed),
        }
    }

    fn command_key(&mut self, action: Option<Action>, typed: Option<char>) {
        match action {
            Some(Action::LineClose) => self.mode = Mode::Normal,
            Some(Action::LineSubmit) => {
                self.mode = Mode::Normal;
                let line = self.cmdline.submit();
                if !line.trim().is_empty() {
                    self.command(&line);
                }
            }
            Some(Action::LineComplete) => {
                let coord = self.run.coordinator();
                self.cmdline.complete(coord);
            }
            Some(Action::LineHistoryBack) => self.cmdline.history_prev(),
            Some(Action::LineHistoryForward) => self.cmdline.history_next(),
            Some(Action::LineDelete) if self.cmdline.text.is_empty() => self.mode = Mode::Normal,
            Some(Action::LineDelete) => self.cmdline.backspace(),
            _ => {
                if let Some(c) = typed {
                    self.cmdline.push(c);
                }
            }
        }
    }

    /// Runs a `:` command line.
    fn command(&mut self, line: &str) {
        match cmdline::parse(line, self.coord()) {
            Ok(Parsed::Op(action, reason)) => self.request(action, reason, false),
            // A typed list of agents is explicit: no confirmation for each one.
            Ok(Parsed::Ops(actions, reason)) => {
                for action in actions {
                    self.request(action, reason.clone(), true);
                }
            }
            Ok(Parsed::Filter(f)) => {
                self.filter_text = f.clone();
                self.set_filter(&f);
            }
            Ok(Parsed::Broadcast(to, text)) => self.broadcast(to, text),
            Ok(Parsed::Quit) => self.act(Action::Quit),
            Ok(Parsed::Help) => self.popup = Some(Popup::Help { scroll: 0 }),
            Ok(Parsed::Goto(target)) => self.goto(&target),
            Ok(Parsed::Fork) => self.fork_here(),
            Ok(Parsed::WhatIf(words)) => self.start_whatif(&words.iter().map(String::as_str).collect::<Vec<_>>()),
            Err(e) => self.status = Some((format!(":{line}: {e}"), StatusKind::Error)),
        }
    }

    fn filter_key(&mut self, action: Option<Action>, typed: Option<char>) {
        match action {
            Some(Action::LineClose) => {
                self.mode = Mode::Normal;
                self.filter_text.clear();
                self.set_filter("");
            }
            Some(Action::LineSubmit) => self.mode = Mode::Normal,
            Some(Action::LineDelete) => {
                self.filter_text.pop();
                let f = self.filter_text.clone();
                self.set_filter(&f);
            }
            _ => {
                if let Some(c) = typed {
                    self.filter_text.push(c);
                    let f = self.filter_text.clone();
                    self.set_filter(&f);
                }
            }
        }
    }
}
