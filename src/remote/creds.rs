//! Credentials, and keeping them out of sight. A server URL may carry them
//! (`nats://user:password@host:4222`, `nats://TOKEN@host:4222`, percent-encoded): [`from_url`]
//! takes them out for the connection; whatever we print shows such a URL as
//! `nats://***@host:4222`, and any text we print (a client library's error, say) has the secrets
//! cut out. Credentials from files and the environment are [`super::access`]'s.

/// Credentials a URL carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlAuth {
    UserPassword(String, String),
    Token(String),
}

/// The credentials of the first URL (of comma-separated ones) that has any.
pub fn from_url(urls: &str) -> Option<UrlAuth> {
    urls.split(',').find_map(|url| {
        let (start, end) = userinfo(url)?;
        let info = &url[start..end];
        Some(match info.split_once(':') {
            Some((user, password)) => UrlAuth::UserPassword(percent_decode(user), percent_decode(password)),
            None => UrlAuth::Token(percent_decode(info)),
        })
    })
}

/// `%40` → `@` and so on (a byte sequence that is not UTF-8 is kept lossily).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

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
pub fn secrets(urls: &str) -> Vec<String> {
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
    let mut all = secrets(urls);
    match from_url(urls) {
        Some(UrlAuth::UserPassword(_, secret) | UrlAuth::Token(secret)) if !secret.is_empty() => all.push(secret),
        _ => {}
    }
    for secret in all {
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
    fn credentials_come_out_of_the_url_decoded() {
        let pair = |u: &str, p: &str| Some(UrlAuth::UserPassword(u.into(), p.into()));
        assert_eq!(from_url("nats://alice:s3cret@host:4222"), pair("alice", "s3cret"));
        assert_eq!(from_url("nats://a%40b:p%3Aw%25@host:4222"), pair("a@b", "p:w%"));
        assert_eq!(from_url("nats://T0KEN@host:4222"), Some(UrlAuth::Token("T0KEN".into())));
        assert_eq!(from_url("nats://h:1,nats://u:p@h:2"), pair("u", "p"));
        assert_eq!(from_url("nats://host:4222"), None);
        assert_eq!(scrub("bad p:w%", "nats://a%40b:p%3Aw%25@host:4222"), "bad ***");
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
