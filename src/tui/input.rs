//! Input handling for the console: terminal events (keys, mouse) become focus changes, pane
//! navigation, popups, `:` commands and `/` filters, and operator requests through
//! [`App::request`]. Keys are listed for the help overlay in `keys.rs`.

use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};

use super::app::{App, Mode, PaneId, Popup, StatusKind};
use super::cmdline::{self, Parsed};
use super::panes::{Ctx, contains};
use crate::core::{OpAction, Resolution};

impl App {
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
        let ctx = Ctx {
            coord: self.run.coordinator(),
            view: &self.sink.view,
            focused: true,
            now_ms: self.run.now(),
            theme: &self.opts.theme,
        };
        match pane {
            PaneId::Dag => self.dag.click(column, row, &ctx),
            PaneId::Agents => {
                self.agents.click(column, row, &ctx);
            }
            PaneId::Market => {
                self.auctions_votes.click(column, row, &ctx);
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
        let ctx = Ctx {
            coord: self.run.coordinator(),
            view: &self.sink.view,
            focused: true,
            now_ms: self.run.now(),
            theme: &self.opts.theme,
        };
        match self.focus {
            PaneId::Dag => {
                self.dag.handle_key(key, &ctx);
            }
            PaneId::Agents => {
                self.agents.handle_key(key, &ctx);
            }
            PaneId::Market => {
                self.auctions_votes.handle_key(key, &ctx);
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
            PaneId::Market => self.auctions_votes.set_filter(filter),
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
        if self.replay.is_some() && self.replay_key(key) {
            return;
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
            KeyCode::Char('b') => self.popup = Some(Popup::Context { scroll: 0 }),
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
                        let agents = super::pick::ranked(self.coord(), t).into_iter().map(|c| c.agent).collect();
                        self.popup = Some(Popup::PickAgent { task: t, agents, index: 0 });
                    }
                    _ => {
                        if let Err(r) = self.run.check_operator(OpAction::Resolve(t, Resolution::Retry)) {
                            self.status = Some((format!("resolve refused: {}", self.describe(r)), StatusKind::Error));
                        } else {
                            self.popup = Some(Popup::PickResolution { task: t, index: 0 });
                        }
                    }
                }
            }
            KeyCode::Char(c @ ('c' | 'v' | 'd' | 'H' | 'P')) => {
                let Some(a) = self.selected_agent() else { return self.need("an agent") };
                let action = match c {
                    'c' => OpAction::Crash(a),
                    'v' => OpAction::Revive(a),
                    'H' => OpAction::Hang(a),
                    'P' => OpAction::Partition(a),
                    _ => OpAction::Drain(a),
                };
                self.request(action, None, false);
            }
            // These take a number: the command line opens with the agent filled in.
            KeyCode::Char(c @ ('s' | 'f')) => {
                let Some(a) = self.selected_agent() else { return self.need("an agent") };
                self.mode = Mode::Command;
                self.cmdline.clear();
                let command = if c == 's' { "slow" } else { "flaky" };
                self.cmdline.text = format!("{command} {} ", self.coord().agent_name(a));
            }
            KeyCode::Char('L') if self.focus == PaneId::Log => self.log.cycle_level(),
            // The selected ballot: the operator's deciding vote, or a veto.
            KeyCode::Char(c @ ('y' | 'n' | 'V'))
                if self.focus == PaneId::Market && self.auctions_votes.selected_ballot(&self.ctx(true)).is_some() =>
            {
                let t = self.auctions_votes.selected_ballot(&self.ctx(true)).expect("checked");
                let action = match c {
                    'y' => OpAction::CastVote(t, crate::core::vote::Choice::Yes),
                    'n' => OpAction::CastVote(t, crate::core::vote::Choice::No),
                    _ => OpAction::Veto(t),
                };
                self.request(action, None, false);
            }
            // The Market pane's bid cursor: award the task to that bidder, or reopen its auction.
            KeyCode::Char(c @ ('w' | 'n')) if self.focus == PaneId::Market => {
                let Some((t, a)) = self.auctions_votes.selected_bid(&self.ctx(true)) else {
                    let Some(t) = self.selected_task() else { return self.need("an auction") };
                    return if c == 'n' {
                        self.request(OpAction::Reopen(t), None, false)
                    } else {
                        self.need("a valid bid")
                    };
                };
                self.request(if c == 'w' { OpAction::Award(t, a) } else { OpAction::Reopen(t) }, None, false);
            }
            _ => self.pane_key(key),
        }
    }

    fn popup_key(&mut self, key: KeyEvent) {
        let Some(popup) = self.popup.take() else { return };
        match popup {
            Popup::Help { .. } | Popup::Detail { .. } | Popup::Context { .. } => match key.code {
                KeyCode::Up | KeyCode::Char('k') => self.popup = Some(self.scrolled(popup, -1)),
                KeyCode::Down | KeyCode::Char('j') => self.popup = Some(self.scrolled(popup, 1)),
                KeyCode::PageUp => self.popup = Some(self.scrolled(popup, -10)),
                KeyCode::PageDown => self.popup = Some(self.scrolled(popup, 10)),
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Char('b') => {}
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
            Popup::Help { scroll } => {
                Popup::Help { scroll: apply(scroll, super::ui::help_max_scroll(self.screen, &self.opts.theme)) }
            }
            Popup::Context { scroll } => Popup::Context {
                scroll: apply(scroll, super::panes::context::max_scroll(self.screen, self.coord(), &self.opts.theme)),
            },
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
                    Ok(Parsed::Quit) => self.handle_key(KeyEvent::from(KeyCode::Char('q'))),
                    Ok(Parsed::Help) => self.popup = Some(Popup::Help { scroll: 0 }),
                    Ok(Parsed::Goto(target)) => self.goto(&target),
                    Ok(Parsed::Fork) => self.fork_here(),
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
