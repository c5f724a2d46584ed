//! The Context popup (`b`): the shared context at a glance — blackboard keys with their version,
//! last writer and value; locks with their holder, token, lease and queue; group leaders with their
//! term; and the latest dead letters.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::text::clock;
use crate::core::Coordinator;
use crate::tui::theme::{Role, Theme};

/// Dead letters listed (the newest).
const DEAD_SHOWN: usize = 5;

/// The popup's text.
pub fn lines(coord: &Coordinator, theme: &Theme) -> Vec<Line<'static>> {
    let ctx = coord.state().context();
    let ix = &ctx.index;
    let mut out = Vec::new();
    let head = |s: &str| Line::from(Span::styled(s.to_string(), theme.title()));
    out.push(head("Blackboard"));
    if ix.keys.is_empty() {
        out.push(Line::from(Span::styled("  no keys", theme.dim())));
    }
    let key_w = ix.keys.iter().map(|k| k.chars().count()).max().unwrap_or(0).clamp(3, 24);
    for k in &ix.keys {
        let (value, version) = ctx.board.read(k);
        let writer = ctx.board.history(k).last().map_or("-".to_string(), |w| w.writer.clone());
        let value = value.map_or("—".to_string(), |v| v.to_string());
        out.push(Line::raw(format!("  {k:<key_w$}  v{version:<4} by {writer:<16} {value}")));
    }
    out.push(Line::raw(""));
    out.push(head("Locks"));
    if ix.locks.is_empty() {
        out.push(Line::from(Span::styled("  no locks", theme.dim())));
    }
    for (l, name) in ix.locks.iter().enumerate() {
        let lease = ctx.locks.lease(name);
        let mut spans = vec![Span::raw(format!("  {name:<key_w$}  "))];
        match (ctx.holders[l], lease) {
            (Some(h), Some(lease)) => spans.push(Span::styled(
                format!(
                    "held by {} on {}, token {}, lease to {}",
                    coord.task_name(h.task),
                    coord.agent_name(h.agent),
                    h.token,
                    clock(lease.expires_at)
                ),
                theme.fg(Role::Warning),
            )),
            _ => spans.push(Span::styled(format!("free, last token {}", ctx.locks.highest_token(name)), theme.dim())),
        }
        let waiting: Vec<&str> = ctx.locks.waiters(name).map(|w| w.holder.as_str()).collect();
        if !waiting.is_empty() {
            spans.push(Span::raw(format!("; waiting: {}", waiting.join(", "))));
        }
        out.push(Line::from(spans));
    }
    if !ctx.elections.is_empty() {
        out.push(Line::raw(""));
        out.push(head("Leaders"));
        for e in &ctx.elections {
            let who = match (e.leader(), e.next_deadline()) {
                (Some((name, term)), Some(until)) => format!("{name} ★ term {term}, lease to {}", clock(until)),
                _ => format!("none (last term {})", e.term()),
            };
            out.push(Line::raw(format!("  {}: {who} · members {}", e.group(), e.members().join(", "))));
        }
    }
    out.push(Line::raw(""));
    out.push(head(&format!(
        "Dead letters {} · conflicts {} · stale writes {} · expired leases {}",
        ctx.dead_count, ctx.conflicts, ctx.rejected_writes, ctx.expired_leases
    )));
    for d in ctx.dead_letters.iter().rev().take(DEAD_SHOWN) {
        let to = match d.msg.to {
            crate::core::Endpoint::Agent(a) => coord.agent_name(a),
            _ => "*",
        };
        out.push(Line::from(Span::styled(
            format!("  ✗ {} #{} {} → {} ({})", clock(d.t_ms), d.msg.id, d.msg.kind.name(), to, d.reason.name()),
            theme.fg(Role::Error),
        )));
    }
    out
}

fn rect(area: Rect) -> Rect {
    crate::tui::popups::centered(area, area.width.saturating_sub(8).min(110), area.height.saturating_sub(4))
}

/// How far the popup can scroll on a screen of this size.
pub fn max_scroll(screen: Rect, coord: &Coordinator, theme: &Theme) -> u16 {
    let visible = rect(screen).height.saturating_sub(2);
    (lines(coord, theme).len() as u16).saturating_sub(visible)
}

pub fn render(f: &mut Frame, area: Rect, coord: &Coordinator, theme: &Theme, scroll: u16, block: Block<'_>) {
    let r = rect(area);
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines(coord, theme)).block(block).scroll((scroll, 0)), r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::panes::fixture::{Fixture, draw};

    fn screen(fx: &Fixture, w: u16, h: u16) -> ratatui::Terminal<ratatui::backend::TestBackend> {
        let coord = fx.run.coordinator();
        draw(w, h, |f| {
            render(
                f,
                f.area(),
                coord,
                &fx.settings.theme,
                0,
                crate::tui::popups::popup_block(
                    "Shared context — ↑↓ scroll",
                    crate::tui::keymap::Action::ClosePopup,
                    &fx.settings,
                ),
            )
        })
    }

    #[test]
    fn context_popup_shows_keys_the_held_lock_and_its_queue() {
        // shared-ledger at 1.1 s: scribe-1 hangs holding the ledger file; append-2 waits for it.
        let mut fx = Fixture::new("shared-ledger");
        fx.advance(1_100);
        let text: Vec<String> = lines(fx.run.coordinator(), &fx.settings.theme).iter().map(|l| l.to_string()).collect();
        assert!(
            text.iter().any(|l| l.contains("ledger-file") && l.contains("held by append-1 on scribe-1")),
            "{text:?}"
        );
        assert!(text.iter().any(|l| l.contains("waiting: append-2")), "{text:?}");
        insta::assert_snapshot!(screen(&fx, 100, 16).backend());
    }

    #[test]
    fn context_popup_shows_the_leader_and_dead_letters() {
        let mut fx = Fixture::new("leader-failover");
        fx.advance(5_000);
        let text: Vec<String> = lines(fx.run.coordinator(), &fx.settings.theme).iter().map(|l| l.to_string()).collect();
        assert!(text.iter().any(|l| l.contains("ledger-leaders: node-c ★ term 3")), "{text:?}");
        assert!(text.iter().any(|l| l.contains("✗") && l.contains("cancel → node-b (receiver_down)")), "{text:?}");
        insta::assert_snapshot!(screen(&fx, 100, 14).backend());
    }
}
