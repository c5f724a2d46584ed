//! The coordinator's pending timers (attempt deadlines, retry backoffs).
//!
//! Deadlines are `now + timeout_ms`, and a workflow uses few distinct timeouts, so each timeout value
//! gets a FIFO that is already in time order (time never goes back): push and pop are O(1) instead
//! of a heap's O(log n) over every attempt of a large run. Retry delays vary with jitter and go to a
//! heap, as do deadlines once there are too many distinct timeouts to scan.
//! Timers are never cancelled; the coordinator skips the stale ones when they come due.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A pending timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    AttemptDeadline {
        task: super::TaskId,
        attempt: u32,
    },
    RetryDue {
        task: super::TaskId,
        attempt: u32,
    },
    /// The agent has been silent since `seen_ms` for the whole heartbeat timeout.
    HeartbeatDeadline {
        agent: super::AgentId,
        seen_ms: u64,
    },
    /// An open circuit breaker's cool-down is over.
    BreakerProbe {
        agent: super::AgentId,
        at: u64,
    },
    /// A lock's lease may run out (index of the lock in the context index).
    LockLease {
        lock: u32,
        at: u64,
    },
    /// A group leader's lease may run out (index of the group).
    LeaderLease {
        group: u32,
        at: u64,
    },
    /// An inbox item's SLA runs out.
    InboxSla {
        task: super::TaskId,
        at: u64,
    },
    /// An auction's bid window ends.
    AuctionClose {
        auction: u32,
    },
    /// Swarm agents look at the board (see `protocols/swarm`).
    SwarmTick {
        at: u64,
    },
    /// A decision task's ballot reaches its deadline.
    BallotClose {
        task: super::TaskId,
        at: u64,
    },
    /// The ready task has waited `spawn_after_ms`: create an agent from its template? (`elastic.rs`)
    SpawnCheck {
        task: super::TaskId,
        at: u64,
    },
    /// The created agent has been idle `retire_after_ms`: retire it.
    RetireCheck {
        agent: super::AgentId,
        at: u64,
    },
    /// A help request waits no longer (see `protocols/teams/help.rs`).
    HelpTimeout {
        id: u64,
    },
    /// The scenario's `n`-th announcement in time order is due (see `protocols/teams/broadcast.rs`).
    Announce {
        n: u32,
    },
}

/// The instant `delay` after `now`. Virtual time saturates instead of wrapping: the scenario format
/// bounds every delay (`scenario::bounds`) and the drivers stop at their horizon long before
/// `u64::MAX`, so saturation is only a backstop, but one that keeps time from ever going backwards.
#[inline]
pub fn later(now: u64, delay: u64) -> u64 {
    now.saturating_add(delay)
}

/// `(at, seq, timer)`: `seq` makes every entry unique and keeps equal instants in push order.
pub type Entry = (u64, u64, Timer);

/// More distinct delays than this and new ones go to the heap (peeking scans every FIFO).
const MAX_FIFOS: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct Timers {
    fifos: Vec<(u64, VecDeque<Entry>)>,
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    /// The earliest entry and where it lives, kept up to date by every push and pop: drivers peek
    /// several times per input, and a scan looks at every FIFO.
    head: Option<(Entry, Slot)>,
}

/// Where the earliest entry lives.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Fifo(usize),
    Heap,
}

impl Timers {
    /// Schedules `timer` at `now + delay`. Pass the same `delay` for timers that should share a FIFO.
    pub fn push_after(&mut self, now: u64, delay: u64, timer: Timer) {
        self.seq += 1;
        let entry = (later(now, delay), self.seq, timer);
        if let Some(i) = self.fifos.iter().position(|(d, _)| *d == delay) {
            let q = &mut self.fifos[i].1;
            q.push_back(entry);
            // Only a FIFO's front competes for the head.
            if q.len() == 1 {
                self.offer(entry, Slot::Fifo(i));
            }
        } else if self.fifos.len() < MAX_FIFOS {
            self.fifos.push((delay, VecDeque::from([entry])));
            self.offer(entry, Slot::Fifo(self.fifos.len() - 1));
        } else {
            self.push_heap(entry);
        }
    }

    /// Schedules `timer` at an absolute instant (goes to the heap).
    pub fn push_at(&mut self, at: u64, timer: Timer) {
        self.seq += 1;
        self.push_heap((at, self.seq, timer));
    }

    fn push_heap(&mut self, entry: Entry) {
        self.heap.push(Reverse(entry));
        if self.heap.peek() == Some(&Reverse(entry)) {
            self.offer(entry, Slot::Heap);
        }
    }

    /// `entry` became the first of its FIFO or of the heap: the head if it is earlier.
    fn offer(&mut self, entry: Entry, slot: Slot) {
        if self.head.is_none_or(|(h, _)| entry < h) {
            self.head = Some((entry, slot));
        }
    }

    fn earliest(&self) -> Option<(Entry, Slot)> {
        let mut best: Option<(Entry, Slot)> = self.heap.peek().map(|Reverse(e)| (*e, Slot::Heap));
        for (i, (_, q)) in self.fifos.iter().enumerate() {
            if let Some(&e) = q.front()
                && best.is_none_or(|(b, _)| e < b)
            {
                best = Some((e, Slot::Fifo(i)));
            }
        }
        best
    }

    #[inline]
    pub fn peek(&self) -> Option<Entry> {
        self.head.map(|(e, _)| e)
    }

    pub fn pop(&mut self) -> Option<Entry> {
        let (entry, slot) = self.head?;
        match slot {
            Slot::Heap => {
                self.heap.pop();
            }
            Slot::Fifo(i) => {
                self.fifos[i].1.pop_front();
            }
        }
        self.head = self.earliest();
        Some(entry)
    }

    /// Every pending entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.fifos.iter().flat_map(|(_, q)| q.iter()).chain(self.heap.iter().map(|Reverse(e)| e))
    }

    pub fn len(&self) -> usize {
        self.fifos.iter().map(|(_, q)| q.len()).sum::<usize>() + self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::TaskId;

    fn t(n: u32) -> Timer {
        Timer::AttemptDeadline { task: TaskId(n), attempt: 1 }
    }

    #[test]
    fn pops_in_time_then_push_order_across_fifos_and_heap() {
        let mut timers = Timers::default();
        // Many distinct delays so some spill into the heap.
        let mut expected = Vec::new();
        for i in 0..40u32 {
            let now = i as u64;
            let delay = (i as u64 * 37) % 13;
            timers.push_after(now, delay, t(i));
            expected.push((now + delay, i as u64 + 1, t(i)));
        }
        timers.push_at(5, t(99));
        expected.push((5, 41, t(99)));
        expected.sort();
        assert_eq!(timers.len(), 41);
        let popped: Vec<Entry> = std::iter::from_fn(|| {
            assert_eq!(timers.peek(), timers.earliest().map(|(e, _)| e));
            timers.pop()
        })
        .collect();
        assert_eq!(popped, expected);
        assert!(timers.is_empty());
    }
}
