//! Issue 11, class 8 — protocol gaps: a `result` for a task that was given to *another* agent, or
//! for an attempt that was never given out, is a `protocol_error` like any other line that does
//! not fit, and changes nothing else.

#[path = "support/procs.rs"]
mod procs;
#[path = "support/scratch.rs"]
mod scratch;

use std::time::Duration;

use procs::*;

#[test]
fn protocol_a_result_for_another_agents_task_is_a_protocol_error() {
    let dir = temp_dir("protocol-other");
    let mark = mark("protocol-other");
    // `honest` takes a second over its task; `poacher` answers its own task, and before that
    // claims the other one and an attempt of its own task that was never given out.
    let poacher = r#"while IFS= read -r line; do
      case $line in
        *'"type":"shutdown"'*) exit 0 ;;
        *'"type":"task"'*)
          task=$(printf '%s\n' "$line" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
          for other in t0 t1; do
            [ "$other" = "$task" ] && continue
            printf '{"type":"result","task":"%s","attempt":1,"output":{"by":"poacher"}}\n' "$other"
          done
          printf '{"type":"result","task":"%s","attempt":7,"output":{"by":"poacher"}}\n' "$task"
          printf '{"type":"result","task":"%s","attempt":1,"output":{"by":"poacher"}}\n' "$task" ;;
      esac
    done"#;
    let agents = [sh_agent("honest", &mark, "DELAY=1 answer \"$1\""), sh_agent("poacher", &mark, poacher)]
        .map(|a| a.replace("\"capabilities\": [\"work\"]", "\"capabilities\": [\"work\"], \"max_concurrent\": 1"));
    let file = write_scenario(&dir, &agents, 2, r#""heartbeat_ms": 0,"#);
    let journal = dir.join("journal.jsonl");
    let mut run = start(&["run", file.to_str().unwrap(), "--headless", "--journal", journal.to_str().unwrap()]);
    let status = wait_with_deadline(&mut run, Duration::from_secs(30));
    kill_marked(&mark);
    assert_eq!(status.code(), Some(0));
    let lines = journal_lines(&journal);
    let errors: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["kind"] == "protocol_error" && l["agent"] == "poacher").collect();
    let texts: Vec<&str> = errors.iter().map(|l| l["error"].as_str().unwrap()).collect();
    assert!(texts.iter().any(|e| e.contains("which was given to another agent")), "{texts:#?}");
    assert!(texts.iter().any(|e| e.contains("attempt 7, which was never given out")), "{texts:#?}");
    // Each task was completed by the agent it was given to, and only once.
    for task in ["t0", "t1"] {
        let started: Vec<_> = lines.iter().filter(|l| l["kind"] == "attempt_started" && l["task"] == task).collect();
        let done: Vec<_> = lines.iter().filter(|l| l["kind"] == "attempt_succeeded" && l["task"] == task).collect();
        assert_eq!(done.len(), 1, "{task}: {done:#?}");
        assert_eq!(done[0]["agent"], started[0]["agent"], "{task} succeeded on the agent it was given to");
    }
    let poached = lines.iter().filter(|l| l["kind"] == "late_result_discarded" && l["agent"] == "poacher").count();
    assert_eq!(poached, 0, "a poached result does not reach the coordinator");
}
