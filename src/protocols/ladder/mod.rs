//! Escalation ladders: a failing task climbs tiers of agents before it reaches the operator's
//! inbox, where an SLA counts down.

mod event;

pub use event::LadderEvent;
