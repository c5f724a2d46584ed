//! Reads the team protocols' journal lines back (the inverse of `writer/teams.rs`).

use serde_json::Value;

use super::{R, Resolver};
use crate::core::team_event::TeamEvent;

impl Resolver<'_> {
    pub(super) fn team_event(&self, kind: &str, v: &Value) -> R<TeamEvent> {
        let (t, from, to) = (|| self.task(v, "task"), || self.agent(v, "from"), || self.agent(v, "to"));
        Ok(match kind {
            "task_delegated" => TeamEvent::TaskDelegated {
                task: t()?,
                from: from()?,
                to: to()?,
                level: self.u32(v, "level")?,
                bypassed: if v.get("bypassed").is_some() { Some(self.agent(v, "bypassed")?) } else { None },
            },
            "result_reported" => TeamEvent::ResultReported { task: t()?, from: from()?, to: to()? },
            other => return Err(format!("unknown event kind `{other}`")),
        })
    }
}
