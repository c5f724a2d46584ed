//! The console's panes, behind one trait ([`Pane`]) and listed in one place ([`registry`]):
//! adding a pane is its module and one line in the `panes!` list below (its place on screen, its
//! title and its number key come from the pane itself). Each pane owns its UI state (selection,
//! scroll, filter) and renders as a pure function of that state and a read-only [`Ctx`]; none of
//! them changes the run: what an operator asks of a pane comes back as a [`Reply`] for the app.
//!
//! The popups (`detail.rs`, `context.rs`, and the help, pickers and questions in `popups.rs`)
//! are not panes: they take the keys while open, have no place in the layout and keep no state of
//! their own beyond a scroll position the app holds, so they are plain functions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::config::Settings;
use super::keymap::{Action, Context, Keymap};
use super::theme::Theme;
use super::view::View;
use crate::core::{AgentId, Coordinator, OpAction, TaskId};

/// Declares the panes' modules and lists the panes, in the order of the tabs and their number keys.
macro_rules! panes {
    ($($module:ident::$pane:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// A fresh set of the console's panes, in the order of the tabs.
        pub fn registry() -> Vec<Box<dyn Pane>> {
            vec![$(Box::new($module::$pane::default())),*]
        }
    };
}

panes! {
    dag::DagPane,
    agents::AgentsPane,
    auctions_votes::AuctionsVotesPane,
    messages::MessagesPane,
    inbox::InboxPane,
    log::LogPane,
}

pub mod context;
pub mod dag_layout;
pub mod detail;
#[cfg(test)]
pub(crate) mod fixture;
mod ladder;
pub mod list;
mod plan;
pub mod text;
pub mod votes;

/// A pane of the console.
pub trait Pane {
    /// Names the pane in its `focus_<id>` action: snake_case, and stable (users bind keys to it).
    fn id(&self) -> &'static str;

    /// As the screen shows it: on the pane's border and its tab.
    fn title(&self) -> &'static str;

    /// What the pane shows, in a few words, for the help.
    fn help(&self) -> &'static str;

    /// Where the pane sits when the screen is large enough for every pane.
    fn place(&self) -> Place;

    /// Draws the pane inside `area`, its border included.
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx);

    /// An action of the keymap while the pane has the focus: navigation, or one of the pane's own
    /// (those of the contexts it adds, see [`Pane::contexts`]).
    fn handle(&mut self, action: Action, ctx: &Ctx) -> Reply;

    /// The keymap contexts the pane adds while it has the focus (its own keys).
    fn contexts(&self, _ctx: &Ctx) -> &'static [Context] {
        &[]
    }

    /// Selects what is under a mouse click (screen coordinates); false if nothing is.
    fn click(&mut self, _column: u16, _row: u16, _ctx: &Ctx) -> bool {
        false
    }

    /// What Enter opens, and what the task and agent keys act on.
    fn selection(&self, _ctx: &Ctx) -> Option<Selection> {
        None
    }

    /// Filters the pane's rows (`/`); an empty filter shows them all.
    fn set_filter(&mut self, _filter: &str) {}
}

/// What became of an action given to a pane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reply {
    /// Not the pane's: nothing happened.
    Ignored,
    /// The pane used it (the selection moved, a half took the keys …).
    Done,
    /// The pane asks the app for an operator command (journaled, confirmed when destructive).
    Request(OpAction),
    /// The action needs this selected first (`select a valid bid first`).
    Need(&'static str),
}

impl Reply {
    /// Whether the pane did something with the action.
    pub fn used(self) -> bool {
        self != Reply::Ignored
    }
}

/// Where a pane sits on a large screen: in the top or the bottom band, in a column of that band,
/// with a share of the band's width (a column takes its panes' largest share) and of its column's
/// height. Shares are relative: a new pane takes its share and the others make room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub band: Band,
    pub column: u8,
    pub width: u16,
    pub height: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// Three fifths of the screen's height.
    Top,
    Bottom,
}

/// What the panes may read.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub coord: &'a Coordinator,
    pub view: &'a View,
    /// Whether the pane being drawn has the keyboard focus.
    pub focused: bool,
    /// The virtual clock.
    pub now_ms: u64,
    pub theme: &'a Theme,
    /// For the key hints a pane draws.
    pub keys: &'a Keymap,
}

impl<'a> Ctx<'a> {
    pub fn new(coord: &'a Coordinator, view: &'a View, now_ms: u64, settings: &'a Settings, focused: bool) -> Self {
        Ctx { coord, view, focused, now_ms, theme: &settings.theme, keys: &settings.keys }
    }
}

/// What a pane's selected row stands for (Enter opens its detail).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Selection {
    Task(TaskId),
    Agent(AgentId),
    /// A message by its bus id.
    Message(u64),
}

/// The standard pane frame: a rounded border, highlighted when focused, with a title and an
/// optional right-aligned note (a filter, a count).
pub fn pane_block<'a>(title: &'a str, note: Option<String>, ctx: &Ctx) -> Block<'a> {
    let theme = ctx.theme;
    let mut block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border(ctx.focused))
        .title(Line::from(Span::styled(format!(" {title} "), theme.pane_title(ctx.focused))));
    if let Some(note) = note {
        block = block.title(Line::from(Span::styled(format!(" {note} "), theme.dim())).right_aligned());
    }
    block
}

/// A line of key hints, `←/→ bid  w award to it  Enter task detail`: each key in the title's style,
/// what it does dimmed. A hint whose key is `None` is only words (`:vote TASK abstain`); one whose
/// action has no key (an empty label) is left out.
pub fn hints(items: &[(Option<String>, &str)], ctx: &Ctx) -> Line<'static> {
    let shown: Vec<_> = items.iter().filter(|(key, _)| key.as_ref().is_none_or(|k| !k.is_empty())).collect();
    let mut spans = Vec::new();
    for (i, (key, what)) in shown.iter().enumerate() {
        if let Some(key) = key {
            spans.push(Span::styled(format!("{key} "), ctx.theme.title()));
        }
        let gap = if i + 1 < shown.len() { "  " } else { "" };
        spans.push(Span::styled(format!("{what}{gap}"), ctx.theme.dim()));
    }
    Line::from(spans)
}

/// Whether a screen position falls inside `area`.
pub fn contains(area: Rect, column: u16, row: u16) -> bool {
    column >= area.x && column < area.x + area.width && row >= area.y && row < area.y + area.height
}
