//! LLM agents in auctions: a `cfp` becomes one chat request asking for a bid in a strict JSON
//! shape, and the reply is parsed defensively — anything but that shape is a `decline` whose
//! reason records the raw text (cut), so a chatty model never breaks an auction.

use serde_json::Value;

use super::FromAgent;
use super::llm::Reply;

/// Longest piece of an unparsable reply kept in the decline's reason.
const RAW_CHARS: usize = 120;

/// The user message asking for a bid.
pub fn bid_prompt(task: &str, capability: &str, deadline_ms: u64) -> String {
    format!(
        "Call for proposals: task `{task}` needs capability `{capability}`; bids close in {deadline_ms} ms.\n\
         Answer with exactly one JSON object and nothing else: either \
         {{\"price\": <number > 0>, \"eta_ms\": <integer ≥ 1, your estimate of the work's duration>, \
         \"confidence\": <number 0..1, how sure you are to succeed>}} to bid, \
         or {{\"decline\": \"<reason>\"}} to pass."
    )
}

/// A reply's JSON object (redacted), if it is one: a fenced block (```json … ```) is the one
/// liberty taken with the shape.
pub(super) fn reply_object(reply: &Reply) -> Option<serde_json::Map<String, Value>> {
    let text = reply.text().trim();
    let inner = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .map_or(text, str::trim);
    match reply.json(inner) {
        Some(Value::Object(obj)) => Some(obj),
        _ => None,
    }
}

/// The start of a reply that could not be understood, for the record.
pub(super) fn raw_start(content: &str) -> String {
    let text = content.trim();
    let mut raw: String = text.chars().take(RAW_CHARS).collect();
    if text.chars().count() > RAW_CHARS {
        raw.push('…');
    }
    raw
}

/// The bid or decline a model's reply means for `auction`.
pub fn parse_bid(auction: &str, reply: &Reply) -> FromAgent {
    let auction = auction.to_string();
    let decline = |reason: String| FromAgent::Decline { auction: auction.clone(), reason: Some(reason) };
    let unparsable = || decline(format!("unparsable bid: {}", raw_start(reply.text())));
    let Some(obj) = reply_object(reply) else { return unparsable() };
    if let Some(reason) = obj.get("decline") {
        let reason = reason.as_str().map_or_else(|| reason.to_string(), str::to_string);
        return decline(reason);
    }
    let num = |k: &str| obj.get(k).and_then(Value::as_f64).filter(|v| v.is_finite());
    match (num("price"), num("eta_ms"), num("confidence")) {
        (Some(price), Some(eta), Some(confidence)) if eta >= 0.0 && eta.fract() == 0.0 => {
            FromAgent::Bid { auction, price, eta_ms: eta as u64, confidence }
        }
        _ => unparsable(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(price: f64, eta_ms: u64, confidence: f64) -> FromAgent {
        FromAgent::Bid { auction: "3".into(), price, eta_ms, confidence }
    }

    fn parse(content: &str) -> FromAgent {
        parse_bid("3", &Reply::plain(content))
    }

    fn declined(reason: &str) -> FromAgent {
        FromAgent::Decline { auction: "3".into(), reason: Some(reason.into()) }
    }

    #[test]
    fn the_strict_shapes_parse() {
        assert_eq!(parse(r#"{"price": 1.5, "eta_ms": 200, "confidence": 0.8}"#), bid(1.5, 200, 0.8));
        assert_eq!(parse("```json\n{\"price\": 2, \"eta_ms\": 9, \"confidence\": 1}\n```"), bid(2.0, 9, 1.0));
        assert_eq!(parse(r#" {"decline": "too busy"} "#), declined("too busy"));
        // Out-of-range numbers are the coordinator's to judge (recorded as invalid bids).
        assert_eq!(parse(r#"{"price": -1, "eta_ms": 0, "confidence": 7}"#), bid(-1.0, 0, 7.0));
    }

    #[test]
    fn anything_else_declines_with_the_raw_text() {
        assert_eq!(parse("Sure! I can do it for $5."), declined("unparsable bid: Sure! I can do it for $5."));
        assert_eq!(
            parse(r#"{"price": "5", "eta_ms": 10, "confidence": 0.5}"#),
            declined(r#"unparsable bid: {"price": "5", "eta_ms": 10, "confidence": 0.5}"#)
        );
        assert_eq!(parse(r#"{"price": 5, "eta_ms": 1.5, "confidence": 0.5}"#).type_name(), "decline");
        assert_eq!(parse("[1, 2]").type_name(), "decline");
        let long = "x".repeat(500);
        let FromAgent::Decline { reason: Some(r), .. } = parse(&long) else { panic!() };
        assert_eq!(r.chars().count(), "unparsable bid: ".len() + RAW_CHARS + 1);
    }

    #[test]
    fn reasons_are_redacted_even_when_the_json_escapes_the_key() {
        let redacted = |content: &str| {
            let reply = Reply::received(content, &crate::agents::redact::Redactor::new("sk-bid-secret-42"));
            parse_bid("3", &reply)
        };
        // No run of eight key characters in the text: only decoding the JSON reveals the key.
        assert_eq!(redacted(r#"{"decline": "sk-b\u0069d-s\u0065cret-42"}"#), declined("[redacted]"));
        assert_eq!(redacted("no: sk-bid-secret-42"), declined("unparsable bid: no: [redacted]"));
    }
}
