//! Escalation ladders: a failing task climbs tiers of agents before it reaches the operator's
//! inbox, where an SLA counts down.

pub mod decode;
pub mod encode;
pub mod event;
pub mod spec;
pub(crate) mod state;
#[cfg(test)]
mod tests;

pub use event::*;
pub use state::*;
