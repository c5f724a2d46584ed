//! Redaction of a secret (an LLM agent's API key) from text that came back from the network,
//! before that text reaches an event, the journal, the screen or a log.
//!
//! Endpoints echo keys: `Incorrect API key provided: sk-…` in a 401 body, a masked
//! `sk-proj-****abcd`, a prefix, or the key inside a JSON string (escaped) or a URL
//! (percent-encoded). So what is replaced is not only the key but **every run of at least
//! [`MIN_FRAGMENT`] bytes made of the key's own [`MIN_FRAGMENT`]-byte pieces**, in the key as it is
//! and in its JSON-escaped and percent-encoded spellings; a key shorter than that is replaced only
//! whole. Each such run becomes one [`MARKER`].
//!
//! Any substring of the key of length ≥ `MIN_FRAGMENT` is a chain of overlapping pieces of exactly
//! that length, so marking every window of the text that equals a piece and merging the marks
//! covers every such fragment; it can over-mark (pieces from different parts of the key that
//! happen to overlap), which only hides harmless text. One pass over the text with a rolling
//! 8-byte window and a set lookup: linear in the text, whatever its size.

use std::sync::Arc;

use serde_json::Value;

use crate::fasthash::FastSet;

/// What a redacted run of text is replaced by.
pub const MARKER: &str = "[redacted]";

/// Shortest fragment of the key that is redacted (a key shorter than this is redacted whole).
pub const MIN_FRAGMENT: usize = 8;

/// Replaces a secret's fragments in text; cheap to clone. [`Redactor::none`] changes nothing.
#[derive(Clone, Default)]
pub struct Redactor(Option<Arc<Needles>>);

/// The secret's pieces: the [`MIN_FRAGMENT`]-byte windows of each spelling, as little-endian
/// words, and the spellings shorter than a window, matched whole.
struct Needles {
    pieces: FastSet<u64>,
    short: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the pieces: they are the secret.
        f.write_str(if self.0.is_some() { "Redactor(secret)" } else { "Redactor(none)" })
    }
}

/// The spellings of `secret` an endpoint may echo: as is, JSON-escaped (with `/` escaped or not,
/// and `<`, `>`, `&` as `\u00XX` as Go's encoder writes them), percent-encoded (upper or lower hex,
/// `-._~` kept or not).
fn spellings(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json[1..json.len() - 1].to_string();
    let go_json = json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
    // Encoders differ on `-._~`: one spelling keeps them, one encodes every non-alphanumeric byte.
    let percent = |keep: &[u8]| -> String {
        let mut out = String::new();
        for b in secret.bytes() {
            if b.is_ascii_alphanumeric() || keep.contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    let (percent, all_percent) = (percent(b"-._~"), percent(b""));
    let mut all = vec![secret.to_string(), json.replace('/', "\\/"), json, go_json];
    all.extend([percent.to_lowercase(), percent, all_percent.to_lowercase(), all_percent]);
    all.sort();
    all.dedup();
    all
}

fn word(window: &[u8]) -> u64 {
    let mut w = [0u8; MIN_FRAGMENT];
    w.copy_from_slice(window);
    u64::from_le_bytes(w)
}

impl Redactor {
    /// Changes nothing (an agent without a key).
    pub fn none() -> Redactor {
        Redactor(None)
    }

    /// Redacts `secret`; an empty secret redacts nothing.
    pub fn new(secret: &str) -> Redactor {
        if secret.is_empty() {
            return Redactor(None);
        }
        let mut needles = Needles { pieces: FastSet::default(), short: Vec::new() };
        for s in spellings(secret) {
            if s.len() < MIN_FRAGMENT {
                needles.short.push(s.into_bytes());
            } else {
                needles.pieces.extend(s.as_bytes().windows(MIN_FRAGMENT).map(word));
            }
        }
        Redactor(Some(Arc::new(needles)))
    }

    /// `text` with every fragment of the secret replaced by [`MARKER`].
    pub fn text(&self, text: &str) -> String {
        let Some(needles) = &self.0 else { return text.to_string() };
        let bytes = text.as_bytes();
        let mut runs: Vec<(usize, usize)> = Vec::new();
        let mut mark = |start: usize, end: usize| match runs.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => runs.push((start, end)),
        };
        if !needles.pieces.is_empty() && bytes.len() >= MIN_FRAGMENT {
            let mut w = word(&bytes[..MIN_FRAGMENT]);
            for start in 0..=bytes.len() - MIN_FRAGMENT {
                if start > 0 {
                    w = (w >> 8) | (u64::from(bytes[start + MIN_FRAGMENT - 1]) << 56);
                }
                if needles.pieces.contains(&w) {
                    mark(start, start + MIN_FRAGMENT);
                }
            }
        }
        for needle in &needles.short {
            let mut short_runs: Vec<(usize, usize)> = Vec::new();
            for start in 0..(bytes.len() + 1).saturating_sub(needle.len()) {
                if bytes[start..].starts_with(needle) {
                    short_runs.push((start, start + needle.len()));
                }
            }
            for (start, end) in short_runs {
                mark(start, end);
            }
        }
        if runs.is_empty() {
            return text.to_string();
        }
        runs.sort_unstable();
        let mut out = String::with_capacity(text.len());
        // The end of the last run written: a run that overlaps or touches it extends it.
        let mut at: Option<usize> = None;
        for (start, end) in runs {
            match at {
                Some(last) if start <= last => at = Some(last.max(end)),
                _ => {
                    // The spellings are ASCII, so a run starts and ends on character boundaries.
                    out.push_str(&text[at.unwrap_or(0)..start]);
                    out.push_str(MARKER);
                    at = Some(end);
                }
            }
        }
        out.push_str(&text[at.unwrap_or(0)..]);
        out
    }

    /// Redacts every string of `value`, object keys included (a JSON reply may spell the secret
    /// with `\u` escapes that only decoding reveals).
    pub fn value(&self, value: &mut Value) {
        if self.0.is_none() {
            return;
        }
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Object(map) => {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    self.value(&mut v);
                    map.insert(self.text(&k), v);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-proj-Ab12Cd34Ef56Gh78";

    #[test]
    fn the_key_and_its_long_fragments_are_replaced() {
        let r = Redactor::new(KEY);
        assert_eq!(r.text(&format!("Incorrect API key provided: {KEY}.")), "Incorrect API key provided: [redacted].");
        assert_eq!(r.text("prefix sk-proj-Ab12 then Ef56Gh78!"), "prefix [redacted] then [redacted]!");
        // Shorter than MIN_FRAGMENT: kept (a masked key's last four, say).
        assert_eq!(r.text("sk-proj-****Gh78"), "[redacted]****Gh78");
        assert_eq!(r.text("key ends Gh78"), "key ends Gh78");
        assert_eq!(r.text(&format!("{KEY}{KEY}")), "[redacted]");
        assert_eq!(r.text("nothing here, ünïcode ok"), "nothing here, ünïcode ok");
        assert_eq!(r.text("k=sk%2Dproj%2DAb12Cd34"), "k=[redacted]");
        assert_eq!(Redactor::none().text(KEY), KEY);
    }

    #[test]
    fn escaped_and_encoded_spellings_are_replaced() {
        let key = "ab/cd\"ef+gh&ij";
        let r = Redactor::new(key);
        for spelled in
            [r#"ab\/cd\"ef+gh&ij"#, r#"ab/cd\"ef+gh\u0026ij"#, "ab%2Fcd%22ef%2Bgh%26ij", "ab%2fcd%22ef%2bgh%26ij"]
        {
            assert_eq!(r.text(&format!("<{spelled}>")), "<[redacted]>", "{spelled}");
        }
        let mut v = serde_json::json!({"a": [key, 1], key: {"b": format!("x{key}")}});
        r.value(&mut v);
        assert_eq!(v, serde_json::json!({"a": ["[redacted]", 1], "[redacted]": {"b": "x[redacted]"}}));
    }

    #[test]
    fn short_keys_are_replaced_whole() {
        let r = Redactor::new("k3y");
        assert_eq!(r.text("k3y and k3 and k3yk3y"), "[redacted] and k3 and [redacted]");
        assert_eq!(format!("{r:?}"), "Redactor(secret)");
    }

    #[test]
    fn huge_texts_take_linear_time() {
        let r = Redactor::new(KEY);
        let text = format!("{}{KEY}", "sk-proj-Ab1".repeat(400_000));
        let start = std::time::Instant::now();
        let out = r.text(&text);
        assert!(out.ends_with("[redacted]") && !out.contains("Ab12Cd34"));
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "{:?}", start.elapsed());
    }
}
