//! The console attached to a served run (`switchyard attach URL --run NAME`): no coordinator
//! runs here. Like a replay that follows a growing journal, it folds the run's events as they
//! arrive — the coordinator with [`crate::core::Coordinator::apply_recorded`], the view model with
//! [`View::fold`] — so several consoles attached to one run show the same state; and like the
//! local console it turns keys and `:` commands into operator actions, which it sends to the
//! served run as command lines (`reassign build w1`) instead of carrying them out. Their answers
//! come back on the status line; the journal lines they make arrive with the stream.
//!
//! The console knows nothing of NATS: a [`Link`] carries lines out and [`Feed`]s in, and
//! `crate::remote::attach` fills it.

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::app::{App, ConsoleOptions, Popup, StatusKind};
use super::cmdline;
use super::view::View;
use crate::core::{Coordinator, Event, EventKind, OpAction};
use crate::runtime::SimRun;
use crate::scenario::Scenario;

/// What comes in from the served run.
#[derive(Debug)]
pub enum Feed {
    /// The run's next event (its stream's next line, decoded).
    Event(Box<Event>),
    /// The served run's answer to a command this console sent: the status line's words.
    Answer { accepted: bool, message: String },
    /// A command got no answer (no served run listening, none within the time, the server gone).
    Unanswered { command: String, why: String },
    /// The connection to the server is up (true) or gone (false; the client reconnects).
    Link(bool),
    /// The stream cannot be followed further (a line that does not read): what was received stays.
    Broken(String),
}

/// The console's ends of its link to the served run.
pub struct Link {
    pub feed: UnboundedReceiver<Feed>,
    /// Command lines (without the `:`) to send to the run.
    pub commands: UnboundedSender<String>,
}

/// The served run this console is attached to.
pub struct Attached {
    link: Link,
    /// The server as shown (never with credentials).
    pub server: String,
    pub run: String,
    /// Whether the connection to the server is up.
    pub connected: bool,
    /// The served run's speed is known once the stream carried an accepted `:speed`.
    pub speed_known: bool,
    /// No more feed will come (the run ended, or its stream broke).
    over: bool,
}

/// The next feed, when the console is attached and more can come; never otherwise.
pub async fn next_feed(attached: &mut Option<Attached>) -> Option<Feed> {
    match attached {
        Some(a) if !a.over => a.link.feed.recv().await,
        _ => std::future::pending().await,
    }
}

impl App {
    /// The console attached to the served run `run` on `server`, whose journal embeds `scenario`:
    /// nothing shown yet; events come through `link`.
    pub fn attached(scenario: Scenario, mut opts: ConsoleOptions, link: Link, server: String, run: String) -> App {
        opts.journal = None;
        let agents = scenario.agents.len();
        let mut app = App::with_journal(scenario.clone(), opts, None);
        // Nothing runs here: no agent process starts, no clock advances.
        app.live = None;
        app.live_pending = false;
        app.run = SimRun::frozen(Coordinator::new(scenario), 0);
        app.sink.view = View::new(agents);
        app.attached = Some(Attached { link, server, run, connected: true, speed_known: false, over: false });
        app
    }

    /// The served run's speed, known to whoever serves it.
    pub fn served_speed(&mut self, x: f64) {
        self.speed = x;
        if let Some(a) = &mut self.attached {
            a.speed_known = true;
        }
    }

    /// Feed that has already arrived, if any (to fold a burst at once).
    pub fn try_feed(&mut self) -> Option<Feed> {
        match &mut self.attached {
            Some(a) if !a.over => a.link.feed.try_recv().ok(),
            _ => None,
        }
    }

    /// Takes in what came from the served run. Returns whether the screen changes.
    pub fn on_feed(&mut self, feed: Option<Feed>) -> bool {
        let Some(attached) = &mut self.attached else { return false };
        match feed {
            Some(Feed::Event(ev)) => {
                if let EventKind::OperatorAction { action: OpAction::Speed(x), .. } = ev.kind {
                    // Refused speeds are not journaled as actions: this is the run's speed now.
                    self.speed = x;
                    attached.speed_known = true;
                }
                self.run.fold_recorded(&ev);
                self.sink.view.fold(&ev);
            }
            Some(Feed::Answer { accepted, message }) => {
                let kind = if accepted { StatusKind::Info } else { StatusKind::Error };
                self.status = Some((message, kind));
            }
            Some(Feed::Unanswered { command, why }) => {
                self.status = Some((format!("{command}: not done: {why}"), StatusKind::Error));
            }
            Some(Feed::Link(up)) => {
                attached.connected = up;
                if !up {
                    self.status = Some((
                        format!("the server {} is gone; showing what was received, reconnecting…", attached.server),
                        StatusKind::Error,
                    ));
                } else if matches!(&self.status, Some((s, _)) if s.starts_with("the server ")) {
                    self.status =
                        Some((format!("back on {}; following the run again", attached.server), StatusKind::Info));
                }
            }
            Some(Feed::Broken(why)) => {
                attached.over = true;
                self.status = Some((format!("the run's stream cannot be followed: {why}"), StatusKind::Error));
            }
            None => attached.over = true,
        }
        true
    }

    /// After a burst of feed: the load samples follow the folded run.
    pub fn feed_done(&mut self) {
        self.sink.view.sample_load(self.run.coordinator());
    }

    /// An operator action asked for in an attached console: confirmed (if destructive), then sent
    /// to the served run as its command line. The served run checks it, carries it out or refuses
    /// it with the console's words.
    pub(super) fn request_remote(&mut self, action: OpAction, reason: Option<String>, confirmed: bool) {
        if !confirmed
            && action != OpAction::Restart
            && let Some(preview) = self.preview(action)
        {
            self.popup = Some(Popup::Confirm { action, reason, preview });
            return;
        }
        let line = cmdline::text(action, reason.as_deref(), self.coord());
        self.send_line(line);
    }

    /// `:broadcast` from an attached console: sent as typed.
    pub(super) fn broadcast_remote(&mut self, to: Option<String>, text: String) {
        let line = match to {
            Some(cap) => format!("broadcast @{cap} {text}"),
            None => format!("broadcast {text}"),
        };
        self.send_line(line);
    }

    /// `+` / `-` on a served run: twice or half its speed, once this console knows it.
    pub(super) fn remote_speed_known(&mut self) -> bool {
        match &self.attached {
            Some(a) if !a.speed_known => {
                self.status = Some((
                    "speed: the served run's speed shows here once a `:speed X` was taken; type `:speed X`".into(),
                    StatusKind::Error,
                ));
                false
            }
            _ => true,
        }
    }

    fn send_line(&mut self, line: String) {
        let Some(attached) = &self.attached else { return };
        let name = line.split_whitespace().next().unwrap_or_default().to_string();
        self.status = match attached.link.commands.send(line) {
            Ok(()) => Some((format!("{name}: sent to run {}…", attached.run), StatusKind::Info)),
            Err(_) => Some((format!("{name}: not sent: the link to the server is closed"), StatusKind::Error)),
        };
    }
}

#[cfg(test)]
mod tests;
