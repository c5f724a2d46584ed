//! The Inbox pane: tasks escalated to the operator, oldest first, with how long each has waited and
//! what went wrong, and a reminder of the command that settles them. `/` filters by a substring of
//! the task, its last error or the agents that tried it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::ladder::{sla_text, tiers_tried};
use super::list::{List, count_note, mark};
use super::text::{duration, truncate};
use super::{Band, Ctx, Pane, Place, Reply, Selection, pane_block};
use crate::tui::keymap::Action;
use crate::core::event::AttemptFailure;
use crate::core::state::{AttemptEnd, AttemptRecord};
use crate::core::{Coordinator, TaskId};
use crate::tui::theme::{Role, Theme};

/// How an attempt ended, in words, with a colour.
pub(super) fn attempt_outcome(end: AttemptEnd, theme: &Theme) -> (&'static str, Style) {
    match end {
        AttemptEnd::Running => ("running", theme.fg(Role::Active)),
        AttemptEnd::Succeeded => ("ok", theme.fg(Role::Ok)),
        AttemptEnd::TimedOut => ("timed out", theme.fg(Role::Warning)),
        AttemptEnd::Failed(AttemptFailure::AgentCrashed) => ("agent crashed", theme.fg(Role::Error)),
        AttemptEnd::Failed(AttemptFailure::AgentLost) => ("agent lost (silent)", theme.fg(Role::Error)),
        AttemptEnd::Failed(AttemptFailure::AgentExited { .. }) => ("agent process exited", theme.fg(Role::Error)),
        AttemptEnd::Failed(AttemptFailure::Operator) => ("stopped by an operator", theme.fg(Role::Operator)),
        AttemptEnd::Failed(AttemptFailure::Agent(e)) => (e.text(), theme.fg(Role::Error)),
        AttemptEnd::Failed(AttemptFailure::WriteConflict) => ("write conflict", theme.fg(Role::Warning)),
        AttemptEnd::Failed(AttemptFailure::StaleToken) => ("stale lock token", theme.fg(Role::Error)),
        AttemptEnd::Failed(AttemptFailure::CoordinatorRestarted) => {
            ("cut short: coordinator restarted", theme.fg(Role::Operator))
        }
    }
}

/// The agents that tried a task, each once, in the order they first tried it.
pub(super) fn agents_tried(coord: &Coordinator, history: &[AttemptRecord]) -> String {
    let mut seen = Vec::new();
    for rec in history {
        if !seen.contains(&rec.agent) {
            seen.push(rec.agent);
        }
    }
    seen.iter().map(|&a| coord.agent_name(a)).collect::<Vec<_>>().join(", ")
}

/// What one inbox row shows.
struct Item {
    task: TaskId,
    waited_ms: u64,
    attempts: u32,
    last: Option<AttemptEnd>,
    tried: String,
    tiers: String,
    sla: Option<(String, Style)>,
}

impl Item {
    fn new(ctx: &Ctx, task: TaskId, arrived_ms: u64) -> Item {
        let history = ctx.coord.state().history(task);
        Item {
            task,
            waited_ms: ctx.now_ms.saturating_sub(arrived_ms),
            attempts: ctx.coord.state().tasks()[task.ix()].attempts,
            last: history.last().map(|r| r.end),
            tried: agents_tried(ctx.coord, &history),
            tiers: tiers_tried(ctx.coord, task),
            sla: sla_text(ctx.coord, task, arrived_ms, ctx.now_ms, ctx.theme),
        }
    }

    fn error(&self, theme: &Theme) -> (&'static str, Style) {
        self.last.map_or(("never ran", theme.dim()), |end| attempt_outcome(end, theme))
    }
}

/// The operator's inbox.
#[derive(Debug, Default)]
pub struct InboxPane {
    list: List<TaskId>,
}

impl Pane for InboxPane {
    fn id(&self) -> &'static str {
        "inbox"
    }

    fn title(&self) -> &'static str {
        "Inbox"
    }

    fn help(&self) -> &'static str {
        "tasks escalated to the operator, with their SLA"
    }

    fn place(&self) -> Place {
        Place { band: Band::Bottom, column: 1, width: 25, height: 1 }
    }

    fn set_filter(&mut self, filter: &str) {
        self.list.set_filter(filter);
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let rows = self.rows(ctx);
        let total = ctx.coord.state().inbox().len();
        let block = pane_block("Inbox", Some(count_note(rows.len(), total, "waiting", self.list.filter())), ctx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let ids = Self::ids(&rows);
        if rows.is_empty() {
            self.list.select(None);
            let text = if total == 0 {
                "inbox empty".to_string()
            } else {
                format!("nothing matches “{}”", self.list.filter())
            };
            f.render_widget(Paragraph::new(Span::styled(text, theme.dim())), inner);
            return;
        }
        // The last line reminds how to settle the selected item, when there is room for it.
        let hint = inner.height >= 3;
        let table_h = inner.height - hint as u16;
        let body = Rect { y: inner.y + 1, height: table_h.saturating_sub(1), ..inner };
        let visible = self.list.fit(&ids, body);

        let name_w = rows.iter().map(|it| ctx.coord.task_name(it.task).chars().count()).max().unwrap_or(0).clamp(4, 24);
        let err_w = rows.iter().map(|it| it.error(theme).0.len()).max().unwrap_or(0).clamp(10, 24);
        // The ladder columns only when some item came with a ladder or an SLA.
        let width_of = |f: fn(&Item) -> usize| rows.iter().map(f).max().unwrap_or(0);
        let sla_w = match width_of(|it| it.sla.as_ref().map_or(0, |s| s.0.chars().count())) {
            0 => 0,
            w => w.clamp(5, 16),
        };
        let tiers_w = match width_of(|it| it.tiers.chars().count()) {
            0 => 0,
            w => w.clamp(5, 44),
        };
        // A narrow pane drops columns, least useful first, rather than squeezing every one of them
        // into illegibility; "agents tried" takes whatever room is left.
        let mut widths = vec![1, name_w, 7, sla_w, 5, err_w, tiers_w, 0];
        let room = inner.width as usize;
        let used = |w: &[usize]| w.iter().filter(|&&w| w > 0).map(|w| w + 1).sum::<usize>();
        for col in [6, 5, 2, 4, 3] {
            if used(&widths) <= room {
                break;
            }
            widths[col] = 0;
        }
        if used(&widths) > room {
            widths[1] = widths[1].saturating_sub(used(&widths) - room).max(1);
        }
        // `used` counted a gap after the last column: it is the one before "agents tried".
        widths[7] = match room.saturating_sub(used(&widths)) {
            w if w >= 5 => w,
            _ => 0,
        };
        let mut header = vec![
            mark(false),
            Cell::from("task"),
            Cell::from(Line::from("waiting").right_aligned()),
            Cell::from("SLA"),
            Cell::from(Line::from("tries").right_aligned()),
            Cell::from("last error"),
            Cell::from("tiers tried"),
            Cell::from("agents tried"),
        ];
        // Columns without room are left out (not drawn zero-wide, which would still cost a gap).
        let keep: Vec<bool> = widths.iter().map(|&w| w > 0).collect();
        let mut k = keep.iter();
        header.retain(|_| *k.next().unwrap());
        let header = Row::new(header).style(theme.title());
        let w = widths.clone();
        let table_rows = rows[visible].iter().map(|it| {
            let selected = Some(it.task) == self.list.selected();
            let (error, style) = it.error(theme);
            let (sla, sla_style) = it.sla.clone().unwrap_or_else(|| ("-".into(), theme.dim()));
            let mut cells = vec![
                mark(selected),
                Cell::from(truncate(ctx.coord.task_name(it.task), w[1])),
                Cell::from(Line::from(duration(it.waited_ms)).right_aligned()),
                Cell::from(Span::styled(truncate(&sla, w[3]), sla_style)),
                Cell::from(Line::from(it.attempts.to_string()).right_aligned()),
                Cell::from(Span::styled(truncate(error, w[5]), style)),
                Cell::from(truncate(&it.tiers, w[6])),
                Cell::from(truncate(&it.tried, w[7])),
            ];
            let mut k = keep.iter();
            cells.retain(|_| *k.next().unwrap());
            let row = Row::new(cells);
            if selected { row.style(theme.selected()) } else { row }
        });
        let mut k = keep.iter();
        widths.retain(|_| *k.next().unwrap());
        let widths: Vec<Constraint> = widths.into_iter().map(|w| Constraint::Length(w as u16)).collect();
        let table = Table::new(table_rows, widths).header(header).column_spacing(1);
        f.render_widget(table, Rect { height: table_h, ..inner });
        if hint {
            let task = self.list.selected().map_or("TASK", |t| ctx.coord.task_name(t));
            let line = Line::from(vec![
                Span::styled("resolve: ", theme.dim()),
                Span::raw(format!(":resolve {task} ")),
                Span::styled("retry|skip|done|fail [note]", theme.dim()),
            ]);
            f.render_widget(Paragraph::new(line), Rect { y: inner.y + table_h, height: 1, ..inner });
        }
    }

    fn handle(&mut self, action: Action, ctx: &Ctx) -> Reply {
        if self.list.step(action, &Self::ids(&self.rows(ctx))) { Reply::Done } else { Reply::Ignored }
    }

    /// Selects the item under a mouse click; false if the click is not on an item.
    fn click(&mut self, column: u16, row: u16, ctx: &Ctx) -> bool {
        self.list.click(column, row, &Self::ids(&self.rows(ctx))).is_some()
    }

    fn selection(&self, ctx: &Ctx) -> Option<Selection> {
        self.list.selection(&Self::ids(&self.rows(ctx))).map(Selection::Task)
    }
}

impl InboxPane {
    pub fn new() -> InboxPane {
        InboxPane::default()
    }

    pub fn filter(&self) -> &str {
        self.list.filter()
    }


    /// Inbox items passing the filter, oldest first.
    fn rows(&self, ctx: &Ctx) -> Vec<Item> {
        let inbox = ctx.coord.state().inbox();
        let items = inbox.iter().map(|&(task, arrived)| Item::new(ctx, task, arrived));
        if self.list.filter().is_empty() {
            return items.collect();
        }
        items
            .filter(|it| {
                self.list.keeps(&format!(
                    "{} {} {} {}",
                    ctx.coord.task_name(it.task),
                    it.error(ctx.theme).0,
                    it.tiers,
                    it.tried
                ))
            })
            .collect()
    }

    fn ids(rows: &[Item]) -> Vec<TaskId> {
        rows.iter().map(|it| it.task).collect()
    }




}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::KeyCode;

    use super::*;
    use crate::core::{OpAction, Resolution};
    use crate::tui::panes::fixture::{Fixture, draw, escalated, nav};

    #[test]
    fn inbox_wide() {
        let fx = escalated();
        let mut pane = InboxPane::new();
        let term = draw(100, 8, |f| pane.render(f, f.area(), &fx.ctx()));
        insta::assert_snapshot!(term.backend());
    }

    #[test]
    fn inbox_narrow_second_selected() {
        let fx = escalated();
        let ctx = fx.ctx();
        let mut pane = InboxPane::new();
        // Border, header, one row, hint, border: the selected item scrolls into view.
        draw(60, 5, |f| pane.render(f, f.area(), &ctx));
        assert!(pane.handle(nav(KeyCode::Down), &ctx).used());
        let term = draw(60, 5, |f| pane.render(f, f.area(), &ctx));
        assert_eq!(pane.selection(&ctx), Some(Selection::Task(fx.task("build-core"))));
        insta::assert_snapshot!(term.backend());
    }

    /// escalation-ladder 1.5 s after ingest-archive reached the inbox (at 12.681 s), its 3 s SLA
    /// half spent.
    fn laddered() -> Fixture {
        let mut fx = Fixture::new("escalation-ladder");
        fx.advance(14_200);
        fx
    }

    #[test]
    fn inbox_shows_the_sla_countdown_and_the_tiers_tried() {
        let fx = laddered();
        let mut pane = InboxPane::new();
        let term = draw(140, 5, |f| pane.render(f, f.area(), &fx.ctx()));
        let text = format!("{:?}", term.backend());
        assert!(text.contains("1.5s left"), "{text}");
        assert!(text.contains("retry › other_agent › fallback › escalate_to"), "{text}");
        insta::assert_snapshot!(term.backend());
        // Once it expires (skip), the item leaves the inbox.
        let mut fx = fx;
        fx.advance(15_700);
        assert!(fx.ctx().coord.state().inbox().is_empty());
    }

    #[test]
    fn a_narrow_inbox_drops_columns_instead_of_squeezing_them() {
        // The console's default layout gives the inbox about 38 columns.
        let fx = laddered();
        let mut pane = InboxPane::new();
        let term = draw(38, 5, |f| pane.render(f, f.area(), &fx.ctx()));
        let text = format!("{:?}", term.backend());
        let line = |needle: &str| text.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("{text}"));
        let header = line("task");
        assert!(header.contains("SLA") && header.contains("tries"), "{header}");
        assert!(!header.contains("tiers"), "the least useful columns go first: {header}");
        assert!(line("ingest-archive").contains("1.5s left"), "{text}");
    }

    #[test]
    fn inbox_empty() {
        let mut fx = Fixture::new("crash-reassign");
        fx.advance(500);
        let mut pane = InboxPane::new();
        let term = draw(60, 4, |f| pane.render(f, f.area(), &fx.ctx()));
        assert_eq!(pane.selection(&fx.ctx()), None);
        insta::assert_snapshot!(term.backend());
    }

    #[test]
    fn selection_survives_resolving_an_older_item() {
        let mut fx = escalated();
        let mut pane = InboxPane::new();
        assert_eq!(pane.selection(&fx.ctx()), Some(Selection::Task(fx.task("build-docs"))));
        pane.handle(nav(KeyCode::End), &fx.ctx()).used();
        let cli = fx.task("test-cli");
        assert_eq!(pane.selection(&fx.ctx()), Some(Selection::Task(cli)));
        let docs = fx.task("build-docs");
        fx.op(OpAction::Resolve(docs, Resolution::Skip));
        assert_eq!(pane.selection(&fx.ctx()), Some(Selection::Task(cli)));
        // Resolving the selected item moves the cursor to what took its place.
        fx.op(OpAction::Resolve(cli, Resolution::Fail));
        assert_eq!(pane.selection(&fx.ctx()), Some(Selection::Task(fx.task("build-core"))));
    }

    #[test]
    fn filter_and_click() {
        let fx = escalated();
        let ctx = fx.ctx();
        let mut pane = InboxPane::new();
        pane.set_filter("never");
        assert_eq!(pane.selection(&ctx), Some(Selection::Task(fx.task("test-cli"))));
        pane.set_filter("BUILD");
        assert_eq!(pane.rows(&ctx).len(), 2);
        draw(100, 8, |f| pane.render(f, f.area(), &ctx));
        assert!(pane.click(5, 3, &ctx));
        assert_eq!(pane.selection(&ctx), Some(Selection::Task(fx.task("build-core"))));
        assert!(!pane.click(5, 4, &ctx), "no third row");
        assert!(!pane.handle(Action::Left, &ctx).used(), "a list has no left");
    }
}
