//! Running the console on a real terminal: a guard that always restores the terminal (on quit, on
//! error and on panic), an input thread, and a tokio loop that redraws on change or on a modest
//! tick — 20 frames per second at most while the clock runs, four per second while it is paused.

use std::io::{self, Stdout, Write};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode,
    enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};

use super::app::{App, ConsoleOptions};
use super::ui;
use crate::core::StopSignal;
use crate::runtime::interrupt::Interrupts;
use crate::scenario::Scenario;

const RUNNING_TICK: Duration = Duration::from_millis(50);
const IDLE_TICK: Duration = Duration::from_millis(250);
/// The most events an attached console folds between two looks at the keyboard.
const FEED_BURST: usize = 20_000;

/// Puts the terminal back the way the shell expects it. Safe to call more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
}

/// Owns the terminal while the console runs; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        // A panic anywhere (also in a pane's render) must not leave the shell in raw mode.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
        enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture) {
            restore_terminal();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore_terminal();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Opens the console on `scenario` and runs it until the operator quits. Returns the process exit
/// code: 0 when the run succeeded or is unfinished, 1 when it failed.
/// `journal` is the run's journal, already created (and locked) by the caller.
pub fn run_console(
    scenario: Scenario,
    opts: ConsoleOptions,
    journal: Option<crate::journal::JournalWriter<std::fs::File>>,
) -> Result<u8, String> {
    run_app(App::with_journal(scenario, opts, journal))
}

/// Whether the console has a terminal to run in (stdin and stdout).
pub fn has_terminal() -> bool {
    use std::io::IsTerminal;
    io::stdout().is_terminal() && io::stdin().is_terminal()
}

/// Runs the console on an app already built (a run, or a replay) until the operator quits.
pub fn run_app(app: App) -> Result<u8, String> {
    if !has_terminal() {
        return Err("the console needs a terminal (stdin and stdout); use `run FILE --headless` (or `replay … --report`) in scripts".into());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    run_app_on(runtime, app)
}

/// [`run_app`] on a runtime that already carries the app's tasks (an attached console's link to
/// its server).
pub fn run_app_on(runtime: tokio::runtime::Runtime, mut app: App) -> Result<u8, String> {
    super::panes::log::init();
    let mut signals =
        runtime.block_on(async { Interrupts::new() }).map_err(|e| format!("cannot handle signals: {e}"))?;
    if app.live_pending() {
        let _ = writeln!(io::stderr(), "starting the agent processes of {}…", app.coord().scenario().name);
        // A signal during the handshakes is taken up by the event loop at once.
        runtime.block_on(async {
            tokio::select! {
                () = app.start_live() => {}
                _ = signals.recv() => {}
            }
        });
    }
    let result = {
        let mut guard = TerminalGuard::enter().map_err(|e| format!("cannot open the terminal: {e}"))?;
        runtime.block_on(event_loop(&mut guard.terminal, &mut app, &mut signals))
    };
    // The journal first (stopping the agents may take their grace period), then the agents: they
    // get `shutdown`, then a kill; should anything above panic, dropping the app kills them.
    let flushed = app.finish();
    runtime.block_on(app.stop_live());
    let signal = result.map_err(|e| format!("terminal error: {e}"))?;
    flushed?;
    if let Some(signal) = signal
        && app.attached.is_some()
    {
        let _ = writeln!(io::stderr(), "switchyard: stopped by {}; the served run goes on", signal.name());
        return Ok(crate::runtime::interrupt::exit_code(signal));
    }
    if let Some(signal) = signal {
        let _ =
            writeln!(io::stderr(), "switchyard: stopped by {}; the journal ends with run_interrupted", signal.name());
        return Ok(crate::runtime::interrupt::exit_code(signal));
    }
    Ok(match app.run.coordinator().state().finished() {
        Some(crate::core::Outcome::Failed) => 1,
        _ => 0,
    })
}

/// What woke the event loop.
enum Wake {
    Input(Option<event::Event>),
    /// What came from a served run (an attached console).
    Feed(Option<super::attach::Feed>),
    Agent(Option<crate::runtime::Report>),
    Tick,
}

/// The next thing a real agent did; never, when the run has none.
async fn next_report(live: &mut Option<crate::runtime::LiveAgents>) -> Option<crate::runtime::Report> {
    match live {
        Some(live) => live.recv().await,
        None => std::future::pending().await,
    }
}

/// Runs until the operator quits (`None`) or a signal stops the console (`Some`).
async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    signals: &mut Interrupts,
) -> io::Result<Option<StopSignal>> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // crossterm's reader blocks; a plain thread keeps it off the runtime. It ends with the process.
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(ev).is_err() {
                break;
            }
        }
    });
    let mut last = Instant::now();
    let mut dirty = true;
    loop {
        if dirty {
            execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
            terminal.draw(|f| ui::draw(f, app))?;
            execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
            terminal.backend_mut().flush()?;
            dirty = false;
        }
        if app.live_pending() {
            // A restart of a live run: its agents start (and shake hands) before it goes on.
            app.start_live().await;
            dirty = true;
        }
        let tick = if app.is_advancing() { RUNNING_TICK } else { IDLE_TICK };
        let wake = tokio::select! {
            ev = rx.recv() => Wake::Input(ev),
            report = next_report(&mut app.live) => Wake::Agent(report),
            feed = super::attach::next_feed(&mut app.attached) => Wake::Feed(feed),
            _ = tokio::time::sleep(tick) => Wake::Tick,
            signal = signals.recv() => {
                app.interrupt(signal);
                return Ok(Some(signal));
            }
        };
        match wake {
            Wake::Input(Some(ev)) => {
                dirty |= app.handle_event(ev);
                // Collapse a burst of input (a pasted command, a held key) into one frame.
                while let Ok(ev) = rx.try_recv() {
                    dirty |= app.handle_event(ev);
                }
            }
            Wake::Input(None) => break,
            Wake::Agent(Some(report)) => dirty |= app.on_report(report),
            Wake::Feed(feed) => {
                dirty |= app.on_feed(feed);
                // A burst (catching up with a long run) folds in one go, a frame at most this many.
                let mut burst = 0;
                while burst < FEED_BURST
                    && let Some(feed) = app.try_feed()
                {
                    app.on_feed(Some(feed));
                    burst += 1;
                }
                app.feed_done();
            }
            Wake::Agent(None) | Wake::Tick => {}
        }
        let now = Instant::now();
        let wall_ms = now.duration_since(last).as_secs_f64() * 1000.0;
        last = now;
        dirty |= app.tick(wall_ms);
        dirty |= app.poll_whatif();
        app.step_done();
        if app.quit {
            break;
        }
    }
    Ok(None)
}
