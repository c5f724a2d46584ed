//! Drivers own time and I/O and feed the coordinator. [`sim`] runs simulated agents on a virtual
//! clock, as fast as the CPU allows; [`live`] runs real agents (processes) with simulated ones on
//! the wall clock.

mod fleet;
pub mod horizon;
pub mod interrupt;
pub mod live;
mod live_bids;
mod live_help;
mod live_votes;
mod llm_job;
mod network;
pub mod sim;
pub mod sink;

pub use fleet::{Ctl, RemoteAgents, RemoteJob, Report, ReportKind};
pub use horizon::{Horizon, HorizonStop};
pub use live::{LiveAgents, LiveOptions, LiveRun, needs_live};
pub use sim::SimRun;
pub use sink::EventSink;
