//! An LLM agent's `base_url`, checked with a real URL parser (the `url` crate, WHATWG rules) when
//! the scenario is loaded, and again when the agent starts: `http://` or `https://`, a host (ASCII:
//! an international name in its punycode form), no credentials (the key belongs in the variable
//! `api_key_env` names), no query or fragment, and no whitespace or control character anywhere
//! (the parser would silently drop a tab or a line break; a header built from such a URL could be
//! split). Errors never repeat a URL that holds credentials.

use url::Url;

/// `raw` as a usable endpoint base, or what is wrong with it.
pub fn check_base_url(raw: &str) -> Result<Url, String> {
    if let Some(c) = raw.chars().find(|c| c.is_control() || c.is_whitespace()) {
        let what = match c {
            '\r' => "a carriage return (CR)".to_string(),
            '\n' => "a line feed (LF)".to_string(),
            ' ' => "a space".to_string(),
            c => format!("the character U+{:04X}", c as u32),
        };
        return Err(format!("must not contain {what} (whitespace and control characters are refused)"));
    }
    let has_credentials = raw
        .split_once("://")
        .map_or(raw, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|a| a.contains('@'));
    let shown = if has_credentials { String::new() } else { format!(", found {raw:?}") };
    let lower = raw.to_ascii_lowercase();
    // The parser accepts `http:host`, `https:///host` and backslashes for special schemes; a
    // scenario should say what it means.
    let rest = match (lower.strip_prefix("http://"), lower.strip_prefix("https://")) {
        (Some(rest), _) | (_, Some(rest)) => rest,
        _ => return Err(format!("expected an http:// or https:// URL{shown}")),
    };
    if rest.starts_with('/') || rest.is_empty() {
        return Err(format!("no host after the scheme{shown}"));
    }
    if raw.contains('\\') {
        return Err(format!("must not contain a backslash{shown}"));
    }
    if has_credentials {
        return Err("must not contain credentials (user:password@): name the variable holding the key in \
                    api_key_env"
            .to_string());
    }
    let url = Url::parse(raw).map_err(|e| format!("not a valid URL ({e}){shown}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("no host{shown}"));
    }
    if url.query().is_some() {
        return Err(format!("must not have a query (?…){shown}"));
    }
    if url.fragment().is_some() {
        return Err(format!("must not have a fragment (#…){shown}"));
    }
    Ok(url)
}

/// `{base_url}/chat/completions`, whether `base_url` ends in `/` or not.
pub fn chat_endpoint(base: &Url) -> Url {
    let mut url = base.clone();
    let path = format!("{}/chat/completions", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(raw: &str) -> Result<String, String> {
        check_base_url(raw).map(|u| chat_endpoint(&u).to_string())
    }

    #[test]
    fn usable_urls_give_the_chat_endpoint() {
        assert_eq!(endpoint("http://127.0.0.1:11434/v1"), Ok("http://127.0.0.1:11434/v1/chat/completions".into()));
        assert_eq!(endpoint("http://localhost:11434/v1/"), Ok("http://localhost:11434/v1/chat/completions".into()));
        assert_eq!(endpoint("https://api.example.com"), Ok("https://api.example.com/chat/completions".into()));
        assert_eq!(endpoint("HTTPS://[::1]:8443/v1"), Ok("https://[::1]:8443/v1/chat/completions".into()));
    }

    #[test]
    fn unusable_urls_say_why_without_repeating_credentials() {
        let err = |raw: &str| check_base_url(raw).unwrap_err();
        assert_eq!(err("ftp://x"), r#"expected an http:// or https:// URL, found "ftp://x""#);
        assert_eq!(err("http:example.com"), r#"expected an http:// or https:// URL, found "http:example.com""#);
        assert_eq!(err("https:///v1"), r#"no host after the scheme, found "https:///v1""#);
        assert_eq!(err("http://"), r#"no host after the scheme, found "http://""#);
        assert!(err("http://host/v1\r\nX-Evil: 1").starts_with("must not contain a carriage return (CR)"));
        assert!(err("http://ho\tst/v1").starts_with("must not contain the character U+0009"));
        assert!(err("http://host/v1 ").starts_with("must not contain a space"));
        assert!(err("http://host/\u{7f}").starts_with("must not contain the character U+007F"));
        let creds = err("https://user:sk-secret@api.example.com/v1");
        assert!(creds.starts_with("must not contain credentials") && !creds.contains("sk-secret"), "{creds}");
        assert!(!err("ftp://user:sk-secret@host").contains("sk-secret"));
        assert_eq!(err("http://host/v1?x=1"), r#"must not have a query (?…), found "http://host/v1?x=1""#);
        assert_eq!(err("http://host/v1#top"), r#"must not have a fragment (#…), found "http://host/v1#top""#);
        assert_eq!(err("http://host\\v1"), r#"must not contain a backslash, found "http://host\\v1""#);
        assert!(err("http://ho st").starts_with("must not contain a space"));
        assert!(
            err("http://[::1/v1").starts_with("not a valid URL (invalid IPv6 address)"),
            "{}",
            err("http://[::1/v1")
        );
        assert!(err("http://host:99999/v1").starts_with("not a valid URL (invalid port number)"));
        // Cargo.lock pins idna_adapter to its no-Unicode version: such hosts are written in punycode.
        assert!(err("http://bücher.example/v1").starts_with("not a valid URL (invalid international domain name)"));
        assert!(check_base_url("http://xn--bcher-kva.example/v1").is_ok());
    }
}
