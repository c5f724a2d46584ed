//! Runs that span machines, over NATS (issue 14; this is its first increment).
//!
//! A served run ([`serve`]) publishes its journal, line by line and in order, to a JetStream
//! stream and answers operator commands sent as NATS requests; `attach` ([`attach`]) opens the
//! console on it from any machine, `attach --follow` ([`follow`]) prints its events from the
//! start and follows it to its end; `ctl` ([`ctl`]) sends it one command. Follow the data:
//! [`subjects`] names a run's subjects and stream; [`server`] connects as [`access`] says
//! (credentials, TLS) and notices the server's permission denials, [`creds`] keeps credentials
//! out of what is printed; `host` drives the coordinator of a served run, [`publish`] stores its
//! lines, [`commands`] carries out requests and [`reply`] is the answer's format.

pub mod access;
pub mod attach;
pub mod bridge;
pub mod commands;
pub mod creds;
pub mod ctl;
pub mod follow;
mod host;
pub mod leader;
pub mod link;
pub mod publish;
pub mod reply;
pub mod serve;
pub mod server;
pub mod standby;
pub mod subjects;
pub mod wire;

/// Why a client command (`attach --follow`, `ctl`) could not do its job.
#[derive(Debug)]
pub enum Failure {
    /// The server or the run cannot be reached, or the input is bad (exit 2).
    Unreachable(String),
    /// What was read could not be written out (exit 3).
    Output(String),
    /// The server's permissions do not let this user do it (exit 1 for `ctl`, 2 for `attach`).
    Denied(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(m) | Failure::Output(m) | Failure::Denied(m) => f.write_str(m),
        }
    }
}
