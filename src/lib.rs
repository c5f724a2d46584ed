//! Switchyard: a console for coordinating teams of AI agents.
//!
//! Follow the data: a [`scenario`] file is parsed and validated, a [`core::Coordinator`] (a pure
//! state machine) runs it, a driver from [`runtime`] feeds it agent messages and time, and every state
//! change comes out as an [`core::Event`] that the [`journal`] writes and the [`report`] summarises.

pub mod agents;
pub mod core;
pub mod durable;
pub mod fasthash;
pub mod generate;
pub mod heap;
pub mod journal;
pub mod protocols;
pub mod remote;
pub mod report;
pub mod rng;
pub mod runtime;
pub mod scenario;
pub mod shared;
pub mod tui;
pub mod whatif;

/// The unit tests' scratch directories: the integration tests' helper, shared.
#[cfg(test)]
#[path = "../tests/support/scratch.rs"]
pub(crate) mod scratch;
