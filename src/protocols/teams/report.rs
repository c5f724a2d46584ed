//! Report sections of the team protocols: delegation hops per task, help exchanges, review rounds
//! and broadcasts.

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
    /// Help exchanges (absent when no agent asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<HelpReport<'a>>,
    /// Broadcasts sent, in order (absent when none was).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub broadcasts: Vec<BroadcastReport>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BroadcastReport {
    pub t_ms: u64,
    /// `all`, or the capability it went to.
    pub to: String,
    pub recipients: u32,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HelpReport<'a> {
    pub requested: u32,
    pub answered: u32,
    /// Unanswered in time / with no peer up to ask.
    pub timed_out: u32,
    pub no_peer: u32,
    /// Mean wait of the answered ones.
    pub mean_wait_ms: Option<u64>,
    pub exchanges: Vec<HelpExchange<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HelpExchange<'a> {
    pub id: u64,
    pub task: &'a str,
    pub asker: &'a str,
    pub capability: String,
    pub peer: Option<&'a str>,
    /// `answered`, `timeout`, `no_peer` or `waiting`.
    pub outcome: &'static str,
    pub waited_ms: Option<u64>,
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
        let help = (!teams.help.is_empty()).then(|| {
            let exchanges: Vec<HelpExchange> = teams
                .help
                .iter()
                .map(|(&id, h)| HelpExchange {
                    id,
                    task: coord.task_name(h.task),
                    asker: coord.agent_name(h.asker),
                    capability: h.capability.to_string(),
                    peer: h.peer.map(|p| coord.agent_name(p)),
                    outcome: match h.outcome {
                        Some(Ok(_)) => "answered",
                        Some(Err(miss)) => miss.name(),
                        None => "waiting",
                    },
                    waited_ms: h.outcome.and_then(|o| o.ok()).map(|(_, w)| w),
                })
                .collect();
            let count = |o: &str| exchanges.iter().filter(|e| e.outcome == o).count() as u32;
            let waits: Vec<u64> = exchanges.iter().filter_map(|e| e.waited_ms).collect();
            HelpReport {
                requested: exchanges.len() as u32,
                answered: count("answered"),
                timed_out: count("timeout"),
                no_peer: count("no_peer"),
                mean_wait_ms: (!waits.is_empty()).then(|| waits.iter().sum::<u64>() / waits.len() as u64),
                exchanges,
            }
        });
        let broadcasts: Vec<BroadcastReport> = teams
            .broadcasts
            .iter()
            .map(|b| BroadcastReport {
                t_ms: b.t_ms,
                to: b.to.as_deref().unwrap_or("all").to_string(),
                recipients: b.recipients,
                text: b.text.to_string(),
            })
            .collect();
        let used = delegation.is_some() || !reviews.is_empty() || help.is_some() || !broadcasts.is_empty();
        used.then_some(TeamReport { delegation, reviews, help, broadcasts })
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
        if let Some(h) = &self.help {
            let wait = h.mean_wait_ms.map_or(String::new(), |w| format!(", mean wait {w} ms"));
            let _ = writeln!(
                out,
                "\nhelp: {} requests, {} answered{wait}, {} timed out, {} with no peer",
                h.requested, h.answered, h.timed_out, h.no_peer
            );
        }
        if !self.broadcasts.is_empty() {
            let _ = writeln!(out, "\nbroadcasts: {}", self.broadcasts.len());
        }
        for b in self.broadcasts.iter().take(limit) {
            let _ = writeln!(out, "  {} ms to {} ({} agents): {}", b.t_ms, b.to, b.recipients, b.text);
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
