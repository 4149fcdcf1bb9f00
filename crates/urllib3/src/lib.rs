//! urllib3, the HTTP client, as a blocking Rust library.
//!
//! The crate speaks HTTP/1.1 the way Python's urllib3 does: request headers go out in the
//! caller's case and order, response headers are kept in wire order with repeats, URLs are
//! parsed by urllib3's rules, and every failure is an [`Error`] whose [`ErrorKind`] names the
//! urllib3 exception class it stands for.
//!
//! ```
//! # let server = testserver::TestServer::start();
//! use urllib3::{PoolManager, RequestMethods, RequestOptions, Retry, Timeout};
//! use urllib3::request::Form;
//!
//! let http = PoolManager::new();
//! let mut r = http.request("GET", &server.url("/get"))?;
//! assert_eq!(r.status(), 200);
//! println!("{}", r.text()?);
//!
//! let form = Form::new().field("name", "value");
//! let options = RequestOptions::new()
//!     .timeout(Timeout::from_secs_f64(2.5)?)
//!     .retries(Retry::from_total(5).with_backoff_factor(0.2));
//! let r = http.request_form("POST", &server.url("/post"), form, options)?;
//! assert_eq!(r.status(), 200);
//! # Ok::<(), urllib3::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
pub mod connection;
mod error;
pub mod fields;
mod headers;
mod manager;
pub mod pool;
pub mod raw;
pub mod request;
pub mod response;
mod retry;
mod timeout;
mod url;

pub use body::{Body, BodyRead};
pub use connection::{AssertHostname, CaCertData, CertReqs, TlsConfig, TlsVersion};
pub use connection::{Connection, SocketConfig, DEFAULT_USER_AGENT, SKIP_HEADER};
pub use connection::{Proxy, ProxyConfig, SocksConfig, SocksVersion};
pub use error::{Error, ErrorKind, Result};
pub use fields::{encode_multipart_formdata, FieldValue, RequestField};
pub use headers::HeaderMap;
pub use manager::{proxy_from_url, PoolKey, PoolManager, ProxyManager, SocksProxyManager};
pub use pool::{ConnectionPool, PoolConfig, RequestOptions, Scheme};
pub use request::RequestMethods;
pub use response::{Response, ResponseOptions, Version};
pub use retry::{Clock, Limit, ManualClock, Outcome, RequestHistory, Retry, SystemClock};
/// The socket library whose `Socket` a [`connection::SocketHook`] configures, re-exported so
/// that a hook names the same version.
pub use socket2;
pub use timeout::{Timeout, TimeoutClock};
pub use url::{parse_url, Url};
