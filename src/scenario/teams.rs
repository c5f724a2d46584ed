//! Team fields: checks on `reports_to` (the delegation tree) once every agent has been read.
//!
//! The tree must name known agents and be a forest: an agent may not report to itself, and
//! following `reports_to` from any agent must end at a root (an agent reporting to no one).

use super::decode::NONE;
use super::error::{Diag, hint};
use super::meta::Meta;
use super::types::Scenario;

/// `reports_to` names a known agent other than itself, and the managers form no cycle.
pub(crate) fn validate(sc: &Scenario, meta: &mut Meta, diag: &mut Diag) {
    if !meta.agents_ok {
        return; // "unknown agent" would only echo an unreadable agent id.
    }
    let n = sc.agents.len();
    let mut parent = vec![NONE; n];
    for (i, a) in sc.agents.iter().enumerate() {
        let Some(boss) = &a.reports_to else { continue };
        let pos = meta.agents[i].reports_to as usize;
        let path = format!("agents[{i}].reports_to");
        match meta.agent_ids.get(boss, |k| &sc.agents[k as usize].id) {
            None => {
                let others = sc.agents.iter().map(|a| a.id.as_str());
                diag.push(pos, path, format!("unknown agent `{boss}`{}", hint(boss, others)));
            }
            Some(j) if j as usize == i => diag.push(pos, path, format!("agent `{boss}` cannot report to itself")),
            Some(j) => parent[i] = j,
        }
    }
    // Walk up from each agent; `state` 1 = on the current walk, 2 = known to reach a root.
    let mut state = vec![0u8; n];
    for start in 0..n {
        let mut walk = Vec::new();
        let mut at = start as u32;
        while at != NONE && state[at as usize] == 0 {
            state[at as usize] = 1;
            walk.push(at);
            at = parent[at as usize];
        }
        if at != NONE && state[at as usize] == 1 {
            // `at` is on this walk: the cycle runs from it back to it.
            let from = walk.iter().position(|&w| w == at).expect("on the walk");
            let mut names: Vec<&str> = walk[from..].iter().map(|&w| sc.agents[w as usize].id.as_str()).collect();
            names.push(&sc.agents[at as usize].id);
            let first = walk[from..].iter().copied().min().expect("a cycle has members") as usize;
            let path = format!("agents[{first}].reports_to");
            let message = format!("reports_to forms a cycle: {}", names.join(" -> "));
            diag.push(meta.agents[first].reports_to as usize, path, message);
        }
        for w in walk {
            state[w as usize] = 2;
        }
    }
}
