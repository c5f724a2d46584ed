//! Help requests and broadcasts with real agents. A process agent's `request_help` becomes an
//! exchange of the coordinator's help protocol (`Coordinator::request_help`); a `help_request` the
//! coordinator routes to a process agent becomes the protocol's line, with the question the asker
//! put (a real asker's text, or the scenario task's `help.question`), and the peer's
//! `help_response` goes back as a bus message. The texts do not travel on the bus (its payloads
//! stay small and copyable): this desk keeps them by exchange id.

use std::collections::HashMap;

use crate::agents::{FromAgent, ToAgent};
use crate::core::{AgentId, Coordinator, Message, MsgKind, Payload};

/// Texts of the help exchanges that involve real agents, by exchange id (the request's bus id).
#[derive(Debug, Default)]
pub(super) struct HelpDesk {
    /// A real asker's own request id and its question.
    asked: HashMap<u64, (String, String)>,
    /// A real peer's answer.
    answers: HashMap<u64, String>,
}

/// What to do with an agent's line about help.
pub(super) enum HelpIn {
    /// Feed this message to the coordinator.
    Reply(Message),
    /// Ask the coordinator to route this agent's question (then [`HelpDesk::asked`]).
    Ask { id: String, capability: String, question: String },
    /// Not acceptable: a protocol error with this reason.
    Bad(String),
}

impl HelpDesk {
    /// The protocol line for a help or broadcast payload addressed to a real agent (`None` for any
    /// other payload, or an exchange the coordinator no longer knows).
    pub(super) fn line(&self, coord: &Coordinator, msg: &Message) -> Option<ToAgent> {
        let help = |id: Option<u64>| id.and_then(|id| coord.state().teams().help.get(&id).map(|h| (id, h)));
        match msg.payload {
            Payload::Broadcast { text } => Some(ToAgent::Broadcast { text: text.to_string() }),
            Payload::HelpRequest { task, .. } => {
                let (id, h) = help(msg.correlation)?;
                let question = match self.asked.get(&id) {
                    Some((_, q)) => q.clone(),
                    None => coord.scenario().tasks[task.ix()]
                        .extras()
                        .help
                        .as_ref()
                        .map_or(String::new(), |x| x.question.clone()),
                };
                Some(ToAgent::HelpRequest {
                    id: id.to_string(),
                    from: coord.agent_name(h.asker).to_string(),
                    capability: h.capability.to_string(),
                    question,
                })
            }
            Payload::HelpResponse { answered, .. } => {
                let (id, h) = help(msg.correlation)?;
                let (own_id, _) = self.asked.get(&id)?;
                let (from, answer) = match (answered, h.peer) {
                    (true, Some(peer)) => {
                        let name = coord.agent_name(peer).to_string();
                        let answer = self.answers.get(&id).cloned();
                        (name.clone(), answer.unwrap_or_else(|| format!("(a simulated answer from {name})")))
                    }
                    _ => ("coordinator".to_string(), String::new()),
                };
                Some(ToAgent::HelpResponse { id: own_id.clone(), from, answer })
            }
            _ => None,
        }
    }

    /// An agent's `request_help` or `help_response` (`None` for other messages).
    pub(super) fn incoming(&mut self, coord: &Coordinator, agent: AgentId, msg: &FromAgent) -> Option<HelpIn> {
        match msg {
            FromAgent::RequestHelp { id, capability, question } => {
                if coord.state().agents()[agent.ix()].running.is_empty() {
                    return Some(HelpIn::Bad(format!("request_help `{id}` while running no task")));
                }
                let (id, capability, question) = (id.clone(), capability.clone(), question.clone());
                Some(HelpIn::Ask { id, capability, question })
            }
            FromAgent::HelpResponse { id, answer } => {
                let known = id.parse::<u64>().ok().and_then(|n| coord.state().teams().help.get(&n).map(|h| (n, h)));
                let Some((n, h)) = known.filter(|(_, h)| h.peer == Some(agent)) else {
                    return Some(HelpIn::Bad(format!("help_response for unknown request `{id}`")));
                };
                tracing::info!("{} answered {}: {answer}", coord.agent_name(agent), coord.agent_name(h.asker));
                self.answers.insert(n, answer.clone());
                let payload = Payload::HelpResponse { task: h.task, attempt: h.attempt, answered: true };
                Some(HelpIn::Reply(Message::from_agent(agent, MsgKind::HelpResponse, Some(n), payload)))
            }
            _ => None,
        }
    }

    /// The coordinator took a real agent's question as exchange `exchange`.
    pub(super) fn asked(&mut self, exchange: u64, own_id: String, question: String) {
        self.asked.insert(exchange, (own_id, question));
    }
}
