//! The commands on a journal: `resume`, `replay --at … --report …` and `diff A B` (the CLI side
//! of `switchyard::durable`).

use std::io::{self, Write};
use std::path::Path;

use switchyard::core::{Coordinator, EventKind, OpAction};
use switchyard::durable::diff::{self, Side};
use switchyard::durable::reexecute::{self, ReexecError};
use switchyard::durable::replay::{self, Cursor};
use switchyard::journal::file::{self, Journal};
use switchyard::journal::header;
use switchyard::journal::{Durability, JournalWriter};
use switchyard::runtime::{Horizon, LiveOptions, LiveRun, SimRun, interrupt, needs_live};

use crate::cli_output::{Named, distinct_paths, out, stdout_failed, warn};
use crate::exit;

/// Reads a journal, saying on stderr when its torn last line was dropped.
pub fn load(path: &Path) -> Result<Journal, u8> {
    load_with_text(path).map(|(journal, _)| journal)
}

/// [`load`], with the journal's whole lines as read.
fn load_with_text(path: &Path) -> Result<(Journal, String), u8> {
    match file::load_with_text(path) {
        Ok((journal, text)) => {
            if let Some(note) = journal.torn_note() {
                warn(format_args!("switchyard: {}: {note}", path.display()));
            }
            Ok((journal, text))
        }
        Err(e) => {
            warn(format_args!("switchyard: {e}"));
            Err(exit::BAD_INPUT)
        }
    }
}

/// `replay JOURNAL --at CURSOR --report PATH`: the report of the run as of that event.
pub fn replay_report(path: &Path, at: &str, report: &Path) -> u8 {
    let cursor = match Cursor::parse(at) {
        Ok(c) => c,
        Err(e) => {
            warn(format_args!("switchyard replay: --at: {e}"));
            return exit::BAD_INPUT;
        }
    };
    let paths = [Named { option: "the journal", path }, Named { option: "--report", path: report }];
    if let Err(e) = distinct_paths(&paths) {
        warn(format_args!("switchyard replay: {e}"));
        return exit::BAD_INPUT;
    }
    let journal = match load(path) {
        Ok(j) => j,
        Err(code) => return code,
    };
    let at = match cursor.resolve(&journal.events) {
        Ok(i) => i,
        Err(e) => {
            warn(format_args!("switchyard replay: {}: {e}", path.display()));
            return exit::BAD_INPUT;
        }
    };
    let coord = replay::state_at(&journal, at);
    let summary = replay::report_at(&coord);
    let written = std::fs::File::create(report).and_then(|f| {
        let mut out = io::BufWriter::new(f);
        serde_json::to_writer_pretty(&mut out, &summary).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
        out.flush()
    });
    if let Err(e) = written {
        warn(format_args!("switchyard replay: cannot write report {}: {e}", report.display()));
        return exit::OUTPUT_ERROR;
    }
    exit::OK
}

/// `diff A B`: 0 when the runs do not diverge, 1 when they do, 2 for bad input.
pub fn diff(a: &Path, b: &Path) -> u8 {
    let ((ja, ta), (jb, tb)) = match (load_with_text(a), load_with_text(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let (na, nb) = (a.display().to_string(), b.display().to_string());
    let sa = Side { name: &na, journal: &ja, lines: ta.lines().collect() };
    let sb = Side { name: &nb, journal: &jb, lines: tb.lines().collect() };
    let found = diff::compare(&sa, &sb);
    if let Err(e) = out(format_args!("{}", found.text)) {
        stdout_failed(" diff", &e);
        return exit::OUTPUT_ERROR;
    }
    if found.diverges_at.is_some() { exit::WORKFLOW_FAILED } else { exit::OK }
}

/// What `resume` was asked to do.
pub struct Resume<'a> {
    pub journal: &'a Path,
    pub headless: bool,
    pub report: Option<&'a Path>,
    pub rows: usize,
    pub horizon: (Option<u64>, Option<u64>),
    pub durability: Durability,
    /// The console's keys and colours (when not headless).
    pub settings: switchyard::tui::config::Settings,
}

/// `resume JOURNAL [--headless]`: the run brought back to the journal's last event and carried
/// on, appending to the file — a simulated run by running it again (checked event by event), a
/// live one by folding the journal — headless to its end, or in the console.
pub fn resume(args: Resume) -> u8 {
    let path = args.journal;
    let journal = match load(path) {
        Ok(j) => j,
        Err(code) => return code,
    };
    let scenario = journal.header.scenario.clone();
    if let Some(last) = journal.events.last()
        && let EventKind::RunFinished { outcome, makespan_ms, .. } = last.kind
    {
        let done = format!("nothing to resume: {} finished at {makespan_ms} ms ({})\n", scenario.name, outcome.name());
        return match out(format_args!("{done}")) {
            Ok(()) => exit::OK,
            Err(e) => {
                stdout_failed(" resume", &e);
                exit::OUTPUT_ERROR
            }
        };
    }
    if journal.events.iter().any(|e| matches!(e.kind, EventKind::OperatorAction { action: OpAction::Restart, .. })) {
        warn(format_args!(
            "switchyard resume: {}: the operator restarted this run; the journal of the restart is its own file",
            path.display()
        ));
        return exit::BAD_INPUT;
    }
    let mut writer = match JournalWriter::append(path, journal.whole_len) {
        Ok(w) => w,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            warn(format_args!("switchyard resume: refusing to write journal {}: {e}", path.display()));
            return exit::BAD_INPUT;
        }
        Err(e) => {
            warn(format_args!("switchyard resume: cannot write journal {}: {e}", path.display()));
            return exit::BAD_INPUT;
        }
    };
    writer.set_durability(args.durability);
    if needs_live(&scenario) {
        if !args.headless {
            let now = journal.events.last().map_or(0, |e| e.t_ms);
            let sim = SimRun::resumed(Coordinator::from_events(scenario, &journal.events), now);
            return resume_console(path, &journal, sim, writer, args);
        }
        return resume_live(&args, journal, writer);
    }
    let upto = journal.events.len();
    let sim = match reexecute::reexecute(scenario.clone(), &journal.events, upto, &mut writer, false) {
        Ok(sim) => sim,
        Err(e) => return reexec_failed("resume", path, path, e),
    };
    if !args.headless {
        return resume_console(path, &journal, sim, writer, args);
    }
    let how = GoingOn { command: "resume", journal: path, report: args.report, rows: args.rows, horizon: args.horizon };
    go_on_sim(&how, &scenario, sim, writer)
}

/// A simulated run brought back from a journal (and amended, for a fork), run headless to its
/// end, the horizon or a signal into `writer`, then concluded like `run --headless`.
/// The horizon's defaults come from `scenario`, the run's as it started (as for `run --headless`).
fn go_on_sim(
    how: &GoingOn,
    scenario: &switchyard::scenario::Scenario,
    mut sim: SimRun,
    mut writer: JournalWriter<std::fs::File>,
) -> u8 {
    sim.set_fail_on_stall(true);
    sim.set_horizon(Horizon::new(scenario, how.horizon.0, how.horizon.1));
    let interrupted = match sim.run_interruptible(&mut writer, interrupt::received) {
        Ok(signal) => signal,
        Err(e) => {
            warn(format_args!("switchyard {}: cannot write journal {}: {e}", how.command, how.journal.display()));
            return exit::OUTPUT_ERROR;
        }
    };
    drop(writer);
    crate::conclude(sim.coordinator(), sim.horizon_stop(), interrupted, how.report, how.rows)
}

/// The console on a resumed run: its view folded from the journal, the run going on in it.
fn resume_console(
    path: &Path,
    journal: &Journal,
    sim: SimRun,
    writer: JournalWriter<std::fs::File>,
    args: Resume,
) -> u8 {
    let (durability, settings) = (args.durability, args.settings);
    let mut view = switchyard::tui::view::View::new(journal.header.scenario.agents.len());
    for ev in &journal.events {
        view.fold(ev);
    }
    let who = crate::operator_name();
    let opts = switchyard::tui::ConsoleOptions {
        who,
        journal: Some(path.to_path_buf()),
        durability,
        settings,
        ..Default::default()
    };
    let mut app = switchyard::tui::App::continuing(sim, view, opts, Some(writer));
    app.set_history(journal.events.clone());
    match switchyard::tui::console::run_app(app) {
        Ok(code) => code,
        Err(e) => {
            warn(format_args!("switchyard resume: {e}"));
            exit::OUTPUT_ERROR
        }
    }
}

/// What `fork` was asked to do.
pub struct Fork<'a> {
    pub journal: &'a Path,
    pub at: &'a str,
    pub new: Option<&'a Path>,
    pub then: &'a [String],
    pub report: Option<&'a Path>,
    pub rows: usize,
    pub horizon: (Option<u64>, Option<u64>),
    pub durability: Durability,
}

/// `fork JOURNAL --at SEQ|TIME --headless [--journal NEW] [--then ':COMMAND' …]`: a new run from
/// the state right after that event, the commands applied there, run to its end.
pub fn fork_headless(args: Fork) -> u8 {
    let cursor = match Cursor::parse(args.at) {
        Ok(c) => c,
        Err(e) => {
            warn(format_args!("switchyard fork: --at: {e}"));
            return exit::BAD_INPUT;
        }
    };
    let source = args.journal;
    let (journal, text) = match load_with_text(source) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let at = match cursor.resolve(&journal.events) {
        Ok(i) => i,
        Err(e) => {
            warn(format_args!("switchyard fork: {}: {e}", source.display()));
            return exit::BAD_INPUT;
        }
    };
    let scenario = journal.header.scenario.clone();
    // The commands are checked against the run as of the fork point before anything is written.
    let there = replay::state_at(&journal, at);
    for text in args.then {
        if let Err(e) = switchyard::durable::fork::check(text, &there) {
            warn(format_args!("switchyard fork: --then {e}"));
            return exit::BAD_INPUT;
        }
    }
    let default_new = source.with_extension(format!("fork-{at}.jsonl"));
    let new = args.new.unwrap_or(&default_new);
    let mut paths =
        vec![Named { option: "the journal", path: source }, Named { option: "the fork's --journal", path: new }];
    paths.extend(args.report.map(|path| Named { option: "--report", path }));
    if let Err(e) = distinct_paths(&paths) {
        warn(format_args!("switchyard fork: {e}"));
        return exit::BAD_INPUT;
    }
    let sha = header::sha256_hex(text.as_bytes());
    if needs_live(&scenario) {
        let writer = match switchyard::durable::fork::live_journal(&text, new, at, &sha) {
            Ok(mut w) => {
                w.set_durability(args.durability);
                w
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                warn(format_args!("switchyard fork: refusing to write journal {}: {e}", new.display()));
                return exit::BAD_INPUT;
            }
            Err(e) => {
                warn(format_args!("switchyard fork: cannot write journal {}: {e}", new.display()));
                return exit::OUTPUT_ERROR;
            }
        };
        let how =
            GoingOn { command: "fork", journal: new, report: args.report, rows: args.rows, horizon: args.horizon };
        return go_on_live(&how, &scenario, &journal.events[..=at], args.then, writer);
    }
    let mut writer = match crate::create_journal(Some(new), args.durability) {
        Ok(Some(w)) => w,
        Ok(None) => unreachable!("a path was given"),
        Err(code) => return code,
    };
    writer.set_forked_from(&sha, at as u64);
    let mut sim = match reexecute::reexecute(scenario.clone(), &journal.events, at + 1, &mut writer, true) {
        Ok(sim) => sim,
        Err(e) => return reexec_failed("fork", source, new, e),
    };
    let last = sim.coordinator().state().next_seq().saturating_sub(1);
    let who = crate::operator_name();
    if let Err(e) = switchyard::durable::fork::apply(&mut sim, args.then, &who, &mut writer) {
        warn(format_args!("switchyard fork: --then {e}"));
        return exit::BAD_INPUT;
    }
    warn(format_args!(
        "switchyard fork: {} forked at #{at} (its step ends at #{last}): {}",
        source.display(),
        new.display()
    ));
    let how = GoingOn { command: "fork", journal: new, report: args.report, rows: args.rows, horizon: args.horizon };
    go_on_sim(&how, &scenario, sim, writer)
}

/// A live run comes back from its journal folded: its agent processes start again and must shake
/// hands; completed tasks stay completed (their outputs still feed their dependents); what was in
/// flight fails as `coordinator_restarted` and is dispatched again (at-least-once).
fn resume_live(args: &Resume, journal: Journal, writer: JournalWriter<std::fs::File>) -> u8 {
    let how = GoingOn {
        command: "resume",
        journal: args.journal,
        report: args.report,
        rows: args.rows,
        horizon: args.horizon,
    };
    go_on_live(&how, &journal.header.scenario, &journal.events, &[], writer)
}

/// Where a live run brought back from a journal goes on, and how it ends.
struct GoingOn<'a> {
    command: &'a str,
    /// The journal it writes.
    journal: &'a Path,
    report: Option<&'a Path>,
    rows: usize,
    horizon: (Option<u64>, Option<u64>),
}

/// A live run brought back by folding `events` (its agents started again, what was in flight
/// failed as `coordinator_restarted`), with `then` applied first, run to its end into `writer`.
fn go_on_live(
    how: &GoingOn,
    scenario: &switchyard::scenario::Scenario,
    events: &[switchyard::core::Event],
    then: &[String],
    mut writer: JournalWriter<std::fs::File>,
) -> u8 {
    let command = how.command;
    let now = events.last().map_or(0, |e| e.t_ms);
    let coord = Coordinator::from_events(scenario.clone(), events);
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            warn(format_args!("switchyard {command}: cannot start the runtime: {e}"));
            return exit::OUTPUT_ERROR;
        }
    };
    let mut run = rt.block_on(async { LiveRun::resumed(coord, now, LiveOptions::default()) });
    run.set_horizon(Horizon::new(scenario, how.horizon.0, how.horizon.1));
    let who = crate::operator_name();
    if let Err(e) = run.apply(then, &who, &mut writer) {
        warn(format_args!("switchyard {command}: --then {e}"));
        return exit::BAD_INPUT;
    }
    let result = rt.block_on(async {
        let mut signals = interrupt::Interrupts::new()?;
        run.run_interruptible(&mut writer, Some(&mut signals)).await
    });
    drop(writer);
    switchyard::agents::reaper::kill_all();
    let interrupted = match result {
        Ok(signal) => signal,
        Err(e) => {
            warn(format_args!("switchyard {command}: cannot write journal {}: {e}", how.journal.display()));
            return exit::OUTPUT_ERROR;
        }
    };
    let code = crate::conclude(run.coordinator(), run.horizon_stop(), interrupted, how.report, how.rows);
    // The runtime and the run go with the process.
    std::mem::forget(run);
    std::mem::forget(rt);
    code
}

/// `replay JOURNAL [--at CURSOR]`: the console, read-only, on the recorded run.
pub fn replay_console(path: &Path, at: Option<&str>, settings: switchyard::tui::config::Settings) -> u8 {
    let (journal, text) = match load_with_text(path) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let at = match at.map(Cursor::parse).transpose().and_then(|c| c.map_or(Ok(0), |c| c.resolve(&journal.events))) {
        Ok(i) => i,
        Err(e) => {
            warn(format_args!("switchyard replay: {}: {e}", path.display()));
            return exit::BAD_INPUT;
        }
    };
    let who = crate::operator_name();
    let opts = switchyard::tui::ConsoleOptions { who, read_only: true, settings, ..Default::default() };
    let mut app = switchyard::tui::App::replaying(&journal, opts, at);
    if let Some(replay) = &mut app.replay {
        replay.source = Some((path.to_path_buf(), header::sha256_hex(text.as_bytes())));
    }
    match switchyard::tui::console::run_app(app) {
        Ok(code) => code,
        Err(e) => {
            warn(format_args!("switchyard replay: {e}"));
            exit::OUTPUT_ERROR
        }
    }
}

/// Says why running a journal's scenario again failed: the journal does not match it (bad input),
/// or `written` could not be written.
fn reexec_failed(command: &str, source: &Path, written: &Path, e: ReexecError) -> u8 {
    match e {
        ReexecError::Diverged(d) => {
            warn(format_args!(
                "switchyard {command}: {}: the journal does not match its scenario's simulation at {d}",
                source.display()
            ));
            exit::BAD_INPUT
        }
        ReexecError::Output(e) => {
            warn(format_args!("switchyard {command}: cannot write journal {}: {e}", written.display()));
            exit::OUTPUT_ERROR
        }
    }
}
