//! Body framing: where a response body ends on the wire.
//!
//! RFC 9110/9112 give three ways: a `Content-Length`, chunked transfer coding, or the server
//! closing the connection. [`BodyReader`] reads the body bytes of one response (before content
//! decoding) and, once the framing says the body is complete, gives the connection back for
//! reuse, or closes it if the framing or the server ruled reuse out.

use std::io;
use std::time::Duration;

use crate::connection::Connection;
use crate::error::{Error, ErrorKind, Result};

/// Longest chunk-size line accepted, extensions included. hyper allows 16 KiB of extensions for
/// the whole body; one line of 4 KiB is far beyond any real server and bounds the buffer.
const MAX_CHUNK_LINE: usize = 4096;
/// Longest trailer section accepted, as for a head.
const MAX_TRAILERS: usize = 64 * 1024;

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
    framing: Framing,
    done: bool,
    /// Body bytes read so far, after de-chunking and before decoding (urllib3's `tell()`).
    read: u64,
    enforce_content_length: bool,
    /// Whether the server allows the connection to carry another request.
    keep_alive: bool,
    release: Option<ReleaseHook>,
}

impl BodyReader {
    pub(crate) fn new(
        conn: Connection,
        framing: Framing,
        keep_alive: bool,
        enforce_content_length: bool,
    ) -> Self {
        let mut reader = BodyReader {
            conn: Some(conn),
            framing,
            done: false,
            read: 0,
            enforce_content_length,
            keep_alive,
            release: None,
        };
        if framing == Framing::Empty || framing == Framing::Length(0) {
            reader.finish(true);
        }
        reader
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
            Framing::Empty => Some(0),
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
            Framing::Chunked(_) => self.read_chunked(out, usize::MAX)?,
        };
        self.read += n as u64;
        Ok(n)
    }

    /// Reads at most `limit` bytes of the current chunk, never across a chunk boundary
    /// (urllib3's `read_chunked` yields chunks as the server sent them).
    pub(crate) fn read_chunk(&mut self, out: &mut [u8]) -> Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        let n = self.read_chunked(out, out.len())?;
        self.read += n as u64;
        Ok(n)
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
            if self.enforce_content_length {
                self.finish(false);
                return Err(Error::connection_broken(Error::incomplete_read(
                    self.read, remaining,
                )));
            }
            self.finish(false);
            return Ok(0);
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
                    let line = self.take_line(MAX_CHUNK_LINE)?.ok_or_else(|| {
                        Error::new(ErrorKind::Protocol, "Response ended prematurely")
                    })?;
                    let size =
                        parse_chunk_size(&line).ok_or_else(|| self.invalid_chunk_length(&line))?;
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
                    let line = self.take_line(MAX_CHUNK_LINE)?.unwrap_or_default();
                    if !line.is_empty() {
                        return Err(self.broken("chunk data was longer than its size line said"));
                    }
                    self.framing = Framing::Chunked(Chunk::Size);
                }
                Chunk::Trailers => {
                    // Trailers are read to find the end of the body and then dropped, as
                    // http.client does. A server that closes right after the last chunk,
                    // without the final empty line, still sent the whole body.
                    match self.take_line(MAX_TRAILERS)? {
                        Some(line) if !line.is_empty() => {}
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

    /// Takes one line (without its CRLF or LF) from the connection; `None` when the stream
    /// ends before any byte of it.
    fn take_line(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        loop {
            let conn = self.conn.as_mut().ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "Connection broken: body read after release",
                )
            })?;
            let buffered = conn.stream().buffered();
            if let Some(end) = buffered.iter().position(|&b| b == b'\n') {
                let mut line = buffered[..end].to_vec();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                conn.stream_mut().consume(end + 1);
                return Ok(Some(line));
            }
            if buffered.len() > max {
                return Err(self.broken("chunk-size or trailer line too long"));
            }
            let filled = conn.stream_mut().fill_more(max + 2);
            let nothing = conn.stream().buffered().is_empty();
            let n = filled.map_err(|e| self.io_error(e))?;
            if n == 0 {
                self.finish(false);
                if nothing {
                    return Ok(None);
                }
                return Err(Error::connection_broken(Error::incomplete_read(
                    self.read, 0,
                )));
            }
        }
    }

    fn transport_read(&mut self, out: &mut [u8]) -> Result<usize> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(0);
        };
        match conn.stream_mut().read_into(out) {
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

    fn invalid_chunk_length(&mut self, line: &[u8]) -> Error {
        self.finish(false);
        let shown = String::from_utf8_lossy(&line[..line.len().min(64)]).into_owned();
        let cause = Error::new(
            ErrorKind::InvalidChunkLength,
            format!(
                "InvalidChunkLength(got length b{shown:?}, {} bytes read)",
                self.read
            ),
        )
        .with_counts(self.read, 0);
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
