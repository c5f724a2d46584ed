//! The votes half of the "Auctions & votes" pane (titled "Votes" when the run also has auctions):
//! one row per decision task's ballot (proposal, a
//! small yes/no/abstain bar by weight, whether the quorum is met, the outcome or the time left),
//! and under the list every vote of the selected ballot. `y` / `n` cast the operator's deciding
//! vote and `V` vetoes (through the console's operator commands, so they are journaled).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::list::{List, count_note};
use super::text::{clock, duration, truncate};
use super::{Ctx, Selection, hints, pane_block};
use crate::core::{Coordinator, TaskId};
use crate::protocols::vote::{Ballot, Choice, Phase, Verdict};
use crate::tui::keymap::Action;
use crate::tui::theme::{Role, Theme};

/// Cells of the tally bar.
const BAR: usize = 10;

/// Decision tasks' ballots.
#[derive(Debug, Default)]
pub struct VotesPane {
    list: List<TaskId>,
}

/// The ballot's state word and colour: the outcome, or the time left.
fn state(b: &Ballot, task_ended: bool, now: u64, theme: &Theme) -> (String, Style) {
    match b.phase {
        Phase::Decided { verdict: Verdict::Approved, reason } => {
            (format!("approved ({})", reason.name()), theme.fg(Role::Ok))
        }
        Phase::Decided { verdict: Verdict::Rejected, reason } => {
            (format!("rejected ({})", reason.name()), theme.fg(Role::Error))
        }
        Phase::Escalated if task_ended => ("closed".into(), theme.dim()),
        Phase::Escalated => ("tie: in the inbox".into(), theme.bold(Role::Operator)),
        Phase::Open if task_ended => ("closed".into(), theme.dim()),
        Phase::Open => {
            let left = b.closes_ms.saturating_sub(now);
            (format!("open, {} left", duration(left)), theme.bold(Role::Warning))
        }
    }
}

/// `███▒▒░    `: yes, no and abstain weight out of the voters' whole weight.
fn bar(b: &Ballot, theme: &Theme) -> Vec<Span<'static>> {
    let t = b.tally();
    // Cumulative rounding, so the three parts never add up to more than the bar.
    let upto = |w: f64| if t.total > 0.0 { ((w / t.total * BAR as f64).round() as usize).min(BAR) } else { 0 };
    let yes = upto(t.yes);
    let no = upto(t.yes + t.no) - yes;
    let abstain = upto(t.cast()) - yes - no;
    let rest = BAR - yes - no - abstain;
    vec![
        Span::styled("█".repeat(yes), theme.fg(Role::Ok)),
        Span::styled("█".repeat(no), theme.fg(Role::Error)),
        Span::styled("░".repeat(abstain), theme.dim()),
        Span::styled("·".repeat(rest), theme.dim()),
    ]
}

fn weight(w: f64) -> String {
    if w.fract() == 0.0 { format!("{w:.0}") } else { format!("{w:.2}") }
}

/// Every vote of a ballot (the operator's too), then the voters still awaited and those unreached.
fn vote_lines(coord: &Coordinator, b: &Ballot, theme: &Theme, out: &mut Vec<Line<'static>>) {
    for c in &b.votes {
        let who = c.voter.map_or("operator".to_string(), |a| coord.agent_name(a).to_string());
        let style = match c.choice {
            Choice::Yes => theme.fg(Role::Ok),
            Choice::No => theme.fg(Role::Error),
            Choice::Abstain => theme.dim(),
        };
        let mut spans = vec![
            Span::raw(format!("  {:<12} ", truncate(&who, 12))),
            Span::styled(format!("{:<8}", c.choice.name()), style),
            Span::raw(format!(" ×{:<5} at {}", weight(c.weight), clock(c.t_ms))),
        ];
        if let Some(r) = &c.reason {
            spans.push(Span::styled(format!("  “{}”", truncate(r, 60)), theme.dim()));
        }
        out.push(Line::from(spans));
    }
    let waiting: Vec<&str> = b
        .voters
        .iter()
        .filter(|(a, _)| !b.unreached.contains(a) && !b.has_voted(*a))
        .map(|(a, _)| coord.agent_name(*a))
        .collect();
    if !waiting.is_empty() {
        out.push(Line::styled(format!("  no vote yet: {}", waiting.join(", ")), theme.dim()));
    }
    if !b.unreached.is_empty() {
        let names: Vec<&str> = b.unreached.iter().map(|&a| coord.agent_name(a)).collect();
        out.push(Line::styled(format!("  unreached (down): {}", names.join(", ")), theme.fg(Role::Warning)));
    }
}

/// A decision task's ballot for its detail popup: the proposal, the rule, the outcome and every
/// vote (a decision task whose dependencies are not done yet says so).
pub(super) fn ballot_lines(t: TaskId, ctx: &Ctx, out: &mut Vec<Line<'static>>) {
    let theme = ctx.theme;
    let coord = ctx.coord;
    let Some(d) = coord.decision_of(t) else { return };
    out.push(Line::raw(""));
    out.push(super::detail::heading(format!("decision: {}", d.proposal), theme));
    let Some(b) = coord.state().votes().ballots.get(&t) else {
        out.push(Line::styled("  no ballot yet: it opens when the dependencies are done", theme.dim()));
        return;
    };
    let tally = b.tally();
    let (word, style) = state(b, coord.state().tasks()[t.ix()].state.is_terminal(), ctx.now_ms, theme);
    let mut spans = vec![Span::raw("  ")];
    spans.extend(bar(b, theme));
    spans.push(Span::raw(format!(
        " yes {} no {} abstain {} of {} · quorum {} ({}) · threshold {} · tie {} · ",
        weight(tally.yes),
        weight(tally.no),
        weight(tally.abstain),
        weight(tally.total),
        b.quorum,
        if tally.quorum_met(b.quorum) { "met" } else { "not met" },
        b.threshold,
        b.tie.name()
    )));
    spans.push(Span::styled(word, style));
    out.push(Line::from(spans));
    vote_lines(coord, b, theme, out);
}

impl VotesPane {
    pub fn new() -> VotesPane {
        VotesPane::default()
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.list.set_filter(filter);
    }

    fn rows<'c>(&self, ctx: &Ctx<'c>) -> Vec<(TaskId, &'c Ballot)> {
        let (coord, now) = (ctx.coord, ctx.coord.state().now_ms());
        coord
            .state()
            .votes()
            .ballots
            .iter()
            .filter(|(t, b)| {
                self.list.filter().is_empty() || {
                    let ended = coord.state().tasks()[t.ix()].state.is_terminal();
                    self.list.keeps(&format!(
                        "{} {} {}",
                        coord.task_name(**t),
                        b.proposal,
                        state(b, ended, now, ctx.theme).0
                    ))
                }
            })
            .map(|(t, b)| (*t, b))
            .collect()
    }

    /// The selected ballot's decision task.
    pub fn selected_task(&self, ctx: &Ctx) -> Option<TaskId> {
        self.list.selection(&Self::ids(&self.rows(ctx)))
    }

    fn ids(rows: &[(TaskId, &Ballot)]) -> Vec<TaskId> {
        rows.iter().map(|r| r.0).collect()
    }

    /// Draws inside `area` with a block titled `title`.
    pub fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx, title: &str) {
        let theme = ctx.theme;
        let coord = ctx.coord;
        let rows = self.rows(ctx);
        let total = coord.state().votes().ballots.len();
        let note = count_note(rows.len(), total, "ballots", self.list.filter());
        let block: Block = pane_block(title, Some(note), ctx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        if rows.is_empty() {
            let text = if total == 0 {
                "no ballot yet".to_string()
            } else {
                format!("nothing matches “{}”", self.list.filter())
            };
            f.render_widget(Paragraph::new(Span::styled(text, theme.dim())), inner);
            return;
        }
        let ids = Self::ids(&rows);
        let detail = inner.height >= 7;
        let list_h = if detail { (inner.height / 2).min(rows.len() as u16 + 1).max(2) } else { inner.height };
        let body = Rect { y: inner.y + 1, height: list_h.saturating_sub(1), ..inner };
        let visible = self.list.fit(&ids, body);
        let w = inner.width as usize;
        let task_w = rows.iter().map(|r| coord.task_name(r.0).chars().count()).max().unwrap_or(4).clamp(4, 16);
        let prop_w = w.saturating_sub(task_w + BAR + 40).clamp(8, 40);
        let head =
            format!("  {:<task_w$} {:<prop_w$} {:<BAR$} yes/no/abs  quorum  outcome", "task", "proposal", "tally");
        let mut lines = vec![Line::styled(truncate(&head, w), theme.title())];
        for &(t, b) in &rows[visible] {
            let selected = Some(t) == self.list.selected();
            let ended = coord.state().tasks()[t.ix()].state.is_terminal();
            let tally = b.tally();
            let (word, style) = state(b, ended, ctx.now_ms, theme);
            let mut spans = vec![
                Span::raw(if selected { "▸ " } else { "  " }),
                Span::raw(format!(
                    "{:<task_w$} {:<prop_w$} ",
                    truncate(coord.task_name(t), task_w),
                    truncate(&b.proposal, prop_w)
                )),
            ];
            spans.extend(bar(b, theme));
            let quorum = if tally.quorum_met(b.quorum) { "✓" } else { "✗" };
            spans.push(Span::raw(format!(
                " {:>10}  {quorum:^6}  ",
                format!("{}/{}/{}", weight(tally.yes), weight(tally.no), weight(tally.abstain))
            )));
            spans.push(Span::styled(word, style));
            let line = Line::from(spans);
            lines.push(if selected { line.style(theme.selected()) } else { line });
        }
        f.render_widget(Paragraph::new(lines), Rect { height: list_h, ..inner });
        let Some(&(t, b)) = rows.get(self.list.cursor()).filter(|_| detail) else { return };
        let mut out = vec![Line::styled(
            truncate(
                &format!(
                    "── {} · threshold {} · quorum {} · tie {} · round {}",
                    coord.task_name(t),
                    b.threshold,
                    b.quorum,
                    b.tie.name(),
                    b.round
                ),
                w,
            ),
            theme.dim(),
        )];
        vote_lines(coord, b, theme, &mut out);
        let room = (inner.height - list_h) as usize;
        out.truncate(room.saturating_sub(1));
        let keys = ctx.keys;
        let hint = hints(
            &[
                (Some(keys.pair(Action::VoteYes, Action::VoteNo)), "deciding vote"),
                (Some(keys.label(Action::Veto)), "veto"),
                (None, ":vote TASK abstain"),
                (Some(keys.label(Action::Open)), "task detail"),
            ],
            ctx,
        );
        let area = Rect { y: inner.y + list_h, height: inner.height - list_h - 1, ..inner };
        f.render_widget(Paragraph::new(out), area);
        f.render_widget(Paragraph::new(hint), Rect { y: inner.y + inner.height - 1, height: 1, ..inner });
    }

    /// Moves the selection for a navigation action; false if `action` is not one.
    pub fn step(&mut self, action: Action, ctx: &Ctx) -> bool {
        self.list.step(action, &Self::ids(&self.rows(ctx)))
    }

    pub fn click(&mut self, column: u16, row: u16, ctx: &Ctx) -> bool {
        self.list.click(column, row, &Self::ids(&self.rows(ctx))).is_some()
    }

    pub fn selection(&self, ctx: &Ctx) -> Option<Selection> {
        self.selected_task(ctx).map(Selection::Task)
    }
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::KeyCode;

    use super::*;
    use crate::tui::panes::Pane;
    use crate::tui::panes::fixture::{Fixture, draw, nav};

    #[test]
    fn votes_live_and_decided() {
        let mut fx = Fixture::new("consensus-release");
        // Both ballots open at 1.07 s; the migration is decided at 1.14 s, the release still open at 1.26 s.
        fx.advance(1_260);
        let mut pane = VotesPane::new();
        let term = draw(110, 12, |f| pane.render(f, f.area(), &fx.ctx(), "Votes"));
        insta::assert_snapshot!("votes_open", term.backend());
        let text = term.backend().to_string();
        assert!(text.contains("open,") && text.contains("release-vote") && text.contains("no vote yet"));

        fx.advance(3_000);
        let term = draw(110, 12, |f| pane.render(f, f.area(), &fx.ctx(), "Votes"));
        insta::assert_snapshot!("votes_decided", term.backend());
        let text = term.backend().to_string();
        assert!(text.contains("approved (threshold)") && text.contains("rejected (threshold)"));

        // Down selects the second ballot; Enter would open its task.
        assert!(pane.step(nav(KeyCode::Down), &fx.ctx()));
        let migrate = fx.run.coordinator().scenario().tasks.iter().position(|t| t.id == "migrate-vote").unwrap();
        assert_eq!(pane.selection(&fx.ctx()), Some(Selection::Task(TaskId(migrate as u32))));
        pane.set_filter("approved");
        assert_eq!(pane.rows(&fx.ctx()).len(), 1);
    }

    #[test]
    fn the_dag_marks_decisions_and_their_outcome() {
        let mut fx = Fixture::new("consensus-release");
        fx.advance(3_000);
        let mut dag = super::super::dag::DagPane::new();
        let term = draw(160, 20, |f| dag.render(f, f.area(), &fx.ctx()));
        let text = term.backend().to_string();
        assert!(text.contains("?release-vote ★ ⇒yes"), "{text}");
        assert!(text.contains("?migrate-vote ⇒no"), "{text}");
        assert!(text.contains("? decision"), "{text}");
    }

    #[test]
    fn vote_and_veto_are_console_commands_and_the_auctions_votes_pane_shows_ballots() {
        use crate::core::OpAction;
        use crate::tui::cmdline::{Parsed, parse};
        let mut fx = Fixture::new("consensus-release");
        let names: Vec<String> = fx.run.coordinator().scenario().tasks.iter().map(|x| x.id.to_string()).collect();
        let t = |name: &str| TaskId(names.iter().position(|x| x == name).unwrap() as u32);
        let coord = fx.run.coordinator();
        let vote = parse("vote release-vote no -- not today", coord).unwrap();
        assert_eq!(vote, Parsed::Op(OpAction::CastVote(t("release-vote"), Choice::No), Some("not today".into())));
        assert_eq!(parse("veto migrate-vote", coord).unwrap(), Parsed::Op(OpAction::Veto(t("migrate-vote")), None));
        assert_eq!(parse("vote release-vote maybe", coord).unwrap_err(), "a vote is yes, no or abstain, not `maybe`");
        assert_eq!(parse("veto", coord).unwrap_err(), "usage: :veto TASK");
        // With only ballots, they take the whole "Auctions & votes" pane and its keys.
        fx.advance(1_260);
        let mut pane = super::super::auctions_votes::AuctionsVotesPane::new();
        let term = draw(100, 8, |f| pane.render(f, f.area(), &fx.ctx()));
        let text = term.backend().to_string();
        assert!(text.contains("Auctions & votes") && text.contains("release-vote") && text.contains("2 ballots"));
        assert_eq!(pane.selected_ballot(&fx.ctx()), Some(t("release-vote")));
        assert!(pane.handle(nav(KeyCode::Down), &fx.ctx()).used());
        assert_eq!(pane.selected_ballot(&fx.ctx()), Some(t("migrate-vote")));
    }

    #[test]
    fn a_decision_task_detail_shows_its_ballot() {
        let mut fx = Fixture::new("consensus-release");
        let t =
            TaskId(fx.run.coordinator().scenario().tasks.iter().position(|x| x.id == "release-vote").unwrap() as u32);
        let text = |fx: &Fixture| {
            let mut out = Vec::new();
            ballot_lines(t, &fx.ctx(), &mut out);
            out.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n")
        };
        assert!(text(&fx).contains("no ballot yet"));
        fx.advance(3_000);
        let shown = text(&fx);
        assert!(shown.contains("decision: ship v2 to production?"), "{shown}");
        assert!(
            shown.contains("yes 3 no 1 abstain 0 of 4 · quorum 0.6 (met)") && shown.contains("approved (threshold)")
        );
        assert!(shown.contains("qa           yes      ×2"), "{shown}");
        let mut out = Vec::new();
        ballot_lines(TaskId(0), &fx.ctx(), &mut out);
        assert!(out.is_empty(), "not a decision");
    }
}
