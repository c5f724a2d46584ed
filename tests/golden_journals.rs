//! Determinism is a contract: every simulated bundled scenario, run by the real binary with its
//! own seed, writes the journal kept in `tests/golden/NAME.jsonl`, byte for byte. A change to
//! those bytes must be intended: rerun with `SWITCHYARD_BLESS=1` to rewrite them, and say why in
//! the commit that carries the new files.

#[path = "support/scratch.rs"]
mod scratch;

use std::path::{Path, PathBuf};
use std::process::Command;

fn simulated_scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("this test reads {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| switchyard::scenario::load(p).unwrap().agents.iter().all(|a| a.kind.is_sim()))
        .collect();
    paths.sort();
    paths
}

/// Where two texts first differ: the line number and both lines.
fn first_difference(want: &str, got: &str) -> String {
    let (mut w, mut g) = (want.lines(), got.lines());
    for n in 1.. {
        match (w.next(), g.next()) {
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return "equal lines, different bytes (line endings?)".into(),
            (a, b) => {
                return format!("line {n}:\n  golden: {}\n  now:    {}", a.unwrap_or("<end>"), b.unwrap_or("<end>"));
            }
        }
    }
    unreachable!()
}

#[test]
fn every_simulated_bundled_scenario_writes_its_golden_journal() {
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("SWITCHYARD_BLESS").is_some();
    let out_dir = scratch::dir("golden");
    std::fs::create_dir_all(&out_dir).unwrap();
    let scenarios = simulated_scenarios();
    assert!(scenarios.len() >= 16, "{scenarios:?}");
    let mut failures = Vec::new();
    for path in &scenarios {
        let name = path.file_stem().unwrap().to_str().unwrap();
        let journal = out_dir.join(format!("{name}.jsonl"));
        let status = Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .arg("run")
            .arg(path)
            .args(["--headless", "--journal"])
            .arg(&journal)
            .output()
            .unwrap()
            .status;
        assert!(matches!(status.code(), Some(0 | 1)), "{name}: {status}");
        let got = std::fs::read_to_string(&journal).unwrap();
        let golden = golden_dir.join(format!("{name}.jsonl"));
        if bless {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with SWITCHYARD_BLESS=1)", golden.display()));
        if want != got {
            failures.push(format!("{name}: {}", first_difference(&want, &got)));
        }
    }
    assert!(failures.is_empty(), "journals changed:\n{}", failures.join("\n"));
}
