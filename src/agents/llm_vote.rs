//! LLM agents on ballots: a `ballot` becomes one chat request asking for
//! `{"vote": "yes|no|abstain", "reason": "…"}`, and the reply is parsed defensively — anything
//! else is an abstention whose reason records the raw text (cut), so a chatty model never breaks
//! a vote.

use serde_json::Value;

use super::llm::Reply;
use super::llm_bid::{raw_start, reply_object};
use super::{FromAgent, VoteChoice};

/// The user message asking for a vote.
pub fn vote_prompt(proposal: &str, question: &str, deadline_ms: u64) -> String {
    format!(
        "Vote on proposal `{proposal}`: {question}\nThe ballot closes in {deadline_ms} ms.\n\
         Answer with exactly one JSON object and nothing else: \
         {{\"vote\": \"yes\" | \"no\" | \"abstain\", \"reason\": \"<one sentence>\"}}."
    )
}

/// The vote a model's reply means for `proposal`.
pub fn parse_vote(proposal: &str, reply: &Reply) -> FromAgent {
    let vote = |choice, reason| FromAgent::Vote { proposal: proposal.to_string(), choice, reason };
    let unparsable = || vote(VoteChoice::Abstain, Some(format!("unparsable vote: {}", raw_start(reply.text()))));
    let Some(obj) = reply_object(reply) else { return unparsable() };
    let choice = match obj.get("vote").and_then(Value::as_str).map(str::trim) {
        Some("yes") => VoteChoice::Yes,
        Some("no") => VoteChoice::No,
        Some("abstain") => VoteChoice::Abstain,
        _ => return unparsable(),
    };
    vote(choice, obj.get("reason").and_then(Value::as_str).map(raw_start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(content: &str) -> FromAgent {
        parse_vote("ship", &Reply::plain(content))
    }

    fn voted(choice: VoteChoice, reason: Option<&str>) -> FromAgent {
        FromAgent::Vote { proposal: "ship".into(), choice, reason: reason.map(String::from) }
    }

    #[test]
    fn the_strict_shape_parses() {
        assert_eq!(parse(r#"{"vote": "yes", "reason": "tests pass"}"#), voted(VoteChoice::Yes, Some("tests pass")));
        assert_eq!(parse("```json\n{\"vote\": \"no\"}\n```"), voted(VoteChoice::No, None));
        assert_eq!(parse(r#" {"vote": "abstain", "reason": 3} "#), voted(VoteChoice::Abstain, None));
    }

    #[test]
    fn anything_else_abstains_with_the_raw_text() {
        assert_eq!(parse("Yes, absolutely!"), voted(VoteChoice::Abstain, Some("unparsable vote: Yes, absolutely!")));
        assert_eq!(
            parse(r#"{"vote": "maybe"}"#),
            voted(VoteChoice::Abstain, Some(r#"unparsable vote: {"vote": "maybe"}"#))
        );
        let long = "x".repeat(500);
        let FromAgent::Vote { reason: Some(r), .. } = parse(&long) else { panic!() };
        assert!(r.ends_with('…') && r.chars().count() < 200);
        assert!(vote_prompt("ship", "ship v2?", 800).contains(r#"{"vote": "yes" | "no" | "abstain""#));
    }
}
