//! Durable runs: the journal as the record of a run, and what an operator does with it —
//! bring a simulated run back by running it again ([`reexecute`]) to carry it on (resume) or to
//! amend it ([`fork`]), look at it as of any event ([`replay`]), find where two runs part ([`diff`]).
//!
//! Everything here starts from a journal file alone ([`crate::journal::file`]): its first line
//! embeds the scenario, so no other file is needed.

pub mod diff;
pub mod fork;
pub mod reexecute;
pub mod replay;
pub mod timeline;
