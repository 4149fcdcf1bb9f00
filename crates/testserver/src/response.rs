//! Responses and how they are written to the wire.

use std::borrow::Cow;
use std::io::{self, Write as _};

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Bodies up to this size are copied behind the head so that the whole
/// response goes out in one write; bigger ones are written separately.
const COALESCE_LIMIT: usize = 64 * 1024;

/// A response body.
pub(crate) enum Body {
    /// A body sent with Content-Length (possibly empty).
    Full(Bytes),
    /// No body and no Content-Length at all (1xx, 204 and 304).
    Nothing,
    /// A body generated piece by piece, sent with chunked transfer coding.
    Chunked(ChunkSource),
}

/// Produces the chunks of a streamed body lazily.
pub(crate) enum ChunkSource {
    /// `remaining` pseudo-random bytes in chunks of `chunk` bytes.
    Random {
        rng: Rng,
        remaining: u64,
        chunk: usize,
    },
    /// The same piece `times` times (used for the gzip bomb).
    Repeat { piece: Bytes, times: u64 },
}

impl ChunkSource {
    pub(crate) fn next_chunk(&mut self) -> Option<Bytes> {
        match self {
            ChunkSource::Random {
                rng,
                remaining,
                chunk,
            } => {
                let n = (*chunk as u64).min(*remaining) as usize;
                if n == 0 {
                    return None;
                }
                *remaining -= n as u64;
                let mut v = vec![0; n];
                rng.fill(&mut v);
                Some(v.into())
            }
            ChunkSource::Repeat { piece, times } => {
                if *times == 0 {
                    return None;
                }
                *times -= 1;
                Some(piece.clone())
            }
        }
    }
}

/// A small, fast, deterministic generator for pseudo-random test bytes
/// (xorshift64*); deterministic so that tests can compare bodies.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        // xorshift must not start at zero.
        Rng((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// An HTTP response to be written.
pub(crate) struct Response {
    pub(crate) status: u16,
    /// Content-Type, kept apart from `headers` so that most responses need
    /// no header vector allocation.
    pub(crate) content_type: Option<&'static str>,
    pub(crate) headers: Vec<(Cow<'static, str>, String)>,
    pub(crate) body: Body,
    /// Close the connection after this response whatever the client asked.
    pub(crate) close: bool,
}

impl Response {
    /// A response with a Content-Length body.
    pub(crate) fn new(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Response {
        Response {
            status,
            content_type: Some(content_type),
            headers: Vec::new(),
            body: Body::Full(body.into()),
            close: false,
        }
    }

    /// An empty response (Content-Length: 0, or none where the status forbids a body).
    pub(crate) fn empty(status: u16) -> Response {
        let body = if forbids_body(status) {
            Body::Nothing
        } else {
            Body::Full(Bytes::new())
        };
        Response {
            status,
            content_type: None,
            headers: Vec::new(),
            body,
            close: false,
        }
    }

    /// A JSON response.
    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Response {
        let mut body = serde_json::to_vec(value).unwrap_or_default();
        body.push(b'\n');
        Response::new(status, "application/json", body)
    }

    /// Adds a header line.
    pub(crate) fn header(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

fn forbids_body(status: u16) -> bool {
    status < 200 || status == 204 || status == 304
}

/// How the response tells the client about connection persistence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Persistence {
    /// HTTP/1.1 default: say nothing.
    Default,
    /// An HTTP/1.0 client asked for keep-alive.
    KeepAlive,
    /// The connection closes after this response.
    Close,
}

/// Writes `resp` to `io`, using `out` as the (reused) staging buffer.
pub(crate) async fn write_response<S>(
    io: &mut S,
    out: &mut Vec<u8>,
    resp: Response,
    head_only: bool,
    persistence: Persistence,
) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    out.clear();
    write_head(out, &resp, persistence)?;
    if head_only {
        io.write_all(out).await?;
        return io.flush().await;
    }
    match resp.body {
        Body::Nothing => io.write_all(out).await?,
        Body::Full(body) if body.len() <= COALESCE_LIMIT => {
            out.extend_from_slice(&body);
            io.write_all(out).await?;
        }
        Body::Full(body) => {
            io.write_all(out).await?;
            io.write_all(&body).await?;
        }
        Body::Chunked(source) => write_chunks(io, out, source).await?,
    }
    io.flush().await
}

fn write_head(out: &mut Vec<u8>, resp: &Response, persistence: Persistence) -> io::Result<()> {
    write!(out, "HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status))?;
    if let Some(ct) = resp.content_type {
        write!(out, "Content-Type: {ct}\r\n")?;
    }
    for (name, value) in &resp.headers {
        write!(out, "{name}: {value}\r\n")?;
    }
    match &resp.body {
        Body::Full(b) => write!(out, "Content-Length: {}\r\n", b.len())?,
        Body::Chunked(_) => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        Body::Nothing => {}
    }
    match persistence {
        Persistence::Default => {}
        Persistence::KeepAlive => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        Persistence::Close => out.extend_from_slice(b"Connection: close\r\n"),
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Streams a chunked body, batching small chunks into few writes.
async fn write_chunks<S>(io: &mut S, out: &mut Vec<u8>, mut source: ChunkSource) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    while let Some(chunk) = source.next_chunk() {
        write!(out, "{:x}\r\n", chunk.len())?;
        out.extend_from_slice(&chunk);
        out.extend_from_slice(b"\r\n");
        if out.len() >= COALESCE_LIMIT {
            io.write_all(out).await?;
            out.clear();
        }
    }
    out.extend_from_slice(b"0\r\n\r\n");
    io.write_all(out).await
}

/// The reason phrase for a status code.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunked_stream_framing() {
        let mut wire = Vec::new();
        let resp = Response {
            status: 200,
            content_type: None,
            headers: Vec::new(),
            body: Body::Chunked(ChunkSource::Repeat {
                piece: Bytes::from_static(b"ab"),
                times: 2,
            }),
            close: false,
        };
        write_response(&mut wire, &mut Vec::new(), resp, false, Persistence::Close)
            .await
            .unwrap();
        assert_eq!(
            wire,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nab\r\n2\r\nab\r\n0\r\n\r\n"
        );
    }
}
