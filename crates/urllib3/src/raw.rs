//! For language bindings and fuzzing: raw byte access that bypasses HTTP framing.
//!
//! A program using the crate for HTTP has no need of these. They exist for code that drives a
//! connection's bytes itself: a binding that hands the connection to a foreign HTTP stack as
//! its socket (Python's http.client writes its own request and reads through
//! `socket.makefile`; botocore reads a `100 Continue` with `recv`), responses whose bytes come
//! from a reader rather than a socket (urllib3's `HTTPResponse(body=file)`), and fuzz targets
//! that feed arbitrary bytes to the response parser.
//!
//! Bytes written here go out as they are, and bytes read here are taken from the connection's
//! stream: mixing them with [`Connection::write_request`] and [`Connection::read_response`] on
//! the same exchange is the caller's responsibility.
//!
//! ```
//! use std::io::Cursor;
//! use urllib3::{raw, ResponseOptions};
//!
//! let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec();
//! let conn = raw::connection_from_reader(Box::new(Cursor::new(wire)));
//! let mut response = conn.read_response("GET", None, ResponseOptions::default())?;
//! assert_eq!(response.read_all()?, b"hello");
//! # Ok::<(), urllib3::Error>(())
//! ```

use std::io::Read;
use std::time::Duration;

use crate::connection::Connection;
use crate::error::Result;
use crate::headers::HeaderMap;
use crate::response::{Response, ResponseOptions, Version};

/// Writes `data` on the connection as it is (Python's `socket.sendall`). A peer that went away
/// is an error, unlike in [`Connection::write_request`], since nothing here knows what the
/// bytes mean.
pub fn write(conn: &mut Connection, data: &[u8], write_timeout: Option<Duration>) -> Result<()> {
    conn.write_raw(data, write_timeout)
}

/// Reads raw bytes into `out`, those the connection already buffered first (Python's
/// `socket.recv_into`). Returns 0 at the end of the stream.
pub fn read(
    conn: &mut Connection,
    out: &mut [u8],
    read_timeout: Option<Duration>,
) -> Result<usize> {
    conn.read_raw(out, read_timeout)
}

/// Whether bytes were received and not read yet (in the connection's buffer or inside TLS), so
/// that a [`read`] returns at once: a readiness poll on the socket cannot see them.
pub fn has_pending(conn: &Connection) -> bool {
    conn.has_pending()
}

/// A connection that reads a response from `reader` instead of a socket (what a server sent:
/// head and body). It cannot send requests.
pub fn connection_from_reader(reader: Box<dyn Read + Send>) -> Connection {
    Connection::from_reader(reader)
}

/// A response whose body comes from `reader` rather than a socket (urllib3's
/// `HTTPResponse(body=file, headers=...)`). The reader yields the body as it is after transfer
/// decoding, so only a `Content-Length` frames it; content decoding applies as usual.
///
/// ```
/// use urllib3::{raw, HeaderMap, ResponseOptions, Version};
///
/// let headers: HeaderMap = [("Content-Length", "5")].into_iter().collect();
/// let body = std::io::Cursor::new(b"hello".to_vec());
/// let mut r = raw::response_from_reader(200, "OK", Version::Http11, headers, Box::new(body), ResponseOptions::default())?;
/// assert_eq!(r.read_all()?, b"hello");
/// # Ok::<(), urllib3::Error>(())
/// ```
pub fn response_from_reader(
    status: u16,
    reason: &str,
    version: Version,
    headers: HeaderMap,
    reader: Box<dyn Read + Send>,
    options: ResponseOptions,
) -> Result<Response> {
    Response::from_reader(status, reason, version, headers, reader, options)
}

/// A response whose body is read raw from `reader` and framed by its headers (chunked,
/// `Content-Length` or to the end) as a read off the wire would be: for a binding holding the
/// socket file of a response whose head was parsed elsewhere (http.client's `fp`).
///
/// ```
/// use urllib3::{raw, HeaderMap, ResponseOptions, Version};
///
/// let headers: HeaderMap = [("Transfer-Encoding", "chunked")].into_iter().collect();
/// let body = std::io::Cursor::new(b"5\r\nhello\r\n0\r\n\r\n".to_vec());
/// let options = ResponseOptions::default();
/// let mut r = raw::response_from_wire(200, "OK", Version::Http11, headers, Box::new(body), "GET", options)?;
/// assert_eq!(r.read_all()?, b"hello");
/// # Ok::<(), urllib3::Error>(())
/// ```
pub fn response_from_wire(
    status: u16,
    reason: &str,
    version: Version,
    headers: HeaderMap,
    reader: Box<dyn Read + Send>,
    method: &str,
    options: ResponseOptions,
) -> Result<Response> {
    Response::from_wire(status, reason, version, headers, reader, method, options)
}
