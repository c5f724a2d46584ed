//! The report's "decisions" section: every decision task's ballot, its votes and the branch taken.

use std::fmt::Write as _;

use serde::Serialize;

use crate::core::{Coordinator, TaskId};
use crate::protocols::vote::{Phase, Verdict};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DecisionReport<'a> {
    pub task: &'a str,
    pub proposal: &'a str,
    /// `approved`, `rejected`, `escalated` (waiting for the operator) or `open`; `null` if the
    /// ballot never opened.
    pub outcome: Option<&'static str>,
    /// `threshold`, `no_quorum`, `tie`, `veto` or `operator`, once decided.
    pub reason: Option<&'static str>,
    pub yes: f64,
    pub no: f64,
    pub abstain: f64,
    /// The voters' total weight.
    pub weight: f64,
    pub quorum_met: bool,
    pub votes: Vec<VoteReport<'a>>,
    /// Voters that were down when the ballot opened.
    pub unreached: Vec<&'a str>,
    /// Dependents skipped as the branch not taken.
    pub not_taken: Vec<&'a str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VoteReport<'a> {
    /// An agent id, or `operator`.
    pub voter: &'a str,
    pub choice: &'static str,
    pub weight: f64,
    pub t_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

/// One entry per decision task, in scenario order (empty when the scenario has none).
pub fn all(coord: &Coordinator) -> Vec<DecisionReport<'_>> {
    let s = coord.state();
    (0..coord.scenario().tasks.len())
        .filter_map(|i| {
            let task = TaskId(i as u32);
            let d = coord.decision_of(task)?;
            let ballot = s.votes.ballots.get(&task);
            let t = ballot.map(|b| b.tally()).unwrap_or_default();
            let (outcome, reason) = match ballot.map(|b| b.phase) {
                None => (None, None),
                Some(Phase::Open) => (Some("open"), None),
                Some(Phase::Escalated) => (Some("escalated"), None),
                Some(Phase::Decided { verdict, reason }) => (Some(verdict.name()), Some(reason.name())),
            };
            let votes = ballot.map_or_else(Vec::new, |b| {
                b.votes
                    .iter()
                    .map(|c| VoteReport {
                        voter: c.voter.map_or("operator", |a| coord.agent_name(a)),
                        choice: c.choice.name(),
                        weight: c.weight,
                        t_ms: c.t_ms,
                        reason: c.reason.as_deref(),
                    })
                    .collect()
            });
            let not_taken = coord
                .workflow()
                .dependents(task)
                .filter(|d| s.votes.branch_skipped.contains(d))
                .map(|d| coord.task_name(d))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            Some(DecisionReport {
                task: coord.task_name(task),
                proposal: &coord.scenario().tasks[i].extras().decision.as_ref().expect("a decision").proposal,
                outcome,
                reason,
                yes: t.yes,
                no: t.no,
                abstain: t.abstain,
                weight: d.voters.iter().map(|v| v.1).sum(),
                quorum_met: ballot.is_some_and(|b| t.quorum_met(b.quorum)),
                votes,
                unreached: ballot.map_or_else(Vec::new, |b| b.unreached.iter().map(|&a| coord.agent_name(a)).collect()),
                not_taken,
            })
        })
        .collect()
}

impl DecisionReport<'_> {
    /// One line for the headless summary.
    pub fn line(&self) -> String {
        let mut out = format!("decision {} ({}): ", self.task, self.proposal);
        match (self.outcome, self.reason) {
            (Some(o), Some(r)) => {
                let _ = write!(out, "{o} ({r})");
            }
            (Some(o), None) => out.push_str(o),
            _ => out.push_str("never put to a vote"),
        }
        let _ = write!(
            out,
            "; yes {} no {} abstain {} of {}, quorum {}",
            self.yes,
            self.no,
            self.abstain,
            self.weight,
            if self.quorum_met { "met" } else { "not met" }
        );
        if !self.not_taken.is_empty() {
            let how = if self.outcome == Some(Verdict::Approved.name()) { "not taken" } else { "rejected" };
            let _ = write!(out, "; skipped as {how}: {}", self.not_taken.join(", "));
        }
        out
    }
}
