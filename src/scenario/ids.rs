//! Fast id → index lookups for agents and tasks.
//!
//! Ids are registered while the file is decoded, when their text is still in cache, and most
//! `depends_on` entries are resolved right then (dependencies usually come earlier in a file). With
//! 100k+ ids, lookups are bound by cache misses rather than by hashing, so keys keep the first
//! bytes of the id inline and borrow the rest from the source text: comparing two short ids never
//! leaves the table. Ids that needed unescaping cannot borrow from the text; they go in a small
//! owned map on the side.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// FxHash: a fast non-cryptographic hasher (inputs are local files, not adversaries).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const FX_K: u64 = 0xf135_7aea_2e62_a9c5;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(FX_K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Fold the high bits (where multiplication puts the entropy) into the low ones.
        self.0 ^ (self.0 >> 29)
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

pub(crate) fn fx_map<K, V>(capacity: usize) -> FxMap<K, V> {
    FxMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

const HEAD: usize = 16;

/// An id with its hash and first bytes inline, so growing the table and comparing short ids
/// never touch the id's text.
#[derive(Clone, Copy)]
struct Key<'a> {
    hash: u64,
    head: [u8; HEAD],
    full: &'a str,
}

impl<'a> Key<'a> {
    #[inline]
    fn new(full: &'a str) -> Key<'a> {
        let mut hasher = FxHasher::default();
        hasher.write(full.as_bytes());
        let mut head = [0u8; HEAD];
        let n = full.len().min(HEAD);
        head[..n].copy_from_slice(&full.as_bytes()[..n]);
        Key { hash: hasher.finish(), head, full }
    }
}

impl PartialEq for Key<'_> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
            && self.full.len() == other.full.len()
            && self.head == other.head
            && (self.full.len() <= HEAD || self.full == other.full)
    }
}

impl Eq for Key<'_> {}

impl Hash for Key<'_> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Passes a precomputed hash through.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, _: &[u8]) {
        unreachable!("keys hash themselves with write_u64");
    }

    #[inline]
    fn write_u64(&mut self, h: u64) {
        self.0 = h;
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Id → index of the agent or task that defined it first.
#[derive(Default)]
pub(crate) struct IdIndex<'a> {
    borrowed: HashMap<Key<'a>, u32, BuildHasherDefault<KeyHasher>>,
    /// Ids that contained escapes (rare).
    owned: FxMap<String, u32>,
}

impl<'a> IdIndex<'a> {
    /// Record `id` for `index`; if it is already taken, returns the earlier index instead.
    #[allow(clippy::ptr_arg, reason = "the variant matters: borrowed ids are keyed without a copy")]
    pub(crate) fn insert(&mut self, id: &Cow<'a, str>, index: u32) -> Result<(), u32> {
        if let Some(first) = self.get(id) {
            return Err(first);
        }
        match id {
            Cow::Borrowed(s) => {
                self.borrowed.insert(Key::new(s), index);
            }
            Cow::Owned(s) => {
                if let Entry::Vacant(e) = self.owned.entry(s.clone()) {
                    e.insert(index);
                }
            }
        }
        Ok(())
    }

    /// The index that defined `id`.
    #[inline]
    pub(crate) fn get(&self, id: &str) -> Option<u32> {
        let found = self.borrowed.get(&Key::new(id)).copied();
        if found.is_none() && !self.owned.is_empty() {
            return self.owned.get(id).copied();
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_escaped_ids() {
        let text = String::from("a very-long-identifier-number-1 very-long-identifier-number-2 b");
        let words: Vec<&str> = text.split(' ').collect();
        let mut ids = IdIndex::default();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(ids.insert(&Cow::Borrowed(*w), i as u32), Ok(()));
        }
        assert_eq!(ids.insert(&Cow::Owned("c\"".to_string()), 4), Ok(()));
        assert_eq!(ids.get("a"), Some(0));
        assert_eq!(ids.get("very-long-identifier-number-2"), Some(2));
        assert_eq!(ids.get("very-long-identifier-number-3"), None);
        assert_eq!(ids.get("c\""), Some(4));
        assert_eq!(ids.get(""), None);
        // Duplicates are found across both maps.
        assert_eq!(ids.insert(&Cow::Owned("b".to_string()), 5), Err(3));
        assert_eq!(ids.insert(&Cow::Borrowed("c\""), 6), Err(4));
    }
}
