//! Dynamic decomposition: a planner task's result is a plan whose subtasks join the run.

pub mod decode;
pub mod encode;
pub mod event;
mod plan_check;
pub mod report;
pub mod spec;
pub(crate) mod state;
#[cfg(test)]
mod tests;

pub use event::*;
pub use state::*;
