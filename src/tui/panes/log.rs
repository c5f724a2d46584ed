//! The Log pane: tui-logger's widget, fed by the coordinator's `tracing` events.
//!
//! tui-logger keeps its own global buffer; [`init`] installs it once per process (tests call it
//! many times, hence the `Once`). The widget state is created once per pane, never inside render.

use std::sync::Once;

use ratatui::Frame;
use ratatui::layout::Rect;
use tui_logger::{LevelFilter, TuiLoggerLevelOutput, TuiLoggerWidget, TuiWidgetEvent, TuiWidgetState};

use super::{Band, Ctx, Pane, Place, Reply, pane_block};
use crate::tui::keymap::{Action, Context};
use crate::tui::theme::Role;

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

}

impl Pane for LogPane {
    fn id(&self) -> &'static str {
        "log"
    }

    fn title(&self) -> &'static str {
        "Log"
    }

    fn help(&self) -> &'static str {
        "the coordinator's log"
    }

    fn place(&self) -> Place {
        Place { band: Band::Bottom, column: 2, width: 33, height: 1 }
    }

    fn contexts(&self, _ctx: &Ctx) -> &'static [Context] {
        &[Context::Log]
    }

    /// Up and down page through the log (tui-logger pages, it does not move by line); the last row
    /// goes back to following the newest lines.
    fn handle(&mut self, action: Action, _ctx: &Ctx) -> Reply {
        let ev = match action {
            Action::LogLevel => {
                self.cycle_level();
                return Reply::Done;
            }
            Action::PageUp | Action::Up => TuiWidgetEvent::PrevPageKey,
            Action::PageDown | Action::Down => TuiWidgetEvent::NextPageKey,
            Action::Last => TuiWidgetEvent::EscapeKey,
            _ => return Reply::Ignored,
        };
        self.state.transition(ev);
        Reply::Done
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let level = self.level().as_str().to_lowercase();
        let note = match ctx.keys.label(Action::LogLevel) {
            key if key.is_empty() => format!("level ≥ {level}"),
            key => format!("level ≥ {level} · {key} to change"),
        };
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
