//! Misbehaving responses (`/fault/<mode>`) and the ways a scripted reply
//! ends its connection: close, reset, stall.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::raw::{Reply, Then};
use crate::server::Transport;

/// The names of all fault modes, for the 404 message and documentation.
pub(crate) const MODES: &[&str] = &[
    "truncated-body",
    "bad-chunk-size",
    "reset-mid-body",
    "reset-after-headers",
    "reset-before-headers",
    "stall-before-headers",
    "stall-mid-body",
    "invalid-status-line",
    "not-http",
    "oversize-header",
    "too-many-headers",
    "conflicting-content-length",
    "chunked-and-length",
    "close-delimited",
    "chunked-with-extensions-and-trailers",
    "empty-reply",
];

/// The scripted reply for fault `mode`, if there is such a mode.
pub(crate) fn fault(mode: &str) -> Option<Reply> {
    let reply = |bytes: Vec<u8>, then| Reply { bytes, then };
    Some(match mode {
        "truncated-body" => reply(ok_with_length(100, 50), Then::Close),
        "bad-chunk-size" => reply(
            [CHUNKED_HEAD, b"5\r\nhello\r\nzz\r\n"].concat(),
            Then::Close,
        ),
        "reset-mid-body" => reply(ok_with_length(100_000, 1000), Then::Reset),
        "reset-after-headers" => reply(ok_with_length(100, 0), Then::Reset),
        "reset-before-headers" => reply(Vec::new(), Then::Reset),
        "stall-before-headers" => reply(Vec::new(), Then::Stall),
        "stall-mid-body" => reply(ok_with_length(1000, 10), Then::Stall),
        "invalid-status-line" => reply(b"HTTP/1.1 abc Oops\r\n\r\n".to_vec(), Then::Close),
        "not-http" => reply(b"SSH-2.0-OpenSSH\r\n".to_vec(), Then::Close),
        "oversize-header" => reply(oversize_header(), Then::Close),
        "too-many-headers" => reply(too_many_headers(), Then::Close),
        "conflicting-content-length" => reply(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\nhello world!"
                .to_vec(),
            Then::Close,
        ),
        "chunked-and-length" => reply(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nb\r\nhello world\r\n0\r\n\r\n"
                .to_vec(),
            Then::Close,
        ),
        "close-delimited" => reply(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nclose delimited body".to_vec(),
            Then::Close,
        ),
        // A valid response, so the connection may be reused after it.
        "chunked-with-extensions-and-trailers" => reply(
            [
                CHUNKED_HEAD_WITH_TRAILER,
                b"5;ext=1\r\nhello\r\n6;ext=\"two words\";flag\r\n world\r\n0;last=1\r\nX-Trailer: yes\r\n\r\n",
            ]
            .concat(),
            Then::KeepAlive,
        ),
        "empty-reply" => reply(Vec::new(), Then::Close),
        _ => return None,
    })
}

const CHUNKED_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
const CHUNKED_HEAD_WITH_TRAILER: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n";

/// A 200 head announcing `length` body bytes, followed by only `sent` of them.
fn ok_with_length(length: usize, sent: usize) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n"
    )
    .into_bytes();
    out.resize(out.len() + sent, b'x');
    out
}

/// A response with one 70,000-byte header line (name, colon, value).
fn oversize_header() -> Vec<u8> {
    let mut line = b"X-Oversize: ".to_vec();
    line.resize(70_000, b'a');
    [
        b"HTTP/1.1 200 OK\r\n".as_slice(),
        &line,
        b"\r\nContent-Length: 0\r\n\r\n",
    ]
    .concat()
}

/// A response with 120 header lines in addition to Content-Length.
fn too_many_headers() -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..120 {
        out.extend_from_slice(format!("X-Header-{i}: {i}\r\n").as_bytes());
    }
    out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    out
}

/// Writes the scripted bytes, if any.
pub(crate) async fn send<S: Transport>(io: &mut S, bytes: &[u8]) -> io::Result<()> {
    if !bytes.is_empty() {
        io.write_all(bytes).await?;
        io.flush().await?;
    }
    Ok(())
}

/// Ends a connection as `then` says. `KeepAlive` is treated like `Close`
/// here: callers that can keep the connection handle it themselves.
pub(crate) async fn conclude<S: Transport>(mut io: S, then: Then) {
    match then {
        Then::Close | Then::KeepAlive => {
            let _ = io.shutdown().await;
        }
        Then::Reset => {
            // SO_LINGER 0 makes close() send RST instead of FIN.
            let _ = io.tcp().set_zero_linger();
            drop(io);
        }
        Then::Stall => stall(&mut io).await,
    }
}

/// Holds the connection open, sending nothing, until the peer closes it
/// (or the server shuts down and drops this task).
async fn stall<S: Transport>(io: &mut S) {
    let mut scratch = [0u8; 4096];
    while let Ok(n) = io.read(&mut scratch).await {
        if n == 0 {
            break;
        }
    }
}
