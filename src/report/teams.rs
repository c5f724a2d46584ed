//! Report sections of the team protocols: delegation hops per task and review rounds.

use std::fmt::Write as _;

use serde::Serialize;

use crate::core::Coordinator;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TeamReport<'a> {
    /// Tasks that went down the `reports_to` tree (absent when none did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegation: Option<DelegationReport<'a>>,
    /// Per reviewer task whose review ran (absent when none did).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<ReviewReport<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReviewReport<'a> {
    pub reviewer_task: &'a str,
    pub task: &'a str,
    /// Rejections (each a rework round, or the one that reached the limit).
    pub rejections: u32,
    /// `accepted`, `limit_accept`, `limit_escalate`, `limit_fail`, or `in_review`.
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DelegationReport<'a> {
    pub tasks: u32,
    /// `task_delegated` hops, `result_reported` hops, hops that skipped a manager who was down.
    pub hops: u32,
    pub reports: u32,
    pub bypassed: u32,
    pub per_task: Vec<DelegatedTask<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DelegatedTask<'a> {
    pub task: &'a str,
    /// The agents of its latest delegation, top first (the worker last).
    pub chain: Vec<&'a str>,
    pub hops: u32,
    pub reports: u32,
    pub bypassed: u32,
}

impl<'a> TeamReport<'a> {
    /// `None` when the run used none of the team protocols.
    pub fn of(coord: &'a Coordinator) -> Option<TeamReport<'a>> {
        let teams = &coord.state().teams;
        let delegation = (!teams.delegations.is_empty()).then(|| {
            let per_task: Vec<DelegatedTask> = teams
                .delegations
                .iter()
                .map(|(&t, d)| DelegatedTask {
                    task: coord.task_name(t),
                    chain: d.chain.iter().map(|&a| coord.agent_name(a)).collect(),
                    hops: d.hops,
                    reports: d.reports,
                    bypassed: d.bypassed,
                })
                .collect();
            DelegationReport {
                tasks: per_task.len() as u32,
                hops: per_task.iter().map(|d| d.hops).sum(),
                reports: per_task.iter().map(|d| d.reports).sum(),
                bypassed: per_task.iter().map(|d| d.bypassed).sum(),
                per_task,
            }
        });
        let reviews: Vec<ReviewReport> = teams
            .reviews
            .iter()
            .map(|(&r, rt)| ReviewReport {
                reviewer_task: coord.task_name(r),
                task: teams.reviewed_by(r).map_or("?", |t| coord.task_name(t)),
                rejections: rt.rejections,
                outcome: match (rt.accepted, rt.limit) {
                    (_, Some(action)) => format!("limit_{}", action.name()),
                    (Some(_), None) => "accepted".into(),
                    (None, None) => "in_review".into(),
                },
            })
            .collect();
        (delegation.is_some() || !reviews.is_empty()).then_some(TeamReport { delegation, reviews })
    }

    /// Lines for the headless summary.
    pub fn write(&self, out: &mut String, limit: usize) {
        if let Some(d) = &self.delegation {
            let _ = writeln!(
                out,
                "\ndelegation: {} tasks down the tree in {} hops ({} past a manager who was down), {} result reports back up",
                d.tasks, d.hops, d.bypassed, d.reports
            );
            for t in d.per_task.iter().take(limit) {
                let _ = writeln!(out, "  {}: {}", t.task, t.chain.join(" → "));
            }
            if d.per_task.len() > limit {
                let _ = writeln!(out, "  … and {} more", d.per_task.len() - limit);
            }
        }
        if !self.reviews.is_empty() {
            out.push('\n');
        }
        for r in self.reviews.iter().take(limit) {
            let _ = writeln!(
                out,
                "review {} of {}: {} rejections, {}",
                r.reviewer_task,
                r.task,
                r.rejections,
                r.outcome.replace('_', " ")
            );
        }
    }
}
