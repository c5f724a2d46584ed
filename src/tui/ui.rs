//! Drawing the console: the layout (all panes on a large terminal, tabs on a small one, a clear
//! message below the minimum), the header and the status / command line. Panes draw themselves
//! (see `panes/`), and so do the popups (`popups.rs`).

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Gauge, Paragraph, Wrap};

use super::app::{App, Mode, StatusKind};
use super::keymap::{Action, Keymap};
use super::panes::text::clock;
use super::panes::{Band, Ctx, Place};
use super::theme::Role;
use crate::core::Outcome;
use crate::core::state::TaskState;

/// Below this the console shows only a message.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this size up every pane is visible at once; below it, one pane at a time with tabs.
pub const FULL_WIDTH: u16 = 120;
pub const FULL_HEIGHT: u16 = 36;

pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    app.screen = area;
    app.areas.clear();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let quit = match app.opts.settings.keys.label(Action::Quit) {
            key if key.is_empty() => String::new(),
            key => format!("\n\n{key} quits."),
        };
        let text = format!(
            "Terminal too small: {}×{}.\nSwitchyard needs at least {MIN_WIDTH}×{MIN_HEIGHT}\n(all panes at once from {FULL_WIDTH}×{FULL_HEIGHT}).{quit}",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(text).alignment(Alignment::Center).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, body, status] =
        Layout::vertical([Constraint::Length(4), Constraint::Min(8), Constraint::Length(2)]).areas(area);
    draw_header(f, header, app);
    if area.width >= FULL_WIDTH && area.height >= FULL_HEIGHT {
        for (pane, rect) in full_layout(app, body) {
            draw_pane(f, app, pane, rect);
        }
    } else {
        let [tabs, pane] = Layout::vertical([Constraint::Length(1), Constraint::Min(4)]).areas(body);
        f.render_widget(Paragraph::new(tab_bar(app)), tabs);
        draw_pane(f, app, app.focus, pane);
    }
    draw_status(f, status, app);
    super::popups::draw(f, app);
}

/// Every pane's place on a large screen: the top band (three fifths) and the bottom one, each cut
/// into columns by the panes' shares of the width, each column into its panes by their shares of
/// the height (see [`Place`]).
fn full_layout(app: &App, body: Rect) -> Vec<(usize, Rect)> {
    let [top, bottom] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
    let mut out = Vec::new();
    for (band, area) in [(Band::Top, top), (Band::Bottom, bottom)] {
        let places: Vec<(usize, Place)> =
            app.panes.iter().map(|p| p.place()).enumerate().filter(|(_, p)| p.band == band).collect();
        let mut columns: Vec<u8> = places.iter().map(|(_, p)| p.column).collect();
        columns.sort_unstable();
        columns.dedup();
        let width = |c: u8| places.iter().filter(|(_, p)| p.column == c).map(|(_, p)| p.width).max().unwrap_or(0);
        let widths: Vec<u16> = columns.iter().map(|&c| width(c)).collect();
        let cut = |area: Rect, shares: &[u16], horizontal: bool| {
            let total = shares.iter().map(|&s| u32::from(s)).sum::<u32>().max(1);
            let constraints = shares.iter().map(|&s| Constraint::Ratio(u32::from(s), total));
            if horizontal {
                Layout::horizontal(constraints).split(area)
            } else {
                Layout::vertical(constraints).split(area)
            }
        };
        for (&column, &rect) in columns.iter().zip(cut(area, &widths, true).iter()) {
            let stack: Vec<(usize, Place)> = places.iter().copied().filter(|(_, p)| p.column == column).collect();
            let heights: Vec<u16> = stack.iter().map(|(_, p)| p.height).collect();
            out.extend(stack.iter().map(|(i, _)| *i).zip(cut(rect, &heights, false).iter().copied()));
        }
    }
    out
}

/// The tabs of a small screen: each pane's number key and title, the focused one selected.
fn tab_bar(app: &App) -> Line<'static> {
    let (keys, theme) = (&app.opts.settings.keys, &app.opts.settings.theme);
    let mut spans = Vec::new();
    for (i, p) in app.panes.iter().enumerate() {
        let style = if i == app.focus { theme.selected() } else { theme.dim() };
        let key = keys.label(Action::Focus(i));
        let text = if key.is_empty() { format!(" {} ", p.title()) } else { format!(" {key} {} ", p.title()) };
        spans.push(Span::styled(text, style));
    }
    let next = keys.label(Action::NextPane);
    if !next.is_empty() {
        spans.push(Span::styled(format!("  {next} switches"), theme.dim()));
    }
    Line::from(spans)
}

fn draw_pane(f: &mut Frame, app: &mut App, pane: usize, area: Rect) {
    app.areas.push((pane, area));
    let focused = app.focus == pane;
    let ctx = Ctx::new(app.run.coordinator(), &app.sink.view, app.run.now(), &app.opts.settings, focused);
    app.panes[pane].render(f, area, &ctx);
}

/// Run state in words: RUNNING / PAUSED / WAITING FOR OPERATOR / FINISHED: succeeded|failed.
pub fn run_state(app: &mut App) -> (String, Style) {
    let theme = &app.opts.settings.theme;
    if let Some(r) = &app.replay {
        let play = if r.playing { "▶ " } else { "" };
        let text = format!("{play}REPLAY #{}/{}  {}", r.cursor(), r.total() - 1, r.event().kind.name());
        return (text, theme.bold(Role::Operator));
    }
    // An attached console does not drive the run: whether it waits for an operator is not known here.
    let waiting = app.attached.is_none() && app.run.is_waiting_for_operator();
    let s = app.run.coordinator().state();
    match s.finished() {
        Some(Outcome::Succeeded) => ("FINISHED: succeeded".into(), theme.bold(Role::Ok)),
        Some(Outcome::Failed) => ("FINISHED: failed".into(), theme.bold(Role::Error)),
        None if s.paused() => ("PAUSED".into(), theme.bold(Role::Warning)),
        None if waiting => {
            (format!("WAITING FOR OPERATOR ({} stuck)", app.run.coordinator().stuck_tasks()), theme.bold(Role::Urgent))
        }
        None => ("RUNNING".into(), theme.bold(Role::Active)),
    }
}

fn draw_header(f: &mut Frame, area: Rect, app: &mut App) {
    let (state_text, state_style) = run_state(app);
    let theme = &app.opts.settings.theme;
    let coord = app.run.coordinator();
    let s = coord.state();
    // Dormant compensators are not work the run has to do (unless their saga wakes them).
    let total = s.tasks().len() - s.sagas().dormant as usize;
    let count = |st: TaskState| s.tasks().iter().filter(|t| t.state == st).count();
    let running = count(TaskState::Running);
    let waiting = s.tasks().iter().filter(|t| matches!(t.state, TaskState::Waiting | TaskState::Ready)).count();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border(false))
        .title(Line::from(Span::styled(format!(" Switchyard · {} ", coord.scenario().name), theme.title())))
        .title(attached_title(app));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [line1, line2] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
    let ro = if app.opts.read_only { "  READ-ONLY" } else { "" };
    let (t, mut speed, msgs) = (clock(app.run.now()), fmt_speed(app.speed), app.sink.view.msgs_per_sec);
    if app.attached.as_ref().is_some_and(|a| !a.speed_known) {
        // The served run's own speed is not journaled; a `:speed` it took is.
        speed = "?".into();
    }
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
            Span::styled(format!("✗ {} failed", s.failed()), theme.fg(Role::Error)),
            Span::styled(format!("  ↻ {} retried", s.retries()), theme.fg(Role::Warning)),
            Span::styled(format!("  ! {} escalated", s.inbox().len()), theme.fg(Role::Urgent)),
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
            Span::styled(format!("✗{}", s.failed()), theme.fg(Role::Error)),
            Span::styled(format!(" ↻{}", s.retries()), theme.fg(Role::Warning)),
            Span::styled(format!(" !{}", s.inbox().len()), theme.fg(Role::Urgent)),
            Span::raw(format!(" ✉{msgs:.0}/s")),
        ])
    };
    f.render_widget(Paragraph::new(l1), line1);
    let done = s.completed() as usize;
    let ratio = if total == 0 { 1.0 } else { done as f64 / total as f64 };
    let mut label =
        format!("{done}/{total} done · {} skipped{}", s.skipped(), crate::protocols::saga::view::header_note(coord));
    if r.recovered > 0 {
        label.push_str(&format!(" · healed {}", r.by_tier.describe()));
    }
    f.render_widget(Gauge::default().ratio(ratio).label(label).gauge_style(theme.gauge()), line2);
}

/// An attached console says so in its header's frame: to which run on which server, and whether
/// the server is there.
fn attached_title(app: &App) -> Line<'static> {
    let Some(a) = &app.attached else { return Line::default() };
    let theme = &app.opts.settings.theme;
    let mut spans =
        vec![Span::styled(format!(" ATTACHED to run {} on {} ", a.run, a.server), theme.bold(Role::Operator))];
    if !a.connected {
        spans.push(Span::styled(" SERVER GONE: reconnecting… ", theme.bold(Role::Error)));
    }
    Line::from(spans).alignment(Alignment::Right)
}

fn fmt_speed(x: f64) -> String {
    if x >= 1.0 { format!("{x:.0}") } else { format!("{x}") }
}

fn draw_status(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.opts.settings.theme;
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
            let keys = &app.opts.settings.keys;
            let (keep, clear) = (keys.label(Action::LineSubmit), keys.label(Action::LineClose));
            let hint = format!("filter {} · {keep} keeps it · {clear} clears", app.focused_pane().title());
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
    f.render_widget(Paragraph::new(Span::styled(key_hints(&app.opts.settings.keys), theme.dim())), hints);
}

/// The status line's reminder of the main keys, as they are bound.
fn key_hints(keys: &Keymap) -> String {
    let hints = [
        (keys.label(Action::Help), "help"),
        (keys.label(Action::Command), "command"),
        (keys.label(Action::Filter), "filter"),
        (keys.label(Action::Pause), "pause"),
        (keys.label(Action::Step), "step"),
        (keys.pair(Action::Faster, Action::Slower), "speed"),
        (keys.label(Action::NextPane), "pane"),
        (keys.label(Action::Open), "detail"),
        (keys.label(Action::Quit), "quit"),
    ];
    let shown: Vec<String> =
        hints.iter().filter(|(k, _)| !k.is_empty()).map(|(k, what)| format!("{k} {what}")).collect();
    shown.join("  ")
}
