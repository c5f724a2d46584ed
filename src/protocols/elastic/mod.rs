//! Elastic teams: agents created from templates when a task waits with no capable agent free,
//! and retired after they idle.

mod event;

pub use event::ElasticEvent;
