//! Drawing the console: the layout (all panes on a large terminal, tabs on a small one, a clear
//! message below the minimum), the header, the status / command line and the popups. Panes draw
//! themselves (see `panes/`).

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Gauge, Paragraph, Wrap};

use super::app::{App, Mode, PaneId, Popup, StatusKind};
use super::cmdline;
use super::keys::KEY_HELP;
use super::panes::text::clock;
use super::panes::{Ctx, detail};
use super::theme::{Role, Theme};
use crate::core::state::TaskState;
use crate::core::{Outcome, Resolution};

/// Below this the console shows only a message.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this size up every pane is visible at once; below it, one pane at a time with tabs.
pub const FULL_WIDTH: u16 = 120;
pub const FULL_HEIGHT: u16 = 36;

pub fn draw(f: &mut Frame, app: &mut App) {
    let theme = app.opts.theme.clone();
    let theme = &theme;
    let area = f.area();
    app.screen = area;
    app.areas.clear();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "Terminal too small: {}×{}.\nSwitchyard needs at least {MIN_WIDTH}×{MIN_HEIGHT}\n(all panes at once from {FULL_WIDTH}×{FULL_HEIGHT}).\n\nq quits.",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(text).alignment(Alignment::Center).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, body, status] =
        Layout::vertical([Constraint::Length(4), Constraint::Min(8), Constraint::Length(2)]).areas(area);
    draw_header(f, header, app);
    if area.width >= FULL_WIDTH && area.height >= FULL_HEIGHT {
        let [top, bottom] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
        let [dag, right] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(top);
        let [agents, market] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(right);
        let [messages, inbox, log] =
            Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(25), Constraint::Percentage(33)])
                .areas(bottom);
        for (pane, rect) in [
            (PaneId::Dag, dag),
            (PaneId::Agents, agents),
            (PaneId::Market, market),
            (PaneId::Messages, messages),
            (PaneId::Inbox, inbox),
            (PaneId::Log, log),
        ] {
            draw_pane(f, app, pane, rect);
        }
    } else {
        let [tabs, pane] = Layout::vertical([Constraint::Length(1), Constraint::Min(4)]).areas(body);
        let mut spans = Vec::new();
        for (i, p) in PaneId::ALL.iter().enumerate() {
            let style = if *p == app.focus { theme.selected() } else { theme.dim() };
            spans.push(Span::styled(format!(" {} {} ", i + 1, p.title()), style));
        }
        spans.push(Span::styled("  Tab switches", theme.dim()));
        f.render_widget(Paragraph::new(Line::from(spans)), tabs);
        draw_pane(f, app, app.focus, pane);
    }
    draw_status(f, status, app);
    draw_popup(f, app);
}

fn draw_pane(f: &mut Frame, app: &mut App, pane: PaneId, area: Rect) {
    app.areas.push((pane, area));
    let focused = app.focus == pane;
    let ctx = Ctx {
        coord: app.run.coordinator(),
        view: &app.sink.view,
        focused,
        now_ms: app.run.now(),
        theme: &app.opts.theme,
    };
    match pane {
        PaneId::Dag => app.dag.render(f, area, &ctx),
        PaneId::Agents => app.agents.render(f, area, &ctx),
        PaneId::Market => app.auctions_votes.render(f, area, &ctx),
        PaneId::Messages => app.messages.render(f, area, &ctx),
        PaneId::Inbox => app.inbox.render(f, area, &ctx),
        PaneId::Log => app.log.render(f, area, &ctx),
    }
}

/// Run state in words: RUNNING / PAUSED / WAITING FOR OPERATOR / FINISHED: succeeded|failed.
pub fn run_state(app: &mut App) -> (String, Style) {
    let theme = &app.opts.theme;
    if let Some(r) = &app.replay {
        let play = if r.playing { "▶ " } else { "" };
        let text = format!("{play}REPLAY #{}/{}  {}", r.cursor(), r.total() - 1, r.event().kind.name());
        return (text, theme.bold(Role::Operator));
    }
    let waiting = app.run.is_waiting_for_operator();
    let s = app.run.coordinator().state();
    match s.finished {
        Some(Outcome::Succeeded) => ("FINISHED: succeeded".into(), theme.bold(Role::Ok)),
        Some(Outcome::Failed) => ("FINISHED: failed".into(), theme.bold(Role::Error)),
        None if s.paused => ("PAUSED".into(), theme.bold(Role::Warning)),
        None if waiting => {
            (format!("WAITING FOR OPERATOR ({} stuck)", app.run.coordinator().stuck_tasks()), theme.bold(Role::Urgent))
        }
        None => ("RUNNING".into(), theme.bold(Role::Active)),
    }
}

fn draw_header(f: &mut Frame, area: Rect, app: &mut App) {
    let (state_text, state_style) = run_state(app);
    let theme = &app.opts.theme;
    let coord = app.run.coordinator();
    let s = coord.state();
    // Dormant compensators are not work the run has to do (unless their saga wakes them).
    let total = s.tasks.len() - s.sagas.dormant as usize;
    let count = |st: TaskState| s.tasks.iter().filter(|t| t.state == st).count();
    let running = count(TaskState::Running);
    let waiting = s.tasks.iter().filter(|t| matches!(t.state, TaskState::Waiting | TaskState::Ready)).count();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border(false))
        .title(Line::from(Span::styled(format!(" Switchyard · {} ", coord.scenario().name), theme.title())));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [line1, line2] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
    let ro = if app.opts.read_only { "  READ-ONLY" } else { "" };
    let (t, mut speed, msgs) = (clock(app.run.now()), fmt_speed(app.speed), app.sink.view.msgs_per_sec);
    if app.live.is_some() {
        // Real agents run in real time: the control only scales simulated work.
        speed.push_str(if inner.width >= 130 { " (simulated agents only; real agents run live)" } else { " sim" });
    }
    let r = crate::report::Recovery::of(app.run.coordinator());
    let healing = match r.mean_time_to_recovery_ms {
        Some(mttr) => format!("  ♥ healed {}/{} · MTTR {}", r.recovered, r.tasks_hit, clock(mttr)),
        None if r.tasks_hit > 0 => format!("  ♥ healed 0/{}", r.tasks_hit),
        None => String::new(),
    };
    // On a narrow terminal the same facts in fewer cells (the legend's marks say what they count).
    let l1 = if inner.width >= 130 {
        Line::from(vec![
            Span::styled(state_text, state_style),
            Span::styled(ro, theme.fg(Role::Operator)),
            Span::raw(format!("   t = {t}   speed ×{speed}   ")),
            Span::styled(format!("▶ {running} running"), theme.fg(Role::Active)),
            Span::raw(format!("  · {waiting} waiting  ")),
            Span::styled(format!("✗ {} failed", s.failed), theme.fg(Role::Error)),
            Span::styled(format!("  ↻ {} retried", s.retries), theme.fg(Role::Warning)),
            Span::styled(format!("  ! {} escalated", s.inbox.len()), theme.fg(Role::Urgent)),
            Span::raw(format!("  ✉ {msgs:.0} msg/s")),
            Span::styled(healing, theme.fg(Role::Ok)),
        ])
    } else {
        Line::from(vec![
            Span::styled(state_text, state_style),
            Span::styled(ro, theme.fg(Role::Operator)),
            Span::raw(format!(" t={t} ×{speed} ")),
            Span::styled(format!("▶{running}"), theme.fg(Role::Active)),
            Span::raw(format!(" ·{waiting} ")),
            Span::styled(format!("✗{}", s.failed), theme.fg(Role::Error)),
            Span::styled(format!(" ↻{}", s.retries), theme.fg(Role::Warning)),
            Span::styled(format!(" !{}", s.inbox.len()), theme.fg(Role::Urgent)),
            Span::raw(format!(" ✉{msgs:.0}/s")),
        ])
    };
    f.render_widget(Paragraph::new(l1), line1);
    let done = s.completed as usize;
    let ratio = if total == 0 { 1.0 } else { done as f64 / total as f64 };
    let mut label = format!("{done}/{total} done · {} skipped{}", s.skipped, crate::tui::sagas::header_note(coord));
    if r.recovered > 0 {
        label.push_str(&format!(" · healed {}", r.by_tier.describe()));
    }
    f.render_widget(Gauge::default().ratio(ratio).label(label).gauge_style(theme.gauge()), line2);
}

fn fmt_speed(x: f64) -> String {
    if x >= 1.0 { format!("{x:.0}") } else { format!("{x}") }
}

fn draw_status(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.opts.theme;
    let [line, hints] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let coord = app.run.coordinator();
    match app.mode {
        Mode::Command => {
            f.render_widget(Paragraph::new(format!(":{}▏", app.cmdline.text)), line);
            f.render_widget(Paragraph::new(Span::styled(app.cmdline.hint(coord), theme.dim())), hints);
            return;
        }
        Mode::Filter => {
            f.render_widget(Paragraph::new(format!("/{}▏", app.filter_text)), line);
            let hint = format!("filter {} · Enter keeps it · Esc clears", app.focus.title());
            f.render_widget(Paragraph::new(Span::styled(hint, theme.dim())), hints);
            return;
        }
        Mode::Normal => {}
    }
    if let Some((text, kind)) = &app.status {
        let style = match kind {
            StatusKind::Info => theme.fg(Role::Ok),
            StatusKind::Error => theme.bold(Role::Error),
        };
        f.render_widget(Paragraph::new(Span::styled(text.as_str(), style)), line);
    } else if !app.filter_text.is_empty() {
        f.render_widget(Paragraph::new(format!("filter: {}", app.filter_text)), line);
    }
    let hint = "? help  : command  / filter  Space pause  . step  +/- speed  Tab pane  Enter detail  q quit";
    f.render_widget(Paragraph::new(Span::styled(hint, theme.dim())), hints);
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

pub(crate) fn popup_block<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Line::from(Span::styled(format!(" {title} "), theme.title())))
        .title_bottom(Line::from(Span::styled(" Esc closes ", theme.dim())).right_aligned())
}

fn draw_popup(f: &mut Frame, app: &App) {
    let theme = &app.opts.theme;
    let Some(popup) = &app.popup else { return };
    let area = f.area();
    let coord = app.run.coordinator();
    match popup {
        Popup::Help { scroll } => {
            let lines = help_lines(theme);
            let rect = help_rect(area);
            f.render_widget(Clear, rect);
            f.render_widget(
                Paragraph::new(lines).block(popup_block("Help — ↑↓ scroll", theme)).scroll((*scroll, 0)),
                rect,
            );
        }
        Popup::Context { scroll } => super::panes::context::render(
            f,
            area,
            coord,
            theme,
            *scroll,
            popup_block("Shared context — ↑↓ scroll", theme),
        ),
        Popup::Detail { sel, scroll } => {
            let ctx = Ctx { coord, view: &app.sink.view, focused: true, now_ms: app.run.now(), theme };
            detail::render_detail(f, area, *sel, &ctx, *scroll);
        }
        Popup::Confirm { action, preview, reason } => {
            let mut lines: Vec<Line> = preview.iter().map(|l| Line::raw(l.as_str())).collect();
            if let Some(r) = reason {
                lines.push(Line::from(Span::styled(format!("reason: {r}"), theme.dim())));
            }
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled("y", theme.bold(Role::Ok)),
                Span::raw(" do it   "),
                Span::styled("n", theme.bold(Role::Error)),
                Span::raw(" / Esc keep things as they are"),
            ]));
            let rect = centered(area, 90, lines.len() as u16 + 2);
            f.render_widget(Clear, rect);
            let title = format!("Confirm {}", action.name());
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(popup_block(&title, theme)), rect);
        }
        Popup::PickAgent { task, agents, index } => {
            let mut lines = vec![Line::from(Span::styled(
                format!("Reassign {} to (agents with its capability, best first):", coord.task_name(*task)),
                theme.title(),
            ))];
            // The reasons as they stand now (the order was fixed when the picker opened).
            let why: Vec<crate::tui::pick::Candidate> = crate::tui::pick::ranked(coord, *task);
            for (i, &a) in agents.iter().enumerate() {
                let reason = why.iter().find(|c| c.agent == a).map_or("", |c| c.why.as_str());
                let name = crate::report::cell(coord.agent_name(a));
                let text = format!("{} {:<20} {reason}", if i == *index { "›" } else { " " }, name);
                let style = if i == *index { theme.selected() } else { Style::new() };
                lines.push(Line::from(Span::styled(text, style)));
            }
            lines.push(Line::from(Span::styled("↑↓ choose · Enter reassign · Esc cancel", theme.dim())));
            let rect = centered(area, 90, lines.len() as u16 + 2);
            f.render_widget(Clear, rect);
            f.render_widget(Paragraph::new(lines).block(popup_block("Reassign", theme)), rect);
        }
        Popup::PickResolution { task, index } => {
            let mut lines =
                vec![Line::from(Span::styled(format!("Resolve {}:", coord.task_name(*task)), theme.title()))];
            let what = [
                "run it again with a fresh retry budget",
                "skip it and its dependents",
                "mark it done by hand; dependents go ahead",
                "fail it; dependents are skipped",
            ];
            for (i, r) in Resolution::ALL.iter().enumerate() {
                let text = format!("{} {:<6} {}", if i == *index { "›" } else { " " }, r.name(), what[i]);
                let style = if i == *index { theme.selected() } else { Style::new() };
                lines.push(Line::from(Span::styled(text, style)));
            }
            lines.push(Line::from(Span::styled(
                "↑↓ choose · Enter resolve · Esc cancel · add a note with :resolve TASK done NOTE",
                theme.dim(),
            )));
            let rect = centered(area, 90, lines.len() as u16 + 2);
            f.render_widget(Clear, rect);
            f.render_widget(Paragraph::new(lines).block(popup_block("Resolve", theme)), rect);
        }
        Popup::Quit => {
            let lines = vec![
                Line::raw("The run is still active. Quit anyway?"),
                Line::from(Span::styled("(the journal keeps everything so far)", theme.dim())),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("y", theme.bold(Role::Ok)),
                    Span::raw(" quit   "),
                    Span::styled("n", theme.bold(Role::Error)),
                    Span::raw(" stay"),
                ]),
            ];
            let rect = centered(area, 48, 6);
            f.render_widget(Clear, rect);
            f.render_widget(
                Paragraph::new(lines).alignment(Alignment::Center).block(popup_block("Quit?", theme)),
                rect,
            );
        }
    }
}

fn help_lines(theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (section, keys) in KEY_HELP {
        lines.push(Line::from(Span::styled(*section, theme.title())));
        for (k, what) in *keys {
            lines.push(Line::from(vec![Span::styled(format!("  {k:<26}"), theme.fg(Role::Key)), Span::raw(*what)]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::from(Span::styled("Commands (`:` then the command; ` -- reason` is journaled)", theme.title())));
    for (name, args, what) in cmdline::COMMANDS {
        let usage = format!("  :{name} {args}");
        lines.push(Line::from(vec![Span::styled(format!("{usage:<42}"), theme.fg(Role::Key)), Span::raw(*what)]));
    }
    lines
}

fn help_rect(area: Rect) -> Rect {
    centered(area, 100, area.height.saturating_sub(4))
}

/// How far the help popup can scroll on a screen of this size.
pub fn help_max_scroll(screen: Rect, theme: &Theme) -> u16 {
    let visible = help_rect(screen).height.saturating_sub(2);
    (help_lines(theme).len() as u16).saturating_sub(visible)
}
