//! The console on a live run: real agent processes beside simulated ones, the console's clock,
//! its speed control (simulated work only), and crash / revive of a process agent.

use std::time::Duration;

use crate::core::state::TaskState;
use crate::core::{AgentId, OpAction, TaskId};
use crate::tui::app::tests::screen;
use crate::tui::app::{App, ConsoleOptions};

const SCENARIO: &str = r#"{"name": "mixed", "heartbeat_ms": 0,
  "agents": [
    {"id": "worker", "capabilities": ["echo"], "kind": "process", "env": {"SWITCHYARD_HEARTBEAT_MS": "0"},
     "command": ["python3", "{assets}/agents/echo.py", "worker"]},
    {"id": "gate", "capabilities": ["wait"], "profile": {"duration_ms": {"mean": 2000, "jitter": 0}}}
  ],
  "tasks": [{"id": "w", "capability": "wait"}, {"id": "t", "capability": "echo", "depends_on": ["w"]}]}"#;

/// Runs the console loop (ticks and agent reports) until `done` holds or 20 s pass.
async fn run_until(app: &mut App, done: impl Fn(&App) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut last = tokio::time::Instant::now();
    while !done(app) {
        assert!(tokio::time::Instant::now() < deadline, "the console run takes too long");
        let live = app.live.as_mut().unwrap();
        if let Ok(Some(report)) = tokio::time::timeout(Duration::from_millis(10), live.recv()).await {
            app.on_report(report);
        }
        let now = tokio::time::Instant::now();
        app.tick(now.duration_since(last).as_secs_f64() * 1000.0);
        last = now;
    }
}

#[test]
fn a_live_run_in_the_console_with_speed_crash_and_revive() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let sc =
        crate::scenario::parse("mixed.json", &SCENARIO.replace("{assets}", &assets.display().to_string())).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        // ×4 makes the simulated 2 s of work take 0.5 s; the console's clock stays the wall clock.
        let mut app = App::new(sc, ConsoleOptions { speed: 4.0, ..ConsoleOptions::default() }).unwrap();
        assert!(app.live_pending());
        app.start_live().await;
        let first = app.live.as_ref().unwrap().pids();
        assert_eq!(first.len(), 1);
        assert!(screen(&mut app, 160, 45).contains("speed ×4 (simulated agents only; real agents run live)"));
        let worker = AgentId(0);
        app.request(OpAction::Crash(worker), None, true);
        assert!(app.live.as_ref().unwrap().pids().is_empty(), "crashing it kills its process");
        app.request(OpAction::Revive(worker), None, true);
        run_until(&mut app, |a| a.coord().is_finished()).await;
        let s = app.coord().state();
        assert_eq!(s.tasks[1].state, TaskState::Completed);
        let w_end = s.last_attempt(TaskId(0)).unwrap().end_ms.unwrap();
        assert!((400..1500).contains(&w_end), "simulated work sped up, not the clock: {w_end} ms");
        let output = app.coord().output_text(TaskId(1)).unwrap();
        assert!(output.contains("\"by\":\"worker\"") && output.contains("\"inputs\":[\"w\"]"), "{output}");
        let second = app.live.as_ref().unwrap().pids();
        assert_eq!(second.len(), 1);
        assert_ne!(second, first, "the revive started a new process");

        app.stop_live().await;
        assert!(app.live.as_ref().unwrap().pids().is_empty());
        for pid in first.iter().chain(&second) {
            let gone = tokio::time::Instant::now() + Duration::from_secs(5);
            while std::path::Path::new(&format!("/proc/{pid}")).exists() {
                assert!(tokio::time::Instant::now() < gone, "process {pid} outlived the console");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
}

#[test]
fn a_live_run_started_paused_pauses_once_its_agents_have_shaken_hands() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let sc =
        crate::scenario::parse("mixed.json", &SCENARIO.replace("{assets}", &assets.display().to_string())).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut app = App::new(sc, ConsoleOptions::default()).unwrap();
        app.start_paused("started paused (--paused)");
        assert!(!app.coord().state().paused(), "nothing has started yet");
        app.start_live().await;
        assert!(app.coord().state().paused(), "paused as soon as the run started");
        // The clock stands still while paused: the gate's 2 s never end.
        app.tick(3000.0);
        assert_ne!(app.coord().state().tasks[0].state, TaskState::Completed);
        app.stop_live().await;
    });
}
