//! Where the DAG pane puts each task: a layered ("Sugiyama-lite") layout computed once per workflow,
//! plus the run's critical path. Pure functions of the workflow and state; nothing here draws.
//!
//! Layers are longest dependency depth (roots are layer 0), so every edge points to a later layer and
//! reading the layers in order is a topological order. Within a layer, nodes are ordered by the
//! barycenter heuristic (the average row of their neighbours), which removes most crossings of
//! fan-in/fan-out shapes in two linear sweeps; ties fall back to task index so the result never
//! depends on anything but the workflow.
//!
//! [`Gutter`] routes the edges between two adjacent columns through a few cells of box-drawing
//! characters; it is also pure geometry, so the pane only copies its cells to the screen.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use petgraph::algo::toposort;
use petgraph::graph::NodeIndex;

use crate::core::workflow::Workflow;
use crate::core::{Coordinator, TaskId};
use crate::fasthash::FastMap;

/// Columns (layers) of tasks and each task's position in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DagLayout {
    /// Tasks of each layer, top to bottom.
    pub layers: Vec<Vec<TaskId>>,
    /// Per task: its layer.
    pub layer_of: Vec<u32>,
    /// Per task: its row within its layer (`layers[layer_of[t]][row_of[t]] == t`).
    pub row_of: Vec<u32>,
}

impl DagLayout {
    /// Lays out `wf`: O(tasks + edges) for the layering, plus a sort per layer per sweep.
    pub fn new(wf: &Workflow) -> DagLayout {
        let n = wf.task_count();
        // The scenario is validated acyclic; should that ever fail, index order still terminates
        // (dependencies not yet seen simply count as depth 0) rather than panicking in a UI.
        let order = toposort(&wf.graph, None).unwrap_or_else(|_| (0..n).map(NodeIndex::new).collect());
        let mut layer_of = vec![0u32; n];
        for node in order {
            let t = TaskId(node.index() as u32);
            layer_of[t.ix()] = wf.dependencies(t).map(|d| layer_of[d.ix()] + 1).max().unwrap_or(0);
        }
        let depth = layer_of.iter().max().map_or(0, |&l| l as usize + 1);
        let mut layers: Vec<Vec<TaskId>> = vec![Vec::new(); depth];
        for (i, &l) in layer_of.iter().enumerate() {
            layers[l as usize].push(TaskId(i as u32));
        }
        let mut layout = DagLayout { layers, layer_of, row_of: vec![0; n] };
        layout.renumber_all();
        // Down: each node near its dependencies; then up: each node near its dependents (sinks keep
        // their place). Two sweeps are enough for the shapes scenarios have; more would cost time
        // without a guarantee of fewer crossings.
        for l in 1..layout.layers.len() {
            layout.sweep(l, |t| wf.dependencies(t).collect());
        }
        for l in (0..layout.layers.len().saturating_sub(1)).rev() {
            layout.sweep(l, |t| wf.dependents(t).collect());
        }
        layout
    }

    /// Takes the tasks `host` maps to another task out of the columns: each then stands at its
    /// host's place (so selecting one scrolls to its host). For compensators, which have no edges
    /// and are shown beside their step.
    pub fn fold(&mut self, host: impl Fn(TaskId) -> Option<TaskId>) {
        let mut folded = Vec::new();
        for layer in &mut self.layers {
            layer.retain(|&t| match host(t) {
                Some(h) => {
                    folded.push((t, h));
                    false
                }
                None => true,
            });
        }
        if folded.is_empty() {
            return;
        }
        self.renumber_all();
        for (t, h) in folded {
            (self.layer_of[t.ix()], self.row_of[t.ix()]) = (self.layer_of[h.ix()], self.row_of[h.ix()]);
        }
    }

    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// The task at `row` of `layer`, clamped to the layer's last row.
    pub fn at(&self, layer: usize, row: usize) -> Option<TaskId> {
        let nodes = self.layers.get(layer)?;
        nodes.get(row.min(nodes.len().checked_sub(1)?)).copied()
    }

    fn renumber_all(&mut self) {
        for l in 0..self.layers.len() {
            self.renumber(l);
        }
    }

    fn renumber(&mut self, layer: usize) {
        for (row, t) in self.layers[layer].iter().enumerate() {
            self.row_of[t.ix()] = row as u32;
        }
    }

    /// Reorders one layer by the average row of each node's `neighbours`; a node without any keeps
    /// its current row as its key, so it stays roughly where it was.
    fn sweep(&mut self, layer: usize, neighbours: impl Fn(TaskId) -> Vec<TaskId>) {
        let mut keyed: Vec<(f64, TaskId)> = self.layers[layer]
            .iter()
            .map(|&t| {
                let ns = neighbours(t);
                let key = if ns.is_empty() {
                    self.row_of[t.ix()] as f64
                } else {
                    ns.iter().map(|n| self.row_of[n.ix()] as f64).sum::<f64>() / ns.len() as f64
                };
                (key, t)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.layers[layer] = keyed.into_iter().map(|(_, t)| t).collect();
        self.renumber(layer);
    }
}

/// Estimated duration of every task that has not completed: the mean attempt duration of the agents
/// able to run it, times its work. Completed tasks weigh what their last attempt actually took.
fn weights(coord: &Coordinator) -> Vec<f64> {
    let (scenario, wf, state) = (coord.scenario(), coord.workflow(), coord.state());
    // Per class, not per task: classes are few and share their agent lists.
    let class_mean: Vec<f64> = wf
        .classes
        .iter()
        .map(|c| {
            let sum: f64 = c.agents.iter().map(|a| scenario.agents[a.ix()].profile.duration_ms.mean).sum();
            if c.agents.is_empty() { 0.0 } else { sum / c.agents.len() as f64 }
        })
        .collect();
    (0..wf.task_count())
        .map(|i| {
            let t = TaskId(i as u32);
            let done = state.tasks()[i].state == crate::core::TaskState::Completed;
            match state.last_attempt(t) {
                Some(rec) if done => rec.end_ms.unwrap_or(rec.start_ms).saturating_sub(rec.start_ms) as f64,
                _ => class_mean[wf.task_class[i].0 as usize] * scenario.tasks[i].work,
            }
        })
        .collect()
}

/// The longest path through the DAG by (actual or estimated) duration, root first. One pass over
/// the layers, which are a topological order; ties keep the earlier task, so it is deterministic.
pub fn critical_path(coord: &Coordinator, layout: &DagLayout) -> Vec<TaskId> {
    let wf = coord.workflow();
    let w = weights(coord);
    let n = w.len();
    let mut finish = vec![0.0f64; n];
    let mut pred: Vec<Option<TaskId>> = vec![None; n];
    let mut best: Option<TaskId> = None;
    for &t in layout.layers.iter().flatten() {
        let mut start = 0.0;
        for d in wf.dependencies(t) {
            let better = finish[d.ix()] > start || (finish[d.ix()] == start && pred[t.ix()].is_none_or(|p| d < p));
            if better {
                start = finish[d.ix()];
                pred[t.ix()] = Some(d);
            }
        }
        finish[t.ix()] = start + w[t.ix()];
        if best.is_none_or(|b| finish[t.ix()] > finish[b.ix()]) {
            best = Some(t);
        }
    }
    let mut path: Vec<TaskId> = std::iter::successors(best, |t| pred[t.ix()]).collect();
    path.reverse();
    path
}

/// Which rows of a layer of `n` tasks are on screen: `(first row, rows shown)`. All of them when
/// they fit in `body_h`; otherwise `body_h - 1` rows (the last line is the summary) from the shared
/// vertical scroll position `top`, clamped so short layers don't scroll past their end.
pub fn window(n: usize, top: usize, body_h: usize) -> (usize, usize) {
    if n <= body_h {
        return (0, n);
    }
    let h = body_h.saturating_sub(1);
    (top.min(n - h), h)
}

/// The contiguous layers `(left, right)` to show around `sel` in `room` cells, columns `sep` apart
/// and `width(layer)` wide. `left` moves from `prev_left` only as far as needed to keep `sel` on
/// screen, so the view doesn't jump while the selection moves within it; leftover room is filled
/// to the right, then to the left. Asks for the widths of the columns it considers only.
pub fn fit_columns(
    sel: usize,
    prev_left: usize,
    count: usize,
    (room, sep): (u32, u32),
    mut width: impl FnMut(usize) -> u32,
) -> (usize, usize) {
    let (mut lo, mut total) = (sel, width(sel));
    while lo > 0 && total + sep + width(lo - 1) <= room {
        total += sep + width(lo - 1);
        lo -= 1;
    }
    let mut left = prev_left.clamp(lo, sel);
    let mut total = (left..=sel).map(&mut width).sum::<u32>() + sep * (sel - left) as u32;
    let mut right = sel;
    while right + 1 < count && total + sep + width(right + 1) <= room {
        total += sep + width(right + 1);
        right += 1;
    }
    while left > 0 && total + sep + width(left - 1) <= room {
        total += sep + width(left - 1);
        left -= 1;
    }
    (left, right)
}

/// One edge to route through a [`Gutter`]. `y` values are rows of the gutter; an endpoint off the
/// visible part of its column is given a row just outside (`-1` above, `height` below), so its line
/// runs off the edge of the pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: TaskId,
    pub to: TaskId,
    pub from_y: i32,
    pub to_y: i32,
    /// Whether the endpoint is on screen (only then does a horizontal stub reach its label).
    pub from_shown: bool,
    pub to_shown: bool,
    /// Highest rank wins where edges share a cell (e.g. plain 0, critical 1, selected 2).
    pub rank: u8,
}

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

/// What a cell of a route is part of: the horizontal out of a source, into a target, a vertical.
const OUT: u8 = 1;
const IN: u8 = 2;
const VERT: u8 = 4;

/// The cost of two bundles meeting in a cell that makes them look joined.
const CONFLICT: u32 = 1_000;

#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    bits: u8,
    kinds: u8,
    rank: u8,
}

/// What it costs for two bundles to share a cell: nothing when both are the same source's (or the
/// same target's) horizontal, a little for a clean crossing (`┼`), [`CONFLICT`] for anything that
/// would draw a junction between them.
fn meeting_cost(a: Cell, b: Cell) -> u32 {
    let across = |c: Cell| c.bits == LEFT | RIGHT && c.kinds & VERT == 0;
    let along = |c: Cell| c.bits == UP | DOWN;
    if (across(a) && along(b)) || (along(a) && across(b)) {
        return 1;
    }
    let sides = (a.kinds | b.kinds) & (OUT | IN);
    if a.kinds & b.kinds & VERT == 0 && (sides == OUT || sides == IN) { 0 } else { CONFLICT }
}

/// The cells between two columns: column 0 is where edges leave their source's row, the last column
/// where they enter their dependent's row, and the ones between are vertical tracks.
///
/// Edges that share an endpoint (transitively) form a bundle and share one track, so a fan-out or
/// fan-in reads as one tree (`┬├└`) instead of parallel lines. A bundle is drawn whole only when it
/// is complete (every source feeds every target), since a shared line claims exactly that; of the
/// others (the tangle between two layers of a big random DAG) only the ranked edges are drawn (the
/// selected task's, the critical path's), one bundle per rank.
///
/// Bundles are placed highest rank first, each on the track where it crosses least; one that can
/// only be placed by seeming to join another is reduced to stubs (`╴` out of a source, `╶` into a
/// target) unless it is ranked. Everything drawn is then true: a junction is a real edge.
#[derive(Debug, Clone)]
pub struct Gutter {
    width: usize,
    height: usize,
    cells: Vec<Cell>,
}

impl Gutter {
    /// Routes `edges` (each `(from, to)` once) through a gutter of `width` (at least 3) × `height`.
    pub fn route(width: usize, height: usize, edges: &[Edge]) -> Gutter {
        let mut g = Gutter { width, height, cells: vec![Cell::default(); width * height] };
        let (roots, complete) = bundles(edges, |_| 0);
        let (mut drawn, mut stubs) = (Vec::new(), Vec::new());
        for (e, &r) in edges.iter().zip(&roots) {
            match (complete[r], e.rank) {
                (true, _) => drawn.push((*e, 0)),
                (false, rank @ 1..) => drawn.push((*e, 1 + rank)),
                (false, 0) => stubs.push(*e),
            }
        }
        let (roots, _) = bundles(&drawn.iter().map(|d| d.0).collect::<Vec<_>>(), |i| drawn[i].1);
        let mut by_root: BTreeMap<usize, Vec<Edge>> = BTreeMap::new();
        for ((e, _), r) in drawn.into_iter().zip(roots) {
            by_root.entry(r).or_default().push(e);
        }
        let mut order: Vec<(Reverse<u8>, i32, i32, Vec<Edge>)> = by_root
            .into_values()
            .map(|es| {
                let rank = es.iter().map(|e| e.rank).max().unwrap_or(0);
                let lo = es.iter().map(|e| e.from_y.min(e.to_y)).min().unwrap_or(0);
                let hi = es.iter().map(|e| e.from_y.max(e.to_y)).max().unwrap_or(0);
                (Reverse(rank), lo, hi, es)
            })
            .collect();
        order.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)).then_with(|| a.3.cmp(&b.3)));
        let mut scratch = g.clone();
        for (Reverse(rank), _, _, bundle) in order {
            let mut best = (u32::MAX, 1);
            for x in 1..width.saturating_sub(1).max(2) {
                scratch.cells.fill(Cell::default());
                for e in &bundle {
                    scratch.edge(e, x);
                }
                let cost: u32 = g
                    .cells
                    .iter()
                    .zip(&scratch.cells)
                    .filter(|(a, b)| a.bits != 0 && b.bits != 0)
                    .map(|(a, b)| meeting_cost(*a, *b))
                    .sum();
                if cost < best.0 {
                    best = (cost, x);
                }
            }
            if best.0 >= CONFLICT && rank == 0 {
                stubs.extend(bundle);
            } else {
                for e in &bundle {
                    g.edge(e, best.1);
                }
            }
        }
        for e in &stubs {
            if e.from_shown {
                g.set(0, e.from_y, LEFT, OUT, 0);
            }
            if e.to_shown {
                g.set(width - 1, e.to_y, RIGHT, IN, 0);
            }
        }
        g
    }

    /// The character and rank of a cell; `None` where no edge passes.
    pub fn cell(&self, x: usize, y: usize) -> Option<(char, u8)> {
        let c = *self.cells.get(y * self.width + x).filter(|_| x < self.width)?;
        let ch = match c.bits {
            0 => return None,
            LEFT => '╴',
            RIGHT => '╶',
            b if b & (UP | DOWN) == 0 => '─',
            b if b & (LEFT | RIGHT) == 0 => '│',
            b if b == DOWN | RIGHT => '┌',
            b if b == DOWN | LEFT => '┐',
            b if b == UP | RIGHT => '└',
            b if b == UP | LEFT => '┘',
            b if b == UP | DOWN | RIGHT => '├',
            b if b == UP | DOWN | LEFT => '┤',
            b if b == LEFT | RIGHT | DOWN => '┬',
            b if b == LEFT | RIGHT | UP => '┴',
            _ => '┼',
        };
        Some((ch, c.rank))
    }

    /// One edge on the track at column `x`: out of its source, along the track, into its target.
    fn edge(&mut self, e: &Edge, x: usize) {
        if e.from_shown {
            self.set(0, e.from_y, LEFT, OUT, e.rank);
            self.hline(e.from_y, 0, x, OUT, e.rank);
        }
        self.vline(x, e.from_y, e.to_y, e.rank);
        if e.to_shown {
            self.hline(e.to_y, x, self.width - 1, IN, e.rank);
            self.set(self.width - 1, e.to_y, RIGHT, IN, e.rank);
        }
    }

    fn set(&mut self, x: usize, y: i32, bits: u8, kind: u8, rank: u8) {
        if y >= 0 && (y as usize) < self.height && x < self.width {
            let c = &mut self.cells[y as usize * self.width + x];
            c.bits |= bits;
            c.kinds |= kind;
            c.rank = c.rank.max(rank);
        }
    }

    fn hline(&mut self, y: i32, x0: usize, x1: usize, kind: u8, rank: u8) {
        for x in x0..x1 {
            self.set(x, y, RIGHT, kind, rank);
            self.set(x + 1, y, LEFT, kind, rank);
        }
    }

    /// A vertical run between two rows, clipped to the gutter (so off-screen ends stay open).
    fn vline(&mut self, x: usize, y0: i32, y1: i32, rank: u8) {
        let (lo, hi) = (y0.min(y1), y0.max(y1));
        for y in lo.max(-1)..hi.min(self.height as i32) {
            self.set(x, y, DOWN, VERT, rank);
            self.set(x, y + 1, UP, VERT, rank);
        }
    }
}

/// Groups edges into bundles (connected components; an endpoint is its task, side and `group(i)`
/// for edge `i`). Returns each edge's bundle, as an index, and whether each bundle is complete.
fn bundles(edges: &[Edge], group: impl Fn(usize) -> u8) -> (Vec<usize>, Vec<bool>) {
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut index: FastMap<(bool, TaskId, u8), usize> = FastMap::default();
    let mut parent: Vec<usize> = Vec::new();
    let mut is_target: Vec<bool> = Vec::new();
    let mut node = |key: (bool, TaskId, u8)| {
        *index.entry(key).or_insert_with(|| {
            parent.push(parent.len());
            is_target.push(key.0);
            parent.len() - 1
        })
    };
    let ends: Vec<(usize, usize)> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| (node((false, e.from, group(i))), node((true, e.to, group(i)))))
        .collect();
    for &(a, b) in &ends {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra.max(rb)] = ra.min(rb);
    }
    // Complete when edges == sources × targets (each (from, to) pair comes once).
    let mut size = vec![(0usize, 0usize, 0usize); parent.len()];
    for (i, &target) in is_target.iter().enumerate() {
        let r = find(&mut parent, i);
        if target { size[r].1 += 1 } else { size[r].0 += 1 }
    }
    let roots: Vec<usize> = ends.iter().map(|&(a, _)| find(&mut parent, a)).collect();
    for &r in &roots {
        size[r].2 += 1;
    }
    (roots, size.iter().map(|&(s, t, e)| e == s * t).collect())
}

#[cfg(test)]
mod tests;
