//! Connecting to a NATS server: the URL checked first, a bounded wait, and errors that name the
//! server (never its credentials: see [`super::creds`]).

use std::time::Duration;

use super::creds;

/// How long a connection attempt may take before the server counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks a server URL (or several, comma-separated): `nats://HOST[:PORT]` or `tls://HOST[:PORT]`.
pub fn check_url(urls: &str) -> Result<(), String> {
    for one in urls.split(',') {
        let shown = creds::redact(one);
        let bad = |why: &str| Err(format!("bad server URL `{shown}`: {why} (expected nats://HOST:PORT)"));
        let Some((scheme, _)) = one.split_once("://") else { return bad("no scheme") };
        if !matches!(scheme, "nats" | "tls") {
            return bad("the scheme must be nats:// or tls://");
        }
        match url::Url::parse(one) {
            Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => {}
            Ok(_) => return bad("no host"),
            Err(e) => return bad(&e.to_string()),
        }
    }
    Ok(())
}

/// Connects to the server, or says why not (exit 2 for the callers: unreachable or bad input).
/// Once connected, the client reconnects on its own if the connection drops.
pub async fn connect(urls: &str, client_name: &str) -> Result<async_nats::Client, String> {
    check_url(urls)?;
    let mut opts = async_nats::ConnectOptions::new().connection_timeout(CONNECT_TIMEOUT).name(client_name);
    // The client does not read credentials from the URL itself.
    match creds::from_url(urls) {
        Some(creds::UrlAuth::UserPassword(user, password)) => opts = opts.user_and_password(user, password),
        Some(creds::UrlAuth::Token(token)) => opts = opts.token(token),
        None => {}
    }
    opts.connect(urls).await.map_err(|e| {
        format!("cannot reach the NATS server at {}: {}", creds::redact(urls), creds::scrub(&e.to_string(), urls))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_without_showing_secrets() {
        assert!(check_url("nats://127.0.0.1:4222").is_ok());
        assert!(check_url("tls://nats.example:4443,nats://b:4222").is_ok());
        let e = check_url("http://u:pw@h:1").unwrap_err();
        assert!(e.contains("nats://") && !e.contains("pw"), "{e}");
        assert!(check_url("127.0.0.1:4222").unwrap_err().contains("no scheme"));
        assert!(check_url("nats://h:99999").is_err());
    }
}
