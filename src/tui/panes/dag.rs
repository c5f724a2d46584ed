//! The DAG pane: the workflow as columns of tasks, one per dependency layer, left to right, with
//! box-drawn edges between adjacent columns, the critical path highlighted and the selection kept
//! on screen.
//!
//! It has to stay usable (and cheap) at thousands of tasks, so the layout is computed once per
//! workflow ([`DagLayout`]) and each frame only builds what fits: the columns around the selected
//! layer, and in each column the rows around the vertical scroll position. A layer taller than the
//! pane ends in a summary line that counts its hidden tasks by state; layers hidden to the left or
//! right are counted on the bottom border. Per frame: O(visible nodes × degree) for labels and edges,
//! O(size of the visible layers) for the summaries, and the critical path (O(tasks + edges)) only
//! when an attempt starts or a task completes.
//!
//! Edges are drawn only between adjacent layers. A task whose dependency sits two or more layers
//! to the left shows `»` before its id; one with a dependent two or more layers to the right, after.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::dag_layout::{DagLayout, Edge, Gutter, critical_path, fit_columns, window};
use super::text::truncate;
use super::{Band, Ctx, Pane, Place, Reply, Selection, contains, pane_block};
use crate::tui::keymap::Action;
use crate::core::TaskId;
use crate::core::state::{TaskRt, TaskState};
use crate::fasthash::FastMap;
use crate::protocols::saga::view as sagas;
use crate::tui::theme::Role;

/// Cells between two columns where edges are routed (one out-stub, three tracks, one in-stub).
const GUTTER: u16 = 5;
/// From the end of one column to the start of the next: a space, the gutter, a space.
const SEP: u16 = GUTTER + 2;
/// Widest node label; longer ids end in `…`.
const MAX_LABEL: usize = 24;
/// Widest summary line (it may make its column wider than the labels).
const MAX_SUMMARY: usize = 32;
/// Rows moved by PageUp / PageDown.
const PAGE: usize = 10;

/// Edge ranks (see [`Edge::rank`]): where edges share a cell, the highest decides its style.
const RANK_CRITICAL: u8 = 1;
const RANK_SELECTED: u8 = 2;

/// The legend, in the order summaries list their counts: (state, held, word, short word).
const LEGEND: [(TaskState, bool, &str, &str); 9] = [
    (TaskState::Completed, false, "done", "done"),
    (TaskState::Running, false, "running", "run"),
    (TaskState::Retrying, false, "retrying", "retry"),
    (TaskState::Waiting, true, "paused", "paused"),
    (TaskState::Escalated, false, "escalated", "escal."),
    (TaskState::Failed, false, "failed", "failed"),
    (TaskState::Skipped, false, "skipped", "skip"),
    (TaskState::Ready, false, "ready", "ready"),
    (TaskState::Waiting, false, "waiting", "wait"),
];

/// A task's slot in [`LEGEND`] (held counts as paused, as `Theme::task_look` shows it).
fn legend_slot(rt: &TaskRt) -> usize {
    if rt.held && !rt.state.is_terminal() {
        return 3;
    }
    LEGEND.iter().position(|&(s, held, ..)| s == rt.state && !held).unwrap_or(8)
}

/// One visible column: a layer's on-screen rows, already labelled.
struct Column {
    layer: usize,
    /// First row shown.
    off: usize,
    /// Shown rows: task, label, label width.
    rows: Vec<(TaskId, Line<'static>, u16)>,
    summary: Option<Line<'static>>,
    width: u16,
}

impl Column {
    /// The gutter row of `t` (a task of this layer) and whether it is on screen; a hidden task gets
    /// a row just outside the body so its edges run off the edge.
    fn y(&self, layout: &DagLayout, t: TaskId, body_h: usize) -> (i32, bool) {
        let r = layout.row_of[t.ix()] as usize;
        if r < self.off {
            (-1, false)
        } else if r >= self.off + self.rows.len() {
            (body_h as i32, false)
        } else {
            ((r - self.off) as i32, true)
        }
    }
}

/// The DAG pane's UI state. See the module docs.
#[derive(Debug, Default)]
pub struct DagPane {
    /// Built on first use and whenever the workflow changes shape.
    layout: Option<DagLayout>,
    layout_key: (usize, usize),
    /// What the critical path was computed from: (tasks, attempts started, tasks completed).
    crit_key: Option<(usize, usize, u32)>,
    /// Per task: its position on the critical path, `u32::MAX` when not on it.
    crit_pos: Vec<u32>,
    selected: Option<TaskId>,
    /// Vertical scroll position shared by all columns (each clamps it to its own length).
    top: usize,
    /// First visible layer.
    left: usize,
    /// Body height at the last render (0 before the first), for "nearest row" on ←/→.
    body_h: usize,
    /// Lowercase filter; empty for none.
    filter: String,
    /// The filter changed: select its first match when next given a `Ctx`.
    jump: bool,
    /// Where each node was drawn at the last render, for clicks.
    hits: Vec<(Rect, TaskId)>,
}

impl Pane for DagPane {
    fn id(&self) -> &'static str {
        "dag"
    }

    fn title(&self) -> &'static str {
        "DAG"
    }

    fn help(&self) -> &'static str {
        "tasks by dependency layer, the critical path starred"
    }

    fn place(&self) -> Place {
        Place { band: Band::Top, column: 0, width: 58, height: 1 }
    }

    /// Dims tasks whose id does not contain `filter` (case-insensitive) and selects the first
    /// match, in layer order, as soon as the pane next sees the run.
    fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_lowercase();
        self.jump = !self.filter.is_empty();
    }

    fn selection(&self, ctx: &Ctx) -> Option<Selection> {
        let n = ctx.coord.workflow().task_count();
        let pending = if self.jump { self.first_match(ctx) } else { None };
        pending
            .or(self.selected.filter(|t| t.ix() < n))
            .or_else(|| match &self.layout {
                Some(l) if l.row_of.len() == n => l.at(0, 0),
                _ => (0..n).find(|&i| ctx.coord.workflow().dep_count[i] == 0).map(|i| TaskId(i as u32)),
            })
            .map(Selection::Task)
    }

    fn handle(&mut self, action: Action, ctx: &Ctx) -> Reply {
        self.sync(ctx);
        let (Some(layout), Some(sel)) = (&self.layout, self.selected) else { return Reply::Ignored };
        let (layer, row) = (layout.layer_of[sel.ix()] as usize, layout.row_of[sel.ix()] as usize);
        let last_layer = layout.layer_count() - 1;
        let (layer, row) = match action {
            Action::Up => (layer, row.saturating_sub(1)),
            Action::Down => (layer, row + 1),
            Action::PageUp => (layer, row.saturating_sub(PAGE)),
            Action::PageDown => (layer, row + PAGE),
            Action::First => (layer, 0),
            Action::Last => (layer, usize::MAX),
            Action::Left | Action::Right => {
                let to = if action == Action::Right { (layer + 1).min(last_layer) } else { layer.saturating_sub(1) };
                // The nearest row on screen: columns scroll differently once one reaches its end.
                let h = if self.body_h == 0 { usize::MAX } else { self.body_h };
                let screen_row = row.saturating_sub(window(layout.layers[layer].len(), self.top, h).0);
                (to, screen_row + window(layout.layers[to].len(), self.top, h).0)
            }
            _ => return Reply::Ignored,
        };
        self.selected = layout.at(layer, row).or(self.selected);
        Reply::Done
    }

    /// Selects the node drawn under a click, if any.
    fn click(&mut self, column: u16, row: u16, _ctx: &Ctx) -> bool {
        let Some(&(_, t)) = self.hits.iter().find(|(r, _)| contains(*r, column, row)) else { return false };
        self.select_task(t);
        true
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        self.sync(ctx);
        self.hits.clear();
        if let Some(layout) = self.layout.take() {
            self.draw(f, area, ctx, &layout);
            self.layout = Some(layout);
        }
    }
}

impl DagPane {
    pub fn new() -> DagPane {
        DagPane::default()
    }

    /// Selects `t`; the next render scrolls it into view.
    pub fn select_task(&mut self, t: TaskId) {
        self.selected = Some(t);
        self.jump = false;
    }

    /// Brings the cached layout, critical path and selection up to date with the run.
    fn sync(&mut self, ctx: &Ctx) {
        let wf = ctx.coord.workflow();
        let key = (wf.task_count(), wf.graph.edge_count());
        if self.layout.is_none() || self.layout_key != key {
            let mut layout = DagLayout::new(wf);
            if !ctx.coord.state().sagas().is_empty() {
                layout.fold(|t| sagas::host(ctx.coord, t));
            }
            self.layout = Some(layout);
            self.layout_key = key;
            self.crit_key = None;
            (self.top, self.left) = (0, 0);
            self.selected = self.selected.filter(|t| t.ix() < key.0);
        }
        let layout = self.layout.as_ref().expect("just built");
        let state = ctx.coord.state();
        let crit_key = (key.0, state.attempt_log().len(), state.completed());
        if self.crit_key != Some(crit_key) {
            self.crit_key = Some(crit_key);
            self.crit_pos = vec![u32::MAX; key.0];
            for (i, t) in critical_path(ctx.coord, layout).into_iter().enumerate() {
                self.crit_pos[t.ix()] = i as u32;
            }
        }
        if std::mem::take(&mut self.jump)
            && let Some(t) = self.first_match(ctx)
        {
            self.selected = Some(t);
        }
        if self.selected.is_none() {
            self.selected = layout.at(0, 0);
        }
    }

    fn matches(&self, ctx: &Ctx, t: TaskId) -> bool {
        self.filter.is_empty() || ctx.coord.task_name(t).to_lowercase().contains(&self.filter)
    }

    /// The first task matching the filter, by layer then row (scenario order before a layout).
    fn first_match(&self, ctx: &Ctx) -> Option<TaskId> {
        if self.filter.is_empty() {
            return None;
        }
        let n = ctx.coord.workflow().task_count();
        match &self.layout {
            Some(l) if l.row_of.len() == n => l.layers.iter().flatten().copied().find(|&t| self.matches(ctx, t)),
            _ => (0..n as u32).map(TaskId).find(|&t| self.matches(ctx, t)),
        }
    }

    /// `mark [»]id[»] [@agent] [★]`, styled: state colour, critical, dimmed by the filter, selected.
    fn label(&self, ctx: &Ctx, layout: &DagLayout, t: TaskId) -> (Line<'static>, u16) {
        let theme = ctx.theme;
        let (wf, rt) = (ctx.coord.workflow(), &ctx.coord.state().tasks()[t.ix()]);
        let (mark, look) = theme.task_look(rt);
        let layer = layout.layer_of[t.ix()];
        let crit = self.crit_pos[t.ix()] != u32::MAX;
        let skip_in = wf.dependencies(t).any(|d| layout.layer_of[d.ix()] + 1 < layer);
        let skip_out = wf.dependents(t).any(|d| layout.layer_of[d.ix()] > layer + 1);
        // The markers survive truncation: only the name is cut.
        // `+`: a planner added the task while the run went on.
        let planned = ctx.coord.state().plans().added_by(t).is_some();
        // `?`: a decision task; once decided, the branch it took follows its name.
        let decision = ctx.coord.decision_of(t).is_some();
        let markers = skip_in as usize + skip_out as usize + planned as usize + decision as usize;
        let budget = MAX_LABEL - 2 - if crit { 2 } else { 0 } - markers;
        let name = ctx.coord.task_name(t);
        let agent =
            rt.agent.filter(|_| rt.state == TaskState::Running).map(|a| format!(" @{}", ctx.coord.agent_name(a)));
        let name_w = name.chars().count();
        let (name, agent) = match agent {
            // An agent name cut to a stub says nothing: drop it instead.
            Some(a) if name_w + 7 <= budget => (name.to_string(), Some(truncate(&a, budget - name_w))),
            _ => (truncate(name, budget), None),
        };
        let id = format!(
            "{}{}{}{name}{}",
            if skip_in { "»" } else { "" },
            if planned { "+" } else { "" },
            if decision { "?" } else { "" },
            if skip_out { "»" } else { "" }
        );
        let dim = !self.matches(ctx, t);
        let id_style = if crit { look.patch(theme.critical()) } else { look };
        let mut spans = vec![Span::styled(mark, look), Span::raw(" "), Span::styled(id, id_style)];
        spans.extend(agent.map(|a| Span::styled(a, theme.dim())));
        if crit {
            spans.push(Span::styled(" ★", theme.critical()));
        }
        if let Some(crate::protocols::vote::Phase::Decided { verdict, .. }) =
            ctx.coord.state().votes().ballots.get(&t).map(|b| b.phase)
        {
            let (word, color) = match verdict {
                crate::protocols::vote::Verdict::Approved => (" ⇒yes", Role::Ok),
                crate::protocols::vote::Verdict::Rejected => (" ⇒no", Role::Error),
            };
            spans.push(Span::styled(word, theme.fg(color)));
        }
        spans.extend(sagas::step_suffix(ctx.coord, t, MAX_LABEL - 4, ctx.theme).into_iter().flatten());
        // A compensator is shown beside its step: selecting it highlights the step.
        let selected = self.selected.is_some_and(|s| s == t || sagas::host(ctx.coord, s) == Some(t));
        for s in &mut spans {
            if dim {
                s.style = theme.dim();
            }
            if selected {
                s.style = s.style.patch(theme.selected());
            }
        }
        let line = Line::from(spans);
        let w = line.width() as u16;
        (line, w)
    }

    /// Labels the visible rows of `layer` and, when some are hidden, counts those by state.
    fn column(&self, ctx: &Ctx, layout: &DagLayout, layer: usize, body_h: usize) -> Column {
        let theme = ctx.theme;
        let nodes = &layout.layers[layer];
        let (off, shown) = window(nodes.len(), self.top, body_h);
        let label = |&t: &TaskId| (t, self.label(ctx, layout, t));
        let rows: Vec<_> = nodes[off..off + shown].iter().map(label).map(|(t, (line, w))| (t, line, w)).collect();
        let mut width = rows.iter().map(|r| r.2).max().unwrap_or(0);
        let summary = (shown < nodes.len()).then(|| {
            let tasks = ctx.coord.state().tasks();
            let mut counts = [0usize; LEGEND.len()];
            let mut look = [Style::new(); LEGEND.len()];
            let mut marks = [""; LEGEND.len()];
            for t in nodes[..off].iter().chain(&nodes[off + shown..]) {
                let rt = &tasks[t.ix()];
                let slot = legend_slot(rt);
                counts[slot] += 1;
                (marks[slot], look[slot]) = theme.task_look(rt);
            }
            let mut spans = vec![Span::styled(format!("… {} more:", nodes.len() - shown), theme.dim())];
            for slot in (0..LEGEND.len()).filter(|&s| counts[s] > 0) {
                spans.push(Span::styled(format!(" {}{}", counts[slot], marks[slot]), look[slot]));
            }
            let line = Line::from(spans);
            width = width.max(line.width().min(MAX_SUMMARY) as u16);
            line
        });
        Column { layer, off, rows, summary, width }
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx, layout: &DagLayout) {
        let theme = ctx.theme;
        let inner = Rect::new(area.x + 1, area.y + 1, area.width.saturating_sub(2), area.height.saturating_sub(2));
        let body_h = inner.height.saturating_sub(1) as usize;
        self.body_h = body_h;
        let state = ctx.coord.state();
        let Some(sel) = self.selected.filter(|_| layout.layer_count() > 0) else {
            f.render_widget(pane_block("DAG", Some("no tasks".into()), ctx), area);
            return;
        };
        let sel_layer = layout.layer_of[sel.ix()] as usize;

        // Vertical: scroll the shared position just enough to show the selected row.
        let n_sel = layout.layers[sel_layer].len();
        if n_sel > body_h && body_h > 1 {
            let (mut off, h) = window(n_sel, self.top, body_h);
            let row = layout.row_of[sel.ix()] as usize;
            off = off.min(row).max((row + 1).saturating_sub(h));
            self.top = off;
        }

        // Horizontal: the columns that fit around the selected layer, moving the first visible one
        // only when the selection would leave the screen. Columns are built lazily, once each.
        let mut cols: BTreeMap<usize, Column> = BTreeMap::new();
        let mut width =
            |l: usize| -> u32 { cols.entry(l).or_insert_with(|| self.column(ctx, layout, l, body_h)).width as u32 };
        let (left, right) =
            fit_columns(sel_layer, self.left, layout.layer_count(), (inner.width as u32, SEP as u32), &mut width);
        self.left = left;

        // The frame: title note, and hidden layers on the bottom border.
        let layers_word = |n: usize| if n == 1 { "1 layer".to_string() } else { format!("{n} layers") };
        let filter = if self.filter.is_empty() { String::new() } else { format!("/{} · ", self.filter) };
        let (layers, done) = (layout.layer_count(), state.completed());
        // Dormant compensators are not work the run has to do (unless their saga wakes them).
        let total = state.tasks().len() - state.sagas().dormant as usize;
        let note = format!("{filter}layer {}/{layers} · {done}/{total} done", sel_layer + 1);
        let mut block = pane_block("DAG", Some(note), ctx);
        if left > 0 {
            block =
                block.title_bottom(Line::styled(format!(" « {} ", layers_word(left)), theme.title()).left_aligned());
        }
        if right + 1 < layout.layer_count() {
            let hidden = layers_word(layout.layer_count() - 1 - right);
            block = block.title_bottom(Line::styled(format!(" {hidden} » "), theme.title()).right_aligned());
        }
        f.render_widget(block, area);

        let buf = f.buffer_mut();
        if inner.height > 0 {
            buf.set_line(inner.x, inner.bottom() - 1, &legend(ctx, inner.width), inner.width);
        }
        if body_h == 0 {
            return;
        }
        let mut x = inner.x;
        for l in left..=right {
            let col = &cols[&l];
            let max_w = inner.right().saturating_sub(x);
            for (y, (t, line, _)) in col.rows.iter().enumerate() {
                let y = inner.y + y as u16;
                buf.set_line(x, y, line, max_w.min(col.width));
                self.hits.push((Rect::new(x, y, col.width.min(max_w), 1), *t));
            }
            if let Some(summary) = &col.summary {
                buf.set_line(x, inner.y + col.rows.len() as u16, summary, max_w.min(col.width));
            }
            if l < right {
                self.draw_gutter(buf, ctx, layout, (col, &cols[&(l + 1)]), (x, inner.y), body_h);
            }
            x += col.width + SEP;
        }
    }

    /// Routes and draws the edges from column `a` to the next one, plus the lines from each source's
    /// label across the padding of its column.
    fn draw_gutter(
        &self,
        buf: &mut Buffer,
        ctx: &Ctx,
        layout: &DagLayout,
        (a, b): (&Column, &Column),
        (ax, top): (u16, u16),
        body_h: usize,
    ) {
        let theme = ctx.theme;
        let wf = ctx.coord.workflow();
        let rank = |u: TaskId, v: TaskId| {
            let (pu, pv) = (self.crit_pos[u.ix()], self.crit_pos[v.ix()]);
            if Some(u) == self.selected || Some(v) == self.selected {
                RANK_SELECTED
            } else if pu != u32::MAX && pv == pu + 1 {
                RANK_CRITICAL
            } else {
                0
            }
        };
        // Every edge with at least one end on screen, once: by target when it is shown, else by
        // source. Off-screen ends merge into one per side (only their direction shows anyway), so a
        // hub with 100,000 edges costs a few lines, not 100,000.
        let off_screen = |t: TaskId, (y, shown): (i32, bool)| if shown { t } else { TaskId(u32::MAX - (y < 0) as u32) };
        let (mut edges, mut index) = (Vec::<Edge>::new(), FastMap::<(TaskId, TaskId), usize>::default());
        let mut add = |u: TaskId, v: TaskId| {
            let ((from_y, from_shown), (to_y, to_shown)) = (a.y(layout, u, body_h), b.y(layout, v, body_h));
            let (from, to) = (off_screen(u, (from_y, from_shown)), off_screen(v, (to_y, to_shown)));
            let i = *index.entry((from, to)).or_insert_with(|| {
                edges.push(Edge { from, to, from_y, to_y, from_shown, to_shown, rank: 0 });
                edges.len() - 1
            });
            edges[i].rank = edges[i].rank.max(rank(u, v));
        };
        let adjacent = |t: TaskId, layer: usize| layout.layer_of[t.ix()] as usize == layer;
        for &(v, ..) in &b.rows {
            wf.dependencies(v).filter(|&u| adjacent(u, a.layer)).for_each(|u| add(u, v));
        }
        for &(u, ..) in &a.rows {
            let hidden = |&v: &TaskId| adjacent(v, b.layer) && !b.y(layout, v, body_h).1;
            wf.dependents(u).filter(hidden).for_each(|v| add(u, v));
        }
        let style = |rank: u8| match rank {
            // Edges of the selected task, so its neighbours can be traced even through a shared bus.
            RANK_SELECTED => theme.bold(Role::Highlight),
            RANK_CRITICAL => theme.critical(),
            _ => theme.dim(),
        };
        let gx = ax + a.width + 1;
        let mut out_rank: Vec<Option<u8>> = vec![None; a.rows.len()];
        for e in edges.iter().filter(|e| e.from_shown) {
            let r = &mut out_rank[e.from_y as usize];
            *r = Some(r.map_or(e.rank, |r| r.max(e.rank)));
        }
        for (y, r) in out_rank.iter().enumerate() {
            if let Some(r) = *r {
                for x in ax + a.rows[y].2 + 1..gx {
                    buf[(x, top + y as u16)].set_char('─').set_style(style(r));
                }
            }
        }
        let gutter = Gutter::route(GUTTER as usize, body_h, &edges);
        for y in 0..body_h {
            for x in 0..GUTTER {
                if let Some((ch, r)) = gutter.cell(x as usize, y) {
                    buf[(gx + x, top + y as u16)].set_char(ch).set_style(style(r));
                }
            }
        }
    }
}

/// `✓ done ▶ running … · waiting ★ critical » skips a layer`, each mark in its state's style;
/// with short words when that does not fit in `width`.
fn legend(ctx: &Ctx, width: u16) -> Line<'static> {
    let theme = ctx.theme;
    // A copy of any task, re-stated, gets each mark from `Theme::task_look` itself.
    let probe = ctx.coord.state().tasks().first().cloned();
    let build = |short: bool| {
        let mut spans = Vec::new();
        for (state, held, word, short_word) in LEGEND {
            let (mark, style) = match &probe {
                Some(p) => {
                    let mut p = p.clone();
                    (p.state, p.held) = (state, held);
                    theme.task_look(&p)
                }
                None => ("?", Style::new()),
            };
            spans.push(Span::styled(mark, style));
            let word = if short { format!("{short_word} ") } else { format!(" {word} ") };
            spans.push(Span::styled(word, theme.dim()));
        }
        spans.push(Span::styled("★", theme.critical()));
        spans.push(Span::styled(if short { "crit »skip" } else { " critical  » skips a layer" }, theme.dim()));
        if !ctx.coord.state().sagas().is_empty() {
            spans.push(Span::styled(format!(" {}", sagas::MARK), theme.dim()));
            spans.push(Span::styled(if short { "undo" } else { " compensation" }, theme.dim()));
        }
        if ctx.coord.workflow().planners {
            spans.push(Span::styled(if short { " +plan" } else { " + added by a planner" }, theme.dim()));
        }
        if !ctx.coord.workflow().decisions.is_empty() {
            spans.push(Span::styled(if short { " ?vote" } else { " ? decision (⇒ its outcome)" }, theme.dim()));
        }
        Line::from(spans)
    };
    let full = build(false);
    if full.width() <= width as usize { full } else { build(true) }
}

#[cfg(test)]
mod tests;
