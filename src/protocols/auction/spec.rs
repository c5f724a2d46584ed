//! The `auction` field (scenario root and per task): how contract-net auctions score bids, how
//! long bids are awaited and how often an auction without a valid bid is announced again.
//!
//! Every bound is checked as the field is decoded (weights ≥ 0 and not all 0, `min_confidence` in
//! 0..=1, windows > 0, `max_rounds` ≥ 1), so a problem points at the offending value. A task's
//! `auction` overrides only the fields it gives; its `weights`, when given, replace the root's.

use serde::Serialize;

use crate::scenario::decode::{Bound, Decoder};
use crate::scenario::error::Diag;
use crate::scenario::lexer::LexResult as R;
use crate::scenario::meta::Meta;
use crate::scenario::types::{Scenario, Strategy};

const AUCTION_FIELDS: &[&str] = &["weights", "min_confidence", "bid_window_ms", "reannounce_ms", "max_rounds"];
const WEIGHT_FIELDS: &[&str] = &["price", "time", "confidence"];

/// How much each part of a bid counts in its score. A weight left out of a `weights` object is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weights {
    pub price: f64,
    pub time: f64,
    pub confidence: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights { price: 0.4, time: 0.3, confidence: 0.3 }
    }
}

/// Auction settings: the scenario's defaults, or a task's once its override is applied.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AuctionSpec {
    pub weights: Weights,
    /// Bids below this confidence are recorded but not valid.
    pub min_confidence: f64,
    /// How long bids are awaited after the call for proposals.
    pub bid_window_ms: u64,
    /// Delay before an auction that awarded nothing is announced again.
    pub reannounce_ms: u64,
    /// Rounds without an award before the task is escalated.
    pub max_rounds: u32,
}

impl Default for AuctionSpec {
    fn default() -> AuctionSpec {
        AuctionSpec {
            weights: Weights::default(),
            min_confidence: 0.0,
            bid_window_ms: 200,
            reannounce_ms: 500,
            max_rounds: 3,
        }
    }
}

impl AuctionSpec {
    pub fn is_default(&self) -> bool {
        *self == AuctionSpec::default()
    }

    /// These settings with a task's override applied.
    pub fn with(&self, o: &AuctionOverride) -> AuctionSpec {
        AuctionSpec {
            weights: o.weights.unwrap_or(self.weights),
            min_confidence: o.min_confidence.unwrap_or(self.min_confidence),
            bid_window_ms: o.bid_window_ms.unwrap_or(self.bid_window_ms),
            reannounce_ms: o.reannounce_ms.unwrap_or(self.reannounce_ms),
            max_rounds: o.max_rounds.unwrap_or(self.max_rounds),
        }
    }
}

/// A task's `auction`: only the fields it gives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct AuctionOverride {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<Weights>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_confidence: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bid_window_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reannounce_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_rounds: Option<u32>,
}

impl Decoder<'_, '_> {
    /// Reads an `auction` object: the fields it gives, each checked against its bounds.
    pub(crate) fn auction(&mut self) -> R<AuctionOverride> {
        let mut out = AuctionOverride::default();
        self.object(AUCTION_FIELDS, |d, f| {
            match f {
                0 => out.weights = d.weights()?,
                1 => out.min_confidence = d.float(Bound::Unit)?,
                2 => out.bid_window_ms = d.ms(1)?,
                3 => out.reannounce_ms = d.ms(1)?,
                _ => out.max_rounds = d.count(1, crate::scenario::bounds::MAX_ROUNDS)?,
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn weights(&mut self) -> R<Option<Weights>> {
        let mut w = Weights { price: 0.0, time: 0.0, confidence: 0.0 };
        let mut bad = false;
        let seen = self.object(WEIGHT_FIELDS, |d, f| {
            let v = d.float(Bound::AtLeast(0.0))?;
            bad |= v.is_none();
            let v = v.unwrap_or(0.0);
            match f {
                0 => w.price = v,
                1 => w.time = v,
                _ => w.confidence = v,
            }
            Ok(())
        })?;
        let Some((at, _)) = seen else { return Ok(None) };
        if bad {
            return Ok(None);
        }
        if w.price + w.time + w.confidence <= 0.0 {
            self.problem(at, "at least one of price, time and confidence must be above 0");
            return Ok(None);
        }
        Ok(Some(w))
    }
}

/// A task's `auction` is an error unless the task is allocated by auction (it would do nothing).
pub(crate) fn validate(sc: &Scenario, meta: &Meta, diag: &mut Diag) {
    for &(t, pos) in &meta.auction_at {
        let task = &sc.tasks[t as usize];
        let strategy = task.allocation.unwrap_or(sc.allocation);
        if strategy != Strategy::Auction {
            let message = format!(
                "`auction` applies only to tasks allocated by auction, and task `{}` uses `{}` (set \"allocation\": \"auction\")",
                task.id,
                strategy.name()
            );
            diag.push(pos as usize, format!("tasks[{t}].auction"), message);
        }
    }
}
