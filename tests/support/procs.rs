//! Helpers for tests that run the real binary with real agent processes and then look at the
//! process table: a temp dir, agents in sh that mark themselves and everything they start (an
//! environment variable every descendant inherits), and a scan of `/proc` for that mark.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_switchyard")
}

/// A fresh directory for one test, removed when the test binary exits (see `scratch.rs`).
pub fn temp_dir(test: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    crate::scratch::dir(&format!("{test}-{n}"))
}

/// A mark unique to this test run, put in the environment of its agents.
pub fn mark(test: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{test}-{}-{nanos}", std::process::id())
}

/// The pids and command lines of every live process whose environment carries the mark
/// (`SWITCHYARD_TEST_MARK=mark`): an agent and everything it started, whatever group or session.
pub fn marked(mark: &str) -> Vec<(u32, String)> {
    let needle = format!("SWITCHYARD_TEST_MARK={mark}");
    let mut found = Vec::new();
    // An environment that cannot be read is skipped below (a process that has just ended, or another
    // user's); a /proc that shows none at all would make every scan empty and every "none left" pass.
    std::fs::read("/proc/self/environ").expect("this test needs /proc/PID/environ (Linux) to find its processes");
    for entry in std::fs::read_dir("/proc").expect("this test needs /proc (Linux) to find its processes").flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        if env.split(|&b| b == 0).any(|v| v == needle.as_bytes()) {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            found.push((pid, cmd));
        }
    }
    found
}

/// A process's parent, from `/proc/PID/stat` (field 4, after the command name in parentheses).
pub fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(1)?.parse().ok()
}

/// Whether the process exists and is not a zombie (dead, waiting to be reaped).
pub fn is_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        assert!(Path::new("/proc/self/stat").exists(), "this test needs /proc (Linux) to see whether a process runs");
        return false;
    };
    stat.rfind(')').and_then(|i| stat[i + 1..].split_whitespace().next()).is_some_and(|state| state != "Z")
}

/// Waits up to `within` for every marked process to be gone; returns those still there.
pub fn wait_all_gone(mark: &str, within: Duration) -> Vec<(u32, String)> {
    let deadline = Instant::now() + within;
    loop {
        let left = marked(mark);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills what a failed test left behind, so one failure does not leak into the machine.
pub fn kill_marked(mark: &str) {
    for (pid, _) in marked(mark) {
        // The process may have ended since the scan: only a `kill` that cannot start is an error.
        let _ =
            Command::new("kill").args(["-9", &pid.to_string()]).status().expect("this test needs the `kill` command");
    }
}

/// An agent in sh with the protocol's hello; `body` is what it does after (sh code; `$1` is its
/// id). Helpers available to `body`: `descend` starts three `sleep 300`: one in the agent's
/// group, one in a new session, one through a double fork; `answer` answers every task with a
/// result after `$DELAY` seconds and exits on `shutdown`.
pub fn sh_agent(id: &str, mark: &str, body: &str) -> String {
    let script = format!(
        r#"descend() {{ sleep 300 & setsid sleep 300 & ( sh -c 'sleep 300 &' & ) ; }}
answer() {{
  while IFS= read -r line; do
    case $line in
      *'"type":"shutdown"'*) exit 0 ;;
      *'"type":"task"'*)
        task=$(printf '%s\n' "$line" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
        attempt=$(printf '%s\n' "$line" | sed -n 's/.*"attempt":\([0-9]*\).*/\1/p')
        sleep "${{DELAY:-0}}"
        printf '{{"type":"result","task":"%s","attempt":%s,"output":{{"by":"%s"}}}}\n' "$task" "$attempt" "$1" ;;
    esac
  done
}}
printf '{{"type":"hello","protocol":1,"agent":"%s","capabilities":["work"]}}\n' "$1"
{body}"#
    );
    // $0 and $1 are the id: the first names the process, the second is what the body reads.
    let cmd = serde_json::json!(["sh", "-c", script, id, id]);
    format!(
        r#"{{"id": "{id}", "capabilities": ["work"], "kind": "process", "command": {cmd},
            "env": {{"SWITCHYARD_TEST_MARK": "{mark}"}}}}"#
    )
}

/// Writes a scenario with these agents (JSON objects) and `n` independent tasks of capability
/// `work`; `extra` is more root fields (with a trailing comma).
pub fn write_scenario(dir: &Path, agents: &[String], tasks: usize, extra: &str) -> PathBuf {
    let tasks: Vec<String> =
        (0..tasks).map(|i| format!(r#"{{"id": "t{i}", "capability": "work", "timeout_ms": 60000}}"#)).collect();
    let text = format!(
        r#"{{"name": "hardening", "seed": 1, {extra}
            "agents": [{}],
            "tasks": [{}]}}"#,
        agents.join(",\n"),
        tasks.join(",\n")
    );
    let path = dir.join("scenario.json");
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts `switchyard ARGS` with its output captured.
pub fn start(args: &[&str]) -> Child {
    Command::new(bin()).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Waits for the child with a deadline (killing it if it overruns).
pub fn wait_with_deadline(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("switchyard did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The lines of a journal, checking that it ends on a complete line and that every line parses.
pub fn journal_lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "the journal ends mid-line: …{:?}", tail(&text));
    text.lines()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("journal line {}: {e}: {l}", i + 1)))
        .collect()
}

fn tail(text: &str) -> &str {
    let start = text.char_indices().rev().nth(80).map_or(0, |(i, _)| i);
    &text[start..]
}

/// Waits until the file holds a line containing `needle`.
pub fn wait_for_line(path: &Path, needle: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        if std::fs::read_to_string(path).is_ok_and(|t| t.lines().any(|l| l.contains(needle))) {
            return;
        }
        assert!(Instant::now() < deadline, "no line with {needle:?} in {} within {within:?}", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends a signal to a process.
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("this test needs the `kill` command")
        .success();
    assert!(ok, "kill -{sig} {pid} failed");
}

/// Runs switchyard with a file size limit: writes past it fail (EFBIG), like on a full disk.
pub fn run_with_file_limit(args: &[&str], limit: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(bin());
    cmd.args(args).stdin(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(move || {
            let rl = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}
