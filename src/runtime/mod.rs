//! Drivers own time and I/O and feed the coordinator. [`sim`] runs simulated agents on a virtual
//! clock, as fast as the CPU allows.

pub mod sim;
pub mod sink;

pub use sim::SimRun;
pub use sink::EventSink;
