//! The report's "Auctions" section: every auction's outcome, its winner and bids, and the counts
//! the headless summary prints in one line.

use std::fmt::Write as _;

use serde::Serialize;

use crate::core::Coordinator;
use crate::protocols::auction::{Phase, Then};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuctionsReport<'a> {
    pub opened: u32,
    pub awarded: u32,
    /// Of `awarded`, those an operator decided.
    pub by_operator: u32,
    pub no_award: u32,
    /// Tasks sent to the inbox after their last round.
    pub escalated: u32,
    pub auctions: Vec<AuctionRow<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuctionRow<'a> {
    pub auction: u32,
    pub task: &'a str,
    pub round: u32,
    /// `open`, `awarded` or `no_award`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// `score` or `operator`, for an award; the no-award reason otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<&'static str>,
    pub invited: usize,
    pub bids: usize,
    pub valid_bids: usize,
    pub declines: usize,
}

impl<'a> AuctionsReport<'a> {
    /// `None` for a run without auctions.
    pub fn of(coord: &'a Coordinator) -> Option<AuctionsReport<'a>> {
        let all = &coord.state().auctions.auctions;
        if all.is_empty() {
            return None;
        }
        let mut r = AuctionsReport {
            opened: all.len() as u32,
            awarded: 0,
            by_operator: 0,
            no_award: 0,
            escalated: 0,
            auctions: Vec::with_capacity(all.len()),
        };
        for x in all {
            let (outcome, winner, score, why) = match x.phase {
                Phase::Open => ("open", None, None, None),
                Phase::Awarded { agent, score, by } => {
                    r.awarded += 1;
                    r.by_operator += (by == crate::protocols::auction::AwardBy::Operator) as u32;
                    ("awarded", Some(coord.agent_name(agent)), Some(score), Some(by.name()))
                }
                Phase::NoAward { reason, then } => {
                    r.no_award += 1;
                    r.escalated += (then == Then::Escalate) as u32;
                    ("no_award", None, None, Some(reason.name()))
                }
            };
            r.auctions.push(AuctionRow {
                auction: x.id,
                task: coord.task_name(x.task),
                round: x.round,
                outcome,
                winner,
                score: score.map(|s| (s * 1000.0).round() / 1000.0),
                why,
                invited: x.invited.len(),
                bids: x.bids.len(),
                valid_bids: x.bids.iter().filter(|b| b.flaw.is_none()).count(),
                declines: x.declines.len(),
            });
        }
        Some(r)
    }

    /// The summary line, then up to `limit` auctions.
    pub fn write(&self, out: &mut String, limit: usize) {
        let _ = writeln!(
            out,
            "\nauctions: {} opened, {} awarded ({} by an operator), {} without award, {} escalated",
            self.opened, self.awarded, self.by_operator, self.no_award, self.escalated
        );
        for a in self.auctions.iter().take(limit) {
            let result = match (a.winner, a.score) {
                (Some(w), Some(s)) => format!("{w} (score {s:.3}, by {})", a.why.unwrap_or("score")),
                _ => format!("{} ({})", a.outcome, a.why.unwrap_or("-")),
            };
            let _ = writeln!(
                out,
                "#{:<3} {:<20} round {}  {:<40} bids {}/{} valid, {} declined",
                a.auction, a.task, a.round, result, a.valid_bids, a.bids, a.declines
            );
        }
        if self.auctions.len() > limit {
            let _ = writeln!(out, "… and {} more auctions (see --report)", self.auctions.len() - limit);
        }
    }
}
