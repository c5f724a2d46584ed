//! Leased locks with fencing tokens.
//!
//! A lock is a named resource held by at most one holder at a time, for a lease: the holder must
//! [`Locks::renew`] before `expires_at` or lose it. A holder that crashes simply stops renewing, so
//! its lease runs out and the lock passes on; nobody has to detect the crash. Others who ask while
//! the lock is held wait in a FIFO queue and are granted the lock, in order, as it frees up.
//!
//! Every grant carries a fencing token that is strictly greater than any token the lock issued
//! before. A holder that was paused past its lease (and so no longer holds the lock, though it may
//! not know it yet) still carries its old token: storage that checks tokens ([`Fence`]) turns its
//! late writes away instead of letting them overwrite the new holder's work.
//!
//! Like the coordinator, this is a pure state machine: time comes in as `now` (virtual ms) and every
//! operation returns the [`LockChange`]s it made, in order, for the journal. Each change is applied
//! through [`Locks::apply`], the only place state changes, so folding the journaled changes into a
//! fresh `Locks` rebuilds it exactly. A lease whose time is up counts as gone at once: acquire,
//! release and renew first expire it (and grant the next waiter), and say so in their changes, so
//! the outcome does not depend on whether the caller's expiry timer happened to fire first.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// A fencing token. Tokens start at 1; 0 means "never issued".
pub type Token = u64;

/// The current holder of a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub holder: String,
    pub token: Token,
    pub granted_at: u64,
    /// The lease covers `granted_at..expires_at`; at `expires_at` it is gone.
    pub expires_at: u64,
}

/// Someone queued for a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiter {
    pub holder: String,
    /// The lease length it asked for, used when its turn comes.
    pub ttl_ms: u64,
    pub since: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Lock {
    lease: Option<Lease>,
    /// Invariant: empty whenever `lease` is `None` (a freed lock goes straight to the next waiter).
    waiters: VecDeque<Waiter>,
    /// The last token issued; kept after the lock goes idle so tokens never repeat.
    highest: Token,
}

/// Every lock, by name. Entries are never removed: a lock's highest token must outlive its holders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Locks {
    locks: BTreeMap<String, Lock>,
}

/// The answer to [`Locks::acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Acquire {
    Granted {
        token: Token,
        expires_at: u64,
    },
    /// Waiting; `position` 1 is next in line. Asking again while queued keeps the place.
    Queued {
        position: usize,
    },
    /// The caller already holds it; nothing changed (use [`Locks::renew`] to extend).
    AlreadyHeld {
        token: Token,
        expires_at: u64,
    },
}

/// The answer to [`Locks::release`]: the waiter that got the lock next, if any.
pub type Released = Result<Option<Grant>, Rejection>;

/// The answer to [`Locks::renew`]: the new expiry.
pub type Renewed = Result<u64, Rejection>;

/// A grant to a waiter, made when the lock it waited for freed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub holder: String,
    pub token: Token,
    pub expires_at: u64,
}

/// Why a release or renewal was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Rejection {
    /// The token is older than the lock's latest grant: the caller's lease is over.
    StaleToken { highest: Token },
    /// Nobody holds the lock.
    NotHeld,
    /// Someone else holds it, or the token was never issued to this caller.
    NotHolder,
}

/// Which operation a [`LockChange::Rejected`] turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockOp {
    Release,
    Renew,
}

/// One change to the locks: what the coordinator journals. Times are the caller's `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LockChange {
    Queued {
        lock: String,
        holder: String,
        position: usize,
        ttl_ms: u64,
    },
    Granted {
        lock: String,
        holder: String,
        token: Token,
        expires_at: u64,
    },
    Renewed {
        lock: String,
        holder: String,
        token: Token,
        expires_at: u64,
    },
    Released {
        lock: String,
        holder: String,
        token: Token,
    },
    /// The holder did not renew in time (crashed, hung or cut off).
    Expired {
        lock: String,
        holder: String,
        token: Token,
    },
    /// A waiter left the queue (gave up, or crashed).
    Withdrawn {
        lock: String,
        holder: String,
    },
    /// Nothing changed; journaled so that a stale holder's attempt is visible.
    Rejected {
        lock: String,
        holder: String,
        token: Token,
        op: LockOp,
        reason: Rejection,
    },
}

impl LockChange {
    pub fn lock(&self) -> &str {
        match self {
            LockChange::Queued { lock, .. }
            | LockChange::Granted { lock, .. }
            | LockChange::Renewed { lock, .. }
            | LockChange::Released { lock, .. }
            | LockChange::Expired { lock, .. }
            | LockChange::Withdrawn { lock, .. }
            | LockChange::Rejected { lock, .. } => lock,
        }
    }
}

/// An operation's answer to its caller, and every change it made (lazy expiries included).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct LockOutcome<T> {
    pub answer: T,
    pub changes: Vec<LockChange>,
}

/// Why a fenced write was turned away (see [`Locks::check_fence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FenceError {
    /// Lower than the lock's highest token: a newer holder exists.
    Stale { highest: Token },
    /// Never issued by this lock (0, or higher than anything granted).
    Unknown { highest: Token },
}

/// A token presented with a write, with the locks to check it against.
#[derive(Debug, Clone, Copy)]
pub struct Fence<'a> {
    pub locks: &'a Locks,
    pub lock: &'a str,
    pub token: Token,
}

impl Fence<'_> {
    pub fn check(&self) -> Result<(), FenceError> {
        self.locks.check_fence(self.lock, self.token)
    }
}

impl Locks {
    pub fn new() -> Locks {
        Locks::default()
    }

    /// Takes `name` for `holder` for `ttl_ms`, or queues the holder behind the current one.
    pub fn acquire(&mut self, name: &str, holder: &str, now: u64, ttl_ms: u64) -> LockOutcome<Acquire> {
        let mut changes = self.lapse(name, now);
        let lock = self.locks.get(name);
        let lease = lock.and_then(|l| l.lease.as_ref());
        let answer = if let Some(lease) = lease
            && lease.holder == holder
        {
            Acquire::AlreadyHeld { token: lease.token, expires_at: lease.expires_at }
        } else if let Some(i) = lock.and_then(|l| l.waiters.iter().position(|w| w.holder == holder)) {
            Acquire::Queued { position: i + 1 }
        } else if lease.is_some() {
            let position = lock.map_or(0, |l| l.waiters.len()) + 1;
            let change = LockChange::Queued { lock: name.into(), holder: holder.into(), position, ttl_ms };
            self.record(now, change, &mut changes);
            Acquire::Queued { position }
        } else {
            let (token, expires_at) = (self.highest_token(name) + 1, now.saturating_add(ttl_ms));
            let change = LockChange::Granted { lock: name.into(), holder: holder.into(), token, expires_at };
            self.record(now, change, &mut changes);
            Acquire::Granted { token, expires_at }
        };
        LockOutcome { answer, changes }
    }

    /// Gives the lock up; the next waiter, if any, gets it with a fresh token.
    pub fn release(&mut self, name: &str, holder: &str, token: Token, now: u64) -> LockOutcome<Released> {
        let mut changes = self.lapse(name, now);
        let answer = self.check(name, holder, token, now, LockOp::Release, &mut changes).map(|()| {
            let change = LockChange::Released { lock: name.into(), holder: holder.into(), token };
            self.record(now, change, &mut changes);
            self.grant_next(name, now, &mut changes)
        });
        LockOutcome { answer, changes }
    }

    /// Extends the holder's lease to `now + ttl_ms`; answers the new expiry.
    pub fn renew(&mut self, name: &str, holder: &str, token: Token, now: u64, ttl_ms: u64) -> LockOutcome<Renewed> {
        let mut changes = self.lapse(name, now);
        let answer = self.check(name, holder, token, now, LockOp::Renew, &mut changes).map(|()| {
            let expires_at = now.saturating_add(ttl_ms);
            let change = LockChange::Renewed { lock: name.into(), holder: holder.into(), token, expires_at };
            self.record(now, change, &mut changes);
            expires_at
        });
        LockOutcome { answer, changes }
    }

    /// Takes `holder` out of the queue for `name`; answers whether it was waiting. Touches only the
    /// queue (no lazy expiry), so a crashed waiter is never granted on its way out.
    pub fn withdraw(&mut self, name: &str, holder: &str, now: u64) -> LockOutcome<bool> {
        let mut changes = Vec::new();
        let waiting = self.waiters(name).any(|w| w.holder == holder);
        if waiting {
            self.record(now, LockChange::Withdrawn { lock: name.into(), holder: holder.into() }, &mut changes);
        }
        LockOutcome { answer: waiting, changes }
    }

    /// Takes a crashed agent out of every queue, so it is not granted locks it cannot use. Its
    /// leases are left to expire: it may only be cut off, and its token keeps it harmless.
    pub fn withdraw_all(&mut self, holder: &str, now: u64) -> Vec<LockChange> {
        let names: Vec<String> = self
            .locks
            .iter()
            .filter(|(_, l)| l.waiters.iter().any(|w| w.holder == holder))
            .map(|(n, _)| n.clone())
            .collect();
        names.iter().flat_map(|n| self.withdraw(n, holder, now).changes).collect()
    }

    /// Expires every lease whose time is up, in lock-name order, each followed by its grant to the
    /// next waiter. Call it at [`Locks::next_expiry`].
    pub fn expire(&mut self, now: u64) -> Vec<LockChange> {
        let due: Vec<String> = self
            .locks
            .iter()
            .filter(|(_, l)| l.lease.as_ref().is_some_and(|lease| lease.expires_at <= now))
            .map(|(n, _)| n.clone())
            .collect();
        due.iter().flat_map(|n| self.lapse(n, now)).collect()
    }

    /// Runs `op` on a scratch copy of lock `name` alone and answers what it would do, changing
    /// nothing: for a caller that changes state only by applying journaled changes (the
    /// coordinator's `State::apply`), which then feeds the changes to [`Locks::apply`]. `op` must
    /// touch only `name`; for [`Locks::expire`] across all locks, run it on a clone (locks are few).
    pub fn dry_run<T>(&self, name: &str, op: impl FnOnce(&mut Locks) -> T) -> T {
        let mut scratch = Locks::new();
        if let Some(lock) = self.locks.get(name) {
            scratch.locks.insert(name.to_owned(), lock.clone());
        }
        op(&mut scratch)
    }

    /// The earliest lease expiry, for the caller's timer. A scan: locks are few.
    pub fn next_expiry(&self) -> Option<u64> {
        self.locks.values().filter_map(|l| l.lease.as_ref().map(|lease| lease.expires_at)).min()
    }

    /// The last token `name` issued (0 if it never granted).
    pub fn highest_token(&self, name: &str) -> Token {
        self.locks.get(name).map_or(0, |l| l.highest)
    }

    /// Whether a write carrying `token` for `name` may go ahead: only the latest grant's token may.
    /// Like storage-side fencing, an expired lease's token stays valid until the next grant: the
    /// point is that a superseded holder can never clobber a newer one.
    pub fn check_fence(&self, name: &str, token: Token) -> Result<(), FenceError> {
        let highest = self.highest_token(name);
        match token {
            t if t == 0 || t > highest => Err(FenceError::Unknown { highest }),
            t if t < highest => Err(FenceError::Stale { highest }),
            _ => Ok(()),
        }
    }

    /// Bundles a token with these locks, for [`super::Blackboard::write`].
    pub fn fence<'a>(&'a self, name: &'a str, token: Token) -> Fence<'a> {
        Fence { locks: self, lock: name, token }
    }

    pub fn lease(&self, name: &str) -> Option<&Lease> {
        self.locks.get(name).and_then(|l| l.lease.as_ref())
    }

    /// The queue for `name`, next in line first.
    pub fn waiters(&self, name: &str) -> impl Iterator<Item = &Waiter> {
        self.locks.get(name).into_iter().flat_map(|l| l.waiters.iter())
    }

    /// Every lock ever used, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.locks.keys().map(String::as_str)
    }

    /// Applies one change made at `now`. The operations call it for every change they make; replaying
    /// journaled changes through it rebuilds the same state.
    pub fn apply(&mut self, now: u64, change: &LockChange) {
        if let LockChange::Rejected { .. } = change {
            return; // and no entry for a lock that was never used
        }
        let lock = self.lock_mut(change.lock());
        match change {
            LockChange::Queued { holder, ttl_ms, .. } => {
                lock.waiters.push_back(Waiter { holder: holder.clone(), ttl_ms: *ttl_ms, since: now })
            }
            LockChange::Granted { holder, token, expires_at, .. } => {
                lock.waiters.retain(|w| w.holder != *holder);
                lock.lease =
                    Some(Lease { holder: holder.clone(), token: *token, granted_at: now, expires_at: *expires_at });
                lock.highest = *token;
            }
            LockChange::Renewed { expires_at, .. } => {
                if let Some(lease) = &mut lock.lease {
                    lease.expires_at = *expires_at;
                }
            }
            LockChange::Released { .. } | LockChange::Expired { .. } => lock.lease = None,
            LockChange::Withdrawn { holder, .. } => lock.waiters.retain(|w| w.holder != *holder),
            LockChange::Rejected { .. } => {}
        }
    }

    fn lock_mut(&mut self, name: &str) -> &mut Lock {
        if !self.locks.contains_key(name) {
            self.locks.insert(name.to_owned(), Lock::default());
        }
        self.locks.get_mut(name).expect("just inserted")
    }

    fn record(&mut self, now: u64, change: LockChange, changes: &mut Vec<LockChange>) {
        self.apply(now, &change);
        changes.push(change);
    }

    /// Expires `name`'s lease if its time is up and hands the lock on. Loops because a zero-TTL
    /// grant is already over when made.
    fn lapse(&mut self, name: &str, now: u64) -> Vec<LockChange> {
        let mut changes = Vec::new();
        while let Some(lease) = self.lease(name)
            && lease.expires_at <= now
        {
            let change = LockChange::Expired { lock: name.into(), holder: lease.holder.clone(), token: lease.token };
            self.record(now, change, &mut changes);
            self.grant_next(name, now, &mut changes);
        }
        changes
    }

    /// Grants a free lock to the first waiter, if any.
    fn grant_next(&mut self, name: &str, now: u64, changes: &mut Vec<LockChange>) -> Option<Grant> {
        let w = self.locks.get(name)?.waiters.front()?;
        let (holder, token, expires_at) =
            (w.holder.clone(), self.highest_token(name) + 1, now.saturating_add(w.ttl_ms));
        self.record(now, LockChange::Granted { lock: name.into(), holder: holder.clone(), token, expires_at }, changes);
        Some(Grant { holder, token, expires_at })
    }

    /// A release or renewal must present the current lease's holder and token; a refusal is recorded.
    fn check(
        &mut self,
        name: &str,
        holder: &str,
        token: Token,
        now: u64,
        op: LockOp,
        changes: &mut Vec<LockChange>,
    ) -> Result<(), Rejection> {
        let highest = self.highest_token(name);
        let reason = match self.lease(name) {
            _ if token < highest => Rejection::StaleToken { highest },
            None => Rejection::NotHeld,
            Some(lease) if lease.holder != holder || lease.token != token => Rejection::NotHolder,
            Some(_) => return Ok(()),
        };
        let change = LockChange::Rejected { lock: name.into(), holder: holder.into(), token, op, reason };
        self.record(now, change, changes);
        Err(reason)
    }
}

#[cfg(test)]
mod tests;
