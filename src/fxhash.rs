//! A small, fast, non-cryptographic hasher for maps keyed by ids we wrote ourselves.
//!
//! std's SipHash resists hash flooding, which matters for untrusted keys in long-lived servers, not
//! for resolving a scenario's task ids once at load; there it was a visible share of the run time.
//! Iteration order of these maps never reaches output.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0xf135_7aea_2e62_a9c5;

/// Word-at-a-time multiply-fold hashing with a final mix.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

impl FxHasher {
    /// Plain multiply-rotate let structured ids that differ in two words cancel out
    /// (`task-number-0001268-x` vs `task-number-0009568-x` hashed alike); the fold after each
    /// multiply keeps that from happening, at one shift and xor per word.
    #[inline]
    fn add(&mut self, word: u64) {
        // Multiply, then fold the high half down so the next word meets well-mixed low bits.
        let h = (self.0 ^ word).wrapping_mul(K);
        self.0 = h ^ (h >> 29);
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
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// A multiply only carries low input bits upward, and hashbrown picks buckets with the low bits:
    /// ids that share a prefix ("t000…") would all collide. One final mix spreads every bit.
    #[inline]
    fn finish(&self) -> u64 {
        crate::rng::mix64(self.0)
    }
}

pub type FxBuildHasher = BuildHasherDefault<FxHasher>;
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuildHasher>;
pub type FxHashSet<K> = std::collections::HashSet<K, FxBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_short_keys_hash_apart_and_maps_work() {
        let mut seen = FxHashSet::default();
        for k in ["", "a", "a\0", "ab", "t0001", "t0010", "t0100", "agent-research-12345678"] {
            let mut h = FxHasher::default();
            h.write(k.as_bytes());
            assert!(seen.insert(h.finish()), "collision on {k:?}");
        }
        let m: FxHashMap<String, usize> = (0..1000).map(|i| (format!("t{i}"), i)).collect();
        assert!((0..1000).all(|i| m[&format!("t{i}")] == i));
        // Keys with a common prefix must still differ in the low bits that pick a bucket.
        let low: FxHashSet<u64> = (0..4096)
            .map(|i| {
                let mut h = FxHasher::default();
                h.write(format!("t{i:06}").as_bytes());
                h.finish() & 0xfff
            })
            .collect();
        assert!(low.len() > 2000, "only {} distinct low-bit buckets", low.len());
        // Structured long ids must not collide in the full 64 bits either.
        for pattern in ["research-step-", "task-number-"] {
            let hashes: FxHashSet<u64> = (0..200_000)
                .map(|i| {
                    let mut h = FxHasher::default();
                    h.write(format!("{pattern}{i:07}-x").as_bytes());
                    h.finish()
                })
                .collect();
            assert_eq!(hashes.len(), 200_000, "collisions among `{pattern}…` ids");
        }
    }
}
