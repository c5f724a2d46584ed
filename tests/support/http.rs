//! Shared by the tests that serve LLM endpoints on loopback: reading one HTTP/1.1 request.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads the head, then as much body as `Content-Length` says (the name in any case, as HTTP
/// allows); `None` if the peer closes first.
pub async fn read_request<S: AsyncRead + Unpin>(sock: &mut S) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        let Some(end) = text.find("\r\n\r\n") else { continue };
        let len = header(&text[..end], "content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
        if buf.len() >= end + 4 + len {
            return Some(text);
        }
    }
}

/// The value of header `name` (any case) in a request's head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}
