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
pub mod fields;
mod headers;
mod manager;
mod pool;
pub mod request;
pub mod response;
mod retry;
mod timeout;
mod url;

pub use body::{Body, BodyRead};
pub use connection::{AssertHostname, CaCertData, CertReqs, TlsConfig, TlsVersion};
pub use connection::{Connection, SocketConfig, DEFAULT_USER_AGENT, SKIP_HEADER};
pub use error::{Error, ErrorKind, Result};
pub use fields::{encode_multipart_formdata, FieldValue, RequestField};
pub use headers::HeaderMap;
pub use manager::{PoolKey, PoolManager};
pub use pool::{ConnectionPool, PoolConfig, RequestOptions, Scheme};
pub use request::RequestMethods;
pub use response::{Response, ResponseOptions, Version};
pub use retry::{Clock, Limit, ManualClock, Outcome, RequestHistory, Retry, SystemClock};
pub use timeout::{Timeout, TimeoutClock};
pub use url::{parse_url, Url};
