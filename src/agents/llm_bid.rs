//! LLM agents in auctions: a `cfp` becomes one chat request asking for a bid in a strict JSON
//! shape, and the reply is parsed defensively — anything but that shape is a `decline` whose
//! reason records the raw text (cut), so a chatty model never breaks an auction.

use serde_json::Value;

use super::FromAgent;

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

/// A reply's JSON object, if it is one: a fenced block (```json … ```) is the one liberty taken
/// with the shape.
pub(super) fn reply_object(content: &str) -> Option<serde_json::Map<String, Value>> {
    let text = content.trim();
    let inner = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .map_or(text, str::trim);
    match serde_json::from_str::<Value>(inner) {
        Ok(Value::Object(obj)) => Some(obj),
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
pub fn parse_bid(auction: &str, content: &str) -> FromAgent {
    let auction = auction.to_string();
    let decline = |reason: String| FromAgent::Decline { auction: auction.clone(), reason: Some(reason) };
    let unparsable = || decline(format!("unparsable bid: {}", raw_start(content)));
    let Some(obj) = reply_object(content) else { return unparsable() };
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

    fn declined(reason: &str) -> FromAgent {
        FromAgent::Decline { auction: "3".into(), reason: Some(reason.into()) }
    }

    #[test]
    fn the_strict_shapes_parse() {
        assert_eq!(parse_bid("3", r#"{"price": 1.5, "eta_ms": 200, "confidence": 0.8}"#), bid(1.5, 200, 0.8));
        assert_eq!(parse_bid("3", "```json\n{\"price\": 2, \"eta_ms\": 9, \"confidence\": 1}\n```"), bid(2.0, 9, 1.0));
        assert_eq!(parse_bid("3", r#" {"decline": "too busy"} "#), declined("too busy"));
        // Out-of-range numbers are the coordinator's to judge (recorded as invalid bids).
        assert_eq!(parse_bid("3", r#"{"price": -1, "eta_ms": 0, "confidence": 7}"#), bid(-1.0, 0, 7.0));
    }

    #[test]
    fn anything_else_declines_with_the_raw_text() {
        assert_eq!(parse_bid("3", "Sure! I can do it for $5."), declined("unparsable bid: Sure! I can do it for $5."));
        assert_eq!(
            parse_bid("3", r#"{"price": "5", "eta_ms": 10, "confidence": 0.5}"#),
            declined(r#"unparsable bid: {"price": "5", "eta_ms": 10, "confidence": 0.5}"#)
        );
        assert_eq!(parse_bid("3", r#"{"price": 5, "eta_ms": 1.5, "confidence": 0.5}"#).type_name(), "decline");
        assert_eq!(parse_bid("3", "[1, 2]").type_name(), "decline");
        let long = "x".repeat(500);
        let FromAgent::Decline { reason: Some(r), .. } = parse_bid("3", &long) else { panic!() };
        assert_eq!(r.chars().count(), "unparsable bid: ".len() + RAW_CHARS + 1);
    }
}
