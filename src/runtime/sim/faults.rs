//! Fault injection in the simulation driver: the scenario's `faults` and the operator's fault
//! commands, applied to the simulated agents and the network.
//!
//! `crash` and `revive` go through the coordinator (it is told). Every other fault is silent: the
//! driver changes how agents and links behave and only records the injection (`fault_injected`)
//! for the audit; what the coordinator notices follows as its own events.

use std::sync::Arc;

use super::{Due, SimRun};
use crate::core::event::InjectedFault;
use crate::core::faults::LinkFault;
use crate::core::{AgentId, Command, Endpoint, OpAction, Origin, Refusal};
use crate::scenario::{COORDINATOR, FaultAction};

impl SimRun {
    /// Applies the scenario's fault number `i` (validation guarantees its names exist).
    pub(super) fn scenario_fault(&mut self, i: usize) {
        let now = self.now;
        let action = self.coord.scenario().faults[i].action.clone();
        let agent = |name: &str| self.agent_id(name);
        match action {
            FaultAction::Crash(ref a) => {
                let Some(a) = agent(a) else { return };
                self.sim_crash(a.ix());
                self.coord.handle_command(now, Command::CrashAgent(a), Origin::Scenario);
            }
            FaultAction::Revive(ref a) => {
                let Some(a) = agent(a) else { return };
                self.heal(a.ix());
                self.coord.handle_command(now, Command::ReviveAgent(a), Origin::Scenario);
            }
            FaultAction::Hang(ref a) => {
                let Some(a) = agent(a) else { return };
                self.inject(a, InjectedFault::Hang);
            }
            FaultAction::Slow { ref agent, factor } => {
                let Some(a) = self.agent_id(agent) else { return };
                self.inject(a, InjectedFault::Slow { factor });
            }
            FaultAction::Flaky { ref agent, failure_rate } => {
                let Some(a) = self.agent_id(agent) else { return };
                self.inject(a, InjectedFault::Flaky { rate: failure_rate });
            }
            FaultAction::Drop { ref link, until_ms } => {
                let Some(link) = self.link(link) else { return };
                self.inject_link(LinkFault::Drop { link, until_ms });
            }
            FaultAction::Delay { ref link, delay_ms, until_ms } => {
                let Some(link) = self.link(link) else { return };
                self.inject_link(LinkFault::Delay { link, delay_ms, until_ms });
            }
            FaultAction::Partition { ref groups, until_ms } => {
                let mut ids = Vec::with_capacity(groups.len());
                for g in groups {
                    // The coordinator may be named in the first group; it is there anyway.
                    let group: Option<Box<[AgentId]>> =
                        g.iter().filter(|n| n.as_str() != COORDINATOR).map(|n| self.agent_id(n)).collect();
                    let Some(group) = group else { return };
                    ids.push(group);
                }
                self.inject_link(LinkFault::Partition { groups: Arc::from(ids), until_ms });
            }
            FaultAction::Heal => self.inject_link(LinkFault::Heal),
        }
    }

    fn agent_id(&self, name: &str) -> Option<AgentId> {
        self.coord.scenario().agents.iter().position(|a| a.id == name).map(|i| AgentId(i as u32))
    }

    fn endpoint(&self, name: &str) -> Option<Endpoint> {
        if name == COORDINATOR { Some(Endpoint::Coordinator) } else { self.agent_id(name).map(Endpoint::Agent) }
    }

    fn link(&self, [a, b]: &[String; 2]) -> Option<[Endpoint; 2]> {
        Some([self.endpoint(a)?, self.endpoint(b)?])
    }

    /// Whether an operator's fault command can apply, judged by what only the driver knows (the
    /// coordinator is not told about injected faults, so it cannot).
    pub(crate) fn check_fault(&self, action: OpAction) -> Result<(), Refusal> {
        match action {
            OpAction::Hang(a) if !self.agents[a.ix()].alive => Err(Refusal::AgentAlreadyDown(a)),
            OpAction::Slow(a, _) | OpAction::Flaky(a, _) if self.external[a.ix()] => Err(Refusal::NotSimulated(a)),
            OpAction::Partition(a) if !self.agents[a.ix()].alive => Err(Refusal::AgentDown(a)),
            OpAction::Partition(a) if self.net.is_cut_off_by_operator(a) => Err(Refusal::NoChange),
            OpAction::Heal if self.net.is_clear(self.now) => Err(Refusal::NoChange),
            _ => Ok(()),
        }
    }

    /// Whether `action` applies now: the driver's checks, then the coordinator's.
    pub fn check_operator(&self, action: OpAction) -> Result<(), Refusal> {
        self.check_fault(action)?;
        self.coord.check_operator(action)
    }

    /// Carries out an operator's fault command the coordinator accepted (and recorded).
    pub(super) fn operator_fault(&mut self, action: OpAction) {
        match action {
            OpAction::Hang(a) => self.inject(a, InjectedFault::Hang),
            OpAction::Slow(a, factor) => self.inject(a, InjectedFault::Slow { factor }),
            OpAction::Flaky(a, rate) => self.inject(a, InjectedFault::Flaky { rate }),
            OpAction::Partition(a) => {
                let fault = self.net.cut_off(a, self.agents.len());
                self.coord.note_link_fault(self.now, fault);
            }
            OpAction::Heal => self.inject_link(LinkFault::Heal),
            _ => {}
        }
    }

    /// A silent fault on one agent: applied, and recorded for the audit only.
    pub(super) fn inject(&mut self, agent: AgentId, fault: InjectedFault) {
        match fault {
            InjectedFault::Hang => self.sim_hang(agent.ix()),
            InjectedFault::Slow { factor } => self.agents[agent.ix()].slow_factor = factor.max(0.0),
            InjectedFault::Flaky { rate } => self.agents[agent.ix()].failure_rate = Some(rate),
        }
        self.coord.note_fault(self.now, agent, fault);
    }

    /// A silent fault on the network: applied, and recorded for the audit only. A fault that ends
    /// by itself keeps the run from being judged stalled until then (its agents may come back).
    fn inject_link(&mut self, fault: LinkFault) {
        self.net.apply(&fault, self.agents.len());
        if let Some(until) = fault.until_ms().filter(|&u| u > self.now) {
            self.schedule(until, 255, Due::LinkExpiry);
        }
        self.coord.note_link_fault(self.now, fault);
    }
}
