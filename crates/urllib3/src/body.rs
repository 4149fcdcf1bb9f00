//! Request bodies: bytes known up front, or a reader pulled as the request is sent.

use std::fmt;
use std::io::Read;

/// What a request carries after its head.
///
/// Bytes go out with a `Content-Length`; a reader of unknown length goes out with
/// `Transfer-Encoding: chunked`, read in blocks as it is sent, so a large file is never held in
/// memory whole. This is urllib3 2.x's framing rule.
///
/// ```
/// use urllib3::Body;
///
/// let body = Body::from("name=value");
/// assert_eq!(body.content_length(), Some(10));
/// let streamed = Body::reader(std::io::Cursor::new(vec![0u8; 100]));
/// assert_eq!(streamed.content_length(), None);
/// ```
#[derive(Default)]
pub enum Body {
    /// No body at all.
    #[default]
    Empty,
    /// A body held in memory.
    Bytes(Vec<u8>),
    /// A body pulled from a reader while sending; `length` is sent as `Content-Length` when
    /// known, else the body is chunked.
    Reader {
        /// The source of the bytes.
        reader: Box<dyn Read + Send>,
        /// Its length, when the caller knows it.
        length: Option<u64>,
    },
}

impl Body {
    /// A body streamed from `reader`, of unknown length (sent chunked).
    pub fn reader(reader: impl Read + Send + 'static) -> Self {
        Body::Reader {
            reader: Box::new(reader),
            length: None,
        }
    }

    /// A body streamed from `reader` that has exactly `length` bytes (sent with
    /// `Content-Length`).
    pub fn sized_reader(reader: impl Read + Send + 'static, length: u64) -> Self {
        Body::Reader {
            reader: Box::new(reader),
            length: Some(length),
        }
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

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Bytes(bytes)
    }
}

impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Self {
        Body::Bytes(bytes.to_vec())
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::Bytes(text.into_bytes())
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Self {
        Body::Bytes(text.as_bytes().to_vec())
    }
}
