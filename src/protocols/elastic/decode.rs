//! Reading back the journal lines of elastic teams (the inverse of `encode.rs`).

use serde_json::Value;

use super::ElasticEvent;
use crate::journal::reader::{R, Resolver};

impl Resolver<'_> {
    /// An elastic-team event from its `kind` name (`None`: not one).
    pub(crate) fn elastic_event(&self, kind: &str, v: &Value) -> R<Option<ElasticEvent>> {
        Ok(Some(match kind {
            "agent_created" => ElasticEvent::AgentCreated {
                agent: self.agent(v, "agent")?,
                template: self.str(v, "template")?.into(),
                task: self.task(v, "task")?,
                waited_ms: self.u64(v, "waited_ms")?,
            },
            "agent_retired" => {
                ElasticEvent::AgentRetired { agent: self.agent(v, "agent")?, idle_ms: self.u64(v, "idle_ms")? }
            }
            _ => return Ok(None),
        }))
    }
}
