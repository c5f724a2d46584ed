//! What the console shows of swarm allocation (thresholds in the Agents pane and the agent detail,
//! a task's place on the board or its claim in the task detail) and of elastic teams (template
//! slots absent, created, retired).

use crate::tui::panes::agents::AgentsPane;
use crate::tui::panes::detail::{detail_lines, render_detail};
use crate::tui::panes::fixture::{Fixture, draw};
use crate::tui::panes::{Pane, Selection};

fn plain(lines: &[ratatui::text::Line]) -> String {
    lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n")
}

/// swarm-foraging at `t`: at 0.3 s wave 1 is partly claimed and the rest is on the board; at
/// 1.5 s most ants have specialised a little.
fn foraging(t: u64) -> Fixture {
    let mut fx = Fixture::new("swarm-foraging");
    fx.advance(t);
    fx
}

#[test]
fn agents_show_their_thresholds_in_a_swarm_run() {
    let fx = foraging(1_500);
    let mut pane = AgentsPane::new();
    let term = draw(110, 9, |f| pane.render(f, f.area(), &fx.ctx()));
    let text = format!("{:?}", term.backend());
    assert!(text.contains("capabilities θ") && text.contains("scout θ"), "{text}");
    insta::assert_snapshot!(term.backend());
}

#[test]
fn task_detail_says_who_claimed_it_or_how_long_it_waits() {
    let fx = foraging(300);
    let sw = &fx.run.coordinator().state().swarm();
    let n = fx.run.coordinator().scenario().tasks.len() as u32;
    let claimed = (0..n).map(crate::core::TaskId).find(|&t| sw.claim_of(t).is_some()).expect("a claim by 0.3 s");
    let (by, p) = sw.claim_of(claimed).unwrap();
    let lines = plain(&detail_lines(Selection::Task(claimed), &fx.ctx()));
    let expected = format!("claimed by {} (p={p:.2})", fx.run.coordinator().agent_name(by));
    assert!(lines.contains(&expected), "{lines}");
    let waiting = sw.board.first().expect("a task still on the board at 0.3 s").task;
    let lines = plain(&detail_lines(Selection::Task(waiting), &fx.ctx()));
    assert!(lines.contains("on the board for"), "{lines}");
    insta::assert_snapshot!(
        draw(100, 30, |f| render_detail(f, f.area(), Selection::Task(claimed), &fx.ctx(), 0)).backend()
    );
}

#[test]
fn agent_detail_lists_thresholds_and_claims() {
    let fx = foraging(1_500);
    let a = fx.agent("ant-1");
    let lines = plain(&detail_lines(Selection::Agent(a), &fx.ctx()));
    let claims = fx.run.coordinator().state().swarm().claims[a.ix()];
    assert!(lines.contains(&format!("{claims} claims from the board")) && lines.contains("θ scout"), "{lines}");
}

/// elastic-team at `t`: at 2.5 s coder-1 has retired and the others are idle or working; at 4 s
/// every coder has retired while the lead plans.
fn elastic(t: u64) -> Fixture {
    let mut fx = Fixture::new("elastic-team");
    fx.advance(t);
    fx
}

#[test]
fn agents_pane_shows_created_and_retired_template_slots() {
    let fx = elastic(2_500);
    let mut pane = AgentsPane::new();
    let term = draw(100, 7, |f| pane.render(f, f.area(), &fx.ctx()));
    let text = format!("{:?}", term.backend());
    assert!(text.contains("coder-1") && text.contains("retired"), "{text}");
    insta::assert_snapshot!(term.backend());
    let fx = elastic(4_000);
    let lines = plain(&detail_lines(Selection::Agent(fx.agent("coder-2")), &fx.ctx()));
    assert!(lines.contains("retired") && lines.contains("coder (up to 3"), "{lines}");
}
