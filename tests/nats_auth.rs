//! Security of runs over NATS against a real `nats-server` (one per test): credentials from the
//! environment and from files (a password, a token, an nkey seed) log in, and a wrong one is
//! refused with exit 2 naming the variable or the file — never the value, which appears in no
//! output, journal or stream; TLS with the server's CA given by `--nats-ca` works, and without it
//! fails clearly; and the README's sample config (`tests/fixtures/nats/users.conf`) lets the
//! viewer follow a run but not command it, while the operator commands it.

#[path = "support/nats.rs"]
mod nats;

use std::path::Path;
use std::time::{Duration, Instant};

use nats::{NatsServer, Proc, Ran, switchyard_with_env, write_file};

const CRASH_REASSIGN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/crash-reassign.json");
const SAGA_BOOKING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/saga-booking.json");
const USERS_CONF: &str = include_str!("fixtures/nats/users.conf");
const README: &str = include_str!("../README.md");
const TLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

/// Test keys (made for these tests, used nowhere else): a user nkey seed and its public key, and
/// another seed that no server knows.
const SEED: &str = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
const SEED_PUBLIC: &str = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";
const UNKNOWN_SEED: &str = "SUAMSOQ4YDZNIIINRVYE5G2RKNLYDVPJPBH4SRBKCKCXS23CA527FWR7VA";

const RUN_WITHIN: Duration = Duration::from_secs(60);

/// None of `texts` holds `secret` (nor a long piece of it).
fn assert_hidden(secret: &str, texts: &[(&str, &str)]) {
    for (what, text) in texts {
        assert!(!text.contains(secret), "{what} shows the secret {secret:?}:\n{text}");
    }
}

/// `switchyard ARGS` with the variable `var` set to `value` (or no extra variable).
fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    switchyard_with_env(dir, args, env)
}

/// Serves `SAGA_BOOKING` (it fails, exit 1, in well under a second at speed 50) with these
/// extra arguments and environment, writing `journal`.
fn serve_saga(dir: &Path, url: &str, extra: &[&str], env: &[(&str, &str)], journal: &Path) -> Ran {
    let args = [
        &["run", SAGA_BOOKING, "--headless", "--serve", url, "--speed", "50", "--replace"][..],
        &["--journal", journal.to_str().unwrap()],
        extra,
    ]
    .concat();
    run_env(dir, &args, env)
}

#[test]
fn passwords_and_nkey_seeds_log_in_from_the_environment_and_files_and_are_never_shown() {
    let config = format!(
        "authorization {{ users: [ {{ user: alice, password: \"s3cret-pw\" }}, {{ nkey: {SEED_PUBLIC} }} ] }}\n"
    );
    let server = NatsServer::with_config("auth-password", Some(&config));
    let dir = server.dir();
    let url = server.url();
    let journal = dir.join("j.jsonl");
    let user = ["--nats-user", "alice"];

    // A wrong password: refused before anything is written, naming the variable, not the value.
    let wrong = [("SWITCHYARD_NATS_PASSWORD", "n0t-the-pw")];
    let ran = serve_saga(dir, &url, &user, &wrong, &journal);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!(
            "the NATS server at {url} refused the login (user `alice`, password from $SWITCHYARD_NATS_PASSWORD)"
        )),
        "{}",
        ran.stderr
    );
    assert!(!journal.exists(), "nothing is written when the server refuses the login");
    assert_hidden("n0t-the-pw", &[("stdout", &ran.stdout), ("stderr", &ran.stderr)]);
    for args in [
        vec!["ctl", &url, "--run", "saga-booking", "--nats-user", "alice", "--", ":pause"],
        vec!["attach", &url, "--run", "saga-booking", "--follow", "--nats-user", "alice"],
    ] {
        let ran = run_env(dir, &args, &wrong);
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains("refused the login"), "{}", ran.stderr);
        assert_hidden("n0t-the-pw", &[("stdout", &ran.stdout), ("stderr", &ran.stderr)]);
    }
    // No password at all: the variable is named.
    let ran = serve_saga(dir, &url, &user, &[], &journal);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("--nats-user alice needs its password in $SWITCHYARD_NATS_PASSWORD"), "{}", ran.stderr);

    // The right password: the run is served; neither its outputs, its journal nor its stream
    // (what attach prints) hold the password.
    let right = [("SWITCHYARD_NATS_PASSWORD", "s3cret-pw")];
    let ran = serve_saga(dir, &url, &user, &right, &journal);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let attach = run_env(dir, &["attach", &url, "--run", "saga-booking", "--follow", "--nats-user", "alice"], &right);
    assert_eq!(attach.code, Some(1), "{}", attach.stderr);
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(attach.stdout, journal_text, "attach --follow prints the journal");
    let shown = [("stdout", &ran.stdout[..]), ("stderr", &ran.stderr), ("the journal", &journal_text)];
    assert_hidden("s3cret-pw", &shown);

    // An nkey seed in a file: a seed the server does not know is refused naming the file.
    let unknown = write_file(dir, "unknown.nk", &format!("{UNKNOWN_SEED}\n"));
    let ran = serve_saga(dir, &url, &["--nats-creds", &unknown], &[], &journal);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains(&format!("refused the login (the nkey seed in {unknown})")), "{}", ran.stderr);
    assert_hidden(UNKNOWN_SEED, &[("stdout", &ran.stdout), ("stderr", &ran.stderr)]);
    let not_a_seed = write_file(dir, "bad.nk", "SUthis-is-not-a-seed\n");
    let ran = serve_saga(dir, &url, &["--nats-creds", &not_a_seed], &[], &journal);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains(&format!("{not_a_seed}: neither a NATS credentials file")), "{}", ran.stderr);
    assert_hidden("this-is-not", &[("stderr", &ran.stderr)]);
    // The server's seed logs in.
    let seed = write_file(dir, "user.nk", &format!("{SEED}\n"));
    let ran = serve_saga(dir, &url, &["--nats-creds", &seed], &[], &journal);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let attach = run_env(dir, &["attach", &url, "--run", "saga-booking", "--follow", "--nats-creds", &seed], &[]);
    assert_eq!(attach.code, Some(1), "{}", attach.stderr);
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(attach.stdout, journal_text);
    assert_hidden(SEED, &[("stdout", &ran.stdout), ("stderr", &ran.stderr), ("the journal", &journal_text)]);
}

#[test]
fn tokens_log_in_from_a_file_or_the_environment_and_are_never_shown() {
    let server = NatsServer::with_config("auth-token", Some("authorization { token: \"t0ken-right-91\" }\n"));
    let dir = server.dir();
    let url = server.url();
    let journal = dir.join("j.jsonl");

    let wrong_file = write_file(dir, "wrong.token", "t0ken-wrong-17\n");
    let ran = serve_saga(dir, &url, &["--nats-token-file", &wrong_file], &[], &journal);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains(&format!("refused the login (the token in {wrong_file})")), "{}", ran.stderr);
    assert!(!journal.exists());
    assert_hidden("t0ken-wrong-17", &[("stdout", &ran.stdout), ("stderr", &ran.stderr)]);
    let wrong_env = [("SWITCHYARD_NATS_TOKEN", "t0ken-wrong-17")];
    let ctl = run_env(dir, &["ctl", &url, "--run", "saga-booking", "--", ":pause"], &wrong_env);
    assert_eq!(ctl.code, Some(2), "{}", ctl.stderr);
    assert!(ctl.stderr.contains("refused the login (the token in $SWITCHYARD_NATS_TOKEN)"), "{}", ctl.stderr);
    assert_hidden("t0ken-wrong-17", &[("stdout", &ctl.stdout), ("stderr", &ctl.stderr)]);
    // No credentials at all.
    let ran = run_env(dir, &["attach", &url, "--run", "saga-booking", "--follow"], &[]);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("refused the login (no credentials)"), "{}", ran.stderr);

    // The right token, from the variable for the run and from a file for attach.
    let right_env = [("SWITCHYARD_NATS_TOKEN", "t0ken-right-91")];
    let ran = serve_saga(dir, &url, &[], &right_env, &journal);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let right_file = write_file(dir, "right.token", "t0ken-right-91\n");
    let attach =
        run_env(dir, &["attach", &url, "--run", "saga-booking", "--follow", "--nats-token-file", &right_file], &[]);
    assert_eq!(attach.code, Some(1), "{}", attach.stderr);
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(attach.stdout, journal_text);
    assert_hidden(
        "t0ken-right-91",
        &[("stdout", &ran.stdout), ("stderr", &ran.stderr), ("the journal", &journal_text)],
    );
}

#[test]
fn tls_works_with_the_servers_ca_and_fails_clearly_without_it() {
    let config = format!("tls {{ cert_file: \"{TLS}/server.pem\", key_file: \"{TLS}/server.key\" }}\n");
    let server = NatsServer::with_config("tls", Some(&config));
    let dir = server.dir();
    let url = server.url();
    let tls_url = format!("tls://127.0.0.1:{}", server.port);
    let ca = format!("{TLS}/ca.pem");
    let journal = dir.join("j.jsonl");

    // Without the CA the server's certificate is not trusted: exit 2, nothing written.
    for url in [&url, &tls_url] {
        let ran = serve_saga(dir, url, &[], &[], &journal);
        assert_eq!(ran.code, Some(2), "{}", ran.stderr);
        assert!(ran.stderr.contains(&format!("TLS to the NATS server at {url} failed")), "{}", ran.stderr);
        assert!(ran.stderr.contains("--nats-ca FILE"), "{}", ran.stderr);
        assert!(!journal.exists());
    }
    let ran = run_env(dir, &["ctl", &url, "--run", "saga-booking", "--", ":pause"], &[]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("TLS to the NATS server"), "{}", ran.stderr);
    // A CA file that is not one.
    let key = format!("{TLS}/server.key");
    let ran = serve_saga(dir, &url, &["--nats-ca", &key], &[], &journal);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("--nats-ca: CA file") && ran.stderr.contains("no PEM certificate"), "{}", ran.stderr);

    // With it: served over TLS (nats:// with a CA requires TLS), followed over tls://.
    let ran = serve_saga(dir, &url, &["--nats-ca", &ca], &[], &journal);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let attach = run_env(dir, &["attach", &tls_url, "--run", "saga-booking", "--follow", "--nats-ca", &ca], &[]);
    assert_eq!(attach.code, Some(1), "{}", attach.stderr);
    assert_eq!(attach.stdout, std::fs::read_to_string(&journal).unwrap());

    // A CA given for a server without TLS: TLS is required, so it fails rather than going plain.
    let plain = NatsServer::start("tls-plain");
    let ran = run_env(dir, &["ctl", &plain.url(), "--run", "x", "--nats-ca", &ca, "--", ":pause"], &[]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("TLS"), "{}", ran.stderr);
}

/// `ctl` as `user` (password `USER-pw`, the sample config's).
fn ctl_as(dir: &Path, url: &str, user: &str, command: &str) -> Ran {
    let password = format!("{user}-pw");
    let env = [("SWITCHYARD_NATS_PASSWORD", password.as_str())];
    run_env(dir, &["ctl", url, "--run", "night-2", "--nats-user", user, "--", command], &env)
}

#[test]
fn the_viewer_follows_a_run_but_may_not_command_it_and_the_operator_may() {
    assert!(README.contains(USERS_CONF), "the README's sample config must be tests/fixtures/nats/users.conf");
    let server = NatsServer::with_config("viewer-operator", Some(USERS_CONF));
    let dir = server.dir();
    let url = server.url();
    let journal = dir.join("served.jsonl");
    let env = |pw: &'static str| [("SWITCHYARD_NATS_PASSWORD", pw)];
    let serve = [
        "run",
        CRASH_REASSIGN,
        "--headless",
        "--serve",
        &url,
        "--run",
        "night-2",
        "--paused",
        "--speed",
        "20",
        "--nats-user",
        "runner",
        "--journal",
        journal.to_str().unwrap(),
    ];
    let mut run = Proc::start_with_env(dir, "serve", &serve, &env("runner-pw"));
    // The operator's :pause is answered (refused: it starts paused) once the run is served.
    let deadline = Instant::now() + RUN_WITHIN;
    loop {
        let ran = ctl_as(dir, &url, "operator", ":pause");
        if ran.code == Some(1) {
            assert_eq!(ran.stdout.lines().next(), Some("pause refused: nothing to change"), "{}", ran.stderr);
            break;
        }
        assert_eq!(ran.code, Some(2), "{}{}", ran.stdout, ran.stderr);
        assert!(Instant::now() < deadline && run.running(), "not served: {}\n{}", run.err(), server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let viewer = ["attach", &url, "--run", "night-2", "--follow", "--nats-user", "viewer"];
    let mut attach = Proc::start_with_env(dir, "attach", &viewer, &env("viewer-pw"));

    // The viewer may not command: the server refuses it, and ctl says so (exit 1).
    let denied = ctl_as(dir, &url, "viewer", ":resume");
    assert_eq!(denied.code, Some(1), "{}{}", denied.stdout, denied.stderr);
    assert!(denied.stdout.is_empty(), "{}", denied.stdout);
    let said = denied.stderr.trim_end();
    assert!(said.starts_with("switchyard ctl: not allowed to command run `night-2` on"), "{said}");
    assert!(said.contains("as user `viewer`, password from $SWITCHYARD_NATS_PASSWORD"), "{said}");
    assert!(
        said.contains(
            r#"(permission denied by the server: Permissions Violation for Publish to "switchyard.night-2.cmd")"#
        ),
        "{said}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(run.running() && attach.running(), "the run must still wait: {}{}", run.err(), attach.err());
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(!text.contains(r#""kind":"run_resumed""#), "the viewer's command was applied: {text}");

    // The operator's commands are applied.
    let hold = ctl_as(dir, &url, "operator", ":hold deploy -- viewer saw it");
    assert_eq!(hold.code, Some(0), "{}{}", hold.stdout, hold.stderr);
    assert_eq!(ctl_as(dir, &url, "operator", ":release deploy").code, Some(0));
    let resume = ctl_as(dir, &url, "operator", ":resume");
    assert_eq!(resume.code, Some(0), "{}{}", resume.stdout, resume.stderr);
    assert_eq!(run.wait(RUN_WITHIN).code(), Some(0), "{}\n{}", run.err(), server.log());
    // The viewer followed it all.
    assert_eq!(attach.wait(RUN_WITHIN).code(), Some(0), "{}\n{}", attach.err(), server.log());
    let journal = std::fs::read(&journal).unwrap();
    assert!(attach.out_bytes() == journal, "the viewer's attach --follow must print the journal's bytes");
    // Nothing the three users did was denied by the server but the viewer's command.
    let log = server.log();
    let violations: Vec<&str> = log.lines().filter(|l| l.contains("Violation")).collect();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(
        violations[0].contains(r#"User "viewer""#) && violations[0].contains("switchyard.night-2.cmd"),
        "{violations:?}"
    );
    // The viewer may not serve a run either (it may not make a stream).
    let ran = run_env(dir, &[&serve[..3], &["--serve", &url, "--nats-user", "viewer"]].concat(), &env("viewer-pw"));
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("not allowed to serve run `crash-reassign`"), "{}", ran.stderr);
    // The runner may replace a run's events (--replace deletes its stream).
    let again = [SAGA_BOOKING, "--headless", "--serve", &url, "--run", "night-2", "--speed", "50"];
    let ran =
        run_env(dir, &[&["run"], &again[..], &["--nats-user", "runner", "--replace"]].concat(), &env("runner-pw"));
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stderr, server.log());
}

#[test]
fn each_of_the_viewers_permissions_is_needed() {
    let needed = ["$JS.API.STREAM.INFO.", "$JS.API.CONSUMER.CREATE.", "$JS.API.CONSUMER.MSG.NEXT."];
    for (n, subject) in needed.into_iter().enumerate() {
        // The sample config without this one of the viewer's permissions.
        let view = USERS_CONF.split("users: [").next().unwrap();
        let line = view.lines().find(|l| l.contains(subject) && !l.trim_start().starts_with('#')).unwrap();
        let config = USERS_CONF.replacen(&format!("{line}\n"), "", 1);
        assert_ne!(config, USERS_CONF);
        let server = NatsServer::with_config(&format!("viewer-needs-{n}"), Some(&config));
        let (dir, url) = (server.dir(), server.url());
        let journal = dir.join("j.jsonl");
        let served =
            serve_saga(dir, &url, &["--nats-user", "runner"], &[("SWITCHYARD_NATS_PASSWORD", "runner-pw")], &journal);
        assert_eq!(served.code, Some(1), "{}", served.stderr);
        let viewer = ["attach", &url, "--run", "saga-booking", "--follow", "--nats-user", "viewer"];
        let ran = run_env(dir, &viewer, &[("SWITCHYARD_NATS_PASSWORD", "viewer-pw")]);
        assert_eq!(ran.code, Some(2), "without {subject}: {}", ran.stderr);
        assert!(ran.stderr.contains("not allowed to read run `saga-booking`"), "{}", ran.stderr);
        let denied = format!("Permissions Violation for Publish to \"{subject}switchyard_saga-booking");
        assert!(ran.stderr.contains(&denied), "without {subject}: {}", ran.stderr);
        assert!(ran.stdout.is_empty());
    }
}

#[test]
fn credentials_given_wrongly_are_refused_before_connecting() {
    let server = NatsServer::start("auth-bad-input");
    let dir = server.dir();
    let url = server.url();
    let token = write_file(dir, "t.token", "t0k\n");
    let seed = write_file(dir, "u.nk", &format!("{SEED}\n"));
    let pw = [("SWITCHYARD_NATS_PASSWORD", "pw")];
    let with_password = server.url_as("u:p");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["ctl", &url, "--run", "x", "--nats-user", "a", "--nats-creds", &seed, "--", ":pause"],
            "cannot be used with",
        ),
        (
            vec!["attach", &url, "--run", "x", "--follow", "--nats-user", "a", "--nats-token-file", &token],
            "cannot be used with",
        ),
        (vec!["run", CRASH_REASSIGN, "--headless", "--nats-creds", &seed], "are for --serve"),
        (vec!["ctl", &with_password, "--run", "x", "--nats-user", "a", "--", ":pause"], "credentials given twice"),
        (
            vec!["ctl", &url, "--run", "x", "--nats-token-file", "/nonexistent/t", "--", ":pause"],
            "cannot read the token file /nonexistent/t",
        ),
        (
            vec!["attach", &url, "--run", "x", "--follow", "--nats-ca", "/nonexistent/ca.pem"],
            "cannot read CA file /nonexistent/ca.pem",
        ),
    ];
    for (args, says) in cases {
        let ran = run_env(dir, &args, &pw);
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains(says), "{args:?} should say {says:?}: {}", ran.stderr);
    }
    // The variable is only read with --nats-user: an anonymous login still works without it.
    let ran = run_env(dir, &["ctl", &url, "--run", "x", "--", ":pause"], &pw);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("no served run `x`"), "{}", ran.stderr);
}

/// The sample config's `runner` serves a run with remote agents and stands by for it, and its
/// `agent` bridges an agent: every permission they use is in it (a missing one is a denial,
/// which stops them with exit 2).
#[test]
fn the_runner_and_the_agent_users_serve_remote_agents_and_fail_over() {
    let server = NatsServer::with_config("runner-agent", Some(USERS_CONF));
    let (dir, url) = (server.dir(), server.url());
    let scenario = write_file(
        dir,
        "remote.json",
        r#"{"name": "remote", "seed": 1, "resilience": {"heartbeat_timeout_ms": 0},
"agents": [{"id": "w", "capabilities": ["echo"], "kind": "nats",
            "command": ["python3", "assets/agents/echo.py", "w"], "env": {"SWITCHYARD_WORK_MS": "400"}}],
"tasks": [{"id": "a", "capability": "echo"}, {"id": "b", "capability": "echo", "depends_on": ["a"]},
          {"id": "c", "capability": "echo", "depends_on": ["b"]}, {"id": "d", "capability": "echo", "depends_on": ["c"]},
          {"id": "e", "capability": "echo", "depends_on": ["d"]}, {"id": "f", "capability": "echo", "depends_on": ["e"]}]}"#,
    );
    let as_user = |user: &str| vec![("SWITCHYARD_NATS_PASSWORD".to_string(), format!("{user}-pw"))];
    let start = |name: &str, user: &str, args: &[&str]| {
        let env = as_user(user);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let args = [args, &["--nats-user", user]].concat();
        Proc::start_with_env(dir, name, &args, &env)
    };
    let mut bridge = start("bridge", "agent", &["agent", "--nats", &url, "--run", "remote", "--id", "w"]);
    let journal = dir.join("leader.jsonl");
    let mut leader = start(
        "leader",
        "runner",
        &["run", &scenario, "--headless", "--serve", &url, "--journal", journal.to_str().unwrap()],
    );
    let mut standby = start("standby", "runner", &["run", &scenario, "--headless", "--serve", &url, "--standby"]);
    let deadline = Instant::now() + RUN_WITHIN;
    while !std::fs::read_to_string(&journal).unwrap_or_default().contains(r#""kind":"task_completed""#) {
        assert!(Instant::now() < deadline && leader.running(), "{}\n{}", leader.err(), bridge.err());
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::process::Command::new("kill").args(["-9", &leader.pid().to_string()]).status();
    let _ = leader.wait(Duration::from_secs(5));
    assert_eq!(standby.wait(RUN_WITHIN).code(), Some(0), "{}", standby.err());
    assert_eq!(bridge.wait(Duration::from_secs(10)).code(), Some(0), "{}", bridge.err());
    assert!(bridge.err().contains("joined run `remote` again"), "{}", bridge.err());
}
