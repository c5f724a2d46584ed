//! Journal lines of decision tasks: `ballot_opened`, `vote_cast`, `proposal_decided`, and the
//! payloads of `ballot` and `vote` messages.

use crate::core::event::VoteEvent;
use crate::core::{AgentId, Payload};
use crate::journal::json::{push_f64, push_str, push_u64};
use crate::journal::writer::{Names, push_key};

fn agent_list(out: &mut Vec<u8>, names: &Names, key: &str, agents: impl Iterator<Item = AgentId>) {
    push_key(out, key);
    out.push(b'[');
    for (i, a) in agents.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&names.agents[a.ix()]);
    }
    out.push(b']');
}

fn float(out: &mut Vec<u8>, key: &str, v: f64) {
    push_key(out, key);
    push_f64(out, v);
}

/// The fields of a vote event after `kind` (false: not one of them).
pub(crate) fn encode(event: &VoteEvent, names: &Names, out: &mut Vec<u8>) {
    let task = |out: &mut Vec<u8>, t: crate::core::TaskId| {
        push_key(out, "task");
        out.extend_from_slice(&names.tasks[t.ix()]);
    };
    match event {
        VoteEvent::BallotOpened { task: t, proposal, voters, unreached, threshold, quorum, tie, closes_ms } => {
            task(out, *t);
            push_key(out, "proposal");
            push_str(out, proposal);
            agent_list(out, names, "voters", voters.iter().map(|v| v.0));
            push_key(out, "weights");
            out.push(b'[');
            for (i, (_, w)) in voters.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_f64(out, *w);
            }
            out.push(b']');
            agent_list(out, names, "unreached", unreached.iter().copied());
            float(out, "threshold", *threshold);
            float(out, "quorum", *quorum);
            push_key(out, "tie");
            push_str(out, tie.name());
            push_key(out, "closes_ms");
            push_u64(out, *closes_ms);
        }
        VoteEvent::VoteCast { task: t, voter, choice, weight, reason } => {
            task(out, *t);
            push_key(out, "agent");
            match voter {
                Some(a) => out.extend_from_slice(&names.agents[a.ix()]),
                None => push_str(out, "operator"),
            }
            push_key(out, "choice");
            push_str(out, choice.name());
            float(out, "weight", *weight);
            push_key(out, "by");
            push_str(out, if voter.is_some() { "agent" } else { "operator" });
            if let Some(r) = reason {
                push_key(out, "reason");
                push_str(out, r);
            }
        }
        VoteEvent::ProposalDecided { task: t, verdict, reason, yes, no, abstain, quorum } => {
            task(out, *t);
            push_key(out, "outcome");
            push_str(out, verdict.name());
            push_key(out, "reason");
            push_str(out, reason.name());
            float(out, "yes", *yes);
            float(out, "no", *no);
            float(out, "abstain", *abstain);
            push_key(out, "quorum");
            out.extend_from_slice(if *quorum { b"true" } else { b"false" });
        }
    }
}

/// The payload fields of a `ballot` or `vote` message (false: neither).
pub(crate) fn encode_payload(payload: &Payload, out: &mut Vec<u8>) -> bool {
    match *payload {
        Payload::Ballot { closes_ms, .. } => {
            out.extend_from_slice(b"\"closes_ms\":");
            push_u64(out, closes_ms);
        }
        Payload::Vote { choice, reason, .. } => {
            out.extend_from_slice(b"\"choice\":");
            push_str(out, choice.name());
            if let Some(r) = reason {
                push_key(out, "reason");
                push_str(out, r);
            }
        }
        _ => return false,
    }
    true
}
