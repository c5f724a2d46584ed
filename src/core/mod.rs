//! The coordinator core: workflow DAG, scheduling, allocation, retries and failure handling as a
//! pure state machine. See [`Coordinator`] for its inputs and outputs.

pub mod auction;
mod auction_ops;
pub mod broadcast;
pub mod bus;
pub mod context;
mod context_ops;
mod coordinator;
pub mod elastic;
mod elastic_ops;
pub mod event;
mod external;
pub mod faults;
pub mod growth;
pub mod health;
mod help;
mod hierarchy;
pub mod ids;
pub mod ladder;
mod operator;
pub mod output;
mod plan_check;
mod refusal;
mod review;
pub mod saga;
pub mod state;
pub mod swarm;
mod swarm_ops;
pub mod team_event;
pub mod teams;
pub mod timers;
pub mod vote;
pub mod workflow;

pub use bus::{Endpoint, Message, MsgKind, Payload};
pub use coordinator::{Command, Coordinator, backoff_ms};
pub use event::{
    Event, EventKind, HorizonLimit, OpAction, Origin, Outcome, Refusal, Resolution, SkipReason, StopSignal,
};
pub use ids::{AgentId, TaskId};
pub use operator::Impact;
pub use output::{Output, OutputStore};
pub use saga::SagaId;
pub use state::TaskState;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod operator_tests;

#[cfg(test)]
mod health_tests;

#[cfg(test)]
mod output_tests;

#[cfg(test)]
mod saga_tests;

#[cfg(test)]
mod ladder_tests;

#[cfg(test)]
mod auction_tests;

#[cfg(test)]
mod growth_tests;

#[cfg(test)]
mod swarm_tests;

#[cfg(test)]
mod vote_tests;

#[cfg(test)]
mod elastic_tests;
