//! The available agents of one pool, smallest `(key, agent)` first: an indexed binary heap.
//!
//! Dispatch only ever asks for the first agent, while every assignment and every ended attempt
//! takes an agent out and puts it back with a new key. A heap with each agent's position does both
//! in a few swaps (an ordered tree set spent most of a run's dispatch time rebalancing). Entries are
//! unique by agent, so `(key, agent)` orders them totally and the first is what an ordered set of
//! the same pairs would give.

use std::fmt;

/// No position: the agent is not in the set.
const ABSENT: u32 = u32::MAX;

#[derive(Clone, Default)]
pub struct AvailSet {
    heap: Vec<(u64, u32)>,
    /// Each agent's index in `heap` (`ABSENT` if not there), by agent index; grown on demand.
    pos: Vec<u32>,
}

impl AvailSet {
    /// Adds `agent` with `key`; `false` if it was there already (its entry is left as it was: an
    /// agent is indexed at most once between two removals).
    pub fn insert(&mut self, (key, agent): (u64, u32)) -> bool {
        let a = agent as usize;
        if a >= self.pos.len() {
            self.pos.resize(a + 1, ABSENT);
        }
        if self.pos[a] != ABSENT {
            debug_assert_eq!(self.heap[self.pos[a] as usize].0, key, "an agent indexed twice with different keys");
            return false;
        }
        self.heap.push((key, agent));
        self.sift_up(self.heap.len() - 1);
        true
    }

    /// Removes `agent` if it is there with `key`.
    pub fn remove(&mut self, &(key, agent): &(u64, u32)) -> bool {
        let Some(&i) = self.pos.get(agent as usize) else { return false };
        if i == ABSENT || self.heap[i as usize].0 != key {
            return false;
        }
        let i = i as usize;
        self.pos[agent as usize] = ABSENT;
        let last = self.heap.pop().expect("the entry is in the heap");
        if i < self.heap.len() {
            self.heap[i] = last;
            self.pos[last.1 as usize] = i as u32;
            // The moved entry may belong above or below the hole.
            let i = self.sift_up(i);
            self.sift_down(i);
        }
        true
    }

    /// `agent` moves from `old` to `new`: what removing `(old, agent)` and inserting `(new, agent)`
    /// does, in one sift.
    pub fn update(&mut self, agent: u32, old: u64, new: u64) {
        match self.pos.get(agent as usize) {
            Some(&i) if i != ABSENT && self.heap[i as usize].0 == old => {
                let i = i as usize;
                self.heap[i].0 = new;
                if new < old {
                    self.sift_up(i);
                } else if new > old {
                    self.sift_down(i);
                }
            }
            _ => {
                self.remove(&(old, agent));
                self.insert((new, agent));
            }
        }
    }

    /// The key `agent` is in the set under, if it is.
    #[inline]
    pub fn key_of(&self, agent: u32) -> Option<u64> {
        let &i = self.pos.get(agent as usize)?;
        (i != ABSENT).then(|| self.heap[i as usize].0)
    }

    /// The smallest entry.
    #[inline]
    pub fn first(&self) -> Option<&(u64, u32)> {
        self.heap.first()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Every entry, smallest first (sorts a copy: for the rare callers that look past the first).
    pub fn iter(&self) -> impl Iterator<Item = &(u64, u32)> {
        let mut sorted: Vec<&(u64, u32)> = self.heap.iter().collect();
        sorted.sort_unstable();
        sorted.into_iter()
    }

    /// Moves the entry at `i` up to its place; returns where it ended.
    fn sift_up(&mut self, mut i: usize) -> usize {
        let e = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[parent] <= e {
                break;
            }
            self.heap[i] = self.heap[parent];
            self.pos[self.heap[i].1 as usize] = i as u32;
            i = parent;
        }
        self.heap[i] = e;
        self.pos[e.1 as usize] = i as u32;
        i
    }

    /// Moves the entry at `i` down to its place.
    fn sift_down(&mut self, mut i: usize) {
        let e = self.heap[i];
        let n = self.heap.len();
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.heap[right] < self.heap[left] { right } else { left };
            if e <= self.heap[child] {
                break;
            }
            self.heap[i] = self.heap[child];
            self.pos[self.heap[i].1 as usize] = i as u32;
            i = child;
        }
        self.heap[i] = e;
        self.pos[e.1 as usize] = i as u32;
    }
}

/// Printed as the ordered set it stands for (state digests compare this text).
impl fmt::Debug for AvailSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Random inserts and removals agree with an ordered set at every step.
    #[test]
    fn behaves_like_an_ordered_set() {
        let mut set = AvailSet::default();
        let mut model: BTreeSet<(u64, u32)> = BTreeSet::new();
        let mut keys = [None::<u64>; 40];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let agent = (x % 40) as u32;
            let key = (x >> 8) % 7;
            match keys[agent as usize] {
                Some(k) => {
                    assert!(set.remove(&(k, agent)));
                    assert!(model.remove(&(k, agent)));
                    keys[agent as usize] = None;
                }
                None => {
                    assert!(!set.remove(&(key, agent)));
                    assert!(set.insert((key, agent)));
                    model.insert((key, agent));
                    keys[agent as usize] = Some(key);
                }
            }
            if x.is_multiple_of(5)
                && let Some(k) = keys[agent as usize]
            {
                let new = (x >> 20) % 7;
                set.update(agent, k, new);
                model.remove(&(k, agent));
                model.insert((new, agent));
                keys[agent as usize] = Some(new);
            }
            assert_eq!(set.first(), model.first());
            assert_eq!(set.len(), model.len());
        }
        assert!(set.iter().eq(model.iter()));
        assert_eq!(format!("{set:?}"), format!("{model:?}"));
    }
}
