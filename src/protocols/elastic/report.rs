//! The report's "Elastic team" section: agents created from templates and retired, with times,
//! and the team's peak size.

use std::fmt::Write as _;

use serde::Serialize;

use crate::core::Coordinator;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ElasticReport<'a> {
    pub created: u32,
    pub retired: u32,
    /// Created agents present at once, at most.
    pub peak: u32,
    /// Every creation in order.
    pub stints: Vec<StintReport<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StintReport<'a> {
    pub agent: &'a str,
    pub template: &'a str,
    pub created_ms: u64,
    /// The task whose wait created it.
    pub task: &'a str,
    /// `null` if it was still in the team at the end.
    pub retired_ms: Option<u64>,
}

impl<'a> ElasticReport<'a> {
    /// `None` without templates.
    pub fn of(coord: &'a Coordinator) -> Option<ElasticReport<'a>> {
        let el = &coord.state().elastic;
        if !el.active {
            return None;
        }
        let sc = coord.scenario();
        let stints: Vec<StintReport> = el
            .stints
            .iter()
            .map(|s| StintReport {
                agent: coord.agent_name(s.agent),
                template: sc.agents[s.agent.ix()].template.map_or("", |t| sc.templates[t as usize].id.as_str()),
                created_ms: s.created_ms,
                task: coord.task_name(s.task),
                retired_ms: s.retired_ms,
            })
            .collect();
        let retired = stints.iter().filter(|s| s.retired_ms.is_some()).count() as u32;
        Some(ElasticReport { created: stints.len() as u32, retired, peak: el.peak, stints })
    }

    /// The headless summary's lines: totals, then one line per creation (up to `limit`).
    pub fn lines(&self, out: &mut String, limit: usize) {
        let _ = writeln!(
            out,
            "\nelastic team: {} agents created from templates, {} retired, peak {} at once",
            self.created, self.retired, self.peak
        );
        for s in self.stints.iter().take(limit) {
            let retired = s.retired_ms.map_or("still in the team".to_string(), |r| format!("retired at {r} ms"));
            let _ = writeln!(
                out,
                "  {} ({}) created at {} ms for {}, {retired}",
                s.agent, s.template, s.created_ms, s.task
            );
        }
        if self.stints.len() > limit {
            let _ = writeln!(out, "  … and {} more (see --report)", self.stints.len() - limit);
        }
    }
}
