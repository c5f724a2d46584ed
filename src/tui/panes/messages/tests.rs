//! The Messages pane: following the newest, paging, and its filters over a full list.

use ratatui::crossterm::event::KeyCode;

use super::*;
use crate::tui::panes::fixture::{Fixture, draw, nav};

/// research-pipeline at 3 s: results, a failure, retries and heartbeats.
fn pipeline() -> Fixture {
    let mut fx = Fixture::new("research-pipeline");
    fx.advance(3_000);
    fx
}

fn listed(pane: &MessagesPane, ctx: &Ctx) -> Vec<Message> {
    pane.rows(ctx).unwrap().into_iter().map(|i| ctx.view.messages[i].msg).collect()
}

#[test]
fn dead_letters_are_marked_and_filtered() {
    // leader-failover at 5 s: node-b was given up for silent at 4.4 s and its cancel went nowhere.
    let mut fx = Fixture::new("leader-failover");
    fx.advance(5_000);
    let ctx = fx.ctx();
    let mut pane = MessagesPane::new();
    pane.set_filter("dead");
    let dead = listed(&pane, &ctx);
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].kind, dead[0].to), (MsgKind::Cancel, Endpoint::Agent(AgentId(1))));
    pane.set_filter("dead type:heartbeat");
    assert!(listed(&pane, &ctx).is_empty());
    pane.set_filter("dead");
    let term = draw(100, 6, |f| pane.render(f, f.area(), &ctx));
    insta::assert_snapshot!(term.backend());
}

#[test]
fn messages_wide() {
    let fx = pipeline();
    let mut pane = MessagesPane::new();
    let term = draw(100, 20, |f| pane.render(f, f.area(), &fx.ctx()));
    insta::assert_snapshot!(term.backend());
}

#[test]
fn messages_narrow_scrolled_up() {
    let fx = pipeline();
    let ctx = fx.ctx();
    let mut pane = MessagesPane::new();
    draw(78, 10, |f| pane.render(f, f.area(), &ctx));
    for _ in 0..10 {
        pane.handle(nav(KeyCode::Up), &ctx).used();
    }
    assert!(!pane.following());
    let term = draw(78, 10, |f| pane.render(f, f.area(), &ctx));
    insta::assert_snapshot!(term.backend());
}

#[test]
fn follows_the_newest_until_moved_up() {
    let mut fx = pipeline();
    let mut pane = MessagesPane::new();
    draw(100, 10, |f| pane.render(f, f.area(), &fx.ctx()));
    let newest = |fx: &Fixture| Selection::Message(fx.view.messages.back().unwrap().msg.id);
    assert_eq!(pane.selection(&fx.ctx()), Some(newest(&fx)));

    // New messages arrive: the selection follows them.
    fx.advance(4_000);
    assert_eq!(pane.selection(&fx.ctx()), Some(newest(&fx)));

    // Up stops following: the same message stays selected as more arrive.
    assert!(pane.handle(nav(KeyCode::Up), &fx.ctx()).used());
    let held = pane.selection(&fx.ctx());
    assert_ne!(held, Some(newest(&fx)));
    fx.advance(5_000);
    assert_eq!(pane.selection(&fx.ctx()), held);
    draw(100, 10, |f| pane.render(f, f.area(), &fx.ctx()));
    assert_eq!(pane.selection(&fx.ctx()), held);

    // Down to the last row (or End) follows again.
    assert!(pane.handle(nav(KeyCode::End), &fx.ctx()).used());
    assert!(pane.following());
    fx.advance(6_000);
    assert_eq!(pane.selection(&fx.ctx()), Some(newest(&fx)));
}

#[test]
fn paging_and_home() {
    let fx = pipeline();
    let ctx = fx.ctx();
    let mut pane = MessagesPane::new();
    // 10 lines: 2 borders and a header leave 7 rows.
    draw(100, 10, |f| pane.render(f, f.area(), &ctx));
    let n = fx.view.messages.len();
    pane.handle(nav(KeyCode::PageUp), &ctx).used();
    assert_eq!(pane.selection(&ctx), Some(Selection::Message(fx.view.messages[n - 8].msg.id)));
    pane.handle(nav(KeyCode::Home), &ctx).used();
    assert_eq!(pane.selection(&ctx), Some(Selection::Message(1)));
    pane.handle(nav(KeyCode::Char('j')), &ctx).used();
    assert_eq!(pane.selection(&ctx), Some(Selection::Message(2)));
    // Scrolling up only as far as needed put message 2 on top (screen row 2, under the header).
    draw(100, 10, |f| pane.render(f, f.area(), &ctx));
    assert!(pane.click(20, 3, &ctx));
    assert_eq!(pane.selection(&ctx), Some(Selection::Message(3)));
    assert!(!pane.follow);
}

#[test]
fn filter_by_type() {
    let fx = pipeline();
    let ctx = fx.ctx();
    let mut pane = MessagesPane::new();
    pane.set_filter("type:heartbeat");
    let rows = listed(&pane, &ctx);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|m| m.kind == MsgKind::Heartbeat));
    pane.set_filter("type:cancel type:task_result");
    assert!(listed(&pane, &ctx).iter().all(|m| matches!(m.kind, MsgKind::TaskResult | MsgKind::Cancel)));
    pane.set_filter("type:nonsense");
    assert!(pane.rows(&ctx).is_err());
    assert_eq!(pane.selection(&ctx), None);
    let term = draw(100, 5, |f| pane.render(f, f.area(), &ctx));
    insta::assert_snapshot!(term.backend());
}

#[test]
fn filter_by_agent_and_text() {
    let fx = pipeline();
    let ctx = fx.ctx();
    let writer = Endpoint::Agent(fx.agent("writer"));
    let mut pane = MessagesPane::new();
    pane.set_filter("agent:writer");
    let rows = listed(&pane, &ctx);
    assert!(rows.iter().any(|m| m.from == writer), "the writer's heartbeats");
    assert!(rows.iter().any(|m| m.to == Endpoint::Broadcast), "broadcasts reach the writer too");
    assert!(rows.iter().all(|m| m.from == writer || m.to == writer || m.to == Endpoint::Broadcast));

    // Words narrow further, case-insensitively, over the row as shown.
    pane.set_filter("agent:researcher-2 FAILURE");
    let rows = listed(&pane, &ctx);
    assert_eq!(rows.len(), 2, "researcher-2 failed research-market twice by 3 s");
    assert!(rows.iter().all(|m| matches!(m.payload, Payload::Result { error: Some(_), .. })));
    let term = draw(100, 6, |f| pane.render(f, f.area(), &ctx));
    insta::assert_snapshot!(term.backend());

    pane.set_filter("agent:nobody");
    assert_eq!(pane.rows(&ctx), Err("no agent named “nobody”".into()));
}

#[test]
fn a_full_message_list() {
    let fx = crate::tui::panes::fixture::big();
    let ctx = fx.ctx();
    assert_eq!(fx.view.messages.len(), crate::tui::view::MESSAGE_CAPACITY);
    assert!(fx.view.dropped_messages > 0);
    let mut pane = MessagesPane::new();
    pane.set_filter("agent:a500");
    let rows = listed(&pane, &ctx);
    assert!(!rows.is_empty());
    let a = Endpoint::Agent(AgentId(500));
    assert!(rows.iter().all(|m| m.from == a || m.to == a || m.to == Endpoint::Broadcast));
    // Substring over every kept row, and only the visible rows drawn.
    pane.set_filter("t1");
    let term = draw(100, 12, |f| pane.render(f, f.area(), &ctx));
    assert!(term.backend().to_string().contains("dropped"));
    pane.handle(nav(KeyCode::Home), &ctx).used();
    let first = pane.rows(&ctx).unwrap()[0];
    assert_eq!(pane.selection(&ctx), Some(Selection::Message(fx.view.messages[first].msg.id)));
}

#[test]
fn word_matches_stay_right_as_messages_come_and_go() {
    let mut fx = pipeline();
    let mut pane = MessagesPane::new();
    pane.set_filter("research-market");
    let before = listed(&pane, &fx.ctx());
    assert!(before.iter().all(|m| payload_summary(fx.run.coordinator(), &m.payload).contains("research-market")));
    fx.advance(6_000);
    // Drop the oldest few as a full list would.
    fx.view.messages.drain(..4);
    let mut fresh = MessagesPane::new();
    fresh.set_filter("research-market");
    assert_eq!(listed(&pane, &fx.ctx()), listed(&fresh, &fx.ctx()));
    assert!(listed(&pane, &fx.ctx()).len() > before.len() - 4);
}

#[test]
fn says_how_many_were_dropped() {
    let mut fx = pipeline();
    fx.view.dropped_messages = 1234;
    let mut pane = MessagesPane::new();
    pane.set_filter("type:status");
    let term = draw(100, 4, |f| pane.render(f, f.area(), &fx.ctx()));
    insta::assert_snapshot!(term.backend());
}
