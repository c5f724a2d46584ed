//! The tmux harness of the end-to-end tests: a session per test (killed on drop), keys sent to
//! it, and its screen captured and waited on.

#![allow(dead_code)]

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A tmux session; dropping it kills it.
pub struct Session(pub String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.0]).output();
    }
}

pub fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux is installed (.ci/run installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn capture(s: &Session) -> String {
    tmux(&["capture-pane", "-p", "-t", &s.0])
}

pub fn send(s: &Session, keys: &[&str]) {
    let mut args = vec!["send-keys", "-t", &s.0];
    args.extend_from_slice(keys);
    tmux(&args);
}

/// Waits until the screen contains `text` (or fails with the last screen).
pub fn wait_for(s: &Session, text: &str) -> String {
    let start = Instant::now();
    loop {
        let screen = capture(s);
        if screen.contains(text) {
            return screen;
        }
        if start.elapsed() > Duration::from_secs(20) {
            panic!("timed out waiting for {text:?}; screen:\n{screen}");
        }
        sleep(Duration::from_millis(100));
    }
}
