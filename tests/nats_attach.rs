//! Consoles attached to a served run (`switchyard attach URL --run NAME`), end to end: a real
//! nats-server, a served headless run, and consoles in real terminals (tmux) driven by keys.

#[path = "support/nats.rs"]
mod nats;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::Duration;

use nats::{NatsServer, Proc, bin};
use tmux::{Session, send, tmux, wait_for};

const PIPELINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/research-pipeline.json");

/// A console attached to `run` in a tmux session of its own; the shell says how it exited.
fn attach(name: &str, url: &str, run: &str, extra: &str) -> Session {
    let session = Session(format!("switchyard-attach-{name}-{}", std::process::id()));
    let cmd = format!("{} attach {url} --run {run} {extra}; echo EXITED:$?; sleep 60", bin());
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);
    session
}

/// A paused headless run served as `run`, its journal in the server's directory.
fn serve_paused(server: &NatsServer, run: &str) -> (Proc, std::path::PathBuf) {
    let journal = server.dir().join(format!("{run}.jsonl"));
    let args = [
        "run",
        PIPELINE,
        "--headless",
        "--serve",
        &server.url(),
        "--run",
        run,
        "--paused",
        "--speed",
        "20",
        "--journal",
        journal.to_str().unwrap(),
    ];
    let proc = Proc::start(server.dir(), run, &args);
    // The journal is made once the run's stream is: a console may attach from then on.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&journal).map_or(true, |m| m.len() == 0) {
        assert!(std::time::Instant::now() < deadline, "run `{run}` was not served: {}", proc.err());
        std::thread::sleep(Duration::from_millis(20));
    }
    (proc, journal)
}

/// The header's facts (run state, time, counts, the gauge's label), word by word; the speed,
/// which only the console serving the run knows, left out.
fn counts(screen: &str) -> Vec<String> {
    let header = screen.lines().skip(1).take(2).flat_map(str::split_whitespace);
    header.filter(|w| !w.starts_with('×')).map(str::to_string).collect()
}

#[test]
fn two_consoles_attach_one_resumes_the_run_and_both_see_it_finish() {
    let server = NatsServer::start("attach-two");
    let (mut served, journal) = serve_paused(&server, "pipeline");
    let first = attach("one", &server.url(), "pipeline", "");
    let second = attach("two", &server.url(), "pipeline", "");
    for console in [&first, &second] {
        let screen = wait_for(console, "PAUSED");
        assert!(screen.contains(&format!("ATTACHED to run pipeline on {}", server.url())), "{screen}");
        assert!(screen.contains("speed ×?"), "{screen}");
    }
    assert_eq!(tmux(&["display-message", "-p", "-t", &first.0, "#{alternate_on}"]).trim(), "1");

    // Space asks the served run to resume; its answer comes back on the status line.
    send(&first, &["Space"]);
    wait_for(&first, "resume");
    let one = wait_for(&first, "FINISHED: succeeded");
    let two = wait_for(&second, "FINISHED: succeeded");
    assert!(one.contains("7/7 done"), "{one}");
    // Both folded the same stream: the same time and counts.
    assert_eq!(counts(&one), counts(&two), "\n{one}\n{two}");
    assert!(served.wait(Duration::from_secs(20)).success(), "{}", served.err());
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains("\"action\":\"resume\""), "{text}");

    // The console stays open on the outcome until quit; quitting restores the terminal.
    send(&first, &["q"]);
    let after = wait_for(&first, "EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
    assert_eq!(tmux(&["display-message", "-p", "-t", &first.0, "#{alternate_on}"]).trim(), "0");
}

#[test]
fn a_read_only_console_refuses_an_action_without_sending_it() {
    let server = NatsServer::start("attach-read-only");
    let (mut served, journal) = serve_paused(&server, "watched");
    let console = attach("ro", &server.url(), "watched", "--read-only");
    let screen = wait_for(&console, "PAUSED");
    assert!(screen.contains("READ-ONLY"), "{screen}");
    send(&console, &["Space"]);
    wait_for(&console, "resume: the console is read-only (--read-only)");
    send(&console, &[":", "retry draft", "Enter"]);
    wait_for(&console, "retry: the console is read-only");
    // Nothing reached the run: its journal has the --paused pause and no other operator line.
    std::thread::sleep(Duration::from_millis(300));
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.matches("\"kind\":\"operator_action\"").count(), 1, "{text}");
    assert!(!text.contains("command_refused"), "{text}");
    assert!(served.running(), "the run must still wait for a :resume");
    send(&console, &["q"]);
    assert!(wait_for(&console, "EXITED:").contains("EXITED:0"));
}

#[test]
fn a_console_says_the_server_is_gone_and_follows_again_when_it_is_back() {
    let mut server = NatsServer::start("attach-outage");
    let (mut served, _journal) = serve_paused(&server, "outage");
    let console = attach("outage", &server.url(), "outage", "");
    let before = wait_for(&console, "PAUSED");
    server.kill();
    let gone = wait_for(&console, "SERVER GONE");
    // What was received stays on screen.
    assert!(gone.contains("PAUSED") && gone.contains("research-ai"), "{gone}");
    assert_eq!(counts(&gone), counts(&before));
    server.restart();
    wait_for(&console, "back on");
    // The link works both ways again: a command goes, and the run's events come.
    send(&console, &[":", "resume", "Enter"]);
    let screen = wait_for(&console, "FINISHED: succeeded");
    assert!(!screen.contains("SERVER GONE"), "{screen}");
    assert!(served.wait(Duration::from_secs(20)).success(), "{}", served.err());
}

#[test]
fn run_serve_with_the_console_serves_the_run_and_attaches_to_it() {
    let server = NatsServer::start("attach-local");
    let journal = server.dir().join("local.jsonl");
    let session = Session(format!("switchyard-attach-local-{}", std::process::id()));
    let cmd = format!(
        "{} run {PIPELINE} --serve {} --run local --paused --speed 20 --journal {}; echo EXITED:$?; sleep 60",
        bin(),
        server.url(),
        journal.display()
    );
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);
    let screen = wait_for(&session, "PAUSED");
    assert!(screen.contains("ATTACHED to run local"), "{screen}");
    assert!(screen.contains("speed ×20"), "{screen}");
    // Another console attaches to it like to any served run.
    let other = attach("local-other", &server.url(), "local", "");
    wait_for(&other, "PAUSED");
    send(&session, &["Space"]);
    let one = wait_for(&session, "FINISHED: succeeded");
    let two = wait_for(&other, "FINISHED: succeeded");
    assert_eq!(counts(&one), counts(&two), "\n{one}\n{two}");
    send(&session, &["q"]);
    let after = wait_for(&session, "EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains("\"action\":\"resume\"") && text.contains("\"kind\":\"run_finished\""), "{text}");
}

#[test]
fn attaching_to_nothing_is_a_clear_error() {
    let server = NatsServer::start("attach-none");
    // Run through tmux: the console needs a terminal before it looks for the run.
    let console = attach("none", &server.url(), "nobody", "");
    let screen = wait_for(&console, "EXITED:");
    assert!(screen.contains("no run `nobody`"), "{screen}");
    assert!(screen.contains("EXITED:2"), "{screen}");
}

/// `run FILE --serve URL --standby` in the console: it shows the run served elsewhere as an
/// attached console does, takes it over when its coordinator is killed, and the run finishes on
/// screen, served by this process.
#[test]
fn a_console_standing_by_takes_the_run_over_and_shows_it_finish() {
    let server = NatsServer::start("attach-standby");
    let journal = server.dir().join("standby.jsonl");
    let mut leader = Proc::start(
        server.dir(),
        "leader",
        &["run", PIPELINE, "--headless", "--serve", &server.url(), "--run", "pipe"],
    );
    let session = Session(format!("switchyard-attach-standby-{}", std::process::id()));
    let cmd = format!(
        "{} run {PIPELINE} --serve {} --run pipe --standby --journal {}; echo EXITED:$?; sleep 60",
        bin(),
        server.url(),
        journal.display()
    );
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);
    let screen = wait_for(&session, "ATTACHED to run pipe");
    assert!(!screen.contains("FINISHED"), "{screen}");
    let _ = std::process::Command::new("kill").args(["-9", &leader.pid().to_string()]).status();
    let _ = leader.wait(Duration::from_secs(5));
    wait_for(&session, "FINISHED: succeeded");
    send(&session, &["q"]);
    let after = wait_for(&session, "EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains(r#""kind":"coordinator_took_over","epoch":2"#), "{text}");
    assert!(text.contains(r#""kind":"run_finished""#), "{text}");
}
