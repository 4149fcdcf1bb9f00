//! Request bodies: bytes known up front, or a reader pulled as the request is sent.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

use bytes::Bytes;

use crate::error::{Error, ErrorKind, Result};

/// What a request carries after its head.
///
/// Bytes go out with a `Content-Length`; a reader of unknown length goes out with
/// `Transfer-Encoding: chunked`, read in blocks as it is sent, so a large file is never held in
/// memory whole. This is urllib3 2.x's framing rule.
///
/// A retry or a redirect sends the body again: bytes simply are, a seekable reader is
/// rewound to where it started, and any other reader that was already read from cannot be
/// (`UnrewindableBodyError`, as in urllib3).
///
/// ```
/// use urllib3::Body;
///
/// let body = Body::from("name=value");
/// assert_eq!(body.content_length(), Some(10));
/// let streamed = Body::seekable(std::io::Cursor::new(vec![0u8; 100])).unwrap();
/// assert_eq!(streamed.content_length(), None);
/// ```
#[derive(Default)]
pub enum Body {
    /// No body at all.
    #[default]
    Empty,
    /// A body held in memory: [`Bytes`], so that a caller's buffer (a `Vec`, or memory owned
    /// by another runtime, through `Bytes::from_owner`) is sent without a copy.
    Bytes(Bytes),
    /// A body pulled from a reader while sending; `length` is sent as `Content-Length` when
    /// known, else the body is chunked.
    Reader {
        /// The source of the bytes.
        reader: Box<dyn BodyRead>,
        /// Its length, when the caller knows it.
        length: Option<u64>,
    },
}

/// A streamed request body that may know how to go back to its start.
///
/// ```
/// # let server = testserver::TestServer::start();
/// use std::io::{self, Read};
/// use urllib3::{Body, BodyRead, PoolManager, RequestOptions};
///
/// /// 1000 zero bytes, generated again for each retry.
/// struct Zeros(io::Take<io::Repeat>);
/// impl Read for Zeros {
///     fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> { self.0.read(buf) }
/// }
/// impl BodyRead for Zeros {
///     fn rewind(&mut self) -> io::Result<bool> { self.0 = io::repeat(0).take(1000); Ok(true) }
/// }
///
/// let body = Body::from_body_read(Box::new(Zeros(io::repeat(0).take(1000))), Some(1000));
/// let options = RequestOptions::new().body(body);
/// let mut r = PoolManager::new().urlopen("POST", &server.url("/upload"), options)?;
/// assert!(r.text()?.contains(r#"{"received":1000}"#));
/// # Ok::<(), urllib3::Error>(())
/// ```
pub trait BodyRead: Read + Send {
    /// Goes back to where the body started, for a retry or redirect. `Ok(false)` means this
    /// body cannot go back.
    fn rewind(&mut self) -> io::Result<bool>;
}

/// A reader that can only go forward: rewinding works until the first byte is read.
struct Forward<R> {
    inner: R,
    touched: bool,
}

impl<R: Read + Send> Read for Forward<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.touched = true;
        self.inner.read(buf)
    }
}

impl<R: Read + Send> BodyRead for Forward<R> {
    fn rewind(&mut self) -> io::Result<bool> {
        Ok(!self.touched)
    }
}

/// A seekable reader, with the position it started at (urllib3's `body_pos`).
struct Seekable<R> {
    inner: R,
    start: u64,
}

impl<R: Read + Send> Read for Seekable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read + Seek + Send> BodyRead for Seekable<R> {
    fn rewind(&mut self) -> io::Result<bool> {
        self.inner.seek(SeekFrom::Start(self.start))?;
        Ok(true)
    }
}

impl Body {
    /// A body streamed from `reader`, of unknown length (sent chunked). It cannot be sent again
    /// once read: use [`Body::seekable`] for bodies that retries or redirects may resend.
    pub fn reader(reader: impl Read + Send + 'static) -> Self {
        Body::Reader {
            reader: Box::new(Forward {
                inner: reader,
                touched: false,
            }),
            length: None,
        }
    }

    /// A body streamed from `reader` that has exactly `length` bytes (sent with
    /// `Content-Length`).
    pub fn sized_reader(reader: impl Read + Send + 'static, length: u64) -> Self {
        match Body::reader(reader) {
            Body::Reader { reader, .. } => Body::Reader {
                reader,
                length: Some(length),
            },
            other => other,
        }
    }

    /// A body streamed from a seekable reader (a file, say), rewound to its current position
    /// whenever a retry or redirect sends it again.
    pub fn seekable(mut reader: impl Read + Seek + Send + 'static) -> Result<Self> {
        let start = reader.stream_position().map_err(|e| {
            Error::new(
                ErrorKind::UnrewindableBody,
                "Unable to record file position for rewinding request body during a redirect/retry.",
            )
            .with_source(e)
        })?;
        Ok(Body::Reader {
            reader: Box::new(Seekable {
                inner: reader,
                start,
            }),
            length: None,
        })
    }

    /// A body from any [`BodyRead`], with its length if known.
    pub fn from_body_read(reader: Box<dyn BodyRead>, length: Option<u64>) -> Self {
        Body::Reader { reader, length }
    }

    /// The length the body announces, if it is known before sending.
    pub fn content_length(&self) -> Option<u64> {
        match self {
            Body::Empty => Some(0),
            Body::Bytes(b) => u64::try_from(b.len()).ok(),
            Body::Reader { length, .. } => *length,
        }
    }

    /// Whether there is no body at all (as opposed to an empty one).
    pub fn is_empty(&self) -> bool {
        matches!(self, Body::Empty)
    }

    /// Makes the body ready to be sent again.
    pub fn rewind(&mut self) -> Result<()> {
        let Body::Reader { reader, .. } = self else {
            return Ok(());
        };
        match reader.rewind() {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new(
                ErrorKind::UnrewindableBody,
                "Unable to record file position for rewinding request body during a redirect/retry.",
            )),
            Err(e) => Err(Error::new(
                ErrorKind::UnrewindableBody,
                "An error occurred when rewinding request body for redirect/retry.",
            )
            .with_source(e)),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::Reader { length, .. } => write!(f, "Reader(length={length:?})"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body::Bytes(bytes)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Bytes(bytes.into())
    }
}

impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Self {
        Body::Bytes(Bytes::copy_from_slice(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::Bytes(text.into_bytes().into())
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Self {
        Body::Bytes(Bytes::copy_from_slice(text.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read_all(body: &mut Body) -> Vec<u8> {
        let mut out = Vec::new();
        if let Body::Reader { reader, .. } = body {
            reader.read_to_end(&mut out).unwrap();
        }
        out
    }

    #[test]
    fn seekable_bodies_rewind_to_where_they_started() {
        let mut cursor = Cursor::new(b"skip:payload".to_vec());
        cursor.set_position(5);
        let mut body = Body::seekable(cursor).unwrap();
        assert_eq!(read_all(&mut body), b"payload");
        body.rewind().unwrap();
        assert_eq!(read_all(&mut body), b"payload");
    }

    #[test]
    fn forward_only_bodies_rewind_only_before_the_first_read() {
        let mut body = Body::reader(Cursor::new(b"once".to_vec()));
        body.rewind().unwrap();
        assert_eq!(read_all(&mut body), b"once");
        assert_eq!(
            body.rewind().unwrap_err().kind(),
            ErrorKind::UnrewindableBody
        );
    }
}
