//! Escalation ladders as the console shows them: the tiers an inbox item went through, its SLA
//! countdown, and a task's whole ladder tier by tier (in its detail popup).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::Ctx;
use super::detail::{field, heading};
use super::text::duration;
use crate::core::{Coordinator, TaskId};
use crate::scenario::{Target, Tier, TierName};
use crate::tui::theme::{Role, Theme};

/// The tiers a task's ladder took it through since it was last opened: `retry › fallback`.
pub(super) fn tiers_tried(coord: &Coordinator, task: TaskId) -> String {
    let (Some(rt), Some(ladder)) = (coord.state().ladder().get(task), coord.workflow().ladder_of(task)) else {
        return String::new();
    };
    let names = rt.tried.iter().map(|&l| ladder.rungs[l as usize].tier.name().name());
    names.collect::<Vec<_>>().join(" › ")
}

/// An inbox item's SLA as the pane shows it: the time left (red in its last fifth), or what its
/// expiry did. `arrived_ms` is when the item reached the inbox.
pub(super) fn sla_text(
    coord: &Coordinator,
    task: TaskId,
    arrived_ms: u64,
    now_ms: u64,
    theme: &Theme,
) -> Option<(String, Style)> {
    let sla = coord.state().ladder().get(task)?.sla?;
    Some(match sla.expired {
        None => {
            let left = sla.due_ms.saturating_sub(now_ms);
            let urgent = left * 5 <= sla.due_ms.saturating_sub(arrived_ms);
            let style = theme.fg(if urgent { Role::Urgent } else { Role::Warning });
            (format!("{} left", duration(left)), style)
        }
        Some(action) => (format!("expired: {}", action.name()), theme.fg(Role::Error)),
    })
}

/// The task's escalation ladder, tier by tier: tried, passed over, current, still ahead; and the
/// inbox SLA, if it has one.
pub(super) fn ladder_lines(t: TaskId, ctx: &Ctx, out: &mut Vec<Line<'static>>) {
    let theme = ctx.theme;
    let coord = ctx.coord;
    let rt = coord.state().ladder().get(t);
    let arrived = coord.state().inbox().iter().find(|(task, _)| *task == t).map(|&(_, at)| at);
    let sla = arrived.and_then(|at| sla_text(coord, t, at, ctx.now_ms, theme));
    let Some(ladder) = coord.workflow().ladder_of(t) else {
        if let Some((sla, style)) = sla {
            out.push(field("inbox SLA", vec![Span::styled(sla, style)], theme));
        }
        return;
    };
    out.push(Line::raw(""));
    out.push(heading("escalation ladder", theme));
    let level = rt.and_then(|r| r.level);
    let retry = &coord.scenario().tasks[t.ix()].retry;
    for (i, rung) in ladder.rungs.iter().enumerate() {
        let i = i as u32;
        let target = match &rung.tier {
            Tier::Fallback { target: Target::Capability(c), .. } => format!(" → capability {c}"),
            Tier::Fallback { target: Target::Agent(a), .. } | Tier::EscalateTo { agent: a, .. } => format!(" → {a}"),
            _ => String::new(),
        };
        let tried = rt.is_some_and(|r| r.tried.contains(&i));
        let (mark, note, style) = match level {
            Some(l) if l == i && rung.tier.name() == TierName::Inbox => {
                ("▶", "here".to_string(), theme.fg(Role::Urgent))
            }
            Some(l) if l == i => {
                let used = rt.map_or(0, |r| r.used);
                ("▶", format!("here · {used} of {} attempts", rung.tier.limit(retry)), theme.fg(Role::Active))
            }
            _ if tried => ("✓", "tried".to_string(), theme.dim()),
            Some(l) if i < l => ("·", "passed over".to_string(), theme.dim()),
            _ => (" ", String::new(), Style::new()),
        };
        let what = match rung.tier {
            Tier::Inbox { sla_ms: Some(ms), on_expiry } => {
                format!("inbox, SLA {} then {}", duration(ms), on_expiry.name())
            }
            Tier::Inbox { sla_ms: None, .. } => "inbox, no SLA".to_string(),
            ref tier => format!("{}{target} · limit {}", tier.name().name(), tier.limit(retry)),
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {mark} {i} "), style),
            Span::raw(format!("{what:<48} ")),
            Span::styled(note, style),
        ]));
    }
    if let Some((sla, style)) = sla {
        out.push(field("inbox SLA", vec![Span::styled(sla, style)], theme));
    }
}
