//! How a simulated agent answers a call for proposals: a bid priced from its profile and load,
//! or a decline when it is full or lacks a specialization the task needs.
//!
//! price = cost × work × (1 + running / max_concurrent); eta = mean duration × work × (1 + running /
//! max_concurrent); confidence = performance × (1 − failure_rate); each with a small seeded jitter
//! (±5 %), and the reply arrives after a seeded latency of 5–40 ms so bids visibly trickle in.

use crate::core::{AgentId, Coordinator, Message, MsgKind, Payload, TaskId};
use crate::rng;

/// Share of a bid's parts the jitter may move either way.
const JITTER: f64 = 0.05;
/// Reply latency range, in virtual ms.
const LATENCY_MS: (f64, f64) = (5.0, 40.0);

/// The agent's reply to the `cfp` numbered `cfp_id`, and how long it takes to arrive.
pub(super) fn answer(coord: &Coordinator, agent: AgentId, auction: u32, task: TaskId, cfp_id: u64) -> (Message, u64) {
    let sc = coord.scenario();
    let (spec, t) = (&sc.agents[agent.ix()], &sc.tasks[task.ix()]);
    let draw = |k: u64| rng::unit(sc.seed, &[rng::domain::BID, auction as u64, agent.0 as u64, k]);
    let latency = (LATENCY_MS.0 + (LATENCY_MS.1 - LATENCY_MS.0) * draw(0)).round() as u64;
    let running = coord.state().agents()[agent.ix()].running.len() as f64;
    let max = spec.max_concurrent.max(1) as f64;
    let decline = if running >= max {
        Some("at_capacity")
    } else if !t.specializations.iter().all(|s| spec.specializations.iter().any(|a| a == s)) {
        Some("missing_specialization")
    } else {
        None
    };
    let payload = match decline {
        Some(reason) => Payload::Decline { auction, reason },
        None => {
            let jitter = |k: u64| 1.0 + JITTER * (2.0 * draw(k) - 1.0);
            let load = 1.0 + running / max;
            let price = spec.cost * t.work * load * jitter(1);
            let eta = spec.profile.duration_ms.mean * t.work * load * jitter(2);
            let confidence = (spec.performance * (1.0 - spec.profile.failure_rate) * jitter(3)).clamp(0.0, 1.0);
            // Rounded so that the journal reads well; a bid of 0 (a free or instant agent) is
            // kept at the smallest valid value.
            let price = ((price * 100.0).round() / 100.0).max(0.01);
            let confidence = (confidence * 1000.0).round() / 1000.0;
            Payload::Bid { auction, eta_ms: eta.round().clamp(1.0, u32::MAX as f64) as u32, price, confidence }
        }
    };
    let kind = if decline.is_some() { MsgKind::Decline } else { MsgKind::Bid };
    (Message::from_agent(agent, kind, Some(cfp_id), payload), latency)
}
