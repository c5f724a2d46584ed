//! Checks a planner's subtasks against the running DAG, like the loader checks a scenario, and
//! works out the edges they add (see `protocols/growth`).
//!
//! Every problem is reported, each naming the subtask (its id) and what is wrong, with the
//! loader's wording and "did you mean" hints where it has them. The existing DAG is acyclic and
//! new edges only enter subtasks or the planner's dependents, so a cycle either stays among the
//! subtasks or goes through a task downstream of the planner that a subtask depends on: both are
//! found here without walking the whole graph.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::core::Coordinator;
use crate::core::ids::TaskId;
use crate::core::state::TaskState;
use crate::fasthash::FastMap;
use crate::protocols::growth::Addition;
use crate::scenario::{CompactString, TaskSpec, capability_problem, hint, tier_problem_in};

/// Checks `subtasks` planned by `by`; returns them with their edges, or every problem.
pub(crate) fn check(c: &Coordinator, by: TaskId, subtasks: Vec<TaskSpec>, max: u32) -> Result<Addition, Vec<String>> {
    let sc = c.scenario();
    let mut errors = Vec::new();
    if subtasks.len() > max as usize {
        errors.push(format!("the plan has {} subtasks, more than its max_subtasks ({max})", subtasks.len()));
    }
    // Built per plan: plans are rare, and the run's tasks keep no id map of their own.
    let existing = crate::scenario::DepIndex::id_map(&sc.tasks);
    let first = sc.tasks.len() as u32;
    let mut local: FastMap<&str, u32> = FastMap::default();
    let lookup = crate::scenario::Lookup::new(sc);
    let mut needs: FastMap<(&str, &[CompactString]), Option<String>> = FastMap::default();
    for (i, t) in subtasks.iter().enumerate() {
        let id = &t.id;
        if id.is_empty() {
            errors.push(format!("subtasks[{i}]: task id must not be empty"));
        } else if existing.contains_key(id.as_str()) {
            errors.push(format!("`{id}`: a task with this id is already in the run"));
        } else if local.insert(id, i as u32).is_some() {
            errors.push(format!("`{id}`: the plan lists this id twice"));
        }
        if t.extras().compensate.is_some() {
            errors.push(format!("`{id}`: `compensate` is not allowed in a plan (sagas are fixed when the run starts)"));
        }
        for (given, field, what) in [
            (t.extras().review.is_some(), "review", "reviews"),
            (t.extras().decision.is_some(), "decision", "decisions and their voters"),
        ] {
            if given {
                errors
                    .push(format!("`{id}`: `{field}` is not allowed in a plan ({what} are fixed when the run starts)"));
            }
        }
        if !t.context().is_empty() {
            let what = "`reads`, `writes` and `locks` are not allowed in a plan (the shared context is fixed when the run starts)";
            errors.push(format!("`{id}`: {what}"));
        }
        // Asked once per distinct need, not once per subtask: a plan may repeat one ten thousand times.
        let key = (t.capability.as_str(), t.specializations.as_slice());
        let problem = needs.entry(key).or_insert_with(|| capability_problem(sc, &t.capability, &t.specializations));
        if let Some(problem) = problem {
            errors.push(format!("`{id}`: {problem}"));
        }
        for (k, tier) in t.extras().escalation.iter().flatten().enumerate() {
            if let Some((field, problem)) = tier_problem_in(&lookup, tier) {
                errors.push(format!("`{id}`: escalation[{k}].{field}: {problem}"));
            }
        }
    }
    let downstream = downstream_of_dependents(c, by);
    // Each subtask's dependencies: `Ok(local index)` or `Err(existing task)`, deduplicated.
    let mut deps: Vec<Vec<Result<u32, TaskId>>> = Vec::with_capacity(subtasks.len());
    for t in &subtasks {
        let id = &t.id;
        let mut mine = Vec::new();
        for dep in &t.depends_on {
            let target = if dep == id {
                errors.push(format!("`{id}`: depends on itself"));
                continue;
            } else if let Some(&j) = local.get(dep.as_str()) {
                Ok(j)
            } else if let Some(&j) = existing.get(dep.as_str()) {
                let j = TaskId(j);
                if let Some(problem) = dead_end(c, j, by, &downstream) {
                    errors.push(format!("`{id}`: depends on `{dep}`, {problem}"));
                    continue;
                }
                Err(j)
            } else {
                let names = sc.tasks.iter().map(|t| t.id.as_str()).chain(subtasks.iter().map(|t| t.id.as_str()));
                errors.push(format!("`{id}`: depends on unknown task `{dep}`{}", hint(dep, names)));
                continue;
            };
            if !mine.contains(&target) {
                mine.push(target);
            }
        }
        deps.push(mine);
    }
    errors.extend(cycles(&subtasks, &deps));
    if !errors.is_empty() {
        return Err(errors);
    }
    let new = |i: u32| TaskId(first + i);
    let mut edges = Vec::new();
    let mut waited_on = vec![false; subtasks.len()];
    for (i, mine) in deps.iter().enumerate() {
        if !mine.contains(&Err(by)) {
            edges.push((by, new(i as u32)));
        }
        for d in mine {
            match *d {
                Ok(j) => {
                    waited_on[j as usize] = true;
                    edges.push((new(j), new(i as u32)));
                }
                Err(t) => edges.push((t, new(i as u32))),
            }
        }
    }
    let mut joins: Vec<TaskId> = c.workflow().dependents(by).collect();
    joins.sort_unstable();
    for join in joins {
        let last = (0..subtasks.len() as u32).filter(|&i| !waited_on[i as usize]);
        edges.extend(last.map(|i| (new(i), join)));
    }
    Ok((Arc::from(subtasks), Arc::from(edges)))
}

/// Why a subtask cannot wait for existing task `dep`, if it cannot.
fn dead_end(c: &Coordinator, dep: TaskId, by: TaskId, downstream: &BTreeSet<TaskId>) -> Option<String> {
    let st = c.state();
    let rt = &st.tasks[dep.ix()];
    Some(match rt.state {
        TaskState::Failed => "which has failed".to_string(),
        TaskState::Skipped => "which was skipped".to_string(),
        TaskState::Dormant => "a compensation that runs only if its saga fails".to_string(),
        _ if downstream.contains(&dep) => format!(
            "which comes after planner `{}`, whose dependents will wait for this plan: a dependency cycle",
            c.task_name(by)
        ),
        _ => return None,
    })
}

/// The planner's dependents and everything downstream of them.
fn downstream_of_dependents(c: &Coordinator, by: TaskId) -> BTreeSet<TaskId> {
    let wf = c.workflow();
    let mut seen = BTreeSet::new();
    let mut stack: Vec<TaskId> = wf.dependents(by).collect();
    while let Some(t) = stack.pop() {
        if seen.insert(t) {
            stack.extend(wf.dependents(t));
        }
    }
    seen
}

/// One `dependency cycle: a -> b -> a` message per cycle among the subtasks (Kahn's algorithm,
/// then a walk along what is left, where every task still waits for another left over).
fn cycles(subtasks: &[TaskSpec], deps: &[Vec<Result<u32, crate::core::ids::TaskId>>]) -> Vec<String> {
    let n = subtasks.len();
    let local = |i: usize| deps[i].iter().filter_map(|d| d.ok()).map(|j| j as usize);
    let mut waiting: Vec<usize> = (0..n).map(|i| local(i).count()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in local(i) {
            dependents[j].push(i);
        }
    }
    let mut done = vec![false; n];
    let mut queue: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    while let Some(v) = queue.pop() {
        done[v] = true;
        for &w in &dependents[v] {
            waiting[w] -= 1;
            if waiting[w] == 0 {
                queue.push(w);
            }
        }
    }
    let mut out = Vec::new();
    for start in 0..n {
        if done[start] {
            continue;
        }
        // Walk along tasks left over to a repeat (a cycle), or to one reported already.
        let mut path = vec![start];
        let mut at = start;
        while let Some(next) = local(at).find(|&j| !done[j]) {
            if let Some(k) = path.iter().position(|&p| p == next) {
                let mut names: Vec<&str> = path[k..].iter().map(|&i| subtasks[i].id.as_str()).collect();
                names.push(names[0]);
                out.push(format!("`{}`: dependency cycle: {}", names[0], names.join(" -> ")));
                break;
            }
            path.push(next);
            at = next;
        }
        for &p in &path {
            done[p] = true;
        }
    }
    out
}
