//! Keeping credentials out of sight. A server URL may carry them (`nats://user:password@host:4222`,
//! `nats://TOKEN@host:4222`); whatever we print shows such a URL as `nats://***@host:4222`, and
//! any text we print (a client library's error, say) has the secrets cut out. Credentials from
//! files and the environment come in a later increment.

/// The URL (or comma-separated URLs) with every `userinfo@` part replaced by `***@`.
pub fn redact(urls: &str) -> String {
    urls.split(',').map(redact_one).collect::<Vec<_>>().join(",")
}

fn redact_one(url: &str) -> String {
    match userinfo(url) {
        Some((start, end)) => format!("{}***{}", &url[..start], &url[end..]),
        None => url.to_string(),
    }
}

/// Where the `userinfo` of a URL is (before its `@`), if it has one.
fn userinfo(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some((start, start + at))
}

/// The secrets in the URLs: each whole `userinfo`, and a password on its own.
fn secrets(urls: &str) -> Vec<String> {
    let mut found = Vec::new();
    for url in urls.split(',') {
        if let Some((start, end)) = userinfo(url) {
            let info = &url[start..end];
            found.push(info.to_string());
            if let Some((_, password)) = info.split_once(':') {
                found.push(password.to_string());
            }
        }
    }
    // Longest first, so a password inside a whole userinfo does not leave the user name's half.
    found.retain(|s| !s.is_empty());
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found
}

/// `text` with the URLs' secrets replaced by `***`.
pub fn scrub(text: &str, urls: &str) -> String {
    let mut out = text.to_string();
    for secret in secrets(urls) {
        out = out.replace(&secret, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens_are_redacted() {
        assert_eq!(redact("nats://alice:s3cret@host:4222"), "nats://***@host:4222");
        assert_eq!(redact("nats://T0KEN@127.0.0.1:4222"), "nats://***@127.0.0.1:4222");
        assert_eq!(redact("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        assert_eq!(redact("a:b@h:1,nats://h2:2"), "***@h:1,nats://h2:2");
        assert_eq!(redact("nats://h:1/x@y"), "nats://h:1/x@y");
    }

    #[test]
    fn scrub_cuts_secrets_out_of_any_text() {
        let url = "nats://alice:s3cret@host:4222";
        let text = "failed: nats://alice:s3cret@host:4222 said: bad password s3cret";
        let clean = scrub(text, url);
        assert!(!clean.contains("s3cret"), "{clean}");
        assert_eq!(clean, "failed: nats://***@host:4222 said: bad password ***");
    }
}
