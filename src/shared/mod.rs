//! Shared state that agents write concurrently: a versioned [`Blackboard`], leased [`Locks`] with
//! fencing tokens, and lease-based leader [`Election`].
//!
//! All three are pure, deterministic, sans-IO data structures in the coordinator's style: time comes
//! in as `now` (virtual ms), collections are ordered wherever order can reach output, and every
//! operation answers values describing exactly what changed ([`WriteOutcome`], [`LockChange`],
//! [`ElectionEvent`]) for the coordinator to journal. Each structure changes only through its own
//! `apply`, which its operations call, so replaying journaled changes rebuilds it exactly. A caller
//! whose own rule is "state changes only by applying events" can ask first and apply later:
//! [`Blackboard::decide`], [`Locks::dry_run`], [`Election::plan_tick`]. Timers are the caller's:
//! [`Locks::next_expiry`] and [`Election::next_deadline`] say when to call back.

pub mod blackboard;
pub mod election;
pub mod locks;

pub use blackboard::{Blackboard, WriteOutcome, WriteRecord};
pub use election::{Election, ElectionEvent, RenewRejection};
pub use locks::{Acquire, Fence, FenceError, Grant, Lease, LockChange, LockOp, LockOutcome, Locks, Rejection, Token};
