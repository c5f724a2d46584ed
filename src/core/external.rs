//! Inputs only real agents produce: a process that exits, an agent refused or found faulty, and
//! lines that are not protocol messages. Drivers of live runs call these; the decisions mirror a
//! crash (the agent's running attempts fail and their tasks are reassigned). A live run resumed
//! from its journal also comes through here: what was in flight when the coordinator died.

use std::sync::Arc;

use super::coordinator::{Coordinator, Down};
use super::event::{AttemptFailure, EventKind};
use super::ids::AgentId;

impl Coordinator {
    /// Starts the run with the agents that failed to start or to shake hands already down, so
    /// that no work goes to them.
    pub fn start_refusing(&mut self, now: u64, refused: &[(AgentId, String)]) {
        self.announce(now);
        for (agent, message) in refused {
            self.take_down(now, *agent, Down::Rejected(Arc::from(message.as_str())));
        }
        self.dispatch(now);
    }

    /// The agent's process ended. Nothing happens if the agent is already down (the driver killed
    /// it because it crashed, hung or was rejected).
    pub fn agent_exited(&mut self, now: u64, agent: AgentId, status: Option<i32>, signal: Option<i32>) {
        if self.is_finished() || !self.state.agents[agent.ix()].alive {
            return;
        }
        self.take_down(now, agent, Down::Exited { status, signal });
        self.dispatch(now);
    }

    /// Refuses the agent (a failed handshake, or faulty): it is down until revived.
    pub fn reject_agent(&mut self, now: u64, agent: AgentId, message: &str) {
        if self.is_finished() || !self.state.agents[agent.ix()].alive {
            return;
        }
        self.take_down(now, agent, Down::Rejected(Arc::from(message)));
        self.dispatch(now);
    }

    /// A run brought back from its journal after the coordinator's process died (`resume` of a
    /// live run): every attempt that was in flight is failed as `coordinator_restarted` — not
    /// charged to its task's retry budget — and its task is ready again at once; the agents that
    /// did not come back (`refused`: their handshake failed) are rejected; then work is
    /// dispatched. At-least-once: an agent may see the same task again, with a new attempt number.
    pub fn restart_in_flight(&mut self, now: u64, refused: &[(AgentId, String)]) {
        if self.is_finished() {
            return;
        }
        let reason = AttemptFailure::CoordinatorRestarted;
        for a in 0..self.state.agents.len() {
            let agent = AgentId(a as u32);
            for task in self.state.agents[a].running.clone() {
                if !self.leave_lock_queue(now, task) {
                    let attempt = self.state.tasks[task.ix()].attempts;
                    self.emit(now, EventKind::AttemptFailed { task, agent, attempt, reason });
                }
                self.emit(now, EventKind::TaskReassigned { task, from: agent, reason });
                self.make_ready(now, task);
            }
        }
        for (agent, message) in refused {
            if self.state.agents[agent.ix()].alive {
                self.take_down(now, *agent, Down::Rejected(Arc::from(message.as_str())));
            }
        }
        self.dispatch(now);
        self.check_finished(now);
    }

    /// Records a line from the agent that is not a usable message.
    pub fn protocol_error(&mut self, now: u64, agent: AgentId, message: &str, line: &str) {
        tracing::warn!("agent {}: {message}", self.agent_name(agent));
        self.emit(now, EventKind::ProtocolError { agent, message: Arc::from(message), line: Arc::from(line) });
    }
}
