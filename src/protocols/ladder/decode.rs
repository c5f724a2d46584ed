//! Reading back the journal lines of escalation ladders (the inverse of `encode.rs`).

use std::sync::Arc;

use serde_json::Value;

use super::LadderEvent;
use crate::journal::reader::{R, Resolver};
use crate::scenario::{Expiry, TierName};

impl Resolver<'_> {
    /// A ladder event from its `kind` name (`None`: not one).
    pub(crate) fn ladder_event(&self, kind: &str, v: &Value) -> R<Option<LadderEvent>> {
        Ok(Some(match kind {
            "tier_entered" => {
                let tier = self.str(v, "tier")?;
                LadderEvent::TierEntered {
                    task: self.task(v, "task")?,
                    tier: TierName::from_name(tier).ok_or_else(|| format!("unknown tier `{tier}`"))?,
                    level: self.u32(v, "level")?,
                    limit: self.u32(v, "limit")?,
                    passed: Arc::from(self.tier_names(v, "passed")?),
                }
            }
            "inbox_sla_expired" => {
                let action = self.str(v, "action")?;
                LadderEvent::InboxSlaExpired {
                    task: self.task(v, "task")?,
                    action: Expiry::from_name(action).ok_or_else(|| format!("unknown on_expiry action `{action}`"))?,
                }
            }
            _ => return Ok(None),
        }))
    }
}
