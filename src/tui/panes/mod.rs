//! The console's panes. Each pane owns its UI state (selection, scroll, filter) and renders as a
//! pure function of that state and a read-only [`Ctx`]; none of them changes the run.
//!
//! The shared contract, so the app can treat panes alike:
//! - `render(&mut self, frame, area, &Ctx)` draws inside `area` (including its border);
//! - `handle_key(&mut self, key, &Ctx) -> bool` handles navigation keys (arrows, hjkl, PageUp/Down,
//!   Home/End) and returns whether it used the key;
//! - `click(&mut self, column, row, &Ctx)` selects what is under a mouse click (screen coordinates);
//! - `selection(&self, &Ctx) -> Option<Selection>` says what Enter would open;
//! - `set_filter(&mut self, &str)` filters the pane's rows (`/` in the console).

pub mod agents;
pub mod auctions_votes;
pub mod context;
pub mod dag;
pub mod dag_layout;
pub mod detail;
#[cfg(test)]
pub(crate) mod fixture;
pub mod inbox;
mod ladder;
pub mod list;
pub mod messages;
mod plan;
pub mod text;
pub mod votes;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::theme::Theme;
use super::view::View;
use crate::core::{AgentId, Coordinator, TaskId};

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

/// Whether a screen position falls inside `area`.
pub fn contains(area: Rect, column: u16, row: u16) -> bool {
    column >= area.x && column < area.x + area.width && row >= area.y && row < area.y + area.height
}
