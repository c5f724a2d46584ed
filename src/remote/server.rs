//! Connecting to a NATS server: the URL checked first, the login and TLS as [`super::access`]
//! says, a bounded wait, errors that name the server (never its credentials: see
//! [`super::creds`]), and the server's permission denials made visible ([`Denials`]).

use std::time::Duration;

use async_nats::{ConnectErrorKind, Event, ServerError};
use tokio::sync::mpsc;

use super::access::Access;
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

/// Connects to the server with the credentials the URL carries (if any), or says why not (exit
/// 2 for the callers: unreachable or bad input). See [`connect_as`].
pub async fn connect(urls: &str, client_name: &str) -> Result<async_nats::Client, String> {
    connect_as(&Access::url_only(urls), client_name).await.map(|c| c.client)
}

/// A connection, and the permission denials the server sends on it.
pub struct Connected {
    pub client: async_nats::Client,
    pub denials: Denials,
}

/// The server's permission denials (`Permissions Violation for Publish to "…"`): the server
/// drops what it does not allow and says so on the side, so a request that is not allowed would
/// otherwise just time out.
pub struct Denials(mpsc::UnboundedReceiver<String>);

impl Denials {
    /// Waits for `work` unless the server denies a permission first: then says which.
    pub async fn unless_denied<T>(&mut self, work: impl Future<Output = T>) -> Result<T, String> {
        tokio::select! {
            biased;
            Some(denial) = self.0.recv() => Err(denial),
            out = work => Ok(out),
        }
    }
}

/// Connects to the server as `access` says — its credentials; TLS with the roots LLM agents
/// trust (webpki-roots) plus its CA file, required with a CA or a `tls://` URL, and used
/// whenever the server asks for it — or says why not (exit 2 for the callers). Once connected,
/// the client reconnects on its own if the connection drops.
pub async fn connect_as(access: &Access, client_name: &str) -> Result<Connected, String> {
    check_url(access.urls())?;
    let ca = access.ca().map(|p| p.to_string_lossy().into_owned());
    let tls = crate::agents::llm_tls::client_config(ca.as_deref()).map_err(|e| format!("--nats-ca: {e}"))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let opts = async_nats::ConnectOptions::new()
        .connection_timeout(CONNECT_TIMEOUT)
        .name(client_name)
        .tls_client_config(tls)
        .require_tls(ca.is_some())
        .event_callback(move |event| {
            let tx = tx.clone();
            async move {
                if let Event::ServerError(ServerError::Other(text)) = event
                    && text.contains("Permissions Violation")
                {
                    let _ = tx.send(text);
                }
            }
        });
    let opts = access.login(opts)?;
    let client = opts.connect(access.urls()).await.map_err(|e| connect_failed(access, &e))?;
    Ok(Connected { client, denials: Denials(rx) })
}

/// Whether the connection failed in TLS: the client says so, or its I/O error is rustls'.
fn tls_failed(e: &async_nats::ConnectError) -> bool {
    let rustls_io = std::error::Error::source(e)
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .and_then(|io| io.get_ref())
        .is_some_and(|inner| inner.is::<rustls::Error>());
    e.kind() == ConnectErrorKind::Tls || rustls_io
}

/// Why the connection failed, naming the server (not its credentials) and where the login or the
/// trust came from.
fn connect_failed(access: &Access, e: &async_nats::ConnectError) -> String {
    let shown = access.shown();
    let why = access.scrub(&e.to_string());
    match e.kind() {
        ConnectErrorKind::AuthorizationViolation => {
            format!("the NATS server at {shown} refused the login ({}): {why}", access.source())
        }
        _ if tls_failed(e) => match access.ca() {
            Some(ca) => {
                format!("TLS to the NATS server at {shown} failed (trusting the CA in {}): {why}", ca.display())
            }
            None => format!(
                "TLS to the NATS server at {shown} failed: {why} (a certificate from a private CA needs --nats-ca FILE)"
            ),
        },
        _ => format!("cannot reach the NATS server at {shown}: {why}"),
    }
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
