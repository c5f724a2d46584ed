//! `switchyard compare`: its figures are those of single runs (`run --headless --seed S --set …`),
//! its CSV and JSON hold one record per run, and one thread or two give the same numbers.

#[path = "support/scratch.rs"]
mod scratch;

use std::process::{Command, Output};

const FANOUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/parallel-fanout.json");

fn switchyard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchyard")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn compare_figures_are_single_runs_and_every_run_is_a_record() {
    let dir = scratch::dir("compare");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = |n: &str| dir.join(format!("{n}.csv"));
    let vary = ["--vary", "allocation=round_robin,best_score", "--vary", "agents.worker-1.profile.failure_rate=0,0.4"];
    let compare = |jobs: &str, name: &str| {
        let (c, j) = (csv(name), dir.join(format!("{name}.json")));
        let args = [
            &["compare", FANOUT, "--seeds", "3..8", "--jobs", jobs][..],
            &vary[..],
            &["--csv", c.to_str().unwrap(), "--json", j.to_str().unwrap()],
        ]
        .concat();
        let out = switchyard(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        (text(&out.stdout), std::fs::read_to_string(c).unwrap(), std::fs::read_to_string(j).unwrap())
    };
    let (table1, csv1, json1) = compare("1", "one");
    let (table2, csv2, json2) = compare("2", "two");
    assert_eq!((&table1, &csv1, &json1), (&table2, &csv2, &json2), "--jobs must not change a number");
    // Four variants (the cross product), six seeds each: a row per variant, a record per run.
    assert_eq!(table1.lines().count(), 5, "{table1}");
    assert!(table1.contains("allocation=best_score agents.worker-1.profile.failure_rate=0.4"), "{table1}");
    let records: Vec<&str> = csv1.lines().skip(1).collect();
    assert_eq!(records.len(), 24);
    let json: Vec<serde_json::Value> = serde_json::from_str(&json1).unwrap();
    assert_eq!(json.len(), 24);
    // Spot checks: the record of a (variant, seed) is what a single run reports.
    for (variant, sets, seed) in [
        (
            "allocation=round_robin agents.worker-1.profile.failure_rate=0",
            ["allocation=round_robin", "agents.worker-1.profile.failure_rate=0"],
            3,
        ),
        (
            "allocation=best_score agents.worker-1.profile.failure_rate=0.4",
            ["allocation=best_score", "agents.worker-1.profile.failure_rate=0.4"],
            8,
        ),
        (
            "allocation=best_score agents.worker-1.profile.failure_rate=0",
            ["allocation=best_score", "agents.worker-1.profile.failure_rate=0"],
            5,
        ),
    ] {
        let report = dir.join(format!("report-{seed}.json"));
        let seed_arg = seed.to_string();
        let out = switchyard(&[
            "run",
            FANOUT,
            "--headless",
            "--seed",
            &seed_arg,
            "--set",
            sets[0],
            "--set",
            sets[1],
            "--report",
            report.to_str().unwrap(),
        ]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out.stderr));
        let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let rec = json
            .iter()
            .find(|j| j["variant"] == variant && j["seed"] == seed)
            .unwrap_or_else(|| panic!("no record {variant} {seed}"));
        assert_eq!(rec["outcome"], r["outcome"], "{variant} {seed}");
        assert_eq!(rec["makespan_ms"], r["makespan_ms"], "{variant} {seed}");
        assert_eq!(rec["retries"], r["counts"]["retries"], "{variant} {seed}");
        assert_eq!(rec["reassigned"], r["counts"]["reassigned"], "{variant} {seed}");
        assert_eq!(rec["escalated"], r["recovery"]["escalated"], "{variant} {seed}");
        assert_eq!(rec["mttr_ms"], r["recovery"]["mean_time_to_recovery_ms"], "{variant} {seed}");
    }
}

#[test]
fn bad_varies_and_seeds_exit_2_saying_why() {
    for (args, says) in [
        (vec!["--vary", "agents.nobody.cost=1,2"], "no agent `nobody` in `agents`"),
        (vec!["--vary", "allocation=fastest"], "unknown allocation strategy \"fastest\""),
        (vec!["--vary", "allocation=a,,b"], "a value is empty"),
        (vec!["--vary", "allocation=best_score", "--seeds", "9..3"], "--seeds 9..3: expected A..B"),
        (vec!["--vary", "allocation=best_score", "--jobs", "0"], "--jobs must be at least 1"),
        (vec!["--vary", "allocation=best_score", "--jobs", "100000000"], "--jobs 100000000: at most 1024"),
        (vec!["--vary", "nowhere.json"], "nowhere.json"),
    ] {
        let out = switchyard(&[&["compare", FANOUT][..], &args[..]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(says), "{args:?}: {}", text(&out.stderr));
    }
}

#[path = "support/tmux.rs"]
mod tmux;

/// On a terminal a long comparison shows a progress bar on stderr; Ctrl-C stops it cleanly and
/// prints the runs that finished (exit 130).
#[test]
fn a_long_comparison_shows_its_progress_and_stops_on_ctrl_c_with_what_finished() {
    use tmux::{Session, send, tmux, wait_for};
    let session = Session(format!("switchyard-compare-{}", std::process::id()));
    let cmd = format!(
        "{} compare {FANOUT} --vary allocation=round_robin,best_score --seeds 1..900000 --jobs 2; echo EXITED:$?; sleep 60",
        env!("CARGO_BIN_EXE_switchyard")
    );
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "200", "-y", "20", &cmd]);
    let screen = wait_for(&session, "/1800000 runs");
    assert!(screen.contains("about"), "{screen}");
    send(&session, &["C-c"]);
    let screen = wait_for(&session, "EXITED:");
    assert!(screen.contains("EXITED:130"), "{screen}");
    assert!(screen.contains("stopped by SIGINT") && screen.contains("of 1800000 runs finished"), "{screen}");
    assert!(screen.contains("allocation=round_robin"), "the table of what finished: {screen}");
}

/// On a terminal without `--csv`/`--json` the comparison opens in its view; Enter opens the chosen
/// variant's median-seed run in the console.
#[test]
fn the_compare_view_opens_the_chosen_variants_median_run_in_the_console() {
    use tmux::{Session, send, tmux, wait_for};
    let session = Session(format!("switchyard-compare-view-{}", std::process::id()));
    let cmd = format!(
        "{} compare {FANOUT} --vary allocation=round_robin,best_score --seeds 1..9; echo EXITED:$?; sleep 60",
        env!("CARGO_BIN_EXE_switchyard")
    );
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "40", &cmd]);
    let screen = wait_for(&session, "Enter open its median-seed run");
    assert!(screen.contains("allocation=best_score") && screen.contains("p vs first"), "{screen}");
    assert!(screen.contains("makespan (ms) by variant"), "{screen}");
    send(&session, &["Down"]);
    send(&session, &["Enter"]);
    // The console on that run: the scenario's name, its seed, the run under way or done.
    let console = wait_for(&session, "FINISHED");
    assert!(console.contains("Switchyard · parallel-fanout"), "{console}");
    assert!(!console.contains("Enter open its median-seed run"), "{console}");
    send(&session, &["q"]);
    let after = wait_for(&session, "EXITED:");
    assert!(after.contains("EXITED:0") || after.contains("EXITED:1"), "{after}");
}

/// `:whatif` on a paused console run compares changes from the run's current state: a popup with
/// `(as is)` and each variant, the run still paused and untouched; a change a run under way
/// cannot take is refused on the status line.
#[test]
fn whatif_on_a_paused_run_shows_each_change_against_going_on_as_is() {
    use tmux::{Session, capture, send, tmux, wait_for};
    let session = Session(format!("switchyard-whatif-{}", std::process::id()));
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/market-auction.json");
    let cmd = format!("{} run {scenario} --paused; echo EXITED:$?; sleep 60", env!("CARGO_BIN_EXE_switchyard"));
    tmux(&["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "45", &cmd]);
    wait_for(&session, "PAUSED");
    // Single steps, so the branches start mid-run.
    for _ in 0..12 {
        send(&session, &["."]);
    }
    let clock = |screen: &str| screen.split("t = ").nth(1).map(|s| s[..9].to_string());
    send(&session, &[":whatif --vary tasks-=archive", "Enter"]);
    let refused = wait_for(&session, "whatif: tasks-=archive: it changes which tasks there are");
    assert!(!refused.contains("What if"), "{refused}");
    // Keys are taken in order: the steps are all done by now.
    let before = refused;
    assert!(clock(&before) != Some("0:00.000 ".into()), "{before}");
    send(&session, &[":whatif --vary allocation=least_loaded,best_score --seeds 1..10", "Enter"]);
    wait_for(&session, "What if — done");
    // Its last line: a capture can catch a frame half drawn, the title changed and the rows not yet.
    let popup = wait_for(&session, "if allocation=best_score from now: p50 finish");
    for want in ["branched at", "(as is)", "allocation=least_loaded", "allocation=best_score", "p50 finish"] {
        assert!(popup.contains(want), "{want}: {popup}");
    }
    assert!(popup.contains("if allocation=best_score from now: p50 finish"), "{popup}");
    assert!(popup.contains("seeds 1..10 (10 runs)"), "{popup}");
    // The run itself did not move, and the branches' log lines are not in its log.
    assert!(popup.contains("PAUSED") && clock(&popup) == clock(&before), "{popup}");
    assert!(!popup.contains("whatif: resume"), "{popup}");
    send(&session, &["Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let closed = capture(&session);
    assert!(!closed.contains("What if"), "{closed}");
    send(&session, &["q", "y"]);
    let after = wait_for(&session, "EXITED:");
    assert!(after.contains("EXITED:"), "{after}");
}
