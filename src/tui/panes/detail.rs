//! Detail popups: the full record behind a selected task, agent or message (Enter in a pane).
//!
//! [`detail_lines`] builds the content as plain [`Line`]s, so it can be tested without a terminal;
//! [`render_detail`] sizes a centred popup to it, word-wraps what does not fit and scrolls.

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Padding, Paragraph};

use super::inbox::attempt_outcome;
use super::messages::{endpoint, kind_style, status_text};
use super::text::{clock, duration, truncate};
use super::{Ctx, Selection, pane_block};
use crate::core::state::{AttemptEnd, AttemptRecord, TaskState};
use crate::core::{AgentId, Endpoint, Payload, TaskId};
use crate::report;
use crate::tui::theme::{Role, Theme, task_state_word};
use crate::tui::view::{MESSAGE_CAPACITY, MsgRow};

/// Width of the label column; wrapped values continue under their value.
const LABEL_W: usize = 16;
/// The widest a column of task or agent names gets; longer names are cut with `…`.
const NAME_W: usize = 40;
/// Longest list a popup shows in full (dependencies, an agent's tasks); the rest is counted.
const LIST_LIMIT: usize = 500;

/// `label` (dim, padded) followed by `value`.
pub(super) fn field(label: &str, value: Vec<Span<'static>>, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(format!("{label:<LABEL_W$}"), theme.dim())];
    spans.extend(value);
    Line::from(spans)
}

fn text(label: &str, value: impl Into<String>, theme: &Theme) -> Line<'static> {
    field(label, vec![Span::raw(value.into())], theme)
}

pub(super) fn heading(s: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(s.into(), theme.title()))
}

fn join_or_none(items: &[String]) -> String {
    if items.is_empty() { "(none)".into() } else { items.join(", ") }
}

/// The popup's title for a selection.
pub fn detail_title(sel: Selection, ctx: &Ctx) -> String {
    match sel {
        Selection::Task(t) => format!("Task {}", ctx.coord.task_name(t)),
        Selection::Agent(a) => format!("Agent {}", ctx.coord.agent_name(a)),
        Selection::Message(id) => format!("Message #{id}"),
    }
}

/// Everything known about the selection, one screen line each (before wrapping).
pub fn detail_lines(sel: Selection, ctx: &Ctx) -> Vec<Line<'static>> {
    match sel {
        Selection::Task(t) => task_lines(t, ctx),
        Selection::Agent(a) => agent_lines(a, ctx),
        Selection::Message(id) => message_lines(id, ctx),
    }
}

/// A task's state with its mark and what it is doing or why it ended.
fn task_state_line(t: TaskId, ctx: &Ctx) -> Vec<Span<'static>> {
    let theme = ctx.theme;
    let (coord, s) = (ctx.coord, ctx.coord.state());
    let rt = &s.tasks()[t.ix()];
    let (mark, style) = theme.task_look(rt);
    let last = s.last_attempt(t);
    let on = |r: &AttemptRecord| format!("attempt {} on {}", r.attempt, coord.agent_name(r.agent));
    let why = match rt.state {
        TaskState::Waiting => Some(format!("for {} of its dependencies", rt.remaining_deps)),
        TaskState::Ready => Some("for a free capable agent".into()),
        TaskState::Running => last.map(|r| {
            let deadline = r.start_ms + coord.scenario().tasks[t.ix()].timeout_ms;
            format!("{} since {}, deadline {}", on(r), clock(r.start_ms), clock(deadline))
        }),
        TaskState::Retrying => Some(format!("attempt {} due at {}", rt.attempts + 1, clock(rt.retry_at_ms))),
        TaskState::Escalated => {
            let since = s.inbox().iter().find(|(task, _)| *task == t).map(|&(_, at)| at);
            since.map(|at| format!("in the operator's inbox since {} ({})", clock(at), duration(ctx.now_ms - at)))
        }
        TaskState::Completed => Some(match last {
            Some(r) if r.end == AttemptEnd::Succeeded => on(r),
            _ => "marked done by an operator".into(),
        }),
        TaskState::Failed | TaskState::Skipped => report::end_reason(coord, t),
        TaskState::Dormant => Some(if s.finished().is_some() {
            "not needed: its saga did not fail after its step completed".into()
        } else {
            "runs only if its saga fails after its step completed".into()
        }),
    };
    // A held task shows as "paused", which hides the state underneath: say both.
    let why = match why {
        _ if !rt.held || rt.state.is_terminal() => why,
        Some(why) => Some(format!("held by an operator; {}: {why}", rt.state.name())),
        None => Some(format!("held by an operator; {}", rt.state.name())),
    };
    let mut spans = vec![Span::styled(format!("{mark} {}", task_state_word(rt)), style)];
    if let Some(why) = why {
        spans.push(Span::raw(format!(" — {why}")));
    }
    spans
}

/// Related tasks under `label`, one per line (`mark name state`), cut at [`LIST_LIMIT`].
pub(super) fn task_list(label: &str, tasks: &[TaskId], ctx: &Ctx, out: &mut Vec<Line<'static>>) {
    let theme = ctx.theme;
    if tasks.is_empty() {
        out.push(text(label, "(none)", theme));
        return;
    }
    // Column widths never come from input unbounded (a width over u16::MAX panics in `format!`).
    let w =
        tasks.iter().take(LIST_LIMIT).map(|&t| ctx.coord.task_name(t).chars().count()).max().unwrap_or(0).min(NAME_W);
    for (i, &t) in tasks.iter().take(LIST_LIMIT).enumerate() {
        let rt = &ctx.coord.state().tasks()[t.ix()];
        let (mark, style) = theme.task_look(rt);
        out.push(Line::from(vec![
            Span::styled(format!("{:<LABEL_W$}", if i == 0 { label } else { "" }), theme.dim()),
            Span::styled(format!("{mark} "), style),
            Span::raw(format!("{:<w$}  ", truncate(ctx.coord.task_name(t), w))),
            Span::styled(task_state_word(rt), style),
        ]));
    }
    if tasks.len() > LIST_LIMIT {
        out.push(Line::styled(format!("{:LABEL_W$}… and {} more", "", tasks.len() - LIST_LIMIT), theme.dim()));
    }
}

/// Characters of a task's output shown in its detail.
const OUTPUT_CHARS: usize = 160;

fn task_lines(t: TaskId, ctx: &Ctx) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let (coord, s) = (ctx.coord, ctx.coord.state());
    let spec = &coord.scenario().tasks[t.ix()];
    let rt = &s.tasks()[t.ix()];
    let mut out = vec![text("id", spec.id.clone(), theme), text("description", spec.description.clone(), theme)];
    out.push(field("state", task_state_line(t, ctx), theme));
    if let Some(output) = coord.output_text(t) {
        // One line: the pane scrolls vertically only.
        let shown: String = output.chars().take(OUTPUT_CHARS).collect();
        let more = if shown.len() < output.len() { format!("… ({} bytes)", output.len()) } else { String::new() };
        out.push(text("output", format!("{shown}{more}"), theme));
    }
    let specs =
        if spec.specializations.is_empty() { String::new() } else { format!(" [{}]", spec.specializations.join(", ")) };
    out.push(text("capability", format!("{}{specs}", spec.capability), theme));
    out.push(text("priority", spec.priority.to_string(), theme));
    out.push(text("timeout", format!("{} per attempt", duration(spec.timeout_ms)), theme));
    let r = &spec.retry;
    // With a ladder, its tiers count the attempts, not `max_attempts`.
    let attempts = match coord.workflow().ladder_of(t) {
        Some(_) => "attempts per the ladder below".to_string(),
        None => format!("{} attempts ({} left)", r.max_attempts, coord.attempts_left(t)),
    };
    out.push(text(
        "retry",
        format!(
            "{attempts} · backoff {} ×{} up to {}, jitter {:.0}%",
            duration(r.backoff_ms),
            r.multiplier,
            duration(r.max_backoff_ms),
            r.jitter * 100.0
        ),
        theme,
    ));
    let strategy = spec.allocation.unwrap_or(coord.scenario().allocation);
    out.push(text("allocation", format!("{} · work ×{}", strategy.name(), spec.work), theme));
    let capable: Vec<String> = coord.capable_agents(t).iter().map(|&a| coord.agent_name(a).to_string()).collect();
    out.push(text("capable agents", join_or_none(&capable), theme));
    for (label, spans) in crate::protocols::saga::view::detail(coord, t, theme) {
        out.push(field(label, spans, theme));
    }
    for (label, spans) in crate::protocols::teams::view::task_detail(coord, t, theme) {
        out.push(field(label, spans, theme));
    }
    if let Some((label, spans)) = crate::protocols::swarm::view::task_detail(coord, t, ctx.now_ms, theme) {
        out.push(field(label, spans, theme));
    }

    let mut deps: Vec<TaskId> = spec.depends_on.iter().filter_map(|d| task_id(ctx, d)).collect();
    // A planned task also waits for its planner, a join for the plan's last subtasks.
    let mut implied: Vec<TaskId> = coord.workflow().dependencies(t).filter(|d| !deps.contains(d)).collect();
    implied.sort_unstable();
    deps.extend(implied);
    task_list("depends on", &deps, ctx, &mut out);
    let mut dependents: Vec<TaskId> = coord.workflow().dependents(t).collect();
    dependents.sort_unstable();
    task_list("dependents", &dependents, ctx, &mut out);

    super::ladder::ladder_lines(t, ctx, &mut out);
    super::plan::plan_lines(t, ctx, &mut out);
    super::auctions_votes::auction_lines(t, ctx, &mut out);
    super::votes::ballot_lines(t, ctx, &mut out);

    out.push(Line::raw(""));
    let history = s.history(t);
    out.push(heading(format!("attempts ({})", rt.attempts), theme));
    if history.is_empty() {
        out.push(Line::styled("  none yet", theme.dim()));
        return out;
    }
    let w = history.iter().map(|r| coord.agent_name(r.agent).chars().count()).max().unwrap_or(0).clamp(5, NAME_W);
    out.push(Line::styled(
        format!("  {:>3}  {:<w$}  {:<9}  {:<9}  {:>7}  outcome", "#", "agent", "start", "end", "took"),
        theme.dim(),
    ));
    for r in &history {
        let (outcome, style) = attempt_outcome(r.end, theme);
        let (end, took) = match r.end_ms {
            Some(e) => (clock(e), duration(e - r.start_ms)),
            None => ("-".into(), format!("{}…", duration(ctx.now_ms.saturating_sub(r.start_ms)))),
        };
        out.push(Line::from(vec![
            Span::raw(format!(
                "  {:>3}  {:<w$}  {:<9}  {:<9}  {:>7}  ",
                r.attempt,
                truncate(coord.agent_name(r.agent), w),
                clock(r.start_ms),
                end,
                took
            )),
            Span::styled(outcome, style),
        ]));
    }
    out
}

fn task_id(ctx: &Ctx, name: &str) -> Option<TaskId> {
    ctx.coord.scenario().tasks.iter().position(|t| t.id == name).map(|i| TaskId(i as u32))
}

fn agent_lines(a: AgentId, ctx: &Ctx) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let (coord, s) = (ctx.coord, ctx.coord.state());
    let spec = &coord.scenario().agents[a.ix()];
    let rt = &s.agents()[a.ix()];
    let mut out = vec![text("id", spec.id.clone(), theme)];
    let (word, style) =
        crate::protocols::elastic::view::slot_state(coord, a, theme).unwrap_or_else(|| theme.agent_look(rt));
    let running: Vec<&str> = rt.running.iter().map(|&t| coord.task_name(t)).collect();
    let mut state = vec![
        Span::styled(word.to_string(), style),
        Span::raw(format!(" — {}/{} running", rt.running.len(), rt.max_concurrent)),
    ];
    if !running.is_empty() {
        state.push(Span::raw(format!(": {}", running.join(", "))));
    }
    out.push(field("state", state, theme));
    out.push(text("capabilities", join_or_none(&spec.capabilities), theme));
    if let Some(swarm) = crate::protocols::swarm::view::agent_detail(coord, a) {
        out.push(text("swarm", swarm, theme));
    }
    if let Some(template) = crate::protocols::elastic::view::agent_detail(coord, a) {
        out.push(text("template", template, theme));
    }
    out.push(text("specializations", join_or_none(&spec.specializations), theme));
    for (label, value) in crate::protocols::teams::view::agent_detail(coord, a) {
        out.push(text(label, value, theme));
    }
    out.push(text("max_concurrent", spec.max_concurrent.to_string(), theme));
    out.push(text("cost", format!("{}", spec.cost), theme));
    out.push(text("performance", format!("{:.2}", spec.performance), theme));
    let p = &spec.profile;
    out.push(text(
        "profile",
        format!(
            "{} ±{:.0}% per unit of work, failure rate {:.0}%",
            duration(p.duration_ms.mean.round() as u64),
            p.duration_ms.jitter * 100.0,
            p.failure_rate * 100.0
        ),
        theme,
    ));
    let h = &rt.health;
    let breaker = match h.breaker {
        crate::core::health::BreakerState::Open { until_ms } => format!("open until {}", clock(until_ms)),
        other => other.name().replace('_', "-"),
    };
    let slowness = h.slowness.map_or("-".to_string(), |x| format!("{x:.2}×"));
    let factor = h.routing_factor(s.health_cfg());
    out.push(text(
        "health",
        format!(
            "breaker {breaker} · {} recent failures · error rate {:.0}% · slowness {slowness} · routing weight {factor:.2}",
            h.failures(),
            h.error_rate * 100.0
        ),
theme,
    ));
    let injected = ctx.view.injected_summary(a, ctx.now_ms, |e| endpoint(coord, e).to_string());
    if !injected.is_empty() {
        out.push(field("injected", vec![Span::styled(injected.join(" · "), theme.fg(Role::Operator))], theme));
    }
    let ended = rt.completed + rt.failed;
    let rate =
        (u64::from(rt.completed) * 100).checked_div(u64::from(ended)).map_or(String::new(), |p| format!(" ({p}% ok)"));
    let mean = rt.busy_ms.checked_div(u64::from(ended)).map_or(String::new(), |m| format!(", mean {}", duration(m)));
    out.push(text(
        "attempts",
        format!("{} completed, {} failed{rate} · busy {}{mean}", rt.completed, rt.failed, duration(rt.busy_ms)),
        theme,
    ));
    let heartbeat = rt
        .last_heartbeat_ms
        .map_or("never".into(), |at| format!("{} ({} ago)", clock(at), duration(ctx.now_ms.saturating_sub(at))));
    out.push(text("last heartbeat", heartbeat, theme));
    let (sent, received) = s.bus().by_agent.get(a.ix()).copied().unwrap_or_default();
    out.push(text(
        "messages",
        format!("{sent} sent, {received} received, plus {} broadcast to all", s.bus().broadcasts),
        theme,
    ));
    assignments(a, ctx, &mut out);
    out
}

/// The agent's assignments, newest first; the k-th assignment of a task to this agent is the k-th
/// of the task's attempts that ran here.
fn assignments(a: AgentId, ctx: &Ctx, out: &mut Vec<Line<'static>>) {
    let (coord, s, theme) = (ctx.coord, ctx.coord.state(), ctx.theme);
    let assigned = ctx.view.agent_tasks.get(a.ix()).map_or(&[][..], |v| v.as_slice());
    out.push(Line::raw(""));
    out.push(heading(format!("tasks, newest first ({})", assigned.len()), theme));
    if assigned.is_empty() {
        out.push(Line::styled("  none yet", theme.dim()));
        return;
    }
    let shown = &assigned[assigned.len().saturating_sub(LIST_LIMIT)..];
    let mut seen: HashMap<TaskId, usize> = HashMap::new();
    let mut before = assigned[..assigned.len() - shown.len()].iter().fold(HashMap::new(), |mut m, &t| {
        *m.entry(t).or_insert(0usize) += 1;
        m
    });
    let w = shown.iter().map(|&t| coord.task_name(t).chars().count()).max().unwrap_or(0).clamp(4, NAME_W);
    let mut rows = Vec::with_capacity(shown.len());
    for &t in shown {
        let k = seen.entry(t).or_insert_with(|| before.remove(&t).unwrap_or(0));
        let attempt = s.history(t).into_iter().filter(|r| r.agent == a).nth(*k);
        *k += 1;
        let rt = &s.tasks()[t.ix()];
        let (mark, tstyle) = theme.task_look(rt);
        let (outcome, ostyle) = attempt.map_or(("-", Style::new()), |r| attempt_outcome(r.end, theme));
        let (n, start) = attempt.map_or(("-".into(), "-".into()), |r| (r.attempt.to_string(), clock(r.start_ms)));
        rows.push(Line::from(vec![
            Span::raw(format!("  {:<w$}  {:>7}  {:<9}  ", truncate(coord.task_name(t), w), n, start)),
            Span::styled(format!("{outcome:<22}  "), ostyle),
            Span::styled(format!("{mark} {}", task_state_word(rt)), tstyle),
        ]));
    }
    out.push(Line::styled(
        format!("  {:<w$}  {:>7}  {:<9}  {:<22}  task now", "task", "attempt", "started", "this attempt"),
        theme.dim(),
    ));
    out.extend(rows.into_iter().rev());
    if assigned.len() > shown.len() {
        out.push(Line::styled(format!("  … and {} older", assigned.len() - shown.len()), theme.dim()));
    }
}

fn find_message<'a>(ctx: &Ctx<'a>, id: u64) -> Option<&'a MsgRow> {
    let msgs = &ctx.view.messages;
    msgs.binary_search_by_key(&id, |r| r.msg.id).ok().map(|i| &msgs[i])
}

/// Who a message is from or to, in full.
fn endpoint_long(ctx: &Ctx, ep: Endpoint) -> String {
    match ep {
        Endpoint::Coordinator => "coordinator".into(),
        Endpoint::Agent(a) => ctx.coord.agent_name(a).into(),
        Endpoint::Broadcast => "* (broadcast to every live agent)".into(),
    }
}

fn message_lines(id: u64, ctx: &Ctx) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let mut out = vec![text("id", format!("#{id}"), theme)];
    let Some(row) = find_message(ctx, id) else {
        let oldest = ctx.view.messages.front().map_or(u64::MAX, |r| r.msg.id);
        let why = if id < oldest && ctx.view.dropped_messages > 0 {
            format!(
                "This message was dropped: the console keeps the newest {MESSAGE_CAPACITY} messages \
                 and {} older ones are gone. The journal has them all.",
                ctx.view.dropped_messages
            )
        } else {
            "This message is not in the console's message list.".into()
        };
        out.push(Line::raw(""));
        out.push(Line::styled(why, theme.dim()));
        return out;
    };
    let (coord, m) = (ctx.coord, &row.msg);
    out.push(text("time", clock(row.t_ms), theme));
    out.push(text("from", endpoint_long(ctx, m.from), theme));
    out.push(text("to", endpoint_long(ctx, m.to), theme));
    out.push(field("type", vec![Span::styled(m.kind.name(), kind_style(m, theme))], theme));
    out.push(text("priority", format!("{} (higher is delivered first at the same instant)", m.priority), theme));
    let correlation = match m.correlation {
        None => "(none)".into(),
        Some(c) => match find_message(ctx, c) {
            Some(r) => format!("#{c} — answers the {} sent at {}", r.msg.kind.name(), clock(r.t_ms)),
            None => format!("#{c} (no longer kept)"),
        },
    };
    out.push(text("correlation", correlation, theme));
    let replies: Vec<String> = ctx
        .view
        .messages
        .iter()
        .filter(|r| r.msg.correlation == Some(id))
        .map(|r| {
            format!("#{} {} from {} at {}", r.msg.id, r.msg.kind.name(), endpoint(coord, r.msg.from), clock(r.t_ms))
        })
        .collect();
    if !replies.is_empty() {
        out.push(text("replies", replies.join("; "), theme));
    }
    let (what, fields): (&str, Vec<(&str, String)>) = match m.payload {
        Payload::Task { task, attempt, deadline_ms, work } => (
            "task request",
            vec![
                ("task", coord.task_name(task).into()),
                ("attempt", attempt.to_string()),
                ("deadline", clock(deadline_ms)),
                ("work", format!("×{work}")),
            ],
        ),
        Payload::Result { task, attempt, error } => (
            "task result",
            vec![
                ("task", coord.task_name(task).into()),
                ("attempt", attempt.to_string()),
                ("outcome", error.map_or("ok".into(), |e| format!("error: {}", e.text()))),
            ],
        ),
        Payload::Cancel { task, attempt } => {
            ("cancel", vec![("task", coord.task_name(task).into()), ("attempt", attempt.to_string())])
        }
        Payload::Status(note) => ("status", vec![("note", status_text(coord, note))]),
        Payload::Heartbeat { running } => ("heartbeat", vec![("running", format!("{running} attempts"))]),
        Payload::Delegate { task, level } => {
            ("delegation", vec![("task", coord.task_name(task).into()), ("level", level.to_string())])
        }
        Payload::Report { task } => ("result report", vec![("task", coord.task_name(task).into())]),
        Payload::Broadcast { text } => ("broadcast", vec![("text", text.to_string())]),
        Payload::HelpRequest { task, attempt } => {
            ("help request", vec![("task", coord.task_name(task).into()), ("attempt", attempt.to_string())])
        }
        Payload::HelpResponse { task, attempt, answered } => (
            "help response",
            vec![
                ("task", coord.task_name(task).into()),
                ("attempt", attempt.to_string()),
                ("answer", if answered { "given" } else { "none came (no peer, or too late)" }.into()),
            ],
        ),
        p @ (Payload::Cfp { .. } | Payload::Bid { .. } | Payload::Decline { .. } | Payload::Award { .. }) => {
            (m.kind.name(), vec![("auction", super::messages::payload_summary(coord, &p))])
        }
        Payload::Ballot { task, closes_ms } => {
            ("ballot", vec![("decision", coord.task_name(task).into()), ("closes", clock(closes_ms))])
        }
        Payload::Vote { task, choice, reason } => {
            let mut fields = vec![("decision", coord.task_name(task).into()), ("vote", choice.name().into())];
            fields.extend(reason.map(|r| ("reason", r.to_string())));
            ("vote", fields)
        }
    };
    out.push(text("payload", what, theme));
    for (label, value) in fields {
        out.push(text(&format!("  {label}"), value, theme));
    }
    out
}

/// Word-wraps a line to `width` columns. Continuation lines of a labelled field start under its
/// value; other lines under their own first word.
fn wrap(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    if line.width() <= width || width <= LABEL_W + 8 {
        return vec![line];
    }
    let labelled = line.spans.first().is_some_and(|s| s.width() == LABEL_W && s.content.ends_with(' '));
    let indent = if labelled { LABEL_W } else { line.to_string().chars().take_while(|&c| c == ' ').count() };
    let mut out = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut cur_w = 0;
    for span in line.spans {
        for word in span.content.split_inclusive(' ') {
            let w = word.chars().count();
            let bare = word.trim_end().chars().count();
            if cur_w + bare > width && cur_w > indent {
                out.push(Line::from(std::mem::take(&mut cur)));
                cur.push(Span::raw(" ".repeat(indent)));
                cur_w = indent;
            }
            cur.push(Span::styled(word.to_string(), span.style));
            cur_w += w;
        }
    }
    if !cur.is_empty() {
        out.push(Line::from(cur));
    }
    out
}

/// The popup's place in `area` and its content wrapped to fit.
fn layout(area: Rect, sel: Selection, ctx: &Ctx) -> (Rect, Vec<Line<'static>>) {
    let lines = detail_lines(sel, ctx);
    let content_w = lines.iter().map(Line::width).max().unwrap_or(0);
    // Borders and a column of padding on each side take 4.
    let max_w = area.width.saturating_sub(4).max(area.width.min(20));
    let width = (content_w.min(116) as u16 + 4).clamp(max_w.min(50), max_w);
    let inner_w = width.saturating_sub(4) as usize;
    let lines: Vec<Line> = lines.into_iter().flat_map(|l| wrap(l, inner_w)).collect();
    let max_h = area.height.saturating_sub(2).max(area.height.min(5));
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(2).min(max_h);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    (popup, lines)
}

/// How far the popup for `sel` in `area` can scroll: the console clamps its scroll counter to this
/// so that scrolling back up responds at once.
pub fn max_scroll(area: Rect, sel: Selection, ctx: &Ctx) -> u16 {
    let (popup, lines) = layout(area, sel, ctx);
    u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_sub(popup.height.saturating_sub(2))
}

/// Draws the detail popup for `sel`, centred in `area`, starting `scroll` lines down (clamped to
/// [`max_scroll`], so the last line never scrolls above the bottom).
pub fn render_detail(f: &mut Frame, area: Rect, sel: Selection, ctx: &Ctx, scroll: u16) {
    let (popup, lines) = layout(area, sel, ctx);
    let total = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let inner_h = popup.height.saturating_sub(2);
    let overflow = total.saturating_sub(inner_h);
    let scroll = scroll.min(overflow);
    let note = (overflow > 0).then(|| format!("↑↓ {}–{} of {total}", scroll + 1, (scroll + inner_h).min(total)));
    let title = detail_title(sel, ctx);
    let block = pane_block(&title, note, ctx).padding(Padding::horizontal(1));
    f.render_widget(Clear, popup);
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), popup);
}

#[cfg(test)]
mod tests;
