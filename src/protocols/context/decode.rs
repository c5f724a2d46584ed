//! Reading back the journal lines of the shared context (the inverse of `encode.rs`).

use std::sync::Arc;

use serde_json::Value;

use super::{ContextEvent, DeadReason, GroupId, KeyId, LockId};
use crate::journal::reader::{R, Resolver};
use crate::scenario::ConflictPolicy;

impl Resolver<'_> {
    fn key(&self, v: &Value, field: &str) -> R<KeyId> {
        let name = self.str(v, field)?;
        self.ctx.key_id(name).ok_or_else(|| format!("unknown blackboard key `{name}`"))
    }
    fn lock(&self, v: &Value) -> R<LockId> {
        let name = self.str(v, "resource")?;
        self.ctx.lock_id(name).ok_or_else(|| format!("unknown lock `{name}`"))
    }
    fn group(&self, v: &Value) -> R<GroupId> {
        let name = self.str(v, "group")?;
        self.ctx.group_id(name).ok_or_else(|| format!("unknown group `{name}`"))
    }

    /// A shared-context event from its `kind` name (`None`: not one).
    pub(crate) fn context_event(&self, kind: &str, v: &Value) -> R<Option<ContextEvent>> {
        let (t, a) = (|| self.task(v, "task"), || self.agent(v, "agent"));
        Ok(Some(match kind {
            "lock_waiting" => ContextEvent::LockWaiting {
                lock: self.lock(v)?,
                task: t()?,
                agent: a()?,
                position: self.u32(v, "position")?,
            },
            "lock_granted" => ContextEvent::LockGranted {
                lock: self.lock(v)?,
                task: t()?,
                agent: a()?,
                token: self.u64(v, "token")?,
                expires_ms: self.u64(v, "expires_ms")?,
            },
            "lock_released" => ContextEvent::LockReleased {
                lock: self.lock(v)?,
                task: t()?,
                agent: a()?,
                token: self.u64(v, "token")?,
            },
            "lock_expired" => {
                ContextEvent::LockExpired { lock: self.lock(v)?, task: t()?, agent: a()?, token: self.u64(v, "token")? }
            }
            "lock_withdrawn" => ContextEvent::LockWithdrawn { lock: self.lock(v)?, task: t()?, agent: a()? },
            "context_read" => {
                let map = self.field(v, "versions")?.as_object().ok_or("`versions` must be an object")?;
                let mut versions = Vec::with_capacity(map.len());
                for (k, n) in map {
                    let key = self.ctx.key_id(k).ok_or_else(|| format!("unknown blackboard key `{k}`"))?;
                    versions.push((key, n.as_u64().ok_or("a version must be a non-negative integer")?));
                }
                versions.sort();
                ContextEvent::ContextRead {
                    task: t()?,
                    agent: a()?,
                    attempt: self.u32(v, "attempt")?,
                    versions: versions.into(),
                }
            }
            "context_written" => ContextEvent::ContextWritten {
                key: self.key(v, "key")?,
                task: t()?,
                agent: a()?,
                version: self.u64(v, "version")?,
                token: if v.get("token").is_some() { Some(self.u64(v, "token")?) } else { None },
                value: Arc::new(self.field(v, "value")?.clone()),
            },
            "context_conflict" => {
                let p = self.str(v, "policy")?;
                ContextEvent::ContextConflict {
                    key: self.key(v, "key")?,
                    task: t()?,
                    agent: a()?,
                    read_version: self.u64(v, "read_version")?,
                    current_version: self.u64(v, "current_version")?,
                    policy: ConflictPolicy::from_name(p).ok_or_else(|| format!("unknown conflict policy `{p}`"))?,
                }
            }
            "write_rejected" => ContextEvent::WriteRejected {
                key: self.key(v, "key")?,
                task: t()?,
                agent: a()?,
                lock: self.lock(v)?,
                token: self.u64(v, "token")?,
                current_token: self.u64(v, "current_token")?,
            },
            "leader_elected" => {
                ContextEvent::LeaderElected { group: self.group(v)?, agent: a()?, term: self.u64(v, "term")? }
            }
            "leader_lost" => {
                ContextEvent::LeaderLost { group: self.group(v)?, agent: a()?, term: self.u64(v, "term")? }
            }
            "message_dead_lettered" => {
                let r = self.str(v, "reason")?;
                let reason = DeadReason::from_name(r).ok_or_else(|| format!("unknown dead-letter reason `{r}`"))?;
                ContextEvent::MessageDeadLettered { msg: Box::new(self.message(v)?), reason }
            }
            _ => return Ok(None),
        }))
    }
}
