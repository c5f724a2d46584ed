//! Semantic checks for sagas and compensations: saga ids and steps, `compensate` references, and
//! the rules that keep a compensator out of the ordinary workflow (it has no dependencies, nothing
//! depends on it, it is no saga step, and it undoes exactly one step).
//!
//! Costs nothing for a scenario without sagas or `compensate` fields.

use crate::fasthash::FastMap;
use crate::scenario::decode::NONE;
use crate::scenario::error::{Diag, hint};
use crate::scenario::meta::{Meta, UNRESOLVED};
use crate::scenario::types::Scenario;

/// Each saga step's task: its saga and the offset of its entry.
type Steps = FastMap<u32, (usize, u32)>;
/// Each compensator: the task whose `compensate` names it, and that field's offset.
type Compensations = FastMap<u32, (u32, u32)>;

pub(crate) fn check(sc: &Scenario, meta: &mut Meta, diag: &mut Diag) {
    if sc.sagas.is_empty() && meta.compensate.is_empty() {
        return;
    }
    let step_of = steps(sc, meta, diag);
    let comp_of = compensations(sc, meta, &step_of, diag);
    if comp_of.is_empty() {
        return;
    }
    outside_the_workflow(sc, meta, &step_of, &comp_of, diag);
}

/// What is said of a name that is no task's id, with the nearest ids as a hint.
fn unknown(sc: &Scenario, name: &str) -> String {
    let others = sc.tasks.iter().map(|t| t.id.as_str());
    format!("unknown task `{name}`{}", hint(name, others))
}

/// Steps: which saga each task belongs to (with the offset of its entry).
fn steps(sc: &Scenario, meta: &mut Meta, diag: &mut Diag) -> Steps {
    let Meta { task_ids, sagas, tasks_ok, .. } = meta;
    let mut lookup = |name: &str| task_ids.get(name, |j| &sc.tasks[j as usize].id);
    let mut saga_ids: FastMap<&str, u32> = FastMap::default();
    let mut step_of = Steps::default();
    for (s, saga) in sc.sagas.iter().enumerate() {
        let m = &sagas[s];
        if m.id != NONE
            && !saga.id.is_empty()
            && let Some(&first) = saga_ids.get(saga.id.as_str())
        {
            let message = format!("duplicate saga id `{}`", saga.id);
            diag.push_related(m.id as usize, format!("sagas[{s}].id"), message, first as usize, "first defined at");
        } else if m.id != NONE {
            saga_ids.insert(saga.id.as_str(), m.id);
        }
        for (e, name) in saga.tasks.iter().enumerate() {
            let pos = m.entries[e];
            let path = || format!("sagas[{s}].tasks[{e}]");
            let Some(t) = lookup(name) else {
                if *tasks_ok {
                    diag.push(pos as usize, path(), unknown(sc, name));
                }
                continue;
            };
            match step_of.get(&t) {
                Some(&(other, first)) if other == s => {
                    let message = format!("task `{name}` is listed more than once");
                    diag.push_related(pos as usize, path(), message, first as usize, "first at");
                }
                Some(&(other, first)) => {
                    let message = format!("task `{name}` is already a step of saga `{}`", sc.sagas[other].id);
                    diag.push_related(pos as usize, path(), message, first as usize, "listed at");
                }
                None => {
                    step_of.insert(t, (s, pos));
                }
            }
        }
    }
    step_of
}

/// `compensate` fields: each names another task, which compensates this one step only.
fn compensations(sc: &Scenario, meta: &mut Meta, step_of: &Steps, diag: &mut Diag) -> Compensations {
    let Meta { task_ids, tasks, compensate, tasks_ok, sagas_ok, .. } = meta;
    let mut lookup = |name: &str| task_ids.get(name, |j| &sc.tasks[j as usize].id);
    let mut comp_of = Compensations::default();
    for &(i, pos) in compensate.iter() {
        let task = &sc.tasks[i as usize];
        let name = task.extras().compensate.as_deref().expect("recorded with its value");
        let path = || format!("tasks[{i}].compensate");
        let Some(c) = lookup(name) else {
            if *tasks_ok {
                diag.push(pos as usize, path(), unknown(sc, name));
            }
            continue;
        };
        if c == tasks[i as usize].canon {
            diag.push(pos as usize, path(), format!("task `{name}` cannot compensate itself"));
            continue;
        }
        if let Some(&(step, first)) = comp_of.get(&c) {
            let step = &sc.tasks[step as usize].id;
            let message = format!("task `{name}` already compensates `{step}`; a compensation undoes one step only");
            diag.push_related(pos as usize, path(), message, first as usize, "first at");
            continue;
        }
        if !step_of.contains_key(&i) && *tasks_ok && *sagas_ok {
            let message = format!("task `{}` declares compensate but is in no saga", task.id);
            diag.push(pos as usize, path(), message);
        }
        comp_of.insert(c, (i, pos));
    }
    comp_of
}

/// A compensator stays out of the ordinary workflow.
fn outside_the_workflow(sc: &Scenario, meta: &mut Meta, step_of: &Steps, comp_of: &Compensations, diag: &mut Diag) {
    let Meta { task_ids, sagas, compensate, dep_pos, dep_target, .. } = meta;
    let mut lookup = |name: &str| task_ids.get(name, |j| &sc.tasks[j as usize].id);
    let compensates = |c: u32| &sc.tasks[comp_of[&c].0 as usize].id;
    for &(i, pos) in compensate.iter() {
        if comp_of.contains_key(&i) {
            let message = format!(
                "task `{}` is the compensation of `{}` and cannot declare compensate itself",
                sc.tasks[i as usize].id,
                compensates(i)
            );
            diag.push(pos as usize, format!("tasks[{i}].compensate"), message);
        }
    }
    for (&t, &(s, pos)) in sorted(step_of) {
        if comp_of.contains_key(&t) {
            let message = format!(
                "task `{}` is the compensation of `{}` and cannot be a saga step",
                sc.tasks[t as usize].id,
                compensates(t)
            );
            // Entries are recorded in file order.
            let e = sagas[s].entries.binary_search(&pos).expect("entry recorded");
            diag.push(pos as usize, format!("sagas[{s}].tasks[{e}]"), message);
        }
    }
    let mut base = 0;
    for (i, task) in sc.tasks.iter().enumerate() {
        let n = task.depends_on.len();
        if comp_of.contains_key(&(i as u32)) && n > 0 {
            let message = format!(
                "task `{}` is the compensation of `{}` and cannot have dependencies (it runs when its saga fails)",
                task.id,
                compensates(i as u32)
            );
            diag.push(dep_pos[base] as usize, format!("tasks[{i}].depends_on[0]"), message);
        }
        for (j, dep) in task.depends_on.iter().enumerate() {
            let target = match dep_target[base + j] {
                UNRESOLVED => lookup(dep),
                x => Some(x),
            };
            if let Some(c) = target
                && comp_of.contains_key(&c)
            {
                let message =
                    format!("task `{dep}` is the compensation of `{}` and cannot be depended on", compensates(c));
                diag.push(dep_pos[base + j] as usize, format!("tasks[{i}].depends_on[{j}]"), message);
            }
        }
        base += n;
    }
}

/// Map entries in key order, so problems are reported in a stable order.
fn sorted<V>(map: &FastMap<u32, V>) -> Vec<(&u32, &V)> {
    let mut v: Vec<_> = map.iter().collect();
    v.sort_unstable_by_key(|(k, _)| **k);
    v
}
