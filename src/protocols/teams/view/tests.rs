//! Snapshots of what the panes show of teams: the `reports_to` tree in the Agents pane, the
//! delegation chain in a task's detail, delegate and report traffic in the Messages pane.

use crate::tui::panes::agents::AgentsPane;
use crate::tui::panes::detail::render_detail;
use crate::tui::panes::fixture::{Fixture, draw};
use crate::tui::panes::{Pane, Selection};

/// hierarchical-team at 1.4 s: lead-b crashed at 0.9 s; billing went to b2 past it.
fn team() -> Fixture {
    let mut fx = Fixture::new("hierarchical-team");
    fx.advance(1_400);
    fx
}

#[test]
fn the_agents_pane_draws_the_tree_by_indentation() {
    let fx = team();
    let mut pane = AgentsPane::new();
    let term = draw(100, 12, |f| pane.render(f, f.area(), &fx.ctx()));
    let text = term.backend().to_string();
    // Tree order: each lead right after the director, each worker under its lead.
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} missing:\n{text}"));
    assert!(at("director") < at("└ lead-a") && at("└ lead-a") < at("  └ a1") && at("  └ a2") < at("└ lead-b"));
    assert!(at("└ lead-b") < at("  └ b1"));
    insta::assert_snapshot!(term.backend());
}

#[test]
fn a_task_detail_shows_its_delegation_chain() {
    let fx = team();
    let billing = fx.task("billing");
    let term = draw(90, 30, |f| render_detail(f, f.area(), Selection::Task(billing), &fx.ctx(), 0));
    let text = term.backend().to_string();
    assert!(text.contains("director → b2"), "{text}");
    assert!(text.contains("1 hops down (1 past a manager who was down)"), "{text}");
    insta::assert_snapshot!(term.backend());
    let lead = fx.agent("lead-b");
    let term = draw(90, 24, |f| render_detail(f, f.area(), Selection::Agent(lead), &fx.ctx(), 0));
    let text = term.backend().to_string();
    assert!(text.contains("reports to") && text.contains("b1, b2, b3"), "{text}");
}

#[test]
fn a_reviewed_task_and_its_reviewer_show_the_rounds() {
    // peer-review at 2.6 s: the critic rejected the draft twice; the third draft is running.
    let mut fx = Fixture::new("peer-review");
    fx.advance(2_600);
    let (draft, review) = (fx.task("draft"), fx.task("review"));
    let term = draw(96, 30, |f| render_detail(f, f.area(), Selection::Task(draft), &fx.ctx(), 0));
    let text = term.backend().to_string();
    assert!(text.contains("reviewed by     review · 2 of 2 rework rounds used"), "{text}");
    assert!(text.contains("round 2: draft needs changes"), "{text}");
    insta::assert_snapshot!(term.backend());
    fx.advance(4_100);
    let term = draw(96, 30, |f| render_detail(f, f.area(), Selection::Task(review), &fx.ctx(), 0));
    let text = term.backend().to_string();
    assert!(text.contains("of draft · 2 of 2 rework rounds used · accepted after 3 reviews"), "{text}");
}

#[test]
fn a_task_detail_lists_its_help_exchanges() {
    // peer-review at 1.2 s: backend's attempt asked the analyst at 0.93 s and got its answer at 1.18 s.
    let mut fx = Fixture::new("peer-review");
    fx.advance(1_200);
    let backend = fx.task("backend");
    let term = draw(96, 24, |f| render_detail(f, f.area(), Selection::Task(backend), &fx.ctx(), 0));
    let text = term.backend().to_string();
    assert!(text.contains("attempt 1 asked `research` → analyst: answered in 245ms"), "{text}");
    insta::assert_snapshot!(term.backend());
}
