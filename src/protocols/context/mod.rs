//! The shared context: a blackboard of versioned keys, leases on locks with fencing tokens,
//! leader elections per group, and the dead letters of messages nobody could take.

mod event;

pub use event::ContextEvent;
