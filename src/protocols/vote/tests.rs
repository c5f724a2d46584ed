//! Decision tasks: the counting rule at its edges, and ballots driven through the simulation
//! driver (gating, ties, deadlines, crashed voters, operator votes and vetoes, replay).

use crate::core::event::VoteEvent;
use std::collections::BTreeMap;

use crate::core::event::{OpAction, SkipReason, TaskFailure};
use crate::core::tests::{agent, replay_at_every_step, run, scenario, task};
use crate::core::*;
use crate::protocols::vote::{Choice, Count, DecideReason, Tally, Verdict, count, forced};
use crate::runtime::SimRun;
use crate::scenario::*;

fn tally(yes: f64, no: f64, abstain: f64, total: f64) -> Tally {
    Tally { yes, no, abstain, total }
}

#[test]
fn the_rule_at_its_edges() {
    // Exactly at the threshold is a tie; just above approves, just below rejects.
    assert_eq!(count(&tally(1.0, 1.0, 0.0, 2.0), 0.5, 0.5), Count::Tie);
    assert_eq!(count(&tally(3.0, 1.0, 0.0, 4.0), 0.75, 0.5), Count::Tie);
    assert_eq!(count(&tally(3.0, 1.0, 0.0, 4.0), 0.7, 0.5), Count::Approved);
    assert_eq!(count(&tally(3.0, 1.0, 0.0, 4.0), 0.8, 0.5), Count::Rejected);
    // 0.1 + 0.2 is not 0.3 in floating point, yet a share of exactly 0.3 is a tie.
    assert_eq!(count(&tally(0.1 + 0.2, 0.7, 0.0, 1.0), 0.3, 0.5), Count::Tie);
    // Exactly at the quorum is enough; just under is not. Abstentions count towards it.
    assert_eq!(count(&tally(1.0, 0.0, 1.0, 4.0), 0.5, 0.5), Count::Approved);
    assert_eq!(count(&tally(1.0, 0.0, 0.9, 4.0), 0.5, 0.5), Count::NoQuorum);
    // Everyone abstains: no yes, no no — a tie, not an approval.
    assert_eq!(count(&tally(0.0, 0.0, 3.0, 3.0), 0.5, 0.5), Count::Tie);
    // Weights: one heavy no outweighs two light yeses.
    assert_eq!(count(&tally(2.0, 3.0, 0.0, 5.0), 0.5, 0.5), Count::Rejected);
    // Quorum 0 is met by nobody; threshold 1 needs unanimity and then ties.
    assert_eq!(count(&tally(0.0, 0.0, 0.0, 3.0), 0.5, 0.0), Count::Tie);
    assert_eq!(count(&tally(3.0, 0.0, 0.0, 3.0), 1.0, 1.0), Count::Tie);
    assert_eq!(count(&tally(3.0, 0.0, 0.0, 3.0), 0.99, 1.0), Count::Approved);
}

#[test]
fn a_ballot_closes_early_only_when_nothing_left_can_change_it() {
    // 3 of 5 voted yes, 2 outstanding: even two no keep the share at 0.6 > 0.5.
    assert_eq!(forced(&tally(3.0, 0.0, 0.0, 5.0), 2.0, 0.5, 0.5), Some(Count::Approved));
    // 2 yes, 1 no, 2 outstanding: could still end 2:3.
    assert_eq!(forced(&tally(2.0, 1.0, 0.0, 5.0), 2.0, 0.5, 0.5), None);
    // 0 yes, 3 no: two more yes make 2:3, still below.
    assert_eq!(forced(&tally(0.0, 3.0, 0.0, 5.0), 2.0, 0.5, 0.5), Some(Count::Rejected));
    // The quorum can no longer be reached (only 1 of 4 can still vote, 3 needed).
    assert_eq!(forced(&tally(1.0, 0.0, 0.0, 4.0), 1.0, 0.5, 0.9), Some(Count::NoQuorum));
    // Quorum not met yet but reachable: wait.
    assert_eq!(forced(&tally(1.0, 0.0, 0.0, 4.0), 3.0, 0.5, 0.5), None);
    // Only abstentions so far: a yes or a no could still come.
    assert_eq!(forced(&tally(0.0, 0.0, 3.0, 4.0), 1.0, 0.5, 0.5), None);
    // Everyone voted: the rule itself.
    assert_eq!(forced(&tally(1.0, 1.0, 0.0, 2.0), 0.0, 0.5, 0.5), Some(Count::Tie));
}

fn voter(id: &str, approve_rate: f64, abstain_rate: f64) -> AgentSpec {
    let mut a = agent(id, &["review"], 1, 100.0, 0.0);
    a.profile.approve_rate = approve_rate;
    a.profile.abstain_rate = abstain_rate;
    a
}

fn decision(deps: &[&str], voters: &[&str], on_reject: &[&str]) -> TaskSpec {
    let mut t = task("vote", "", deps);
    t.extras_mut().decision = Some(Box::new(DecisionSpec {
        proposal: "ship it?".into(),
        voters: Voters::Agents(voters.iter().map(|v| v.to_string()).collect()),
        on_reject: on_reject.iter().map(|r| r.to_string()).collect(),
        ..Default::default()
    }));
    t
}

fn spec(s: &mut Scenario) -> &mut DecisionSpec {
    s.tasks.iter_mut().find_map(|t| t.extras_mut().decision.as_deref_mut()).unwrap()
}

/// build → vote → deploy, with rollback as the on_reject branch; `a`, `b` and `c` vote.
fn release(rates: [(f64, f64); 3]) -> Scenario {
    let mut agents = vec![agent("w", &["x"], 2, 100.0, 0.0)];
    agents.extend(["a", "b", "c"].iter().zip(rates).map(|(id, (y, ab))| voter(id, y, ab)));
    let tasks = vec![
        task("build", "x", &[]),
        decision(&["build"], &["a", "b", "c"], &["rollback"]),
        task("deploy", "x", &["vote"]),
        task("rollback", "x", &["vote"]),
        task("after-deploy", "x", &["deploy"]),
    ];
    scenario(agents, tasks)
}

const YES: (f64, f64) = (1.0, 0.0);
const NO: (f64, f64) = (0.0, 0.0);
const ABSTAIN: (f64, f64) = (1.0, 1.0);

fn decided(events: &[Event]) -> Vec<(Verdict, DecideReason, f64, f64, f64, bool)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Vote(VoteEvent::ProposalDecided { verdict, reason, yes, no, abstain, quorum, .. }) => {
                Some((verdict, reason, yes, no, abstain, quorum))
            }
            _ => None,
        })
        .collect()
}

fn skips(events: &[Event]) -> Vec<(TaskId, TaskId, SkipReason)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TaskSkipped { task, cause, reason } => Some((task, cause, reason)),
            _ => None,
        })
        .collect()
}

fn outcome(events: &[Event]) -> Outcome {
    match events.last().unwrap().kind {
        EventKind::RunFinished { outcome, .. } => outcome,
        ref k => panic!("last event is {k:?}"),
    }
}

fn state_of(r: &SimRun, name: &str) -> TaskState {
    let i = r.coordinator().scenario().tasks.iter().position(|t| t.id == name).unwrap();
    r.coordinator().state().tasks[i].state
}

#[test]
fn approval_runs_the_dependents_and_skips_the_on_reject_branch_as_not_taken() {
    let (r, events) = replay_at_every_step(release([YES, YES, NO]));
    // Two yes of three settle it, whenever the no arrives.
    let (verdict, reason, yes, ..) = decided(&events)[0];
    assert_eq!((verdict, reason, yes), (Verdict::Approved, DecideReason::Threshold, 2.0));
    assert_eq!(skips(&events), vec![(TaskId(3), TaskId(1), SkipReason::NotTaken)]);
    assert_eq!(state_of(&r, "vote"), TaskState::Completed);
    assert_eq!(state_of(&r, "after-deploy"), TaskState::Completed);
    // A branch not taken is not a failure.
    assert_eq!(outcome(&events), Outcome::Succeeded);
    // Every voter got a ballot message and answered with a vote.
    let count = |k: MsgKind| r.coordinator().state().bus.of_kind(k);
    assert_eq!((count(MsgKind::Ballot), count(MsgKind::Vote)), (3, 3));
}

#[test]
fn rejection_takes_the_on_reject_branch_and_skips_the_rest_as_rejected() {
    let (r, events) = replay_at_every_step(release([NO, NO, YES]));
    assert_eq!(decided(&events)[0].0, Verdict::Rejected);
    // deploy and what follows it are skipped, naming the decision.
    assert_eq!(
        skips(&events),
        vec![(TaskId(2), TaskId(1), SkipReason::Rejected), (TaskId(4), TaskId(1), SkipReason::Rejected)]
    );
    assert_eq!(state_of(&r, "rollback"), TaskState::Completed);
    assert_eq!(outcome(&events), Outcome::Succeeded);
}

#[test]
fn rejection_without_on_reject_fails_the_decision_and_its_dependents() {
    let mut s = release([NO, NO, NO]);
    spec(&mut s).on_reject.clear();
    let (r, events) = run(s);
    assert!(events.iter().any(|e| e.kind == EventKind::TaskFailed { task: TaskId(1), reason: TaskFailure::Rejected }));
    assert!(
        skips(&events).iter().all(|&(_, cause, reason)| cause == TaskId(1) && reason == SkipReason::UpstreamFailed)
    );
    assert_eq!(skips(&events).len(), 3);
    assert_eq!(state_of(&r, "vote"), TaskState::Failed);
    assert_eq!(outcome(&events), Outcome::Failed);
}

#[test]
fn the_tie_rule_decides_a_tie_each_way() {
    for (tie, verdict) in [(TieRule::Reject, Verdict::Rejected), (TieRule::Approve, Verdict::Approved)] {
        let mut s = release([YES, NO, ABSTAIN]);
        spec(&mut s).tie = tie;
        let (_, events) = run(s);
        assert_eq!(decided(&events), vec![(verdict, DecideReason::Tie, 1.0, 1.0, 1.0, true)], "{tie:?}");
    }
}

#[test]
fn all_abstaining_is_a_tie() {
    let (_, events) = run(release([ABSTAIN, ABSTAIN, ABSTAIN]));
    assert_eq!(decided(&events), vec![(Verdict::Rejected, DecideReason::Tie, 0.0, 0.0, 3.0, true)]);
}

#[test]
fn weights_count_by_weight() {
    let (_, events) = run(release([YES, NO, NO]));
    assert_eq!(decided(&events)[0].0, Verdict::Rejected);
    let mut s = release([YES, NO, NO]);
    spec(&mut s).weights = BTreeMap::from([("a".to_string(), 3.0)]);
    let (_, events) = run(s);
    // The heavy yes outweighs both no (the ballot may close before they arrive: 3 of 5 settles it).
    let (verdict, reason, yes, ..) = decided(&events)[0];
    assert_eq!((verdict, reason, yes), (Verdict::Approved, DecideReason::Threshold, 3.0));
}

#[test]
fn a_tie_under_escalate_goes_to_the_inbox_and_the_operator_decides() {
    let mut s = release([YES, NO, ABSTAIN]);
    spec(&mut s).tie = TieRule::Escalate;
    let mut r = SimRun::new(s.clone());
    let mut events = Vec::new();
    while r.coordinator().state().inbox.is_empty() {
        r.step(&mut events).unwrap();
    }
    assert!(decided(&events).is_empty());
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::TaskEscalated { origin: Origin::Vote, .. })));
    r.operator(OpAction::CastVote(TaskId(1), Choice::No), "op", None, &mut events).unwrap().unwrap();
    r.run(&mut events).unwrap();
    assert_eq!(decided(&events), vec![(Verdict::Rejected, DecideReason::Operator, 1.0, 1.0, 1.0, true)]);
    assert!(r.coordinator().state().inbox.is_empty());
    assert_eq!(state_of(&r, "rollback"), TaskState::Completed);
    let rebuilt = Coordinator::from_events(s, &events);
    assert_eq!(rebuilt.state().digest(), r.coordinator().state().digest());
}

#[test]
fn a_crashed_voter_does_not_vote_and_the_deadline_closes_without_quorum() {
    let mut s = release([YES, YES, NO]);
    spec(&mut s).quorum = 0.9;
    spec(&mut s).deadline_ms = 500;
    // The ballot opens at 100 ms; `a` crashes before its answer (at least 40 ms later).
    s.faults = vec![FaultSpec { at_ms: 110, action: FaultAction::Crash("a".into()) }];
    let (_, events) = replay_at_every_step(s);
    let (verdict, reason, yes, no, _, quorum) = decided(&events)[0];
    assert_eq!((verdict, reason, yes, no, quorum), (Verdict::Rejected, DecideReason::NoQuorum, 1.0, 1.0, false));
    let at = events.iter().find(|e| matches!(e.kind, EventKind::Vote(VoteEvent::ProposalDecided { .. }))).unwrap().t_ms;
    assert_eq!(at, 600, "closed at the deadline, not early");
}

#[test]
fn voters_down_at_the_opening_are_unreached_and_can_settle_it_at_once() {
    let mut s = release([YES, YES, YES]);
    s.faults = vec![
        FaultSpec { at_ms: 50, action: FaultAction::Crash("a".into()) },
        FaultSpec { at_ms: 50, action: FaultAction::Crash("b".into()) },
    ];
    let (r, events) = run(s);
    let opened = events.iter().find_map(|e| match &e.kind {
        EventKind::Vote(VoteEvent::BallotOpened { unreached, .. }) => Some((e.t_ms, unreached.to_vec())),
        _ => None,
    });
    assert_eq!(opened, Some((100, vec![AgentId(1), AgentId(2)])));
    // 1 of 3 can vote, the quorum needs 1.5: decided on the spot, no ballot to the down voters.
    let (verdict, reason, ..) = decided(&events)[0];
    assert_eq!((verdict, reason), (Verdict::Rejected, DecideReason::NoQuorum));
    let at = events.iter().find(|e| matches!(e.kind, EventKind::Vote(VoteEvent::ProposalDecided { .. }))).unwrap().t_ms;
    assert_eq!(at, 100);
    assert_eq!(r.coordinator().state().bus.of_kind(MsgKind::Ballot), 1);
}

/// Runs until the decision's ballot is open.
fn until_ballot(s: Scenario) -> (SimRun, Vec<Event>) {
    let mut r = SimRun::new(s);
    let mut events = Vec::new();
    while r.coordinator().state().votes.open(TaskId(1)).is_none() {
        r.step(&mut events).unwrap();
    }
    (r, events)
}

#[test]
fn the_operator_can_cast_a_deciding_vote_or_veto() {
    let (mut r, mut events) = until_ballot(release([NO, NO, NO]));
    r.operator(OpAction::CastVote(TaskId(1), Choice::Yes), "op", Some("ship"), &mut events).unwrap().unwrap();
    let cast = events.iter().rev().find_map(|e| match e.kind {
        EventKind::Vote(VoteEvent::VoteCast { voter, choice, .. }) => Some((voter, choice)),
        _ => None,
    });
    assert_eq!(cast, Some((None, Choice::Yes)));
    r.run(&mut events).unwrap();
    // Decided before any voter answered: nothing counted, no quorum, the operator's word.
    assert_eq!(decided(&events), vec![(Verdict::Approved, DecideReason::Operator, 0.0, 0.0, 0.0, false)]);
    assert_eq!(state_of(&r, "deploy"), TaskState::Completed);

    let (mut r, mut events) = until_ballot(release([YES, YES, YES]));
    r.operator(OpAction::Veto(TaskId(1)), "op", None, &mut events).unwrap().unwrap();
    r.run(&mut events).unwrap();
    assert_eq!(decided(&events)[0].1, DecideReason::Veto);
    assert_eq!(state_of(&r, "deploy"), TaskState::Skipped);
    // The voters' late votes are not counted.
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::Vote(VoteEvent::VoteCast { voter: Some(_), .. }))));
}

#[test]
fn vote_and_veto_are_refused_where_there_is_nothing_to_decide() {
    let (mut r, mut events) = until_ballot(release([YES, YES, YES]));
    let mut refused = |r: &mut SimRun, action| r.operator(action, "op", None, &mut events).unwrap().unwrap_err();
    assert_eq!(refused(&mut r, OpAction::Veto(TaskId(0))), Refusal::NotDecision(TaskId(0)));
    assert_eq!(refused(&mut r, OpAction::Hold(TaskId(1))), Refusal::DecisionTask(TaskId(1)));
    assert_eq!(refused(&mut r, OpAction::Escalate(TaskId(1))), Refusal::DecisionTask(TaskId(1)));
    r.operator(OpAction::Veto(TaskId(1)), "op", None, &mut Vec::new()).unwrap().unwrap();
    assert_eq!(refused(&mut r, OpAction::CastVote(TaskId(1), Choice::Yes)), Refusal::NoBallot(TaskId(1)));
}

#[test]
fn an_operator_retry_of_a_rejected_decision_opens_a_new_ballot() {
    let mut s = release([NO, NO, NO]);
    spec(&mut s).on_reject.clear();
    let (mut r, mut events) = run(s.clone());
    r.operator(OpAction::Retry(TaskId(1)), "op", None, &mut events).unwrap().unwrap();
    let round = r.coordinator().state().votes.ballots[&TaskId(1)].round;
    assert_eq!(round, 2);
    r.run(&mut events).unwrap();
    assert_eq!(decided(&events).len(), 2);
    let rebuilt = Coordinator::from_events(s, &events);
    assert_eq!(rebuilt.state().digest(), r.coordinator().state().digest());
}

#[test]
fn vote_messages_keep_the_payload_small() {
    // `Payload` is copied on every send: the vote variants must not grow it (32 bytes before them).
    assert!(std::mem::size_of::<Payload>() <= 32, "{}", std::mem::size_of::<Payload>());
}
