//! Sagas: a chain of steps that either all complete or have their completed steps' compensators
//! run in reverse.

pub mod decode;
pub mod encode;
pub mod event;
pub mod spec;
pub(crate) mod state;
#[cfg(test)]
mod tests;
pub mod view;

pub use event::*;
pub use state::*;
