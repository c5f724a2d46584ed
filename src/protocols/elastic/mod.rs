//! Elastic teams: agents created from templates when a task waits with no capable agent free,
//! and retired after they idle.

pub mod decode;
pub mod encode;
pub mod event;
mod ops;
pub mod report;
pub mod spec;
pub(crate) mod state;
#[cfg(test)]
mod tests;
pub mod view;

pub use event::*;
pub use state::*;
