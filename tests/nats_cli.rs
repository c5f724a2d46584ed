//! The NATS commands' bad input and unreachable servers: clear errors, exit 2, nothing written,
//! no password printed. (Served runs against a real server are in `nats_serve.rs`.)

#[path = "support/nats.rs"]
mod nats;

use nats::{free_port, switchyard, temp_dir};

const CRASH_REASSIGN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/crash-reassign.json");

#[test]
fn ctl_and_attach_without_a_server_exit_2() {
    let dir = temp_dir("no-server");
    let url = format!("nats://127.0.0.1:{}", free_port());
    let ctl = switchyard(&dir, &["ctl", &url, "--run", "demo", "--", ":pause"]);
    assert_eq!(ctl.code, Some(2), "{}", ctl.stderr);
    assert!(ctl.stderr.contains(&format!("cannot reach the NATS server at {url}")), "{}", ctl.stderr);
    let attach = switchyard(&dir, &["attach", &url, "--run", "demo", "--follow"]);
    assert_eq!(attach.code, Some(2), "{}", attach.stderr);
    assert!(attach.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serving_to_an_unreachable_server_exits_2_and_writes_nothing() {
    let dir = temp_dir("unreachable");
    let port = free_port();
    let url = format!("nats://ops:hunter22@127.0.0.1:{port}");
    let journal = dir.join("j.jsonl");
    let report = dir.join("r.json");
    let ran = switchyard(
        &dir,
        &[
            "run",
            CRASH_REASSIGN,
            "--headless",
            "--serve",
            &url,
            "--journal",
            journal.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains(&format!("nats://***@127.0.0.1:{port}")), "{}", ran.stderr);
    assert!(!ran.stderr.contains("hunter22"), "a password was printed: {}", ran.stderr);
    assert!(ran.stdout.is_empty());
    assert!(!journal.exists() && !report.exists(), "nothing may be written when the server is unreachable");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_run_names_urls_and_flag_combinations_are_refused() {
    let dir = temp_dir("bad-input");
    let url = format!("nats://127.0.0.1:{}", free_port());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run", CRASH_REASSIGN, "--headless", "--serve", &url, "--run", "a.b"], "letters, digits"),
        (vec!["run", CRASH_REASSIGN, "--headless", "--serve", &url, "--run", ""], "empty"),
        (vec!["run", CRASH_REASSIGN, "--headless", "--serve", "http://h:1"], "nats://"),
        (vec!["run", CRASH_REASSIGN, "--serve", &url], "needs a terminal"),
        (vec!["run", CRASH_REASSIGN, "--headless", "--paused"], "--serve"),
        (vec!["run", CRASH_REASSIGN, "--headless", "--speed", "5"], "--speed"),
        (vec!["run", CRASH_REASSIGN, "--headless", "--serve", &url, "--speed", "0"], "--speed"),
        (vec!["run", CRASH_REASSIGN, "--paused", "--read-only"], "--read-only"),
        (vec!["run", CRASH_REASSIGN, "--headless", "--run", "x"], "--serve"),
        (vec!["attach", &url, "--run", "demo"], "--follow"),
        (vec!["attach", &url, "--run", "a b", "--follow"], "letters, digits"),
        (vec!["ctl", &url, "--run", "demo", "--", ""], "no command"),
        (vec!["ctl", &url, "--run", "demo*", "--", ":pause"], "letters, digits"),
    ];
    for (args, says) in cases {
        let ran = switchyard(&dir, &args);
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains(says), "{args:?} should say {says:?}: {}", ran.stderr);
    }
    // The default name is the file's stem: one that is not a subject token needs --run.
    let odd = dir.join("my plan.json");
    std::fs::copy(CRASH_REASSIGN, &odd).unwrap();
    let ran = switchyard(&dir, &["run", odd.to_str().unwrap(), "--headless", "--serve", &url]);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("--run NAME"), "{}", ran.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}
