//! Reading HTTP/1.1 requests off a connection, keeping the exact wire bytes.
//!
//! The reader owns one growable buffer per connection. A request's head and
//! (usually) its body stay in that buffer, so `/echo` can return the bytes as
//! they arrived and the common case needs no copying: header names and values
//! are stored as ranges into the buffer instead of owned strings.

use std::io;
use std::net::SocketAddr;
use std::ops::Range;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Largest request head accepted; beyond it the client gets a 431.
const MAX_HEAD: usize = 1 << 20;
/// Most header lines accepted in one request head.
const MAX_HEADERS: usize = 256;
/// Largest body kept in memory (streamed-and-counted bodies have no cap).
const MAX_KEPT_BODY: u64 = 512 << 20;
/// Longest chunk-size or trailer line accepted in a chunked body.
const MAX_LINE: usize = 64 * 1024;
/// How much free room to ask the buffer for before each read.
const READ_CHUNK: usize = 16 * 1024;

/// Why a request could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Reading failed (the error itself is of no use to the server).
    Io,
    /// The peer closed the connection in the middle of a request.
    Eof,
    Malformed(&'static str),
    HeadTooLarge,
    BodyTooLarge,
}

impl ReadError {
    /// The status to answer with before closing, if the peer is still there.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            ReadError::Malformed(_) => Some(400),
            ReadError::HeadTooLarge => Some(431),
            ReadError::BodyTooLarge => Some(413),
            ReadError::Io | ReadError::Eof => None,
        }
    }

    /// A short explanation for the client.
    pub(crate) fn message(&self) -> &'static str {
        match self {
            ReadError::Malformed(why) => why,
            ReadError::HeadTooLarge => "request head too large",
            ReadError::BodyTooLarge => "request body too large",
            ReadError::Io | ReadError::Eof => "",
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

/// What to do with a request body while reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyMode {
    /// Keep the body (and its wire framing) in memory.
    Keep,
    /// Only count the body bytes, discarding them as they arrive, so
    /// benchmark uploads of any size use bounded memory.
    Count,
}

/// How the request body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// Where the current request's body can be found.
#[derive(Clone, Debug)]
enum BodyLoc {
    /// A Content-Length body, still in the read buffer.
    InBuf(Range<usize>),
    /// A chunked body, decoded into `Reader::decoded`.
    Decoded,
    /// A body that was only counted.
    Counted(u64),
}

/// Positions of one parsed request head inside the read buffer.
#[derive(Default)]
struct Head {
    method: Range<usize>,
    target: Range<usize>,
    minor_version: u8,
    headers: Vec<(Range<usize>, Range<usize>)>,
    len: usize,
}

/// Reads requests one after another from one connection.
pub(crate) struct Reader {
    buf: Vec<u8>,
    head: Head,
    decoded: Vec<u8>,
    body: BodyLoc,
    /// End of the current request's wire bytes in `buf`; later bytes belong
    /// to the next (pipelined) request.
    end: usize,
}

impl Reader {
    pub(crate) fn new() -> Reader {
        Reader {
            buf: Vec::with_capacity(READ_CHUNK),
            head: Head::default(),
            decoded: Vec::new(),
            body: BodyLoc::InBuf(0..0),
            end: 0,
        }
    }

    /// Takes all bytes of the request that failed to read (used to record
    /// whatever a client sent when it was not a valid request), so that the
    /// next `read_head` starts afresh.
    pub(crate) fn take_unfinished(&mut self) -> Vec<u8> {
        self.end = self.buf.len();
        self.buf.clone()
    }

    /// Takes the bytes that arrived after the current request head (a CONNECT tunnel's first
    /// bytes, if the client did not wait for the answer).
    pub(crate) fn take_rest(&mut self) -> Vec<u8> {
        let rest = self.buf.split_off(self.end.min(self.buf.len()));
        self.end = self.buf.len();
        rest
    }

    /// Reads the next request head. Returns `Ok(false)` when the peer closed
    /// the connection cleanly between requests.
    pub(crate) async fn read_head<S>(&mut self, io: &mut S) -> Result<bool, ReadError>
    where
        S: AsyncRead + Unpin,
    {
        self.forget_previous();
        loop {
            if !self.buf.is_empty() && self.try_parse_head()? {
                return Ok(true);
            }
            if self.buf.len() >= MAX_HEAD {
                return Err(ReadError::HeadTooLarge);
            }
            if self.fill(io).await? == 0 {
                return if self.buf.is_empty() {
                    Ok(false)
                } else {
                    Err(ReadError::Eof)
                };
            }
        }
    }

    /// Drops the previous request's bytes, keeping any pipelined bytes.
    fn forget_previous(&mut self) {
        self.buf.drain(..self.end);
        self.end = 0;
        self.body = BodyLoc::InBuf(0..0);
        // A huge chunked upload should not pin its memory for the life of
        // the connection.
        if self.decoded.capacity() > (1 << 20) {
            self.decoded = Vec::new();
        }
        self.decoded.clear();
    }

    /// Appends whatever the peer sends next; returns 0 at end of stream.
    async fn fill<S>(&mut self, io: &mut S) -> io::Result<usize>
    where
        S: AsyncRead + Unpin,
    {
        self.buf.reserve(READ_CHUNK);
        io.read_buf(&mut self.buf).await
    }

    /// Like `fill`, but end of stream is an error: a request is incomplete.
    async fn fill_more<S>(&mut self, io: &mut S) -> Result<(), ReadError>
    where
        S: AsyncRead + Unpin,
    {
        match self.fill(io).await? {
            0 => Err(ReadError::Eof),
            _ => Ok(()),
        }
    }

    fn try_parse_head(&mut self) -> Result<bool, ReadError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let buf = &self.buf;
        let len = match req.parse(buf) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(false),
            Err(httparse::Error::TooManyHeaders) => return Err(ReadError::HeadTooLarge),
            Err(_) => return Err(ReadError::Malformed("bad request head")),
        };
        let base = buf.as_ptr() as usize;
        let range = |s: &[u8]| {
            let start = s.as_ptr() as usize - base;
            start..start + s.len()
        };
        let head = &mut self.head;
        head.method = range(req.method.unwrap_or_default().as_bytes());
        head.target = range(req.path.unwrap_or_default().as_bytes());
        head.minor_version = req.version.unwrap_or(1);
        head.headers.clear();
        head.headers.extend(
            req.headers
                .iter()
                .map(|h| (range(h.name.as_bytes()), range(h.value))),
        );
        head.len = len;
        self.end = len;
        Ok(true)
    }

    /// The value of the first header called `name` (any case).
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.head
            .headers
            .iter()
            .find(|(n, _)| self.buf[n.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &self.buf[v.clone()])
    }

    fn framing(&self) -> Result<Framing, ReadError> {
        let mut chunked = false;
        let mut length: Option<u64> = None;
        for (n, v) in &self.head.headers {
            let (name, value) = (&self.buf[n.clone()], &self.buf[v.clone()]);
            if name.eq_ignore_ascii_case(b"transfer-encoding") {
                let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
                if !last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                    return Err(ReadError::Malformed("unsupported transfer-encoding"));
                }
                chunked = true;
            } else if name.eq_ignore_ascii_case(b"content-length") {
                let n = parse_decimal(value.trim_ascii())
                    .ok_or(ReadError::Malformed("bad content-length"))?;
                if length.is_some_and(|old| old != n) {
                    return Err(ReadError::Malformed("conflicting content-length"));
                }
                length = Some(n);
            }
        }
        // RFC 9112 6.3: chunked wins over Content-Length.
        Ok(match (chunked, length) {
            (true, _) => Framing::Chunked,
            (false, Some(n)) => Framing::Length(n),
            (false, None) => Framing::None,
        })
    }

    /// Whether the client asked for `100 Continue` before sending its body.
    pub(crate) fn expects_continue(&self) -> bool {
        self.head.minor_version >= 1
            && self
                .header("expect")
                .is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"100-continue"))
    }

    /// The path of the current request (target up to '?').
    pub(crate) fn path(&self) -> &str {
        let target = std::str::from_utf8(&self.buf[self.head.target.clone()]).unwrap_or("");
        origin_form(target).split('?').next().unwrap_or("")
    }

    /// Reads the body of the request whose head was just read.
    pub(crate) async fn read_body<S>(&mut self, io: &mut S, mode: BodyMode) -> Result<(), ReadError>
    where
        S: AsyncRead + Unpin,
    {
        match self.framing()? {
            Framing::None => {
                self.body = BodyLoc::InBuf(self.head.len..self.head.len);
                Ok(())
            }
            Framing::Length(n) => self.read_sized(io, n, mode).await,
            Framing::Chunked => self.read_chunked(io, mode).await,
        }
    }

    async fn read_sized<S>(&mut self, io: &mut S, n: u64, mode: BodyMode) -> Result<(), ReadError>
    where
        S: AsyncRead + Unpin,
    {
        let start = self.head.len;
        if mode == BodyMode::Count {
            self.count_bytes(io, start, n).await?;
            self.body = BodyLoc::Counted(n);
            self.end = start;
            return Ok(());
        }
        if n > MAX_KEPT_BODY {
            return Err(ReadError::BodyTooLarge);
        }
        let end = start + n as usize;
        self.buf.reserve(end.saturating_sub(self.buf.len()));
        while self.buf.len() < end {
            self.fill_more(io).await?;
        }
        self.body = BodyLoc::InBuf(start..end);
        self.end = end;
        Ok(())
    }

    /// Discards `n` body bytes starting at `at`, reading as needed.
    async fn count_bytes<S>(&mut self, io: &mut S, at: usize, n: u64) -> Result<(), ReadError>
    where
        S: AsyncRead + Unpin,
    {
        let mut remaining = n;
        loop {
            let avail = ((self.buf.len() - at) as u64).min(remaining);
            self.buf.drain(at..at + avail as usize);
            remaining -= avail;
            if remaining == 0 {
                return Ok(());
            }
            self.fill_more(io).await?;
        }
    }

    async fn read_chunked<S>(&mut self, io: &mut S, mode: BodyMode) -> Result<(), ReadError>
    where
        S: AsyncRead + Unpin,
    {
        let mut pos = self.head.len;
        let mut total: u64 = 0;
        loop {
            let line_end = self.read_line(io, pos).await?;
            let size = parse_chunk_size(&self.buf[pos..line_end])
                .ok_or(ReadError::Malformed("bad chunk size"))?;
            pos = line_end;
            if size == 0 {
                pos = self.skip_trailers(io, pos).await?;
                break;
            }
            total += size;
            pos = match mode {
                BodyMode::Keep => self.keep_chunk(io, pos, size).await?,
                BodyMode::Count => {
                    self.count_bytes(io, pos, size).await?;
                    pos
                }
            };
            pos = self.expect_crlf(io, pos).await?;
            if mode == BodyMode::Count {
                // Forget the framing too, so memory stays bounded.
                self.buf.drain(self.head.len..pos);
                pos = self.head.len;
            }
        }
        self.body = match mode {
            BodyMode::Keep => BodyLoc::Decoded,
            BodyMode::Count => BodyLoc::Counted(total),
        };
        self.end = pos;
        Ok(())
    }

    async fn keep_chunk<S>(&mut self, io: &mut S, pos: usize, size: u64) -> Result<usize, ReadError>
    where
        S: AsyncRead + Unpin,
    {
        if self.decoded.len() as u64 + size > MAX_KEPT_BODY {
            return Err(ReadError::BodyTooLarge);
        }
        let end = pos + size as usize;
        while self.buf.len() < end {
            self.fill_more(io).await?;
        }
        self.decoded.extend_from_slice(&self.buf[pos..end]);
        Ok(end)
    }

    async fn expect_crlf<S>(&mut self, io: &mut S, pos: usize) -> Result<usize, ReadError>
    where
        S: AsyncRead + Unpin,
    {
        while self.buf.len() < pos + 2 {
            self.fill_more(io).await?;
        }
        if &self.buf[pos..pos + 2] != b"\r\n" {
            return Err(ReadError::Malformed("chunk not followed by CRLF"));
        }
        Ok(pos + 2)
    }

    /// Skips the trailer section up to and including its blank line.
    async fn skip_trailers<S>(&mut self, io: &mut S, mut pos: usize) -> Result<usize, ReadError>
    where
        S: AsyncRead + Unpin,
    {
        loop {
            let end = self.read_line(io, pos).await?;
            let blank = self.buf[pos..end].trim_ascii().is_empty();
            pos = end;
            if blank {
                return Ok(pos);
            }
        }
    }

    /// Returns the position just past the next '\n' at or after `from`.
    async fn read_line<S>(&mut self, io: &mut S, from: usize) -> Result<usize, ReadError>
    where
        S: AsyncRead + Unpin,
    {
        loop {
            if let Some(i) = self.buf[from..].iter().position(|&b| b == b'\n') {
                return Ok(from + i + 1);
            }
            if self.buf.len() - from > MAX_LINE {
                return Err(ReadError::Malformed("line too long"));
            }
            self.fill_more(io).await?;
        }
    }

    /// A view of the request that was just read completely.
    pub(crate) fn request(&self, peer: SocketAddr) -> Request<'_> {
        let (body, body_len): (&[u8], u64) = match &self.body {
            BodyLoc::InBuf(r) => (&self.buf[r.clone()], r.len() as u64),
            BodyLoc::Decoded => (&self.decoded, self.decoded.len() as u64),
            BodyLoc::Counted(n) => (&[], *n),
        };
        Request {
            buf: &self.buf,
            head: &self.head,
            body,
            body_len,
            raw: &self.buf[..self.end],
            peer,
            client_cert: None,
            sni: None,
            alpn: None,
        }
    }
}

/// A request assembled from parts instead of read off the wire: HTTP/2, where hyper has
/// already parsed the frames. It is laid out as an HTTP/1.1-style head (`METHOD target
/// HTTP/2`, one `name: value` line per field) followed by the body, so that [`Request`] can
/// borrow it the way it borrows a `Reader`'s buffer, and `/echo` has bytes to show.
pub(crate) struct OwnedRequest {
    buf: Vec<u8>,
    head: Head,
    /// Body bytes that were only counted, not kept (`/upload`).
    counted: u64,
}

impl OwnedRequest {
    /// A request with this head and, for now, no body.
    pub(crate) fn new<'h>(
        method: &str,
        target: &str,
        headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    ) -> OwnedRequest {
        let mut buf = Vec::with_capacity(READ_CHUNK);
        let method = append(&mut buf, method.as_bytes());
        buf.push(b' ');
        let target = append(&mut buf, target.as_bytes());
        buf.extend_from_slice(b" HTTP/2\r\n");
        let mut fields = Vec::new();
        for (name, value) in headers {
            let name = append(&mut buf, name.as_bytes());
            buf.extend_from_slice(b": ");
            let value = append(&mut buf, value);
            buf.extend_from_slice(b"\r\n");
            fields.push((name, value));
        }
        buf.extend_from_slice(b"\r\n");
        let head = Head {
            method,
            target,
            // Nothing distinguishes HTTP/2 from 1.1 where this is read (persistence, Expect).
            minor_version: 1,
            headers: fields,
            len: buf.len(),
        };
        OwnedRequest {
            buf,
            head,
            counted: 0,
        }
    }

    /// Appends body bytes, up to the same limit as HTTP/1.1 bodies kept in memory.
    pub(crate) fn push_body(&mut self, data: &[u8]) -> Result<(), ReadError> {
        let kept = (self.buf.len() - self.head.len + data.len()) as u64;
        if kept > MAX_KEPT_BODY {
            return Err(ReadError::BodyTooLarge);
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// Counts body bytes without keeping them.
    pub(crate) fn count_body(&mut self, n: usize) {
        self.counted += n as u64;
    }

    /// A view of the request, as `Reader::request` gives one.
    pub(crate) fn request(&self, peer: SocketAddr) -> Request<'_> {
        let body = &self.buf[self.head.len..];
        Request {
            buf: &self.buf,
            head: &self.head,
            body,
            body_len: body.len() as u64 + self.counted,
            raw: &self.buf,
            peer,
            client_cert: None,
            sni: None,
            alpn: None,
        }
    }
}

/// Appends `bytes` to `buf`; returns where they landed.
fn append(buf: &mut Vec<u8>, bytes: &[u8]) -> Range<usize> {
    let start = buf.len();
    buf.extend_from_slice(bytes);
    start..buf.len()
}

/// One complete request, borrowed from its connection's `Reader`.
pub(crate) struct Request<'a> {
    buf: &'a [u8],
    head: &'a Head,
    body: &'a [u8],
    body_len: u64,
    raw: &'a [u8],
    /// Address of the client.
    pub(crate) peer: SocketAddr,
    /// The certificate the client presented over TLS (DER), if any.
    pub(crate) client_cert: Option<&'a [u8]>,
    /// The server name the client sent in its TLS hello (SNI), if any.
    pub(crate) sni: Option<&'a str>,
    /// The protocol the connection negotiated with TLS ALPN, if any.
    pub(crate) alpn: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// Text of a head field; httparse only accepts ASCII there.
    fn text(&self, r: &Range<usize>) -> &'a str {
        std::str::from_utf8(&self.buf[r.clone()]).unwrap_or("")
    }

    pub(crate) fn method(&self) -> &'a str {
        self.text(&self.head.method)
    }

    /// The request target as sent (origin-form or absolute-form).
    pub(crate) fn target(&self) -> &'a str {
        self.text(&self.head.target)
    }

    /// The path, also from an absolute-form target (`http://host/path?q`), which HTTP/1.1
    /// servers must accept and urllib3 sends when a pool is given a full URL.
    pub(crate) fn path(&self) -> &'a str {
        let t = origin_form(self.target());
        t.split_once('?').map_or(t, |(p, _)| p)
    }

    pub(crate) fn query(&self) -> &'a str {
        origin_form(self.target())
            .split_once('?')
            .map_or("", |(_, q)| q)
    }

    /// 0 for HTTP/1.0, 1 for HTTP/1.1 (and HTTP/2).
    pub(crate) fn minor_version(&self) -> u8 {
        self.head.minor_version
    }

    /// Header lines in wire order, names as sent.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + '_ {
        self.head
            .headers
            .iter()
            .map(|(n, v)| (self.text(n), &self.buf[v.clone()]))
    }

    /// The first header called `name` (any case).
    pub(crate) fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Like `header`, as text (invalid UTF-8 reads as absent).
    pub(crate) fn header_str(&self, name: &str) -> Option<&'a str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether a comma-separated header (like Connection) has `token`.
    pub(crate) fn header_has_token(&self, name: &str, token: &str) -> bool {
        self.headers()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(|&b| b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    }

    /// The decoded body (empty when it was only counted).
    pub(crate) fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Number of decoded body bytes.
    pub(crate) fn body_len(&self) -> u64 {
        self.body_len
    }

    /// The request exactly as received: head and body with its framing.
    pub(crate) fn raw(&self) -> &'a [u8] {
        self.raw
    }
}

fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Parses a chunk-size line (with CRLF), ignoring chunk extensions.
fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let size = line.split(|&b| b == b';').next()?.trim_ascii();
    if size.is_empty() || size.len() > 15 || !size.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(size).ok()?, 16).ok()
}

/// The origin-form part of a target: `/path?q` from `http://host:port/path?q`.
fn origin_form(target: &str) -> &str {
    match target.split_once("://") {
        Some((_, rest)) if !target.starts_with('/') => rest.find('/').map_or("/", |i| &rest[i..]),
        _ => target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_one(wire: &[u8], mode: BodyMode) -> (Vec<u8>, Vec<u8>, u64) {
        let mut io = wire;
        let mut r = Reader::new();
        assert!(r.read_head(&mut io).await.unwrap());
        r.read_body(&mut io, mode).await.unwrap();
        let req = r.request("127.0.0.1:1".parse().unwrap());
        (req.raw().to_vec(), req.body().to_vec(), req.body_len())
    }

    #[tokio::test]
    async fn chunked_body_is_decoded_and_raw_kept() {
        let wire = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\nNEXT";
        let (raw, body, len) = read_one(wire, BodyMode::Keep).await;
        assert_eq!(body, b"abcde");
        assert_eq!(len, 5);
        assert_eq!(raw, &wire[..wire.len() - 4]);
        let (_, body, len) = read_one(wire, BodyMode::Count).await;
        assert!(body.is_empty());
        assert_eq!(len, 5);
    }

    #[tokio::test]
    async fn sized_body_and_pipelining() {
        let wire = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyzGET /b HTTP/1.1\r\n\r\n";
        let mut io = &wire[..];
        let mut r = Reader::new();
        assert!(r.read_head(&mut io).await.unwrap());
        r.read_body(&mut io, BodyMode::Keep).await.unwrap();
        assert_eq!(r.request("127.0.0.1:1".parse().unwrap()).body(), b"xyz");
        assert!(r.read_head(&mut io).await.unwrap());
        r.read_body(&mut io, BodyMode::Keep).await.unwrap();
        let req = r.request("127.0.0.1:1".parse().unwrap());
        assert_eq!(req.path(), "/b");
        assert!(!r.read_head(&mut io).await.unwrap());
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size(b"1a\r\n"), Some(26));
        assert_eq!(parse_chunk_size(b"0;ext=1\r\n"), Some(0));
        assert_eq!(parse_chunk_size(b"zz\r\n"), None);
    }
}
