//! The end-of-run summary: a JSON report (`--report`) and the table printed by headless runs.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

pub use crate::protocols::vote::report::{DecisionReport, VoteReport};

use crate::core::event::TaskFailure;
use crate::core::state::TaskEnd;
use crate::core::{Coordinator, MsgKind, TaskId};
use crate::scenario::TierName;

pub use crate::protocols::auction::report::{AuctionRow, AuctionsReport};
pub use crate::protocols::elastic::report::{ElasticReport, StintReport};
pub use crate::protocols::growth::report::DecompositionReport;
pub use crate::protocols::swarm::report::{SwarmAgent, SwarmReport};
pub use crate::protocols::teams::report::TeamReport;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report<'a> {
    pub scenario: &'a str,
    pub seed: u64,
    /// `succeeded`, `failed`, `interrupted` if a signal stopped it (`run_interrupted`), or
    /// `unfinished` if it was stopped early otherwise.
    pub outcome: &'static str,
    pub makespan_ms: u64,
    /// When the run stopped (`makespan_ms` once it finished; the last time it handled otherwise).
    #[serde(skip)]
    pub stopped_ms: u64,
    /// `virtual` for a simulated run, `wall-clock` when real agents took part (the live driver).
    #[serde(skip)]
    pub clock: &'static str,
    pub counts: Counts,
    pub tasks: Vec<TaskReport<'a>>,
    /// Set when `tasks` holds only the rows the table shows, in its order, out of this many tasks
    /// (see [`Report::for_table`]).
    #[serde(skip)]
    pub table_only: Option<usize>,
    pub agents: Vec<AgentReport<'a>>,
    pub messages: MessageReport<'a>,
    pub recovery: Recovery,
    /// Per saga, its outcome and the compensations that ran (absent without sagas).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sagas: Vec<SagaReport<'a>>,
    /// The shared context, for scenarios that use it (or had dead letters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextReport<'a>>,
    /// Delegation, help and reviews, for runs that used them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teams: Option<TeamReport<'a>>,
    /// Every auction, for runs that allocate by auction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auctions: Option<AuctionsReport<'a>>,
    /// What planners added to the run or had rejected (absent without planners).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decomposition: Option<DecompositionReport<'a>>,
    /// Swarm claims and final thresholds, for scenarios that allocate by swarm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swarm: Option<SwarmReport<'a>>,
    /// Per decision task, its ballot and outcome (absent without decisions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<DecisionReport<'a>>,
    /// Agents created from templates and retired, for scenarios with templates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elastic: Option<ElasticReport<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SagaReport<'a> {
    pub id: &'a str,
    /// `running`, `completed`, `compensating` or `compensated`.
    pub outcome: &'static str,
    /// The step that did not complete, for a failed saga.
    pub cause: Option<&'a str>,
    /// Compensations that completed / that ended otherwise.
    pub compensated: u32,
    pub failed: u32,
    /// In the order they ran (reverse order of their steps' completion).
    pub compensations: Vec<CompensationReport<'a>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CompensationReport<'a> {
    pub task: &'a str,
    /// The step it undid.
    pub step: &'a str,
    pub state: &'static str,
    pub attempts: u32,
}

impl<'a> SagaReport<'a> {
    fn all(coord: &'a Coordinator) -> Vec<SagaReport<'a>> {
        let sc = coord.scenario();
        let s = coord.state();
        let name = |t: TaskId| sc.tasks[t.ix()].id.as_str();
        sc.sagas
            .iter()
            .zip(&s.sagas().rt)
            .map(|(spec, rt)| SagaReport {
                id: &spec.id,
                outcome: rt.phase.name(),
                cause: rt.cause.map(name),
                compensated: rt.compensated,
                failed: rt.failed,
                compensations: rt
                    .started
                    .iter()
                    .map(|&(step, task)| CompensationReport {
                        task: name(task),
                        step: name(step),
                        state: s.tasks()[task.ix()].state.name(),
                        attempts: s.tasks()[task.ix()].attempts,
                    })
                    .collect(),
            })
            .collect()
    }

    /// One line for the headless summary.
    fn line(&self) -> String {
        let mut out = format!("saga {}: {}", self.id, self.outcome);
        if let Some(cause) = self.cause {
            let _ = write!(out, " (`{cause}` did not complete)");
        }
        let ran: Vec<String> = self
            .compensations
            .iter()
            .map(|c| {
                let plural = if c.attempts == 1 { "" } else { "s" };
                format!("{} for {} {} after {} attempt{plural}", c.task, c.step, c.state, c.attempts)
            })
            .collect();
        if !ran.is_empty() {
            let _ = write!(out, "; compensations: {}", ran.join(", "));
        } else if self.cause.is_some() {
            out.push_str("; no completed step to compensate");
        }
        out
    }
}

/// Blackboard, locks, elections and dead letters at the end of the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContextReport<'a> {
    /// Every key: its final version, value and last writer.
    pub keys: Vec<KeyReport<'a>>,
    pub conflicts: u64,
    pub rejected_writes: u64,
    pub expired_leases: u64,
    /// Per lock: the last fencing token granted.
    pub locks: BTreeMap<&'a str, u64>,
    pub groups: Vec<GroupReport<'a>>,
    pub dead_letters: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyReport<'a> {
    pub key: &'a str,
    pub version: u64,
    pub value: serde_json::Value,
    pub writer: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupReport<'a> {
    pub id: &'a str,
    /// The leader at the end, `null` if the group had none.
    pub leader: Option<&'a str>,
    /// The latest term.
    pub term: u64,
}

impl<'a> ContextReport<'a> {
    pub fn of(coord: &'a Coordinator) -> Option<ContextReport<'a>> {
        let ctx = coord.state().context();
        let ix = &ctx.index;
        if ix.keys.is_empty() && ix.locks.is_empty() && ix.groups.is_empty() && ctx.dead_count == 0 {
            return None;
        }
        let keys = ix
            .keys
            .iter()
            .map(|k| {
                let (value, version) = ctx.board.read(k);
                let writer = ctx.board.history(k).last().map(|w| w.writer.as_str());
                KeyReport { key: k, version, value: value.cloned().unwrap_or_default(), writer }
            })
            .collect();
        let groups = ctx
            .elections
            .iter()
            .map(|e| GroupReport { id: e.group(), leader: e.leader().map(|(name, _)| name), term: e.term() })
            .collect();
        Some(ContextReport {
            keys,
            conflicts: ctx.conflicts,
            rejected_writes: ctx.rejected_writes,
            expired_leases: ctx.expired_leases,
            locks: ix.locks.iter().map(|l| (l.as_str(), ctx.locks.highest_token(l))).collect(),
            groups,
            dead_letters: ctx.dead_count,
        })
    }
}

/// How the run healed itself.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Recovery {
    /// Attempts that ended badly: errors, timeouts, crashed or lost agents.
    pub failures: u32,
    /// Tasks that had a failed attempt.
    pub tasks_hit: u32,
    /// Of those, tasks that completed without an operator touching them.
    pub recovered: u32,
    /// How they recovered: `retry` (the next good attempt ran on the same agent) or `other_agent`.
    pub by_tier: RecoveryTiers,
    /// Tasks sent to the operator's inbox.
    pub escalated: u32,
    /// Mean time from a recovered task's first failure to its completion (virtual ms).
    pub mean_time_to_recovery_ms: Option<u64>,
}

/// Self-healed tasks by the tier whose attempt completed them. Without a ladder, `retry` means the
/// completing attempt ran on the agent that first failed, `other_agent` that it did not.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RecoveryTiers {
    pub retry: u32,
    pub other_agent: u32,
    pub fallback: u32,
    pub escalate_to: u32,
}

impl RecoveryTiers {
    /// `2 by retry, 1 on another agent`, naming the ladder tiers only when they healed something.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{} by retry", self.retry), format!("{} on another agent", self.other_agent)];
        if self.fallback > 0 {
            parts.push(format!("{} by fallback", self.fallback));
        }
        if self.escalate_to > 0 {
            parts.push(format!("{} escalated to a higher tier", self.escalate_to));
        }
        parts.join(", ")
    }
}

impl Recovery {
    /// Folds the attempt log: one pass over every attempt of the run.
    pub fn of(coord: &Coordinator) -> Recovery {
        use crate::core::state::AttemptEnd;
        let s = coord.state();
        let mut r = Recovery { escalated: s.escalations(), ..Recovery::default() };
        // Tasks hit, with their first failure's end and agent; a bit per task says which are in
        // (a million-task run with few failures needs no per-task slot).
        let mut hit = vec![0u64; s.tasks().len().div_ceil(64)];
        let mut first_failure: Vec<(usize, u64, crate::core::AgentId)> = Vec::new();
        let mut total_ms = 0u64;
        for rec in s.attempt_log() {
            if matches!(rec.end, AttemptEnd::Failed(_) | AttemptEnd::TimedOut) {
                r.failures += 1;
                let (word, bit) = (rec.task.ix() / 64, 1u64 << (rec.task.ix() % 64));
                if hit[word] & bit == 0 {
                    hit[word] |= bit;
                    first_failure.push((rec.task.ix(), rec.end_ms.unwrap_or(rec.start_ms), rec.agent));
                    r.tasks_hit += 1;
                }
            }
        }
        // Every figure below is a count or a sum: the order tasks are visited in does not matter.
        for (i, failed_at, failed_on) in &first_failure {
            let (i, t) = (*i, &s.tasks()[*i]);
            if t.state != crate::core::TaskState::Completed || t.operator_touched {
                continue;
            }
            let ladder = s.ladder().get(crate::core::TaskId(i as u32));
            if ladder.is_some_and(|l| l.escalated) {
                continue; // It went to the inbox: not healed by itself.
            }
            r.recovered += 1;
            let tiers = &mut r.by_tier;
            match ladder.and_then(|l| l.tier) {
                Some(TierName::Retry) => tiers.retry += 1,
                Some(TierName::OtherAgent) => tiers.other_agent += 1,
                Some(TierName::Fallback) => tiers.fallback += 1,
                Some(TierName::EscalateTo) => tiers.escalate_to += 1,
                _ if t.agent == Some(*failed_on) => tiers.retry += 1,
                _ => tiers.other_agent += 1,
            }
            let done = s.last_attempt(crate::core::TaskId(i as u32)).and_then(|a| a.end_ms).unwrap_or(*failed_at);
            total_ms += done.saturating_sub(*failed_at);
        }
        r.mean_time_to_recovery_ms = (r.recovered > 0).then(|| total_ms / r.recovered as u64);
        r
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Counts {
    pub tasks: u32,
    pub completed: u32,
    pub failed: u32,
    pub skipped: u32,
    pub retries: u32,
    /// Tasks taken back from a crashed agent and given to another.
    pub reassigned: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TaskReport<'a> {
    pub id: &'a str,
    pub state: &'static str,
    /// The agent of the last attempt, if any ran.
    pub agent: Option<&'a str>,
    pub attempts: u32,
    /// Why the task failed or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentReport<'a> {
    pub id: &'a str,
    pub alive: bool,
    /// For a template's slot: the template (a slot not in the team is `off`, not down).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<&'a str>,
    pub completed: u32,
    pub failed: u32,
    pub busy_ms: u64,
    /// busy_ms / (makespan_ms × max_concurrent), 0..=1.
    pub utilization: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessageReport<'a> {
    pub total: u64,
    pub broadcasts: u64,
    pub by_type: BTreeMap<&'static str, u64>,
    pub by_agent: BTreeMap<&'a str, AgentMessages>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentMessages {
    pub sent: u64,
    pub received: u64,
}

/// Why a task ended the way it did, in words.
pub fn end_reason(coord: &Coordinator, task: TaskId) -> Option<String> {
    if let Some(crate::protocols::saga::Role::Compensator { step, .. }) = coord.state().sagas().role(task)
        && coord.state().tasks()[task.ix()].state.is_dormant()
    {
        return Some(format!("compensation of `{}`: its saga did not need it", coord.task_name(step)));
    }
    match coord.state().tasks()[task.ix()].end_reason? {
        TaskEnd::Failed(TaskFailure::AttemptsExhausted { attempts }) => {
            Some(format!("all {attempts} allowed attempts failed"))
        }
        TaskEnd::Failed(TaskFailure::NoLiveAgent) => {
            let cap = &coord.scenario().tasks[task.ix()].capability;
            Some(format!("no live agent can run capability `{cap}`"))
        }
        TaskEnd::Failed(TaskFailure::Cancelled) => Some("cancelled by an operator".into()),
        TaskEnd::Failed(TaskFailure::NotRetryable { attempts }) => {
            Some(format!("attempt {attempts} reported an error that is not retryable"))
        }
        TaskEnd::Failed(TaskFailure::Operator) => Some("failed by an operator".into()),
        TaskEnd::Failed(TaskFailure::Unresolved) => Some("left in the operator's inbox (headless run)".into()),
        TaskEnd::Failed(TaskFailure::SlaExpired) => Some("its inbox SLA expired (on_expiry: fail)".into()),
        TaskEnd::Failed(TaskFailure::ReworkLimit) => Some("its review rejected the work past max_rework".into()),
        TaskEnd::Failed(TaskFailure::Rejected) => Some("its proposal was rejected (no on_reject branch)".into()),
        TaskEnd::Skipped { cause } if coord.state().votes().branch_skipped.contains(&task) => {
            Some(crate::protocols::vote::branch_text(coord, cause))
        }
        TaskEnd::Skipped { cause } if cause == task => {
            let sla = coord.state().ladder().get(task).and_then(|l| l.sla).and_then(|s| s.expired);
            Some(if sla.is_some() { "skipped when its inbox SLA expired" } else { "skipped by an operator" }.into())
        }
        TaskEnd::Skipped { cause } => Some(format!("upstream task `{}` failed", coord.task_name(cause))),
    }
}

/// The state a task is reported in.
fn task_state(coord: &Coordinator, i: usize) -> &'static str {
    let s = coord.state();
    let t = &s.tasks()[i];
    // A compensator still dormant at the end was simply not needed.
    if t.state.is_dormant() && s.finished().is_some() { "not_needed" } else { t.state.name() }
}

/// Task `i`'s row of the report.
fn task_report(coord: &Coordinator, i: usize) -> TaskReport<'_> {
    let t = &coord.state().tasks()[i];
    TaskReport {
        id: &coord.scenario().tasks[i].id,
        state: task_state(coord, i),
        agent: t.agent.map(|a| coord.agent_name(a)),
        attempts: t.attempts,
        reason: end_reason(coord, TaskId(i as u32)),
    }
}

/// The task table's order: tasks in the states of each group in turn (failed, skipped and the
/// others first: they are what a reader needs to see), each group in scenario order.
const TABLE_GROUPS: [fn(&str) -> bool; 3] =
    [|st| st != "completed" && st != "not_needed", |st| st == "completed", |st| st == "not_needed"];

impl<'a> Report<'a> {
    /// Borrows names from the coordinator's scenario, so a million-task report costs no string copies.
    pub fn build(coord: &'a Coordinator) -> Report<'a> {
        let tasks = (0..coord.scenario().tasks.len()).map(|i| task_report(coord, i)).collect();
        Report::with_tasks(coord, tasks, None)
    }

    /// The report [`Report::table`] needs to print `limit` task rows: only those rows are made
    /// (a million-task run's summary then costs no per-task memory). Not for the JSON report.
    pub fn for_table(coord: &'a Coordinator, limit: usize) -> Report<'a> {
        let n = coord.scenario().tasks.len();
        let mut rows: Vec<TaskReport<'a>> = Vec::with_capacity(limit.min(n));
        for in_group in TABLE_GROUPS {
            for i in 0..n {
                if rows.len() == limit {
                    break;
                }
                if in_group(task_state(coord, i)) {
                    rows.push(task_report(coord, i));
                }
            }
        }
        Report::with_tasks(coord, rows, Some(n))
    }

    /// Everything but the task rows, which the caller made (`table_only`: see the field).
    fn with_tasks(coord: &'a Coordinator, tasks: Vec<TaskReport<'a>>, table_only: Option<usize>) -> Report<'a> {
        let s = coord.state();
        let sc = coord.scenario();
        let stopped = if s.interrupted().is_some() { "interrupted" } else { "unfinished" };
        let outcome = s.finished().map_or(stopped, |o| o.name());
        let agents = sc
            .agents
            .iter()
            .zip(s.agents())
            .map(|(spec, a)| {
                let capacity = s.makespan_ms() as f64 * a.max_concurrent as f64;
                AgentReport {
                    id: &spec.id,
                    alive: a.alive,
                    template: spec.template.map(|t| sc.templates[t as usize].id.as_str()),
                    completed: a.completed,
                    failed: a.failed,
                    busy_ms: a.busy_ms,
                    utilization: if capacity > 0.0 { round3(a.busy_ms as f64 / capacity) } else { 0.0 },
                }
            })
            .collect();
        let messages = MessageReport {
            total: s.bus().total,
            broadcasts: s.bus().broadcasts,
            by_type: MsgKind::ALL.iter().map(|k| (k.name(), s.bus().of_kind(*k))).collect(),
            by_agent: sc
                .agents
                .iter()
                .zip(&s.bus().by_agent)
                .map(|(a, &(sent, received))| (a.id.as_str(), AgentMessages { sent, received }))
                .collect(),
        };
        Report {
            scenario: &sc.name,
            seed: sc.seed,
            outcome,
            makespan_ms: s.makespan_ms(),
            stopped_ms: if s.finished().is_some() { s.makespan_ms() } else { s.now_ms() },
            clock: if crate::runtime::needs_live(sc) { "wall-clock" } else { "virtual" },
            counts: Counts {
                tasks: sc.tasks.len() as u32,
                completed: s.completed(),
                failed: s.failed(),
                skipped: s.skipped(),
                retries: s.retries(),
                reassigned: s.reassignments(),
            },
            tasks,
            table_only,
            agents,
            messages,
            recovery: Recovery::of(coord),
            sagas: SagaReport::all(coord),
            context: ContextReport::of(coord),
            teams: TeamReport::of(coord),
            auctions: AuctionsReport::of(coord),
            decomposition: DecompositionReport::of(coord),
            swarm: SwarmReport::of(coord),
            decisions: crate::protocols::vote::report::all(coord),
            elastic: ElasticReport::of(coord),
        }
    }

    /// The human-readable summary printed by `run --headless`. Long lists are cut to `limit` rows.
    pub fn table(&self, limit: usize) -> String {
        let mut out = String::new();
        self.headline(&mut out);
        self.task_rows(&mut out, limit);
        self.agent_rows(&mut out, limit);
        self.protocol_lines(&mut out, limit);
        // Only the types the run used: with a dozen protocols' message types, zeros drown the rest.
        let by_type: Vec<String> =
            self.messages.by_type.iter().filter(|(_, v)| **v > 0).map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(out, "\nmessages: {} total ({})", self.messages.total, by_type.join(", "));
        out
    }

    /// The first line: outcome, time and counts.
    fn headline(&self, out: &mut String) {
        let c = &self.counts;
        let _ = writeln!(
            out,
            "{} (seed {}): {} {} {} ms {} — {} tasks: {} completed, {} failed, {} skipped, {} retries, {} reassigned",
            self.scenario,
            self.seed,
            self.outcome.to_uppercase(),
            // A run that did not finish stopped at a time; one that did took that long.
            if self.outcome == "succeeded" || self.outcome == "failed" { "in" } else { "at" },
            self.stopped_ms,
            self.clock,
            c.tasks,
            c.completed,
            c.failed,
            c.skipped,
            c.retries,
            c.reassigned
        );
    }

    /// The task table, failed and skipped tasks first: they are what the reader needs to see.
    fn task_rows(&self, out: &mut String, limit: usize) {
        let rows: Vec<&TaskReport> = match self.table_only {
            // Made in table order already.
            Some(_) => self.tasks.iter().collect(),
            None => TABLE_GROUPS.iter().flat_map(|in_group| self.tasks.iter().filter(|t| in_group(t.state))).collect(),
        };
        let total = self.table_only.unwrap_or(rows.len());
        let w = rows.iter().take(limit).map(|t| width(t.id)).max().unwrap_or(4).max(4);
        let sw = rows.iter().take(limit).map(|t| width(t.state)).max().unwrap_or(9).max(9);
        let _ = writeln!(out, "\n{:<w$}  {:<sw$}  {:<16}  {:>8}  reason", "task", "state", "agent", "attempts");
        for t in rows.iter().take(limit) {
            let agent = cell(t.agent.unwrap_or("-"));
            let reason = t.reason.as_deref().unwrap_or("");
            let _ = writeln!(out, "{:<w$}  {:<sw$}  {:<16}  {:>8}  {}", cell(t.id), t.state, agent, t.attempts, reason);
        }
        if total > limit {
            let _ = writeln!(out, "… and {} more tasks (see --report)", total - limit);
        }
    }

    /// The agent table.
    fn agent_rows(&self, out: &mut String, limit: usize) {
        let w = self.agents.iter().take(limit).map(|a| width(a.id)).max().unwrap_or(5).max(5);
        let _ = writeln!(
            out,
            "\n{:<w$}  {:<5}  {:>9}  {:>6}  {:>10}  {:>5}  {:>8}",
            "agent", "state", "completed", "failed", "busy_ms", "util", "messages"
        );
        for a in self.agents.iter().take(limit) {
            let m = &self.messages.by_agent[a.id];
            let state = match (a.alive, a.template) {
                (true, _) => "up",
                (false, None) => "down",
                (false, Some(_)) => "off",
            };
            let _ = writeln!(
                out,
                "{:<w$}  {:<5}  {:>9}  {:>6}  {:>10}  {:>4.0}%  {:>8}",
                cell(a.id),
                state,
                a.completed,
                a.failed,
                a.busy_ms,
                a.utilization * 100.0,
                m.sent + m.received
            );
        }
        if self.agents.len() > limit {
            let _ = writeln!(out, "… and {} more agents (see --report)", self.agents.len() - limit);
        }
    }

    /// Healing, sagas, the shared context and each coordination protocol the run used.
    fn protocol_lines(&self, out: &mut String, limit: usize) {
        let r = &self.recovery;
        if r.failures > 0 || r.escalated > 0 {
            let mttr = r.mean_time_to_recovery_ms.map_or("-".into(), |m| format!("{m} ms"));
            let _ = writeln!(
                out,
                "\nhealing: {} failed attempts hit {} tasks; {} recovered without a human ({}), {} escalated; mean time to recovery {mttr}",
                r.failures,
                r.tasks_hit,
                r.recovered,
                r.by_tier.describe(),
                r.escalated
            );
        }
        if !self.sagas.is_empty() {
            out.push('\n');
        }
        for saga in self.sagas.iter().take(limit) {
            let _ = writeln!(out, "{}", saga.line());
        }
        if let Some(c) = &self.context {
            let _ = writeln!(
                out,
                "\nshared context: {} keys, {} conflicts, {} stale writes rejected, {} lock leases expired, {} dead letters",
                c.keys.len(),
                c.conflicts,
                c.rejected_writes,
                c.expired_leases,
                c.dead_letters
            );
            for g in &c.groups {
                let _ = writeln!(out, "group {}: leader {} (term {})", g.id, g.leader.unwrap_or("none"), g.term);
            }
        }
        if let Some(t) = &self.teams {
            t.write(out, limit);
        }
        if let Some(a) = &self.auctions {
            a.write(out, limit);
        }
        if let Some(d) = &self.decomposition {
            out.push_str(&d.lines(limit));
        }
        if let Some(s) = &self.swarm {
            s.lines(out, limit);
        }
        if !self.decisions.is_empty() {
            out.push('\n');
        }
        for d in self.decisions.iter().take(limit) {
            let _ = writeln!(out, "{}", d.line());
        }
        if let Some(e) = &self.elastic {
            e.lines(out, limit);
        }
    }
}

/// Ids longer than this many characters are cut in the printed tables (the JSON report keeps
/// them whole): a column is never wider, so a width never comes from the input (std's formatter
/// panics on a width over 65 535).
pub const ID_COLUMN: usize = 40;

/// `id` as a table cell: whole, or its first `ID_COLUMN − 1` characters and `…`.
pub(crate) fn cell(id: &str) -> std::borrow::Cow<'_, str> {
    match id.char_indices().nth(ID_COLUMN) {
        None => id.into(),
        Some(_) => {
            let cut = id.char_indices().nth(ID_COLUMN - 1).map_or(id.len(), |(at, _)| at);
            format!("{}…", &id[..cut]).into()
        }
    }
}

/// The width of `id`'s cell, in characters (what `{:<w$}` pads by).
pub(crate) fn width(id: &str) -> usize {
    id.chars().take(ID_COLUMN + 1).count().min(ID_COLUMN)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
