//! The log pane: tui-logger's widget, fed by the coordinator's `tracing` events.
//!
//! tui-logger keeps its own global buffer; [`init`] installs it once per process (tests call it
//! many times, hence the `Once`). The widget state is created once per pane, never inside render.

use std::sync::Once;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use tui_logger::{LevelFilter, TuiLoggerLevelOutput, TuiLoggerWidget, TuiWidgetEvent, TuiWidgetState};

use super::panes::{Ctx, pane_block};
use super::theme::Role;

static INIT: Once = Once::new();

/// Routes `tracing` events into tui-logger's buffer (idempotent).
pub fn init() {
    INIT.call_once(|| {
        use tracing_subscriber::layer::SubscriberExt;
        // Keep the buffer for everything; the pane chooses what to show.
        let _ = tui_logger::init_logger(LevelFilter::Debug);
        tui_logger::set_default_level(LevelFilter::Debug);
        let subscriber = tracing_subscriber::registry().with(tui_logger::TuiTracingSubscriberLayer);
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

const LEVELS: [LevelFilter; 5] =
    [LevelFilter::Error, LevelFilter::Warn, LevelFilter::Info, LevelFilter::Debug, LevelFilter::Trace];

pub struct LogPane {
    state: TuiWidgetState,
    level: usize,
}

impl Default for LogPane {
    fn default() -> Self {
        LogPane { state: TuiWidgetState::new().set_default_display_level(LevelFilter::Info), level: 2 }
    }
}

impl LogPane {
    pub fn level(&self) -> LevelFilter {
        LEVELS[self.level]
    }

    /// Shows the next level (error → warn → info → debug → trace → error).
    pub fn cycle_level(&mut self) {
        self.level = (self.level + 1) % LEVELS.len();
        self.state = TuiWidgetState::new().set_default_display_level(LEVELS[self.level]);
    }

    pub fn handle_key(&mut self, key: KeyEvent) {
        let ev = match key.code {
            KeyCode::PageUp | KeyCode::Up | KeyCode::Char('k') => TuiWidgetEvent::PrevPageKey,
            KeyCode::PageDown | KeyCode::Down | KeyCode::Char('j') => TuiWidgetEvent::NextPageKey,
            KeyCode::Esc | KeyCode::End => TuiWidgetEvent::EscapeKey,
            _ => return,
        };
        self.state.transition(ev);
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let note = format!("level ≥ {} · L to change", self.level().as_str().to_lowercase());
        let widget = TuiLoggerWidget::default()
            .block(pane_block("Log", Some(note), ctx))
            .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
            .output_target(false)
            .output_file(false)
            .output_line(false)
            // Lines carry the virtual time themselves; the wall clock would only take room.
            .output_timestamp(None)
            .style_error(theme.fg(Role::Error))
            .style_warn(theme.fg(Role::Warning))
            .style_info(theme.fg(Role::LogInfo))
            .style_debug(theme.fg(Role::Muted))
            .state(&self.state);
        f.render_widget(widget, area);
    }
}
