//! The blackboard: a versioned key → JSON value store that agents write concurrently.
//!
//! Each key has a version (0 = absent) that goes up by one with every write. A writer says which
//! version it read ([`Blackboard::write`]); if someone wrote in between, the write is refused with a
//! [`WriteOutcome::Conflict`] instead of silently losing the other writer's update (optimistic
//! concurrency). What to do about a conflict — read again and retry, overwrite
//! ([`Blackboard::write_last_wins`]), or escalate — is the caller's policy, not the store's.
//!
//! A write may also carry a fencing token from [`super::Locks`]: it is refused if a newer holder of
//! that lock exists, so a writer that lost its lock while paused cannot clobber its successor.
//!
//! Pure and deterministic: keys are kept in order, time comes in as `now`, and every write answers a
//! [`WriteOutcome`] for the journal. Successful writes change state only through
//! [`Blackboard::apply`], so replaying the journaled outcomes rebuilds the store.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::locks::{Fence, FenceError, Token};

/// How many writes per key [`Blackboard::default`] remembers.
pub const DEFAULT_HISTORY: usize = 16;

/// One past write of a key, for the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    pub version: u64,
    pub writer: String,
    pub at: u64,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    value: Value,
    version: u64,
    /// The last writes, oldest first, at most `history_len` of them.
    history: VecDeque<WriteRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Blackboard {
    entries: BTreeMap<String, Entry>,
    history_len: usize,
}

/// What a write did. Everything but `Written` leaves the store unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WriteOutcome {
    /// Stored as `version`. Carries the value so that replaying the journal rebuilds the store.
    Written { key: String, version: u64, writer: String, value: Value },
    /// The writer read `expected` but the key is at `actual`: someone wrote in between.
    Conflict { key: String, expected: u64, actual: u64, writer: String },
    /// The token is older than the lock's latest grant: the writer no longer holds the lock.
    StaleToken { key: String, writer: String, lock: String, token: Token, highest: Token },
    /// The lock never issued this token.
    UnknownToken { key: String, writer: String, lock: String, token: Token, highest: Token },
}

impl WriteOutcome {
    pub fn key(&self) -> &str {
        match self {
            WriteOutcome::Written { key, .. }
            | WriteOutcome::Conflict { key, .. }
            | WriteOutcome::StaleToken { key, .. }
            | WriteOutcome::UnknownToken { key, .. } => key,
        }
    }

    /// The new version, if the write went through.
    pub fn version(&self) -> Option<u64> {
        match self {
            WriteOutcome::Written { version, .. } => Some(*version),
            _ => None,
        }
    }
}

impl Default for Blackboard {
    fn default() -> Blackboard {
        Blackboard::new(DEFAULT_HISTORY)
    }
}

impl Blackboard {
    /// An empty board that remembers the last `history_len` writes of each key.
    pub fn new(history_len: usize) -> Blackboard {
        Blackboard { entries: BTreeMap::new(), history_len }
    }

    /// The value and version of `key`; `(None, 0)` if it was never written.
    pub fn read(&self, key: &str) -> (Option<&Value>, u64) {
        match self.entries.get(key) {
            Some(e) => (Some(&e.value), e.version),
            None => (None, 0),
        }
    }

    pub fn version(&self, key: &str) -> u64 {
        self.entries.get(key).map_or(0, |e| e.version)
    }

    /// Compare-and-set: stores `value` only if `key` is still at `expected_version` (0 to create).
    /// With `fencing`, the token must also be the lock's latest.
    pub fn write(
        &mut self,
        key: &str,
        value: Value,
        expected_version: u64,
        writer: &str,
        now: u64,
        fencing: Option<Fence<'_>>,
    ) -> WriteOutcome {
        let outcome = self.decide(key, value, Some(expected_version), writer, fencing);
        self.apply(now, &outcome);
        outcome
    }

    /// Stores `value` whatever the version (the last writer wins); fencing still applies.
    pub fn write_last_wins(
        &mut self,
        key: &str,
        value: Value,
        writer: &str,
        now: u64,
        fencing: Option<Fence<'_>>,
    ) -> WriteOutcome {
        let outcome = self.decide(key, value, None, writer, fencing);
        self.apply(now, &outcome);
        outcome
    }

    /// What a write would do, without doing it: `expected_version` `None` is last-writer-wins. For a
    /// caller that changes state only by applying journaled outcomes (the coordinator's
    /// `State::apply`): decide, journal, then [`Blackboard::apply`].
    pub fn decide(
        &self,
        key: &str,
        value: Value,
        expected_version: Option<u64>,
        writer: &str,
        fencing: Option<Fence<'_>>,
    ) -> WriteOutcome {
        match self.refusal(key, expected_version, writer, fencing) {
            Some(refused) => refused,
            None => self.written(key, value, writer),
        }
    }

    /// The last writes of `key`, oldest first.
    pub fn history(&self, key: &str) -> impl Iterator<Item = &WriteRecord> {
        self.entries.get(key).into_iter().flat_map(|e| e.history.iter())
    }

    /// Every key written so far, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Applies a write's outcome made at `now` (refusals change nothing). The write operations call
    /// it themselves; replaying journaled outcomes through it rebuilds the same board.
    pub fn apply(&mut self, now: u64, outcome: &WriteOutcome) {
        let WriteOutcome::Written { key, version, writer, value } = outcome else { return };
        let entry = match self.entries.get_mut(key.as_str()) {
            Some(e) => e,
            None => self.entries.entry(key.clone()).or_insert(Entry {
                value: Value::Null,
                version: 0,
                history: VecDeque::new(),
            }),
        };
        entry.value = value.clone();
        entry.version = *version;
        entry.history.push_back(WriteRecord { version: *version, writer: writer.clone(), at: now });
        while entry.history.len() > self.history_len {
            entry.history.pop_front();
        }
    }

    /// Why a write may not go ahead, if it may not. Fencing is checked first: a writer that lost its
    /// lock is told so, rather than being invited to re-read and retry.
    fn refusal(
        &self,
        key: &str,
        expected: Option<u64>,
        writer: &str,
        fencing: Option<Fence<'_>>,
    ) -> Option<WriteOutcome> {
        if let Some(fence) = fencing
            && let Err(e) = fence.check()
        {
            let (key, writer, lock, token) = (key.into(), writer.into(), fence.lock.into(), fence.token);
            return Some(match e {
                FenceError::Stale { highest } => WriteOutcome::StaleToken { key, writer, lock, token, highest },
                FenceError::Unknown { highest } => WriteOutcome::UnknownToken { key, writer, lock, token, highest },
            });
        }
        let actual = self.version(key);
        match expected {
            Some(expected) if expected != actual => {
                Some(WriteOutcome::Conflict { key: key.into(), expected, actual, writer: writer.into() })
            }
            _ => None,
        }
    }

    fn written(&self, key: &str, value: Value, writer: &str) -> WriteOutcome {
        WriteOutcome::Written { key: key.into(), version: self.version(key) + 1, writer: writer.into(), value }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::shared::locks::{Acquire, Locks};

    #[test]
    fn an_unwritten_key_reads_as_absent_at_version_zero() {
        let bb = Blackboard::default();
        assert_eq!(bb.read("plan"), (None, 0));
        assert!(bb.is_empty());
        assert_eq!(bb.history("plan").count(), 0);
    }

    #[test]
    fn compare_and_set_succeeds_on_the_version_read() {
        let mut bb = Blackboard::default();
        let o = bb.write("plan", json!({"step": 1}), 0, "alice", 10, None);
        assert_eq!(
            o,
            WriteOutcome::Written { key: "plan".into(), version: 1, writer: "alice".into(), value: json!({"step": 1}) }
        );
        let o = bb.write("plan", json!({"step": 2}), 1, "bob", 20, None);
        assert_eq!(o.version(), Some(2));
        assert_eq!(bb.read("plan"), (Some(&json!({"step": 2})), 2));
        assert_eq!(bb.keys().collect::<Vec<_>>(), ["plan"]);
    }

    #[test]
    fn a_write_on_an_outdated_version_conflicts_and_changes_nothing() {
        let mut bb = Blackboard::default();
        let _ = bb.write("plan", json!("a"), 0, "alice", 10, None);
        // Bob read version 0 too, before Alice wrote.
        let o = bb.write("plan", json!("b"), 0, "bob", 11, None);
        assert_eq!(o, WriteOutcome::Conflict { key: "plan".into(), expected: 0, actual: 1, writer: "bob".into() });
        assert_eq!(bb.read("plan"), (Some(&json!("a")), 1));
        assert_eq!(bb.history("plan").count(), 1);
        // Creating with a non-zero expectation conflicts too.
        let o = bb.write("new", json!(1), 3, "bob", 12, None);
        assert_eq!(o, WriteOutcome::Conflict { key: "new".into(), expected: 3, actual: 0, writer: "bob".into() });
        assert_eq!(bb.read("new"), (None, 0));
        // Retrying with fresh data works.
        let (_, v) = bb.read("plan");
        assert_eq!(bb.write("plan", json!("b"), v, "bob", 13, None).version(), Some(2));
    }

    #[test]
    fn last_writer_wins_ignores_versions() {
        let mut bb = Blackboard::default();
        let _ = bb.write("k", json!(1), 0, "alice", 1, None);
        let _ = bb.write("k", json!(2), 1, "alice", 2, None);
        let o = bb.write_last_wins("k", json!(3), "bob", 3, None);
        assert_eq!(o.version(), Some(3));
        assert_eq!(bb.read("k"), (Some(&json!(3)), 3));
        assert_eq!(bb.write_last_wins("fresh", json!(true), "carol", 4, None).version(), Some(1));
    }

    #[test]
    fn history_keeps_only_the_last_writes() {
        let mut bb = Blackboard::new(3);
        for i in 0..5u64 {
            let _ = bb.write_last_wins("k", json!(i), &format!("w{i}"), 100 + i, None);
        }
        let h: Vec<(u64, &str, u64)> = bb.history("k").map(|r| (r.version, r.writer.as_str(), r.at)).collect();
        assert_eq!(h, [(3, "w2", 102), (4, "w3", 103), (5, "w4", 104)]);
        let mut none = Blackboard::new(0);
        let _ = none.write_last_wins("k", json!(0), "w", 1, None);
        assert_eq!((none.history("k").count(), none.version("k")), (0, 1));
    }

    #[test]
    fn fencing_rejects_a_superseded_holder() {
        let mut locks = Locks::new();
        let mut bb = Blackboard::default();
        let Acquire::Granted { token: old, .. } = locks.acquire("plan-lock", "alice", 0, 100).answer else {
            panic!("free lock")
        };
        let o = bb.write("plan", json!("alice v1"), 0, "alice", 10, Some(locks.fence("plan-lock", old)));
        assert_eq!(o.version(), Some(1));
        // Alice stalls past her lease; Bob gets the lock and writes.
        let _ = locks.expire(100);
        let Acquire::Granted { token: new, .. } = locks.acquire("plan-lock", "bob", 101, 100).answer else {
            panic!("expired lock is free")
        };
        assert_eq!(
            bb.write("plan", json!("bob"), 1, "bob", 102, Some(locks.fence("plan-lock", new))).version(),
            Some(2)
        );
        // Alice wakes up and writes with her old token: refused even though the version matches, and even
        // with last-writer-wins.
        let o = bb.write("plan", json!("alice v2"), 2, "alice", 103, Some(locks.fence("plan-lock", old)));
        let stale = WriteOutcome::StaleToken {
            key: "plan".into(),
            writer: "alice".into(),
            lock: "plan-lock".into(),
            token: old,
            highest: new,
        };
        assert_eq!(o, stale);
        assert_eq!(bb.write_last_wins("plan", json!("x"), "alice", 104, Some(locks.fence("plan-lock", old))), stale);
        assert_eq!(bb.read("plan"), (Some(&json!("bob")), 2));
    }

    #[test]
    fn fencing_is_checked_before_the_version_and_rejects_unknown_tokens() {
        let locks = Locks::new();
        let mut bb = Blackboard::default();
        let o = bb.write("k", json!(1), 9, "mallory", 1, Some(locks.fence("l", 5)));
        assert!(matches!(o, WriteOutcome::UnknownToken { token: 5, highest: 0, .. }), "{o:?}");
        assert!(bb.is_empty());
    }

    #[test]
    fn replaying_outcomes_rebuilds_the_board() {
        let mut bb = Blackboard::new(2);
        let log = vec![
            (1, bb.write("a", json!(1), 0, "x", 1, None)),
            (2, bb.write("a", json!(2), 0, "y", 2, None)),
            (3, bb.write_last_wins("a", json!(3), "y", 3, None)),
            (4, bb.write("b", json!([1, 2]), 0, "z", 4, None)),
            (5, bb.write("a", json!(4), 2, "x", 5, None)),
        ];
        let mut replayed = Blackboard::new(2);
        for (now, o) in &log {
            replayed.apply(*now, o);
        }
        assert_eq!(replayed, bb);
        // Deciding alone changes nothing; applying the decision is the same as writing.
        let before = bb.clone();
        let o = bb.decide("a", json!(5), Some(3), "x", None);
        assert_eq!(bb, before);
        bb.apply(6, &o);
        let mut live = before;
        assert_eq!(live.write("a", json!(5), 3, "x", 6, None), o);
        assert_eq!(live, bb);
        let json = serde_json::to_value(&log[1].1).unwrap();
        assert_eq!(json["type"], "conflict");
        assert_eq!(serde_json::from_value::<WriteOutcome>(json).unwrap(), log[1].1);
    }
}
