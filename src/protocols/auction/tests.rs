//! Auction rules, driven by hand: scoring and tie-breaks, validity, early close, late bids,
//! re-announcement and escalation, the operator's award and reopen. Every step also checks that
//! folding the events rebuilds the same state.

use crate::core::event::AuctionEvent;
use crate::core::tests::{agent, scenario, task};
use crate::core::*;
use crate::protocols::auction::{AwardBy, BidFlaw, BidRec, NoAward, Then, rank};
use crate::scenario::{AuctionSpec, Scenario, Strategy, Weights};

struct H {
    c: Coordinator,
    events: Vec<Event>,
    sent: Vec<Message>,
}

impl H {
    fn new(s: Scenario) -> H {
        let mut h = H { c: Coordinator::new(s), events: Vec::new(), sent: Vec::new() };
        h.step(|c| c.start(0));
        h
    }

    /// Runs `f`, collects its events and messages, and checks the rebuilt state.
    fn step(&mut self, f: impl FnOnce(&mut Coordinator)) -> Vec<Event> {
        f(&mut self.c);
        let new: Vec<Event> = self.c.drain_events().collect();
        self.events.extend(new.iter().cloned());
        self.sent.extend(std::iter::from_fn(|| self.c.poll_transmit()));
        let rebuilt = Coordinator::from_events(self.c.scenario().clone(), &self.events);
        assert_eq!(rebuilt.state().digest(), self.c.state().digest(), "after {} events", self.events.len());
        new
    }

    fn bid(&mut self, now: u64, a: u32, auction: u32, price: f64, eta_ms: u32, confidence: f64) -> Vec<Event> {
        let p = Payload::Bid { auction, eta_ms, price, confidence };
        self.step(|c| c.handle_message(now, Message::from_agent(AgentId(a), MsgKind::Bid, None, p)))
    }

    fn decline(&mut self, now: u64, a: u32, auction: u32) -> Vec<Event> {
        let p = Payload::Decline { auction, reason: "busy" };
        self.step(|c| c.handle_message(now, Message::from_agent(AgentId(a), MsgKind::Decline, None, p)))
    }

    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a EventKind> + 'a {
        self.events.iter().filter(move |e| e.kind.name() == name).map(|e| &e.kind)
    }
}

fn auction_scenario(agents: usize, spec: AuctionSpec) -> Scenario {
    let agents = (0..agents).map(|i| agent(&format!("a{i}"), &["x"], 1, 100.0, 0.0)).collect();
    let mut s = scenario(agents, vec![task("t", "x", &[])]);
    s.allocation = Strategy::Auction;
    s.auction = spec;
    s
}

fn bid(agent: u32, price: f64, eta_ms: u64, confidence: f64) -> BidRec {
    BidRec { agent: AgentId(agent), price, eta_ms, confidence, flaw: None }
}

#[test]
fn score_weighs_relative_price_time_and_confidence_over_valid_bids() {
    let w = Weights::default();
    let mut cheap_but_flawed = bid(2, 0.5, 10, 1.0);
    cheap_but_flawed.flaw = Some(BidFlaw::BelowMinConfidence);
    let r = rank(&[bid(0, 2.0, 100, 0.5), bid(1, 4.0, 50, 1.0), cheap_but_flawed], &w);
    // a0: 0.4·1 + 0.3·0.5 + 0.3·0.5 = 0.7; a1: 0.4·0.5 + 0.3·1 + 0.3·1 = 0.8; a2 sets no minimum.
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].0, AgentId(1));
    assert!((r[0].1 - 0.8).abs() < 1e-12 && (r[1].1 - 0.7).abs() < 1e-12, "{r:?}");
}

#[test]
fn ties_go_to_lower_price_then_lower_eta_then_scenario_order() {
    let conf_only = Weights { price: 0.0, time: 0.0, confidence: 1.0 };
    let first = |bids: &[BidRec]| rank(bids, &conf_only)[0].0;
    assert_eq!(first(&[bid(0, 3.0, 10, 0.9), bid(1, 2.0, 99, 0.9)]), AgentId(1), "lower price");
    assert_eq!(first(&[bid(0, 2.0, 50, 0.9), bid(1, 2.0, 40, 0.9)]), AgentId(1), "lower eta");
    assert_eq!(first(&[bid(3, 2.0, 40, 0.9), bid(1, 2.0, 40, 0.9), bid(2, 2.0, 40, 0.9)]), AgentId(1), "order");
    assert_eq!(first(&[bid(0, 9.0, 90, 0.95), bid(1, 1.0, 1, 0.9)]), AgentId(0), "score first");
}

#[test]
fn an_open_auction_is_not_dispatched_again_and_closes_early_once_everyone_answered() {
    let mut h = H::new(auction_scenario(3, AuctionSpec::default()));
    let opened: Vec<_> = h.named("auction_opened").cloned().collect();
    assert_eq!(opened.len(), 1);
    let EventKind::Auction(AuctionEvent::AuctionOpened { auction, ref invited, closes_ms, round, .. }) = opened[0]
    else {
        unreachable!()
    };
    assert_eq!((auction, round, closes_ms, invited.len()), (1, 1, 200, 3));
    assert_eq!(h.sent.iter().filter(|m| m.kind == MsgKind::Cfp).count(), 3);
    h.bid(10, 0, 1, 2.0, 100, 0.5);
    h.step(|c| {
        c.handle_message(
            11,
            Message::from_agent(AgentId(2), MsgKind::Heartbeat, None, Payload::Heartbeat { running: 0 }),
        )
    });
    assert_eq!(h.named("auction_opened").count(), 1, "no second auction while the first is open");
    assert_eq!(h.named("task_assigned").count(), 0);
    h.decline(20, 2, 1);
    let ev = h.bid(30, 1, 1, 4.0, 50, 1.0);
    let kinds: Vec<&str> = ev.iter().map(|e| e.kind.name()).collect();
    assert!(kinds.starts_with(&["message_sent", "bid_received", "auction_awarded"]), "{kinds:?}");
    let award = h.named("auction_awarded").next().unwrap().clone();
    let EventKind::Auction(AuctionEvent::AuctionAwarded { agent, by, ref ranking, .. }) = award else { unreachable!() };
    assert_eq!((agent, by, ranking.len()), (AgentId(1), AwardBy::Score, 2));
    assert!(matches!(
        h.named("task_assigned").next(),
        Some(EventKind::TaskAssigned { agent: AgentId(1), strategy: Some(Strategy::Auction), .. })
    ));
    assert!(h.sent.iter().any(|m| m.kind == MsgKind::Award && m.to == Endpoint::Agent(AgentId(1))));
}

#[test]
fn the_window_closes_on_time_and_later_bids_are_recorded_as_late() {
    let mut h = H::new(auction_scenario(2, AuctionSpec::default()));
    h.bid(50, 1, 1, 3.0, 100, 0.7);
    assert_eq!(h.c.poll_timeout(), Some(200));
    h.step(|c| c.handle_timeout(200));
    assert!(matches!(
        h.named("auction_awarded").next(),
        Some(EventKind::Auction(AuctionEvent::AuctionAwarded { agent: AgentId(1), .. }))
    ));
    let ev = h.bid(210, 0, 1, 0.1, 1, 1.0);
    assert!(
        matches!(ev[1].kind, EventKind::Auction(AuctionEvent::BidReceived { flaw: Some(BidFlaw::Late), .. })),
        "{ev:?}"
    );
    assert_eq!(h.named("auction_awarded").count(), 1);
}

#[test]
fn flawed_bids_are_recorded_but_never_win() {
    let spec = AuctionSpec { min_confidence: 0.6, ..AuctionSpec::default() };
    let mut h = H::new(auction_scenario(5, spec));
    h.bid(1, 0, 1, 1.0, 100, 0.59);
    h.bid(2, 1, 1, 0.0, 100, 0.9);
    h.bid(3, 2, 1, 1.0, 0, 0.9);
    h.bid(4, 3, 1, 1.0, 100, 1.5);
    h.bid(5, 3, 1, 1.0, 100, 0.9);
    let flaws: Vec<Option<BidFlaw>> = h
        .named("bid_received")
        .map(|k| match k {
            EventKind::Auction(AuctionEvent::BidReceived { flaw, .. }) => *flaw,
            _ => unreachable!(),
        })
        .collect();
    use BidFlaw::*;
    assert_eq!(flaws, [Some(BelowMinConfidence), Some(BadPrice), Some(BadEta), Some(BadConfidence), Some(Duplicate)]);
    h.bid(6, 4, 1, 50.0, 5000, 0.6);
    // Everyone answered: the only valid bid, a4's, wins, however poor.
    assert!(matches!(
        h.named("auction_awarded").next(),
        Some(EventKind::Auction(AuctionEvent::AuctionAwarded { agent: AgentId(4), .. }))
    ));
}

#[test]
fn a_winner_that_went_down_is_passed_over_for_the_next_best() {
    let mut h = H::new(auction_scenario(2, AuctionSpec::default()));
    h.bid(1, 0, 1, 1.0, 10, 1.0);
    h.bid(2, 1, 1, 5.0, 50, 0.5);
    // Both answered: awarded at once… unless the best bidder is down. Reopen to test that path.
    let EventKind::Auction(AuctionEvent::AuctionAwarded { agent, .. }) =
        h.named("auction_awarded").next().unwrap().clone()
    else {
        unreachable!()
    };
    assert_eq!(agent, AgentId(0));
    let mut h = H::new(auction_scenario(3, AuctionSpec::default()));
    h.bid(1, 0, 1, 1.0, 10, 1.0);
    h.bid(2, 1, 1, 5.0, 50, 0.5);
    h.step(|c| c.handle_command(3, Command::CrashAgent(AgentId(0)), Origin::Scenario));
    h.step(|c| c.handle_timeout(200));
    let EventKind::Auction(AuctionEvent::AuctionAwarded { agent, ref passed, ref ranking, .. }) =
        h.named("auction_awarded").next().unwrap().clone()
    else {
        unreachable!()
    };
    assert_eq!((agent, &passed[..], ranking[0].0), (AgentId(1), &[AgentId(0)][..], AgentId(0)));
}

#[test]
fn no_valid_bid_reannounces_then_escalates_with_the_record() {
    let spec = AuctionSpec { max_rounds: 2, reannounce_ms: 300, ..AuctionSpec::default() };
    let mut h = H::new(auction_scenario(2, spec));
    h.decline(5, 0, 1);
    let ev = h.decline(6, 1, 1);
    let no = ev.iter().find(|e| e.kind.name() == "auction_no_award").unwrap();
    assert!(matches!(
        no.kind,
        EventKind::Auction(AuctionEvent::AuctionNoAward {
            round: 1,
            reason: NoAward::NoBids,
            then: Then::Reannounce { at_ms: 306 },
            ..
        })
    ));
    assert_eq!(h.c.state().tasks[0].state, TaskState::Retrying);
    assert_eq!(h.c.poll_timeout(), Some(306));
    h.step(|c| c.handle_timeout(306));
    assert!(matches!(
        h.named("auction_opened").nth(1),
        Some(EventKind::Auction(AuctionEvent::AuctionOpened { auction: 2, round: 2, .. }))
    ));
    h.bid(310, 0, 2, 1.0, 10, 1.0);
    h.step(|c| c.handle_command(311, Command::CrashAgent(AgentId(0)), Origin::Scenario));
    h.step(|c| c.handle_timeout(506));
    let last = h.named("auction_no_award").last().unwrap().clone();
    assert!(matches!(
        last,
        EventKind::Auction(AuctionEvent::AuctionNoAward {
            round: 2,
            reason: NoAward::NoAvailableBidder,
            then: Then::Escalate,
            ..
        })
    ));
    let Some(EventKind::TaskEscalated { origin, context: Some(ctx), .. }) = h.named("task_escalated").next() else {
        panic!("not escalated: {:?}", h.events)
    };
    assert_eq!(*origin, Origin::Auction);
    let note = ctx.note.as_deref().unwrap();
    assert!(
        note.contains("2 round(s)") && note.contains("a0 bid 1.00") && note.contains("a1 did not answer"),
        "{note}"
    );
    assert_eq!(h.c.state().tasks[0].state, TaskState::Escalated);
}

#[test]
fn the_operator_awards_to_another_valid_bidder_and_is_refused_otherwise() {
    let mut s = auction_scenario(3, AuctionSpec::default());
    s.tasks.push(task("plain", "y", &[]));
    s.tasks[1].allocation = Some(Strategy::LeastLoaded);
    s.agents.push(agent("other", &["y"], 1, 100.0, 0.0));
    let mut h = H::new(s);
    let t = TaskId(0);
    h.bid(1, 0, 1, 1.0, 10, 1.0);
    h.bid(2, 1, 1, 2.0, 20, 0.9);
    h.decline(3, 2, 1);
    let running_on = |h: &H| h.c.state().tasks[0].agent;
    let winner = running_on(&h).unwrap();
    let other = if winner == AgentId(0) { AgentId(1) } else { AgentId(0) };
    let refuse = |h: &mut H, action| {
        let mut r = None;
        h.step(|c| r = c.handle_operator(4, action, "op", None).err());
        r
    };
    assert_eq!(refuse(&mut h, OpAction::Award(t, AgentId(2))), Some(Refusal::NoValidBid(t, AgentId(2))));
    assert_eq!(refuse(&mut h, OpAction::Award(t, AgentId(3))), Some(Refusal::NoValidBid(t, AgentId(3))));
    assert_eq!(refuse(&mut h, OpAction::Award(t, winner)), Some(Refusal::AlreadyOnAgent(t, winner)));
    assert_eq!(refuse(&mut h, OpAction::Award(TaskId(1), AgentId(0))), Some(Refusal::NotAuctioned(TaskId(1))));
    assert_eq!(refuse(&mut h, OpAction::Reopen(t)), Some(Refusal::TaskRunning(t, winner)));
    let ev = h.step(|c| c.handle_operator(5, OpAction::Award(t, other), "op", Some("cheaper")).unwrap());
    let kinds: Vec<&str> = ev.iter().map(|e| e.kind.name()).filter(|k| *k != "message_sent").collect();
    assert_eq!(kinds[..4], ["operator_action", "attempt_failed", "auction_awarded", "task_assigned"]);
    assert!(
        ev.iter().any(
            |e| matches!(e.kind, EventKind::Auction(AuctionEvent::AuctionAwarded { by: AwardBy::Operator, agent, .. }) if agent == other)
        )
    );
    assert_eq!(running_on(&h), Some(other));
}

#[test]
fn reopen_closes_the_open_auction_and_starts_again_from_round_one() {
    let spec = AuctionSpec { max_rounds: 1, ..AuctionSpec::default() };
    let mut h = H::new(auction_scenario(2, spec));
    h.step(|c| c.handle_operator(1, OpAction::Reopen(TaskId(0)), "op", None).unwrap());
    assert!(matches!(
        h.named("auction_no_award").next(),
        Some(EventKind::Auction(AuctionEvent::AuctionNoAward {
            auction: 1,
            reason: NoAward::Reopened,
            then: Then::Stop,
            ..
        }))
    ));
    assert!(matches!(
        h.named("auction_opened").nth(1),
        Some(EventKind::Auction(AuctionEvent::AuctionOpened { auction: 2, round: 1, .. }))
    ));
    // Round 1 of 1 awards nothing: escalated; a reopen from the inbox starts a fresh round 1.
    h.step(|c| c.handle_timeout(201));
    assert_eq!(h.c.state().tasks[0].state, TaskState::Escalated);
    h.step(|c| c.handle_operator(300, OpAction::Reopen(TaskId(0)), "op", None).unwrap());
    assert!(matches!(
        h.named("auction_opened").nth(2),
        Some(EventKind::Auction(AuctionEvent::AuctionOpened { auction: 3, round: 1, .. }))
    ));
    assert_eq!(h.c.state().inbox.len(), 0);
}

#[test]
fn a_payload_stays_small_and_copyable() {
    fn copy<T: Copy>() {}
    copy::<Payload>();
    assert!(std::mem::size_of::<Payload>() <= 32, "{}", std::mem::size_of::<Payload>());
}
