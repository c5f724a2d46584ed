//! Reading back the journal lines of sagas (the inverse of `encode.rs`).

use serde_json::Value;

use super::SagaEvent;
use crate::journal::reader::{R, Resolver};

impl Resolver<'_> {
    /// A saga event from its `kind` name (`None`: not one).
    pub(crate) fn saga_event(&self, kind: &str, v: &Value) -> R<Option<SagaEvent>> {
        Ok(Some(match kind {
            "saga_completed" => SagaEvent::SagaCompleted { saga: self.saga(v)? },
            "saga_failed" => SagaEvent::SagaFailed { saga: self.saga(v)?, cause: self.task(v, "cause")? },
            "compensation_started" => SagaEvent::CompensationStarted {
                saga: self.saga(v)?,
                task: self.task(v, "task")?,
                step: self.task(v, "step")?,
            },
            "saga_compensated" => SagaEvent::SagaCompensated {
                saga: self.saga(v)?,
                compensated: self.u32(v, "compensated")?,
                failed: self.u32(v, "failed")?,
            },
            _ => return Ok(None),
        }))
    }
}
