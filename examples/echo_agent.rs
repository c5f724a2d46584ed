//! The smallest fast agent: says hello, answers every task at once with its description, exits on
//! `shutdown` or at the end of its input. The benchmark of remote agents puts it behind bridges
//! (`benches/remote_agents.py`), where a Python agent's start-up and threads would be what is
//! measured.
//!
//!     cargo build --release --example echo_agent
//!     switchyard agent --nats URL --run NAME --id ID -- target/release/examples/echo_agent ID CAPABILITY

use std::io::{BufRead, BufWriter, Write};

fn main() {
    let mut args = std::env::args().skip(1);
    let id = args.next().unwrap_or_else(|| "echo".into());
    let capability = args.next().unwrap_or_else(|| "echo".into());
    let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin());
    let mut out = BufWriter::new(std::io::stdout().lock());
    let hello = serde_json::json!({"type": "hello", "protocol": 1, "agent": id, "capabilities": [capability]});
    let _ = writeln!(out, "{hello}").and_then(|()| out.flush());
    let mut line = String::new();
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        match msg["type"].as_str() {
            Some("task") => {
                let result = serde_json::json!({
                    "type": "result", "task": msg["id"], "attempt": msg["attempt"],
                    "output": {"echo": msg["description"]}
                });
                if writeln!(out, "{result}").is_err() {
                    return;
                }
            }
            Some("shutdown") => return,
            _ => {}
        }
        // Flushed when nothing more waits to be read: one write for a burst of tasks.
        if input.buffer().is_empty() && out.flush().is_err() {
            return;
        }
    }
}
