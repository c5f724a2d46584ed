//! Reads the team protocols' journal lines back (the inverse of `encode.rs`).

use serde_json::Value;

use crate::journal::reader::{R, Resolver};
use crate::protocols::teams::{HelpMiss, TeamEvent};
use crate::scenario::OnLimit;

impl Resolver<'_> {
    /// A team event from its `kind` name (`None`: not one).
    pub(crate) fn team_event(&self, kind: &str, v: &Value) -> R<Option<TeamEvent>> {
        let (t, from, to) = (|| self.task(v, "task"), || self.agent(v, "from"), || self.agent(v, "to"));
        Ok(Some(match kind {
            "task_delegated" => TeamEvent::TaskDelegated {
                task: t()?,
                from: from()?,
                to: to()?,
                level: self.u32(v, "level")?,
                bypassed: if v.get("bypassed").is_some() { Some(self.agent(v, "bypassed")?) } else { None },
            },
            "result_reported" => TeamEvent::ResultReported { task: t()?, from: from()?, to: to()? },
            "rework_requested" => TeamEvent::ReworkRequested {
                task: t()?,
                reviewer_task: self.task(v, "reviewer_task")?,
                round: self.u32(v, "round")?,
                notes: if v.get("notes").is_some() { Some(self.str(v, "notes")?.into()) } else { None },
            },
            "review_accepted" => TeamEvent::ReviewAccepted {
                task: t()?,
                reviewer_task: self.task(v, "reviewer_task")?,
                rounds: self.u32(v, "rounds")?,
            },
            "help_requested" => TeamEvent::HelpRequested {
                task: t()?,
                agent: self.agent(v, "agent")?,
                id: self.u64(v, "id")?,
                capability: self.str(v, "capability")?.into(),
            },
            "help_routed" => TeamEvent::HelpRouted { id: self.u64(v, "id")?, to: to()? },
            "help_answered" => TeamEvent::HelpAnswered {
                id: self.u64(v, "id")?,
                by: self.agent(v, "by")?,
                waited_ms: self.u64(v, "waited_ms")?,
            },
            "broadcast_sent" => {
                let to = match self.field(v, "to")? {
                    Value::String(s) if s == "all" => None,
                    t => Some(self.str(t, "capability")?.into()),
                };
                let list = self.field(v, "recipients")?.as_array().ok_or("`recipients` must be an array")?;
                let recipients = list
                    .iter()
                    .map(|r| {
                        let name = r.as_str().ok_or("a recipient must be an agent id")?;
                        self.agent(&serde_json::json!({ "a": name }), "a")
                    })
                    .collect::<R<Vec<_>>>()?;
                TeamEvent::BroadcastSent {
                    to,
                    recipients: recipients.into(),
                    text: self.str(v, "text")?.into(),
                    origin: self.origin(v)?,
                }
            }
            "help_timed_out" => {
                let r = self.str(v, "reason")?;
                let reason = HelpMiss::from_name(r).ok_or_else(|| format!("unknown help miss `{r}`"))?;
                TeamEvent::HelpTimedOut { id: self.u64(v, "id")?, reason }
            }
            "rework_limit_reached" => {
                let a = self.str(v, "action")?;
                let action = OnLimit::from_name(a).ok_or_else(|| format!("unknown on_limit action `{a}`"))?;
                TeamEvent::ReworkLimitReached { task: t()?, action }
            }
            _ => return Ok(None),
        }))
    }
}
