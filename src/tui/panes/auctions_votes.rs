//! The "Auctions & votes" pane: one row per auction (newest first) with its task, round, state,
//! winner, best score and how many invitees bid; under the list, every answer of the selected
//! auction with its score, the winner and the bidders passed over. ←/→ pick a valid bid, `w` awards
//! the task to it and `n` reopens the auction (both as operator commands, so they are journaled).
//! Enter opens the task's detail, which explains why the winner won (`auction_lines`).
//! `/` filters by task, winner or state. Ballots of decision tasks ([`VotesPane`]) take the lower
//! half when the run has both (`t` moves the keys between the halves), the whole pane when it has
//! only ballots.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::heading;
use super::list::{List, count_note};
use super::text::{clock, duration, truncate};
use super::votes::VotesPane;
use super::{Band, Ctx, Pane, Place, Reply, Selection, hints, pane_block};
use crate::core::OpAction;
use crate::protocols::vote::Choice;
use crate::tui::keymap::{Action, Context};
use crate::protocols::auction::{Auction, AwardBy, BidFlaw, NoAward, Phase, Then, rank};
use crate::core::{AgentId, Coordinator, TaskId};
use crate::tui::theme::{Role, Theme};

/// What the pane says before any auction opened.
pub const PLACEHOLDER: &str =
    "none yet — auctions appear here when a scenario uses allocation \"auction\" (votes, once decision tasks exist)";

/// Open and past auctions, and the ballots below them.
#[derive(Debug)]
pub struct AuctionsVotesPane {
    /// Auctions by id.
    list: List<u32>,
    /// Position of the selected bid among the selected auction's valid bids, best first.
    bid: usize,
    /// The selection rides on the newest auction (the top row) until the operator moves off it.
    follow: bool,
    pub votes: VotesPane,
    /// With both auctions and ballots, the keys go to the ballots.
    votes_focus: bool,
}

/// The auction's state word and colour.
fn state(x: &Auction, theme: &Theme) -> (String, Style) {
    match x.phase {
        Phase::Open => ("open".into(), theme.bold(Role::Warning)),
        Phase::Awarded { by: AwardBy::Operator, .. } => ("op award".into(), theme.fg(Role::Operator)),
        Phase::Awarded { .. } => ("awarded".into(), theme.fg(Role::Ok)),
        Phase::NoAward { reason: NoAward::Withdrawn | NoAward::Reopened, .. } => ("closed".into(), theme.dim()),
        Phase::NoAward { .. } => ("no award".into(), theme.fg(Role::Error)),
    }
}

/// Valid bids, best first, with scores: the close's ranking, or as they stand while it is open.
fn ranking(coord: &Coordinator, x: &Auction) -> Vec<(AgentId, f64)> {
    match x.phase {
        Phase::Open => rank(&x.bids, &coord.auction_spec(x.task).weights),
        _ if x.ranking.is_empty() => rank(&x.bids, &coord.auction_spec(x.task).weights),
        _ => x.ranking.to_vec(),
    }
}

fn answered(x: &Auction) -> usize {
    let late = |a: AgentId| x.bids.iter().all(|b| b.agent != a || b.flaw == Some(BidFlaw::Late));
    x.invited.iter().filter(|&&a| !late(a) || x.declines.iter().any(|(d, _)| *d == a)).count()
}

/// The auctions' ids, in the order listed.
fn ids(rows: &[&Auction]) -> Vec<u32> {
    rows.iter().map(|x| x.id).collect()
}

/// Every answer of an auction, one line each: valid bids best first (winner starred, passed-over
/// bidders marked), then flawed bids, declines and invitees that did not answer. `cursor` marks the
/// valid bid at that position.
fn bid_lines(coord: &Coordinator, x: &Auction, cursor: Option<usize>, theme: &Theme, out: &mut Vec<Line<'static>>) {
    let ranked = ranking(coord, x);
    let winner = match x.phase {
        Phase::Awarded { agent, .. } => Some(agent),
        _ => None,
    };
    let bid_of = |a: AgentId| x.bids.iter().find(|b| b.agent == a && b.flaw.is_none());
    let name = |a: AgentId| format!("{:<12}", truncate(coord.agent_name(a), 12));
    let figures = |price: f64, eta: u64, conf: f64| format!("{price:>7.2}  {:>7}  {conf:>5.2}", duration(eta));
    for (i, &(a, score)) in ranked.iter().enumerate() {
        let Some(b) = bid_of(a) else { continue };
        let (note, style) = if Some(a) == winner {
            ("★ won".to_string(), theme.bold(Role::Ok))
        } else if x.passed.contains(&a) {
            ("passed over (down or full)".to_string(), theme.fg(Role::Warning))
        } else {
            (String::new(), Style::new())
        };
        let mark = if cursor == Some(i) { "›" } else { " " };
        out.push(Line::from(vec![
            Span::styled(format!("{mark} {} ", name(a)), if cursor == Some(i) { theme.selected() } else { style }),
            Span::raw(figures(b.price, b.eta_ms, b.confidence)),
            Span::styled(format!("  {score:>6.3}  "), style),
            Span::styled(note, style),
        ]));
    }
    for b in x.bids.iter().filter(|b| b.flaw.is_some()) {
        let flaw = b.flaw.map_or("", BidFlaw::name);
        out.push(Line::from(vec![
            Span::styled(format!("  {} ", name(b.agent)), theme.dim()),
            Span::styled(figures(b.price, b.eta_ms, b.confidence), theme.dim()),
            Span::styled(format!("     -  invalid: {flaw}"), theme.fg(Role::Error)),
        ]));
    }
    for (a, reason) in &x.declines {
        out.push(Line::styled(format!("  {} declined: {reason}", name(*a)), theme.dim()));
    }
    for &a in x.invited.iter() {
        if !x.bids.iter().any(|b| b.agent == a) && !x.declines.iter().any(|(d, _)| *d == a) {
            let what = if x.is_open() { "no answer yet" } else { "did not answer" };
            out.push(Line::styled(format!("  {} {what}", name(a)), theme.dim()));
        }
    }
}

/// Why the auction ended as it did, in one line.
fn verdict(coord: &Coordinator, x: &Auction) -> String {
    let w = coord.auction_spec(x.task).weights;
    let valid = x.bids.iter().filter(|b| b.flaw.is_none()).count();
    match x.phase {
        Phase::Open => {
            format!("taking bids until {} ({} of {} answered)", clock(x.closes_ms), answered(x), x.invited.len())
        }
        Phase::Awarded { agent, score, by: AwardBy::Score } => {
            let mut s = format!(
                "{} won with the best score {score:.3} of {valid} valid bid(s) (weights: price {}, time {}, confidence {})",
                coord.agent_name(agent),
                w.price,
                w.time,
                w.confidence
            );
            if !x.passed.is_empty() {
                let names: Vec<&str> = x.passed.iter().map(|&a| coord.agent_name(a)).collect();
                s.push_str(&format!("; {} scored higher but could not take it", names.join(", ")));
            }
            s
        }
        Phase::Awarded { agent, score, by: AwardBy::Operator } => {
            format!("an operator awarded it to {} (score {score:.3})", coord.agent_name(agent))
        }
        Phase::NoAward { reason, then } => {
            let next = match then {
                Then::Reannounce { at_ms } => format!("announced again at {}", clock(at_ms)),
                Then::Escalate => "escalated to the inbox".into(),
                Then::Stop => "nothing follows".into(),
            };
            format!("no award ({}); {next}", reason.name().replace('_', " "))
        }
    }
}

/// The task's auctions in its detail popup: the latest one's answers and why it ended so.
pub(super) fn auction_lines(t: TaskId, ctx: &Ctx, out: &mut Vec<Line<'static>>) {
    let theme = ctx.theme;
    let coord = ctx.coord;
    let Some(x) = coord.state().auctions().latest(t) else { return };
    let rounds = coord.state().auctions().auctions.iter().filter(|a| a.task == t).count();
    out.push(Line::raw(""));
    out.push(heading(format!("auction #{} · round {} · {} auction(s) for this task", x.id, x.round, rounds), theme));
    out.push(Line::styled("  agent           price      eta   conf   score", theme.dim()));
    bid_lines(coord, x, None, theme, out);
    out.push(Line::styled(format!("  {}", verdict(coord, x)), theme.fg(Role::Active)));
}

impl Default for AuctionsVotesPane {
    fn default() -> Self {
        let (list, votes) = (List::default(), VotesPane::default());
        AuctionsVotesPane { list, bid: 0, follow: true, votes, votes_focus: false }
    }
}

impl Pane for AuctionsVotesPane {
    fn id(&self) -> &'static str {
        "auctions_votes"
    }

    fn title(&self) -> &'static str {
        "Auctions & votes"
    }

    fn help(&self) -> &'static str {
        "auctions and their bids, then ballots"
    }

    fn place(&self) -> Place {
        Place { band: Band::Top, column: 1, width: 42, height: 40 }
    }

    /// The keys of whichever half has them: the auctions' (award, reopen) or the ballots'.
    fn contexts(&self, ctx: &Ctx) -> &'static [Context] {
        if self.votes_active(ctx.coord) {
            &[Context::AuctionsVotes, Context::Votes]
        } else {
            &[Context::AuctionsVotes, Context::Auctions]
        }
    }

    fn handle(&mut self, action: Action, ctx: &Ctx) -> Reply {
        let s = ctx.coord.state();
        match action {
            Action::SwitchHalf if !s.auctions().is_empty() && !s.votes().is_empty() => {
                self.votes_focus = !self.votes_focus;
                Reply::Done
            }
            Action::Award => match self.selected_bid(ctx) {
                Some((t, a)) => Reply::Request(OpAction::Award(t, a)),
                None if self.current(ctx).is_some() => Reply::Need("a valid bid"),
                None => Reply::Need("an auction"),
            },
            Action::Reopen => self.current(ctx).map_or(Reply::Need("an auction"), |x| Reply::Request(OpAction::Reopen(x.task))),
            Action::VoteYes | Action::VoteNo | Action::Veto => {
                let Some(t) = self.selected_ballot(ctx) else { return Reply::Need("a ballot") };
                Reply::Request(match action {
                    Action::VoteYes => OpAction::CastVote(t, Choice::Yes),
                    Action::VoteNo => OpAction::CastVote(t, Choice::No),
                    _ => OpAction::Veto(t),
                })
            }
            _ if self.votes_active(ctx.coord) => {
                if self.votes.step(action, ctx) { Reply::Done } else { Reply::Ignored }
            }
            _ if s.auctions().is_empty() => Reply::Ignored,
            _ => self.move_in_auctions(action, ctx),
        }
    }

    fn set_filter(&mut self, filter: &str) {
        self.list.set_filter(filter);
        self.votes.set_filter(filter);
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let s = ctx.coord.state();
        let part = |focused| Ctx { focused, ..*ctx };
        match (s.auctions().is_empty(), s.votes().is_empty()) {
            (true, false) => self.votes.render(f, area, ctx, "Auctions & votes"),
            (false, false) => {
                let top = Rect { height: area.height / 2, ..area };
                let bottom = Rect { y: area.y + top.height, height: area.height - top.height, ..area };
                self.render_auctions(f, top, &part(ctx.focused && !self.votes_focus));
                self.votes.render(f, bottom, &part(ctx.focused && self.votes_focus), "Votes");
            }
            _ => self.render_auctions(f, area, ctx),
        }
    }

    fn click(&mut self, column: u16, row: u16, ctx: &Ctx) -> bool {
        if !ctx.coord.state().votes().is_empty() && self.votes.click(column, row, ctx) {
            self.votes_focus = true;
            return true;
        }
        self.votes_focus = false;
        let Some(pos) = self.list.click(column, row, &ids(&self.rows(ctx))) else { return false };
        self.follow = pos == 0;
        self.bid = 0;
        true
    }

    /// Enter opens the selected auction's task.
    fn selection(&self, ctx: &Ctx) -> Option<Selection> {
        if self.votes_active(ctx.coord) {
            return self.votes.selection(ctx);
        }
        self.current(ctx).map(|x| Selection::Task(x.task))
    }
}

impl AuctionsVotesPane {
    pub fn new() -> AuctionsVotesPane {
        AuctionsVotesPane::default()
    }

    pub fn filter(&self) -> &str {
        self.list.filter()
    }


    /// Whether the keys and Enter go to the ballots (the run has ballots, and no auctions or the
    /// ballots half has the focus).
    fn votes_active(&self, coord: &Coordinator) -> bool {
        !coord.state().votes().is_empty() && (coord.state().auctions().is_empty() || self.votes_focus)
    }

    /// The decision task of the selected ballot, when the ballots have the keys.
    pub fn selected_ballot(&self, ctx: &Ctx) -> Option<TaskId> {
        self.votes_active(ctx.coord).then(|| self.votes.selected_task(ctx)).flatten()
    }

    /// Auctions passing the filter, newest first.
    fn rows<'c>(&self, ctx: &Ctx<'c>) -> Vec<&'c Auction> {
        let coord = ctx.coord;
        let all = coord.state().auctions().auctions.iter().rev();
        if self.list.filter().is_empty() {
            return all.collect();
        }
        all.filter(|x| {
            let winner = match x.phase {
                Phase::Awarded { agent, .. } => coord.agent_name(agent),
                _ => "",
            };
            self.list.keeps(&format!("{} {winner} {}", coord.task_name(x.task), state(x, ctx.theme).0))
        })
        .collect()
    }

    fn current<'c>(&self, ctx: &Ctx<'c>) -> Option<&'c Auction> {
        let rows = self.rows(ctx);
        self.list.position(&ids(&rows)).map(|p| rows[p])
    }


    fn render_auctions(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let coord = ctx.coord;
        let rows = self.rows(ctx);
        let total = coord.state().auctions().auctions.len();
        let block =
            pane_block("Auctions & votes", Some(count_note(rows.len(), total, "auctions", self.list.filter())), ctx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        if rows.is_empty() {
            self.list.select(None);
            let text = if total == 0 {
                PLACEHOLDER.to_string()
            } else {
                format!("nothing matches “{}”", self.list.filter())
            };
            let p = Paragraph::new(Span::styled(text, theme.dim())).wrap(ratatui::widgets::Wrap { trim: true });
            f.render_widget(p, inner);
            return;
        }
        let ids = ids(&rows);
        if self.follow && self.list.selected() != ids.first().copied() {
            self.list.select(ids.first().copied());
            self.bid = 0;
        }
        // The list takes about half when there is room for the selected auction's bids under it.
        let detail = inner.height >= 9;
        let list_h = if detail { (inner.height / 2).min(rows.len() as u16 + 1).max(3) } else { inner.height };
        let body = Rect { y: inner.y + 1, height: list_h.saturating_sub(1), ..inner };
        let visible = self.list.fit(&ids, body);
        let w = inner.width as usize;
        let task_w = rows.iter().map(|x| coord.task_name(x.task).chars().count()).max().unwrap_or(4).clamp(4, 20);
        let mut lines = vec![Line::styled(
            truncate(
                &format!("  {:<4} {:<task_w$} rnd {:<9} {:<12} {:>6}  bids", "#", "task", "state", "winner", "best"),
                w,
            ),
            theme.title(),
        )];
        for x in &rows[visible] {
            let selected = Some(x.id) == self.list.selected();
            let (word, style) = state(x, theme);
            let winner = match x.phase {
                Phase::Awarded { agent, .. } => coord.agent_name(agent).to_string(),
                _ => "-".into(),
            };
            let best = ranking(coord, x).first().map_or("-".into(), |&(_, s)| format!("{s:.3}"));
            let valid = x.bids.iter().filter(|b| b.flaw.is_none()).count();
            let text = format!("{:<4} {:<task_w$} {:>3} ", x.id, truncate(coord.task_name(x.task), task_w), x.round);
            let rest = format!(" {:<12} {best:>6}  {valid}/{}", truncate(&winner, 12), x.invited.len());
            let line = Line::from(vec![
                Span::raw(if selected { "▸ " } else { "  " }),
                Span::raw(text),
                Span::styled(format!("{word:<9}"), style),
                Span::raw(rest),
            ]);
            lines.push(if selected { line.style(theme.selected()) } else { line });
        }
        f.render_widget(Paragraph::new(lines), Rect { height: list_h, ..inner });
        if !detail {
            return;
        }
        let Some(x) = self.current(ctx) else { return };
        let valid = ranking(coord, x).len();
        self.bid = self.bid.min(valid.saturating_sub(1));
        let mut out = vec![Line::styled(
            truncate(&format!("── #{} {} · {}", x.id, coord.task_name(x.task), verdict(coord, x)), w),
            theme.dim(),
        )];
        bid_lines(coord, x, (valid > 0).then_some(self.bid), theme, &mut out);
        let room = (inner.height - list_h) as usize;
        out.insert(1, Line::styled("  agent           price      eta   conf   score", theme.dim()));
        let keys = ctx.keys;
        let hint = hints(
            &[
                (Some(keys.pair(Action::Left, Action::Right)), "bid"),
                (Some(keys.label(Action::Award)), "award to it"),
                (Some(keys.label(Action::Reopen)), "reopen"),
                (Some(keys.label(Action::Open)), "task detail"),
            ],
            ctx,
        );
        out.truncate(room.saturating_sub(1));
        let area = Rect { y: inner.y + list_h, height: inner.height - list_h - 1, ..inner };
        f.render_widget(Paragraph::new(out), area);
        f.render_widget(Paragraph::new(hint), Rect { y: inner.y + inner.height - 1, height: 1, ..inner });
    }




    /// Left and right move the bid cursor; the rest moves in the list of auctions.
    fn move_in_auctions(&mut self, action: Action, ctx: &Ctx) -> Reply {
        match action {
            Action::Left => self.bid = self.bid.saturating_sub(1),
            Action::Right => {
                let valid = self.current(ctx).map_or(0, |x| ranking(ctx.coord, x).len());
                self.bid = (self.bid + 1).min(valid.saturating_sub(1));
            }
            _ => {
                let before = self.list.selected();
                if !self.list.step(action, &ids(&self.rows(ctx))) {
                    return Reply::Ignored;
                }
                self.follow = self.list.cursor() == 0;
                if self.list.selected() != before {
                    self.bid = 0;
                }
            }
        }
        Reply::Done
    }

    /// The selected auction's task and the valid bidder under the bid cursor (what `award` gives it to).
    pub fn selected_bid(&self, ctx: &Ctx) -> Option<(TaskId, AgentId)> {
        let x = self.current(ctx)?;
        ranking(ctx.coord, x).get(self.bid).map(|&(a, _)| (x.task, a))
    }
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::KeyCode;

    use super::*;
    use crate::core::OpAction;
    use crate::tui::panes::fixture::{Fixture, draw, nav};

    /// market-auction at 2.7 s: the GPU render has just been won by gpu-box after its escalation.
    fn auctions() -> Fixture {
        let mut fx = Fixture::new("market-auction");
        fx.advance(2_700);
        fx
    }

    #[test]
    fn auctions_votes_wide() {
        let fx = auctions();
        let mut pane = AuctionsVotesPane::new();
        let term = draw(160, 45, |f| pane.render(f, f.area(), &fx.ctx()));
        insta::assert_snapshot!(term.backend());
    }

    #[test]
    fn auctions_votes_narrow_filtered() {
        let fx = auctions();
        let mut pane = AuctionsVotesPane::new();
        pane.set_filter("gpu");
        let term = draw(80, 24, |f| pane.render(f, f.area(), &fx.ctx()));
        insta::assert_snapshot!(term.backend());
        assert_eq!(pane.rows(&fx.ctx()).len(), 3, "the render's rounds: two without award, one won");
    }

    #[test]
    fn empty_before_any_auction() {
        let fx = Fixture::new("research-pipeline");
        let mut pane = AuctionsVotesPane::new();
        let term = draw(100, 5, |f| pane.render(f, f.area(), &fx.ctx()));
        insta::assert_snapshot!(term.backend());
        assert!(!pane.handle(nav(KeyCode::Down), &fx.ctx()).used());
        assert_eq!(pane.selection(&fx.ctx()), None);
    }

    #[test]
    fn keys_move_through_auctions_and_bids_and_the_bid_can_be_awarded() {
        let mut fx = Fixture::new("market-auction");
        fx.advance(20);
        let mut pane = AuctionsVotesPane::new();
        draw(160, 45, |f| pane.render(f, f.area(), &fx.ctx()));
        // Newest first: the cheap batch's auction (#4) is on top, still open.
        let batch = fx.task("cheap-batch");
        assert_eq!(pane.selection(&fx.ctx()), Some(Selection::Task(batch)));
        assert!(pane.handle(nav(KeyCode::Down), &fx.ctx()).used());
        assert_eq!(pane.selection(&fx.ctx()), Some(Selection::Task(fx.task("ingest-crm"))));
        assert!(pane.handle(nav(KeyCode::Up), &fx.ctx()).used());
        let (t, best) = pane.selected_bid(&fx.ctx()).expect("bids so far");
        assert_eq!(t, batch);
        assert!(pane.handle(nav(KeyCode::Right), &fx.ctx()).used());
        let (_, second) = pane.selected_bid(&fx.ctx()).unwrap();
        assert_ne!(best, second);
        // The operator's award goes through the coordinator like any command.
        fx.op(OpAction::Award(batch, second));
        let x = fx.run.coordinator().state().auctions().latest(batch).unwrap();
        assert_eq!(x.phase, Phase::Awarded { agent: second, score: x.ranking[1].1, by: AwardBy::Operator });
        let term = draw(160, 45, |f| pane.render(f, f.area(), &fx.ctx()));
        assert!(format!("{:?}", term.backend()).contains("op award"));
    }

    #[test]
    fn the_selection_follows_the_newest_auction_until_the_operator_moves_off_it() {
        let mut fx = Fixture::new("market-auction");
        fx.advance(20);
        let mut pane = AuctionsVotesPane::new();
        let newest =
            |fx: &Fixture| Selection::Task(fx.run.coordinator().state().auctions().auctions.last().unwrap().task);
        draw(160, 45, |f| pane.render(f, f.area(), &fx.ctx()));
        assert_eq!(pane.selection(&fx.ctx()), Some(newest(&fx)));
        fx.advance(2100);
        draw(160, 45, |f| pane.render(f, f.area(), &fx.ctx()));
        assert_eq!(pane.selection(&fx.ctx()), Some(newest(&fx)), "it moved up with the new auctions");
        // One row down: the selection stays on that auction as newer ones arrive.
        assert!(pane.handle(nav(KeyCode::Down), &fx.ctx()).used());
        let kept = pane.selection(&fx.ctx());
        fx.advance(4000);
        draw(160, 45, |f| pane.render(f, f.area(), &fx.ctx()));
        assert_ne!(kept, Some(newest(&fx)), "newer auctions arrived");
        assert_eq!(pane.selection(&fx.ctx()), kept);
    }

    #[test]
    fn award_and_reopen_are_console_commands() {
        use crate::tui::cmdline::{Parsed, parse};
        let fx = auctions();
        let coord = fx.run.coordinator();
        let (t, a) = (fx.task("cheap-batch"), fx.agent("steady"));
        assert_eq!(
            parse("award cheap-batch steady -- cheaper", coord),
            Ok(Parsed::Op(OpAction::Award(t, a), Some("cheaper".into())))
        );
        assert_eq!(parse("reopen cheap-batch", coord), Ok(Parsed::Op(OpAction::Reopen(t), None)));
        assert_eq!(parse("award cheap-batch", coord), Err("usage: :award TASK AGENT".into()));
        // The coordinator refuses what cannot apply, with a reason the status line shows.
        assert_eq!(coord.check_operator(OpAction::Reopen(t)), Err(crate::core::Refusal::TaskEnded(t)));
    }

    #[test]
    fn the_task_detail_says_why_the_winner_won() {
        let fx = auctions();
        let mut out = Vec::new();
        auction_lines(fx.task("gpu-render"), &fx.ctx(), &mut out);
        let text: Vec<String> = out.iter().map(|l| l.to_string()).collect();
        assert_eq!(text[1], "auction #12 · round 1 · 3 auction(s) for this task");
        assert!(text.iter().any(|l| l.contains("gpu-box") && l.contains("★ won")), "{text:#?}");
        assert!(text.iter().any(|l| l.contains("old-gpu") && l.contains("invalid: below_min_confidence")));
        assert!(text.last().unwrap().contains("gpu-box won with the best score 0.978 of 1 valid bid(s)"));
    }
}
