//! What the rest of the program may read of the state: one query per fact, so that the console,
//! the reports and the drivers never depend on how the coordinator stores it (its fields are the
//! core's and the protocols', to change as they fold events).

use super::{AgentRt, AttemptRecord, State, TaskRt};
use crate::core::bus::BusStats;
use crate::core::event::Outcome;
use crate::core::health::HealthConfig;
use crate::core::ids::{AgentId, TaskId};
use crate::protocols::saga::Sagas;

impl State {
    /// One task.
    pub fn task(&self, task: TaskId) -> &TaskRt {
        &self.tasks[task.ix()]
    }

    /// One agent.
    pub fn agent(&self, agent: AgentId) -> &AgentRt {
        &self.agents[agent.ix()]
    }

    /// The run's virtual time: the instant of the latest event.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Every task, in index order (planners' tasks after the scenario's).
    pub fn tasks(&self) -> &[TaskRt] {
        &self.tasks
    }

    /// Every agent, in index order (template slots included).
    pub fn agents(&self) -> &[AgentRt] {
        &self.agents
    }

    /// Every attempt of the run, in start order.
    pub fn attempt_log(&self) -> &[AttemptRecord] {
        &self.attempt_log
    }

    /// The id the next message gets.
    pub fn next_msg_id(&self) -> u64 {
        self.next_msg_id
    }

    /// The `seq` the next event gets: how many events the run has had.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Messages counted by type and agent.
    pub fn bus(&self) -> &BusStats {
        &self.bus
    }

    /// Tasks completed.
    pub fn completed(&self) -> u32 {
        self.completed
    }

    /// Tasks failed.
    pub fn failed(&self) -> u32 {
        self.failed
    }

    /// Tasks skipped.
    pub fn skipped(&self) -> u32 {
        self.skipped
    }

    /// Retries scheduled.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// Tasks taken back from agents that went down.
    pub fn reassignments(&self) -> u32 {
        self.reassignments
    }

    /// Tasks sent to the operator's inbox, ever.
    pub fn escalations(&self) -> u32 {
        self.escalations
    }

    /// How the run ended, once it has.
    pub fn finished(&self) -> Option<Outcome> {
        self.finished
    }

    /// The signal that stopped the run's host before it finished.
    pub fn interrupted(&self) -> Option<crate::core::StopSignal> {
        self.interrupted
    }

    /// When the last task ended (the run's length once it finished).
    pub fn makespan_ms(&self) -> u64 {
        self.makespan_ms
    }

    /// The horizon a headless run stopped at (it is then not finished).
    pub fn horizon(&self) -> Option<crate::core::HorizonLimit> {
        self.horizon
    }

    /// Whether an operator paused the run.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// The operator's last speed setting (virtual ms per wall ms).
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Escalated tasks, oldest first, with the time each arrived.
    pub fn inbox(&self) -> &[(TaskId, u64)] {
        &self.inbox
    }

    /// How agents' health is judged (breakers, adaptive routing).
    pub fn health_cfg(&self) -> &HealthConfig {
        &self.health_cfg
    }

    /// How long an agent may be silent before it is lost (0: never).
    pub fn heartbeat_timeout_ms(&self) -> u64 {
        self.heartbeat_timeout_ms
    }

    /// Saga membership and progress.
    pub fn sagas(&self) -> &Sagas {
        &self.sagas
    }

    /// Escalation ladders' progress.
    pub fn ladder(&self) -> &crate::protocols::ladder::LadderState {
        &self.ladder
    }

    /// Real agents' outputs of completed tasks.
    pub fn outputs(&self) -> &crate::core::OutputStore {
        &self.outputs
    }

    /// The blackboard, locks, elections and dead letters.
    pub fn context(&self) -> &crate::protocols::context::ContextState {
        &self.ctx
    }

    /// Delegation chains, help exchanges, review rounds.
    pub fn teams(&self) -> &crate::protocols::teams::TeamState {
        &self.teams
    }

    /// Every auction and its bids.
    pub fn auctions(&self) -> &crate::protocols::auction::AuctionState {
        &self.auctions
    }

    /// What planners added or had rejected.
    pub fn plans(&self) -> &crate::protocols::growth::Plans {
        &self.plans
    }

    /// The swarm board and thresholds.
    pub fn swarm(&self) -> &crate::protocols::swarm::SwarmState {
        &self.swarm
    }

    /// Decision tasks' ballots.
    pub fn votes(&self) -> &crate::protocols::vote::VoteState {
        &self.votes
    }

    /// Agents created from templates.
    pub fn elastic(&self) -> &crate::protocols::elastic::ElasticState {
        &self.elastic
    }
}
