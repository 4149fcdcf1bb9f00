//! Responses: status, headers, and a body read as a stream, decoded on the way.
//!
//! A [`Response`] owns the connection while its body is read. Once the body is complete (read
//! to the end or drained), the connection goes back to whoever lent it (a pool's release hook),
//! unless the server or the framing ruled out reuse, in which case it is closed.

mod body;
mod decode;
pub(crate) mod head;

use std::fmt;
use std::io::{self, Read};
use std::time::Duration;

pub use head::Version;

use crate::connection::Connection;
use crate::error::{Error, ErrorKind, Result};
use crate::headers::HeaderMap;
pub use body::ReleaseHook;
use body::{BodyReader, Chunk, Framing};
pub use decode::ContentDecoder;

/// Encoded bytes taken off the body per step while decoding.
const RAW_BLOCK: usize = 32 * 1024;

/// How a response body is to be read (urllib3's `decode_content` and
/// `enforce_content_length`).
///
/// ```
/// # let server = testserver::TestServer::start();
/// use urllib3::{PoolManager, RequestOptions, ResponseOptions};
///
/// let options = RequestOptions::new().decode_content(false);
/// let mut r = PoolManager::new().urlopen("GET", &server.url("/gzip"), options)?;
/// assert_eq!(r.options(), ResponseOptions { decode_content: false, ..ResponseOptions::default() });
/// assert!(r.read_all()?.starts_with(b"\x1f\x8b")); // the gzip bytes as they came
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseOptions {
    /// Undo `Content-Encoding` when reading (default true).
    pub decode_content: bool,
    /// Fail with `IncompleteRead` when a body ends before its `Content-Length` (default true).
    /// A read of the whole body fails so either way, as urllib3's does.
    pub enforce_content_length: bool,
}

impl Default for ResponseOptions {
    fn default() -> Self {
        ResponseOptions {
            decode_content: true,
            enforce_content_length: true,
        }
    }
}

/// Whether decoders were set up yet; they are chosen from the headers as they are when the
/// first decoded read happens, so a caller may still fix a wrong `Content-Encoding` before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decoding {
    NotStarted,
    Active,
    Raw,
}

/// An HTTP response whose body is read on demand.
///
/// ```
/// # let server = testserver::TestServer::start();
/// use urllib3::{PoolManager, RequestOptions};
///
/// let options = RequestOptions::new().preload_content(false);
/// let mut response = PoolManager::new().urlopen("GET", &server.url("/bytes/20000"), options)?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers().get("content-length").as_deref(), Some("20000"));
/// let mut received = 0;
/// for chunk in response.stream(8192) {
///     received += chunk?.len();
/// }
/// assert_eq!(received, 20_000);
/// # Ok::<(), urllib3::Error>(())
/// ```
pub struct Response {
    status: u16,
    reason: String,
    version: Version,
    headers: HeaderMap,
    unparsed_headers: Option<String>,
    body: BodyReader,
    decoding: Decoding,
    /// The decoder chosen from the headers at the first decoded read.
    decoder: Option<ContentDecoder>,
    /// A decoded read succeeded: from then on raw reads are refused (urllib3's rule).
    decoded_any: bool,
    /// Encoded bytes between the body and a decoder.
    raw_block: Vec<u8>,
    options: ResponseOptions,
    /// The whole decoded body once preloaded, and how much of it reads have returned.
    cached: Option<(Vec<u8>, usize)>,
    /// Whether the connection ends with this response (http.client's `will_close`).
    will_close: bool,
}

impl Response {
    pub(crate) fn new(
        head: head::ResponseHead,
        conn: Connection,
        method: &str,
        options: ResponseOptions,
    ) -> Result<Response> {
        let framing = framing(&head, method)?;
        let keep_alive = match head.version {
            Version::Http11 => !head.headers.has_token("connection", "close"),
            Version::Http10 => head.headers.has_token("connection", "keep-alive"),
            Version::Http2 => true,
        };
        let will_close = !keep_alive || framing == Framing::Close;
        let body = BodyReader::new(conn, framing, keep_alive, options.enforce_content_length);
        let mut response = Self::with_body(head, body, options);
        response.will_close = will_close;
        Ok(response)
    }

    /// A response received on an HTTP/2 stream of `conn`.
    pub(crate) fn over_http2(
        head: head::ResponseHead,
        conn: Connection,
        body: crate::proto::http2::RecvBody,
        method: &str,
        options: ResponseOptions,
    ) -> Result<Response> {
        let framing = framing(&head, method)?;
        let body = BodyReader::http2(conn, body, framing, options.enforce_content_length);
        Ok(Self::with_body(head, body, options))
    }

    fn with_body(head: head::ResponseHead, body: BodyReader, options: ResponseOptions) -> Response {
        Response {
            status: head.status,
            reason: head.reason,
            version: head.version,
            headers: head.headers,
            unparsed_headers: head.unparsed,
            body,
            decoding: Decoding::NotStarted,
            decoder: None,
            decoded_any: false,
            raw_block: Vec::new(),
            options,
            cached: None,
            will_close: false,
        }
    }

    /// A response whose body comes from `reader` rather than a socket (urllib3's
    /// `HTTPResponse(body=file, headers=...)`). The reader yields the body as it would be after
    /// transfer decoding, so only a `Content-Length` frames it; content decoding applies as
    /// usual. Public as [`crate::raw::response_from_reader`].
    pub(crate) fn from_reader(
        status: u16,
        reason: &str,
        version: Version,
        headers: HeaderMap,
        reader: Box<dyn Read + Send>,
        options: ResponseOptions,
    ) -> Result<Response> {
        let framing = content_length(&headers)?.map_or(Framing::Close, Framing::Length);
        let head = head::ResponseHead {
            status,
            reason: reason.to_owned(),
            version,
            headers,
            unparsed: None,
        };
        let body = BodyReader::from_reader(reader, framing, options.enforce_content_length);
        Ok(Self::with_body(head, body, options))
    }

    /// A response whose body is read raw from `reader`, framed by its headers as one read off
    /// the wire would be (chunked, `Content-Length` or to the end): for callers holding the
    /// socket file of a response whose head was parsed elsewhere (http.client's `fp`). Public
    /// as [`crate::raw::response_from_wire`].
    pub(crate) fn from_wire(
        status: u16,
        reason: &str,
        version: Version,
        headers: HeaderMap,
        reader: Box<dyn Read + Send>,
        method: &str,
        options: ResponseOptions,
    ) -> Result<Response> {
        let head = head::ResponseHead {
            status,
            reason: reason.to_owned(),
            version,
            headers,
            unparsed: None,
        };
        let framing = framing(&head, method)?;
        Ok(Self::over_reader(head, reader, framing, options))
    }

    fn over_reader(
        head: head::ResponseHead,
        reader: Box<dyn Read + Send>,
        framing: Framing,
        options: ResponseOptions,
    ) -> Response {
        let conn = Connection::from_reader(reader);
        let body = BodyReader::new(conn, framing, false, options.enforce_content_length);
        Self::with_body(head, body, options)
    }

    /// Header lines of the response that were not `name: value` and were skipped (as
    /// http.client skips them; urllib3 logs "Failed to parse headers" for them).
    pub fn unparsed_headers(&self) -> Option<&str> {
        self.unparsed_headers.as_deref()
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase, as the server sent it.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The HTTP version of the response.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers, in wire order and case.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, to change before reading (the decoder is chosen at the first read).
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The reading options in force.
    pub fn options(&self) -> ResponseOptions {
        self.options
    }

    /// Body bytes received so far, before decoding (urllib3's `tell()`).
    pub fn tell(&self) -> u64 {
        self.base().map_or(0, BodyReader::bytes_read)
    }

    /// For a `Content-Length` body, the bytes not yet received (urllib3's `length_remaining`).
    pub fn length_remaining(&self) -> Option<u64> {
        self.base().and_then(BodyReader::length_remaining)
    }

    /// Whether the server ends the connection with this response: `Connection: close`, an
    /// HTTP/1.0 response without keep-alive, or a body that the connection's end delimits
    /// (http.client's `will_close`, after which urllib3's connection drops its socket).
    pub fn will_close(&self) -> bool {
        self.will_close
    }

    /// Whether the body was sent with chunked transfer coding.
    pub fn is_chunked(&self) -> bool {
        self.base().is_some_and(BodyReader::is_chunked)
    }

    /// Whether the whole body has been received.
    pub fn is_complete(&self) -> bool {
        self.base().is_none_or(BodyReader::is_done)
    }

    /// The connection, while it is still held by this response.
    pub fn connection(&self) -> Option<&Connection> {
        self.base().and_then(BodyReader::connection)
    }

    /// Changes the read timeout for the rest of the body (botocore lowers it for a streamed
    /// download through `set_socket_timeout`). `None` waits without limit.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.base_mut()
            .map_or(Ok(()), |body| body.set_read_timeout(timeout))
    }

    /// Reads up to `amt` bytes (all of the body with `None`), decoded unless `decode` is false.
    ///
    /// Returns exactly `amt` bytes unless the body ends first, as urllib3 2.x does.
    pub fn read_with(&mut self, amt: Option<usize>, decode: bool) -> Result<Vec<u8>> {
        if decode {
            self.start_decoding()?;
        }
        let decoding = decode && self.decoding == Decoding::Active;
        self.fill(amt, decoding, |r, buf| r.read_some(buf, decode))
    }

    /// Reads up to `amt` decoded bytes (all of the body with `None`) through `decoder` rather
    /// than the one the headers choose: for a caller that keeps its own (urllib3's
    /// `response._decoder`, which code may feed or replace). Output the decoder already holds
    /// comes first.
    pub fn read_decoded_by(
        &mut self,
        amt: Option<usize>,
        decoder: &mut ContentDecoder,
    ) -> Result<Vec<u8>> {
        self.fill(amt, true, |r, buf| r.decode_with(decoder, buf))
    }

    /// Reads up to `amt` body bytes as received (all with `None`), whatever was read before:
    /// for a caller that enforces urllib3's decode rules itself.
    pub fn read_raw(&mut self, amt: Option<usize>) -> Result<Vec<u8>> {
        self.fill(amt, false, |r, buf| r.body.read(buf))
    }

    /// Reads body bytes as received into `buf` until it is full or the body ends, and returns
    /// how many: for a caller that owns the buffer the body ends up in (a Python `bytes`
    /// filled in place rather than copied from a `Vec`).
    pub fn read_raw_into(&mut self, buf: &mut [u8]) -> Result<usize> {
        fill_slice(self, buf, |r, buf| r.body.read(buf))
    }

    /// Reads the rest of the body as received: into `buf` first, and what does not fit (a
    /// body longer than announced) returned. A read of the whole body, as [`Response::read_raw`]
    /// with `None` is: a body cut short of its announced length fails.
    pub fn read_raw_to_end_into(&mut self, buf: &mut [u8]) -> Result<(usize, Vec<u8>)> {
        self.as_whole_read(|r| {
            let filled = fill_slice(r, buf, |r, buf| r.body.read(buf))?;
            Ok((filled, r.fill_to_end(false, |r, buf| r.body.read(buf))?))
        })
    }

    /// One read of the body as received, at most `amt` bytes (urllib3's `read1`): what the
    /// connection has, waiting only when it has nothing. Empty at the end of the body.
    pub fn read_raw_once(&mut self, amt: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; amt];
        let n = self.body.read(&mut out)?;
        out.truncate(n);
        Ok(out)
    }

    /// Reads `amt` bytes (all with `None`) with `one` read at a time. A read of all of a body
    /// whose length was announced fails when the body ends short of it, as urllib3's does.
    fn fill(
        &mut self,
        amt: Option<usize>,
        decoding: bool,
        one: impl FnMut(&mut Self, &mut [u8]) -> Result<usize>,
    ) -> Result<Vec<u8>> {
        let Some(amt) = amt else {
            return self.as_whole_read(|r| r.fill_to_end(decoding, one));
        };
        let mut out = vec![0u8; amt];
        let filled = fill_slice(self, &mut out, one)?;
        out.truncate(filled);
        Ok(out)
    }

    /// Runs `read` as one read of the whole body (see `BodyReader::begin_whole_read`).
    fn as_whole_read<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.body.begin_whole_read();
        let result = read(self);
        self.body.end_whole_read();
        result
    }

    /// Reads the rest of the body with `one` read at a time.
    fn fill_to_end(
        &mut self,
        decoding: bool,
        mut one: impl FnMut(&mut Self, &mut [u8]) -> Result<usize>,
    ) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        // A raw body of announced length goes straight into its place in `out`, not
        // through a block into a growing `out`: half the memory a 1 MiB body touches,
        // and no copy.
        let announced = self
            .length_remaining()
            .and_then(|n| usize::try_from(n).ok());
        if let Some(len) = announced.filter(|&len| !decoding && len <= IN_PLACE_MAX) {
            out.resize(len, 0);
            let filled = fill_slice(self, &mut out, &mut one)?;
            out.truncate(filled);
        }
        // The rest (all of it, unless read in place): a block the size of what is left
        // (a small body is most bodies), at least 8 KiB for decoded output, at most
        // 64 KiB: allocating and zeroing a larger buffer than the body needs was a
        // tenth of a small request's cost.
        let left = self.length_remaining().map_or(usize::MAX, |n| {
            usize::try_from(n).map_or(usize::MAX, |n| n.saturating_add(1))
        });
        let least = if decoding { 8 * 1024 } else { 1 };
        let mut block = vec![0u8; left.clamp(least, 64 * 1024)];
        loop {
            let n = one(self, &mut block)?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&block[..n]);
            // Reading in pieces (`stream`, `read(amt)`) needs no such check: its
            // memory stays bounded whatever the body inflates to.
            if decoding {
                decode::refuse_bomb(out.len(), self.tell())?;
            }
        }
        Ok(out)
    }

    /// Reads the whole (decoded) body.
    pub fn read_all(&mut self) -> Result<Vec<u8>> {
        let decode = self.options.decode_content;
        self.read_with(None, decode)
    }

    /// Reads the whole body as text, replacing bytes that are not UTF-8.
    pub fn text(&mut self) -> Result<String> {
        self.read_all()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Iterates over the body in pieces of `chunk_size` bytes (the last may be shorter);
    /// never yields an empty piece.
    pub fn stream(&mut self, chunk_size: usize) -> Stream<'_> {
        Stream {
            response: self,
            chunk_size: chunk_size.max(1),
            finished: false,
        }
    }

    /// Iterates over the body chunk by chunk as the server framed it (urllib3's
    /// `read_chunked`), each piece at most `amt` bytes. Without decoding a piece never spans two
    /// wire chunks; with decoding the pieces are the decoder's output.
    pub fn read_chunked(&mut self, amt: Option<usize>, decode: bool) -> Result<Chunks<'_>> {
        if !self.is_chunked() && !self.is_complete() {
            return Err(Error::new(
                ErrorKind::ResponseNotChunked,
                "Response is not chunked. Header 'transfer-encoding: chunked' is missing.",
            ));
        }
        Ok(Chunks {
            response: self,
            amt: amt.unwrap_or(64 * 1024).max(1),
            decode,
            finished: false,
        })
    }

    /// The next piece of a chunked body for a caller with its own decoder (see
    /// [`Response::read_decoded_by`]): with `decoder`, at most `amt` decoded bytes; without, at
    /// most `amt` bytes of one wire chunk. Empty at the end.
    pub fn next_chunk_decoded_by(
        &mut self,
        amt: Option<usize>,
        decoder: Option<&mut ContentDecoder>,
    ) -> Result<Vec<u8>> {
        let amt = amt.unwrap_or(64 * 1024).max(1);
        let Some(decoder) = decoder else {
            return self.next_wire_chunk(amt);
        };
        let mut buf = vec![0u8; amt];
        let n = self.decode_with(decoder, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Reads the whole body into memory now, so the connection goes back to its pool at once
    /// (urllib3's `preload_content=True`). Later reads return the kept body.
    pub fn preload(&mut self) -> Result<()> {
        if self.cached.is_none() {
            let body = self.read_all()?;
            self.cached = Some((body, 0));
        }
        Ok(())
    }

    /// The whole body, read now if it was not yet (urllib3's `response.data`).
    pub fn data(&mut self) -> Result<&[u8]> {
        self.preload()?;
        Ok(self
            .cached
            .as_ref()
            .map_or(&[][..], |(body, _)| body.as_slice()))
    }

    /// Reads and discards the rest of the body so the connection can be reused.
    pub fn drain(&mut self) -> Result<()> {
        match self.base_mut() {
            Some(body) => body.drain(),
            None => Ok(()),
        }
    }

    /// Drains the body and returns the connection if it can carry another request.
    pub fn into_connection(mut self) -> Result<Option<Connection>> {
        self.drain()?;
        Ok(self.base_mut().and_then(BodyReader::take_reusable))
    }

    /// Sets where the connection goes once the body is complete and reusable: a pool's
    /// put-back. If the body is already complete, the hook runs now.
    pub fn set_release(&mut self, hook: ReleaseHook) {
        if let Some(body) = self.base_mut() {
            body.set_release(hook);
        }
    }

    /// One read into `buf`, decoded or not.
    fn read_some(&mut self, buf: &mut [u8], decode: bool) -> Result<usize> {
        if let Some((body, pos)) = &mut self.cached {
            let n = buf.len().min(body.len() - *pos);
            buf[..n].copy_from_slice(&body[*pos..*pos + n]);
            *pos += n;
            return Ok(n);
        }
        if !decode {
            // Refused only once decoding actually took input: after a first decoded read that
            // failed (a `Content-Encoding` that lies), the raw rest is still there to read, as
            // requests does when it drains such a redirect.
            if self.decoded_any {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "Calling read(decode_content=False) is not supported after read(decode_content=True) was called.",
                ));
            }
            return self.body.read(buf);
        }
        self.start_decoding()?;
        let Some(mut decoder) = self.decoder.take() else {
            return self.body.read(buf);
        };
        let n = self.decode_with(&mut decoder, buf);
        self.decoder = Some(decoder);
        n
    }

    /// One decoded read through `decoder`: what it holds first, then body bytes as it needs
    /// them. 0 only at the end of the body (or of the encoded stream).
    fn decode_with(&mut self, decoder: &mut ContentDecoder, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut raw = std::mem::take(&mut self.raw_block);
        raw.resize(RAW_BLOCK, 0);
        let result = loop {
            match decoder.decode_into(buf) {
                Ok(0) => {}
                other => break other,
            }
            let m = match self.body.read(&mut raw) {
                Ok(m) => m,
                Err(e) => break Err(e),
            };
            if m == 0 {
                break decoder.finish().map(|()| 0);
            }
            if let Err(e) = decoder.push(&raw[..m]) {
                break Err(e);
            }
        };
        self.raw_block = raw;
        if result.is_ok() && decoder.total_in() > 0 {
            self.decoded_any = true;
        }
        result
    }

    fn start_decoding(&mut self) -> Result<()> {
        if self.decoding != Decoding::NotStarted {
            return Ok(());
        }
        let content_encoding = self.content_encoding();
        let codings = decode::codings(&content_encoding)?;
        if codings.is_empty() {
            self.decoding = Decoding::Raw;
            return Ok(());
        }
        self.decoder = Some(ContentDecoder::for_codings(&codings, &content_encoding)?);
        self.decoding = Decoding::Active;
        Ok(())
    }

    fn content_encoding(&self) -> String {
        self.headers
            .get("content-encoding")
            .map(|v| v.to_ascii_lowercase())
            .unwrap_or_default()
    }

    fn base(&self) -> Option<&BodyReader> {
        Some(&self.body)
    }

    fn base_mut(&mut self) -> Option<&mut BodyReader> {
        Some(&mut self.body)
    }

    /// Next wire chunk for [`Chunks`].
    fn next_wire_chunk(&mut self, amt: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; amt];
        let n = match self.base_mut() {
            Some(body) => body.read_chunk(&mut out)?,
            None => 0,
        };
        out.truncate(n);
        Ok(out)
    }
}

/// Where the body of a response to `method` ends (RFC 9112 §6.3), with urllib3's handling of
/// a malformed `Content-Length`.
fn framing(head: &head::ResponseHead, method: &str) -> Result<Framing> {
    let status = head.status;
    if method.eq_ignore_ascii_case("HEAD")
        || (100..200).contains(&status)
        || status == 204
        || status == 304
    {
        return Ok(Framing::Empty);
    }
    if method.eq_ignore_ascii_case("CONNECT") && (200..300).contains(&status) {
        return Ok(Framing::Empty);
    }
    if head.headers.contains("transfer-encoding") {
        if !head.headers.has_token("transfer-encoding", "chunked") {
            return Ok(Framing::Close);
        }
        if head.headers.contains("content-length") {
            log::warn!(
                "Received response with both Content-Length and Transfer-Encoding set. This is \
                 expressly forbidden by RFC 7230 sec 3.3.2. Ignoring Content-Length and \
                 attempting to process response as Transfer-Encoding: chunked."
            );
        }
        return Ok(Framing::Chunked(Chunk::Size));
    }
    Ok(content_length(&head.headers)?.map_or(Framing::Close, Framing::Length))
}

/// The body length a `Content-Length` gives, with urllib3's rules: repeated equal values are
/// one value, different values are an error, anything unparsable or negative is no length.
fn content_length(headers: &HeaderMap) -> Result<Option<u64>> {
    let Some(value) = headers.get("content-length") else {
        return Ok(None);
    };
    let mut lengths = value.split(',').map(|v| v.trim().parse::<i64>());
    let Some(Ok(first)) = lengths.next() else {
        return Ok(None);
    };
    for other in lengths {
        match other {
            Ok(n) if n == first => {}
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidHeader,
                    format!("Content-Length contained multiple unmatching values ({value})"),
                ))
            }
            Err(_) => return Ok(None),
        }
    }
    Ok(u64::try_from(first).ok())
}

impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let decode = self.options.decode_content;
        self.read_some(buf, decode).map_err(io::Error::other)
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("reason", &self.reason)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .field("tell", &self.tell())
            .finish_non_exhaustive()
    }
}

/// The pieces of [`Response::stream`].
///
/// ```
/// use std::io::Cursor;
/// use urllib3::{raw, HeaderMap, ResponseOptions, Version};
///
/// let headers: HeaderMap = [("Content-Length", "100")].into_iter().collect();
/// let body = Box::new(Cursor::new(vec![7u8; 100]));
/// let mut response = raw::response_from_reader(200, "OK", Version::Http11, headers, body, ResponseOptions::default())?;
/// let sizes: Vec<usize> = response.stream(40).map(|piece| piece.map(|p| p.len())).collect::<urllib3::Result<_>>()?;
/// assert_eq!(sizes, [40, 40, 20]);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Debug)]
pub struct Stream<'a> {
    response: &'a mut Response,
    chunk_size: usize,
    finished: bool,
}

impl Iterator for Stream<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let decode = self.response.options.decode_content;
        let piece = self.response.read_with(Some(self.chunk_size), decode);
        next_piece(piece, &mut self.finished)
    }
}

/// An iterator's next item from one read: the piece, or the end (an empty piece), or an error
/// that also ends the iteration.
fn next_piece(piece: Result<Vec<u8>>, finished: &mut bool) -> Option<Result<Vec<u8>>> {
    match piece {
        Ok(p) if p.is_empty() => {
            *finished = true;
            None
        }
        Ok(p) => Some(Ok(p)),
        Err(e) => {
            *finished = true;
            Some(Err(e))
        }
    }
}

/// The pieces of [`Response::read_chunked`].
///
/// ```
/// # let server = testserver::TestServer::start();
/// use urllib3::{PoolManager, RequestOptions};
///
/// let options = RequestOptions::new().preload_content(false);
/// let url = server.url("/stream-bytes/250?chunk_size=100");
/// let mut response = PoolManager::new().urlopen("GET", &url, options)?;
/// assert!(response.is_chunked());
/// let sizes: Vec<usize> = response.read_chunked(None, false)?.map(|c| c.map(|c| c.len())).collect::<urllib3::Result<_>>()?;
/// assert_eq!(sizes, [100, 100, 50]); // as the server framed them
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Debug)]
pub struct Chunks<'a> {
    response: &'a mut Response,
    amt: usize,
    decode: bool,
    finished: bool,
}

impl Iterator for Chunks<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        // A coding that cannot be set up (an over-long chain) is an error, not raw chunks.
        if self.decode {
            if let Err(e) = self.response.start_decoding() {
                self.finished = true;
                return Some(Err(e));
            }
        }
        let decoded = self.decode && self.response.decoding == Decoding::Active;
        let piece = if decoded {
            let mut buf = vec![0u8; self.amt];
            self.response.read_some(&mut buf, true).map(|n| {
                buf.truncate(n);
                buf
            })
        } else {
            self.response.next_wire_chunk(self.amt)
        };
        next_piece(piece, &mut self.finished)
    }
}

/// The most a raw whole-body read sets aside (and zeroes) for the length the server announced:
/// a length announced without the body to go with it costs no more than this.
const IN_PLACE_MAX: usize = 16 << 20;

/// Fills `buf` with `one` read at a time until it is full or a read gives nothing; returns
/// how much was filled.
fn fill_slice<R>(
    reader: &mut R,
    buf: &mut [u8],
    mut one: impl FnMut(&mut R, &mut [u8]) -> Result<usize>,
) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = one(reader, &mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}
