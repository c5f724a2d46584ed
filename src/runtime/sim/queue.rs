//! The driver's discrete-event queue: entries come out by `(time, rank, seq)`, earliest time
//! first, then lowest rank (`255 − priority`), then the order they were scheduled in.
//!
//! Entries scheduled for the same time and rank in a row (replies of zero-length work, all due
//! at the current instant) go to a FIFO lane that is in order by construction, so they cost no
//! heap sifting; everything else goes to a binary heap. A pop takes the smaller of the two heads.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// `(time, rank, seq)`: unique, since `seq` is.
type Key = (u64, u8, u64);

#[derive(Debug, Clone)]
pub(super) struct Queue<D> {
    heap: BinaryHeap<Reverse<(Key, D)>>,
    /// Entries of one `(time, rank)`, in `seq` order.
    lane: VecDeque<(Key, D)>,
    seq: u64,
}

impl<D: Ord> Default for Queue<D> {
    fn default() -> Queue<D> {
        Queue { heap: BinaryHeap::new(), lane: VecDeque::new(), seq: 0 }
    }
}

impl<D: Ord + Copy> Queue<D> {
    /// Schedules `due` at `at` with `rank` (lower first among equal times).
    pub(super) fn push(&mut self, at: u64, rank: u8, due: D) {
        self.seq += 1;
        let key = (at, rank, self.seq);
        match self.lane.back() {
            // `seq` grows, so the lane stays in key order.
            Some(&((t, r, _), _)) if (t, r) == (at, rank) => self.lane.push_back((key, due)),
            None => self.lane.push_back((key, due)),
            Some(_) => self.heap.push(Reverse((key, due))),
        }
    }

    /// The next entry's time and what it is.
    pub(super) fn peek(&self) -> Option<(u64, D)> {
        self.head().map(|(k, d, _)| (k.0, d))
    }

    pub(super) fn pop(&mut self) -> Option<(u64, D)> {
        let (key, due, from_lane) = self.head()?;
        if from_lane {
            self.lane.pop_front();
        } else {
            self.heap.pop();
        }
        Some((key.0, due))
    }

    pub(super) fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.lane.is_empty()
    }

    /// Keeps only the entries `keep` says yes to.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&D) -> bool) {
        self.heap.retain(|Reverse((_, d))| keep(d));
        self.lane.retain(|(_, d)| keep(d));
    }

    /// The smaller head, and whether it is the lane's.
    fn head(&self) -> Option<(Key, D, bool)> {
        let heap = self.heap.peek().map(|Reverse((k, d))| (*k, *d, false));
        let lane = self.lane.front().map(|(k, d)| (*k, *d, true));
        match (heap, lane) {
            (Some(h), Some(l)) => Some(if l.0 < h.0 { l } else { h }),
            (h, l) => h.or(l),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the mix of times and ranks, entries come out as a heap of `(time, rank, seq)` gives them.
    #[test]
    fn pops_in_key_order() {
        let mut q: Queue<u32> = Queue::default();
        let mut model: BinaryHeap<Reverse<(Key, u32)>> = BinaryHeap::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut seq = 0;
        for i in 0..5_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(3) {
                assert_eq!(q.pop(), model.pop().map(|Reverse(((t, ..), d))| (t, d)));
            } else {
                let (at, rank) = ((x >> 5) % 4, ((x >> 9) % 2) as u8);
                seq += 1;
                q.push(at, rank, i);
                model.push(Reverse(((at, rank, seq), i)));
            }
            assert_eq!(q.peek(), model.peek().map(|Reverse(((t, ..), d))| (*t, *d)));
        }
        q.retain(|d| d % 2 == 0);
        model.retain(|Reverse((_, d))| d % 2 == 0);
        while let Some(e) = model.pop() {
            assert_eq!(q.pop(), Some((e.0.0.0, e.0.1)));
        }
        assert!(q.is_empty());
    }
}
