//! Served runs over a real `nats-server` (one per test): `run --headless --serve` publishes the
//! journal to JetStream and ends like the unserved run; `attach --follow` prints exactly the
//! journal's bytes, live; `ctl` steers a served run and reads its refusals as the console does;
//! `--paused` waits for `:resume`.

#[path = "support/nats.rs"]
mod nats;

use std::time::Duration;

use nats::{NatsServer, Proc, ctl, switchyard, wait_until_served};

const CRASH_REASSIGN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/crash-reassign.json");
const SAGA_BOOKING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/saga-booking.json");

/// Long enough for a bundled scenario at a high speed on a loaded 2-core machine.
const RUN_WITHIN: Duration = Duration::from_secs(60);

/// The summary's first line (`NAME (seed N): SUCCEEDED in … ms virtual — …`).
fn outcome_line(stdout: &str) -> &str {
    stdout.lines().next().unwrap_or_default()
}

#[test]
fn a_served_run_ends_like_the_unserved_one_and_attach_prints_its_journal() {
    let server = NatsServer::start("served-like-unserved");
    let dir = server.dir();
    let url = server.url();
    for (scenario, code) in [(CRASH_REASSIGN, 0), (SAGA_BOOKING, 1)] {
        let name = std::path::Path::new(scenario).file_stem().unwrap().to_str().unwrap();
        let local = dir.join(format!("{name}-local.jsonl"));
        let served = dir.join(format!("{name}-served.jsonl"));
        let unserved = switchyard(dir, &["run", scenario, "--headless", "--journal", local.to_str().unwrap()]);
        assert_eq!(unserved.code, Some(code), "{}", unserved.stderr);
        let mut run = Proc::start(
            dir,
            &format!("{name}-serve"),
            &["run", scenario, "--headless", "--serve", &url, "--speed", "20", "--journal", served.to_str().unwrap()],
        );
        let status = run.wait(RUN_WITHIN);
        assert_eq!(status.code(), Some(code), "{}", run.err());
        assert_eq!(run.out(), unserved.stdout, "the served run's summary differs");
        assert!(outcome_line(&run.out()).starts_with(name), "{}", run.out());
        let (a, b) = (std::fs::read(&local).unwrap(), std::fs::read(&served).unwrap());
        assert!(a == b, "a served run's journal must be the unserved run's, byte for byte");
        // The stream holds the same lines: attach prints them, then exits as the run did.
        let mut attach = Proc::start(dir, &format!("{name}-attach"), &["attach", &url, "--run", name, "--follow"]);
        assert_eq!(attach.wait(RUN_WITHIN).code(), Some(code), "{}", attach.err());
        assert!(attach.out_bytes() == b, "attach --follow must print the journal's bytes exactly");
    }
}

#[test]
fn a_paused_served_run_waits_for_resume_while_attach_follows_it_live() {
    let server = NatsServer::start("paused-resume");
    let dir = server.dir();
    let url = server.url();
    let journal = dir.join("served.jsonl");
    let journal_arg = journal.to_str().unwrap();
    let args = ["run", CRASH_REASSIGN, "--headless", "--serve", &url, "--run", "night-1", "--paused"];
    let mut run = Proc::start(dir, "serve", &[&args[..], &["--speed", "20", "--journal", journal_arg]].concat());
    // Already paused: a second pause is refused, with the console's words and its journal line.
    let again = wait_until_served(dir, &url, "night-1", RUN_WITHIN);
    assert_eq!(again.code, Some(1), "{}", again.stderr);
    let mut said = again.stdout.lines();
    assert_eq!(said.next(), Some("pause refused: nothing to change"));
    let refused = said.next().unwrap_or_default();
    assert!(refused.contains(r#""kind":"command_refused""#) && refused.contains(r#""action":"pause""#), "{refused}");
    let mut attach = Proc::start(dir, "attach", &["attach", &url, "--run", "night-1", "--follow"]);

    // It stays paused: nothing runs, nothing finishes.
    std::thread::sleep(Duration::from_millis(600));
    assert!(run.running(), "a paused served run must wait for :resume: {}", run.err());
    assert!(attach.running(), "attach must follow until the run ends: {}", attach.err());
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains(r#""kind":"run_paused""#), "{text}");
    assert!(text.contains("started paused (--paused)"), "{text}");
    // The clock stood still at 0 (what the run did at time 0 it did before the pause).
    assert!(text.lines().all(|l| l.contains(r#""t_ms":0,"#)), "the clock moved while paused: {text}");

    // Refusals read as in the console: a command that does not parse, one that does not apply.
    let unknown = ctl(dir, &url, "night-1", ":frobnicate");
    assert_eq!(unknown.code, Some(1));
    assert_eq!(unknown.stdout.trim_end(), ":frobnicate: unknown command `frobnicate`; `:help` lists them");
    let release = ctl(dir, &url, "night-1", ":release fetch");
    assert_eq!(release.code, Some(1));
    assert_eq!(release.stdout.lines().next(), Some("release refused: task `fetch` is not held"));
    let console_only = ctl(dir, &url, "night-1", ":quit");
    assert_eq!(console_only.code, Some(1));

    // An accepted command: its answer carries its journal lines.
    let hold = ctl(dir, &url, "night-1", ":hold deploy -- wait for the window");
    assert_eq!(hold.code, Some(0), "{}{}", hold.stdout, hold.stderr);
    assert_eq!(hold.stdout.lines().next(), Some("hold deploy"));
    assert!(hold.stdout.contains(r#""reason":"wait for the window""#), "{}", hold.stdout);
    let release = ctl(dir, &url, "night-1", "release deploy");
    assert_eq!(release.code, Some(0), "{}", release.stdout);

    let resume = ctl(dir, &url, "night-1", ":resume");
    assert_eq!(resume.code, Some(0), "{}", resume.stderr);
    let mut said = resume.stdout.lines();
    assert_eq!(said.next(), Some("resume"));
    assert!(said.next().unwrap_or_default().contains(r#""kind":"operator_action""#), "{}", resume.stdout);
    assert!(said.next().unwrap_or_default().contains(r#""kind":"run_resumed""#), "{}", resume.stdout);

    assert_eq!(run.wait(RUN_WITHIN).code(), Some(0), "{}", run.err());
    assert_eq!(attach.wait(RUN_WITHIN).code(), Some(0), "{}", attach.err());
    let journal = std::fs::read(&journal).unwrap();
    assert!(attach.out_bytes() == journal, "attach --follow must print the journal's bytes exactly");
    // The operator's words are in the journal the stream holds.
    let text = String::from_utf8(journal).unwrap();
    for kind in ["command_refused", "operator_action", "run_resumed", "run_finished"] {
        assert!(text.contains(&format!(r#""kind":"{kind}""#)), "no {kind} in the journal");
    }
    // Once the run is over, nothing answers: unreachable.
    assert_eq!(ctl(dir, &url, "night-1", ":pause").code, Some(2));
}

#[test]
fn a_run_name_in_use_is_refused_unless_replaced() {
    let server = NatsServer::start("name-in-use");
    let dir = server.dir();
    let url = server.url();
    let serve = |extra: &[&str]| {
        let args = [&["run", SAGA_BOOKING, "--headless", "--serve", &url, "--speed", "50"][..], extra].concat();
        switchyard(dir, &args)
    };
    assert_eq!(serve(&[]).code, Some(1));
    let again = serve(&["--journal", dir.join("again.jsonl").to_str().unwrap()]);
    assert_eq!(again.code, Some(2), "{}", again.stderr);
    assert!(again.stderr.contains("run `saga-booking` already has") && again.stderr.contains("--replace"));
    assert!(!dir.join("again.jsonl").exists(), "a refused run must write nothing");
    let replaced = serve(&["--replace"]);
    assert_eq!(replaced.code, Some(1), "{}", replaced.stderr);
    assert_eq!(serve(&["--run", "saga-2"]).code, Some(1));
}

#[test]
fn attach_to_a_run_that_is_not_there_exits_2() {
    let server = NatsServer::start("attach-missing");
    let ran = switchyard(server.dir(), &["attach", &server.url(), "--run", "nobody", "--follow"]);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("no run `nobody`"), "{}", ran.stderr);
    let ctl = ctl(server.dir(), &server.url(), "nobody", ":pause");
    assert_eq!(ctl.code, Some(2));
    assert!(ctl.stderr.contains("no served run `nobody`"), "{}", ctl.stderr);
}

#[test]
fn a_wrong_password_is_never_printed() {
    let config = "authorization { user: alice, password: s3cret-pw }\n";
    let server = NatsServer::with_config("wrong-password", Some(config));
    let dir = server.dir();
    let bad = server.url_as("alice:n0t-the-pw");
    let journal = dir.join("j.jsonl");
    let ran = switchyard(
        dir,
        &["run", CRASH_REASSIGN, "--headless", "--serve", &bad, "--journal", journal.to_str().unwrap()],
    );
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(!ran.stderr.contains("n0t-the-pw"), "{}", ran.stderr);
    assert!(ran.stderr.contains(&format!("nats://***@127.0.0.1:{}", server.port)), "{}", ran.stderr);
    assert!(!journal.exists(), "nothing is written when the server refuses us");
    for args in [vec!["ctl", &bad, "--run", "x", "--", ":pause"], vec!["attach", &bad, "--run", "x", "--follow"]] {
        let ran = switchyard(dir, &args);
        assert_eq!(ran.code, Some(2), "{}", ran.stderr);
        assert!(!ran.stderr.contains("n0t-the-pw"), "{}", ran.stderr);
    }
    // The right password gets in.
    let good = server.url_as("alice:s3cret-pw");
    let ran = switchyard(dir, &["run", SAGA_BOOKING, "--headless", "--serve", &good, "--speed", "50"]);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
}

/// Serves crash-reassign at speed 1 (about 5 s) with a journal, on a server of its own, and
/// returns once it is under way (an event at 5 ms or later is in the journal).
fn serve_under_way(test: &str) -> (NatsServer, std::path::PathBuf, Proc) {
    let server = NatsServer::start(test);
    let dir = server.dir().to_path_buf();
    let journal = dir.join("served.jsonl");
    let args = ["run", CRASH_REASSIGN, "--headless", "--serve", &server.url(), "--journal", journal.to_str().unwrap()];
    let mut run = Proc::start(&dir, "serve", &args);
    let deadline = std::time::Instant::now() + RUN_WITHIN;
    while !std::fs::read_to_string(&journal).is_ok_and(|t| t.contains(r#""t_ms":5"#)) {
        assert!(std::time::Instant::now() < deadline && run.running(), "the served run did not start: {}", run.err());
        std::thread::sleep(Duration::from_millis(20));
    }
    (server, journal, run)
}

#[test]
fn a_served_run_whose_server_dies_stops_cleanly_with_its_journal_whole() {
    let (mut server, journal, mut run) = serve_under_way("server-dies");
    server.kill();
    // It waits for the server to come back (30 s), then stops.
    assert_eq!(run.wait(RUN_WITHIN + Duration::from_secs(30)).code(), Some(3), "{}", run.err());
    let err = run.err();
    assert!(err.contains("publishing run `crash-reassign`") && err.contains("30 s"), "{err}");
    assert!(err.contains("the journal") && err.contains("has every event up to there"), "{err}");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.ends_with('\n'), "the journal must end on a whole line");
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert!(!text.contains(r#""kind":"run_finished""#), "the run must stop where publishing failed");
}

/// A line larger than the server's `max_payload` can never be stored: the run stops at once (not
/// after the publish retries), exit 3, saying which setting to raise. The first event embeds the
/// scenario, so a large scenario meets this first.
#[test]
fn an_event_larger_than_the_servers_max_payload_stops_the_run_at_once_saying_why() {
    let server = NatsServer::with_config("max-payload", Some("max_payload: 2048\n"));
    let dir = server.dir();
    let url = server.url();
    let journal = dir.join("served.jsonl");
    let started = std::time::Instant::now();
    let mut run = Proc::start(
        dir,
        "serve",
        &["run", CRASH_REASSIGN, "--headless", "--serve", &url, "--journal", journal.to_str().unwrap()],
    );
    let status = run.wait(RUN_WITHIN);
    assert_eq!(status.code(), Some(3), "{}", run.err());
    let err = run.err();
    assert!(err.contains("event #0 is") && err.contains("max_payload of 2048 bytes"), "{err}");
    assert!(err.contains("embeds the scenario") && err.contains("max_payload: 8MB"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(8), "it waited for the retries: {:?}", started.elapsed());
    let lines = std::fs::read_to_string(&journal).unwrap();
    assert!(lines.starts_with("{\"seq\":0,") && lines.ends_with('\n'), "the journal keeps whole lines");
}

/// A fast run makes thousands of lines in one step; sending them all before awaiting any
/// acknowledgement once stalled publishing for good (the run never ended). They go in windows
/// now: a 3 000-task run served at full speed ends, and its stream is its journal.
#[test]
fn a_run_that_makes_thousands_of_lines_in_a_step_is_served_whole() {
    let server = NatsServer::start("many-lines");
    let dir = server.dir();
    let url = server.url();
    let generated = switchyard(dir, &["gen", "--tasks", "3000", "--agents", "40", "--shape", "layered", "--seed", "3"]);
    assert_eq!(generated.code, Some(0), "{}", generated.stderr);
    let scenario = dir.join("many.json");
    std::fs::write(&scenario, &generated.stdout).unwrap();
    let journal = dir.join("served.jsonl");
    let args = ["run", scenario.to_str().unwrap(), "--headless", "--serve", &url, "--run", "many"];
    let mut run =
        Proc::start(dir, "serve", &[&args[..], &["--speed", "1000", "--journal", journal.to_str().unwrap()]].concat());
    assert_eq!(run.wait(RUN_WITHIN).code(), Some(0), "{}", run.err());
    let mut attach = Proc::start(dir, "attach", &["attach", &url, "--run", "many", "--follow"]);
    assert_eq!(attach.wait(RUN_WITHIN).code(), Some(0), "{}", attach.err());
    let lines = std::fs::read(&journal).unwrap();
    assert!(lines.iter().filter(|&&b| b == b'\n').count() > 20_000, "a run this size makes over 20 000 events");
    assert!(attach.out_bytes() == lines, "the stream must hold the journal's lines, all of them");
}

/// While its server is away a served run waits (up to 30 s), but a signal still stops it at once:
/// exit 143, its journal ending with `run_interrupted`.
#[test]
fn a_served_run_waiting_for_its_server_still_stops_on_a_signal() {
    let (mut server, journal, mut run) = serve_under_way("server-away-signal");
    server.kill();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(run.running(), "it waits for the server: {}", run.err());
    let sent = std::time::Instant::now();
    let _ = std::process::Command::new("kill").args(["-TERM", &run.pid().to_string()]).status();
    assert_eq!(run.wait(Duration::from_secs(10)).code(), Some(143), "{}", run.err());
    assert!(sent.elapsed() < Duration::from_secs(5), "it took {:?} to stop", sent.elapsed());
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.lines().last().unwrap_or_default().contains(r#""kind":"run_interrupted""#), "{text}");
}
