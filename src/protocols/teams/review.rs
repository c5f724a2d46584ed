//! Role pipelines with rework: a reviewer task (`review: {"of": …}`) that rejects sends the task
//! it reviews back for another attempt, then reviews again — a bounded loop, not a DAG cycle.
//!
//! Roles are capabilities (`planner`, `executor`, `reviewer`, `integrator` …): nothing here knows
//! them. A review's verdict is the reviewer's output: a process or LLM agent returns
//! `{"verdict": "reject", "notes": "…"}` to reject (anything else accepts); a simulated reviewer
//! rejects with its profile's `reject_rate`, drawn per (task, round) from the run's seed. On a
//! rejection the reviewed task goes back to the ready set with a fresh retry budget and the notes as
//! an input (keyed by the reviewer's id), and the reviewer waits for it again. After `max_rework`
//! rejections the next one reaches the limit and `on_limit` decides: `accept` the last result,
//! `escalate` the reviewer to the operator's inbox, or `fail` it (`rework_limit`).

use std::sync::Arc;

use crate::core::event::{EventKind, Origin, TaskFailure};
use crate::core::ids::{AgentId, TaskId};
use crate::core::output::Output;
use crate::core::{Coordinator, clock};
use crate::protocols::teams::TeamEvent;
use crate::rng;
use crate::scenario::OnLimit;

/// What a review said.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    Accept,
    Reject(Option<Arc<str>>),
}

impl Coordinator {
    /// The verdict of a reviewer's successful attempt; `None` for tasks that review nothing.
    pub(crate) fn verdict_of(&self, task: TaskId, agent: AgentId, output: &Output) -> Option<Verdict> {
        if self.state.teams.reviewer_of.is_empty() {
            return None;
        }
        let review = self.scenario.tasks[task.ix()].extras().review.as_ref()?;
        let round = self.state.teams.reviews.get(&task).map_or(0, |r| r.rejections) + 1;
        Some(match output {
            Output::Json(text) => {
                let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
                match v.get("verdict").and_then(|x| x.as_str()) {
                    Some("reject") => Verdict::Reject(v.get("notes").and_then(|n| n.as_str()).map(Arc::from)),
                    _ => Verdict::Accept,
                }
            }
            Output::Sim => {
                let rate = self.scenario.agents[agent.ix()].profile.reject_rate;
                let u = rng::unit(self.scenario.seed, &[rng::domain::REVIEW, task.0 as u64, round as u64]);
                if rate > 0.0 && u < rate {
                    let of = &review.of;
                    Verdict::Reject(Some(format!("round {round}: {of} needs changes (simulated review)").into()))
                } else {
                    Verdict::Accept
                }
            }
        })
    }

    /// Acts on a reviewer's verdict after its attempt succeeded. Returns whether the reviewer
    /// completes now (accepted, or the limit accepts the last result).
    pub(crate) fn review_passes(&mut self, now: u64, reviewer: TaskId, verdict: Verdict) -> bool {
        let Some(task) = self.state.teams.reviewed_by(reviewer) else { return true };
        let rejections = self.state.teams.reviews.get(&reviewer).map_or(0, |r| r.rejections);
        let review = self.scenario.tasks[reviewer.ix()].extras().review.as_ref().expect("a reviewer has its review");
        let (max_rework, on_limit) = (review.max_rework, review.on_limit);
        let notes = match verdict {
            Verdict::Accept => {
                let rounds = rejections + 1;
                tracing::info!(
                    "{} {} accepted by {} after {rounds} reviews",
                    clock(now),
                    self.task_name(task),
                    self.task_name(reviewer)
                );
                self.emit(now, EventKind::Team(TeamEvent::ReviewAccepted { task, reviewer_task: reviewer, rounds }));
                return true;
            }
            Verdict::Reject(notes) => notes,
        };
        if rejections < max_rework {
            let round = rejections + 1;
            tracing::info!(
                "{} {} rejected by {}: rework round {round}",
                clock(now),
                self.task_name(task),
                self.task_name(reviewer)
            );
            self.emit(now, EventKind::Team(TeamEvent::ReworkRequested { task, reviewer_task: reviewer, round, notes }));
            self.make_ready(now, task);
            return false;
        }
        tracing::warn!(
            "{} {} rejected past its {max_rework} rework rounds: {}",
            clock(now),
            self.task_name(task),
            on_limit.name()
        );
        self.emit(now, EventKind::Team(TeamEvent::ReworkLimitReached { task, action: on_limit }));
        match on_limit {
            OnLimit::Accept => true,
            OnLimit::Escalate => {
                self.escalate(now, reviewer, Origin::Review);
                false
            }
            OnLimit::Fail => {
                self.fail_task(now, reviewer, TaskFailure::ReworkLimit);
                self.check_finished(now);
                false
            }
        }
    }

    /// The latest review notes for a reworked task, as the input its reviewer gives it.
    pub fn review_input(&self, task: TaskId) -> Option<(TaskId, serde_json::Value)> {
        let &reviewer = self.state.teams.reviewer_of.get(&task)?;
        let r = self.state.teams.reviews.get(&reviewer).filter(|r| r.rejections > 0)?;
        let notes = r.notes.as_deref().map_or(serde_json::Value::Null, |n| serde_json::Value::String(n.into()));
        Some((reviewer, serde_json::json!({"verdict": "reject", "round": r.rejections, "notes": notes})))
    }
}

#[cfg(test)]
mod tests;
