//! Semantic checks on a decoded scenario: dependencies, cycles, capabilities, faults.
//!
//! Runs after decoding, using the offsets and resolved ids that [`Meta`] recorded (ids themselves
//! are checked as they are read, in `schema`), and reports every problem it finds. Checks that
//! would only echo an earlier problem (e.g. "unknown task" when some task's id could not be read)
//! are skipped. Everything is linear in the size of the scenario apart from the capped "did you
//! mean" searches. Cycle detection first checks the graph is acyclic (Kahn's algorithm, the usual
//! outcome); only if not does it run petgraph's Tarjan, on what is left after peeling off tasks
//! that cannot be on a cycle, so long dependency chains cost no recursion.

use super::decode::NONE;
use super::error::{Diag, hint};
use super::lookup::Lookup;
use super::meta::{Meta, SPECS_BAD, UNRESOLVED};
use super::types::*;
use crate::fasthash::FastMap;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// Unknown dependencies get a "did you mean" hint (a scan of all ids) only up to this many.
const HINT_BUDGET: usize = 100;
/// Residual graphs bigger than this run Tarjan (which recurses) on a thread with a larger stack.
const BIG_GRAPH: usize = 10_000;
/// Cycles longer than this are shown shortened.
const MAX_CYCLE_SHOWN: usize = 16;

/// Run every semantic check not already done while decoding (ids are checked as they are read).
/// Checks everything; returns every dependency resolved to a task index, in task order (complete
/// only when nothing was reported).
pub(crate) fn validate(sc: &Scenario, meta: &mut Meta, diag: &mut Diag) -> Vec<u32> {
    let lookup = Lookup::new(sc);
    let deps = dependencies(sc, meta, diag);
    cycles(sc, meta, &deps, diag);
    if meta.agents_ok {
        coverage(sc, meta, diag);
    }
    super::faults::validate(sc, meta, diag);
    crate::protocols::saga::spec::check(sc, meta, diag);
    crate::protocols::context::spec::validate_groups(sc, meta, diag);
    crate::protocols::ladder::spec::validate(&lookup, meta, diag);
    crate::protocols::teams::spec::validate(&lookup, meta, diag);
    crate::protocols::auction::spec::validate(sc, meta, diag);
    crate::protocols::swarm::spec::validate(&lookup, meta, diag);
    crate::protocols::vote::spec::validate(&lookup, meta, diag);
    deps.targets
}

/// Resolved dependency edges in compressed form: task `i` depends on
/// `targets[starts[i]..starts[i + 1]]`, without self-references and repeats.
struct Deps {
    starts: Vec<u32>,
    targets: Vec<u32>,
}

impl Deps {
    fn of(&self, i: usize) -> &[u32] {
        &self.targets[self.starts[i] as usize..self.starts[i + 1] as usize]
    }
}

fn dependencies(sc: &Scenario, meta: &mut Meta, diag: &mut Diag) -> Deps {
    let mut starts = Vec::with_capacity(sc.tasks.len() + 1);
    let mut targets = Vec::with_capacity(meta.dep_target.len());
    let mut hints_left = HINT_BUDGET;
    let mut base = 0;
    // Targets already listed by the current task (with their entry index).
    let mut listed: Vec<(u32, usize)> = Vec::new();
    let mut listed_set: FastMap<u32, usize> = FastMap::default();
    // Unknown names already listed by the current task, for long lists (a scan for short ones).
    let mut unknown_set: FastMap<&str, usize> = FastMap::default();
    for (i, t) in sc.tasks.iter().enumerate() {
        starts.push(targets.len() as u32);
        let n = t.depends_on.len();
        let long = n > 16;
        listed.clear();
        listed_set.clear();
        unknown_set.clear();
        for (j, dep) in t.depends_on.iter().enumerate() {
            let k = base + j;
            let pos = meta.dep_pos[k] as usize;
            let path = || format!("tasks[{i}].depends_on[{j}]");
            let target = match meta.dep_target[k] {
                UNRESOLVED => meta.task_ids.get(dep, |j| &sc.tasks[j as usize].id),
                x => Some(x),
            };
            if target.is_some() && target == Some(meta.tasks[i].canon) {
                diag.push(pos, path(), format!("task `{dep}` depends on itself"));
                continue;
            }
            let earlier = match target {
                Some(x) if long => *listed_set.entry(x).or_insert(j),
                Some(x) => listed.iter().find(|l| l.0 == x).map_or(j, |l| l.1),
                None if long => *unknown_set.entry(dep.as_str()).or_insert(j),
                None => t.depends_on[..j].iter().position(|d| d == dep).unwrap_or(j),
            };
            if earlier != j {
                let message = format!("dependency `{dep}` is listed more than once");
                let first = meta.dep_pos[base + earlier] as usize;
                diag.push_related(pos, path(), message, first, "first at");
                continue;
            }
            match target {
                Some(x) => {
                    targets.push(x);
                    listed.push((x, j));
                }
                None if meta.tasks_ok => {
                    let mut message = format!("unknown task `{dep}`");
                    if hints_left > 0 {
                        hints_left -= 1;
                        message.push_str(&hint(dep, sc.tasks.iter().map(|t| t.id.as_str())));
                    }
                    diag.push(pos, path(), message);
                }
                None => {}
            }
        }
        base += n;
    }
    starts.push(targets.len() as u32);
    Deps { starts, targets }
}

/// Report one cycle per non-trivial strongly connected component of the dependency graph.
fn cycles(sc: &Scenario, meta: &Meta, deps: &Deps, diag: &mut Diag) {
    let n = sc.tasks.len();
    if acyclic(n, deps) {
        return;
    }
    let residual = peel_acyclic(n, deps);
    if residual.is_empty() {
        return;
    }
    // Tarjan over what is left, in a graph of its own.
    let mut local = vec![u32::MAX; n];
    for (k, &v) in residual.iter().enumerate() {
        local[v as usize] = k as u32;
    }
    let mut g: DiGraph<(), (), u32> = DiGraph::with_capacity(residual.len(), residual.len() * 2);
    for _ in &residual {
        g.add_node(());
    }
    for (k, &v) in residual.iter().enumerate() {
        for &w in deps.of(v as usize) {
            if local[w as usize] != u32::MAX {
                g.add_edge(NodeIndex::new(k), NodeIndex::new(local[w as usize] as usize), ());
            }
        }
    }
    let sccs = if residual.len() > BIG_GRAPH {
        // petgraph's Tarjan recurses once per node on a path; give it room.
        let stack = (residual.len() * 512).max(16 << 20);
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(stack)
                .spawn_scoped(s, || tarjan_scc(&g))
                .expect("spawn a thread for cycle detection")
                .join()
                .expect("cycle detection panicked")
        })
    } else {
        tarjan_scc(&g)
    };
    // Component of each task in a non-trivial SCC; u32::MAX elsewhere.
    let mut comp = vec![u32::MAX; n];
    let mut parent = vec![u32::MAX; n];
    for (c, scc) in sccs.iter().enumerate().filter(|(_, s)| s.len() > 1) {
        for v in scc {
            comp[residual[v.index()] as usize] = c as u32;
        }
    }
    for (c, scc) in sccs.iter().enumerate().filter(|(_, s)| s.len() > 1) {
        let start = scc.iter().map(|v| residual[v.index()]).min().expect("non-empty");
        let cycle = shortest_cycle(start, c as u32, deps, &comp, &mut parent);
        let names: Vec<&str> = cycle.iter().map(|&v| sc.tasks[v as usize].id.as_str()).collect();
        let pos = meta.tasks[start as usize].id as usize;
        let message = format!("dependency cycle: {}", show_cycle(&names));
        diag.push(pos, format!("tasks[{start}]"), message);
    }
}

/// Whether the dependency graph has no cycle: Kahn's algorithm, removing tasks nothing (left)
/// depends on. The common case, so it needs only the forward edges and two arrays; finding the
/// cycles otherwise is [`peel_acyclic`]'s and Tarjan's job.
fn acyclic(n: usize, deps: &Deps) -> bool {
    let mut dependents = vec![0u32; n];
    for &t in &deps.targets {
        dependents[t as usize] += 1;
    }
    let mut queue: Vec<u32> = (0..n as u32).filter(|&i| dependents[i as usize] == 0).collect();
    let mut removed = 0;
    while let Some(v) = queue.pop() {
        removed += 1;
        for &w in deps.of(v as usize) {
            dependents[w as usize] -= 1;
            if dependents[w as usize] == 0 {
                queue.push(w);
            }
        }
    }
    removed == n
}

/// Remove tasks that cannot be on a cycle (no remaining dependents, or no remaining
/// dependencies), repeatedly; returns what is left, in file order.
fn peel_acyclic(n: usize, deps: &Deps) -> Vec<u32> {
    let mut out_deg: Vec<u32> = (0..n).map(|i| deps.starts[i + 1] - deps.starts[i]).collect();
    let mut in_deg = vec![0u32; n];
    for &t in &deps.targets {
        in_deg[t as usize] += 1;
    }
    // Reverse edges: who depends on each task.
    let mut rstarts = vec![0u32; n + 1];
    for i in 0..n {
        rstarts[i + 1] = rstarts[i] + in_deg[i];
    }
    let mut fill = rstarts.clone();
    let mut sources = vec![0u32; deps.targets.len()];
    for i in 0..n {
        for &t in deps.of(i) {
            sources[fill[t as usize] as usize] = i as u32;
            fill[t as usize] += 1;
        }
    }
    let mut removed = vec![false; n];
    let mut queue: Vec<u32> = (0..n as u32).filter(|&i| in_deg[i as usize] == 0 || out_deg[i as usize] == 0).collect();
    for &v in &queue {
        removed[v as usize] = true;
    }
    while let Some(v) = queue.pop() {
        let v = v as usize;
        for &w in deps.of(v) {
            let w = w as usize;
            in_deg[w] -= 1;
            if in_deg[w] == 0 && !removed[w] {
                removed[w] = true;
                queue.push(w as u32);
            }
        }
        for &w in &sources[rstarts[v] as usize..rstarts[v + 1] as usize] {
            let w = w as usize;
            out_deg[w] -= 1;
            if out_deg[w] == 0 && !removed[w] {
                removed[w] = true;
                queue.push(w as u32);
            }
        }
    }
    (0..n as u32).filter(|&i| !removed[i as usize]).collect()
}

/// A shortest cycle through `start` inside component `c`, as a list of tasks ending in `start`
/// again. Breadth-first along `depends_on` in file order; `parent` is scratch, left all unset.
fn shortest_cycle(start: u32, c: u32, deps: &Deps, comp: &[u32], parent: &mut [u32]) -> Vec<u32> {
    let mut queue = vec![start];
    parent[start as usize] = start;
    let mut head = 0;
    let mut last = None;
    'search: while head < queue.len() {
        let u = queue[head];
        head += 1;
        for &w in deps.of(u as usize) {
            if w == start {
                last = Some(u);
                break 'search;
            }
            if comp[w as usize] == c && parent[w as usize] == u32::MAX {
                parent[w as usize] = u;
                queue.push(w);
            }
        }
    }
    let mut cycle = vec![start];
    let mut v = last.expect("a strongly connected component has a cycle through each member");
    while v != start {
        cycle.push(v);
        v = parent[v as usize];
    }
    cycle[1..].reverse();
    cycle.push(start);
    for &v in &queue {
        parent[v as usize] = u32::MAX;
    }
    cycle
}

/// `a -> b -> c -> a`, shortened in the middle when very long.
fn show_cycle(names: &[&str]) -> String {
    if names.len() <= MAX_CYCLE_SHOWN {
        return names.join(" -> ");
    }
    let head = names[..MAX_CYCLE_SHOWN / 2].join(" -> ");
    let tail = names[names.len() - 4..].join(" -> ");
    let hidden = names.len() - MAX_CYCLE_SHOWN / 2 - 4;
    format!("{head} -> … ({hidden} more) … -> {tail}")
}

/// A capability and the specializations wanted with it.
type SpecKey<'s> = (&'s str, &'s [CompactString]);

/// Every task must have an agent with its capability and all of its specializations.
fn coverage(sc: &Scenario, meta: &Meta, diag: &mut Diag) {
    let mut by_cap: FastMap<&str, Vec<u32>> = FastMap::default();
    for (i, a) in sc.agents.iter().enumerate() {
        for cap in &a.capabilities {
            let list = by_cap.entry(cap.as_str()).or_default();
            if list.last() != Some(&(i as u32)) {
                list.push(i as u32);
            }
        }
    }
    let mut missing_cap: FastMap<&str, String> = FastMap::default();
    let mut spec_result: FastMap<SpecKey, Option<String>> = FastMap::default();
    let mut last: Option<(SpecKey, Option<String>)> = None;
    for (i, t) in sc.tasks.iter().enumerate() {
        let m = &meta.tasks[i];
        if m.capability == NONE {
            continue;
        }
        let Some(capable) = by_cap.get(t.capability.as_str()) else {
            let message = missing_cap.entry(&t.capability).or_insert_with(|| {
                let names = by_cap.keys().copied();
                format!("no agent has capability `{}`{}", t.capability, hint(&t.capability, names))
            });
            diag.push(m.capability as usize, format!("tasks[{i}].capability"), message.clone());
            continue;
        };
        if t.specializations.is_empty() || m.flags & SPECS_BAD != 0 {
            continue;
        }
        // Neighbouring tasks often ask for the same thing: skip the hash lookup then.
        let key = (t.capability.as_str(), t.specializations.as_slice());
        let result = match &last {
            Some((k, r)) if *k == key => r.clone(),
            _ => {
                let r = spec_result
                    .entry(key)
                    .or_insert_with(|| specialization_gap(sc, &t.capability, &t.specializations, capable))
                    .clone();
                last = Some((key, r.clone()));
                r
            }
        };
        if let Some(message) = result {
            diag.push(m.specs as usize, format!("tasks[{i}].specializations"), message);
        }
    }
}

/// Why no agent of `sc` can run a task needing `cap` and `specs`, if none can: the check of
/// [`coverage`] for one task (a planner's subtask, checked when its plan is produced).
pub(crate) fn capability_problem(sc: &Scenario, cap: &str, specs: &[CompactString]) -> Option<String> {
    let capable: Vec<u32> =
        (0..sc.agents.len() as u32).filter(|&a| sc.agents[a as usize].capabilities.iter().any(|c| c == cap)).collect();
    if capable.is_empty() {
        let names = sc.agents.iter().flat_map(|a| a.capabilities.iter().map(String::as_str));
        return Some(format!("no agent has capability `{cap}`{}", hint(cap, names)));
    }
    if specs.is_empty() { None } else { specialization_gap(sc, cap, specs, &capable) }
}

/// `None` when one of `capable` has every specialization; otherwise what each one lacks.
fn specialization_gap(sc: &Scenario, cap: &str, wanted: &[CompactString], capable: &[u32]) -> Option<String> {
    let mut lacking = Vec::new();
    for &a in capable {
        let agent = &sc.agents[a as usize];
        let missing: Vec<String> = wanted
            .iter()
            .filter(|s| !agent.specializations.iter().any(|a| a == *s))
            .map(|s| format!("`{s}`"))
            .collect();
        if missing.is_empty() {
            return None;
        }
        lacking.push(format!("`{}` lacks {}", agent.id, missing.join(", ")));
    }
    const SHOWN: usize = 5;
    let more = lacking.len().saturating_sub(SHOWN);
    lacking.truncate(SHOWN);
    let mut message = format!(
        "no agent with capability `{cap}` has all of the specializations {}: {}",
        wanted.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "),
        lacking.join("; ")
    );
    if more > 0 {
        message.push_str(&format!("; and {more} more agents"));
    }
    Some(message)
}
