//! Id → index lookups for agents and tasks.
//!
//! Ids are registered while the file is decoded, and most `depends_on` entries are resolved right
//! then (dependencies usually come earlier in a file). The ids themselves are the `String`s of the
//! scenario being built, so the tables hold no text and no pointers: each slot is 16 bytes, the
//! entry's index and 32 bits of its hash in one word, and its first 7 bytes and length in the
//! other. For ids of up to 7 bytes (`t000042` — every generated id up to a million tasks) that
//! *is* the id, and comparing never leaves the table; longer ones are confirmed against the
//! scenario's copy, through the `name` function the caller passes.
//!
//! With 100k+ ids a table is megabytes, and a lookup in it is a cache (and TLB) miss: that, not
//! hashing, was the cost. Three things keep most accesses out of a big table:
//!
//! - the newest ids go to small tables first (`young`, then `old`; some 128 KiB in all). Most
//!   dependencies name a recent task, so most lookups end there;
//! - while the ids arrive in strictly increasing order (generated files number their tasks), a new
//!   id cannot repeat an older one, so registering it does not look further;
//! - older ids are only appended to a list (`log`, written in order), and the big table (`main`)
//!   is built from it when some lookup first needs to go beyond the small tables, in a loop whose
//!   misses the processor overlaps. A generated file whose dependencies are all recent never
//!   needs it at all.
//!
//! Open addressing with linear probing, at most half full; tables grow by doubling, rehashing from
//! the stored hashes.

use crate::fasthash::hash_bytes;

/// Bytes of an id stored in its slot; one more byte holds the length.
const HEAD: usize = 7;

/// Ids held in `young` before it is rotated: the last `BATCH` to `2 × BATCH` ids are always in
/// the small tables.
const BATCH: usize = 2048;

/// Id → index of the agent or task that defined it first.
#[derive(Default)]
pub(crate) struct IdIndex {
    /// All but the newest ids, once something needs to look beyond those; until then they are
    /// just appended to `log`.
    main: Table,
    log: Vec<[u64; 2]>,
    young: Table,
    old: Table,
    /// Some id was not greater (bytewise) than the one before it. Until then all were distinct
    /// and in increasing order, so a new greater one cannot be in `main`.
    unordered: bool,
    /// The index of the last id added.
    last: Option<u32>,
}

/// One open-addressing table.
#[derive(Default)]
struct Table {
    /// A power of two long (or empty). A slot is `[hash << 32 | (index + 1), head]`; all zero when
    /// free.
    slots: Vec<[u64; 2]>,
    len: usize,
}

/// The hash (low 32 bits pick the slot) and the head word of `id`.
#[inline]
fn key(id: &str) -> (u32, u64) {
    let bytes = id.as_bytes();
    let mut head = [0u8; 8];
    let n = bytes.len().min(HEAD);
    head[..n].copy_from_slice(&bytes[..n]);
    head[HEAD] = bytes.len().min(255) as u8;
    (hash_bytes(bytes) as u32, u64::from_le_bytes(head))
}

impl Table {
    /// Make room for `additional` more entries.
    fn reserve(&mut self, additional: usize) {
        let want = ((self.len + additional) * 2).next_power_of_two().max(16);
        if want > self.slots.len() {
            let old = std::mem::replace(&mut self.slots, vec![[0; 2]; want]);
            self.len = 0;
            for slot in old.into_iter().filter(|s| s[0] != 0) {
                self.put(slot);
            }
        }
    }

    /// Store `slot` in a free place (there must be room, and it must not be there already).
    #[inline]
    fn put(&mut self, slot: [u64; 2]) {
        let mask = self.slots.len() - 1;
        let mut i = (slot[0] >> 32) as usize & mask;
        while self.slots[i][0] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
        self.len += 1;
    }

    /// The index stored for `id`. `name(j)` is entry `j`'s id.
    #[inline]
    fn find<'n>(&self, id: &str, hash: u32, head: u64, name: impl Fn(u32) -> &'n str) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let [word, h] = self.slots[i];
            if word == 0 {
                return None;
            }
            if (word >> 32) as u32 == hash && h == head {
                let index = word as u32 - 1;
                if id.len() <= HEAD || name(index) == id {
                    return Some(index);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Remove everything, keeping the allocation.
    fn clear(&mut self) {
        self.slots.fill([0; 2]);
        self.len = 0;
    }
}

impl IdIndex {
    /// Expect `additional` more ids.
    pub(crate) fn reserve(&mut self, additional: usize) {
        if self.main.len > 0 {
            self.main.reserve(additional);
        } else {
            self.log.reserve(additional);
        }
    }

    /// Record `id` for `index` (below `u32::MAX`); if it is already taken, returns the earlier
    /// index instead. `name(j)` is the id recorded for `j`.
    pub(crate) fn insert<'n>(&mut self, id: &str, index: u32, name: impl Fn(u32) -> &'n str) -> Result<(), u32> {
        let (hash, head) = key(id);
        if let Some(first) = self.young.find(id, hash, head, &name).or_else(|| self.old.find(id, hash, head, &name)) {
            return Err(first);
        }
        // The last id is the scenario's newest string, still in cache: comparing is cheap.
        self.unordered |= self.last.is_some_and(|j| name(j) >= id);
        if self.unordered
            && let Some(first) = self.older(id, hash, head, &name)
        {
            return Err(first);
        }
        if self.young.len == BATCH {
            self.rotate();
        }
        self.young.reserve(1);
        self.young.put([u64::from(hash) << 32 | u64::from(index + 1), head]);
        self.last = Some(index);
        Ok(())
    }

    /// `young` becomes `old`, and the previous `old` moves on: appended to `log` while `main` is
    /// not needed, else into `main` (one tight loop, so its cache misses overlap).
    #[cold]
    fn rotate(&mut self) {
        let moving = self.old.slots.iter().filter(|s| s[0] != 0);
        if self.main.len == 0 {
            self.log.extend(moving);
        } else {
            self.main.reserve(self.old.len);
            for &slot in moving {
                self.main.put(slot);
            }
        }
        self.old.clear();
        std::mem::swap(&mut self.young, &mut self.old);
    }

    /// Look `id` up beyond the small tables, building `main` from `log` first if need be.
    fn older<'n>(&mut self, id: &str, hash: u32, head: u64, name: impl Fn(u32) -> &'n str) -> Option<u32> {
        if !self.log.is_empty() {
            self.main.reserve(self.log.len());
            for slot in std::mem::take(&mut self.log) {
                self.main.put(slot);
            }
        }
        self.main.find(id, hash, head, name)
    }

    /// The index that defined `id`. `name(j)` is the id recorded for `j`.
    #[inline]
    pub(crate) fn get<'n>(&mut self, id: &str, name: impl Fn(u32) -> &'n str) -> Option<u32> {
        let (hash, head) = key(id);
        let recent = self.young.find(id, hash, head, &name).or_else(|| self.old.find(id, hash, head, &name));
        recent.or_else(|| self.older(id, hash, head, &name))
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
        let (mut index, results) = ids(&words);
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

    /// Insert `words` in order, checking each result and then every lookup; with `probe`, also
    /// look some up every `probe` insertions.
    fn check(words: &[String], probe: Option<usize>) {
        let mut index = IdIndex::default();
        let mut first = std::collections::HashMap::new();
        for (i, w) in words.iter().enumerate() {
            let expected = first.get(w).map_or(Ok(()), |&f| Err(f));
            assert_eq!(index.insert(w, i as u32, |j| &words[j as usize]), expected, "{w}");
            first.entry(w.clone()).or_insert(i as u32);
            // Lookups of recent and old ids alike, while growing.
            if probe.is_some_and(|p| i % p == 0) {
                for k in [0, i / 2, i] {
                    assert_eq!(index.get(&words[k], |j| &words[j as usize]), Some(first[&words[k]]));
                }
            }
        }
        for w in words {
            assert_eq!(index.get(w, |j| &words[j as usize]), Some(first[w]));
        }
        assert_eq!(index.get("t", |j| &words[j as usize]), None);
    }

    #[test]
    fn ascending_ids_then_a_repeat() {
        // Generated ids: in order, so `main` is not searched when adding them...
        let mut words: Vec<String> = (0..30_000).map(|i| format!("t{i:06}")).collect();
        // ...until one is not greater than the last: a repeat of an id long moved to `main`.
        words.push("t000001".to_string());
        words.extend((30_000..40_000).map(|i| format!("t{i:06}")));
        words.push("t035000".to_string());
        check(&words, Some(997));
        check(&words, None);
    }

    #[test]
    fn ids_in_any_order() {
        // Ids of 2 to 13 bytes, then every seventh one again.
        let mut words: Vec<String> = (0..50_000).map(|i| format!("t{i:0w$}", w = 1 + i % 12)).collect();
        let again: Vec<String> = words.iter().step_by(7).cloned().collect();
        words.extend(again);
        check(&words, Some(997));
        check(&words, None);
    }
}
