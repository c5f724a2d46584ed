//! Reads the auction kinds and messages back (the inverse of `encode.rs`).

use crate::core::event::AuctionEvent;
use std::sync::Arc;

use serde_json::Value;

use crate::core::output::intern;
use crate::core::{AgentId, MsgKind, Payload};
use crate::journal::reader::{R, Resolver};
use crate::protocols::auction::{AwardBy, BidFlaw, NoAward, Then};

impl Resolver<'_> {
    fn f64(&self, v: &Value, key: &str) -> R<f64> {
        match self.field(v, key)? {
            // A number JSON cannot hold (NaN, infinity) is written as `null`.
            Value::Null => Ok(f64::NAN),
            n => n.as_f64().ok_or_else(|| format!("`{key}` must be a number")),
        }
    }

    fn agent_list(&self, v: &Value, key: &str) -> R<Arc<[AgentId]>> {
        let list = self.field(v, key)?.as_array().ok_or_else(|| format!("`{key}` must be an array"))?;
        list.iter()
            .map(|a| {
                let name = a.as_str().ok_or_else(|| format!("`{key}` must hold agent ids"))?;
                self.agents.get(name).map(|&i| AgentId(i)).ok_or_else(|| format!("unknown agent `{name}`"))
            })
            .collect()
    }

    /// An auction event, or `None` if `kind` is not one.
    pub(crate) fn auction_event(&self, kind: &str, v: &Value) -> R<Option<AuctionEvent>> {
        let head = || -> R<_> { Ok((self.u32(v, "auction")?, self.task(v, "task")?)) };
        Ok(Some(match kind {
            "auction_opened" => {
                let (auction, task) = head()?;
                AuctionEvent::AuctionOpened {
                    auction,
                    task,
                    round: self.u32(v, "round")?,
                    invited: self.agent_list(v, "invited")?,
                    closes_ms: self.u64(v, "closes_ms")?,
                }
            }
            "bid_received" => {
                let (auction, task) = head()?;
                let valid = self.field(v, "valid")?.as_bool().ok_or("`valid` must be a boolean")?;
                let flaw = match valid {
                    true => None,
                    false => {
                        let r = self.str(v, "reason")?;
                        Some(BidFlaw::from_name(r).ok_or_else(|| format!("unknown bid flaw `{r}`"))?)
                    }
                };
                AuctionEvent::BidReceived {
                    auction,
                    task,
                    agent: self.agent(v, "agent")?,
                    price: self.f64(v, "price")?,
                    eta_ms: self.u64(v, "eta_ms")?,
                    confidence: self.f64(v, "confidence")?,
                    flaw,
                }
            }
            "bid_declined" => {
                let (auction, task) = head()?;
                AuctionEvent::BidDeclined {
                    auction,
                    task,
                    agent: self.agent(v, "agent")?,
                    reason: Arc::from(self.str(v, "reason")?),
                }
            }
            "auction_awarded" => {
                let (auction, task) = head()?;
                let by = match self.str(v, "by")? {
                    "score" => AwardBy::Score,
                    "operator" => AwardBy::Operator,
                    other => return Err(format!("unknown award maker `{other}`")),
                };
                let list = self.field(v, "ranking")?.as_array().ok_or("`ranking` must be an array")?;
                let ranking =
                    list.iter().map(|r| Ok((self.agent(r, "agent")?, self.f64(r, "score")?))).collect::<R<_>>()?;
                AuctionEvent::AuctionAwarded {
                    auction,
                    task,
                    agent: self.agent(v, "agent")?,
                    score: self.f64(v, "score")?,
                    by,
                    ranking,
                    passed: self.agent_list(v, "passed")?,
                }
            }
            "auction_no_award" => {
                let (auction, task) = head()?;
                let r = self.str(v, "reason")?;
                let reason = NoAward::from_name(r).ok_or_else(|| format!("unknown no-award reason `{r}`"))?;
                let then = match self.str(v, "then")? {
                    "reannounce" => Then::Reannounce { at_ms: self.u64(v, "at_ms")? },
                    "escalate" => Then::Escalate,
                    "none" => Then::Stop,
                    other => return Err(format!("unknown `then` `{other}`")),
                };
                AuctionEvent::AuctionNoAward { auction, task, round: self.u32(v, "round")?, reason, then }
            }
            _ => return Ok(None),
        }))
    }

    /// The payload of an auction message (`v` the event, `p` its `payload`).
    pub(crate) fn auction_payload(&self, kind: MsgKind, v: &Value, p: &Value) -> R<Payload> {
        let auction = self.u32(p, "auction")?;
        Ok(match kind {
            MsgKind::Cfp => Payload::Cfp { auction, task: self.task(v, "task")?, closes_ms: self.u64(p, "closes_ms")? },
            MsgKind::Bid => Payload::Bid {
                auction,
                eta_ms: self.u32(p, "eta_ms")?,
                price: self.f64(p, "price")?,
                confidence: self.f64(p, "confidence")?,
            },
            MsgKind::Decline => Payload::Decline { auction, reason: intern(self.str(p, "reason")?) },
            MsgKind::Award => Payload::Award { auction, task: self.task(v, "task")? },
            other => return Err(format!("`{}` is not an auction message", other.name())),
        })
    }
}
