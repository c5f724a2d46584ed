//! Auctions with real agents: a `cfp` for a process or LLM agent becomes the protocol's `cfp`
//! line, and its `bid` / `decline` become bus messages for the coordinator. A reply naming an
//! auction the run never opened is a protocol error, like a result for an unknown task.

use crate::agents::{FromAgent, ToAgent};
use crate::core::output::intern;
use crate::core::{AgentId, Coordinator, Message, MsgKind, Payload};

/// The protocol line for a `cfp` payload (`None` for any other payload). Auctions are named by
/// their number; `deadline_ms` is the time left until the auction closes.
pub(super) fn cfp_line(coord: &Coordinator, payload: Payload) -> Option<ToAgent> {
    let Payload::Cfp { auction, task, closes_ms } = payload else { return None };
    let spec = &coord.scenario().tasks[task.ix()];
    Some(ToAgent::Cfp {
        auction: auction.to_string(),
        task: spec.id.to_string(),
        capability: spec.capability.to_string(),
        deadline_ms: closes_ms.saturating_sub(coord.state().now_ms()),
    })
}

/// The bus message for an agent's `bid` or `decline` (`correlation`: its cfp's `msg_id`, if
/// known); `Err` says why the line is not acceptable. `None` for other messages.
pub(super) fn reply(
    coord: &Coordinator,
    agent: AgentId,
    msg: &FromAgent,
    correlation: impl FnOnce(u32) -> Option<u64>,
) -> Option<Result<Message, String>> {
    let (name, kind) = match msg {
        FromAgent::Bid { auction, .. } => (auction, MsgKind::Bid),
        FromAgent::Decline { auction, .. } => (auction, MsgKind::Decline),
        _ => return None,
    };
    let Some(auction) = name.parse::<u32>().ok().filter(|&id| coord.state().auctions().get(id).is_some()) else {
        return Some(Err(format!("{} for unknown auction `{name}`", kind.name())));
    };
    let payload = match msg {
        FromAgent::Bid { price, eta_ms, confidence, .. } => Payload::Bid {
            auction,
            eta_ms: (*eta_ms).min(u32::MAX as u64) as u32,
            price: *price,
            confidence: *confidence,
        },
        FromAgent::Decline { reason, .. } => {
            Payload::Decline { auction, reason: intern(reason.as_deref().unwrap_or("declined")) }
        }
        _ => unreachable!("matched above"),
    };
    Some(Ok(Message::from_agent(agent, kind, correlation(auction), payload)))
}
