//! Operator commands sent to a served run as NATS requests on `switchyard.RUN.cmd`: the console's
//! `:COMMAND …` text (the `:` may be left out), parsed by the console's own parser and carried out
//! as the console carries it out, so an accepted command and a refusal read the same — and are
//! journaled the same — wherever they come from. A command from afar is explicit: it is not asked
//! to confirm. Console-only commands (`:filter`, `:help`, `:quit`, replay's `:goto` and `:fork`) and
//! `:restart` are refused on a served run.

use std::io;

use crate::core::{OpAction, Origin, Refusal};
use crate::tui::cmdline::{self, Parsed};

use super::host::Host;

/// The request header naming who sends a command (the sender's `$USER`); journaled as `who`.
pub const OPERATOR_HEADER: &str = "Switchyard-Operator";

/// Who the journal names when a request does not say.
pub const UNNAMED_OPERATOR: &str = "remote";

/// The operator's name from a request header: printable, at most 64 characters.
pub fn operator_name(header: Option<&str>) -> String {
    match header.map(str::trim) {
        Some(name) if !name.is_empty() && name.chars().count() <= 64 && !name.chars().any(char::is_control) => {
            name.to_string()
        }
        _ => UNNAMED_OPERATOR.to_string(),
    }
}

impl Host {
    /// Carries out one command. Returns whether it was accepted and what the console's status line
    /// would say; the journal lines it produced are in the sink.
    pub(super) fn command(&mut self, payload: &[u8], who: &str) -> io::Result<(bool, String)> {
        let Ok(text) = std::str::from_utf8(payload) else {
            return Ok((false, "a command is text, such as `:pause`".into()));
        };
        let text = text.trim();
        let line = text.strip_prefix(':').unwrap_or(text).trim_start();
        if line.is_empty() {
            return Ok((false, "an empty command; `:help` in the console lists them".into()));
        }
        match cmdline::parse(line, self.run.coordinator()) {
            Ok(Parsed::Op(OpAction::Restart, _)) => {
                Ok((false, "restart refused: a served run cannot restart; start a new run instead".into()))
            }
            Ok(Parsed::Op(action, reason)) => self.request(action, reason.as_deref(), who),
            Ok(Parsed::Ops(actions, reason)) => {
                let mut all = true;
                let mut said = Vec::with_capacity(actions.len());
                for action in actions {
                    let (accepted, message) = self.request(action, reason.as_deref(), who)?;
                    all &= accepted;
                    said.push(message);
                }
                Ok((all, said.join("; ")))
            }
            Ok(Parsed::Broadcast(to, text)) => {
                let now = self.run.now();
                let to = to.map(|c| std::sync::Arc::from(c.as_str()));
                self.run
                    .feed(now, &mut self.sink, |c, now| c.broadcast(now, to, text.as_str().into(), Origin::Operator))?;
                self.after_input();
                Ok((true, "broadcast".into()))
            }
            Ok(
                Parsed::Filter(_) | Parsed::Help | Parsed::Quit | Parsed::Goto(_) | Parsed::Fork | Parsed::WhatIf(_),
            ) => Ok((false, format!(":{line}: a console command; a served run takes operator actions only"))),
            Err(e) => Ok((false, format!(":{line}: {e}"))),
        }
    }

    /// An operator action, as the console's `request` does it (confirmed).
    fn request(&mut self, action: OpAction, reason: Option<&str>, who: &str) -> io::Result<(bool, String)> {
        if let Err(r) = self.run.check_operator(action) {
            // The coordinator records the refusal (`command_refused`).
            let _ = self.run.operator(action, who, reason, &mut self.sink)?;
            return Ok((false, self.refused(action, r)));
        }
        match self.run.operator(action, who, reason, &mut self.sink)? {
            Ok(()) => {
                match action {
                    OpAction::Speed(x) => self.set_speed(x),
                    OpAction::Step => self.run.step_instant(&mut self.sink)?,
                    _ => {}
                }
                self.after_input();
                Ok((true, self.done_text(action)))
            }
            Err(r) => Ok((false, self.refused(action, r))),
        }
    }

    fn refused(&self, action: OpAction, r: Refusal) -> String {
        let c = self.run.coordinator();
        format!("{} refused: {}", action.name(), r.describe(|t| c.task_name(t), |a| c.agent_name(a)))
    }

    /// What the console's status line says after an accepted action.
    fn done_text(&self, action: OpAction) -> String {
        let c = self.run.coordinator();
        let target = match (action.task(), action.agent()) {
            (Some(t), Some(a)) => format!(" {} → {}", c.task_name(t), c.agent_name(a)),
            (Some(t), None) => format!(" {}", c.task_name(t)),
            (None, Some(a)) => format!(" {}", c.agent_name(a)),
            (None, None) => String::new(),
        };
        let extra = match action {
            OpAction::Speed(x) | OpAction::Slow(_, x) => format!(" ×{x}"),
            OpAction::Flaky(_, r) => format!(" (failure rate {r})"),
            OpAction::Resolve(_, r) => format!(" as {}", r.name()),
            OpAction::Step => format!(" to {}", clock(self.run.now())),
            _ => String::new(),
        };
        format!("{}{target}{extra}", action.name())
    }
}

/// `m:ss.mmm` (or `h:mm:ss` past an hour), as the console shows times.
fn clock(ms: u64) -> String {
    let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}.{milli:03}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_from_headers() {
        assert_eq!(operator_name(Some("alice")), "alice");
        assert_eq!(operator_name(Some(" bob ")), "bob");
        assert_eq!(operator_name(None), UNNAMED_OPERATOR);
        assert_eq!(operator_name(Some("")), UNNAMED_OPERATOR);
        assert_eq!(operator_name(Some("a\u{7}b")), UNNAMED_OPERATOR);
        assert_eq!(operator_name(Some(&"x".repeat(65))), UNNAMED_OPERATOR);
    }

    #[test]
    fn clock_reads_like_the_console() {
        assert_eq!(clock(2192), "0:02.192");
        assert_eq!(clock(3_723_000), "1:02:03");
    }
}
