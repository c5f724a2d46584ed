//! What the list panes share: the cursor and scroll position ([`ListNav`]), the selection kept by
//! the row's identity ([`List`]), the filter, the moves and pages, mouse clicks on rows, and the row
//! marks and title notes every list draws alike.
//!
//! Rows come and go between frames (a task leaves the inbox, a filter narrows the list), so a list
//! keeps the *identity* of its selected row and finds its position again each time; when the row
//! went away the cursor stays where it was, on the row that took its place.

use std::ops::Range;

use ratatui::layout::Rect;
use ratatui::widgets::Cell;

use super::contains;
use crate::tui::keymap::Action;

/// Cursor and scroll position of a list.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListNav {
    /// Position of the selected row among the rows listed now.
    pub pos: usize,
    /// First row drawn.
    pub offset: usize,
    /// Where the rows (one screen line each) were drawn last: clicks and page size use it.
    pub body: Rect,
}

impl ListNav {
    /// Moves the cursor over `len` rows for a navigation action; false if `action` is not one
    /// (a page is as many rows as were drawn).
    pub fn step(&mut self, action: Action, len: usize) -> bool {
        let page = (self.body.height as usize).max(1);
        let last = len.saturating_sub(1);
        self.pos = match action {
            Action::Up => self.pos.saturating_sub(1),
            Action::Down => (self.pos + 1).min(last),
            Action::PageUp => self.pos.saturating_sub(page),
            Action::PageDown => (self.pos + page).min(last),
            Action::First => 0,
            Action::Last => last,
            _ => return false,
        };
        true
    }

    /// Clamps the cursor to `len` rows and scrolls so it is visible in `body`; returns the rows to draw.
    pub fn fit(&mut self, len: usize, body: Rect) -> Range<usize> {
        self.body = body;
        let height = body.height as usize;
        self.pos = self.pos.min(len.saturating_sub(1));
        if self.pos < self.offset {
            self.offset = self.pos;
        } else if height > 0 && self.pos >= self.offset + height {
            self.offset = self.pos + 1 - height;
        }
        // No blank space under the last row after the list shrank (a filter, a bigger window).
        self.offset = self.offset.min(len.saturating_sub(height));
        self.offset..(self.offset + height).min(len)
    }

    /// The row position under a screen cell, as drawn last time.
    pub fn row_at(&self, column: u16, row: u16, len: usize) -> Option<usize> {
        let pos = self.offset + row.checked_sub(self.body.y)? as usize;
        (contains(self.body, column, row) && pos < len).then_some(pos)
    }
}

/// Where `selected` is among `rows`, else the old cursor position (the row went away: the cursor
/// stays where it was, on the row that took its place).
pub fn locate<T: PartialEq + Copy>(rows: &[T], selected: Option<T>, pos: usize) -> Option<usize> {
    if rows.is_empty() {
        return None;
    }
    Some(selected.and_then(|s| rows.iter().position(|&r| r == s)).unwrap_or(pos.min(rows.len() - 1)))
}

/// A filterable list whose rows are known by an id (`Id`): the filter, the selected row's id and
/// the cursor. The pane lists the ids that pass the filter, in order, and hands them in.
#[derive(Debug)]
pub struct List<Id> {
    /// Lower-cased filter text; empty keeps every row.
    filter: String,
    selected: Option<Id>,
    nav: ListNav,
}

impl<Id> Default for List<Id> {
    fn default() -> Self {
        List { filter: String::new(), selected: None, nav: ListNav::default() }
    }
}

impl<Id: Copy + PartialEq> List<Id> {
    /// The filter as set (lower-cased).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.trim().to_lowercase();
    }

    /// Whether a row whose text is `text` passes the filter (case-insensitive substring).
    pub fn keeps(&self, text: &str) -> bool {
        self.filter.is_empty() || text.to_lowercase().contains(&self.filter)
    }

    /// The selected row's id as last seen (it may have left the list since).
    pub fn selected(&self) -> Option<Id> {
        self.selected
    }

    /// Selects `id` (the next frame scrolls to it).
    pub fn select(&mut self, id: Option<Id>) {
        self.selected = id;
    }

    /// The cursor's position as last placed.
    pub fn cursor(&self) -> usize {
        self.nav.pos
    }

    /// Where the selection is among `ids` now.
    pub fn position(&self, ids: &[Id]) -> Option<usize> {
        locate(ids, self.selected, self.nav.pos)
    }

    /// The selected row among `ids` now (what Enter opens).
    pub fn selection(&self, ids: &[Id]) -> Option<Id> {
        self.position(ids).map(|p| ids[p])
    }

    /// Before drawing `ids` in `body`: finds the selection, scrolls it into view and returns the
    /// positions of the rows to draw.
    pub fn fit(&mut self, ids: &[Id], body: Rect) -> Range<usize> {
        self.nav.pos = self.position(ids).unwrap_or(0);
        let visible = self.nav.fit(ids.len(), body);
        self.selected = ids.get(self.nav.pos).copied();
        visible
    }

    /// Moves the selection for a navigation action; false if `action` is not one.
    pub fn step(&mut self, action: Action, ids: &[Id]) -> bool {
        self.nav.pos = self.position(ids).unwrap_or(0);
        if !self.nav.step(action, ids.len()) {
            return false;
        }
        self.selected = ids.get(self.nav.pos).copied();
        true
    }

    /// Selects the row under a mouse click (screen coordinates); its position, or `None` when the
    /// click is not on a row.
    pub fn click(&mut self, column: u16, row: u16, ids: &[Id]) -> Option<usize> {
        let pos = self.nav.row_at(column, row, ids.len())?;
        self.nav.pos = pos;
        self.selected = Some(ids[pos]);
        Some(pos)
    }
}

/// The title note of a filterable pane: the row count, and the filter when there is one.
pub fn count_note(shown: usize, total: usize, noun: &str, filter: &str) -> String {
    if filter.is_empty() {
        format!("{total} {noun}")
    } else {
        format!("{shown}/{total} {noun} · filter “{filter}”")
    }
}

/// The selected row's mark, so the selection shows without colour too.
pub fn mark(selected: bool) -> Cell<'static> {
    Cell::from(if selected { "▸" } else { " " })
}
