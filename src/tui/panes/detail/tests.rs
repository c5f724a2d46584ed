//! The detail popups of tasks, agents and messages: their content, wrapping and scrolling.

use super::*;
use crate::core::{OpAction, Resolution};
use crate::tui::panes::fixture::{Fixture, crashed, draw, escalated};

/// research-pipeline at 3 s: research-market failed twice on researcher-2 and runs a third time.
fn pipeline() -> Fixture {
    let mut fx = Fixture::new("research-pipeline");
    fx.advance(3_000);
    fx
}

fn plain(lines: &[Line]) -> String {
    lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n")
}

fn popup(
    fx: &Fixture,
    sel: Selection,
    width: u16,
    height: u16,
    scroll: u16,
) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    draw(width, height, |f| render_detail(f, f.area(), sel, &fx.ctx(), scroll))
}

#[test]
fn task_detail_wide() {
    let fx = pipeline();
    insta::assert_snapshot!(popup(&fx, Selection::Task(fx.task("research-market")), 160, 45, 0).backend());
}

#[test]
fn saga_step_and_compensator_details() {
    // saga-booking at 2.5 s: the car failed, cancel-hotel (compensation 1 of 2) is on its retry.
    let mut fx = Fixture::new("saga-booking");
    fx.advance(2_500);
    insta::assert_snapshot!("saga_step_hotel", popup(&fx, Selection::Task(fx.task("hotel")), 100, 30, 0).backend());
    let ctx = fx.ctx();
    let compensator = plain(&layout(Rect::new(0, 0, 100, 30), Selection::Task(fx.task("cancel-hotel")), &ctx).1);
    assert!(compensator.contains("compensates     hotel — compensation 1 of 2"), "{compensator}");
    let dormant = plain(&layout(Rect::new(0, 0, 100, 30), Selection::Task(fx.task("cancel-car")), &ctx).1);
    assert!(dormant.contains("↺ dormant — runs only if its saga fails"), "{dormant}");
    assert!(dormant.contains("car — runs only if the saga fails after this step completed"), "{dormant}");
}

#[test]
fn an_escalated_task_shows_its_ladder_sla_and_attempts() {
    let mut fx = Fixture::new("escalation-ladder");
    fx.advance(14_200);
    let archive = fx.task("ingest-archive");
    let text = plain(&detail_lines(Selection::Task(archive), &fx.ctx()));
    assert!(text.contains("escalation ladder"), "{text}");
    assert!(text.contains("✓ 1 other_agent · limit 1"), "{text}");
    assert!(text.contains("✓ 3 escalate_to → senior · limit 1"), "{text}");
    assert!(text.contains("▶ 4 inbox, SLA 3.0s then skip"), "{text}");
    assert!(text.contains("attempts per the ladder below"), "{text}");
    assert!(text.contains("inbox SLA"), "{text}");
    assert!(text.contains("legacy") && text.contains("timed out"), "{text}");
    insta::assert_snapshot!(popup(&fx, Selection::Task(archive), 120, 45, 0).backend());
}

#[test]
fn task_detail_narrow() {
    let fx = pipeline();
    insta::assert_snapshot!(popup(&fx, Selection::Task(fx.task("analysis")), 80, 24, 0).backend());
}

#[test]
fn failed_and_skipped_tasks_say_why() {
    let mut fx = escalated();
    let core = fx.task("build-core");
    fx.op(OpAction::Resolve(core, Resolution::Fail));
    let failed = plain(&detail_lines(Selection::Task(core), &fx.ctx()));
    assert!(failed.contains("✗ failed — failed by an operator"), "{failed}");
    assert!(failed.contains("agent crashed"), "{failed}");
    let skipped = plain(&detail_lines(Selection::Task(fx.task("test-core")), &fx.ctx()));
    assert!(skipped.contains("skipped — upstream task `build-core` failed"), "{skipped}");
    let held = plain(&detail_lines(Selection::Task(fx.task("test-cli")), &fx.ctx()));
    assert!(held.contains("in the operator's inbox since 0:02.000"), "{held}");
    insta::assert_snapshot!(popup(&fx, Selection::Task(core), 80, 24, 0).backend());
}

#[test]
fn agent_detail_wide() {
    let fx = pipeline();
    insta::assert_snapshot!(popup(&fx, Selection::Agent(fx.agent("researcher-2")), 160, 45, 0).backend());
}

#[test]
fn agent_detail_narrow() {
    let fx = crashed();
    insta::assert_snapshot!(popup(&fx, Selection::Agent(fx.agent("builder-1")), 80, 24, 0).backend());
}

#[test]
fn message_detail_wide() {
    let fx = pipeline();
    insta::assert_snapshot!(popup(&fx, Selection::Message(12), 160, 45, 0).backend());
}

#[test]
fn message_detail_narrow() {
    let fx = pipeline();
    insta::assert_snapshot!(popup(&fx, Selection::Message(3), 80, 24, 0).backend());
}

#[test]
fn dropped_message_says_so() {
    let mut fx = pipeline();
    fx.view.messages.drain(..5);
    fx.view.dropped_messages = 5;
    let text = plain(&detail_lines(Selection::Message(2), &fx.ctx()));
    assert!(text.contains("This message was dropped"), "{text}");
    insta::assert_snapshot!(popup(&fx, Selection::Message(2), 80, 24, 0).backend());
}

#[test]
fn long_content_scrolls_and_clamps() {
    let fx = pipeline();
    let sel = Selection::Task(fx.task("research-market"));
    let total = detail_lines(sel, &fx.ctx()).len() as u16;
    // 12 rows: a 10-row popup with 8 lines of content visible.
    let top = popup(&fx, sel, 100, 12, 0);
    let scrolled = popup(&fx, sel, 100, 12, 3);
    let clamped = popup(&fx, sel, 100, 12, 500);
    let bottom = popup(&fx, sel, 100, 12, total - 8);
    assert_eq!(max_scroll(Rect::new(0, 0, 100, 12), sel, &fx.ctx()), total - 8);
    assert_eq!(max_scroll(Rect::new(0, 0, 160, 45), sel, &fx.ctx()), 0);
    assert_ne!(top.backend().buffer(), scrolled.backend().buffer());
    assert_eq!(clamped.backend().buffer(), bottom.backend().buffer());
    insta::assert_snapshot!(scrolled.backend());
}
