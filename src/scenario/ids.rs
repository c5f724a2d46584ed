//! Id → index lookups for agents and tasks.
//!
//! Ids are registered while the file is decoded and most `depends_on` entries are resolved right
//! then (dependencies usually come earlier in a file). The ids themselves are the `String`s of the
//! scenario being built, so the table holds no text and no pointers: each slot is 16 bytes, the
//! entry's index and 32 bits of its hash in one word, and its first 7 bytes and length in the
//! other. For ids of up to 7 bytes (`t000042` — every generated id up to a million tasks) that
//! *is* the id, and comparing never leaves the table; longer ones are confirmed against the
//! scenario's copy, through the `name` function the caller passes. With 100k+ ids, lookups are
//! bound by cache misses, so this matters more than the hash function (the crate's Fx hash).
//!
//! Open addressing with linear probing, at most half full; the table grows by doubling, rehashing
//! from the stored hashes.

use crate::fxhash::FxHasher;
use std::hash::Hasher;

/// Bytes of an id stored in its slot; one more byte holds the length.
const HEAD: usize = 7;

/// Id → index of the agent or task that defined it first.
#[derive(Default)]
pub(crate) struct IdIndex {
    /// A power of two long (or empty). A slot is `[hash << 32 | (index + 1), head]`; all zero when
    /// free.
    slots: Vec<[u64; 2]>,
    len: usize,
}

/// The hash (low 32 bits pick the slot) and the head word of `id`.
#[inline]
fn key(id: &str) -> (u32, u64) {
    let bytes = id.as_bytes();
    let mut hasher = FxHasher::default();
    hasher.write(bytes);
    let mut head = [0u8; 8];
    let n = bytes.len().min(HEAD);
    head[..n].copy_from_slice(&bytes[..n]);
    head[HEAD] = bytes.len().min(255) as u8;
    (hasher.finish() as u32, u64::from_le_bytes(head))
}

impl IdIndex {
    /// Make room for `additional` more ids without growing.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let want = ((self.len + additional) * 2).next_power_of_two().max(16);
        if want > self.slots.len() {
            self.rehash(want);
        }
    }

    fn rehash(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![[0; 2]; size]);
        let mask = size - 1;
        for slot in old.into_iter().filter(|s| s[0] != 0) {
            let mut i = (slot[0] >> 32) as usize & mask;
            while self.slots[i][0] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// The index stored for `id`, or the free slot where it would go. `name(j)` is entry `j`'s id.
    #[inline]
    fn find<'n>(&self, id: &str, hash: u32, head: u64, name: impl Fn(u32) -> &'n str) -> Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let [word, h] = self.slots[i];
            if word == 0 {
                return Err(i);
            }
            if (word >> 32) as u32 == hash && h == head {
                let index = word as u32 - 1;
                if id.len() <= HEAD || name(index) == id {
                    return Ok(index);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Record `id` for `index` (below `u32::MAX`); if it is already taken, returns the earlier
    /// index instead. `name(j)` is the id recorded for `j`.
    pub(crate) fn insert<'n>(&mut self, id: &str, index: u32, name: impl Fn(u32) -> &'n str) -> Result<(), u32> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.reserve(1);
        }
        let (hash, head) = key(id);
        match self.find(id, hash, head, name) {
            Ok(first) => Err(first),
            Err(free) => {
                self.slots[free] = [u64::from(hash) << 32 | u64::from(index + 1), head];
                self.len += 1;
                Ok(())
            }
        }
    }

    /// The index that defined `id`. `name(j)` is the id recorded for `j`.
    #[inline]
    pub(crate) fn get<'n>(&self, id: &str, name: impl Fn(u32) -> &'n str) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let (hash, head) = key(id);
        self.find(id, hash, head, name).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(words: &[&str]) -> (IdIndex, Vec<Result<(), u32>>) {
        let mut index = IdIndex::default();
        let results = words.iter().enumerate().map(|(i, w)| index.insert(w, i as u32, |j| words[j as usize])).collect();
        (index, results)
    }

    #[test]
    fn short_long_and_duplicate_ids() {
        let words = [
            "a",
            "very-long-identifier-number-1",
            "very-long-identifier-number-2",
            "b",
            "c\"",
            "",
            "a\0",
            "1234567",
            "12345678",
            "b",
            "very-long-identifier-number-2",
        ];
        let (index, results) = ids(&words);
        assert_eq!(results[..9], [Ok(()); 9]);
        assert_eq!(results[9..], [Err(3), Err(2)]);
        let name = |j: u32| words[j as usize];
        assert_eq!(index.get("a", name), Some(0));
        assert_eq!(index.get("very-long-identifier-number-2", name), Some(2));
        assert_eq!(index.get("very-long-identifier-number-3", name), None);
        assert_eq!(index.get("c\"", name), Some(4));
        assert_eq!(index.get("", name), Some(5));
        assert_eq!(index.get("a\0", name), Some(6));
        assert_eq!(index.get("a\0\0", name), None);
        assert_eq!(index.get("1234567", name), Some(7));
        assert_eq!(index.get("12345678", name), Some(8));
        assert_eq!(index.get("123456789", name), None);
        assert_eq!(IdIndex::default().get("a", name), None);
    }

    #[test]
    fn growing_keeps_every_id() {
        // Ids of 2 to 13 bytes, then every seventh one again.
        let mut words: Vec<String> = (0..50_000).map(|i| format!("t{i:0w$}", w = 1 + i % 12)).collect();
        let again: Vec<String> = words.iter().step_by(7).cloned().collect();
        words.extend(again);
        let mut index = IdIndex::default();
        let mut first = std::collections::HashMap::new();
        for (i, w) in words.iter().enumerate() {
            let expected = first.get(w).map_or(Ok(()), |&f| Err(f));
            assert_eq!(index.insert(w, i as u32, |j| &words[j as usize]), expected, "{w}");
            first.entry(w.clone()).or_insert(i as u32);
        }
        for w in &words {
            assert_eq!(index.get(w, |j| &words[j as usize]), Some(first[w]));
        }
        assert_eq!(index.get("t", |j| &words[j as usize]), None);
    }
}
