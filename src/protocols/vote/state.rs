//! Decision tasks: a proposal put to voters, whose outcome gates the DAG.
//!
//! A decision task never goes to an agent. When its dependencies are done it opens a *ballot*
//! (`ballot_opened`, a `ballot` message to each voter that is up, a close timer at the deadline);
//! votes arrive as `vote` messages and are recorded as `vote_cast`; the ballot closes at the
//! deadline, or as soon as its outcome cannot change, with `proposal_decided`. The rule itself is
//! [`count`] (a pure function, documented in `scenarios/README.md`). Approval completes the task
//! and skips its `on_reject` branch as not taken; rejection runs the `on_reject` branch and skips
//! the other dependents (or, without `on_reject`, fails the task). A tie under `tie: escalate`
//! sends the task to the operator's inbox instead. [`VoteState`] is a fold of those events.

use crate::core::event::VoteEvent;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::core::bus::{Endpoint, MsgKind, Payload};
use crate::core::event::{EventKind, OpAction, Origin, Refusal, Resolution, SkipReason, TaskFailure};
use crate::core::ids::{AgentId, TaskId};
use crate::core::timers::{Timer, Timers};
use crate::core::{Coordinator, clock};
use crate::scenario::{Scenario, TieRule, Voters};

/// Shares within this of a bound count as exactly at it (weights are decimals written by people).
pub const EPSILON: f64 = 1e-9;

/// `Workflow::task_decision` entry of a task that is not a decision.
pub const NO_DECISION: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Choice {
    Yes,
    No,
    Abstain,
}

impl Choice {
    pub const ALL: [Choice; 3] = [Choice::Yes, Choice::No, Choice::Abstain];

    pub fn name(self) -> &'static str {
        match self {
            Choice::Yes => "yes",
            Choice::No => "no",
            Choice::Abstain => "abstain",
        }
    }

    pub fn from_name(s: &str) -> Option<Choice> {
        Choice::ALL.into_iter().find(|c| c.name() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Approved,
    Rejected,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Rejected => "rejected",
        }
    }

    pub fn from_name(s: &str) -> Option<Verdict> {
        [Verdict::Approved, Verdict::Rejected].into_iter().find(|v| v.name() == s)
    }
}

/// Why a proposal was decided the way it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecideReason {
    Threshold,
    NoQuorum,
    Tie,
    Veto,
    Operator,
}

impl DecideReason {
    pub const ALL: [DecideReason; 5] = [
        DecideReason::Threshold,
        DecideReason::NoQuorum,
        DecideReason::Tie,
        DecideReason::Veto,
        DecideReason::Operator,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DecideReason::Threshold => "threshold",
            DecideReason::NoQuorum => "no_quorum",
            DecideReason::Tie => "tie",
            DecideReason::Veto => "veto",
            DecideReason::Operator => "operator",
        }
    }

    pub fn from_name(s: &str) -> Option<DecideReason> {
        DecideReason::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// Weights cast so far and the voters' whole weight.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub yes: f64,
    pub no: f64,
    pub abstain: f64,
    pub total: f64,
}

impl Tally {
    pub fn cast(&self) -> f64 {
        self.yes + self.no + self.abstain
    }

    pub fn quorum_met(&self, quorum: f64) -> bool {
        self.cast() >= quorum * self.total - EPSILON * self.total.max(1.0)
    }

    pub fn add(&mut self, choice: Choice, weight: f64) {
        match choice {
            Choice::Yes => self.yes += weight,
            Choice::No => self.no += weight,
            Choice::Abstain => self.abstain += weight,
        }
    }
}

/// What a tally says under a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Approved,
    Rejected,
    /// The yes share is exactly the threshold (or nobody voted yes or no): the tie rule decides.
    Tie,
    NoQuorum,
}

/// The rule: no quorum ⇒ `NoQuorum`; else the yes share `yes / (yes + no)` above the threshold
/// approves, below it rejects, and exactly at it (or with no yes and no no at all) is a tie.
pub fn count(t: &Tally, threshold: f64, quorum: f64) -> Count {
    if !t.quorum_met(quorum) {
        return Count::NoQuorum;
    }
    let decided = t.yes + t.no;
    if decided <= EPSILON {
        return Count::Tie;
    }
    let share = t.yes / decided;
    if (share - threshold).abs() <= EPSILON {
        Count::Tie
    } else if share > threshold {
        Count::Approved
    } else {
        Count::Rejected
    }
}

/// The outcome if it can no longer change whatever the `remaining` weight still votes, else `None`.
pub fn forced(t: &Tally, remaining: f64, threshold: f64, quorum: f64) -> Option<Count> {
    if remaining <= EPSILON {
        return Some(count(t, threshold, quorum));
    }
    let mut best = *t;
    best.abstain += remaining;
    if !best.quorum_met(quorum) {
        return Some(Count::NoQuorum);
    }
    if !t.quorum_met(quorum) || t.yes + t.no <= EPSILON {
        return None;
    }
    // Yes votes can only raise the share and no votes lower it; abstentions leave it.
    let lowest = t.yes / (t.yes + t.no + remaining);
    let highest = (t.yes + remaining) / (t.yes + t.no + remaining);
    if lowest > threshold + EPSILON {
        Some(Count::Approved)
    } else if highest < threshold - EPSILON {
        Some(Count::Rejected)
    } else {
        None
    }
}

/// A decision task, compiled from its `decision` field.
#[derive(Debug, Clone)]
pub struct Decision {
    pub proposal: Arc<str>,
    /// Every voter with its weight, in scenario order.
    pub voters: Vec<(AgentId, f64)>,
    pub threshold: f64,
    pub quorum: f64,
    pub deadline_ms: u64,
    pub tie: TieRule,
    pub on_reject: Vec<TaskId>,
}

/// Compiles every decision; returns them and each task's index into them (empty when none).
pub(crate) fn compile(sc: &Scenario) -> (Vec<Decision>, Vec<u32>) {
    if sc.tasks.iter().all(|t| t.extras().decision.is_none()) {
        return (Vec::new(), Vec::new());
    }
    let task_ix: BTreeMap<&str, u32> = sc.tasks.iter().enumerate().map(|(i, t)| (t.id.as_str(), i as u32)).collect();
    let mut decisions = Vec::new();
    let index = sc
        .tasks
        .iter()
        .map(|t| {
            let Some(d) = t.extras().decision.as_deref() else { return NO_DECISION };
            let weight = |a: &str| d.weights.get(a).copied().unwrap_or(1.0);
            let voters = sc
                .agents
                .iter()
                .enumerate()
                .filter(|(_, a)| match &d.voters {
                    Voters::Agents(ids) => ids.contains(&a.id),
                    Voters::Capability { capability } => a.capabilities.contains(capability),
                })
                .map(|(i, a)| (AgentId(i as u32), weight(&a.id)))
                .collect();
            decisions.push(Decision {
                proposal: Arc::from(d.proposal.as_str()),
                voters,
                threshold: d.threshold,
                quorum: d.quorum,
                deadline_ms: d.deadline_ms,
                tie: d.tie,
                on_reject: d.on_reject.iter().map(|r| TaskId(task_ix[r.as_str()])).collect(),
            });
            decisions.len() as u32 - 1
        })
        .collect();
    (decisions, index)
}

/// One vote as recorded (`voter` is `None` for the operator).
#[derive(Debug, Clone, PartialEq)]
pub struct Cast {
    pub voter: Option<AgentId>,
    pub choice: Choice,
    pub weight: f64,
    pub reason: Option<Arc<str>>,
    pub t_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Open,
    /// Closed on a tie with `tie: escalate`: the operator decides.
    Escalated,
    Decided {
        verdict: Verdict,
        reason: DecideReason,
    },
}

/// The latest ballot of a decision task.
#[derive(Debug, Clone, PartialEq)]
pub struct Ballot {
    pub proposal: Arc<str>,
    pub voters: Arc<[(AgentId, f64)]>,
    /// Voters that were down when it opened (they got no ballot).
    pub unreached: Arc<[AgentId]>,
    pub threshold: f64,
    pub quorum: f64,
    pub tie: TieRule,
    pub opened_ms: u64,
    pub closes_ms: u64,
    pub votes: Vec<Cast>,
    pub phase: Phase,
    /// Ballots this task has opened (an operator retry opens another).
    pub round: u32,
}

impl Ballot {
    /// The voters' votes so far (the operator's are not counted: they decide outright).
    pub fn tally(&self) -> Tally {
        let mut t = Tally { total: self.voters.iter().map(|v| v.1).sum(), ..Tally::default() };
        for c in self.votes.iter().filter(|c| c.voter.is_some()) {
            t.add(c.choice, c.weight);
        }
        t
    }

    /// Weight of the reached voters that have not voted yet.
    pub fn remaining(&self) -> f64 {
        self.voters.iter().filter(|(a, _)| !self.unreached.contains(a) && !self.has_voted(*a)).map(|v| v.1).sum()
    }

    pub fn has_voted(&self, agent: AgentId) -> bool {
        self.votes.iter().any(|c| c.voter == Some(agent))
    }

    pub fn weight_of(&self, agent: AgentId) -> Option<f64> {
        self.voters.iter().find(|v| v.0 == agent).map(|v| v.1)
    }
}

/// Every ballot, and the tasks skipped because a decision took the other branch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VoteState {
    pub ballots: BTreeMap<TaskId, Ballot>,
    /// Skipped as a branch not taken (not counted as failures in the run's outcome).
    pub branch_skipped: BTreeSet<TaskId>,
}

impl VoteState {
    pub fn is_empty(&self) -> bool {
        self.ballots.is_empty()
    }

    pub fn open(&self, task: TaskId) -> Option<&Ballot> {
        self.ballots.get(&task).filter(|b| b.phase == Phase::Open)
    }

    pub fn close_live(&self, task: TaskId, at: u64) -> bool {
        self.open(task).is_some_and(|b| b.closes_ms == at)
    }

    /// Folds one vote event (called from `State::apply`).
    pub fn apply(&mut self, now: u64, kind: &EventKind, timers: &mut Timers) {
        match kind {
            EventKind::Vote(VoteEvent::BallotOpened {
                task,
                proposal,
                voters,
                unreached,
                threshold,
                quorum,
                tie,
                closes_ms,
            }) => {
                let round = self.ballots.get(task).map_or(1, |b| b.round + 1);
                let ballot = Ballot {
                    proposal: proposal.clone(),
                    voters: voters.clone(),
                    unreached: unreached.clone(),
                    threshold: *threshold,
                    quorum: *quorum,
                    tie: *tie,
                    opened_ms: now,
                    closes_ms: *closes_ms,
                    votes: Vec::new(),
                    phase: Phase::Open,
                    round,
                };
                self.ballots.insert(*task, ballot);
                timers.push_at(*closes_ms, Timer::BallotClose { task: *task, at: *closes_ms });
            }
            EventKind::Vote(VoteEvent::VoteCast { task, voter, choice, weight, reason }) => {
                if let Some(b) = self.ballots.get_mut(task) {
                    let reason = reason.clone();
                    b.votes.push(Cast { voter: *voter, choice: *choice, weight: *weight, reason, t_ms: now });
                }
            }
            EventKind::Vote(VoteEvent::ProposalDecided { task, verdict, reason, .. }) => {
                if let Some(b) = self.ballots.get_mut(task) {
                    b.phase = Phase::Decided { verdict: *verdict, reason: *reason };
                }
            }
            EventKind::TaskEscalated { task, origin: Origin::Vote, .. } => {
                if let Some(b) = self.ballots.get_mut(task) {
                    b.phase = Phase::Escalated;
                }
            }
            EventKind::TaskSkipped { task, reason, .. } if *reason != SkipReason::UpstreamFailed => {
                self.branch_skipped.insert(*task);
            }
            EventKind::TaskReopened { task } => {
                self.branch_skipped.remove(task);
            }
            _ => {}
        }
    }
}

impl Coordinator {
    /// The task's decision, if it is a decision task (cheap when the run has none).
    pub fn decision_of(&self, task: TaskId) -> Option<&Decision> {
        self.wf.decision_of(task)
    }

    /// A decision task's dependencies are done: put the proposal to its voters.
    pub(crate) fn open_ballot(&mut self, now: u64, task: TaskId) {
        let d = self.wf.decision_of(task).expect("a decision task");
        let (proposal, deadline) = (d.proposal.clone(), d.deadline_ms);
        let (threshold, quorum, tie) = (d.threshold, d.quorum, d.tie);
        let voters: Arc<[(AgentId, f64)]> = d.voters.iter().copied().collect();
        let unreached: Arc<[AgentId]> =
            voters.iter().map(|v| v.0).filter(|a| !self.state.agents[a.ix()].alive).collect();
        let closes_ms = crate::core::timers::later(now, deadline);
        tracing::info!("{} ballot on {} opened: {proposal}", clock(now), self.task_name(task));
        let kind = EventKind::Vote(VoteEvent::BallotOpened {
            task,
            proposal,
            voters: voters.clone(),
            unreached: unreached.clone(),
            threshold,
            quorum,
            tie,
            closes_ms,
        });
        self.emit(now, kind);
        for &(agent, _) in voters.iter().filter(|v| !unreached.contains(&v.0)) {
            self.send(now, Endpoint::Agent(agent), MsgKind::Ballot, None, Payload::Ballot { task, closes_ms });
        }
        self.settle(now, task);
    }

    /// A voter's `vote`: counted if its ballot is open and it has not voted yet, else ignored (the
    /// message itself is on record).
    pub(crate) fn on_vote(
        &mut self,
        now: u64,
        agent: AgentId,
        task: TaskId,
        choice: Choice,
        reason: Option<&'static str>,
    ) {
        let Some(ballot) = self.state.votes.open(task) else { return };
        if self.state.tasks[task.ix()].state.is_terminal() || ballot.has_voted(agent) {
            return;
        }
        let Some(weight) = ballot.weight_of(agent) else { return };
        let reason = reason.map(Arc::from);
        self.emit(now, EventKind::Vote(VoteEvent::VoteCast { task, voter: Some(agent), choice, weight, reason }));
        self.settle(now, task);
    }

    /// Closes the ballot early once every reached voter voted or the outcome cannot change.
    fn settle(&mut self, now: u64, task: TaskId) {
        let Some(b) = self.state.votes.open(task) else { return };
        if forced(&b.tally(), b.remaining(), b.threshold, b.quorum).is_some() {
            self.close_ballot(now, task);
        }
    }

    /// The ballot's time is up (or its outcome is settled): apply the rule.
    pub(crate) fn close_ballot(&mut self, now: u64, task: TaskId) {
        let Some(b) = self.state.votes.open(task) else { return };
        let (verdict, reason) = match count(&b.tally(), b.threshold, b.quorum) {
            Count::Approved => (Verdict::Approved, DecideReason::Threshold),
            Count::Rejected => (Verdict::Rejected, DecideReason::Threshold),
            Count::NoQuorum => (Verdict::Rejected, DecideReason::NoQuorum),
            Count::Tie => match b.tie {
                TieRule::Approve => (Verdict::Approved, DecideReason::Tie),
                TieRule::Reject => (Verdict::Rejected, DecideReason::Tie),
                TieRule::Escalate => {
                    self.escalate(now, task, Origin::Vote);
                    return;
                }
            },
        };
        self.decide_proposal(now, task, verdict, reason);
    }

    /// Records the outcome and gates the DAG: the taken branch runs, the other is skipped.
    pub(crate) fn decide_proposal(&mut self, now: u64, task: TaskId, verdict: Verdict, reason: DecideReason) {
        let t = self.state.votes.ballots.get(&task).map(Ballot::tally).unwrap_or_default();
        let quorum = self.state.votes.ballots.get(&task).is_some_and(|b| t.quorum_met(b.quorum));
        tracing::info!("{} {} {}: {}", clock(now), self.task_name(task), verdict.name(), reason.name());
        let (yes, no, abstain) = (t.yes, t.no, t.abstain);
        self.emit(now, EventKind::Vote(VoteEvent::ProposalDecided { task, verdict, reason, yes, no, abstain, quorum }));
        let on_reject = self.wf.decision_of(task).map(|d| d.on_reject.clone()).unwrap_or_default();
        if verdict == Verdict::Rejected && on_reject.is_empty() {
            self.fail_task(now, task, TaskFailure::Rejected);
            self.check_finished(now);
            return;
        }
        let attempts = self.state.tasks[task.ix()].attempts;
        self.emit(now, EventKind::TaskCompleted { task, agent: None, attempts });
        let (skip_reason, skip_rejected) = match verdict {
            Verdict::Approved => (SkipReason::NotTaken, false),
            Verdict::Rejected => (SkipReason::Rejected, true),
        };
        let dependents: Vec<TaskId> = self.wf.dependents(task).collect();
        for d in dependents.into_iter().rev() {
            if on_reject.contains(&d) != skip_rejected && !self.state.tasks[d.ix()].state.is_terminal() {
                self.emit(now, EventKind::TaskSkipped { task: d, cause: task, reason: skip_reason });
                self.skip_downstream_for(now, d, task, skip_reason);
            }
        }
        self.release_dependents(now, task);
        self.check_finished(now);
    }

    /// The operator's deciding vote: yes approves, no rejects (reason `operator`); an abstention
    /// is recorded and leaves the ballot to its voters.
    pub(crate) fn operator_vote(&mut self, now: u64, task: TaskId, choice: Choice) {
        self.emit(now, EventKind::Vote(VoteEvent::VoteCast { task, voter: None, choice, weight: 0.0, reason: None }));
        match choice {
            Choice::Yes => self.decide_proposal(now, task, Verdict::Approved, DecideReason::Operator),
            Choice::No => self.decide_proposal(now, task, Verdict::Rejected, DecideReason::Operator),
            Choice::Abstain => {}
        }
    }

    /// Whether the task has a ballot the operator can still vote on or veto.
    pub(crate) fn ballot_undecided(&self, task: TaskId) -> bool {
        !self.state.tasks[task.ix()].state.is_terminal()
            && self.state.votes.ballots.get(&task).is_some_and(|b| !matches!(b.phase, Phase::Decided { .. }))
    }
}

impl Coordinator {
    /// Refuses `vote` and `veto` where there is nothing to decide, and agent-task actions on
    /// decision tasks (`None`: the other checks apply).
    pub(crate) fn check_vote_operator(&self, action: OpAction) -> Option<Refusal> {
        match action {
            OpAction::CastVote(t, _) | OpAction::Veto(t) => {
                if self.wf.decision_of(t).is_none() {
                    Some(Refusal::NotDecision(t))
                } else if !self.ballot_undecided(t) {
                    Some(Refusal::NoBallot(t))
                } else {
                    None
                }
            }
            OpAction::Hold(t) | OpAction::Reassign(t, _) | OpAction::Escalate(t)
                if self.wf.decision_of(t).is_some() =>
            {
                Some(Refusal::DecisionTask(t))
            }
            _ => None,
        }
    }

    /// An operator settles an escalated decision from the inbox: done approves, fail rejects
    /// (both with reason `operator`). Returns whether it was handled here.
    pub(crate) fn decide_by_resolution(&mut self, now: u64, task: TaskId, resolution: Resolution) -> bool {
        let verdict = match resolution {
            Resolution::Done => Verdict::Approved,
            Resolution::Fail => Verdict::Rejected,
            Resolution::Retry | Resolution::Skip => return false,
        };
        self.decide_proposal(now, task, verdict, DecideReason::Operator);
        true
    }
}

/// Why a task skipped as a branch not taken was skipped, in words.
pub fn branch_text(coord: &Coordinator, decision: TaskId) -> String {
    let name = coord.task_name(decision);
    match coord.state().votes.ballots.get(&decision).map(|b| b.phase) {
        Some(Phase::Decided { verdict: Verdict::Approved, .. }) => format!("not taken: `{name}` approved its proposal"),
        _ => format!("rejected by `{name}`"),
    }
}

/// Folds a decision task's event into the run's state: a decision task waits for its votes as a
/// ready task no agent can take.
pub(crate) fn apply(s: &mut crate::core::state::State, now: u64, kind: &EventKind) {
    if let EventKind::Vote(VoteEvent::BallotOpened { task, .. }) = *kind {
        s.tasks[task.ix()].state = crate::core::TaskState::Ready;
    }
    s.votes.apply(now, kind, &mut s.timers);
}
