//! Issue 11, class 7 (unbounded reads and writes): scenario reading has a size limit
//! (`--max-scenario-bytes`), `/dev/zero` is refused at once, `gen` streams in constant memory,
//! and `run` refuses output paths that would overwrite each other or the scenario.

#[path = "support/scratch.rs"]
mod scratch;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_switchyard"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = scratch::dir("unbounded");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unbounded_oversized_scenarios_are_refused() {
    let file = "scenarios/crash-storm.json";
    let size = std::fs::metadata(file).unwrap().len();
    let limit = (size - 1).to_string();
    for args in [vec!["validate", file], vec!["run", "--headless", file]] {
        let o = bin().args(&args).args(["--max-scenario-bytes", &limit]).output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(file) && err.contains(&format!("limit of {limit} bytes")), "{err}");
    }
    // At the limit it is fine.
    let o = bin().args(["validate", file, "--max-scenario-bytes", &size.to_string()]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A pipe is read no further than the limit.
    let mut child = bin()
        .args(["validate", "/dev/stdin", "--max-scenario-bytes", "1000"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        let spaces = vec![b' '; 4096];
        while stdin.write_all(&spaces).is_ok() {}
    });
    let o = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("limit of 1000 bytes"), "{}", stderr(&o));
}

#[test]
fn unbounded_dev_zero_is_refused_at_once() {
    let start = Instant::now();
    let o = run(&["validate", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("/dev/zero:1:1:"), "{}", stderr(&o));
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
}

/// `--set PATH+=@FILE` reads its file as a scenario is read: `/dev/zero` is refused at once (it
/// was read whole, until the memory ran out).
#[test]
fn unbounded_set_item_file_dev_zero_is_refused_at_once() {
    let start = Instant::now();
    let o = run(&["run", "--headless", "scenarios/market-auction.json", "--set", "agents+=@/dev/zero"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--set agents+=@/dev/zero: /dev/zero is not JSON"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
}

/// A scenario that comes down a pipe is read once, also when `--set` changes it or `compare`
/// makes several variants of it (each read it again, and found the pipe empty).
#[test]
fn unbounded_a_piped_scenario_is_read_once_for_set_and_compare() {
    let file = "scenarios/market-auction.json";
    let piped = |args: &[&str]| {
        let mut child =
            bin().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, &std::fs::read(file).unwrap()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    };
    let set = ["--set", "allocation=best_score", "--seed", "3"];
    let o = piped(&[&["run", "--headless", "/dev/stdin"][..], &set].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let direct = run(&[&["run", "--headless", file][..], &set].concat());
    assert_eq!(o.stdout, direct.stdout, "the piped run is the file's run");
    let (piped_csv, direct_csv) = (tmp("piped.csv"), tmp("direct.csv"));
    let vary = ["--vary", "allocation=least_loaded,best_score", "--seeds", "1..4", "--csv"];
    let o = piped(&[&["compare", "/dev/stdin"][..], &vary, &[piped_csv.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let direct = run(&[&["compare", file][..], &vary, &[direct_csv.to_str().unwrap()]].concat());
    assert_eq!(o.stdout, direct.stdout, "both variants of the piped file are the file's");
    let csv = std::fs::read_to_string(&piped_csv).unwrap();
    assert_eq!(csv, std::fs::read_to_string(&direct_csv).unwrap());
    assert_eq!(csv.lines().count(), 1 + 2 * 4, "a header and 8 records: {csv}");
}

/// The child's peak resident memory in kB, from /proc.
fn peak_kb(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("this test needs /proc/PID/status (Linux)");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn unbounded_gen_streams_in_constant_memory() {
    for shape in ["fanout", "layered", "chain"] {
        let start = Instant::now();
        let mut child = bin()
            .args(["gen", "--tasks", "1000000000", "--agents", "100000000", "--shape", shape])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = vec![0u8; 64 << 10];
        stdout.read_exact(&mut first).unwrap();
        assert!(first.starts_with(b"{\"name\":\"gen-"), "{shape}");
        // The writer is now blocked on a full pipe: what it holds is what it needed so far.
        std::thread::sleep(Duration::from_millis(100));
        let kb = peak_kb(child.id());
        assert!(kb < 100_000, "{shape}: gen holds {kb} kB after writing 64 KiB");
        drop(stdout);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{shape}: a closed pipe is not an error");
        assert!(start.elapsed() < Duration::from_secs(10), "{shape}: took {:?}", start.elapsed());
    }
}

/// Contents and modification time, to tell a file was left alone.
fn snapshot(path: &Path) -> (Vec<u8>, SystemTime) {
    (std::fs::read(path).unwrap(), std::fs::metadata(path).unwrap().modified().unwrap())
}

#[test]
fn unbounded_outputs_may_not_overwrite_each_other_or_the_scenario() {
    let scenario = tmp("s.json");
    std::fs::copy("scenarios/crash-storm.json", &scenario).unwrap();
    let link = tmp("link.json");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&scenario, &link).unwrap();
    let dir = scenario.parent().unwrap();
    let s = scenario.to_str().unwrap();
    let dotted = format!("{}/./s.json", dir.display());
    let fresh = tmp("fresh.out");
    let fresh_dotted = format!("{}/../{}/fresh.out", dir.display(), dir.file_name().unwrap().to_str().unwrap());
    let _ = std::fs::remove_file(&fresh);
    let before = snapshot(&scenario);
    let cases: Vec<Vec<&str>> = vec![
        vec!["--journal", s],
        vec!["--report", &dotted],
        vec!["--journal", link.to_str().unwrap()],
        vec!["--journal", fresh.to_str().unwrap(), "--report", &fresh_dotted],
    ];
    for extra in &cases {
        for mode in [&["--headless"][..], &[][..]] {
            let o = bin().args(["run", s]).args(mode).args(extra).output().unwrap();
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{extra:?} {mode:?}: {err}");
            assert!(err.contains("are the same file"), "{err}");
            assert!(err.contains(extra[1]), "names the path: {err}");
        }
    }
    assert_eq!(snapshot(&scenario), before, "the scenario is untouched");
    assert!(!fresh.exists(), "nothing was created");
    // Distinct files, and /dev/null twice, are fine.
    let o = run(&["run", "--headless", s, "--journal", "/dev/null", "--report", "/dev/null"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
