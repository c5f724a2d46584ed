//! Swarm allocation: ready tasks go on a board and agents claim them by response thresholds.

mod event;

pub use event::SwarmEvent;
