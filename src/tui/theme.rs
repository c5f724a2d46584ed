//! Colours and marks for task and agent states, in one place so every pane agrees.

use ratatui::style::{Color, Modifier, Style};

use crate::core::state::{TaskRt, TaskState};

/// How a task looks: a one-character mark (readable without colour) and a style.
pub fn task_look(t: &TaskRt) -> (&'static str, Style) {
    if t.held && !t.state.is_terminal() {
        return ("‖", Style::new().fg(Color::Magenta));
    }
    match t.state {
        TaskState::Waiting => ("·", Style::new().fg(Color::DarkGray)),
        TaskState::Ready => ("○", Style::new().fg(Color::White)),
        TaskState::Running => ("▶", Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)),
        TaskState::Retrying => ("↻", Style::new().fg(Color::Yellow)),
        TaskState::Escalated => ("!", Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD)),
        TaskState::Completed => ("✓", Style::new().fg(Color::Green)),
        TaskState::Failed => ("✗", Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)),
        TaskState::Skipped => ("-", Style::new().fg(Color::DarkGray).add_modifier(Modifier::CROSSED_OUT)),
        TaskState::Dormant => ("↺", Style::new().fg(Color::DarkGray).add_modifier(Modifier::DIM)),
    }
}

/// The word for a task's state as the console shows it (held is shown as "paused").
pub fn task_state_word(t: &TaskRt) -> &'static str {
    if t.held && !t.state.is_terminal() { "paused" } else { t.state.name() }
}

pub const FOCUSED_BORDER: Style = Style::new().fg(Color::Cyan);
pub const BORDER: Style = Style::new().fg(Color::DarkGray);
pub const SELECTED: Style = Style::new().bg(Color::DarkGray).add_modifier(Modifier::BOLD);
pub const CRITICAL: Style = Style::new().fg(Color::LightYellow).add_modifier(Modifier::BOLD);
pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const TITLE: Style = Style::new().add_modifier(Modifier::BOLD);
