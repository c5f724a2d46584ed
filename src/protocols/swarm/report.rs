//! The report's "Swarm" section (and the elastic team's): who claimed what from the board and the
//! thresholds the colony ended with.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::core::{AgentId, Coordinator};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SwarmReport<'a> {
    /// Claims won by the whole swarm, and claims refused because another agent was first.
    pub claims: u32,
    pub refused: u32,
    pub ticks: u64,
    /// Per agent: claims won and its final threshold per capability.
    pub agents: BTreeMap<&'a str, SwarmAgent<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SwarmAgent<'a> {
    pub claims: u32,
    pub thresholds: BTreeMap<&'a str, f64>,
}

impl<'a> SwarmReport<'a> {
    /// `None` unless some task allocates by swarm.
    pub fn of(coord: &'a Coordinator) -> Option<SwarmReport<'a>> {
        let sw = &coord.state().swarm;
        if !sw.active {
            return None;
        }
        let agents = (0..coord.scenario().agents.len())
            .map(|i| {
                let a = AgentId(i as u32);
                let thresholds = sw.thresholds(a).collect();
                (coord.agent_name(a), SwarmAgent { claims: sw.claims[i], thresholds })
            })
            .collect();
        Some(SwarmReport { claims: sw.claims.iter().sum(), refused: sw.refused, ticks: sw.ticks, agents })
    }

    /// The headless summary's lines: totals, then one line per agent (up to `limit`).
    pub fn lines(&self, out: &mut String, limit: usize) {
        let _ = writeln!(
            out,
            "\nswarm: {} claims from the board ({} refused: another agent was first) over {} ticks",
            self.claims, self.refused, self.ticks
        );
        let w = self.agents.keys().take(limit).map(|a| crate::report::width(a)).max().unwrap_or(5);
        for (id, a) in self.agents.iter().take(limit) {
            let th: Vec<String> = a.thresholds.iter().map(|(c, t)| format!("{c} {t}")).collect();
            let _ = writeln!(out, "  {:<w$}  {:>3} claims  θ {}", crate::report::cell(id), a.claims, th.join(", "));
        }
    }
}
