//! Votes of real agents: a `ballot` for a process or LLM agent becomes the protocol's `ballot`
//! line (the decision task's id as the proposal id, its proposal as the question), and its `vote`
//! becomes a bus message for the coordinator. A vote naming a task that is not a decision is a
//! protocol error, like a result for an unknown task.

use crate::agents::{FromAgent, ToAgent, VoteChoice};
use crate::core::output::intern;
use crate::core::{AgentId, Coordinator, Message, MsgKind, Payload, TaskId};
use crate::protocols::vote::Choice;

/// The protocol line for a `ballot` payload (`None` for any other payload); `deadline_ms` is the
/// time left until the ballot closes.
pub(super) fn ballot_line(coord: &Coordinator, payload: Payload) -> Option<ToAgent> {
    let Payload::Ballot { task, closes_ms } = payload else { return None };
    let d = coord.decision_of(task)?;
    Some(ToAgent::Ballot {
        proposal: coord.task_name(task).to_string(),
        question: d.proposal.to_string(),
        deadline_ms: closes_ms.saturating_sub(coord.state().now_ms()),
    })
}

/// The core's choice for the protocol's.
pub fn choice(c: VoteChoice) -> Choice {
    match c {
        VoteChoice::Yes => Choice::Yes,
        VoteChoice::No => Choice::No,
        VoteChoice::Abstain => Choice::Abstain,
    }
}

/// The bus message for an agent's `vote` (`correlation`: its ballot's `msg_id`, if known); `Err`
/// says why the line is not acceptable. `None` for other messages.
pub(super) fn reply(
    coord: &Coordinator,
    agent: AgentId,
    msg: &FromAgent,
    correlation: impl FnOnce(TaskId) -> Option<u64>,
) -> Option<Result<Message, String>> {
    let FromAgent::Vote { proposal, choice: c, reason } = msg else { return None };
    let task = coord.scenario().tasks.iter().position(|t| t.id == proposal).map(|i| TaskId(i as u32));
    let Some(task) = task.filter(|&t| coord.decision_of(t).is_some()) else {
        return Some(Err(format!("vote on unknown proposal `{proposal}`")));
    };
    let payload = Payload::Vote { task, choice: choice(*c), reason: reason.as_deref().map(intern) };
    Some(Ok(Message::from_agent(agent, MsgKind::Vote, correlation(task), payload)))
}
