//! Decision tasks: a proposal is put to weighted voters; the verdict picks a branch of the DAG.

mod event;

pub use event::VoteEvent;
