//! Auctions (contract net): a ready task is put out to capable agents, their bids are ranked and
//! the best valid one wins; the operator may award another bidder or reopen the auction.

pub mod decode;
pub mod encode;
pub mod event;
mod ops;
pub mod report;
pub mod spec;
pub(crate) mod state;
#[cfg(test)]
mod tests;

pub use event::*;
pub use state::*;
