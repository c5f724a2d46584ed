//! The report's "decomposition" section: what each planner added to the run, or why its plans
//! were rejected (see `protocols::growth`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::core::{Coordinator, TaskId};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DecompositionReport<'a> {
    /// Tasks added by every plan, and plans rejected.
    pub added: u32,
    pub rejected: u32,
    /// Every planner of the run (those added by a plan too), in task order.
    pub planners: Vec<PlannerReport<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlannerReport<'a> {
    pub task: &'a str,
    /// The planner's own state at the end.
    pub state: &'static str,
    /// The tasks its plan added, in order.
    pub added: Vec<&'a str>,
    pub rejections: Vec<RejectionReport<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RejectionReport<'a> {
    pub attempt: u32,
    pub agent: &'a str,
    pub errors: &'a [String],
}

impl<'a> DecompositionReport<'a> {
    /// `None` for a run without planners.
    pub fn of(coord: &'a Coordinator) -> Option<DecompositionReport<'a>> {
        if !coord.workflow().planners {
            return None;
        }
        let (sc, s) = (coord.scenario(), coord.state());
        let plans = &s.plans;
        let planners = (0..sc.tasks.len())
            .filter(|&i| sc.tasks[i].extras().plan.is_some())
            .map(|i| {
                let t = TaskId(i as u32);
                PlannerReport {
                    task: &sc.tasks[i].id,
                    state: s.tasks[i].state.name(),
                    added: plans.added_of(t).map(|a| coord.task_name(a)).collect(),
                    rejections: plans
                        .rejected_of(t)
                        .map(|r| RejectionReport {
                            attempt: r.attempt,
                            agent: coord.agent_name(r.agent),
                            errors: &r.errors,
                        })
                        .collect(),
                }
            })
            .collect();
        let added = plans.added.iter().map(|a| a.end - a.first).sum();
        Some(DecompositionReport { added, rejected: plans.rejected.len() as u32, planners })
    }

    /// The headless summary's lines: one for the totals, one per planner.
    pub fn lines(&self, limit: usize) -> String {
        let mut out = format!(
            "\ndecomposition: {} tasks added by {} plans, {} plans rejected\n",
            self.added,
            self.planners.iter().filter(|p| !p.added.is_empty()).count(),
            self.rejected
        );
        for p in self.planners.iter().take(limit) {
            if !p.added.is_empty() {
                let _ = writeln!(out, "planner {} added {}: {}", p.task, p.added.len(), p.added.join(", "));
            }
            if let Some(last) = p.rejections.last() {
                let times =
                    if p.rejections.len() == 1 { "once".to_string() } else { format!("{}×", p.rejections.len()) };
                let _ =
                    writeln!(out, "planner {} plan rejected {times} ({}): {}", p.task, p.state, last.errors.join("; "));
            }
        }
        out
    }
}
