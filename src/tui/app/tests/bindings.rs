//! Every binding of the keymap, pressed: for each action, each of its keys is sent to an app set
//! up where the action means something, and what it produced (a command, a popup, a change of the
//! run or of the screen) is checked. The table has a case per action; a binding without one fails
//! the test, so a new key cannot be forgotten.

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent};

use super::{advance, app, command, keys, screen};
use crate::core::state::TaskState;
use crate::core::{AgentId, OpAction, TaskId};
use crate::protocols::auction::{AwardBy, Phase as AuctionPhase};
use crate::protocols::vote::{Phase as BallotPhase, Verdict};
use crate::tui::app::{App, ConsoleOptions, Mode, Popup};
use crate::tui::keymap::{Action, Context, Keymap};
use crate::tui::panes::Selection;

/// Presses the key under test.
type Press<'a> = &'a dyn Fn(&mut App);

/// A case: sets up an app, presses, checks.
type Case = fn(Press);

#[test]
fn every_binding_does_what_the_help_says() {
    let keymap = Keymap::default();
    let mut failed = Vec::new();
    for b in keymap.bindings() {
        assert!(!b.keys.is_empty(), "`{}` has no key by default", b.name);
        // A pane's focus action is checked the same way for every pane.
        let case: Box<dyn Fn(Press)> = match b.action {
            Action::Focus(i) => Box::new(move |press| focus(i, press)),
            action => {
                let Some(&(_, case)) = CASES.iter().find(|(a, _)| *a == action) else {
                    panic!("`{}` has no case in this test: add one to CASES", b.name);
                };
                Box::new(case)
            }
        };
        for &k in &b.keys {
            let press = move |a: &mut App| {
                a.handle_event(Event::Key(k.event()));
            };
            // Every binding is tried; the failures are named together at the end.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&press))).is_err() {
                failed.push(format!("`{}` pressed as `{k}`", b.name));
            }
        }
    }
    assert!(failed.is_empty(), "did not do what they should: {}", failed.join(", "));
}

/// Every action has at most one case (a duplicate would hide one of them).
#[test]
fn the_table_has_one_case_per_action() {
    for (i, (a, _)) in CASES.iter().enumerate() {
        assert!(CASES[i + 1..].iter().all(|(b, _)| b != a), "{a:?} twice");
    }
}

const CASES: &[(Action, Case)] = &[
    (Action::QuitNow, quit_now),
    (Action::Quit, quit),
    (Action::Help, help),
    (Action::SharedContext, shared_context),
    (Action::NextPane, next_pane),
    (Action::PreviousPane, previous_pane),
    (Action::Open, open),
    (Action::Clear, clear),
    (Action::Command, command_line),
    (Action::Filter, filter),
    (Action::Up, up),
    (Action::Down, down),
    (Action::Left, left),
    (Action::Right, right),
    (Action::PageUp, page_up),
    (Action::PageDown, page_down),
    (Action::First, first),
    (Action::Last, last),
    (Action::Pause, pause),
    (Action::Step, step),
    (Action::Faster, faster),
    (Action::Slower, slower),
    (Action::Restart, restart),
    (Action::EventBack, event_back),
    (Action::EventForward, event_forward),
    (Action::NotableBack, notable_back),
    (Action::NotableForward, notable_forward),
    (Action::Fork, fork),
    (Action::Hold, hold),
    (Action::Retry, retry),
    (Action::Reassign, reassign),
    (Action::Escalate, escalate),
    (Action::Cancel, cancel),
    (Action::Resolve, resolve),
    (Action::Crash, crash),
    (Action::Revive, revive),
    (Action::Drain, drain),
    (Action::Hang, hang),
    (Action::Slow, slow),
    (Action::Flaky, flaky),
    (Action::Partition, partition),
    (Action::SwitchHalf, switch_half),
    (Action::Award, award),
    (Action::Reopen, reopen),
    (Action::VoteYes, vote_yes),
    (Action::VoteNo, vote_no),
    (Action::Veto, veto),
    (Action::LogLevel, log_level),
    (Action::ClosePopup, close_popup),
    (Action::Pick, pick),
    (Action::Dismiss, dismiss),
    (Action::Confirm, confirm),
    (Action::Decline, decline),
    (Action::LineSubmit, line_submit),
    (Action::LineClose, line_close),
    (Action::LineComplete, line_complete),
    (Action::LineHistoryBack, line_history_back),
    (Action::LineHistoryForward, line_history_forward),
    (Action::LineDelete, line_delete),
];

// ---- set-ups

/// research-pipeline at 0 with the pane `id` focused (the DAG selects research-ai, running on
/// researcher-1; the Agents pane selects researcher-1).
fn on(id: &str) -> App {
    let mut a = app();
    a.focus = a.pane_index(id).unwrap();
    a
}

fn load(name: &str) -> App {
    let sc = crate::scenario::load(std::path::Path::new(&format!("scenarios/{name}.json"))).unwrap();
    App::new(sc, ConsoleOptions::default()).unwrap()
}

/// Selects the task named `name` in the DAG, by filtering on it.
fn select_in_dag(a: &mut App, name: &str) {
    a.focus = a.pane_index("dag").unwrap();
    a.panes[a.focus].set_filter(name);
    assert_eq!(a.selected_task().map(|t| a.coord().task_name(t).to_string()).as_deref(), Some(name));
}

/// draft held until its dependencies are done, then sent to the inbox, which has the focus.
fn inbox_item() -> App {
    let mut a = app();
    command(&mut a, "hold draft");
    advance(&mut a, 20_000);
    command(&mut a, "escalate draft");
    a.focus = a.pane_index("inbox").unwrap();
    assert_eq!(a.selected_task(), Some(TaskId(4)));
    a
}

/// A replay of crash-reassign with its cursor on event 10.
fn replay() -> App {
    let sc = crate::scenario::load(std::path::Path::new("scenarios/crash-reassign.json")).unwrap();
    let mut run = crate::runtime::SimRun::new(sc);
    let mut w = crate::journal::JournalWriter::new(Vec::new());
    run.run(&mut w).unwrap();
    let journal = crate::journal::file::parse(&w.into_inner().unwrap()).unwrap();
    App::replaying(&journal, ConsoleOptions::default(), 10)
}

fn cursor(a: &App) -> usize {
    a.replay.as_ref().unwrap().cursor()
}

/// market-auction just after its first auctions opened, the Auctions & votes pane focused.
fn auctions() -> App {
    let mut a = load("market-auction");
    a.tick(20.0);
    a.focus = a.pane_index("auctions_votes").unwrap();
    a
}

/// consensus-release once its ballots are open, the Auctions & votes pane focused.
fn ballots() -> App {
    let mut a = load("consensus-release");
    while a.coord().state().votes().ballots.is_empty() {
        a.tick(10.0);
    }
    a.focus = a.pane_index("auctions_votes").unwrap();
    a
}

/// Answers yes when a destructive action asks first.
fn yes_if_asked(a: &mut App) {
    if matches!(a.popup, Some(Popup::Confirm { .. })) {
        a.handle_event(Event::Key(KeyEvent::from(KeyCode::Char('y'))));
    }
}

fn asked(a: &App) -> Option<OpAction> {
    match &a.popup {
        Some(Popup::Confirm { action, .. }) => Some(*action),
        _ => None,
    }
}

fn agent_selected(a: &App) -> Option<AgentId> {
    match a.selection() {
        Some(Selection::Agent(id)) => Some(id),
        _ => None,
    }
}

fn status(a: &App) -> &str {
    a.status.as_ref().map_or("", |s| s.0.as_str())
}

// ---- the console

fn quit_now(press: Press) {
    let mut a = app();
    a.popup = Some(Popup::Help { scroll: 0 });
    press(&mut a);
    assert!(a.quit, "quits at once, even from a popup");
}

fn quit(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.popup, Some(Popup::Quit), "an active run asks first");
}

fn help(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.popup, Some(Popup::Help { scroll: 0 }));
}

fn shared_context(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.popup, Some(Popup::Context { scroll: 0 }));
}

fn next_pane(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.focused_pane().id(), "agents");
}

fn previous_pane(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.focus, a.panes.len() - 1, "from the first pane, round to the last");
}

/// `focus_<pane>`: the pane at position `i` takes the focus.
fn focus(i: usize, press: Press) {
    let mut a = app();
    a.focus = (i + 1) % a.panes.len();
    press(&mut a);
    assert_eq!(a.focus, i);
}

fn open(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.popup, Some(Popup::Detail { sel: Selection::Task(TaskId(0)), scroll: 0 }));
}

fn clear(press: Press) {
    let mut a = on("messages");
    command(&mut a, "filter type:heartbeat");
    a.status = Some(("something".into(), crate::tui::app::StatusKind::Info));
    press(&mut a);
    assert!(a.filter_text.is_empty() && a.status.is_none());
}

fn command_line(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.mode, Mode::Command);
}

fn filter(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.mode, Mode::Filter);
}

// ---- moving around

fn up(press: Press) {
    let mut a = on("agents");
    a.act(Action::Down);
    press(&mut a);
    assert_eq!(agent_selected(&a), Some(AgentId(0)));
    // In a popup, it scrolls.
    screen(&mut a, 80, 24);
    a.popup = Some(Popup::Help { scroll: 3 });
    press(&mut a);
    assert_eq!(a.popup, Some(Popup::Help { scroll: 2 }));
}

fn down(press: Press) {
    let mut a = on("agents");
    press(&mut a);
    assert_eq!(agent_selected(&a), Some(AgentId(1)));
    screen(&mut a, 80, 24);
    a.popup = Some(Popup::Help { scroll: 0 });
    press(&mut a);
    assert_eq!(a.popup, Some(Popup::Help { scroll: 1 }));
}

fn left(press: Press) {
    let mut a = on("dag");
    a.act(Action::Right);
    assert_ne!(a.selected_task(), Some(TaskId(0)));
    press(&mut a);
    assert_eq!(a.selected_task(), Some(TaskId(0)), "back to the first layer");
}

fn right(press: Press) {
    let mut a = on("dag");
    press(&mut a);
    let t = a.selected_task().unwrap();
    assert!(a.coord().workflow().dependencies(t).count() > 0, "a task of the next layer");
}

fn page_up(press: Press) {
    let mut a = on("agents");
    screen(&mut a, 160, 45);
    a.act(Action::Last);
    press(&mut a);
    assert_eq!(agent_selected(&a), Some(AgentId(0)), "five agents fit a page");
}

fn page_down(press: Press) {
    let mut a = on("agents");
    screen(&mut a, 160, 45);
    press(&mut a);
    assert_eq!(agent_selected(&a), Some(AgentId(4)));
}

fn first(press: Press) {
    let mut a = on("agents");
    a.act(Action::Last);
    press(&mut a);
    assert_eq!(agent_selected(&a), Some(AgentId(0)));
    // In a replay, the first event.
    let mut r = replay();
    press(&mut r);
    assert_eq!(cursor(&r), 0);
}

fn last(press: Press) {
    let mut a = on("agents");
    press(&mut a);
    assert_eq!(agent_selected(&a), Some(AgentId(4)));
    let mut r = replay();
    press(&mut r);
    assert_eq!(cursor(&r), r.replay.as_ref().unwrap().total() - 1);
}

// ---- the run

fn pause(press: Press) {
    let mut a = app();
    press(&mut a);
    assert!(a.coord().state().paused());
    let mut r = replay();
    press(&mut r);
    assert!(r.is_advancing(), "in a replay it plays");
}

fn step(press: Press) {
    let mut a = app();
    a.act(Action::Pause);
    press(&mut a);
    assert!(a.run.now() > 0, "the clock moved to the next instant");
}

fn faster(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.speed, 2.0);
}

fn slower(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(a.speed, 0.5);
}

fn restart(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(asked(&a), Some(OpAction::Restart));
}

// ---- a replay

fn event_back(press: Press) {
    let mut a = replay();
    press(&mut a);
    assert_eq!(cursor(&a), 9);
}

fn event_forward(press: Press) {
    let mut a = replay();
    press(&mut a);
    assert_eq!(cursor(&a), 11);
}

fn notable_back(press: Press) {
    let mut a = replay();
    a.act(Action::Last);
    let end = cursor(&a);
    press(&mut a);
    let events = a.replay.as_ref().unwrap();
    assert!(cursor(&a) < end && crate::durable::replay::is_notable(&events.event().kind));
}

fn notable_forward(press: Press) {
    let mut a = replay();
    press(&mut a);
    assert!(cursor(&a) > 10 && crate::durable::replay::is_notable(&a.replay.as_ref().unwrap().event().kind));
}

fn fork(press: Press) {
    let mut a = replay();
    press(&mut a);
    assert!(status(&a).starts_with("fork: this replay has no journal file"), "{}", status(&a));
}

// ---- the selected task

fn hold(press: Press) {
    let mut a = app();
    select_in_dag(&mut a, "draft");
    press(&mut a);
    assert!(a.coord().state().tasks()[4].held);
    press(&mut a);
    assert!(!a.coord().state().tasks()[4].held, "pressed again, it releases");
}

fn retry(press: Press) {
    let mut a = app();
    a.request(OpAction::Cancel(TaskId(0)), None, true);
    assert_eq!(a.coord().state().tasks()[0].state, TaskState::Failed);
    press(&mut a);
    assert_ne!(a.coord().state().tasks()[0].state, TaskState::Failed, "{}", status(&a));
}

fn reassign(press: Press) {
    let mut a = app();
    press(&mut a);
    assert!(matches!(a.popup, Some(Popup::PickAgent { task: TaskId(0), .. })), "{:?}", a.popup);
}

fn escalate(press: Press) {
    let mut a = app();
    command(&mut a, "hold draft");
    advance(&mut a, 20_000);
    select_in_dag(&mut a, "draft");
    press(&mut a);
    yes_if_asked(&mut a);
    assert_eq!(a.coord().state().tasks()[4].state, TaskState::Escalated, "{}", status(&a));
}

fn cancel(press: Press) {
    let mut a = app();
    press(&mut a);
    assert_eq!(asked(&a), Some(OpAction::Cancel(TaskId(0))));
}

fn resolve(press: Press) {
    let mut a = inbox_item();
    press(&mut a);
    assert!(matches!(a.popup, Some(Popup::PickResolution { task: TaskId(4), .. })), "{:?}", a.popup);
}

// ---- the selected agent

fn crash(press: Press) {
    let mut a = on("agents");
    press(&mut a);
    assert_eq!(asked(&a), Some(OpAction::Crash(AgentId(0))));
}

fn revive(press: Press) {
    let mut a = on("agents");
    a.request(OpAction::Crash(AgentId(0)), None, true);
    press(&mut a);
    assert!(a.coord().state().agents()[0].alive);
}

fn drain(press: Press) {
    let mut a = on("agents");
    press(&mut a);
    assert!(a.coord().state().agents()[0].draining);
}

fn hang(press: Press) {
    let mut a = on("agents");
    press(&mut a);
    assert_eq!(asked(&a), Some(OpAction::Hang(AgentId(0))), "researcher-1 runs research-ai: it asks");
}

fn slow(press: Press) {
    let mut a = on("agents");
    press(&mut a);
    assert_eq!((a.mode, a.cmdline.text.as_str()), (Mode::Command, "slow researcher-1 "));
}

fn flaky(press: Press) {
    let mut a = on("agents");
    press(&mut a);
    assert_eq!((a.mode, a.cmdline.text.as_str()), (Mode::Command, "flaky researcher-1 "));
}

fn partition(press: Press) {
    let mut a = on("agents");
    press(&mut a);
    assert_eq!(asked(&a), Some(OpAction::Partition(AgentId(0))));
}

// ---- the Auctions & votes pane

fn switch_half(press: Press) {
    let sc = crate::scenario::parse("demo.json", crate::tui::DEMO_SCENARIO).unwrap();
    let mut a = App::new(sc, ConsoleOptions::default()).unwrap();
    while a.coord().state().votes().ballots.is_empty() || a.coord().state().auctions().is_empty() {
        a.tick(50.0);
    }
    a.focus = a.pane_index("auctions_votes").unwrap();
    assert!(a.contexts().contains(&Context::Auctions));
    press(&mut a);
    assert!(a.contexts().contains(&Context::Votes), "the ballots have the keys");
}

fn award(press: Press) {
    let mut a = auctions();
    let t = a.selected_task().unwrap();
    let best = a.coord().state().auctions().latest(t).unwrap();
    let best = crate::protocols::auction::rank(&best.bids, &a.coord().auction_spec(t).weights)[0].0;
    press(&mut a);
    yes_if_asked(&mut a);
    let x = a.coord().state().auctions().latest(t).unwrap();
    assert!(
        matches!(x.phase, AuctionPhase::Awarded { agent, by: AwardBy::Operator, .. } if agent == best),
        "{:?}",
        x.phase
    );
}

fn reopen(press: Press) {
    let mut a = auctions();
    let t = a.selected_task().unwrap();
    let rounds = |a: &App| a.coord().state().auctions().auctions.iter().filter(|x| x.task == t).count();
    let before = rounds(&a);
    press(&mut a);
    yes_if_asked(&mut a);
    assert_eq!(rounds(&a), before + 1, "{}", status(&a));
}

/// The release vote decided by a key: `want` is the verdict and why.
fn decided(press: Press, want: (Verdict, &str)) {
    let mut a = ballots();
    press(&mut a);
    yes_if_asked(&mut a);
    let ballot = a.coord().state().votes().ballots.values().next().unwrap();
    let BallotPhase::Decided { verdict, reason } = ballot.phase else { panic!("{:?}", ballot.phase) };
    assert_eq!((verdict, reason.name()), want);
}

fn vote_yes(press: Press) {
    decided(press, (Verdict::Approved, "operator"));
}

fn vote_no(press: Press) {
    decided(press, (Verdict::Rejected, "operator"));
}

fn veto(press: Press) {
    decided(press, (Verdict::Rejected, "veto"));
}

fn log_level(press: Press) {
    let mut a = on("log");
    assert!(screen(&mut a, 160, 45).contains("level ≥ info"));
    press(&mut a);
    assert!(screen(&mut a, 160, 45).contains("level ≥ debug"));
}

// ---- popups, pickers, questions

fn close_popup(press: Press) {
    let mut a = app();
    a.popup = Some(Popup::Context { scroll: 0 });
    press(&mut a);
    assert_eq!(a.popup, None);
}

fn pick(press: Press) {
    let mut a = inbox_item();
    a.popup = Some(Popup::PickResolution { task: TaskId(4), index: 2 });
    press(&mut a);
    assert_eq!(a.coord().state().tasks()[4].state, TaskState::Completed, "resolved as done");
}

fn dismiss(press: Press) {
    let mut a = app();
    a.act(Action::Reassign);
    press(&mut a);
    assert_eq!(a.popup, None);
    assert!(a.status.is_none(), "nothing was asked of the run");
}

fn confirm(press: Press) {
    let mut a = app();
    a.act(Action::Cancel);
    press(&mut a);
    assert_eq!(a.coord().state().tasks()[0].state, TaskState::Failed);
    // The quit question too.
    a.popup = Some(Popup::Quit);
    press(&mut a);
    assert!(a.quit);
}

fn decline(press: Press) {
    let mut a = app();
    a.act(Action::Cancel);
    press(&mut a);
    assert_eq!((a.popup.as_ref(), status(&a)), (None, "cancel not done"));
    assert_eq!(a.coord().state().tasks()[0].state, TaskState::Running);
}

// ---- the command line and the filter

fn line_submit(press: Press) {
    let mut a = app();
    a.act(Action::Command);
    keys(&mut a, "pause");
    press(&mut a);
    assert!(a.coord().state().paused() && a.mode == Mode::Normal);
}

fn line_close(press: Press) {
    let mut a = on("messages");
    a.act(Action::Filter);
    keys(&mut a, "type:status");
    press(&mut a);
    assert!(a.mode == Mode::Normal && a.filter_text.is_empty(), "a filter closed is cleared");
}

fn line_complete(press: Press) {
    let mut a = app();
    a.act(Action::Command);
    keys(&mut a, "paus");
    press(&mut a);
    assert_eq!(a.cmdline.text, "pause ");
}

fn line_history_back(press: Press) {
    let mut a = app();
    command(&mut a, "speed 2");
    a.act(Action::Command);
    press(&mut a);
    assert_eq!(a.cmdline.text, "speed 2");
}

fn line_history_forward(press: Press) {
    let mut a = app();
    command(&mut a, "speed 2");
    command(&mut a, "speed 4");
    a.act(Action::Command);
    for _ in 0..2 {
        a.handle_event(Event::Key(KeyEvent::from(KeyCode::Up)));
    }
    assert_eq!(a.cmdline.text, "speed 2");
    press(&mut a);
    assert_eq!(a.cmdline.text, "speed 4");
}

fn line_delete(press: Press) {
    let mut a = app();
    a.act(Action::Command);
    keys(&mut a, "ab");
    press(&mut a);
    assert_eq!(a.cmdline.text, "a");
    press(&mut a);
    press(&mut a);
    assert_eq!(a.mode, Mode::Normal, "on an empty line it closes");
}
