//! Journal lines of the auction kinds and messages (see `protocols::auction` and `scenarios/JOURNAL.md`).

use crate::core::event::AuctionEvent;
use crate::core::{AgentId, Payload};
use crate::journal::json::{push_f64, push_str, push_u64};
use crate::journal::writer::{Names, num, push_key, text};
use crate::protocols::auction::Then;

fn agents(out: &mut Vec<u8>, names: &Names, key: &str, list: &[AgentId]) {
    push_key(out, key);
    out.push(b'[');
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&names.agents[a.ix()]);
    }
    out.push(b']');
}

/// The fields of an auction event; `false` if `kind` is not one.
pub(crate) fn encode(event: &AuctionEvent, names: &Names, out: &mut Vec<u8>) {
    let float = |out: &mut Vec<u8>, key: &str, v: f64| {
        push_key(out, key);
        push_f64(out, v);
    };
    let head = |out: &mut Vec<u8>, auction: u32, task: crate::core::TaskId| {
        num(out, "auction", auction as u64);
        push_key(out, "task");
        out.extend_from_slice(&names.tasks[task.ix()]);
    };
    let agent = |out: &mut Vec<u8>, a: AgentId| {
        push_key(out, "agent");
        out.extend_from_slice(&names.agents[a.ix()]);
    };
    match *event {
        AuctionEvent::AuctionOpened { auction, task, round, ref invited, closes_ms } => {
            head(out, auction, task);
            num(out, "round", round as u64);
            agents(out, names, "invited", invited);
            num(out, "closes_ms", closes_ms);
        }
        AuctionEvent::BidReceived { auction, task, agent: a, price, eta_ms, confidence, flaw } => {
            head(out, auction, task);
            agent(out, a);
            float(out, "price", price);
            num(out, "eta_ms", eta_ms);
            float(out, "confidence", confidence);
            out.extend_from_slice(if flaw.is_none() { b",\"valid\":true" } else { b",\"valid\":false" });
            if let Some(f) = flaw {
                text(out, "reason", f.name());
            }
        }
        AuctionEvent::BidDeclined { auction, task, agent: a, ref reason } => {
            head(out, auction, task);
            agent(out, a);
            text(out, "reason", reason);
        }
        AuctionEvent::AuctionAwarded { auction, task, agent: a, score, by, ref ranking, ref passed } => {
            head(out, auction, task);
            agent(out, a);
            float(out, "score", score);
            text(out, "by", by.name());
            out.extend_from_slice(b",\"ranking\":[");
            for (i, &(a, s)) in ranking.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"{\"agent\":" } else { b",{\"agent\":" });
                out.extend_from_slice(&names.agents[a.ix()]);
                float(out, "score", s);
                out.push(b'}');
            }
            out.push(b']');
            agents(out, names, "passed", passed);
        }
        AuctionEvent::AuctionNoAward { auction, task, round, reason, then } => {
            head(out, auction, task);
            num(out, "round", round as u64);
            text(out, "reason", reason.name());
            text(out, "then", then.name());
            if let Then::Reannounce { at_ms } = then {
                num(out, "at_ms", at_ms);
            }
        }
    }
}

/// The inside of `"payload":{…}` for the auction messages; `false` if `p` is not one.
pub(crate) fn encode_payload(p: &Payload, out: &mut Vec<u8>) -> bool {
    let auction = match *p {
        Payload::Cfp { auction, .. }
        | Payload::Bid { auction, .. }
        | Payload::Decline { auction, .. }
        | Payload::Award { auction, .. } => auction,
        _ => return false,
    };
    out.extend_from_slice(b"\"auction\":");
    push_u64(out, auction as u64);
    match *p {
        Payload::Cfp { closes_ms, .. } => {
            push_key(out, "closes_ms");
            push_u64(out, closes_ms);
        }
        Payload::Bid { eta_ms, price, confidence, .. } => {
            push_key(out, "price");
            push_f64(out, price);
            push_key(out, "eta_ms");
            push_u64(out, eta_ms as u64);
            push_key(out, "confidence");
            push_f64(out, confidence);
        }
        Payload::Decline { reason, .. } => {
            push_key(out, "reason");
            push_str(out, reason);
        }
        _ => {}
    }
    true
}
