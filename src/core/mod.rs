//! The coordinator core: workflow DAG, scheduling, allocation, retries and failure handling as a
//! pure state machine. See [`Coordinator`] for its inputs and outputs.

pub mod bus;
mod coordinator;
pub mod event;
pub mod ids;
pub mod state;
pub mod timers;
pub mod workflow;

pub use bus::{Endpoint, Message, MsgKind, Payload};
pub use coordinator::{Command, Coordinator, backoff_ms};
pub use event::{Event, EventKind, Origin, Outcome};
pub use ids::{AgentId, TaskId};
pub use state::TaskState;

#[cfg(test)]
mod tests;
