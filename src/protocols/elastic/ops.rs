//! The coordinator's side of elastic teams (see `protocols/elastic`): creating an agent from a template
//! for a task that waited too long, and retiring a created agent that stayed idle.

use crate::core::event::ElasticEvent;
use crate::core::event::EventKind;
use crate::core::ids::{AgentId, TaskId};
use crate::core::{Coordinator, clock};

impl Coordinator {
    /// `task` has waited its template's `spawn_after_ms`: if no capable agent is free and the
    /// template has an absent slot, that slot joins the team (and gets work at once, so that the
    /// next waiting task sees it busy).
    pub(crate) fn spawn_check(&mut self, now: u64, task: TaskId) {
        let class = self.wf.task_class[task.ix()];
        if !self.state.avail[self.wf.classes[class.0 as usize].pool.0 as usize].is_empty() {
            return;
        }
        let el = &self.state.elastic;
        let Some((template, ready_at)) = el.spawn_target(&self.wf, task) else { return };
        let Some(agent) = el.free_slot(template, &self.state.agents) else { return };
        let name = self.scenario.templates[self.scenario.agents[agent.ix()].template.unwrap_or(0) as usize].id.as_str();
        let waited_ms = now - ready_at;
        tracing::info!(
            "{} created {} from template {name}: {} waited {waited_ms} ms",
            clock(now),
            self.agent_name(agent),
            self.task_name(task)
        );
        let template = name.into();
        self.emit(now, EventKind::Elastic(ElasticEvent::AgentCreated { agent, template, task, waited_ms }));
        self.dispatch(now);
    }

    /// A created agent stayed idle for its template's `retire_after_ms`: it leaves the team.
    pub(crate) fn retire(&mut self, now: u64, agent: AgentId) {
        let idle_ms = now - self.state.elastic.idle_since(agent).unwrap_or(now);
        tracing::info!("{} retired {} after {idle_ms} ms idle", clock(now), self.agent_name(agent));
        self.emit(now, EventKind::Elastic(ElasticEvent::AgentRetired { agent, idle_ms }));
    }
}
