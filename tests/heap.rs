//! The process heap's first stretch is marked for transparent huge pages (see `src/heap.rs`):
//! checked on a running switchyard's memory map, as the kernel reports it.

#[path = "support/procs.rs"]
mod procs;
#[path = "support/scratch.rs"]
mod scratch;

use std::time::Duration;

use procs::*;

/// The `[heap]` mappings of process `pid`: (start, end, flags) each.
fn heap_mappings(pid: u32) -> Vec<(u64, u64, String)> {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("the run is alive");
    let mut out = Vec::new();
    let mut heap = None;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            let range = (u64::from_str_radix(a, 16).unwrap(), u64::from_str_radix(b, 16).unwrap());
            heap = line.ends_with("[heap]").then_some(range);
        } else if let (Some((a, b)), Some(flags)) = (heap, line.strip_prefix("VmFlags:")) {
            out.push((a, b, flags.trim().to_string()));
        }
    }
    out
}

#[test]
fn the_heap_asks_for_huge_pages() {
    if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
        eprintln!("skipped: this kernel has no transparent huge pages");
        return;
    }
    let dir = temp_dir("heap-huge");
    let mark = mark("heap-huge");
    let agents = [sh_agent("a", &mark, "DELAY=30 answer \"$1\"")];
    let file = write_scenario(&dir, &agents, 1, r#""heartbeat_ms": 0,"#);
    let journal = dir.join("journal.jsonl");
    let mut run = start(&["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()]);
    wait_for_line(&journal, "attempt_started", Duration::from_secs(20));
    let heap = heap_mappings(run.id());
    signal(run.id(), "TERM");
    wait_with_deadline(&mut run, Duration::from_secs(20));
    kill_marked(&mark);
    // One stretch of at least 2 MiB, 2 MiB-aligned, asks for huge pages (`hg`).
    let marked: Vec<_> = heap.iter().filter(|(_, _, flags)| flags.split(' ').any(|f| f == "hg")).collect();
    assert_eq!(marked.len(), 1, "{heap:#?}");
    let (start, end, _) = marked[0];
    assert!(start % (2 << 20) == 0 && end - start >= 2 << 20, "{heap:#?}");
}
