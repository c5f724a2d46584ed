//! The shared context: a blackboard of versioned keys, leases on locks with fencing tokens,
//! leader elections per group, and the dead letters of messages nobody could take.

pub mod decode;
pub mod encode;
pub mod event;
mod ops;
pub mod spec;
pub(crate) mod state;

pub use event::*;
pub use state::*;
