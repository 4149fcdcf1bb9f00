//! Body framing: where a response body ends on the wire.
//!
//! RFC 9110/9112 give three ways: a `Content-Length`, chunked transfer coding, or the server
//! closing the connection. [`BodyReader`] reads the body bytes of one response (before content
//! decoding) and, once the framing says the body is complete, gives the connection back for
//! reuse, or closes it if the framing or the server ruled reuse out.

use std::io::{self, Read};
use std::time::Duration;

use crate::connection::Connection;
use crate::error::{Error, ErrorKind, Result};
use crate::proto::http2::RecvBody;

/// Which line a chunked body is at, for the message when it is too long.
const SIZE_LINE: &str = "size";
const TRAILER_LINE: &str = "trailer";

/// Longest chunk-size or trailer line accepted, its line end included: urllib3's bound (and
/// http.client's `_MAXLINE`), far beyond any real server, and what a line may buffer.
const MAX_CHUNK_LINE: usize = 64 * 1024;

/// How the body of a response is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body (HEAD, 1xx, 204, 304, or `Content-Length: 0`).
    Empty,
    /// `Content-Length`: this many bytes remain.
    Length(u64),
    /// Chunked transfer coding, in the given state.
    Chunked(Chunk),
    /// Read until the server closes the connection.
    Close,
    /// HTTP/2 DATA frames up to the end of the stream; the connection stays open.
    Frames,
}

/// Where a chunked body reader stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk, with this many data bytes left.
    Data(u64),
    /// After a chunk's data, expecting its CRLF.
    DataEnd,
    /// After the last chunk, reading trailer lines up to the empty one.
    Trailers,
}

/// Told when a response is done with its connection: `Some` when the body is complete and the
/// connection may carry another request, `None` when it was closed instead (an error, a
/// `Connection: close`, or a response dropped before its end). It runs exactly once either way,
/// so a pool always gets its slot back.
///
/// ```
/// # let server = testserver::TestServer::start();
/// # let (host, port) = (server.host(), server.port());
/// use std::sync::mpsc;
/// use urllib3::{Body, Connection, HeaderMap, Timeout};
///
/// let conn = Connection::open(host, port, &Timeout::new(), &Default::default())?;
/// let mut response = conn.request("GET", "/bytes/100", host, &HeaderMap::new(), Body::Empty, &Timeout::new())?;
/// let (tx, rx) = mpsc::channel();
/// response.set_release(Box::new(move |conn| tx.send(conn).unwrap()));
/// assert_eq!(response.read_all()?.len(), 100);
/// let conn = rx.recv().unwrap().expect("the connection can carry another request");
/// assert_eq!(conn.requests_sent(), 1);
/// # Ok::<(), urllib3::Error>(())
/// ```
pub type ReleaseHook = Box<dyn FnOnce(Option<Connection>) + Send>;

/// Reads one response body off a connection, by its framing.
pub(crate) struct BodyReader {
    conn: Option<Connection>,
    /// A body given as a reader (a caller's file object) rather than a connection: read as
    /// asked and never ahead, so that the caller's file is left where the reads stopped, as
    /// urllib3 leaves it (and an `http.client` response under it closes when urllib3's would).
    reader: Option<Box<dyn Read + Send>>,
    framing: Framing,
    /// Whether the body's length was known from the start (`length_remaining` is None
    /// otherwise, before and after the end, as urllib3's).
    sized: bool,
    done: bool,
    /// Body bytes read so far, after de-chunking and before decoding (urllib3's `tell()`).
    read: u64,
    enforce_content_length: bool,
    /// Where the whole-body read under way started (`read` then). urllib3 reads a whole body
    /// through http.client's `read()`, which holds it to its length whatever
    /// `enforce_content_length` says, and counts in its `IncompleteRead` what that read got.
    whole_read_from: Option<u64>,
    /// Whether the server allows the connection to carry another request.
    keep_alive: bool,
    release: Option<ReleaseHook>,
    /// The HTTP/2 stream the body arrives on, read through `conn`'s session.
    http2: Option<RecvBody>,
}

impl BodyReader {
    pub(crate) fn new(
        conn: Connection,
        framing: Framing,
        keep_alive: bool,
        enforce_content_length: bool,
    ) -> Self {
        Self::over(
            Some(conn),
            None,
            None,
            framing,
            keep_alive,
            enforce_content_length,
        )
    }

    /// A body arriving on an HTTP/2 stream of `conn`: framed by its `Content-Length` when it
    /// has one, else by the end of the stream.
    pub(crate) fn http2(
        conn: Connection,
        body: RecvBody,
        framing: Framing,
        enforce_content_length: bool,
    ) -> Self {
        let framing = match framing {
            Framing::Close | Framing::Chunked(_) => Framing::Frames,
            other => other,
        };
        Self::over(
            Some(conn),
            None,
            Some(body),
            framing,
            true,
            enforce_content_length,
        )
    }

    /// A body read straight from `reader`, framed by a length or by its end (chunk framing
    /// needs the buffered connection of [`BodyReader::new`]).
    pub(crate) fn from_reader(
        reader: Box<dyn Read + Send>,
        framing: Framing,
        enforce_content_length: bool,
    ) -> Self {
        Self::over(
            None,
            Some(reader),
            None,
            framing,
            false,
            enforce_content_length,
        )
    }

    fn over(
        conn: Option<Connection>,
        reader: Option<Box<dyn Read + Send>>,
        http2: Option<RecvBody>,
        framing: Framing,
        keep_alive: bool,
        enforce_content_length: bool,
    ) -> Self {
        let mut body = BodyReader {
            conn,
            reader,
            framing,
            sized: matches!(framing, Framing::Empty | Framing::Length(_)),
            done: false,
            read: 0,
            enforce_content_length,
            whole_read_from: None,
            keep_alive,
            release: None,
            http2,
        };
        if framing == Framing::Empty || framing == Framing::Length(0) {
            body.finish(true);
        }
        body
    }

    /// Sets where the connection goes when the body is complete; if it already is, it goes now.
    pub(crate) fn set_release(&mut self, hook: ReleaseHook) {
        if self.done {
            hook(self.conn.take());
        } else {
            self.release = Some(hook);
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    pub(crate) fn is_chunked(&self) -> bool {
        matches!(self.framing, Framing::Chunked(_))
    }

    /// Body bytes read so far (before content decoding).
    pub(crate) fn bytes_read(&self) -> u64 {
        self.read
    }

    /// For a `Content-Length` body, the bytes still to come.
    pub(crate) fn length_remaining(&self) -> Option<u64> {
        match self.framing {
            Framing::Length(n) => Some(n),
            Framing::Empty if self.sized => Some(0),
            _ => None,
        }
    }

    /// The connection while the body is still being read, or kept after it.
    pub(crate) fn connection(&self) -> Option<&Connection> {
        self.conn.as_ref()
    }

    /// Changes the read timeout for the rest of the body.
    pub(crate) fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        match &mut self.conn {
            Some(conn) => conn
                .stream_mut()
                .set_read_timeout(timeout)
                .map_err(Error::connection_aborted),
            None => Ok(()),
        }
    }

    /// Takes the connection out if the body is complete and it may be reused.
    pub(crate) fn take_reusable(&mut self) -> Option<Connection> {
        if self.done {
            self.conn.take()
        } else {
            None
        }
    }

    /// Reads body bytes into `out`; 0 means the body is complete.
    pub(crate) fn read(&mut self, out: &mut [u8]) -> Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        let n = match self.framing {
            Framing::Empty => 0,
            Framing::Length(remaining) => self.read_length(out, remaining)?,
            Framing::Close => self.read_close(out)?,
            Framing::Frames => self.read_frames(out)?,
            Framing::Chunked(_) => self.read_chunked(out, usize::MAX)?,
        };
        self.read += n as u64;
        Ok(n)
    }

    /// Reads the current chunk, up to its end or until `out` is full, never across a chunk
    /// boundary (urllib3's `read_chunked` yields chunks as the server sent them, and a chunk
    /// that stops short is an `IncompleteRead` there).
    pub(crate) fn read_chunk(&mut self, out: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while !self.done && filled < out.len() {
            let n = self.read_chunked(&mut out[filled..], usize::MAX)?;
            self.read += n as u64;
            filled += n;
            if n == 0 || !matches!(self.framing, Framing::Chunked(Chunk::Data(_))) {
                break;
            }
        }
        Ok(filled)
    }

    /// Marks the reads up to [`BodyReader::end_whole_read`] as one read of the whole body.
    pub(crate) fn begin_whole_read(&mut self) {
        self.whole_read_from = Some(self.read);
    }

    pub(crate) fn end_whole_read(&mut self) {
        self.whole_read_from = None;
    }

    /// Reads and discards the rest of the body, so the connection can be reused.
    pub(crate) fn drain(&mut self) -> Result<()> {
        let mut sink = [0u8; 16 * 1024];
        while self.read(&mut sink)? > 0 {}
        Ok(())
    }

    fn read_length(&mut self, out: &mut [u8], remaining: u64) -> Result<usize> {
        let want = out
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = self.transport_read(&mut out[..want])?;
        if n == 0 {
            self.finish(false);
            return match self.whole_read_from {
                Some(from) => Err(Error::connection_broken(Error::incomplete_read(
                    self.read - from,
                    remaining,
                ))),
                None if self.enforce_content_length => Err(Error::connection_broken(
                    Error::incomplete_read(self.read, remaining),
                )),
                None => Ok(0),
            };
        }
        let left = remaining - n as u64;
        self.framing = Framing::Length(left);
        if left == 0 {
            self.finish(true);
        }
        Ok(n)
    }

    fn read_close(&mut self, out: &mut [u8]) -> Result<usize> {
        let n = self.transport_read(out)?;
        if n == 0 {
            // The server ended the body by closing: nothing more can be sent on this connection.
            self.finish(false);
        }
        Ok(n)
    }

    fn read_frames(&mut self, out: &mut [u8]) -> Result<usize> {
        let n = self.transport_read(out)?;
        if n == 0 {
            // END_STREAM: the body is complete and the connection carries on.
            self.finish(true);
        }
        Ok(n)
    }

    /// The chunked state machine. Loops until it has data to return or the body ends, so a
    /// read never returns 0 before the last chunk.
    fn read_chunked(&mut self, out: &mut [u8], limit: usize) -> Result<usize> {
        loop {
            let Framing::Chunked(state) = self.framing else {
                return Ok(0);
            };
            match state {
                Chunk::Size => {
                    // urllib3's words for a body that stops where a chunk should start.
                    let line = self.take_line(SIZE_LINE, false)?.ok_or_else(|| {
                        Error::new(ErrorKind::Protocol, "Response ended prematurely")
                    })?;
                    let size = parse_chunk_size(without_line_end(&line))
                        .ok_or_else(|| self.invalid_chunk_length(line))?;
                    self.framing = Framing::Chunked(if size == 0 {
                        Chunk::Trailers
                    } else {
                        Chunk::Data(size)
                    });
                }
                Chunk::Data(left) => {
                    let want = out
                        .len()
                        .min(limit)
                        .min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.transport_read(&mut out[..want])?;
                    if n == 0 {
                        self.finish(false);
                        return Err(Error::connection_broken(Error::incomplete_read(
                            self.read, left,
                        )));
                    }
                    let left = left - n as u64;
                    self.framing = Framing::Chunked(if left == 0 {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(left)
                    });
                    return Ok(n);
                }
                Chunk::DataEnd => {
                    let line = self.take_line(SIZE_LINE, false)?.unwrap_or_default();
                    if !without_line_end(&line).is_empty() {
                        return Err(self.broken("chunk data was longer than its size line said"));
                    }
                    self.framing = Framing::Chunked(Chunk::Size);
                }
                Chunk::Trailers => {
                    // Trailers are read to find the end of the body and then dropped, as
                    // http.client does. A server that closes right after the last chunk,
                    // without the final empty line (or inside a trailer line), still sent the
                    // whole body.
                    match self.take_line(TRAILER_LINE, true)? {
                        Some(line) if !without_line_end(&line).is_empty() => {}
                        Some(_) => {
                            self.finish(true);
                            return Ok(0);
                        }
                        None => return Ok(0),
                    }
                }
            }
        }
    }

    /// Takes one line (with its CRLF or LF) of at most [`MAX_CHUNK_LINE`] bytes, its end
    /// included, from the connection; `None` when the stream ends before any byte of it, or
    /// with `partial` inside the line. Without `partial` that is an `IncompleteRead`.
    fn take_line(&mut self, what: &'static str, partial: bool) -> Result<Option<Vec<u8>>> {
        loop {
            let conn = self.conn.as_mut().ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "Connection broken: body read after release",
                )
            })?;
            let buffered = conn.stream().buffered();
            let window = &buffered[..buffered.len().min(MAX_CHUNK_LINE)];
            if let Some(end) = window.iter().position(|&b| b == b'\n') {
                let line = buffered[..=end].to_vec();
                conn.stream_mut().consume(end + 1);
                return Ok(Some(line));
            }
            if buffered.len() > MAX_CHUNK_LINE {
                self.finish(false);
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!("Response chunk {what} line exceeded maximum allowed length"),
                ));
            }
            let filled = conn.stream_mut().fill_more(MAX_CHUNK_LINE + 2);
            let held = conn.stream().buffered().len();
            let n = filled.map_err(|e| self.io_error(e))?;
            if n == 0 {
                self.finish(false);
                if held == 0 || partial {
                    return Ok(None);
                }
                return Err(Error::connection_broken(Error::incomplete_read(
                    self.read, 0,
                )));
            }
        }
    }

    fn transport_read(&mut self, out: &mut [u8]) -> Result<usize> {
        let read = if let Some(reader) = self.reader.as_mut() {
            reader.read(out)
        } else if let (Some(conn), Some(body)) = (self.conn.as_mut(), self.http2.as_mut()) {
            conn.read_http2_body(body, out)
        } else if let Some(conn) = self.conn.as_mut() {
            conn.stream_mut().read_into(out)
        } else {
            return Ok(0);
        };
        match read {
            Ok(n) => Ok(n),
            Err(e) => Err(self.io_error(e)),
        }
    }

    /// Maps a socket failure mid-body to urllib3's classes: a timeout is `ReadTimeoutError`,
    /// anything else breaks the connection (`ProtocolError`).
    fn io_error(&mut self, e: io::Error) -> Error {
        if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            // A timed-out body leaves the stream at an unknown place: never reuse it.
            let timeout = self.conn.as_ref().and_then(|c| c.stream().read_timeout());
            self.finish(false);
            return Error::read_timeout(timeout).with_source(e);
        }
        self.finish(false);
        Error::new(
            ErrorKind::Protocol,
            format!(
                "Connection broken: {}",
                crate::connection::os_error_text(&e)
            ),
        )
        .with_source(e)
    }

    fn invalid_chunk_length(&mut self, line: Vec<u8>) -> Error {
        self.finish(false);
        let content = without_line_end(&line);
        let shown = String::from_utf8_lossy(&content[..content.len().min(64)]).into_owned();
        let cause = Error::new(
            ErrorKind::InvalidChunkLength,
            format!(
                "InvalidChunkLength(got length b{shown:?}, {} bytes read)",
                self.read
            ),
        )
        .with_counts(self.read, 0)
        .with_received(line);
        Error::connection_broken(cause)
    }

    fn broken(&mut self, why: &str) -> Error {
        self.finish(false);
        Error::new(ErrorKind::Protocol, format!("Connection broken: {why}"))
    }

    /// Marks the body complete. A reusable connection goes to the release hook; any other is
    /// dropped, which closes it.
    fn finish(&mut self, clean: bool) {
        self.done = true;
        self.framing = Framing::Empty;
        // The caller's file is theirs to close; dropping our handle only lets it go. An
        // HTTP/2 stream dropped before its end is reset, and its connection goes on.
        self.reader = None;
        self.http2 = None;
        if !(clean && self.keep_alive) {
            self.conn = None;
        }
        if let Some(hook) = self.release.take() {
            hook(self.conn.take());
        }
    }
}

impl Drop for BodyReader {
    /// A response dropped before its end closes its connection (it cannot be reused without
    /// reading the rest) and still gives the pool its slot back.
    fn drop(&mut self) {
        if let Some(hook) = self.release.take() {
            self.conn = None;
            hook(None);
        }
    }
}

impl io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        BodyReader::read(self, buf).map_err(io::Error::other)
    }
}

/// A line without its CRLF or LF.
fn without_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses a chunk-size line: hex digits, then optional `;extensions` (ignored). Leading and
/// trailing whitespace is tolerated as http.client does.
fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let size = match line.iter().position(|&b| b == b';') {
        Some(i) => &line[..i],
        None => line,
    };
    let size = std::str::from_utf8(size).ok()?.trim();
    if size.is_empty() || size.len() > 16 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(size, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives its bytes `step` at a time and counts the bytes asked for.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        step: usize,
        asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.asked
                .fetch_add(out.len(), std::sync::atomic::Ordering::Relaxed);
            let n = out.len().min(self.step).min(self.data.len() - self.pos);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn trickle(data: &[u8], step: usize) -> Trickle {
        Trickle {
            data: data.to_vec(),
            pos: 0,
            step,
            asked: Default::default(),
        }
    }

    fn chunked(wire: &[u8], step: usize) -> BodyReader {
        let conn = Connection::from_reader(Box::new(trickle(wire, step)));
        BodyReader::new(conn, Framing::Chunked(Chunk::Size), false, true)
    }

    fn read_all(body: &mut BodyReader) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            let n = body.read(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn a_wire_chunk_is_read_whole_however_it_trickles_in() {
        let mut body = chunked(b"a\r\n0123456789\r\n3\r\nabc\r\n0\r\n\r\n", 3);
        let mut out = [0u8; 100];
        assert_eq!(body.read_chunk(&mut out).unwrap(), 10);
        assert_eq!(&out[..10], b"0123456789");
        assert_eq!(body.read_chunk(&mut out).unwrap(), 3);
        assert_eq!(body.read_chunk(&mut out).unwrap(), 0);
        assert!(body.is_done());
        // A chunk that stops short is an IncompleteRead, not a short piece.
        let mut body = chunked(b"9999\r\nfoooo\r\n", 100);
        let err = body.read_chunk(&mut out).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.message().contains("IncompleteRead"), "{err}");
    }

    #[test]
    fn an_invalid_chunk_size_line_is_kept_as_it_came() {
        for (line, received) in [(&b"ZZZ\r\n"[..], &b"ZZZ\r\n"[..]), (b"zz\n", b"zz\n")] {
            let mut wire = b"5\r\nhello\r\n".to_vec();
            wire.extend_from_slice(line);
            let err = read_all(&mut chunked(&wire, 4096)).unwrap_err();
            let cause = err.reason().expect("the InvalidChunkLength under it");
            assert_eq!(cause.kind(), ErrorKind::InvalidChunkLength);
            assert_eq!(cause.received(), Some(received));
            assert_eq!(cause.counts(), Some((5, 0)));
        }
    }

    #[test]
    fn chunk_lines_are_bounded_with_their_line_end() {
        let max = MAX_CHUNK_LINE;
        let mut size_line = b"f".repeat(max + 10);
        size_line.extend_from_slice(b"\r\n");
        let err = read_all(&mut chunked(&size_line, 4096)).unwrap_err();
        assert_eq!(
            err.message(),
            "Response chunk size line exceeded maximum allowed length"
        );
        for (length, ending, fits) in [
            (max, &b"\r\n"[..], true),
            (max + 1, b"\r\n", false),
            (max, b"", true),
            (max + 1, b"", false),
        ] {
            let mut wire = b"3\r\nfoo\r\n0\r\nX:".to_vec();
            wire.extend(std::iter::repeat_n(b'x', length - 2 - ending.len()));
            wire.extend_from_slice(ending);
            if !ending.is_empty() {
                wire.extend_from_slice(b"\r\n");
            }
            let got = read_all(&mut chunked(&wire, 4096));
            if fits {
                assert_eq!(got.unwrap(), b"foo", "{length} {ending:?}");
            } else {
                assert_eq!(
                    got.unwrap_err().message(),
                    "Response chunk trailer line exceeded maximum allowed length",
                    "{length} {ending:?}"
                );
            }
        }
    }

    #[test]
    fn a_reader_body_is_read_as_asked_and_unsized_stays_unsized() {
        let source = trickle(b"0123456789", 100);
        let asked = source.asked.clone();
        let mut body = BodyReader::from_reader(Box::new(source), Framing::Close, true);
        let mut one = [0u8; 1];
        assert_eq!(body.read(&mut one).unwrap(), 1);
        assert_eq!(asked.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(body.length_remaining(), None);
        assert_eq!(read_all(&mut body).unwrap(), b"123456789");
        assert!(body.is_done());
        assert_eq!(body.length_remaining(), None);

        let mut body =
            BodyReader::from_reader(Box::new(trickle(b"abc", 1)), Framing::Length(3), true);
        assert_eq!(body.length_remaining(), Some(3));
        assert_eq!(read_all(&mut body).unwrap(), b"abc");
        assert_eq!(body.length_remaining(), Some(0));
    }

    #[test]
    fn chunk_size_lines() {
        let cases: &[(&[u8], Option<u64>)] = &[
            (b"0", Some(0)),
            (b"1a", Some(26)),
            (b"FF", Some(255)),
            (b"10;name=value", Some(16)),
            (b" 5 ", Some(5)),
            (b"5 ; ext", Some(5)),
            (b"", None),
            (b"zz", None),
            (b"-1", None),
            (b"0x10", None),
            (b"+5", None),
            (b"fffffffffffffffff", None),
        ];
        for &(line, expected) in cases {
            assert_eq!(
                parse_chunk_size(line),
                expected,
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }
}
