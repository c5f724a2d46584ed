//! Drawing the popups: the help, the shared context and a detail (drawn by their own modules),
//! the questions before a destructive action or quitting, and the pickers of a reassignment and
//! of an inbox item's resolution. Their key hints come from the keymap.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::app::{App, Popup};
use super::config::Settings;
use super::keymap::{Action, Keymap};
use super::panes::detail;
use super::theme::Role;
use crate::core::{Coordinator, OpAction, Resolution, TaskId};

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// A popup's frame: a double border, its title, and the key that closes it (`closed_by`).
pub(crate) fn popup_block<'a>(title: &'a str, closed_by: Action, settings: &Settings) -> Block<'a> {
    let theme = &settings.theme;
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Line::from(Span::styled(format!(" {title} "), theme.title())));
    match close_label(&settings.keys, closed_by) {
        key if key.is_empty() => block,
        key => block.title_bottom(Line::from(Span::styled(format!(" {key} closes "), theme.dim())).right_aligned()),
    }
}

/// The key to show for closing: Esc when it is one of the action's keys, else its first key.
fn close_label(keys: &Keymap, action: Action) -> String {
    let esc = keys.keys(action).iter().find(|k| k.to_string() == "esc");
    esc.map_or_else(|| keys.label(action), |k| k.label())
}

/// `↑↓`: the keys that move in a popup, as bound.
fn up_down(keys: &Keymap) -> String {
    format!("{}{}", keys.label(Action::Up), keys.label(Action::Down))
}

/// Draws the open popup, if any, over the console.
pub fn draw(f: &mut Frame, app: &App) {
    let Some(popup) = &app.popup else { return };
    let settings = &app.opts.settings;
    let area = f.area();
    let coord = app.run.coordinator();
    match popup {
        Popup::Help { scroll } => {
            let rect = super::help::rect(area);
            let title = format!("Help — {} scroll", up_down(&settings.keys));
            f.render_widget(Clear, rect);
            let block = popup_block(&title, Action::ClosePopup, settings);
            f.render_widget(Paragraph::new(super::help::lines(settings)).block(block).scroll((*scroll, 0)), rect);
        }
        Popup::Context { scroll } => {
            let title = format!("Shared context — {} scroll", up_down(&settings.keys));
            let block = popup_block(&title, Action::ClosePopup, settings);
            super::panes::context::render(f, area, coord, &settings.theme, *scroll, block);
        }
        Popup::Detail { sel, scroll } => detail::render_detail(f, area, *sel, &app.ctx(true), *scroll),
        Popup::Confirm { action, preview, reason } => draw_confirm(f, area, settings, *action, preview, reason),
        Popup::PickAgent { task, agents, index } => draw_pick_agent(f, area, coord, settings, (*task, agents, *index)),
        Popup::PickResolution { task, index } => draw_pick_resolution(f, area, coord, settings, *task, *index),
        Popup::Quit => draw_quit(f, area, settings),
        Popup::WhatIf { scroll } => super::whatif::draw(f, app, *scroll),
    }
}

/// `y do it   n / Esc keep things as they are`: a question's answers, `no_keys` for the no.
fn answers(settings: &Settings, yes: &str, no_keys: String, no: &str) -> Line<'static> {
    let theme = &settings.theme;
    Line::from(vec![
        Span::styled(settings.keys.label(Action::Confirm), theme.bold(Role::Ok)),
        Span::raw(format!(" {yes}   ")),
        Span::styled(no_keys, theme.bold(Role::Error)),
        Span::raw(format!(" {no}")),
    ])
}

fn draw_confirm(
    f: &mut Frame,
    area: Rect,
    settings: &Settings,
    action: OpAction,
    preview: &[String],
    reason: &Option<String>,
) {
    let mut lines: Vec<Line> = preview.iter().map(|l| Line::raw(l.as_str())).collect();
    if let Some(r) = reason {
        lines.push(Line::from(Span::styled(format!("reason: {r}"), settings.theme.dim())));
    }
    lines.push(Line::raw(""));
    lines.push(answers(settings, "do it", settings.keys.labels(Action::Decline), "keep things as they are"));
    let rect = centered(area, 90, lines.len() as u16 + 2);
    f.render_widget(Clear, rect);
    let title = format!("Confirm {}", action.name());
    let block = popup_block(&title, Action::Decline, settings);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), rect);
}

/// `↑↓ choose · Enter reassign · Esc cancel`.
fn picker_hint(keys: &Keymap, what: &str) -> String {
    format!("{} choose · {} {what} · {} cancel", up_down(keys), keys.label(Action::Pick), keys.label(Action::Dismiss))
}

fn draw_pick_agent(
    f: &mut Frame,
    area: Rect,
    coord: &Coordinator,
    settings: &Settings,
    (task, agents, index): (TaskId, &[crate::core::AgentId], usize),
) {
    let theme = &settings.theme;
    let mut lines = vec![Line::from(Span::styled(
        format!("Reassign {} to (agents with its capability, best first):", coord.task_name(task)),
        theme.title(),
    ))];
    // The reasons as they stand now (the order was fixed when the picker opened).
    let why: Vec<crate::tui::pick::Candidate> = crate::tui::pick::ranked(coord, task);
    for (i, &a) in agents.iter().enumerate() {
        let reason = why.iter().find(|c| c.agent == a).map_or("", |c| c.why.as_str());
        let name = crate::report::cell(coord.agent_name(a));
        let text = format!("{} {:<20} {reason}", if i == index { "›" } else { " " }, name);
        let style = if i == index { theme.selected() } else { Style::new() };
        lines.push(Line::from(Span::styled(text, style)));
    }
    lines.push(Line::from(Span::styled(picker_hint(&settings.keys, "reassign"), theme.dim())));
    let rect = centered(area, 90, lines.len() as u16 + 2);
    f.render_widget(Clear, rect);
    f.render_widget(Paragraph::new(lines).block(popup_block("Reassign", Action::Dismiss, settings)), rect);
}

fn draw_pick_resolution(
    f: &mut Frame,
    area: Rect,
    coord: &Coordinator,
    settings: &Settings,
    task: TaskId,
    index: usize,
) {
    let theme = &settings.theme;
    let mut lines = vec![Line::from(Span::styled(format!("Resolve {}:", coord.task_name(task)), theme.title()))];
    let what = [
        "run it again with a fresh retry budget",
        "skip it and its dependents",
        "mark it done by hand; dependents go ahead",
        "fail it; dependents are skipped",
    ];
    for (i, r) in Resolution::ALL.iter().enumerate() {
        let text = format!("{} {:<6} {}", if i == index { "›" } else { " " }, r.name(), what[i]);
        let style = if i == index { theme.selected() } else { Style::new() };
        lines.push(Line::from(Span::styled(text, style)));
    }
    let hint = format!("{} · add a note with :resolve TASK done NOTE", picker_hint(&settings.keys, "resolve"));
    lines.push(Line::from(Span::styled(hint, theme.dim())));
    let rect = centered(area, 90, lines.len() as u16 + 2);
    f.render_widget(Clear, rect);
    f.render_widget(Paragraph::new(lines).block(popup_block("Resolve", Action::Dismiss, settings)), rect);
}

fn draw_quit(f: &mut Frame, area: Rect, settings: &Settings) {
    let lines = vec![
        Line::raw("The run is still active. Quit anyway?"),
        Line::from(Span::styled("(the journal keeps everything so far)", settings.theme.dim())),
        Line::raw(""),
        // Any key but yes (or quit again) stays: the first key of no says so well enough.
        answers(settings, "quit", settings.keys.label(Action::Decline), "stay"),
    ];
    let rect = centered(area, 48, 6);
    f.render_widget(Clear, rect);
    let block = popup_block("Quit?", Action::Decline, settings);
    f.render_widget(Paragraph::new(lines).alignment(Alignment::Center).block(block), rect);
}
