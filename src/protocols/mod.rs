//! The coordination protocols, one folder each: what a protocol adds to the scenario format, its
//! state and decisions, its events, their journal lines, its report section and what the console
//! shows of it. The core (`crate::core`) runs tasks on agents; a protocol decides *how* (who gets a
//! task, how a team works together, what happens when things go wrong).
//!
//! Each protocol's events are one arm of [`EventKind`](crate::core::EventKind), wrapping the
//! protocol's own enum, and every central match (journal writer and reader, `State::apply`) names
//! every arm: a new event kind does not compile until each of them handles it.

pub mod auction;
pub mod context;
pub mod elastic;
pub mod growth;
pub mod ladder;
pub mod saga;
pub mod swarm;
pub mod teams;
pub mod vote;
