//! The attached console without a server: the test holds the far end of its link, feeds it a
//! recorded run's lines as the follower would (decoded one by one) and reads what it sends.

use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent};
use tokio::sync::mpsc;

use super::*;
use crate::journal::JournalWriter;
use crate::journal::reader::LineReader;
use crate::tui::app::tests::screen;

/// A simulated run's journal text.
fn journal(name: &str) -> (Scenario, String) {
    let sc = crate::scenario::load(std::path::Path::new(&format!("scenarios/{name}.json"))).unwrap();
    let mut run = SimRun::new(sc.clone());
    let mut w = JournalWriter::new(Vec::new());
    run.run(&mut w).unwrap();
    (sc, String::from_utf8(w.into_inner().unwrap()).unwrap())
}

/// An attached console and the far ends of its link.
fn attached(sc: &Scenario, read_only: bool) -> (App, mpsc::UnboundedSender<Feed>, mpsc::UnboundedReceiver<String>) {
    let (feed, feed_rx) = mpsc::unbounded_channel();
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let opts = ConsoleOptions { read_only, ..Default::default() };
    let link = Link { feed: feed_rx, commands };
    let app = App::attached(sc.clone(), opts, link, "nats://127.0.0.1:4222".into(), "night".into());
    (app, feed, commands_rx)
}

/// Folds everything fed so far, as the console's loop does.
fn drain(app: &mut App) {
    while let Some(feed) = app.try_feed() {
        app.on_feed(Some(feed));
    }
    app.feed_done();
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_event(TermEvent::Key(KeyEvent::from(code)));
}

fn command(app: &mut App, line: &str) {
    key(app, KeyCode::Char(':'));
    for c in line.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
}

#[test]
fn the_attached_state_is_the_journal_folded_line_by_line() {
    let (sc, text) = journal("crash-storm");
    let events = crate::journal::read_journal(&sc, &text).unwrap();
    let (mut app, feed, _commands) = attached(&sc, false);
    let mut reader = LineReader::new(&sc);
    for (i, line) in text.lines().enumerate() {
        feed.send(Feed::Event(Box::new(reader.read(line).unwrap()))).unwrap();
        // In bursts of uneven sizes, as lines come off the stream.
        if i % 97 == 0 || i + 1 == events.len() {
            drain(&mut app);
            let folded = Coordinator::from_events(sc.clone(), &events[..=i]);
            assert_eq!(app.coord().state().digest(), folded.state().digest(), "after #{i}");
            assert_eq!(app.run.now(), events[i].t_ms);
        }
    }
    assert!(app.coord().is_finished());
    // The panes show what a replay at the last event shows (the header says which console it is).
    let j = crate::journal::file::parse(text.as_bytes()).unwrap();
    let mut replay = App::replaying(&j, ConsoleOptions::default(), j.events.len() - 1);
    let body = |s: String| s.lines().skip(4).collect::<Vec<_>>().join("\n");
    assert_eq!(body(screen(&mut app, 160, 45)), body(screen(&mut replay, 160, 45)));
    let top = screen(&mut app, 160, 45);
    assert!(top.contains("ATTACHED to run night on nats://127.0.0.1:4222"), "{top}");
    assert!(top.contains("FINISHED: succeeded"), "{top}");
}

#[test]
fn actions_are_sent_as_command_lines_and_answers_show_on_the_status_line() {
    let (sc, text) = journal("research-pipeline");
    let (mut app, feed, mut sent) = attached(&sc, false);
    let mut reader = LineReader::new(&sc);
    // The first few events: the run under way, not finished.
    for line in text.lines().take(12) {
        feed.send(Feed::Event(Box::new(reader.read(line).unwrap()))).unwrap();
    }
    drain(&mut app);
    assert!(!app.coord().is_finished());
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(sent.try_recv().unwrap(), "pause");
    assert!(app.status.as_ref().unwrap().0.contains("pause: sent to run night"));
    command(&mut app, "hold draft -- wait for the review");
    assert_eq!(sent.try_recv().unwrap(), "hold draft -- wait for the review");
    command(&mut app, "broadcast @review look at the draft");
    assert_eq!(sent.try_recv().unwrap(), "broadcast @review look at the draft");
    // A destructive action asks first, here as in a local console, then goes.
    command(&mut app, "cancel analysis");
    assert!(matches!(app.popup, Some(Popup::Confirm { .. })), "{:?}", app.popup);
    assert!(sent.try_recv().is_err());
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(sent.try_recv().unwrap(), "cancel analysis");
    // The speed is the served run's: unknown until a `:speed` was journaled.
    key(&mut app, KeyCode::Char('+'));
    assert!(sent.try_recv().is_err());
    assert!(app.status.as_ref().unwrap().0.contains("speed"));
    // The answers.
    let refusal = "release refused: task `fetch` is not held".to_string();
    feed.send(Feed::Answer { accepted: false, message: refusal.clone() }).unwrap();
    drain(&mut app);
    assert_eq!(app.status, Some((refusal, StatusKind::Error)));
    feed.send(Feed::Unanswered { command: "pause".into(), why: "run `night` did not answer within 5 s".into() })
        .unwrap();
    drain(&mut app);
    assert!(app.status.as_ref().unwrap().0.starts_with("pause: not done: run `night` did not answer"));
    // The server goes and comes back: the header says so, what was received stays.
    let before = app.coord().state().digest();
    feed.send(Feed::Link(false)).unwrap();
    drain(&mut app);
    assert!(screen(&mut app, 160, 45).contains("SERVER GONE"));
    assert_eq!(app.coord().state().digest(), before);
    feed.send(Feed::Link(true)).unwrap();
    drain(&mut app);
    assert!(!screen(&mut app, 160, 45).contains("SERVER GONE"));
    // Quitting asks nothing: the served run goes on.
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn a_read_only_console_refuses_actions_without_sending_them() {
    let (sc, text) = journal("research-pipeline");
    let (mut app, feed, mut sent) = attached(&sc, true);
    let mut reader = LineReader::new(&sc);
    for line in text.lines().take(12) {
        feed.send(Feed::Event(Box::new(reader.read(line).unwrap()))).unwrap();
    }
    drain(&mut app);
    key(&mut app, KeyCode::Char(' '));
    command(&mut app, "retry draft");
    command(&mut app, "broadcast hello");
    assert!(sent.try_recv().is_err());
    let status = &app.status.as_ref().unwrap().0;
    assert!(status.contains("read-only"), "{status}");
    assert!(screen(&mut app, 160, 45).contains("READ-ONLY"));
}
