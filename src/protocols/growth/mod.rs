//! Dynamic decomposition: a planner task's result is a plan whose subtasks join the run.

mod event;

pub use event::GrowthEvent;
