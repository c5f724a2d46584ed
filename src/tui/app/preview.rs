//! What a destructive action will do, in words, for the question the console asks before it:
//! the dependents a cancel skips, the running work a crash, hang or partition loses, the attempt a
//! reassignment cuts short, the journal a restart keeps aside.

use super::{App, rotated_name};
use crate::core::{OpAction, Resolution, TaskId};

impl App {
    /// What a destructive action will do, for the confirmation popup; `None` when it needs none.
    pub(in crate::tui) fn preview(&self, action: OpAction) -> Option<Vec<String>> {
        let impact = self.coord().impact(action);
        let names = |ts: &[TaskId]| ts.iter().map(|&t| self.task_name(t)).collect::<Vec<_>>().join(", ");
        let mut lines = Vec::new();
        match action {
            OpAction::Cancel(t) => {
                lines.push(format!(
                    "cancel {}: {} will be skipped",
                    self.task_name(t),
                    count(impact.skipped.len(), "dependent")
                ));
            }
            OpAction::Resolve(t, r @ (Resolution::Skip | Resolution::Fail)) => lines.push(format!(
                "resolve {} as {}: {} will be skipped",
                self.task_name(t),
                r.name(),
                count(impact.skipped.len(), "dependent")
            )),
            OpAction::Crash(a) => lines.push(format!(
                "crash {}: {} lose their attempt and are reassigned",
                self.agent_name(a),
                count(impact.interrupted.len(), "running task")
            )),
            OpAction::Hang(a) => lines.push(format!(
                "hang {}: it stops answering; its {} lost when the coordinator notices its silence \
                 (heartbeat timeout)",
                self.agent_name(a),
                count_are(impact.interrupted.len(), "running task")
            )),
            OpAction::Partition(a) => lines.push(format!(
                "partition {}: cut off from the coordinator until :heal; its {} lost if it stays silent past \
                 the heartbeat timeout",
                self.agent_name(a),
                count_are(impact.interrupted.len(), "running task")
            )),
            OpAction::Reassign(t, a) if !impact.interrupted.is_empty() => {
                let (_, from) = impact.interrupted[0];
                lines.push(format!(
                    "reassign {} to {}: its running attempt on {} is cancelled",
                    self.task_name(t),
                    self.agent_name(a),
                    self.agent_name(from)
                ));
            }
            OpAction::Restart => {
                let kept = match &self.opts.journal {
                    Some(p) => format!("; its journal is kept as {}", rotated_name(p, self.restarts + 1).display()),
                    None => String::new(),
                };
                lines.push(format!("restart {}: the current run is discarded{kept}", self.scenario.name));
            }
            _ => return None,
        }
        if !impact.skipped.is_empty() {
            lines.push(format!("skipped: {}", names(&impact.skipped)));
        }
        if !impact.interrupted.is_empty() && !matches!(action, OpAction::Reassign(..)) {
            let ts: Vec<TaskId> = impact.interrupted.iter().map(|(t, _)| *t).collect();
            lines.push(format!("interrupted: {}", names(&ts)));
        }
        Some(lines)
    }
}

/// `1 running task`, `2 running tasks`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// `1 running task is`, `2 running tasks are`.
fn count_are(n: usize, noun: &str) -> String {
    format!("{} {}", count(n, noun), if n == 1 { "is" } else { "are" })
}
