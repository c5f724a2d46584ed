//! End to end: the real binary in a real terminal (tmux), driven by keys like an operator would,
//! checked on the captured screen, in the journal, and in the terminal state after it quits.
//! `.ci/run` installs tmux when it is missing.

#[path = "support/scratch.rs"]
mod scratch;

use std::path::PathBuf;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

#[path = "support/tmux.rs"]
mod tmux;
use tmux::{Session, capture, send, tmux, wait_for};

fn tmp(name: &str) -> PathBuf {
    let dir = scratch::dir("e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn operator_pauses_steps_retries_reads_help_and_quits_with_the_terminal_restored() {
    let scenario = tmp("flaky.json");
    std::fs::write(
        &scenario,
        r#"{"name": "e2e-flaky", "seed": 1, "heartbeat_ms": 0,
            "agents": [{"id": "doomed", "capabilities": ["x"],
                        "profile": {"duration_ms": {"mean": 4000, "jitter": 0}, "failure_rate": 1.0}}],
            "tasks": [{"id": "flaky", "capability": "x", "retry": {"max_attempts": 1}},
                      {"id": "after", "capability": "x", "depends_on": ["flaky"]}]}"#,
    )
    .unwrap();
    let journal = tmp("e2e.jsonl");
    let session = Session(format!("switchyard-e2e-{}", std::process::id()));
    let cmd = format!(
        "{} run {} --journal {}; echo EXITED:$?; sleep 60",
        env!("CARGO_BIN_EXE_switchyard"),
        scenario.display(),
        journal.display()
    );
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);

    wait_for(&session, "RUNNING");
    assert_eq!(tmux(&["display-message", "-p", "-t", &session.0, "#{alternate_on}"]).trim(), "1");

    send(&session, &["Space"]);
    wait_for(&session, "PAUSED");
    // Single step: the next thing that happens is the attempt failing at 4 s.
    send(&session, &["."]);
    let screen = wait_for(&session, "step to 0:04.000");
    assert!(screen.contains("1 failed"), "{screen}");

    // The DAG pane has the focus and `flaky` (the first task) selected: retry it.
    send(&session, &["r"]);
    wait_for(&session, "retry flaky");

    // The help is generated from the keymap; the task keys are a page down.
    send(&session, &["?"]);
    let help = wait_for(&session, "Help");
    assert!(help.contains("quit (asks first while the run is active)"), "{help}");
    send(&session, &["NPage", "NPage"]);
    wait_for(&session, "reassign to an agent chosen from a list");
    send(&session, &["Escape"]);

    // The run is active again (retried), so quitting asks first.
    send(&session, &["q"]);
    wait_for(&session, "Quit anyway?");
    send(&session, &["y"]);
    let after = wait_for(&session, "EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
    assert_eq!(tmux(&["display-message", "-p", "-t", &session.0, "#{alternate_on}"]).trim(), "0");
    assert_eq!(tmux(&["display-message", "-p", "-t", &session.0, "#{cursor_flag}"]).trim(), "1");

    let text = std::fs::read_to_string(&journal).unwrap();
    for needle in [
        "\"kind\":\"run_paused\"",
        "\"action\":\"step\"",
        "\"kind\":\"task_failed\"",
        "\"action\":\"retry\"",
        "\"kind\":\"task_reopened\",\"task\":\"flaky\"",
        "\"kind\":\"task_reopened\",\"task\":\"after\"",
    ] {
        assert!(text.contains(needle), "journal lacks {needle}:\n{text}");
    }
}

#[path = "support/procs.rs"]
mod procs;

/// The switchyard process running in the session's pane (a child of the pane's shell).
fn switchyard_pid(s: &Session) -> u32 {
    let shell: u32 = tmux(&["display-message", "-p", "-t", &s.0, "#{pane_pid}"]).trim().parse().unwrap();
    let start = Instant::now();
    loop {
        for entry in std::fs::read_dir("/proc").expect("this test needs /proc (Linux) to find switchyard").flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if procs::parent(pid) == Some(shell) && cmd.starts_with(env!("CARGO_BIN_EXE_switchyard").as_bytes()) {
                return pid;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no switchyard under the pane's shell {shell}");
        sleep(Duration::from_millis(50));
    }
}

/// Issue 11, class 2: SIGTERM to a console with a live run records `run_interrupted`, stops the
/// agents, restores the terminal and exits 143.
#[test]
fn signals_sigterm_stops_the_console_with_the_terminal_restored() {
    let dir = procs::temp_dir("signals-console");
    let mark = procs::mark("signals-console");
    let agent = procs::sh_agent("worker", &mark, "descend; DELAY=30 answer \"$1\"");
    let scenario = procs::write_scenario(&dir, &[agent], 2, r#""heartbeat_ms": 0,"#);
    let journal = dir.join("console.jsonl");
    let session = Session(format!("switchyard-e2e-signal-{}", std::process::id()));
    let cmd = format!(
        "{} run {} --journal {}; echo EXITED:$?; sleep 60",
        env!("CARGO_BIN_EXE_switchyard"),
        scenario.display(),
        journal.display()
    );
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);
    wait_for(&session, "RUNNING");
    // The console writes its journal step by step: the attempt is there while the run goes on.
    procs::wait_for_line(&journal, "attempt_started", Duration::from_secs(20));
    procs::signal(switchyard_pid(&session), "TERM");
    let after = wait_for(&session, "EXITED:");
    let left = procs::wait_all_gone(&mark, Duration::from_secs(5));
    procs::kill_marked(&mark);
    assert!(after.contains("EXITED:143"), "{after}");
    assert!(after.contains("stopped by SIGTERM"), "{after}");
    assert_eq!(tmux(&["display-message", "-p", "-t", &session.0, "#{alternate_on}"]).trim(), "0");
    assert_eq!(tmux(&["display-message", "-p", "-t", &session.0, "#{cursor_flag}"]).trim(), "1");
    assert!(left.is_empty(), "agents outlived the console: {left:#?}");
    let lines = procs::journal_lines(&journal);
    assert_eq!(lines.last().unwrap()["kind"], "run_interrupted");
    assert_eq!(lines.last().unwrap()["signal"], "SIGTERM");
}

/// Issue 12: the replay console in a real terminal: `]` / `[` move the cursor, `:goto` jumps, the
/// header says where it is, `q` quits with the terminal restored.
#[test]
fn replay_console_moves_its_cursor_with_keys_and_goto() {
    let journal = tmp("replay.jsonl");
    let scenario = format!("{}/scenarios/crash-reassign.json", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["run", &scenario, "--headless", "--journal", journal.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let last = std::fs::read_to_string(&journal).unwrap().lines().count() - 1;
    let session = Session(format!("switchyard-e2e-replay-{}", std::process::id()));
    let cmd = format!("{} replay {}; echo EXITED:$?; sleep 60", env!("CARGO_BIN_EXE_switchyard"), journal.display());
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);
    wait_for(&session, &format!("REPLAY #0/{last}  run_started"));
    send(&session, &["]", "]", "]"]);
    wait_for(&session, &format!("REPLAY #3/{last}"));
    send(&session, &["["]);
    wait_for(&session, &format!("REPLAY #2/{last}"));
    send(&session, &[":goto #29", "Enter"]);
    let screen = wait_for(&session, &format!("REPLAY #29/{last}  agent_crashed"));
    assert!(screen.contains("READ-ONLY"), "{screen}");
    send(&session, &[":goto failure", "Enter"]);
    wait_for(&session, "attempt_failed");
    send(&session, &["End"]);
    wait_for(&session, &format!("REPLAY #{last}/{last}  run_finished"));
    send(&session, &["q"]);
    let after = wait_for(&session, "EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
    assert_eq!(tmux(&["display-message", "-p", "-t", &session.0, "#{alternate_on}"]).trim(), "0");
}

/// Issue 12: `resume` without `--headless` opens the console on the resumed run, which goes on
/// appending to the same journal: it ends as the uninterrupted run did.
#[test]
fn resume_opens_the_console_and_the_run_ends_as_uninterrupted() {
    let full = tmp("resume-full.jsonl");
    let scenario = format!("{}/scenarios/crash-reassign.json", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["run", &scenario, "--headless", "--journal", full.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&full).unwrap();
    // Cut mid-line, late in the run (4.9 s of virtual time to go at speed 1 would be slow).
    let cut = tmp("resume-cut.jsonl");
    let at = text[..text.len() * 9 / 10].rfind('\n').unwrap() + 5;
    std::fs::write(&cut, &text[..at]).unwrap();
    let session = Session(format!("switchyard-e2e-resume-{}", std::process::id()));
    let cmd = format!("{} resume {}; echo EXITED:$?; sleep 60", env!("CARGO_BIN_EXE_switchyard"), cut.display());
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);
    wait_for(&session, "FINISHED: succeeded");
    send(&session, &["q"]);
    let after = wait_for(&session, "EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
    assert_eq!(std::fs::read_to_string(&cut).unwrap(), text, "the resumed journal is the uninterrupted one");
}

/// The screen with its colours and attributes, as tmux keeps them (SGR escapes).
fn capture_with_escapes(s: &Session) -> String {
    tmux(&["capture-pane", "-e", "-p", "-t", &s.0])
}

/// The parameters of every SGR escape (`ESC [ … m`) in `screen`.
fn sgr_params(screen: &str) -> Vec<Vec<u32>> {
    screen
        .split("\x1b[")
        .skip(1)
        .filter_map(|rest| rest.split_once('m').map(|(params, _)| params))
        .filter(|params| params.chars().all(|c| c.is_ascii_digit() || c == ';'))
        .map(|params| params.split(';').filter_map(|p| p.parse().ok()).collect())
        .collect()
}

/// Whether an SGR sets a foreground or background colour (30–38, 40–48, 90–97, 100–107; 39 and
/// 49, the terminal's own colours, are not colours). A 38/48 is followed by its colour's numbers,
/// which are skipped.
fn sets_colour(params: &[u32]) -> bool {
    let mut i = 0;
    while i < params.len() {
        match params[i] {
            30..=37 | 40..=47 | 90..=97 | 100..=107 => return true,
            38 | 48 => return true,
            _ => i += 1,
        }
    }
    false
}

/// A scenario that stays running: one task of a minute.
fn long_scenario(name: &str) -> PathBuf {
    let scenario = tmp(name);
    std::fs::write(
        &scenario,
        r#"{"name": "e2e-long", "seed": 1, "heartbeat_ms": 0,
            "agents": [{"id": "slow", "capabilities": ["x"], "profile": {"duration_ms": {"mean": 60000, "jitter": 0}}}],
            "tasks": [{"id": "long", "capability": "x"}, {"id": "after", "capability": "x", "depends_on": ["long"]}]}"#,
    )
    .unwrap();
    scenario
}

/// Issue 13: a user's config file (the default one, under `XDG_CONFIG_HOME`) moves pause to `z`:
/// the hints say so, Space no longer pauses, `z` does.
#[test]
fn a_user_config_rebinds_pause() {
    let home = tmp("config-home");
    std::fs::create_dir_all(home.join("switchyard")).unwrap();
    std::fs::write(home.join("switchyard/config.toml"), "[keys]\npause = \"z\"\n").unwrap();
    let scenario = long_scenario("long-rebind.json");
    let session = Session(format!("switchyard-e2e-config-{}", std::process::id()));
    let cmd = format!(
        "XDG_CONFIG_HOME={} {} run {}; echo EXITED:$?; sleep 60",
        home.display(),
        env!("CARGO_BIN_EXE_switchyard"),
        scenario.display()
    );
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);
    let screen = wait_for(&session, "RUNNING");
    assert!(screen.contains("z pause") && !screen.contains("Space pause"), "{screen}");
    send(&session, &["Space"]);
    sleep(Duration::from_millis(500));
    let screen = capture(&session);
    assert!(screen.contains("RUNNING") && !screen.contains("PAUSED"), "Space no longer pauses:\n{screen}");
    send(&session, &["z"]);
    wait_for(&session, "PAUSED");
    send(&session, &["?"]);
    let help = wait_for(&session, "Help");
    assert!(!help.contains("Space"), "the help lists the key as bound:\n{help}");
    // `?` closes the help too (an Escape right before `q` would reach the console as Alt-q).
    send(&session, &["?", "q"]);
    wait_for(&session, "Quit anyway?");
    send(&session, &["y"]);
    let after = wait_for(&session, "EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
}

/// Issue 13: with `NO_COLOR=1` the captured screen has no colour escape at all, and the selection
/// still shows (reverse video); the same console without it is in colour, so the capture would
/// have seen colours.
#[test]
fn no_color_leaves_no_colour_on_screen_and_the_selection_visible() {
    let scenario = long_scenario("long-no-color.json");
    let mut screens = Vec::new();
    for (name, env) in [("plain", "NO_COLOR=1"), ("colour", "env -u NO_COLOR")] {
        let session = Session(format!("switchyard-e2e-{name}-{}", std::process::id()));
        let cmd = format!("{env} {} run {}; sleep 60", env!("CARGO_BIN_EXE_switchyard"), scenario.display());
        tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);
        wait_for(&session, "RUNNING");
        // The help popup too: its keys are coloured when there is colour.
        send(&session, &["?"]);
        wait_for(&session, "Help");
        screens.push(capture_with_escapes(&session));
        send(&session, &["?", "q", "y"]);
    }
    let (plain, colour) = (sgr_params(&screens[0]), sgr_params(&screens[1]));
    let coloured: Vec<&Vec<u32>> = plain.iter().filter(|p| sets_colour(p)).collect();
    assert!(coloured.is_empty(), "colour escapes under NO_COLOR: {coloured:?}\n{}", screens[0]);
    assert!(plain.iter().any(|p| p.contains(&7)), "no reverse video: the selection is lost\n{}", screens[0]);
    assert!(colour.iter().any(|p| sets_colour(p)), "the capture sees colours when there are some");
}
