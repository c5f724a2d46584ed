//! The DAG layout: layers, row order, columns that fit, truncation, the critical path, and the
//! edges routed in the gutters.

use super::*;
use crate::runtime::SimRun;
use crate::scenario::parse;
use crate::tui::panes::text::truncate;

/// A small scenario: `deps` lists, per task `t<i>`, the indices it depends on. Agent `fast`
/// (100 ms) does `a`, agent `slow` (1000 ms) does `b`; `caps[i]` picks task i's capability.
fn scenario(deps: &[&[usize]], caps: &[&str]) -> crate::scenario::Scenario {
    let tasks: Vec<String> = deps
        .iter()
        .enumerate()
        .map(|(i, ds)| {
            let ds: Vec<String> = ds.iter().map(|d| format!("\"t{d}\"")).collect();
            let cap = caps.get(i).copied().unwrap_or("a");
            format!(r#"{{"id": "t{i}", "capability": "{cap}", "depends_on": [{}]}}"#, ds.join(", "))
        })
        .collect();
    let text = format!(
        r#"{{"name": "t", "seed": 1, "allocation": "least_loaded", "heartbeat_ms": 0,
        "agents": [
          {{"id": "fast", "capabilities": ["a"], "max_concurrent": 4,
            "profile": {{"duration_ms": {{"mean": 100, "jitter": 0}}, "failure_rate": 0}}}},
          {{"id": "slow", "capabilities": ["b"], "max_concurrent": 4,
            "profile": {{"duration_ms": {{"mean": 1000, "jitter": 0}}, "failure_rate": 0}}}}],
        "tasks": [{}], "faults": []}}"#,
        tasks.join(",\n")
    );
    parse("test", &text).expect("valid scenario")
}

fn layout_of(deps: &[&[usize]]) -> DagLayout {
    DagLayout::new(&Workflow::new(&scenario(deps, &[])))
}

fn ids(v: &[TaskId]) -> Vec<u32> {
    v.iter().map(|t| t.0).collect()
}

#[test]
fn layers_are_longest_depth() {
    // t0 → t1 → t2, and t0 → t2 directly: t2 is at depth 2, not 1. t3 depends on nothing.
    let l = layout_of(&[&[], &[0], &[0, 1], &[]]);
    assert_eq!(l.layer_of, vec![0, 1, 2, 0]);
    assert_eq!(l.layers.iter().map(|l| ids(l)).collect::<Vec<_>>(), vec![vec![0, 3], vec![1], vec![2]]);
    for (layer, nodes) in l.layers.iter().enumerate() {
        for (row, t) in nodes.iter().enumerate() {
            assert_eq!((l.layer_of[t.ix()] as usize, l.row_of[t.ix()] as usize), (layer, row));
        }
    }
}

#[test]
fn dependencies_listed_after_dependents_still_layer() {
    // t0 depends on t2: scenario order is not topological order.
    let l = layout_of(&[&[2], &[0], &[]]);
    assert_eq!(l.layer_of, vec![1, 2, 0]);
}

#[test]
fn barycenter_uncrosses_and_is_deterministic() {
    // Roots t0, t1; t2 depends on t1, t3 on t0. Index order would cross the two edges; the
    // down sweep puts t3 first.
    let deps: &[&[usize]] = &[&[], &[], &[1], &[0]];
    let l = layout_of(deps);
    assert_eq!(ids(&l.layers[1]), vec![3, 2]);
    assert_eq!(l, layout_of(deps));
    // Ties (same barycenter) keep task index order.
    let fan = layout_of(&[&[], &[0], &[0], &[0], &[1, 2, 3]]);
    assert_eq!(ids(&fan.layers[1]), vec![1, 2, 3]);
}

#[test]
fn columns_fit_around_the_selection_and_scroll_minimally() {
    // Ten layers 10 wide, 2 apart, in 34 cells: three columns fit.
    let fit = |sel, prev| fit_columns(sel, prev, 10, (34, 2), |_| 10);
    assert_eq!(fit(0, 0), (0, 2));
    assert_eq!(fit(2, 0), (0, 2), "still on screen: no scroll");
    assert_eq!(fit(3, 0), (1, 3), "one step right scrolls by one");
    assert_eq!(fit(5, 1), (3, 5));
    assert_eq!(fit(4, 3), (3, 5));
    assert_eq!(fit(9, 9), (7, 9), "room at the end is filled from the left");
    assert_eq!(fit_columns(1, 0, 3, (5, 2), |_| 10), (1, 1), "a column wider than the room still shows");
}

#[test]
fn windows_and_truncation() {
    assert_eq!(window(5, 9, 10), (0, 5), "fits: no scrolling");
    assert_eq!(window(50, 3, 10), (3, 9), "one line kept for the summary");
    assert_eq!(window(50, 45, 10), (41, 9), "clamped to the end");
    assert_eq!(truncate("shard-00", 8), "shard-00");
    assert_eq!(truncate("shard-000", 8), "shard-0…");
}

#[test]
fn at_clamps_to_the_last_row() {
    let l = layout_of(&[&[], &[0], &[0]]);
    assert_eq!(l.at(1, 7), Some(TaskId(2)));
    assert_eq!(l.at(5, 0), None);
}

#[test]
fn critical_path_follows_estimates_then_actuals() {
    // t0 → {t1 (fast), t2 (slow)} → t3. Estimated: the slow branch is critical.
    let s = scenario(&[&[], &[0], &[0], &[1, 2]], &["a", "a", "b", "a"]);
    let mut run = SimRun::new(s);
    let l = DagLayout::new(run.coordinator().workflow());
    assert_eq!(ids(&critical_path(run.coordinator(), &l)), vec![0, 2, 3]);
    // After the run, completed tasks weigh their actual durations: still the slow branch.
    run.advance_to(10_000, &mut ()).unwrap();
    assert_eq!(ids(&critical_path(run.coordinator(), &l)), vec![0, 2, 3]);
}

#[test]
fn critical_path_prefers_heavier_work() {
    // Two independent chains: t0 → t1 (fast agent) and t2 → t3 (slow agent).
    let s = scenario(&[&[], &[0], &[], &[2]], &["a", "a", "b", "b"]);
    let run = SimRun::new(s);
    let l = DagLayout::new(run.coordinator().workflow());
    assert_eq!(ids(&critical_path(run.coordinator(), &l)), vec![2, 3]);
}

fn draw(g: &Gutter) -> Vec<String> {
    (0..g.height).map(|y| (0..g.width).map(|x| g.cell(x, y).map_or(' ', |c| c.0)).collect()).collect()
}

fn edge(from: u32, to: u32, from_y: i32, to_y: i32) -> Edge {
    Edge { from: TaskId(from), to: TaskId(to), from_y, to_y, from_shown: true, to_shown: true, rank: 0 }
}

#[test]
fn gutter_draws_fan_in_and_separate_bundles() {
    // Sources at rows 0..=2 feed target A (row 0); sources 3, 4 feed target B (row 1).
    let edges = [edge(0, 10, 0, 0), edge(1, 10, 1, 0), edge(2, 10, 2, 0), edge(3, 11, 3, 1), edge(4, 11, 4, 1)];
    assert_eq!(draw(&Gutter::route(5, 5, &edges)), vec!["─┬───", "─┤┌──", "─┘│  ", "──┤  ", "──┘  "]);
}

#[test]
fn gutter_clips_offscreen_ends_open() {
    let mut e = edge(0, 1, 1, 9);
    e.to_shown = false;
    let mut up = edge(2, 3, -1, 2);
    up.from_shown = false;
    assert_eq!(draw(&Gutter::route(4, 3, &[e])), vec!["    ", "─┐  ", " │  "]);
    assert_eq!(draw(&Gutter::route(4, 3, &[up])), vec![" │  ", " │  ", " └──"]);
}

#[test]
fn gutter_reduces_a_tangle_to_stubs_and_ranked_edges() {
    // 0 → 10, 1 → 10, 1 → 11: a shared line would claim 0 → 11 too.
    let mut edges = [edge(0, 10, 0, 0), edge(1, 10, 1, 0), edge(1, 11, 1, 1)];
    assert_eq!(draw(&Gutter::route(5, 2, &edges)), vec!["╴   ╶", "╴   ╶"]);
    edges[1].rank = 2;
    assert_eq!(draw(&Gutter::route(5, 2, &edges)), vec!["╴┌───", "─┘  ╶"]);
}

#[test]
fn gutter_rank_is_the_highest_through_a_cell() {
    let mut hot = edge(0, 2, 0, 1);
    hot.rank = 2;
    let g = Gutter::route(4, 2, &[edge(1, 2, 1, 1), hot]);
    assert_eq!(g.cell(1, 1), Some(('┴', 2)));
    assert_eq!(g.cell(1, 0).map(|c| c.1), Some(2));
    assert_eq!(g.cell(0, 1).map(|c| c.1), Some(0));
    assert_eq!(g.cell(3, 1).map(|c| c.1), Some(2));
}
