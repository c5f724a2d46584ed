//! The Agents pane: one row per agent with its state, current load, capabilities, counts and a
//! sparkline of recent load. `/` filters by a substring of the id or of any capability.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::list::{List, count_note, mark};
use super::text::{duration, truncate};
use super::{Band, Ctx, Pane, Place, Reply, Selection, pane_block};
use crate::tui::keymap::Action;
use crate::core::AgentId;
use crate::tui::theme::{Role, Theme};

/// Right-aligned cell text, for numbers.
fn num(s: String) -> Cell<'static> {
    Cell::from(Line::from(s).right_aligned())
}

/// Sparkline levels; a sample is scaled against the agent's `max_concurrent`.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Load bars show one block per slot up to this many slots, then scale.
const MAX_BAR: u32 = 8;

/// `███░░` for 3 of 5 slots busy; agents with many slots are scaled to [`MAX_BAR`] blocks.
fn load_bar(running: u32, max: u32) -> String {
    let cells = max.min(MAX_BAR);
    // Round up so that any load at all shows at least one block.
    let full = (running.min(max) * cells).div_ceil(max.max(1));
    let mut s = "█".repeat(full as usize);
    s.push_str(&"░".repeat((cells - full) as usize));
    s
}

/// The newest `width` load samples as a sparkline, newest on the right (it grows rightwards until
/// the column is full, then scrolls); idle samples are dim.
fn sparkline(samples: impl ExactSizeIterator<Item = u64>, max: u32, width: usize, theme: &Theme) -> Line<'static> {
    let skip = samples.len().saturating_sub(width);
    let mut spans = Vec::with_capacity(samples.len() - skip);
    for v in samples.skip(skip) {
        if v == 0 {
            spans.push(Span::styled("▁", theme.dim()));
        } else {
            let level = (v * 8).div_ceil(max.max(1) as u64).clamp(1, 8) as usize;
            spans.push(Span::styled(LEVELS[level - 1].to_string(), theme.fg(Role::Active)));
        }
    }
    Line::from(spans)
}

/// The agents table.
#[derive(Debug, Default)]
pub struct AgentsPane {
    list: List<AgentId>,
}

impl Pane for AgentsPane {
    fn id(&self) -> &'static str {
        "agents"
    }

    fn title(&self) -> &'static str {
        "Agents"
    }

    fn help(&self) -> &'static str {
        "each agent's state, load and record"
    }

    fn place(&self) -> Place {
        Place { band: Band::Top, column: 1, width: 42, height: 60 }
    }

    fn set_filter(&mut self, filter: &str) {
        self.list.set_filter(filter);
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let rows = self.rows(ctx);
        let specs = &ctx.coord.scenario().agents;
        let agents = ctx.coord.state().agents();
        let block = pane_block("Agents", Some(count_note(rows.len(), specs.len(), "agents", self.list.filter())), ctx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height < 2 || inner.width == 0 {
            return;
        }
        let body = Rect { y: inner.y + 1, height: inner.height - 1, ..inner };
        let visible = self.list.fit(&rows, body);
        if rows.is_empty() {
            let text = if specs.is_empty() {
                "no agents".to_string()
            } else {
                format!("no agent matches “{}”", self.list.filter())
            };
            f.render_widget(Paragraph::new(Span::styled(text, ctx.theme.dim())), inner);
            return;
        }

        // Widths come from every agent, not just the visible ones, so columns hold still while scrolling.
        let max_slots = agents.iter().map(|a| a.max_concurrent).max().unwrap_or(1);
        let bar_w = max_slots.min(MAX_BAR) as usize;
        let load_w = (bar_w + 1 + 2 * max_slots.to_string().len() + 1).max(4);
        let caps: Vec<String> =
            (0..specs.len()).map(|i| crate::protocols::swarm::view::capabilities(ctx.coord, AgentId(i as u32))).collect();
        let caps_want = caps.iter().map(|c| c.chars().count()).max().unwrap_or(0).clamp(12, 24);
        // Numbers never get cut: on a narrow pane the id gives way first (down to 5), then
        // capabilities and the sparkline disappear.
        let fixed_without_id = 1 + 8 + load_w + 5 + 4 + 4 + 6 + 9;
        // Group leaders carry `★TERM` after their id (room for it only when there are groups).
        let star_w = if ctx.coord.scenario().groups.is_empty() { 0 } else { 3 };
        // Reports are indented under their manager.
        let star_w = star_w + crate::protocols::teams::view::indent_width(ctx.coord);
        let id_want = (specs.iter().map(|a| a.id.chars().count()).max().unwrap_or(0) + star_w).clamp(5, 20 + star_w);
        let id_w = id_want.min((inner.width as usize).saturating_sub(fixed_without_id)).max(5);
        let rest = (inner.width as usize).saturating_sub(fixed_without_id + id_w);
        // The sparkline takes what the capabilities leave, and goes first when space is short.
        let (caps_w, spark_w) = if rest >= caps_want + 6 {
            (caps_want, (rest - caps_want - 1).min(crate::tui::view::LOAD_SAMPLES))
        } else if rest >= 20 {
            (rest - rest / 3 - 1, rest / 3)
        } else if rest >= 6 {
            (rest, 0)
        } else {
            (0, 0)
        };

        let header = Row::new(vec![
            mark(false),
            Cell::from("agent"),
            Cell::from("state"),
            Cell::from("load"),
            Cell::from(if ctx.coord.state().swarm().active { "capabilities θ" } else { "capabilities" }),
            num("done".into()),
            num("fail".into()),
            num("ok%".into()),
            num("mean".into()),
            Cell::from("recent load"),
        ])
        .style(ctx.theme.title());
        let table_rows = rows[visible].iter().map(|&id| {
            let (spec, a) = (&specs[id.ix()], &agents[id.ix()]);
            let slot = crate::protocols::elastic::view::slot_state(ctx.coord, id, ctx.theme);
            let (word, style) = slot.unwrap_or_else(|| ctx.theme.agent_look(a));
            let running = a.running.len() as u32;
            let bar = format!("{:<bar_w$} {running}/{}", load_bar(running, a.max_concurrent), a.max_concurrent);
            let ended = a.completed + a.failed;
            let rate =
                (u64::from(a.completed) * 100).checked_div(u64::from(ended)).map_or("-".into(), |p| format!("{p}%"));
            let mean = a.busy_ms.checked_div(u64::from(ended)).map_or("-".into(), duration);
            let load =
                ctx.view.load.get(id.ix()).map(|h| sparkline(h.iter().copied(), a.max_concurrent, spark_w, ctx.theme));
            let selected = Some(id) == self.list.selected();
            let row = Row::new(vec![
                mark(selected),
                Cell::from({
                    let indent = crate::protocols::teams::view::indent(ctx.coord, id);
                    let room = id_w.saturating_sub(indent.chars().count());
                    match ctx.coord.state().context().led_by(id).next() {
                        Some((_, term)) => format!("{indent}{} ★{term}", truncate(&spec.id, room.saturating_sub(3))),
                        None => format!("{indent}{}", truncate(&spec.id, room)),
                    }
                }),
                Cell::from(Span::styled(word, style)),
                Cell::from(bar),
                Cell::from(truncate(&caps[id.ix()], caps_w)),
                num(a.completed.to_string()),
                num(a.failed.to_string()),
                num(rate),
                num(mean),
                Cell::from(load.unwrap_or_default()),
            ]);
            match (selected, slot) {
                (true, _) => row.style(ctx.theme.selected()),
                (false, Some(_)) => row.style(ctx.theme.dim()),
                (false, None) => row,
            }
        });
        let widths = [1, id_w, 8, load_w, caps_w, 5, 4, 4, 6, spark_w].map(|w| Constraint::Length(w as u16));
        f.render_widget(Table::new(table_rows, widths).header(header).column_spacing(1), inner);
    }

    fn handle(&mut self, action: Action, ctx: &Ctx) -> Reply {
        if self.list.step(action, &self.rows(ctx)) { Reply::Done } else { Reply::Ignored }
    }

    /// Selects the agent under a mouse click; false if the click is not on a row.
    fn click(&mut self, column: u16, row: u16, ctx: &Ctx) -> bool {
        self.list.click(column, row, &self.rows(ctx)).is_some()
    }

    fn selection(&self, ctx: &Ctx) -> Option<Selection> {
        self.list.selection(&self.rows(ctx)).map(Selection::Agent)
    }
}

impl AgentsPane {
    pub fn new() -> AgentsPane {
        AgentsPane::default()
    }

    /// The filter as set (lower-cased).
    pub fn filter(&self) -> &str {
        self.list.filter()
    }


    /// Agents passing the filter, in scenario order (tree order when agents report to others).
    fn rows(&self, ctx: &Ctx) -> Vec<AgentId> {
        let specs = &ctx.coord.scenario().agents;
        let keep = |a: &AgentId| {
            let spec = &specs[a.ix()];
            self.list.keeps(&spec.id) || spec.capabilities.iter().any(|c| self.list.keeps(c))
        };
        crate::protocols::teams::view::tree_order(ctx.coord).into_iter().filter(keep).collect()
    }




}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::KeyCode;

    use super::*;
    use crate::tui::panes::fixture::{Fixture, crashed, draw, nav};

    #[test]
    fn agents_wide() {
        let fx = crashed();
        let mut pane = AgentsPane::new();
        let term = draw(100, 8, |f| pane.render(f, f.area(), &fx.ctx()));
        insta::assert_snapshot!(term.backend());
    }

    #[test]
    fn the_group_leader_wears_a_star_with_its_term() {
        // leader-failover at 4.3 s: node-a crashed, node-b hung (not yet given up), node-c leads term 3.
        let mut fx = Fixture::new("leader-failover");
        fx.advance(4_300);
        let mut pane = AgentsPane::new();
        let term = draw(100, 6, |f| pane.render(f, f.area(), &fx.ctx()));
        let text = format!("{:?}", term.backend());
        assert!(text.contains("node-c ★3"), "{text}");
        assert!(!text.contains("node-b ★"), "{text}");
        insta::assert_snapshot!(term.backend());
    }

    #[test]
    fn agents_narrow() {
        let mut fx = Fixture::new("research-pipeline");
        fx.advance(3_000);
        let mut pane = AgentsPane::new();
        let term = draw(78, 10, |f| pane.render(f, f.area(), &fx.ctx()));
        insta::assert_snapshot!(term.backend());
    }

    #[test]
    fn keys_move_the_selection_and_filter_narrows() {
        let fx = crashed();
        let ctx = fx.ctx();
        let mut pane = AgentsPane::new();
        draw(100, 8, |f| pane.render(f, f.area(), &ctx));
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(0))));
        assert!(pane.handle(nav(KeyCode::Down), &ctx).used());
        assert!(pane.handle(nav(KeyCode::Char('j')), &ctx).used());
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(2))));
        assert!(pane.handle(nav(KeyCode::End), &ctx).used());
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(3))));
        assert!(pane.handle(nav(KeyCode::Char('k')), &ctx).used());
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(2))));
        assert!(pane.handle(nav(KeyCode::Home), &ctx).used());
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(0))));
        assert!(!pane.handle(Action::Award, &ctx).used());

        // By capability: both builders; the selection stays on builder-2 when it survives the filter.
        pane.handle(nav(KeyCode::Down), &ctx).used();
        pane.set_filter("BUILD");
        assert_eq!(pane.rows(&ctx), vec![AgentId(0), AgentId(1)]);
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(1))));
        // By id.
        pane.set_filter("deploy");
        assert_eq!(pane.rows(&ctx), vec![AgentId(3)]);
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(3))));
        pane.set_filter("nobody");
        assert_eq!(pane.selection(&ctx), None);
        let term = draw(100, 5, |f| pane.render(f, f.area(), &ctx));
        insta::assert_snapshot!(term.backend());
    }

    #[test]
    fn click_selects_the_row_under_the_mouse() {
        let fx = crashed();
        let ctx = fx.ctx();
        let mut pane = AgentsPane::new();
        draw(100, 8, |f| pane.render(f, f.area(), &ctx));
        // Border row 0, header row 1: the third agent is on screen row 4.
        assert!(pane.click(10, 4, &ctx));
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(2))));
        assert!(!pane.click(10, 1, &ctx), "the header is not a row");
        assert!(!pane.click(10, 6, &ctx), "below the last agent");
    }

    #[test]
    fn scrolling_keeps_the_selection_visible() {
        let fx = crashed();
        let ctx = fx.ctx();
        let mut pane = AgentsPane::new();
        // Two rows fit: border, header, two agents, border.
        draw(100, 5, |f| pane.render(f, f.area(), &ctx));
        pane.handle(nav(KeyCode::PageDown), &ctx).used();
        pane.handle(nav(KeyCode::Down), &ctx).used();
        let term = draw(100, 5, |f| pane.render(f, f.area(), &ctx));
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(3))));
        insta::assert_snapshot!(term.backend());
    }

    #[test]
    fn a_thousand_agents() {
        let fx = crate::tui::panes::fixture::big();
        let ctx = fx.ctx();
        let mut pane = AgentsPane::new();
        draw(100, 12, |f| pane.render(f, f.area(), &ctx));
        pane.handle(nav(KeyCode::End), &ctx).used();
        pane.handle(nav(KeyCode::PageUp), &ctx).used();
        let term = draw(100, 12, |f| pane.render(f, f.area(), &ctx));
        // Nine rows fit; the page up from the last agent lands on the first row shown.
        assert_eq!(pane.selection(&ctx), Some(Selection::Agent(AgentId(990))));
        assert!(term.backend().to_string().contains("a990"));
        pane.set_filter("a99");
        assert_eq!(pane.rows(&ctx).len(), 10, "a990…a999");
    }

    #[test]
    fn helpers() {
        assert_eq!(load_bar(3, 5), "███░░");
        assert_eq!(load_bar(1, 2), "█░");
        assert_eq!(load_bar(1, 100), "█░░░░░░░");
        assert_eq!(load_bar(0, 1), "░");
    }
}
