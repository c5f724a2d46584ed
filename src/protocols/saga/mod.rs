//! Sagas: a chain of steps that either all complete or have their completed steps' compensators
//! run in reverse.

mod event;

pub use event::SagaEvent;
