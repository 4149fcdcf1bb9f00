//! urllib3, the HTTP client, as a blocking Rust library.
//!
//! The crate speaks HTTP/1.1 the way Python's urllib3 does: request headers go out in the
//! caller's case and order, response headers are kept in wire order with repeats, URLs are
//! parsed by urllib3's rules, and every failure is an [`Error`] whose [`ErrorKind`] names the
//! urllib3 exception class it stands for.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
pub mod connection;
mod error;
mod headers;
pub mod response;
mod timeout;
mod url;

pub use body::Body;
pub use connection::{Connection, Request, SocketConfig, DEFAULT_USER_AGENT, SKIP_HEADER};
pub use error::{Error, ErrorKind, Result};
pub use headers::HeaderMap;
pub use response::{Response, ResponseOptions, Version};
pub use timeout::{Timeout, TimeoutClock};
pub use url::{parse_url, Url};
