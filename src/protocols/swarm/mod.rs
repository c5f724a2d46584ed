//! Swarm allocation: ready tasks go on a board and agents claim them by response thresholds.

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
