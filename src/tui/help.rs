//! The `?` help, generated from the keymap: one section per context, one line per action with its
//! keys as they are bound now (a user's config included), then the `:` commands. Nothing here
//! lists a key by hand, so the help cannot disagree with what the keys do.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::cmdline;
use super::config::Settings;
use super::keymap::{Action, Context, Keymap};
use super::theme::Role;

/// The keys column of the help.
const KEYS_W: usize = 26;

/// The help's lines.
pub fn lines(settings: &Settings) -> Vec<Line<'static>> {
    let (keys, theme) = (&settings.keys, &settings.theme);
    let row = |k: String, what: String| {
        Line::from(vec![Span::styled(format!("  {k:<KEYS_W$}"), theme.fg(Role::Key)), Span::raw(what)])
    };
    let mut out = Vec::new();
    for context in Context::ALL {
        out.push(Line::from(Span::styled(context.title(), theme.title())));
        for b in keys.bindings().iter().filter(|b| b.context == context) {
            let bound = if b.keys.is_empty() { "(no key)".to_string() } else { keys.labels(b.action) };
            out.push(row(bound, b.help.to_string()));
        }
        for (k, what) in notes(context, keys) {
            out.push(row(k, what.to_string()));
        }
        out.push(Line::raw(""));
    }
    out.push(Line::from(Span::styled("Commands (`:` then the command; ` -- reason` is journaled)", theme.title())));
    for (name, args, what) in cmdline::COMMANDS {
        let usage = format!("  :{name} {args}");
        out.push(Line::from(vec![Span::styled(format!("{usage:<42}"), theme.fg(Role::Key)), Span::raw(*what)]));
    }
    out
}

/// What a context's section says besides its bindings: the mouse, and what the console's keys
/// mean in a replay.
fn notes(context: Context, keys: &Keymap) -> Vec<(String, &'static str)> {
    match context {
        Context::Pane => vec![("mouse".into(), "click to focus and select; the wheel scrolls")],
        Context::Replay => vec![
            (keys.pair(Action::First, Action::Last), "first / last event"),
            (keys.labels(Action::Pause), "play forward at the run's speed (faster / slower as usual)"),
            (":goto".into(), "#SEQ, a time (12.5s), a task (its last event), failure (the first)"),
        ],
        _ => Vec::new(),
    }
}

/// Where the help is drawn on a screen of this size.
pub fn rect(area: Rect) -> Rect {
    super::popups::centered(area, 100, area.height.saturating_sub(4))
}

/// How far the help can scroll on a screen of this size.
pub fn max_scroll(screen: Rect, settings: &Settings) -> u16 {
    let visible = rect(screen).height.saturating_sub(2);
    (lines(settings).len() as u16).saturating_sub(visible)
}
