//! Reading back the journal lines of swarm allocation (the inverse of `encode.rs`).

use super::SwarmEvent;
use serde_json::Value;

use crate::journal::reader::{R, Resolver};

impl Resolver<'_> {
    fn number(&self, v: &Value, key: &str) -> R<f64> {
        self.field(v, key)?.as_f64().ok_or_else(|| format!("`{key}` must be a number"))
    }

    /// A swarm event from its `kind` name (`None`: not one).
    pub(crate) fn swarm_event(&self, kind: &str, v: &Value) -> R<Option<SwarmEvent>> {
        Ok(Some(match kind {
            "task_posted" => SwarmEvent::TaskPosted { task: self.task(v, "task")? },
            "swarm_tick" => SwarmEvent::SwarmTick { board: self.u32(v, "board")? },
            "task_claimed" => SwarmEvent::TaskClaimed {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                stimulus: self.number(v, "stimulus")?,
                threshold: self.number(v, "threshold")?,
                p: self.number(v, "p")?,
            },
            "claim_refused" => SwarmEvent::ClaimRefused {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                winner: self.agent(v, "winner")?,
            },
            "threshold_changed" => SwarmEvent::ThresholdChanged {
                agent: self.agent(v, "agent")?,
                capability: self.str(v, "capability")?.into(),
                threshold: self.number(v, "threshold")?,
            },
            _ => return Ok(None),
        }))
    }
}
