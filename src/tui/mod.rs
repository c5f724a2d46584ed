//! The console: a live ratatui control room for a run. It hosts the coordinator in-process, drives
//! simulated agents on a virtual clock the operator can speed up, slow down, pause and step, and
//! turns keys and `:` commands into operator commands that go through the coordinator (and so into
//! the journal).
//!
//! Follow the data: terminal events → [`keymap::Keymap`] (keys become actions) → [`app::App`]
//! (actions become `OpAction`s) → `SimRun::operator` → coordinator → events → [`view::View`] and
//! the journal → [`ui::draw`] and the panes.

pub mod app;
pub mod attach;
pub mod cmdline;
pub mod compare_view;
pub mod config;
pub mod console;

pub mod help;
mod input;
pub mod keymap;
pub mod panes;
pub mod pick;
pub mod popups;
pub mod replay;

pub mod theme;
pub mod ui;
pub mod view;
pub mod whatif;

pub use app::{App, ConsoleOptions};
pub use console::run_console;

/// The demo scenario `switchyard` opens with no arguments, compiled in so it works anywhere.
pub const DEMO_SCENARIO: &str = include_str!("../../scenarios/demo.json");
