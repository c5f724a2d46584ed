//! Journal lines of sagas: field for field as `scenarios/JOURNAL.md` lists them.

use super::SagaEvent;
use crate::journal::json::push_u64;
use crate::journal::writer::{Names, push_key};

/// Appends the fields of a SagaEvent after `kind`.
pub(crate) fn encode(event: &SagaEvent, names: &Names, out: &mut Vec<u8>) {
    let task = |out: &mut Vec<u8>, key: &str, t: crate::core::TaskId| names.push_task(out, key, t);
    let num = |out: &mut Vec<u8>, key: &str, v: u64| {
        push_key(out, key);
        push_u64(out, v);
    };
    let saga = |out: &mut Vec<u8>, s: super::SagaId| {
        out.extend_from_slice(b",\"saga\":");
        out.extend_from_slice(&names.sagas[s.ix()]);
    };
    match *event {
        SagaEvent::SagaCompleted { saga: s } => saga(out, s),
        SagaEvent::SagaFailed { saga: s, cause } => {
            saga(out, s);
            task(out, "cause", cause);
        }
        SagaEvent::CompensationStarted { saga: s, task: t, step } => {
            task(out, "task", t);
            saga(out, s);
            task(out, "step", step);
        }
        SagaEvent::SagaCompensated { saga: s, compensated, failed } => {
            saga(out, s);
            num(out, "compensated", compensated as u64);
            num(out, "failed", failed as u64);
        }
    }
}
