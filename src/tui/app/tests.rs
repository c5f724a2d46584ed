//! The console driven the way an operator drives it: key events in, coordinator state and the
//! rendered screen (ratatui's `TestBackend`) checked out.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use crate::core::state::TaskState;
use crate::core::{AgentId, TaskId};
use crate::tui::app::{App, ConsoleOptions, Mode, Popup};
use crate::tui::ui;

mod bindings;
mod live;

fn app_with(opts: ConsoleOptions) -> App {
    let sc = crate::scenario::load(std::path::Path::new("scenarios/research-pipeline.json")).unwrap();
    App::new(sc, opts).unwrap()
}

fn app() -> App {
    app_with(ConsoleOptions::default())
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_event(Event::Key(KeyEvent::from(code)));
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn command(app: &mut App, line: &str) {
    key(app, KeyCode::Char(':'));
    keys(app, line);
    key(app, KeyCode::Enter);
}

pub(crate) fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Runs the clock for `ms` of virtual time at speed 1.
fn advance(app: &mut App, ms: u64) {
    for _ in 0..ms / 50 {
        app.tick(50.0);
    }
}

#[test]
fn the_full_console_at_160x45_and_tabs_at_80x24() {
    let mut a = app();
    advance(&mut a, 3_000);
    insta::assert_snapshot!("console_160x45", screen(&mut a, 160, 45));
    insta::assert_snapshot!("console_80x24", screen(&mut a, 80, 24));
    key(&mut a, KeyCode::Tab);
    let s = screen(&mut a, 80, 24);
    assert!(s.contains("╭ Agents"), "Tab shows the next pane on a small screen:\n{s}");
}

#[test]
fn below_the_minimum_size_a_clear_message() {
    let mut a = app();
    let s = screen(&mut a, 50, 12);
    assert!(s.contains("Terminal too small: 50×12"), "{s}");
}

#[test]
fn space_pauses_the_clock_and_step_advances_one_instant() {
    let mut a = app();
    advance(&mut a, 500);
    key(&mut a, KeyCode::Char(' '));
    assert!(a.coord().state().paused());
    let t = a.run.now();
    advance(&mut a, 5_000);
    assert_eq!(a.run.now(), t, "a paused clock does not move");
    assert!(screen(&mut a, 160, 45).contains("PAUSED"));
    key(&mut a, KeyCode::Char('.'));
    assert!(a.run.now() > t, "step moved to the next instant");
    key(&mut a, KeyCode::Char(' '));
    assert!(!a.coord().state().paused());
    keys(&mut a, "++");
    assert_eq!(a.speed, 4.0);
    key(&mut a, KeyCode::Char('-'));
    assert_eq!(a.speed, 2.0);
}

#[test]
fn commands_act_on_the_run_and_refusals_are_shown() {
    let mut a = app();
    command(&mut a, "hold draft -- waiting for legal");
    assert!(a.coord().state().tasks()[4].held);
    assert!(screen(&mut a, 160, 45).contains("hold draft"));
    command(&mut a, "retry research-ai");
    let s = screen(&mut a, 160, 45);
    assert!(s.contains("retry refused: task `research-ai` is running on `researcher-1`"), "{s}");
    command(&mut a, "reassign research-ai writer");
    assert!(screen(&mut a, 160, 45).contains("lacks the capability"));
    command(&mut a, "frobnicate");
    assert!(screen(&mut a, 160, 45).contains("unknown command `frobnicate`"));
}

#[test]
fn cancel_previews_its_impact_and_needs_a_yes() {
    let mut a = app();
    // The DAG pane starts focused on the first task: research-ai.
    assert_eq!(a.focused_pane().id(), "dag");
    key(&mut a, KeyCode::Char('x'));
    let Some(Popup::Confirm { preview, .. }) = &a.popup else { panic!("no confirmation: {:?}", a.popup) };
    assert_eq!(preview[0], "cancel research-ai: 4 dependents will be skipped");
    insta::assert_snapshot!("confirm_cancel", screen(&mut a, 160, 45));
    key(&mut a, KeyCode::Char('n'));
    assert_eq!(a.coord().state().tasks()[0].state, TaskState::Running);
    key(&mut a, KeyCode::Char('x'));
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.coord().state().tasks()[0].state, TaskState::Failed);
    assert_eq!(a.coord().state().tasks()[6].state, TaskState::Skipped);
}

#[test]
fn reassign_picks_from_capable_agents_only() {
    let mut a = app();
    advance(&mut a, 100);
    key(&mut a, KeyCode::Char('a'));
    let Some(Popup::PickAgent { agents, .. }) = &a.popup else { panic!("{:?}", a.popup) };
    // research-ai needs research + ai: only researcher-1.
    assert_eq!(agents, &vec![AgentId(0)]);
    insta::assert_snapshot!("pick_agent", screen(&mut a, 160, 45));
    key(&mut a, KeyCode::Enter);
    // Running on researcher-1 already: refused with the reason.
    assert!(a.status.as_ref().unwrap().0.contains("already runs on"));
}

#[test]
fn escalate_then_resolve_from_the_inbox() {
    let mut a = app();
    command(&mut a, "hold draft");
    advance(&mut a, 20_000);
    command(&mut a, "escalate draft");
    assert_eq!(a.coord().state().tasks()[4].state, TaskState::Escalated);
    key(&mut a, KeyCode::Char('5'));
    assert_eq!(a.focused_pane().id(), "inbox");
    insta::assert_snapshot!("inbox_with_item", screen(&mut a, 160, 45));
    key(&mut a, KeyCode::Char('o'));
    assert!(matches!(a.popup, Some(Popup::PickResolution { task: TaskId(4), .. })));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter); // done
    assert_eq!(a.coord().state().tasks()[4].state, TaskState::Completed);
}

#[test]
fn agent_keys_crash_drain_and_revive_the_selected_agent() {
    let mut a = app();
    key(&mut a, KeyCode::Char('2'));
    key(&mut a, KeyCode::Down); // researcher-2
    key(&mut a, KeyCode::Char('d'));
    assert!(a.coord().state().agents()[1].draining);
    key(&mut a, KeyCode::Char('c'));
    // Crash asks first (it may interrupt work).
    assert!(matches!(a.popup, Some(Popup::Confirm { .. })));
    key(&mut a, KeyCode::Char('y'));
    assert!(!a.coord().state().agents()[1].alive);
    key(&mut a, KeyCode::Char('v'));
    assert!(a.coord().state().agents()[1].alive);
}

#[test]
fn agent_keys_and_commands_inject_faults_through_the_operator_path() {
    let mut a = app();
    advance(&mut a, 200);
    key(&mut a, KeyCode::Char('2'));
    // `s` opens the command line with the agent filled in; the factor is typed.
    key(&mut a, KeyCode::Char('s'));
    assert_eq!((a.mode, a.cmdline.text.as_str()), (Mode::Command, "slow researcher-1 "));
    keys(&mut a, "3");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.status.as_ref().unwrap().0, "slow researcher-1 ×3");
    // Hang asks first and previews the work that will be lost.
    key(&mut a, KeyCode::Down); // researcher-2
    key(&mut a, KeyCode::Char('H'));
    let Some(Popup::Confirm { preview, .. }) = &a.popup else { panic!("{:?}", a.popup) };
    assert!(preview[0].starts_with("hang researcher-2: it stops answering; its 1 running task is lost"), "{preview:?}");
    key(&mut a, KeyCode::Char('y'));
    key(&mut a, KeyCode::Char('H'));
    assert_eq!(a.status.as_ref().unwrap().0, "hang refused: agent `researcher-2` is already down");
    command(&mut a, "flaky analyst 2");
    assert_eq!(a.status.as_ref().unwrap().0, "flaky refused: the failure rate must be between 0 and 1");
    command(&mut a, "heal");
    assert_eq!(a.status.as_ref().unwrap().0, "heal refused: nothing to change");
    command(&mut a, "partition writer editor");
    assert_eq!(a.status.as_ref().unwrap().0, "partition editor");
    advance(&mut a, 1_000);
    // The console shows what was injected (from the journal's events), though the coordinator
    // does not know it.
    let now = a.run.now();
    let summary = |a: &App, agent| a.sink.view.injected_summary(agent, now, |_| "coordinator".to_string());
    assert_eq!(summary(&a, AgentId(0)), ["slow ×3"]);
    assert_eq!(summary(&a, AgentId(1))[0], "hung");
    let cut = summary(&a, AgentId(4));
    assert_eq!(cut[0], "cut off from the coordinator");
    assert!(cut[1].ends_with("messages lost"), "{cut:?}");
    key(&mut a, KeyCode::Up);
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 45);
    assert!(s.contains("injected") && s.contains("slow ×3"), "{s}");
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('4'));
    assert!(screen(&mut a, 160, 45).contains("lost to faults"));
    command(&mut a, "heal -- drill over");
    assert!(summary(&a, AgentId(4)).iter().all(|s| !s.starts_with("cut off")));
    assert_eq!(a.status.as_ref().unwrap().0, "heal");
    let last = a.sink.view.last_operator_event.as_ref().map(|e| &e.kind);
    let Some(crate::core::EventKind::OperatorAction { action, reason, .. }) = last else { panic!("{last:?}") };
    assert_eq!((*action, reason.as_deref()), (crate::core::OpAction::Heal, Some("drill over")));
    // The coordinator was never told: it still thinks researcher-2 is alive until its silence shows.
    assert!(a.coord().state().agents()[1].alive);
    advance(&mut a, 4_000);
    assert!(a.coord().state().agents()[1].lost, "noticed by the heartbeat timeout");
}

#[test]
fn help_detail_and_filter_popups() {
    let mut a = app();
    advance(&mut a, 1_000);
    key(&mut a, KeyCode::Char('?'));
    insta::assert_snapshot!("help", screen(&mut a, 160, 45));
    key(&mut a, KeyCode::Esc);
    assert!(a.popup.is_none());
    key(&mut a, KeyCode::Enter);
    assert!(matches!(a.popup, Some(Popup::Detail { .. })));
    let s = screen(&mut a, 160, 45);
    assert!(s.contains("research-ai"), "{s}");
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('4'));
    key(&mut a, KeyCode::Char('/'));
    assert_eq!(a.mode, Mode::Filter);
    keys(&mut a, "type:heartbeat");
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 160, 45);
    assert!(s.contains("heartbeat") && !s.contains("task_request"), "{s}");
}

#[test]
fn a_click_focuses_the_pane_under_the_mouse() {
    let mut a = app();
    screen(&mut a, 160, 45); // lays the panes out
    let (_, agents) = *a.areas.iter().find(|(p, _)| a.panes[*p].id() == "agents").unwrap();
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: agents.x + 3,
        row: agents.y + 3,
        modifiers: KeyModifiers::NONE,
    };
    a.handle_event(Event::Mouse(click));
    assert_eq!(a.focused_pane().id(), "agents");
    assert!(matches!(a.selection(), Some(crate::tui::panes::Selection::Agent(_))));
}

#[test]
fn read_only_refuses_every_action_with_that_reason() {
    let mut a = app_with(ConsoleOptions { read_only: true, ..ConsoleOptions::default() });
    key(&mut a, KeyCode::Char(' '));
    assert!(!a.coord().state().paused());
    command(&mut a, "cancel draft");
    assert_eq!(a.coord().state().tasks()[4].state, TaskState::Waiting);
    let s = screen(&mut a, 160, 45);
    assert!(s.contains("cancel: the console is read-only (--read-only)"), "{s}");
    assert!(s.contains("READ-ONLY"));
}

#[test]
fn quitting_an_active_run_asks_first() {
    let mut a = app();
    key(&mut a, KeyCode::Char('q'));
    assert_eq!(a.popup, Some(Popup::Quit));
    key(&mut a, KeyCode::Char('n'));
    assert!(!a.quit);
    key(&mut a, KeyCode::Char('q'));
    key(&mut a, KeyCode::Char('y'));
    assert!(a.quit);
}

#[test]
fn restart_rotates_the_journal_and_starts_over() {
    let dir = crate::scratch::dir("restart");
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("j.jsonl");
    let mut a = app_with(ConsoleOptions { journal: Some(journal.clone()), ..ConsoleOptions::default() });
    advance(&mut a, 2_000);
    key(&mut a, KeyCode::Char('R'));
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.run.now(), 0);
    let old = std::fs::read_to_string(dir.join("j.jsonl.1")).unwrap();
    assert!(old.lines().last().unwrap().contains("\"action\":\"restart\""));
    a.finish().unwrap();
    let new = std::fs::read_to_string(&journal).unwrap();
    assert!(new.starts_with("{\"seq\":0,\"t_ms\":0,\"kind\":\"run_started\""));
}

#[test]
fn every_popup_at_160x45_and_80x24() {
    let mut a = app();
    command(&mut a, "hold draft");
    advance(&mut a, 20_000);
    command(&mut a, "escalate draft");
    let popups = [
        ("help", Popup::Help { scroll: 0 }),
        ("context", Popup::Context { scroll: 0 }),
        ("detail_task", Popup::Detail { sel: crate::tui::panes::Selection::Task(TaskId(1)), scroll: 0 }),
        ("detail_agent", Popup::Detail { sel: crate::tui::panes::Selection::Agent(AgentId(1)), scroll: 0 }),
        ("detail_message", Popup::Detail { sel: crate::tui::panes::Selection::Message(12), scroll: 0 }),
        (
            "confirm",
            Popup::Confirm {
                action: crate::core::OpAction::Cancel(TaskId(4)),
                reason: Some("not needed".into()),
                preview: vec!["cancel draft: 2 dependents will be skipped".into(), "skipped: review, report".into()],
            },
        ),
        ("pick_agent_small", Popup::PickAgent { task: TaskId(4), agents: vec![AgentId(3)], index: 0 }),
        ("pick_resolution", Popup::PickResolution { task: TaskId(4), index: 2 }),
        ("quit", Popup::Quit),
    ];
    for (name, popup) in popups {
        a.popup = Some(popup);
        insta::assert_snapshot!(format!("popup_{name}_160x45"), screen(&mut a, 160, 45));
        insta::assert_snapshot!(format!("popup_{name}_80x24"), screen(&mut a, 80, 24));
    }
}

#[test]
fn popup_scrolling_stops_at_the_end_of_the_content() {
    let mut a = app();
    screen(&mut a, 80, 24);
    key(&mut a, KeyCode::Char('?'));
    for _ in 0..500 {
        key(&mut a, KeyCode::Down);
    }
    let Some(Popup::Help { scroll }) = a.popup else { panic!() };
    assert_eq!(scroll, crate::tui::help::max_scroll(a.screen, &a.opts.settings));
    assert!(scroll > 0, "the help is longer than an 80×24 screen");
    key(&mut a, KeyCode::Up);
    assert_eq!(a.popup, Some(Popup::Help { scroll: scroll - 1 }), "one Up moves back at once");
}

#[test]
fn a_saga_run_shows_its_outcome_in_the_header_and_compensations_beside_their_steps() {
    let sc = crate::scenario::load(std::path::Path::new("scenarios/saga-booking.json")).unwrap();
    let mut a = App::new(sc, ConsoleOptions::default()).unwrap();
    advance(&mut a, 6_000);
    let s = screen(&mut a, 160, 45);
    insta::assert_snapshot!("saga_console_160x45", s);
    assert!(s.contains("saga booking ↺ compensated 2/2"), "{s}");
    assert!(s.contains("✓ hotel ★ ↺ cancel-hotel ✓"), "{s}");
    // Commands on a compensator its saga never needed are refused, with the reason.
    command(&mut a, "cancel cancel-car");
    assert!(screen(&mut a, 160, 45).contains("runs only if its saga fails"));
}

/// Issue 11, class 4: ids of 70 000 characters (over a format width's u16 limit) draw in every
/// pane and detail popup, cut to fit, instead of panicking.
#[test]
fn panics_none_drawing_ids_longer_than_a_format_width() {
    let (task, agent) = ("t".repeat(70_000), "a".repeat(70_000));
    let text = format!(
        r#"{{"name": "long", "seed": 1, "heartbeat_ms": 100,
            "agents": [{{"id": "{agent}", "capabilities": ["x"], "profile": {{"duration_ms": {{"mean": 100}}}}}}],
            "tasks": [{{"id": "{task}", "capability": "x"}}, {{"id": "after", "capability": "x", "depends_on": ["{task}"]}}]}}"#
    );
    let sc = crate::scenario::parse("long.json", &text).unwrap();
    let mut a = App::new(sc, ConsoleOptions::default()).unwrap();
    advance(&mut a, 150);
    for popup in [
        Popup::Detail { sel: crate::tui::panes::Selection::Task(TaskId(0)), scroll: 0 },
        Popup::Detail { sel: crate::tui::panes::Selection::Task(TaskId(1)), scroll: 0 },
        Popup::Detail { sel: crate::tui::panes::Selection::Agent(AgentId(0)), scroll: 0 },
    ] {
        a.popup = Some(popup);
        for (w, h) in [(160, 45), (80, 24)] {
            let shown = screen(&mut a, w, h);
            assert!(shown.contains("ttt"), "{shown}");
        }
    }
}

/// The demo is the first thing a newcomer sees: within about 30 s at speed 1 every pane has
/// something to show, and the run finishes on its own.
#[test]
fn the_demo_lights_up_every_pane_within_30_seconds() {
    let sc = crate::scenario::parse("demo.json", crate::tui::DEMO_SCENARIO).unwrap();
    let mut a = App::new(sc, ConsoleOptions::default()).unwrap();
    let (mut inbox_seen, mut sla_counting) = (false, false);
    for _ in 0..(30_000 / 50) {
        a.tick(50.0);
        let waiting = !a.coord().state().inbox().is_empty();
        inbox_seen |= waiting;
        if waiting && !sla_counting {
            sla_counting = screen(&mut a, 160, 45).contains("SLA");
        }
    }
    let s = a.coord().state();
    assert!(!s.auctions.auctions.is_empty(), "no auction");
    assert!(s.reassignments >= 1, "no crash healed on another agent");
    assert!(inbox_seen && sla_counting, "nothing waited in the inbox with its SLA");
    assert!(!s.votes.ballots.is_empty(), "no ballot");
    assert_eq!(s.finished, Some(crate::core::Outcome::Succeeded), "the demo finishes on its own");
}

/// Keys no other test presses, each checked for what the help says it does.
#[test]
fn keys_not_pressed_elsewhere_do_what_the_help_says() {
    let mut a = app();
    // Pane numbers.
    for (k, pane) in [('3', "auctions_votes"), ('6', "log"), ('1', "dag")] {
        key(&mut a, KeyCode::Char(k));
        assert_eq!(a.focused_pane().id(), pane, "key {k}");
    }
    // `p` holds the selected task and releases it; the selection is a waiting task of layer 2.
    key(&mut a, KeyCode::Right);
    let t = a.selected_task().expect("a task is selected");
    assert_eq!(a.coord().state().tasks()[t.ix()].state, TaskState::Waiting, "{t:?}");
    key(&mut a, KeyCode::Char('p'));
    assert!(a.coord().state().tasks()[t.ix()].held);
    key(&mut a, KeyCode::Char('p'));
    assert!(!a.coord().state().tasks()[t.ix()].held);
    // A waiting task cannot go to the inbox yet: `e` says why.
    key(&mut a, KeyCode::Char('e'));
    assert!(a.status.as_ref().unwrap().0.starts_with("escalate refused"), "{:?}", a.status);
    // Held until its dependencies are done, it waits for the operator: `e` sends it to the inbox.
    key(&mut a, KeyCode::Char('p'));
    advance(&mut a, 20_000);
    key(&mut a, KeyCode::Char('e'));
    if matches!(a.popup, Some(Popup::Confirm { .. })) {
        key(&mut a, KeyCode::Char('y'));
    }
    assert_eq!(a.coord().state().tasks()[t.ix()].state, TaskState::Escalated, "{:?}", a.status);
    // `b` opens the shared context; `b` closes it.
    key(&mut a, KeyCode::Char('b'));
    assert!(matches!(a.popup, Some(Popup::Context { .. })));
    key(&mut a, KeyCode::Char('b'));
    assert!(a.popup.is_none());
    // `f` opens the command line with the selected agent filled in, for its failure rate.
    key(&mut a, KeyCode::Char('2'));
    key(&mut a, KeyCode::Char('f'));
    assert_eq!((a.mode, a.cmdline.text.as_str()), (Mode::Command, "flaky researcher-1 "));
    keys(&mut a, "0.5");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.status.as_ref().unwrap().0, "flaky researcher-1 (failure rate 0.5)");
    // `P` partitions the selected agent (asking first).
    key(&mut a, KeyCode::Char('P'));
    assert!(matches!(a.popup, Some(Popup::Confirm { .. })), "{:?}", a.popup);
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.status.as_ref().unwrap().0, "partition researcher-1");
    // `L` in the Log pane cycles the level it shows.
    key(&mut a, KeyCode::Char('6'));
    let before = screen(&mut a, 160, 45);
    key(&mut a, KeyCode::Char('L'));
    let after = screen(&mut a, 160, 45);
    assert!(before.contains("level ≥ info") && !after.contains("level ≥ info"), "{after}");
    // The mouse wheel moves a pane's selection.
    key(&mut a, KeyCode::Char('2'));
    screen(&mut a, 160, 45);
    let area = a.areas.iter().find(|(p, _)| a.panes[*p].id() == "agents").unwrap().1;
    let selected = a.selected_agent();
    a.handle_event(Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: area.x + 2,
        row: area.y + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_ne!(a.selected_agent(), selected, "the wheel moved the selection");
    // Ctrl-C quits at once.
    a.handle_event(Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert!(a.quit);
}

/// The Auctions & votes pane's keys, pressed: `n` reopens the selected auction, `w` awards the
/// task to the bid under the cursor, and `y` / `n` / `V` decide a ballot.
#[test]
fn auction_and_ballot_keys_act_through_the_operator_path() {
    let load = |name: &str| crate::scenario::load(std::path::Path::new(&format!("scenarios/{name}.json"))).unwrap();
    let mut a = App::new(load("market-auction"), ConsoleOptions::default()).unwrap();
    a.tick(20.0);
    key(&mut a, KeyCode::Char('3'));
    screen(&mut a, 160, 45);
    let batch = a.selected_task().expect("the newest auction is selected");
    assert_eq!(a.coord().task_name(batch), "cheap-batch");
    // The bid under the cursor moves to the second best.
    key(&mut a, KeyCode::Right);
    let t = batch;
    let auction = a.coord().state().auctions().latest(t).unwrap();
    let ranked = crate::protocols::auction::rank(&auction.bids, &a.coord().auction_spec(t).weights);
    let second = ranked[1].0;
    key(&mut a, KeyCode::Char('w'));
    if matches!(a.popup, Some(Popup::Confirm { .. })) {
        key(&mut a, KeyCode::Char('y'));
    }
    let x = a.coord().state().auctions().latest(t).unwrap();
    assert!(
        matches!(x.phase, crate::protocols::auction::Phase::Awarded { agent, by: crate::protocols::auction::AwardBy::Operator, .. } if agent == second),
        "{:?} {:?}",
        x.phase,
        a.status
    );
    // The next auction down, still open: `n` announces it afresh.
    key(&mut a, KeyCode::Down);
    let other = a.selected_task().expect("another auction");
    let rounds = |a: &App| a.coord().state().auctions().auctions.iter().filter(|x| x.task == other).count();
    let before = rounds(&a);
    key(&mut a, KeyCode::Char('n'));
    if matches!(a.popup, Some(Popup::Confirm { .. })) {
        key(&mut a, KeyCode::Char('y'));
    }
    assert_eq!(rounds(&a), before + 1, "reopened: {:?}", a.status);

    // Ballots: consensus-release's release vote, decided by the operator's `y`, then a veto.
    for (k, want) in [('y', "approved"), ('V', "rejected")] {
        let mut b = App::new(load("consensus-release"), ConsoleOptions::default()).unwrap();
        for _ in 0..200 {
            b.tick(10.0);
            if !b.coord().state().votes().ballots.is_empty() {
                break;
            }
        }
        key(&mut b, KeyCode::Char('3'));
        screen(&mut b, 160, 45);
        key(&mut b, KeyCode::Char(k));
        if matches!(b.popup, Some(Popup::Confirm { .. })) {
            key(&mut b, KeyCode::Char('y'));
        }
        let decided = b.sink.view.last_operator_event.as_ref().map(|e| e.kind.name());
        assert_eq!(decided, Some("operator_action"), "key {k}: {:?}", b.status);
        let ballot = b.coord().state().votes().ballots.values().next().expect("a ballot");
        let crate::protocols::vote::Phase::Decided { verdict, reason } = ballot.phase else {
            panic!("{:?}", ballot.phase)
        };
        assert_eq!((verdict.name(), reason.name()), (want, if k == 'V' { "veto" } else { "operator" }), "key {k}");
    }
}

/// `NO_COLOR`: not one cell of the console or a popup has a colour, and what colour showed is
/// still there in bold and reverse video (the selection, the focused pane's title).
#[test]
fn without_colour_nothing_is_coloured_and_the_selection_is_still_seen() {
    use ratatui::style::{Color, Modifier};
    let mut settings = crate::tui::config::Settings::default();
    settings.theme = settings.theme.without_colour();
    let mut a = app_with(ConsoleOptions { settings, ..ConsoleOptions::default() });
    advance(&mut a, 3_000);
    for popup in [None, Some(Popup::Help { scroll: 0 }), Some(Popup::Quit)] {
        a.popup = popup;
        let mut t = Terminal::new(TestBackend::new(160, 45)).unwrap();
        t.draw(|f| ui::draw(f, &mut a)).unwrap();
        let buf = t.backend().buffer();
        let cells = || buf.content().iter();
        assert!(cells().all(|c| c.fg == Color::Reset && c.bg == Color::Reset), "a coloured cell");
        let reversed = cells().filter(|c| c.modifier.contains(Modifier::REVERSED)).count();
        assert!(reversed > 4, "the selected task and the focused pane's title are in reverse video");
    }
}
