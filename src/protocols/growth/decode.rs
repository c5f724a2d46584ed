//! Reading back the journal lines of dynamic decomposition (the inverse of `encode.rs`).

use serde_json::Value;

use super::GrowthEvent;
use crate::core::TaskId;
use crate::journal::reader::{R, Resolver};

impl Resolver<'_> {
    /// A decomposition event from its `kind` name (`None`: not one).
    pub(crate) fn growth_event(&self, kind: &str, v: &Value) -> R<Option<GrowthEvent>> {
        let (t, a) = (|| self.task(v, "task"), || self.agent(v, "agent"));
        Ok(Some(match kind {
            "tasks_added" => self.tasks_added(v)?,
            "decomposition_rejected" => {
                let list = self.field(v, "errors")?.as_array().ok_or("`errors` must be an array")?;
                let errors: Option<Vec<String>> = list.iter().map(|e| e.as_str().map(str::to_owned)).collect();
                GrowthEvent::DecompositionRejected {
                    task: t()?,
                    agent: a()?,
                    attempt: self.u32(v, "attempt")?,
                    errors: errors.ok_or("`errors` must be strings")?.into(),
                }
            }
            _ => return Ok(None),
        }))
    }

    fn tasks_added(&self, v: &Value) -> R<GrowthEvent> {
        let text = serde_json::json!({ "subtasks": self.field(v, "tasks")? }).to_string();
        let tasks = crate::scenario::decode_subtasks(&text).map_err(|e| format!("`tasks`: {}", e.join("; ")))?;
        let new = |name: &str| tasks.iter().position(|t| t.id == name).map(|i| TaskId(self.count + i as u32));
        let list = self.field(v, "edges")?.as_array().ok_or("`edges` must be an array")?;
        let mut edges = Vec::with_capacity(list.len());
        for e in list {
            let name = |k: usize| e.get(k).and_then(Value::as_str).ok_or("an edge must be [from, to]");
            let end = |k: usize| -> R<TaskId> {
                let n = name(k)?;
                let known = self.tasks.get(n).or_else(|| self.added.get(n)).map(|&i| TaskId(i));
                known.or_else(|| new(n)).ok_or_else(|| format!("unknown task `{n}`"))
            };
            edges.push((end(0)?, end(1)?));
        }
        Ok(GrowthEvent::TasksAdded { by: self.task(v, "by")?, tasks: tasks.into(), edges: edges.into() })
    }
}
