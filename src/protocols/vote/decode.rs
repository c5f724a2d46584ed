//! Reads the journal lines of decision tasks back (see `encode.rs`).

use crate::core::event::VoteEvent;
use std::sync::Arc;

use serde_json::Value;

use crate::core::output::intern;
use crate::core::{MsgKind, Payload};
use crate::journal::reader::{R, Resolver};
use crate::protocols::vote::{Choice, DecideReason, Verdict};
use crate::scenario::TieRule;

impl Resolver<'_> {
    fn float(&self, v: &Value, key: &str) -> R<f64> {
        self.field(v, key)?.as_f64().ok_or_else(|| format!("`{key}` must be a number"))
    }

    fn choice(&self, v: &Value) -> R<Choice> {
        let c = self.str(v, "choice")?;
        Choice::from_name(c).ok_or_else(|| format!("unknown vote choice `{c}`"))
    }

    fn agents(&self, v: &Value, key: &str) -> R<Vec<crate::core::AgentId>> {
        let list = self.field(v, key)?.as_array().ok_or_else(|| format!("`{key}` must be an array"))?;
        list.iter()
            .map(|a| {
                let name = a.as_str().ok_or_else(|| format!("`{key}` must hold agent ids"))?;
                self.agents.get(name).map(|&i| crate::core::AgentId(i)).ok_or_else(|| format!("unknown agent `{name}`"))
            })
            .collect()
    }

    /// A vote event from its `kind` name (`None`: not one).
    pub(crate) fn vote_event(&self, kind: &str, v: &Value) -> R<Option<VoteEvent>> {
        Ok(Some(match kind {
            "ballot_opened" => {
                let voters = self.agents(v, "voters")?;
                let weights = self.field(v, "weights")?.as_array().ok_or("`weights` must be an array")?;
                if weights.len() != voters.len() {
                    return Err("`weights` must have one weight per voter".into());
                }
                let weights: Vec<f64> = weights
                    .iter()
                    .map(|w| w.as_f64().ok_or("`weights` must hold numbers"))
                    .collect::<Result<_, _>>()?;
                let t = self.str(v, "tie")?;
                let tie = TieRule::ALL.into_iter().find(|r| r.name() == t).ok_or(format!("unknown tie rule `{t}`"))?;
                VoteEvent::BallotOpened {
                    task: self.task(v, "task")?,
                    proposal: Arc::from(self.str(v, "proposal")?),
                    voters: voters.into_iter().zip(weights).collect(),
                    unreached: self.agents(v, "unreached")?.into(),
                    threshold: self.float(v, "threshold")?,
                    quorum: self.float(v, "quorum")?,
                    tie,
                    closes_ms: self.u64(v, "closes_ms")?,
                }
            }
            "vote_cast" => {
                let voter = match self.str(v, "by")? {
                    "operator" => None,
                    "agent" => Some(self.agent(v, "agent")?),
                    other => return Err(format!("unknown voter kind `{other}`")),
                };
                let reason = match v.get("reason") {
                    Some(r) => Some(Arc::from(r.as_str().ok_or("`reason` must be a string")?)),
                    None => None,
                };
                VoteEvent::VoteCast {
                    task: self.task(v, "task")?,
                    voter,
                    choice: self.choice(v)?,
                    weight: self.float(v, "weight")?,
                    reason,
                }
            }
            "proposal_decided" => {
                let o = self.str(v, "outcome")?;
                let r = self.str(v, "reason")?;
                VoteEvent::ProposalDecided {
                    task: self.task(v, "task")?,
                    verdict: Verdict::from_name(o).ok_or_else(|| format!("unknown outcome `{o}`"))?,
                    reason: DecideReason::from_name(r).ok_or_else(|| format!("unknown decision reason `{r}`"))?,
                    yes: self.float(v, "yes")?,
                    no: self.float(v, "no")?,
                    abstain: self.float(v, "abstain")?,
                    quorum: self.field(v, "quorum")?.as_bool().ok_or("`quorum` must be a boolean")?,
                }
            }
            _ => return Ok(None),
        }))
    }

    /// The payload of a `ballot` or `vote` message (`p` is the payload object, `v` the line).
    pub(crate) fn vote_payload(&self, kind: MsgKind, v: &Value, p: &Value) -> R<Payload> {
        Ok(match kind {
            MsgKind::Ballot => Payload::Ballot { task: self.task(v, "task")?, closes_ms: self.u64(p, "closes_ms")? },
            _ => Payload::Vote {
                task: self.task(v, "task")?,
                choice: self.choice(p)?,
                reason: p.get("reason").and_then(Value::as_str).map(intern),
            },
        })
    }
}
