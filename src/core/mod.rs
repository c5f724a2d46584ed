//! The coordinator core: workflow DAG, scheduling, allocation, retries and failure handling as a
//! pure state machine. See [`Coordinator`] for its inputs and outputs.

pub mod bus;
mod coordinator;
pub mod event;
mod external;
pub mod faults;
pub mod health;
pub mod ids;
mod operator;
pub mod output;
mod refusal;
pub mod state;
pub mod timers;
pub mod workflow;

pub use crate::protocols::saga::SagaId;
pub use bus::{Endpoint, Message, MsgKind, Payload};
pub(crate) use coordinator::clock;
pub use coordinator::{Command, Coordinator, backoff_ms};
pub use event::{
    Event, EventKind, HorizonLimit, OpAction, Origin, Outcome, Refusal, Resolution, SkipReason, StopSignal,
};
pub use ids::{AgentId, TaskId};
pub use operator::Impact;
pub use output::{Output, OutputStore};
pub use state::TaskState;

#[cfg(test)]
pub(crate) mod tests;
