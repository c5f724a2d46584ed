//! Decision tasks: a proposal is put to weighted voters; the verdict picks a branch of the DAG.

pub mod decode;
pub mod encode;
pub mod event;
pub mod report;
pub mod spec;
pub(crate) mod state;
#[cfg(test)]
mod tests;

pub use event::*;
pub use state::*;
