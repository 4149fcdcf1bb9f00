//! A pool's settings and a request's: urllib3's pool keyword arguments ([`PoolConfig`]), those
//! of `urlopen` ([`RequestOptions`]), and the schemes a pool serves ([`Scheme`]).

use std::time::Duration;

use crate::body::Body;
use crate::connection::{self, Proxy, SocketConfig, TlsConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::headers::HeaderMap;
use crate::response::ResponseOptions;
use crate::retry::Retry;
use crate::timeout::Timeout;

/// The URL schemes a pool can serve.
///
/// ```
/// use urllib3::Scheme;
///
/// let scheme = Scheme::parse(Some("HTTPS"))?;
/// assert_eq!(scheme, Scheme::Https);
/// assert_eq!((scheme.as_str(), scheme.default_port()), ("https", 443));
/// assert_eq!(Scheme::parse(None)?, Scheme::Http);
/// assert!(Scheme::parse(Some("ftp")).is_err());
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// The scheme for a URL scheme name; `None` (no scheme) means http, as urllib3 assumes.
    pub fn parse(name: Option<&str>) -> Result<Scheme> {
        match name.map(str::to_ascii_lowercase).as_deref() {
            None | Some("http") => Ok(Scheme::Http),
            Some("https") => Ok(Scheme::Https),
            Some(other) => Err(Error::new(
                ErrorKind::UrlSchemeUnknown,
                format!("Not supported URL scheme {other}"),
            )
            // The scheme as data: Python's URLSchemeUnknown is built from it.
            .with_url(other)),
        }
    }

    /// The scheme's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port used when a URL gives none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Settings shared by every request of a pool: urllib3's pool keyword arguments.
///
/// ```
/// use urllib3::{PoolConfig, Retry, Timeout};
/// use std::time::Duration;
///
/// let config = PoolConfig {
///     maxsize: 4,
///     block: true,
///     timeout: Timeout::new().with_read(Duration::from_secs(5)),
///     retries: Retry::from_total(2),
///     ..PoolConfig::default()
/// };
/// assert_eq!(config.maxsize, 4);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PoolConfig {
    /// Idle connections kept at most (default 1).
    pub maxsize: usize,
    /// Wait for a free connection instead of opening more than `maxsize` (default false).
    pub block: bool,
    /// Headers sent with every request that brings none of its own.
    pub headers: HeaderMap,
    /// Timeouts for requests that set none.
    pub timeout: Timeout,
    /// Retry policy for requests that set none (default `Retry::default()`, three tries).
    pub retries: Retry,
    /// How sockets are opened.
    pub socket: SocketConfig,
    /// The `User-Agent` sent when the request headers have none.
    pub user_agent: String,
    /// How HTTPS connections verify the server and present a client certificate (ignored by
    /// plain HTTP pools). The default verifies against the system's trust store.
    pub tls: TlsConfig,
    /// The proxy connections go through (`None`: straight to the host). Through an HTTP proxy,
    /// an `https` pool tunnels with CONNECT, and an `http` pool (or an `https` one that an
    /// HTTPS proxy forwards) sends its requests to the proxy with absolute URLs; through a
    /// SOCKS proxy, every connection is made by the proxy.
    pub proxy: Option<Proxy>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            maxsize: 1,
            block: false,
            headers: HeaderMap::new(),
            timeout: Timeout::new(),
            retries: Retry::default(),
            socket: SocketConfig::default(),
            user_agent: connection::DEFAULT_USER_AGENT.to_owned(),
            tls: TlsConfig::default(),
            proxy: None,
        }
    }
}

/// Per-request settings of `urlopen` (its keyword arguments in urllib3).
///
/// ```
/// use urllib3::{RequestOptions, Retry};
///
/// let options = RequestOptions::new()
///     .header("Accept", "application/json")
///     .body("payload")
///     .retries(Retry::disabled())
///     .preload_content(false);
/// assert!(!options.preload_content);
/// ```
#[derive(Debug)]
pub struct RequestOptions {
    /// Headers for this request; `None` sends the pool's headers.
    pub headers: Option<HeaderMap>,
    /// The body.
    pub body: Body,
    /// Retry policy; `None` uses the pool's.
    pub retries: Option<Retry>,
    /// Follow redirects (default true).
    pub redirect: bool,
    /// Refuse a URL on another host than the pool's (default true; pools only).
    pub assert_same_host: bool,
    /// Timeouts; `None` uses the pool's.
    pub timeout: Option<Timeout>,
    /// How long a blocking pool waits for a connection; `None` waits forever.
    pub pool_timeout: Option<Duration>,
    /// Send the body chunked even when its length is known.
    pub chunked: bool,
    /// Read the whole body before returning (default true).
    pub preload_content: bool,
    /// Undo `Content-Encoding` when reading (default true).
    pub decode_content: bool,
    /// Fail when a body is shorter than its `Content-Length` (default true).
    pub enforce_content_length: bool,
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            headers: None,
            body: Body::Empty,
            retries: None,
            redirect: true,
            assert_same_host: true,
            timeout: None,
            pool_timeout: None,
            chunked: false,
            preload_content: true,
            decode_content: true,
            enforce_content_length: true,
        }
    }
}

impl RequestOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header line (starting from an empty list, not the pool's headers).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .get_or_insert_with(HeaderMap::new)
            .append(name, value);
        self
    }

    /// Sets the whole header list.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers = Some(headers);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the retry policy.
    pub fn retries(mut self, retries: Retry) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Sets whether redirects are followed.
    pub fn redirect(mut self, redirect: bool) -> Self {
        self.redirect = redirect;
        self
    }

    /// Sets the timeouts.
    pub fn timeout(mut self, timeout: Timeout) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets how long to wait for a pooled connection.
    pub fn pool_timeout(mut self, wait: Duration) -> Self {
        self.pool_timeout = Some(wait);
        self
    }

    /// Sets whether the body is read before returning.
    pub fn preload_content(mut self, preload: bool) -> Self {
        self.preload_content = preload;
        self
    }

    /// Sets whether the body is decoded.
    pub fn decode_content(mut self, decode: bool) -> Self {
        self.decode_content = decode;
        self
    }

    pub(crate) fn response_options(&self) -> ResponseOptions {
        ResponseOptions {
            decode_content: self.decode_content,
            enforce_content_length: self.enforce_content_length,
        }
    }
}
