//! The "Auctions & votes" pane. The coordinator has no auctions or votes yet (a later issue adds
//! `allocation: "auction"` and decision tasks), so the pane says what will appear here. It already
//! follows the pane contract, so the console can lay it out and route keys to it today, and the
//! rows can arrive later without touching the console.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Ctx, Selection, pane_block};
use crate::tui::theme;

/// What the pane says until auctions and votes exist.
pub const PLACEHOLDER: &str =
    "none yet — auctions and votes appear here when a scenario uses allocation \"auction\" or decision tasks";

/// Open auctions and votes (a placeholder for now).
#[derive(Debug, Default)]
pub struct MarketPane {
    /// Kept so that `/` behaves like everywhere else and applies once there are rows.
    filter: String,
}

impl MarketPane {
    pub fn new() -> MarketPane {
        MarketPane::default()
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.trim().to_lowercase();
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let note = (!self.filter.is_empty()).then(|| format!("filter “{}”", self.filter));
        let block = pane_block("Auctions & votes", note, ctx.focused);
        let text = Line::from(Span::styled(PLACEHOLDER, theme::DIM));
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }).block(block), area);
    }

    /// No rows to move through yet.
    pub fn handle_key(&mut self, _key: KeyEvent, _ctx: &Ctx) -> bool {
        false
    }

    pub fn click(&mut self, _column: u16, _row: u16, _ctx: &Ctx) -> bool {
        false
    }

    pub fn selection(&self, _ctx: &Ctx) -> Option<Selection> {
        None
    }
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::KeyCode;

    use super::super::agents::fixture::{Fixture, draw, key};
    use super::*;

    #[test]
    fn market_wide() {
        let fx = Fixture::new("research-pipeline");
        let mut pane = MarketPane::new();
        let term = draw(100, 5, |f| pane.render(f, f.area(), &fx.ctx()));
        insta::assert_snapshot!(term.backend());
    }

    #[test]
    fn market_narrow() {
        let fx = Fixture::new("research-pipeline");
        let mut pane = MarketPane::new();
        pane.set_filter("bid");
        let term = draw(40, 6, |f| pane.render(f, f.area(), &fx.ctx()));
        insta::assert_snapshot!(term.backend());
        assert!(!pane.handle_key(key(KeyCode::Down), &fx.ctx()));
        assert!(!pane.click(3, 3, &fx.ctx()));
        assert_eq!(pane.selection(&fx.ctx()), None);
    }
}
