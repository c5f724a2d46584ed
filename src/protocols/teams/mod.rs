//! The team protocols: hierarchical delegation, peer help, review rounds with rework, and
//! broadcasts.

pub(crate) mod broadcast;
pub mod decode;
pub mod encode;
pub mod event;
mod help;
mod hierarchy;
pub mod report;
mod review;
pub mod spec;
pub(crate) mod state;
pub mod view;

pub use event::*;
pub use state::*;
