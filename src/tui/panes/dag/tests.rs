//! The DAG pane drawn from bundled and generated runs (snapshots), moved by keys and clicks.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use ratatui::crossterm::event::KeyCode;
use ratatui::style::Color;

use crate::generate::{GenOptions, Shape, generate};
use crate::runtime::SimRun;
use crate::tui::config::Settings;
use crate::tui::panes::fixture::nav;
use crate::tui::view::View;

/// A run of `scenario` (a file of `scenarios/`, or a generated one) advanced to `t_ms`.
fn run(scenario: &str, gen_opts: Option<GenOptions>, t_ms: u64) -> SimRun {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(scenario);
    let mut run = SimRun::new(match gen_opts {
        Some(opts) => generate(&opts).unwrap(),
        None if scenario.starts_with('{') => crate::scenario::parse("test", scenario).unwrap(),
        None => crate::scenario::load(&path).unwrap(),
    });
    run.advance_to(t_ms, &mut ()).unwrap();
    run
}

fn file(name: &str, t_ms: u64) -> SimRun {
    run(name, None, t_ms)
}

fn big(shape: Shape, t_ms: u64) -> SimRun {
    run("", Some(GenOptions { tasks: 1_000, agents: 16, shape, seed: 7, ..GenOptions::default() }), t_ms)
}

/// Renders the pane over a whole `w`×`h` terminal.
fn render(pane: &mut DagPane, run: &SimRun, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    with_ctx(run, |ctx| terminal.draw(|f| pane.render(f, f.area(), ctx)).map(drop)).unwrap();
    terminal
}

fn with_ctx<R>(run: &SimRun, f: impl FnOnce(&Ctx) -> R) -> R {
    let view = View::new(run.coordinator().scenario().agents.len());
    f(&Ctx::new(run.coordinator(), &view, run.now(), &Settings::default(), true))
}

fn selected(pane: &DagPane, run: &SimRun) -> String {
    with_ctx(run, |ctx| match pane.selection(ctx) {
        Some(Selection::Task(t)) => ctx.coord.task_name(t).to_string(),
        other => panic!("unexpected selection {other:?}"),
    })
}

fn press(pane: &mut DagPane, run: &SimRun, keys: &[KeyCode]) {
    with_ctx(run, |ctx| {
        for &k in keys {
            assert!(pane.handle(nav(k), ctx).used(), "{k:?} not handled");
        }
    });
}

#[test]
fn scenario_files_mid_run() {
    for (name, file_name, t_ms, w, h) in [
        ("research_160x45", "research-pipeline.json", 2_000, 160, 45),
        ("research_78x20", "research-pipeline.json", 6_000, 78, 20),
        ("fanout_160x45", "parallel-fanout.json", 2_000, 160, 45),
        ("fanout_78x20", "parallel-fanout.json", 2_000, 78, 20),
        // Mid-compensation (cancel-hotel retrying), and at the end.
        ("saga_booking_100x16", "saga-booking.json", 2_500, 100, 16),
        ("saga_booking_end_100x16", "saga-booking.json", 10_000, 100, 16),
    ] {
        insta::assert_snapshot!(name, render(&mut DagPane::new(), &file(file_name, t_ms), w, h).backend());
    }
}

#[test]
fn thousand_tasks_show_summaries() {
    let run = big(Shape::Layered, 1_500);
    let mut pane = DagPane::new();
    render(&mut pane, &run, 160, 45);
    // Deep into the graph: the view follows the selection both ways.
    press(&mut pane, &run, &[KeyCode::Right; 13]);
    press(&mut pane, &run, &[KeyCode::PageDown, KeyCode::PageDown]);
    insta::assert_snapshot!("layered1000_160x45", render(&mut pane, &run, 160, 45).backend());
    insta::assert_snapshot!("layered1000_78x20", render(&mut pane, &run, 78, 20).backend());
}

#[test]
fn keys_move_the_selection() {
    let run = file("parallel-fanout.json", 0);
    let mut pane = DagPane::new();
    assert_eq!(selected(&pane, &run), "plan");
    press(&mut pane, &run, &[KeyCode::Right, KeyCode::Down, KeyCode::Char('j')]);
    assert_eq!(selected(&pane, &run), "shard-02");
    press(&mut pane, &run, &[KeyCode::PageDown, KeyCode::Char('l')]);
    assert_eq!(selected(&pane, &run), "merge-2", "nearest row, clamped to the layer");
    press(&mut pane, &run, &[KeyCode::Home, KeyCode::Char('h'), KeyCode::End]);
    assert_eq!(selected(&pane, &run), "shard-23");
    press(&mut pane, &run, &[KeyCode::PageUp, KeyCode::Up, KeyCode::Char('k')]);
    assert_eq!(selected(&pane, &run), "shard-11");
    press(&mut pane, &run, &[KeyCode::Left, KeyCode::Left, KeyCode::Up]);
    assert_eq!(selected(&pane, &run), "plan", "stops at the edges");
    with_ctx(&run, |ctx| assert!(!pane.handle(Action::Award, ctx).used()));
}

/// Where `text` starts on screen.
fn find(term: &Terminal<TestBackend>, text: &str) -> (u16, u16) {
    let buf = term.backend().buffer();
    let area = buf.area;
    (0..area.height)
        .flat_map(|y| (0..area.width.saturating_sub(text.chars().count() as u16)).map(move |x| (x, y)))
        .find(|&(x, y)| text.chars().enumerate().all(|(i, c)| buf[(x + i as u16, y)].symbol() == c.to_string()))
        .unwrap_or_else(|| panic!("{text} not drawn"))
}

#[test]
fn click_selects_the_node_under_the_cursor() {
    let run = file("research-pipeline.json", 2_000);
    let mut pane = DagPane::new();
    let term = render(&mut pane, &run, 160, 45);
    let (x, y) = find(&term, "draft");
    with_ctx(&run, |ctx| pane.click(x + 4, y, ctx));
    assert_eq!(selected(&pane, &run), "draft");
    with_ctx(&run, |ctx| pane.click(0, 44, ctx));
    assert_eq!(selected(&pane, &run), "draft", "a click on nothing keeps the selection");
    // The selection is highlighted, and so are its edges.
    let term = render(&mut pane, &run, 160, 45);
    let (x, y) = find(&term, "draft");
    assert_eq!(term.backend().buffer()[(x, y)].bg, crate::tui::theme::Theme::default().selected().bg.unwrap());
    assert_eq!(term.backend().buffer()[(x - 4, y)].style().fg, crate::tui::theme::Theme::default().bold(Role::Highlight).fg);
}

#[test]
fn filter_dims_and_jumps_to_the_first_match() {
    let run = file("parallel-fanout.json", 2_000);
    let mut pane = DagPane::new();
    pane.set_filter("Shard-1");
    assert_eq!(selected(&pane, &run), "shard-10", "before any render");
    let term = render(&mut pane, &run, 160, 45);
    assert_eq!(selected(&pane, &run), "shard-10");
    let buf = term.backend().buffer();
    let (x, y) = find(&term, "shard-09");
    assert_eq!(buf[(x, y)].fg, crate::tui::theme::Theme::default().dim().fg.unwrap(), "non-matching task dimmed");
    let (x, y) = find(&term, "shard-12");
    assert_eq!(buf[(x, y)].fg, Color::Green, "matching task keeps its state colour");
    find(&term, "/shard-1 · layer 2/4"); // The filter shows in the title.
}

#[test]
fn skip_edges_long_ids_and_a_huge_layer() {
    let text = r#"{"name": "s", "seed": 1, "allocation": "least_loaded", "heartbeat_ms": 0,
        "agents": [{"id": "solo", "capabilities": ["x"], "max_concurrent": 1,
                    "profile": {"duration_ms": {"mean": 100, "jitter": 0}, "failure_rate": 0}}],
        "tasks": [
          {"id": "a-rather-long-task-identifier", "capability": "x"},
          {"id": "b", "capability": "x", "depends_on": ["a-rather-long-task-identifier"]},
          {"id": "c", "capability": "x", "depends_on": ["a-rather-long-task-identifier", "b"]}],
        "faults": []}"#;
    insta::assert_snapshot!("skips_60x7", render(&mut DagPane::new(), &file(text, 150), 60, 7).backend());
    for (w, h) in [(0, 0), (1, 1), (2, 2), (5, 3), (12, 4)] {
        render(&mut DagPane::new(), &file(text, 150), w, h); // Tiny panes don't panic.
    }
    let run = big(Shape::Fanout, 1_000);
    let mut pane = DagPane::new();
    render(&mut pane, &run, 100, 24);
    press(&mut pane, &run, &[KeyCode::Right, KeyCode::PageDown, KeyCode::PageDown, KeyCode::PageDown]);
    insta::assert_snapshot!("fanout1000_100x24", render(&mut pane, &run, 100, 24).backend());
}
