//! The journal: one JSON object per line for every event of a run, in order.
//!
//! [`sink::JournalWriter`] is an [`crate::runtime::EventSink`] that writes the lines through a
//! large buffer of whole lines; [`writer`] encodes them; [`reader`] parses them back into events
//! so a run can be audited, replayed or rebuilt. Every kind and field is documented in
//! `scenarios/README.md`.

pub mod file;
pub mod header;
pub(crate) mod json;
pub mod reader;
pub mod sink;
pub mod writer;

pub use reader::{JournalError, read_journal};
pub use sink::{Durability, JournalOut, JournalWriter};
