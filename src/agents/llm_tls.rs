//! TLS for LLM agents' `https://` endpoints: rustls on the `ring` provider, trusting the Mozilla
//! roots of `webpki-roots` plus the certificates of the agent's optional `ca_file` (a private CA, or
//! a test's). One client configuration is built per agent when the run starts and handed to its
//! HTTP client, which shares it between all of its requests.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The certificates in a PEM file's text; an error says what is wrong (none, or unreadable PEM).
pub fn pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a readable PEM file: {e}"))?;
    if certs.is_empty() {
        return Err("contains no PEM certificate (-----BEGIN CERTIFICATE-----)".to_string());
    }
    Ok(certs)
}

/// The largest CA file read: 16 MiB (the system's whole bundle is about 200 kB).
const MAX_CA_BYTES: u64 = 16 << 20;

/// Adds `ca_file`'s certificates to `roots`; an error says why the file cannot serve (unreadable,
/// no certificate, or one that is not a usable root). Returns how many were added.
pub fn read_ca_file(path: &std::path::Path, roots: &mut RootCertStore) -> Result<usize, String> {
    let reason = |e: std::io::Error| crate::scenario::io_reason(&e);
    // Bounded: a CA bundle is a few hundred kB, and `/dev/zero` must not fill the memory.
    let pem = crate::scenario::read_at_most(path, MAX_CA_BYTES)
        .map_err(|e| format!("cannot read CA file {}: {}", path.display(), reason(e)))?
        .ok_or_else(|| format!("CA file {}: larger than {MAX_CA_BYTES} bytes: not a CA bundle", path.display()))?;
    let certs = pem_certificates(&pem).map_err(|why| format!("CA file {}: {why}", path.display()))?;
    let count = certs.len();
    for cert in certs {
        roots.add(cert).map_err(|e| format!("CA file {}: unusable certificate: {e}", path.display()))?;
    }
    Ok(count)
}

/// The client configuration of an agent: the built-in roots, plus `ca_file`'s certificates.
pub fn client_config(ca_file: Option<&str>) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = ca_file {
        read_ca_file(std::path::Path::new(path), &mut roots)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_files_must_hold_a_certificate() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let ca = format!("{dir}/tests/fixtures/tls/ca.pem");
        assert_eq!(read_ca_file(std::path::Path::new(&ca), &mut RootCertStore::empty()), Ok(1));
        assert!(client_config(Some(&ca)).is_ok());
        let err = pem_certificates(b"just text\n").unwrap_err();
        assert!(err.contains("contains no PEM certificate"), "{err}");
        let key = format!("{dir}/tests/fixtures/tls/server.key");
        let err = read_ca_file(std::path::Path::new(&key), &mut RootCertStore::empty()).unwrap_err();
        assert!(err.ends_with("server.key: contains no PEM certificate (-----BEGIN CERTIFICATE-----)"), "{err}");
        let err = client_config(Some("/nonexistent/ca.pem")).unwrap_err();
        assert_eq!(err, "cannot read CA file /nonexistent/ca.pem: No such file or directory");
        // Read no further than the limit: `/dev/zero` is refused, not read until memory runs out.
        let err = client_config(Some("/dev/zero")).unwrap_err();
        assert_eq!(err, format!("CA file /dev/zero: larger than {MAX_CA_BYTES} bytes: not a CA bundle"));
    }
}
