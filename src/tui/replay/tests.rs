//! The replay console driven by keys and commands: the cursor moves as asked, and every pane
//! shows the run exactly as of the event under it.

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent};

use crate::core::{Coordinator, EventKind};
use crate::journal::JournalWriter;
use crate::journal::file::{self, Journal};
use crate::runtime::SimRun;
use crate::tui::app::tests::screen;
use crate::tui::app::{App, ConsoleOptions};

fn journal(name: &str) -> Journal {
    let sc = crate::scenario::load(std::path::Path::new(&format!("scenarios/{name}.json"))).unwrap();
    let mut run = SimRun::new(sc);
    let mut w = JournalWriter::new(Vec::new());
    run.run(&mut w).unwrap();
    file::parse(&w.into_inner().unwrap()).unwrap()
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_event(Event::Key(KeyEvent::from(code)));
}

fn command(app: &mut App, line: &str) {
    key(app, KeyCode::Char(':'));
    for c in line.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
}

fn cursor(app: &App) -> usize {
    app.replay.as_ref().unwrap().cursor()
}

/// The console's coordinator is the journal folded up to the cursor, event included.
fn assert_state_is_the_fold(app: &App, j: &Journal) {
    let at = cursor(app);
    let folded = Coordinator::from_events(j.header.scenario.clone(), &j.events[..=at]);
    assert_eq!(app.coord().state().digest(), folded.state().digest(), "at #{at}");
    assert_eq!(app.run.now(), j.events[at].t_ms);
}

#[test]
fn keys_move_the_cursor_and_the_panes_follow() {
    let j = journal("crash-reassign");
    let mut a = App::replaying(&j, ConsoleOptions::default(), 0);
    assert!(a.opts.read_only);
    assert_eq!(cursor(&a), 0);
    for _ in 0..5 {
        key(&mut a, KeyCode::Char(']'));
    }
    assert_eq!(cursor(&a), 5);
    assert_state_is_the_fold(&a, &j);
    key(&mut a, KeyCode::Char('['));
    assert_eq!(cursor(&a), 4);
    // The next notable event: the crash of builder-1.
    key(&mut a, KeyCode::Char('}'));
    let at = cursor(&a);
    assert!(crate::durable::replay::is_notable(&j.events[at].kind), "{:?}", j.events[at].kind);
    assert!(j.events[5..at].iter().all(|e| !crate::durable::replay::is_notable(&e.kind)));
    assert_state_is_the_fold(&a, &j);
    key(&mut a, KeyCode::End);
    assert_eq!(cursor(&a), j.events.len() - 1);
    assert!(a.coord().is_finished());
    key(&mut a, KeyCode::Char('{'));
    assert!(cursor(&a) < j.events.len() - 1);
    key(&mut a, KeyCode::Home);
    assert_eq!(cursor(&a), 0);
    // Operator keys are refused: a replay is read-only.
    key(&mut a, KeyCode::Char('2'));
    key(&mut a, KeyCode::Char('c'));
    assert_eq!(cursor(&a), 0);
    assert!(a.coord().state().agents().iter().all(|ag| ag.alive));
}

#[test]
fn goto_finds_events_times_tasks_and_the_first_failure() {
    let j = journal("crash-reassign");
    let mut a = App::replaying(&j, ConsoleOptions::default(), 0);
    command(&mut a, "goto #12");
    assert_eq!(cursor(&a), 12);
    command(&mut a, "goto 2s");
    let by_time = j.events.iter().rposition(|e| e.t_ms <= 2000).unwrap();
    assert_eq!(cursor(&a), by_time);
    assert_state_is_the_fold(&a, &j);
    command(&mut a, "goto build-core");
    let last = j.events.iter().rposition(|e| e.kind.task() == Some(crate::core::TaskId(1))).unwrap();
    assert_eq!(cursor(&a), last);
    command(&mut a, "goto failure");
    let first = j.events.iter().position(|e| matches!(e.kind, EventKind::AttemptFailed { .. })).unwrap();
    assert_eq!(cursor(&a), first);
    command(&mut a, "goto nowhere");
    assert_eq!(cursor(&a), first);
    assert!(a.status.as_ref().unwrap().0.contains("goto:"), "{:?}", a.status);
}

#[test]
fn space_plays_forward_on_the_runs_clock_and_stops_at_the_end() {
    let j = journal("crash-reassign");
    let mut a = App::replaying(&j, ConsoleOptions::default(), 0);
    key(&mut a, KeyCode::Char(' '));
    assert!(a.is_advancing());
    a.tick(1000.0);
    let after_a_second = cursor(&a);
    assert!(j.events[after_a_second].t_ms <= 1000 && after_a_second > 0);
    assert_state_is_the_fold(&a, &j);
    for _ in 0..100 {
        a.tick(1000.0);
    }
    assert_eq!(cursor(&a), j.events.len() - 1);
    assert!(!a.is_advancing());
}

#[test]
fn replay_screens_at_several_cursors() {
    let j = journal("crash-reassign");
    let mut a = App::replaying(&j, ConsoleOptions::default(), 0);
    let crash = j.events.iter().position(|e| matches!(e.kind, EventKind::AgentCrashed { .. })).unwrap();
    for (name, at) in [("replay_start", 0), ("replay_crash", crash), ("replay_end", j.events.len() - 1)] {
        a.seek(at);
        let shown = screen(&mut a, 160, 45);
        assert!(shown.contains(&format!("REPLAY #{at}/{}", j.events.len() - 1)), "{shown}");
        insta::assert_snapshot!(name, shown);
    }
}

#[test]
fn fork_at_the_cursor_opens_a_live_paused_run_in_its_own_journal() {
    let j = journal("crash-reassign");
    let dir = crate::scratch::dir("replay-fork");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("run.jsonl");
    let mut w = crate::journal::JournalWriter::create(&source).unwrap();
    let sc = crate::scenario::load(std::path::Path::new("scenarios/crash-reassign.json")).unwrap();
    SimRun::new(sc).run(&mut w).unwrap();
    drop(w);
    let bytes = std::fs::read(&source).unwrap();
    let mut a = App::replaying(&j, ConsoleOptions::default(), 20);
    // Without its file, a replay cannot fork: it says so.
    key(&mut a, KeyCode::Char('F'));
    assert!(a.replay.is_some() && a.status.as_ref().unwrap().0.contains("no journal file"), "{:?}", a.status);
    a.replay.as_mut().unwrap().source = Some((source.clone(), crate::journal::header::sha256_hex(&bytes)));
    command(&mut a, "fork");
    assert!(a.replay.is_none(), "{:?}", a.status);
    assert!(!a.opts.read_only);
    assert!(a.coord().state().paused(), "a fork starts paused");
    let fork_path = dir.join("run.fork-20.jsonl");
    assert_eq!(a.opts.journal.as_deref(), Some(fork_path.as_path()));
    // The operator acts in the fork: crash an agent, then the run goes on to its end.
    a.request(crate::core::OpAction::Crash(crate::core::AgentId(1)), None, true);
    a.request(crate::core::OpAction::Resume, None, true);
    for _ in 0..400 {
        a.tick(100.0);
    }
    a.finish().unwrap();
    assert!(a.coord().is_finished());
    let fork = file::load(&fork_path).unwrap();
    assert_eq!(fork.header.forked_from.as_ref().map(|f| f.1), Some(20));
    // Up to the fork point the fork repeats the source, then the operator's pause and crash.
    let src = String::from_utf8(bytes).unwrap();
    let forked = std::fs::read_to_string(&fork_path).unwrap();
    assert!(src.lines().skip(1).take(20).eq(forked.lines().skip(1).take(20)));
    assert!(forked.contains("\"action\":\"pause\"") && forked.contains("\"action\":\"crash\""));
}

#[test]
fn a_journal_still_being_written_is_followed() {
    let dir = crate::scratch::dir("replay-grow");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("growing.jsonl");
    let sc = crate::scenario::load(std::path::Path::new("scenarios/crash-reassign.json")).unwrap();
    let mut w = JournalWriter::new(Vec::new());
    SimRun::new(sc).run(&mut w).unwrap();
    let whole = w.into_inner().unwrap();
    let half = whole[..whole.len() / 2].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    std::fs::write(&path, &whole[..half]).unwrap();
    let j = file::load(&path).unwrap();
    let mut a = App::replaying(&j, ConsoleOptions::default(), 0);
    a.replay.as_mut().unwrap().source = Some((path.clone(), String::new()));
    key(&mut a, KeyCode::End);
    let first_end = cursor(&a);
    assert_eq!(first_end, j.events.len() - 1);
    // The run writes on; End reads the rest.
    std::fs::write(&path, &whole).unwrap();
    key(&mut a, KeyCode::End);
    let all = file::parse(&whole).unwrap();
    assert_eq!(cursor(&a), all.events.len() - 1);
    assert!(a.coord().is_finished());
    // Playing at the end of a growing journal follows it rather than stopping.
    std::fs::write(&path, &whole[..half]).unwrap();
    let mut b = App::replaying(&j, ConsoleOptions::default(), j.events.len() - 1);
    b.replay.as_mut().unwrap().source = Some((path.clone(), String::new()));
    key(&mut b, KeyCode::Char(' '));
    assert!(!b.is_advancing(), "at the end, nothing to play");
    b.replay.as_mut().unwrap().playing = true;
    b.tick(100.0);
    assert!(b.is_advancing(), "not finished: it waits for more");
    std::fs::write(&path, &whole).unwrap();
    for _ in 0..200 {
        b.tick(100.0);
    }
    assert_eq!(cursor(&b), all.events.len() - 1);
    assert!(!b.is_advancing());
}
