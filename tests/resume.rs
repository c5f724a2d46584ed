//! `resume` (issue 12): a simulated run whose journal was cut at any line or byte — operator
//! actions in the cut part included — and resumed runs to the end and leaves a journal
//! byte-identical to the one the uninterrupted run wrote.

#[path = "support/scratch.rs"]
mod scratch;

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use switchyard::core::{AgentId, OpAction, Resolution, TaskId};
use switchyard::journal::JournalWriter;
use switchyard::runtime::SimRun;

const SCENARIOS: [&str; 8] = [
    "crash-storm",
    "market-auction",
    "consensus-release",
    "saga-booking",
    "escalation-ladder",
    "elastic-team",
    "flaky-network",
    "planner-decomposition",
];

fn tmp(name: &str) -> PathBuf {
    let dir = scratch::dir("resume");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// An operator action by kind and target index (taken modulo the scenario's counts).
fn action(kind: u8, target: usize, tasks: usize, agents: usize) -> OpAction {
    let t = TaskId((target % tasks) as u32);
    let a = AgentId((target % agents) as u32);
    match kind % 9 {
        0 => OpAction::Crash(a),
        1 => OpAction::Revive(a),
        2 => OpAction::Retry(t),
        3 => OpAction::Hold(t),
        4 => OpAction::Release(t),
        5 => OpAction::Reassign(t, a),
        6 => OpAction::Escalate(t),
        7 => OpAction::Resolve(t, Resolution::Retry),
        _ => OpAction::Drain(a),
    }
}

/// The uninterrupted run: headless, with operator actions at the given times (as the console
/// takes them: after everything due by then). Returns the journal's bytes.
fn uninterrupted(name: &str, ops: &[(u64, u8, usize)]) -> Vec<u8> {
    let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let sc = switchyard::scenario::load(Path::new(&path)).unwrap();
    let (tasks, agents) = (sc.tasks.len(), sc.agents.len());
    let mut run = SimRun::new(sc);
    let mut w = JournalWriter::new(Vec::new());
    let mut ops = ops.to_vec();
    ops.sort();
    for (t, kind, target) in ops {
        run.advance_to(t, &mut w).unwrap();
        if run.is_done() {
            break;
        }
        let _ = run.operator(action(kind, target, tasks, agents), "tester", Some("a test"), &mut w).unwrap();
    }
    run.run(&mut w).unwrap();
    w.into_inner().unwrap()
}

fn resume(cut: &[u8], file: &Path) -> std::process::Output {
    std::fs::write(file, cut).unwrap();
    Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["resume", file.to_str().unwrap(), "--headless"])
        .output()
        .unwrap()
}

/// The byte just after the last operator event's line (a cut must keep every operator action).
fn after_last_operator_line(full: &[u8]) -> usize {
    let text = std::str::from_utf8(full).unwrap();
    let mut end = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        pos += line.len();
        if line.contains("\"origin\":\"operator\"") || line.contains("\"kind\":\"operator_action\"") {
            end = pos;
        }
    }
    // Past the header, in any case.
    end.max(text.find('\n').unwrap() + 1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn resume_after_any_cut_writes_the_uninterrupted_journal(
        which in 0..SCENARIOS.len(),
        ops in proptest::collection::vec((0u64..4000, any::<u8>(), 0usize..64), 0..4),
        at in 0.0f64..1.0,
        whole_line in any::<bool>(),
    ) {
        let full = uninterrupted(SCENARIOS[which], &ops);
        let from = after_last_operator_line(&full);
        prop_assume!(from < full.len());
        let mut cut = from + ((full.len() - from) as f64 * at) as usize;
        if whole_line {
            // Back to the start of the line the cut falls in.
            cut = full[..cut].iter().rposition(|&b| b == b'\n').map_or(from, |i| i + 1).max(from);
        }
        let file = tmp(&format!("cut-{which}-{cut}.jsonl"));
        let out = resume(&full[..cut], &file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        prop_assert!(matches!(out.status.code(), Some(0 | 1)), "{}: {stderr}", SCENARIOS[which]);
        let resumed = std::fs::read(&file).unwrap();
        prop_assert!(resumed == full, "{} cut at {cut} of {}: the resumed journal differs", SCENARIOS[which], full.len());
    }
}

#[test]
fn resume_refuses_what_it_cannot_continue_and_leaves_the_file_alone() {
    let full = uninterrupted("crash-storm", &[]);
    let text = String::from_utf8(full.clone()).unwrap();
    let half = &text[..text[..text.len() / 2].rfind('\n').unwrap() + 1];
    let check = |name: &str, content: &str, code: i32, needle: &str| {
        let file = tmp(name);
        let out = resume(content.as_bytes(), &file);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
        assert!(stderr.contains(needle), "{name}: expected {needle:?} in {stderr}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), content, "{name}: the file changed");
    };
    // A finished run is not an error.
    check("finished.jsonl", &text, 0, "nothing to resume: crash-storm finished at");
    // A journal whose events are not what its scenario gives (here: an agent's result moved).
    let lines: Vec<&str> = half.lines().collect();
    let i = lines.iter().position(|l| l.contains("\"kind\":\"attempt_succeeded\"")).unwrap();
    let forged = lines[i].replacen("\"duration_ms\":", "\"duration_ms\":1", 1);
    let mut tampered: Vec<&str> = lines.clone();
    tampered[i] = &forged;
    check("forged.jsonl", &(tampered.join("\n") + "\n"), 2, "does not match its scenario's simulation at #");
    // Read-only: refused before anything runs.
    let ro = tmp("read-only.jsonl");
    std::fs::write(&ro, half).unwrap();
    let mut perms = std::fs::metadata(&ro).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&ro, perms).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["resume", ro.to_str().unwrap(), "--headless"])
        .output()
        .unwrap();
    // (root may write a read-only file; then the resume simply succeeds)
    if out.status.code() == Some(2) {
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write journal"));
        assert_eq!(std::fs::read_to_string(&ro).unwrap(), half);
    } else {
        assert_eq!(std::fs::read(&ro).unwrap(), full);
    }
    // Gone.
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["resume", tmp("gone.jsonl").to_str().unwrap(), "--headless"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn resume_honours_the_operator_actions_of_the_cut_part() {
    // A crash and a revive of the same agent, and a retry, taken by "the console".
    let ops = [(400, 0, 2), (900, 1, 2), (1200, 2, 3)];
    let full = uninterrupted("crash-storm", &ops);
    let text = std::str::from_utf8(&full).unwrap();
    let actions =
        text.matches("\"kind\":\"operator_action\"").count() + text.matches("\"origin\":\"operator\"").count();
    assert!(actions >= 3, "{actions} operator lines");
    let from = after_last_operator_line(&full);
    for cut in [from, from + 1, from + 250, (from + full.len()) / 2] {
        let file = tmp(&format!("ops-{cut}.jsonl"));
        let out = resume(&full[..cut], &file);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::read(&file).unwrap() == full, "cut at {cut}: the resumed journal differs");
    }
}
