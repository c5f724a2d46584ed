//! Operator commands on auctions: `award` a task to another valid bidder of its latest auction,
//! and `reopen` its auction (a fresh round 1). Checked first like every operator command (a
//! refusal names what is missing), then carried out by ordinary auction and assignment events.

use crate::core::event::AuctionEvent;
use std::sync::Arc;

use crate::core::Coordinator;
use crate::core::bus::{Endpoint, MsgKind, Payload};
use crate::core::event::{EventKind, Refusal};
use crate::core::ids::{AgentId, TaskId};
use crate::core::state::TaskState;
use crate::protocols::auction::{AwardBy, NoAward, Then, rank};
use crate::scenario::Strategy;

impl Coordinator {
    /// Whether an operator may award `task` to `agent` now.
    pub(crate) fn check_award(&self, task: TaskId, agent: AgentId) -> Result<(), Refusal> {
        let rt = &self.state.tasks[task.ix()];
        let a = &self.state.agents[agent.ix()];
        if !self.auctioned(task) {
            Err(Refusal::NotAuctioned(task))
        } else if rt.state.is_terminal() {
            Err(Refusal::TaskEnded(task))
        } else if rt.remaining_deps > 0 {
            Err(Refusal::TaskWaiting(task))
        } else if rt.state == TaskState::Running && rt.agent == Some(agent) {
            Err(Refusal::AlreadyOnAgent(task, agent))
        } else if self.state.auctions.latest(task).and_then(|x| x.valid_bid(agent)).is_none() {
            Err(Refusal::NoValidBid(task, agent))
        } else if !a.alive {
            Err(Refusal::AgentDown(agent))
        } else if a.draining {
            Err(Refusal::AgentDraining(agent))
        } else if a.running.len() as u32 >= a.max_concurrent {
            Err(Refusal::AgentBusy(agent))
        } else {
            Ok(())
        }
    }

    /// Whether an operator may reopen the task's auction now.
    pub(crate) fn check_reopen(&self, task: TaskId) -> Result<(), Refusal> {
        let rt = &self.state.tasks[task.ix()];
        if !self.auctioned(task) {
            Err(Refusal::NotAuctioned(task))
        } else if rt.state.is_terminal() {
            Err(Refusal::TaskEnded(task))
        } else if rt.state == TaskState::Running {
            Err(Refusal::TaskRunning(task, rt.agent.expect("running task has an agent")))
        } else if rt.remaining_deps > 0 {
            Err(Refusal::TaskWaiting(task))
        } else {
            Ok(())
        }
    }

    /// Gives the task to `agent` over the auction's choice (checked by [`Coordinator::check_award`]).
    pub(crate) fn operator_award(&mut self, now: u64, task: TaskId, agent: AgentId) {
        self.interrupt(now, task);
        let x = self.state.auctions.latest(task).expect("checked");
        let spec = self.auction_spec(task);
        let ranking: Arc<[(AgentId, f64)]> = Arc::from(rank(&x.bids, &spec.weights));
        let score = ranking.iter().find(|(a, _)| *a == agent).map_or(0.0, |&(_, s)| s);
        let (auction, by, passed) = (x.id, AwardBy::Operator, Arc::from([]));
        self.emit(
            now,
            EventKind::Auction(AuctionEvent::AuctionAwarded { auction, task, agent, score, by, ranking, passed }),
        );
        if self.state.tasks[task.ix()].held {
            self.emit(now, EventKind::TaskReleased { task });
        }
        if self.attempts_left(task) == 0 || self.state.tasks[task.ix()].state == TaskState::Escalated {
            // As with a reassignment: an operator's choice of agent comes with a fresh retry budget.
            self.emit(now, EventKind::TaskReopened { task });
        }
        self.send(now, Endpoint::Agent(agent), MsgKind::Award, None, Payload::Award { auction, task });
        self.assign(now, task, agent, Some(Strategy::Auction));
    }

    /// Closes the task's open auction, if any, and makes it ready for a fresh one (round 1).
    pub(crate) fn operator_reopen(&mut self, now: u64, task: TaskId) {
        if let Some(x) = self.state.auctions.latest(task).filter(|x| x.is_open()) {
            let (auction, round) = (x.id, x.round);
            let (reason, then) = (NoAward::Reopened, Then::Stop);
            self.emit(now, EventKind::Auction(AuctionEvent::AuctionNoAward { auction, task, round, reason, then }));
        }
        if self.state.tasks[task.ix()].state == TaskState::Escalated {
            self.emit(now, EventKind::TaskReopened { task });
        }
        self.make_ready(now, task);
    }
}
