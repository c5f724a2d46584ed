//! Journal lines of sagas: field for field as `scenarios/JOURNAL.md` lists them.

use super::SagaEvent;
use crate::journal::writer::{Names, num};

/// Appends the fields of one of its events after `kind`.
pub(crate) fn encode(event: &SagaEvent, names: &Names, out: &mut Vec<u8>) {
    let saga = |out: &mut Vec<u8>, s: super::SagaId| {
        out.extend_from_slice(b",\"saga\":");
        out.extend_from_slice(&names.sagas[s.ix()]);
    };
    match *event {
        SagaEvent::SagaCompleted { saga: s } => saga(out, s),
        SagaEvent::SagaFailed { saga: s, cause } => {
            saga(out, s);
            names.push_task(out, "cause", cause);
        }
        SagaEvent::CompensationStarted { saga: s, task: t, step } => {
            names.push_task(out, "task", t);
            saga(out, s);
            names.push_task(out, "step", step);
        }
        SagaEvent::SagaCompensated { saga: s, compensated, failed } => {
            saga(out, s);
            num(out, "compensated", compensated as u64);
            num(out, "failed", failed as u64);
        }
    }
}
