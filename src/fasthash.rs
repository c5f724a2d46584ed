//! Fast, deterministic hash maps for keys we resolve ourselves (task, agent and capability ids).
//!
//! std's SipHash resists hash flooding, which matters for untrusted keys in long-lived servers, not
//! for resolving a scenario's ids once at load; there it was a visible share of the run time. The
//! hasher is foldhash's fast one with its fixed seed — a well-kept crate, already in the tree,
//! that mixes every word (our hand-written multiply-fold hasher once let structured ids that
//! differ in two words collide) — so hashing is the same from run to run. Iteration order of
//! these maps never reaches output: whatever does comes from ordered collections.

use std::hash::BuildHasher;

/// A `HashMap` with the fixed-seed fast hasher.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// A `HashSet` with the fixed-seed fast hasher.
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

/// The hash of `bytes` (the same in every run).
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    foldhash::fast::FixedState::default().hash_one(bytes)
}
