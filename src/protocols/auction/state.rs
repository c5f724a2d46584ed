//! Contract-net auctions (`allocation: "auction"`): a ready task is announced to every capable
//! agent that is up (`cfp`); they bid (price, estimated time, confidence) or decline until the
//! bid window closes (or everyone answered); the best score among the valid bids wins, and the
//! award goes through the ordinary `assign`, so attempts, timeouts, retries and ladders apply
//! unchanged. A round without a winner is announced again after `reannounce_ms`, up to
//! `max_rounds`, then the task is escalated with the auction's record.
//!
//! The record of every auction ([`AuctionState`]) is a fold of the `auction_*` and `bid_*`
//! events; the decisions here read it and emit those events. Runs without auctions never touch
//! it beyond an `is_empty` check.

use crate::core::event::AuctionEvent;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use crate::core::bus::{Endpoint, MsgKind, Payload};
use crate::core::event::{EventKind, Origin};
use crate::core::health::BreakerState;
use crate::core::ids::{AgentId, TaskId};
use crate::core::state::{State, TaskState};
use crate::core::timers::Timer;
use crate::core::{Coordinator, clock};
use crate::scenario::{AuctionSpec, Strategy, Weights};

/// Why a bid does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BidFlaw {
    /// It arrived after the auction closed.
    Late,
    /// The agent was not called for proposals in this auction.
    NotInvited,
    /// The agent had answered already.
    Duplicate,
    /// The price is not a number above 0.
    BadPrice,
    /// The estimated time is 0.
    BadEta,
    /// The confidence is not within 0..=1.
    BadConfidence,
    /// The confidence is below the auction's `min_confidence`.
    BelowMinConfidence,
}

impl BidFlaw {
    pub const ALL: [BidFlaw; 7] = [
        BidFlaw::Late,
        BidFlaw::NotInvited,
        BidFlaw::Duplicate,
        BidFlaw::BadPrice,
        BidFlaw::BadEta,
        BidFlaw::BadConfidence,
        BidFlaw::BelowMinConfidence,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BidFlaw::Late => "late",
            BidFlaw::NotInvited => "not_invited",
            BidFlaw::Duplicate => "duplicate",
            BidFlaw::BadPrice => "bad_price",
            BidFlaw::BadEta => "bad_eta",
            BidFlaw::BadConfidence => "bad_confidence",
            BidFlaw::BelowMinConfidence => "below_min_confidence",
        }
    }

    pub fn from_name(s: &str) -> Option<BidFlaw> {
        BidFlaw::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Who chose the winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AwardBy {
    Score,
    Operator,
}

impl AwardBy {
    pub fn name(self) -> &'static str {
        match self {
            AwardBy::Score => "score",
            AwardBy::Operator => "operator",
        }
    }
}

/// Why an auction closed without a winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoAward {
    /// No capable agent was up to call.
    NoBidders,
    /// Every invitee declined or stayed silent.
    NoBids,
    /// Bids came, none valid.
    NoValidBid,
    /// Every valid bidder was down or full when the auction closed.
    NoAvailableBidder,
    /// The task was held, cancelled or given to an agent by hand meanwhile.
    Withdrawn,
    /// An operator reopened the auction.
    Reopened,
}

impl NoAward {
    pub const ALL: [NoAward; 6] = [
        NoAward::NoBidders,
        NoAward::NoBids,
        NoAward::NoValidBid,
        NoAward::NoAvailableBidder,
        NoAward::Withdrawn,
        NoAward::Reopened,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NoAward::NoBidders => "no_bidders",
            NoAward::NoBids => "no_bids",
            NoAward::NoValidBid => "no_valid_bid",
            NoAward::NoAvailableBidder => "no_available_bidder",
            NoAward::Withdrawn => "withdrawn",
            NoAward::Reopened => "reopened",
        }
    }

    pub fn from_name(s: &str) -> Option<NoAward> {
        NoAward::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// What follows an auction without a winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Then {
    /// The task waits (as `retrying`) and is announced again, next round, at `at_ms`.
    Reannounce { at_ms: u64 },
    /// `max_rounds` rounds awarded nothing: the task goes to the inbox.
    Escalate,
    /// Nothing automatic (the auction was withdrawn or reopened).
    Stop,
}

impl Then {
    pub fn name(self) -> &'static str {
        match self {
            Then::Reannounce { .. } => "reannounce",
            Then::Escalate => "escalate",
            Then::Stop => "none",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BidRec {
    pub agent: AgentId,
    pub price: f64,
    pub eta_ms: u64,
    pub confidence: f64,
    pub flaw: Option<BidFlaw>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    Open,
    Awarded { agent: AgentId, score: f64, by: AwardBy },
    NoAward { reason: NoAward, then: Then },
}

/// One round of one task's auction, as the events tell it.
#[derive(Debug, Clone, PartialEq)]
pub struct Auction {
    pub id: u32,
    pub task: TaskId,
    pub round: u32,
    pub invited: Arc<[AgentId]>,
    pub opened_ms: u64,
    pub closes_ms: u64,
    pub closed_ms: Option<u64>,
    pub bids: Vec<BidRec>,
    pub declines: Vec<(AgentId, Arc<str>)>,
    pub phase: Phase,
    /// Valid bids, best first, with their scores (set when the auction closes).
    pub ranking: Arc<[(AgentId, f64)]>,
    /// Better bidders passed over because they could not take the task.
    pub passed: Arc<[AgentId]>,
}

impl Auction {
    pub fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    /// Whether the agent answered (a bid in time, or a decline).
    fn answered(&self, agent: AgentId) -> bool {
        self.bids.iter().any(|b| b.agent == agent && b.flaw != Some(BidFlaw::Late))
            || self.declines.iter().any(|(a, _)| *a == agent)
    }

    pub fn valid_bid(&self, agent: AgentId) -> Option<&BidRec> {
        self.bids.iter().find(|b| b.agent == agent && b.flaw.is_none())
    }

    /// The agent's score among the valid bids (scored as if the auction closed now).
    pub fn score_of(&self, agent: AgentId, w: &Weights) -> Option<f64> {
        rank(&self.bids, w).into_iter().find(|(a, _)| *a == agent).map(|(_, s)| s)
    }
}

/// Every auction of the run (id = index + 1) and each task's place in them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuctionState {
    pub auctions: Vec<Auction>,
    /// Tasks with an open auction: never dispatched meanwhile.
    open: BTreeMap<TaskId, u32>,
    /// Rounds in a row that awarded nothing (what the next round's number follows).
    failed_rounds: BTreeMap<TaskId, u32>,
    latest: BTreeMap<TaskId, u32>,
}

impl AuctionState {
    pub fn is_empty(&self) -> bool {
        self.auctions.is_empty()
    }

    pub fn get(&self, id: u32) -> Option<&Auction> {
        self.auctions.get((id as usize).checked_sub(1)?)
    }

    /// A journal read back may name an auction it never opened: such a line changes nothing.
    fn get_mut(&mut self, id: u32) -> Option<&mut Auction> {
        self.auctions.get_mut((id as usize).checked_sub(1)?)
    }

    /// Whether the task's auction is taking bids (cheap when no auction ever ran).
    pub fn is_open_task(&self, task: TaskId) -> bool {
        !self.open.is_empty() && self.open.contains_key(&task)
    }

    /// The task's most recent auction.
    pub fn latest(&self, task: TaskId) -> Option<&Auction> {
        self.latest.get(&task).and_then(|&id| self.get(id))
    }

    fn next_round(&self, task: TaskId) -> u32 {
        self.failed_rounds.get(&task).copied().unwrap_or(0) + 1
    }

    /// An operator reopened the task's auctions: the next round is round 1.
    pub(crate) fn reset(&mut self, task: TaskId) {
        self.failed_rounds.remove(&task);
    }

    pub(crate) fn timer_is_live(&self, auction: u32) -> bool {
        self.get(auction).is_some_and(Auction::is_open)
    }

    pub(crate) fn digest(&self) -> String {
        format!("auctions={:?}\nopen={:?} failed_rounds={:?}", self.auctions, self.open, self.failed_rounds)
    }
}

/// Valid bids, best first: score = w_price·(min_price/price) + w_time·(min_eta/eta) +
/// w_confidence·confidence, minima over the valid bids; ties go to the lower price, then the lower
/// eta, then the agent listed first in the scenario.
pub fn rank(bids: &[BidRec], w: &Weights) -> Vec<(AgentId, f64)> {
    let valid = || bids.iter().filter(|b| b.flaw.is_none());
    let min_price = valid().map(|b| b.price).fold(f64::INFINITY, f64::min);
    let min_eta = valid().map(|b| b.eta_ms).min().unwrap_or(1) as f64;
    let mut scored: Vec<(f64, &BidRec)> = valid()
        .map(|b| {
            let s =
                w.price * (min_price / b.price) + w.time * (min_eta / b.eta_ms as f64) + w.confidence * b.confidence;
            (s, b)
        })
        .collect();
    scored.sort_by(|(sa, a), (sb, b)| {
        sb.total_cmp(sa).then(a.price.total_cmp(&b.price)).then(a.eta_ms.cmp(&b.eta_ms)).then(a.agent.cmp(&b.agent))
    });
    scored.into_iter().map(|(s, b)| (b.agent, s)).collect()
}

/// Folds an auction event into the state (called from `State::apply`).
pub(crate) fn apply(s: &mut State, now: u64, event: &AuctionEvent) {
    let a = &mut s.auctions;
    match *event {
        AuctionEvent::AuctionOpened { auction, task, round, ref invited, closes_ms } => {
            a.auctions.push(Auction {
                id: auction,
                task,
                round,
                invited: invited.clone(),
                opened_ms: now,
                closes_ms,
                closed_ms: None,
                bids: Vec::new(),
                declines: Vec::new(),
                phase: Phase::Open,
                ranking: Arc::from([]),
                passed: Arc::from([]),
            });
            a.open.insert(task, auction);
            a.latest.insert(task, auction);
            s.timers.push_at(closes_ms, Timer::AuctionClose { auction });
        }
        AuctionEvent::BidReceived { auction, agent, price, eta_ms, confidence, flaw, .. } => {
            if let Some(x) = a.get_mut(auction) {
                x.bids.push(BidRec { agent, price, eta_ms, confidence, flaw });
            }
        }
        AuctionEvent::BidDeclined { auction, agent, ref reason, .. } => {
            if let Some(x) = a.get_mut(auction) {
                x.declines.push((agent, reason.clone()));
            }
        }
        AuctionEvent::AuctionAwarded { auction, task, agent, score, by, ref ranking, ref passed } => {
            let Some(x) = a.get_mut(auction) else { return };
            x.phase = Phase::Awarded { agent, score, by };
            x.closed_ms.get_or_insert(now);
            x.ranking = ranking.clone();
            x.passed = passed.clone();
            a.open.remove(&task);
            a.failed_rounds.remove(&task);
        }
        AuctionEvent::AuctionNoAward { auction, task, round, reason, then } => {
            let Some(x) = a.get_mut(auction) else { return };
            x.phase = Phase::NoAward { reason, then };
            x.closed_ms.get_or_insert(now);
            a.open.remove(&task);
            match then {
                Then::Reannounce { at_ms } => {
                    a.failed_rounds.insert(task, round);
                    // It waits like a task between attempts: the retry timer makes it ready again
                    // (and an operator's hold, release or retry work as they do for retries).
                    let t = &mut s.tasks[task.ix()];
                    t.state = TaskState::Retrying;
                    t.retry_at_ms = at_ms;
                    s.timers.push_at(at_ms, Timer::RetryDue { task, attempt: t.attempts + 1 });
                }
                Then::Escalate | Then::Stop => {
                    a.failed_rounds.remove(&task);
                }
            }
        }
    }
}

impl Coordinator {
    /// The task's auction settings: the scenario's, with the task's override.
    pub fn auction_spec(&self, task: TaskId) -> AuctionSpec {
        let t = &self.scenario.tasks[task.ix()];
        t.extras().auction.as_ref().map_or(self.scenario.auction, |o| self.scenario.auction.with(o))
    }

    pub(crate) fn auctioned(&self, task: TaskId) -> bool {
        self.scenario.tasks[task.ix()].allocation.unwrap_or(self.scenario.allocation) == Strategy::Auction
    }

    /// Announces the ready `task` to the capable agents of `class` that are up.
    pub(crate) fn open_auction(&mut self, now: u64, task: TaskId, class: usize) {
        let spec = self.auction_spec(task);
        let failed = if self.state.ladder.avoids_failed(task) { self.failed_agents(task) } else { Vec::new() };
        let agents = &self.state.agents;
        let invited: Arc<[AgentId]> = self.wf.classes[class]
            .agents
            .iter()
            .copied()
            .filter(|a| {
                let rt = &agents[a.ix()];
                rt.alive
                    && !rt.draining
                    && !matches!(rt.health.breaker, BreakerState::Open { .. })
                    && !failed.contains(a)
            })
            .collect();
        let auction = self.state.auctions.auctions.len() as u32 + 1;
        let round = self.state.auctions.next_round(task);
        let closes_ms = crate::core::timers::later(now, spec.bid_window_ms);
        tracing::info!("{} {} auction #{auction} round {round} opened", clock(now), self.task_name(task));
        let kind = EventKind::Auction(AuctionEvent::AuctionOpened {
            auction,
            task,
            round,
            invited: invited.clone(),
            closes_ms,
        });
        self.emit(now, kind);
        if invited.is_empty() {
            self.close_auction(now, auction);
            return;
        }
        for &a in invited.iter() {
            self.send(now, Endpoint::Agent(a), MsgKind::Cfp, None, Payload::Cfp { auction, task, closes_ms });
        }
    }

    /// An agent's `bid` or `decline`: recorded (late, unexpected or flawed bids as not valid), and
    /// the auction closes early once every invitee answered.
    pub(crate) fn handle_auction_reply(&mut self, now: u64, agent: AgentId, payload: Payload) {
        let id = match payload {
            Payload::Bid { auction, .. } | Payload::Decline { auction, .. } => auction,
            _ => return,
        };
        let Some(x) = self.state.auctions.get(id) else { return };
        let (task, open) = (x.task, x.is_open());
        match payload {
            Payload::Bid { eta_ms, price, confidence, .. } => {
                let spec = self.auction_spec(task);
                let flaw = if !open {
                    Some(BidFlaw::Late)
                } else if !x.invited.contains(&agent) {
                    Some(BidFlaw::NotInvited)
                } else if x.answered(agent) {
                    Some(BidFlaw::Duplicate)
                } else if !(price.is_finite() && price > 0.0) {
                    Some(BidFlaw::BadPrice)
                } else if eta_ms == 0 {
                    Some(BidFlaw::BadEta)
                } else if !(0.0..=1.0).contains(&confidence) {
                    Some(BidFlaw::BadConfidence)
                } else if confidence < spec.min_confidence {
                    Some(BidFlaw::BelowMinConfidence)
                } else {
                    None
                };
                let eta_ms = eta_ms as u64;
                self.emit(
                    now,
                    EventKind::Auction(AuctionEvent::BidReceived {
                        auction: id,
                        task,
                        agent,
                        price,
                        eta_ms,
                        confidence,
                        flaw,
                    }),
                );
            }
            Payload::Decline { reason, .. } => {
                if open && (!x.invited.contains(&agent) || x.answered(agent)) {
                    return;
                }
                self.emit(
                    now,
                    EventKind::Auction(AuctionEvent::BidDeclined {
                        auction: id,
                        task,
                        agent,
                        reason: Arc::from(reason),
                    }),
                );
            }
            _ => {}
        }
        let x = self.state.auctions.get(id).expect("exists");
        if open && x.invited.iter().all(|&a| x.answered(a)) {
            self.close_auction(now, id);
        }
    }

    /// The bid window ended (or every invitee answered): award the best valid bid whose agent can
    /// take the task now, else record why not and re-announce or escalate.
    pub(crate) fn close_auction(&mut self, now: u64, id: u32) {
        let Some(x) = self.state.auctions.get(id).filter(|x| x.is_open()) else { return };
        let (task, round) = (x.task, x.round);
        let rt = &self.state.tasks[task.ix()];
        if rt.state != TaskState::Ready || rt.held {
            let (reason, then) = (NoAward::Withdrawn, Then::Stop);
            self.emit(now, EventKind::Auction(AuctionEvent::AuctionNoAward { auction: id, task, round, reason, then }));
            return;
        }
        let spec = self.auction_spec(task);
        let ranking = rank(&x.bids, &spec.weights);
        let mut passed = Vec::new();
        let winner = ranking.iter().copied().find(|&(a, _)| {
            let ok = self.state.agents[a.ix()].available();
            if !ok {
                passed.push(a);
            }
            ok
        });
        if let Some((agent, score)) = winner {
            tracing::info!(
                "{} {} auction #{id} awarded to {} (score {score:.3})",
                clock(now),
                self.task_name(task),
                self.agent_name(agent)
            );
            let (ranking, passed) = (Arc::from(ranking), Arc::from(passed));
            let by = AwardBy::Score;
            self.emit(
                now,
                EventKind::Auction(AuctionEvent::AuctionAwarded {
                    auction: id,
                    task,
                    agent,
                    score,
                    by,
                    ranking,
                    passed,
                }),
            );
            self.send(now, Endpoint::Agent(agent), MsgKind::Award, None, Payload::Award { auction: id, task });
            self.assign(now, task, agent, Some(Strategy::Auction));
            return;
        }
        let reason = if x.invited.is_empty() {
            NoAward::NoBidders
        } else if x.bids.iter().all(|b| b.flaw == Some(BidFlaw::Late)) {
            NoAward::NoBids
        } else if ranking.is_empty() {
            NoAward::NoValidBid
        } else {
            NoAward::NoAvailableBidder
        };
        let then = if round < spec.max_rounds {
            Then::Reannounce { at_ms: crate::core::timers::later(now, spec.reannounce_ms) }
        } else {
            Then::Escalate
        };
        tracing::warn!(
            "{} {} auction #{id} round {round}: no award ({})",
            clock(now),
            self.task_name(task),
            reason.name()
        );
        self.emit(now, EventKind::Auction(AuctionEvent::AuctionNoAward { auction: id, task, round, reason, then }));
        if then == Then::Escalate {
            let note = self.auction_note(id);
            self.escalate_noted(now, task, Origin::Auction, Some(note));
        }
    }

    /// The inbox's account of an auction that awarded nothing: its rounds and every answer of the last.
    fn auction_note(&self, id: u32) -> Arc<str> {
        let x = self.state.auctions.get(id).expect("exists");
        let reason = match x.phase {
            Phase::NoAward { reason, .. } => reason.name(),
            _ => "",
        };
        let mut note = format!("auction: {} round(s) without an award; last (#{}): {reason}", x.round, x.id);
        for &a in x.invited.iter() {
            let name = self.agent_name(a);
            let _ = match (x.bids.iter().find(|b| b.agent == a), x.declines.iter().find(|(d, _)| *d == a)) {
                (Some(b), _) => match b.flaw {
                    Some(f) => write!(note, "; {name} bid {} ({:.2})", f.name(), b.confidence),
                    None => write!(note, "; {name} bid {:.2}/{}ms/{:.2}", b.price, b.eta_ms, b.confidence),
                },
                (None, Some((_, r))) => write!(note, "; {name} declined ({r})"),
                (None, None) => write!(note, "; {name} did not answer"),
            };
        }
        Arc::from(note)
    }
}
