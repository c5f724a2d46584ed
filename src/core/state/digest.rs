//! A comparable summary of a state: what resuming a run checks against the run it continues.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use super::{State, TaskState};
use crate::core::TaskId;
use crate::core::timers::Timer;

impl State {
    /// A comparable summary of everything that matters for the future of the run (stale heap entries
    /// and timers are left out because they never act).
    pub fn digest(&self) -> String {
        let live_timers: BTreeSet<(u64, Timer)> = self
            .timers
            .iter()
            .chain(self.watchdog.iter())
            .filter(|(_, _, t)| self.timer_is_live(*t))
            .map(|(at, _, t)| (*at, *t))
            .collect();
        let ready: Vec<Vec<u32>> = self
            .ready
            .iter()
            .enumerate()
            .map(|(c, q)| {
                let mut v: Vec<u32> = q
                    .iter()
                    .map(|(_, Reverse(t))| *t)
                    .filter(|&t| self.tasks[t as usize].state == TaskState::Ready && !self.tasks[t as usize].held)
                    .filter(|&t| !self.swarm.is_posted(TaskId(t)))
                    .filter(|&t| self.ladder.class_of(TaskId(t)).is_none_or(|k| k.0 as usize == c))
                    .filter(|&t| !self.auctions.is_open_task(TaskId(t)))
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let avail = &self.avail;
        format!(
            "now={} seq={} msg={} assigned={} term={}/{}/{}/{} retries={}/{} finished={:?} span={} paused={} speed={} inbox={:?}\n\
             tasks={:?}\nagents={:?}\nready={:?}\navail={:?}\ntimers={:?}\nbus={:?}\nattempts={:?}\noutputs={:?}\n{}\n{}\nladder={:?}\n{}\n{}\nplans={:?}\n{}\nvotes={:?}\n{}",
            self.now_ms,
            self.next_seq,
            self.next_msg_id,
            self.assignments,
            self.terminal,
            self.completed,
            self.failed,
            self.skipped,
            self.retries,
            self.reassignments,
            self.finished,
            self.makespan_ms,
            self.paused,
            self.speed,
            self.inbox,
            self.tasks,
            self.agents,
            ready,
            avail,
            live_timers,
            self.bus,
            self.attempt_log,
            self.outputs,
            self.sagas.digest(),
            self.ctx.digest(),
            self.ladder,
            self.teams.digest(),
            self.auctions.digest(),
            self.plans,
            self.swarm.digest(),
            self.votes,
            self.elastic.digest()
        )
    }
}
