//! Auctions (contract net): a ready task is put out to capable agents, their bids are ranked and
//! the best valid one wins; the operator may award another bidder or reopen the auction.

mod event;

pub use event::AuctionEvent;
